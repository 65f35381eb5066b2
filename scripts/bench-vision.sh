#!/usr/bin/env bash
# Face pipeline benchmark: egate (Rust, ONNX Runtime; as configured and as before issue #20)
# and the OpenCV Python reference (FaceDetectorYN + FaceRecognizerSF) on the same frames, side
# by side, in one run; then face + PAD per frame on camera-like frames.
#   scripts/bench-vision.sh            BENCH_ROUNDS=N BENCH_THREADS=N to change the defaults (5, 2)
# Needs scripts/setup-models.sh to have run (EGATE_ASSETS, default /opt/egate).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/egate-target}"
exec cargo bench -p vision --bench pipeline
