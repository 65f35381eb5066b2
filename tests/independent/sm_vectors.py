#!/usr/bin/env python3
"""Reader-side AES secure-messaging vectors, computed with the `cryptography` package.

    sm_vectors.py OUT.json

Writes the protected form of a READ BINARY with odd INS (B1, offset in DO'54', extended
length Le) and the protected forms of its response, for fixed session keys and SSC. The
vectors are committed beside this script (tests/independent/sm_vectors.json); the Rust test
document/tests/sm_independent.rs checks that the document crate's secure messaging produces
and accepts exactly these bytes. Rerunning the script must reproduce the file byte for byte
(nothing here is random).

Written from ICAO Doc 9303-11 §9.8 (secure messaging) and ISO/IEC 7816-4, paraphrased:
  - the send sequence counter SSC is incremented before each command and each response;
  - AES: the IV is E(KSenc, SSC) (AES-ECB of the SSC, a block of 16 bytes); data are padded
    with ISO/IEC 9797-1 padding method 2 ('80' then '00's to a whole block) and encrypted
    with AES-CBC under KSenc;
  - an even INS carries the cryptogram in DO'87' after the padding-content indicator '01';
    an odd INS (BER-TLV data such as DO'54') carries it in DO'85' without the indicator;
  - Le goes into DO'97' (two bytes for an extended Le); the command header gets CLA '0C';
  - the MAC is AES-CMAC under KSmac over SSC || pad(header) || DO'85'/'87' || DO'97',
    padded with method 2, truncated to 8 bytes, in DO'8E';
  - the protected command has Le '00' ('00 00' with extended length);
  - the response is DO'87' (or DO'85') || DO'99' (the status word) || DO'8E', the MAC over
    SSC || DO'87' || DO'99' padded, the response's own SW '90 00'.
"""

import json
import sys

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16


def pad(data):
    """ISO/IEC 9797-1 padding method 2."""
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % BLOCK)


def inc(ssc):
    return ((int.from_bytes(ssc, "big") + 1) % (1 << 128)).to_bytes(BLOCK, "big")


def ecb(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def cbc(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def mac(key, data):
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:8]


def tlv(tag, value):
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + value


def extended_apdu(header, data, ne):
    """ISO/IEC 7816-4 §5.1 case 4 extended: Lc '00' + 2 bytes, data, Le 2 bytes (0000 = 65536)."""
    return header + b"\x00" + len(data).to_bytes(2, "big") + data + (ne % 65536).to_bytes(2, "big")


def protect_command(ks_enc, ks_mac, ssc, header, data, ne):
    ssc = inc(ssc)
    iv = ecb(ks_enc, ssc)
    cryptogram = cbc(ks_enc, iv, pad(data))
    odd = header[1] & 1 == 1
    do_data = tlv(0x85, cryptogram) if odd else tlv(0x87, b"\x01" + cryptogram)
    do97 = tlv(0x97, (ne % 65536).to_bytes(2, "big"))
    protected_header = bytes([header[0] | 0x0C]) + header[1:]
    cc = mac(ks_mac, pad(ssc + pad(protected_header) + do_data + do97))
    body = do_data + do97 + tlv(0x8E, cc)
    return ssc, protected_header + b"\x00" + len(body).to_bytes(2, "big") + body + b"\x00\x00"


def protect_response(ks_enc, ks_mac, ssc, data, sw, tag):
    ssc = inc(ssc)
    iv = ecb(ks_enc, ssc)
    cryptogram = cbc(ks_enc, iv, pad(data))
    do_data = tlv(0x87, b"\x01" + cryptogram) if tag == 0x87 else tlv(0x85, cryptogram)
    do99 = tlv(0x99, sw)
    cc = mac(ks_mac, pad(ssc + do_data + do99))
    return ssc, do_data + do99 + tlv(0x8E, cc) + b"\x90\x00"


def main(out):
    ks_enc = bytes.fromhex("2F7F46ADCC9E7E521B45D192FAFA9126")
    ks_mac = bytes.fromhex("805A1D27D45A5116F73C54469462B7D8")
    ssc = bytes.fromhex("000000000000000000000000000000FE")  # carries into the next byte
    # READ BINARY, odd INS: P1 P2 '00 00' (no SFI), the offset 32768 in DO'54' (beyond the
    # 15 bits an even READ BINARY's P1-P2 holds), Ne 1024 as an extended Le.
    header = bytes([0x00, 0xB1, 0x00, 0x00])
    offset_do = tlv(0x54, (32768).to_bytes(2, "big"))
    ne = 1024
    plain_command = extended_apdu(header, offset_do, ne)
    ssc_command, protected_command = protect_command(ks_enc, ks_mac, ssc, header, offset_do, ne)
    # The chip's answer: the file bytes in DO'53' (ISO/IEC 7816-4 §11.3.3), status 9000.
    content = bytes((i * 7 + 3) % 256 for i in range(300))
    response_data = tlv(0x53, content)
    sw = b"\x90\x00"
    responses = {}
    for tag in (0x87, 0x85):
        ssc_response, protected = protect_response(
            ks_enc, ks_mac, ssc_command, response_data, sw, tag
        )
        responses[f"protected_response_do{tag:02x}"] = protected.hex()
    vectors = {
        "about": "AES-128 secure messaging (ICAO 9303-11 §9.8) of READ BINARY odd INS with an "
                 "extended Le, computed by tests/independent/sm_vectors.py with the Python "
                 "cryptography package",
        "ks_enc": ks_enc.hex(),
        "ks_mac": ks_mac.hex(),
        "ssc_before": ssc.hex(),
        "plain_command": plain_command.hex(),
        "ssc_command": ssc_command.hex(),
        "protected_command": protected_command.hex(),
        "ssc_response": ssc_response.hex(),
        "response_data": response_data.hex(),
        "response_sw": sw.hex(),
        **responses,
    }
    # Flat: one string member per line, so the Rust test reads it without a JSON library.
    with open(out, "w") as f:
        json.dump(vectors, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
