#!/usr/bin/env python3
"""The same benchmark rows on several machines, side by side (make docs-machines).

    cross_machine.py RUN=LABEL [RUN=LABEL ...] [--out docs/results/cross-machine.md]

RUN: a whole-map run of the same configuration on each machine (plain or compressed, read by
gbjson.load_run); LABEL names its machine in the table ("Zen 3", ...): the runs record a CPU
model string that does not always tell machines apart ("AMD EPYC" was a Zen 3 and a Zen 4).

Absolute times from different machines are not comparable (another host, another load), so
every cell is a ratio taken within its own run:
  1. per workload and layout (forward max with argmax, adaptive bins, 1 thread): the best
     kernel and its time over the read-once bound of the same run;
  2. what the 16-lane AVX-512 form of a kernel buys over its 8-lane AVX2 form, per kernel pair
     and workload: the AVX2 form's median over the AVX-512 form's (above 1: AVX-512 faster), at
     1 and 2 threads. A machine without AVX-512 has no AVX-512 rows: a dash.
The page is written atomically (gbjson.write_file_atomic).
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "harness"))
import report  # noqa: E402  (puts harness/peers on the path)
import gbjson  # noqa: E402

# (column label, {layout: (AVX2 kernel, its AVX-512 form)}): the forms of one kernel source
PAIRS = (("avx2 / avx512", {"nhwc": ("nhwc__avx2", "nhwc__avx512")}),
         ("fused_avx2 / fused_avx512", {"nhwc": ("nhwc__fused_avx2", "nhwc__fused_avx512"),
                                        "nchw": ("nchw__fused_avx2", "nchw__fused_avx512")}))
ORDER = ["zf5-224/N1", "zf5-224/N64", "zf5-180", "zf5-3lvl", "det-688", "vgg16-600",
         "fast-rcnn", "large", "odd"]


def die(msg):
    print(f"cross_machine: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_runs(specs):
    out = []
    for s in specs:
        path, sep, label = s.partition("=")
        if not sep or not path or not label.strip():
            die(f"run '{s}': expected RUN=LABEL (a run file and the machine's name)")
        try:
            run = gbjson.load_run(path)
        except (OSError, ValueError) as e:
            die(f"run {path}: cannot read the run: {e}")
        out.append((label.strip(), path, run))
    return out


def _points(rows):
    """(workload, layout) -> problem of the forward max adaptive points (det-multi left out)."""
    pts = {}
    for r in rows:
        if (r["direction"] == "fwd" and r["p"]["pool"] == "max" and r["p"]["bins"] == "adaptive"
                and r["workload"] and r["workload"] != "det-multi"):
            pts.setdefault((r["workload"], r["p"]["layout"]), r["problem"])
    return pts


def _index(rows):
    return {(r["problem"], r["kernel"], r["threads"], r["direction"]): r for r in rows}


def _key(wl):
    w, lay = wl
    return (ORDER.index(w) if w in ORDER else 99, w, lay)


def best_table(machines):
    heads = [m[0] for m in machines]
    out = ["| workload | layout | " + " | ".join(heads) + " |",
           "|---|---|" + "---|" * len(heads)]
    keys = sorted({k for m in machines for k in m[2]}, key=_key)
    for k in keys:
        cells = []
        for _, rows, pts in machines:
            prob = pts.get(k)
            c = [r for r in rows if r["problem"] == prob and r["threads"] == 1 and
                 r["direction"] == "fwd" and not r["is_peer"] and r["kernel"] != "auto"] if prob else []
            b = min(c, key=lambda r: r["median"]) if c else None
            cells.append(f"`{b['kernel']}` {b['median'] / b['bound_ns']:.1f}x"
                         if b and b.get("bound_ns") else "—")
        out.append(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")
    return out


def has_avx512(rows):
    wide = {ab[1] for _, by in PAIRS for ab in by.values()}
    return any(r["kernel"] in wide for r in rows)


def avx512_table(machines, threads):
    machines = [m for m in machines if has_avx512(m[1])]
    if not machines:
        return ["No machine of these runs has AVX-512 rows."]
    heads = [f"{m[0]}: {label}" for m in machines for label, _ in PAIRS]
    out = ["| workload | layout | " + " | ".join(heads) + " |",
           "|---|---|" + "--:|" * len(heads)]
    layouts = {lay for _, by in PAIRS for lay in by}
    keys = sorted({k for m in machines for k in m[2] if k[1] in layouts}, key=_key)
    for k in keys:
        cells = []
        for _, rows, pts in machines:
            ix, prob = _index(rows), pts.get(k)
            for _, by in PAIRS:
                a, b = by.get(k[1], (None, None))
                ra, rb = ix.get((prob, a, threads, "fwd")), ix.get((prob, b, threads, "fwd"))
                cells.append(f"{ra['median'] / rb['median']:.2f}" if ra and rb else "—")
        out.append(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")
    return out


def page(runs):
    machines, srcs = [], []
    for label, path, run in runs:
        rows = report.analyse(run)["rows"]
        machines.append((label, rows, _points(rows)))
        ctx = run.get("context", {})
        srcs.append(f"- {label}: `{os.path.relpath(os.path.abspath(path), ROOT)}`, run of "
                    f"{ctx.get('date', '?')}, CPU \"{ctx.get('cpu_model', '?')}\", ISA "
                    f"{ctx.get('spp_isa', 'not recorded')}, config "
                    f"{ctx.get('spp_config', '?')}, commit "
                    f"{str(ctx.get('git_commit', '?'))[:12]}")
    out = ["# The same rows on each machine", "",
           "Generated by `make docs-machines` (scripts/cross_machine.py). Every cell is a ratio "
           "within its own run: absolute times from different machines (other hosts, other "
           "loads) are not comparable. The machines are described in "
           "docs/perf-log.md#machines.", "", "Runs:", ""] + srcs + [
           "", "## Best kernel over the read-once bound", "",
           "Forward max with argmax, adaptive bins, 1 thread: the fastest kernel of each "
           "workload and layout, and its median over the same run's read-once bound (1.0 "
           "would be reading the input once).", ""] + best_table(machines)
    for t in (1, 2):
        out += ["", f"## What AVX-512 buys over AVX2, {t} thread{'s' if t > 1 else ''}", "",
                "Forward max with argmax, adaptive bins: the AVX2 kernel's median over its "
                "AVX-512 form's, same run (above 1.00: the 16-lane form is faster). The NHWC "
                "pairs are one source built twice; nchw__fused_avx512 shares "
                "nchw__fused_avx2's code except its 16-lane max paths. Machines without "
                "AVX-512 have no column. A dash: the row is missing.", ""]
        out += avx512_table(machines, t)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", metavar="RUN=LABEL")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "results", "cross-machine.md"))
    a = ap.parse_args()
    gbjson.write_file_atomic(a.out, page(parse_runs(a.runs)))
    print(f"cross_machine: wrote {os.path.relpath(os.path.abspath(a.out), ROOT)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
