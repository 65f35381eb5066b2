#!/usr/bin/env python3
"""Runs Schemathesis, a property-based API tester egate did not write, against a console.

Usage: schemathesis_console.py ADDR ACCOUNTS.json TOKEN CLIENT_CERT CLIENT_KEY REPORT_DIR EXAMPLES

ADDR is the console's host:port (HTTPS, self-signed). ACCOUNTS.json is
{"officer": [id, password], "supervisor": [...], "technician": [...]}. TOKEN is the gate API's
bearer token; CLIENT_CERT and CLIENT_KEY are a console certificate signed by the gate API's
client CA (mutual TLS), so that the gate API's command operation is reached past its
handshake.

Every role logs in first (before any run: the runs' random logins use up the address's login
budget). Then, for each role, `schemathesis run` loads the served document
(/api/openapi.json), generates requests for every operation from its schemas (valid and
invalid: examples, coverage and fuzzing phases, at most EXAMPLES per operation, a fixed seed)
with that role's session cookie, CSRF token, the bearer token and the client certificate, and
applies every check Schemathesis has (`--checks all`): no 5xx, each status, media type, header
and JSON body as documented, invalid data refused, valid data not refused, operations that
declare security refuse requests without it, unsupported methods answered 405 with Allow.

Two operations are left out, because a run cannot go on through them: POST /api/logout ends
the session every other request of the run uses, and the two event streams never end.

Exits 0 if every run passes; prints each run's output.
"""

import json
import pathlib
import subprocess
import sys
import time

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

SEED = 17


def login(base: str, user: str, password: str) -> tuple[str, str]:
    r = requests.post(f"{base}/api/login", json={"user": user, "password": password}, verify=False, timeout=30)
    if r.status_code != 200:
        raise SystemExit(f"login {user}: {r.status_code} {r.text}")
    cookie = r.cookies.get("egate_session")
    if not cookie:
        raise SystemExit(f"login {user}: no egate_session cookie in {r.headers}")
    return cookie, r.json()["csrf"]


def main() -> int:
    addr, accounts, token, cert, key, report_dir, examples = sys.argv[1:8]
    cert, key, report_dir = (str(pathlib.Path(p).resolve()) for p in (cert, key, report_dir))
    base = f"https://{addr}"
    accounts = json.loads(pathlib.Path(accounts).read_text())
    sessions = {role: login(base, *accounts[role]) for role in ("officer", "supervisor", "technician")}
    cli = pathlib.Path(sys.executable).parent / "schemathesis"
    failed = []
    for role, (cookie, csrf) in sessions.items():
        started = time.monotonic()
        cmd = [
            str(cli), "run", f"{base}/api/openapi.json",
            "--header", f"Cookie: egate_session={cookie}",
            "--header", f"X-CSRF-Token: {csrf}",
            "--header", f"Authorization: Bearer {token}",
            "--request-cert", cert, "--request-cert-key", key,
            "--tls-verify", "false",
            "--checks", "all",
            "--max-examples", examples,
            "--seed", str(SEED),
            "--workers", "1",
            "--request-timeout", "20",
            "--exclude-path", "/api/logout",
            "--exclude-path-regex", "/events$",
            "--report", "junit",
            "--report-junit-path", str(pathlib.Path(report_dir) / f"schemathesis-{role}.xml"),
            "--generation-database", "none",
            # The credentials are the role's, given above: the run does not make up others.
            "--generation-with-security-parameters", "false",
            "--no-color",
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=report_dir)
        print(f"===== schemathesis as {role}: exit {out.returncode} in {time.monotonic() - started:.0f} s")
        print(out.stdout)
        print(out.stderr, file=sys.stderr)
        if out.returncode != 0:
            failed.append(role)
    if failed:
        print(f"schemathesis failed as: {', '.join(failed)}")
        return 1
    print("schemathesis: no failures as officer, supervisor or technician")
    return 0


if __name__ == "__main__":
    sys.exit(main())
