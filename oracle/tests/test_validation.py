"""docs/spec.md#6-validation: every rule gives the right status and a message naming the field
and value, through spp_problem_validate and through the checked entry points of every kernel
(which must write nothing on failure: run_forward / run_backward check the output buffers)."""
import ctypes as ct

import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O
from spp_testkit import KERNELS, isolated, kernel_param

BASE = dict(n=2, c=3, h=7, w=5, levels=[4, 2, 1], pool="max", bins="adaptive", layout="nchw")
BIG = 2**31

# (label, changes to BASE, status, substrings the message must contain)
RULES = [
    ("N=0", dict(n=0), L.ERR_SHAPE, ["N=0"]),
    ("C=0", dict(c=0), L.ERR_SHAPE, ["C=0"]),
    ("H=0", dict(h=0), L.ERR_SHAPE, ["H=0"]),
    ("W=0", dict(w=0), L.ERR_SHAPE, ["W=0"]),
    ("N=-1", dict(n=-1), L.ERR_SHAPE, ["N=-1"]),
    ("C=-5", dict(c=-5), L.ERR_SHAPE, ["C=-5"]),
    ("no-levels", dict(levels=[]), L.ERR_LEVELS, ["levels", "0"]),
    ("level-0", dict(levels=[4, 0, 1]), L.ERR_LEVELS, ["levels[1]=0"]),
    ("level-neg", dict(levels=[-3]), L.ERR_LEVELS, ["levels[0]=-3"]),
    ("level-65", dict(levels=[1, 65]), L.ERR_LEVELS, ["levels[1]=65", "64"]),
    ("9-levels", dict(levels=[1] * 8, nlevels=9), L.ERR_LEVELS, ["9", "8"]),
    ("nlevels-neg", dict(nlevels=-1), L.ERR_LEVELS, ["-1"]),
    ("sppnet-H", dict(h=3, w=9, bins="sppnet"), L.ERR_CONVENTION, ["H=3", "4", "sppnet"]),
    ("sppnet-W", dict(h=9, w=2, bins="sppnet", levels=[1, 3]), L.ERR_CONVENTION,
     ["W=2", "3", "sppnet"]),
    ("caffe-H", dict(h=13, w=13, bins="caffe", levels=[6]), L.ERR_CONVENTION,
     ["H=13", "6", "caffe", "pad"]),
    ("caffe-W", dict(h=7, w=5, bins="caffe", levels=[4]), L.ERR_CONVENTION,
     ["W=5", "4", "caffe", "pad"]),
    ("HW>INT32_MAX", dict(h=65536, w=32768, n=1, c=1), L.ERR_OVERFLOW, ["H*W", "65536"]),
    ("in-bytes", dict(n=BIG, c=BIG, h=1, w=1, levels=[1]), L.ERR_OVERFLOW,
     ["N*C*H*W", str(BIG)]),
    ("in-bytes-2", dict(n=2**62, c=1, h=1, w=1, levels=[1]), L.ERR_OVERFLOW, ["N*C*H*W"]),
    ("out-bytes", dict(n=BIG, c=2**28, h=1, w=1, levels=[64] * 8), L.ERR_OVERFLOW,
     ["N*C*sum(n^2)", "output"]),
    ("pool=2", dict(pool=2), L.ERR_ENUM, ["pool=2"]),
    ("pool=-1", dict(pool=-1), L.ERR_ENUM, ["pool=-1"]),
    ("bins=3", dict(bins=3), L.ERR_ENUM, ["bins=3"]),
    ("layout=2", dict(layout=2), L.ERR_ENUM, ["layout=2"]),
    ("layout=-7", dict(layout=-7), L.ERR_ENUM, ["layout=-7"]),
]


def _problem(changes):
    d = dict(BASE)
    d.update(changes)
    return d


@pytest.mark.parametrize("label,changes,status,words", RULES, ids=[r[0] for r in RULES])
def test_validate(label, changes, status, words):
    st, msg = L.validate(_problem(changes))
    assert st == status, (label, L.STATUS[st], msg)
    for w in words:
        assert w in msg, (label, w, msg)
    if all(isinstance(_problem(changes)[f], str) for f in ("pool", "bins", "layout")) and \
            "nlevels" not in changes:
        with pytest.raises(ValueError):
            O.check_problem(_problem(changes))


def test_valid_base_and_limits_accepted():
    for changes in ({}, dict(levels=[64]), dict(levels=[1] * 8), dict(h=64, w=64, levels=[64]),
                    dict(h=46341, w=46340, n=1, c=1, levels=[1]),   # H*W just under 2^31
                    dict(h=2**31 - 1, w=1, n=1, c=1, levels=[1])):
        st, msg = L.validate(_problem(changes))
        assert st == L.OK, (changes, msg)


# Checked entry points with each kernel: problems that are too big to allocate must still be
# rejected before any buffer is touched (small dummy buffers are passed).
@pytest.mark.parametrize("kernel", [kernel_param(k, id=k.name) for k in KERNELS])
@pytest.mark.parametrize("label,changes,status,words", RULES, ids=[r[0] for r in RULES])
def test_entry_points_reject(kernel, label, changes, status, words):
    d = _problem(changes)
    x = np.zeros(64, np.float32)
    y = np.full(64, 7, np.float32)
    a = np.full(64, 7, np.int32)
    err = L.spp_error()
    k = L.LIB.spp_kernel_find(kernel.encode())
    p = ct.byref(L.to_struct(d))
    st = L.LIB.spp_forward(k, p, x.ctypes.data, y.ctypes.data, a.ctypes.data, 1, ct.byref(err))
    assert st == status, (label, L.STATUS[st], err.msg)
    assert all(w in err.msg.decode() for w in words), err.msg
    st = L.LIB.spp_backward(k, p, y.ctypes.data, a.ctypes.data, x.ctypes.data, 1, ct.byref(err))
    assert st == status, (label, L.STATUS[st], err.msg)
    assert np.all(y == 7) and np.all(a == 7) and np.all(x == 0), "written on failure"


def _bufs(d):
    x = np.ones(O.in_shape(d), np.float32)
    return x, np.zeros(O.out_shape(d), np.float32), np.zeros(O.out_shape(d), np.int32)


def _fwd(kernel, d, x, y, a, threads=1):
    """spp_forward expected to be rejected: run in a forked child (see isolated)."""
    return isolated(_fwd_raw, _name(kernel), d, _addr(x), _addr(y), _addr(a), threads)


def _bwd(kernel, d, dy, a, dx, threads=1):
    return isolated(_bwd_raw, _name(kernel), d, _addr(dy), _addr(a), _addr(dx), threads)


def _name(kernel):
    """Kernels cross the fork as names; a fake kernel as its field values."""
    if isinstance(kernel, str):
        return kernel
    k = kernel.contents
    return (k.name, k.layouts, k.isa)


def _addr(v):
    return None if v is None else (v if isinstance(v, int) else v.ctypes.data)


def _kptr(kernel):
    if isinstance(kernel, str):
        return L.LIB.spp_kernel_find(kernel.encode())
    return ct.pointer(_fake_kernel(kernel[1], kernel[2], kernel[0]))


def _fwd_raw(kernel, d, x, y, a, threads=1):
    err = L.spp_error()
    k = _kptr(kernel)
    ptr = _addr
    st = L.LIB.spp_forward(k, ct.byref(L.to_struct(d)), ptr(x), ptr(y), ptr(a), threads,
                           ct.byref(err))
    return st, err.msg.decode()


def _bwd_raw(kernel, d, dy, a, dx, threads=1):
    err = L.spp_error()
    k = _kptr(kernel)
    ptr = _addr
    st = L.LIB.spp_backward(k, ct.byref(L.to_struct(d)), ptr(dy), ptr(a), ptr(dx), threads,
                            ct.byref(err))
    return st, err.msg.decode()


KP = [kernel_param(k, id=k.name) for k in KERNELS]


def _layout_for(kernel):
    return next(k for k in KERNELS if k.name == kernel).layouts[0]


def _null_kernel_forward(d, x, y):
    err = L.spp_error()
    return L.LIB.spp_forward(None, ct.byref(L.to_struct(d)), x, y, None, 1, ct.byref(err))


@pytest.mark.parametrize("kernel", KP)
def test_null_pointers(kernel):
    d = dict(BASE, layout=_layout_for(kernel))
    x, y, a = _bufs(d)
    st, msg = _fwd(kernel, d, None, y, a)
    assert st == L.ERR_NULL and "x=NULL" in msg
    st, msg = _fwd(kernel, d, x, None, a)
    assert st == L.ERR_NULL and "y=NULL" in msg
    assert _fwd_raw(kernel, d, x, y, None)[0] == L.OK      # argmax is optional in forward
    st, msg = _bwd(kernel, d, y, None, x)                   # ... but required for max backward
    assert st == L.ERR_NULL and "argmax" in msg
    st, msg = _bwd(kernel, d, None, a, x)
    assert st == L.ERR_NULL and "dy=NULL" in msg
    st, msg = _bwd(kernel, d, y, a, None)
    assert st == L.ERR_NULL and "dx=NULL" in msg
    assert _bwd_raw(kernel, dict(d, pool="avg"), y, None, x)[0] == L.OK   # avg: no argmax
    err = L.spp_error()
    assert isolated(_null_kernel_forward, d, x.ctypes.data, y.ctypes.data) == L.ERR_NULL
    assert L.LIB.spp_forward(L.LIB.spp_kernel_find(kernel.encode()), None, x.ctypes.data,
                             y.ctypes.data, None, 1, ct.byref(err)) == L.ERR_NULL
    assert L.LIB.spp_plan_init(None, ct.byref(L.to_struct(d)), ct.byref(err)) == L.ERR_NULL
    assert L.LIB.spp_problem_parse(None, ct.byref(L.spp_problem()), ct.byref(err)) == L.ERR_NULL
    assert L.LIB.spp_problem_validate(None, None) == L.ERR_NULL   # err may be NULL


@pytest.mark.parametrize("kernel", KP)
def test_overlapping_buffers(kernel):
    d = dict(BASE, layout=_layout_for(kernel))
    nin, nout = int(np.prod(O.in_shape(d))), int(np.prod(O.out_shape(d)))
    buf = np.zeros(nin + 2 * nout + 16, np.float32)
    base = buf.ctypes.data
    a = np.zeros(nout, np.int32)
    # y inside x; y overlapping x's last element; argmax overlapping y; x == y
    for xo, yo, ao, names in ((0, 4, None, "x and y"), (0, nin - 1, None, "x and y"),
                              (0, 0, None, "x and y"), (0, nin, nin + nout - 3, "y and argmax")):
        ap = a.ctypes.data if ao is None else base + 4 * ao
        st, msg = _fwd(kernel, d, base + 4 * xo, base + 4 * yo, ap)
        assert st == L.ERR_OVERLAP and names in msg, (xo, yo, ao, msg)
    # adjacent (touching, not overlapping) buffers are fine
    st, msg = _fwd_raw(kernel, d, base, base + 4 * nin, base + 4 * (nin + nout))
    assert st == L.OK, msg
    # backward: dx over dy, argmax over dx
    st, msg = _bwd(kernel, d, base, a.ctypes.data, base + 8)
    assert st == L.ERR_OVERLAP and "dy" in msg and "dx" in msg
    a[:] = 0
    st, msg = _bwd(kernel, d, base, base + 4 * (nout + 2), base + 4 * nout)
    assert st == L.ERR_OVERLAP and "dx" in msg and "argmax" in msg


@pytest.mark.parametrize("kernel", KP)
def test_threads_and_argmax_range(kernel):
    d = dict(BASE, layout=_layout_for(kernel))
    x, y, a = _bufs(d)
    for t in (0, -1, -(2**31)):
        st, msg = _fwd(kernel, d, x, y, a, threads=t)
        assert st == L.ERR_ARG and f"threads={t}" in msg
        st, msg = _bwd(kernel, d, y, a, x, threads=t)
        assert st == L.ERR_ARG and f"threads={t}" in msg
    for bad in (-1, d["h"] * d["w"]):
        a[:] = 0
        a[0, 5] = bad
        dx = np.full(O.in_shape(d), 3, np.float32)
        st, msg = _bwd(kernel, d, y, a, dx)
        assert st == L.ERR_ARG and f"={bad}" in msg and "argmax" in msg
        assert np.all(dx == 3), "dx written on failure"


_KEEP = []


def _fake_kernel(layouts, isa, name=b"fake__test"):
    """A kernel struct built here, borrowing naive's functions: the checks must stop it before
    its functions run."""
    naive = L.LIB.spp_kernel_find(b"naive").contents
    k = L.spp_kernel(name, layouts, isa, 0, b"test-only kernel", naive.forward,
                     naive.backward, None)
    _KEEP.append(k)
    return k


def test_kernel_lacking_layout():
    lacking = [(k.name, l) for k in KERNELS for l in O.LAYOUTS if l not in k.layouts]
    cases = [(n, n, l) for n, l in lacking]
    fake = _fake_kernel(1 << 0, 0)   # nchw only
    cases.append((ct.pointer(fake), "fake__test", "nhwc"))
    for k, name, layout in cases:
        d = dict(BASE, layout=layout)
        x, y, a = _bufs(d)
        y[:] = 5
        st, msg = _fwd(k, d, x, y, a)
        assert st == L.ERR_LAYOUT and layout in msg and name in msg, msg
        st, msg = _bwd(k, d, y, a, x)
        assert st == L.ERR_LAYOUT and layout in msg and name in msg, msg
        assert np.all(y == 5) and np.all(x == 1)
    assert L.LIB.spp_check_kernel(ct.pointer(fake), ct.byref(L.to_struct(BASE)), None) == L.OK


def test_kernel_lacking_isa():
    missing = [i for i in range(3) if not L.LIB.spp_cpu_supports(i)] + [7]   # 7: no such ISA
    for isa in missing:
        fake = _fake_kernel(3, isa)
        x, y, a = _bufs(BASE)
        st, msg = _fwd(ct.pointer(fake), BASE, x, y, a)
        assert st == L.ERR_ISA and "fake__test" in msg, (isa, msg)
    assert L.LIB.spp_cpu_supports(0) == 1
    for k in KERNELS:   # registered kernels this CPU cannot run: rejected, never SIGILL
        if not k.runnable:
            d = dict(BASE, layout=k.layouts[0])
            x, y, a = _bufs(d)
            st, msg = _fwd(k.name, d, x, y, a)
            assert st == L.ERR_ISA and k.name in msg and k.isa in msg, msg


def test_unknown_kernel_name():
    with pytest.raises(L.SppError) as e:
        L.run_forward("no_such_kernel", BASE, np.ones(O.in_shape(BASE), np.float32))
    assert e.value.status == L.ERR_ARG and "no_such_kernel" in e.value.message
