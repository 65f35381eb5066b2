# Sourced by the scripts: where assets, the ONNX Runtime library and the build output live.
export EGATE_ASSETS=${EGATE_ASSETS:-/opt/egate}
export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-$EGATE_ASSETS/onnxruntime/libonnxruntime.so.1.32.0}
# Build output outside the clone, so a fresh clone (CI) reuses the compiled dependencies.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/egate-target}
