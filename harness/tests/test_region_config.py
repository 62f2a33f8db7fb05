"""The region benchmark's workload file (configs/regions.ini): both readers, the C++ harness and
the torchvision peer, take the same keys and reject a bad `fill` the same way (no torch import)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))
sys.path.insert(0, HERE)  # tiny_regions

import torchvision_roi_peer as TV  # noqa: E402
from tiny_regions import TINY_SECTION as SECTION  # noqa: E402

BENCH = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"), "spp-bench-regions")


def write(tmp_path, text):
    p = tmp_path / "regions.ini"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("fill, what", [("bogus", "fill=bogus: expected uniform or relu"),
                                        (None, "key fill missing")])
def test_bench_rejects_bad_fill(tmp_path, fill, what):
    cfg = write(tmp_path, SECTION + (f"fill = {fill}\n" if fill else ""))
    r = subprocess.run([BENCH, f"--config={cfg}", "--benchmark_list_tests=true"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert what in r.stderr


def test_bench_runs_a_relu_workload(tmp_path):
    # the harness checks every kernel's y (and argmax) bitwise against roi__naive's before
    # timing; a mismatch turns that kernel's rows into errors
    cfg = write(tmp_path, SECTION + "fill = relu\n")
    out = tmp_path / "out.json"
    r = subprocess.run([BENCH, f"--config={cfg}", "--threads=1", "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}", "--benchmark_out_format=json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())["benchmarks"]
    names = {b["name"] for b in rows}
    assert any(n.startswith("roi__naive/tiny/t1") for n in names)
    assert any(n.endswith("/tiny/t1/y_only") for n in names)
    bad = [(b["name"], b.get("error_message")) for b in rows if b.get("error_occurred")
           and "needs avx2" not in b.get("error_message", "")]
    assert not bad


def test_peer_reads_fill_and_rejects_a_bad_one(tmp_path):
    wl = TV.read_config(write(tmp_path, SECTION + "fill = relu\n"))[0]
    assert wl["fill"] == "relu"
    with pytest.raises(SystemExit, match="fill=bogus: expected uniform or relu"):
        TV.read_config(write(tmp_path, SECTION + "fill = bogus\n"))


def test_peer_relu_map_is_clamped_at_plus_zero():
    wl = dict(c=16, h=9, w=11, fill="relu")
    x = TV.make_map(np.random.default_rng(3), wl)
    assert x.dtype == np.float32 and x.shape == (1, 16, 9, 11)
    assert (x >= 0).all() and not np.signbit(x).any()
    assert 0.3 < (x == 0).mean() < 0.7
    u = TV.make_map(np.random.default_rng(3), dict(wl, fill="uniform"))
    assert (u < 0).any() and np.array_equal(x, np.maximum(u, 0))
