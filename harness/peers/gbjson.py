"""Google-Benchmark-format JSON for the Python peers (same fields as GB 1.7.1's JSON reporter).

Per-repetition rows (run_type "iteration") followed by the mean/median/stddev/cv aggregates GB
writes with --benchmark_repetitions, so compare.py and report.py read peer rows exactly like
spp-bench rows. Times are ns per iteration; `in_bytes` is a rate (input bytes per second of real
time, like a kIsIterationInvariantRate counter under UseRealTime()). load_run is the one reader
of a run file, plain or compressed.
"""
import gzip
import json
import lzma
import os
import statistics
import tempfile

# A run file is Google Benchmark JSON, stored plain (results/runs/*.json) or compressed
# (results/published/*.json.xz, or .gz): load_run tells them apart by their first bytes.
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"


def cpu_model():
    """The CPU's model name as /proc/cpuinfo gives it (the runs' `cpu_model` context key)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "unknown"


def module_present(module, python):
    """Whether interpreter `python` can import `module` (asked of a child process: a peer runs
    in its own interpreter, and importing a large package here would cost seconds)."""
    import subprocess
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    try:
        return subprocess.run([python, "-c", code], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def _stats(v):
    mean = statistics.fmean(v)
    sd = statistics.stdev(v) if len(v) > 1 else 0.0   # GB: sample stddev (n - 1)
    return {"mean": mean, "median": statistics.median(v), "stddev": sd,
            "cv": sd / mean if mean else 0.0}


def rows(name, iterations, real_ns, cpu_ns, in_bytes_per_iter, label=""):
    """Rows for one benchmark: len(real_ns) repetitions of `iterations` iterations each."""
    reps = len(real_ns)
    rates = [in_bytes_per_iter / (t * 1e-9) for t in real_ns]
    out = []
    for i, (rt, ct, rate) in enumerate(zip(real_ns, cpu_ns, rates)):
        out.append({"name": name, "run_name": name, "run_type": "iteration",
                    "repetitions": reps, "repetition_index": i, "threads": 1,
                    "iterations": iterations, "real_time": rt, "cpu_time": ct,
                    "time_unit": "ns", "in_bytes": rate, "label": label})
    sr, sc, sb = _stats(real_ns), _stats(cpu_ns), _stats(rates)
    for agg in ("mean", "median", "stddev", "cv"):
        out.append({"name": f"{name}_{agg}", "run_name": name, "run_type": "aggregate",
                    "repetitions": reps, "threads": 1, "aggregate_name": agg,
                    "aggregate_unit": "percentage" if agg == "cv" else "time",
                    "iterations": reps, "real_time": sr[agg], "cpu_time": sc[agg],
                    "time_unit": "ns", "in_bytes": sb[agg], "label": label})
    return out


def interleave_note(ctx):
    """How a bench call ordered its repetitions, from its context's spp_random_interleaving
    (harness/gb_interleave.h); runs from before the key say so."""
    v = str(ctx.get("spp_random_interleaving", ""))
    return ("repetitions interleaved across each call's rows: random order, the peers "
            "round-robin" if v.startswith("on")
            else "each row's repetitions back to back" if v.startswith("off")
            else "repetition order not recorded")


def buffers_note(ctx):
    """Whether a bench call's buffers were advised huge pages, from its context's
    spp_huge_pages (src/alloc.c, harness/huge_pages_note.h)."""
    v = str(ctx.get("spp_huge_pages", ""))
    return ("maps, outputs and workspaces of 2 MiB or more advised huge pages (spp_alloc); "
            "the Python peers with glibc.malloc.hugetlb=1" if v.startswith("advised")
            else "buffers not advised huge pages (SPP_HUGE_PAGES=0)" if v.startswith("off")
            else "huge-page advice not recorded")


def child_env(environ=None):
    """The environment for the runners' children. While spp_alloc advises huge pages
    (SPP_HUGE_PAGES is not "0"), glibc's malloc is told to advise them too (GLIBC_TUNABLES
    glibc.malloc.hugetlb=1, glibc 2.35 and later), so the Python peers' tensors (PyTorch
    allocates with posix_memalign) get the pages our buffers get."""
    env = dict(os.environ if environ is None else environ)
    t = env.get("GLIBC_TUNABLES", "")
    if env.get("SPP_HUGE_PAGES") != "0" and "glibc.malloc.hugetlb" not in t:
        env["GLIBC_TUNABLES"] = (t + ":" if t else "") + "glibc.malloc.hugetlb=1"
    return env


def malloc_note():
    """A peer's context note: the glibc tunables it ran with."""
    return os.environ.get("GLIBC_TUNABLES", "") or "none"


def compressed(path):
    """True if the file at path is xz- or gzip-compressed (what load_run decompresses)."""
    with open(path, "rb") as f:
        head = f.read(len(_XZ_MAGIC))
    return head.startswith((_XZ_MAGIC, _GZIP_MAGIC))


def run_bytes(path):
    """The JSON bytes of a run file, decompressed when it is xz or gzip (told by its magic
    bytes, whatever its name). OSError when unreadable, ValueError when the stream is corrupt."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        if data.startswith(_XZ_MAGIC):
            return lzma.decompress(data)
        if data.startswith(_GZIP_MAGIC):
            return gzip.decompress(data)
    except (lzma.LZMAError, OSError, EOFError) as e:   # gzip.BadGzipFile is an OSError
        raise ValueError(f"corrupt compressed run: {e}") from None
    return data


def load_run(path):
    """The one reader of a run file (report.py, gate.py, run_regions.py --report-only and the
    docs generator all call it): Google Benchmark JSON, plain, xz- or gzip-compressed
    (run_bytes). Returns the run dict. Raises OSError when the file cannot be read, ValueError
    when it is not a run (a corrupt compressed stream, not JSON, or no 'benchmarks' list); the
    messages do not repeat the path."""
    data = run_bytes(path)
    try:
        run = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not JSON: {e}") from None
    if not isinstance(run, dict) or not isinstance(run.get("benchmarks"), list):
        raise ValueError("not a Google Benchmark JSON (no 'benchmarks' list)")
    return run


def write_file_atomic(path, data):
    """Text or bytes to path through a temporary file in its directory, flushed to disk, then
    rename(): a reader sees the old file or the whole new one, never a part, and an interrupted
    write leaves nothing behind. The one atomic writer of the harness, the runners and make docs."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=d)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)   # mkstemp's 0600 would make results private
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomic(path, obj):
    """obj as indented JSON to path, atomically (write_file_atomic)."""
    write_file_atomic(path, json.dumps(obj, indent=2) + "\n")
