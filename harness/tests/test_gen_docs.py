"""scripts/gen_docs.py (make docs): the `spp list` block of docs/kernels.md replaced and nothing
else, and the per-machine result pages from the newest runs, plain or compressed."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import gen_docs  # noqa: E402
from test_run_files import region_run, run_obj, write_forms  # noqa: E402


def test_block_replacement_touches_only_the_block():
    block = f"{gen_docs.BEGIN}\n```text\nnew\n```\n{gen_docs.END}"
    doc = f"# T\n\nbefore\n{gen_docs.BEGIN}\nold\n{gen_docs.END}\nafter\n"
    assert gen_docs.replace_block(doc, block) == f"# T\n\nbefore\n{block}\nafter\n"
    assert gen_docs.replace_block("# T\n", block) == f"# T\n\n{block}\n"
    for bad in (f"{gen_docs.END}\n{gen_docs.BEGIN}\n", f"{gen_docs.BEGIN}\n",
                f"{gen_docs.BEGIN}\n{gen_docs.END}\n{gen_docs.BEGIN}\n{gen_docs.END}\n"):
        with pytest.raises(ValueError):
            gen_docs.replace_block(bad, block)


def test_kernels_block_from_a_fake_spp(tmp_path):
    spp = tmp_path / "spp"
    spp.write_text("#!/bin/sh\nprintf 'whole-map kernels:\\nname  isa\\nnaive  scalar  \\n'\n")
    spp.chmod(0o755)
    doc = tmp_path / "kernels.md"
    doc.write_text(f"# K\n\ntext\n\n{gen_docs.BEGIN}\nstale\n{gen_docs.END}\n\nmore\n")
    gen_docs.main(["kernels", "--spp", str(spp), "--doc", str(doc)])
    assert doc.read_text() == (f"# K\n\ntext\n\n{gen_docs.BEGIN}\n```text\nwhole-map kernels:\n"
                               f"name  isa\nnaive  scalar\n```\n{gen_docs.END}\n\nmore\n")
    fresh = tmp_path / "sub" / "new.md"   # missing: a title and the block
    gen_docs.main(["kernels", "--spp", str(spp), "--doc", str(fresh)])
    assert fresh.read_text().startswith(f"{gen_docs.KERNELS_TITLE}\n\n{gen_docs.BEGIN}\n")
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_results_page_per_machine_from_the_newest_runs(tmp_path):
    old = run_obj(seed=1)
    old["context"]["date"] = "2026-11-20T09:00:00+00:00"
    new = run_obj(seed=2)
    new["context"]["date"] = "2026-11-21T10:00:00+00:00"
    other = run_obj(seed=3, cpu_model="Other CPU 9000")
    other["context"]["date"] = "2026-11-19T08:00:00+00:00"
    _, old_xz, _ = write_forms(tmp_path, old, "old")
    new_plain, _, _ = write_forms(tmp_path, new, "new")
    _, _, other_gz = write_forms(tmp_path, other, "other")
    _, reg_xz, _ = write_forms(tmp_path, region_run(), "regions")
    out = tmp_path / "pages"
    gen_docs.main(["results", "--out", str(out), old_xz, new_plain, other_gz, reg_xz])
    assert sorted(os.listdir(out)) == ["synthetic-amd-epyc-synthetic.md",
                                       "synthetic-other-cpu-9000.md"]
    page = (out / "synthetic-amd-epyc-synthetic.md").read_text()
    assert "## quick: run of 2026-11-21T10:00:00+00:00" in page     # the newest quick run only
    assert "2026-11-20T09:00" not in page
    assert "`0123456789ab`" in page and "make bench CONFIG=configs/quick.ini REPETITIONS=9" in page
    assert "### Forward, max, adaptive bins" in page and "### sppnet bins vs oneDNN" in page
    # the region run (2026-11-21T12:00) records no CPU model and its host ran two CPUs: it joins
    # the CPU of the host's run nearest in time (the AMD run of 10:00, not the other of 11-19)
    assert "## regions: run of 2026-11-21T12:00:00+00:00" in page
    assert "## regions" not in (out / "synthetic-other-cpu-9000.md").read_text()
    other["context"]["date"] = "2026-11-21T13:00:00+00:00"   # now the other CPU is nearest
    _, _, other_gz = write_forms(tmp_path, other, "other")
    gen_docs.main(["results", "--out", str(out), old_xz, new_plain, other_gz, reg_xz])
    assert "## regions" in (out / "synthetic-other-cpu-9000.md").read_text()
    assert "## regions" not in (out / "synthetic-amd-epyc-synthetic.md").read_text()


def test_slug_drops_trademark_marks():
    assert gen_docs.slug("vm-Intel(R) Xeon(R) Processor") == "vm-intel-xeon-processor"
    assert gen_docs.slug("vm-AMD EPYC") == "vm-amd-epyc"


def test_region_run_joins_its_hosts_page(tmp_path):
    _, q, _ = write_forms(tmp_path, run_obj(), "q")
    _, reg, _ = write_forms(tmp_path, region_run(), "regions")
    out = tmp_path / "pages"
    gen_docs.main(["results", "--out", str(out), q, reg])
    assert os.listdir(out) == ["synthetic-amd-epyc-synthetic.md"]
    page = (out / "synthetic-amd-epyc-synthetic.md").read_text()
    assert "## regions: run of 2026-11-21T12:00:00+00:00" in page
    assert "REGION_REPS=3" in page and "| det-a |" in page
    assert "records no CPU model" in page


def test_headline_block_from_the_newest_paper_run(tmp_path):
    import synth_run
    pts = [synth_run.problem(64, 256, 13, 13, (6, 3, 2, 1), layout=lay) for lay in ("nchw", "nhwc")]
    pts.append(synth_run.problem(2, 512, 38, 50, (4, 2, 1), layout="nhwc"))
    paper = synth_run.make_run(pts, noise=0, seed=4)
    paper["context"].update(spp_config="configs/paper.ini", spp_config_name="paper",
                            spp_repetitions="5", git_commit="fedcba9876543210",
                            date="2026-11-20T09:00:00+00:00")
    quick = run_obj(seed=5)   # newer, but not a paper run: the README quotes the paper run
    quick["context"]["date"] = "2026-11-21T10:00:00+00:00"
    paper_xz = write_forms(tmp_path, paper, "paper")[1]
    quick_plain = write_forms(tmp_path, quick, "quick")[0]
    doc = tmp_path / "README.md"
    doc.write_text(f"# R\n\nintro\n\n{gen_docs.HL_BEGIN}\nstale\n{gen_docs.HL_END}\n\n## Next\n")
    gen_docs.main(["headline", "--doc", str(doc), quick_plain, paper_xz])
    text = doc.read_text()
    assert text.startswith("# R\n\nintro\n\n" + gen_docs.HL_BEGIN + "\n")
    assert text.endswith(gen_docs.HL_END + "\n\n## Next\n") and "stale" not in text
    rows = [ln for ln in text.split("\n") if ln.startswith("| zf5") or ln.startswith("| vgg")]
    # the fastest kernel of either layout per workload; the synthetic model's fastest is
    # nhwc__chlast (7 GB/s) against naive's 0.4: 17.5x; the fastest peer oneDNN runs only sppnet
    # bins, so torch_cl (2.5 GB/s) is the peer: 2.8x
    assert [r.split(" | ")[:3] for r in rows] == [["| zf5-224/N64", "nhwc", "`nhwc__chlast`"],
                                                  ["| vgg16-600", "nhwc", "`nhwc__chlast`"]]
    assert all(" | 17.5 | torch_cl | 2.8 | " in r for r in rows), rows
    flat = " ".join(text.split())   # the paragraph is wrapped
    assert "`fedcba987654`" in flat and "make bench CONFIG=configs/paper.ini" in flat
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []
    with pytest.raises(SystemExit):   # region runs only: no whole-map table to quote
        gen_docs.main(["headline", "--doc", str(doc),
                       write_forms(tmp_path, region_run(), "regions")[0]])


def test_inference_table_and_the_read_write_bound(tmp_path):
    import synth_run
    pts = [synth_run.problem(64, 256, 13, 13, (6, 3, 2, 1), layout="nhwc")]
    run = synth_run.make_run(pts, noise=0, seed=6, readwrite=True, infer=True)
    run["context"].update(spp_config="configs/quick.ini", spp_config_name="quick")
    out = tmp_path / "pages"
    gen_docs.main(["results", "--out", str(out), write_forms(tmp_path, run, "r")[0]])
    page = next(out.iterdir()).read_text()
    head, inf = page.split("### Inference forward (max, no argmax), adaptive bins", 1)
    fwd = [ln for ln in head.split("\n") if ln.startswith("| zf5-224/N64")]
    row = [ln for ln in inf.split("\n") if ln.startswith("| zf5-224/N64")][0].split(" | ")
    # synthetic model: /infer rows take 0.8 of the forward's time, so the best kernel's inference
    # is 1.25x its training forward and x naive is the forward's (naive's /infer is 0.8 too)
    assert row[2] == "`nhwc__chlast`" and row[4] == "17.5" and row[5] == "1.25", row
    assert row[7] != "—" and fwd and fwd[0].split(" | ")[7] != "—"   # both r/w bounds present


def test_sppnet_table_has_a_column_per_onednn_present(tmp_path):
    import synth_run
    pts = [synth_run.problem(4, 64, 13, 13, (6, 3, 2, 1), "max", "sppnet", "nhwc")]
    run = synth_run.make_run(pts, noise=0, seed=7)
    rows = gen_docs.report.analyse(run)["rows"]
    one = gen_docs.sppnet_table(rows)
    assert one[0].count("oneDNN") == 2 and "oneDNN 3" not in one[0]   # oneDNN 2 + the ratio
    for r in [r for r in run["benchmarks"] if r["name"].startswith("onednn/")]:
        r3 = dict(r, name=r["name"].replace("onednn/", "onednn3/", 1),
                  run_name=r["run_name"].replace("onednn/", "onednn3/", 1),
                  real_time=r["real_time"] / 2)   # 3.x twice as fast: the ratio follows it
        run["benchmarks"].append(r3)
    two = gen_docs.sppnet_table(gen_docs.report.analyse(run)["rows"])
    assert "oneDNN 2 | oneDNN 3 | x fastest oneDNN" in two[0]
    r1 = one[2].split(" | ")[-1].strip(" |")
    r2 = two[2].split(" | ")[-1].strip(" |")
    assert abs(float(r2) - float(r1) / 2) < 0.06, (one[2], two[2])
