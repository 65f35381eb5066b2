#!/usr/bin/env python3
"""Frames Modbus RTU with pymodbus, a Modbus stack egate did not write.

Usage: modbus_frames.py JOB.json

JOB is {"requests": [HEX, ...], "answers": [ANSWER, ...]}. Each request frame (as a controller
receives it) is decoded by pymodbus's RTU framer on the server side (CRC, device id, function
code, fields) and printed back as {"unit", "fc", "address", "count"} or, for Write Single
Coil, {"unit", "fc", "address", "value"}; a frame pymodbus refuses gives {"error": ...}.
Each ANSWER, {"unit", "fc", ...} with "bits", "registers", "address"+"value" or "exception",
is built by pymodbus as a controller would send it, and printed as HEX. Output is one JSON
object {"requests": [...], "answers": [...]} on stdout.
"""

import json
import sys

from pymodbus.framer import FramerRTU
from pymodbus.pdu import DecodePDU, ExceptionResponse
from pymodbus.pdu.bit_message import (
    ReadDiscreteInputsRequest,
    ReadDiscreteInputsResponse,
    WriteSingleCoilRequest,
    WriteSingleCoilResponse,
)
from pymodbus.pdu.register_message import (
    ReadInputRegistersRequest,
    ReadInputRegistersResponse,
)


def decode_request(server: FramerRTU, frame: bytes) -> dict:
    used, pdu = server.handleFrame(frame, 0, 0)
    if pdu is None or used != len(frame):
        return {"error": f"pymodbus took {used} of {len(frame)} bytes and no request"}
    out = {"unit": pdu.dev_id, "fc": pdu.function_code, "address": pdu.address}
    if isinstance(pdu, (ReadDiscreteInputsRequest, ReadInputRegistersRequest)):
        out["count"] = pdu.count
    elif isinstance(pdu, WriteSingleCoilRequest):
        out["value"] = bool(pdu.bits[0])
    else:
        out["error"] = f"unexpected request {type(pdu).__name__}"
    return out


def build_answer(server: FramerRTU, a: dict) -> str:
    unit, fc = a["unit"], a["fc"]
    if "exception" in a:
        pdu = ExceptionResponse(fc, a["exception"])
        pdu.dev_id = unit
    elif fc == 2:
        pdu = ReadDiscreteInputsResponse(dev_id=unit, bits=a["bits"])
    elif fc == 4:
        pdu = ReadInputRegistersResponse(dev_id=unit, registers=a["registers"])
    elif fc == 5:
        pdu = WriteSingleCoilResponse(dev_id=unit, address=a["address"], bits=[a["value"]])
    else:
        raise ValueError(f"no answer for function {fc}")
    return server.buildFrame(pdu).hex()


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    server = FramerRTU(DecodePDU(True))
    requests = [decode_request(server, bytes.fromhex(h)) for h in job["requests"]]
    answers = [build_answer(server, a) for a in job["answers"]]
    json.dump({"requests": requests, "answers": answers}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
