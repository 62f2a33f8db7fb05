"""harness/run_regions.py, workload by workload: the torchvision peer times each workload right
after spp-bench-regions timed it, and the merged run holds every call's rows and context.

subprocess.run is faked: a fake spp-bench-regions lists two workloads and writes one row per
kernel and thread count of the workload it is given; a fake peer writes its row and the boxes
hash it saw. The calls are recorded in order."""
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import run_regions  # noqa: E402

WORKLOADS = ["det-b", "det-a"]  # not sorted: the bench's own order must be kept


def arg(cmd, key):
    for a in cmd:
        if a.startswith(key + "="):
            return a.split("=", 1)[1]
    return cmd[cmd.index(key) + 1] if key in cmd else None


def row(name, ms):
    return {"name": name + "/real_time", "run_name": name + "/real_time",
            "run_type": "iteration", "real_time": ms, "cpu_time": ms, "time_unit": "ms"}


class Fake:
    def __init__(self):
        self.calls, self.peer_envs = [], []
        self.openvino = False   # whether the peers' interpreter "has" the openvino package

    def run(self, cmd, check=False, cwd=None, stdout=None, text=None, env=None, **kw):
        class R:
            returncode, stdout = 0, ""
        r = R()
        if cmd[0] == "git":   # the tree's commit: HEAD, and a clean status
            r.stdout = "0123456789abcdef\n" if "rev-parse" in cmd else ""
            return r
        if "-c" in cmd:       # gbjson.module_present asking whether a package is installed
            r.returncode = 0 if self.openvino and "'openvino'" in cmd[-1] else 1
            return r
        if "--benchmark_list_tests=true" in cmd:
            r.stdout = "".join(f"{k}/{w}/t1/real_time\n" for w in WORKLOADS
                               for k in ("bound_readonce", "nhwc_roi__avx2"))
            return r
        w = arg(cmd, "--workloads")
        if cmd[0].endswith("spp-bench-regions"):
            self.calls.append(("bench", w))
            rows = [row(f"{k}/{w}/t1", 2.0) for k in ("bound_readonce", "nhwc_roi__avx2")]
            if self.openvino:   # inference rows, which the OpenVINO column sits beside
                rows.append(row(f"nhwc_roi__avx2/{w}/t1/y_only", 1.0))
            ctx = {"date": f"call {len(self.calls)}", f"boxes_hash/{w}": "0x1"}
            with open(arg(cmd, "--benchmark_out"), "w") as f:
                json.dump({"context": ctx, "benchmarks": rows}, f)
        elif cmd[1].endswith("openvino_roi_peer.py"):
            self.calls.append(("openvino", w))
            with open(arg(cmd, "--out"), "w") as f:
                json.dump({"context": {f"boxes_hash/{w}": "0x1",
                                       f"openvino_verify/{w}/t1": "values equal the oracle"},
                           "benchmarks": [row(f"openvino_roi/{w}/t1", 8.0)]}, f)
        else:
            self.calls.append(("peer", w))
            self.peer_envs.append(env)
            with open(arg(cmd, "--out"), "w") as f:
                json.dump({"context": {f"boxes_hash/{w}": "0x1"},
                           "benchmarks": [row(f"torchvision_roi/{w}/t1", 20.0)]}, f)
        return r


@pytest.fixture
def fake(tmp_path, monkeypatch):
    build = tmp_path / "b"
    build.mkdir()
    (build / "spp-bench-regions").write_text("")
    f = Fake()
    monkeypatch.setattr(run_regions.subprocess, "run", f.run)
    monkeypatch.setenv("SPP_BUILD", str(build))
    return f


def main(tmp_path, *extra):
    out, md = tmp_path / "run.json", tmp_path / "t.md"
    old = sys.argv
    sys.argv = ["run_regions.py", "--out", str(out), "--md", str(md), *extra]
    try:
        run_regions.main()
    finally:
        sys.argv = old
    with open(out) as f:
        return json.load(f), md.read_text()


def test_workload_by_workload(fake, tmp_path, monkeypatch):
    monkeypatch.delenv("SPP_HUGE_PAGES", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    run, md = main(tmp_path)
    # the peer's tensors are advised huge pages as our buffers are
    assert [e["GLIBC_TUNABLES"] for e in fake.peer_envs] == ["glibc.malloc.hugetlb=1"] * 2
    assert fake.calls == [("bench", "det-b"), ("peer", "det-b"), ("bench", "det-a"),
                          ("peer", "det-a")]
    names = sorted(r["name"] for r in run["benchmarks"])
    assert names == sorted(f"{k}/{w}/t1/real_time" for w in WORKLOADS
                           for k in ("bound_readonce", "nhwc_roi__avx2", "torchvision_roi"))
    ctx = run["context"]
    assert ctx["date"] == "call 1"
    # the machine and the code, which Google Benchmark's context does not name
    assert ctx["git_commit"] == "0123456789abcdef" and ctx["cpu_model"]
    assert all(f"boxes_hash/{w}" in ctx and f"peer/boxes_hash/{w}" in ctx for w in WORKLOADS)
    assert "det-a" in md and "det-b" in md and "10.0x" in md, md


def test_no_peer(fake, tmp_path):
    run, _ = main(tmp_path, "--no-peer")
    assert fake.calls == [("bench", "det-b"), ("bench", "det-a")]
    assert not any(r["name"].startswith("torchvision") for r in run["benchmarks"])


def test_openvino_peer_when_installed(fake, tmp_path):
    fake.openvino = True
    run, md = main(tmp_path)
    # each workload: the kernels, then every peer, seconds apart
    assert fake.calls == [("bench", "det-b"), ("peer", "det-b"), ("openvino", "det-b"),
                          ("bench", "det-a"), ("peer", "det-a"), ("openvino", "det-a")]
    assert sum(r["name"].startswith("openvino_roi/") for r in run["benchmarks"]) == 2
    ctx = run["context"]
    assert ctx["openvino_verify/det-a/t1"] == "values equal the oracle"
    assert ctx["peer/openvino_roi/boxes_hash/det-a"] == "0x1"
    # the inference table: OpenVINO's 8 ms against the best kernel's 1 ms without argmax
    inf = md.split("inference (max without argmax, y only)", 1)[1]
    assert "OpenVINO ROIPooling" in inf and "| 8.00 |" in inf and "| 8.0x |" in inf, inf
    assert "openvino_roi" not in md.split("## t1", 1)[1].split("\n")[2]   # not a kernel column


def test_openvino_peer_missing_is_a_warning(fake, tmp_path, capsys):
    run, _ = main(tmp_path)
    assert ("openvino", "det-a") not in fake.calls
    assert "openvino not installed" in capsys.readouterr().err
