"""ctypes binding to $SPP_BUILD/libspp.so (default build/): the registry, the bin plan, the
problem string, the checked entry points spp_forward / spp_backward, and prepared operations
(Op, RegionOp: create once, run on many inputs, in place).

API (stable; other helpers use it):
  lib_path() -> str; LIB (the ctypes CDLL)
  kernels() -> list of KernelInfo(name, layouts, isa, threaded, summary, runnable, paths)
  axis_bins(A, n, conv, axis="H") -> list of (start, end, div)            (C spp_axis_bins)
  plan(problem) -> list per level of dict(n, out_offset, rows, cols)    (C spp_plan_init)
  validate(problem) -> (status, message)                               (C spp_problem_validate)
  parse_problem(s) -> dict; format_problem(problem) -> str               (C parse / format)
  run_forward(name, problem, x, threads=1, offset=0, want_argmax=True) -> (y, argmax or None)
      (argmax is None for avg, and for max when want_argmax=False: argmax=NULL is passed)
  run_backward(name, problem, dy, argmax, threads=1, offset=0) -> dx (float32, x's shape)
  SppError(status, message): raised on any non-OK status; .status is the int, .name its name.
  roi_project(img_boxes, stride, H, W) -> int32 (R, 4)                  (C spp_roi_project)
  Op(name, problem, threads=1): .forward_into(x, y, argmax=None), .backward_into(dy, argmax,
      dx), .workspace_bytes, .close()                         (C spp_op_create / run / destroy)
  RegionOp(name, c, h, w, levels, pool, bins, layout, threads): .forward_into(x, boxes, y,
      argmax=None), .backward_into(boxes, dy, argmax, dx), .close()    (C spp_region_op_*)
  region_forward_into(name, x, boxes, levels, y, argmax=None, ...) -> y (one RegionOp run)
  forward_into(name, problem, x, y, argmax=None, threads=1) -> y       (one Op run)
      (Op, RegionOp, the *_into calls and roi_project use the caller's arrays in place: no
      guard copies, for timing harnesses such as harness/sppnet)
A problem is the dict of spp_oracle.parse_problem (n, c, h, w, levels, pool, bins, layout).

Buffers: every array handed to the library is copied into a fresh buffer placed `offset`
floats after a 64-byte boundary, with GUARD sentinel elements on both sides; outputs are
pre-filled with the sentinel too. After each call the guards must be intact and the inputs
unchanged (GuardError otherwise): out-of-bounds writes and writes to inputs are caught.
"""
import ctypes as ct
import os
import weakref
from collections import namedtuple

import numpy as np

MAX_LEVELS = 8
MAX_LEVEL = 64
GUARD = 64
F32_SENTINEL = np.uint32(0xFFA5A5A5)   # a NaN bit pattern no kernel produces from our inputs
I32_SENTINEL = np.int32(0x7F7F7F7F)

STATUS = ["SPP_OK", "SPP_ERR_NULL", "SPP_ERR_ENUM", "SPP_ERR_SHAPE", "SPP_ERR_LEVELS",
          "SPP_ERR_CONVENTION", "SPP_ERR_OVERFLOW", "SPP_ERR_OVERLAP", "SPP_ERR_LAYOUT",
          "SPP_ERR_ISA", "SPP_ERR_PARSE", "SPP_ERR_ARG", "SPP_ERR_NOMEM"]
(OK, ERR_NULL, ERR_ENUM, ERR_SHAPE, ERR_LEVELS, ERR_CONVENTION, ERR_OVERFLOW, ERR_OVERLAP,
 ERR_LAYOUT, ERR_ISA, ERR_PARSE, ERR_ARG, ERR_NOMEM) = range(len(STATUS))   # spp_status values

POOLS = ("max", "avg")
CONVENTIONS = ("adaptive", "sppnet", "caffe")
LAYOUTS = ("nchw", "nhwc")
ISAS = ("scalar", "avx2", "avx512")


class spp_problem(ct.Structure):
    _fields_ = [("n", ct.c_int64), ("c", ct.c_int64), ("h", ct.c_int64), ("w", ct.c_int64),
                ("nlevels", ct.c_int), ("levels", ct.c_int * MAX_LEVELS),
                ("pool", ct.c_int), ("bins", ct.c_int), ("layout", ct.c_int)]


class spp_interval(ct.Structure):
    _fields_ = [("start", ct.c_int64), ("end", ct.c_int64), ("div", ct.c_int64)]


class spp_level_plan(ct.Structure):
    _fields_ = [("n", ct.c_int), ("out_offset", ct.c_int64),
                ("rows", spp_interval * MAX_LEVEL), ("cols", spp_interval * MAX_LEVEL)]


class spp_plan(ct.Structure):
    _fields_ = [("p", spp_problem), ("bins_per_channel", ct.c_int64),
                ("out_per_sample", ct.c_int64), ("lv", spp_level_plan * MAX_LEVELS)]


class spp_error(ct.Structure):
    _fields_ = [("msg", ct.c_char * 256)]


class spp_path(ct.Structure):
    _fields_ = [("name", ct.c_char_p), ("passes", ct.c_uint), ("when", ct.c_char_p)]


class spp_kernel(ct.Structure):
    _fields_ = [("name", ct.c_char_p), ("layouts", ct.c_uint), ("isa", ct.c_int),
                ("threaded", ct.c_int), ("summary", ct.c_char_p),
                ("forward", ct.c_void_p), ("backward", ct.c_void_p),
                ("workspace_size", ct.c_void_p), ("paths", ct.POINTER(spp_path)),
                ("npaths", ct.c_int), ("choose_path", ct.c_void_p)]


PASSES = ("forward", "infer", "backward")  # spp_pass order
PathInfo = namedtuple("PathInfo", "name passes when")


def _paths_of(k):
    return [PathInfo(k.paths[i].name.decode(),
                     tuple(p for b, p in enumerate(PASSES) if k.paths[i].passes & (1 << b)),
                     k.paths[i].when.decode()) for i in range(k.npaths)]


def lib_path():
    return os.path.join(os.environ.get("SPP_BUILD", "build"), "libspp.so")


def _load():
    lib = ct.CDLL(os.path.abspath(lib_path()))
    P, K, E = ct.POINTER(spp_problem), ct.POINTER(spp_kernel), ct.POINTER(spp_error)
    sig = {
        "spp_kernel_count": (ct.c_int, []),
        "spp_kernel_at": (K, [ct.c_int]),
        "spp_kernel_find": (K, [ct.c_char_p]),
        "spp_kernel_has_layout": (ct.c_int, [K, ct.c_int]),
        "spp_cpu_supports": (ct.c_int, [ct.c_int]),
        "spp_isa_unavailable": (ct.c_char_p, [ct.c_int]),
        "spp_llc_bytes": (ct.c_int64, []),
        "spp_alloc": (ct.c_void_p, [ct.c_size_t]),
        "spp_free": (None, [ct.c_void_p]),
        "spp_status_name": (ct.c_char_p, [ct.c_int]),
        "spp_problem_validate": (ct.c_int, [P, E]),
        "spp_problem_parse": (ct.c_int, [ct.c_char_p, P, E]),
        "spp_problem_format": (ct.c_int, [P, ct.c_char_p, ct.c_size_t]),
        "spp_input_elems": (ct.c_int64, [P]),
        "spp_output_elems": (ct.c_int64, [P]),
        "spp_axis_bins": (ct.c_int, [ct.c_int64, ct.c_int, ct.c_int, ct.c_char_p,
                                     ct.POINTER(spp_interval), E]),
        "spp_plan_init": (ct.c_int, [ct.c_void_p, P, E]),
        "spp_forward": (ct.c_int, [K, P, ct.c_void_p, ct.c_void_p, ct.c_void_p, ct.c_int, E]),
        "spp_backward": (ct.c_int, [K, P, ct.c_void_p, ct.c_void_p, ct.c_void_p, ct.c_int, E]),
        "spp_check_kernel": (ct.c_int, [K, P, E]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


LIB = _load()


class SppError(Exception):
    def __init__(self, status, message):
        self.status = int(status)
        self.name = STATUS[self.status] if 0 <= self.status < len(STATUS) else str(status)
        self.message = message
        super().__init__(f"{self.name}: {message}")


class GuardError(AssertionError):
    pass


KernelInfo = namedtuple("KernelInfo", "name layouts isa threaded summary runnable paths")


def _kernel_ptr(name):
    k = LIB.spp_kernel_find(name.encode())
    if not k:
        raise SppError(ERR_ARG, f"kernel={name}: not in the registry")
    return k


def kernels():
    out = []
    for i in range(LIB.spp_kernel_count()):
        k = LIB.spp_kernel_at(i).contents
        layouts = tuple(l for b, l in enumerate(LAYOUTS) if k.layouts & (1 << b))
        isa = ISAS[k.isa] if 0 <= k.isa < len(ISAS) else str(k.isa)
        out.append(KernelInfo(k.name.decode(), layouts, isa, bool(k.threaded),
                              k.summary.decode() if k.summary else "",
                              bool(LIB.spp_cpu_supports(k.isa)), _paths_of(k)))
    return out


def llc_bytes():
    """The last-level cache size the library's streaming choices use (SPP_LLC_BYTES if set)."""
    return LIB.spp_llc_bytes()


def spp_empty(shape, dtype=np.float32):
    """An uninitialised array in memory from spp_alloc, as the benchmarks allocate theirs: from
    2 MiB up, 2 MiB aligned and advised for huge pages (NumPy's own arrays get 4 KiB pages
    where transparent huge pages are in madvise mode, and a kernel's time on a map of
    several MiB then includes TLB misses the benchmark rows do not have). Freed with the
    array."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    p = LIB.spp_alloc(n)
    if not p:
        raise MemoryError(f"spp_alloc({n}) failed")
    buf = (ct.c_char * max(n, 1)).from_address(p)   # every view of the array holds it
    weakref.finalize(buf, LIB.spp_free, p)
    return np.frombuffer(buf, dtype=dt, count=n // dt.itemsize).reshape(shape)


def isa_unavailable(isa):
    """None when the library may run ISA `isa` (a name in ISAS) here, else the library's reason
    (this CPU lacks it, or SPP_MAX_ISA excludes it)."""
    why = LIB.spp_isa_unavailable(ISAS.index(isa))
    return why.decode() if why else None


def to_struct(d):
    """Problem dict -> spp_problem. Enum fields may be names or raw ints (to test bad enums)."""
    p = spp_problem()
    p.n, p.c, p.h, p.w = d["n"], d["c"], d["h"], d["w"]
    lv = list(d["levels"])
    p.nlevels = d.get("nlevels", len(lv))
    for i, v in enumerate(lv[:MAX_LEVELS]):
        p.levels[i] = v
    for field, names in (("pool", POOLS), ("bins", CONVENTIONS), ("layout", LAYOUTS)):
        v = d[field]
        setattr(p, field, names.index(v) if isinstance(v, str) else v)
    return p


def from_struct(p):
    return dict(n=p.n, c=p.c, h=p.h, w=p.w, levels=[p.levels[i] for i in range(p.nlevels)],
                pool=POOLS[p.pool], bins=CONVENTIONS[p.bins], layout=LAYOUTS[p.layout])


def axis_bins(A, n, conv, axis="H"):
    out = (spp_interval * max(int(n), 1))()
    err = spp_error()
    c = CONVENTIONS.index(conv) if isinstance(conv, str) else conv
    st = LIB.spp_axis_bins(A, n, c, axis.encode(), out, ct.byref(err))
    if st:
        raise SppError(st, err.msg.decode())
    return [(iv.start, iv.end, iv.div) for iv in out[:n]]


def plan_struct(d):
    pl, err = spp_plan(), spp_error()
    st = LIB.spp_plan_init(ct.byref(pl), ct.byref(to_struct(d)), ct.byref(err))
    if st:
        raise SppError(st, err.msg.decode())
    return pl


def plan(d):
    pl = plan_struct(d)
    return [dict(n=lv.n, out_offset=lv.out_offset,
                 rows=[(r.start, r.end, r.div) for r in lv.rows[:lv.n]],
                 cols=[(r.start, r.end, r.div) for r in lv.cols[:lv.n]])
            for lv in pl.lv[:pl.p.nlevels]]


def validate(d):
    err = spp_error()
    st = LIB.spp_problem_validate(ct.byref(to_struct(d)), ct.byref(err))
    return st, err.msg.decode() if st else ""


def parse_problem(s):
    p, err = spp_problem(), spp_error()
    st = LIB.spp_problem_parse(s.encode() if isinstance(s, str) else s, ct.byref(p), ct.byref(err))
    if st:
        raise SppError(st, err.msg.decode())
    return from_struct(p)


def format_problem(d):
    p = to_struct(d)
    n = LIB.spp_problem_format(ct.byref(p), None, 0)
    buf = ct.create_string_buffer(n + 1)
    LIB.spp_problem_format(ct.byref(p), buf, n + 1)
    return buf.value.decode()


# ---- guarded buffers ------------------------------------------------------------------------

class Guarded:
    """`count` elements of dtype at `offset` elements past a 64-byte boundary, GUARD sentinels
    before and after. .arr is the payload view; .check() verifies the guards."""

    def __init__(self, count, dtype, offset=0, fill=None):
        dtype = np.dtype(dtype)
        self.sentinel = (F32_SENTINEL.view(np.float32) if dtype == np.float32 else I32_SENTINEL)
        total = count + 2 * GUARD + offset
        raw = np.empty(total * dtype.itemsize + 64, dtype=np.uint8)
        shift = (-raw.ctypes.data) % 64
        self.buf = raw[shift:shift + total * dtype.itemsize].view(dtype)
        self.buf.view(np.uint32)[:] = self.sentinel.view(np.uint32)
        self.lo = GUARD + offset
        self.arr = self.buf[self.lo:self.lo + count]
        if fill is not None:
            self.arr[:] = np.asarray(fill, dtype=dtype).ravel()
        self.count = count

    @property
    def ptr(self):
        return self.arr.ctypes.data

    def check(self, what):
        u = self.buf.view(np.uint32)
        s = self.sentinel.view(np.uint32)
        for lo, hi, side in ((0, self.lo, "before"), (self.lo + self.count, len(u), "after")):
            bad = np.nonzero(u[lo:hi] != s)[0]
            if bad.size:
                raise GuardError(f"{what}: {bad.size} guard element(s) overwritten {side} the "
                                 f"buffer (first at element {int(bad[0]) + lo - self.lo})")

    def untouched(self):
        return bool(np.all(self.buf.view(np.uint32) == self.sentinel.view(np.uint32)))


def _raise(st, err):
    if st:
        raise SppError(st, err.msg.decode())


def _shapes(d):
    ins = (d["n"], d["c"], d["h"], d["w"]) if d["layout"] == "nchw" else \
        (d["n"], d["h"], d["w"], d["c"])
    return ins, (d["n"], d["c"] * sum(v * v for v in d["levels"]))


def run_forward(name, d, x, threads=1, offset=0, want_argmax=True):
    """Runs spp_forward of kernel `name`; returns (y float32, argmax int32 or None)."""
    k = _kernel_ptr(name)
    ins, outs = _shapes(d)
    x = np.asarray(x, dtype=np.float32)
    if x.shape != ins:
        raise ValueError(f"x: shape {x.shape}, expected {ins} for {format_problem(d)}")
    gx = Guarded(x.size, np.float32, offset, x)
    xbits = gx.buf.view(np.uint32).copy()
    ny = outs[0] * outs[1]
    gy = Guarded(ny, np.float32, offset)
    ga = Guarded(ny, np.int32, offset) if d["pool"] == "max" and want_argmax else None
    err = spp_error()
    st = LIB.spp_forward(k, ct.byref(to_struct(d)), gx.ptr, gy.ptr, ga.ptr if ga else None,
                         threads, ct.byref(err))
    if st:
        if not (gy.untouched() and (ga is None or ga.untouched())):
            raise GuardError(f"{name}: failed with {STATUS[st]} but wrote to an output")
    _raise(st, err)
    gy.check(f"{name} y")
    if ga:
        ga.check(f"{name} argmax")
    if not np.array_equal(gx.buf.view(np.uint32), xbits):
        raise GuardError(f"{name}: forward modified its input x")
    return gy.arr.reshape(outs).copy(), (ga.arr.reshape(outs).copy() if ga else None)


def run_backward(name, d, dy, argmax, threads=1, offset=0):
    """Runs spp_backward of kernel `name`; returns dx (float32, the input's shape)."""
    k = _kernel_ptr(name)
    ins, outs = _shapes(d)
    dy = np.asarray(dy, dtype=np.float32)
    if dy.shape != outs:
        raise ValueError(f"dy: shape {dy.shape}, expected {outs}")
    gdy = Guarded(dy.size, np.float32, offset, dy)
    ga = Guarded(dy.size, np.int32, offset, argmax) if argmax is not None else None
    before = [g.buf.view(np.uint32).copy() for g in (gdy, ga) if g]
    nx = int(np.prod(ins))
    gdx = Guarded(nx, np.float32, offset)
    err = spp_error()
    st = LIB.spp_backward(k, ct.byref(to_struct(d)), gdy.ptr, ga.ptr if ga else None, gdx.ptr,
                          threads, ct.byref(err))
    if st and not gdx.untouched():
        raise GuardError(f"{name}: backward failed with {STATUS[st]} but wrote to dx")
    _raise(st, err)
    gdx.check(f"{name} dx")
    for g, b in zip([g for g in (gdy, ga) if g], before):
        if not np.array_equal(g.buf.view(np.uint32), b):
            raise GuardError(f"{name}: backward modified its input dy or argmax")
    return gdx.arr.reshape(ins).copy()


# ---- region SPP and window projection without copies (docs/spec.md#5-regions) --------------
# Added for the timing harnesses (harness/sppnet): the caller's arrays go to the checked entry
# points as they are, with no guard copies, so a timed call costs what the library costs. The
# library still validates everything before it runs. Private function objects (LIB[name]) so
# the argtypes set here never clash with other bindings of the same symbols
# (oracle/tests/test_region.py sets its own).

class spp_region_problem(ct.Structure):
    _fields_ = [("c", ct.c_int64), ("h", ct.c_int64), ("w", ct.c_int64), ("layout", ct.c_int),
                ("nlevels", ct.c_int), ("levels", ct.c_int * MAX_LEVELS), ("pool", ct.c_int),
                ("bins", ct.c_int)]


def _private(name, res, args):
    f = LIB[name]
    f.restype, f.argtypes = res, args
    return f


_VP = ct.c_void_p
_region_find = _private("spp_region_kernel_find", _VP, [ct.c_char_p])
_roi_project = _private("spp_roi_project", ct.c_int,
                        [_VP, ct.c_int64, ct.c_int, ct.c_int64, ct.c_int64, _VP, _VP])
_kernel_find = _private("spp_kernel_find", _VP, [ct.c_char_p])
_op_create = _private("spp_op_create", ct.c_int, [_VP, _VP, _VP, ct.c_int, _VP])
_op_forward = _private("spp_op_forward", ct.c_int, [_VP, _VP, _VP, _VP, _VP])
_op_backward = _private("spp_op_backward", ct.c_int, [_VP, _VP, _VP, _VP, _VP])
_op_ws = _private("spp_op_workspace_bytes", ct.c_size_t, [_VP])
_op_path = _private("spp_op_path", ct.c_char_p, [_VP, ct.c_int])
_op_force = _private("spp_op_force_path", ct.c_int, [_VP, ct.c_char_p, _VP])
_rop_path = _private("spp_region_op_path", ct.c_char_p, [_VP, ct.c_int])
_rop_force = _private("spp_region_op_force_path", ct.c_int, [_VP, ct.c_char_p, _VP])
_op_destroy = _private("spp_op_destroy", None, [_VP])
_rop_create = _private("spp_region_op_create", ct.c_int, [_VP, _VP, _VP, ct.c_int, _VP])
_rop_forward = _private("spp_region_op_forward", ct.c_int,
                        [_VP, _VP, ct.c_int64, _VP, _VP, _VP, _VP])
_rop_backward = _private("spp_region_op_backward", ct.c_int,
                         [_VP, _VP, ct.c_int64, _VP, _VP, _VP, _VP])
_rop_destroy = _private("spp_region_op_destroy", None, [_VP])


class spp_region_kernel(ct.Structure):
    """The region kernel struct up to its paths (the pointers are opaque here)."""
    _fields_ = [("name", ct.c_char_p), ("layouts", ct.c_uint), ("isa", ct.c_int),
                ("threaded", ct.c_int), ("summary", ct.c_char_p), ("forward", ct.c_void_p),
                ("backward", ct.c_void_p), ("workspace_size", ct.c_void_p),
                ("paths", ct.POINTER(spp_path)), ("npaths", ct.c_int),
                ("choose_path", ct.c_void_p)]


_region_count = _private("spp_region_kernel_count", ct.c_int, [])
_region_at = _private("spp_region_kernel_at", ct.POINTER(spp_region_kernel), [ct.c_int])
RegionKernelInfo = namedtuple("RegionKernelInfo", "name layouts isa runnable paths")


def region_kernels():
    out = []
    for i in range(_region_count()):
        k = _region_at(i).contents
        out.append(RegionKernelInfo(k.name.decode(),
                                    tuple(l for b, l in enumerate(LAYOUTS) if k.layouts & (1 << b)),
                                    ISAS[k.isa], bool(LIB.spp_cpu_supports(k.isa)), _paths_of(k)))
    return out


class _Prepared:
    """A library operation handle, destroyed by close() (or when collected)."""
    _destroy = None

    def close(self):
        if getattr(self, "_h", None):
            type(self)._destroy(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Op(_Prepared):
    """A prepared whole-map operation (spp_op_create: validation, plan and workspace once) of
    kernel `name` for problem dict d at `threads`; forward_into / backward_into run it on
    C-contiguous arrays in place (no copies). Raises SppError on a failed check."""
    _destroy = staticmethod(_op_destroy)

    def __init__(self, name, d, threads=1):
        self._h = None
        k = _kernel_find(name.encode())
        if not k:
            raise SppError(ERR_ARG, f"kernel={name}: not in the registry")
        self.d, self.name = dict(d), name
        self.ins, self.outs = _shapes(d)
        h, err = ct.c_void_p(), spp_error()
        _raise(_op_create(ct.byref(h), k, ct.byref(to_struct(d)), threads, ct.byref(err)), err)
        self._h = h

    @property
    def workspace_bytes(self):
        return _op_ws(self._h)

    def path(self, pass_name):
        """The path a run of pass_name ("forward", "infer", "backward") takes, or None."""
        v = _op_path(self._h, PASSES.index(pass_name))
        return v.decode() if v else None

    def force_path(self, name):
        """Runs path `name` for the passes it serves (None: the kernel's choices again)."""
        err = spp_error()
        _raise(_op_force(self._h, name.encode() if name else None, ct.byref(err)), err)

    def forward_into(self, x, y, argmax=None):
        if tuple(x.shape) != self.ins or tuple(y.shape) != self.outs:
            raise ValueError(f"x/y: shapes {x.shape}/{y.shape}, expected {self.ins}/{self.outs}")
        err = spp_error()
        _raise(_op_forward(self._h, _c_array(x, np.float32, "x"), _c_array(y, np.float32, "y"),
                           _c_array(argmax, np.int32, "argmax") if argmax is not None else None,
                           ct.byref(err)), err)
        return y

    def backward_into(self, dy, argmax, dx):
        if tuple(dy.shape) != self.outs or tuple(dx.shape) != self.ins:
            raise ValueError(f"dy/dx: shapes {dy.shape}/{dx.shape}, expected "
                             f"{self.outs}/{self.ins}")
        err = spp_error()
        _raise(_op_backward(self._h, _c_array(dy, np.float32, "dy"),
                            _c_array(argmax, np.int32, "argmax") if argmax is not None else None,
                            _c_array(dx, np.float32, "dx"), ct.byref(err)), err)
        return dx


class RegionOp(_Prepared):
    """A prepared region operation (spp_region_op_create) of region kernel `name` for a C x H x W
    map in `layout` and a pyramid; each run takes its own int32 (R, 4) boxes."""
    _destroy = staticmethod(_rop_destroy)

    def __init__(self, name, c, h, w, levels, pool="max", bins="adaptive", layout="nchw",
                 threads=1):
        self._h = None
        k = _region_find(name.encode())
        if not k:
            raise SppError(ERR_ARG, f"region kernel={name}: not in the registry")
        self.per = c * sum(n * n for n in levels)
        p = region_problem(c, h, w, levels, pool, bins, layout)
        hd, err = ct.c_void_p(), spp_error()
        _raise(_rop_create(ct.byref(hd), k, ct.byref(p), threads, ct.byref(err)), err)
        self._h = hd

    def path(self, pass_name):
        """The path the last run of pass_name took, or None before one."""
        v = _rop_path(self._h, PASSES.index(pass_name))
        return v.decode() if v else None

    def force_path(self, name):
        err = spp_error()
        _raise(_rop_force(self._h, name.encode() if name else None, ct.byref(err)), err)

    def forward_into(self, x, boxes, y, argmax=None):
        if y.shape != (len(boxes), self.per) or (argmax is not None and argmax.shape != y.shape):
            raise ValueError(f"y/argmax: shape {y.shape}, expected {(len(boxes), self.per)}")
        err = spp_error()
        _raise(_rop_forward(self._h, _c_array(boxes, np.int32, "boxes"), len(boxes),
                            _c_array(x, np.float32, "x"), _c_array(y, np.float32, "y"),
                            _c_array(argmax, np.int32, "argmax") if argmax is not None else None,
                            ct.byref(err)), err)
        return y

    def backward_into(self, boxes, dy, argmax, dx):
        err = spp_error()
        _raise(_rop_backward(self._h, _c_array(boxes, np.int32, "boxes"), len(boxes),
                             _c_array(dy, np.float32, "dy"),
                             _c_array(argmax, np.int32, "argmax") if argmax is not None else None,
                             _c_array(dx, np.float32, "dx"), ct.byref(err)), err)
        return dx


def region_problem(c, h, w, levels, pool="max", bins="adaptive", layout="nchw"):
    """spp_region_problem for a (C, H, W) map and a pyramid."""
    p = spp_region_problem(c, h, w, LAYOUTS.index(layout), len(levels))
    for i, n in enumerate(levels):
        p.levels[i] = n
    p.pool, p.bins = POOLS.index(pool), CONVENTIONS.index(bins)
    return p


def _c_array(a, dtype, what):
    if not (isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous):
        raise ValueError(f"{what}: expected a C-contiguous {np.dtype(dtype).name} array")
    return a.ctypes.data


def roi_project(img_boxes, stride, H, W):
    """spp_roi_project: image windows (R, 4) x0, y0, x1, y1 in pixels -> int32 (R, 4) boxes on
    an H x W map of total stride `stride` (SPP-net's rule, docs/spec.md#5-regions)."""
    img = np.ascontiguousarray(img_boxes, dtype=np.float64).reshape(-1, 4)
    out = np.zeros((len(img), 4), dtype=np.int32)
    err = spp_error()
    _raise(_roi_project(img.ctypes.data, len(img), stride, H, W, out.ctypes.data,
                        ct.byref(err)), err)
    return out


def region_forward_into(name, x, boxes, levels, y, argmax=None, pool="max", bins="adaptive",
                        layout="nchw", threads=1):
    """One run of a region operation (RegionOp) of kernel `name` on map x ((1,)C,H,W for nchw,
    (1,)H,W,C for nhwc; float32, C-contiguous), int32 boxes (R, 4), into y (R, C*sum n^2) and,
    when given, argmax (same shape, int32; None: the values-only path). No copies: every array
    is used in place. Raises SppError on a failed check (the library then writes nothing)."""
    chw = x.shape[-3:]
    C, H, W = chw if layout == "nchw" else (chw[2], chw[0], chw[1])
    with RegionOp(name, C, H, W, levels, pool, bins, layout, threads) as op:
        return op.forward_into(x, boxes, y, argmax)


def forward_into(name, d, x, y, argmax=None, threads=1):
    """One run of a whole-map operation (Op) of kernel `name` on problem dict d, in place (no
    copies): x of the layout's shape, y (N, C*sum n^2), optional argmax; float32/int32
    C-contiguous arrays."""
    with Op(name, d, threads) as op:
        return op.forward_into(x, y, argmax)
