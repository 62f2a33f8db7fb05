"""harness/gate.py: compare.py's U test + the threshold on synthetic 9-repetition runs."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GATE = os.path.join(os.path.dirname(HERE), "gate.py")
sys.path.insert(0, HERE)

import synth_run  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/share/benchmark/compare.py"),
                                reason="compare.py (libbenchmark-tools) not installed")

POINTS = [synth_run.problem(4, 64, h, h, (6, 3, 2, 1), layout=lay) for h in (13, 32)
          for lay in ("nchw", "nhwc")]


def write(tmp_path, name, **kw):
    p = tmp_path / name
    p.write_text(json.dumps(synth_run.make_run(POINTS, reps=9, **kw)))
    return str(p)


def gate(*args):
    return subprocess.run([sys.executable, GATE, *args], capture_output=True, text=True)


def test_unchanged_run_passes(tmp_path):
    base = write(tmp_path, "base.json", seed=1)
    # same model, fresh 3% noise; one problem fewer: only matching names are compared
    new = tmp_path / "new.json"
    new.write_text(json.dumps(synth_run.make_run(POINTS[:-1], reps=9, seed=2)))
    r = gate(base, str(new), "--threshold", "0.10")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "gate: PASS" in r.stdout
    assert "U Test" in r.stdout                      # compare.py's table is printed
    # the dropped nhwc point had bound t1/t2, naive, chlast, torch_nchw/cl t1/t2 = 8 rows
    assert " 8 only in the baseline, 0 only in the new run" in r.stdout


def test_injected_slowdown_is_caught(tmp_path):
    base = write(tmp_path, "base.json", seed=1)
    new = write(tmp_path, "new.json", seed=2, slow={"nhwc__chlast": 1.3})
    r = gate(base, new, "--threshold", "0.10")
    assert r.returncode == 1, r.stdout + r.stderr
    slower = [ln for ln in r.stdout.splitlines() if "SLOWER" in ln]
    # exactly the slowed kernel's rows (2 nhwc problems, t1 only: it is single-threaded)
    assert len(slower) == 2 and all("nhwc__chlast/" in ln for ln in slower)
    assert "gate: FAIL: 2 regression(s)" in r.stdout


def entry(name, p):
    """One benchmark of compare.py's -d dump (only the fields the gate reads)."""
    return {"name": name, "run_type": "iteration", "measurements": [],
            "utest": {} if p is None else {"time_pvalue": p, "cpu_pvalue": p}}


def test_threshold_and_pvalue_rules():
    sys.path.insert(0, os.path.dirname(GATE))
    import gate as g
    base = {"a": [100.0] * 9, "b": [100.0] * 9, "c": [100.0] * 9, "d": [100.0] * 9,
            "e": [100.0] * 9, "bound_readonce/x/t1": [10.0] * 9, "torch_cl/x/t1": [10.0] * 9,
            "only_base": [1.0] * 9}
    new = {"a": [105.0] * 9,            # +5%: below the threshold
           "b": [130.0] * 9,            # +30%, significant: regression
           "c": [130.0] * 9,            # +30%, not significant
           "d": [70.0] * 9,             # -30%, significant: improvement
           "e": [130.0] * 9,            # no U test (too few repetitions)
           "bound_readonce/x/t1": [20.0] * 9, "torch_cl/x/t1": [20.0] * 9, "only_new": [1.0]}
    diff = [entry("a", 0.0001), entry("b", 0.0001), entry("c", 0.2), entry("d", 0.0001),
            entry("e", None), entry("bound_readonce/x/t1", 0.0001),
            entry("torch_cl/x/t1", 0.0001), entry("only_base", 0.5),
            {"name": "b_median", "run_type": "aggregate", "measurements": [], "utest": {}},
            {"name": "OVERALL_GEOMEAN", "run_type": "aggregate", "measurements": [],
             "utest": {}}]
    regs, imps, untested, bounds, gated = g.evaluate(diff, base, new, 0.10, 0.05, False)
    assert [r[0] for r in regs] == ["b", "torch_cl/x/t1"]
    assert regs[0][1] == pytest.approx(0.30)
    assert [r[0] for r in imps] == ["d"] and untested == ["e"]
    assert [b[0] for b in bounds] == ["bound_readonce/x/t1"]       # reported, never gated
    assert gated == 6                                               # a b c d e torch_cl
    regs, _, _, _, gated = g.evaluate(diff, base, new, 0.10, 0.05, True)
    assert [r[0] for r in regs] == ["b"] and gated == 5             # --only-kernels


def test_machine_mismatch_refused_unless_forced(tmp_path):
    base = write(tmp_path, "base.json", seed=1)
    new = write(tmp_path, "new.json", seed=2, cpu_model="Some Other CPU")
    r = gate(base, new)
    assert r.returncode == 2 and "machine mismatch" in r.stderr
    r = gate(base, new, "--force")
    assert r.returncode == 0 and "WARNING: comparing different CPUs" in r.stdout


def test_bad_arguments(tmp_path):
    base = write(tmp_path, "base.json", seed=1)
    assert gate(base, str(tmp_path / "missing.json")).returncode == 2
    assert gate(base, base, "--threshold", "-1").returncode == 2
