"""Synthetic Google-Benchmark runs for the report and gate tests (and for looking at plots).

Each benchmark gets `reps` per-repetition rows (run_type "iteration") plus GB's aggregates;
times follow a simple bandwidth model with multiplicative noise from a seeded generator, so
tests can state the expected medians exactly when noise=0.
"""
import json
import random
import statistics

# Input bandwidth (GB/s) of each synthetic kernel at 1 thread; threaded kernels scale.
MODEL = {"naive": (0.4, False), "nchw__binmajor": (4.0, False), "nchw__omp": (3.8, True),
         "nhwc__chlast": (7.0, False), "torch_nchw": (1.2, True), "torch_cl": (2.5, True),
         "onednn": (3.0, True)}
LAYOUT = {"nchw__binmajor": "nchw", "nchw__omp": "nchw", "nhwc__chlast": "nhwc"}
PEERS = ("torch_nchw", "torch_cl", "onednn")


def problem(n, c, h, w, levels, pool="max", bins="adaptive", layout="nchw"):
    return f"n{n}c{c}h{h}w{w}_l{'.'.join(map(str, levels))}_{pool}_{bins}_{layout}"


def bench_rows(name, times_ns, bytes_per_iter, label=""):
    rows = []
    for i, t in enumerate(times_ns):
        rows.append({"name": name, "family_index": 0, "per_family_instance_index": 0,
                     "run_name": name, "run_type": "iteration", "repetitions": len(times_ns),
                     "repetition_index": i, "threads": 1, "iterations": 100, "real_time": t,
                     "cpu_time": t, "time_unit": "ns", "in_bytes": bytes_per_iter / (t * 1e-9)})
    mean = statistics.fmean(times_ns)
    sd = statistics.stdev(times_ns) if len(times_ns) > 1 else 0.0
    for agg, v in (("mean", mean), ("median", statistics.median(times_ns)), ("stddev", sd),
                   ("cv", sd / mean)):
        rows.append({"name": f"{name}_{agg}", "family_index": 0, "per_family_instance_index": 0,
                     "run_name": name, "run_type": "aggregate", "repetitions": len(times_ns),
                     "threads": 1, "aggregate_name": agg,
                     "aggregate_unit": "percentage" if agg == "cv" else "time",
                     "iterations": len(times_ns), "real_time": v, "cpu_time": v,
                     "time_unit": "ns"})
    return rows


def make_run(points, reps=9, noise=0.03, seed=1, threads=(1, 2), kernels=None, slow=None,
             cpu_model="AMD EPYC (synthetic)", suffix="", readwrite=False, infer=False):
    """points: problem strings. slow: {kernel: factor} multiplies that kernel's times.
    suffix: appended to every row name (e.g. "/real_time" as GB's UseRealTime() does).
    readwrite: add the bound_readwrite rows (training forward, /infer, /bwd) at 20 GB/s of the
    bytes each form moves. infer: add every kernel's (not the peers') /infer row on max problems,
    at 0.8 of its forward time."""
    rng = random.Random(seed)
    kernels = kernels or list(MODEL)
    slow = slow or {}
    bench = []

    def times(base):
        return [base * (rng.lognormvariate(0, noise) if noise else 1.0) for _ in range(reps)]

    for prob in points:
        parts = prob.split("_")
        n, rest = parts[0][1:].split("c")
        c, rest = rest.split("h")
        h, w = rest.split("w")
        nbytes = int(n) * int(c) * int(h) * int(w) * 4
        bins, layout = parts[3], parts[4]
        for t in threads:
            bench += bench_rows(f"bound_readonce/{prob}/t{t}{suffix}",
                                times(nbytes / (25e9 * t) * 1e9 + 200), nbytes)
            if readwrite:
                lv = parts[1][1:].split(".")
                obytes = int(n) * int(c) * sum(int(v) ** 2 for v in lv) * 4
                for form, moved in (("", nbytes + 2 * obytes), ("/infer", nbytes + obytes),
                                    ("/bwd", nbytes + 2 * obytes)):
                    bench += bench_rows(f"bound_readwrite/{prob}/t{t}{form}{suffix}",
                                        times(moved / (20e9 * t) * 1e9 + 200), nbytes)
            for k in kernels:
                bw, threaded = MODEL[k]
                if t > 1 and not threaded:
                    continue
                if k in LAYOUT and LAYOUT[k] != layout:
                    continue
                if k.startswith("torch") and bins != "adaptive":
                    continue
                if k == "onednn" and bins != "sppnet":
                    continue
                base = (nbytes / (bw * 1e9 * (0.9 * t if threaded and t > 1 else 1)) * 1e9
                        + (2000 if k in PEERS else 300)) * slow.get(k, 1.0)
                bench += bench_rows(f"{k}/{prob}/t{t}{suffix}", times(base), nbytes)
                if infer and k not in PEERS and parts[2] == "max":
                    bench += bench_rows(f"{k}/{prob}/t{t}/infer{suffix}", times(0.8 * base),
                                        nbytes)
    bench += bench_rows(f"bound_dram/268435456/t1{suffix}", times(268435456 / 12e9 * 1e9),
                        268435456)
    ctx = {"date": "2026-11-21T10:00:00+00:00", "host_name": "synthetic", "num_cpus": 2,
           "cpu_model": cpu_model, "compiler": "gcc 12.2.0 -O3", "library_build_type": "release"}
    return {"context": ctx, "benchmarks": bench}


def sweep_points():
    pts = []
    for hw in (8, 13, 24, 32, 48, 64, 96):
        for lay in ("nchw", "nhwc"):
            pts.append(problem(16, 256, hw, hw, (6, 3, 2, 1), layout=lay))
    pts += [problem(64, 256, 13, 13, (6, 3, 2, 1), "max", "sppnet", "nhwc"),
            problem(1, 256, 43, 57, (6, 3, 2, 1), "avg", "adaptive", "nchw"),
            problem(32, 67, 7, 5, (4, 2, 1), "max", "adaptive", "nhwc")]
    return pts


if __name__ == "__main__":
    import sys
    json.dump(make_run(sweep_points()), open(sys.argv[1], "w"), indent=1)
