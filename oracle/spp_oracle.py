"""Independent NumPy oracle for Spatial Pyramid Pooling, written from docs/spec.md (not from the
C code).

Stable API (other helpers import it; keep it backward compatible):

  axis_bins(A, n, conv, axis="axis") -> list of (start, end, div)
      docs/spec.md#2-bins, integer arithmetic only. conv in {"adaptive", "sppnet", "caffe"}.
      Raises ValueError naming the axis, A, n and the rule when the convention is invalid.
  forward(x, levels, pool, bins, layout, exact=False) -> (y, argmax)
      x: float array (N,C,H,W) for "nchw" or (N,H,W,C) for "nhwc".
      y: float32 (N, C*sum n^2) in canonical order (docs/spec.md#1-operation); with
      exact=True y is float64 and avg is not rounded to float32 (max values are the same
      either way).
      argmax: int32 offsets h*W+w inside the (sample, channel) plane for max, None for avg.
  backward(dy, argmax, x_shape, levels, pool, bins, layout) -> dx float64, x's shape/layout.
  avg_bound(x, levels, bins, layout) -> float64 (N, C*sum n^2): the tolerance of
      docs/spec.md#3-max-and-avg, 4 * count * 2^-24 * sum|x| / divisor for each avg output.
  backward_bound(dy, argmax, x_shape, levels, pool, bins, layout) -> float64, x's shape: a
      tolerance for a float32 backward: 4 * m * 2^-24 * sum|terms| per input element, m the
      number of terms it receives (each term rounded at most 3 times, summed with m-1
      roundings, so (m+2)u*sum|terms| <= 3m u*sum|terms| for m >= 1).
  parse_problem(s) -> dict(n, c, h, w, levels, pool, bins, layout)   (syntax only, canonical)
  format_problem(d) -> str          format_problem(parse_problem(s)) == s
  check_problem(d) -> None          docs/spec.md#6-validation rules that need no buffers; raises
      ValueError with the field and value named.
  in_shape(d) / out_shape(d)        array shapes of a problem dict.
  forward_problem(d, x, exact=False), backward_problem(d, dy, argmax)   dict-taking wrappers.

Max (docs/spec.md#3-max-and-avg): first maximum in row-major order inside the bin wins; a bin
holding NaN outputs the LAST NaN (row-major) and points at it; all -inf gives -inf at the first
element. The output value is the input element at the argmax, so signed zeros and NaN bits are
kept.
Avg: float64 sum of the bin over the product of the two per-axis divisors, then float32.
"""
import re

import numpy as np

CONVENTIONS = ("adaptive", "sppnet", "caffe")
POOLS = ("max", "avg")
LAYOUTS = ("nchw", "nhwc")
MAX_LEVELS = 8    # SPP_MAX_LEVELS of the suite (include/spp.h)
MAX_LEVEL = 64    # SPP_MAX_LEVEL
INT32_MAX = 2**31 - 1
SIZE_MAX = 2**64 - 1
U = 2.0**-24      # float32 unit roundoff


def _ceil_div(a, b):
    return -((-a) // b)


def axis_bins(A, n, conv, axis="axis"):
    """Bins of one axis (docs/spec.md#2-bins) as a list of (start, end, div); Python ints are
    exact."""
    A, n = int(A), int(n)
    if A < 1:
        raise ValueError(f"{axis}={A}: must be >= 1")
    if n < 1:
        raise ValueError(f"{axis}: level n={n}: must be >= 1")
    if conv == "adaptive":
        out = []
        for i in range(n):
            s = (i * A) // n
            e = _ceil_div((i + 1) * A, n)
            out.append((s, e, e - s))
        return out
    if conv == "sppnet":
        if A < n:
            raise ValueError(f"{axis}={A} with level n={n}: sppnet needs {axis} >= n "
                             f"(window ceil(A/n), stride floor(A/n))")
        win, stride = _ceil_div(A, n), A // n
        return [(i * stride, i * stride + win, win) for i in range(n)]
    if conv == "caffe":
        k = _ceil_div(A, n)
        p = (k * n - A + 1) // 2
        if not p < k:
            raise ValueError(f"{axis}={A} with level n={n}: caffe needs pad < kernel, got "
                             f"kernel k=ceil(A/n)={k}, pad (k*n-A+1)/2={p}")
        out = []
        for i in range(n):
            s = i * k - p
            e = s + k
            out.append((max(s, 0), min(e, A), min(e, A + p) - s))
        return out
    raise ValueError(f"bins={conv!r}: expected one of {CONVENTIONS}")


def _to_nchw(x, layout):
    if layout == "nchw":
        return x
    if layout == "nhwc":
        return np.moveaxis(x, 3, 1)
    raise ValueError(f"layout={layout!r}: expected one of {LAYOUTS}")


def _from_nchw(a, layout):
    return a if layout == "nchw" else np.moveaxis(a, 1, 3)


def _plan(H, W, levels, bins):
    if len(levels) < 1:
        raise ValueError("levels: none given")
    return [(n, axis_bins(H, n, bins, "H"), axis_bins(W, n, bins, "W")) for n in levels]


def _max_bin(blk):
    """blk: (N, C, bh, bw) -> (value, argmax inside the flattened bin) by the rule of
    docs/spec.md#3-max-and-avg."""
    N, C, bh, bw = blk.shape
    flat = blk.reshape(N, C, bh * bw)
    nan = np.isnan(flat)
    any_nan = nan.any(axis=2)
    last_nan = bh * bw - 1 - np.argmax(nan[:, :, ::-1], axis=2)
    num = np.where(nan, -np.inf, flat)
    m = num.max(axis=2, keepdims=True)
    first_max = np.argmax(num == m, axis=2)     # first True; all -inf -> m=-inf -> index 0
    idx = np.where(any_nan, last_nan, first_max)
    val = np.take_along_axis(flat, idx[:, :, None], axis=2)[:, :, 0]
    return val, idx


def forward(x, levels, pool, bins, layout, exact=False):
    """SPP forward; see the module docstring."""
    if pool not in POOLS:
        raise ValueError(f"pool={pool!r}: expected one of {POOLS}")
    xc = _to_nchw(np.asarray(x), layout)
    N, C, H, W = xc.shape
    plan = _plan(H, W, levels, bins)
    ys, ams = [], []
    for n, rows, cols in plan:
        y = np.empty((N, C, n, n), dtype=np.float64 if (exact or pool == "avg") else xc.dtype)
        am = np.empty((N, C, n, n), dtype=np.int64)
        for i, (rs, re_, rd) in enumerate(rows):
            for j, (cs, ce, cd) in enumerate(cols):
                blk = xc[:, :, rs:re_, cs:ce]
                if pool == "max":
                    v, k = _max_bin(blk)
                    bw = ce - cs
                    y[:, :, i, j] = v
                    am[:, :, i, j] = (rs + k // bw) * W + cs + k % bw
                else:
                    y[:, :, i, j] = blk.astype(np.float64).sum(axis=(2, 3)) / float(rd * cd)
        ys.append(y.reshape(N, C * n * n))
        ams.append(am.reshape(N, C * n * n))
    y = np.concatenate(ys, axis=1)
    y = y.astype(np.float64) if exact else y.astype(np.float32)
    argmax = np.concatenate(ams, axis=1).astype(np.int32) if pool == "max" else None
    return y, argmax


def backward(dy, argmax, x_shape, levels, pool, bins, layout):
    """SPP backward in float64 (docs/spec.md#4-gradients); dx has x's shape and layout."""
    if layout == "nchw":
        N, C, H, W = x_shape
    elif layout == "nhwc":
        N, H, W, C = x_shape
    else:
        raise ValueError(f"layout={layout!r}: expected one of {LAYOUTS}")
    plan = _plan(H, W, levels, bins)
    dy = np.asarray(dy, dtype=np.float64).reshape(N, -1)
    dx = np.zeros((N, C, H * W), dtype=np.float64)
    off = 0
    for n, rows, cols in plan:
        g = dy[:, off:off + C * n * n].reshape(N, C, n, n)
        if pool == "max":
            a = np.asarray(argmax).reshape(N, -1)[:, off:off + C * n * n].reshape(N, C, n * n)
            if a.size and (a.min() < 0 or a.max() >= H * W):
                raise ValueError("argmax: offset outside the plane")
            bi, ci = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
            for t in range(n * n):   # one scatter per bin keeps np.add.at's accumulation simple
                np.add.at(dx, (bi, ci, a[:, :, t]), g.reshape(N, C, n * n)[:, :, t])
        elif pool == "avg":
            d4 = dx.reshape(N, C, H, W)
            for i, (rs, re_, rd) in enumerate(rows):
                for j, (cs, ce, cd) in enumerate(cols):
                    d4[:, :, rs:re_, cs:ce] += (g[:, :, i, j] / float(rd * cd))[:, :, None, None]
        else:
            raise ValueError(f"pool={pool!r}: expected one of {POOLS}")
        off += C * n * n
    return _from_nchw(dx.reshape(N, C, H, W), layout).copy()


def avg_bound(x, levels, bins, layout):
    """docs/spec.md#3-max-and-avg avg tolerance per output: 4 * count * 2^-24 * sum|x| / divisor."""
    xc = _to_nchw(np.abs(np.asarray(x, dtype=np.float64)), layout)
    N, C, H, W = xc.shape
    out = []
    for n, rows, cols in _plan(H, W, levels, bins):
        b = np.empty((N, C, n, n))
        for i, (rs, re_, rd) in enumerate(rows):
            for j, (cs, ce, cd) in enumerate(cols):
                count = (re_ - rs) * (ce - cs)
                b[:, :, i, j] = 4 * count * U * xc[:, :, rs:re_, cs:ce].sum(axis=(2, 3)) / (rd * cd)
        out.append(b.reshape(N, -1))
    return np.concatenate(out, axis=1)


def backward_bound(dy, argmax, x_shape, levels, pool, bins, layout):
    """Tolerance for a float32 backward, see the module docstring."""
    s = backward(np.abs(np.asarray(dy, dtype=np.float64)), argmax, x_shape, levels, pool, bins,
                 layout)
    m = backward(np.ones(np.asarray(dy).shape), argmax, x_shape, levels, pool, bins, layout)
    if pool == "avg":   # m counts dy/divisor weights there; recount terms with unit weights
        m = _avg_terms(x_shape, levels, bins, layout)
    return 4 * np.maximum(m, 1) * U * s


def _avg_terms(x_shape, levels, bins, layout):
    N, C, H, W = x_shape if layout == "nchw" else (x_shape[0], x_shape[3], x_shape[1], x_shape[2])
    cnt = np.zeros((H, W))
    for n, rows, cols in _plan(H, W, levels, bins):
        for rs, re_, _ in rows:
            for cs, ce, _ in cols:
                cnt[rs:re_, cs:ce] += 1
    c4 = np.broadcast_to(cnt, (N, C, H, W))
    return _from_nchw(c4, layout).copy()


# ---- problems -------------------------------------------------------------------------------

_NUM = r"(0|[1-9][0-9]*)"
_RE = re.compile(r"n" + _NUM + "c" + _NUM + "h" + _NUM + "w" + _NUM +
                 r"_l((?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*)"
                 r"_(max|avg)_(adaptive|sppnet|caffe)_(nchw|nhwc)")


def parse_problem(s):
    """Problem string -> dict; syntax only (see check_problem), canonical spelling only."""
    if not isinstance(s, str):
        raise ValueError(f"problem string: expected str, got {type(s).__name__}")
    m = _RE.fullmatch(s)
    if not m:
        raise ValueError(f"problem string {s!r}: expected "
                         "n{N}c{C}h{H}w{W}_l{a.b}_{max|avg}_{adaptive|sppnet|caffe}_{nchw|nhwc}")
    n, c, h, w = (int(m.group(i)) for i in range(1, 5))
    levels = [int(t) for t in m.group(5).split(".")]
    if max(n, c, h, w) > 2**63 - 1:
        raise ValueError(f"problem string {s!r}: a dimension exceeds INT64_MAX")
    if len(levels) > MAX_LEVELS:
        raise ValueError(f"problem string {s!r}: {len(levels)} levels, at most {MAX_LEVELS}")
    if max(levels) > INT32_MAX:
        raise ValueError(f"problem string {s!r}: a level exceeds INT32_MAX")
    return dict(n=n, c=c, h=h, w=w, levels=levels, pool=m.group(6), bins=m.group(7),
                layout=m.group(8))


def format_problem(d):
    return (f"n{d['n']}c{d['c']}h{d['h']}w{d['w']}_l{'.'.join(str(v) for v in d['levels'])}"
            f"_{d['pool']}_{d['bins']}_{d['layout']}")


def check_problem(d):
    """docs/spec.md#6-validation rules that need no buffers; raises ValueError naming field and
    value."""
    if d["pool"] not in POOLS or d["bins"] not in CONVENTIONS or d["layout"] not in LAYOUTS:
        raise ValueError(f"pool/bins/layout={d['pool']}/{d['bins']}/{d['layout']}: unknown name")
    for k in "nchw":
        if d[k] < 1:
            raise ValueError(f"{k.upper()}={d[k]}: must be >= 1")
    lv = d["levels"]
    if not 1 <= len(lv) <= MAX_LEVELS:
        raise ValueError(f"levels: {len(lv)} given, expected 1..{MAX_LEVELS}")
    for i, v in enumerate(lv):
        if not 1 <= v <= MAX_LEVEL:
            raise ValueError(f"levels[{i}]={v}: must be in 1..{MAX_LEVEL}")
    if d["h"] * d["w"] > INT32_MAX:
        raise ValueError(f"H*W={d['h']}*{d['w']}: plane exceeds INT32_MAX (argmax is int32)")
    if d["n"] * d["c"] * d["h"] * d["w"] * 4 > SIZE_MAX:
        raise ValueError("N*C*H*W: input byte count overflows size_t")
    if d["n"] * d["c"] * sum(v * v for v in lv) * 4 > SIZE_MAX:
        raise ValueError("N*C*sum(n^2): output byte count overflows size_t")
    for v in lv:
        axis_bins(d["h"], v, d["bins"], "H")
        axis_bins(d["w"], v, d["bins"], "W")


def in_shape(d):
    return (d["n"], d["c"], d["h"], d["w"]) if d["layout"] == "nchw" else \
        (d["n"], d["h"], d["w"], d["c"])


def out_shape(d):
    return (d["n"], d["c"] * sum(v * v for v in d["levels"]))


def forward_problem(d, x, exact=False):
    return forward(x, d["levels"], d["pool"], d["bins"], d["layout"], exact=exact)


def backward_problem(d, dy, argmax):
    return backward(dy, argmax, in_shape(d), d["levels"], d["pool"], d["bins"], d["layout"])
