"""spp_kernel_auto and spp_op_create_auto (src/auto.c, docs/kernels.md#auto): for every problem,
thread count and pass the rule names a registered kernel that takes the layout and runs on this
CPU, and an auto operation (a kernel per pass) gives naive's results, forward and backward."""
import ctypes as ct
import os
import subprocess
import sys

import numpy as np
import pytest

import spp_lib
import spp_oracle

_auto = spp_lib._private("spp_kernel_auto", ct.c_void_p,
                         [ct.c_void_p, ct.c_int, ct.c_int, ct.c_void_p])
_create_auto = spp_lib._private("spp_op_create_auto", ct.c_int,
                                [ct.c_void_p, ct.c_void_p, ct.c_int, ct.c_void_p])
_pass_kernel = spp_lib._private("spp_op_pass_kernel", ct.c_void_p, [ct.c_void_p, ct.c_int])
_name = ct.POINTER(ct.c_char_p)   # spp_kernel's first field is its name

PROBLEMS = ["n2c24h13w13_l6.3.2.1_max_adaptive_nhwc", "n2c24h13w13_l3.2.1_max_adaptive_nhwc",
            "n1c24h43w57_l6.3.2.1_max_sppnet_nhwc", "n3c19h7w5_l4.2.1_avg_adaptive_nhwc",
            "n2c24h13w13_l6.3.2.1_max_adaptive_nchw", "n1c16h38w50_l7_max_caffe_nchw",
            "n1c1h1w1_l1_avg_adaptive_nchw"]


def auto_choice(d, threads=1, pass_="forward"):
    why = ct.c_char_p()
    k = _auto(ct.byref(spp_lib.to_struct(d)), threads, spp_lib.PASSES.index(pass_),
              ct.byref(why))
    assert k, f"no choice for {d}"
    return ct.cast(k, _name).contents.value.decode(), why.value.decode()


@pytest.mark.parametrize("s", PROBLEMS)
def test_auto_picks_a_runnable_kernel_of_the_layout_that_matches_naive(s):
    d = spp_oracle.parse_problem(s)
    name, why = auto_choice(d)
    info = {k.name: k for k in spp_lib.kernels()}[name]
    assert info.runnable and d["layout"] in info.layouts, (name, info)
    assert why
    x = np.random.default_rng(2).standard_normal(spp_lib._shapes(d)[0]).astype(np.float32)
    y, am = spp_lib.run_forward(name, d, x, threads=2)
    want_y, want_am = spp_lib.run_forward("naive", d, x)
    if d["pool"] == "max":
        assert np.array_equal(y.view(np.uint32), want_y.view(np.uint32))
        assert np.array_equal(am, want_am)
    else:
        assert np.all(np.abs(y - want_y) <= spp_oracle.avg_bound(x, d["levels"], d["bins"],
                                                                  d["layout"]) * 2)


def test_auto_follows_the_rule_order_on_this_cpu():
    runnable = {k.name for k in spp_lib.kernels() if k.runnable}
    big = spp_oracle.parse_problem("n1c24h43w57_l6.3.2.1_max_adaptive_nhwc")
    small = spp_oracle.parse_problem("n2c24h13w13_l6.3.2.1_max_adaptive_nhwc")
    if "nhwc__fused_avx512" in runnable:
        assert auto_choice(big)[0] == auto_choice(small)[0] == "nhwc__fused_avx512"
    elif "nhwc__fused_avx2" in runnable:
        assert auto_choice(big)[0] == auto_choice(small)[0] == "nhwc__fused_avx2"
    for pool in ("max", "avg"):  # NCHW forward: the 16-lane fused kernel where it runs
        nchw = auto_choice(dict(small, layout="nchw", pool=pool))[0]
        if "nchw__fused_avx512" in runnable:
            assert nchw == "nchw__fused_avx512"
        elif "nchw__fused_avx2" in runnable:
            assert nchw == "nchw__fused_avx2"


def _kname(k):
    return ct.cast(k, _name).contents.value.decode()


@pytest.mark.parametrize("s", PROBLEMS + ["n32c67h7w5_l4.2.1_avg_adaptive_nhwc",
                                          "n32c67h7w5_l4.2.1_max_sppnet_nchw",
                                          "n1c40h38w50_l7_max_adaptive_nhwc"])
@pytest.mark.parametrize("threads", [1, 2])
def test_auto_operation_runs_each_pass_on_the_rules_kernel_with_naives_results(s, threads):
    d = spp_oracle.parse_problem(s)
    ins, outs = spp_lib._shapes(d)
    h, err = ct.c_void_p(), spp_lib.spp_error()
    spp_lib._raise(_create_auto(ct.byref(h), ct.byref(spp_lib.to_struct(d)), threads,
                                ct.byref(err)), err)
    op = spp_lib.Op.__new__(spp_lib.Op)   # wrap the handle: Op's runs and close
    op._h, op.d, op.name, op.ins, op.outs = h, d, "auto", ins, outs
    with op:
        passes = ["forward", "backward"] + (["infer"] if d["pool"] == "max" else [])
        for p in passes:
            assert _kname(_pass_kernel(h, spp_lib.PASSES.index(p))) == \
                auto_choice(d, threads, p)[0], p
        rng = np.random.default_rng(4)
        x = rng.integers(0, 5, ins).astype(np.float32)   # ties
        y = np.full(outs, np.nan, np.float32)
        am = np.full(outs, -1, np.int32) if d["pool"] == "max" else None
        op.forward_into(x, y, am)
        want_y, want_am = spp_lib.run_forward("naive", d, x)
        if am is not None:
            assert np.array_equal(y.view(np.uint32), want_y.view(np.uint32))
            assert np.array_equal(am, want_am)
        else:
            np.testing.assert_allclose(y, want_y, rtol=1e-6)
        dy = rng.standard_normal(outs).astype(np.float32)
        dx = np.full(ins, np.nan, np.float32)
        op.backward_into(dy, am, dx)
        want_dx = spp_lib.run_backward("naive", d, dy, want_am)
        np.testing.assert_allclose(dx, want_dx, rtol=2e-6, atol=1e-7)


def test_auto_rule_conditions_on_this_cpu():
    """The conditions of src/auto.c: one level on one thread takes the AVX-512 bin scan; NHWC
    avg backward of small windows a fused kernel's window path (16 lanes with AVX-512, else 8), tiny
    NHWC backward on one thread otherwise the channel-last loops, a large one the fused
    kernel's backward; NCHW max backward of a dx of at most 1 MiB on one
    thread the bin-major kernel; with two threads the fused kernels again."""
    runnable = {k.name for k in spp_lib.kernels() if k.runnable}
    vgg = spp_oracle.parse_problem("n1c512h38w50_l7_max_adaptive_nhwc")
    odd_avg = spp_oracle.parse_problem("n32c67h7w5_l4.2.1_avg_adaptive_nhwc")
    odd_max = spp_oracle.parse_problem("n32c67h7w5_l4.2.1_max_adaptive_nchw")
    odd_max_nhwc = spp_oracle.parse_problem("n32c67h7w5_l4.2.1_max_adaptive_nhwc")
    large_nhwc = spp_oracle.parse_problem("n8c512h64w64_l4.2.1_max_adaptive_nhwc")
    if "nhwc__avx512" in runnable:
        assert auto_choice(vgg, 1, "infer")[0] == "nhwc__avx512"
        assert auto_choice(vgg, 2, "infer")[0] == "nhwc__fused_avx512"
    if "nhwc__fused_avx512" in runnable:
        for t in (1, 2):
            assert auto_choice(odd_avg, t, "backward")[0] == "nhwc__fused_avx512"
            with spp_lib.Op("nhwc__fused_avx512", odd_avg, threads=t) as op:
                assert op.path("backward") == "bwd-window"
        # 13x13 {6,3,2,1}: 18 window cells per output, beyond the window path's limit
        zf5_avg = spp_oracle.parse_problem("n1c256h13w13_l6.3.2.1_avg_adaptive_nhwc")
        assert auto_choice(zf5_avg, 2, "backward")[0] != "nhwc__fused_avx512"
    elif "nhwc__fused_avx2" in runnable:  # the 8-lane window path, for windows of <= 8 cells
        for t in (1, 2):
            assert auto_choice(odd_avg, t, "backward")[0] == "nhwc__fused_avx2"
            with spp_lib.Op("nhwc__fused_avx2", odd_avg, threads=t) as op:
                assert op.path("backward") == "bwd-window"
        # 10x10 {6,3,2,1} sppnet: 12 window cells per output, beyond the 8-lane limit
        ten = spp_oracle.parse_problem("n4c24h10w10_l6.3.2.1_avg_sppnet_nhwc")
        with spp_lib.Op("nhwc__fused_avx2", ten, threads=1) as op:
            assert op.path("backward") == "bwd-avg"
        assert auto_choice(ten, 1, "backward")[0] == "nhwc__fused_avx2"  # its row walk
    assert auto_choice(odd_max_nhwc, 1, "backward")[0] == "nhwc__chlast"
    assert auto_choice(odd_max_nhwc, 2, "backward")[0] != "nhwc__chlast"
    if "nhwc__fused_avx2" in runnable:
        assert auto_choice(large_nhwc, 1, "backward")[0] == "nhwc__fused_avx2"
        assert auto_choice(large_nhwc, 2, "backward")[0] == "nhwc__fused_avx2"
    assert auto_choice(odd_max, 1, "backward")[0] == "nchw__binmajor"
    zf5 = "c256h13w13_l6.3.2.1_max_sppnet_nchw"   # 173 KB of dx per sample
    assert auto_choice(spp_oracle.parse_problem("n6" + zf5), 1, "backward")[0] == "nchw__binmajor"
    assert auto_choice(spp_oracle.parse_problem("n7" + zf5), 1, "backward")[0] != "nchw__binmajor"
    assert auto_choice(spp_oracle.parse_problem("n1" + zf5), 2, "backward")[0] != "nchw__binmajor"
    if "nchw__fused_avx2" in runnable:
        assert auto_choice(odd_max, 2, "backward")[0] == "nchw__fused_avx2"
    if "nchw__fused_avx512" in runnable:  # small NCHW inference: the 16-lane small-plane core
        assert auto_choice(odd_max, 1, "infer")[0] == "nchw__fused_avx512"
        assert auto_choice(odd_max, 2, "infer")[0] == "nchw__fused_avx512"


def test_auto_rule_conditions_without_avx512():
    """The same conditions as an AVX2-only CPU sees them (SPP_MAX_ISA=avx2, in a process of its
    own: the library reads the variable once), so the AVX2 branches run on this CPU too."""
    if "nhwc__fused_avx2" not in {k.name for k in spp_lib.kernels() if k.runnable}:
        pytest.skip("this CPU has no AVX2")
    env = dict(os.environ, SPP_MAX_ISA="avx2")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        f"{os.path.abspath(__file__)}::test_auto_rule_conditions_on_this_cpu"],
                       env=env, capture_output=True, text=True, timeout=300,
                       cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                           os.path.abspath(__file__)))))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout
