"""Repetitions spread over a call, not back to back: spp-bench and spp-bench-regions turn on
Google Benchmark's random interleaving unless told otherwise (and say which in the context);
the Python peers run their repetitions round-robin over the call's points."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(ROOT, "harness", "peers")
sys.path.insert(0, PEERS)
sys.path.insert(0, HERE)  # tiny_regions

import peer_timing  # noqa: E402
from tiny_regions import TINY_SECTION  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"))
PROBLEM = "n1c16h6w6_l2.1_max_adaptive_nhwc"


class FakeClock:
    """A clock advancing 1 ms per step call; records (event, point) in order."""

    def __init__(self):
        self.ns, self.log = 0, []

    def perf_counter(self):
        return self.ns / 1e9

    def perf_counter_ns(self):
        return self.ns

    def process_time_ns(self):
        return self.ns

    def step(self, k):
        def run():
            self.ns += 1_000_000
            self.log.append(("step", k))
        return run

    def prepare(self, k):
        return lambda: self.log.append(("prepare", k))


def test_round_robin_calibrates_every_point_then_alternates(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(peer_timing, "time", clock)
    points = [(clock.prepare(k), clock.step(k)) for k in range(3)]
    out = peer_timing.round_robin(points, reps=2, min_time=0.0095)
    # 1 ms per call: batches of 1, then 10 (10 ms >= min_time): 11 calibration calls a point
    assert [iters for iters, _, _ in out] == [10, 10, 10]
    assert all(real == [1e6, 1e6] and cpu == [1e6, 1e6] for _, real, cpu in out)
    batches = []
    for ev, k in clock.log:
        if ev == "prepare":
            batches.append([k, 0])
        else:
            assert batches and batches[-1][0] == k, "a step ran without its point's prepare"
            batches[-1][1] += 1
    # calibration of each point first, then repetition r of every point before r + 1 of any
    assert [k for k, _ in batches] == [0, 1, 2, 0, 1, 2, 0, 1, 2]
    assert [n for _, n in batches] == [11, 11, 11] + [10] * 6


def test_calibrate_reaches_min_time(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(peer_timing, "time", clock)
    iters = peer_timing.calibrate(clock.step(0), 0.5)
    assert iters * 1e-3 >= 0.5
    assert iters * 1e-3 < 0.5 * 10  # grows at most 10x a round


def context_of(cmd, out, env=None):
    r = subprocess.run(cmd + [f"--benchmark_out={out}", "--benchmark_out_format=json"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())["context"]["spp_random_interleaving"]


@pytest.mark.parametrize("how, on", [
    ([], True),
    (["--benchmark_enable_random_interleaving=false"], False),
    (["--benchmark_enable_random_interleaving=true"], True),
    ("env-false", False),
])
def test_spp_bench_interleaves_unless_told(tmp_path, how, on):
    bench = os.path.join(BUILD, "spp-bench")
    if not os.path.exists(bench):
        pytest.skip("spp-bench not built (make bench-build)")
    env = dict(os.environ)
    if how == "env-false":
        env["BENCHMARK_ENABLE_RANDOM_INTERLEAVING"] = "false"
        how = []
    else:
        env.pop("BENCHMARK_ENABLE_RANDOM_INTERLEAVING", None)
    cmd = [bench, "--problem", PROBLEM, "--kernels", "naive", "--benchmark_repetitions=2",
           "--benchmark_min_time=0.001", "--benchmark_filter=naive"] + how
    note = context_of(cmd, tmp_path / "out.json", env)
    assert note.startswith("on:" if on else "off:"), note


def test_spp_bench_regions_interleaves_by_default(tmp_path):
    bench = os.path.join(BUILD, "spp-bench-regions")
    if not os.path.exists(bench):
        pytest.skip("spp-bench-regions not built")
    cfg = tmp_path / "regions.ini"
    cfg.write_text(TINY_SECTION + "fill = uniform\n")
    env = {k: v for k, v in os.environ.items() if k != "BENCHMARK_ENABLE_RANDOM_INTERLEAVING"}
    cmd = [bench, f"--config={cfg}", "--threads=1", "--kernels=roi__naive",
           "--benchmark_min_time=0.001", "--benchmark_repetitions=2"]
    assert context_of(cmd, tmp_path / "out.json", env).startswith("on:")


def test_torch_peer_times_every_point(tmp_path):
    pytest.importorskip("torch")
    pts = tmp_path / "points.txt"
    pts.write_text(f"{PROBLEM} 1 fwd\n{PROBLEM} 2 fwd\n")
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, os.path.join(PEERS, "torch_peer.py"), "--points",
                        str(pts), "--repetitions", "2", "--min-time", "0.005", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    run = json.loads(out.read_text())
    assert run["context"]["repetition_order"].startswith("round-robin")
    reps = {}
    for b in run["benchmarks"]:
        if b["run_type"] == "iteration":
            reps.setdefault(b["name"], []).append(b["repetition_index"])
    # a max fwd point is timed in its training form and its inference twin (/infer)
    assert reps == {f"{k}/{PROBLEM}/t{t}{form}": [0, 1]
                    for k in ("torch_nchw", "torch_cl") for t in (1, 2) for form in ("", "/infer")}
