"""The bin plan (C spp_axis_bins / spp_plan_init) vs docs/spec.md#2-bins and the oracle."""
import ctypes as ct
import math

import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O

CONVS = O.CONVENTIONS


def iv(*pairs):
    return [(s, e) for s, e in pairs]


# The worked examples of docs/spec.md#2-bins, typed in from the text.
WORKED = [
    (7, 4, "adaptive", iv((0, 2), (1, 4), (3, 6), (5, 7)), None),
    (7, 4, "sppnet", iv((0, 2), (1, 3), (2, 4), (3, 5)), None),
    (7, 4, "caffe", iv((0, 1), (1, 3), (3, 5), (5, 7)), [2, 2, 2, 2]),
    (3, 6, "adaptive", iv((0, 1), (0, 1), (1, 2), (1, 2), (2, 3), (2, 3)), None),
    (13, 3, "sppnet", iv((0, 5), (4, 9), (8, 13)), [5, 5, 5]),
    (13, 6, "adaptive", iv((0, 3), (2, 5), (4, 7), (6, 9), (8, 11), (10, 13)), [3] * 6),
    (13, 6, "sppnet", iv((0, 3), (2, 5), (4, 7), (6, 9), (8, 11), (10, 13)), [3] * 6),
    (10, 3, "caffe", iv((0, 3), (3, 7), (7, 10)), [4, 4, 4]),
]


@pytest.mark.parametrize("A,n,conv,expect,divs", WORKED,
                         ids=[f"A{a}n{n}_{c}" for a, n, c, _, _ in WORKED])
@pytest.mark.parametrize("impl", ["oracle", "C"])
def test_worked_examples(impl, A, n, conv, expect, divs):
    bins = O.axis_bins(A, n, conv) if impl == "oracle" else L.axis_bins(A, n, conv)
    assert [(s, e) for s, e, _ in bins] == expect
    if divs is not None:
        assert [d for _, _, d in bins] == divs


def test_sppnet_leaves_rows_unpooled():
    # docs/spec.md#2-bins: sppnet A=7 n=4 never pools rows 5 and 6
    covered = set()
    for s, e, _ in L.axis_bins(7, 4, "sppnet"):
        covered.update(range(s, e))
    assert sorted(set(range(7)) - covered) == [5, 6]


@pytest.mark.parametrize("conv", ["sppnet", "caffe"])
def test_worked_invalid_A3_n6(conv):
    with pytest.raises(ValueError, match=r"A?3.*6|3.*n=6"):
        O.axis_bins(3, 6, conv, "H")
    with pytest.raises(L.SppError) as e:
        L.axis_bins(3, 6, conv, "H")
    assert e.value.status == L.ERR_CONVENTION
    assert "H=3" in e.value.message and "6" in e.value.message and conv in e.value.message


@pytest.mark.parametrize("conv", CONVS)
@pytest.mark.parametrize("A", [2**56, 2**56 - 1, 10**15 + 7, 2**40 + 3, 997])
def test_c_bins_match_oracle_long_axes(conv, A):
    """Long axes up to SPP_MAX_AXIS = 2^56 and levels up to 64, where the C arithmetic (64-bit
    integers; adaptive bins stepped by quotient and remainder) must still equal the oracle's
    exact Python integers."""
    for n in (1, 2, 3, 6, 7, 13, 63, 64):
        assert L.axis_bins(A, n, conv, "W") == O.axis_bins(A, n, conv, "W"), (A, n)


@pytest.mark.parametrize("conv", CONVS)
def test_c_bins_match_oracle_all_A_n(conv):
    """A in 1..64, n in 1..13: same intervals and divisors, same validity; rejection messages
    name the axis, A and n."""
    mism = []
    for A in range(1, 65):
        for n in range(1, 14):
            try:
                o = O.axis_bins(A, n, conv, "W")
            except ValueError:
                o = None
            try:
                c = L.axis_bins(A, n, conv, "W")
            except L.SppError as e:
                c = None
                if e.status != L.ERR_CONVENTION or f"W={A}" not in e.message or \
                        str(n) not in e.message:
                    mism.append((A, n, "message", e.status, e.message))
            if o != c:
                mism.append((A, n, "oracle", o, "C", c))
    assert not mism, f"{len(mism)} mismatches, first: {mism[:3]}"


@pytest.mark.parametrize("conv", CONVS)
def test_large_axes_integer_arithmetic(conv):
    """Sizes where a float formula would round (above 2^24, near 2^31 and beyond)."""
    for A in (2**24 + 1, 2**31 - 1, 2**31 + 7, 3 * 2**33 + 5):
        for n in (1, 3, 7, 13, 64):
            try:
                o = O.axis_bins(A, n, conv, "H")
            except ValueError:
                o = None
            try:
                c = L.axis_bins(A, n, conv, "H")
            except L.SppError:
                c = None
            assert o == c, (A, n, conv)


@pytest.mark.parametrize("impl", ["oracle", "C"])
def test_section2_properties(impl):
    f = O.axis_bins if impl == "oracle" else L.axis_bins
    for A in range(1, 65):
        for n in range(1, 14):
            b = f(A, n, "adaptive")
            assert len(b) == n
            assert b[0][0] == 0 and b[-1][1] == A                     # covers the axis
            assert all(e > s for s, e, _ in b)                         # never empty
            assert all(b[i + 1][0] <= b[i][1] for i in range(n - 1))   # no gaps
            assert all(b[i + 1][0] >= b[i][0] and b[i + 1][1] >= b[i][1] for i in range(n - 1))
            if A >= n:
                assert all(b[i][1] - b[i + 1][0] <= 1 for i in range(n - 1)), (A, n)
            big = max(e - s for s, e, _ in b)
            assert math.ceil(A / n) <= big <= math.ceil(A / n) + 1, (A, n, big)
            assert all(d == e - s for s, e, d in b)
            for conv in ("sppnet", "caffe"):
                try:
                    b = f(A, n, conv)
                except (ValueError, L.SppError):
                    continue
                assert all(0 <= s < e <= A for s, e, _ in b), (conv, A, n)   # never empty
                k = math.ceil(A / n)
                assert all(e - s <= d <= k for s, e, d in b), (conv, A, n)
                if conv == "sppnet":
                    assert A >= n and all(d == k for _, _, d in b)


def test_sppnet_validity_rule():
    for A in range(1, 40):
        for n in range(1, 14):
            ok = True
            try:
                O.axis_bins(A, n, "sppnet")
            except ValueError:
                ok = False
            assert ok == (A >= n)


def test_plan_init_matches_axis_bins_and_oracle():
    """spp_plan_init through ctypes == spp_axis_bins through ctypes == the oracle, for every
    convention, several shapes and level orders (incl. repeats); offsets are C*sum n_k^2."""
    for conv in CONVS:
        for h, w in ((13, 13), (7, 5), (43, 57), (64, 1), (1, 64)):
            for levels in ([6, 3, 2, 1], [1, 2, 4], [13], [5, 3], [2, 2, 7, 1, 3, 3, 4, 8]):
                d = dict(n=2, c=3, h=h, w=w, levels=levels, pool="max", bins=conv,
                         layout="nchw")
                if L.validate(d)[0]:
                    with pytest.raises(ValueError):
                        O.check_problem(d)
                    with pytest.raises(L.SppError):
                        L.plan(d)
                    continue
                pl = L.plan(d)
                off = 0
                for lv, n in zip(pl, levels):
                    assert lv["n"] == n and lv["out_offset"] == 3 * off
                    off += n * n
                    assert lv["rows"] == L.axis_bins(h, n, conv, "H") == O.axis_bins(h, n, conv)
                    assert lv["cols"] == L.axis_bins(w, n, conv, "W") == O.axis_bins(w, n, conv)
                ps = L.plan_struct(d)
                assert ps.bins_per_channel == off and ps.out_per_sample == 3 * off
                assert L.from_struct(ps.p) == d


def test_struct_sizes_match_c():
    """There is no sizeof export: spp_plan_init memsets exactly sizeof(spp_plan) bytes, so
    fill a larger buffer with two sentinels and find how far the library wrote."""
    size = ct.sizeof(L.spp_plan)
    d = dict(n=1, c=1, h=3, w=3, levels=[1], pool="max", bins="adaptive", layout="nchw")
    ends = []
    for sentinel in (0xAB, 0x5C):
        buf = (ct.c_ubyte * (size + 256))(*([sentinel] * (size + 256)))
        err = L.spp_error()
        assert L.LIB.spp_plan_init(buf, ct.byref(L.to_struct(d)), ct.byref(err)) == 0
        b = np.frombuffer(buf, dtype=np.uint8)
        ends.append(int(np.nonzero(b != sentinel)[0].max()) + 1)
    assert max(ends) == size, f"C wrote {max(ends)} bytes, ctypes sizeof(spp_plan)={size}"
    assert ct.sizeof(L.spp_problem) == 80 and ct.sizeof(L.spp_interval) == 24
    # the last level's last column interval is the struct's tail: check it lands there
    d = dict(d, levels=[1] * 7 + [64], h=64, w=64)
    ps = L.plan_struct(d)
    assert ps.lv[7].n == 64 and ps.lv[7].cols[63].end == 64 and ps.lv[7].cols[63].start == 63


def test_registry_struct_fields_match_accessors():
    for i in range(L.LIB.spp_kernel_count()):
        kp = L.LIB.spp_kernel_at(i)
        k = kp.contents
        assert ct.addressof(L.LIB.spp_kernel_find(k.name).contents) == ct.addressof(k)
        for li in range(2):
            assert bool(L.LIB.spp_kernel_has_layout(kp, li)) == bool(k.layouts & (1 << li))
        assert 0 <= k.isa <= 2 and k.threaded in (0, 1) and k.forward and k.backward
        assert k.name.decode().replace("_", "").isalnum() and k.summary
    assert not L.LIB.spp_kernel_at(L.LIB.spp_kernel_count())
    assert not L.LIB.spp_kernel_find(b"no_such_kernel")
    assert L.kernels()[0].name == "naive"
