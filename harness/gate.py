#!/usr/bin/env python3
"""Regression gate: compare a new run with a baseline and fail on a significant slowdown.

    .venv/bin/python harness/gate.py BASELINE.json NEW.json [--threshold 0.10] [--alpha 0.05]
                                     [--force] [--only-kernels]

Runs Google Benchmark's compare.py (Debian libbenchmark-tools; `-d` dumps its comparison as
JSON) on the two runs, prints its table, then reads the dump: for every benchmark name present
in both runs (per-repetition rows; compare.py pairs rows by exact name), the relative change of
the medians of real_time, (median_new - median_base) / median_base, is computed from the two
runs' repetitions, and compare.py's two-sided Mann-Whitney U test p-value of real_time is taken.
A benchmark regresses when its change > THRESHOLD and p < ALPHA. compare.py's own exit status
says nothing about regressions, hence this gate.

Not gated: bound_readonce/..., bound_readwrite/... and bound_dram/... rows (they measure the
machine, not code; their change is printed as a hint when the machine itself got slower).
--only-kernels also leaves out the peers (report.PEERS). A benchmark whose runs have fewer than 2 repetitions
has no U test and cannot be flagged; it is counted as untested (use >= 9 repetitions).

Either run may be plain JSON or compressed (.json.xz, .json.gz, as in results/published/);
compare.py is then handed a plain copy.

A baseline belongs to one machine: when the two runs' CPU models (context) differ, the gate
refuses (exit 2) unless --force.
Exit: 0 no regression, 1 regression(s), 2 usage error, unreadable input, machine mismatch or
compare.py failure.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

# one reader of run files (gbjson.load_run), of their context (report._find) and one list of
# the peers (report.PEERS); harness/ is the script's dir, and report puts harness/peers on the path
from report import PEERS, _find, gbjson

COMPARE_PY = os.environ.get("SPP_COMPARE_PY", "/usr/share/benchmark/compare.py")
BOUND_PREFIXES = ("bound_readonce/", "bound_readwrite/", "bound_dram/")
_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def fail(msg, code=2):
    print(f"gate: {msg}", file=sys.stderr)
    sys.exit(code)


def load(path):
    """A run, plain or compressed (gbjson.load_run), or exit 2 with the reason."""
    try:
        return gbjson.load_run(path)
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    except ValueError as e:
        fail(f"{path}: {e}")


def cpu_model(run):
    v = _find(run.get("context", {}), ("cpu_model", "cpu_model_name", "model_name"))
    return None if v is None else str(v)


def iteration_times(run):
    """name -> real_time of each per-repetition row, in ns."""
    out = {}
    for b in run["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        if "real_time" not in b:
            continue
        out.setdefault(b["name"], []).append(
            float(b["real_time"]) * _UNIT_NS.get(b.get("time_unit", "ns"), 1.0))
    return out


def run_compare(base, new, dump):
    # -a: show the aggregates only (the U test still uses every repetition).
    cmd = [sys.executable, COMPARE_PY, "--no-color", "-a", "-d", dump, "benchmarks", base, new]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(dump):
        sys.stdout.write(r.stdout)
        fail(f"compare.py failed (exit {r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


def evaluate(diff, base_t, new_t, threshold, alpha, only_kernels):
    """Returns (regressions, improvements, untested, bounds, gated_count)."""
    regs, imps, untested, bounds = [], [], [], []
    gated = 0
    for e in diff:
        name = e.get("name", "")
        if e.get("run_type") == "aggregate" or name == "OVERALL_GEOMEAN":
            continue
        if name not in base_t or name not in new_t:
            continue
        mb, mn = statistics.median(base_t[name]), statistics.median(new_t[name])
        change = (mn - mb) / mb if mb > 0 else 0.0
        p = (e.get("utest") or {}).get("time_pvalue")
        if name.startswith(BOUND_PREFIXES):
            bounds.append((name, change, p))
            continue
        if only_kernels and name.split("/")[0] in PEERS:
            continue
        gated += 1
        if p is None:
            untested.append(name)
            continue
        if change > threshold and p < alpha:
            regs.append((name, change, p, mb, mn))
        elif change < -threshold and p < alpha:
            imps.append((name, change, p, mb, mn))
    return regs, imps, untested, bounds, gated


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fail on a significant slowdown vs a baseline.")
    ap.add_argument("baseline")
    ap.add_argument("new")
    ap.add_argument("--threshold", type=float, default=0.10,
                    help="relative slowdown of the median real time that fails (default 0.10)")
    ap.add_argument("--alpha", type=float, default=0.05,
                    help="U-test significance level (default 0.05)")
    ap.add_argument("--force", action="store_true",
                    help="compare even when the runs' CPU models differ")
    ap.add_argument("--only-kernels", action="store_true",
                    help="do not gate on the peers' rows (" + ", ".join(PEERS) + ")")
    a = ap.parse_args(argv)
    if not 0 < a.threshold < 10:
        fail(f"--threshold {a.threshold}: expected a fraction in (0, 10), e.g. 0.10")
    if not 0 < a.alpha < 1:
        fail(f"--alpha {a.alpha}: expected a probability in (0, 1)")
    base, new = load(a.baseline), load(a.new)
    cb, cn = cpu_model(base), cpu_model(new)
    if cb != cn:
        if not a.force:
            fail(f"machine mismatch: baseline {a.baseline} ran on CPU '{cb}', new run "
                 f"{a.new} on '{cn}'; a baseline is only valid on its machine (--force to "
                 f"compare anyway)")
        print(f"gate: WARNING: comparing different CPUs ('{cb}' vs '{cn}') because of --force")
    elif cb is None:
        print("gate: WARNING: neither run records a CPU model; cannot check the machine")
    if not os.path.exists(COMPARE_PY):
        fail(f"{COMPARE_PY} not found (Debian package libbenchmark-tools)")

    with tempfile.TemporaryDirectory(prefix="spp-gate-") as td:
        dump = os.path.join(td, "diff.json")
        # compare.py reads plain JSON only: a compressed run (results/published/*.json.xz) is
        # handed to it as the plain copy of what load() read
        paths = []
        for path, run, tag in ((a.baseline, base, "baseline"), (a.new, new, "new")):
            if gbjson.compressed(path):
                name = os.path.basename(path).rsplit(".", 1)[0]
                path = os.path.join(td, f"{tag}-{name}")
                with open(path, "w") as f:
                    json.dump(run, f)
            paths.append(path)
        table = run_compare(paths[0], paths[1], dump)
        with open(dump) as f:
            diff = json.load(f)
    sys.stdout.write(table)

    base_t, new_t = iteration_times(base), iteration_times(new)
    matched = sorted(set(base_t) & set(new_t))
    only_b = sorted(set(base_t) - set(new_t))
    only_n = sorted(set(new_t) - set(base_t))
    regs, imps, untested, bounds, gated = evaluate(diff, base_t, new_t, a.threshold, a.alpha,
                                                   a.only_kernels)
    reps_b = min((len(v) for v in base_t.values()), default=0)
    reps_n = min((len(v) for v in new_t.values()), default=0)

    print()
    print(f"gate: {len(matched)} benchmark(s) in both runs ({gated} gated, {len(bounds)} bound "
          f"rows not gated), {len(only_b)} only in the baseline, {len(only_n)} only in the new "
          f"run; threshold +{a.threshold:.0%} on the median real time with U-test p < "
          f"{a.alpha:g}")
    if min(reps_b, reps_n) < 9:
        print(f"gate: WARNING: as few as {min(reps_b, reps_n)} repetitions per benchmark; the "
              f"U test needs >= 9 to be meaningful")
    for name in only_b[:10]:
        print(f"gate:   only in baseline: {name}")
    for name in only_n[:10]:
        print(f"gate:   only in new run:  {name}")
    if untested:
        print(f"gate: {len(untested)} benchmark(s) without a U test (fewer than 2 repetitions), "
              f"not gated, e.g. {untested[0]}")
    for name, ch, p in bounds:
        if p is not None and p < a.alpha and abs(ch) > a.threshold:
            print(f"gate: note: machine bound {name} changed {ch:+.1%} (p={p:.4f}): the machine "
                  f"itself may be {'slower' if ch > 0 else 'faster'}")
    for name, ch, p, mb, mn in imps:
        print(f"gate: faster: {name}: {ch:+.1%} (median {mb:.6g} -> {mn:.6g} ns, p={p:.4f})")
    if regs:
        print(f"gate: FAIL: {len(regs)} regression(s):")
        for name, ch, p, mb, mn in regs:
            print(f"gate:   SLOWER {name}: {ch:+.1%} (median {mb:.6g} -> {mn:.6g} ns, "
                  f"p={p:.4f})")
        return 1
    if gated == 0:
        print("gate: WARNING: no benchmark was compared (no matching names)")
    print("gate: PASS: no benchmark slower by more than "
          f"{a.threshold:.0%} with p < {a.alpha:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
