#!/usr/bin/env bash
# The main job: install everything, then run a simulated gate bank with its officer console
# on http://127.0.0.1:8080 (egate run --sim, the embedded default configuration).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."
"$here/setup.sh"
source "$here/env.sh"
cargo build -p egate
exec "$CARGO_TARGET_DIR/debug/egate" run --sim "$@"
