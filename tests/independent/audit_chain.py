#!/usr/bin/env python3
"""A second verifier of egate's audit trail, written from the format description alone.

Usage: audit_chain.py TRAIL   exit 0 and "ok N records" if the chain is intact,
                              exit 1 and "broken at line L: why" at the first break,
                              exit 2 if the file cannot be read.

Python standard library only. Written from the README ("Audit trail": append-only JSON
lines, each carrying the SHA-256 of the previous one) and the audit module's doc comment:

    Each line is one record,
    {"seq":N,"ts_ms":T,"gate":G,"kind":K,"data":{..},"prev":P,"hash":H}
    where H = SHA-256(the line's bytes up to ,"hash") and P is the previous record's H
    (64 zeros for the first). The hash covers the exact bytes written, so verifying needs
    no canonical JSON. [...] A line torn by a crash (no final newline) was never
    acknowledged.

Three points the description leaves open were settled by reading the writer's code
(AuditLog::append), and only those:
  - "up to ,"hash"" excludes the `,"hash"` itself: the hashed bytes end with the closing
    quote of the prev value;
  - H is written as 64 lowercase hex digits;
  - seq counts the records from 0, one up per line.
Everything else (field order, where H sits, the newline, the genesis value) is taken
from the description as written, and checked strictly.
"""

import hashlib
import json
import sys

GENESIS = "0" * 64
HASH_FIELD = ',"hash":"'
FIELDS = ["seq", "ts_ms", "gate", "kind", "data", "prev", "hash"]


class Broken(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise Broken("a key appears twice in one object")
    return dict(pairs)


def check_line(raw, expected_seq, prev):
    """Checks one line (without its newline); returns its hash."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Broken("not UTF-8")
    # H is the last member, so the record ends with ,"hash":"<H>"}.
    cut = text.rfind(HASH_FIELD)
    if cut < 0:
        raise Broken("no hash field")
    body, tail = text[:cut], text[cut + len(HASH_FIELD):]
    if not tail.endswith('"}'):
        raise Broken("the hash is not the record's last member")
    claimed = tail[:-2]
    actual = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if claimed != actual:
        raise Broken(f"hash {claimed!r} is not SHA-256 of the record ({actual})")
    try:
        record = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise Broken(f"not JSON: {e}")
    if not isinstance(record, dict) or list(record) != FIELDS:
        raise Broken(f"members are {list(record) if isinstance(record, dict) else record!r}, not {FIELDS}")
    if record["hash"] != actual:
        raise Broken("the parsed hash member is not the one that was checked")
    if record["prev"] != prev:
        raise Broken(f"prev {record['prev']!r} is not the previous record's hash {prev!r}")
    seq = record["seq"]
    if type(seq) is not int or seq != expected_seq:
        raise Broken(f"seq {seq!r}, expected {expected_seq}")
    if type(record["ts_ms"]) is not int or record["ts_ms"] < 0:
        raise Broken("ts_ms is not a non-negative integer")
    if not isinstance(record["gate"], str) or not isinstance(record["kind"], str):
        raise Broken("gate and kind are not strings")
    if not isinstance(record["data"], dict):
        raise Broken("data is not an object")
    return actual


def verify(data):
    """Returns (records, None) for an intact chain, else (records before, (line, why))."""
    prev = GENESIS
    lines = data.split(b"\n")
    # A final newline leaves one empty piece; anything else there is a torn line.
    last = lines.pop()
    for i, raw in enumerate(lines):
        try:
            prev = check_line(raw, i, prev)
        except Broken as e:
            return i, (i + 1, str(e))
    if last:
        return len(lines), (len(lines) + 1, "the last line has no newline (torn write)")
    return len(lines), None


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"cannot read {argv[1]}: {e}", file=sys.stderr)
        return 2
    records, broken = verify(data)
    if broken is None:
        print(f"ok {records} records")
        return 0
    line, why = broken
    print(f"broken at line {line}: {why}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
