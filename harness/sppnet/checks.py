"""The checks made before anything is timed (docs/sppnet.md#verification). A failed check
raises CheckError naming what differed; the runner then exits 1 and writes nothing.

- projection: the library's spp_roi_project equals the region oracle's project() on every
  window of every scale;
- SPP-net features: for a few windows per scale (the first, the last, the smallest and the
  largest box), the kernel's rows equal oracle/spp_region_oracle.py's forward on the same conv5
  map, bit for bit (max);
- fc input: the feature matrix has fc6's input width (C5 * 50 for SPP-net, C5 * 36 for R-CNN)
  and fc7 comes out (R, fc7 width);
- R-CNN pool5: the library's level-6 SPP equals torch's max_pool2d(3, stride 2, ceil_mode) on
  the same conv5, bit for bit; torch's adaptive_max_pool2d(6) is compared too and the result
  recorded (on 13x13 both bin rules give the same windows, so it must agree there as well);
- peers: a peer's pyramid is compared with the kernel's rows; a peer that differs is labelled
  with why (torchvision: its float32 bins, counted) and still timed.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "oracle"))

import spp_region_oracle as RO  # noqa: E402

from . import pooling  # noqa: E402
from . import windows as W  # noqa: E402


class CheckError(AssertionError):
    pass


def _first_diff(got, want):
    bad = np.argwhere(got.view(np.uint32) != want.view(np.uint32))
    return None if bad.size == 0 else tuple(int(v) for v in bad[0])


def check_projection(plan, windows_px, map_sizes):
    """Returns the number of windows checked (all of them)."""
    for s, boxes, (a, b) in plan.groups:
        h, w = map_sizes[s]
        want = RO.project(W.at_scale(windows_px[plan.order[a:b]], s), 16, h, w)
        if not np.array_equal(boxes.astype(np.int64), want):
            i = int(np.argwhere((boxes != want).any(1))[0][0])
            raise CheckError(f"{plan.name}: projection at s={s}: window {plan.order[a + i]} "
                             f"gives {boxes[i].tolist()}, the oracle {want[i].tolist()}")
    return plan.windows


def pick_rows(boxes, most=4):
    """Row indices to check: the first, the last, the smallest and the largest box."""
    if len(boxes) == 0:
        return []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return sorted({0, len(boxes) - 1, int(np.argmin(area)), int(np.argmax(area))})[:most]


def check_spp(plan, maps, feats, fc7, net):
    checked = 0
    for s, boxes, (a, b) in plan.groups:
        rows = pick_rows(boxes)
        if not rows:
            continue
        want, _ = RO.forward(maps[s], boxes[rows], list(pooling.LEVELS), "max", "adaptive",
                             "nchw")
        got = feats[a:b][rows]
        d = _first_diff(got, want)
        if d is not None:
            r = rows[d[0]]
            raise CheckError(f"{plan.name}: s={s} box {boxes[r].tolist()}: feature {d[1]} is "
                             f"{got[d]!r}, the region oracle's {want[d]!r}")
        checked += len(rows)
    check_fc(plan.name, feats, fc7, net, plan.windows)
    return checked


def check_fc(name, feats, fc7, net, rows):
    if feats.shape != (rows, net.fc_in):
        raise CheckError(f"{name}: fc6 input {feats.shape}, expected {(rows, net.fc_in)}")
    want = (rows, net.fc[-1][1].shape[0])
    if tuple(fc7.shape) != want:
        raise CheckError(f"{name}: fc7 output {tuple(fc7.shape)}, expected {want}")


def check_pool5(conv5, feats, fc7, net):
    """Returns the note on torch's adaptive_max_pool2d."""
    t = torch.from_numpy(conv5)
    mp = F.max_pool2d(t, 3, 2, ceil_mode=True).flatten(1).numpy()
    if mp.shape != feats.shape:
        raise CheckError(f"R-CNN pool5: library {feats.shape}, max_pool2d {mp.shape} (conv5 "
                         f"{conv5.shape[2]}x{conv5.shape[3]}: expected 13x13)")
    d = _first_diff(feats, mp)
    if d is not None:
        raise CheckError(f"R-CNN pool5: library feature {d} is {feats[d]!r}, torch "
                         f"max_pool2d(3, 2, ceil_mode) {mp[d]!r}")
    ap = F.adaptive_max_pool2d(t, pooling.POOL5_LEVEL).flatten(1).numpy()
    d = _first_diff(feats, ap)
    if d is not None:
        raise CheckError(f"R-CNN pool5: library feature {d} is {feats[d]!r}, torch "
                         f"adaptive_max_pool2d(6) {ap[d]!r} (their bins agree on 13x13)")
    check_fc("R-CNN", feats, fc7, net, len(feats))
    return ("library pool5 (level 6, sppnet bins) bitwise equal to torch max_pool2d(3, 2, "
            "ceil_mode) and adaptive_max_pool2d(6) on %d conv5 maps" % len(feats))


def check_peer(peer, calls, plan, feats):
    """(ok, note): the peer's pyramid per scale against the kernel's rows."""
    for (s, boxes, (a, b)), call in zip([g for g in plan.groups if g[2][1] > g[2][0]], calls):
        got = np.asarray(call())
        want = feats[a:b]
        if got.shape == want.shape and _first_diff(got, want) is None:
            continue
        why = ""
        if hasattr(peer, "mismatched_bins"):
            bad = peer.mismatched_bins(boxes)
            if bad:
                why = f"; its float32 bins differ from adaptive on {len(bad)} (box, level, axis)"
        where = _first_diff(got, want) if got.shape == want.shape else f"shape {got.shape}"
        return False, f"differs from the suite kernel at s={s}, {where}{why}: not verified"
    return True, "bitwise equal to the suite kernel's features on every window"
