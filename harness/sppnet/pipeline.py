"""One detection pass per method, stage by stage (docs/sppnet.md#what-is-timed): each returns
its stage times in seconds (warp, conv, pool, fc) and the arrays the checks look at.

SPP-net: conv1-5 once per scale on the whole image; every window pooled by the region kernel
from the conv5 map of its scale (windows grouped by scale, each group's rows contiguous in the
feature matrix, so the kernel writes them in place); fc6 and fc7 on all windows at once.
R-CNN: each window's pixels cropped and warped (bilinear, anisotropic) to warp x warp; conv1-5
on the warped crops in batches of `batch`; pool5 by the library; fc6 and fc7.
"""
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import pooling
from . import windows as W

STAGES = ("warp", "conv", "pool", "fc")


class Plan:
    """What one SPP-net method pools: the scales, and per scale the windows (boxes on its
    conv5 map) in a fixed order. rows[k] is the feature-matrix row range of scale k.
    ops(channels, threads): one prepared region operation per scale and the feature matrix,
    made once per thread count and kept for every image, as a detector keeps them (not timed).
    The channel count is the network's, the same for every call of a plan."""

    def ops(self, channels, threads):
        if not hasattr(self, "_ops"):
            self._ops, self._feats = {}, {}
        if threads not in self._ops:
            # one op per scale and thread count (the repetitions alternate thread counts),
            # each run once on a zero map so its interval table and workspace are grown and
            # their pages mapped before any timed run, as after a detector's first image
            ops = {}
            for s, boxes, (a, b) in self.groups:
                h, w = self.map_hw[s]
                ops[s] = pooling.spp_lib.RegionOp(pooling.REGION_KERNEL, channels, h, w,
                                                  pooling.LEVELS, threads=threads)
                if b > a:
                    y = np.zeros((b - a, channels * pooling.BINS_PER_CHANNEL), np.float32)
                    ops[s].forward_into(np.zeros((1, channels, h, w), np.float32), boxes, y)
            self._ops[threads] = ops
            self._feats[threads] = np.zeros((self.windows, channels * pooling.BINS_PER_CHANNEL),
                                            np.float32)   # zeros: pages mapped before timing
        return self._ops[threads], self._feats[threads]

    def __init__(self, name, scales, map_sizes, windows_px, choice):
        self.map_hw = {s: map_sizes[s] for s in scales}
        self.name, self.scales = name, list(scales)
        order = np.argsort(choice, kind="stable")
        self.order = order                       # feature row i is window order[i]
        self.groups, start = [], 0
        for k, s in enumerate(self.scales):
            idx = order[choice[order] == k]
            h, w = map_sizes[s]
            boxes = W.project(W.at_scale(windows_px[idx], s), h, w)
            self.groups.append((s, boxes, (start, start + len(idx))))
            start += len(idx)
        self.windows = start


def spp_pass(net, images, plan, threads):
    """(times, conv5 per scale, features, fc7)."""
    times = {"warp": 0.0}
    ops, feats = plan.ops(net.channels, threads)
    t0 = time.perf_counter()
    maps = {s: net.conv5(torch.from_numpy(images[s])).numpy() for s in plan.scales}
    t1 = time.perf_counter()
    for s, boxes, (a, b) in plan.groups:
        if b > a:
            ops[s].forward_into(maps[s], boxes, feats[a:b])
    t2 = time.perf_counter()
    fc7 = net.fc67(torch.from_numpy(feats))
    t3 = time.perf_counter()
    times.update(conv=t1 - t0, pool=t2 - t1, fc=t3 - t2)
    return times, maps, feats, fc7


def warp_windows(image, windows_px, size):
    """(n, 3, size, size): each window's pixels (windows.pixel_crop) resized bilinearly."""
    img = torch.from_numpy(image)
    h, w = image.shape[2], image.shape[3]
    out = torch.empty((len(windows_px), 3, size, size))
    with torch.no_grad():
        for i, win in enumerate(windows_px):
            x0, y0, x1, y1 = W.pixel_crop(win, h, w)
            out[i] = F.interpolate(img[:, :, y0:y1, x0:x1], size=(size, size), mode="bilinear",
                                   align_corners=False)[0]
    return out


def rcnn_pass(net, image, windows_px, threads, warp=224, batch=50):
    """(times, conv5 (n, C, 13, 13) numpy, pool5 features, fc7) for the given windows."""
    t0 = time.perf_counter()
    crops = warp_windows(image, windows_px, warp)
    t1 = time.perf_counter()
    parts = [net.conv5(crops[i:i + batch]) for i in range(0, len(crops), batch)]
    conv5 = torch.cat(parts).numpy() if len(parts) > 1 else parts[0].numpy()
    t2 = time.perf_counter()
    feats = pooling.pool5(np.ascontiguousarray(conv5), threads)
    t3 = time.perf_counter()
    fc7 = net.fc67(torch.from_numpy(feats))
    t4 = time.perf_counter()
    return dict(warp=t1 - t0, conv=t2 - t1, pool=t3 - t2, fc=t4 - t3), conv5, feats, fc7


def peer_pass(calls):
    """Seconds for one round of a peer's prepared calls (one per scale with windows)."""
    t0 = time.perf_counter()
    for call in calls:
        call()
    return time.perf_counter() - t0
