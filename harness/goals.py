#!/usr/bin/env python3
"""The performance goals, judged on one run: met or not, with the worst point as evidence.

    .venv/bin/python harness/goals.py RUN [RUN ...]

RUN: whole-map runs (spp-bench via harness/run_bench.py) and region runs (spp-bench-regions via
harness/run_regions.py), plain or compressed. Every ratio is taken within one run (medians of
its repetitions), never across runs. The goals (docs/benchmarking.md#goals):

  whole maps (forward max, adaptive bins; the best kernel of each point):
    train-rw    training forward at 1 thread within 2x its read+write bound (input read,
                y and int32 argmax written)
    infer-rw    inference forward (argmax NULL) at 1 thread within 1.5x its y-only read+write
                bound
    peers       at least 1.5x the fastest peer at equal threads on every point where a peer
                runs (forward, inference and backward; peers on their own memory format)
    scaling     2 threads at least 1.8x 1 thread on inputs of 10 MB or more (forward)
    auto        every `auto` row (the kernel spp_kernel_auto chose) within 1.10x the fastest
                kernel of its point
  regions (det-688):
    roi-openvino  inference at least 5x OpenVINO's ROIPooling pyramid at equal threads
    roi-nchw      the best NCHW kernel within 1.2x the best NHWC kernel (inference)

and, not a goal, a whole-map run's noise: each `auto` row against the row of the kernel and
path it ran, the same code timed twice (median and 10th-90th percentile of the ratio).

Prints one line per goal and run: `goal <name>: met|NOT met: <evidence>`, then for a whole-map
run `noise: <spread>`. Exit 0 (a goal not met is a finding, not an error); 2 when a run cannot
be read.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))

import gbjson  # noqa: E402
import report  # noqa: E402
import run_regions  # noqa: E402

TEN_MB = 10 * 1000 * 1000


def _name(r):
    return f"{r['workload']} {r['p']['layout']}" if r["workload"] else r["problem"]


def _best(rows, problem, threads, direction):
    """The fastest registered kernel of a point (the `auto` rows time one of them: not counted)."""
    c = [r for r in rows if r["problem"] == problem and r["threads"] == threads and
         r["direction"] == direction and not r["is_peer"] and r["kernel"] != "auto"]
    return min(c, key=lambda r: r["median"]) if c else None


def _points(rows, direction, threads=None):
    """(problem, threads) of the max adaptive points timed in a direction."""
    return sorted({(r["problem"], r["threads"]) for r in rows
                   if r["direction"] == direction and r["p"]["pool"] == "max" and
                   r["p"]["bins"] == "adaptive" and r["workload"] != "det-multi" and
                   (threads is None or r["threads"] == threads)})


def _verdict(name, target, worst, n, fmt):
    """One goal: worst = (ratio, point text) with the highest ratio (lower is better)."""
    if worst is None:
        return (name, None, "no point of this run measures it")
    ok = worst[0] <= target
    return (name, ok, f"{n} point(s); worst {fmt(worst[0])} at {worst[1]} (goal {fmt(target)})")


def _bound_goal(rows, name, direction, target):
    worst, n = None, 0
    for prob, t in _points(rows, direction, 1):
        b = _best(rows, prob, 1, direction)
        if not b or not b.get("bound_rw_ns"):
            continue
        n += 1
        ratio = b["median"] / b["bound_rw_ns"]
        if worst is None or ratio > worst[0]:
            worst = (ratio, f"{_name(b)} t1 (`{b['kernel']}`)")
    return _verdict(name, target, worst, n, lambda v: f"{v:.2f}x bound")


def _peer_goal(rows, target=1.5):
    """Lowest (fastest peer / best kernel) over every point a peer ran; reported as the
    inverse so that the common rule 'worst = highest' applies."""
    worst, n, below = None, 0, 0
    pts = {(r["problem"], r["threads"], r["direction"]) for r in rows
           if r["is_peer"] and report._own_layout(r) and r["direction"] in ("fwd", "infer", "bwd")}
    for prob, t, d in sorted(pts):
        peers = [r for r in rows if r["problem"] == prob and r["threads"] == t and
                 r["direction"] == d and r["is_peer"] and report._own_layout(r)]
        b = _best(rows, prob, t, d)
        if not b or not peers:
            continue
        p = min(peers, key=lambda r: r["median"])
        n += 1
        sp = p["median"] / b["median"]
        below += sp < target
        if worst is None or 1 / sp > worst[0]:
            worst = (1 / sp, f"{_name(b)} t{t} {d} (`{b['kernel']}` vs {p['kernel']})")
    name, ok, text = _verdict("peers", 1 / target, worst, n, lambda v: f"{1 / v:.2f}x")
    if ok is not None:
        text = text.replace(f"(goal {1 / (1 / target):.2f}x)",
                            f"(goal {target:.2f}x the fastest peer; {below} point(s) below it)")
    return name, ok, text


def _scaling_goal(rows, target=1.8):
    worst, n = None, 0
    for prob, _ in _points(rows, "fwd", 1):
        b1, b2 = _best(rows, prob, 1, "fwd"), _best(rows, prob, 2, "fwd")
        if not b1 or not b2 or b1["in_bytes"] < TEN_MB:
            continue
        n += 1
        sp = b1["median"] / b2["median"]
        if worst is None or 1 / sp > worst[0]:
            worst = (1 / sp, f"{_name(b1)} ({b1['in_bytes'] / 1e6:.0f} MB, `{b2['kernel']}`)")
    name, ok, text = _verdict("scaling", 1 / target, worst, n, lambda v: f"{1 / v:.2f}x")
    return name, ok, text.replace(f"(goal {target:.2f}x)", f"(goal {target:.2f}x t1's speed)")


def _ran(r):
    """(kernel, path) a row ran, from its label: `auto: K fwd=P` or `path: fwd=P`."""
    words = r.get("label", "").split()
    if words[:1] == ["auto:"]:
        return (words[1] if len(words) > 1 else "?", " ".join(words[2:]))
    return (r["kernel"], " ".join(words[1:]) if words[:1] == ["path:"] else "")


def _same_code(index, a):
    """The row of the kernel and path an auto row ran, at the same point (or None). index:
    _by_point's dictionary."""
    k, path = _ran(a)
    r = index.get((k, a["problem"], a["threads"], a["direction"]))
    return r if r is not None and _ran(r) == (k, path) else None


def _by_point(rows):
    """The kernel rows by (kernel, problem, threads, direction)."""
    return {(r["kernel"], r["problem"], r["threads"], r["direction"]): r for r in rows
            if not r["is_peer"]}


def _auto_goal(rows, target=1.10):
    """The auto rows (spp_kernel_auto's choice) against the fastest kernel of their point; the
    evidence also counts the misses where auto ran that fastest row's own kernel and path."""
    worst, n, over, same = None, 0, 0, 0
    index = _by_point(rows)
    for a in rows:
        if a["kernel"] != "auto":
            continue
        b = _best(rows, a["problem"], a["threads"], a["direction"])
        if not b:
            continue
        n += 1
        ratio = a["median"] / b["median"]
        if ratio > target:
            over += 1
            same += _same_code(index, a) is b
        if worst is None or ratio > worst[0]:
            worst = (ratio, f"{_name(a)} t{a['threads']} {a['direction']} (auto chose "
                            f"{a.get('label', '').replace('auto: ', '') or '?'}, fastest "
                            f"`{b['kernel']}`)")
    name, ok, text = _verdict("auto", target, worst, n, lambda v: f"{v:.2f}x the fastest kernel")
    if ok is not None:
        text += (f"; {over} point(s) above {target:.2f}x, {same} of them where auto ran the "
                 "fastest row's own kernel and path")
    return name, ok, text


def noise(rows):
    """The run's own noise: each auto row against the row of the kernel and path it ran, the
    same code timed twice in the run. (n, median, 10th and 90th percentile) or None."""
    index = _by_point(rows)
    q = sorted(a["median"] / r["median"] for a in rows if a["kernel"] == "auto"
               for r in [_same_code(index, a)] if r)
    if not q:
        return None
    pick = lambda f: q[min(len(q) - 1, int(f * len(q)))]  # noqa: E731
    return len(q), pick(0.5), pick(0.1), pick(0.9)


def noise_text(rows):
    nz = noise(rows)
    if nz is None:
        return None
    n, med, lo, hi = nz
    return (f"auto against the row of the kernel and path it ran (the same code timed twice): "
            f"median {med:.2f}x, 10th-90th percentile {lo:.2f}-{hi:.2f}x over {n} point(s); "
            "differences inside that spread are this run's noise")


def labelled_rows(run):
    """report.analyse's rows of a whole-map run, each with its benchmark label."""
    rows = report.analyse(run)["rows"]
    labels = {r.get("run_name", r["name"]): r.get("label", "") for r in run["benchmarks"]}
    for r in rows:
        sfx = "" if r["direction"] == "fwd" else f"/{r['direction']}"
        r["label"] = labels.get(f"{r['kernel']}/{r['problem']}/t{r['threads']}{sfx}", "")
    return rows


def whole_map_goals(rows):
    """The whole-map goals on labelled_rows."""
    return [_bound_goal(rows, "train-rw", "fwd", 2.0),
            _bound_goal(rows, "infer-rw", "infer", 1.5),
            _peer_goal(rows), _scaling_goal(rows), _auto_goal(rows)]


def region_goals(run, workload="det-688"):
    med = run_regions.medians(run["benchmarks"])
    threads = sorted({n.split("/")[2] for n in med if n.split("/")[1:2] == [workload]})
    kernels = sorted({n.split("/")[0] for n in med if n.endswith("/y_only") and
                      not n.startswith(("bound_", "roi__naive/"))})
    out = []
    ov, lay = None, None
    for t in threads:
        got = {k: med[f"{k}/{workload}/{t}/y_only"][0] for k in kernels
               if f"{k}/{workload}/{t}/y_only" in med}
        if not got:
            continue
        best = min(got, key=got.get)
        o = med.get(f"openvino_roi/{workload}/{t}")
        if o:
            sp = o[0] / got[best]
            if ov is None or sp < ov[0]:
                ov = (sp, f"{workload} {t} (`{best}` {got[best]:.2f} ms vs "
                          f"{o[0]:.2f} ms)")
        nchw = {k: v for k, v in got.items() if k.startswith("nchw_")}
        nhwc = {k: v for k, v in got.items() if k.startswith("nhwc_")}
        if nchw and nhwc:
            kc, kh = min(nchw, key=nchw.get), min(nhwc, key=nhwc.get)
            r = nchw[kc] / nhwc[kh]
            if lay is None or r > lay[0]:
                lay = (r, f"{workload} {t} (`{kc}` vs `{kh}`)")
    if ov is None:
        out.append(("roi-openvino", None, "no OpenVINO ROIPooling row in this run"))
    else:
        out.append(("roi-openvino", ov[0] >= 5.0,
                    f"worst {ov[0]:.1f}x OpenVINO at {ov[1]} (goal 5.0x)"))
    out.append(_verdict("roi-nchw", 1.2, lay, len(threads), lambda v: f"{v:.2f}x NHWC")
               if lay else ("roi-nchw", None, "no NCHW and NHWC inference rows to compare"))
    return out


def judged(run):
    """([(goal, met: True/False/None for not measured, evidence)], noise text or None) of one
    run: its rows analysed once for both."""
    if is_region_run(run):
        return region_goals(run), None
    rows = labelled_rows(run)
    return whole_map_goals(rows), noise_text(rows)


def goals(run):
    """[(goal, met: True/False/None for not measured, evidence)] of one run."""
    return judged(run)[0]


def is_region_run(run):
    """Whether a run is spp-bench-regions' (else spp-bench's whole maps)."""
    ctx = run.get("context", {})
    return "region_config" in ctx or str(ctx.get("executable", "")).endswith("regions")


def lines(run):
    word = {True: "met", False: "NOT met", None: "not measured"}
    verdicts, nz = judged(run)
    out = [f"goal {g}: {word[ok]}: {text}" for g, ok, text in verdicts]
    return out + ([f"noise: {nz}"] if nz else [])


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    for path in argv:
        try:
            run = gbjson.load_run(path)
        except (OSError, ValueError) as e:
            print(f"goals: {path}: cannot read the run: {e}", file=sys.stderr)
            return 2
        print(f"# {path} ({run.get('context', {}).get('date', '?')})")
        print("\n".join(lines(run)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
