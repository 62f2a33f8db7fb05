#!/usr/bin/env python3
"""Prints the README's measured tables (Markdown) from the report's summary.csv files, so the
README quotes a run exactly instead of by hand:

  readme_tables.py results/paper/summary.csv [results/train/summary.csv]

1. forward, max, adaptive: the best kernel per (workload, layout) at 1 thread, x naive,
   x torch_cl, x the read-once bound, and the same kernel at 2 threads (the best threaded
   one, named, when a single-threaded kernel was fastest);
2. sppnet bins: the best kernel per (problem, layout, threads) vs oneDNN;
3. (train csv) forward+backward: the best kernel vs torch_cl.
Every ratio is taken within the one run the csv holds.
"""
import csv
import sys

ORDER = ["zf5-224/N1", "zf5-224/N64", "zf5-180", "zf5-3lvl", "det-688", "det-multi",
         "vgg16-600", "fast-rcnn", "large", "odd"]


def load(path):
    rows, seen = [], set()
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["workload"], r["problem"], r["kernel"], r["threads"], r["direction"])
            if key in seen:   # a problem listed under one workload twice
                continue
            seen.add(key)
            r["t"] = float(r["median_ns"])
            rows.append(r)
    return rows


def ms(ns):
    v = ns / 1e6
    return f"{v:.1f} ms" if v >= 10 else f"{v:.3f} ms"


def index(rows):
    return {(r["problem"], r["kernel"], r["threads"], r["direction"]): r for r in rows}


def best(rows, problem, threads, direction):
    c = [r for r in rows if r["problem"] == problem and r["threads"] == threads and
         r["direction"] == direction and r["is_peer"] == "0"]
    return min(c, key=lambda r: r["t"]) if c else None


def wkey(r):
    return (ORDER.index(r["workload"]) if r["workload"] in ORDER else 99, r["workload"],
            r["layout"], r["problem"])


def forward_table(rows):
    ix = index(rows)
    out = ["| workload | layout | best kernel | time | x naive | x torch_cl | x bound | "
           "2 threads | t1/t2 | x torch_cl (t2) |", "|---|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    probs = sorted({(r["workload"], r["layout"], r["problem"]): r for r in rows
                    if r["direction"] == "fwd" and r["pool"] == "max" and
                    r["bins"] == "adaptive" and r["workload"] != "det-multi"}.values(), key=wkey)
    for p in probs:
        b = best(rows, p["problem"], "1", "fwd")
        if not b:
            continue
        nv = ix.get((p["problem"], "naive", "1", "fwd"))
        tc = ix.get((p["problem"], "torch_cl", "1", "fwd"))
        b2 = ix.get((p["problem"], b["kernel"], "2", "fwd"))
        t2name = ""
        if not b2:   # a single-threaded kernel was fastest: the best one at 2 threads
            b2 = best(rows, p["problem"], "2", "fwd")
            t2name = f" (`{b2['kernel']}`)" if b2 else ""
        tc2 = ix.get((p["problem"], "torch_cl", "2", "fwd"))
        out.append(
            f"| {p['workload']} | {p['layout']} | `{b['kernel']}` | {ms(b['t'])} | "
            f"{nv['t'] / b['t']:.1f} | " if nv else "| — | ")
        out[-1] += (f"{tc['t'] / b['t']:.1f} | " if tc else "— | ") + \
            f"{b['t'] / float(b['bound_ns']):.1f} | " + \
            (f"{ms(b2['t'])}{t2name} | {b['t'] / b2['t']:.2f} | " if b2 else "— | — | ") + \
            (f"{tc2['t'] / b2['t']:.1f} |" if tc2 and b2 else "— |")
    return out


def peer_points(rows, kernel, keep):
    """One row of peer `kernel` per (workload, layout, problem, threads) that `keep` accepts, in
    table order (workload order, then threads)."""
    pts = {(r["workload"], r["layout"], r["problem"], r["threads"]): r for r in rows
           if r["kernel"] == kernel and keep(r)}
    return sorted(pts.values(), key=lambda r: wkey(r) + (r["threads"],))


def sppnet_table(rows):
    out = ["| workload (sppnet bins) | layout | threads | best kernel | time | oneDNN | "
           "x oneDNN |", "|---|---|--:|---|--:|--:|--:|"]
    keys = peer_points(rows, "onednn", lambda r: r["direction"] == "fwd" and r["pool"] == "max"
                       and r["bins"] == "sppnet")
    for o in keys:
        b = best(rows, o["problem"], o["threads"], "fwd")
        if not b:
            continue
        name = o["workload"] if o["workload"] != "det-multi" else \
            "det-multi " + o["problem"].split("_")[0]
        out.append(f"| {name} | {o['layout']} | {o['threads']} | `{b['kernel']}` | "
                   f"{ms(b['t'])} | {ms(o['t'])} | {o['t'] / b['t']:.1f} |")
    return out


def train_table(rows):
    ix = index(rows)
    out = ["| workload | layout | threads | best kernel | fwd+bwd | torch_cl fwd+bwd | "
           "x torch_cl | x naive |", "|---|---|--:|---|--:|--:|--:|--:|"]
    keys = peer_points(rows, "torch_cl", lambda r: r["direction"] == "fwdbwd")
    for tc in keys:
        b = best(rows, tc["problem"], tc["threads"], "fwdbwd")
        nv = ix.get((tc["problem"], "naive", "1", "fwdbwd"))
        if not b:
            continue
        out.append(f"| {tc['workload']} | {tc['layout']} | {tc['threads']} | `{b['kernel']}` | "
                   f"{ms(b['t'])} | {ms(tc['t'])} | {tc['t'] / b['t']:.1f} | "
                   + (f"{nv['t'] / b['t']:.1f} |" if nv else "— |"))
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    paper = load(sys.argv[1])
    print("\n".join(forward_table(paper)), end="\n\n")
    print("\n".join(sppnet_table(paper)), end="\n\n")
    if len(sys.argv) == 3:
        print("\n".join(train_table(load(sys.argv[2]))))


if __name__ == "__main__":
    main()
