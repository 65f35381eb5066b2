#!/usr/bin/env python3
"""Reads a JUnit XML report with junitparser, a reader egate did not write, as a CI server would.

Usage: junit_check.py REPORT.xml

Prints one JSON object: the totals junitparser computes from the test cases themselves
({"suites", "tests", "failures", "errors", "skipped"}), the totals the file's own attributes
claim for each suite, and each case as {"suite", "classname", "name", "result"} with result
"passed", "failure", "error" or "skipped". A file junitparser cannot read exits 1 with the
reason.
"""

import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped


def result_of(case) -> str:
    kinds = {type(r) for r in case.result}
    if Failure in kinds:
        return "failure"
    if Error in kinds:
        return "error"
    if Skipped in kinds:
        return "skipped"
    return "passed"


def main() -> int:
    try:
        xml = JUnitXml.fromfile(sys.argv[1])
    except Exception as e:  # any parse error is the answer
        print(f"junitparser cannot read {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
    cases = []
    claimed = []
    for s in suites:
        claimed.append({"name": s.name, "tests": s.tests, "failures": s.failures,
                        "errors": s.errors, "skipped": s.skipped})
        for c in s:
            cases.append({"suite": s.name, "classname": c.classname, "name": c.name,
                          "result": result_of(c)})
    counted = {
        "suites": len(suites),
        "tests": len(cases),
        "failures": sum(c["result"] == "failure" for c in cases),
        "errors": sum(c["result"] == "error" for c in cases),
        "skipped": sum(c["result"] == "skipped" for c in cases),
    }
    json.dump({"counted": counted, "claimed": claimed, "cases": cases}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
