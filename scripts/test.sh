#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls `make test`, which calls this).
# Runs the setup first (idempotent), then formatting, lints and every test.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."
"$here/setup.sh"
source "$here/env.sh"

step() { printf '\033[1m[test]\033[0m %s\n' "$*"; }
step "promtool check rules / test rules (deploy/prometheus)"
promtool check rules deploy/prometheus/egate.rules.yml
(cd deploy/prometheus && promtool test rules egate.rules.test.yml)
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "no import cycles between the modules of document and of the daemon (scripts/module-cycles.py)"
python3 scripts/module-cycles.py document/src
python3 scripts/module-cycles.py daemon/src
step "cargo build (the egate binary and the console fixture the end-to-end tests start)"
# The border build first (no simulator), kept aside; the default build then relinks egate only.
cargo build -p egate --no-default-features --features production
mkdir -p "$CARGO_TARGET_DIR/production"
cp "$CARGO_TARGET_DIR/debug/egate" "$CARGO_TARGET_DIR/production/egate"
step "Debian package of the border build (cargo deb --no-build: the binary above)"
# cargo-deb maps target/release/ in the package's assets to the profile's folder.
"$CARGO_TARGET_DIR/production/egate" config default >"$CARGO_TARGET_DIR/production/egate.toml"
cargo deb -p egate --no-build --profile production --fast \
  --output "$CARGO_TARGET_DIR/production/egate.deb"
cargo build -p egate --bins --examples
step "cargo test (beside a private pcscd with the vpcd readers: scripts/with-pcscd.sh)"
"$here/with-pcscd.sh" cargo test --workspace --no-fail-fast
step "fuzz targets: build them all, run each over its seed corpus (scripts/fuzz-ci.sh)"
"$here/fuzz-ci.sh"
if [ -f tests/browser/package.json ]; then
  step "browser tests (headless Chromium)"
  (cd tests/browser && npm test)
fi
step "all passed"
