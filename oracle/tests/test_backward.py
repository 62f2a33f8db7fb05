"""Every kernel's backward vs the float64 oracle, and the sum invariants of
docs/spec.md#4-gradients.

Tolerance (spp_oracle.backward_bound): an input element receiving m terms gets each term
rounded at most three times in float32 (dy/divisor or dy*(1/rd)*(1/cd)) and summed with m-1
roundings in some order, plus the final store: at most (m+3)u*sum|terms| <= 4m u*sum|terms|.
For max the terms are dy themselves (no division), so only the summation order matters."""
import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
from spp_testkit import grid_problems, kernel_cases, seed_of, threads_for, valid

# A slice of the grid: per level set and pool/convention/layout, three shapes (square small,
# H != W, largest), to bound the time.
_seen, PROBLEMS = {}, []
for _d, _ in grid_problems():
    if not valid(_d):
        continue
    key = (tuple(_d["levels"]), _d["pool"], _d["bins"], _d["layout"])
    _seen.setdefault(key, []).append(_d)
for _key, _ds in _seen.items():
    picks = {id(_ds[0]), id(_ds[len(_ds) // 2]), id(_ds[-1])}
    PROBLEMS += [d for d in _ds if id(d) in picks]


def _inputs(d):
    rng = np.random.default_rng(seed_of(O.format_problem(d), "bwd"))
    size = int(np.prod(O.in_shape(d)))
    # distinct values: argmax is unique, so the max gradient has one right answer
    x = (rng.permutation(size) - size / 2).astype(np.float32).reshape(O.in_shape(d))
    dy = rng.normal(0.25, 1.0, O.out_shape(d)).astype(np.float32)
    return x, dy


@pytest.mark.parametrize("kernel,problem", kernel_cases(PROBLEMS))
def test_backward_vs_oracle(kernel, problem):
    d = O.parse_problem(problem)
    x, dy = _inputs(d)
    _, a = O.forward_problem(d, x)
    want = O.backward_problem(d, dy, a)
    bound = O.backward_bound(dy, a, O.in_shape(d), d["levels"], d["pool"], d["bins"],
                             d["layout"])
    assert np.count_nonzero(want) > 0.05 * want.size or d["pool"] == "max"
    got = L.run_backward(kernel, d, dy, a, threads=threads_for(kernel))
    err = np.abs(got.astype(np.float64) - want)
    bad = np.nonzero(~(err <= bound).ravel())[0]
    assert bad.size == 0, (
        f"{bad.size} dx mismatch(es) in {problem}; first at flat {bad[0]}: expected "
        f"{want.ravel()[bad[0]]!r} got {got.ravel()[bad[0]]!r} (bound {bound.ravel()[bad[0]]:.3g})")
    # docs/spec.md#4-gradients invariants on the kernel's own dx
    if d["pool"] == "max":
        want_sum = dy.astype(np.float64).sum()
    else:
        want_sum = (dy.astype(np.float64) * _count_over_div(d)).sum()
    assert np.isclose(got.astype(np.float64).sum(), want_sum,
                      rtol=1e-5, atol=1e-5 * np.abs(dy).sum())


def _count_over_div(d):
    """count/divisor of every output of a sample, in canonical order (docs/spec.md#4-gradients)."""
    w = []
    for n in d["levels"]:
        lv = [(re_ - rs) * (ce - cs) / (rd * cd)
              for rs, re_, rd in O.axis_bins(d["h"], n, d["bins"])
              for cs, ce, cd in O.axis_bins(d["w"], n, d["bins"])]
        w += lv * d["c"]
    return np.array(w)


@pytest.mark.parametrize("kernel,problem", kernel_cases(
    [O.parse_problem(s) for s in ("n2c17h13w13_l6.3.2.1_max_adaptive_nchw",
                                  "n2c17h13w13_l6.3.2.1_max_adaptive_nhwc",
                                  "n1c5h7w9_l4.4.2_max_caffe_nhwc",
                                  "n1c5h7w9_l4.4.2_max_caffe_nchw")]))
def test_backward_ties_accumulate(kernel, problem):
    """Small-integer input: argmax ties resolved by the rule, many outputs share an argmax
    across overlapping bins and repeated levels; every one must be accumulated."""
    d = O.parse_problem(problem)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 3, O.in_shape(d)).astype(np.float32)
    dy = rng.integers(-4, 5, O.out_shape(d)).astype(np.float32)   # exact sums in float32
    _, a = O.forward_problem(d, x)
    terms = O.backward_problem(d, np.ones_like(dy), a)   # outputs per input element
    assert terms.max() >= 3
    want = O.backward_problem(d, dy, a)
    got = L.run_backward(kernel, d, dy, a, threads=threads_for(kernel))
    assert np.array_equal(got, want.astype(np.float32)), problem
