"""The SPP-net vs R-CNN pipeline (harness/sppnet, docs/sppnet.md) on a tiny network: its
checks pass on correct stages and fail on planted errors, a whole run writes its outputs, a
failed check or a bad argument writes nothing. Seconds: every layer width divided by 16, small
images, a dozen windows."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "harness"))

from sppnet import args as cli  # noqa: E402
from sppnet import checks, pipeline, pooling, run, zf5  # noqa: E402
from sppnet import windows as W  # noqa: E402

TINY = ["--reps", "1", "--threads", "1,2", "--windows", "12", "--rcnn-sample", "4",
        "--scales", "160,688,1200", "--single-scale", "160", "--width-div", "16", "--no-peers"]


@pytest.fixture(scope="module")
def bench():
    return run.Bench(cli.parse(TINY + ["--out", "/nonexistent-never-written"]))


def spp(bench, m, threads=1):
    return pipeline.spp_pass(bench.net_spp, bench.images, bench.plans[m], threads)


def test_conv5_sizes_follow_the_layer_table(bench):
    assert zf5.conv5_size(224, 224) == (13, 13) == zf5.conv5_size(227, 227)
    assert zf5.conv5_size(688, 917) == (42, 56)       # total stride 16
    for s, img in bench.images.items():
        assert tuple(bench.net_spp.conv5(torch.from_numpy(img)).shape[2:]) == \
            bench.map_sizes[s]


def test_lrn_is_caffes_within_channel_form():
    x = torch.randn(1, 2, 5, 6) * 30
    pad = np.pad(x.numpy() ** 2, ((0, 0), (0, 0), (1, 1), (1, 1)))
    box = sum(pad[:, :, i:i + 5, j:j + 6] for i in range(3) for j in range(3)) / 9
    want = x.numpy() * (1 + zf5.LRN_ALPHA * box) ** -zf5.LRN_BETA
    assert np.allclose(zf5.lrn_within_channel(x).numpy(), want, rtol=1e-5)


def test_windows_are_det688s_boxes_and_scales_pick_the_closest_area():
    win = W.make_windows(50)
    assert np.array_equal(win / 16, W.TV.make_boxes(43, 57, 50, 688))
    pick = W.pick_scales(win, W.SCALES_5)
    area = (win[:, 2] - win[:, 0]) * (win[:, 3] - win[:, 1])
    for r in range(50):
        d = [abs(area[r] * (s / 688) ** 2 - 224 * 224) for s in W.SCALES_5]
        assert d[pick[r]] == min(d)


def test_checks_pass_on_every_method(bench):
    used = [b - a for _, _, (a, b) in bench.plans["spp5"].groups]
    assert sum(1 for n in used if n) == 3, f"windows per scale {used}: the test needs all three"
    for m, plan in bench.plans.items():
        _, maps, feats, fc7 = spp(bench, m, threads=2)
        assert checks.check_projection(plan, bench.windows, bench.map_sizes) == 12
        assert checks.check_spp(plan, maps, feats, fc7, bench.net_spp) >= 1
        assert feats.shape == (12, bench.net_spp.channels * 50)
    _, conv5, feats, fc7 = pipeline.rcnn_pass(bench.net_rcnn, bench.images[160],
                                              bench.rcnn_windows, 1)
    assert conv5.shape[2:] == (13, 13)
    assert "bitwise equal" in checks.check_pool5(conv5, feats, fc7, bench.net_rcnn)


def test_spp_check_fails_on_a_wrong_feature(bench):
    _, maps, feats, fc7 = spp(bench, "spp5")
    s, boxes, (a, b) = [g for g in bench.plans["spp5"].groups if g[2][1] > g[2][0]][0]
    feats[a, 7] = np.nextafter(feats[a, 7], np.float32(np.inf))   # one ulp
    with pytest.raises(checks.CheckError, match="region oracle"):
        checks.check_spp(bench.plans["spp5"], maps, feats, fc7, bench.net_spp)


def test_projection_check_fails_on_a_shifted_box(bench):
    plan = pipeline.Plan("shifted", [160], bench.map_sizes, bench.windows,
                         np.zeros(12, np.int64))
    s, boxes, rows = plan.groups[0]
    boxes[3, 0] = max(boxes[3, 0] - 1, 0) if boxes[3, 0] else boxes[3, 0] + 1
    with pytest.raises(checks.CheckError, match="projection"):
        checks.check_projection(plan, bench.windows, bench.map_sizes)


def test_pool5_check_fails_on_other_bins(bench):
    _, conv5, feats, fc7 = pipeline.rcnn_pass(bench.net_rcnn, bench.images[160],
                                              bench.rcnn_windows, 1)
    n, c, h, w = conv5.shape
    adaptive7 = dict(pooling.pool5_problem(n, c, h, w), levels=[7])
    y = np.empty((n, c * 49), np.float32)
    pooling.spp_lib.forward_into(pooling.POOL5_KERNEL, adaptive7, conv5, y)
    with pytest.raises(checks.CheckError):
        checks.check_pool5(conv5, y, fc7, bench.net_rcnn)
    with pytest.raises(checks.CheckError, match="fc6 input"):
        checks.check_fc("R-CNN", feats[:, :-1], fc7, bench.net_rcnn, n)


def test_a_run_writes_its_outputs(tmp_path):
    out = tmp_path / "sppnet"
    assert run.main(TINY + ["--out", str(out), "--label", "test"]) == 0
    for f in ("table.md", "table.tex", "summary.json", "stages.dat"):
        assert (out / f).is_file(), f
    s = json.loads((out / "summary.json").read_text())
    for k in ("rcnn_s", "sppnet_1sc_s", "sppnet_5sc_s", "speedup_1sc", "speedup_5sc",
              "windows", "windows_timed", "threads", "versions", "cpu"):
        assert k in s, k
    assert s["windows"] == 12 and s["windows_timed"] == 4 and s["threads"] == 1
    assert s["speedup_1sc"] == pytest.approx(s["rcnn_s"] / s["sppnet_1sc_s"])
    md = (out / "table.md").read_text()
    assert "| **total** |" in md and "## 2 threads" in md
    assert not [p for p in os.listdir(out) if p.startswith(".")], "temporary files left"


def test_a_failed_check_writes_nothing(tmp_path, monkeypatch):
    real = checks.RO.forward

    def off_by_one_ulp(*a, **k):
        y, am = real(*a, **k)
        y[0, 0] = np.nextafter(y[0, 0], np.float32(np.inf))
        return y, am
    monkeypatch.setattr(checks.RO, "forward", off_by_one_ulp)
    out = tmp_path / "sppnet"
    assert run.main(TINY + ["--out", str(out)]) == 1
    assert not out.exists()


@pytest.mark.parametrize("flag, value, expected", [
    ("--threads", "0", "thread counts in 1..1024"), ("--threads", "1,1", "distinct"),
    ("--reps", "x", "an integer in 1..99"), ("--warp", "225", "224 or 227"),
    ("--scales", "16,688", "scales in 32..4096"), ("--windows", "0", "1..100000")])
def test_bad_arguments_name_the_flag_and_write_nothing(tmp_path, flag, value, expected):
    out = tmp_path / "sppnet"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "sppnet", "run.py"),
                        flag, value, "--out", str(out)], capture_output=True, text=True,
                       cwd=str(tmp_path), env=dict(os.environ, SPP_BUILD="/nonexistent"))
    assert r.returncode == 2
    assert f"sppnet: {flag}: '{value}': expected" in r.stderr and expected in r.stderr
    assert not out.exists()


def test_fc_on_onednn_matches_f_linear(bench):
    x = torch.rand(5, bench.net_spp.fc_in)
    assert torch.allclose(bench.net_spp.fc67(x), bench.net_spp.fc67_reference(x),
                          rtol=1e-4, atol=1e-4)
