"""The pooling stages (docs/sppnet.md#what-is-timed): SPP-net's region SPP by the suite's
region kernel, R-CNN's pool5 by the suite's whole-map SPP, and the two region peers.

Region SPP: `nchw_roi__nhwc_omp_avx512` (`nchw_roi__nhwc_omp_avx2` on a CPU without AVX-512) on
torch's NCHW conv5 map as it is (the kernel's own transpose is part of its time; no separate
NHWC copy), max, adaptive bins, levels {6,3,2,1}, values only (argmax NULL: inference), through
one prepared region operation per scale (spp_lib.RegionOp), created once as a detector would. Adaptive bins because SPP-net's `sppnet` rule needs a
box at least 6 cells high and wide at level 6, which most projected windows are not.
R-CNN pool5: the library's whole-map SPP with the one level 6, `sppnet` bins (window
ceil(13/6) = 3, stride floor(13/6) = 2: ZF-5's 3x3 stride-2 pool5 on 13x13), kernel
`nchw__fused_avx512` (`nchw__fused_avx2` on a CPU without AVX-512), values only.
Peers: torchvision's roi_pool pyramid (harness/peers/torchvision_roi_peer.py: one roi_pool per
level, inclusive ends) and OpenVINO's ROIPooling (harness/peers/openvino_roi_peer.py), each
checked against the kernel's output before it is timed (checks.py).
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "harness", "peers"), os.path.join(ROOT, "oracle")]

import spp_lib  # noqa: E402

# the faster NCHW region kernel this CPU runs (results/regions/latest.md: the AVX-512 form took
# 0.95x and 0.92x the AVX2 form's time on det-688 inference at 1 and 2 threads)
REGION_KERNEL = ("nchw_roi__nhwc_omp_avx512" if spp_lib.isa_unavailable("avx512") is None
                 else "nchw_roi__nhwc_omp_avx2")
POOL5_KERNEL = ("nchw__fused_avx512" if spp_lib.isa_unavailable("avx512") is None
                else "nchw__fused_avx2")
LEVELS = (6, 3, 2, 1)
BINS_PER_CHANNEL = sum(n * n for n in LEVELS)     # 50: 12,800 features for 256 channels
POOL5_LEVEL = 6


def region_spp(conv5, boxes, threads):
    """conv5: numpy (1, C, H, W) float32 C-contiguous; boxes int32 (R, 4) -> (R, C*50)."""
    y = np.empty((len(boxes), conv5.shape[1] * BINS_PER_CHANNEL), np.float32)
    return spp_lib.region_forward_into(REGION_KERNEL, conv5, boxes, LEVELS, y,
                                       threads=threads)


def pool5_problem(n, c, h, w):
    return dict(n=n, c=c, h=h, w=w, levels=[POOL5_LEVEL], pool="max", bins="sppnet",
                layout="nchw")


def pool5(conv5, threads):
    """conv5: numpy (N, C, 13, 13) float32 -> (N, C*36), ZF-5's pool5 by the library."""
    n, c, h, w = conv5.shape
    y = np.empty((n, c * POOL5_LEVEL * POOL5_LEVEL), np.float32)
    return spp_lib.forward_into(POOL5_KERNEL, pool5_problem(n, c, h, w), conv5, y,
                                threads=threads)


class TorchvisionPeer:
    name = "torchvision roi_pool"

    def __init__(self):
        import torch
        import torchvision_roi_peer as TV
        from torchvision.ops import roi_pool
        self.torch, self.TV, self.roi_pool = torch, TV, roi_pool

    def prepare(self, conv5, boxes, threads):
        """A call that pools `boxes` from conv5 (numpy (1, C, H, W)) -> numpy (R, C*50)."""
        x, rois = self.torch.from_numpy(conv5), self.TV.tv_rois(self.torch, boxes)
        return lambda: self.TV.tv_pyramid(self.torch, self.roi_pool, x, rois, LEVELS).numpy()

    def mismatched_bins(self, boxes):
        """(box, level, axis, extent) where roi_pool's float32 bins differ from adaptive."""
        return self.TV.bins_mismatches(boxes, LEVELS)


class OpenVinoPeer:
    name = "OpenVINO ROIPooling"

    def __init__(self):
        import openvino as ov
        import openvino_peer as OVP
        import openvino_roi_peer as OVR
        self.ov, self.OVP, self.OVR, self.core = ov, OVP, OVR, ov.Core()
        self.version = ov.get_version()

    def prepare(self, conv5, boxes, threads):
        _, c, h, w = conv5.shape
        cm = self.core.compile_model(self.OVR.build_model(self.ov, c, h, w, len(boxes), LEVELS),
                                     "CPU", self.OVP.compile_config(threads))
        req = cm.create_infer_request()
        rois = self.OVR.ov_rois(boxes)
        req.set_input_tensor(0, self.ov.Tensor(conv5, shared_memory=True))
        req.set_input_tensor(1, self.ov.Tensor(rois, shared_memory=True))

        def call(keep=(conv5, rois)):   # shared_memory: the arrays must outlive the request
            req.infer()
            return req.get_output_tensor(0).data
        return call


def load_peers(enabled, log):
    """The peers that import here; a missing one is a warning, not an error."""
    peers = []
    if not enabled:
        return peers
    for cls in (TorchvisionPeer, OpenVinoPeer):
        try:
            peers.append(cls())
        except ImportError as e:
            log(f"sppnet: peer {cls.name} not available ({e}); its rows are left out")
    return peers
