"""Tests of the `spp` command-line tool (cli/): list, bins, run, help, the .npy reader and
writer, and the error contract (one stderr line, exit 2, no output file created or touched).

Self-contained: the reference below is a small independent NumPy transcription of
docs/spec.md sections 2-4 (it does not import the oracle package). Runs $SPP_BUILD/spp (default
build/).
"""
import ctypes as ct
import os
import re
import struct
import subprocess
import zlib

import numpy as np
import spp_lib
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPP = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"), "spp")


def spp(*args, cwd=None, max_isa=None):
    """Run the CLI; max_isa sets SPP_MAX_ISA (the library's ISA cap) for this call only."""
    env = {k: v for k, v in os.environ.items() if k != "SPP_MAX_ISA"}
    if max_isa is not None:
        env["SPP_MAX_ISA"] = max_isa
    return subprocess.run([SPP, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=60, env=env)


@pytest.fixture(scope="module", autouse=True)
def _binary():
    if not os.path.exists(SPP):
        pytest.fail(f"{SPP} not built (make BUILD=... cli)")


# ------------------------------------------------------- reference (docs/spec.md sections 2-4)

def ref_bins(A, n, conv):
    """[(start, end, divisor)] for one axis; ValueError when the convention is invalid."""
    if conv == "adaptive":
        return [(i * A // n, -(-(i + 1) * A // n), -(-(i + 1) * A // n) - i * A // n)
                for i in range(n)]
    k = -(-A // n)
    if conv == "sppnet":
        if A < n:
            raise ValueError("sppnet needs A >= n")
        return [(i * (A // n), i * (A // n) + k, k) for i in range(n)]
    p = (k * n - A + 1) // 2
    if p >= k:
        raise ValueError("caffe needs pad < kernel")
    return [(max(i * k - p, 0), min(i * k - p + k, A), min(i * k - p + k, A + p) - (i * k - p))
            for i in range(n)]


def ref_forward(x, levels, pool, conv, layout):
    """y (N, C*sum n^2) float64, argmax int64 (or None for avg). x in its layout."""
    xc = np.asarray(x, np.float64)
    if layout == "nhwc":
        xc = xc.transpose(0, 3, 1, 2)
    N, C, H, W = xc.shape
    ys, ams = [], []
    for n in levels:
        rows, cols = ref_bins(H, n, conv), ref_bins(W, n, conv)
        y = np.empty((N, C, n, n))
        am = np.empty((N, C, n, n), np.int64)
        for i, (r0, r1, rd) in enumerate(rows):
            for j, (c0, c1, cd) in enumerate(cols):
                blk = xc[:, :, r0:r1, c0:c1].reshape(N, C, -1)
                if pool == "max":
                    k = blk.argmax(axis=2)  # first maximum in row-major order
                    y[:, :, i, j] = np.take_along_axis(blk, k[..., None], 2)[..., 0]
                    am[:, :, i, j] = (r0 + k // (c1 - c0)) * W + c0 + k % (c1 - c0)
                else:
                    y[:, :, i, j] = blk.sum(axis=2) / (rd * cd)
        ys.append(y.reshape(N, -1))
        ams.append(am.reshape(N, -1))
    return np.concatenate(ys, 1), (np.concatenate(ams, 1) if pool == "max" else None)


def ref_backward(dy, argmax, x_shape, levels, pool, conv, layout):
    """dx float64 in x's layout and shape."""
    if layout == "nhwc":
        N, H, W, C = x_shape
    else:
        N, C, H, W = x_shape
    dx = np.zeros((N, C, H, W))
    off = 0
    for n in levels:
        g = np.asarray(dy[:, off:off + C * n * n], np.float64).reshape(N, C, n, n)
        rows, cols = ref_bins(H, n, conv), ref_bins(W, n, conv)
        if pool == "max":
            a = argmax[:, off:off + C * n * n].reshape(N, C, n * n)
            flat = dx.reshape(N, C, H * W)
            bi, ci = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
            for k in range(n * n):
                np.add.at(flat, (bi, ci, a[:, :, k]), g.reshape(N, C, n * n)[:, :, k])
        else:
            for i, (r0, r1, rd) in enumerate(rows):
                for j, (c0, c1, cd) in enumerate(cols):
                    dx[:, :, r0:r1, c0:c1] += (g[:, :, i, j] / (rd * cd))[:, :, None, None]
        off += C * n * n
    return dx.transpose(0, 2, 3, 1) if layout == "nhwc" else dx


def avg_tol(x, levels, conv, layout):
    """docs/spec.md#3-max-and-avg bound per output: 4 * count * 2^-24 * sum|x| / divisor."""
    sum_abs_over_div, _ = ref_forward(np.abs(np.asarray(x, np.float64)), levels, "avg", conv,
                                      layout)
    H, W = (x.shape[2], x.shape[3]) if layout == "nchw" else (x.shape[1], x.shape[2])
    N, C = x.shape[0], x.size // (x.shape[0] * H * W)
    counts = []
    for n in levels:
        cnt = np.array([[(r1 - r0) * (c1 - c0) for (c0, c1, _) in ref_bins(W, n, conv)]
                        for (r0, r1, _) in ref_bins(H, n, conv)], np.float64)
        counts.append(np.broadcast_to(cnt.reshape(1, 1, n * n), (N, C, n * n)).reshape(N, -1))
    return 4 * 2.0 ** -24 * np.concatenate(counts, 1) * sum_abs_over_div


# ---------------------------------------------------------------- helpers

LIST_COLUMNS = ["name", "layouts", "isa", "threaded", "runnable", "summary"]
MAP_TITLE = "whole-map kernels (spp run --kernel NAME):"
REGION_TITLE = "region kernels (spp run-regions --kernel NAME):"


def parse_list(text):
    """`spp list` output -> {section title: [row dict per kernel line]}. Each section is a title
    line, the header, then one line per kernel; sections are separated by one empty line. The
    columns are cut at the header's column starts (the summary may hold spaces)."""
    sections = {}
    for block in text.rstrip("\n").split("\n\n"):
        lines = block.split("\n")
        title, header, body = lines[0], lines[1], lines[2:]
        assert header.split() == LIST_COLUMNS, header
        starts = [header.index(c) for c in LIST_COLUMNS] + [None]
        rows = []
        for line in body:
            assert line.strip(), repr(block)
            cells = [line[starts[i]:starts[i + 1]].strip() for i in range(len(LIST_COLUMNS))]
            rows.append(dict(zip(LIST_COLUMNS, cells), line=line, header=header))
        assert title not in sections, title
        sections[title] = rows
    return sections


def kernels(max_isa=None):
    """(name, layouts, runnable) per registered whole-map kernel, parsed from `spp list`."""
    r = spp("list", max_isa=max_isa)
    assert r.returncode == 0, r.stderr
    return [(k["name"], k["layouts"].split(","), k["runnable"] == "yes")
            for k in parse_list(r.stdout)[MAP_TITLE]]


def assert_usage_error(r, *needles):
    """Exit 2, exactly one stderr line `spp: ...`, nothing on stdout, message names needles."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("spp: "), r.stderr
    assert r.stdout == ""
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def snapshot(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}


def npy_bytes(header, data=b"", version=(1, 0), pad=True):
    """A .npy file built by hand, so malformed variants can be made."""
    h = header.encode("latin1")
    lensz = 2 if version[0] == 1 else 4
    if pad:
        total = 6 + 2 + lensz + len(h) + 1
        h += b" " * (-total % 64)
    h += b"\n"
    fmt = "<H" if lensz == 2 else "<I"
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, len(h)) + h + data


def hdr(descr="<f4", fortran="False", shape="(1, 1, 2, 2)"):
    return f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"


# ---------------------------------------------------------------- list, help

def test_list_shows_every_kernel_with_columns():
    r = spp("list")
    assert r.returncode == 0 and r.stderr == ""
    sections = parse_list(r.stdout)
    assert list(sections) == [MAP_TITLE, REGION_TITLE]  # both registries, whole-map first
    ks = kernels()
    assert ks[0][0] == "naive" and ks[0][2] and set(ks[0][1]) == {"nchw", "nhwc"}
    headers = {k["header"] for rows in sections.values() for k in rows}
    assert len(headers) == 1  # one set of column widths: the two sections line up
    for rows in sections.values():
        for k in rows:
            # columns aligned: every row's isa column starts where the header's does
            col = k["header"].index("isa")
            assert k["line"][col - 2:col] == "  " and k["line"][col] != " ", k["line"]
            if k["isa"] == "avx512":  # runnable exactly when the CPU has what it needs
                assert k["runnable"] == ("yes" if cpu_has_avx512() else "no (needs avx512)")


def registry_names(inc, macro):
    """The kernel symbols of a registry list (kernels/kernels.inc, kernels/regions.inc), in
    order: one `MACRO(symbol)` line per kernel; the kernel's name is its symbol."""
    with open(os.path.join(ROOT, "kernels", inc)) as f:
        return re.findall(rf"^{macro}\((\w+)\)\s*$", f.read(), re.M)


class _RegionKernelHead(ct.Structure):
    """The leading fields of spp_region_kernel (include/spp.h), read through ctypes."""
    _fields_ = [("name", ct.c_char_p), ("layouts", ct.c_uint), ("isa", ct.c_int),
                ("threaded", ct.c_int), ("summary", ct.c_char_p)]


def region_registry():
    """(name, layouts, isa, threaded, summary) per registered region kernel, from the library's
    own registry (spp_region_kernel_count / spp_region_kernel_at through spp_lib's handle)."""
    lib = spp_lib.LIB
    lib.spp_region_kernel_count.restype = ct.c_int
    lib.spp_region_kernel_at.restype = ct.POINTER(_RegionKernelHead)
    lib.spp_region_kernel_at.argtypes = [ct.c_int]
    out = []
    for i in range(lib.spp_region_kernel_count()):
        k = lib.spp_region_kernel_at(i).contents
        out.append((k.name.decode(), ",".join(l for b, l in enumerate(spp_lib.LAYOUTS)
                                              if k.layouts & (1 << b)),
                    spp_lib.ISAS[k.isa], "yes" if k.threaded else "no",
                    k.summary.decode() if k.summary else ""))
    return out


def test_list_sections_match_the_registries():
    """Every kernel of both registries is listed, in registry order, nothing else: a region
    kernel missing from the list (or one listed twice, or in the wrong section) fails."""
    sections = parse_list(spp("list").stdout)
    maps = [k["name"] for k in sections[MAP_TITLE]]
    regions = [k["name"] for k in sections[REGION_TITLE]]
    assert maps == registry_names("kernels.inc", "SPP_KERNEL")
    assert regions == registry_names("regions.inc", "SPP_REGION_KERNEL")
    assert regions and not set(maps) & set(regions)
    # and every column of a region line is the library's registry entry
    got = [(k["name"], k["layouts"], k["isa"], k["threaded"], k["summary"])
           for k in sections[REGION_TITLE]]
    assert got == region_registry()


@pytest.mark.parametrize("args,titles", [([], [MAP_TITLE, REGION_TITLE]),
                                         (["--maps"], [MAP_TITLE]),
                                         (["--regions"], [REGION_TITLE]),
                                         (["--regions", "--maps"], [MAP_TITLE, REGION_TITLE])])
def test_list_section_flags(args, titles):
    r = spp("list", *args)
    assert r.returncode == 0 and r.stderr == ""
    sections = parse_list(r.stdout)
    assert list(sections) == titles
    full = parse_list(spp("list").stdout)
    for t in titles:  # a section alone lists the same kernels as in the full list
        assert [k["name"] for k in sections[t]] == [k["name"] for k in full[t]]


def test_help_names_the_region_section():
    top = spp("help")
    line = next(ln for ln in top.stdout.splitlines() if ln.strip().startswith("list "))
    assert "region" in line, line
    r = spp("help", "list")
    assert r.returncode == 0 and "--regions" in r.stdout and "--maps" in r.stdout


def cpu_has_avx512():
    """The CPU's own flags (read independently of the library's CPUID check): the AVX-512
    kernels need F, BW, VL and DQ."""
    with open("/proc/cpuinfo") as f:
        flags = next((ln.split(":", 1)[1].split() for ln in f if ln.startswith("flags")), [])
    return {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags)


@pytest.mark.parametrize("args", [["--help"], ["help"], ["help", "run"], ["run", "--help"],
                                  ["bins", "-h"], ["list", "--help"], ["help", "bins"]])
def test_help(args):
    r = spp(*args)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: spp")
    if "run" in args:
        for flag in ("--kernel", "--levels", "--grad-output", "--grad-input", "--argmax",
                     "--threads", "--layout", "--bins", "--pool"):
            assert flag in r.stdout


# ---------------------------------------------------------------- bins

def parse_bins(out):
    rows = [tuple(map(int, m.groups())) for m in
            re.finditer(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", out, re.M)]
    return [(s, e, d) for (_, s, e, _, d) in rows]


@pytest.mark.parametrize("A,n,conv,bins,never", [
    (7, 4, "adaptive", [(0, 2), (1, 4), (3, 6), (5, 7)], None),
    (7, 4, "sppnet", [(0, 2), (1, 3), (2, 4), (3, 5)], "5, 6"),
    (7, 4, "caffe", [(0, 1), (1, 3), (3, 5), (5, 7)], None),
    (13, 3, "sppnet", [(0, 5), (4, 9), (8, 13)], None),
    (3, 6, "adaptive", [(0, 1), (0, 1), (1, 2), (1, 2), (2, 3), (2, 3)], None),
])
def test_bins_spec_worked_examples(A, n, conv, bins, never):
    r = spp("bins", "--size", A, "--level", n, "--bins", conv)
    assert r.returncode == 0, r.stderr
    got = parse_bins(r.stdout)
    assert [(s, e) for s, e, _ in got] == bins
    if conv == "caffe":
        assert [d for _, _, d in got] == [2, 2, 2, 2]  # padding counts (docs/spec.md#2-bins)
    if never:
        assert re.search(rf"never pooled: rows {never} \(2 of {A}\)", r.stdout), r.stdout
    else:
        assert "every row is covered" in r.stdout
    if (A, n, conv) == (7, 4, "adaptive"):
        assert "in two or more bins: rows 1, 3, 5 (3 of 7)" in r.stdout


@pytest.mark.parametrize("conv", ["sppnet", "caffe"])
def test_bins_invalid_convention(conv):
    assert_usage_error(spp("bins", "--size", 3, "--level", 6, "--bins", conv), "A=3", conv)


def test_bins_sweep_vs_reference():
    for conv in ("adaptive", "sppnet", "caffe"):
        for A in (1, 2, 5, 10, 17):
            for n in (1, 2, 3, 4, 6):
                r = spp("bins", "--size", A, "--level", n, "--bins", conv)
                try:
                    want = ref_bins(A, n, conv)
                except ValueError:
                    assert_usage_error(r, f"A={A}")
                    continue
                assert r.returncode == 0, (A, n, conv, r.stderr)
                assert parse_bins(r.stdout) == want, (A, n, conv)
                covered = set()
                for s, e, _ in want:
                    covered |= set(range(s, e))
                assert ("every row is covered" in r.stdout) == (len(covered) == A)


# ---------------------------------------------------------------- run vs the reference

CASES = [  # (N, C, H, W, levels, conv): shapes no other suite uses
    (3, 5, 11, 4, [5, 1, 3], "adaptive"),
    (2, 3, 9, 13, [4, 2, 1], "sppnet"),
    (1, 7, 10, 7, [3, 2], "caffe"),
    (2, 2, 1, 6, [2, 6], "adaptive"),
]


def run_case(tmp_path, kernel, x, levels, pool, conv, layout, threads=1, tag=""):
    xin, y, a, gy, gx = (tmp_path / f"{s}{tag}.npy" for s in ("x", "y", "a", "gy", "gx"))
    np.save(xin, x)
    y_ref, am_ref = ref_forward(x, levels, pool, conv, layout)
    rng = np.random.default_rng(7)
    dy = rng.standard_normal(y_ref.shape).astype(np.float32)
    np.save(gy, dy)
    args = ["run", "--kernel", kernel, "--levels", ",".join(map(str, levels)), "--pool", pool,
            "--bins", conv, "--layout", layout, "--input", xin, "--output", y,
            "--grad-output", gy, "--grad-input", gx, "--threads", threads]
    if pool == "max":
        args += ["--argmax", a]
    r = spp(*args)
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stderr
    return (np.load(y), np.load(a) if pool == "max" else None, np.load(gx),
            y_ref, am_ref, dy)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"n{c[0]}c{c[1]}h{c[2]}w{c[3]}_{c[5]}")
@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_run_forward_backward_vs_reference(tmp_path, case, pool, layout):
    N, C, H, W, levels, conv = case
    rng = np.random.default_rng(zlib.crc32(repr((case, pool, layout)).encode()))
    shape = (N, C, H, W) if layout == "nchw" else (N, H, W, C)
    # small integers make ties frequent, so the first-maximum rule is really exercised
    x = (rng.integers(-3, 4, shape) if pool == "max" else rng.standard_normal(shape))
    x = x.astype(np.float32)
    ran = 0
    for name, layouts, runnable in kernels():
        if not runnable or layout not in layouts:
            continue
        ran += 1
        y, am, gx, y_ref, am_ref, dy = run_case(tmp_path, name, x, levels, pool, conv, layout,
                                                threads=2 if ran % 2 == 0 else 1, tag=name)
        assert y.dtype == np.float32 and y.shape == (N, C * sum(n * n for n in levels))
        assert gx.dtype == np.float32 and gx.shape == x.shape
        if pool == "max":
            assert am.dtype == np.int32 and am.shape == y.shape
            np.testing.assert_array_equal(y, y_ref.astype(np.float32), err_msg=name)
            np.testing.assert_array_equal(am, am_ref, err_msg=name)
        else:
            tol = avg_tol(x, levels, conv, layout)
            assert np.all(np.abs(y - y_ref) <= tol), name
        gx_ref = ref_backward(dy, am_ref, x.shape, levels, pool, conv, layout)
        np.testing.assert_allclose(gx, gx_ref, rtol=1e-5, atol=1e-5, err_msg=name)
    assert ran >= 1


def test_run_threads_give_identical_bytes(tmp_path):
    x = np.random.default_rng(3).standard_normal((2, 6, 9, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = []
    for t in (1, 3):
        y = tmp_path / f"y{t}.npy"
        r = spp("run", "--kernel", "naive", "--levels", "3,2,1", "--pool", "avg", "--input",
                tmp_path / "x.npy", "--output", y, "--threads", t)
        assert r.returncode == 0, r.stderr
        outs.append(y.read_bytes())
    assert outs[0] == outs[1]


def test_written_npy_is_v1_padded_to_64(tmp_path):
    x = np.ones((1, 1, 3, 3), np.float32)
    np.save(tmp_path / "x.npy", x)
    r = spp("run", "--kernel", "naive", "--levels", "1", "--input", tmp_path / "x.npy",
            "--output", tmp_path / "y.npy", "--argmax", tmp_path / "a.npy", "--verbose")
    assert r.returncode == 0 and "n1c1h3w3_l1_max_adaptive_nchw" in r.stdout
    for f, descr in (("y.npy", "<f4"), ("a.npy", "<i4")):
        b = (tmp_path / f).read_bytes()
        assert b[:8] == b"\x93NUMPY\x01\x00"
        hl = struct.unpack("<H", b[8:10])[0]
        assert (10 + hl) % 64 == 0 and b[10 + hl - 1:10 + hl] == b"\n"
        assert f"'descr': '{descr}'" in b[10:10 + hl].decode()
        assert len(b) == 10 + hl + 4
    assert sorted(os.listdir(tmp_path)) == ["a.npy", "x.npy", "y.npy"]  # no temporaries left


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize("pad", [True, False])
def test_npy_versions_accepted(tmp_path, version, pad):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)[..., ::-1].copy()
    # hand-made header: unaligned (pad=False) and double quotes, both legal
    h = '{"descr": "<f4", "shape": (2, 3, 4, 5), "fortran_order": False}'
    (tmp_path / "x.npy").write_bytes(npy_bytes(h, x.tobytes(), version, pad))
    r = spp("run", "--kernel", "naive", "--levels", "2,1", "--input", tmp_path / "x.npy",
            "--output", tmp_path / "y.npy")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"),
                                  ref_forward(x, [2, 1], "max", "adaptive", "nchw")[0])
    if version == (3, 0) and pad:  # numpy's own writer, too
        with open(tmp_path / "z.npy", "wb") as f:
            np.lib.format.write_array(f, x, version=(3, 0))
        r = spp("run", "--kernel", "naive", "--levels", "2,1", "--input", tmp_path / "z.npy",
                "--output", tmp_path / "y2.npy")
        assert r.returncode == 0 and (tmp_path / "y2.npy").read_bytes() == \
            (tmp_path / "y.npy").read_bytes()


# ---------------------------------------------------------------- errors

@pytest.fixture
def errdir(tmp_path):
    """A directory with valid inputs and pre-existing outputs of known content."""
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "gy.npy", np.zeros((2, 3 * 21), np.float32))    # levels 4,2,1
    np.save(tmp_path / "gy_bad.npy", np.zeros((2, 3 * 20), np.float32))
    np.save(tmp_path / "x3.npy", np.zeros((2, 3, 7), np.float32))
    (tmp_path / "y.npy").write_bytes(b"previous output, must survive")
    (tmp_path / "gx.npy").write_bytes(b"previous gradient, must survive")
    return tmp_path


GOOD = ["--kernel", "naive", "--levels", "4,2,1", "--input", "x.npy", "--output", "y.npy"]
BWD = ["--grad-output", "gy.npy", "--grad-input", "gx.npy"]


def with_flag(flag, value):
    """GOOD with flag's value replaced (or added)."""
    a = list(GOOD)
    if flag in a:
        a[a.index(flag) + 1] = value
    else:
        a += [flag, value]
    return a


def without(flag):
    a = list(GOOD)
    i = a.index(flag)
    return a[:i] + a[i + 2:]


ERRORS = {
    "no-verb": ([], "missing verb"),
    "unknown-verb": (["frobnicate"], "frobnicate"),
    "help-unknown-verb": (["help", "frobnicate"], "frobnicate"),
    "unknown-flag": (["run", *GOOD, "--frob", "1"], "--frob"),
    "unknown-flag-eq": (["run", *GOOD, "--frob=1"], "--frob"),
    "positional": (["run", *GOOD, "extra"], "extra"),
    "switch-with-value": (["run", *GOOD, "--verbose=1"], "--verbose"),
    "missing-value-end": (["run", *GOOD, "--threads"], "--threads"),
    "missing-value-flag": (["run", "--kernel", "--levels", "4", "--input", "x.npy", "--output",
                            "y.npy"], "--kernel"),
    "empty-value": (["run", *with_flag("--pool", "")], "--pool"),
    "twice": (["run", *GOOD, "--kernel", "naive"], "twice"),
    "missing-levels": (["run", *without("--levels")], "--levels"),
    "missing-input": (["run", *without("--input")], "--input"),
    "missing-output": (["run", *without("--output")], "--output"),
    "unknown-kernel": (["run", *with_flag("--kernel", "nope")], "nope"),
    "threads-0": (["run", *with_flag("--threads", "0")], "--threads"),
    "threads-neg": (["run", *with_flag("--threads", "-2")], "--threads"),
    "threads-text": (["run", *with_flag("--threads", "two")], "two"),
    "threads-junk": (["run", *with_flag("--threads", "2x")], "2x"),
    "threads-huge": (["run", *with_flag("--threads", "99999999999999999999999")], "--threads"),
    "levels-empty-item": (["run", *with_flag("--levels", "6,,3")], "6,,3"),
    "levels-trailing": (["run", *with_flag("--levels", "4,2,")], "4,2,"),
    "levels-text": (["run", *with_flag("--levels", "6,a")], "6,a"),
    "levels-zero": (["run", *with_flag("--levels", "4,0")], "4,0"),
    "levels-big": (["run", *with_flag("--levels", "65")], "65"),
    "levels-too-many": (["run", *with_flag("--levels", "1,2,1,2,1,2,1,2,1")], "at most 8"),
    "pool": (["run", *with_flag("--pool", "mean")], "mean"),
    "bins": (["run", *with_flag("--bins", "sppnett")], "sppnett"),
    "layout": (["run", *with_flag("--layout", "NCHW")], "NCHW"),
    "sppnet-too-small": (["run", *with_flag("--levels", "8"), "--bins", "sppnet"], "H=7"),
    "caffe-invalid": (["run", *with_flag("--levels", "4"), "--bins", "caffe"], "W=5"),
    "grad-input-alone": (["run", *GOOD, "--grad-input", "gx.npy"], "--grad-output"),
    "grad-output-alone": (["run", *GOOD, "--grad-output", "gy.npy"], "--grad-input"),
    "grad-shape": (["run", *GOOD, "--grad-output", "gy_bad.npy", "--grad-input", "gx.npy"],
                   "(2, 60)"),
    "grad-rank": (["run", *GOOD, "--grad-output", "x.npy", "--grad-input", "gx.npy"],
                  "(2, 63)"),
    "grad-missing": (["run", *GOOD, "--grad-output", "nope.npy", "--grad-input", "gx.npy"],
                     "nope.npy"),
    "argmax-avg": (["run", *with_flag("--pool", "avg"), "--argmax", "a.npy"], "--argmax"),
    "same-outputs": (["run", *GOOD, "--argmax", "y.npy"], "y.npy"),
    "same-outputs-grad": (["run", *GOOD, "--grad-output", "gy.npy", "--grad-input", "./y.npy"],
                          "y.npy"),
    "input-missing": (["run", *with_flag("--input", "nope.npy")], "nope.npy"),
    "input-dir": (["run", *with_flag("--input", ".")], "regular file"),
    "input-rank": (["run", *with_flag("--input", "x3.npy")], "(2, 3, 7)"),
    "input-is-grad": (["run", *with_flag("--input", "gy.npy")], "4 dimensions"),
    "output-dir-missing": (["run", *with_flag("--output", "no/such/dir/y.npy")], "no/such"),
    "grad-dir-missing": (["run", *GOOD, "--grad-output", "gy.npy", "--grad-input",
                          "no/such/gx.npy"], "no/such"),
    "output-is-dir": (["run", *GOOD[:-1], "sub"], "sub"),
    "grad-input-is-dir": (["run", *GOOD, "--argmax", "a.npy", "--grad-output", "gy.npy",
                           "--grad-input", "sub"], "directory"),
    "bins-missing-size": (["bins", "--level", "3"], "--size"),
    "bins-size-0": (["bins", "--size", "0", "--level", "3"], "--size"),
    "bins-level-0": (["bins", "--size", "5", "--level", "0"], "--level"),
    "bins-conv": (["bins", "--size", "5", "--level", "2", "--bins", "x"], "'x'"),
    "list-arg": (["list", "extra"], "extra"),
    "list-flag": (["list", "--kernels"], "--kernels"),
    "list-switch-value": (["list", "--regions=yes"], "--regions"),
    "list-twice": (["list", "--maps", "--maps"], "--maps"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_is_one_line_exit2_and_touches_nothing(errdir, name):
    args, needle = ERRORS[name]
    (errdir / "sub").mkdir()
    before = snapshot(errdir)
    r = spp(*args, cwd=errdir)
    assert_usage_error(r, *([needle] if needle else []))
    assert snapshot(errdir) == before  # outputs byte-identical, nothing created, no temporaries
    assert os.listdir(errdir / "sub") == []


def test_avx512_kernel_is_rejected_not_crashed(errdir):
    """Capped at AVX2 (SPP_MAX_ISA), as on a CPU without AVX-512, whatever this CPU has."""
    rejected = 0
    for name, layouts, runnable in kernels(max_isa="avx2"):
        if not runnable:
            before = snapshot(errdir)
            r = spp("run", *with_flag("--kernel", name), "--layout", layouts[0], cwd=errdir,
                    max_isa="avx2")
            line = assert_usage_error(r, name, "needs avx512")
            assert "SPP_MAX_ISA=avx2" in line or not cpu_has_avx512(), line
            assert snapshot(errdir) == before
            rejected += 1
    assert rejected == 3  # nhwc__avx512, nhwc__fused_avx512 and nchw__fused_avx512


@pytest.mark.parametrize("cap,runs", [("scalar", {"scalar"}), ("avx2", {"scalar", "avx2"}),
                                      ("avx512", {"scalar", "avx2", "avx512"})])
def test_max_isa_caps_what_runs(cap, runs):
    has = {"scalar", "avx2"} | ({"avx512"} if cpu_has_avx512() else set())
    for rows in parse_list(spp("list", max_isa=cap).stdout).values():
        for k in rows:
            assert (k["runnable"] == "yes") == (k["isa"] in runs & has), k["line"]


def test_max_isa_not_an_isa_is_named(errdir):
    before = snapshot(errdir)
    r = spp("run", *with_flag("--kernel", "nhwc__avx2"), "--layout", "nhwc", cwd=errdir,
            max_isa="avx3")
    assert_usage_error(r, "nhwc__avx2", "SPP_MAX_ISA=avx3", "expected scalar, avx2 or avx512")
    assert snapshot(errdir) == before
    r = spp("run", *GOOD, cwd=errdir, max_isa="avx3")  # scalar kernels do not depend on it
    assert r.returncode == 0, r.stderr
    assert np.load(errdir / "y.npy").shape == (2, 3 * 21)


def test_kernel_without_layout_is_rejected(errdir):
    for name, layouts, runnable in kernels():
        missing = {"nchw", "nhwc"} - set(layouts)
        if runnable and missing:
            before = snapshot(errdir)
            r = spp("run", *with_flag("--kernel", name), "--layout", missing.pop(), cwd=errdir)
            assert_usage_error(r, "layout")
            assert snapshot(errdir) == before
            return
    pytest.skip("every runnable kernel takes both layouts")


# malformed inputs: each must be rejected with a message naming the file
D16 = np.arange(4, dtype=np.float32).tobytes()  # the data of shape (1, 1, 2, 2)
BAD_NPY = {
    "empty": b"",
    "short-magic": b"\x93NUM",
    "bad-magic": b"PK\x03\x04" + b"\0" * 60,
    "version-4": npy_bytes(hdr(), D16, (4, 0)),
    "version-1.1": npy_bytes(hdr(), D16, (1, 1)),
    "truncated-length": b"\x93NUMPY\x02\x00\x10",
    "truncated-header": npy_bytes(hdr(), D16)[:40],
    "truncated-data": npy_bytes(hdr(), D16)[:-1],
    "trailing-data": npy_bytes(hdr(), D16 + b"\0"),
    "big-endian": npy_bytes(hdr(descr=">f4"), D16),
    "float64": npy_bytes(hdr(descr="<f8"), D16 * 2),
    "int32": npy_bytes(hdr(descr="<i4"), D16),
    "int8": npy_bytes(hdr(descr="|i1"), D16[:4]),
    "structured": npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, "
                            "'shape': (1, 1, 2, 2), }", D16),
    "fortran": npy_bytes(hdr(fortran="True"), D16),
    "fortran-junk": npy_bytes(hdr(fortran="1"), D16),
    "rank-3": npy_bytes(hdr(shape="(1, 2, 2)"), D16),
    "rank-5": npy_bytes(hdr(shape="(1, 1, 1, 2, 2)"), D16),
    "scalar": npy_bytes(hdr(shape="()"), D16[:4]),
    "shape-not-tuple": npy_bytes(hdr(shape="[1, 1, 2, 2]"), D16),
    "shape-int": npy_bytes(hdr(shape="(4)"), D16),
    "shape-negative": npy_bytes(hdr(shape="(1, 1, -2, 2)"), D16),
    "shape-float": npy_bytes(hdr(shape="(1, 1, 2.0, 2)"), D16),
    "shape-leading-zero": npy_bytes(hdr(shape="(1, 1, 02, 2)"), D16),
    "shape-absurd": npy_bytes(hdr(shape="(1099511627776, 1099511627776, 1, 1)"), D16),
    "shape-overflow-64": npy_bytes(hdr(shape="(4294967296, 4294967296, 4294967296, 1)"), D16),
    "shape-huge-no-alloc": npy_bytes(hdr(shape="(1073741824, 1073741824, 1, 1)"), D16),
    "shape-huge-dim": npy_bytes(hdr(shape="(99999999999999999999, 1, 1, 1)"), D16),
    "shape-size-mismatch": npy_bytes(hdr(shape="(1, 1, 3, 3)"), D16),
    "missing-key": npy_bytes("{'descr': '<f4', 'shape': (1, 1, 2, 2), }", D16),
    "extra-key": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 2), "
                           "'x': 1, }", D16),
    "duplicate-key": npy_bytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                               "'shape': (1, 1, 2, 2), }", D16),
    "not-a-dict": npy_bytes("['<f4', False, (1, 1, 2, 2)]", D16),
    "unterminated-dict": npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                                   "'shape': (1, 1, 2, 2), ", D16),
    "junk-after-dict": npy_bytes(hdr() + " x", D16),
    "unterminated-string": npy_bytes("{'descr: '<f4', 'fortran_order': False}", D16),
    "no-newline": npy_bytes(hdr(), D16)[:-17] + b"x" + npy_bytes(hdr(), D16)[-16:],
    "non-ascii": npy_bytes(hdr().replace("descr", "d\u00e9scr"), D16),
    "nul-in-header": npy_bytes(hdr().replace(" ", "\0", 1), D16),
    "header-length-zero": b"\x93NUMPY\x01\x00\x00\x00" + D16,
    "oversized-header-v2": npy_bytes(hdr() + " " * 70000, D16, (2, 0)),
    "header-longer-than-file": b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31) + b"{" * 100,
    "zero-size": npy_bytes(hdr(shape="(0, 1, 2, 2)"), b""),
}


@pytest.mark.parametrize("name", list(BAD_NPY))
def test_malformed_npy_rejected(errdir, name):
    (errdir / "bad.npy").write_bytes(BAD_NPY[name])
    before = snapshot(errdir)
    r = spp("run", *with_flag("--input", "bad.npy"), cwd=errdir)
    line = assert_usage_error(r)
    # the message names the file (or, for a well-formed empty tensor, the problem rule)
    assert "bad.npy" in line or (name == "zero-size" and "N=0" in line), line
    assert snapshot(errdir) == before


@pytest.mark.parametrize("name", ["truncated-data", "big-endian", "fortran", "shape-absurd"])
def test_malformed_grad_output_rejected(errdir, name):
    (errdir / "bad.npy").write_bytes(BAD_NPY[name])
    before = snapshot(errdir)
    r = spp("run", *GOOD, "--grad-output", "bad.npy", "--grad-input", "gx.npy", cwd=errdir)
    assert "bad.npy" in assert_usage_error(r)
    assert snapshot(errdir) == before


def test_success_replaces_existing_outputs(errdir):
    r = spp("run", *GOOD, *BWD, cwd=errdir)
    assert r.returncode == 0, r.stderr
    assert np.load(errdir / "y.npy").shape == (2, 63)
    assert np.load(errdir / "gx.npy").shape == (2, 3, 7, 5)
    assert not [p for p in os.listdir(errdir) if ".tmp." in p]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_write_failure_is_an_error():
    with open("/dev/full", "w") as full:
        r = subprocess.run([SPP, "list"], stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "stdout" in r.stderr


def test_run_kernel_defaults_to_auto_and_names_its_choice(tmp_path):
    """No --kernel (or --kernel auto): the rule of docs/kernels.md#auto picks a kernel that takes
    the layout and runs here; --verbose names it and the rule's reason; the result is naive's."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 13, 13, 24)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    runnable = {k.name for k in spp_lib.kernels() if k.runnable and "nhwc" in k.layouts}
    outs = {}
    for extra in ([], ["--kernel", "auto"], ["--kernel", "naive"]):
        out = tmp_path / f"y{len(outs)}.npy"
        r = spp("run", "--layout", "nhwc", "--levels", "6,3,2,1", "--input", tmp_path / "x.npy",
                "--output", out, "--verbose", *extra)
        assert r.returncode == 0, r.stderr
        outs[" ".join(extra)] = np.load(out)
        if not extra or extra[1] == "auto":
            m = re.search(r"kernel=(\S+) \(auto: [^)]+", r.stdout)
            assert m and m.group(1) in runnable, r.stdout
    for y in outs.values():
        assert np.array_equal(y.view(np.uint32), outs["--kernel naive"].view(np.uint32))


def test_run_verbose_names_the_path_and_path_forces_one(tmp_path):
    """--verbose names the path each pass took, a path of the kernel that ran (auto's choice
    included); --path forces another one, with naive's bits; an unknown or invalid --path is a
    usage error naming the flag, the value and the kernel's paths, and writes nothing."""
    x = np.random.default_rng(9).standard_normal((1, 3, 3, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ks = {k.name: k for k in spp_lib.kernels()}
    base = ["run", "--layout", "nhwc", "--levels", "2,1", "--input", tmp_path / "x.npy",
            "--verbose"]
    want = None
    for extra in (["--kernel", "naive"], ["--kernel", "nhwc__fused_avx2"], []):
        if extra and not ks[extra[1]].runnable:
            continue
        r = spp(*base, "--output", tmp_path / "y.npy", *extra)
        assert r.returncode == 0, r.stderr
        m = re.search(r"kernel=(\S+).* path=(\S+)", r.stdout)
        assert m and m.group(2) in [p.name for p in ks[m.group(1)].paths], r.stdout
        y = np.load(tmp_path / "y.npy")
        want = y if want is None else want
        assert np.array_equal(y.view(np.uint32), want.view(np.uint32))
    k = ks["nhwc__fused_avx2"]
    if not k.runnable:
        pytest.skip("nhwc__fused_avx2 cannot run here")
    for p in k.paths:
        if "forward" not in p.passes:
            continue
        out = tmp_path / f"y-{p.name}.npy"   # --argmax: the forward pass (not infer) runs
        r = spp(*base, "--output", out, "--argmax", tmp_path / "a.npy", "--kernel", k.name,
                "--path", p.name)
        if r.returncode == 0:
            assert f"path={p.name} (forced)" in r.stdout, r.stdout
            assert np.array_equal(np.load(out).view(np.uint32), want.view(np.uint32)), p.name
        else:   # not valid for this problem: said so, nothing written
            assert r.returncode == 2 and f"--path {p.name}" in r.stderr and "valid" in r.stderr
            assert not out.exists()
    r = spp(*base, "--output", tmp_path / "bad.npy", "--kernel", k.name, "--path", "nope")
    assert r.returncode == 2 and "--path nope" in r.stderr and k.paths[0].name in r.stderr
    assert not (tmp_path / "bad.npy").exists()
