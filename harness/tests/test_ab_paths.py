"""scripts/ab_paths.py: times forced paths of a kernel against each other; each path named with
its ratio to the first, and a path the kernel refuses ends the run with exit 2 and the reason."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SCRIPT = os.path.join(ROOT, "scripts", "ab_paths.py")


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_two_paths_are_timed_and_named_per_thread_count():
    r = run("--kernel", "nchw__omp", "--problem", "n2c3h9w7_l3.1_avg_adaptive_nchw",
            "--paths", "planes,small-avg", "--threads", "1,2", "--rounds", "1", "--reps", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and "t1:" in lines[0] and "t2:" in lines[1]
    assert "planes" in lines[0] and "(1.000x)" in lines[0] and "small-avg" in lines[0]


def test_a_path_the_problem_cannot_take_is_refused():
    r = run("--kernel", "nchw__omp", "--problem", "n1c3h9w7_l3.1_max_adaptive_nchw",
            "--paths", "planes,small-avg", "--rounds", "1", "--reps", "1")
    assert r.returncode == 2 and "path=small-avg" in r.stderr
