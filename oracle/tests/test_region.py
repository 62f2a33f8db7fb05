"""Region SPP (docs/spec.md#5-regions): every registered region kernel against the NumPy region
oracle (oracle/spp_region_oracle.py) and against roi__naive, plus the oracle's own checks.

Also the ctypes binding for the region API (region_kernels, run_region_forward/backward,
project), imported by test_region_cli.py. Buffers get guard zones: out-of-bounds writes fail.
"""
import ctypes as ct
import os
import subprocess

import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
import spp_region_oracle as RO

LIB = L.LIB
MAXL = L.MAX_LEVELS
GUARD = 64
SENT = np.float32(-12345.5)


class spp_region_problem(ct.Structure):
    _fields_ = [("c", ct.c_int64), ("h", ct.c_int64), ("w", ct.c_int64), ("layout", ct.c_int),
                ("nlevels", ct.c_int), ("levels", ct.c_int * MAXL), ("pool", ct.c_int),
                ("bins", ct.c_int)]


class spp_region_kernel(ct.Structure):
    _fields_ = [("name", ct.c_char_p), ("layouts", ct.c_uint), ("isa", ct.c_int),
                ("threaded", ct.c_int), ("summary", ct.c_char_p), ("forward", ct.c_void_p),
                ("backward", ct.c_void_p), ("workspace_size", ct.c_void_p)]


class spp_error(ct.Structure):
    _fields_ = [("msg", ct.c_char * 256)]


KP = ct.POINTER(spp_region_kernel)
LIB.spp_region_kernel_count.restype = ct.c_int
LIB.spp_region_kernel_at.restype = KP
LIB.spp_region_kernel_at.argtypes = [ct.c_int]
LIB.spp_region_kernel_find.restype = KP
LIB.spp_region_kernel_find.argtypes = [ct.c_char_p]
LIB.spp_region_forward.argtypes = [KP, ct.c_void_p, ct.c_void_p, ct.c_int64, ct.c_void_p,
                                   ct.c_void_p, ct.c_void_p, ct.c_int, ct.c_void_p]
LIB.spp_region_backward.argtypes = [KP, ct.c_void_p, ct.c_void_p, ct.c_int64, ct.c_void_p,
                                    ct.c_void_p, ct.c_void_p, ct.c_int, ct.c_void_p]
LIB.spp_roi_project.argtypes = [ct.c_void_p, ct.c_int64, ct.c_int, ct.c_int64, ct.c_int64,
                                ct.c_void_p, ct.c_void_p]


class SppError(Exception):
    def __init__(self, status, msg):
        super().__init__(f"{L.STATUS[status] if 0 <= status < len(L.STATUS) else status}: {msg}")
        self.status, self.msg = status, msg


def region_kernels():
    """[(name, layouts, isa, threaded, runnable)] in registry order, then any exported but not
    yet registered kernels named in env SPP_REGION_EXTRA (comma-separated; for checking a new
    kernel before its registry line is added)."""
    out = []
    extra = [e for e in os.environ.get("SPP_REGION_EXTRA", "").split(",") if e]
    ptrs = [LIB.spp_region_kernel_at(i) for i in range(LIB.spp_region_kernel_count())]
    for k in ptrs + [kernel_ptr(e) for e in extra]:
        k = k.contents
        lay = [l for b, l in enumerate(L.LAYOUTS) if k.layouts >> b & 1]
        out.append((k.name.decode(), lay, L.ISAS[k.isa], bool(k.threaded),
                    bool(LIB.spp_cpu_supports(k.isa))))
    return out


def kernel_ptr(name):
    """Registered kernel by name, else the exported symbol (for checks before registration)."""
    k = LIB.spp_region_kernel_find(name.encode())
    if k:
        return k
    return ct.cast(ct.addressof(spp_region_kernel.in_dll(LIB, "spp_region_kernel_" + name)), KP)


def problem(c, h, w, levels, pool, bins, layout):
    p = spp_region_problem(c, h, w, L.LAYOUTS.index(layout), len(levels))
    for i, n in enumerate(levels):
        p.levels[i] = n
    p.pool, p.bins = L.POOLS.index(pool), L.CONVENTIONS.index(bins)
    return p


def _guarded(arr, dtype, fill):
    a = np.ascontiguousarray(arr, dtype=dtype).ravel()
    buf = np.full(a.size + 2 * GUARD, fill, dtype=dtype)
    buf[GUARD:GUARD + a.size] = a
    return buf


def _check_guards(buf, fill, what):
    n = buf.size - 2 * GUARD
    for part in (buf[:GUARD], buf[GUARD + n:]):
        assert (part.view(np.uint32) == np.full(1, fill, buf.dtype).view(np.uint32)).all(), \
            f"{what}: guard zone overwritten"


def _ptr(buf):
    return buf.ctypes.data + GUARD * buf.itemsize


def run_region_forward(name, x, boxes, levels, pool, bins, layout, threads=1, want_argmax=True):
    """(y, argmax); argmax is None for avg, and for max with want_argmax=False (NULL passed:
    the inference path, values only)."""
    x = np.asarray(x, dtype=np.float32)
    chw = x.shape[1:] if x.ndim == 4 else x.shape
    C, H, W = chw if layout == "nchw" else (chw[2], chw[0], chw[1])
    boxes = np.ascontiguousarray(boxes, dtype=np.int32).reshape(-1, 4)
    R, per = len(boxes), C * sum(n * n for n in levels)
    xb = _guarded(x, np.float32, SENT)
    yb = _guarded(np.full(R * per, SENT), np.float32, SENT)
    ab = _guarded(np.full(R * per, -7), np.int32, np.int32(-99))
    err = spp_error()
    p = problem(C, H, W, levels, pool, bins, layout)
    st = LIB.spp_region_forward(kernel_ptr(name), ct.byref(p), boxes.ctypes.data, R, _ptr(xb),
                                _ptr(yb), _ptr(ab) if pool == "max" and want_argmax else None,
                                threads,
                                ct.byref(err))
    if st:
        raise SppError(st, err.msg.decode())
    _check_guards(yb, SENT, "y")
    _check_guards(ab, np.int32(-99), "argmax")
    assert np.array_equal(xb[GUARD:-GUARD].view(np.uint32), x.ravel().view(np.uint32)), \
        "input modified"
    y = yb[GUARD:-GUARD].reshape(R, per).copy()
    if pool == "max" and not want_argmax:
        assert (ab[GUARD:-GUARD] == -7).all(), "argmax written although NULL was passed"
        return y, None
    return y, (ab[GUARD:-GUARD].reshape(R, per).copy() if pool == "max" else None)


def assert_values_only_equal(name, x, boxes, levels, bins, layout, y):
    """Max without argmax (argmax = NULL, the inference path) gives the same y bit for bit."""
    for threads in (1, 2):
        yv, _ = run_region_forward(name, x, boxes, levels, "max", bins, layout, threads,
                                   want_argmax=False)
        bad = np.argwhere(yv.view(np.uint32) != y.view(np.uint32))
        assert bad.size == 0, f"{name} {layout} {bins} levels={levels}: y without argmax " \
                              f"differs at {bad[:5].tolist()}"


def run_region_backward(name, dy, argmax, x_shape, boxes, levels, pool, bins, layout,
                        threads=1):
    chw = x_shape[1:] if len(x_shape) == 4 else x_shape
    C, H, W = chw if layout == "nchw" else (chw[2], chw[0], chw[1])
    boxes = np.ascontiguousarray(boxes, dtype=np.int32).reshape(-1, 4)
    dyb = _guarded(dy, np.float32, SENT)
    amb = _guarded(argmax if argmax is not None else np.zeros(1), np.int32, np.int32(0))
    dxb = _guarded(np.full(C * H * W, SENT), np.float32, SENT)
    err = spp_error()
    p = problem(C, H, W, levels, pool, bins, layout)
    st = LIB.spp_region_backward(kernel_ptr(name), ct.byref(p), boxes.ctypes.data, len(boxes),
                                 _ptr(dyb), _ptr(amb) if argmax is not None else None,
                                 _ptr(dxb), threads, ct.byref(err))
    if st:
        raise SppError(st, err.msg.decode())
    _check_guards(dxb, SENT, "dx")
    return dxb[GUARD:-GUARD].reshape(x_shape).copy()


def project(img, stride, H, W):
    img = np.ascontiguousarray(img, dtype=np.float64).reshape(-1, 4)
    out = np.zeros((len(img), 4), dtype=np.int32)
    err = spp_error()
    st = LIB.spp_roi_project(img.ctypes.data, len(img), stride, H, W, out.ctypes.data,
                             ct.byref(err))
    if st:
        raise SppError(st, err.msg.decode())
    return out


# ---- cases -----------------------------------------------------------------------------------

KERNELS = region_kernels()
NAMES = [k[0] for k in KERNELS]


def kparams(layouts=("nchw", "nhwc")):
    out = []
    for name, lay, isa, thr, ok in KERNELS:
        for l in layouts:
            if l in lay:
                marks = () if ok else (
                    pytest.mark.skip(reason=f"{name}: {L.isa_unavailable(isa)}"),)
                out.append(pytest.param(name, l, marks=marks, id=f"{name}/{l}"))
    return out


def small_ints(rng, shape):
    """Small integers: max is exact and ties are frequent (the tie rule is really tested)."""
    return rng.integers(-3, 4, size=shape).astype(np.float32)


def make_map(rng, C, H, W, layout, fill="ints"):
    x = small_ints(rng, (C, H, W)) if fill == "ints" else \
        (rng.permutation(C * H * W).astype(np.float32).reshape(C, H, W) / 7.0)
    x = x if layout == "nchw" else x.transpose(1, 2, 0)
    return np.ascontiguousarray(x)[None]


def edge_boxes(H, W):
    """One-cell boxes, boxes smaller than the levels, boxes on every edge, the full map."""
    b = [(0, 0, 1, 1), (W - 1, H - 1, W, H), (W - 1, 0, W, 1), (0, H - 1, 1, H),
         (0, 0, W, H), (0, 0, W, 1), (0, 0, 1, H), (1, 1, 3, 2), (W // 3, H // 4, W - 1, H),
         (0, H // 2, W, H), (W // 2, 0, W, H // 2 + 1)]
    return np.array(b, dtype=np.int64)


def random_boxes(rng, H, W, R):
    x0 = rng.integers(0, W, R)
    y0 = rng.integers(0, H, R)
    x1 = np.array([rng.integers(a + 1, W + 1) for a in x0])
    y1 = np.array([rng.integers(a + 1, H + 1) for a in y0])
    return np.stack([x0, y0, x1, y1], 1)


# (C, H, W, levels): channel tails around the 8/32 vector widths, H < n, odd sizes
SHAPES = [(3, 5, 7, [6, 3, 2, 1]), (33, 9, 11, [4, 2, 1]), (8, 13, 13, [7]),
          (40, 6, 10, [2, 5, 3]), (70, 8, 9, [6, 3, 2, 1])]


@pytest.mark.parametrize("name,layout", kparams())
@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"c{s[0]}h{s[1]}w{s[2]}")
def test_forward_backward_adaptive(name, layout, pool, shape):
    C, H, W, levels = shape
    rng = np.random.default_rng(C * 1000 + H * 10 + W)
    x = make_map(rng, C, H, W, layout)
    boxes = np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 12)])
    _check(name, x, boxes, levels, pool, "adaptive", layout, rng)


@pytest.mark.parametrize("name,layout", kparams())
@pytest.mark.parametrize("bins", ["sppnet", "caffe"])
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_forward_backward_other_conventions(name, layout, bins, pool):
    C, H, W, levels = 17, 14, 16, [3, 2, 1]
    rng = np.random.default_rng(5)
    x = make_map(rng, C, H, W, layout)
    cand = random_boxes(rng, H, W, 80)
    ok = []
    for b in cand:
        try:
            RO.check_boxes(b[None], H, W, levels, bins)
            ok.append(b)
        except ValueError:
            pass
    assert len(ok) >= 10
    _check(name, x, np.array(ok), levels, pool, bins, layout, rng)


def _check(name, x, boxes, levels, pool, bins, layout, rng):
    y, am = run_region_forward(name, x, boxes, levels, pool, bins, layout)
    ye, ame = RO.forward(x, boxes, levels, pool, bins, layout, exact=True)
    case = f"{name} {layout} {pool} {bins} levels={levels} boxes={len(boxes)}"
    if pool == "max":
        bad = np.argwhere(y.view(np.uint32) != ye.astype(np.float32).view(np.uint32))
        assert bad.size == 0, f"{case}: y mismatch at {bad[:5].tolist()}"
        bad = np.argwhere(am != ame)
        assert bad.size == 0, f"{case}: argmax mismatch at {bad[:5].tolist()}: " \
                              f"{am[tuple(bad[0])]} vs {ame[tuple(bad[0])]}"
        assert_values_only_equal(name, x, boxes, levels, bins, layout, y)
    else:
        err = np.abs(y - ye)
        bound = RO.avg_bound(x, boxes, levels, bins, layout)
        assert (err <= bound).all(), \
            f"{case}: avg error {err.max()} over the docs/spec.md#3-max-and-avg bound"
    dy = small_ints(rng, y.shape)
    dx = run_region_backward(name, dy, am, x.shape, boxes, levels, pool, bins, layout)
    dxe = RO.backward(dy, ame, x.shape, boxes, levels, pool, bins, layout)
    bb = RO.backward_bound(dy, ame, x.shape, boxes, levels, pool, bins, layout)
    assert (np.abs(dx - dxe) <= bb).all(), f"{case}: backward off by {np.abs(dx - dxe).max()}"
    assert np.abs(dxe).sum() > 0, f"{case}: gradient all zero: check not trusted"
    if name != "roi__naive":   # the fast kernels promise roi__naive's exact results
        yn, amn = run_region_forward("roi__naive", x, boxes, levels, pool, bins, layout)
        if pool == "max":
            assert np.array_equal(am, amn)
        dxn = run_region_backward("roi__naive", dy, am, x.shape, boxes, levels, pool, bins,
                                  layout)
        assert np.array_equal(dx.view(np.uint32), dxn.view(np.uint32)), \
            f"{case}: backward not bitwise equal to roi__naive"


@pytest.mark.parametrize("name,layout", kparams())
def test_nan_inf_ties(name, layout):
    C, H, W, levels = 19, 7, 9, [4, 2, 1]
    rng = np.random.default_rng(11)
    x = make_map(rng, C, H, W, layout)
    flat = x.reshape(-1)
    idx = rng.choice(flat.size, 40, replace=False)
    flat[idx[:15]] = np.nan
    flat[idx[15:25]] = np.inf
    flat[idx[25:]] = -np.inf
    if layout == "nchw":
        x[0, 0] = -np.inf              # an all -inf plane: argmax must be each bin's first cell
    else:
        x[0, :, :, 0] = -np.inf
    boxes = np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 20)])
    y, am = run_region_forward(name, x, boxes, levels, "max", "adaptive", layout)
    ye, ame = RO.forward(x, boxes, levels, "max", "adaptive", layout)
    assert np.array_equal(am, ame)
    assert np.array_equal(y.view(np.uint32), ye.view(np.uint32))
    assert np.isnan(y).any() and np.isneginf(y).any()
    assert_values_only_equal(name, x, boxes, levels, "adaptive", layout, y)


@pytest.mark.parametrize("name,layout", kparams())
def test_signed_zero_and_equal_maxima(name, layout):
    """Bins whose maximum is -0.0 and +0.0 mixed (the first zero's sign wins) or a value held by
    several cells (the first wins): the cases where merging by value alone goes wrong."""
    C, H, W, levels = 40, 9, 11, [6, 3, 2, 1]
    rng = np.random.default_rng(5)
    vals = np.array([-0.0, 0.0, -1.0, 2.0], np.float32)
    x = vals[rng.choice(4, size=(C, H, W), p=[0.35, 0.35, 0.2, 0.1])]
    x = np.ascontiguousarray(x if layout == "nchw" else x.transpose(1, 2, 0))[None]
    boxes = np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 30)])
    y, am = run_region_forward(name, x, boxes, levels, "max", "adaptive", layout)
    ye, ame = RO.forward(x, boxes, levels, "max", "adaptive", layout)
    assert np.array_equal(am, ame)
    assert np.array_equal(y.view(np.uint32), ye.view(np.uint32))
    assert (np.signbit(y) & (y == 0)).any() and (~np.signbit(y) & (y == 0)).any()
    assert_values_only_equal(name, x, boxes, levels, "adaptive", layout, y)


@pytest.mark.parametrize("name,layout", kparams())
@pytest.mark.parametrize("fill", ["distinct", "ties", "zeros", "relu"])
@pytest.mark.parametrize("levels", [[6, 3, 2, 1], [2, 1], [5]], ids=str)
@pytest.mark.parametrize("C", [37, 70])
def test_values_only_many_boxes(name, layout, fill, levels, C):
    """Enough boxes that their areas sum to many maps, as in detection: the NHWC AVX2 kernels'
    values-only path then pools bins of 2x2 cells and more from max tables of the map built
    once per call (few boxes, as in the tests above, skip them). Bins of every size and
    position, channel tails of the 64-channel chunks: bitwise roi__naive's y."""
    H, W = 23, 29
    rng = np.random.default_rng(C * 7 + len(levels))
    if fill == "distinct":
        x = make_map(rng, C, H, W, "nchw", fill="perm")[0]
    elif fill == "relu":
        x = np.maximum(rng.normal(size=(C, H, W)), 0).astype(np.float32)
    else:
        vals = FILLS[fill]
        x = vals[rng.integers(0, len(vals), size=(C, H, W))]
    x = np.ascontiguousarray(x if layout == "nchw" else x.transpose(1, 2, 0))[None]
    boxes = np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 120)])
    area = int(((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sum())
    assert area >= 8 * H * W, "too few box reads: the table path would not run"  # it needs 4
    yn, _ = run_region_forward("roi__naive", x, boxes, levels, "max", "adaptive", layout)
    if name == "roi__naive":  # the reference itself against the oracle; the rest against it
        ye, _ = RO.forward(x, boxes, levels, "max", "adaptive", layout, exact=True)
        assert np.array_equal(yn.view(np.uint32), ye.astype(np.float32).view(np.uint32))
    assert_values_only_equal(name, x, boxes, levels, "adaptive", layout, yn)


def test_full_map_box_equals_whole_map_spp():
    rng = np.random.default_rng(3)
    C, H, W, levels = 6, 13, 10, [6, 3, 2, 1]
    for layout in ("nchw", "nhwc"):
        x = make_map(rng, C, H, W, layout)
        for pool in ("max", "avg"):
            y, am = RO.forward(x, [[0, 0, W, H]], levels, pool, "adaptive", layout)
            ym, amm = O.forward(x, levels, pool, "adaptive", layout)
            assert np.array_equal(y, ym)
            if pool == "max":
                assert np.array_equal(am, amm)
            for name in NAMES:
                if layout in dict((k[0], k[1]) for k in KERNELS)[name]:
                    yk, _ = run_region_forward(name, x, [[0, 0, W, H]], levels, pool,
                                               "adaptive", layout)
                    assert np.allclose(yk, ym, rtol=0, atol=1e-5), name


def test_box_bins_are_axis_bins_offset():
    """A box's bins are axis_bins of its size, offset; adaptive repeats cells when box < n."""
    x = np.arange(1 * 2 * 3, dtype=np.float32).reshape(1, 1, 2, 3)   # C=1, H=2, W=3
    y, am = RO.forward(x, [[1, 0, 3, 1]], [4], "max", "adaptive", "nchw")   # box 1x2 cells
    # columns of a 2-wide box at n=4: [0,1) [0,1) [1,2) [1,2) -> map columns 1,1,2,2; one row
    assert am.reshape(4, 4).tolist() == [[1, 1, 2, 2]] * 4
    for name in NAMES:
        if "nchw" in dict((k[0], k[1]) for k in KERNELS)[name]:
            _, amk = run_region_forward(name, x, [[1, 0, 3, 1]], [4], "max", "adaptive", "nchw")
            assert np.array_equal(amk, am)


def test_oracle_gradient_finite_differences():
    """The oracle's analytic gradient vs central differences on distinct values (float64)."""
    rng = np.random.default_rng(8)
    C, H, W, levels = 2, 6, 7, [3, 2, 1]
    boxes = np.array([[0, 0, 7, 6], [1, 2, 4, 6], [3, 0, 7, 3], [5, 5, 6, 6]])
    for layout in ("nchw", "nhwc"):
        x = make_map(rng, C, H, W, layout, fill="perm").astype(np.float64)
        for pool in ("max", "avg"):
            y, am = RO.forward(x, boxes, levels, pool, "adaptive", layout, exact=True)
            dy = rng.standard_normal(y.shape)
            dx = RO.backward(dy, am, x.shape, boxes, levels, pool, "adaptive", layout)
            eps = 1e-3   # values are multiples of 1/7: no max flips at this step
            num = np.zeros_like(x)
            for k in range(x.size):
                xp, xm = x.copy().reshape(-1), x.copy().reshape(-1)
                xp[k] += eps
                xm[k] -= eps
                fp = (RO.forward(xp.reshape(x.shape), boxes, levels, pool, "adaptive", layout,
                                 exact=True)[0] * dy).sum()
                fm = (RO.forward(xm.reshape(x.shape), boxes, levels, pool, "adaptive", layout,
                                 exact=True)[0] * dy).sum()
                num.reshape(-1)[k] = (fp - fm) / (2 * eps)
            assert np.allclose(num, dx, atol=1e-6), (layout, pool)
            if pool == "max":
                assert np.isclose(dx.sum(), dy.sum())


@pytest.mark.parametrize("name,layout", kparams())
def test_threads_deterministic(name, layout):
    rng = np.random.default_rng(21)
    C, H, W, levels = 35, 12, 15, [6, 3, 2, 1]
    x = make_map(rng, C, H, W, layout, fill="perm")
    boxes = random_boxes(rng, H, W, 60)
    for pool in ("max", "avg"):
        ref = None
        for t in (1, 2, 3, 4):
            y, am = run_region_forward(name, x, boxes, levels, pool, "adaptive", layout, t)
            dy = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
            dx = run_region_backward(name, dy, am, x.shape, boxes, levels, pool, "adaptive",
                                     layout, t)
            got = (y.view(np.uint32), None if am is None else am, dx.view(np.uint32))
            if ref is None:
                ref = got
            else:
                assert np.array_equal(ref[0], got[0]), f"{name} {pool}: y differs at t={t}"
                assert pool == "avg" or np.array_equal(ref[1], got[1])
                assert np.array_equal(ref[2], got[2]), f"{name} {pool}: dx differs at t={t}"


BAD = [([[-1, 0, 2, 2]], "x0 must be >= 0"), ([[2, 0, 2, 2]], "x0 < x1 required"),
       ([[0, 0, 2, 9]], "y1 must be <= H"), ([[0, 3, 2, 3]], "y0 < y1 required"),
       ([[0, 0, 99, 2]], "x1 must be <= W"), ([[0, -4, 1, 1]], "y0 must be >= 0")]


@pytest.mark.parametrize("bad,rule", BAD, ids=[b[1] for b in BAD])
@pytest.mark.parametrize("name,layout", kparams(("nchw", "nhwc"))[:3])
def test_invalid_boxes_rejected(name, layout, bad, rule):
    C, H, W = 3, 5, 6
    x = np.ones((1, C, H, W) if layout == "nchw" else (1, H, W, C), np.float32)
    boxes = np.array([[0, 0, 6, 5], [1, 1, 2, 2]] + bad)
    with pytest.raises(SppError) as e:
        run_region_forward(name, x, boxes, [2, 1], "max", "adaptive", layout)
    assert "boxes[2]=(x0=%d,y0=%d,x1=%d,y1=%d)" % tuple(bad[0]) in e.value.msg
    assert rule in e.value.msg
    with pytest.raises(ValueError, match=r"boxes\[2\]"):
        RO.check_boxes(boxes, H, W, [2, 1], "adaptive")


def test_convention_invalid_for_box():
    x = np.ones((1, 2, 8, 8), np.float32)
    with pytest.raises(SppError) as e:   # a 2-row box cannot hold 3 sppnet bins
        run_region_forward("roi__naive", x, [[0, 0, 8, 8], [0, 0, 5, 2]], [3], "max", "sppnet",
                           "nchw")
    assert "boxes[1]=(x0=0,y0=0,x1=5,y1=2)" in e.value.msg and "box height" in e.value.msg
    with pytest.raises(ValueError, match=r"boxes\[1\].*box height"):
        RO.check_boxes([[0, 0, 8, 8], [0, 0, 5, 2]], 8, 8, [3], "sppnet")


def test_registry_has_reference_first():
    assert NAMES and NAMES[0] == "roi__naive"
    assert len(set(NAMES)) == len(NAMES)


# ---- property test: random maps, boxes and pyramids, every region kernel vs roi__naive ----

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FILLS = {"ties": np.array([-1.0, 0.0, 1.0, 2.0], np.float32),
         "zeros": np.array([-0.0, 0.0, 0.0, -1.0], np.float32),
         "special": np.array([np.nan, -np.inf, np.inf, 0.0, -0.0, 1.0], np.float32),
         "relu": None}


@st.composite
def region_cases(draw):
    C, H, W = draw(st.integers(1, 70)), draw(st.integers(1, 12)), draw(st.integers(1, 12))
    levels = draw(st.lists(st.sampled_from([1, 2, 3, 4, 6]), min_size=1, max_size=4))
    fill = draw(st.sampled_from(sorted(FILLS)))
    R = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    return C, H, W, levels, fill, R, seed


@pytest.mark.parametrize("name,layout", [p for p in kparams() if "roi__naive" not in p.id])
@given(case=region_cases())
def test_region_kernels_match_naive_property(name, layout, case):
    """Random adaptive pyramids, maps full of ties, signed zeros, NaN and infinities: max with
    and without argmax (the values-only path), at 1 and 2 threads, bitwise equal to roi__naive;
    avg within the docs/spec.md#3-max-and-avg bound of the oracle."""
    C, H, W, levels, fill, R, seed = case
    rng = np.random.default_rng(seed)
    vals = FILLS[fill]
    x = np.maximum(rng.normal(size=(C, H, W)), 0).astype(np.float32) if vals is None else \
        vals[rng.integers(0, len(vals), size=(C, H, W))]
    x = np.ascontiguousarray(x if layout == "nchw" else x.transpose(1, 2, 0))[None]
    boxes = random_boxes(rng, H, W, R)
    yn, amn = run_region_forward("roi__naive", x, boxes, levels, "max", "adaptive", layout)
    for threads in (1, 2):
        y, am = run_region_forward(name, x, boxes, levels, "max", "adaptive", layout, threads)
        assert np.array_equal(y.view(np.uint32), yn.view(np.uint32)), f"{name}: y vs naive"
        assert np.array_equal(am, amn), f"{name}: argmax vs naive"
        yv, _ = run_region_forward(name, x, boxes, levels, "max", "adaptive", layout, threads,
                                   want_argmax=False)
        assert np.array_equal(yv.view(np.uint32), yn.view(np.uint32)), \
            f"{name}: y without argmax vs naive"
    if fill != "special":
        ya, _ = run_region_forward(name, x, boxes, levels, "avg", "adaptive", layout)
        ye, _ = RO.forward(x, boxes, levels, "avg", "adaptive", layout)
        assert (np.abs(ya - ye) <= RO.avg_bound(x, boxes, levels, "adaptive", layout)).all()
