"""The OpenVINO peers (harness/peers/openvino_peer.py, openvino_roi_peer.py): row naming, which
points they time, and, when openvino is importable (make bench installs it; make test does
not), the models' output order and their verification against the oracles on small shapes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(ROOT, "harness", "peers")
sys.path[:0] = [PEERS, os.path.join(ROOT, "oracle")]

import openvino_peer as P  # noqa: E402  (imports no openvino at module level)
import openvino_roi_peer as RP  # noqa: E402
import spp_oracle as O  # noqa: E402

try:
    import openvino as ov
except ImportError:
    ov = None
needs_ov = pytest.mark.skipif(ov is None, reason="openvino not installed (scripts/setup.sh "
                              "bench installs it; make test does not)")


def test_row_names_and_forms():
    prob = "n2c8h7w9_l4.2.1_max_adaptive_nhwc"
    assert P.row_name(prob, 2, "train") == f"openvino/{prob}/t2"
    assert P.row_name(prob, 1, "infer") == f"openvino/{prob}/t1/infer"
    assert P.forms(O.parse_problem(prob)) == ("train", "infer")
    assert P.forms(O.parse_problem(prob.replace("max", "avg"))) == ("train",)
    assert RP.row_name("det-688", 2) == "openvino_roi/det-688/t2"


def test_skip_reasons():
    d = O.parse_problem("n1c4h5w5_l2.1_max_adaptive_nchw")
    assert P.skip_reason(d, "fwd") is None
    assert "forward only" in P.skip_reason(d, "bwd")
    d = O.parse_problem("n1c4h5w5_l2.1_max_sppnet_nchw")
    assert "adaptive" in P.skip_reason(d, "fwd")


def test_compile_config_threads():
    c = P.compile_config(3)
    assert c["INFERENCE_NUM_THREADS"] == 3 and c["NUM_STREAMS"] == 1
    assert c["INFERENCE_PRECISION_HINT"] == "f32"


def test_rois_inclusive_end():
    r = RP.ov_rois(np.array([[1, 2, 4, 3]], np.int32))
    assert r.tolist() == [[0.0, 1.0, 2.0, 3.0, 2.0]]


def test_bad_arguments_exit_2(tmp_path):
    pts = tmp_path / "p.txt"
    pts.write_text("n1c4h5w5_l2.1_max_adaptive_nchw 1 fwd\n")
    r = subprocess.run([sys.executable, os.path.join(PEERS, "openvino_peer.py"), "--points",
                        str(pts), "--repetitions", "0", "--out", str(tmp_path / "o.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--repetitions" in r.stderr
    assert not (tmp_path / "o.json").exists()


@needs_ov
@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_model_order_and_indices(layout):
    core = ov.Core()
    x = np.arange(64, dtype=np.float32).reshape(2, 2, 4, 4)   # docs/spec.md#1-operation
    cm = core.compile_model(P.build_model(ov, x.shape, [2, 1], "max", layout, "train"), "CPU",
                            P.compile_config(1))
    y, am = P.run_model(cm, P.to_layout(x, layout))
    assert y[0].tolist() == [5, 7, 13, 15, 21, 23, 29, 31, 15, 31]
    assert am.dtype == np.int32 and am[0].tolist() == [5, 7, 13, 15, 5, 7, 13, 15, 15, 15]


@needs_ov
@pytest.mark.parametrize("prob", ["n2c5h7w9_l4.2.1_max_adaptive_nchw",
                                  "n3c9h3w2_l6.3.1_max_adaptive_nhwc",
                                  "n2c6h13w13_l6.3.2.1_avg_adaptive_nhwc"])
def test_verify_small(prob):
    core = ov.Core()
    d = O.parse_problem(prob)
    x = np.random.default_rng(3).uniform(-1, 1, (d["n"], d["c"], d["h"], d["w"]))
    x = x.astype(np.float32)
    for form in P.forms(d):
        cm = core.compile_model(P.build_model(ov, x.shape, d["levels"], d["pool"], d["layout"],
                                              form), "CPU", P.compile_config(2))
        ok, msg = P.verify(cm, x, d, form)
        assert ok, msg
        assert "AdaptivePooling" in P.primitives(cm)


@needs_ov
def test_max_rules_probe_names_the_nan_difference():
    rules = P.probe_max_rules(ov, ov.Core())
    assert "tie [1.0, 3.0, 3.0, 2.0]: as the contract" in rules
    assert "signed zeros" in rules


@needs_ov
def test_peer_end_to_end(tmp_path):
    pts = tmp_path / "p.txt"
    prob = "n2c4h5w6_l2.1_max_adaptive_nhwc"
    pts.write_text(f"{prob} 1 fwd\n{prob} 1 bwd\n")
    out = tmp_path / "o.json"
    r = subprocess.run([sys.executable, os.path.join(PEERS, "openvino_peer.py"), "--points",
                        str(pts), "--repetitions", "1", "--min-time", "0.001", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    run = json.loads(out.read_text())
    names = {b["run_name"] for b in run["benchmarks"]}
    assert names == {f"openvino/{prob}/t1", f"openvino/{prob}/t1/infer"}
    assert run["context"]["openvino_version"].startswith(ov.__version__.split("-")[0])
    assert f"primitives/openvino/{prob}/t1" in run["context"]


@needs_ov
def test_roi_bins_equal_adaptive_and_verify():
    core = ov.Core()
    probed = RP.probe_bins(ov, core, range(1, 65), range(1, 8))
    assert RP.bins_differences(probed) == []
    wl = dict(name="tiny", c=3, h=9, w=11, levels=[3, 2, 1], pool="max", bins="adaptive",
              boxes=40, seed=5, fill="uniform")
    boxes = RP.TV.make_boxes(wl["h"], wl["w"], wl["boxes"], wl["seed"])
    x = RP.TV.make_map(np.random.default_rng(7), wl)
    cm = core.compile_model(RP.build_model(ov, 3, 9, 11, len(boxes), wl["levels"]), "CPU",
                            P.compile_config(1))
    ref = RP.reference(ov, core, wl, boxes, x)
    ok, label, note = RP.verify(cm, ref, boxes, x)
    assert ok and label == "verified", note
    # the reference over probed bins equals the oracle when the bins are the adaptive ones
    alt = RP.reference_with_bins(x, boxes, wl["levels"], RP.probe_bins(
        ov, core, np.concatenate([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]]),
        wl["levels"]))
    assert np.array_equal(alt.view(np.uint32), ref[0].view(np.uint32))
