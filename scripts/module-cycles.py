#!/usr/bin/env python3
"""Import cycles between the top-level modules of one Rust crate.

Usage: scripts/module-cycles.py CRATE/src

A top-level module is a file `src/NAME.rs` together with its directory `src/NAME/` (a file and
its submodules count as one module). Module A depends on module B when any of A's files names a
`crate::B...` path, in a `use` statement (groups such as `use crate::{b::X, c}` included) or in
code. Comments, string and char literals are ignored, and so are `super::` paths, which never
leave a top-level module unless they climb to the crate root.

Prints each elementary cycle, with the first line on which every edge of it is written, and
exits 1 when there is one; prints "no cycles" and exits 0 otherwise.
"""

import os
import re
import sys

MAX_CYCLES = 200


def strip_code(text):
    """Blanks comments, strings and char literals, keeping line breaks (so lines still count)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not (
            i and (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append("\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append("\n" * text.count("\n", i, j + 1))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F}'), not a lifetime ('a).
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def group_heads(text, start):
    """Top-level first segments of the `{...}` group opening at text[start]."""
    depth, i, heads, token = 0, start, [], ""
    expecting = True
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
            expecting = depth == 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and c == ",":
            expecting = True
        elif depth == 1 and expecting and (c.isalnum() or c == "_"):
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            token = text[i:j]
            heads.append(token)
            expecting = False
            i = j
            continue
        i += 1
    return heads


def crate_modules(src):
    mods = {}
    for entry in sorted(os.listdir(src)):
        path = os.path.join(src, entry)
        if entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            mods.setdefault(entry[:-3], []).append(path)
        elif os.path.isdir(path) and entry != "bin":
            for root, _, files in os.walk(path):
                for f in sorted(files):
                    if f.endswith(".rs"):
                        mods.setdefault(entry, []).append(os.path.join(root, f))
    return mods


def edges_of(mods, src):
    edges = {m: {} for m in mods}
    for m, files in mods.items():
        for path in files:
            with open(path, encoding="utf-8") as fh:
                text = strip_code(fh.read())
            for hit in re.finditer(r"(?<![\w$])crate\s*::\s*", text):
                line = text.count("\n", 0, hit.start()) + 1
                rest = hit.end()
                if text.startswith("{", rest):
                    targets = group_heads(text, rest)
                else:
                    t = re.match(r"\w+", text[rest:])
                    targets = [t.group(0)] if t else []
                for t in targets:
                    if t in mods and t != m and t not in edges[m]:
                        edges[m][t] = f"{os.path.relpath(path, src)}:{line}"
    return edges


def cycles(edges):
    """Elementary cycles, each once, starting from its smallest module name."""
    found = []
    nodes = sorted(edges)
    for start in nodes:
        stack = [(start, [start])]
        while stack and len(found) < MAX_CYCLES:
            node, path = stack.pop()
            for nxt in sorted(edges[node], reverse=True):
                if nxt == start:
                    found.append(path + [start])
                elif nxt > start and nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return found


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    src = sys.argv[1]
    edges = edges_of(crate_modules(src), src)
    found = cycles(edges)
    if not found:
        print(f"{src}: no cycles")
        return 0
    for cyc in found:
        where = ", ".join(
            f"{a}->{b} at {edges[a][b]}" for a, b in zip(cyc, cyc[1:])
        )
        print(f"cycle: {' -> '.join(cyc)}   ({where})")
    more = " (listing stopped there)" if len(found) >= MAX_CYCLES else ""
    print(f"{src}: {len(found)} cycle(s){more}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
