#!/usr/bin/env bash
# The fuzz targets in CI (called by scripts/test.sh): every target `cargo fuzz list` names is
# built, then run once over its seed corpus fuzz/corpus/<target>/ (no fuzzing: -runs=0 runs
# the seeds and stops). A target without seeds fails: add them to fuzz/make-corpus.py.
#
# The fuzz build has its own target directory, $CARGO_TARGET_DIR/fuzz: its flags (sanitizer,
# coverage instrumentation, nightly) differ from the workspace build's, and sharing one
# directory would rebuild the workspace each time.
#
# Without the nightly toolchain or cargo-fuzz, the targets are built with the default
# toolchain as ordinary binaries (libFuzzer linked, no instrumentation) and each binary runs
# its seed files one by one: the targets still compile and still see their seeds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."
: "${CARGO_TARGET_DIR:?source scripts/env.sh first}"
fuzz_target_dir="$CARGO_TARGET_DIR/fuzz"

step() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[fuzz] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

# The targets, from the fuzz crate's manifest (cargo fuzz list reads it; the fallback too).
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -vx egate-fuzz)
if cargo fuzz --version >/dev/null 2>&1; then
  targets=$(cargo fuzz list)
fi
[ -n "$targets" ] || fail "no fuzz targets found in fuzz/Cargo.toml"
for t in $targets; do
  [ -n "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ] \
    || fail "fuzz target $t has no seed corpus in fuzz/corpus/$t (add seeds to fuzz/make-corpus.py)"
done

if cargo +nightly --version >/dev/null 2>&1 && cargo fuzz --version >/dev/null 2>&1; then
  step "cargo +nightly fuzz build (target dir $fuzz_target_dir)"
  CARGO_TARGET_DIR="$fuzz_target_dir" cargo +nightly fuzz build
  for t in $targets; do
    step "$t over fuzz/corpus/$t ($(ls "fuzz/corpus/$t" | wc -l) seeds)"
    CARGO_TARGET_DIR="$fuzz_target_dir" cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- -runs=0 \
      || fail "$t failed on its seed corpus (the failing input is under fuzz/artifacts/$t)"
  done
else
  step "no nightly toolchain or cargo-fuzz: building the targets as plain binaries (target dir $fuzz_target_dir)"
  cargo build --release --manifest-path fuzz/Cargo.toml --target-dir "$fuzz_target_dir/plain"
  for t in $targets; do
    step "$t over fuzz/corpus/$t ($(ls "fuzz/corpus/$t" | wc -l) seeds)"
    "$fuzz_target_dir/plain/release/$t" "fuzz/corpus/$t"/* \
      || fail "$t failed on its seed corpus"
  done
fi
step "all fuzz targets built and ran over their seeds"
