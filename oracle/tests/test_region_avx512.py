"""The AVX-512 region kernels (nhwc_roi__omp_avx512, nchw_roi__nhwc_omp_avx512; docs/kernels.md):
their inference path (max, argmax NULL, a map without NaN) runs at 16 lanes, so its channel
tails are C % 16 (masked zmm loads) and its chunks 64 channels (4 zmm) on the direct path and
32 (2 zmm) from segment blocks. Here: y without argmax bitwise roi__naive's for channel counts
around 16, 32 and 64, on maps with signed zeros (the zero rescan), without -0.0 (ReLU), ties
and distinct values, with the max table (many boxes) and without (few), direct (derivable
pyramids) and from segment blocks (non-derivable levels, other conventions), at 1 and 2 threads,
through the 8 x 16 write-out transposes (levels of 36, 25, 16, 9 and 4 bins, 4-bin tails); and
every other path (avg, max with argmax, NaN maps, backward) bitwise their AVX2 twins'."""
import numpy as np
import pytest

import spp_region_oracle as RO
from test_region import (KERNELS, edge_boxes, random_boxes, run_region_backward,
                         run_region_forward)

TWINS = {"nhwc_roi__omp_avx512": ("nhwc_roi__omp_avx2", "nhwc"),
         "nchw_roi__nhwc_omp_avx512": ("nchw_roi__nhwc_omp_avx2", "nchw")}
RUNNABLE = {k[0]: k[4] for k in KERNELS}
NAMES = [n for n in TWINS if RUNNABLE.get(n)]
pytestmark = pytest.mark.skipif(not NAMES, reason="AVX-512 not available (or not registered)")


def _map(rng, C, H, W, fill, layout):
    if fill == "signed_zeros":  # zero maxima of either sign, ties between -0.0 and +0.0
        vals = np.array([-0.0, 0.0, -1.0, 2.0], np.float32)
        x = vals[rng.choice(4, size=(C, H, W), p=[0.4, 0.4, 0.15, 0.05])]
    elif fill == "relu":  # +0.0 only: no rescan
        x = np.maximum(rng.normal(size=(C, H, W)), 0).astype(np.float32)
    elif fill == "special":  # NaN, infinities, signed zeros: the argmax path
        vals = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0], np.float32)
        x = vals[rng.integers(0, len(vals), size=(C, H, W))]
    elif fill == "distinct":
        x = rng.permutation(C * H * W).astype(np.float32).reshape(C, H, W) / 7.0
    else:  # small integers: many ties
        x = rng.integers(-3, 4, size=(C, H, W)).astype(np.float32)
    x = x if layout == "nchw" else x.transpose(1, 2, 0)
    return np.ascontiguousarray(x)[None]


def _valid(boxes, H, W, levels, bins):
    ok = [b for b in boxes if _fits(b, H, W, levels, bins)]
    return np.array(ok) if ok else None


def _fits(b, H, W, levels, bins):
    try:
        RO.check_boxes(b[None], H, W, levels, bins)
        return True
    except ValueError:
        return False


def _bits(a):
    return None if a is None else a.view(np.uint32)


# levels and convention: the direct path (adaptive, derivable pyramids) and the segment blocks
# (levels that do not nest, and the other conventions' intervals)
PYRAMIDS = [([6, 3, 2, 1], "adaptive"), ([5, 3], "adaptive"), ([4, 2, 1], "caffe")]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("C", [1, 5, 15, 16, 17, 31, 33, 48, 63, 65, 79, 100])
@pytest.mark.parametrize("fill", ["signed_zeros", "relu", "ints", "distinct"])
@pytest.mark.parametrize("pyr", PYRAMIDS, ids=lambda p: f"{p[1]}{p[0]}")
@pytest.mark.parametrize("many", [False, True], ids=["few_boxes", "many_boxes"])
def test_values_only_16_lane_tails(name, C, fill, pyr, many):
    levels, bins = pyr
    layout = TWINS[name][1]
    H, W = 19, 23
    rng = np.random.default_rng(C * 31 + len(fill) * 7 + len(levels) + many)
    x = _map(rng, C, H, W, fill, layout)
    boxes = np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 200 if many else 8)])
    boxes = _valid(boxes, H, W, levels, bins)
    area = int(((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sum())
    assert (area >= 4 * H * W) == many, "the max table is built exactly for the many-box case"
    yn, _ = run_region_forward("roi__naive", x, boxes, levels, "max", bins, layout)
    for t in (1, 2):
        y, _ = run_region_forward(name, x, boxes, levels, "max", bins, layout, t,
                                  want_argmax=False)
        bad = np.argwhere(_bits(y) != _bits(yn))
        assert bad.size == 0, f"{name} C={C} {fill} {bins}{levels} threads={t}: y differs " \
                              f"from roi__naive at {bad[:5].tolist()}"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("C", [7, 16, 40, 64, 70])
@pytest.mark.parametrize("fill", ["ints", "special", "signed_zeros"])
@pytest.mark.parametrize("pyr", PYRAMIDS, ids=lambda p: f"{p[1]}{p[0]}")
def test_other_paths_equal_avx2_twin(name, C, fill, pyr):
    levels, bins = pyr
    twin, layout = TWINS[name]
    if not RUNNABLE.get(twin):
        pytest.skip(f"{twin} not runnable")
    H, W = 13, 17
    rng = np.random.default_rng(C * 17 + len(fill))
    x = _map(rng, C, H, W, fill, layout)
    boxes = _valid(np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 60)]),
                   H, W, levels, bins)
    for pool in ("max", "avg"):
        for want in ((True, False) if pool == "max" else (True,)):
            for t in (1, 2):
                case = f"{name} {pool} argmax={want} C={C} {fill} {bins}{levels} threads={t}"
                y, am = run_region_forward(name, x, boxes, levels, pool, bins, layout, t, want)
                ye, ame = run_region_forward(twin, x, boxes, levels, pool, bins, layout, t, want)
                assert np.array_equal(_bits(y), _bits(ye)), f"{case}: y differs from {twin}"
                assert (am is None) == (ame is None) and (am is None or
                                                          np.array_equal(am, ame)), case
                if want:
                    dy = rng.integers(-4, 5, size=y.shape).astype(np.float32)
                    dx = run_region_backward(name, dy, am, x.shape, boxes, levels, pool, bins,
                                             layout, t)
                    dxe = run_region_backward(twin, dy, ame, x.shape, boxes, levels, pool, bins,
                                              layout, t)
                    assert np.array_equal(_bits(dx), _bits(dxe)), f"{case}: dx differs"
