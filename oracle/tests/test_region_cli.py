"""Region SPP from the outside: the SPP-net window projection (C spp_roi_project vs the oracle,
worked examples) and the CLI verbs `spp run-regions` and `spp roi-project` (results equal the
oracle; bad input gives one line naming the problem, exit 2, and no output file)."""
import os
import subprocess

import numpy as np
import pytest

import spp_region_oracle as RO
from test_region import SppError, project

BUILD = os.environ.get("SPP_BUILD", "build")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPP = os.path.join(ROOT, BUILD, "spp")


# ---- projection -------------------------------------------------------------------------------

def test_project_worked_examples():
    # left = floor(x0/16)+1, right = ceil(x1/16)-1, half-open end right+1
    assert project([[32, 48, 160, 96]], 16, 43, 57).tolist() == [[3, 4, 10, 6]]
    # a 16-pixel window collapses (right 0 < left 1): the single cell at its left/top edge
    assert project([[0, 0, 15, 15]], 16, 43, 57).tolist() == [[1, 1, 2, 2]]
    # outside the map: clamped to the last cell, at least one cell
    assert project([[5000, 5000, 9000, 9000]], 16, 43, 57).tolist() == [[56, 42, 57, 43]]
    # negative coordinates clamp to 0
    assert project([[-100, -40, 40, 40]], 16, 43, 57).tolist() == [[0, 0, 3, 3]]   # ceil(2.5)-1 = 2
    # fractional coordinates (float image boxes)
    assert project([[15.5, 16.0, 64.25, 64.0]], 16, 43, 57).tolist() == [[1, 2, 5, 4]]


def test_project_matches_oracle_random():
    rng = np.random.default_rng(4)
    for stride, H, W in [(16, 43, 57), (8, 5, 3), (1, 7, 9), (32, 1, 1)]:
        a = rng.uniform(-200, 1200, (300, 2))
        d = rng.exponential(150, (300, 2))
        img = np.concatenate([a, a + d], 1)[:, [0, 1, 2, 3]]
        img[::3] = np.round(img[::3])            # integer boxes too
        got = project(img, stride, H, W)
        exp = RO.project(img, stride, H, W)
        assert np.array_equal(got, exp), (stride, H, W)
        assert (got[:, 0] < got[:, 2]).all() and (got[:, 1] < got[:, 3]).all()
        assert (got[:, 2] <= W).all() and (got[:, 3] <= H).all() and (got >= 0).all()


@pytest.mark.parametrize("img,stride,hw,match", [
    ([[0, 0, 10, 10]], 0, (5, 5), "stride=0"),
    ([[10, 0, 5, 10]], 16, (5, 5), r"image boxes\[0\].*x0 <= x1"),
    ([[0, 0, 1, 1], [0, float("nan"), 1, 1]], 16, (5, 5), r"image boxes\[1\].*not finite"),
    ([[0, 0, 1, 1]], 16, (0, 5), "H=0"),
])
def test_project_rejects(img, stride, hw, match):
    with pytest.raises(SppError, match=match):
        project(img, stride, *hw)


# ---- CLI --------------------------------------------------------------------------------------

needs_cli = pytest.mark.skipif(not os.path.exists(SPP), reason=f"{SPP} not built (make cli)")


def spp(*args):
    return subprocess.run([SPP, *map(str, args)], capture_output=True, text=True)


@needs_cli
def test_cli_roi_project(tmp_path):
    img = np.array([[32, 48, 160, 96], [0, 0, 15, 15]], dtype=np.int64)
    np.save(tmp_path / "img.npy", img)
    r = spp("roi-project", "--stride", 16, "--height", 43, "--width", 57, "--boxes",
            tmp_path / "img.npy", "--output", tmp_path / "fm.npy")
    assert r.returncode == 0, r.stderr
    fm = np.load(tmp_path / "fm.npy")
    assert fm.dtype == np.int32 and fm.tolist() == [[3, 4, 10, 6], [1, 1, 2, 2]]
    np.save(tmp_path / "bad.npy", np.array([[10, 0, 5, 10]], dtype=np.float32))
    r = spp("roi-project", "--stride", 16, "--height", 43, "--width", 57, "--boxes",
            tmp_path / "bad.npy", "--output", tmp_path / "out.npy")
    assert r.returncode == 2 and "image boxes[0]" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "out.npy").exists()


def _files(tmp_path, layout, C=5, H=6, W=7):
    rng = np.random.default_rng(9)
    x = rng.integers(-3, 4, (1, C, H, W)).astype(np.float32)
    if layout == "nhwc":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    boxes = np.array([[0, 0, W, H], [1, 2, 3, 3], [W - 1, H - 1, W, H], [2, 0, 7, 4]],
                     dtype=np.int64)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "b.npy", boxes)
    return x, boxes


@needs_cli
@pytest.mark.parametrize("kernel,layout", [("roi__naive", "nchw"), ("roi__naive", "nhwc"),
                                           ("nhwc_roi__omp_avx2", "nhwc")])
def test_cli_run_regions_matches_oracle(tmp_path, kernel, layout):
    x, boxes = _files(tmp_path, layout)
    levels = [3, 2, 1]
    y_e, am_e = RO.forward(x, boxes, levels, "max", "adaptive", layout)
    gy = np.random.default_rng(1).integers(-2, 3, y_e.shape).astype(np.float32)
    np.save(tmp_path / "gy.npy", gy)
    r = spp("run-regions", "--kernel", kernel, "--levels", "3,2,1", "--layout", layout,
            "--input", tmp_path / "x.npy", "--boxes", tmp_path / "b.npy", "--output",
            tmp_path / "y.npy", "--argmax", tmp_path / "a.npy", "--grad-output",
            tmp_path / "gy.npy", "--grad-input", tmp_path / "gx.npy", "--threads", 2)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy"), y_e)
    assert np.array_equal(np.load(tmp_path / "a.npy"), am_e)
    gx = np.load(tmp_path / "gx.npy")
    assert gx.shape == x.shape
    assert np.allclose(gx, RO.backward(gy, am_e, x.shape, boxes, levels, "max", "adaptive",
                                       layout), atol=1e-5)


@needs_cli
@pytest.mark.parametrize("boxes,dtype,match", [
    ([[0, 0, 7, 6], [3, 3, 3, 5]], np.int32, r"boxes\[1\]=\(x0=3,y0=3,x1=3,y1=5\): x0 < x1"),
    ([[0, 0, 7, 6], [0, 0, 1, 1], [0, 2, 8, 4]], np.int64, r"boxes\[2\].*x1 must be <= W"),
    ([[0, 0, 7, 6], [0, -1, 1, 1]], np.int64, r"boxes\[1\].*y0 must be >= 0"),
    ([[0, 0, 7, 2**40]], np.int64, r"boxes\[0\].*int32 range"),
    ([[0, 0, 7, 6]], np.float32, "i4"),
    ([[0, 0, 7]], np.int32, r"expected \(R, 4\)"),
])
def test_cli_run_regions_bad_boxes(tmp_path, boxes, dtype, match):
    import re
    _files(tmp_path, "nchw")
    np.save(tmp_path / "bad.npy", np.array(boxes, dtype=dtype))
    (tmp_path / "y.npy").write_bytes(b"keep")   # an existing output must stay untouched
    r = spp("run-regions", "--kernel", "roi__naive", "--levels", "2,1", "--input",
            tmp_path / "x.npy", "--boxes", tmp_path / "bad.npy", "--output", tmp_path / "y.npy")
    assert r.returncode == 2
    assert re.search(match, r.stderr), r.stderr
    assert r.stderr.startswith("spp: ") and r.stderr.count("\n") == 1
    assert (tmp_path / "y.npy").read_bytes() == b"keep"
    assert sorted(os.listdir(tmp_path)) == ["b.npy", "bad.npy", "x.npy", "y.npy"]


@needs_cli
def test_cli_run_regions_bad_convention_and_map(tmp_path):
    _files(tmp_path, "nchw")
    np.save(tmp_path / "b2.npy", np.array([[0, 0, 7, 6], [0, 0, 2, 6]], dtype=np.int32))
    r = spp("run-regions", "--kernel", "roi__naive", "--levels", "3", "--bins", "sppnet",
            "--input", tmp_path / "x.npy", "--boxes", tmp_path / "b2.npy", "--output",
            tmp_path / "y.npy")
    assert r.returncode == 2 and "boxes[1]" in r.stderr and "box width" in r.stderr
    np.save(tmp_path / "x2.npy", np.zeros((2, 3, 4, 4), np.float32))
    r = spp("run-regions", "--kernel", "roi__naive", "--levels", "1", "--input",
            tmp_path / "x2.npy", "--boxes", tmp_path / "b.npy", "--output", tmp_path / "y.npy")
    assert r.returncode == 2 and "(1,C,H,W)" in r.stderr
    r = spp("run-regions", "--kernel", "nhwc_roi__avx2", "--levels", "1", "--input",
            tmp_path / "x.npy", "--boxes", tmp_path / "b.npy", "--output", tmp_path / "y.npy")
    assert r.returncode == 2 and "layout" in r.stderr
    assert not (tmp_path / "y.npy").exists()
