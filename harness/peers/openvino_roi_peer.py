#!/usr/bin/env python3
"""OpenVINO ROIPooling peer for the region SPP benchmark: rows `openvino_roi/{workload}/t{T}`.

For each workload of configs/regions.ini (the boxes of harness/bench_regions.cc, made by
torchvision_roi_peer.make_boxes and checked through its FNV-1a boxes_hash), the pyramid is one
ROIPooling-1 (method max, output n x n, spatial_scale 1) per level on the NCHW map, each output
(R, C, n, n) reshaped to (R, C*n*n), then Concat along axis 1: the canonical region output order
of docs/spec.md#5-regions (level, channel, bin row, bin column). ROIPooling returns no argmax,
so the rows are the inference form (values only), comparable with the kernels' /y_only rows.
Our box [x0, x1) is passed as (0, x0, y0, x1 - 1, y1 - 1): ROIPooling's end is inclusive, as
Caffe's and torchvision's.

Bins. ROIPooling's bin rule is not assumed: probe_bins measures it for every box extent and
level of the workload (a map whose cells hold their own column index, and its negation, gives
each bin's last and first column) and compares it with the adaptive bins of
docs/spec.md#2-bins. Measured with 2026.4.1: they are equal for every extent 1..300 and level
1..16 (unlike torchvision's float32 roi_pool rule, which differs on some of these, e.g. extent
121 at level 14). Verification (before timing): when the probed bins equal the adaptive ones,
the values must equal oracle/spp_region_oracle.py's bitwise on the workload's boxes and a map
of its fill; when they differ, the values are checked bitwise against a NumPy max over the
probed bins instead (the rule ROIPooling does follow), and the label says "ROIPooling bins
differ from adaptive". A row whose values match neither is not timed (exit 1).
Threads: INFERENCE_NUM_THREADS=T (openvino_peer.compile_config). Context: versions, CPU, the
executed primitives, the bins and verification notes.

Usage: openvino_roi_peer.py --config configs/regions.ini --threads 1,2 --out peer.json
       [--workloads a,b] [--repetitions 3] [--min-time 0.5]
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "oracle")]

import gbjson  # noqa: E402
import openvino_peer as OVP  # noqa: E402
import peer_timing  # noqa: E402
import spp_oracle as O  # noqa: E402
import spp_region_oracle as RO  # noqa: E402
import torchvision_roi_peer as TV  # noqa: E402  (config, boxes, hash, map; no torch import)

PEER = "openvino_roi"


def row_name(workload, threads):
    return f"{PEER}/{workload}/t{threads}"


def ov_rois(boxes):
    """(R, 5) float32 rois (batch 0, x0, y0, x1 - 1, y1 - 1): inclusive ends."""
    b = boxes.astype(np.float32)
    rois = np.zeros((len(b), 5), dtype=np.float32)
    rois[:, 1:3] = b[:, 0:2]
    rois[:, 3:5] = b[:, 2:4] - 1
    return rois


def build_model(ov, c, h, w, r, levels):
    import openvino.opset8 as ops
    x = ops.parameter([1, c, h, w], np.float32, name="x")
    rois = ops.parameter([r, 5], np.float32, name="rois")
    flat = ops.constant(np.array([0, -1], np.int64))
    ys = [ops.reshape(ops.roi_pooling(x, rois, [n, n], 1.0, "max"), flat, True) for n in levels]
    return ov.Model([ops.concat(ys, 1)], [x, rois], "spp_regions")


def probe_bins(ov, core, extents, levels):
    """{(A, n): [(start, end), ...]}: ROIPooling's bins for a box [0, A) at level n, measured on
    a 1-row map (channel 0 holds the column index, channel 1 its negation) wider than A."""
    extents = sorted(set(int(a) for a in extents))
    wmax = max(extents) + 8
    x = np.zeros((1, 2, 1, wmax), np.float32)
    x[0, 0, 0] = np.arange(wmax)
    x[0, 1, 0] = -np.arange(wmax)
    rois = np.zeros((len(extents), 5), np.float32)
    rois[:, 3] = np.array(extents, np.float32) - 1
    import openvino.opset8 as ops
    p = ops.parameter(list(x.shape), np.float32)
    r = ops.parameter(list(rois.shape), np.float32)
    lv = sorted(set(levels))
    cm = core.compile_model(ov.Model([ops.roi_pooling(p, r, [1, n], 1.0, "max") for n in lv],
                                     [p, r]), "CPU", OVP.compile_config(1))
    res = cm({0: x, 1: rois})
    out = {}
    for k, n in enumerate(lv):
        y = np.asarray(res[cm.outputs[k]])          # (len(extents), 2, 1, n)
        for i, a in enumerate(extents):
            out[(a, n)] = [(int(-y[i, 1, 0, q]), int(y[i, 0, 0, q]) + 1) for q in range(n)]
    return out


def bins_differences(probed):
    """(A, n) pairs whose probed bins differ from the adaptive ones."""
    return sorted(k for k, v in probed.items()
                  if v != [(s, e) for s, e, _ in O.axis_bins(k[0], k[1], "adaptive")])


def reference_with_bins(x, boxes, levels, probed):
    """Region max pyramid (R, C*S) over the probed bins (the rule ROIPooling follows)."""
    c = x.shape[1]
    out = np.empty((len(boxes), c * sum(n * n for n in levels)), np.float32)
    for r, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        parts = []
        for n in levels:
            rb, cb = probed[(y1 - y0, n)], probed[(x1 - x0, n)]
            v = np.empty((c, n, n), np.float32)
            for i, (hs, he) in enumerate(rb):
                for j, (ws, we) in enumerate(cb):
                    v[:, i, j] = x[0, :, y0 + hs:y0 + he, x0 + ws:x0 + we].max(axis=(1, 2))
            parts.append(v.ravel())
        out[r] = np.concatenate(parts)
    return out


def reference(ov, core, wl, boxes, x):
    """(want, label, what): the values ROIPooling must give on (x, boxes), from the region
    oracle when its probed bins equal the adaptive ones, else from its own bins; want is None
    for a workload ROIPooling cannot compute."""
    if wl["pool"] != "max" or wl["bins"] != "adaptive":
        return None, "not verified", (f"ROIPooling is max with its own bins; workload is "
                                      f"{wl['pool']}/{wl['bins']}")
    extents = np.concatenate([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]])
    probed = probe_bins(ov, core, extents, wl["levels"])
    diff = bins_differences(probed)
    if not diff:
        want, _ = RO.forward(x, boxes, wl["levels"], "max", "adaptive", "nchw")
        return want, "verified", ("the region oracle (ROIPooling's bins equal the adaptive "
                                  "bins for every extent and level of these boxes)")
    a, n = diff[0]
    return (reference_with_bins(x, boxes, wl["levels"], probed),
            "ROIPooling bins differ from adaptive; verified against its own bins",
            f"a max over ROIPooling's measured bins, which differ from the adaptive bins on "
            f"{len(diff)} (extent, level) pairs, e.g. extent {a} level {n}: {probed[(a, n)]}")


def verify(cm, ref, boxes, x):
    """(ok, label, note): the compiled pyramid's values on (x, boxes) vs reference()."""
    want, label, what = ref
    if want is None:
        return False, label, what
    y = np.asarray(cm({0: x, 1: ov_rois(boxes)})[cm.outputs[0]])
    if y.shape != want.shape or not np.array_equal(y.view(np.uint32), want.view(np.uint32)):
        i = np.argwhere(y != want)[0] if y.shape == want.shape else "shape"
        return False, "CHECK FAILED", f"values differ from {what} at {np.asarray(i).tolist()}"
    return True, label, f"values bitwise equal to {what}"


def main():
    a, wls, want, ts = TV.parse_args(__doc__, "openvino_roi_peer")
    try:
        import openvino as ov
    except ImportError as e:
        raise SystemExit(f"openvino_roi_peer: openvino is not importable ({e}); "
                         "`scripts/setup.sh bench` installs it")
    core = ov.Core()
    context = {"openvino_version": ov.get_version(),
               "openvino_device": str(core.get_property("CPU", "FULL_DEVICE_NAME")),
               "cpu_model": gbjson.cpu_model(), "glibc_tunables": gbjson.malloc_note(),
               "openvino_model": "per level ROIPooling-1 (max, n x n, spatial_scale 1, rois "
                                 "(0, x0, y0, x1 - 1, y1 - 1)), reshape to (R, C*n*n), Concat "
                                 "axis 1; NCHW map; values only"}
    rows, failures = [], 0
    for wl in wls:
        if want and wl["name"] not in want:
            continue
        boxes = TV.make_boxes(wl["h"], wl["w"], wl["boxes"], wl["seed"])
        context[f"boxes_hash/{wl['name']}"] = f"{TV.fnv1a(boxes):08x}"
        rois = ov_rois(boxes)
        x = TV.make_map(np.random.default_rng(1), wl)
        check_map = TV.make_map(np.random.default_rng(wl["seed"]), wl)
        read_bytes = float(((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sum()
                           * wl["c"] * 4)
        ref = reference(ov, core, wl, boxes, check_map)
        points = []
        for t in ts:
            name = row_name(wl["name"], t)
            cm = core.compile_model(build_model(ov, wl["c"], wl["h"], wl["w"], len(boxes),
                                                wl["levels"]), "CPU", OVP.compile_config(t))
            ok, label, note = verify(cm, ref, boxes, check_map)
            context[f"openvino_verify/{wl['name']}/t{t}"] = note
            print(f"{name}: {label}: {note}", file=sys.stderr)
            if not ok:
                failures += 1
                continue
            context[f"primitives/{name}"] = OVP.primitives(cm)
            context.setdefault(f"compiled/t{t}", OVP.compiled_properties(cm))
            req = cm.create_infer_request()
            req.set_input_tensor(0, ov.Tensor(x, shared_memory=True))
            req.set_input_tensor(1, ov.Tensor(rois, shared_memory=True))
            points.append((name, f"{label}; values only (no argmax)",
                           lambda r=req: r.infer(share_outputs=True)))
        timings = peer_timing.round_robin([(lambda: None, p[2]) for p in points],
                                          a.repetitions, a.min_time)
        for (name, label, _), (iters, real, cpu) in zip(points, timings):
            for row in gbjson.rows(name, iters, real, cpu, read_bytes, label=label):
                row["boxes_hash"] = float(TV.fnv1a(boxes))
                row["regions"] = float(len(boxes))
                rows.append(row)
    gbjson.write_atomic(a.out, {"context": context, "benchmarks": rows})
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
