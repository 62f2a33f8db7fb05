"""spp-bench and spp-bench-regions say in their context whether their buffers were advised
huge pages (spp_alloc, src/alloc.c), and SPP_HUGE_PAGES=0 turns the advice off."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)  # tiny_regions
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
