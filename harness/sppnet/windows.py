"""Images, candidate windows, scale choice and projection (docs/sppnet.md#input-and-windows).

Windows: the det-688 region workload's generator (configs/regions.ini; made by
harness/peers/torchvision_roi_peer.make_boxes, the same boxes harness/bench_regions.cc times)
draws R boxes in cells of the nominal 43 x 57 map of s = 688; times the stride, 16, they are
windows in pixels of the 688 x 917 image. At scale s a window is that window times s / 688.
Projection onto a conv5 map is the library's spp_roi_project (SPP-net's rule,
docs/spec.md#5-regions) through oracle/spp_lib.py.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "harness", "peers"), os.path.join(ROOT, "oracle")]

import torchvision_roi_peer as TV  # noqa: E402  (the region workloads' box generator)

BASE_SCALE = 688                         # the scale the windows are drawn at (det-688)
SCALES_5 = (480, 576, 688, 864, 1200)    # the paper's five scales
WINDOW_SEED = 688                        # det-688's seed in configs/regions.ini
TARGET_AREA = 224 * 224                  # 5-scale: each window where its area is closest


def image_size(s):
    """(height, width) of the image whose shorter side is s, aspect 4:3."""
    return s, (4 * s) // 3


def make_image(s, seed=0):
    """A seeded (1, 3, H, W) float32 image in [-1, 1) (the network's weights are random too:
    only the shapes matter for the timing)."""
    h, w = image_size(s)
    rng = np.random.default_rng(seed + s)
    return rng.uniform(-1, 1, (1, 3, h, w)).astype(np.float32)


def make_windows(count, seed=WINDOW_SEED, stride=16):
    """(count, 4) float64 windows x0, y0, x1, y1 in pixels of the BASE_SCALE image: det-688's
    boxes (nominal map floor(s/16) x floor(s/12)) times the stride."""
    mh, mw = BASE_SCALE // 16, BASE_SCALE // 12
    return TV.make_boxes(mh, mw, count, seed).astype(np.float64) * stride


def at_scale(windows, s):
    """The windows in pixels of the scale-s image."""
    return windows * (s / BASE_SCALE)


def pick_scales(windows, scales):
    """Index into `scales` per window: the scale at which its area is closest to 224 x 224
    (SPP-net's multi-scale testing rule); ties go to the smaller scale."""
    area = (windows[:, 2] - windows[:, 0]) * (windows[:, 3] - windows[:, 1])
    diffs = np.stack([np.abs(area * (s / BASE_SCALE) ** 2 - TARGET_AREA) for s in scales], 1)
    return np.argmin(diffs, axis=1)


def project(windows_px, map_h, map_w, stride=16):
    """Image windows -> int32 conv5 boxes, by the library's spp_roi_project."""
    import spp_lib   # here, not above: the command line is checked before the library loads
    return spp_lib.roi_project(windows_px, stride, map_h, map_w)


def pixel_crop(window, h, w):
    """Integer pixel rows/columns [y0, y1) x [x0, x1) of a window, inside an h x w image and
    at least one pixel wide (R-CNN's crop before the warp)."""
    x0, y0, x1, y1 = window
    x0 = min(max(int(np.floor(x0)), 0), w - 1)
    y0 = min(max(int(np.floor(y0)), 0), h - 1)
    x1 = min(max(int(np.ceil(x1)), x0 + 1), w)
    y1 = min(max(int(np.ceil(y1)), y0 + 1), h)
    return x0, y0, x1, y1


def rcnn_sample(count, sample, seed=WINDOW_SEED):
    """Sorted indices of the R-CNN windows actually run: all when sample >= count, else a
    seeded uniform sample without replacement (numpy default_rng(seed + 1))."""
    if sample >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed + 1).choice(count, sample, replace=False))
