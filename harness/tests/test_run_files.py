"""Run files, plain and compressed: gbjson.load_run is the one reader, and every reader of runs
(report.py, gate.py, run_regions.py --report-only; scripts/gen_docs.py in test_gen_docs.py)
takes .json, .json.xz and .json.gz alike; results/published/ holds only compressed runs."""
import gzip
import json
import lzma
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
ROOT = os.path.dirname(HARNESS)
sys.path.insert(0, HARNESS)
sys.path.insert(0, HERE)

import report  # noqa: E402  (puts harness/peers on the path)
import gbjson  # noqa: E402
import synth_run  # noqa: E402

POINTS = [synth_run.problem(4, 64, h, h, (6, 3, 2, 1), layout=lay) for h in (13, 32)
          for lay in ("nchw", "nhwc")] + \
    [synth_run.problem(4, 64, 13, 13, (6, 3, 2, 1), "max", "sppnet", "nchw")]


def run_obj(**kw):
    run = synth_run.make_run(POINTS, reps=9, **kw)
    run["context"].update(spp_config="configs/quick.ini", spp_config_name="quick",
                          spp_repetitions="9", spp_threads="1,2", spp_filter="",
                          git_commit="0123456789abcdef0123")
    return run


def write_forms(tmp_path, run, stem="run"):
    """The same run as .json, .json.xz and .json.gz; returns the three paths."""
    text = json.dumps(run, indent=1).encode()
    plain, xz, gz = (tmp_path / f"{stem}.json", tmp_path / f"{stem}.json.xz",
                     tmp_path / f"{stem}.json.gz")
    plain.write_bytes(text)
    xz.write_bytes(lzma.compress(text))
    gz.write_bytes(gzip.compress(text))
    return str(plain), str(xz), str(gz)


# ---- the loader -----------------------------------------------------------------------------

def test_load_run_reads_every_form_alike(tmp_path):
    run = run_obj()
    forms = write_forms(tmp_path, run)
    for p in forms:
        assert gbjson.load_run(p) == run, p
        assert report.load_run(p) == run, p      # report's loader is the same function
    assert [gbjson.compressed(p) for p in forms] == [False, True, True]
    # told by content, not by name
    odd = tmp_path / "named-plain.json"
    odd.write_bytes(lzma.compress(json.dumps(run).encode()))
    assert gbjson.load_run(str(odd)) == run


@pytest.mark.parametrize("data,why", [
    (lzma.compress(b'{"benchmarks": []}')[:-8], "corrupt compressed"),
    (gzip.compress(b'{"benchmarks": []}')[:-4], "corrupt compressed"),
    (lzma.compress(b"not json"), "not JSON"),
    (b'{"context": {}}', "no 'benchmarks' list"),
    (b"[1, 2]", "no 'benchmarks' list"),
    (b"\xff\xfe", "not JSON"),
])
def test_load_run_rejects_what_is_not_a_run(tmp_path, data, why):
    p = tmp_path / "bad.json.xz"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=why):
        gbjson.load_run(str(p))


def test_load_run_missing_file_is_oserror(tmp_path):
    with pytest.raises(OSError):
        gbjson.load_run(str(tmp_path / "nope.json.xz"))


# ---- the readers ------------------------------------------------------------------------------

def test_report_same_tables_from_compressed(tmp_path):
    plain, xz, gz = write_forms(tmp_path, run_obj())
    outs = []
    for i, p in enumerate((plain, xz, gz)):
        out = tmp_path / f"rep{i}"
        r = subprocess.run([sys.executable, os.path.join(HARNESS, "report.py"), p, "--out",
                            str(out), "--no-plots"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append({f: (out / f).read_text() for f in ("tables.md", "summary.csv")})
    assert outs[0] == outs[1] == outs[2]


def test_report_names_a_corrupt_run(tmp_path):
    p = tmp_path / "bad.json.xz"
    p.write_bytes(b"\xfd7zXZ\x00garbage")
    r = subprocess.run([sys.executable, os.path.join(HARNESS, "report.py"), str(p), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2 and "bad.json.xz" in r.stderr and "corrupt" in r.stderr
    assert not (tmp_path / "o").exists()


def region_run():
    rows = []
    for w, (kern, peer, bound) in {"det-a": (2.0, 20.0, 1.0), "det-b": (3.0, 9.0, 1.5)}.items():
        rows += synth_run.bench_rows(f"nhwc_roi__avx2/{w}/t1/real_time", [kern * 1e6] * 3, 1)
        rows += synth_run.bench_rows(f"bound_readonce/{w}/t1/real_time", [bound * 1e6] * 3, 1)
        rows += synth_run.bench_rows(f"torchvision_roi/{w}/t1", [peer * 1e6] * 3, 1)
    ctx = {"date": "2026-11-21T12:00:00+00:00", "host_name": "synthetic", "num_cpus": 2,
           "region_config": "configs/regions.ini", "region_threads": "1"}
    return {"context": ctx, "benchmarks": rows, "repetitions": 3}


def test_run_regions_report_only_reads_compressed(tmp_path):
    mds = []
    for i, p in enumerate(write_forms(tmp_path, region_run(), "regions")):
        md = tmp_path / f"t{i}.md"
        r = subprocess.run([sys.executable, os.path.join(HARNESS, "run_regions.py"),
                            "--report-only", p, "--md", str(md)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        mds.append(md.read_text())
    assert mds[0] == mds[1] == mds[2]
    assert "10.0x" in mds[0] and "det-b" in mds[0]


@pytest.mark.skipif(not os.path.exists("/usr/share/benchmark/compare.py"),
                    reason="compare.py (libbenchmark-tools) not installed")
def test_gate_reads_a_compressed_baseline(tmp_path):
    _, base_xz, _ = write_forms(tmp_path, run_obj(seed=1), "base")
    new_plain, _, new_gz = write_forms(tmp_path, run_obj(seed=2), "new")
    for new in (new_plain, new_gz):
        r = subprocess.run([sys.executable, os.path.join(HARNESS, "gate.py"), base_xz, new],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "gate: PASS" in r.stdout and "U Test" in r.stdout
    bad = tmp_path / "bad.json.xz"
    bad.write_bytes(lzma.compress(b'{"context": {}}'))
    r = subprocess.run([sys.executable, os.path.join(HARNESS, "gate.py"), str(bad), new_plain],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "bad.json.xz" in r.stderr and "benchmarks" in r.stderr


# ---- results/published ----------------------------------------------------------------------

def test_published_runs_are_compressed_runs():
    d = os.path.join(ROOT, "results", "published")
    files = [f for f in sorted(os.listdir(d)) if not f.startswith(".")] \
        if os.path.isdir(d) else []
    runs = [f for f in files if f.endswith((".json.xz", ".json.gz"))]
    assert set(files) - set(runs) <= {"README.md"}, files
    for f in runs:
        p = os.path.join(d, f)
        assert gbjson.compressed(p), f
        assert gbjson.load_run(p)["benchmarks"], f
