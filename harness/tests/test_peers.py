"""The peers' JSON format and argument handling (fast: no torch import, tiny oneDNN points)."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(ROOT, "harness", "peers")
sys.path.insert(0, PEERS)

import gbjson  # noqa: E402

ONEDNN = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"), "spp-peer-onednn")


def test_gbjson_rows_match_google_benchmark():
    r = gbjson.rows("torch_cl/p/t1", 10, [100.0, 300.0, 200.0], [90.0, 80.0, 70.0], 1000.0, "x")
    it = [x for x in r if x["run_type"] == "iteration"]
    agg = {x["aggregate_name"]: x for x in r if x["run_type"] == "aggregate"}
    assert [x["repetition_index"] for x in it] == [0, 1, 2]
    assert all(x["name"] == x["run_name"] == "torch_cl/p/t1" for x in it)
    assert it[0]["in_bytes"] == pytest.approx(1000.0 / 100e-9)        # bytes per second
    assert agg["median"]["name"] == "torch_cl/p/t1_median"
    assert agg["median"]["real_time"] == 200.0 and agg["mean"]["real_time"] == 200.0
    assert agg["stddev"]["real_time"] == pytest.approx(100.0)          # sample stddev, as GB
    assert agg["cv"]["real_time"] == pytest.approx(0.5)
    assert agg["cv"]["aggregate_unit"] == "percentage"
    assert agg["median"]["cpu_time"] == 80.0


def run_torch_peer(tmp_path, points_text, *extra):
    pts = tmp_path / "points.txt"
    pts.write_text(points_text)
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, os.path.join(PEERS, "torch_peer.py"), "--points", str(pts),
                        "--repetitions", "3", "--out", str(out), *extra],
                       capture_output=True, text=True)
    return r, out


@pytest.mark.parametrize("line,what", [
    ("n1c2h3w3_l2_max_adaptive_nchw 1\n", "expected '<problem> <threads>"),
    ("n1c2h3w3_l2_max_adaptive_nchw 0 fwd\n", "threads=0"),
    ("n1c2h3w3_l2_max_adaptive_nchw 1 sideways\n", "direction=sideways"),
    ("n1c2h3w3_l2_max_adaptive_ncwh 1 fwd\n", "problem string"),
    ("n1c2h2w2_l3_max_sppnet_nchw 1 fwd\n", "sppnet"),
])
def test_torch_peer_rejects_bad_points(tmp_path, line, what):
    r, out = run_torch_peer(tmp_path, "# a comment\n\n" + line)
    assert r.returncode == 2, r.stderr
    assert what in r.stderr and "line 3" in r.stderr
    assert not out.exists()


def test_torch_peer_rejects_bad_repetitions(tmp_path):
    r, out = run_torch_peer(tmp_path, "", "--repetitions", "0")
    assert r.returncode == 2 and "--repetitions 0" in r.stderr and not out.exists()


@pytest.mark.skipif(not os.path.exists(ONEDNN), reason="spp-peer-onednn not built (make peers)")
def test_onednn_peer_rows(tmp_path):
    pts = tmp_path / "points.txt"
    pts.write_text("n2c8h10w10_l3.1_max_sppnet_nhwc 1 fwd\n"
                   "n2c8h7w5_l2.1_avg_sppnet_nchw 1 bwd\n"
                   "n2c8h10w10_l3.1_max_adaptive_nchw 1 fwd\n"
                   "n2c8h10w10_l3.1_max_sppnet_nhwc 2 fwdbwd\n")
    out = tmp_path / "out.json"
    r = subprocess.run([ONEDNN, "--points", str(pts), "--repetitions", "3", "--out", str(out),
                        "--min-time", "0.005"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "skip n2c8h10w10_l3.1_max_adaptive_nchw" in r.stderr
    run = json.loads(out.read_text())
    it = [b for b in run["benchmarks"] if b["run_type"] == "iteration"]
    assert sorted({b["name"] for b in it}) == [
        "onednn/n2c8h10w10_l3.1_max_sppnet_nhwc/t1",
        "onednn/n2c8h10w10_l3.1_max_sppnet_nhwc/t1/infer",     # the max fwd point's twin
        "onednn/n2c8h10w10_l3.1_max_sppnet_nhwc/t2/fwdbwd",
        "onednn/n2c8h7w5_l2.1_avg_sppnet_nchw/t1/bwd"]
    assert len(it) == 12 and all(b["real_time"] > 0 and b["time_unit"] == "ns" for b in it)
    assert sorted(b["repetition_index"] for b in it) == [0] * 4 + [1] * 4 + [2] * 4
    assert r.stderr.count("skip n2c8h10w10_l3.1_max_adaptive_nchw") == 1   # not its twin again
    assert run["context"]["onednn_version"].startswith("2.")
    assert run["context"]["peer"] == "onednn"
    assert "infer=jit" in run["context"]["onednn_impls"]
    assert run["context"]["repetition_order"].startswith("round-robin")
    assert {b["aggregate_name"] for b in run["benchmarks"] if b["run_type"] == "aggregate"} \
        == {"mean", "median", "stddev", "cv"}


@pytest.mark.skipif(not os.path.exists(ONEDNN), reason="spp-peer-onednn not built (make peers)")
def test_onednn_peer_bad_points_writes_nothing(tmp_path):
    pts = tmp_path / "points.txt"
    pts.write_text("n2c8h10w10_l3.1_max_sppnet_nhwc 1 fwd\nnonsense 1 fwd\n")
    out = tmp_path / "out.json"
    r = subprocess.run([ONEDNN, "--points", str(pts), "--repetitions", "3", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "line 2" in r.stderr and not out.exists()
