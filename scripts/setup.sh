#!/usr/bin/env bash
# egate machine setup: everything the project needs on a fresh Debian 12 machine that has
# only the Rust toolchain. Idempotent: a re-run checks and skips what is already there.
#
#   scripts/setup.sh            install + prepare (Debian packages, Python venv, ONNX Runtime,
#                               face models, npm test tools, cargo-fuzz) and start pcscd with
#                               vpcd readers
#
# Run as root. Assets go to ${EGATE_ASSETS:-/opt/egate}. Nothing here runs at gate run time.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
export EGATE_ASSETS=${EGATE_ASSETS:-/opt/egate}

step() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() {
  printf '\033[31m[setup] FAILED:\033[0m %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '[setup] what to do: %s\n' "$2" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "setup must run as root (it installs Debian packages into the system)" \
  "re-run as root, e.g. sudo $0"
command -v cargo >/dev/null || fail "cargo is not on PATH" "install the Rust toolchain (rustup) first"

# 1. Debian packages -------------------------------------------------------------------------
packages=(
  pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools   # PC/SC daemon, virtual reader driver
  libopencv-dev clang libclang-dev pkg-config        # OpenCV bindings (opencv crate)
  python3-venv                                       # test references (OpenCV, pymodbus)
  socat iproute2 util-linux                          # ptys, network namespaces, unshare
  chromium                                           # console tests (headless)
  fonts-wqy-microhei                                 # Chinese glyphs for the traveller screen
  espeak-ng                                          # the traveller screen's spoken prompts
  nats-server prometheus systemd                     # fleet broker, promtool, unit checks
  faketime                                           # the clock-jump fault test (libfaketime)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed" "check the network access to the Debian mirror"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed" "run it by hand to see the error"
else
  step "Debian packages: all present"
fi

# 2. Python venv for test references and model preparation ------------------------------------
venv="$EGATE_ASSETS/venv"
if [ ! -x "$venv/bin/python" ]; then
  step "creating Python venv $venv"
  mkdir -p "$EGATE_ASSETS"
  python3 -m venv "$venv" || fail "python3 -m venv failed" "apt-get install python3-venv"
fi
req="$here/requirements-test.txt"
stamp="$venv/.egate-requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "installing pinned Python packages ($req)"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" \
    || fail "pip install -r $req failed" "check access to PyPI; the pins are in $req"
  echo "$want" >"$stamp"
else
  step "Python packages: pinned set present"
fi

# 3. ONNX Runtime library and face models -----------------------------------------------------
if [ -x "$here/setup-models.sh" ]; then
  "$here/setup-models.sh" || fail "model preparation failed (scripts/setup-models.sh)" \
    "read the message above; a re-run retries only what is missing"
else
  fail "scripts/setup-models.sh is missing" "restore it from git"
fi

# 3b. The simulator's faces ([sim] faces_dir defaults to $EGATE_ASSETS/faces) ------------------
if ! diff -rq "$top/vision/tests/data" "$EGATE_ASSETS/faces" >/dev/null 2>&1; then
  step "installing the simulator's faces into $EGATE_ASSETS/faces"
  rm -rf "$EGATE_ASSETS/faces" && mkdir -p "$EGATE_ASSETS/faces"
  cp -r "$top/vision/tests/data/." "$EGATE_ASSETS/faces/"
fi

# 3b'. The traveller screen's spoken prompts, recorded from the catalogues ---------------------
python3 "$here/record-prompts.py" "$EGATE_ASSETS/audio" \
  || fail "recording the spoken prompts failed" "run scripts/record-prompts.py by hand"

# 3c. cargo-deb, which packages the border build (scripts/test.sh) ----------------------------
if ! cargo deb --version >/dev/null 2>&1; then
  step "installing cargo-deb"
  cargo install cargo-deb --locked || fail "cargo install cargo-deb failed" "check access to crates.io"
fi

# 4. npm tools: the browser tests (playwright-core, axe-core) and the TF.js runtime that gives the
# reference outputs of the converted PAD models (scripts/tfjs-reference) --------------------------
# Re-installed whenever a package-lock.json changes (a stamp inside node_modules records it).
for npm_dir in tests/browser scripts/tfjs-reference; do
  [ -f "$top/$npm_dir/package.json" ] || continue
  npm_stamp="$top/$npm_dir/node_modules/.egate-lock.sha256"
  npm_want=$(sha256sum "$top/$npm_dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
    step "installing npm packages in $npm_dir"
    (cd "$top/$npm_dir" && npm ci --no-audit --no-fund --silent) \
      || fail "npm ci in $npm_dir failed" "check access to the npm registry"
    echo "$npm_want" > "$npm_stamp"
  fi
done

# 5. cargo-fuzz, which builds the fuzz targets (fuzz/) with the nightly toolchain in CI ----------
if cargo fuzz --version >/dev/null 2>&1; then
  step "cargo-fuzz: present ($(cargo fuzz --version))"
else
  step "installing cargo-fuzz 0.13.2 from crates.io"
  # Its own temporary build directory, not the project's CARGO_TARGET_DIR.
  env -u CARGO_TARGET_DIR cargo install cargo-fuzz --version 0.13.2 --locked --quiet \
    || fail "cargo install cargo-fuzz --locked failed" "check access to crates.io"
fi

# 6. pcscd with the vpcd readers the tests and the simulator use -------------------------------
"$here/pcscd.sh" start || fail "could not start pcscd with the vpcd driver" \
  "run scripts/pcscd.sh start by hand; see /tmp/egate-pcscd.log"

step "done (assets in $EGATE_ASSETS)"
