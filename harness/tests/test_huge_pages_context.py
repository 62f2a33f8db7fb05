"""spp-bench and spp-bench-regions say in their context whether their buffers were advised
huge pages (spp_alloc, src/alloc.c), and SPP_HUGE_PAGES=0 turns the advice off; the runners'
children, the Python peers among them, get glibc's huge-page advice with ours."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)  # tiny_regions
sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))  # gbjson
import gbjson  # noqa: E402
from tiny_regions import TINY_SECTION  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"))


def note(cmd, out, off):
    env = {k: v for k, v in os.environ.items() if k != "SPP_HUGE_PAGES"}
    if off:
        env["SPP_HUGE_PAGES"] = "0"
    r = subprocess.run(cmd + [f"--benchmark_out={out}", "--benchmark_out_format=json",
                              "--benchmark_min_time=0.001", "--benchmark_repetitions=1"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())["context"]["spp_huge_pages"]


@pytest.mark.parametrize("off", [False, True])
def test_spp_bench_records_the_advice(tmp_path, off):
    bench = os.path.join(BUILD, "spp-bench")
    if not os.path.exists(bench):
        pytest.skip("spp-bench not built (make bench-build)")
    cmd = [bench, "--problem", "n1c16h6w6_l2.1_max_adaptive_nhwc", "--kernels", "naive",
           "--benchmark_filter=naive"]
    n = note(cmd, tmp_path / "out.json", off)
    assert n.startswith("off (SPP_HUGE_PAGES=0)" if off else "advised:"), n
    assert "THP mode" in n


@pytest.mark.parametrize("off", [False, True])
def test_spp_bench_regions_records_the_advice(tmp_path, off):
    bench = os.path.join(BUILD, "spp-bench-regions")
    if not os.path.exists(bench):
        pytest.skip("spp-bench-regions not built")
    cfg = tmp_path / "regions.ini"
    cfg.write_text(TINY_SECTION + "fill = uniform\n")
    cmd = [bench, f"--config={cfg}", "--threads=1", "--kernels=roi__naive"]
    n = note(cmd, tmp_path / "out.json", off)
    assert n.startswith("off (SPP_HUGE_PAGES=0)" if off else "advised:"), n


@pytest.mark.parametrize("environ, want", [
    ({}, "glibc.malloc.hugetlb=1"),
    ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"},
     "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"),
    ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, "glibc.malloc.hugetlb=0"),  # the user's
    ({"SPP_HUGE_PAGES": "0"}, None),
])
def test_children_get_glibc_huge_pages_with_ours(environ, want):
    assert gbjson.child_env(environ).get("GLIBC_TUNABLES") == want


def test_torch_peer_records_its_tunables(tmp_path):
    pytest.importorskip("torch")
    pts = tmp_path / "points.txt"
    pts.write_text("n1c16h6w6_l2.1_max_adaptive_nhwc 1 fwd\n")
    out = tmp_path / "out.json"
    env = gbjson.child_env({k: v for k, v in os.environ.items()
                           if k not in ("SPP_HUGE_PAGES", "GLIBC_TUNABLES")})
    r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "peers", "torch_peer.py"),
                        "--points", str(pts), "--repetitions", "1", "--min-time", "0.001",
                        "--out", str(out)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["context"]["glibc_tunables"] == "glibc.malloc.hugetlb=1"
