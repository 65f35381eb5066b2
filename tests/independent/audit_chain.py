#!/usr/bin/env python3
"""A second verifier of egate's audit trail, written from the format description alone.

Usage: audit_chain.py TRAIL KEYFILE [CHECKPOINTS]
                              exit 0 and "ok N records, C checkpoints" if the chain (and every
                              checkpoint of this trail in CHECKPOINTS) holds,
                              exit 1 and "broken at line L: why" at the first break in the
                              trail, or "checkpoint line L: why" at the first checkpoint that
                              fails, exit 2 if a file cannot be read.

Python standard library only. Written from docs/audit-trail.md ("Record format",
"Checkpoint format"):

    {"seq":N,"ts_ms":T,"gate":G,"kind":K,"data":{...},"prev":P,"mac":M}\n
    M = HMAC-SHA-256 under the key in mac_key_file, of the line's bytes from the opening {
    up to and including the closing quote of P (everything before ,"mac":"), as 64
    lower-case hex digits. P = the previous line's M; 64 zeros on the first line. seq from 0,
    one up per line; gate the same on every line; data an object.

    {"gate":G,"seq":S,"mac":M,"ts_ms":T,"cmac":C}
    record S of gate G's trail has MAC M; C = HMAC-SHA-256 under the same key of
    b"egate audit checkpoint\n" followed by the bytes before ,"cmac":".

Checkpoints may sit inside log lines (journalctl -o cat): the object is looked for within
each line, from {"gate": to the end of its cmac member.
"""

import hashlib
import hmac
import json
import re
import sys

GENESIS = "0" * 64
MAC_FIELD = ',"mac":"'
CMAC_FIELD = ',"cmac":"'
FIELDS = ["seq", "ts_ms", "gate", "kind", "data", "prev", "mac"]
CP_FIELDS = ["gate", "seq", "mac", "ts_ms", "cmac"]
CP_DOMAIN = b"egate audit checkpoint\n"
CHECKPOINT = re.compile(r'\{"gate":.*?,"cmac":"[0-9a-f]{64}"\}')


class Broken(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise Broken("a key appears twice in one object")
    return dict(pairs)


def mac(key, *parts):
    h = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        h.update(p)
    return h.hexdigest()


def check_line(raw, key, expected_seq, prev, gate):
    """Checks one line (without its newline); returns (its MAC, its gate)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Broken("not UTF-8")
    # M is the last member, so the record ends with ,"mac":"<M>"}.
    cut = text.rfind(MAC_FIELD)
    if cut < 0:
        raise Broken("no mac field")
    body, tail = text[:cut], text[cut + len(MAC_FIELD):]
    if not tail.endswith('"}'):
        raise Broken("the mac is not the record's last member")
    claimed = tail[:-2]
    actual = mac(key, body.encode("utf-8"))
    if not hmac.compare_digest(claimed, actual):
        raise Broken(f"mac {claimed!r} is not the HMAC of the record under the key")
    try:
        record = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise Broken(f"not JSON: {e}")
    if not isinstance(record, dict) or list(record) != FIELDS:
        raise Broken(f"members are {list(record) if isinstance(record, dict) else record!r}, not {FIELDS}")
    if record["mac"] != actual:
        raise Broken("the parsed mac member is not the one that was checked")
    if record["prev"] != prev:
        raise Broken(f"prev {record['prev']!r} is not the previous record's mac {prev!r}")
    seq = record["seq"]
    if type(seq) is not int or seq != expected_seq:
        raise Broken(f"seq {seq!r}, expected {expected_seq}")
    if type(record["ts_ms"]) is not int or record["ts_ms"] < 0:
        raise Broken("ts_ms is not a non-negative integer")
    if not isinstance(record["gate"], str) or not isinstance(record["kind"], str):
        raise Broken("gate and kind are not strings")
    if gate is not None and record["gate"] != gate:
        raise Broken(f"gate {record['gate']!r} in a trail of {gate!r}")
    if not isinstance(record["data"], dict):
        raise Broken("data is not an object")
    return actual, record["gate"]


def verify(data, key):
    """Returns (macs, gate, None) for an intact chain, else (macs before, gate, (line, why))."""
    prev, gate, macs = GENESIS, None, []
    lines = data.split(b"\n")
    # A final newline leaves one empty piece; anything else there is a torn line.
    last = lines.pop()
    for i, raw in enumerate(lines):
        try:
            prev, gate = check_line(raw, key, i, prev, gate)
        except Broken as e:
            return macs, gate, (i + 1, str(e))
        macs.append(prev)
    if last:
        return macs, gate, (len(lines) + 1, "the last line has no newline (torn write)")
    return macs, gate, None


def check_checkpoints(text, key, macs, gate):
    """Returns (checkpoints of this trail that hold, None) or (n, (line, why))."""
    held = 0
    for i, line in enumerate(text.split("\n")):
        m = CHECKPOINT.search(line)
        if not m:
            continue
        cp = m.group(0)
        cut = cp.rfind(CMAC_FIELD)
        body, claimed = cp[:cut], cp[cut + len(CMAC_FIELD):-2]
        if not hmac.compare_digest(claimed, mac(key, CP_DOMAIN, body.encode("utf-8"))):
            return held, (i + 1, "cmac is not the HMAC of the checkpoint under the key")
        try:
            c = json.loads(cp, object_pairs_hook=no_duplicates)
        except (json.JSONDecodeError, Broken) as e:
            return held, (i + 1, f"not JSON: {e}")
        if list(c) != CP_FIELDS:
            return held, (i + 1, f"members are {list(c)}, not {CP_FIELDS}")
        if gate is not None and c["gate"] != gate:
            continue
        s = c["seq"]
        if type(s) is not int or s < 0 or s >= len(macs):
            return held, (i + 1, f"names record {s}, but the trail has {len(macs)}: its tail was cut")
        if c["mac"] != macs[s]:
            return held, (i + 1, f"record {s} is not the one checkpointed: the trail was rewritten")
        held += 1
    return held, None


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
        with open(argv[2], "rb") as f:
            key = f.read()
        cps = None
        if len(argv) == 4:
            with open(argv[3], "rb") as f:
                cps = f.read().decode("utf-8", "replace")
    except OSError as e:
        print(f"cannot read: {e}", file=sys.stderr)
        return 2
    macs, gate, broken = verify(data, key)
    if broken is not None:
        line, why = broken
        print(f"broken at line {line}: {why}")
        return 1
    held = 0
    if cps is not None:
        held, bad = check_checkpoints(cps, key, macs, gate)
        if bad is not None:
            line, why = bad
            print(f"checkpoint line {line}: {why}")
            return 1
    print(f"ok {len(macs)} records, {held} checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
