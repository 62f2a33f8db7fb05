"""harness/run_bench.py, problem by problem: every spp-bench row is timed exactly once, each peer
times a problem right after spp-bench timed it, and the merged JSON holds every row once.

The children are faked (Child.run is replaced): a fake spp-bench answers --list-problems, --list
and timing runs from a fixed row list, applying --benchmark_filter as Google Benchmark does
(the last one given wins, matched with POSIX extended regex semantics, which Python's re
implements for the patterns used here); fake peers write one row per point they were given.
The order of the calls is recorded."""
import json
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import run_bench  # noqa: E402

SMALL = "n1c8h4w4_l2.1_max_adaptive_nchw"
BIG = "n4c64h32w32_l2.1_max_sppnet_nhwc"
MID = "n2c1.5h8w8_l2.1_max_adaptive_nhwc"  # a '.' in a name must not act as a wildcard
NAMES = ["bound_dram/1048576/t1", "bound_dram/1048576/t2"] + [
    f"{k}/{p}/t{t}" + d for p in (SMALL, BIG, MID) for k in ("bound_readonce", "naive", "fast")
    for t in (1, 2) for d in ("", "/bwd") if not (k == "bound_readonce" and d)]
POINTS = [f"{p} {t} {d}\n" for p in (SMALL, BIG, MID) for t in (1, 2) for d in ("fwd", "bwd")]


def selected(argv):
    flt = [a.split("=", 1)[1] for a in argv if a.startswith("--benchmark_filter=")]
    return [n for n in NAMES if not flt or re.search(flt[-1], n)]


class Fake:
    def __init__(self, tmp):
        self.calls = []
        self.tmp = tmp

    def run(self, cmd, stdout=None):
        if cmd[0].endswith("spp-bench"):
            names = selected(cmd)
            if "--list-problems" in cmd:
                probs = {n.split("/")[1] for n in names if not n.startswith("bound_dram")}
                stdout.write("".join(p for p in POINTS if p.split()[0] in probs))
                return 0
            if "--list" in cmd:
                stdout.write("\n".join(names) + "\n")
                return 0
            out = [a.split("=", 1)[1] for a in cmd if a.startswith("--benchmark_out=")][0]
            self.calls.append(("bench", names))
            rows = [{"name": n, "run_name": n, "run_type": "iteration", "real_time": 1.0,
                     "time_unit": "ns"} for n in names]
            with open(out, "w") as f:
                ctx = {"spp_min_time": "0.01", "date": f"call {len(self.calls)}"}
                ctx.update({f"bound/{n}": "measured" for n in names if "/t1" in n})
                json.dump({"context": ctx, "benchmarks": rows}, f)
            return 0
        who = "torch" if any("torch_peer" in c for c in cmd) else "onednn"
        pts = cmd[cmd.index("--points") + 1]
        out = cmd[cmd.index("--out") + 1]
        with open(pts) as f:
            probs = [line.split()[0] for line in f if line.strip()]
        self.calls.append((who, sorted(set(probs))))
        rows = [{"name": f"{who}/{p}/t1", "run_name": f"{who}/{p}/t1", "run_type": "iteration",
                 "real_time": 2.0, "time_unit": "ns"} for p in sorted(set(probs))]
        with open(out, "w") as f:
            json.dump({"context": {}, "benchmarks": rows}, f)
        return 0


@pytest.fixture
def fake(tmp_path, monkeypatch):
    build = tmp_path / "b"
    build.mkdir()
    for exe in ("spp-bench", "spp-peer-onednn"):
        p = build / exe
        p.write_text("#!/bin/sh\nexit 9\n")  # never run: Child.run is faked
        p.chmod(0o755)
    f = Fake(tmp_path)
    monkeypatch.setattr(run_bench.Child, "run", staticmethod(f.run))
    monkeypatch.setattr(run_bench, "ROOT", str(tmp_path))
    peers = tmp_path / "harness" / "peers"
    peers.mkdir(parents=True)
    (peers / "torch_peer.py").write_text("")
    return f, str(build)


def main(fake_build, tmp_path, *extra):
    out = tmp_path / "run.json"
    argv = ["run_bench.py", "--build", fake_build, "--out", str(out), "--no-report", *extra,
            "--", "--problem", SMALL]
    old = sys.argv
    sys.argv = argv
    try:
        rc = run_bench.main()
    finally:
        sys.argv = old
    with open(out) as f:
        return rc, json.load(f)


def test_interleaved_by_problem(fake, tmp_path):
    f, build = fake
    rc, run = main(build, tmp_path)
    assert rc == 0
    order = [c[0] for c in f.calls]
    assert order == ["bench", "torch", "onednn"] * 3, order
    timed = [n for c in f.calls if c[0] == "bench" for n in c[1]]
    assert sorted(timed) == sorted(NAMES), "every row timed exactly once"
    for i in range(3):
        bench, torch, onednn = f.calls[3 * i: 3 * i + 3]
        probs = {n.split("/")[1] for n in bench[1] if not n.startswith("bound_dram")}
        assert len(probs) == 1, f"one problem per spp-bench call, got {probs}"
        assert torch[1] == onednn[1] == sorted(probs), "peers time the problem just timed"
    dram = [c for c in f.calls if c[0] == "bench" and any("bound_dram" in n for n in c[1])]
    assert len(dram) == 1 and any(f"/{BIG}/" in n for n in dram[0][1]), \
        "the DRAM rows run once, with the largest problem"
    names = [r["name"] for r in run["benchmarks"]]
    assert len(names) == len(set(names)) == len(NAMES) + 6
    ctx = run["context"]
    assert all(f"bound/{n}" in ctx for n in NAMES if "/t1" in n), \
        "every call's context keys (the bounds it measured) are kept"
    assert ctx["date"] == "call 1", "the run's date is the first call's"
    assert "interleaved by problem" in run["context"]["peers"]
    assert "torch: 3 rows" in run["context"]["peers"]


def test_no_interleave_is_one_bench_call(fake, tmp_path):
    f, build = fake
    rc, run = main(build, tmp_path, "--no-interleave")
    assert rc == 0
    assert [c[0] for c in f.calls] == ["bench", "torch", "onednn"]
    assert sorted(f.calls[0][1]) == sorted(NAMES)
    assert f.calls[1][1] == sorted({SMALL, BIG, MID})
    assert "interleaved" not in run["context"]["peers"]


def test_no_peers_is_one_bench_call(fake, tmp_path):
    f, build = fake
    rc, run = main(build, tmp_path, "--no-peers")
    assert rc == 0
    assert [c[0] for c in f.calls] == ["bench"]
    assert len(run["benchmarks"]) == len(NAMES)


def test_exact_filter_matches_only_its_names():
    pat = run_bench.exact_filter([f"naive/{MID}/t1", "bound_dram/1048576/t1"])
    assert re.search(pat, f"naive/{MID}/t1")
    assert not re.search(pat, f"naive/{MID}/t1/bwd"), "anchored at the end"
    assert not re.search(pat, f"xnaive/{MID}/t1"), "anchored at the start"
    assert not re.search(pat, f"naive/{MID.replace('1.5', '1x5')}/t1"), "'.' is literal"
