"""The read+write bound: its rows in spp-bench's names, its columns in the report, its exclusion
from the gate, and its streaming thresholds kept equal to the kernels'."""
import csv
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
ROOT = os.path.dirname(HARNESS)
sys.path.insert(0, HARNESS)
sys.path.insert(0, HERE)

import gate  # noqa: E402
import report  # noqa: E402
import synth_run  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"))
P = "n2c8h13w13_l6.3.2.1_max_adaptive_nchw"     # 10816 input bytes
A = "n2c8h13w13_l6.3.2.1_avg_adaptive_nhwc"


def rows(name, times):
    return synth_run.bench_rows(name, times, 10816)


def rw_run():
    b = []
    b += rows(f"naive/{P}/t1", [1000] * 5)
    b += rows(f"nchw__fast/{P}/t1", [100, 90, 110, 105, 95])         # median 100
    b += rows(f"nchw__fast/{P}/t1/bwd", [400] * 5)
    b += rows(f"nchw__fast/{P}/t1/fwdbwd", [500] * 5)
    b += rows(f"bound_readonce/{P}/t1", [50] * 5)
    b += rows(f"bound_readwrite/{P}/t1", [80, 79, 81, 80, 80])       # median 80
    b += rows(f"bound_readwrite/{P}/t1/infer", [60] * 5)
    b += rows(f"bound_readwrite/{P}/t1/bwd", [100] * 5)
    return {"context": {"cpu_model": "Test CPU", "num_cpus": 2}, "benchmarks": b}


def test_parse_names():
    assert report.parse_name(f"bound_readwrite/{P}/t2") == ("rw", P, 2, "fwd")
    assert report.parse_name(f"bound_readwrite/{P}/t2/infer/real_time") == ("rw", P, 2, "infer")
    assert report.parse_name(f"bound_readwrite/{P}/t1/bwd") == ("rw", P, 1, "bwd")
    assert report.parse_name(f"bound_readwrite/{P}/t1/fwdbwd") is None


def test_report_columns(tmp_path):
    a = report.analyse(rw_run())
    r = {(x["kernel"], x["direction"]): x for x in a["rows"]}
    assert all(x["kernel"] in ("naive", "nchw__fast") for x in a["rows"])   # bounds: no rows
    fwd = r[("nchw__fast", "fwd")]
    assert fwd["pct_bound"] == pytest.approx(50.0) and fwd["pct_bound_rw"] == pytest.approx(80.0)
    assert fwd["bound_rw_ns"] == pytest.approx(80.0)
    assert r[("nchw__fast", "bwd")]["pct_bound_rw"] == pytest.approx(25.0)   # /bwd: 100 / 400
    assert r[("nchw__fast", "bwd")]["pct_bound"] is None
    assert r[("nchw__fast", "fwdbwd")]["pct_bound_rw"] is None
    run = tmp_path / "run.json"
    run.write_text(json.dumps(rw_run()))
    out = tmp_path / "out"
    assert report.main([str(run), "--out", str(out), "--no-plots"]) == 0
    md = (out / "tables.md").read_text()
    assert "| % bound | % bound (r/w) |" in md
    assert "| **50%** | **80%** |" in md and "| **-** | **25%** |" in md
    tex = (out / "tables.tex").read_text()
    assert "\\% bound (r/w)" in tex and "{lrrrrrr}" in tex
    with open(out / "summary.csv") as f:
        got = {(x["kernel"], x["direction"]): x for x in csv.DictReader(f)}
    assert float(got[("nchw__fast", "fwd")]["pct_bound_rw"]) == pytest.approx(80.0)
    assert float(got[("nchw__fast", "fwd")]["bound_rw_ns"]) == pytest.approx(80.0)
    assert got[("nchw__fast", "fwdbwd")]["pct_bound_rw"] == ""


def test_bound_plot_data_has_rw_column():
    run = synth_run.make_run([synth_run.problem(16, 256, hw, hw, (6, 3, 2, 1))
                              for hw in (8, 13, 24)], reps=3, noise=0, threads=(1,),
                             readwrite=True)
    a = report.analyse(run)
    dat, why = report.dat_bound(a)
    assert why is None
    assert '" size_bytes pct_bound pct_bound_rw' in dat
    line = next(ln for ln in dat.splitlines() if ln.startswith('"nchw__binmajor" 1048576 '))
    pct, pct_rw = map(float, line.split()[2:4])
    r = next(x for x in a["rows"] if x["kernel"] == "nchw__binmajor" and x["in_bytes"] == 1048576)
    assert pct == pytest.approx(r["pct_bound"]) and pct_rw == pytest.approx(r["pct_bound_rw"])
    assert 0 < pct_rw < 100


def test_gate_does_not_gate_readwrite_bounds():
    names = [f"bound_readwrite/{P}/t1", f"bound_readwrite/{P}/t1/infer",
             f"bound_readwrite/{P}/t1/bwd", f"nchw__fast/{P}/t1"]
    base = {n: [100.0] * 9 for n in names}
    new = {n: [150.0] * 9 for n in names}
    diff = [{"name": n, "run_type": "iteration", "utest": {"time_pvalue": 0.0001}}
            for n in names]
    regs, imps, untested, bounds, gated = gate.evaluate(diff, base, new, 0.10, 0.05, False)
    assert [r[0] for r in regs] == [f"nchw__fast/{P}/t1"] and gated == 1
    assert sorted(b[0] for b in bounds) == sorted(names[:3])


def test_gate_uses_the_reports_peers():
    assert gate.PEERS is report.PEERS


def _define(path, name):
    text = open(os.path.join(ROOT, path)).read()
    m = re.search(r"#define " + name + r" \(\(?(?:int64_t\)|)?\(?(\d+)u? << (\d+)\)", text)
    assert m, f"{name} not found in {path}"
    return int(m[1]) << int(m[2])


def test_stream_thresholds_match_the_kernels():
    src = open(os.path.join(HARNESS, "bench.cc")).read()
    m = re.search(r"kBwdStreamNchw = \(size_t\)(\d+) << (\d+), kBwdStreamNhwc = \(size_t\)(\d+)"
                  r" << (\d+);", src)
    assert m
    assert int(m[1]) << int(m[2]) == _define("kernels/nchw_common.h", "NCHW_STREAM_BYTES")
    assert int(m[3]) << int(m[4]) == _define("kernels/nhwc_fused_plan.c", "FZ_NT_BYTES")


def test_spp_bench_lists_readwrite_rows():
    bench = os.path.join(BUILD, "spp-bench")
    if not os.access(bench, os.X_OK):
        pytest.skip("spp-bench not built (make bench-build)")
    r = subprocess.run([bench, "--problem", P, "--problem", A, "--threads", "1,2",
                        "--direction", "fwd,bwd", "--kernels", "naive", "--list"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    names = set(r.stdout.split())
    for t in (1, 2):
        for form in ("", "/infer", "/bwd"):
            assert f"bound_readwrite/{P}/t{t}{form}" in names
        assert f"bound_readwrite/{A}/t{t}" in names and f"bound_readwrite/{A}/t{t}/bwd" in names
        assert f"bound_readwrite/{A}/t{t}/infer" not in names     # avg writes no argmax anyway
    r = subprocess.run([bench, "--problem", P, "--kernels", "naive", "--list"],
                       capture_output=True, text=True, timeout=60)
    names = set(r.stdout.split())
    assert f"bound_readwrite/{P}/t1" in names and f"bound_readwrite/{P}/t1/bwd" not in names
