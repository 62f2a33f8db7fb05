"""Forward max on small planes, with and without argmax, every kernel vs the oracle, bitwise
(docs/spec.md#3-max-and-avg). The fused kernels' small-plane core (H*W <= 400, C >= 2, more
than 512 input elements) has a values-only form that merges coarse bins by value alone and
must fall back to positions when a merged bin holds -0.0, and to the exact folds on NaN; the
fills here make those cases common: zero maxima of both signs (in every channel, or only in
some 16-channel groups so that groups of one call take different forms), NaNs of distinct
payloads (everywhere, or only in the second 16-channel group, which the 16-lane NHWC core runs
in one wave with the first), all -inf and +inf ties."""
import itertools

import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
from spp_testkit import assert_max_exact, kernel_cases, seed_of, threads_for, valid

SHAPES = [(2, 33, 13, 13, [6, 3, 2, 1]), (1, 17, 10, 10, [6, 3, 2, 1]),
          (3, 16, 7, 5, [4, 2, 1]), (1, 40, 19, 21, [6, 3, 2, 1]), (2, 20, 13, 13, [3, 2, 1]),
          (2, 48, 13, 13, [6, 3, 2, 1])]  # groups of 16 live channels: read in place, in waves
PROBLEMS = [dict(n=n, c=c, h=h, w=w, levels=lv, pool="max", bins=b, layout=l)
            for (n, c, h, w, lv), b, l in itertools.product(SHAPES, O.CONVENTIONS, O.LAYOUTS)]
PROBLEMS = [d for d in PROBLEMS if valid(d)]
FILLS = ["zeros", "zeros-some-groups", "negzero-first", "nan", "nan-some-groups", "ninf", "pinf"]


def _fill(d, kind):
    """Input in d's layout; built in NCHW, so 'some groups' means channels."""
    rng = np.random.default_rng(seed_of(O.format_problem(d), kind))
    n, c, h, w = d["n"], d["c"], d["h"], d["w"]
    shape = (n, c, h, w)
    r = rng.random(shape)
    if kind == "zeros":        # zero maxima of both signs everywhere
        x = np.where(r < 0.5, -0.0, 0.0)
        x[r > 0.9] = -1.0
    elif kind == "zeros-some-groups":   # -0.0 only in channels 16..31: one group falls back
        x = np.where(r < 0.8, 0.0, -2.0)
        ch = np.arange(c)[None, :, None, None]
        x = np.where((ch >= 16) & (ch < 32) & (r < 0.4), -0.0, x)
    elif kind == "negzero-first":   # +0.0 everywhere, -0.0 on the first pixel of each plane
        x = np.where(r < 0.9, 0.0, -3.0)
        x[:, :, 0, 0] = -0.0
    elif kind == "nan":        # NaNs with distinct payloads: the last one must win
        x = rng.integers(0, 3, shape).astype(np.float64)
        x[r < 0.05] = np.inf
        x = x.astype(np.float32)
        k = np.flatnonzero(r.ravel() > 0.93)
        x.reshape(-1).view(np.uint32)[k] = 0x7FC00000 | (k.astype(np.uint32) & 0x3FFFFF)
    elif kind == "nan-some-groups":   # NaNs only in channels 16..31: the second group of a wave
        x = rng.integers(0, 3, shape).astype(np.float32)
        ch = np.broadcast_to(np.arange(c)[None, :, None, None], shape).ravel()
        k = np.flatnonzero((r.ravel() > 0.97) & (ch >= 16) & (ch < 32))
        x.reshape(-1).view(np.uint32)[k] = 0x7FC00000 | (k.astype(np.uint32) & 0x3FFFFF)
    elif kind == "ninf":
        x = rng.integers(-3, 3, shape).astype(np.float64)
        x[r < 0.8] = -np.inf
        x[:, ::3] = -np.inf
    elif kind == "pinf":
        x = np.where(r < 0.2, np.inf, rng.integers(-3, 3, shape).astype(np.float64))
        x[r > 0.95] = -0.0
    else:
        raise ValueError(kind)
    x = np.ascontiguousarray(x, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if d["layout"] == "nhwc" else x


@pytest.mark.parametrize("kernel,problem,kind", kernel_cases(PROBLEMS, FILLS))
def test_small_planes_with_and_without_argmax(kernel, problem, kind):
    d = O.parse_problem(problem)
    x = _fill(d, kind)
    yo, ao = O.forward_problem(d, x)
    for threads in sorted({1, threads_for(kernel)}):
        y, a = L.run_forward(kernel, d, x, threads=threads)
        assert_max_exact(d, y, a, yo, ao, f"[fill={kind} threads={threads}]")
        y, a = L.run_forward(kernel, d, x, threads=threads, want_argmax=False)
        assert a is None
        bad = np.flatnonzero(y.view(np.uint32).ravel() != yo.view(np.uint32).ravel())
        assert bad.size == 0, (f"argmax=NULL: {bad.size} y mismatch(es) [fill={kind} "
                               f"threads={threads}], first at {bad[:5]}: got "
                               f"{y.ravel()[bad[:5]]!r}, expected {yo.ravel()[bad[:5]]!r}")


def test_fills_make_the_cases():
    """zero maxima of both signs, and NaN bins, really occur in the coarse levels."""
    d = dict(n=2, c=33, h=13, w=13, levels=[6, 3, 2, 1], pool="max", bins="adaptive",
             layout="nchw")
    yo, _ = O.forward_problem(d, _fill(d, "zeros"))
    coarse = yo[:, 33 * 36:]
    z = coarse[coarse == 0]
    assert np.signbit(z).any() and (~np.signbit(z)).any()
    yo, _ = O.forward_problem(d, _fill(d, "negzero-first"))
    assert np.signbit(yo[yo == 0]).sum() > 0
    yo, _ = O.forward_problem(d, _fill(d, "nan"))
    assert np.isnan(yo).any()
