"""The command line of harness/sppnet/run.py, checked before anything runs: a bad value exits
with status 2 and one line naming the argument, the value and what was expected; nothing is
written."""
import argparse
import os
import sys

from . import windows as W

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fail(flag, value, expected):
    print(f"sppnet: {flag}: {value!r}: expected {expected}", file=sys.stderr)
    sys.exit(2)


def _int_list(flag, text, lo, hi, what):
    try:
        vals = [int(v) for v in text.split(",")]
    except ValueError:
        vals = []
    if not vals or any(not lo <= v <= hi for v in vals) or len(set(vals)) != len(vals):
        _fail(flag, text, what)
    return vals


def _int(flag, text, lo, hi, what):
    try:
        v = int(text)
    except ValueError:
        _fail(flag, text, what)
    if not lo <= v <= hi:
        _fail(flag, text, what)
    return v


def parse(argv=None):
    ap = argparse.ArgumentParser(
        prog="harness/sppnet/run.py",
        description="SPP-net vs R-CNN detection time per image on this CPU (docs/sppnet.md).")
    ap.add_argument("--reps", default="3", help="interleaved repetitions, median kept (3)")
    ap.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    ap.add_argument("--windows", default="2000", help="candidate windows per image (2000)")
    ap.add_argument("--rcnn-sample", default="200",
                    help="R-CNN windows timed, scaled linearly to --windows (200)")
    ap.add_argument("--full", action="store_true", help="R-CNN on every window (no sampling)")
    ap.add_argument("--scales", default=",".join(map(str, W.SCALES_5)),
                    help="5-scale SPP-net's scales (480,576,688,864,1200)")
    ap.add_argument("--single-scale", default="688", help="1-scale SPP-net's and R-CNN's scale")
    ap.add_argument("--warp", default="224", help="R-CNN's warp size: 224 or 227")
    ap.add_argument("--width-div", default="1", help="divide every layer width (tests)")
    ap.add_argument("--no-peers", action="store_true", help="leave out torchvision/OpenVINO")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "sppnet"),
                    help="output directory (results/sppnet)")
    ap.add_argument("--label", default="", help="a note printed in the table's header")
    a = ap.parse_args(argv)
    a.reps = _int("--reps", a.reps, 1, 99, "an integer in 1..99")
    a.threads = _int_list("--threads", a.threads, 1, 1024,
                          "distinct thread counts in 1..1024, comma-separated, e.g. 1,2")
    a.windows = _int("--windows", a.windows, 1, 100000, "an integer in 1..100000")
    a.rcnn_sample = _int("--rcnn-sample", a.rcnn_sample, 1, 100000, "an integer in 1..100000")
    a.scales = sorted(_int_list("--scales", a.scales, 32, 4096,
                                "distinct scales in 32..4096, comma-separated"))
    a.single_scale = _int("--single-scale", a.single_scale, 32, 4096, "an integer in 32..4096")
    a.warp = _int("--warp", a.warp, 224, 227, "224 or 227")
    if a.warp not in (224, 227):
        _fail("--warp", str(a.warp), "224 or 227")
    a.width_div = _int("--width-div", a.width_div, 1, 96, "an integer in 1..96")
    if os.path.exists(a.out) and not os.path.isdir(a.out):
        _fail("--out", a.out, "a directory (it is a file)")
    if a.full:
        a.rcnn_sample = a.windows
    a.rcnn_sample = min(a.rcnn_sample, a.windows)
    return a
