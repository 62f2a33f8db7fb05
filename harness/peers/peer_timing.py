"""The timing loop of the Python peers (torch_peer.py, torchvision_roi_peer.py).

Every point of a call is calibrated first: its iteration count grows until one batch takes
>= min_time (this is also its warm-up). Then the repetitions run round-robin: repetition r of
every point before repetition r + 1 of any. This machine's speed moves in bursts of a fraction
of a second to a few seconds; run back to back, all repetitions of one point can fall in one
burst, which the median cannot filter out. Round-robin, a burst hits one repetition of several
points instead (spp-bench does the same with Google Benchmark's random interleaving).
"""
import math
import time


def calibrate(step, min_time):
    """Iterations per batch: the first count, growing, whose batch takes >= min_time."""
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        dt = time.perf_counter() - t0
        if dt >= min_time or iters >= 1 << 40:
            return iters
        grow = 1.4 * min_time / dt if dt > 0 else 10.0
        iters = int(math.ceil(iters * min(10.0, max(2.0, grow))))


def round_robin(points, reps, min_time):
    """points: (prepare, step) pairs; prepare() runs before each of the point's batches (to set
    its thread count, say). Returns, per point, (iterations, real ns per iteration for each
    repetition, cpu ns per iteration for each repetition)."""
    iters = []
    for prepare, step in points:
        prepare()
        iters.append(calibrate(step, min_time))
    real = [[] for _ in points]
    cpu = [[] for _ in points]
    for _ in range(reps):
        for k, (prepare, step) in enumerate(points):
            prepare()
            c0, t0 = time.process_time_ns(), time.perf_counter_ns()
            for _ in range(iters[k]):
                step()
            t1, c1 = time.perf_counter_ns(), time.process_time_ns()
            real[k].append((t1 - t0) / iters[k])
            cpu[k].append((c1 - c0) / iters[k])
    return [(iters[k], real[k], cpu[k]) for k in range(len(points))]
