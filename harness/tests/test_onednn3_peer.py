"""spp-peer-onednn3: the oneDNN peer's source built against PyPI's oneDNN 3.x
(onednn-devel-cpu-gomp, installed into .venv by `scripts/setup.sh bench`; mk/peers.mk). Tiny
points, as harness/run_bench.py calls it. Skipped, with the reason shown, when the binary was not
built (the package is absent: `make test` does not install it)."""
import json
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"))
ONEDNN3 = os.path.join(BUILD, "spp-peer-onednn3")

pytestmark = pytest.mark.skipif(
    not os.path.exists(ONEDNN3),
    reason="spp-peer-onednn3 not built (needs .venv's onednn-devel-cpu-gomp: scripts/setup.sh "
           "bench, then make peers)")


def run_peer(tmp_path, text, *extra):
    pts = tmp_path / "points.txt"
    pts.write_text(text)
    out = tmp_path / "out.json"
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}   # the rpath suffices
    r = subprocess.run([ONEDNN3, "--points", str(pts), "--repetitions", "2", "--out", str(out),
                        "--min-time", "0.002", *extra], capture_output=True, text=True, env=env)
    return r, out


def test_onednn3_rows_version_and_implementations(tmp_path):
    r, out = run_peer(tmp_path, "n2c8h10w10_l3.1_max_sppnet_nhwc 1 fwd\n"
                                "n2c8h7w5_l2.1_avg_sppnet_nchw 1 bwd\n"
                                "n1c4h9w9_l3.2.1_max_sppnet_nchw 1 fwdbwd\n"
                                "n2c8h10w10_l3.1_max_adaptive_nchw 1 fwd\n")
    assert r.returncode == 0, r.stderr
    assert "spp-peer-onednn3: skip n2c8h10w10_l3.1_max_adaptive_nchw" in r.stderr
    assert r.stderr.count("checked vs naive") == 4
    run = json.loads(out.read_text())
    it = [b for b in run["benchmarks"] if b["run_type"] == "iteration"]
    assert sorted({b["name"] for b in it}) == [
        "onednn3/n1c4h9w9_l3.2.1_max_sppnet_nchw/t1/fwdbwd",
        "onednn3/n2c8h10w10_l3.1_max_sppnet_nhwc/t1",
        "onednn3/n2c8h10w10_l3.1_max_sppnet_nhwc/t1/infer",
        "onednn3/n2c8h7w5_l2.1_avg_sppnet_nchw/t1/bwd"]
    assert len(it) == 8 and all(b["real_time"] > 0 and b["time_unit"] == "ns" for b in it)
    ctx = run["context"]
    assert ctx["peer"] == "onednn3" and ctx["executable"] == "spp-peer-onednn3"
    assert ctx["onednn_version"].startswith("3."), ctx["onednn_version"]   # not Debian's 2.x
    assert ctx["onednn_cpu_runtime"] == "omp"
    impls = ctx["onednn_impls"].split(", ")
    for what in ("fwd", "infer", "bwd", "reorder_concat", "reorder_split", "sum"):
        assert any(i.startswith(what + "=") for i in impls), (what, impls)
    # every row's label names the pooling implementation of each level
    assert all(b["label"].startswith("l") and ":" in b["label"] for b in it)


def test_onednn3_bad_points_writes_nothing(tmp_path):
    r, out = run_peer(tmp_path, "n2c8h10w10_l3.1_max_sppnet_nhwc 1 fwd\nnonsense 1 fwd\n")
    assert r.returncode == 2 and "spp-peer-onednn3:" in r.stderr and "line 2" in r.stderr
    assert not out.exists()
