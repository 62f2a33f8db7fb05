"""ZF-5 as SPP-net uses it (docs/sppnet.md#the-network): five conv layers, then fc6 and fc7,
with seeded random weights, on Debian's PyTorch (CPU convolutions run on oneDNN).

fc6 and fc7 run on oneDNN's inner product, like the convolutions (fc67 says why).

Layers (the released SPP-net model definition; the paper's table gives the filter counts,
sizes, strides, LRN and pooling): conv1 96 7x7 stride 2 pad 1, ReLU, LRN, max pool 3x3
stride 2; conv2 256 5x5 stride 2 pad 0, ReLU, LRN, max pool 3x3 stride 2; conv3 384, conv4 384,
conv5 256, all 3x3 pad 1, ReLU. The max pools round up (Caffe's rule, ceil_mode): that is what
makes conv5 13x13 on a 224x224 input, as the paper says, and gives total stride 16. The LRN
is Caffe's WITHIN_CHANNEL form (local_size 3, alpha 5e-5, beta 0.75):
x / (1 + alpha * mean over the 3x3 neighbourhood of x^2, zero padded) ^ beta.

`width_div` divides every layer's width (tests use tiny networks; timing uses 1).
"""
import torch
import torch.nn.functional as F

# (name, out channels, kernel, stride, pad, LRN and max pool after the ReLU)
CONV = [("conv1", 96, 7, 2, 1, True), ("conv2", 256, 5, 2, 0, True),
        ("conv3", 384, 3, 1, 1, False), ("conv4", 384, 3, 1, 1, False),
        ("conv5", 256, 3, 1, 1, False)]
FC = [("fc6", 4096), ("fc7", 4096)]
STRIDE = 16              # total stride of conv5: the window projection's S
LRN_SIZE, LRN_ALPHA, LRN_BETA = 3, 5e-5, 0.75


class ZF5:
    """Seeded weights; conv(x) -> conv5 map; fc(features) -> fc7. fc_in: fc6's input size."""

    def __init__(self, fc_in_bins, seed=5, width_div=1):
        g = torch.Generator().manual_seed(seed)
        self.conv, cin = [], 3
        for name, cout, k, s, p, norm_pool in CONV:
            cout = max(1, cout // width_div)
            # He-scaled weights keep the activations O(1) through the ReLUs (no denormals)
            w = torch.randn(cout, cin, k, k, generator=g) * (2.0 / (cin * k * k)) ** 0.5
            b = torch.rand(cout, generator=g) * 0.1
            self.conv.append((name, w.contiguous(), b, s, p, norm_pool))
            cin = cout
        self.channels = cin
        self.fc_in = cin * fc_in_bins
        self.fc, fin = [], self.fc_in
        for name, fout in FC:
            fout = max(1, fout // width_div)
            w = torch.randn(fout, fin, generator=g) * (2.0 / fin) ** 0.5
            self.fc.append((name, w.contiguous(), torch.rand(fout, generator=g) * 0.1))
            fin = fout
        # oneDNN copies of the fc weights, made once like loading a model (see fc67)
        self.fc_dnn = [(w.to_mkldnn(), b.to_mkldnn()) for _, w, b in self.fc]

    def conv5(self, x):
        """x (N, 3, H, W) float32 -> conv5 (N, C5, H', W'), ReLU applied."""
        with torch.no_grad():
            for _, w, b, s, p, norm_pool in self.conv:
                x = F.relu(F.conv2d(x, w, b, stride=s, padding=p))
                if norm_pool:
                    x = lrn_within_channel(x)
                    x = F.max_pool2d(x, 3, 2, ceil_mode=True)
            return x

    def fc67(self, feats):
        """feats (R, fc_in) -> fc7 (R, 4096/width_div), ReLU after each layer. On oneDNN's
        inner product (torch's mkldnn_linear, what torch.utils.mkldnn gives nn.Linear): Debian's
        torch has BLAS_INFO=generic and gets the reference BLAS, whose sgemm makes F.linear
        about 50 times slower (docs/sppnet.md#the-network)."""
        if feats.shape[1] != self.fc_in:
            raise ValueError(f"fc6 input: {feats.shape[1]} features, expected {self.fc_in}")
        with torch.no_grad():
            for w, b in self.fc_dnn:
                feats = F.relu(torch._C._nn.mkldnn_linear(feats.to_mkldnn(), w, b).to_dense())
            return feats

    def fc67_reference(self, feats):
        """The same through F.linear (the tests compare the two)."""
        with torch.no_grad():
            for _, w, b in self.fc:
                feats = F.relu(F.linear(feats, w, b))
            return feats


def lrn_within_channel(x):
    """Caffe's WITHIN_CHANNEL LRN: the 3x3 average of x^2 includes the zero padding (Caffe
    divides by the full window there too)."""
    sq = F.avg_pool2d(x * x, LRN_SIZE, 1, LRN_SIZE // 2, count_include_pad=True)
    return x * (1.0 + LRN_ALPHA * sq).pow(-LRN_BETA)


def conv5_size(h, w):
    """conv5's (H, W) for an h x w input, from the layer table (checked against the network
    by the tests)."""
    for _, _, k, s, p, norm_pool in CONV:
        h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        if norm_pool:
            h, w = -(-(h - 3) // 2) + 1, -(-(w - 3) // 2) + 1
    return h, w
