#!/usr/bin/env python3
"""Paper-style tables, a CSV summary and gnuplot plots from one merged benchmark run.

    .venv/bin/python harness/report.py RUN.json --out results/latest [--no-plots]

RUN.json: Google-Benchmark-format JSON (spp-bench rows plus the peers' rows), plain or
compressed (RUN.json.xz, RUN.json.gz: results/published/). Row names:
  {kernel}/{problem}/t{T}[/infer|/bwd|/fwdbwd]  kernels and peers (torch_nchw, torch_cl, onednn,
                                          onednn3); /infer: the max forward with argmax NULL
                                          (kernels; the oneDNN peers: forward_inference)
  bound_readonce/{problem}/t{T}           the read-once bound of that problem's input
  bound_readwrite/{problem}/t{T}[/infer|/bwd]  read the pass's inputs once, write its outputs
                                          once (training forward, inference forward, backward)
  bound_dram/{bytes}/t{T}                 DRAM streaming read bandwidth (once per run)
A trailing "/real_time" (added by Google Benchmark's UseRealTime()) is ignored. Only per-
repetition rows are used (run_type "iteration"); a benchmark that has only aggregate rows
uses its "_median" row. Rows with error_occurred are listed as skipped.

Per (problem, threads, direction) and kernel:
  time      median of the repetitions' real_time;
  spread    interquartile range of the repetitions (Q3 - Q1, inclusive quantiles) in % of the
            median (0 with one repetition);
  x naive   naive's median / this median; naive at the same thread count, else naive's row
            at another thread count of the same problem and direction (naive is
            single-threaded, so spp-bench runs it at t1 only);
  x peer    best (fastest) peer's median / this median, the peer named in summary.csv;
  GB/s      input bytes (N*C*H*W*4) / median time;
  % bound   bound_readonce median / this median (forward and inference rows only: the bound
            reads the input once, which is a floor for a forward pass, not for a backward);
  % bound (r/w)  the matching bound_readwrite median / this median: forward rows against
            bound_readwrite/{problem}/t{T} (input read, y and argmax written), inference rows
            against its /infer form (y only), backward rows against its /bwd form;
            forward+backward rows have none.
Inference rows (/infer) get tables of their own, x naive against naive's inference row; in
summary.csv their direction is "infer", and the plot data carry them beside the forward rows
(the *_infer columns).
The fastest row of each table is bold (it may be a peer).

DIR receives tables.md, tables.tex (booktabs), summary.csv, plot data (*.dat) and the plots
(*.png, *.pdf) rendered by the gnuplot scripts in plots/. DIR is built in a temporary sibling
directory and swapped in by rename, so readers never see a half-written report and files of an
earlier run never linger. A plot whose data the run lacks is skipped with a message.
"""
import argparse
import csv
import io
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLOTS_DIR = os.path.join(ROOT, "plots")
sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))
import gbjson  # noqa: E402

PEERS = ("torch_nchw", "torch_cl", "onednn", "onednn3", "openvino")
DIRECTIONS = ("fwd", "infer", "bwd", "fwdbwd")    # infer: the max forward with argmax NULL
DIR_TEXT = {"fwd": "forward", "infer": "inference forward (no argmax)", "bwd": "backward",
            "fwdbwd": "forward+backward"}
FORWARDS = ("fwd", "infer")      # the directions the read-once bound is a floor for
RW_FORMS = ("fwd", "infer", "bwd")    # bound_readwrite forms: training forward, inference, backward
RW_FORM_OF = {"fwd": "fwd", "infer": "infer", "bwd": "bwd"}   # row direction -> its r/w bound
_TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
_GB_SUFFIXES = ("/real_time", "/manual_time", "/process_time")

PROBLEM_RE = re.compile(r"n(\d+)c(\d+)h(\d+)w(\d+)_l(\d+(?:\.\d+)*)_(max|avg)_"
                        r"(adaptive|sppnet|caffe)_(nchw|nhwc)")

# The realistic workloads of docs/spec.md#7-workloads (shapes only; every number derived from
# them is computed below). det-multi: scales s in {480, 576, 688, 864, 1200}, map s/16 x (4s/3)/16.
WORKLOADS = [
    # name, N values, C, list of (H, W), levels, stated output dim (or None), source
    ("zf5-224", (1, 64), 256, [(13, 13)], (6, 3, 2, 1), 12800,
     "SPP-net ZF-5 conv5 at 224x224, 50 bins"),
    ("zf5-180", (64,), 256, [(10, 10)], (6, 3, 2, 1), None,
     "SPP-net multi-size training at 180x180"),
    ("zf5-3lvl", (64,), 256, [(13, 13)], (3, 2, 1), None,
     "the paper's 3-level figure (windows 5/7/13, strides 4/6/13)"),
    ("det-688", (1,), 256, [(43, 57)], (6, 3, 2, 1), None,
     "SPP-net detection, one scale s=688 (stride 16)"),
    ("det-multi", (1,), 256, [(s // 16, (4 * s // 3) // 16) for s in (480, 576, 688, 864, 1200)],
     (6, 3, 2, 1), None, "SPP-net five-scale detection, s/16 for s in {480,576,688,864,1200}"),
    ("vgg16-600", (2,), 512, [(38, 50)], (4, 2, 1), None, "VGG-16 conv5_3 on a 600x800 image"),
    ("fast-rcnn", (1,), 512, [(38, 50)], (7,), None, "RoI pooling (one level, n = 7)"),
    ("large", (8,), 512, [(64, 64)], (4, 2, 1), None, "out-of-cache case (64 MiB)"),
    ("odd", (32,), 67, [(7, 5)], (4, 2, 1), None, "non-divisible sizes, channel tail"),
]


# ---- parsing ---------------------------------------------------------------------------------

def parse_problem(s):
    m = PROBLEM_RE.fullmatch(s)
    if not m:
        return None
    n, c, h, w = (int(m.group(i)) for i in range(1, 5))
    return dict(n=n, c=c, h=h, w=w, levels=tuple(int(v) for v in m.group(5).split(".")),
                pool=m.group(6), bins=m.group(7), layout=m.group(8))


def workload_name(p):
    """The docs/spec.md#7-workloads name of a problem's shape, or None. det-multi matches on H
    (the scale)."""
    for name, ns, c, hws, levels, _, _ in WORKLOADS:
        if p["c"] != c or p["levels"] != levels or p["n"] not in ns:
            continue
        if (p["h"], p["w"]) in hws:
            if name == "det-multi" and (p["h"], p["w"]) == (43, 57):
                continue   # that scale is det-688
            return f"{name}/N{p['n']}" if len(ns) > 1 else name
    return None


def in_bytes(p):
    return p["n"] * p["c"] * p["h"] * p["w"] * 4


def strip_gb_suffix(name):
    changed = True
    while changed:
        changed = False
        for suf in _GB_SUFFIXES:
            if name.endswith(suf):
                name, changed = name[: -len(suf)], True
    return name


def parse_name(name):
    """Row name -> ("kernel", kernel, problem, threads, direction) | ("bound", problem, threads)
    | ("rw", problem, threads, form) | ("dram", bytes, threads) | None. A bound_readwrite
    row's form is "fwd" (no suffix), "infer" or "bwd"."""
    parts = strip_gb_suffix(name).split("/")
    direction = "fwd"
    if len(parts) == 4 and parts[0] == "bound_readwrite" and parts[3] in RW_FORMS:
        direction = parts[3]
        parts = parts[:3]
    elif len(parts) == 4 and parts[3] in DIRECTIONS:
        direction = parts[3]
        parts = parts[:3]
    if len(parts) != 3 or not re.fullmatch(r"t\d+", parts[2]):
        return None
    threads = int(parts[2][1:])
    if parts[0] == "bound_dram":
        return ("dram", int(parts[1]), threads) if parts[1].isdigit() else None
    if parse_problem(parts[1]) is None:
        return None
    if parts[0] == "bound_readonce":
        return ("bound", parts[1], threads)
    if parts[0] == "bound_readwrite":
        return ("rw", parts[1], threads, direction) if direction in RW_FORMS else None
    return ("kernel", parts[0], parts[1], threads, direction)


def load_run(path):
    """RUN.json, .json.xz or .json.gz (gbjson.load_run, the one reader of run files)."""
    return gbjson.load_run(path)


def collect(run):
    """Per-repetition real times (ns) per parsed key, plus the skipped/errored rows."""
    reps, medians_only, errors, unknown = {}, {}, [], []
    for row in run["benchmarks"]:
        name = row.get("name", "")
        if row.get("error_occurred"):
            errors.append((strip_gb_suffix(name), row.get("error_message", "")))
            continue
        rt = row.get("run_type", "iteration")
        key_name = row.get("run_name", name) if rt == "aggregate" else name
        key = parse_name(key_name)
        if key is None:
            unknown.append(name)
            continue
        if "real_time" not in row:
            continue
        t = float(row["real_time"]) * _TIME_UNIT_NS.get(row.get("time_unit", "ns"), 1.0)
        if rt == "iteration":
            reps.setdefault(key, []).append(t)
        elif row.get("aggregate_name") == "median":
            medians_only[key] = t
    for key, t in medians_only.items():
        reps.setdefault(key, [t])
    return reps, errors, unknown


# ---- statistics ----------------------------------------------------------------------------

def summarize(v):
    v = sorted(v)
    med = statistics.median(v)
    if len(v) >= 2:
        q1, _, q3 = statistics.quantiles(v, n=4, method="inclusive")
    else:
        q1 = q3 = v[0]
    return dict(reps=len(v), median=med, q1=q1, q3=q3, min=v[0], max=v[-1],
                iqr_pct=100.0 * (q3 - q1) / med if med > 0 else 0.0)


def analyse(run):
    """Rows for the tables: one dict per kernel x (problem, threads, direction)."""
    reps, errors, unknown = collect(run)
    stats = {k: summarize(v) for k, v in reps.items()}
    bounds = {(k[1], k[2]): s for k, s in stats.items() if k[0] == "bound"}
    rw_bounds = {(k[1], k[2], k[3]): s for k, s in stats.items() if k[0] == "rw"}
    dram = [(k[1], k[2], s) for k, s in stats.items() if k[0] == "dram"]
    points = {}
    for k, s in stats.items():
        if k[0] == "kernel":
            _, kern, prob, thr, d = k
            points.setdefault((prob, thr, d), {})[kern] = s
    rows = []
    for (prob, thr, d), kerns in points.items():
        p = parse_problem(prob)
        naive = kerns.get("naive")
        naive_from = thr if naive else None
        if naive is None:   # naive is single-threaded: any thread count of the same point
            alt = sorted(t for (pr, t, dd), ks in points.items()
                         if pr == prob and dd == d and "naive" in ks)
            if alt:
                naive_from = alt[0]
                naive = points[(prob, alt[0], d)]["naive"]
        peer_times = {k: s["median"] for k, s in kerns.items() if k in PEERS}
        best_peer = min(peer_times, key=peer_times.get) if peer_times else None
        bound = bounds.get((prob, thr)) if d in FORWARDS else None
        rw = rw_bounds.get((prob, thr, RW_FORM_OF[d])) if d in RW_FORM_OF else None
        fastest = min(kerns, key=lambda k: kerns[k]["median"])
        for kern, s in kerns.items():
            t = s["median"]
            rows.append(dict(
                problem=prob, workload=workload_name(p) or "", kernel=kern,
                is_peer=kern in PEERS, threads=thr, direction=d, **s,
                speedup_naive=naive["median"] / t if naive else None,
                naive_threads=naive_from,
                speedup_best_peer=peer_times[best_peer] / t if best_peer else None,
                best_peer=best_peer or "",
                gbps=in_bytes(p) / t, bound_ns=bound["median"] if bound else None,
                pct_bound=100.0 * bound["median"] / t if bound else None,
                bound_rw_ns=rw["median"] if rw else None,
                pct_bound_rw=100.0 * rw["median"] / t if rw else None,
                in_bytes=in_bytes(p), fastest=kern == fastest, p=p))
    rows.sort(key=lambda r: (DIRECTIONS.index(r["direction"]), r["threads"],
                             r["in_bytes"], r["problem"], r["median"]))
    return dict(rows=rows, errors=errors, unknown=unknown, dram=dram, bounds=bounds,
                rw_bounds=rw_bounds)


# ---- machine --------------------------------------------------------------------------------

def _find(ctx, keys):
    """First value of any of keys in ctx or in dicts nested in it."""
    if not isinstance(ctx, dict):
        return None
    for k in keys:
        if ctx.get(k) not in (None, ""):
            return ctx[k]
    for v in ctx.values():
        if isinstance(v, dict):
            r = _find(v, keys)
            if r is not None:
                return r
    return None


def machine(run):
    ctx = run.get("context", {})
    cpu = _find(ctx, ("cpu_model", "cpu_model_name", "model_name", "cpu")) or "unknown CPU"
    cores = _find(ctx, ("num_cpus", "cores")) or "?"
    cc = _find(ctx, ("spp_cc", "compiler", "cc_version", "cc", "compiler_version")) \
        or "unknown compiler"
    host = _find(ctx, ("host_name", "host")) or "?"
    return dict(cpu=str(cpu), cores=cores, compiler=str(cc), host=str(host),
                date=str(ctx.get("date", "")), order=gbjson.interleave_note(ctx),
                buffers=gbjson.buffers_note(ctx))


# ---- formatting -------------------------------------------------------------------------------

def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_x(v):
    return "-" if v is None else (f"{v:.2f}x" if v < 10 else f"{v:.1f}x")


def fmt_pct(v):
    return "-" if v is None else f"{v:.0f}%" if v >= 10 else f"{v:.1f}%"


def group_rows(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["direction"], r["threads"], r["problem"]), []).append(r)
    return groups


def group_title(direction, threads, problem, rows):
    wl = rows[0]["workload"]
    th = f"{threads} thread{'s' if threads > 1 else ''}"
    return (f"{wl}: " if wl else "") + f"{problem}, {th}, {DIR_TEXT[direction]}"


def dims_rows(present_shapes):
    out = []
    for name, ns, c, hws, levels, stated, source in WORKLOADS:
        bins = sum(n * n for n in levels)
        sizes = ", ".join(f"{h}x{w}" for h, w in hws)
        in_run = any((p[1] == c and p[4] == levels and (p[2], p[3]) in hws and p[0] in ns)
                     for p in present_shapes)
        out.append(dict(name=name, n="/".join(str(v) for v in ns), c=c, sizes=sizes,
                        levels="{" + ",".join(str(v) for v in levels) + "}", bins=bins,
                        dim=c * bins, stated=stated, source=source, in_run=in_run))
    return out


def table_md(a, mach, run_reps):
    o = io.StringIO()
    o.write("# SPP benchmark tables\n\n")
    o.write(f"Machine: {mach['cpu']}, {mach['cores']} logical CPUs, host {mach['host']}; "
            f"compiler: {mach['compiler']}; run {mach['date']}.\n\n")
    if a["dram"]:
        for b, t, s in sorted(a["dram"], key=lambda x: x[1]):
            o.write(f"DRAM streaming read ({t} thread{'s' if t > 1 else ''}, "
                    f"{b / 2**20:.0f} MiB buffer): {b / s['median']:.2f} GB/s.\n")
        o.write("\n")
    o.write(f"Median of {run_reps} repetitions ({mach['order']}; {mach['buffers']}); "
            "spread = interquartile range "
            "of the repetitions in % of the median, shown as ± half of it; x naive = naive's "
            "median / the row's median; x peer = the fastest peer's median / the row's median; "
            "GB/s = input bytes / median time; % bound = read-once bound / median (forward "
            "and inference only); % bound (r/w) = read+write bound / median (forward: input "
            "read, y and argmax written; inference (max forward without argmax, x naive "
            "against naive's inference row): input read, y written; backward: dy and argmax "
            f"read, dx written). Fastest row in bold. Peer rows ({', '.join(PEERS)}) are in "
            "italics.\n\n")
    for (d, thr, prob), rows in group_rows(a["rows"]).items():
        o.write(f"### {group_title(d, thr, prob, rows)}\n\n")
        o.write("| kernel | time (spread) | x naive | x peer | GB/s | % bound | % bound (r/w) |\n")
        o.write("|---|--:|--:|--:|--:|--:|--:|\n")
        for r in rows:
            name = f"*{r['kernel']}*" if r["is_peer"] else r["kernel"]
            cells = [name, f"{fmt_time(r['median'])} (±{r['iqr_pct'] / 2:.1f}%)",
                     fmt_x(r["speedup_naive"]), fmt_x(r["speedup_best_peer"]),
                     f"{r['gbps']:.2f}", fmt_pct(r["pct_bound"]), fmt_pct(r["pct_bound_rw"])]
            if r["fastest"]:
                cells = [f"**{c}**" for c in cells]
            o.write("| " + " | ".join(cells) + " |\n")
        bp = rows[0]["best_peer"]
        notes = []
        if bp:
            notes.append(f"best peer: {bp}")
        nt = rows[0]["naive_threads"]
        if nt is not None and nt != thr:
            notes.append(f"x naive uses naive at t{nt}")
        if notes:
            o.write("\n" + "; ".join(notes) + ".\n")
        o.write("\n")
    if a["errors"]:
        o.write("### Skipped benchmarks\n\n")
        for name, msg in sorted(set(a["errors"])):
            o.write(f"- `{name}`: {msg}\n")
        o.write("\n")
    o.write("## SPP-net output dimensions (docs/spec.md#7-workloads)\n\n")
    o.write("A pyramid of levels {n_i} turns any C x H x W map into C * sum n_i^2 values.\n\n")
    o.write("| workload | N | C | H x W | levels | bins per channel | output dim | stated | "
            "in this run | source |\n|---|--:|--:|---|---|--:|--:|--:|---|---|\n")
    for w in dims_rows(a["shapes"]):
        stated = "-" if w["stated"] is None else f"{w['stated']:,}"
        o.write(f"| {w['name']} | {w['n']} | {w['c']} | {w['sizes']} | {w['levels']} | "
                f"{w['bins']} | {w['dim']:,} | {stated} | "
                f"{'yes' if w['in_run'] else 'no'} | {w['source']} |\n")
    o.write("\n")
    return o.getvalue()


def tex_escape(s):
    return (str(s).replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("%", r"\%")
            .replace("&", r"\&").replace("#", r"\#").replace("{", r"\{").replace("}", r"\}"))


def table_tex(a, mach, run_reps):
    o = io.StringIO()
    o.write("% Generated by harness/report.py; needs \\usepackage{booktabs}.\n")
    machine_txt = tex_escape(f"{mach['cpu']}, {mach['cores']} logical CPUs, {mach['compiler']}")
    for (d, thr, prob), rows in group_rows(a["rows"]).items():
        o.write("\\begin{table}[htbp]\n\\centering\n\\small\n")
        o.write(f"\\caption{{{tex_escape(group_title(d, thr, prob, rows))}. Median of "
                f"{run_reps} repetitions ($\\pm$ half the interquartile range); machine: "
                f"{machine_txt}.}}\n")
        o.write("\\begin{tabular}{lrrrrrr}\n\\toprule\n")
        o.write("Kernel & Time & $\\times$ naive & $\\times$ best peer & GB/s & \\% bound & "
                "\\% bound (r/w) \\\\\n\\midrule\n")
        for r in rows:
            cells = [tex_escape(r["kernel"]) + (" (peer)" if r["is_peer"] else ""),
                     tex_escape(fmt_time(r["median"])).replace("µs", "$\\mu$s") +
                     f" ($\\pm${r['iqr_pct'] / 2:.1f}\\%)",
                     tex_escape(fmt_x(r["speedup_naive"])).replace("x", "$\\times$"),
                     tex_escape(fmt_x(r["speedup_best_peer"])).replace("x", "$\\times$"),
                     f"{r['gbps']:.2f}", tex_escape(fmt_pct(r["pct_bound"])),
                     tex_escape(fmt_pct(r["pct_bound_rw"]))]
            if r["fastest"]:
                cells = [f"\\textbf{{{c}}}" for c in cells]
            o.write(" & ".join(cells) + " \\\\\n")
        o.write("\\bottomrule\n\\end{tabular}\n\\end{table}\n\n")
    o.write("\\begin{table}[htbp]\n\\centering\n\\small\n")
    o.write("\\caption{SPP-net output dimensions $C \\sum n_i^2$ of the workloads of "
            "docs/spec.md\\#7-workloads.}\n\\begin{tabular}{llrrllrr}\n\\toprule\n")
    o.write("Workload & N & C & H $\\times$ W & Levels & Bins/ch. & Output dim & Stated \\\\\n"
            "\\midrule\n")
    for w in dims_rows(a["shapes"]):
        stated = "--" if w["stated"] is None else f"{w['stated']:,}"
        o.write(f"{tex_escape(w['name'])} & {w['n']} & {w['c']} & {tex_escape(w['sizes'])} & "
                f"{tex_escape(w['levels'])} & {w['bins']} & {w['dim']:,} & {stated} \\\\\n")
    o.write("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
    return o.getvalue()


CSV_FIELDS = ["workload", "problem", "kernel", "is_peer", "threads", "direction", "reps",
              "median_ns", "q1_ns", "q3_ns", "min_ns", "max_ns", "iqr_pct", "speedup_naive",
              "naive_threads", "speedup_best_peer", "best_peer", "gbps", "bound_ns",
              "pct_bound", "bound_rw_ns", "pct_bound_rw", "in_bytes", "n", "c", "h", "w", "levels", "pool", "bins", "layout"]


def summary_csv(a):
    o = io.StringIO()
    wr = csv.writer(o, lineterminator="\n")
    wr.writerow(CSV_FIELDS)

    def num(v, f="{:.6g}"):
        return "" if v is None else f.format(v)

    for r in a["rows"]:
        p = r["p"]
        wr.writerow([r["workload"], r["problem"], r["kernel"], int(r["is_peer"]), r["threads"],
                     r["direction"], r["reps"], num(r["median"], "{:.1f}"), num(r["q1"], "{:.1f}"),
                     num(r["q3"], "{:.1f}"), num(r["min"], "{:.1f}"), num(r["max"], "{:.1f}"),
                     num(r["iqr_pct"], "{:.2f}"), num(r["speedup_naive"], "{:.4f}"),
                     "" if r["naive_threads"] is None else r["naive_threads"],
                     num(r["speedup_best_peer"], "{:.4f}"), r["best_peer"],
                     num(r["gbps"], "{:.4f}"), num(r["bound_ns"], "{:.1f}"),
                     num(r["pct_bound"], "{:.2f}"), num(r["bound_rw_ns"], "{:.1f}"),
                     num(r["pct_bound_rw"], "{:.2f}"), r["in_bytes"], p["n"], p["c"], p["h"],
                     p["w"], ".".join(map(str, p["levels"])), p["pool"], p["bins"],
                     p["layout"]])
    return o.getvalue()


# ---- plot data ---------------------------------------------------------------------------------

# Line styles of common.gp: 1..12 a palette of 12 distinct colours/markers (solid), 21..32 the
# same colours dashed with open markers (peers), 100 the bound. Every kernel keeps one colour in
# all plots of a report: naive is grey (12), our kernels take 1..11 in name order, peers follow.
PEER_DASH = 20
PREFERRED_FAMILY = ("max", "adaptive", (6, 3, 2, 1))   # SPP-net's pyramid, when it has sizes
MAX_DOT_ROWS = 24


def _palette(rows):
    ks = sorted({r["kernel"] for r in rows}, key=lambda k: (k in PEERS, k != "naive", k))
    pal, i = {}, 0
    for k in ks:
        if k == "naive":
            pal[k] = 12
        else:
            pal[k] = i % 11 + 1
            i += 1
    return pal


def _style(kernel, pal):
    return pal[kernel] + (PEER_DASH if kernel in PEERS else 0)


def _own_layout(r):
    """Peers timed on both layouts' points measure one memory format: torch_nchw counts on
    nchw points only, torch_cl on nhwc points only (the same tensor format either way)."""
    lay = r["p"]["layout"]
    return not ((r["kernel"] == "torch_nchw" and lay != "nchw")
                or (r["kernel"] == "torch_cl" and lay != "nhwc"))


def _plot_direction_threads(rows):
    dirs = [d for d in DIRECTIONS if any(r["direction"] == d for r in rows)]
    if not dirs:
        return None, None
    d = dirs[0]
    thr = min(r["threads"] for r in rows if r["direction"] == d)
    return d, thr


def _family(r):
    p = r["p"]
    return (p["pool"], p["bins"], p["levels"])


def _series_rows(rows, d, thr):
    """Rows at (d, thr) of one (pool, bins, levels) family: max/adaptive/6.3.2.1 when it has at
    least 3 input sizes, else the family with the most sizes; when no family has two sizes,
    every problem (fam None: plotted as points, not lines). Peers only on their own layout."""
    sel = [r for r in rows if r["direction"] == d and r["threads"] == thr and _own_layout(r)]
    if not sel:
        return None, []
    fams = {}
    for r in sel:
        fams.setdefault(_family(r), set()).add(r["in_bytes"])
    if len(fams.get(PREFERRED_FAMILY, ())) >= 3:
        fam = PREFERRED_FAMILY
    else:
        fam = max(fams, key=lambda f: (len(fams[f]), f == PREFERRED_FAMILY, f))
    if len(fams[fam]) >= 2:
        sel = [r for r in sel if _family(r) == fam]
    else:
        fam = None
    return fam, sel


def _fam_text(fam, d, thr):
    th = f"{DIR_TEXT[d]}, {thr} thread{'s' if thr > 1 else ''}"
    if fam is None:
        return f"every problem, {th}"
    pool, bins, levels = fam
    return f"{pool}, {bins} bins, levels {'.'.join(map(str, levels))}, {th}"


def _kernel_order(kerns):
    return sorted(kerns, key=lambda k: (k in PEERS, k != "naive", k))


def _pow10_floor(v):
    return 10 ** math.floor(math.log10(v))


def _pow10_ceil(v):
    return 10 ** math.ceil(math.log10(v))


def _panels(sel):
    """layout -> kernel -> rows sorted by input size (one series per kernel and layout)."""
    out = {}
    for r in sel:
        out.setdefault(r["p"]["layout"], {}).setdefault(r["kernel"], []).append(r)
    for lay in out.values():
        for k in lay:
            lay[k].sort(key=lambda r: (r["in_bytes"], r["problem"]))
    return {lay: out[lay] for lay in sorted(out)}


def _write_panels(o, title, panels, blocks, ycol, ranges, with_):
    """blocks: list of (panel layout, name, style, [(x, y, ...)]). One panel per layout. ycol:
    the y columns' names, space-separated (the plot uses the first; a None value is NaN)."""
    o.write(f"# title: {title}\n# panels: {len(panels)}\n")
    for i, lay in enumerate(panels, 1):
        ids = [str(j) for j, b in enumerate(blocks) if b[0] == lay]
        o.write(f"# panel{i}: {lay.upper()} problems\n# blocks{i}: {' '.join(ids)}\n")
    o.write(f"# styles: {' '.join(str(b[2]) for b in blocks)}\n")
    o.write(f"# with: {with_}\n")
    for k, v in ranges.items():
        o.write(f"# {k}: {v:g}\n")
    o.write("# one block per series; column 1 repeats the series name (its header)\n")
    ncol = len(ycol.split())
    for _, name, _, pts in blocks:
        o.write(f'\n\n"{name}" size_bytes {ycol}\n')
        for x, *ys in pts:
            ys += [None] * (ncol - len(ys))
            o.write(f'"{name}" {x} ' + " ".join("NaN" if y is None else f"{y:.6e}" for y in ys)
                    + "\n")


def _infer_rows(rows):
    """(kernel, problem, threads) -> the inference row, for the plot data's *_infer columns."""
    return {(r["kernel"], r["problem"], r["threads"]): r for r in rows if r["direction"] == "infer"}


def _infer(inf, r, key):
    i = inf.get((r["kernel"], r["problem"], r["threads"])) if r["direction"] == "fwd" else None
    return i[key] if i else None


def dat_time_vs_size(a):
    d, thr = _plot_direction_threads(a["rows"])
    if d is None:
        return None, "no kernel rows"
    fam, sel = _series_rows(a["rows"], d, thr)
    if len({r["in_bytes"] for r in sel}) < 2:
        return None, f"fewer than 2 input sizes ({_fam_text(fam, d, thr)})"
    pal = _palette(a["rows"])
    panels = _panels(sel)
    inf = _infer_rows(a["rows"])
    blocks = []
    for lay, series in panels.items():
        if d == "fwd":
            bound = {}
            for r in sel:
                if r["p"]["layout"] == lay and r["bound_ns"] is not None:
                    bound[r["in_bytes"]] = min(bound.get(r["in_bytes"], math.inf), r["bound_ns"])
            if bound:
                blocks.append((lay, "read-once bound", 100,
                               [(b, t * 1e-9) for b, t in sorted(bound.items())]))
        for k in _kernel_order(series):
            blocks.append((lay, k, _style(k, pal),
                           [(r["in_bytes"], r["median"] * 1e-9,
                             _infer(inf, r, "median") and _infer(inf, r, "median") * 1e-9)
                            for r in series[k]]))
    xs = [p[0] for b in blocks for p in b[3]]
    ys = [p[1] for b in blocks for p in b[3]]
    ranges = dict(xmin=min(xs) / 1.6, xmax=max(xs) * 1.6,
                  ymin=_pow10_floor(min(ys)), ymax=_pow10_ceil(max(ys) * 1.01))
    o = io.StringIO()
    _write_panels(o, f"median time per call vs input size ({_fam_text(fam, d, thr)})", panels,
                  blocks, "time_s time_s_infer", ranges,
                  "points" if fam is None else "linespoints")
    return o.getvalue(), None


def dat_bound(a):
    d = "fwd"
    fwd = [r for r in a["rows"] if r["direction"] == d and r["pct_bound"] is not None]
    if not fwd:
        return None, "no forward rows with a bound_readonce row"
    thr = min(r["threads"] for r in fwd)
    fam, sel = _series_rows(fwd, d, thr)
    if len({r["in_bytes"] for r in sel}) < 2:
        return None, f"fewer than 2 input sizes ({_fam_text(fam, d, thr)})"
    pal = _palette(a["rows"])
    panels = _panels(sel)
    inf = _infer_rows(a["rows"])
    blocks = []
    for lay, series in panels.items():
        for k in _kernel_order(series):
            blocks.append((lay, k, _style(k, pal),
                           [(r["in_bytes"], r["pct_bound"], r["pct_bound_rw"],
                             _infer(inf, r, "pct_bound"), _infer(inf, r, "pct_bound_rw"))
                            for r in series[k]]))
    xs = [p[0] for b in blocks for p in b[3]]
    ys = [p[1] for b in blocks for p in b[3]]
    ranges = dict(xmin=min(xs) / 1.6, xmax=max(xs) * 1.6, ymin=_pow10_floor(min(ys)),
                  ymax=max(150.0, max(ys) * 1.5))
    o = io.StringIO()
    _write_panels(o, f"% of the read-once bound vs input size ({_fam_text(fam, d, thr)})",
                  panels, blocks, "pct_bound pct_bound_rw pct_bound_infer pct_bound_rw_infer",
                  ranges,
                  "points" if fam is None else "linespoints")
    return o.getvalue(), None


def _fmt_bytes(b):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b} B"


def _row_label(r):
    p, wl = r["p"], r["workload"]
    if not wl:
        wl = f"n{p['n']}c{p['c']} {p['h']}x{p['w']} l{'.'.join(map(str, p['levels']))}"
    elif wl.startswith("det-multi"):
        wl = f"{wl} {p['h']}x{p['w']}"
    return f"{wl} ({_fmt_bytes(r['in_bytes'])})"


def dat_speedup(a):
    """Dot plot: one row per problem shape (both layouts share rows), one panel per layout,
    one marker per kernel; only the most common pool (max preferred) and bin convention
    (adaptive preferred) at the first direction's lowest thread count."""
    d, thr = _plot_direction_threads(a["rows"])
    if d is None:
        return None, "no kernel rows"
    sel = [r for r in a["rows"] if r["direction"] == d and r["threads"] == thr
           and r["speedup_naive"] is not None and r["kernel"] != "naive" and _own_layout(r)]
    if not sel:
        return None, "no rows with a naive baseline"
    total = len({r["problem"] for r in sel})

    def pick(key, preferred):
        counts = {}
        for r in sel:
            counts[r["p"][key]] = counts.get(r["p"][key], 0) + 1
        return preferred if preferred in counts else max(counts, key=lambda v: (counts[v], v))

    pool = pick("pool", "max")
    sel = [r for r in sel if r["p"]["pool"] == pool]
    bins = pick("bins", "adaptive")
    sel = [r for r in sel if r["p"]["bins"] == bins]
    shapes = {}   # problem without its layout -> (bytes, label)
    for r in sel:
        shapes[r["problem"].rsplit("_", 1)[0]] = (r["in_bytes"], _row_label(r))
    order = sorted(shapes, key=lambda s: (shapes[s][0], shapes[s][1]))[:MAX_DOT_ROWS]
    rowof = {s: i + 1 for i, s in enumerate(order)}
    sel = [r for r in sel if r["problem"].rsplit("_", 1)[0] in rowof]
    shown = len({r["problem"] for r in sel})
    pal = _palette(a["rows"])
    panels = {}
    for r in sel:
        panels.setdefault(r["p"]["layout"], {}).setdefault(r["kernel"], []).append(r)
    panels = {lay: panels[lay] for lay in sorted(panels)}
    blocks = []
    inf = _infer_rows(a["rows"])
    for lay, series in panels.items():
        for k in _kernel_order(series):
            blocks.append((lay, k, _style(k, pal), sorted(
                (rowof[r["problem"].rsplit("_", 1)[0]], r["speedup_naive"],
                 _infer(inf, r, "speedup_naive")) for r in series[k])))
    vals = [p[1] for b in blocks for p in b[3]]
    th = f"{thr} thread{'s' if thr > 1 else ''}"
    more = f"; {total - shown} other problem(s) in summary.csv" if total > shown else ""
    o = io.StringIO()
    o.write(f"# title: speedup over naive ({DIR_TEXT[d]}, {th}, {pool} pooling, {bins} bins"
            f"{more})\n# panels: {len(panels)}\n")
    for i, lay in enumerate(panels, 1):
        ids = [str(j) for j, b in enumerate(blocks) if b[0] == lay]
        o.write(f"# panel{i}: {lay.upper()} kernels\n# blocks{i}: {' '.join(ids)}\n")
    o.write(f"# styles: {' '.join(str(b[2]) for b in blocks)}\n")
    o.write(f"# rows: {len(order)}\n")
    o.write("# ytics: (" + ", ".join(f'"{shapes[s][1]}" {rowof[s]}' for s in order) + ")\n")
    o.write(f"# xmin: {_pow10_floor(min(min(vals), 1.0) / 1.2):g}\n")
    o.write(f"# xmax: {_pow10_ceil(max(max(vals), 1.0) * 1.2):g}\n")
    o.write("# one block per series; column 1 repeats the series name (its header)\n")
    for _, name, _, pts in blocks:
        o.write(f'\n\n"{name}" row speedup speedup_infer\n')
        for y, v, vi in pts:
            o.write(f'"{name}" {y} {v:.4f} ' + ("NaN" if vi is None else f"{vi:.4f}") + "\n")
    return o.getvalue(), None


def dat_scaling(a):
    """time(t_low) / time(t_high) per kernel and layout (a kernel on both layouts gets two
    bars; peers only on their own layout), geometric mean over the problems run at both."""
    by = {}
    for r in a["rows"]:
        if _own_layout(r):
            by.setdefault((r["kernel"], r["p"]["layout"], r["problem"], r["direction"]),
                          {})[r["threads"]] = r["median"]
    ratios = {}
    t_lo = t_hi = None
    for (k, lay, prob, d), ts in by.items():
        if len(ts) < 2:
            continue
        lo, hi = min(ts), max(ts)
        t_lo = lo if t_lo is None else min(t_lo, lo)
        t_hi = hi if t_hi is None else max(t_hi, hi)
        ratios.setdefault((k, lay, d), []).append(ts[lo] / ts[hi])
    if not ratios:
        return None, "no kernel has rows at two thread counts"
    d = next(dd for dd in DIRECTIONS if any(x[2] == dd for x in ratios))
    keys = [(k, lay) for k, lay, dd in ratios if dd == d]
    lays = {}
    for k, lay in keys:
        lays.setdefault(k, set()).add(lay)
    keys.sort(key=lambda kl: (kl[0] in PEERS, kl[0], kl[1]))
    pal = _palette(a["rows"])
    o = io.StringIO()
    o.write(f"# title: thread scaling, {DIR_TEXT[d]}: time(t{t_lo}) / time(t{t_hi}), "
            f"geometric mean over problems (whiskers: min..max)\n")
    o.write(f"# ideal: {t_hi / t_lo:g}\n")
    o.write("kernel speedup_geomean speedup_min speedup_max problems color\n")
    for k, lay in keys:
        v = ratios[(k, lay, d)]
        g = math.exp(sum(math.log(x) for x in v) / len(v))
        name = f"{k} ({lay})" if len(lays[k]) > 1 else k
        o.write(f'"{name}" {g:.4f} {min(v):.4f} {max(v):.4f} {len(v)} {pal[k]}\n')
    return o.getvalue(), None


PLOTS = [("time_vs_size", dat_time_vs_size), ("speedup", dat_speedup),
         ("bound", dat_bound), ("scaling", dat_scaling)]


def render_plots(a, outdir, plots_dir=PLOTS_DIR, log=print):
    made = []
    gnuplot = shutil.which("gnuplot")
    for name, fn in PLOTS:
        data, why = fn(a)
        if data is None:
            log(f"report: skip plot {name}: {why}")
            continue
        dat = os.path.join(outdir, f"{name}.dat")
        with open(dat, "w") as f:
            f.write(data)
        if not gnuplot:
            log(f"report: skip rendering {name}: gnuplot not found (data in {name}.dat)")
            continue
        for ext in ("png", "pdf"):
            out = os.path.join(outdir, f"{name}.{ext}")
            r = subprocess.run([gnuplot, "-c", os.path.join(plots_dir, f"{name}.gp"), dat, out],
                               capture_output=True, text=True)
            if r.returncode != 0 or not os.path.exists(out):
                log(f"report: gnuplot failed on {name}.{ext}: {r.stderr.strip()[:500]}")
            else:
                made.append(f"{name}.{ext}")
    return made


# ---- main --------------------------------------------------------------------------------

def build(run, outdir, plots=True, log=print):
    a = analyse(run)
    a["shapes"] = {(r["p"]["n"], r["p"]["c"], r["p"]["h"], r["p"]["w"], r["p"]["levels"])
                   for r in a["rows"]}
    reps = sorted({r["reps"] for r in a["rows"]})
    run_reps = "/".join(map(str, reps)) if reps else "0"
    mach = machine(run)
    files = {"tables.md": table_md(a, mach, run_reps), "tables.tex": table_tex(a, mach, run_reps),
             "summary.csv": summary_csv(a)}
    for fname, text in files.items():
        with open(os.path.join(outdir, fname), "w") as f:
            f.write(text)
    made = render_plots(a, outdir, log=log) if plots else []
    if made:
        with open(os.path.join(outdir, "tables.md"), "a") as f:
            f.write("## Plots\n\n")
            for m in made:
                if m.endswith(".png"):
                    f.write(f"![{m[:-4]}]({m})\n\n")
    return a, made


def _exchange(a, b):
    """Swaps two paths in one step (Linux renameat2 RENAME_EXCHANGE), so `out` never goes
    missing; False where the call is unavailable (the caller then uses two renames)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        f = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return f(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def write_report(run, out, plots=True, log=print):
    """Builds the report in a temporary sibling of `out`, then swaps it in by rename."""
    out = os.path.abspath(out.rstrip("/"))
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.tmp-", dir=parent)
    try:
        a, made = build(run, tmp, plots=plots, log=log)
        os.chmod(tmp, 0o755)
        if os.path.lexists(out) and _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous report
        else:
            old = None
            if os.path.lexists(out):
                old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=parent)
                os.rename(out, os.path.join(old, "d"))
            os.rename(tmp, out)
            if old:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return a, made


def main(argv=None):
    ap = argparse.ArgumentParser(description="Tables and plots from a merged benchmark run.")
    ap.add_argument("run", help="merged Google Benchmark JSON of one run")
    ap.add_argument("--out", required=True, help="output directory (replaced atomically)")
    ap.add_argument("--no-plots", action="store_true", help="tables and CSV only")
    args = ap.parse_args(argv)
    # SIGTERM (run_bench.py stops us with it) unwinds like Ctrl-C, so temp dirs are removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        run = load_run(args.run)
    except (OSError, ValueError) as e:
        print(f"report: {args.run}: cannot read the run: {e}", file=sys.stderr)
        return 2
    a, made = write_report(run, args.out, plots=not args.no_plots,
                           log=lambda m: print(m, file=sys.stderr))
    if a["unknown"]:
        print(f"report: ignored {len(a['unknown'])} row(s) with unrecognised names, e.g. "
              f"{a['unknown'][0]}", file=sys.stderr)
    if not a["rows"]:
        print(f"report: {args.run}: no kernel or peer rows; wrote empty tables", file=sys.stderr)
    print(f"report: {len(a['rows'])} table rows, {len(made)} plot files -> {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
