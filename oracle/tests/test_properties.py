"""Hypothesis property tests (fixed profile from conftest: derandomized, bounded examples):
random small shapes, 1..4 levels of 1..8 in any order with repeats, every convention, pool,
layout the kernel takes, fill, thread count and buffer misalignment: kernel == oracle, or both
reject the problem. Plus the problem string: format(parse(s)) == s, C and Python agree."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import spp_lib as L
import spp_oracle as O
from spp_testkit import KERNELS, assert_avg_close, assert_max_exact, kernel_param

KINDS = ["ints0", "normal", "perm", "relu", "nan"]


@st.composite
def problems(draw, layouts=O.LAYOUTS):
    return dict(n=draw(st.integers(1, 2)), c=draw(st.integers(1, 20)),
                h=draw(st.integers(1, 20)), w=draw(st.integers(1, 20)),
                levels=draw(st.lists(st.integers(1, 8), min_size=1, max_size=4)),
                pool=draw(st.sampled_from(O.POOLS)), bins=draw(st.sampled_from(O.CONVENTIONS)),
                layout=draw(st.sampled_from(layouts)))


def _fill(d, kind, seed):
    rng = np.random.default_rng(seed)
    shape, size = O.in_shape(d), int(np.prod(O.in_shape(d)))
    x = {"ints0": lambda: rng.integers(0, 4, size).astype(np.float64),
         "normal": lambda: rng.normal(0.5, 1, size),
         "perm": lambda: rng.permutation(size) - size / 2.0,
         "relu": lambda: np.maximum(rng.normal(size=size), 0),
         "nan": lambda: np.where(rng.random(size) < 0.1, np.nan, rng.integers(0, 4, size))}[kind]()
    return x.astype(np.float32).reshape(shape)


@pytest.mark.parametrize("kernel", [kernel_param(k, id=k.name) for k in KERNELS])
@given(data=st.data())
def test_kernel_matches_oracle(kernel, data):
    k = next(k for k in KERNELS if k.name == kernel)
    d = data.draw(problems(k.layouts), label="problem")
    kind = data.draw(st.sampled_from(KINDS), label="fill")
    threads = data.draw(st.integers(1, 3), label="threads") if k.threaded else 1
    offset = data.draw(st.sampled_from([0, 1, 3]), label="offset")
    x = _fill(d, kind, data.draw(st.integers(0, 2**32 - 1), label="seed"))
    try:
        O.check_problem(d)
    except ValueError as e:
        with pytest.raises(L.SppError) as ce:
            L.run_forward(kernel, d, x, threads=threads, offset=offset)
        assert ce.value.status == L.ERR_CONVENTION, (str(e), ce.value)
        return
    y, a = L.run_forward(kernel, d, x, threads=threads, offset=offset)
    yo, ao = O.forward_problem(d, x)
    tag = f"[fill={kind} threads={threads} offset={offset}]"
    if d["pool"] == "max":
        assert_max_exact(d, y, a, yo, ao, tag)
    else:
        y64, _ = O.forward_problem(d, x, exact=True)
        assert_avg_close(d, y, y64, O.avg_bound(x, d["levels"], d["bins"], d["layout"]), tag)
    # backward on the same problem (finite dy; argmax from the oracle)
    dy = np.random.default_rng(1).normal(size=O.out_shape(d)).astype(np.float32)
    want = O.backward_problem(d, dy, ao)
    got = L.run_backward(kernel, d, dy, ao, threads=threads, offset=offset)
    bound = O.backward_bound(dy, ao, O.in_shape(d), d["levels"], d["pool"], d["bins"],
                             d["layout"])
    assert np.all(np.abs(got - want) <= bound), f"backward {O.format_problem(d)} {tag}"


@st.composite
def any_problem(draw):
    big = st.one_of(st.integers(0, 40), st.integers(0, 2**63 - 1))
    return dict(n=draw(big), c=draw(big), h=draw(big), w=draw(big),
                levels=draw(st.lists(st.one_of(st.integers(0, 70), st.integers(0, 2**31 - 1)),
                                     min_size=1, max_size=8)),
                pool=draw(st.sampled_from(O.POOLS)), bins=draw(st.sampled_from(O.CONVENTIONS)),
                layout=draw(st.sampled_from(O.LAYOUTS)))


@given(any_problem())
def test_problem_string_roundtrip(d):
    s = O.format_problem(d)
    assert L.format_problem(d) == s                  # C and Python print the same
    assert L.parse_problem(s) == d == O.parse_problem(s)
    assert L.format_problem(L.parse_problem(s)) == s


@given(any_problem())
def test_validation_agrees_with_oracle(d):
    """spp_problem_validate and the oracle's check_problem accept exactly the same problems."""
    st_, msg = L.validate(d)
    try:
        O.check_problem(d)
        ok = True
    except ValueError:
        ok = False
    assert (st_ == L.OK) == ok, (O.format_problem(d), st_, msg)
