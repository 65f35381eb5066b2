#!/usr/bin/env python3
"""What the liveness challenge adds to a genuine passage in `egate run --sim`.

Runs the simulated bank three times over genuine travellers — liveness not checked (PAD
off), the passive PAD signals only, and the passive signals with [vision.pad.challenge] on —
and reports from each run's audit trail (passage records: took_ms) and /metrics (the
face step's job time, the challenge's own time) the medians and means. The simulated
traveller follows each prompt a few frames after it appears (vision::pad::synth::Follower),
so the "on" figure is the machine's share of the challenge; a person's reaction and
movement (about a second per action, not measured here) come on top.

Usage: scripts/bench-challenge.py EGATE_BINARY [PASSAGES]
"""
import json, os, re, signal, statistics, subprocess, sys, tempfile, threading, time, urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, passages, mode):
    with tempfile.TemporaryDirectory() as state:
        cfg = os.path.join(state, "egate.toml")
        with open(cfg, "w") as f:
            f.write("[sim]\ngates = 1\narrival_interval_s = 0.2\n")
            f.write('faces_dir = "%s"\n' % os.path.join(REPO, "vision/tests/data"))
            f.write('pattern = ["genuine"]\n')
            if mode == "not_checked":
                f.write('[gate]\noverlap = false\nliveness = "not-checked"\n')
                f.write("[dangerous]\nliveness_not_checked = true\n")
            else:
                f.write("[gate]\noverlap = false\n")
            f.write("[vision.pad.challenge]\nenabled = %s\nactions = 2\n"
                    % str(mode == "challenge").lower())
        p = subprocess.Popen(
            [binary, "run", "--sim", "--config", cfg, "--listen", "127.0.0.1:0",
             "--console-listen", "127.0.0.1:0", "--state-dir", state],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        addr = None
        for line in p.stderr:
            m = re.search(r"(127\.0\.0\.1:\d+)", line)
            if m and "egate::cli::run" in line and "listening" in line and "traveller" not in line:
                addr = m.group(1)
                break
        # Keep reading the log, so that the daemon never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
        trail = os.path.join(state, "audit.jsonl")
        took = []
        deadline = time.time() + 60 + 20 * passages
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                recs = [json.loads(l) for l in open(trail)]
            except (OSError, ValueError):
                continue
            took = [r["data"]["took_ms"] for r in recs
                    if r.get("kind") == "passage" and r["data"].get("outcome") == "accepted"]
            if len(took) > passages:
                break
        metrics = ""
        if addr:
            metrics = urllib.request.urlopen("http://%s/metrics" % addr).read().decode()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        # The first passage warms the models up: left out.
        took = took[1:passages + 1]

        def metric(name, label):
            for l in metrics.splitlines():
                if l.startswith(name) and label in l:
                    return float(l.rsplit(" ", 1)[1])
            return float("nan")

        face = metric("egate_step_duration_seconds_sum", 'step="face_match"') / \
            metric("egate_step_duration_seconds_count", 'step="face_match"')
        ch = metric("egate_pad_challenge_seconds_sum", 'outcome="passed"') / \
            metric("egate_pad_challenge_seconds_count", 'outcome="passed"')
        return took, face, ch


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    out = {}
    for key in ("not_checked", "passive", "challenge"):
        took, face, ch = run(binary, n, key)
        out[key] = {
            "passages": len(took),
            "passage_median_ms": statistics.median(took) if took else None,
            "passage_mean_ms": statistics.mean(took) if took else None,
            "face_step_mean_s": face,
            "challenge_mean_s": ch,
        }
        print(key, json.dumps(out[key]), flush=True)
    for a, b in (("not_checked", "passive"), ("passive", "challenge")):
        print("%s -> %s: face step %+.0f ms, median passage %+.0f ms" % (
            a, b, 1e3 * (out[b]["face_step_mean_s"] - out[a]["face_step_mean_s"]),
            out[b]["passage_median_ms"] - out[a]["passage_median_ms"]))


if __name__ == "__main__":
    main()
