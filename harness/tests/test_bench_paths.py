"""spp-bench --path: rows KERNEL@PATH/... that time a kernel with one of its paths forced
(spp_op_force_path), beside the kernel's own row; rows whose passes the path does not serve are
not added, a path the kernel lacks or that is not valid for the problem is a visible skip with
the reason, and bad arguments exit 2 naming --path."""
import json
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, os.environ.get("SPP_BUILD", "build"))
BENCH = os.path.join(BUILD, "spp-bench")
MAX = "n2c24h9w7_l3.2.1_max_adaptive_nhwc"
AVG = "n2c24h9w7_l3.2.1_avg_adaptive_nhwc"
K = "nhwc__fused_avx2"  # AVX2: runnable on every machine the suite supports


@pytest.fixture(autouse=True)
def built():
    if not os.access(BENCH, os.X_OK):
        pytest.skip("spp-bench not built (make bench-build)")


def bench(*args, timeout=120):
    return subprocess.run([BENCH, *args], capture_output=True, text=True, timeout=timeout)


def listed(*args):
    r = bench(*args, "--list")
    assert r.returncode == 0, r.stderr
    return [n for n in r.stdout.split() if not n.startswith("bound_")], r.stderr


def test_rows_per_path_and_direction():
    names, err = listed("--problem", MAX, "--kernels", K, "--path", "two-phase,bwd-scatter",
                        "--direction", "fwd,bwd", "--threads", "1,2")
    for t in (1, 2):
        assert f"{K}/{MAX}/t{t}" in names
        assert f"{K}@two-phase/{MAX}/t{t}" in names
        assert f"{K}@two-phase/{MAX}/t{t}/infer" in names
        assert f"{K}@bwd-scatter/{MAX}/t{t}/bwd" in names
        # a forward path has no backward row and a backward path no forward rows
        assert f"{K}@two-phase/{MAX}/t{t}/bwd" not in names
        assert f"{K}@bwd-scatter/{MAX}/t{t}" not in names
        assert f"{K}@bwd-scatter/{MAX}/t{t}/infer" not in names
    assert "--path: 6 forced-path rows not added" in err
    assert not any(n.startswith("auto/") for n in names)  # --kernels without auto


@pytest.mark.parametrize("args,needle", [
    (["--problem", MAX, "--kernels", K, "--path", "no-such-path"],
     "--path 'no-such-path': no kernel of --kernels has this path (nhwc__fused_avx2: scalar,"),
    (["--problem", MAX, "--path", "rows"], "--path 'rows': expected --kernels"),
    (["--problem", MAX, "--kernels", "auto", "--path", "rows"], "--path 'rows': expected --kernels"),
    (["--problem", MAX, "--kernels", K, "--path", "rows,,two-phase"],
     "--path 'rows,,two-phase': expected path names separated by ','"),
    (["--config", os.path.join(ROOT, "configs", "quick.ini"), "--path", "rows"],
     "--kernels, --threads and --path apply to --problem only"),
])
def test_bad_arguments(args, needle):
    r = bench(*args, "--list")
    assert r.returncode == 2
    assert needle in r.stderr, r.stderr
    assert r.stdout == ""


def test_forced_rows_run_the_path(tmp_path):
    out = tmp_path / "run.json"
    r = bench("--problem", MAX, "--problem", AVG, "--kernels", f"{K},naive",
              "--path", "two-phase,rows,blocks-2d", "--benchmark_min_time=0.001",
              "--benchmark_repetitions=1", "--benchmark_out_format=json",
              f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    rows = {b["name"]: b for b in json.loads(out.read_text())["benchmarks"]}
    for prob in (MAX, AVG):
        for path in ("two-phase", "rows"):
            row = rows[f"{K}@{path}/{prob}/t1"]
            assert not row.get("error_occurred"), row
            assert row["label"] == f"path: fwd={path}"
        # naive has none of these paths: a visible skip, not an error
        skip = rows[f"naive@rows/{prob}/t1"]
        assert skip["error_occurred"] and skip["error_message"] == (
            "skipped: kernel naive has no path 'rows'")
    # blocks-2d pools max only: forced on an avg problem the library refuses it, with its reason
    skip = rows[f"{K}@blocks-2d/{AVG}/t1"]
    assert skip["error_occurred"]
    assert skip["error_message"].startswith("skipped: path=blocks-2d: not valid")
    assert not rows[f"{K}@blocks-2d/{MAX}/t1"].get("error_occurred")
