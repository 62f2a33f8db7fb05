#!/usr/bin/env python3
"""OpenVINO CPU peer: times OpenVINO's AdaptiveMaxPool / AdaptiveAvgPool pyramid on the
benchmark's points and writes Google-Benchmark-format JSON rows beside the kernels'.

    .venv/bin/python harness/peers/openvino_peer.py --points FILE --repetitions R --out OUT.json
                                                    [--min-time SECONDS]

FILE: the points file run_bench.py writes (`<problem> <threads> <direction>` per line, read by
torch_peer.read_points). Only `adaptive` `fwd` points are timed: OpenVINO's adaptive pooling is
the adaptive convention and the peer has no backward; the others are skipped with a note.

The model (one per point and form, built with the opset8 Python API and compiled for the CPU
plugin): per level n, AdaptiveMaxPool-8 (index_element_type i32) or AdaptiveAvgPool-8 with
output size n x n, each output reshaped to (N, C*n*n), then Concat along axis 1: the canonical
output order of docs/spec.md#1-operation. OpenVINO's adaptive pooling takes NCHW only, so an
`_nhwc` point feeds an NHWC tensor through a Transpose to NCHW inside the model: the transpose
is part of the timed work. Rows, {problem} as given:
  openvino/{problem}/t{T}          max: values and indices (the training forward), avg: values
  openvino/{problem}/t{T}/infer    max only: the model with the values output alone (OpenVINO
                                   has no values-only AdaptiveMaxPool; the plugin may still
                                   compute the indices internally)
Threads: compiled with INFERENCE_NUM_THREADS=T, NUM_STREAMS=1, PERFORMANCE_HINT=LATENCY (one
stream of T threads) and INFERENCE_PRECISION_HINT=f32 (no bf16/f16 downconversion). An
iteration is one synchronous infer() on a request whose input tensor shares the input array
(share_outputs=True: the outputs are not copied out).

Before timing, each compiled model runs on the input and its outputs for the first samples (at
most ~2M input elements) are compared with oracle/spp_oracle.py: max values bitwise and indices
equal to the oracle's argmax (OpenVINO's indices are h*W + w inside each (sample, channel)
plane, the contract's argmax), avg within the oracle's avg_bound. A mismatch prints the first
differing element and no row is emitted for it (exit 1). The benchmark maps are finite, so the
rules where OpenVINO departs from docs/spec.md#3-max-and-avg (NaN) do not apply there; the
context records them (probe_max_rules, run on a few 2x2 bins every call).
Context: openvino_version, the CPU plugin's FULL_DEVICE_NAME, cpu_model, the compiled model's
properties, and per row the executed primitives (`layerType:primitiveType` of the runtime
model's nodes).
Exit: 0 ok, 1 if any check failed, 2 on bad arguments (nothing written).
"""
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "oracle")]

import gbjson  # noqa: E402
import peer_timing  # noqa: E402
import spp_oracle  # noqa: E402
import torch_peer  # noqa: E402  (read_points, first_mismatch; imports no torch itself)

CHECK_ELEMS = torch_peer.CHECK_ELEMS
PEER = "openvino"


def die(msg):
    print(f"openvino_peer: {msg}", file=sys.stderr)
    sys.exit(2)


def compile_config(threads):
    """The CPU plugin's properties for one stream of exactly `threads` threads, in float32."""
    return {"INFERENCE_NUM_THREADS": int(threads), "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}


def row_name(prob, threads, form):
    """form: "train" (max with indices, or avg) or "infer" (max, values only)."""
    return f"{PEER}/{prob}/t{threads}" + ("/infer" if form == "infer" else "")


def forms(d):
    """The forms timed at a point: max gets the training and the inference row, avg one row."""
    return ("train", "infer") if d["pool"] == "max" else ("train",)


def skip_reason(d, direction):
    """Why a point is not timed (None: it is)."""
    if d["bins"] != "adaptive":
        return "OpenVINO's adaptive pooling is the adaptive convention only"
    if direction != "fwd":
        return "the OpenVINO peer times the forward only"
    return None


def build_model(ov, shape, levels, pool, layout, form):
    """The SPP pyramid as an OpenVINO model; shape is the logical (N, C, H, W)."""
    import openvino.opset8 as ops
    n, c, h, w = shape
    p = ops.parameter([n, h, w, c] if layout == "nhwc" else [n, c, h, w], np.float32, name="x")
    x = ops.transpose(p, ops.constant(np.array([0, 3, 1, 2], np.int64))) if layout == "nhwc" \
        else p
    flat = ops.constant(np.array([0, -1], np.int64))
    ys, ams = [], []
    for lv in levels:
        size = ops.constant(np.array([lv, lv], np.int64))
        if pool == "max":
            a = ops.adaptive_max_pool(x, size, "i32")
            ys.append(ops.reshape(a.output(0), flat, True))
            ams.append(ops.reshape(a.output(1), flat, True))
        else:
            ys.append(ops.reshape(ops.adaptive_avg_pool(x, size), flat, True))
    outs = [ops.concat(ys, 1)]
    if pool == "max" and form == "train":
        outs.append(ops.concat(ams, 1))
    return ov.Model(outs, [p], "spp")


def primitives(cm):
    """The executed primitives of a compiled model: `layerType:primitiveType`, in execution
    order, each once."""
    seen = []
    for op in cm.get_runtime_model().get_ordered_ops():
        rt = op.get_rt_info()
        lt = rt["layerType"].astype(str) if "layerType" in rt else op.get_type_name()
        pt = rt["primitiveType"].astype(str) if "primitiveType" in rt else "?"
        if lt in ("Const", "Input", "Output"):
            continue
        s = f"{lt}:{pt}"
        if s not in seen:
            seen.append(s)
    return ", ".join(seen)


def compiled_properties(cm):
    out = {}
    for k in ("INFERENCE_NUM_THREADS", "NUM_STREAMS", "PERFORMANCE_HINT",
              "INFERENCE_PRECISION_HINT", "ENABLE_CPU_PINNING", "ENABLE_HYPER_THREADING",
              "SCHEDULING_CORE_TYPE"):
        try:
            out[k] = str(cm.get_property(k))
        except RuntimeError:
            out[k] = "?"
    return "; ".join(f"{k}={v}" for k, v in out.items())


def to_layout(x, layout):
    """A logical NCHW array in the point's memory layout."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if layout == "nhwc" else x


def run_model(cm, xin):
    r = cm(xin)
    return [np.asarray(r[o]) for o in cm.outputs]


def verify(cm, x, d, form):
    """(ok, message): the compiled model's outputs on x vs the oracle on x's first samples."""
    per = d["c"] * d["h"] * d["w"]
    ns = max(1, min(d["n"], CHECK_ELEMS // per))
    outs = run_model(cm, to_layout(x, d["layout"]))
    lv, pool = d["levels"], d["pool"]
    want, am = spp_oracle.forward(x[:ns], lv, pool, "adaptive", "nchw")
    tol = None if pool == "max" else spp_oracle.avg_bound(x[:ns], lv, "adaptive", "nchw")
    bad = torch_peer.first_mismatch(outs[0][:ns], want, tol)
    what = "values"
    if bad is None and pool == "max" and form == "train":
        got = outs[1][:ns]
        if got.dtype != np.int32 or not np.array_equal(got, am):
            i = np.unravel_index(np.argmax(got != am), am.shape)
            bad, what = (i, am[i], got[i], None), "indices"
    if bad is not None:
        i, w, g, t = bad
        return False, (f"{what} differ from the oracle (first {ns} sample(s)) at "
                       f"{tuple(int(v) for v in i)}: expected {w!r} got {g!r} (tol {t})")
    return True, (f"values {'bitwise' if pool == 'max' else 'within avg_bound'}"
                  + (", indices equal the oracle's argmax" if pool == "max" and form == "train"
                     else "") + f" (first {ns} sample(s))")


# Single 2x2 bins (row-major) where a max rule of docs/spec.md#3-max-and-avg is at stake.
PROBE_BINS = (("tie", [1.0, 3.0, 3.0, 2.0]), ("signed zeros", [-0.0, 0.0, -1.0, -2.0]),
              ("all -inf", [-np.inf] * 4), ("-inf then finite", [-np.inf, -np.inf, -5.0, -np.inf]),
              ("NaN not first", [1.0, np.nan, 2.0, np.nan]),
              ("NaN first", [np.nan, 5.0, np.nan, 1.0]), ("+inf then NaN", [np.inf, np.nan, 1.0, 1.0]))


def probe_max_rules(ov, core):
    """AdaptiveMaxPool on single 2x2 bins vs the oracle: one line per case, 'as the contract'
    or what OpenVINO returns instead."""
    x = np.array([v for _, v in PROBE_BINS], np.float32).reshape(len(PROBE_BINS), 1, 2, 2)
    cm = core.compile_model(build_model(ov, x.shape, [1], "max", "nchw", "train"), "CPU",
                            compile_config(1))
    y, am = run_model(cm, x)
    ye, ae = spp_oracle.forward(x, [1], "max", "adaptive", "nchw")
    out = []
    for k, (name, vals) in enumerate(PROBE_BINS):
        same = y[k, 0].view(np.uint32) == ye[k, 0].view(np.uint32) and am[k, 0] == ae[k, 0]
        out.append(f"{name} {vals}: " + ("as the contract" if same else
                                         f"OpenVINO {y[k, 0]!r} at {int(am[k, 0])}, contract "
                                         f"{ye[k, 0]!r} at {int(ae[k, 0])}"))
    return "; ".join(out)


def main():
    a, pts = torch_peer.parse_args(__doc__, die)

    try:
        import openvino as ov
    except ImportError as e:
        die(f"openvino is not importable ({e}); `scripts/setup.sh bench` installs it")
    core = ov.Core()

    ctx = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "host_name": platform.node(),
        "executable": "harness/peers/openvino_peer.py",
        "num_cpus": os.cpu_count(),
        "cpu_model": gbjson.cpu_model(),
        "peer": PEER,
        "openvino_version": ov.get_version(),
        "openvino_device": str(core.get_property("CPU", "FULL_DEVICE_NAME")),
        "openvino_model": "per level AdaptiveMaxPool-8 (i32 indices) or AdaptiveAvgPool-8, "
                          "reshape to (N, C*n*n), Concat axis 1; _nhwc points: NHWC input and "
                          "a Transpose to NCHW inside the model (timed)",
        "openvino_max_rules": probe_max_rules(ov, core),
        "threads_per_point": "compiled with INFERENCE_NUM_THREADS=T, NUM_STREAMS=1, "
                             "PERFORMANCE_HINT=LATENCY, INFERENCE_PRECISION_HINT=f32",
        "repetitions": a.repetitions,
        "repetition_order": "round-robin over this call's points (harness/peers/peer_timing.py)",
        "glibc_tunables": gbjson.malloc_note(),
        "min_time_s": a.min_time,
        "timing": "real: perf_counter_ns, cpu: process_time_ns, per iteration (one infer())",
    }
    entries, failures = [], 0   # (name, label, input bytes, step)
    alive = []   # the input arrays the requests' shared tensors point into
    for k, (prob, d, threads, direction) in enumerate(pts):
        why = skip_reason(d, direction)
        if why:
            print(f"openvino_peer: skip {prob} t{threads} {direction}: {why}", file=sys.stderr)
            continue
        shape = (d["n"], d["c"], d["h"], d["w"])
        x = (np.random.default_rng(1000 + k).random(shape, dtype=np.float32) * 2 - 1)
        for form in forms(d):
            name = row_name(prob, threads, form)
            cm = core.compile_model(build_model(ov, shape, d["levels"], d["pool"], d["layout"],
                                                form), "CPU", compile_config(threads))
            ok, msg = verify(cm, x, d, form)
            if not ok:
                print(f"openvino_peer: {name}: CHECK FAILED: {msg}; no row emitted",
                      file=sys.stderr)
                failures += 1
                continue
            ctx[f"primitives/{name}"] = primitives(cm)
            ctx.setdefault(f"compiled/t{threads}", compiled_properties(cm))
            req = cm.create_infer_request()
            xin = to_layout(x, d["layout"])
            # the tensor shares xin's memory and the timing runs after every point is set up:
            # keep xin alive until then (x is rebound at the next point; a freed array under a
            # shared tensor is a use after free)
            alive.append(xin)
            req.set_input_tensor(ov.Tensor(xin, shared_memory=True))
            entries.append((name, f"openvino {ov.__version__} {d['layout']}; verified: {msg}",
                            4.0 * x.size, lambda r=req: r.infer(share_outputs=True)))

    timings = peer_timing.round_robin([(lambda: None, e[3]) for e in entries], a.repetitions,
                                      a.min_time)
    benchmarks = []
    for (name, label, in_bytes, _), (iters, real, cpu) in zip(entries, timings):
        benchmarks += gbjson.rows(name, iters, real, cpu, in_bytes, label)
        print(f"openvino_peer: {name}: checked vs oracle, median {np.median(real):.4g} ns",
              file=sys.stderr)
    gbjson.write_atomic(a.out, {"context": ctx, "benchmarks": benchmarks})
    print(f"openvino_peer: {len(entries)} row group(s) timed, {failures} failed, wrote {a.out}",
          file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
