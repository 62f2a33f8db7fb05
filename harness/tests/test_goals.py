"""harness/goals.py: each goal's verdict and evidence on hand-made runs with exact medians."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
sys.path.insert(0, HARNESS)
sys.path.insert(0, HERE)

import goals  # noqa: E402  (puts harness/peers on the path)
import gbjson  # noqa: E402
import synth_run  # noqa: E402

P = "n2c8h13w13_l6.3.2.1_max_adaptive_nchw"        # 10,816 input bytes
BIG = "n64c256h13w13_l6.3.2.1_max_adaptive_nhwc"   # zf5-224/N64 NHWC, 11,075,584 bytes


def rows(name, median, nbytes=10816):
    return synth_run.bench_rows(name, [median] * 5, nbytes)


def whole_map_run(rw=50.0, peer_infer=200.0, t2_big=600.0):
    b = []
    b += rows(f"naive/{P}/t1", 1000)
    b += rows(f"nchw__fast/{P}/t1", 100)
    b += rows(f"nchw__fast/{P}/t1/infer", 40)
    b += rows(f"torch_nchw/{P}/t1", 400)
    b += rows(f"torch_nchw/{P}/t1/infer", peer_infer)
    b += rows(f"bound_readonce/{P}/t1", 20)
    b += rows(f"bound_readwrite/{P}/t1", rw)
    b += rows(f"bound_readwrite/{P}/t1/infer", 30)
    nb = 11075584
    b += rows(f"nhwc__fast/{BIG}/t1", 1000, nb)
    b += rows(f"nhwc__fast/{BIG}/t2", t2_big, nb)
    b += rows(f"bound_readonce/{BIG}/t1", 900, nb)
    b += rows(f"bound_readonce/{BIG}/t2", 500, nb)
    return {"context": {"date": "2026-12-05T10:00:00+00:00", "cpu_model": "synthetic"},
            "benchmarks": b}


def verdicts(run):
    return {g: (ok, text) for g, ok, text in goals.goals(run)}


def test_whole_map_goals_met_with_their_worst_point():
    v = verdicts(whole_map_run(t2_big=500.0))
    # BIG has no read+write bound: only P counts for the bound goals
    assert v["train-rw"] == (True, "1 point(s); worst 2.00x bound at " + P + " t1 (`nchw__fast`) "
                                   "(goal 2.00x bound)")
    assert v["infer-rw"] == (True, "1 point(s); worst 1.33x bound at " + P + " t1 (`nchw__fast`) "
                                   "(goal 1.50x bound)")
    assert v["peers"] == (True, "2 point(s); worst 4.00x at " + P + " t1 fwd (`nchw__fast` vs "
                                "torch_nchw) (goal 1.50x the fastest peer; 0 point(s) below it)")
    assert v["scaling"] == (True, "1 point(s); worst 2.00x at zf5-224/N64 nhwc (11 MB, `nhwc__fast`) "
                                  "(goal 1.80x t1's speed)")


@pytest.mark.parametrize("rw, met", [(50.0, True), (49.0, False)])
def test_train_rw_threshold_is_two(rw, met):
    v = verdicts(whole_map_run(rw=rw))["train-rw"]
    assert v[0] is met, v


def test_peer_goal_names_the_point_below_target():
    v = verdicts(whole_map_run(peer_infer=50.0))["peers"]   # torch 50 vs kernel 40: 1.25x
    assert v[0] is False
    assert f"worst 1.25x at {P} t1 infer (`nchw__fast` vs torch_nchw)" in v[1]
    assert "1 point(s) below it" in v[1]


def test_scaling_goal_below_target():
    v = verdicts(whole_map_run(t2_big=600.0))["scaling"]
    assert v[0] is False and "worst 1.67x" in v[1]


def region_run(nchw=11.0, ov=60.0):
    b = []
    for t in ("t1", "t2"):
        b += rows(f"roi__naive/det-688/{t}/y_only", 500)
        b += rows(f"nhwc_roi__omp_avx2/det-688/{t}/y_only", 10)
        b += rows(f"nchw_roi__nhwc_omp_avx2/det-688/{t}/y_only", nchw)
        b += rows(f"bound_write/det-688/{t}/y_only", 1)
        b += rows(f"openvino_roi/det-688/{t}", ov)
    for r in b:
        r["time_unit"] = "ms"
    return {"context": {"region_config": "configs/regions.ini"}, "benchmarks": b}


def test_region_goals():
    v = verdicts(region_run())
    assert v["roi-openvino"] == (True, "worst 6.0x OpenVINO at det-688 t1 "
                                       "(`nhwc_roi__omp_avx2` 10.00 ms vs 60.00 ms) (goal 5.0x)")
    assert v["roi-nchw"][0] is True and "1.10x NHWC" in v["roi-nchw"][1]
    v = verdicts(region_run(nchw=13.0, ov=45.0))
    assert v["roi-openvino"][0] is False and v["roi-nchw"][0] is False


def test_region_run_without_openvino_is_not_measured():
    run = region_run()
    run["benchmarks"] = [r for r in run["benchmarks"] if "openvino" not in r["name"]]
    assert verdicts(run)["roi-openvino"][0] is None


def test_cli_prints_one_line_per_goal(tmp_path):
    p = tmp_path / "run.json"
    gbjson.write_atomic(str(p), whole_map_run())
    r = subprocess.run([sys.executable, os.path.join(HARNESS, "goals.py"), str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = [line.split(":")[0] for line in r.stdout.splitlines() if line.startswith("goal ")]
    assert got == ["goal train-rw", "goal infer-rw", "goal peers", "goal scaling", "goal auto"]
    bad = subprocess.run([sys.executable, os.path.join(HARNESS, "goals.py"),
                          str(tmp_path / "missing.json")], capture_output=True, text=True)
    assert bad.returncode == 2 and "missing.json" in bad.stderr


@pytest.mark.parametrize("auto_time, met", [(110.0, True), (111.0, False)])
def test_auto_goal_within_ten_percent_of_the_fastest_kernel(auto_time, met):
    run = whole_map_run()
    run["benchmarks"] += rows(f"auto/{P}/t1", auto_time)
    for r in run["benchmarks"]:
        if r["name"].startswith("auto/"):
            r["label"] = "auto: nchw__fast"
    v = verdicts(run)["auto"]
    assert v[0] is met, v
    assert "auto chose nchw__fast, fastest `nchw__fast`" in v[1]
    # auto is not a kernel of its own: the other goals still see nchw__fast as the best
    assert verdicts(run)["train-rw"][0] is True


def test_auto_misses_of_the_same_code_are_counted_and_the_noise_reported():
    # auto ran nchw__fast's own path, 20 % slower than nchw__fast's row: a miss, and the
    # run's only same-code pair, so the noise spread is exactly 1.20x
    run = whole_map_run()
    run["benchmarks"] += rows(f"auto/{P}/t1", 120.0)
    for r in run["benchmarks"]:
        if r["name"].startswith("auto/"):
            r["label"] = "auto: nchw__fast fwd=rows"
        elif r["name"].startswith("nchw__fast/"):
            r["label"] = "path: fwd=rows"
    v = verdicts(run)["auto"]
    assert v[0] is False
    assert v[1].endswith("; 1 point(s) above 1.10x, 1 of them where auto ran the fastest "
                         "row's own kernel and path")
    rws = goals.labelled_rows(run)
    assert goals.noise(rws) == (1, 1.2, 1.2, 1.2)
    assert "noise: auto against" in "\n".join(goals.lines(run))
    # another path of the same kernel is not the same code
    for r in run["benchmarks"]:
        if r["name"].startswith("auto/"):
            r["label"] = "auto: nchw__fast fwd=small-cells"
    assert verdicts(run)["auto"][1].endswith(", 0 of them where auto ran the fastest row's "
                                             "own kernel and path")
    assert goals.noise(goals.labelled_rows(run)) is None
