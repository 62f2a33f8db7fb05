"""The C driver's honesty (tests/spp_check.c, docs/testing.md#the-c-driver): a case whose
reference is mostly zeros must FAIL, not pass with a warning; the references (naive, roi__naive)
are never checked against themselves nor counted; every region kernel of kernels/regions.inc
gets case lines.

`--plant-zero-reference` makes every fill all zeros, so every reference is all zeros: each case
must then fail with "reference not informative". The same problems without the flag must pass,
so the failure is the rule's doing and not a broken build. Needs $SPP_BUILD/spp-check
(SPP_BUILD defaults to "build"; `make test` builds it); a missing binary is a failure.
"""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SPP_BUILD", "build")
CHECK = os.path.join(ROOT, BUILD, "spp-check")
# one small map in both layouts and both pools: whole-map and region kernels of every layout
PROBLEM = "n1c5h7w7_l4.2.1_*_adaptive_*"
CASE = re.compile(r"^(PASS|FAIL) (\S+) (\S+)/t(\d+) ")


def run(*flags):
    assert os.path.exists(CHECK), f"{CHECK} is missing: run `make {BUILD}/spp-check` first"
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    r = subprocess.run([CHECK, "--problem", PROBLEM, "--threads", "1,2", *flags], cwd=ROOT,
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    cases = [CASE.match(line).groups() for line in r.stdout.splitlines() if CASE.match(line)]
    return r, cases


def region_kernels():
    with open(os.path.join(ROOT, "kernels", "regions.inc")) as f:
        names = re.findall(r"^SPP_REGION_KERNEL\((\w+)\)", f.read(), re.M)
    assert names[0] == "roi__naive"
    return names[1:]


def test_planted_zero_reference_fails_every_case():
    r, cases = run("--plant-zero-reference")
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    assert cases, r.stdout
    assert {verdict for verdict, *_ in cases} == {"FAIL"}, r.stdout
    assert any("_roi__" in k for _, k, _, _ in cases), "no region case ran"
    assert any("_roi__" not in k for _, k, _, _ in cases), "no whole-map case ran"
    # every failure is the honesty rule's, and the repro line repeats the flag
    fails = r.stdout.split("\nFAIL ")[1:]
    assert len(fails) == len(cases)
    for block in fails:
        assert "reference not informative: 100.0% of the" in block, block
        assert "--plant-zero-reference" in block, block
    summary = re.search(r"^(\d+) passed, (\d+) failed, \d+ skipped$", r.stdout, re.M)
    assert summary and summary.groups() == ("0", str(len(cases))), r.stdout[-500:]


def test_same_cases_pass_without_the_planted_reference():
    planted, bad = run("--plant-zero-reference")
    r, cases = run()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert {verdict for verdict, *_ in cases} == {"PASS"}
    assert sorted(c[1:] for c in cases) == sorted(c[1:] for c in bad)


def test_every_region_kernel_has_cases_and_references_are_not_cases():
    r, cases = run()
    seen = {k for _, k, _, _ in cases}
    for k in region_kernels():
        skipped = re.search(rf"^SKIP {k} \S+: needs ", r.stdout, re.M)
        assert k in seen or skipped, f"no case line for region kernel {k}"
    assert "naive" not in seen and "roi__naive" not in seen
    assert not re.search(r"^(PASS|FAIL|SKIP) (roi__)?naive ", r.stdout, re.M)


def test_reference_kernel_filter_is_refused():
    for name in ("naive", "roi__naive"):
        r = subprocess.run([CHECK, "--kernel", name, "--problem", PROBLEM], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode == 2
        assert "reference, not checked against itself" in r.stderr
