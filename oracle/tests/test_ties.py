"""Tie, NaN, signed-zero and infinity suite (docs/spec.md#3-max-and-avg), every kernel vs the
oracle, bitwise. Fills: ints0 (0..3), relu (many exact zeros), zeros (+0.0/-0.0 ties), ninf (all
-inf bins and planes), pinf (+inf ties), nan (sparse NaN plus +inf: NaN must win, last NaN)."""
import itertools

import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
from spp_testkit import (KERNELS, check_forward, fill, kernel_cases, oracle, threads_for,
                         valid)

FILLS = ["ints0", "relu", "zeros", "ninf", "pinf", "nan"]
SHAPES = [(2, 5, 9, 7, [4, 3, 1]), (1, 17, 13, 13, [6, 3, 2, 1]), (1, 3, 8, 11, [5, 3])]
PROBLEMS = [dict(n=n, c=c, h=h, w=w, levels=lv, pool="max", bins=b, layout=l)
            for (n, c, h, w, lv), b, l in itertools.product(SHAPES, O.CONVENTIONS, O.LAYOUTS)]
PROBLEMS = [d for d in PROBLEMS if valid(d)]


@pytest.mark.parametrize("kernel,problem,kind", kernel_cases(PROBLEMS, FILLS))
def test_ties_nan_inf(kernel, problem, kind):
    d = O.parse_problem(problem)
    # the special fills are judged by their own coverage check below, not by "mostly nonzero"
    check_forward(kernel, d, kind, threads=threads_for(kernel), trust=kind in ("ints0", "relu"))


def _bin_stats(d, x):
    """Per bin (all samples and channels): how many elements tie the max, how many NaNs."""
    xc = O._to_nchw(x, d["layout"])
    ties = nans = 0
    for n in d["levels"]:
        for rs, re_, _ in O.axis_bins(d["h"], n, d["bins"]):
            for cs, ce, _ in O.axis_bins(d["w"], n, d["bins"]):
                b = xc[:, :, rs:re_, cs:ce].reshape(d["n"], d["c"], -1)
                ties += int(((b == np.nanmax(np.where(np.isnan(b), -np.inf, b), axis=2,
                                             keepdims=True)).sum(axis=2) >= 2).sum())
                nans += int((np.isnan(b).sum(axis=2) >= 2).sum())
    return ties, nans


@pytest.mark.parametrize("problem", [O.format_problem(d) for d in PROBLEMS])
def test_tie_fills_exercise_the_rules(problem):
    """The fills really produce what they are for: tied maxima, bins with two or more NaNs,
    all -inf bins next to finite ones, and maxima that tie -0.0 with +0.0 both ways."""
    d = O.parse_problem(problem)
    ties, _ = _bin_stats(d, fill(d, "ints0"))
    assert ties > 10
    _, nans = _bin_stats(d, fill(d, "nan"))
    yn = oracle(d, "nan")[1]
    assert nans > 0 and np.isnan(yn).any() and (~np.isnan(yn)).any()
    yi = oracle(d, "ninf")[1]
    assert np.isneginf(yi).sum() > 0.1 * yi.size and np.isfinite(yi).any()
    yz = oracle(d, "zeros")[1]
    z = yz[yz == 0]
    assert np.signbit(z).any() and (~np.signbit(z)).any()
    assert np.isposinf(oracle(d, "pinf")[1]).any()


def _one_bin(vals, shape):
    """A 1x1xHxW map with one level-1 bin: the whole plane is the bin."""
    x = np.array(vals, dtype=np.float32).reshape((1, 1) + shape)
    d = dict(n=1, c=1, h=shape[0], w=shape[1], levels=[1], pool="max", bins="adaptive",
             layout="nchw")
    return d, x


nan, inf = float("nan"), float("inf")
HAND = [  # (values, (H, W), expected argmax), from docs/spec.md#3-max-and-avg by hand
    ([1, 3, 3, 2], (2, 2), 1),            # first max wins
    ([3, 0, 0, 3], (2, 2), 0),
    ([0, 0, 0, 0, 0, 0], (2, 3), 0),      # all equal: first
    ([1, nan, 2, nan, 9, 0], (2, 3), 3),  # NaN beats 9; last NaN
    ([nan, 1, 2, 3], (2, 2), 0),          # single NaN at the start
    ([-inf, -inf, -inf, -inf], (2, 2), 0),  # all -inf: first element
    ([-inf, -inf, -5, -inf], (2, 2), 2),
    ([-0.0, 0.0, -1, -2], (2, 2), 0),     # -0.0 == +0.0: first, and the value keeps its sign
    ([0.0, -0.0], (1, 2), 0),
    ([inf, 1, inf, nan], (2, 2), 3),
    ([1, inf, inf, 2], (2, 2), 1),
]


@pytest.mark.parametrize("impl", ["oracle"] + [k.name for k in KERNELS])
@pytest.mark.parametrize("vals,shape,expect", HAND, ids=[str(i) for i in range(len(HAND))])
def test_hand_examples(impl, vals, shape, expect):
    d, x = _one_bin(vals, shape)
    k = next((k for k in KERNELS if k.name == impl), None)
    if k is not None and not k.runnable:
        pytest.skip(f"{impl}: {L.isa_unavailable(k.isa)}")
    if k is not None and "nchw" not in k.layouts:
        d["layout"] = "nhwc"
        x = np.moveaxis(x, 1, 3).copy()
    y, a = O.forward_problem(d, x) if impl == "oracle" else L.run_forward(impl, d, x)
    assert int(a[0, 0]) == expect
    want = np.float32(vals[expect])
    assert y.view(np.uint32)[0, 0] == want.view(np.uint32) or (np.isnan(want) and
                                                               np.isnan(y[0, 0]))


@pytest.mark.parametrize("impl", [k.name for k in KERNELS
                                  if any(p.name == "blocks-2d" for p in k.paths)])
@pytest.mark.parametrize("argmax", [False, True], ids=["infer", "forward"])
def test_signed_zero_tie_between_side_by_side_blocks(impl, argmax):
    """The 2-D blocks merge column pieces side by side. On a 2x7 map with levels {2, 1}
    (adaptive: column bins [0,4) and [3,7)) the left piece [0,3) has its +0.0 in row 1 and the
    piece [3,4) its -0.0 in row 0, which comes first in row-major order: the whole-map bin must
    hold -0.0. Without positions (inference) only a tie check can see that."""
    k = next(k for k in KERNELS if k.name == impl)
    if not k.runnable:
        pytest.skip(f"{impl}: {L.isa_unavailable(k.isa)}")
    d = dict(n=1, c=3, h=2, w=7, levels=[2, 1], pool="max", bins="adaptive", layout="nhwc")
    plane = np.array([[-1, -1, -1, -0.0, -1, -1, -1], [0.0, -1, -1, -1, -1, -1, -1]], np.float32)
    x = np.repeat(plane[None, :, :, None], d["c"], axis=3).copy()
    yo, ao = O.forward_problem(d, x)
    with L.Op(impl, d) as op:
        op.force_path("blocks-2d")
        y = np.full(O.out_shape(d), np.nan, np.float32)
        op.forward_into(x, y, np.zeros(O.out_shape(d), np.int32) if argmax else None)
    assert np.signbit(yo[0, 4 * d["c"]:]).all()   # the whole-map bin: -0.0 in every channel
    assert np.array_equal(y.view(np.uint32), yo.view(np.uint32)), (y, yo)
