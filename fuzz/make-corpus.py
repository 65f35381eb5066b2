#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/) from the test vectors.

The seeds are small, valid inputs, so each target starts from the deep paths a real document,
APDU exchange, Modbus frame or list file reaches: the public specimen files in
document/tests/data (see its README for their origin), the ICAO Doc 9303 Part 11 Appendix D
secure-messaging worked example (document/tests/vectors), the ICAO Doc 9303-4 specimen MRZ,
Modbus RTU requests of the default door map (hardware/door-map.md) and list-file lines of the
borderdb tests. Inputs are laid out the way each target reads them (a selector or chunk byte
first where the target takes one).

Run from anywhere with the standard library only; the output is committed. The script
rewrites the directories of the targets it knows and leaves any other target's corpus alone.
CI (scripts/test.sh) runs every target over its corpus once; a target without a corpus
directory fails there, so a new target needs its seeds here.
"""

import pathlib
import shutil
import struct

TOP = pathlib.Path(__file__).resolve().parent.parent
DATA = TOP / "document" / "tests" / "data"
VECTORS = TOP / "document" / "tests" / "vectors"
OUT = TOP / "fuzz" / "corpus"

# ICAO Doc 9303-4 Appendix A (TD3) and Doc 9303-5/6 specimens (TD1, TD2), as in the tests.
TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
TD2 = [
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
]


def bac_vectors() -> dict:
    """The name = hex pairs of the Appendix D worked example."""
    out = {}
    for line in (VECTORS / "icao9303_11_appendix_d_bac.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (s.strip() for s in line.split("=", 1))
        if not value.startswith('"'):
            out[name] = bytes.fromhex(value)
    return out


def crc16_modbus(frame: bytes) -> bytes:
    """Modbus over Serial Line V1.02 §6.2.2: CRC-16, polynomial 0xA001, low byte first."""
    crc = 0xFFFF
    for b in frame:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


def rtu(unit: int, pdu: bytes) -> bytes:
    frame = bytes([unit]) + pdu
    return frame + crc16_modbus(frame)


def tlv(tag: int, value: bytes) -> bytes:
    """BER-TLV with a definite length (ICAO Doc 9303-10 §4.4 / X.690 §8.1)."""
    t = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(body)]) + body
    return t + length + value


def corpora() -> dict:
    d = lambda *p: DATA.joinpath(*p).read_bytes()  # noqa: E731
    bac = bac_vectors()
    td3 = "".join(TD3).encode()
    td1 = "".join(TD1).encode()
    td2 = "".join(TD2).encode()

    c = {}
    c["doc_tlv_lds"] = {
        "ef_com_bsi2008": d("jmrtd-bsi2008", "EF_COM.bin"),
        "ef_com_loes2006": d("jmrtd-loes2006", "ef011E.bin"),
        "dg1_bsi2008": d("jmrtd-bsi2008", "Datagroup1.bin"),
        "dg1_loes2006": d("jmrtd-loes2006", "ef0101.bin"),
        # DG11 (ICAO Doc 9303-10 §4.7.11): tag list 5C, full name 5F0E, place of birth 5F11.
        "dg11_specimen": tlv(
            0x6B,
            tlv(0x5C, bytes.fromhex("5F0E5F11"))
            + tlv(0x5F0E, b"ERIKSSON<<ANNA<MARIA")
            + tlv(0x5F11, b"ZENITH,UTO"),
        ),
        # DG12 (§4.7.12): tag list 5C, issuing authority 5F19, date of issue 5F26.
        "dg12_specimen": tlv(
            0x6C,
            tlv(0x5C, bytes.fromhex("5F195F26"))
            + tlv(0x5F19, b"UTOPIA")
            + tlv(0x5F26, b"20120415"),
        ),
        "ef_com_plain_read": bac["read1_data"] + bac["read2_data"],
    }
    c["doc_dg2"] = {
        "facial_record_19794": d("gmrtd", "ISO19794_Test1_Data.bin"),
        "dg2_39794_jpeg2000": d("gmrtd", "ICAO_39794_5_AP_DG2_MandFields.dat"),
        "dg2_19794_jpeg2000": d("jmrtd-loes2006", "ef0102.bin"),
    }
    c["doc_mrz"] = {
        "dg1_bsi2008": d("jmrtd-bsi2008", "Datagroup1.bin"),
        "dg1_loes2006": d("jmrtd-loes2006", "ef0101.bin"),
        "td3_lines": "\n".join(TD3).encode(),
        "td1_lines": "\n".join(TD1).encode(),
        "td2_lines": "\n".join(TD2).encode(),
        "td3_concatenated": td3,
        "td1_concatenated": td1,
    }
    sm = {}
    for sel_cipher, cipher in enumerate(["tdes", "aes128", "aes192", "aes256"]):
        for mode in range(3):
            sel = bytes([mode << 2 | sel_cipher])
            for name in ("select_protected", "read2_protected", "read2_response", "read2_plain"):
                if cipher == "tdes" or mode == 0:
                    sm[f"{cipher}_m{mode}_{name}"] = sel + bac[name]
    c["doc_sm_unwrap"] = sm
    c["doc_secinfo"] = {
        "ef_cardaccess_bsi_worked_example": d("vsmartcard-npa-ecdh", "ef_cardaccess"),
        "ef_cardsecurity_bsi_worked_example": d("vsmartcard-npa-ecdh", "ef_cardsecurity"),
        "dg14_bsi2008": d("jmrtd-bsi2008", "Datagroup14.bin"),
        "dg14_dh_sample": d("jmrtd-misc", "spec_sample_encoded_dg14.bin"),
    }
    c["doc_sod_cms"] = {
        "ef_sod_bsi2008_ecdsa": d("jmrtd-bsi2008", "EF_SOD.bin"),
        "ef_sod_loes2006_rsa": d("jmrtd-loes2006", "ef011D.bin"),
        "ef_sod_nz2013_ber": d("jmrtd-misc", "NZ2013_EF_SOD.BIN"),
        "csca_de": d("gmrtd", "DE_ROOT_CA_CSCA07.cer"),
        "csca_nl": d("gmrtd", "NL_ROOT_CA.cer"),
        "ef_cardsecurity": d("vsmartcard-npa-ecdh", "ef_cardsecurity"),
    }
    # Requests of the default door map (unit 1): the poll reads and the writes the adapter sends.
    polls = [
        rtu(1, bytes.fromhex("0100000007")),  # read coils 0..7
        rtu(1, bytes.fromhex("020000000C")),  # read discrete inputs 0..12
        rtu(1, bytes.fromhex("0300000001")),  # read holding register 0
        rtu(1, bytes.fromhex("0400000002")),  # read input registers 0..2
    ]
    writes = [
        rtu(1, bytes.fromhex("050000FF00")),  # write single coil 0 on
        rtu(1, bytes.fromhex("0500010000")),  # write single coil 1 off
        rtu(1, bytes.fromhex("0600000001")),  # write single register 0
        rtu(1, bytes.fromhex("0F0000000701 05")),  # write multiple coils
        rtu(2, bytes.fromhex("0100000007")),  # another unit: no answer
        rtu(1, bytes.fromhex("2B0E0100")),  # unsupported function: exception
    ]
    c["hw_rtu_request"] = {
        "polls_whole": bytes([63]) + b"".join(polls),
        "polls_split_3": bytes([2]) + b"".join(polls),
        "writes_whole": bytes([63]) + b"".join(writes),
        "writes_split_1": bytes([0]) + b"".join(writes),
    }
    scanner_td3 = b"\x02" + b"\r\n".join(s.encode() for s in TD3) + b"\r\n\x03"
    scanner_td1 = b"\r\n".join(s.encode() for s in TD1) + b"\r\n"
    c["hw_mrz_scanner"] = {
        "td3_framed_whole": bytes([31]) + scanner_td3,
        "td3_framed_split_5": bytes([4]) + scanner_td3,
        "td1_noise_first": bytes([7]) + b"\xff\x00noise\r\n" + scanner_td1,
        "td2_torn": bytes([9]) + "\r\n".join(TD2).encode()[:50],
    }
    c["borderdb_parsers"] = {
        "list_file": b"# lost and stolen\nUTO L898902C3\n\nD C01X00T47\n",
        "list_file_loose": b"uto\tl898902c3<<   # reported 2025-05-01\r\nd<< c01x00t47\r\n",
        "list_file_bad_line": b"UTO C01X00T47\nUTO L898902C3 oops\n",
        "answer_hit": b'{"hit": true}',
        "answer_clear_version": b'{"hit": false, "list_version": "2025-06-01"}',
        "query_fields": b"P|UTO|L898902C3|UTO",
    }
    # Two configuration bytes, then (opcode, argument, time step) triplets (see the target).
    def seq(b0, b1, ops):
        return bytes([b0, b1]) + b"".join(bytes(op) for op in ops)

    c["gate_sequences"] = {
        "one_step_passage": seq(0x00, 0, [(9, 0, 1), (11, 0xFF, 1), (13, 0xFF, 1), (14, 0xFF, 1),
                                          (0, 1, 1), (0, 0, 1), (2, 1, 1), (2, 0, 1), (22, 0, 4)]),
        "two_step_officer": seq(0x0F, 40, [(19, 3, 1), (9, 0, 1), (11, 0x80, 2), (20, 0, 1),
                                           (22, 0, 255), (8, 1, 1), (8, 0, 1)]),
        "alarms": seq(0x30, 7, [(8, 1, 1), (8, 3, 1), (8, 5, 1), (8, 0, 1), (8, 2, 1), (23, 0xFF, 0)]),
        # Overlap on (bit 7): the second traveller is read while the first is in the face
        # step, then let in once the exit has closed behind the first.
        "two_step_overlap": seq(0x81, 0, [
            (0, 0, 1), (0, 2, 1), (0, 4, 1),  # zones A, B, C clear
            (0, 1, 1), (9, 0, 1), (11, 0xE7, 1),  # A occupied, document, eligible chip
            (0, 3, 1), (0, 0, 1), (6, 1, 1),  # into the mantrap, entry closed
            (0, 1, 1), (9, 0, 1), (11, 0xE7, 1),  # the next one at the entry, read
            (14, 0xE4, 1),  # the first one's face matches
            (0, 5, 1), (0, 2, 1), (0, 4, 1), (6, 3, 1),  # out through the exit, exit closed
            (0, 3, 1), (0, 0, 1), (6, 1, 1), (14, 0xE4, 1),  # the second in, face matches
            (0, 5, 1), (0, 2, 1), (0, 4, 1), (6, 3, 1),
        ]),
    }
    # Method index (GET 0, POST 1, PUT 2, DELETE 3, HEAD 4), credential bits (1 cookie, 2 CSRF,
    # 4 bearer, 8 client certificate, 16 JSON content type), the path, "\n", the body.
    def request(method, creds, path, body=b""):
        return bytes([method, creds]) + path.encode() + b"\n" + body

    signed = (b'{"assertion":"eyJvZmZpY2VyIjoib2xnYSJ9","scheme":"ecdsa_p256_sha256",'
              b'"signature":"MEUCIQ=="}')
    c["console_requests"] = {
        "gates": request(0, 1, "/api/gates"),
        "gate": request(0, 1, "/api/gates/g1"),
        "refer_comment": request(1, 19, "/api/gates/g1/commands/refer", b'{"comment":"seen\u202e"}'),
        "reset_empty": request(1, 3, "/api/gates/g2/commands/reset"),
        "command_no_csrf": request(1, 17, "/api/gates/g1/commands/lane_close", b"{}"),
        "ack": request(1, 19, "/api/alarms/1/ack", b'{"comment":"checked"}'),
        "photo": request(0, 1, "/api/gates/g1/photo/live"),
        "stats": request(0, 1, "/api/stats?gate=g1"),
        "session": request(0, 1, "/api/session"),
        "openapi": request(0, 0, "/api/openapi.json"),
        "gate_api_gates": request(0, 4, "/gate-api/v1/gates"),
        "gate_api_command": request(1, 28, "/gate-api/v1/gates/g1/commands", signed),
        "gate_api_command_no_cert": request(1, 20, "/gate-api/v1/gates/g1/commands", signed),
        "gate_api_photo": request(0, 4, "/gate-api/v1/gates/g1/photo/chip"),
        "logout": request(1, 3, "/api/logout"),
        # An error answer to HEAD has no content (RFC 9110 §9.3.2), only a JSON content type.
        "head_unauthorized": request(4, 1, "/api/gates"),
    }
    config = TOP / "config"
    c["config_file"] = {
        "default": (config / "egate.toml").read_bytes(),
        "devices": (config / "devices.toml").read_bytes(),
        "sim_console": b'[sim]\ngates = 2\npattern = ["genuine"]\n\n[console]\nlisten = "127.0.0.1:0"\n'
                       b'gate_api_token_file = "/etc/egate/t"\ngate_api_client_ca_file = "/etc/egate/ca.pem"\n',
        "typo_and_range": b'[console]\nlisen = "x"\nsession_idle_s = 5\n[borderdb]\nmode = "sometimes"\n',
        "not_toml": b'[console\nlisten = \n',
    }
    scenarios = TOP / "acceptance" / "scenarios"
    c["scenario_file"] = {
        "one_step": (scenarios / "one-step.toml").read_bytes(),
        "soak": (scenarios / "soak.toml").read_bytes(),
        "thousand_four_gates": (scenarios / "thousand-four-gates.toml").read_bytes(),
        "mix_over_100": b'seed = 1\n[gates]\ncount = 1\n[travellers]\ncount = 10\n'
                        b'[travellers.mix]\nimpostor = 80\nforged = 40\n',
        "typo": b'seed = 1\n[gates]\ncuont = 2\n',
        "not_toml": b'[travellers\ncount = \n',
    }
    return c


def main() -> None:
    for target, files in corpora().items():
        out = OUT / target
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for name, data in files.items():
            (out / name).write_bytes(data)
        print(f"{target}: {len(files)} seeds, {sum(map(len, files.values()))} bytes")


if __name__ == "__main__":
    main()
