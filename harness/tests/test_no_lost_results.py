"""No lost results: an interrupted benchmark run or `spp run` leaves earlier results
byte-identical and no temporary files behind.

- run_bench.py (what `make bench` runs): a complete run writes a run JSON and a report into a
  scratch results tree; a second run with the same --out and --report-out is interrupted while
  spp-bench is timing (SIGTERM to run_bench, or SIGINT to the whole process group as Ctrl-C in
  a terminal sends). The earlier files must be byte-identical, no temporary file may be left
  (run_bench's spp-run-* directory lives in TMPDIR, set here to a scratch directory), and the
  exit status must be 143 / 130 as run_bench.py documents.
- The same while harness/report.py is rebuilding the report: the child is frozen (SIGSTOP) the
  moment its temporary directory appears, so the interruption lands inside the report's
  build-then-rename window every time; report.py turns SIGTERM into an unwinding exit.
- `spp run`: outputs are staged to <path>.tmp.<pid> and renamed. The process is frozen while
  its first temporary file is being written, then killed with SIGTERM: every output path still
  holds its earlier bytes, and the signal handler removed the temporary files.

Needs $SPP_BUILD/spp-bench and $SPP_BUILD/spp (SPP_BUILD defaults to "build"); `make test`
builds both. Missing binaries are a failure, not a skip. No torch, no long benchmarks.
"""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SPP_BUILD", "build")
BUILD_DIR = os.path.join(ROOT, BUILD)
RUN_BENCH = os.path.join(ROOT, "harness", "run_bench.py")
# two sizes, so the report renders plots (gnuplot) and takes long enough to interrupt
PROBLEMS = ["n1c4h8w8_l2.1_max_adaptive_nchw", "n1c4h16w16_l2.1_max_adaptive_nchw"]
DEADLINE = 60.0  # seconds for any single wait; a healthy run needs a few
ATTEMPTS = 10  # interrupted `spp run`s tried before giving up on catching one mid-write


def binary(name):
    path = os.path.join(BUILD_DIR, name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not found: build it with `make BUILD={BUILD} {BUILD}/{name}` "
                    f"(`make test` builds it); this test needs the real binary")
    return path


def children(pid):
    """(pid, argv) of the live children of pid, from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[1]) != pid or fields[0] == "Z":
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except (OSError, ValueError):
            continue  # exited meanwhile
        out.append((int(d), argv))
    return out


def waiting_for_child(pid):
    """pid is blocked in wait4() (subprocess's wait), i.e. past Popen's start-up."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read().strip() == "do_wait"
    except OSError:
        return False


def wait_until(proc, what, cond, poll=0.001, exit_ok=False):
    """Polls cond() until it returns something truthy; fails if proc exits first (or returns
    None when exit_ok)."""
    t0 = time.monotonic()
    while True:
        got = cond()
        if got:
            return got
        if proc.poll() is not None:
            if exit_ok:
                return None
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"process exited (status {proc.returncode}) before {what}:\n{out[-3000:]}")
        if time.monotonic() - t0 > DEADLINE:
            proc.kill()
            pytest.fail(f"timed out after {DEADLINE} s waiting for {what}")
        time.sleep(poll)


def snapshot(top):
    """{relative path: bytes} of every file under top, and the set of every entry (dirs too)."""
    files, entries = {}, set()
    for d, dirs, names in os.walk(top):
        for n in dirs + names:
            p = os.path.join(d, n)
            entries.add(os.path.relpath(p, top))
            if n in names:
                with open(p, "rb") as f:
                    files[os.path.relpath(p, top)] = f.read()
    return files, entries


class LeftBehind(AssertionError):
    """An interrupted run left a file or directory that was not there before."""


def assert_same(before, top, allow_new=()):
    files, entries = snapshot(top)
    old_files, old_entries = before
    for rel, data in old_files.items():
        assert rel in files, f"{rel} was removed by the interrupted run"
        assert files[rel] == data, f"{rel} changed ({len(data)} -> {len(files[rel])} bytes)"
    extra = sorted(e for e in entries - old_entries if not any(e.startswith(a) for a in allow_new))
    if extra:
        raise LeftBehind(f"the interrupted run left these behind in {top}: {extra}")


# ---------------------------------------------------------------- run_bench.py / make bench

def bench_cmd(out, report, min_time):
    return [sys.executable, RUN_BENCH, "--no-peers", "--repetitions", "1", "--out", out,
            "--report-out", report, "--",
            *[a for p in PROBLEMS for a in ("--problem", p)], "--kernels", "naive",
            "--dram-mib", "1", f"--benchmark_min_time={min_time}"]


@pytest.fixture
def results(tmp_path):
    """A scratch results tree with one complete run (run JSON + report) and a scratch TMPDIR."""
    binary("spp-bench")
    res, tmpdir = tmp_path / "results", tmp_path / "tmp"
    tmpdir.mkdir()
    env = dict(os.environ, SPP_BUILD=BUILD, TMPDIR=str(tmpdir), OMP_WAIT_POLICY="passive")
    out, report = str(res / "runs" / "first.json"), str(res / "latest")
    r = subprocess.run(bench_cmd(out, report, 0.01), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    assert r.returncode == 0, f"the complete run failed (status {r.returncode}):\n{r.stdout[-3000:]}"
    with open(out) as f:
        rows = json.load(f)["benchmarks"]
    assert any(x["name"].startswith(f"naive/{PROBLEMS[0]}/t1") for x in rows), "no naive row"
    assert os.path.isfile(os.path.join(report, "tables.md")), "the report has no tables.md"
    assert not os.listdir(tmpdir), f"the complete run left {os.listdir(tmpdir)} in TMPDIR"
    return {"res": str(res), "tmp": str(tmpdir), "env": env, "out": out, "report": report,
            "before": snapshot(str(res))}


@pytest.mark.parametrize("how", ["sigterm", "sigint-group"])
def test_interrupted_bench_keeps_results(results, how):
    # same outputs as the complete run; a long min_time keeps spp-bench busy until the signal
    p = subprocess.Popen(bench_cmd(results["out"], results["report"], 5), cwd=ROOT,
                         env=results["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    try:
        # spp-bench's timing run (not --list-problems) is the child writing --benchmark_out;
        # run_bench must be back from Popen, waiting for it: a signal inside Popen's start-up
        # orphans the child (reported to the lead)
        (bench,) = wait_until(p, "spp-bench's timing run to start",
                              lambda: waiting_for_child(p.pid) and
                              [c for c, argv in children(p.pid)
                               if any(a.startswith("--benchmark_out=") for a in argv)])
        if how == "sigterm":
            os.kill(p.pid, signal.SIGTERM)
        else:
            os.killpg(p.pid, signal.SIGINT)  # Ctrl-C: run_bench and spp-bench both get it
        out, _ = p.communicate(timeout=DEADLINE)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    want = 143 if how == "sigterm" else 130
    assert p.returncode == want, f"exit status {p.returncode}, expected {want}:\n{out[-3000:]}"
    assert "interrupted" in out, out[-3000:]
    assert_same(results["before"], results["res"])
    assert not os.listdir(results["tmp"]), f"left in TMPDIR: {os.listdir(results['tmp'])}"
    assert not os.path.exists(f"/proc/{bench}"), "spp-bench still runs after the interruption"


def test_bench_interrupted_during_report_keeps_results(results):
    res = results["res"]
    for attempt in range(3):
        second = f"runs/second{attempt}.json"
        before = snapshot(res)
        p = subprocess.Popen(bench_cmd(os.path.join(res, second), results["report"], 0.01),
                             cwd=ROOT, env=results["env"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        frozen, caught = None, False
        try:
            def report_building():
                if not any(n.startswith(".latest.tmp-") for n in os.listdir(res)):
                    return None
                return waiting_for_child(p.pid) and [
                    c for c, argv in children(p.pid) if any("report.py" in a for a in argv)]
            got = wait_until(p, "report.py's temporary directory", report_building,
                             exit_ok=True)
            if got:
                try:
                    os.kill(got[0], signal.SIGSTOP)
                    frozen = got[0]
                except ProcessLookupError:
                    pass
            # frozen inside the window: its temporary directory exists, latest not replaced
            caught = frozen is not None and any(
                n.startswith(".latest.tmp-") for n in os.listdir(res))
            if caught:
                assert_same(before, res, allow_new=(second, ".latest.tmp-"))
                os.kill(p.pid, signal.SIGTERM)
                # run_bench forwards SIGTERM to the frozen child, which the kernel kills even
                # while stopped (no handler); if it is still there, let it run
                time.sleep(0.2)
                try:
                    os.kill(frozen, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            out, _ = p.communicate(timeout=DEADLINE)
        finally:
            if frozen:
                try:
                    os.kill(frozen, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if not caught:
            continue  # the report finished first; that run replaced latest: try again
        assert p.returncode == 143, f"exit status {p.returncode}, expected 143:\n{out[-3000:]}"
        with open(os.path.join(res, second)) as f:  # saved, complete, before the report began
            json.load(f)
        assert_same(before, res, allow_new=(second,))
        assert not os.listdir(results["tmp"]), f"left in TMPDIR: {os.listdir(results['tmp'])}"
        return
    pytest.fail("never caught report.py inside its build-then-rename window in 3 attempts")


# ---------------------------------------------------------------- spp run

def npy_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def test_spp_run_outputs_atomic(tmp_path):
    spp = binary("spp")
    # the input gradient is as large as the input (8 MiB), so staging it takes a while
    n, c, h, w = 1, 512, 64, 64
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    gy = rng.standard_normal((n, c), dtype=np.float32)  # levels = 1: one bin per channel
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "gy.npy", gy)
    outdir = tmp_path / "out"
    outdir.mkdir()
    outs = {name: str(outdir / f"{name}.npy") for name in ("y", "a", "gx")}
    cmd = [spp, "run", "--kernel", "naive", "--levels", "1", "--input", str(tmp_path / "x.npy"),
           "--output", outs["y"], "--argmax", outs["a"], "--grad-output",
           str(tmp_path / "gy.npy"), "--grad-input", outs["gx"]]

    def plant_old():
        for i, path in enumerate(outs.values()):
            np.save(path, np.full((3,), i, dtype=np.float32))
        return {path: npy_bytes(path) for path in outs.values()}

    # a complete run replaces every output with a complete file and leaves no temporary
    plant_old()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=DEADLINE)
    assert r.returncode == 0, r.stdout
    y, a, gx = (np.load(outs[k]) for k in ("y", "a", "gx"))
    np.testing.assert_array_equal(y, x.reshape(n, c, -1).max(axis=2))
    np.testing.assert_array_equal(a, x.reshape(n, c, -1).argmax(axis=2))
    want_gx = np.zeros_like(x).reshape(n, c, -1)
    np.put_along_axis(want_gx, a[..., None].astype(np.int64), gy[..., None], axis=2)
    np.testing.assert_array_equal(gx, want_gx.reshape(x.shape))
    assert sorted(os.listdir(outdir)) == ["a.npy", "gx.npy", "y.npy"]

    # an interrupted run: frozen while one of its temporary files exists, then SIGTERM
    for attempt in range(ATTEMPTS):
        old = plant_old()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        stopped = False
        try:
            tmp_y = outs["y"] + f".tmp.{p.pid}"

            def writing():
                try:
                    return os.stat(tmp_y).st_size > 0
                except FileNotFoundError:
                    return False
            # size > 0: npy_stage registers a temporary for the signal handler after creating
            # it and before writing it; an empty one may not be registered yet (see below)
            # on a loaded machine this poller may sleep through the whole window and find
            # the run finished: that attempt proves nothing either way, so it is retried
            if not wait_until(p, "a temporary output file being written", writing,
                              poll=0.0002, exit_ok=True):
                present = False
                continue
            os.kill(p.pid, signal.SIGSTOP)
            stopped = True
            # outputs are staged y, a, gx and renamed in the same order: while y's temporary
            # exists, nothing has been renamed yet
            present = os.path.exists(tmp_y)
            if present:
                # staged but not renamed: every output path holds exactly its old bytes
                for path, data in old.items():
                    assert npy_bytes(path) == data, f"{path} changed before its rename"
            os.kill(p.pid, signal.SIGTERM)
            os.kill(p.pid, signal.SIGCONT)
            p.communicate(timeout=DEADLINE)
        finally:
            if p.poll() is None:
                if stopped:
                    os.kill(p.pid, signal.SIGCONT)
                p.kill()
                p.wait()
        if not present:
            continue  # caught in the rename loop (or after it): try again
        assert p.returncode == -signal.SIGTERM, f"status {p.returncode}, expected SIGTERM"
        for path, data in old.items():
            assert npy_bytes(path) == data, f"{path} changed by the interrupted run"
        assert sorted(os.listdir(outdir)) == ["a.npy", "gx.npy", "y.npy"], \
            f"temporary files left behind: {sorted(os.listdir(outdir))}"
        return
    pytest.fail(f"never caught `spp run` with a temporary output file in {ATTEMPTS} attempts")
