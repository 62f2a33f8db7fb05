"""Every registered kernel x layout x pool x convention vs the oracle on the labelled edge-case
grid (spp_testkit.grid_problems). Max and argmax bitwise, avg within the bound of
docs/spec.md#3-max-and-avg. Problems whose convention is invalid for the shape must be rejected
by the library, naming the axis."""
import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
from spp_testkit import (CHANNELS, KERNELS, check_forward, grid_problems, kernel_cases,
                         threads_for, valid)

GRID = grid_problems()
LABEL = {O.format_problem(d): label for d, label in GRID}
VALID = [d for d, _ in GRID if valid(d)]
INVALID = [d for d, _ in GRID if not valid(d)]


@pytest.mark.parametrize("kernel,problem", kernel_cases(VALID))
def test_forward_vs_oracle(kernel, problem):
    d = O.parse_problem(problem)
    t = threads_for(kernel)
    kinds = ("ints", "perm") if d["pool"] == "max" else ("normal", "ints")
    for kind in kinds:   # ties everywhere, then distinct values
        try:
            check_forward(kernel, d, kind, threads=t)
        except AssertionError as e:
            raise AssertionError(f"{LABEL[problem]}: {e}") from None


@pytest.mark.parametrize("problem", [O.format_problem(d) for d in INVALID])
def test_invalid_convention_rejected(problem):
    """Rejected in spp_forward before any kernel runs, so one test per problem drives every
    runnable kernel that takes the layout."""
    d = O.parse_problem(problem)
    with pytest.raises(ValueError) as oe:
        O.check_problem(d)
    axis = "H" if "H=" in str(oe.value) else "W"
    names = [k.name for k in KERNELS if k.runnable and d["layout"] in k.layouts]
    assert names
    for name in names:
        with pytest.raises(L.SppError) as e:   # run_forward also asserts nothing was written
            L.run_forward(name, d, np.ones(O.in_shape(d), np.float32))
        assert e.value.status == L.ERR_CONVENTION, (name, e.value)
        m = e.value.message
        assert f"{axis}={d[axis.lower()]}" in m and d["bins"] in m, (name, m)


def test_grid_covers_the_edge_cases():
    """The grid covers every (level set, pool, convention, layout), H != W, C tails, N = 1, 2,
    and has both valid and rejected cases for the restrictive conventions."""
    probs = [d for d, _ in GRID]
    assert any(d["h"] != d["w"] for d in probs)
    assert {d["c"] for d in probs} == set(CHANNELS) and {d["n"] for d in probs} == {1, 2}
    for conv in ("sppnet", "caffe"):
        assert any(d["bins"] == conv for d in VALID) and any(d["bins"] == conv for d in INVALID)
    assert {tuple(d["levels"]) for d in probs} == {(6, 3, 2, 1), (1, 2, 4), (7,), (13,), (5, 3)}
    assert KERNELS and KERNELS[0].name == "naive"
