#!/usr/bin/env python3
"""An Active Authentication verifier this project did not write the cryptography of.

    aa_check.py verify DG15 CHALLENGE SIGNATURE [DG14]
        exit 0 and "ok ..." when SIGNATURE is the chip's valid AA signature over the 8-byte
        CHALLENGE under DG15's public key, exit 1 and "invalid: why" otherwise (files hold
        raw bytes; DG14 names the ECDSA hash and is needed for EC keys only).
    aa_check.py rsa-key DIR
        writes a fresh RSA-2048 key for a test chip: DIR/rsa_spki.der (SubjectPublicKeyInfo),
        DIR/rsa_n.hex and DIR/rsa_d.hex (modulus and private exponent, big-endian hex).

The RSA arithmetic and the ECDSA verification are the `cryptography` package's (pinned in
scripts/requirements-test.txt); only the ISO/IEC 9796-2 message recovery, which that package
does not offer, is spelled out here, from the standard and ICAO Doc 9303.

ICAO Doc 9303-11 §6.1 (Active Authentication), paraphrased: the inspection system sends an
8-byte random challenge RND.IFD in INTERNAL AUTHENTICATE; the chip signs it with the private
key whose public key is in DG15. With RSA the chip uses ISO/IEC 9796-2 Digital Signature
scheme 1 (partial message recovery): the message is M = M1 || M2 where M2 = RND.IFD is the
non-recoverable part and M1 a chip nonce that is recovered from the signature; the signed
representative is F = header '6A' || M1 || H(M1 || M2) || trailer, the trailer 'BC' for SHA-1
(implicit) or 'xx CC' naming the hash (ISO/IEC 10118-3 identifier xx). With ECDSA the
signature is in the plain format of BSI TR-03111 (r || s, each as long as the group order),
and DG14 holds ActiveAuthenticationInfo (id-AA 2.23.136.1.1.5) naming the signature
algorithm (ecdsa-plain-SHAx, 0.4.0.127.0.7.1.1.4.1.n).
"""

import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ID_AA = "2.23.136.1.1.5"
# BSI TR-03111 §5.2.1.1 ecdsa-plain-signatures 0.4.0.127.0.7.1.1.4.1 . n
ECDSA_PLAIN = {
    "0.4.0.127.0.7.1.1.4.1.1": hashes.SHA1,
    "0.4.0.127.0.7.1.1.4.1.2": hashes.SHA224,
    "0.4.0.127.0.7.1.1.4.1.3": hashes.SHA256,
    "0.4.0.127.0.7.1.1.4.1.4": hashes.SHA384,
    "0.4.0.127.0.7.1.1.4.1.5": hashes.SHA512,
}
# ISO/IEC 10118-3 hash-function identifiers, as used in the 9796-2 trailer 'xx CC'.
TRAILER_HASH = {
    0x33: hashes.SHA1,
    0x34: hashes.SHA256,
    0x35: hashes.SHA512,
    0x36: hashes.SHA384,
    0x38: hashes.SHA224,
}


class Invalid(Exception):
    pass


def der_items(data):
    """The TLVs of a DER string at one level: (tag, value) pairs (tags below 0x1F only)."""
    items, i = [], 0
    while i < len(data):
        tag = data[i]
        if tag & 0x1F == 0x1F:
            raise Invalid("multi-byte DER tag")
        length = data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            if n == 0 or n > 3:
                raise Invalid("bad DER length")
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        if i + length > len(data):
            raise Invalid("DER value overruns its container")
        items.append((tag, data[i:i + length]))
        i += length
    return items


def oid_text(value):
    first = value[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    acc = 0
    for b in value[1:]:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    return ".".join(map(str, arcs))


def unwrap(data, tag, what):
    items = der_items(data)
    if len(items) != 1 or items[0][0] != tag:
        raise Invalid(f"{what} is not one TLV with tag {tag:02X}")
    return items[0][1]


def aa_hash_from_dg14(dg14):
    """The hash named by DG14's ActiveAuthenticationInfo (ICAO 9303-11 §9.2.7)."""
    infos = unwrap(unwrap(dg14, 0x6E, "DG14"), 0x31, "DG14 SecurityInfos")
    for tag, info in der_items(infos):
        if tag != 0x30:
            continue
        fields = der_items(info)
        if fields and fields[0][0] == 0x06 and oid_text(fields[0][1]) == ID_AA:
            oids = [oid_text(v) for t, v in fields[1:] if t == 0x06]
            if len(oids) != 1 or oids[0] not in ECDSA_PLAIN:
                raise Invalid(f"ActiveAuthenticationInfo names {oids}, no ecdsa-plain hash")
            return ECDSA_PLAIN[oids[0]]()
    raise Invalid("DG14 has no ActiveAuthenticationInfo")


def digest(algorithm, data):
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def verify_rsa_9796_2(key, challenge, signature):
    """ISO/IEC 9796-2 scheme 1 signature opening and message recovery."""
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        raise Invalid(f"signature is {len(signature)} bytes, the modulus {k}")
    s = int.from_bytes(signature, "big")
    if s >= n:
        raise Invalid("signature is not below the modulus")
    j = pow(s, e, n)
    # 9796-2 signature opening: the representative ends in nibble C; a signer that sent
    # min(F^d, n - F^d) leaves n - F here.
    f = j if j & 0xF == 0xC else n - j
    if f & 0xF != 0xC:
        raise Invalid("opened signature does not end in nibble C")
    fb = f.to_bytes(k, "big")
    if n.bit_length() % 8 != 0:
        raise Invalid("modulus length is not a whole number of bytes (not handled here)")
    if fb[0] != 0x6A:
        raise Invalid(f"header {fb[0]:02X}, not 6A (scheme 1, partial recovery)")
    if fb[-1] == 0xBC:
        algorithm, t = hashes.SHA1(), 1
    elif fb[-1] == 0xCC and fb[-2] in TRAILER_HASH:
        algorithm, t = TRAILER_HASH[fb[-2]](), 2
    else:
        raise Invalid(f"trailer {fb[-2]:02X}{fb[-1]:02X} is neither BC nor a known xxCC")
    hlen = algorithm.digest_size
    m1 = fb[1:k - t - hlen]
    h = fb[k - t - hlen:k - t]
    if len(m1) == 0:
        raise Invalid("no recoverable part M1")
    if digest(algorithm, m1 + challenge) != h:
        raise Invalid("H(M1 || challenge) does not match the recovered hash")
    return f"rsa iso9796-2 scheme 1, {algorithm.name}, M1 {len(m1)} bytes"


def verify_ecdsa_plain(key, challenge, signature, dg14):
    if dg14 is None:
        raise Invalid("an EC key needs DG14 to name the hash")
    algorithm = aa_hash_from_dg14(dg14)
    order_len = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * order_len:
        raise Invalid(f"plain signature is {len(signature)} bytes, not 2 x {order_len}")
    r = int.from_bytes(signature[:order_len], "big")
    s = int.from_bytes(signature[order_len:], "big")
    try:
        key.verify(encode_dss_signature(r, s), challenge, ec.ECDSA(algorithm))
    except InvalidSignature:
        raise Invalid("ECDSA signature does not verify")
    return f"ecdsa plain, {key.curve.name}, {algorithm.name}"


def verify(dg15, challenge, signature, dg14):
    if len(challenge) != 8:
        raise Invalid("the challenge is not 8 bytes")
    spki = unwrap(dg15, 0x6F, "DG15")
    key = serialization.load_der_public_key(spki)
    if isinstance(key, rsa.RSAPublicKey):
        return verify_rsa_9796_2(key, challenge, signature)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return verify_ecdsa_plain(key, challenge, signature, dg14)
    raise Invalid(f"unsupported key type {type(key).__name__}")


def rsa_key(out):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    numbers = key.private_numbers()
    with open(os.path.join(out, "rsa_spki.der"), "wb") as f:
        f.write(spki)
    with open(os.path.join(out, "rsa_n.hex"), "w") as f:
        f.write(f"{numbers.public_numbers.n:x}")
    with open(os.path.join(out, "rsa_d.hex"), "w") as f:
        f.write(f"{numbers.d:x}")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    if len(argv) == 3 and argv[1] == "rsa-key":
        rsa_key(argv[2])
        return 0
    if argv[1:2] == ["verify"] and len(argv) in (5, 6):
        dg14 = read(argv[5]) if len(argv) == 6 else None
        try:
            what = verify(read(argv[2]), read(argv[3]), read(argv[4]), dg14)
        except (Invalid, ValueError) as e:
            print(f"invalid: {e}")
            return 1
        print(f"ok {what}")
        return 0
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
