#!/usr/bin/env python3
"""PyTorch CPU peer: times torch's SPP (the reference formulation of docs/spec.md#1-operation)
on the benchmark's points and writes Google-Benchmark-format JSON rows beside the kernels'.

    .venv/bin/python harness/peers/torch_peer.py --points FILE --repetitions R --out OUT.json
                                                 [--min-time SECONDS]

FILE: one point per line, `<problem string> <threads> <direction>` (fwd|bwd|fwdbwd); blank
lines and '#' comments are ignored. Only `adaptive` points are timed (torch's adaptive pooling
is that convention); the others are skipped with a note on stderr.

What is timed: `torch.cat([F.adaptive_{max,avg}_pool2d(x, n).flatten(1) for n in levels], 1)`.
Every adaptive point is timed in BOTH memory formats, whatever the point's layout: NCHW
contiguous as `torch_nchw/{problem}/t{T}` and channels_last as `torch_cl/{problem}/t{T}`, where
{problem} is the point's string as given (so a row sits beside the kernels of that point; the
string's layout names the row, not torch's memory format). Directions:
  fwd     forward only, under torch.no_grad() (torch still computes max indices internally);
          a max fwd point also gets its inference twin, row suffix `/infer`: the same pyramid
          under torch.inference_mode(), torch's deployment form (1.13 has no values-only
          adaptive max kernel: the indices are still computed and dropped, which is the work
          a user of torch pays for inference);
  bwd     backward alone: the forward graph is built once (x.requires_grad), then each iteration
          sets x.grad = None and runs y.backward(gy, retain_graph=True); torch allocates and
          zero-fills dx itself, as our kernels overwrite dx. Row suffix `/bwd`;
  fwdbwd  x.grad = None, forward, backward, each iteration. Row suffix `/fwdbwd`.
torch.set_num_threads(T) before each of a point's batches. Each point: the iteration count grows
until one batch takes >= --min-time (default 0.1 s; this is also the warm-up); then R
repetitions of that batch, round-robin over all the points and formats of the call (repetition r
of each before repetition r + 1 of any: peer_timing.py says why); real time from
perf_counter_ns, cpu time from process_time_ns (all threads), ns per iteration.

Before timing, each memory format's output (and gradient, for bwd/fwdbwd) is checked against the
NumPy oracle (oracle/spp_oracle.py) on the first samples of the same input (at most ~2M elements):
max bitwise, avg within the oracle's avg_bound (docs/spec.md#3-max-and-avg), gradients within its
backward_bound. A mismatch prints the first differing element and no row is emitted for it.
Exit: 0 ok, 1 if any check failed, 2 on bad arguments (nothing written).
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "oracle"))
sys.path.insert(0, HERE)

import gbjson  # noqa: E402
import peer_timing  # noqa: E402
import spp_oracle  # noqa: E402

CHECK_ELEMS = 1 << 21
DIRECTIONS = ("fwd", "bwd", "fwdbwd")


def die(msg):
    print(f"torch_peer: {msg}", file=sys.stderr)
    sys.exit(2)


def read_points(path):
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError as e:
        die(f"--points {path}: cannot read: {e.strerror}")
    pts = []
    for no, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split()
        where = f"--points {path} line {no}"
        if len(parts) != 3:
            die(f"{where}: '{s}': expected '<problem> <threads> <fwd|bwd|fwdbwd>'")
        prob, thr, direction = parts
        try:
            d = spp_oracle.parse_problem(prob)
            spp_oracle.check_problem(d)
        except ValueError as e:
            die(f"{where}: {e}")
        if not thr.isdigit() or not 1 <= int(thr) <= 1024:
            die(f"{where}: threads={thr}: expected an integer 1..1024")
        if direction not in DIRECTIONS:
            die(f"{where}: direction={direction}: expected one of fwd, bwd, fwdbwd")
        pts.append((prob, d, int(thr), direction))
    return pts


def spp_torch(torch, F, x, levels, pool):
    fn = F.adaptive_max_pool2d if pool == "max" else F.adaptive_avg_pool2d
    return torch.cat([fn(x, n).flatten(1) for n in levels], 1)


def first_mismatch(got, want, tol):
    """Index and values of the first element outside tol (tol None: bitwise for floats)."""
    if tol is None:
        bad = got.view(np.uint32) != want.view(np.uint32)
    else:
        bad = ~(np.abs(got.astype(np.float64) - want.astype(np.float64)) <= tol)
    if not bad.any():
        return None
    i = np.unravel_index(np.argmax(bad), bad.shape)
    return i, want[i], got[i], (None if tol is None else tol[i])


def check(torch, F, name, x, d, direction, gy):
    """Output (and gradient) of torch vs the oracle on the first samples of x; True if equal."""
    per = d["c"] * d["h"] * d["w"]
    ns = max(1, min(d["n"], CHECK_ELEMS // per))
    xs = x[:ns].detach().clone(memory_format=torch.preserve_format)
    xn = xs.contiguous().numpy()            # logical NCHW whatever the memory format
    lv, pool = d["levels"], d["pool"]
    want, am = spp_oracle.forward(xn, lv, pool, "adaptive", "nchw")
    if direction in ("fwd", "infer"):
        with torch.inference_mode() if direction == "infer" else torch.no_grad():
            got = spp_torch(torch, F, xs, lv, pool).numpy()
    else:
        xs.requires_grad_(True)
        y = spp_torch(torch, F, xs, lv, pool)
        y.backward(gy[:ns])
        got = y.detach().numpy()
    tol = None if pool == "max" else spp_oracle.avg_bound(xn, lv, "adaptive", "nchw")
    bad = first_mismatch(got, want, tol)
    what = "output"
    if bad is None and direction not in ("fwd", "infer"):
        dyn = gy[:ns].numpy()
        dx_want = spp_oracle.backward(dyn, am, xn.shape, lv, pool, "adaptive", "nchw")
        btol = spp_oracle.backward_bound(dyn, am, xn.shape, lv, pool, "adaptive", "nchw")
        dx = xs.grad.contiguous().numpy()
        bad = first_mismatch(dx, dx_want, btol)
        what = "gradient"
    if bad is not None:
        i, w, g, t = bad
        print(f"torch_peer: {name}: CHECK FAILED vs oracle ({what}, first {ns} sample(s)) at "
              f"{tuple(int(v) for v in i)}: expected {w!r} got {g!r} (tol {t}); no row emitted",
              file=sys.stderr)
        return False
    return True


def make_step(torch, F, x, d, direction, gy):
    lv, pool = d["levels"], d["pool"]
    if direction == "infer":
        def step():
            with torch.inference_mode():
                return spp_torch(torch, F, x, lv, pool)
        return step
    if direction == "fwd":
        def step():
            with torch.no_grad():
                return spp_torch(torch, F, x, lv, pool)
        return step
    xg = x.detach().clone(memory_format=torch.preserve_format).requires_grad_(True)
    if direction == "bwd":
        y = spp_torch(torch, F, xg, lv, pool)

        def step():
            xg.grad = None
            y.backward(gy, retain_graph=True)
        return step

    def step():
        xg.grad = None
        spp_torch(torch, F, xg, lv, pool).backward(gy)
    return step


def parse_args(doc, die):
    """The Python whole-map peers' command line (--points --repetitions --out [--min-time]),
    checked: the arguments and the points they name, or die(message) naming the bad one."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--points", required=True)
    ap.add_argument("--repetitions", required=True, type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-time", type=float, default=0.1)
    a = ap.parse_args()
    if not 1 <= a.repetitions <= 1000:
        die(f"--repetitions {a.repetitions}: expected an integer 1..1000")
    if not 0 < a.min_time <= 100:
        die(f"--min-time {a.min_time}: expected seconds in (0, 100]")
    out_dir = os.path.dirname(os.path.abspath(a.out))
    if not os.path.isdir(out_dir):
        die(f"--out {a.out}: directory {out_dir} does not exist")
    return a, read_points(a.points)


def main():
    a, pts = parse_args(__doc__, die)

    import torch
    import torch.nn.functional as F

    entries, failures = [], 0  # (name, label, input bytes, set threads, step)
    for k, (prob, d, threads, direction) in enumerate(pts):
        if d["bins"] != "adaptive":
            print(f"torch_peer: skip {prob}: torch's adaptive pooling is the adaptive convention "
                  f"only", file=sys.stderr)
            continue
        torch.set_num_threads(threads)
        g = torch.Generator().manual_seed(1000 + k)
        shape = (d["n"], d["c"], d["h"], d["w"])
        x = torch.rand(shape, generator=g, dtype=torch.float32) * 2 - 1
        nout = d["c"] * sum(n * n for n in d["levels"])
        gy = torch.rand((d["n"], nout), generator=g, dtype=torch.float32) * 2 - 1
        forms = (direction, "infer") if direction == "fwd" and d["pool"] == "max" else (direction,)
        for kname, fmt in (("torch_nchw", torch.contiguous_format),
                           ("torch_cl", torch.channels_last)):
            xf = x.contiguous(memory_format=fmt)
            for form in forms:
                suffix = "" if form == "fwd" else f"/{form}"
                name = f"{kname}/{prob}/t{threads}{suffix}"
                if not check(torch, F, name, xf, d, form, gy):
                    failures += 1
                    continue
                fmt_name = "channels_last" if kname == "torch_cl" else "contiguous"
                mode = " inference_mode" if form == "infer" else ""
                entries.append((name, f"torch {torch.__version__} {fmt_name}{mode}",
                                4.0 * x.numel(), lambda t=threads: torch.set_num_threads(t),
                                make_step(torch, F, xf, d, form, gy)))

    timings = peer_timing.round_robin([(e[3], e[4]) for e in entries], a.repetitions,
                                      a.min_time)
    benchmarks = []
    for (name, label, in_bytes, _, _), (iters, real, cpu) in zip(entries, timings):
        benchmarks += gbjson.rows(name, iters, real, cpu, in_bytes, label)
        print(f"torch_peer: {name}: checked vs oracle, median {np.median(real):.4g} ns",
              file=sys.stderr)
    timed = len(entries)

    ctx = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "host_name": platform.node(),
        "executable": "harness/peers/torch_peer.py",
        "num_cpus": os.cpu_count(),
        "cpu_model": gbjson.cpu_model(),
        "peer": "torch",
        "torch_version": torch.__version__,
        "torch_parallel_backend": "openmp" if "OpenMP" in torch.__config__.parallel_info()
        else "other",
        "threads_per_point": "torch.set_num_threads(T) with T from the point",
        "repetitions": a.repetitions,
        "repetition_order": "round-robin over this call's points (harness/peers/peer_timing.py)",
        "glibc_tunables": gbjson.malloc_note(),
        "min_time_s": a.min_time,
        "timing": "real: perf_counter_ns, cpu: process_time_ns, per iteration",
    }
    gbjson.write_atomic(a.out, {"context": ctx, "benchmarks": benchmarks})
    print(f"torch_peer: {timed} row group(s) timed, {failures} failed, wrote {a.out}",
          file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
