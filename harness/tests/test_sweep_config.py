"""The sweep-config reader (harness/sweep_config.c, through spp-bench --list-problems): a section
header repeated back to back is a second block, not a continuation of the first, so a repeated
[run] or grid, or a key given twice, is an error naming the line instead of the last value
silently winning; every shipped config reads cleanly."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(os.environ.get("SPP_BUILD", os.path.join(ROOT, "build")), "spp-bench")
GRID = "[grid a]\nc = 4\nhw = 5\nlevels = 2.1\n"

pytestmark = pytest.mark.skipif(not os.access(BENCH, os.X_OK),
                                reason=f"{BENCH} not built (make spp-bench)")


def list_problems(path):
    return subprocess.run([BENCH, "--config", str(path), "--list-problems"],
                          capture_output=True, text=True)


@pytest.mark.parametrize("text,line,msg", [
    ("[run]\nmin_time = 0.05\n\n[run]\nmin_time = 0.1\n\n" + GRID, 4,
     "section '[run]' given twice"),
    ("[run]\nmin_time = 0.05\nmin_time = 0.1\n" + GRID, 3, "key 'min_time' given twice in [run]"),
    (GRID + GRID.replace("hw = 5", "hw = 6"), 5, "grid 'a' defined twice (first at line 1)"),
])
def test_a_repeated_block_or_key_is_an_error(tmp_path, text, line, msg):
    cfg = tmp_path / "c.ini"
    cfg.write_text(text)
    r = list_problems(cfg)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == f"spp-bench: {cfg}:{line}: {msg}", r.stderr


@pytest.mark.parametrize("cfg", sorted(p for p in glob.glob(os.path.join(ROOT, "configs", "*.ini"))
                                       if not p.endswith("regions.ini")))
def test_shipped_configs_read_cleanly(cfg):
    r = list_problems(cfg)
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
