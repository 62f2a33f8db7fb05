#!/usr/bin/env python3
"""Runs one benchmark sweep end to end and stores it as ONE Google-Benchmark JSON file.

    .venv/bin/python harness/run_bench.py --config configs/quick.ini [--repetitions 5]
        [--out results/runs/<UTC>-<host>.json] [--no-peers] [--filter REGEX]
        [--report-out results/latest | --no-report] [-- SPP-BENCH ARGS...]

Steps:
 1. `$SPP_BUILD/spp-bench --config C --list-problems` -> the points file (`problem threads
    direction` per line), so the peers time exactly the points spp-bench times;
 2. spp-bench itself, with R repetitions, per-repetition rows kept in the JSON
    (--benchmark_display_aggregates_only, not report_aggregates_only: compare.py's U test needs
    them), in random order across the call's rows (spp-bench's default, harness/gb_interleave.h;
    the peers go round-robin, harness/peers/peer_timing.py); its console table and progress go
    to the terminal;
 3. the peers, when present: harness/peers/torch_peer.py, $SPP_BUILD/spp-peer-onednn (Debian's
    oneDNN 2.x), $SPP_BUILD/spp-peer-onednn3 (PyPI's oneDNN 3.x, mk/peers.mk) and
    harness/peers/openvino_peer.py (when the openvino package is installed), each
    `--points FILE --repetitions R --out TMP.json --min-time T` (T: spp-bench's effective
    per-repetition minimum time). A missing or failing peer is a warning, not an error.
    Steps 2 and 3 run problem by problem (interleaved): spp-bench times one problem's rows
    (every kernel, thread count and direction, and its read-once bound), then each peer times
    that problem's points, then the next problem. On this shared machine the speed drifts over
    minutes, so a peer timed at the end of the sweep could be measured in another "weather"
    than the kernels it is compared with; interleaved, a kernel and its peers run seconds apart.
    The DRAM rows (bound_dram) run with the largest problem. --no-interleave times every
    spp-bench row first, then the peers (one spp-bench process; what --no-peers always does);
 4. one merged JSON (spp-bench's context plus a `peers` note; all rows) written atomically
    (temporary file in the same directory, then rename) to --out;
 5. harness/report.py RUN --out results/latest (tables and plots), unless --no-report.

--filter is spp-bench's --benchmark_filter (regex over row names); it also selects the peers'
points (a point is kept when the filter matches a kernel's or a peer's row name for it).
Arguments after `--` go to spp-bench unchanged (e.g. -- --benchmark_min_time=0.01).
Interrupting (Ctrl-C, SIGTERM) stops the children and removes only this run's temporary files:
earlier results are never touched. Exit: 0 ok; 1 spp-bench reported failed kernels or the report
failed (the run is still saved); 2 bad arguments or a failed run (nothing written); 130/143 when
interrupted.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))
import gbjson  # noqa: E402


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def on_signal(signum, _frame):
    raise Interrupted(signum)


def warn(msg):
    print(f"run_bench: warning: {msg}", file=sys.stderr, flush=True)


def info(msg):
    print(f"run_bench: {msg}", file=sys.stderr, flush=True)


def fail(msg, code=2):
    print(f"run_bench: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


class Child:
    """A subprocess that is stopped (SIGTERM, then SIGKILL) if we are interrupted."""
    current = None

    @staticmethod
    def run(cmd, stdout=None):
        # a signal between starting the child and recording it would orphan the child: hold
        # SIGINT/SIGTERM until it is recorded; the mask is inherited across exec, so the child
        # restores the old one before it starts
        held = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            p = subprocess.Popen(cmd, stdout=stdout, cwd=ROOT, env=gbjson.child_env(),
                                 preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, old))
            Child.current = p
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        try:
            return p.wait()
        finally:
            Child.current = None
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def in_root(path):
    """path (relative to the caller's directory) as the children, which run in ROOT, see it:
    relative to ROOT when inside it, else absolute."""
    a = os.path.abspath(path)
    r = os.path.relpath(a, ROOT)
    return a if r.startswith("..") else r


def python_exe():
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.access(venv, os.X_OK) else sys.executable


write_atomic = gbjson.write_atomic   # the one atomic writer (harness/peers/gbjson.py)


def load_rows(path, who):
    """The benchmarks list of a Google-Benchmark JSON file, or None with a warning."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        warn(f"{who}: cannot read its JSON {path}: {e}")
        return None
    rows = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "name" in r for r in rows):
        warn(f"{who}: {path} is not Google Benchmark JSON (no 'benchmarks' list of named rows)")
        return None
    return rows


# (name, path, Python script?, Python module it needs: checked with the peers' interpreter)
PEERS = (("torch", ("harness", "peers", "torch_peer.py"), True, None),
         ("onednn", ("{build}", "spp-peer-onednn"), False, None),
         ("onednn3", ("{build}", "spp-peer-onednn3"), False, None),
         ("openvino", ("harness", "peers", "openvino_peer.py"), True, "openvino"))


def module_present(module):
    """Whether the peers' interpreter (python_exe) can import `module`."""
    return gbjson.module_present(module, python_exe())


def present_peers(args):
    """(name, argv prefix) of each peer present; a missing one is a warning and a note."""
    got, notes = [], {}
    for name, rel, is_py, module in PEERS:
        path = os.path.join(ROOT, *[r.format(build=args.build) for r in rel])
        if not os.path.exists(path):
            warn(f"peer {name}: {os.path.relpath(path, ROOT)} not found; its rows are left out")
            notes[name] = "missing"
            continue
        if module and not module_present(module):
            warn(f"peer {name}: Python package {module} not installed (scripts/setup.sh bench "
                 f"installs it); its rows are left out")
            notes[name] = f"missing ({module} not installed)"
            continue
        got.append((name, [python_exe(), path] if is_py else [path]))
    return got, notes


def run_peers(args, peers, tmp, points, min_time, tag, status):
    """Runs each peer on the points file; returns their rows. status[name] collects
    (rows, exit code) per call for the run's note."""
    rows = []
    for name, cmd in peers:
        out = os.path.join(tmp, f"peer-{name}{tag}.json")
        full = cmd + ["--points", points, "--repetitions", str(args.repetitions), "--out", out]
        if min_time:
            full += ["--min-time", min_time]
        info(f"peer {name}: {' '.join(full)}")
        rc = Child.run(full)
        got = load_rows(out, f"peer {name}") if os.path.exists(out) else None
        if rc != 0:
            warn(f"peer {name} exited with status {rc}"
                 + ("; keeping the rows it wrote" if got else "; no rows"))
        elif got is None:
            warn(f"peer {name} wrote no usable JSON")
        status.setdefault(name, []).append((len(got) if got else 0, rc, got is not None))
        rows.extend(got or [])
    return rows


def peer_note(notes, status):
    """One status per peer: rows kept, and the failed calls (exit codes) if any."""
    out = []
    for name, _rel, _py, _mod in PEERS:
        if name in notes:
            out.append(f"{name}: {notes[name]}")
            continue
        calls = status.get(name, [])
        if not calls:
            continue
        n = sum(c[0] for c in calls)
        bad = [c[1] for c in calls if c[1] != 0 or not c[2]]
        if n == 0 and bad:
            out.append(f"{name}: failed (exit {bad[0]})")
            continue
        out.append(f"{name}: {n} rows" + (f" ({len(bad)} of {len(calls)} calls failed, exit "
                                          f"{bad[0]})" if bad else ""))
    return "; ".join(out)


def problem_bytes(problem):
    m = re.match(r"n(\d+)c(\d+)h(\d+)w(\d+)_", problem)
    return 4 * int(m[1]) * int(m[2]) * int(m[3]) * int(m[4]) if m else 0


def segments(names):
    """Row names grouped by problem, in first-seen order: [(problem, [names])]; the DRAM rows
    (bound_dram/...) join the group of the largest input, or make one of their own."""
    groups, dram = {}, []
    for n in names:
        parts = n.split("/")
        if parts[0] == "bound_dram" or len(parts) < 2:
            dram.append(n)
        else:
            groups.setdefault(parts[1], []).append(n)
    segs = [(p, list(v)) for p, v in groups.items()]
    if dram:
        if segs:
            big = max(range(len(segs)), key=lambda i: problem_bytes(segs[i][0]))
            segs[big][1].extend(dram)
        else:
            segs.append(("", dram))
    return segs


def exact_filter(names):
    """A --benchmark_filter matching exactly these row names (POSIX extended regex)."""
    return "^(" + "|".join(re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", n) for n in names) + ")$"


def spp_list(common, flag, path):
    """spp-bench's --list or --list-problems output, kept in path: its non-empty lines."""
    with open(path, "w") as f:
        rc = Child.run(common + [flag], stdout=f)
    if rc != 0:
        fail(f"spp-bench {flag} failed (exit {rc}); nothing written")
    with open(path) as f:
        return [line for line in f if line.strip()]


def run_bench(cmd, raw):
    """One spp-bench timing process writing raw; returns (rows JSON, failed kernels?)."""
    info(" ".join(os.path.relpath(c, ROOT) if c == cmd[0] else c for c in cmd))
    rc = Child.run(cmd)
    if rc not in (0, 1) or not os.path.exists(raw):
        fail(f"spp-bench failed (exit {rc}); nothing written")
    with open(raw) as f:
        return json.load(f), rc == 1


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(
        description="Run spp-bench and the peers; store one merged JSON; regenerate the report.")
    ap.add_argument("--config", help="sweep config, e.g. configs/quick.ini")
    ap.add_argument("--repetitions", type=int, default=5, help="repetitions per benchmark (5)")
    ap.add_argument("--out", help="merged JSON (default results/runs/<UTC>-<host>.json)")
    ap.add_argument("--no-peers", action="store_true", help="spp-bench rows only")
    ap.add_argument("--no-interleave", action="store_true",
                    help="all spp-bench rows first, then the peers (default: problem by problem)")
    ap.add_argument("--filter", help="regex over row names (spp-bench --benchmark_filter)")
    ap.add_argument("--report-out", default=os.path.join(ROOT, "results", "latest"),
                    help="report directory (default results/latest)")
    ap.add_argument("--no-report", action="store_true", help="do not run harness/report.py")
    ap.add_argument("--build", default=os.environ.get("SPP_BUILD", "build"),
                    help="build directory with spp-bench (default $SPP_BUILD or build)")
    args = ap.parse_args(argv)
    if args.repetitions < 1:
        fail(f"--repetitions {args.repetitions}: must be >= 1")
    # user paths are relative to the caller's directory; children run in the repository root
    if args.config:
        if not os.path.isfile(args.config):
            fail(f"--config {args.config}: no such file")
        args.config = in_root(args.config)
    args.report_out = in_root(args.report_out)
    if not args.config and "--problem" not in " ".join(extra):
        fail("give --config FILE.ini (or spp-bench --problem arguments after --)")
    bench = os.path.join(ROOT, args.build, "spp-bench")
    if not os.access(bench, os.X_OK):
        fail(f"{os.path.relpath(bench, ROOT)} not found: build it with "
             f"`make BUILD={args.build} bench-build`")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or os.path.join(ROOT, "results", "runs", f"{stamp}-{socket.gethostname()}.json")
    out = os.path.join(ROOT, in_root(out))

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tmp = tempfile.mkdtemp(prefix="spp-run-")
    try:
        common = [bench] + (["--config", args.config] if args.config else [])
        if args.filter is not None:
            common.append(f"--benchmark_filter={args.filter}")
        common += extra

        points = os.path.join(tmp, "points.txt")
        point_lines = spp_list(common, "--list-problems", points)
        npoints = len(point_lines)

        timing = [f"--benchmark_repetitions={args.repetitions}",
                  "--benchmark_display_aggregates_only=true", "--benchmark_out_format=json"]
        peers, pnotes = ([], {}) if args.no_peers or npoints == 0 else present_peers(args)
        pstatus, peer_rows = {}, []
        if not peers:
            raw = os.path.join(tmp, "spp-bench.json")
            data, bench_failed = run_bench(common + timing + [f"--benchmark_out={raw}"], raw)
        else:
            names = [n.strip() for n in spp_list(common, "--list", os.path.join(tmp, "names.txt"))]
            segs = segments(names) if not args.no_interleave else [("", names)]
            data, bench_failed = None, False
            for i, (problem, seg_names) in enumerate(segs):
                tag = f"-{i}" if len(segs) > 1 else ""
                raw = os.path.join(tmp, f"spp-bench{tag}.json")
                if len(segs) > 1:
                    info(f"problem {i + 1} of {len(segs)}: {problem or 'DRAM rows'}")
                    cmd = common + timing + [f"--benchmark_out={raw}",
                                             f"--benchmark_filter={exact_filter(seg_names)}"]
                else:
                    cmd = common + timing + [f"--benchmark_out={raw}"]
                got, failed = run_bench(cmd, raw)
                bench_failed |= failed
                if data is None:
                    data = got
                else:  # the first call's context (date, machine) plus each call's own keys
                    data["benchmarks"].extend(got.get("benchmarks", []))
                    for k, v in got.get("context", {}).items():
                        data.setdefault("context", {}).setdefault(k, v)
                seg_points = os.path.join(tmp, f"points{tag}.txt")
                mine = [ln for ln in point_lines if not problem or ln.split()[0] == problem]
                if not mine:
                    continue
                with open(seg_points, "w") as f:
                    f.writelines(mine)
                peer_rows += run_peers(args, peers, tmp, seg_points,
                                       got.get("context", {}).get("spp_min_time"), tag, pstatus)
        ctx = data.setdefault("context", {})
        if args.no_peers:
            note = "not run (--no-peers)"
        elif npoints == 0:
            note = "not run (the filter selects no point)"
        else:
            note = peer_note(pnotes, pstatus)
        if peers and not args.no_interleave:
            note += "; interleaved by problem"
        names = {r["name"] for r in data["benchmarks"]}
        kept = [r for r in peer_rows if r["name"] not in names]
        if len(kept) != len(peer_rows):
            warn(f"{len(peer_rows) - len(kept)} peer rows share a name with spp-bench rows; dropped")
        data["benchmarks"].extend(kept)
        ctx["peers"] = note
        ctx["spp_repetitions"] = str(args.repetitions)
        ctx["spp_filter"] = args.filter if args.filter is not None else ""
        write_atomic(out, data)
        info(f"wrote {in_root(out)} ({len(data['benchmarks'])} rows, "
             f"{len(kept)} from peers: {note})")

        status = 1 if bench_failed else 0
        if bench_failed:
            warn("spp-bench reported failed kernels (error rows in the JSON)")
        if not args.no_report:
            report = os.path.join(ROOT, "harness", "report.py")
            if not os.path.exists(report):
                warn("harness/report.py not found; results/latest not regenerated")
            else:
                rc = Child.run([python_exe(), report, out, "--out", args.report_out])
                if rc != 0:
                    warn(f"harness/report.py failed (exit {rc}); the run is saved in {out}")
                    status = 1
                else:
                    info(f"report: {args.report_out}/")
        # the goals judged on this run (docs/benchmarking.md#goals): findings, not errors
        try:
            import goals
            print("\n".join(goals.lines(data)))
        except Exception as e:   # a report of findings must never lose the saved run
            warn(f"goals not judged ({type(e).__name__}: {e}); the run is saved in {out}")
        return status
    except Interrupted as e:
        print(f"\nrun_bench: interrupted ({e}); temporary files removed, earlier results intact",
              file=sys.stderr)
        return 128 + e.signum
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
