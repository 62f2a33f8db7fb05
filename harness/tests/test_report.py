"""harness/report.py on synthetic Google Benchmark runs whose medians are known exactly."""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
sys.path.insert(0, HARNESS)
sys.path.insert(0, HERE)

import report  # noqa: E402
import synth_run  # noqa: E402

P = "n2c8h13w13_l6.3.2.1_max_adaptive_nchw"     # 2*8*13*13*4 = 10816 input bytes
P_BYTES = 10816


def rows(name, times, bogus_median=None):
    r = synth_run.bench_rows(name, times, P_BYTES)
    if bogus_median is not None:   # aggregates must not be used when repetitions exist
        for x in r:
            if x.get("aggregate_name") == "median":
                x["real_time"] = bogus_median
    return r


def exact_run(suffix=""):
    b = []
    b += rows(f"naive/{P}/t1{suffix}", [1000, 1100, 900, 1050, 950], bogus_median=1.0)
    b += rows(f"nchw__fast/{P}/t1{suffix}", [100, 90, 110, 105, 95])      # median 100
    b += rows(f"torch_nchw/{P}/t1{suffix}", [400, 410, 390, 400, 405])    # median 400
    b += rows(f"torch_cl/{P}/t1{suffix}", [250, 240, 260, 255, 245])      # median 250
    b += rows(f"bound_readonce/{P}/t1{suffix}", [50, 49, 51, 50, 50])     # median 50
    b += rows(f"nchw__fast/{P}/t2{suffix}", [60, 61, 59, 60, 62])         # median 60
    b += rows(f"torch_cl/{P}/t2{suffix}", [150, 150, 151, 149, 152])      # median 150
    b += rows(f"nchw__fast/{P}/t1/bwd{suffix}", [300, 310, 290, 300, 305])
    b += rows(f"naive/{P}/t1/bwd{suffix}", [3000, 3000, 3000, 3000, 3000])
    b += rows(f"bound_dram/1048576/t1{suffix}", [100000] * 5)             # 10.49 GB/s
    b.append({"name": f"nhwc__avx512/{P}/t1", "run_name": f"nhwc__avx512/{P}/t1",
              "run_type": "iteration", "repetitions": 5, "repetition_index": 0, "threads": 1,
              "iterations": 0, "real_time": 0, "cpu_time": 0, "time_unit": "ns",
              "error_occurred": True, "error_message": "skipped: this CPU lacks avx512"})
    ctx = {"cpu_model": "Test CPU 9000", "num_cpus": 2, "spp_cc": "gcc (Debian 12.2.0-14) 12.2.0",
           "host_name": "testhost", "date": "2026-01-01T00:00:00+00:00"}
    return {"context": ctx, "benchmarks": b}


def by_key(a):
    return {(r["kernel"], r["threads"], r["direction"]): r for r in a["rows"]}


@pytest.mark.parametrize("suffix", ["", "/real_time"])
def test_speedup_math(suffix):
    a = report.analyse(exact_run(suffix))
    r = by_key(a)
    fast = r[("nchw__fast", 1, "fwd")]
    assert fast["median"] == 100
    assert fast["speedup_naive"] == pytest.approx(10.0)          # 1000 / 100
    assert fast["best_peer"] == "torch_cl"
    assert fast["speedup_best_peer"] == pytest.approx(2.5)       # 250 / 100
    assert fast["gbps"] == pytest.approx(108.16)                 # 10816 B / 100 ns
    assert fast["pct_bound"] == pytest.approx(50.0)              # 50 / 100
    assert fast["fastest"] and not r[("naive", 1, "fwd")]["fastest"]
    # IQR of [90, 95, 100, 105, 110] (inclusive quartiles 95 and 105) = 10% of the median
    assert fast["iqr_pct"] == pytest.approx(10.0)
    naive = r[("naive", 1, "fwd")]
    assert naive["speedup_naive"] == pytest.approx(1.0)
    assert naive["speedup_best_peer"] == pytest.approx(0.25)
    peer = r[("torch_nchw", 1, "fwd")]
    assert peer["is_peer"] and peer["speedup_best_peer"] == pytest.approx(250 / 400)
    # t2: no naive row there, so naive's t1 median is used and said so
    t2 = r[("nchw__fast", 2, "fwd")]
    assert t2["speedup_naive"] == pytest.approx(1000 / 60) and t2["naive_threads"] == 1
    assert t2["speedup_best_peer"] == pytest.approx(150 / 60)
    assert t2["pct_bound"] is None                               # no bound row at t2
    bwd = r[("nchw__fast", 1, "bwd")]
    assert bwd["speedup_naive"] == pytest.approx(10.0) and bwd["pct_bound"] is None
    assert bwd["best_peer"] == "" and bwd["speedup_best_peer"] is None
    assert [e[0] for e in a["errors"]] == [f"nhwc__avx512/{P}/t1"]


def test_files_and_atomic_replace(tmp_path):
    out = tmp_path / "latest"
    out.mkdir()
    (out / "stale.png").write_text("from an earlier run")
    run = tmp_path / "run.json"
    run.write_text(json.dumps(exact_run()))
    assert report.main([str(run), "--out", str(out), "--no-plots"]) == 0
    assert not (out / "stale.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".latest")]
    md = (out / "tables.md").read_text()
    assert "Test CPU 9000" in md and "gcc (Debian 12.2.0-14) 12.2.0" in md
    assert ("| **nchw__fast** | **100 ns (±5.0%)** | **10.0x** | **2.50x** | **108.16** | "
            "**50%** |") in md
    assert "| *torch_cl* | 250 ns" in md
    assert "DRAM streaming read (1 thread, 1 MiB buffer): 10.49 GB/s" in md
    assert "x naive uses naive at t1" in md
    assert "nhwc__avx512" in md and "lacks avx512" in md
    # SPP-net output dimensions, computed: C * sum n^2
    assert "| zf5-224 | 1/64 | 256 | 13x13 | {6,3,2,1} | 50 | 12,800 | 12,800 |" in md
    assert "| fast-rcnn | 1 | 512 | 38x50 | {7} | 49 | 25,088 |" in md
    assert "| zf5-3lvl | 64 | 256 | 13x13 | {3,2,1} | 14 | 3,584 |" in md
    tex = (out / "tables.tex").read_text()
    assert tex.count("\\begin{table}") == tex.count("\\end{table}") >= 4
    assert "\\toprule" in tex and "\\bottomrule" in tex and "nchw\\_\\_fast" in tex
    assert "Test CPU 9000" in tex
    with open(out / "summary.csv") as f:
        rows_ = list(csv.DictReader(f))
    fast = [r for r in rows_ if r["kernel"] == "nchw__fast" and r["threads"] == "1"
            and r["direction"] == "fwd"]
    assert len(fast) == 1
    assert float(fast[0]["median_ns"]) == 100.0
    assert float(fast[0]["speedup_naive"]) == pytest.approx(10.0)
    assert float(fast[0]["speedup_best_peer"]) == pytest.approx(2.5)
    assert float(fast[0]["pct_bound"]) == pytest.approx(50.0)
    assert len(rows_) == 8          # every kernel x point that has repetitions


def test_bad_input_writes_nothing(tmp_path):
    run = tmp_path / "run.json"
    run.write_text("{not json")
    out = tmp_path / "latest"
    assert report.main([str(run), "--out", str(out)]) == 2
    assert not out.exists()


def test_workload_names():
    assert report.workload_name(report.parse_problem("n64c256h13w13_l6.3.2.1_max_adaptive_nhwc")) \
        == "zf5-224/N64"
    assert report.workload_name(report.parse_problem("n1c256h43w57_l6.3.2.1_avg_sppnet_nchw")) \
        == "det-688"
    assert report.workload_name(report.parse_problem("n1c256h75w100_l6.3.2.1_max_adaptive_nchw")) \
        == "det-multi"
    assert report.workload_name(report.parse_problem("n3c256h13w13_l6.3.2.1_max_adaptive_nchw")) \
        is None


@pytest.mark.skipif(shutil.which("gnuplot") is None, reason="gnuplot not installed")
def test_plots_rendered_and_skipped(tmp_path):
    pts = [synth_run.problem(2, 16, h, h, (4, 2, 1), layout=lay) for h in (8, 16, 32)
           for lay in ("nchw", "nhwc")]
    run = tmp_path / "run.json"
    run.write_text(json.dumps(synth_run.make_run(pts, reps=3, threads=(1,))))
    out = tmp_path / "latest"
    r = subprocess.run([sys.executable, os.path.join(HARNESS, "report.py"), str(run), "--out",
                        str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in ("time_vs_size", "speedup", "bound"):
        for ext in ("png", "pdf", "dat"):
            assert (out / f"{name}.{ext}").stat().st_size > 0, name
    # one thread count only: the scaling plot is skipped with a message, not drawn
    assert not (out / "scaling.png").exists()
    assert "skip plot scaling" in r.stderr
    assert (out / "time_vs_size.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "bound.pdf").read_bytes()[:5] == b"%PDF-"
    assert "![speedup](speedup.png)" in (out / "tables.md").read_text()


def _blocks(text):
    """Plot data text -> (meta dict, [(series name, [(x, y)])]) of the block format."""
    meta, blocks = {}, []
    for line in text.splitlines():
        if line.startswith("# ") and ": " in line:
            k, v = line[2:].split(": ", 1)
            meta.setdefault(k, v)
        elif line.startswith('"'):
            name, rest = line[1:].split('"', 1)
            f = rest.split()
            if f[0].startswith(("size_bytes", "row")):
                blocks.append((name, []))
            else:
                blocks[-1][1].append((float(f[0]), float(f[1])))
    return meta, blocks


def test_plot_series_one_layout_each():
    # two families: max/adaptive/6.3.2.1 (3 sizes) must win over max/sppnet/4.2.1 (4 sizes)
    pts = [synth_run.problem(1, 16, h, h, (6, 3, 2, 1), layout=lay) for h in (8, 16, 32)
           for lay in ("nchw", "nhwc")]
    pts += [synth_run.problem(1, 16, h, h, (4, 2, 1), bins="sppnet", layout=lay)
            for h in (8, 12, 16, 32) for lay in ("nchw", "nhwc")]
    a = report.analyse(synth_run.make_run(pts, reps=3, threads=(1, 2), noise=0.0))
    for fn in (report.dat_bound, report.dat_time_vs_size):
        text, why = fn(a)
        assert text is not None, why
        meta, blocks = _blocks(text)
        assert "max, adaptive bins, levels 6.3.2.1" in meta["title"]
        assert meta["panels"] == "2"
        styles = meta["styles"].split()
        for p, lay in ((1, "nchw"), (2, "nhwc")):
            ids = [int(i) for i in meta[f"blocks{p}"].split()]
            assert len({styles[i] for i in ids}) == len(ids)      # distinct within a panel
            names = [blocks[i][0] for i in ids]
            other = "nhwc" if lay == "nchw" else "nchw"
            assert not any(n.startswith(other) for n in names), names
            assert "torch_nchw" not in names or lay == "nchw"
            assert "torch_cl" not in names or lay == "nhwc"
            for i in ids:
                xs = [x for x, _ in blocks[i][1]]
                assert xs == sorted(xs) and len(set(xs)) == len(xs) == 3, blocks[i]
    text, _ = report.dat_speedup(a)
    meta, blocks = _blocks(text)
    assert "max pooling, adaptive bins" in meta["title"] and meta["rows"] == "3"
    assert "naive" not in [b[0] for b in blocks]
    text, _ = report.dat_scaling(a)
    # peers on their own layout only; onednn (run on both layouts) gets one bar per layout
    assert '"torch_nchw" ' in text and '"torch_cl" ' in text and "torch_cl (" not in text
    assert '"onednn (nchw)" ' in text and '"onednn (nhwc)" ' in text
