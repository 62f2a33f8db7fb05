"""spp_kernel_auto (src/auto.c, docs/kernels.md#auto): for every problem it names a registered
kernel that takes the layout and runs on this CPU, and that kernel's output is naive's."""
import ctypes as ct

import numpy as np
import pytest

import spp_lib
import spp_oracle

_auto = spp_lib._private("spp_kernel_auto", ct.c_void_p, [ct.c_void_p, ct.c_void_p])
_name = ct.POINTER(ct.c_char_p)   # spp_kernel's first field is its name

PROBLEMS = ["n2c24h13w13_l6.3.2.1_max_adaptive_nhwc", "n2c24h13w13_l3.2.1_max_adaptive_nhwc",
            "n1c24h43w57_l6.3.2.1_max_sppnet_nhwc", "n3c19h7w5_l4.2.1_avg_adaptive_nhwc",
            "n2c24h13w13_l6.3.2.1_max_adaptive_nchw", "n1c16h38w50_l7_max_caffe_nchw",
            "n1c1h1w1_l1_avg_adaptive_nchw"]


def auto_choice(d):
    why = ct.c_char_p()
    k = _auto(ct.byref(spp_lib.to_struct(d)), ct.byref(why))
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
    if "nchw__fused_avx2" in runnable:
        assert auto_choice(dict(small, layout="nchw"))[0] == "nchw__fused_avx2"
