#!/usr/bin/env python3
"""torchvision roi_pool peer for the region SPP benchmark: rows `torchvision_roi/{workload}/t{T}`.

For each workload of configs/regions.ini (same boxes as harness/bench_regions.cc: the generator
documented in the config, checked through the FNV-1a hash both print), the pyramid is one
torchvision.ops.roi_pool call per level, flattened and concatenated in the caller's level order:
    cat([roi_pool(x_nchw, rois, output_size=n, spatial_scale=1).flatten(1) for n in levels], 1)
which is the canonical region output order of docs/spec.md#5-regions (level, channel, bin row,
bin column).

What is compared (before any timing), and why it can differ. torchvision's CPU roi_pool
(torchvision/csrc/ops/cpu/roi_pool_kernel.cpp) takes rois (batch, x1, y1, x2, y2) with an
INCLUSIVE end: roi_start = round(x1 * scale), roi_width = max(round(x2 * scale) - roi_start + 1, 1);
bin size = float(roi_width) / float(n) in float32; bin p = [floor(p * size), ceil((p + 1) * size))
in float32, offset by roi_start and clipped to the map. Our box [x0, x1) is passed as
x1 -> x0, x2 -> x1 - 1 with spatial_scale 1, so roi_width = x1 - x0 (exact), and its bins equal
the adaptive bins of docs/spec.md#2-bins, floor(p*A/n), ceil((p+1)*A/n), except where float32
rounding of p * (A/n) lands on the wrong side of an integer. Max: roi_pool keeps the first strict
maximum in row-major order (the contract's rule for finite data) but ignores NaN and reports all
-inf bins as -FLT_MAX with argmax -1 (docs/spec.md#3-max-and-avg: NaN propagates, -inf with the
first cell); the benchmark maps are finite uniform values, so only the bin rounding can differ
there.
The peer therefore (1) recomputes roi_pool's float32 bin rule for every box and level and
compares it with spp_oracle.axis_bins (adaptive), and (2) compares roi_pool's values and argmax
with the region oracle (oracle/spp_region_oracle.py) on the workload's boxes and a random map.
Both must hold for the row's label to say "verified"; otherwise the row is still timed but
labelled "different rounding, not verified". Only max/adaptive workloads are comparable.

Threads: torch.set_num_threads(T) is called, but torchvision 0.14's CPU roi_pool kernel is a
plain single-threaded loop, so it runs on one thread at every T (the label says so).
Timing: harness/peers/peer_timing.py (calibrated batches of >= --min-time, the repetitions
round-robin over the thread counts).

Usage: torchvision_roi_peer.py --config configs/regions.ini --threads 1,2 --out peer.json
       [--workloads a,b] [--repetitions 3] [--min-time 0.5]
"""
import argparse
import configparser
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "oracle")]

import gbjson  # noqa: E402
import peer_timing  # noqa: E402
import spp_oracle as O  # noqa: E402
import spp_region_oracle as RO  # noqa: E402

M64 = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def u(self):
        return (self.next() >> 11) * 2.0**-53


def make_boxes(H, W, R, seed):
    """The generator documented in configs/regions.ini; int32 (R, 4) x0, y0, x1, y1."""
    g = SplitMix(seed)
    out = np.empty((R, 4), dtype=np.int32)
    for r in range(R):
        bw = min(W, math.floor(math.pow(W + 1, g.u())))
        bh = min(H, math.floor(math.pow(H + 1, g.u())))
        x0 = math.floor(g.u() * (W - bw + 1))
        y0 = math.floor(g.u() * (H - bh + 1))
        out[r] = (x0, y0, x0 + bw, y0 + bh)
    return out


def fnv1a(boxes):
    h = 2166136261
    for b in np.ascontiguousarray(boxes, dtype="<i4").tobytes():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def read_config(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",), comment_prefixes=(";",))
    if not cp.read(path):
        raise SystemExit(f"torchvision_roi_peer: --config={path}: cannot read")
    out = []
    for name in cp.sections():
        s = cp[name]
        out.append(dict(name=name, c=int(s["channels"]), h=int(s["height"]), w=int(s["width"]),
                        levels=[int(v) for v in s["levels"].split(",")], pool=s["pool"].strip(),
                        bins=s["bins"].strip(), boxes=int(s["boxes"]), seed=int(s["seed"]),
                        fill=s["fill"].strip()))
        if out[-1]["fill"] not in ("uniform", "relu"):
            raise SystemExit(f"torchvision_roi_peer: [{name}] fill={out[-1]['fill']}: "
                             "expected uniform or relu")
    return out


def tv_bins(A, n):
    """roi_pool's float32 bins for an roi of width A at scale 1, relative to roi_start."""
    size = np.float32(A) / np.float32(n)
    return [(int(np.floor(np.float32(p) * size)), int(np.ceil(np.float32(p + 1) * size)))
            for p in range(n)]


def bins_mismatches(boxes, levels):
    """(box, level, axis) triples whose roi_pool bins differ from the adaptive bins."""
    bad = []
    cache = {}
    for r, (x0, y0, x1, y1) in enumerate(boxes.tolist()):
        for n in levels:
            for axis, A in (("x", x1 - x0), ("y", y1 - y0)):
                key = (A, n)
                if key not in cache:
                    cache[key] = tv_bins(A, n) == [(s, e) for s, e, _ in
                                                   O.axis_bins(A, n, "adaptive")]
                if not cache[key]:
                    bad.append((r, n, axis, A))
    return bad


def tv_rois(torch, boxes):
    b = boxes.astype(np.float32)
    rois = np.zeros((len(b), 5), dtype=np.float32)
    rois[:, 1] = b[:, 0]
    rois[:, 2] = b[:, 1]
    rois[:, 3] = b[:, 2] - 1      # inclusive end
    rois[:, 4] = b[:, 3] - 1
    return torch.from_numpy(rois)


def tv_pyramid(torch, roi_pool, x, rois, levels):
    ys = []
    for n in levels:
        ys.append(roi_pool(x, rois, output_size=n, spatial_scale=1.0).flatten(1))
    return torch.cat(ys, 1)


def tv_pyramid_argmax(torch, x, rois, levels):
    """Values and argmax through the underlying op (torchvision.ops.roi_pool drops argmax)."""
    ys, ams = [], []
    for n in levels:
        y, a = torch.ops.torchvision.roi_pool(x, rois, 1.0, n, n)
        ys.append(y.flatten(1))
        ams.append(a.flatten(1))
    return torch.cat(ys, 1), torch.cat(ams, 1)


def make_map(rng, wl):
    """The workload's map (1, C, H, W): U[-1, 1), clamped at +0.0 for fill = relu."""
    x = rng.uniform(-1, 1, (1, wl["c"], wl["h"], wl["w"])).astype(np.float32)
    return np.maximum(x, np.float32(0)) if wl["fill"] == "relu" else x


def verify(torch, wl, boxes):
    """(ok, reason): is the roi_pool pyramid equivalent to region SPP (docs/spec.md#5-regions) on
    these boxes?"""
    if wl["pool"] != "max" or wl["bins"] != "adaptive":
        return False, f"roi_pool is max/adaptive-like only; workload is {wl['pool']}/{wl['bins']}"
    bad = bins_mismatches(boxes, wl["levels"])
    if bad:
        r, n, axis, A = bad[0]
        return False, (f"{len(bad)} (box, level, axis) bins differ, e.g. box {r} level {n} "
                       f"{axis}-extent {A}: roi_pool {tv_bins(A, n)}")
    x = make_map(np.random.default_rng(wl["seed"]), wl)
    y, am = tv_pyramid_argmax(torch, torch.from_numpy(x), tv_rois(torch, boxes), wl["levels"])
    ye, ame = RO.forward(x, boxes, wl["levels"], "max", "adaptive", "nchw")
    if not np.array_equal(y.numpy().view(np.uint32), ye.view(np.uint32)):
        i = np.argwhere(y.numpy() != ye)[0]
        return False, f"values differ from the region oracle at {i.tolist()}"
    if not np.array_equal(am.numpy(), ame):
        i = np.argwhere(am.numpy() != ame)[0]
        return False, f"argmax differs from the region oracle at {i.tolist()}"
    return True, "values and argmax equal the region oracle on these boxes"


def parse_args(doc, who):
    """The region peers' command line (--config --threads --workloads --repetitions --min-time
    --out), checked: (args, the config's workloads, the workloads asked for, the thread counts);
    a bad value exits naming the flag, the value and what was expected."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--config", default=os.path.join(ROOT, "configs", "regions.ini"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--workloads", default="")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    try:
        ts = [int(v) for v in a.threads.split(",") if v]
    except ValueError:
        ts = []
    if not ts or not all(1 <= t <= 1024 for t in ts):
        raise SystemExit(f"{who}: --threads {a.threads}: expected e.g. 1,2")
    wls = read_config(a.config)
    want = [w for w in a.workloads.split(",") if w]
    for w in want:
        if w not in [x["name"] for x in wls]:
            raise SystemExit(f"{who}: --workloads: {w}: not in {a.config}")
    return a, wls, want, ts


def main():
    a, wls, want, ts = parse_args(__doc__, "torchvision_roi_peer")
    import torch
    import torchvision
    from torchvision.ops import roi_pool
    rows, context = [], {"torch": torch.__version__, "torchvision": torchvision.__version__,
                         "glibc_tunables": gbjson.malloc_note()}
    for wl in wls:
        if want and wl["name"] not in want:
            continue
        boxes = make_boxes(wl["h"], wl["w"], wl["boxes"], wl["seed"])
        context[f"boxes_hash/{wl['name']}"] = f"{fnv1a(boxes):08x}"
        ok, why = verify(torch, wl, boxes)
        context[f"verify/{wl['name']}"] = why
        print(f"torchvision_roi/{wl['name']}: {'verified' if ok else 'NOT verified'}: {why}",
              file=sys.stderr)
        x = torch.from_numpy(make_map(np.random.default_rng(1), wl))
        rois = tv_rois(torch, boxes)
        read_bytes = float(((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sum()
                           * wl["c"] * 4)
        label = ("verified" if ok else "different rounding, not verified") + \
            "; roi_pool CPU kernel is single-threaded"
        step = lambda: tv_pyramid(torch, roi_pool, x, rois, wl["levels"])  # noqa: E731
        timings = peer_timing.round_robin(
            [(lambda t=t: torch.set_num_threads(t), step) for t in ts], a.repetitions, a.min_time)
        for t, (iters, real, cpu) in zip(ts, timings):
            name = f"torchvision_roi/{wl['name']}/t{t}"
            for row in gbjson.rows(name, iters, real, cpu, read_bytes, label=label):
                row["boxes_hash"] = float(fnv1a(boxes))
                row["regions"] = float(len(boxes))
                rows.append(row)
    gbjson.write_atomic(a.out, {"context": context, "benchmarks": rows})


if __name__ == "__main__":
    main()
