"""The outputs of a run (docs/sppnet.md#output): table.md, table.tex, summary.json,
stages.dat and stages.png in the output directory, every file written atomically
(harness/peers/gbjson.write_file_atomic; the plot rendered to a temporary name, then renamed).

`res[T][method]` holds per-repetition lists of seconds per image for each stage and for the
derived sums "total" and "convpool" (warp + conv + pooling); `peer[T][peer][method]` the
peer's pooling seconds per repetition. Every figure shown is the median over repetitions.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))

import gbjson  # noqa: E402

METHODS = [("rcnn", "R-CNN"), ("spp1", "SPP-net 1-scale"), ("spp5", "SPP-net 5-scale")]
STAGE_ROWS = [("warp", "warp to {warp}x{warp}"), ("conv", "conv1-5"),
              ("pool", "region SPP (SPP-net) / pool5 (R-CNN), libspp"), ("fc", "fc6 + fc7")]
# What the stored copies of the paper say (docs/sppnet.md#the-papers-figures): GPU timings.
PAPER = [("speed-up, conv features", "30-170x", "convpool"),
         ("speed-up, overall", "24-64x (ECCV 2014 / tech report); 24-102x (TPAMI 2015)",
          "total")]


def med(v):
    return statistics.median(v) if v else float("nan")


def fmt(s):
    if s != s:
        return "—"
    return f"{s:.4f}" if s < 0.1 else f"{s:.3f}" if s < 10 else f"{s:.1f}"


def speedups(r, key):
    base = med(r["rcnn"][key])
    return {m: base / med(r[m][key]) for m, _ in METHODS[1:] if m in r}


def table_rows(res, peer, t, meta):
    """[(label, [cell per method])] for thread count t."""
    r, rows = res[t], []
    for key, label in STAGE_ROWS:
        cells = [fmt(med(r[m][key])) if m in r and (key != "warp" or m == "rcnn") else "—"
                 for m, _ in METHODS]
        rows.append((label.format(warp=meta["warp"]), cells))
    rows.append(("**total**", [f"**{fmt(med(r[m]['total']))}**" if m in r else "—"
                               for m, _ in METHODS]))
    for name, per in peer.get(t, {}).items():
        rows.append((f"region SPP by {name} (peer)",
                     ["—"] + [fmt(med(per[m])) if m in per else "—" for m, _ in METHODS[1:]]))
        rows.append((f"total with {name}",
                     ["—"] + [fmt(med([a - b + c for a, b, c in
                                       zip(r[m]["total"], r[m]["pool"], per[m])]))
                              if m in per else "—" for m, _ in METHODS[1:]]))
    for key, label in (("convpool", "speed-up over R-CNN, conv + pooling"),
                       ("total", "speed-up over R-CNN, total")):
        sp = speedups(r, key)
        rows.append((label, ["—"] + [f"{sp[m]:.1f}x" if m in sp else "—"
                                     for m, _ in METHODS[1:]]))
    return rows


def header_lines(meta):
    return [
        f"Run of {meta['date']} on {meta['cpu']} ({meta['host_cpus']} CPUs), sppbench "
        f"`{meta['commit']}`, torch {meta['torch']}, torchvision {meta['torchvision']}, "
        f"OpenVINO {meta['openvino'] or 'absent'}.",
        f"`{meta['command']}`" + (f" — {meta['label']}" if meta["label"] else ""),
        "",
        f"Seconds per image, median of {meta['reps']} interleaved repetitions; "
        f"{meta['windows']} windows per image; R-CNN timed on {meta['windows_timed']} of them "
        f"(seeded sample) and scaled linearly to {meta['windows']}"
        + (" (all windows)" if meta["windows_timed"] == meta["windows"] else "")
        + f"; 1-scale s = {meta['single_scale']}, 5-scale s = "
        f"{', '.join(map(str, meta['scales']))}; region kernel `{meta['region_kernel']}` "
        f"(NCHW, values only), R-CNN pool5 by `{meta['pool5_kernel']}`; ZF-5 with random "
        f"weights{meta['width_note']}. Totals are medians of each repetition's sum, so they "
        "need not equal the sum of the stage medians. Method: docs/sppnet.md.",
    ]


def markdown(res, peer, meta):
    out = ["# SPP-net vs R-CNN: detection time per image on this CPU", ""]
    out += header_lines(meta)
    for t in meta["threads"]:
        out += ["", f"## {t} thread{'s' if t > 1 else ''}", "",
                "| stage | " + " | ".join(l for _, l in METHODS) + " |",
                "|---|" + "---:|" * len(METHODS)]
        out += [f"| {label} | " + " | ".join(cells) + " |"
                for label, cells in table_rows(res, peer, t, meta)]
    t0 = meta["threads"][0]
    out += ["", f"## The paper's figures beside ours ({t0} thread{'s' if t0 > 1 else ''})", "",
            "He et al. timed their detector on a GPU, so their ratios are not a CPU's; only "
            "their abstracts' speed-up ranges are given here (docs/sppnet.md"
            "#the-papers-figures).", "",
            "| figure | paper (GPU) | ours, SPP-net 1-scale | ours, SPP-net 5-scale |",
            "|---|---|---:|---:|"]
    for label, paper, key in PAPER:
        sp = speedups(res[t0], key)
        out.append(f"| {label} | {paper} | " + " | ".join(
            f"{sp[m]:.1f}x" if m in sp else "—" for m, _ in METHODS[1:]) + " |")
    out += ["", "Checks before timing:", ""] + [f"- {n}" for n in meta["checks"]]
    return "\n".join(out) + "\n"


def tex(s):
    """A table cell in LaTeX: markdown bold dropped, specials escaped, '12.3x' as 12.3$\\times$."""
    s = s.replace("**", "")
    for a, b in (("\\", "\\textbackslash{}"), ("_", "\\_"), ("%", "\\%"), ("&", "\\&"),
                 ("#", "\\#"), ("—", "--")):
        s = s.replace(a, b)
    if re.fullmatch(r"[0-9.]+x", s):
        s = s[:-1] + "$\\times$"
    return s


def latex(res, peer, meta):
    out = ["% generated by harness/sppnet/tables.py (make bench-sppnet); needs booktabs"]
    for t in meta["threads"]:
        out += ["\\begin{table}", "\\centering",
                f"\\caption{{Detection time per image (s), {t} thread(s), median of "
                f"{meta['reps']} repetitions, {meta['windows']} windows.}}",
                "\\begin{tabular}{l" + "r" * len(METHODS) + "}", "\\toprule",
                "stage & " + " & ".join(l for _, l in METHODS) + " \\\\", "\\midrule"]
        for label, cells in table_rows(res, peer, t, meta):
            out.append(tex(label) + " & " + " & ".join(tex(c) for c in cells) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    return "\n".join(out)


def summary(res, peer, meta):
    t1 = meta["threads"][0]
    r = res[t1]
    sp = speedups(r, "total")
    return {
        "rcnn_s": med(r["rcnn"]["total"]), "sppnet_1sc_s": med(r["spp1"]["total"]),
        "sppnet_5sc_s": med(r["spp5"]["total"]),
        "speedup_1sc": sp["spp1"], "speedup_5sc": sp["spp5"],
        "windows": meta["windows"], "windows_timed": meta["windows_timed"],
        "threads": t1, "threads_all": meta["threads"], "reps": meta["reps"],
        "versions": {"torch": meta["torch"], "torchvision": meta["torchvision"],
                     "openvino": meta["openvino"], "sppbench": meta["commit"]},
        "cpu": meta["cpu"], "date": meta["date"], "command": meta["command"],
        "label": meta["label"], "width_div": meta["width_div"],
        "stages_median_s": {str(t): {m: {k: med(v) for k, v in res[t][m].items()}
                                     for m in res[t]} for t in res},
        "stages_s": {str(t): res[t] for t in res},
        "peer_pool_s": {str(t): peer.get(t, {}) for t in res},
        "checks": meta["checks"], "peers": meta["peer_notes"],
    }


def plot_data(res, meta):
    out = [f"# title: Detection time per image, {meta['windows']} windows "
           f"(median of {meta['reps']})", "bar warp conv pool fc total"]
    for t in meta["threads"]:
        for m, label in METHODS:
            s = {k: med(res[t][m][k]) for k in ("warp", "conv", "pool", "fc", "total")}
            out.append(f'"{label} t{t}" ' + " ".join(f"{s[k]:.6g}" for k in
                                                      ("warp", "conv", "pool", "fc", "total")))
    return "\n".join(out) + "\n"


def render(dat, png, log):
    gp = shutil.which("gnuplot")
    if not gp:
        log(f"sppnet: gnuplot not found: {png} not drawn (data in {dat})")
        return False
    tmp = os.path.join(os.path.dirname(png), f".{os.getpid()}.stages.tmp.png")
    r = subprocess.run([gp, "-c", os.path.join(ROOT, "plots", "sppnet_stages.gp"), dat, tmp],
                       capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(tmp):
        if os.path.exists(tmp):
            os.unlink(tmp)
        log(f"sppnet: gnuplot failed: {r.stderr.strip()[:400]}")
        return False
    os.replace(tmp, png)
    return True


def write_all(out_dir, res, peer, meta, log):
    files = {"table.md": markdown(res, peer, meta), "table.tex": latex(res, peer, meta),
             "summary.json": json.dumps(summary(res, peer, meta), indent=2) + "\n",
             "stages.dat": plot_data(res, meta)}
    for name, text in files.items():
        gbjson.write_file_atomic(os.path.join(out_dir, name), text)
    render(os.path.join(out_dir, "stages.dat"), os.path.join(out_dir, "stages.png"), log)
    return sorted(files) + ["stages.png"]
