"""nchw_roi__nhwc_omp_avx2 (docs/kernels.md): an NCHW map transposed once into an NHWC copy and
pooled by the NHWC region core. test_region.py checks it against the oracle and roi__naive like
every region kernel; here, that it is exactly nhwc_roi__omp_avx2 on the transposed map: y (avg
included), argmax and dx bitwise, with and without argmax, at 1 to 4 threads, on shapes whose
transpose tiles (32 x 32 of 8 x 8 blocks) have row and column tails, tiny maps and C = 1."""
import numpy as np
import pytest

import spp_region_oracle as RO
from test_region import (KERNELS, SppError, edge_boxes, random_boxes, run_region_backward,
                         run_region_forward)

NAME, PEER = "nchw_roi__nhwc_omp_avx2", "nhwc_roi__omp_avx2"
RUNNABLE = {k[0]: k[4] for k in KERNELS}
pytestmark = pytest.mark.skipif(not (RUNNABLE.get(NAME) and RUNNABLE.get(PEER)),
                                reason="AVX2 not available (or kernel not registered)")

# (C, H, W, levels): C around 8 and 32, H*W around 8 and 32, a one-cell map, one channel
SHAPES = [(45, 7, 13, [6, 3, 2, 1]), (64, 8, 4, [2, 1]), (1, 9, 5, [3, 1]), (9, 1, 1, [2, 1]),
          (33, 17, 3, [4, 2, 1]), (256, 11, 14, [6, 3, 2, 1])]


def _map(rng, C, H, W, fill):
    if fill == "special":  # NaN, infinities, signed zeros and ties
        vals = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0], np.float32)
        return vals[rng.integers(0, len(vals), size=(C, H, W))]
    if fill == "signed_zeros":
        return np.where(rng.random((C, H, W)) < 0.5, np.float32(-0.0), np.float32(0.0))
    return rng.integers(-3, 4, size=(C, H, W)).astype(np.float32)


def _bits(a):
    return None if a is None else a.view(np.uint32)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"c{s[0]}h{s[1]}w{s[2]}")
@pytest.mark.parametrize("fill", ["ints", "special", "signed_zeros"])
@pytest.mark.parametrize("bins", ["adaptive", "sppnet", "caffe"])
def test_same_as_nhwc_core_on_transposed_map(shape, fill, bins):
    C, H, W, levels = shape
    rng = np.random.default_rng(C * 131 + H * 7 + W)
    x = _map(rng, C, H, W, fill)
    boxes = np.concatenate([edge_boxes(H, W), random_boxes(rng, H, W, 40)])
    ok = []  # edge boxes outside a tiny map; sppnet and caffe reject boxes smaller than a level
    for b in boxes:
        try:
            RO.check_boxes(b[None], H, W, levels, bins)
            ok.append(b)
        except ValueError:
            pass
    if not ok:
        pytest.skip(f"no box of {H}x{W} is valid for {bins} at levels {levels}")
    boxes = np.array(ok)
    xn, xh = np.ascontiguousarray(x)[None], np.ascontiguousarray(x.transpose(1, 2, 0))[None]
    for pool in ("max", "avg"):
        for t in (1, 2, 3, 4):
            case = f"{pool} {bins} {fill} C={C} H={H} W={W} threads={t}"
            y, am = run_region_forward(NAME, xn, boxes, levels, pool, bins, "nchw", t)
            ye, ame = run_region_forward(PEER, xh, boxes, levels, pool, bins, "nhwc", t)
            assert np.array_equal(_bits(y), _bits(ye)), f"{case}: y differs"
            assert (am is None) == (ame is None) and (am is None or np.array_equal(am, ame)), \
                f"{case}: argmax differs"
            if pool == "max":
                yv, _ = run_region_forward(NAME, xn, boxes, levels, pool, bins, "nchw", t, False)
                yve, _ = run_region_forward(PEER, xh, boxes, levels, pool, bins, "nhwc", t,
                                            False)
                assert np.array_equal(_bits(yv), _bits(yve)), f"{case}: values-only y differs"
            dy = np.random.default_rng(t).standard_normal(y.shape).astype(np.float32)
            dx = run_region_backward(NAME, dy, am, xn.shape, boxes, levels, pool, bins, "nchw",
                                     t)
            dxe = run_region_backward(PEER, dy, ame, xh.shape, boxes, levels, pool, bins,
                                      "nhwc", t)
            dxe = np.ascontiguousarray(dxe.reshape(H, W, C).transpose(2, 0, 1))
            assert np.array_equal(_bits(dx.reshape(C, H, W)), _bits(dxe)), f"{case}: dx differs"


def test_rejects_nhwc():
    x = np.zeros((1, 4, 5, 3), np.float32)
    with pytest.raises(SppError):
        run_region_forward(NAME, x, [[0, 0, 2, 2]], [2, 1], "max", "adaptive", "nhwc")
