"""The oracle checked on its own terms: hand-computed answers, central finite differences in
float64, the sum invariants of docs/spec.md#4-gradients, and PyTorch's adaptive pooling as a
third party."""
import itertools

import numpy as np
import pytest

import spp_oracle as O

SMALL = [(1, 2, 7, 6, [4, 2, 1]), (2, 1, 5, 9, [3, 5]), (1, 3, 13, 13, [6, 3, 2, 1])]
CASES = [dict(n=n, c=c, h=h, w=w, levels=lv, pool=p, bins=b, layout=l)
         for (n, c, h, w, lv), p, b, l in itertools.product(SMALL, O.POOLS, O.CONVENTIONS,
                                                             O.LAYOUTS)]

def _valid(d):
    try:
        O.check_problem(d)
        return True
    except ValueError:
        return False


CASES = [d for d in CASES if _valid(d)]
IDS = [O.format_problem(d) for d in CASES]


def test_hand_forward_backward():
    x = np.array([[1, 2], [3, 4]], np.float32).reshape(1, 1, 2, 2)
    y, a = O.forward(x, [1, 2], "avg", "adaptive", "nchw")
    assert y.tolist() == [[2.5, 1, 2, 3, 4]] and a is None
    y, a = O.forward(x, [2, 1], "max", "adaptive", "nchw")
    assert y.tolist() == [[1, 2, 3, 4, 4]] and a.tolist() == [[0, 1, 2, 3, 3]]
    dx = O.backward(np.array([[1, 2, 3, 4, 10]]), a, x.shape, [2, 1], "max", "adaptive", "nchw")
    assert dx.tolist() == [[[[1, 2], [3, 14]]]]
    dx = O.backward(np.array([[8, 1, 1, 1, 1]]), None, x.shape, [1, 2], "avg", "adaptive",
                    "nchw")
    assert dx.tolist() == [[[[3, 3], [3, 3]]]]
    # caffe A=7 n=4: first bin [0,1) has divisor 2 (padding counts) on each axis
    x = np.ones((1, 1, 7, 7), np.float32)
    y, _ = O.forward(x, [4], "avg", "caffe", "nchw")
    assert y[0, 0] == 0.25 and y[0, 5] == 1.0
    # output order: level, then channel, then bin row, bin column
    x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(1, 2, 4, 4)
    y, a = O.forward(x, [1, 2], "max", "adaptive", "nchw")
    assert y.tolist() == [[15, 31, 5, 7, 13, 15, 21, 23, 29, 31]]
    assert a.tolist() == [[15, 15, 5, 7, 13, 15, 5, 7, 13, 15]]


def test_layouts_agree():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, (2, 3, 7, 9)).astype(np.float32)
    for p, b in itertools.product(O.POOLS, ("adaptive", "caffe")):
        y1, a1 = O.forward(x, [4, 2, 1], p, b, "nchw")
        y2, a2 = O.forward(np.moveaxis(x, 1, 3).copy(), [4, 2, 1], p, b, "nhwc")
        assert np.array_equal(y1, y2) and (a1 is None or np.array_equal(a1, a2))


def _f(d, x, dy):
    return (O.forward_problem(d, x, exact=True)[0] * dy).sum(axis=1)


@pytest.mark.parametrize("problem", IDS)
def test_finite_differences(problem):
    """Central differences in float64 on distinct values (spacing 1, step 0.25, so no argmax
    changes): all perturbed inputs go through one batched forward call."""
    d = O.parse_problem(problem)
    rng = np.random.default_rng(7)
    shape = O.in_shape(d)
    size = int(np.prod(shape))
    x = (rng.permutation(size) - size / 2).astype(np.float64).reshape(shape)
    dy = rng.normal(size=O.out_shape(d))
    y, a = O.forward_problem(d, x, exact=True)
    dx = O.backward_problem(d, dy, a)
    eps = 0.25
    per = size // d["n"]
    fd = np.zeros(size)
    for b in range(d["n"]):
        sl = slice(b * per, (b + 1) * per)
        xs = np.repeat(x[b:b + 1], 2 * per, axis=0).reshape(2 * per, per)
        xs[np.arange(per), np.arange(per)] += eps
        xs[per + np.arange(per), np.arange(per)] -= eps
        db = dict(d, n=2 * per)
        f = _f(db, xs.reshape((2 * per,) + shape[1:]), np.repeat(dy[b:b + 1], 2 * per, axis=0))
        fd[sl] = (f[:per] - f[per:]) / (2 * eps)
    np.testing.assert_allclose(dx.ravel(), fd, rtol=1e-9, atol=1e-9)
    # trust: the comparison covers many nonzero gradients (max: one per distinct argmax)
    need = 0.3 * dx.size if d["pool"] == "avg" and d["bins"] != "sppnet" else 5
    assert np.count_nonzero(fd) >= need


@pytest.mark.parametrize("problem", IDS)
def test_sum_invariants(problem):
    """avg: per level, sum dx == sum dy * count / divisor; max: sum dx == sum dy."""
    d = O.parse_problem(problem)
    rng = np.random.default_rng(3)
    x = rng.normal(size=O.in_shape(d)).astype(np.float32)
    for n in d["levels"]:
        dl = dict(d, levels=[n])
        y, a = O.forward_problem(dl, x)
        dy = rng.normal(size=O.out_shape(dl))
        dx = O.backward_problem(dl, dy, a)
        if d["pool"] == "max":
            assert np.isclose(dx.sum(), dy.sum(), rtol=1e-12, atol=1e-9)
        else:
            rows = O.axis_bins(d["h"], n, d["bins"])
            cols = O.axis_bins(d["w"], n, d["bins"])
            w = np.array([[(re_ - rs) * (ce - cs) / (rd * cd) for cs, ce, cd in cols]
                          for rs, re_, rd in rows]).ravel()
            want = (dy.reshape(d["n"], d["c"], n * n) * w).sum()
            assert np.isclose(dx.sum(), want, rtol=1e-12, atol=1e-9)


def test_avg_bound_is_meaningful():
    """The bound is tight enough to catch a wrong divisor and loose enough for float32."""
    rng = np.random.default_rng(5)
    x = rng.normal(0.5, 1, (1, 4, 13, 13)).astype(np.float32)
    y64, _ = O.forward(x, [4, 2, 1], "avg", "caffe", "nchw", exact=True)
    bound = O.avg_bound(x, [4, 2, 1], "caffe", "nchw")
    y32, _ = O.forward(x, [4, 2, 1], "avg", "caffe", "nchw")
    assert np.all(np.abs(y32 - y64) <= bound)
    # a naive float32 running sum in row-major order also stays inside
    for t, (rs, re_, rd) in enumerate(O.axis_bins(13, 4, "caffe")):
        for u, (cs, ce, cd) in enumerate(O.axis_bins(13, 4, "caffe")):
            acc = np.float32(0)
            for v in x[0, 0, rs:re_, cs:ce].ravel():
                acc = np.float32(acc + v)
            got = np.float32(acc / np.float32(rd * cd))
            assert abs(float(got) - y64[0, t * 4 + u]) <= bound[0, t * 4 + u]
    # a 0.1% error (a divisor of 1000 instead of 1001) is caught
    assert np.any(np.abs(y64 * 1.001 - y64) > bound)


def test_matches_torch_adaptive():
    """PyTorch (Debian python3-torch) as an independent reference for the adaptive rule,
    including its first-max / last-NaN argmax."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    rng = np.random.default_rng(11)
    for (h, w), n in itertools.product([(7, 5), (13, 13), (3, 9), (1, 1)], [1, 2, 4, 6, 7]):
        x = rng.integers(0, 4, (2, 3, h, w)).astype(np.float32)
        x[0, 0, 0, 0] = np.nan
        t = torch.from_numpy(x)
        yt, at = F.adaptive_max_pool2d(t, n, return_indices=True)
        y, a = O.forward(x, [n], "max", "adaptive", "nchw")
        assert np.array_equal(y.reshape(yt.shape), yt.numpy(), equal_nan=True), (h, w, n)
        assert np.array_equal(a.reshape(at.shape), at.numpy()), (h, w, n)
        x = rng.normal(size=(2, 3, h, w)).astype(np.float32)
        ya = F.adaptive_avg_pool2d(torch.from_numpy(x), n).numpy()
        y, _ = O.forward(x, [n], "avg", "adaptive", "nchw")
        np.testing.assert_allclose(y.reshape(ya.shape), ya, rtol=1e-5, atol=1e-6)
