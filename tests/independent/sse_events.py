#!/usr/bin/env python3
"""Reads the gate API's event stream with sseclient-py, an SSE parser egate did not write.

Usage: sse_events.py URL TOKEN SHA256_FINGERPRINT COUNT

Connects over HTTPS, accepting exactly the certificate whose SHA-256 is the fingerprint (the
console pins the same way), sends the bearer token, prints `READY` once the answer's headers
are in, then parses the body as text/event-stream (HTML Living Standard §9.2, "Server-sent
events") and prints each of the first COUNT events' data as one line `EVENT <data>`, then
exits 0. Anything else (a wrong certificate, a status other than 200, a media type other than
text/event-stream) exits 1 with the reason.
"""

import hashlib
import http.client
import ssl
import sys
import urllib.parse

import sseclient


def main() -> int:
    url, token, fingerprint, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    want = bytes.fromhex(fingerprint.replace(":", ""))
    u = urllib.parse.urlsplit(url)
    # The certificate is self-signed: no chain to check, the pin is the check.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=context, timeout=20)
    conn.connect()
    got = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).digest()
    if got != want:
        print(f"certificate {got.hex()} does not match the pin", flush=True)
        return 1
    conn.request("GET", u.path, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    resp = conn.getresponse()
    media = (resp.getheader("Content-Type") or "").split(";")[0].strip()
    if resp.status != 200 or media != "text/event-stream":
        print(f"answer {resp.status} {media}", flush=True)
        return 1
    print("READY", flush=True)
    seen = 0
    for event in sseclient.SSEClient(resp).events():
        if not event.data:
            continue
        print(f"EVENT {event.event} {event.data}", flush=True)
        seen += 1
        if seen == count:
            return 0
    print(f"stream ended after {seen} events", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
