#!/usr/bin/env python3
"""Times paths of one kernel against each other on one problem (docs/kernels.md#paths): each
path forced in its own prepared operation (spp_op_force_path), interleaved rounds (A, B, B, A,
...), each round the median of --reps calls, and the median over rounds; ratios to the first
path, taken within this run. A quick study of a path threshold, not a benchmark table: the
numbers are those of this process on this machine, now (docs/benchmarking.md says how tables
are measured). Quiet machine required, as for any timing here.

  scripts/ab_paths.py --kernel nchw__fused_avx2 --problem n8c512h64w64_l4.2.1_max_adaptive_nchw \
      --paths planes,stream --pass backward --threads 1,2

Uses the library of $SPP_BUILD (default build). Exit 2 on bad arguments (a path the kernel does
not have, or not valid for the problem, is refused by the library with its reason)."""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
import spp_lib as L  # noqa: E402
import spp_oracle as O  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--problem", required=True, help="problem string, e.g. n1c16h13w13_l3.2.1_max_adaptive_nhwc")
    ap.add_argument("--paths", required=True, help="comma-separated path names (spp list --paths)")
    ap.add_argument("--pass", dest="pass_", choices=L.PASSES, default="forward")
    ap.add_argument("--threads", default="1", help="comma-separated thread counts")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args(argv)
    try:
        d = O.parse_problem(a.problem)
        threads = [int(t) for t in a.threads.split(",")]
    except ValueError as e:
        ap.error(f"{e}")
    paths = a.paths.split(",")
    if len(paths) < 2 or a.rounds < 1 or a.reps < 1 or min(threads) < 1:
        ap.error("--paths: at least two; --rounds, --reps, --threads: at least 1")
    if a.pass_ == "infer" and d["pool"] != "max":
        ap.error(f"--pass infer: {a.problem} is {d['pool']} pooling; infer is max with argmax NULL")
    ins, outs = L._shapes(d)
    rng = np.random.default_rng(1)
    # buffers from spp_alloc, as spp-bench's (huge pages from 2 MiB up)
    x, y, dy, dx = (L.spp_empty(s) for s in (ins, outs, outs, ins))
    x[...] = rng.standard_normal(ins)
    dy[...] = rng.standard_normal(outs)
    y[...] = 0
    dx[...] = 0
    am = L.spp_empty(outs, np.int32) if d["pool"] == "max" else None
    for t in threads:
        ops = {}
        try:
            for p in paths:
                ops[p] = L.Op(a.kernel, d, threads=t)
                ops[p].force_path(p)
        except L.SppError as e:
            print(f"ab_paths: {e}", file=sys.stderr)
            return 2
        ops[paths[0]].forward_into(x, y, am)   # the argmax a backward reads

        def call(op):
            if a.pass_ == "backward":
                op.backward_into(dy, am, dx)
            else:
                op.forward_into(x, y, am if a.pass_ == "forward" else None)

        per = {p: [] for p in paths}
        for r in range(a.rounds):
            for p in (paths if r % 2 == 0 else paths[::-1]):
                call(ops[p])   # warm: caches, page faults, the OpenMP pool
                ts = []
                for _ in range(a.reps):
                    t0 = time.perf_counter()
                    call(ops[p])
                    ts.append(time.perf_counter() - t0)
                per[p].append(statistics.median(ts))
        med = {p: statistics.median(v) for p, v in per.items()}
        took = {p: ops[p].path(a.pass_) for p in paths}
        print(f"{a.kernel} {a.problem} {a.pass_} t{t}: " +
              "  ".join(f"{p} {med[p] * 1e3:.3f} ms ({med[p] / med[paths[0]]:.3f}x)" for p in paths) +
              ("" if all(took[p] == p for p in paths) else f"  (ran: {took})"))
        for op in ops.values():
            op.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
