"""Independent NumPy oracle for region SPP (docs/spec.md#5-regions), written from docs/spec.md.

Bins come from spp_oracle.axis_bins (the one oracle of bin boundaries) applied to each box's
height and width, offset by y0 / x0. Everything else (validation, max rule, avg, gradients,
window projection) is written here from docs/spec.md sections 3-5, not from the C code.

API:
  check_boxes(boxes, H, W, levels, bins) -> int64 (R, 4) array; raises ValueError naming the
      box index, its coordinates and the rule (0 <= x0 < x1 <= W, 0 <= y0 < y1 <= H, the
      convention valid for the box height and width at every level).
  forward(x, boxes, levels, pool, bins, layout, exact=False) -> (y, argmax)
      x: the map, (C,H,W) or (1,C,H,W) for "nchw", (H,W,C) or (1,H,W,C) for "nhwc".
      boxes: integer (R, 4) rows x0, y0, x1, y1 (half-open feature-map cells).
      y: float32 (R, C*sum n^2), each row in canonical order (level, channel, bin row, bin
      column); float64 unrounded with exact=True. argmax: int32 offsets h*W+w in the map's
      plane for max, None for avg.
  backward(dy, argmax, x_shape, boxes, levels, pool, bins, layout) -> dx float64, x's shape.
  avg_bound(x, boxes, levels, bins, layout) -> the docs/spec.md#3-max-and-avg tolerance per avg
      output.
  backward_bound(dy, argmax, x_shape, boxes, levels, pool, bins, layout) -> tolerance per dx
      element for a float32 backward: 4 * m * 2^-24 * sum|terms| (m = terms received).
  project(img_boxes, stride, H, W) -> int64 (R, 4): the SPP-net window projection
      (docs/spec.md#5-regions):
      left = floor(x0/S)+1, right = ceil(x1/S)-1 (same for top/bottom), both clamped to the
      map, right = max(right, left) (an empty window becomes the single cell at its clamped
      left/top edge), half-open end = right + 1.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spp_oracle import axis_bins  # noqa: E402  (one oracle of bin boundaries)

U = 2.0**-24
POOLS = ("max", "avg")
LAYOUTS = ("nchw", "nhwc")


def _map_chw(x, layout):
    """The map as a (C, H, W) view, accepting a leading N=1 axis."""
    x = np.asarray(x)
    if x.ndim == 4:
        if x.shape[0] != 1:
            raise ValueError(f"map shape {x.shape}: region SPP takes one map (N must be 1)")
        x = x[0]
    if x.ndim != 3:
        raise ValueError(f"map shape {x.shape}: expected 3 or 4 dimensions")
    if layout == "nchw":
        return x
    if layout == "nhwc":
        return x.transpose(2, 0, 1)
    raise ValueError(f"layout={layout!r}: expected one of {LAYOUTS}")


def _shape_chw(x_shape, layout):
    s = tuple(x_shape)
    if len(s) == 4:
        s = s[1:]
    return s if layout == "nchw" else (s[2], s[0], s[1])


def check_boxes(boxes, H, W, levels, bins):
    b = np.asarray(boxes)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes shape {b.shape}: expected (R, 4) rows x0, y0, x1, y1")
    if b.shape[0] < 1:
        raise ValueError("boxes: at least one box is required")
    if not np.issubdtype(b.dtype, np.integer):
        raise ValueError(f"boxes dtype {b.dtype}: expected integers")
    b = b.astype(np.int64)
    for r, (x0, y0, x1, y1) in enumerate(b.tolist()):
        where = f"boxes[{r}]=(x0={x0},y0={y0},x1={x1},y1={y1})"
        if not (0 <= x0 < x1 <= W):
            raise ValueError(f"{where}: need 0 <= x0 < x1 <= W={W}")
        if not (0 <= y0 < y1 <= H):
            raise ValueError(f"{where}: need 0 <= y0 < y1 <= H={H}")
        for n in levels:
            try:
                axis_bins(y1 - y0, n, bins, "box height")
                axis_bins(x1 - x0, n, bins, "box width")
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
    return b


def _box_plan(box, levels, bins):
    x0, y0, x1, y1 = box
    out = []
    for n in levels:
        rows = [(s + y0, e + y0, d) for s, e, d in axis_bins(y1 - y0, n, bins, "box height")]
        cols = [(s + x0, e + x0, d) for s, e, d in axis_bins(x1 - x0, n, bins, "box width")]
        out.append((n, rows, cols))
    return out


def _max_bin(blk):
    """blk (C, bh, bw) -> (values (C,), index inside the flattened bin) by the rule
    of docs/spec.md#3-max-and-avg."""
    C, bh, bw = blk.shape
    flat = blk.reshape(C, bh * bw)
    nan = np.isnan(flat)
    last_nan = bh * bw - 1 - np.argmax(nan[:, ::-1], axis=1)
    num = np.where(nan, -np.inf, flat)
    first_max = np.argmax(num == num.max(axis=1, keepdims=True), axis=1)
    idx = np.where(nan.any(axis=1), last_nan, first_max)
    return flat[np.arange(C), idx], idx


def forward(x, boxes, levels, pool, bins, layout, exact=False):
    if pool not in POOLS:
        raise ValueError(f"pool={pool!r}: expected one of {POOLS}")
    xc = _map_chw(x, layout)
    C, H, W = xc.shape
    b = check_boxes(boxes, H, W, levels, bins)
    per = C * sum(n * n for n in levels)
    y = np.empty((len(b), per), dtype=np.float64)
    am = np.zeros((len(b), per), dtype=np.int64)
    for r, box in enumerate(b.tolist()):
        off = 0
        for n, rows, cols in _box_plan(box, levels, bins):
            yl = np.empty((C, n, n))
            al = np.zeros((C, n, n), dtype=np.int64)
            for i, (rs, re_, rd) in enumerate(rows):
                for j, (cs, ce, cd) in enumerate(cols):
                    blk = xc[:, rs:re_, cs:ce]
                    if pool == "max":
                        v, k = _max_bin(blk)
                        yl[:, i, j] = v
                        al[:, i, j] = (rs + k // (ce - cs)) * W + cs + k % (ce - cs)
                    else:
                        yl[:, i, j] = blk.astype(np.float64).sum(axis=(1, 2)) / float(rd * cd)
            y[r, off:off + C * n * n] = yl.reshape(-1)
            am[r, off:off + C * n * n] = al.reshape(-1)
            off += C * n * n
    y = y if exact else y.astype(np.float32)
    return y, (am.astype(np.int32) if pool == "max" else None)


def backward(dy, argmax, x_shape, boxes, levels, pool, bins, layout):
    C, H, W = _shape_chw(x_shape, layout)
    b = check_boxes(boxes, H, W, levels, bins)
    dy = np.asarray(dy, dtype=np.float64).reshape(len(b), -1)
    dx = np.zeros((C, H, W))
    flat = dx.reshape(C, H * W)
    for r, box in enumerate(b.tolist()):
        off = 0
        for n, rows, cols in _box_plan(box, levels, bins):
            g = dy[r, off:off + C * n * n].reshape(C, n, n)
            if pool == "max":
                a = np.asarray(argmax).reshape(len(b), -1)[r, off:off + C * n * n]
                a = a.reshape(C, n * n).astype(np.int64)
                for t in range(n * n):     # one bin at a time: np.add.at per plane
                    np.add.at(flat, (np.arange(C), a[:, t]), g.reshape(C, n * n)[:, t])
            elif pool == "avg":
                for i, (rs, re_, rd) in enumerate(rows):
                    for j, (cs, ce, cd) in enumerate(cols):
                        dx[:, rs:re_, cs:ce] += (g[:, i, j] / float(rd * cd))[:, None, None]
            else:
                raise ValueError(f"pool={pool!r}: expected one of {POOLS}")
            off += C * n * n
    out = dx if layout == "nchw" else dx.transpose(1, 2, 0)
    return np.ascontiguousarray(out).reshape(x_shape)


def avg_bound(x, boxes, levels, bins, layout):
    xc = np.abs(_map_chw(x, layout).astype(np.float64))
    C, H, W = xc.shape
    b = check_boxes(boxes, H, W, levels, bins)
    out = np.empty((len(b), C * sum(n * n for n in levels)))
    for r, box in enumerate(b.tolist()):
        parts = []
        for n, rows, cols in _box_plan(box, levels, bins):
            bl = np.empty((C, n, n))
            for i, (rs, re_, rd) in enumerate(rows):
                for j, (cs, ce, cd) in enumerate(cols):
                    cnt = (re_ - rs) * (ce - cs)
                    bl[:, i, j] = 4 * cnt * U * xc[:, rs:re_, cs:ce].sum(axis=(1, 2)) / (rd * cd)
            parts.append(bl.reshape(-1))
        out[r] = np.concatenate(parts)
    return out


def backward_bound(dy, argmax, x_shape, boxes, levels, pool, bins, layout):
    s = backward(np.abs(np.asarray(dy, dtype=np.float64)), argmax, x_shape, boxes, levels, pool,
                 bins, layout)
    if pool == "max":
        m = backward(np.ones(np.asarray(dy).shape), argmax, x_shape, boxes, levels, pool, bins,
                     layout)
    else:   # count terms: each bin's cells receive one term per output
        C, H, W = _shape_chw(x_shape, layout)
        cnt = np.zeros((H, W))
        for box in check_boxes(boxes, H, W, levels, bins).tolist():
            for n, rows, cols in _box_plan(box, levels, bins):
                for rs, re_, _ in rows:
                    for cs, ce, _ in cols:
                        cnt[rs:re_, cs:ce] += 1
        m4 = np.broadcast_to(cnt, (C, H, W))
        m = (m4 if layout == "nchw" else m4.transpose(1, 2, 0)).reshape(x_shape)
    return 4 * np.maximum(m, 1) * U * s


def project(img_boxes, stride, H, W):
    """SPP-net window projection, see the module docstring."""
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride={stride}: must be an integer >= 1")
    if H < 1 or W < 1:
        raise ValueError(f"map {H}x{W}: H and W must be >= 1")
    b = np.asarray(img_boxes, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"image boxes shape {b.shape}: expected (R, 4)")
    out = np.empty(b.shape, dtype=np.int64)
    for r, (x0, y0, x1, y1) in enumerate(b.tolist()):
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            raise ValueError(f"image boxes[{r}]: not finite")
        if x1 < x0 or y1 < y0:
            raise ValueError(f"image boxes[{r}]=({x0},{y0},{x1},{y1}): need x0 <= x1, y0 <= y1")

        def clamp(v, hi):
            return min(max(v, 0), hi)
        left = clamp(math.floor(x0 / stride) + 1, W - 1)
        top = clamp(math.floor(y0 / stride) + 1, H - 1)
        right = max(clamp(math.ceil(x1 / stride) - 1, W - 1), left)
        bottom = max(clamp(math.ceil(y1 / stride) - 1, H - 1), top)
        out[r] = (left, top, right + 1, bottom + 1)
    return out
