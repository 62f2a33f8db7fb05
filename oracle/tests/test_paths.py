"""Named kernel paths (docs/kernels.md#paths): every kernel names its paths; each path, forced
through a prepared operation, is checked against the oracle on every problem of the edge-case
grid where the kernel accepts it, so thresholds do not hide a path from the tests; a path
that is valid nowhere on the grid fails its test (it would otherwise pass without running)."""
import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
import spp_region_oracle as RO
from spp_testkit import assert_avg_close, assert_max_exact, grid_problems, oracle, valid

VALID = [d for d, _ in grid_problems() if valid(d)]
REGION_KERNELS = L.region_kernels()


def _path_cases(kernels):
    for k in kernels:
        for p in k.paths:
            marks = () if k.runnable else (
                pytest.mark.skip(reason=f"{k.name}: {L.isa_unavailable(k.isa)}"),)
            yield pytest.param(k.name, p.name, marks=marks, id=f"{k.name}@{p.name}")


@pytest.mark.parametrize("kinds", [L.kernels(), REGION_KERNELS], ids=["maps", "regions"])
def test_every_kernel_names_its_paths(kinds):
    for k in kinds:
        names = [p.name for p in k.paths]
        assert names and len(set(names)) == len(names), (k.name, names)
        for p in k.paths:
            assert p.passes and p.when and p.name == p.name.strip(), (k.name, p)


def _kernel(name):
    return next(k for k in L.kernels() if k.name == name)


def _forced_op(name, d, path, threads):
    """The operation with `path` forced, or None where the kernel rejects it (SPP_ERR_ARG)."""
    op = L.Op(name, d, threads=threads)
    try:
        op.force_path(path)
    except L.SppError as e:
        assert e.status == L.ERR_ARG and path in e.message, e
        op.close()
        return None
    return op


@pytest.mark.parametrize("kernel, path", list(_path_cases(L.kernels())))
def test_forced_path_matches_the_oracle(kernel, path):
    k = _kernel(kernel)
    info = next(p for p in k.paths if p.name == path)
    threads = 2 if k.threaded else 1
    ran = 0
    for d in VALID:
        if d["layout"] not in k.layouts:
            continue
        op = _forced_op(kernel, d, path, threads)
        if op is None:
            continue
        with op:
            passes = ("forward", "infer", "backward") if d["pool"] == "max" else \
                ("forward", "backward")
            served = [s for s in passes if s in info.passes]
            assert served, f"{kernel}@{path}: accepted for {O.format_problem(d)} but serves none"
            for s in served:
                assert op.path(s) == path, (O.format_problem(d), s, op.path(s))
            ran += 1
            kind = "ints" if d["pool"] == "max" else "normal"
            x, yo, ao, y64, bound = oracle(d, kind)
            tag = f"[{kernel}@{path} {O.format_problem(d)} fill={kind} threads={threads}]"
            y = np.full(O.out_shape(d), np.nan, np.float32)
            am = np.full(O.out_shape(d), -7, np.int32) if d["pool"] == "max" else None
            op.forward_into(x, y, am)
            if am is not None:
                assert_max_exact(d, y, am, yo, ao, tag)
                y2 = np.full(O.out_shape(d), np.nan, np.float32)
                op.forward_into(x, y2)   # the infer pass: the same values
                assert_max_exact(d, y2, ao, yo, ao, tag + " argmax=NULL")
            else:
                assert_avg_close(d, y, y64, bound, tag)
            rng = np.random.default_rng(len(tag))
            dy = rng.standard_normal(O.out_shape(d)).astype(np.float32)
            dx = np.full(O.in_shape(d), np.nan, np.float32)
            op.backward_into(dy, ao if am is not None else None, dx)
            want = L.run_backward("naive", d, dy, ao if am is not None else None)
            if d["pool"] == "max":   # the same additions in the same order: naive's bits
                assert np.array_equal(dx.view(np.uint32), want.view(np.uint32)), tag
            else:
                np.testing.assert_allclose(dx, want, rtol=2e-6, atol=1e-7, err_msg=tag)
    assert ran, f"{kernel}@{path}: valid on none of the {len(VALID)} grid problems"


def test_forcing_an_unknown_path_names_the_paths():
    d = O.parse_problem("n1c5h3w3_l2.1_max_adaptive_nhwc")
    with L.Op("naive", d) as op:
        with pytest.raises(L.SppError) as e:
            op.force_path("no-such-path")
        names = ", ".join(p.name for p in _kernel("naive").paths)
        assert e.value.status == L.ERR_ARG and f"its paths: {names}" in e.value.message
        op.force_path(None)   # back to the kernel's choices
        assert op.path("forward") == _kernel("naive").paths[0].name


@pytest.mark.parametrize("kernel,layout,streamed,plain", [
    ("nchw__fused_avx2", "nchw", "stream", "planes"),
    ("nchw__omp", "nchw", "stream", "planes"),
    ("nchw__tiled", "nchw", "stream", "planes"),
    ("nhwc__fused_avx2", "nhwc", "bwd-scatter-nt", "bwd-scatter"),
    ("nhwc__fused_avx512", "nhwc", "bwd-scatter-nt", "bwd-scatter")])
def test_large_max_backward_streams_on_one_thread_only(kernel, layout, streamed, plain, monkeypatch):
    """A 67 MB dx: zeroed by streaming stores on one thread when it is larger than the
    last-level cache, plainly when it fits the cache or with two threads (the thresholds of
    kernels/nchw_common.h and kernels/nhwc_fused_plan.c, the cache of src/cache.c); the choice
    only, nothing runs. SPP_LLC_BYTES puts the cache on either side of dx."""
    k = _kernel(kernel)
    if not k.runnable:
        pytest.skip(f"{kernel}: {L.isa_unavailable(k.isa)}")
    d = O.parse_problem(f"n8c512h64w64_l4.2.1_max_adaptive_{layout}")
    dx_bytes = 8 * 512 * 64 * 64 * 4
    for llc, t1 in ((dx_bytes - 1, streamed), (dx_bytes, plain), (480 << 20, plain)):
        monkeypatch.setenv("SPP_LLC_BYTES", str(llc))
        assert L.llc_bytes() == llc
        for threads, want in ((1, t1), (2, plain)):
            with L.Op(kernel, d, threads=threads) as op:
                assert op.path("backward") == want, (kernel, llc, threads)


def test_llc_bytes_ignores_a_malformed_override(monkeypatch):
    monkeypatch.delenv("SPP_LLC_BYTES", raising=False)
    os_value = L.llc_bytes()
    assert os_value >= 0
    for bad in ("", "12k", "-1", "0x10", "99999999999999999999999"):
        monkeypatch.setenv("SPP_LLC_BYTES", bad)
        assert L.llc_bytes() == os_value, bad
    monkeypatch.setenv("SPP_LLC_BYTES", "0")
    assert L.llc_bytes() == 0


# ---- region kernels ----

def _region_maps():
    rng = np.random.default_rng(11)
    for (c, h, w, levels, pool, bins, layout) in [
            (5, 9, 7, (3, 2, 1), "max", "adaptive", "nhwc"),
            (5, 9, 7, (3, 2, 1), "max", "adaptive", "nchw"),
            (37, 16, 13, (4, 2, 1), "max", "sppnet", "nhwc"),
            (37, 16, 13, (4, 2, 1), "max", "sppnet", "nchw"),
            (19, 12, 12, (2, 1), "avg", "caffe", "nhwc"),
            (19, 12, 12, (2, 1), "avg", "caffe", "nchw")]:
        cands = [(0, 0, w, h), (0, 0, 1, 1), (w - 1, h - 1, w, h), (0, 0, w, h)]
        for _ in range(40):   # many overlapping boxes: the map is read often
            x0, y0 = rng.integers(0, w - 1), rng.integers(0, h - 1)
            cands.append((x0, y0, rng.integers(x0 + 1, w + 1), rng.integers(y0 + 1, h + 1)))
        boxes = []
        for b in cands:
            try:
                RO.check_boxes(np.array([b], np.int32), h, w, list(levels), bins)
                boxes.append(b)
            except ValueError:
                pass
        yield c, h, w, list(levels), pool, bins, layout, np.array(boxes, np.int32)


REGION_MAPS = list(_region_maps())


def _region_run(name, m, path, threads, x, want_argmax):
    c, h, w, levels, pool, bins, layout, boxes = m
    with L.RegionOp(name, c, h, w, levels, pool, bins, layout, threads=threads) as op:
        if path:
            op.force_path(path)
        per = c * sum(n * n for n in levels)
        y = np.full((len(boxes), per), np.nan, np.float32)
        am = np.full(y.shape, -3, np.int32) if want_argmax else None
        op.forward_into(x, boxes, y, am)
        return y, am, op.path("infer" if pool == "max" and not want_argmax else "forward")


def _region_backward(name, m, path, threads, x, argmax):
    c, h, w, levels, pool, bins, layout, boxes = m
    with L.RegionOp(name, c, h, w, levels, pool, bins, layout, threads=threads) as op:
        if path:
            op.force_path(path)
        dy = np.random.default_rng(len(boxes)).standard_normal(
            (len(boxes), c * sum(n * n for n in levels))).astype(np.float32)
        dx = np.full(x.shape, np.nan, np.float32)
        op.backward_into(boxes, dy, argmax, dx)
        return dx, op.path("backward")


def _region_backward_matches(kernel, path, m, x):
    """1 when the forced backward ran and equals roi__naive's, 0 where the path is invalid."""
    pool = m[4]
    _, an, _ = _region_run("roi__naive", m, None, 1, x, pool == "max")
    try:
        dx, took = _region_backward(kernel, m, path, 2, x, an)
    except L.SppError as e:
        assert e.status == L.ERR_ARG and path in e.message, e
        return 0
    assert took == path, (kernel, path, took)
    want, _ = _region_backward("roi__naive", m, None, 1, x, an)
    if pool == "max":   # the same additions in roi__naive's order
        assert np.array_equal(dx.view(np.uint32), want.view(np.uint32)), (kernel, path)
    else:
        np.testing.assert_allclose(dx, want, rtol=2e-6, atol=1e-7, err_msg=f"{kernel}@{path}")
    return 1


@pytest.mark.parametrize("kernel, path", list(_path_cases(REGION_KERNELS)))
def test_forced_region_path_matches_roi_naive(kernel, path):
    k = next(k for k in REGION_KERNELS if k.name == kernel)
    info = next(p for p in k.paths if p.name == path)
    ran = 0
    for m in REGION_MAPS:
        c, h, w, levels, pool, bins, layout, boxes = m
        if layout not in k.layouts:
            continue
        x = np.random.default_rng(c * h).integers(0, 6, (c, h, w) if layout == "nchw"
                                                   else (h, w, c)).astype(np.float32)
        for want_argmax in ([True, False] if pool == "max" else [True]):
            s = "infer" if pool == "max" and not want_argmax else "forward"
            if s not in info.passes:
                continue
            try:
                y, am, took = _region_run(kernel, m, path, 2, x, want_argmax and pool == "max")
            except L.SppError as e:
                assert e.status == L.ERR_ARG and path in e.message, e
                continue
            assert took == path, (kernel, path, took)
            ran += 1
            yn, an, _ = _region_run("roi__naive", m, None, 1, x, want_argmax and pool == "max")
            tag = f"{kernel}@{path} {layout} {pool} {bins} argmax={want_argmax}"
            if pool == "max":
                assert np.array_equal(y.view(np.uint32), yn.view(np.uint32)), tag
                if want_argmax:
                    assert np.array_equal(am, an), tag
            else:
                np.testing.assert_allclose(y, yn, rtol=1e-6, err_msg=tag)
        if "backward" in info.passes:
            ran += _region_backward_matches(kernel, path, m, x)
    assert ran, f"{kernel}@{path}: valid on none of the region maps"
