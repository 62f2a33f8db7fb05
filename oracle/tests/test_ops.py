"""Prepared operations (spp_op_*, spp_region_op_*; docs/design.md#prepared-operations): one
operation run on many inputs gives the one-shot entry points' results bitwise, its checks
reject bad buffers without writing, and a region operation takes new boxes on every run."""
import numpy as np
import pytest

import spp_lib
import spp_oracle
import spp_region_oracle

PROBLEMS = ["n2c19h13w11_l6.3.2.1_max_adaptive_nhwc", "n2c19h13w11_l6.3.2.1_max_adaptive_nchw",
            "n3c8h9w7_l3.2.1_avg_sppnet_nchw", "n1c33h17w17_l4.2.1_max_caffe_nhwc"]


def runnable(layout):
    return [k.name for k in spp_lib.kernels() if k.runnable and layout in k.layouts]


def cases():
    for s in PROBLEMS:
        d = spp_oracle.parse_problem(s)
        for name in runnable(d["layout"]):
            yield pytest.param(name, s, id=f"{name}-{s}")


@pytest.mark.parametrize("name, s", list(cases()))
def test_op_runs_many_inputs_like_the_one_shot_calls(name, s):
    d = spp_oracle.parse_problem(s)
    rng = np.random.default_rng(7)
    ins, outs = spp_lib._shapes(d)
    with spp_lib.Op(name, d, threads=2) as op:
        for i in range(3):   # new inputs each run, outputs pre-filled with garbage
            x = rng.standard_normal(ins).astype(np.float32)
            x[..., 0] = x[..., 1]   # ties
            y = np.full(outs, np.nan, np.float32)
            am = np.full(outs, -5, np.int32) if d["pool"] == "max" else None
            op.forward_into(x, y, am)
            want_y, want_am = spp_lib.run_forward(name, d, x, threads=1)
            assert y.view(np.uint32).tolist() == want_y.view(np.uint32).tolist(), f"run {i}"
            if am is not None:
                assert np.array_equal(am, want_am)
            dy = rng.standard_normal(outs).astype(np.float32)
            dx = np.full(ins, np.nan, np.float32)
            op.backward_into(dy, am, dx)
            want_dx = spp_lib.run_backward(name, d, dy, want_am, threads=1)
            assert np.array_equal(dx.view(np.uint32), want_dx.view(np.uint32)), f"run {i}"


def test_op_checks_buffers_per_run_and_writes_nothing():
    d = spp_oracle.parse_problem("n1c16h8w8_l2.1_max_adaptive_nhwc")
    ins, outs = spp_lib._shapes(d)
    with spp_lib.Op("naive", d) as op:
        x = np.ones(ins, np.float32)
        buf = np.full(outs[0] * outs[1] * 2, 7.0, np.float32)
        y = buf[:outs[1]].reshape(outs)
        am = buf[outs[1] // 2:outs[1] // 2 + outs[1]].view(np.int32).reshape(outs)   # overlaps y
        with pytest.raises(spp_lib.SppError) as e:
            op.forward_into(x, y, am)
        assert e.value.name == "SPP_ERR_OVERLAP" and "y and argmax" in str(e.value)
        assert np.all(buf == 7.0)
        am_ok = np.zeros(outs, np.int32)
        op.forward_into(x, np.zeros(outs, np.float32), am_ok)   # the op still works
        am_ok[0, 3] = 64   # one past the 8x8 plane
        dx = np.full(ins, 3.0, np.float32)
        with pytest.raises(spp_lib.SppError) as e:
            op.backward_into(np.ones(outs, np.float32), am_ok, dx)
        assert "argmax[3]=64: must be an offset in 0..H*W-1=63" in str(e.value)
        assert np.all(dx == 3.0)


@pytest.mark.parametrize("threads, what", [(0, "threads=0: must be >= 1")])
def test_op_create_rejects_bad_arguments(threads, what):
    d = spp_oracle.parse_problem("n1c16h8w8_l2.1_max_adaptive_nhwc")
    with pytest.raises(spp_lib.SppError) as e:
        spp_lib.Op("naive", d, threads=threads)
    assert what in str(e.value)
    with pytest.raises(spp_lib.SppError) as e:
        spp_lib.Op("nchw__omp", d)   # an NCHW kernel for an NHWC problem
    assert e.value.name == "SPP_ERR_LAYOUT"


def region_kernel_names():
    """Every registered region kernel, from the registry (spp_region_kernel_at)."""
    at = spp_lib._private("spp_region_kernel_at", spp_lib.ct.c_void_p, [spp_lib.ct.c_int])
    count = spp_lib._private("spp_region_kernel_count", spp_lib.ct.c_int, [])
    name = spp_lib.ct.POINTER(spp_lib.ct.c_char_p)
    return [spp_lib.ct.cast(at(i), name).contents.value.decode() for i in range(count())]


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_region_op_takes_new_boxes_each_run(layout):
    C, H, W, levels = 19, 12, 15, [3, 2, 1]
    rng = np.random.default_rng(3)
    x_chw = rng.standard_normal((C, H, W)).astype(np.float32)
    x = x_chw if layout == "nchw" else np.ascontiguousarray(x_chw.transpose(1, 2, 0))
    names = region_kernel_names()
    tried = 0
    for name in names:
        try:
            op = spp_lib.RegionOp(name, C, H, W, levels, layout=layout, threads=2)
        except spp_lib.SppError as e:   # another layout, or an ISA this CPU lacks
            assert e.name in ("SPP_ERR_LAYOUT", "SPP_ERR_ISA")
            continue
        tried += 1
        with op:
            for R in (3, 40, 7):   # more boxes than before, then fewer: the op grows, reuses
                x0 = rng.integers(0, W - 3, R)
                y0 = rng.integers(0, H - 3, R)
                boxes = np.stack([x0, y0, x0 + rng.integers(3, W - x0 + 1),
                                  y0 + rng.integers(3, H - y0 + 1)], 1).astype(np.int32)
                y = np.full((R, C * 14), np.nan, np.float32)
                am = np.full((R, C * 14), -1, np.int32)
                op.forward_into(x, boxes, y, am)
                want_y, want_am = spp_region_oracle.forward(x_chw, boxes, levels, "max",
                                                            "adaptive", "nchw")
                assert np.array_equal(y.view(np.uint32), want_y.view(np.uint32)), (name, R)
                assert np.array_equal(am, want_am), (name, R)
    assert tried >= 2
