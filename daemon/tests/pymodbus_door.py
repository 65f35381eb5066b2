#!/usr/bin/env python3
"""An independent Modbus RTU slave for egate's interoperability test (issue #6).

pymodbus serves egate's default door map (hardware/door-map.md) as unit 1 on a pty. Two pty
pairs are bridged in a thread: pymodbus opens one slave side, egate the other, so both ends
open a real tty device. The doors follow their drive coils at once, so egate can confirm a
movement; zone A starts occupied, the person count is 3 and the fault code 7.

Prints `READY <path>` once pymodbus listens, then `COIL <address> <0|1>` for every coil write.
"""

import asyncio
import os
import pty
import select
import sys
import threading
import tty

from pymodbus import FramerType
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

UNIT = 1
# Discrete inputs of the default map.
ENTRY_CLOSED, EXIT_CLOSED, ENTRY_OPEN, EXIT_OPEN, ZONE_A = 0, 1, 2, 3, 4


def bridge(a: int, b: int) -> None:
    """Copies bytes between two pty masters until one side goes away."""
    peers = {a: b, b: a}
    while True:
        ready, _, _ = select.select(list(peers), [], [])
        for fd in ready:
            try:
                data = os.read(fd, 1024)
            except OSError:
                data = b""
            if data:
                os.write(peers[fd], data)


async def main() -> None:
    m1, s1 = pty.openpty()  # pymodbus side
    m2, s2 = pty.openpty()  # egate side
    for fd in (s1, s2):
        tty.setraw(fd)
    threading.Thread(target=bridge, args=(m1, m2), daemon=True).start()

    inputs = [False] * 12
    inputs[ENTRY_CLOSED] = inputs[EXIT_CLOSED] = inputs[ZONE_A] = True
    device = SimDevice(
        id=UNIT,
        simdata=(
            [SimData(0, count=7, values=False, datatype=DataType.BITS)],
            [SimData(0, values=inputs, datatype=DataType.BITS)],
            [SimData(0, count=1, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, values=[3, 7], datatype=DataType.REGISTERS)],
        ),
    )
    server = None
    loop = asyncio.get_running_loop()

    async def follow(address: int, on: bool) -> None:
        # Coils 0/1 drive the entry/exit door: move its position inputs at once.
        if address in (0, 1):
            closed, opened = (ENTRY_CLOSED, ENTRY_OPEN) if address == 0 else (EXIT_CLOSED, EXIT_OPEN)
            await server.async_setValues(UNIT, 2, closed, [not on])
            await server.async_setValues(UNIT, 2, opened, [on])

    def trace_pdu(sending: bool, pdu):
        if not sending and pdu.function_code == 5:
            on = bool(pdu.bits[0])
            print(f"COIL {pdu.address} {int(on)}", flush=True)
            loop.create_task(follow(pdu.address, on))
        return pdu

    server = ModbusSerialServer(
        device,
        framer=FramerType.RTU,
        port=os.ttyname(s1),
        baudrate=19200,
        # pyserial cannot set parity on a pty (tcsetattr EINVAL); a pty ignores it anyway.
        parity="N",
        stopbits=1,
        trace_pdu=trace_pdu,
    )
    await server.serve_forever(background=True)
    print(f"READY {os.ttyname(s2)}", flush=True)
    # Run until the test kills us (or closes our stdin).
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
