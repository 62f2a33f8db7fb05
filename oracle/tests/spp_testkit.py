"""Shared helpers of the oracle tests: registry-driven parameters, fills, comparisons."""
import itertools
import zlib
from functools import lru_cache

import numpy as np
import pytest

import spp_lib as L
import spp_oracle as O

KERNELS = L.kernels()

# The edge-case level sets, in the caller's order.
LEVEL_SETS = [[6, 3, 2, 1], [1, 2, 4], [7], [13], [5, 3]]
CHANNELS = [1, 3, 17, 33]   # none a multiple of 16: vector tails


def kernel_param(k, *rest, id):
    """One parameter set for kernel k; skip-marked (visibly, with the library's reason) when
    its ISA cannot run here."""
    marks = () if k.runnable else (
        pytest.mark.skip(reason=f"{k.name}: {L.isa_unavailable(k.isa)}"),)
    return pytest.param(k.name, *rest, marks=marks, id=id)


def kernel_cases(problems, extra=None):
    """(kernel, problem[, extra]) for every kernel and every problem in a layout it takes."""
    out = []
    for k in KERNELS:
        for d in problems:
            if d["layout"] not in k.layouts:
                continue
            s = O.format_problem(d)
            if extra is None:
                out.append(kernel_param(k, s, id=f"{k.name}/{s}"))
            else:
                for e in extra:
                    out.append(kernel_param(k, s, e, id=f"{k.name}/{s}/{e}"))
    return out


def threads_for(name):
    """Threaded kernels run with 2 threads in the grids (the split is the risky part)."""
    return 2 if next(k for k in KERNELS if k.name == name).threaded else 1


def seed_of(*parts):
    return zlib.crc32("/".join(map(str, parts)).encode())


def fill(d, kind, seed=0):
    """Input of problem d (in its layout). Kinds: ints (1..4: ties everywhere, never zero),
    ints0 (0..3), perm (distinct values, spacing 1), normal (float, mean 0.5), relu (many exact
    zeros), zeros (+0.0/-0.0), ninf (-inf regions), pinf (+inf ties), nan (sparse NaN)."""
    rng = np.random.default_rng(seed_of(O.format_problem(d), kind, seed))
    shape = O.in_shape(d)
    size = int(np.prod(shape))
    if kind == "ints":
        x = rng.integers(1, 5, size)
    elif kind == "ints0":
        x = rng.integers(0, 4, size)
    elif kind == "perm":
        x = rng.permutation(size) - size / 2.0
    elif kind == "normal":
        x = rng.normal(0.5, 1.0, size)
    elif kind == "relu":
        x = np.maximum(rng.normal(0.0, 1.0, size), 0.0)
    elif kind == "zeros":
        x = np.where(rng.random(size) < 0.5, -0.0, 0.0)
        x[rng.random(size) < 0.1] = -1.0
    elif kind == "ninf":
        x = rng.integers(-3, 3, size).astype(np.float64)
        x[rng.random(size) < 0.7] = -np.inf
    elif kind == "pinf":
        x = rng.integers(-3, 3, size).astype(np.float64)
        x[rng.random(size) < 0.15] = np.inf
    elif kind == "nan":
        x = rng.integers(0, 3, size).astype(np.float64)
        r = rng.random(size)
        x[r < 0.12] = np.nan
        x[(r >= 0.12) & (r < 0.2)] = np.inf
    else:
        raise ValueError(kind)
    x = x.astype(np.float32).reshape(shape)
    if kind == "ninf":   # whole planes of -inf: every bin of them is all -inf
        xc = O._to_nchw(x, d["layout"])
        xc[:, ::2] = -np.inf
    return x


@lru_cache(maxsize=4096)
def _oracle_cached(s, kind, seed):
    d = O.parse_problem(s)
    x = fill(d, kind, seed)
    y, a = O.forward_problem(d, x)
    y64, _ = O.forward_problem(d, x, exact=True)
    bound = O.avg_bound(x, d["levels"], d["bins"], d["layout"]) if d["pool"] == "avg" else None
    return x, y, a, y64, bound


def oracle(d, kind, seed=0):
    return _oracle_cached(O.format_problem(d), kind, seed)


def coord(d, flat):
    """Flat output index -> 'b,c,level=l(n),i,j'."""
    per = d["c"] * sum(v * v for v in d["levels"])
    b, r = divmod(int(flat), per)
    for l, n in enumerate(d["levels"]):
        if r < d["c"] * n * n:
            c, r2 = divmod(r, n * n)
            i, j = divmod(r2, n)
            return f"[b={b},c={c},level={l}(n={n}),i={i},j={j}]"
        r -= d["c"] * n * n
    return f"[{flat}]"


def _report(d, bad, got, exp, what, extra=""):
    lines = [f"{what}: {bad.size} mismatch(es) in {O.format_problem(d)} {extra}"]
    for f in bad[:5]:
        lines.append(f"  {coord(d, f)} expected {exp.ravel()[f]!r} got {got.ravel()[f]!r}")
    return "\n".join(lines)


def assert_trusted(y, what=""):
    """benchdnn-style trust: an output that is mostly zero proves little."""
    nz = np.count_nonzero(y != 0) / max(y.size, 1)
    assert nz >= 0.5, f"untrusted check {what}: only {nz:.0%} of the oracle outputs are nonzero"


def assert_max_exact(d, y, a, yo, ao, extra=""):
    bad = np.nonzero(y.view(np.uint32).ravel() != yo.view(np.uint32).ravel())[0]
    assert bad.size == 0, _report(d, bad, y, yo, "max value (bitwise)", extra)
    bad = np.nonzero(a.ravel() != ao.ravel())[0]
    assert bad.size == 0, _report(d, bad, a, ao, "argmax", extra)


def assert_avg_close(d, y, y64, bound, extra=""):
    y, y64, bound = y.astype(np.float64).ravel(), y64.ravel(), bound.ravel()
    fin = np.isfinite(y64)
    # NaN and inf sums must come out as the same NaN / inf; finite ones within the bound
    ok = np.where(fin, np.abs(y - y64) <= bound, (y == y64) | (np.isnan(y) & np.isnan(y64)))
    bad = np.nonzero(~ok)[0]
    assert bad.size == 0, _report(d, bad, y, y64, "avg beyond the docs/spec.md#3-max-and-avg bound",
                                  extra)


def check_forward(name, d, kind, threads=1, offset=0, seed=0, trust=True):
    x, yo, ao, y64, bound = oracle(d, kind, seed)
    if trust:
        assert_trusted(yo, f"{O.format_problem(d)}/{kind}")
    y, a = L.run_forward(name, d, x, threads=threads, offset=offset)
    tag = f"[fill={kind} threads={threads} offset={offset}]"
    if d["pool"] == "max":
        assert_max_exact(d, y, a, yo, ao, tag)
    else:
        assert a is None
        assert_avg_close(d, y, y64, bound, tag)
    return y, a


def grid_problems():
    """The labelled edge-case grid: for each level set (max n), H and W from
    {1, n-1, n, n+1, 2n-1, 2n+1, 7, 13}; square shapes plus two H != W pairings per value;
    C rotates through CHANNELS and N through {1, 2}. Yields (problem dict, label)."""
    out = []
    for levels in LEVEL_SETS:
        n = max(levels)
        vals = sorted({v for v in (1, n - 1, n, n + 1, 2 * n - 1, 2 * n + 1, 7, 13) if v >= 1})
        names = {1: "1", n - 1: "n-1", n: "n", n + 1: "n+1", 2 * n - 1: "2n-1",
                 2 * n + 1: "2n+1", 7: "7", 13: "13"}
        shapes = []
        for i, h in enumerate(vals):
            for w in (h, vals[(i + 1) % len(vals)], vals[(i + 3) % len(vals)]):
                if (h, w) not in shapes:
                    shapes.append((h, w))
        for si, (h, w) in enumerate(shapes):
            c, nn = CHANNELS[si % len(CHANNELS)], 1 + si % 2
            for pool, bins, layout in itertools.product(O.POOLS, O.CONVENTIONS, O.LAYOUTS):
                d = dict(n=nn, c=c, h=h, w=w, levels=list(levels), pool=pool, bins=bins,
                         layout=layout)
                out.append((d, f"H={names.get(h, h)} W={names.get(w, w)} (n={n})"))
    return out


def valid(d):
    try:
        O.check_problem(d)
        return True
    except ValueError:
        return False


_LIBC = None


def isolated(fn, *args):
    """Runs fn(*args) in a forked child and returns its result, so a library bug that corrupts
    the heap or crashes fails this one test instead of killing the whole run. The child sets
    glibc's M_PERTURB so freshly malloc'd memory is never zero: reading or freeing an
    uninitialised heap pointer then fails every time, not by luck. Only for calls that must be
    rejected before any kernel (and OpenMP) runs."""
    import ctypes
    import os
    import pickle
    import signal
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:   # child: never return into pytest
        try:
            os.close(r)
            _LIBC.mallopt(-6, 0xA5)   # M_PERTURB
            try:
                res = ("ok", fn(*args))
            except BaseException as e:   # noqa: BLE001 - re-raised in the parent
                res = ("exc", e)
            os.write(w, pickle.dumps(res))
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        raise AssertionError(f"the library crashed ({sig}) in {getattr(fn, '__name__', fn)}"
                             f"{args!r:.200}")
    kind, val = pickle.loads(b"".join(chunks))
    if kind == "exc":
        raise val
    return val
