#!/usr/bin/env python3
"""OpenCV reference for egate's face pipeline: parity and benchmark.

Runs OpenCV's own FaceDetectorYN + FaceRecognizerSF (PyPI opencv-python-headless, in the venv
that scripts/setup-models.sh makes) on the prepared models, with the same letterbox as the
Rust pipeline (scale by 640/max(w,h), bilinear, top-left, zero padding), so the two can be
compared on identical inputs.

  vision_reference.py embed --models DIR IMAGE...      JSON: faces and the largest face's
                                                       L2-normalised embedding per image
  vision_reference.py bench --models DIR [--warmup N] [--rounds N] IMAGE...
                                                       JSON: per-frame latency figures

Test/benchmark tool only: it prints embeddings of test images to stdout, never to a file.
"""

import argparse
import json
import sys
import time


SIDE = 640


def load(models, score_threshold, nms_threshold):
    import cv2

    det = cv2.FaceDetectorYN.create(
        f"{models}/yunet.onnx", "", (SIDE, SIDE), score_threshold, nms_threshold, 5000
    )
    rec = cv2.FaceRecognizerSF.create(f"{models}/sface.onnx", "")
    return det, rec


def letterbox(img):
    import cv2
    import numpy as np

    h, w = img.shape[:2]
    scale = np.float32(SIDE) / np.float32(max(w, h))
    nw = min(max(int(np.floor(np.float32(w) * scale + np.float32(0.5))), 1), SIDE)
    nh = min(max(int(np.floor(np.float32(h) * scale + np.float32(0.5))), 1), SIDE)
    resized = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.zeros((SIDE, SIDE, 3), dtype=np.uint8)
    canvas[:nh, :nw] = resized
    return canvas, float(scale)


def analyze(det, rec, img, max_faces=50):
    """Faces in image coordinates (rows of 15 floats) and the largest face's embedding."""
    import numpy as np

    canvas, scale = letterbox(img)
    det.setInputSize((SIDE, SIDE))
    _, faces = det.detect(canvas)
    if faces is None or len(faces) == 0:
        return [], None
    faces = faces[:max_faces].copy()
    faces[:, :14] /= np.float32(scale)
    areas = faces[:, 2] * faces[:, 3]
    # Last maximum, as Rust's Iterator::max_by returns.
    best = len(areas) - 1 - int(np.argmax(areas[::-1]))
    aligned = rec.alignCrop(img, faces[best])
    feat = rec.feature(aligned).reshape(-1).astype(np.float64)
    feat /= np.linalg.norm(feat)
    return faces, feat


def read(path):
    import cv2

    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"vision_reference.py: cannot read image {path}")
    return img


def cmd_embed(args):
    det, rec = load(args.models, args.score_threshold, args.nms_threshold)
    out = {}
    for path in args.images:
        faces, feat = analyze(det, rec, read(path))
        out[path] = {
            "faces": [[float(v) for v in f] for f in faces],
            "embedding": None if feat is None else [float(v) for v in feat],
        }
    json.dump(out, sys.stdout)


def cmd_bench(args):
    import cv2

    det, rec = load(args.models, args.score_threshold, args.nms_threshold)
    imgs = [read(p) for p in args.images]
    for _ in range(args.warmup):
        for img in imgs:
            analyze(det, rec, img)
    totals = []
    cpu0 = time.process_time()
    for _ in range(args.rounds):
        for img in imgs:
            t = time.perf_counter()
            analyze(det, rec, img)
            totals.append((time.perf_counter() - t) * 1e3)
    cpu = (time.process_time() - cpu0) * 1e3 / max(len(totals), 1)
    totals.sort()
    n = len(totals)
    mean = sum(totals) / n
    json.dump(
        {
            "opencv": cv2.__version__,
            "threads": cv2.getNumThreads(),
            "frames": n,
            "mean_ms": mean,
            "p50_ms": totals[round((n - 1) * 0.5)],
            "p95_ms": totals[round((n - 1) * 0.95)],
            "fps": 1e3 / mean,
            "cpu_ms_per_frame": cpu,
        },
        sys.stdout,
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("embed", "bench"):
        s = sub.add_parser(name)
        s.add_argument("--models", required=True)
        s.add_argument("--score-threshold", type=float, default=0.6)
        s.add_argument("--nms-threshold", type=float, default=0.3)
        s.add_argument("--threads", type=int, default=0, help="cv2.setNumThreads (0: default)")
        if name == "bench":
            s.add_argument("--warmup", type=int, default=2)
            s.add_argument("--rounds", type=int, default=5)
        s.add_argument("images", nargs="+")
    args = p.parse_args()
    try:
        import cv2
    except ImportError:
        raise SystemExit(
            "vision_reference.py: opencv-python-headless is not installed in this interpreter; "
            "run scripts/setup-models.sh and use $EGATE_ASSETS/venv/bin/python"
        )
    if args.threads > 0:
        cv2.setNumThreads(args.threads)
    {"embed": cmd_embed, "bench": cmd_bench}[args.cmd](args)


if __name__ == "__main__":
    main()
