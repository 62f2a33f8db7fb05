"""docs/spec.md#3-max-and-avg: results identical from run to run and for every thread count
(avg too), and unaligned buffers work. Realistic shapes from docs/spec.md#7-workloads, scaled
down in N and C."""
import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
from spp_testkit import KERNELS, check_forward, fill, kernel_cases

PROBLEMS = [O.parse_problem(s) for s in (
    "n2c40h13w13_l6.3.2.1_max_adaptive_nchw", "n2c40h13w13_l6.3.2.1_avg_adaptive_nchw",
    "n2c40h13w13_l6.3.2.1_max_adaptive_nhwc", "n2c40h13w13_l6.3.2.1_avg_adaptive_nhwc",
    "n4c67h7w5_l4.2.1_avg_adaptive_nhwc", "n4c67h7w5_l4.2.1_max_adaptive_nchw",
    "n1c24h43w57_l6.3.2.1_avg_sppnet_nchw", "n1c24h43w57_l6.3.2.1_max_sppnet_nhwc",
    "n2c19h38w50_l4.2.1_avg_caffe_nhwc", "n2c19h38w50_l7_max_caffe_nchw")]


@pytest.mark.parametrize("kernel,problem", kernel_cases(PROBLEMS))
def test_same_result_every_run_and_thread_count(kernel, problem):
    d = O.parse_problem(problem)
    k = next(k for k in KERNELS if k.name == kernel)
    y0, a0 = check_forward(kernel, d, "normal")    # vs the oracle first
    for threads in ((1, 2, 3, 4) if k.threaded else (1,)):
        for offset in (0, 1, 3):                    # 4 and 12 bytes past a 64-byte boundary
            y, a = L.run_forward(kernel, d, fill(d, "normal"), threads=threads, offset=offset)
            assert np.array_equal(y.view(np.uint32), y0.view(np.uint32)), (threads, offset)
            assert (a is None and a0 is None) or np.array_equal(a, a0), (threads, offset)
    if d["pool"] == "max":   # argmax=NULL: same values
        y, a = L.run_forward(kernel, d, fill(d, "normal"), want_argmax=False)
        assert a is None and np.array_equal(y.view(np.uint32), y0.view(np.uint32))
    dy = np.random.default_rng(4).normal(size=O.out_shape(d)).astype(np.float32)
    dx0 = L.run_backward(kernel, d, dy, a0)
    for threads in ((2, 3) if k.threaded else (1,)):
        dx = L.run_backward(kernel, d, dy, a0, threads=threads, offset=1)
        assert np.array_equal(dx.view(np.uint32), dx0.view(np.uint32)), threads
