#!/usr/bin/env python3
"""SPP-net vs R-CNN detection time per image on this CPU (`make bench-sppnet`,
docs/sppnet.md): builds the inputs, checks every stage against its reference (checks.py), then
times the three methods stage by stage, repetition r of every (threads, method) before
repetition r + 1 of any, and writes results/sppnet/ (tables.py). Progress goes to stderr.

Exit status: 0; 1 when a check failed (nothing written); 2 on bad arguments (nothing
written); 130 when interrupted.
"""
import datetime
import importlib.metadata
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))    # harness/: the sppnet package

from sppnet import args as cli  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def version(pkg):
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_commit():
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")   # never take a shared tree's index lock
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=cli.ROOT, env=env,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=cli.ROOT, env=env,
                               capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Bench:
    """The inputs, the plans and the networks of one run."""

    def __init__(self, a):
        import numpy as np
        from sppnet import pipeline, pooling, zf5
        from sppnet import windows as W
        self.a = a
        self.net_spp = zf5.ZF5(pooling.BINS_PER_CHANNEL, width_div=a.width_div)
        self.net_rcnn = zf5.ZF5(pooling.POOL5_LEVEL ** 2, width_div=a.width_div)
        scales = sorted(set(a.scales) | {a.single_scale})
        self.images = {s: W.make_image(s) for s in scales}
        self.map_sizes = {s: zf5.conv5_size(*W.image_size(s)) for s in scales}
        self.windows = W.make_windows(a.windows)
        self.plans = {
            "spp1": pipeline.Plan("SPP-net 1-scale", [a.single_scale], self.map_sizes,
                                  self.windows, np.zeros(a.windows, np.int64)),
            "spp5": pipeline.Plan("SPP-net 5-scale", a.scales, self.map_sizes, self.windows,
                                  W.pick_scales(self.windows, a.scales))}
        self.sample = W.rcnn_sample(a.windows, a.rcnn_sample)
        self.rcnn_windows = W.at_scale(self.windows[self.sample], a.single_scale)
        self.factor = a.windows / len(self.sample)

    def per_scale(self):
        p = self.plans["spp5"]
        return ", ".join(f"s={s}: {b - a} (map {self.map_sizes[s][0]}x{self.map_sizes[s][1]})"
                         for s, _, (a, b) in p.groups)


def set_threads(t):
    import torch
    torch.set_num_threads(t)


def verify(bench, peers, t, notes, peer_notes):
    """Every check at thread count t; returns {peer name: {method: [calls]}} for timing."""
    from sppnet import checks, pipeline
    set_threads(t)
    prepared = {}
    for m, plan in bench.plans.items():
        _, maps, feats, fc7 = pipeline.spp_pass(bench.net_spp, bench.images, plan, t)
        for s in plan.scales:
            if maps[s].shape[2:] != bench.map_sizes[s]:
                raise checks.CheckError(f"conv5 at s={s}: {maps[s].shape[2:]}, the layer table "
                                        f"says {bench.map_sizes[s]}")
        n_proj = checks.check_projection(plan, bench.windows, bench.map_sizes)
        n_rows = checks.check_spp(plan, maps, feats, fc7, bench.net_spp)
        notes.add(f"{plan.name}: spp_roi_project equals the region oracle's projection on all "
                  f"{n_proj} windows; the kernel's features equal the region oracle's bitwise "
                  f"on {n_rows} windows (first, last, smallest, largest of each scale); fc6 "
                  f"input {feats.shape[1]} wide")
        for peer in peers:
            calls = [peer.prepare(maps[s], boxes, t) for s, boxes, (a, b) in plan.groups
                     if b > a]
            ok, why = checks.check_peer(peer, calls, plan, feats)
            peer_notes[f"{peer.name}/{m}/t{t}"] = why
            log(f"sppnet: t{t} {peer.name} on {plan.name}: {why}")
            prepared.setdefault(peer.name, {})[m] = calls
    n = min(len(bench.rcnn_windows), 50)
    _, conv5, feats, fc7 = pipeline.rcnn_pass(bench.net_rcnn, bench.images[bench.a.single_scale],
                                              bench.rcnn_windows[:n], t, bench.a.warp)
    notes.add("R-CNN: " + checks.check_pool5(conv5, feats, fc7, bench.net_rcnn) +
              f"; fc6 input {feats.shape[1]} wide")
    return prepared


def time_all(bench, prepared):
    """res[t][method][stage] and peer[t][peer][method]: per-repetition seconds per image."""
    from sppnet import pipeline
    a = bench.a
    methods = ["rcnn", "spp1", "spp5"]
    res = {t: {m: {k: [] for k in pipeline.STAGES + ("total", "convpool")} for m in methods}
           for t in a.threads}
    peer = {t: {p: {m: [] for m in calls} for p, calls in prepared[t].items()}
            for t in a.threads}
    for rep in range(a.reps):
        for t in a.threads:
            set_threads(t)
            order = methods[rep % 3:] + methods[:rep % 3]    # rotate: no method always first
            for m in order:
                if m == "rcnn":
                    st, *_ = pipeline.rcnn_pass(bench.net_rcnn, bench.images[a.single_scale],
                                                bench.rcnn_windows, t, a.warp)
                    st = {k: v * bench.factor for k, v in st.items()}
                else:
                    st, *_ = pipeline.spp_pass(bench.net_spp, bench.images, bench.plans[m], t)
                for k, v in st.items():
                    res[t][m][k].append(v)
                res[t][m]["total"].append(sum(st.values()))
                res[t][m]["convpool"].append(st["warp"] + st["conv"] + st["pool"])
                for p, calls in prepared[t].items():
                    if m in calls:
                        peer[t][p][m].append(pipeline.peer_pass(calls[m]))
                log(f"sppnet: rep {rep + 1}/{a.reps} t{t} {m}: " +
                    " ".join(f"{k} {v:.3f}s" for k, v in st.items()) +
                    f" total {sum(st.values()):.3f}s")
    return res, peer


def main(argv=None):
    a = cli.parse(argv)
    import torch
    from sppnet import checks, pooling, tables
    log(f"sppnet: torch {torch.__version__}, building inputs ({a.windows} windows)")
    bench = Bench(a)
    log(f"sppnet: 5-scale windows per scale: {bench.per_scale()}; R-CNN timed on "
        f"{len(bench.sample)} windows, x{bench.factor:g}")
    peers = pooling.load_peers(not a.no_peers, log)
    notes, peer_notes, prepared = set(), {}, {}
    try:
        for t in a.threads:
            log(f"sppnet: checks at {t} thread(s)")
            prepared[t] = verify(bench, peers, t, notes, peer_notes)
    except (checks.CheckError, pooling.spp_lib.SppError) as e:
        log(f"sppnet: CHECK FAILED: {e}\nsppnet: nothing timed, nothing written")
        return 1
    log(f"sppnet: checks passed; timing {a.reps} repetition(s) at threads {a.threads}")
    res, peer = time_all(bench, prepared)
    meta = dict(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        cpu=tables.gbjson.cpu_model(), host_cpus=os.cpu_count(), commit=git_commit(),
        torch=torch.__version__, torchvision=version("torchvision"),
        openvino=version("openvino"),
        command="harness/sppnet/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        label=a.label, reps=a.reps, threads=a.threads, windows=a.windows,
        windows_timed=len(bench.sample), single_scale=a.single_scale, scales=a.scales,
        warp=a.warp, width_div=a.width_div, region_kernel=pooling.REGION_KERNEL,
        pool5_kernel=pooling.POOL5_KERNEL,
        width_note="" if a.width_div == 1 else f", every layer width divided by {a.width_div}",
        checks=sorted(notes) + [f"{k}: {v}" for k, v in sorted(peer_notes.items())],
        peer_notes=peer_notes)
    written = tables.write_all(a.out, res, peer, meta, log)
    log(f"sppnet: wrote {', '.join(written)} in {a.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("sppnet: interrupted; nothing written")
        sys.exit(130)
