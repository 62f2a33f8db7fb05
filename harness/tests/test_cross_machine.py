"""scripts/cross_machine.py: ratios within each run, one column per labelled machine."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))

import gbjson  # noqa: E402
import synth_run  # noqa: E402

P = "n64c256h13w13_l6.3.2.1_max_adaptive_nhwc"   # zf5-224/N64 NHWC
SCRIPT = os.path.join(ROOT, "scripts", "cross_machine.py")


def run(avx2, avx512=None, bound=100.0):
    b = synth_run.bench_rows(f"bound_readonce/{P}/t1", [bound] * 3, 11075584)
    b += synth_run.bench_rows(f"nhwc__fused_avx2/{P}/t1", [avx2] * 3, 11075584)
    if avx512:
        b += synth_run.bench_rows(f"nhwc__fused_avx512/{P}/t1", [avx512] * 3, 11075584)
    return {"context": {"date": "2026-12-05T10:00:00+00:00", "cpu_model": "x"}, "benchmarks": b}


def test_page_has_ratios_within_each_run(tmp_path):
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "cm.md"
    gbjson.write_atomic(str(a), run(400.0))                 # no AVX-512: 4.0x bound
    gbjson.write_atomic(str(b), run(900.0, 600.0, 200.0))   # AVX-512 wins: 3.0x bound, 1.50
    r = subprocess.run([sys.executable, SCRIPT, f"{a}=Old box", f"{b}=New box", "--out",
                        str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert ("| zf5-224/N64 | nhwc | `nhwc__fused_avx2` 4.0x | `nhwc__fused_avx512` 3.0x |"
            in text)
    assert ("| workload | layout | New box: avx2 / avx512 | New box: fused_avx2 / fused_avx512 |"
            in text)
    assert "| zf5-224/N64 | nhwc | — | 1.50 |" in text
    assert "Old box: avx2" not in text   # no AVX-512 rows: no column


def test_bad_argument_names_it_and_writes_nothing(tmp_path):
    out = tmp_path / "cm.md"
    r = subprocess.run([sys.executable, SCRIPT, str(tmp_path / "a.json"), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "expected RUN=LABEL" in r.stderr
    assert not out.exists()
