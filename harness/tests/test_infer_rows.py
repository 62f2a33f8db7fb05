"""Inference rows ({kernel}/{problem}/t{T}/infer: the max forward with argmax NULL): their names
in spp-bench's --list, their tables, summary.csv rows and plot-data columns in the report."""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
ROOT = os.path.dirname(HARNESS)
sys.path.insert(0, HARNESS)
sys.path.insert(0, HERE)

import report  # noqa: E402
import synth_run  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"))
P = "n2c8h13w13_l6.3.2.1_max_adaptive_nchw"     # 10816 input bytes
A = "n2c8h13w13_l6.3.2.1_avg_adaptive_nchw"


def rows(name, times):
    return synth_run.bench_rows(name, times, 10816)


def infer_run():
    b = []
    b += rows(f"naive/{P}/t1", [1000] * 5)
    b += rows(f"naive/{P}/t1/infer", [800] * 5)
    b += rows(f"nchw__fast/{P}/t1", [100] * 5)
    b += rows(f"nchw__fast/{P}/t1/infer", [40, 39, 41, 40, 40])        # median 40
    b += rows(f"nchw__fast/{P}/t2/infer", [25] * 5)
    b += rows(f"torch_nchw/{P}/t1", [400] * 5)
    b += rows(f"bound_readonce/{P}/t1", [20] * 5)
    b += rows(f"bound_readwrite/{P}/t1", [50] * 5)
    b += rows(f"bound_readwrite/{P}/t1/infer", [30] * 5)
    return {"context": {"cpu_model": "Test CPU", "num_cpus": 2}, "benchmarks": b}


def test_parse_infer_name():
    assert report.parse_name(f"nchw__fast/{P}/t1/infer/real_time") == (
        "kernel", "nchw__fast", P, 1, "infer")


def test_infer_tables_and_csv(tmp_path):
    a = report.analyse(infer_run())
    r = {(x["kernel"], x["threads"], x["direction"]): x for x in a["rows"]}
    inf = r[("nchw__fast", 1, "infer")]
    assert inf["speedup_naive"] == pytest.approx(20.0)            # naive's inference row: 800/40
    assert inf["pct_bound"] == pytest.approx(50.0)                # read-once 20 / 40
    assert inf["pct_bound_rw"] == pytest.approx(75.0)             # y-only r/w bound 30 / 40
    assert inf["speedup_best_peer"] is None                       # no peer inference rows
    assert r[("nchw__fast", 1, "fwd")]["pct_bound_rw"] == pytest.approx(50.0)
    assert r[("nchw__fast", 2, "infer")]["speedup_naive"] == pytest.approx(32.0)
    assert r[("nchw__fast", 2, "infer")]["naive_threads"] == 1
    run = tmp_path / "run.json"
    run.write_text(json.dumps(infer_run()))
    out = tmp_path / "out"
    assert report.main([str(run), "--out", str(out), "--no-plots"]) == 0
    md = (out / "tables.md").read_text()
    assert f"### {P}, 1 thread, inference forward (no argmax)" in md
    assert md.index(f"{P}, 1 thread, forward\n") < md.index("inference forward (no argmax)")
    assert ("| **nchw__fast** | **40 ns (±0.0%)** | **20.0x** | **-** | **270.40** | **50%** | "
            "**75%** |") in md
    with open(out / "summary.csv") as f:
        got = [x for x in csv.DictReader(f) if x["direction"] == "infer"]
    assert {(x["kernel"], x["threads"]) for x in got} == {("naive", "1"), ("nchw__fast", "1"),
                                                          ("nchw__fast", "2")}


def test_plot_data_infer_columns(tmp_path):
    pts = [synth_run.problem(16, 256, hw, hw, (6, 3, 2, 1)) for hw in (8, 13, 24)]
    run = synth_run.make_run(pts, reps=3, noise=0, threads=(1,), readwrite=True, infer=True)
    a = report.analyse(run)
    fwd = {(x["kernel"], x["problem"]): x for x in a["rows"] if x["direction"] == "fwd"}
    inf = {(x["kernel"], x["problem"]): x for x in a["rows"] if x["direction"] == "infer"}
    key = ("nchw__binmajor", pts[0])
    assert inf[key]["median"] == pytest.approx(0.8 * fwd[key]["median"])
    dat, _ = report.dat_time_vs_size(a)
    assert "size_bytes time_s time_s_infer" in dat
    line = next(ln for ln in dat.splitlines() if ln.startswith('"nchw__binmajor" 1048576 '))
    assert float(line.split()[3]) == pytest.approx(inf[key]["median"] * 1e-9)
    dat, _ = report.dat_bound(a)
    assert "pct_bound pct_bound_rw pct_bound_infer pct_bound_rw_infer" in dat
    line = next(ln for ln in dat.splitlines() if ln.startswith('"nchw__binmajor" 1048576 '))
    assert float(line.split()[5]) == pytest.approx(inf[key]["pct_bound_rw"])
    dat, _ = report.dat_speedup(a)
    assert "row speedup speedup_infer" in dat
    if shutil.which("gnuplot"):   # the scripts still read their columns by name
        out = tmp_path / "plots"
        out.mkdir()
        report.render_plots(a, str(out), log=lambda *_: None)
        for name in ("time_vs_size", "speedup", "bound"):
            assert (out / f"{name}.png").exists(), name


def test_spp_bench_lists_infer_rows():
    bench = os.path.join(BUILD, "spp-bench")
    if not os.access(bench, os.X_OK):
        pytest.skip("spp-bench not built (make bench-build)")
    r = subprocess.run([bench, "--problem", P, "--problem", A, "--threads", "1,2",
                        "--direction", "fwd,bwd,fwdbwd", "--list"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    names = r.stdout.split()
    kernels = {n.split("/")[0] for n in names if n.split("/")[1] in (P, A)
               and not n.startswith("bound_")}
    assert "naive" in kernels
    infer = [n for n in names if n.endswith("/infer") and not n.startswith("bound_")]
    # every kernel row of a max forward point has its /infer twin, and only those
    fwd_max = [n for n in names if not n.startswith("bound_") and n.split("/")[1] == P
               and len(n.split("/")) == 3]
    assert sorted(infer) == sorted(n + "/infer" for n in fwd_max) and infer
    assert not any(A in n for n in infer)
    # the rows of the point are listed once by --list-problems (peers have no /infer rows)
    r = subprocess.run([bench, "--problem", P, "--list-problems"], capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.split("\n")[0] == f"{P} 1 fwd"
