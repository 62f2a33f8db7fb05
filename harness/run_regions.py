#!/usr/bin/env python3
"""Runs the region SPP benchmark (make bench-regions): $SPP_BUILD/spp-bench-regions and the
torchvision roi_pool peer on the same workloads and thread counts, then writes
  results/runs/<UTC>-<host>-regions.json   merged Google Benchmark JSON (atomic rename)
  results/regions/latest.md                the paper-style table, derived from that JSON

Table: per workload and thread count, the median time of every region kernel, of torchvision's
roi_pool pyramid and of the read-once bound; speed-up of the fastest kernel over the peer (same
thread count, same boxes: the boxes_hash of both must agree or the peer cell says so) and the
fastest kernel's time as a multiple of the bound. Times are per image: R windows on one map.

Usage: run_regions.py [--config F] [--threads 1,2] [--workloads a,b] [--repetitions N]
                      [--min-time S] [--out RUN.json] [--md results/regions/latest.md]
       run_regions.py --report-only RUN.json[.xz|.gz] [--md ...]
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))
import gbjson  # noqa: E402

UNIT = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


# The region peers: (row name, script in harness/peers, Python package it needs beyond the
# suite's own). torchvision's roi_pool returns argmax like the kernels' training rows;
# OpenVINO's ROIPooling returns values only, the inference rows' work.
ROI_PEERS = (("torchvision_roi", "torchvision_roi_peer.py", None),
             ("openvino_roi", "openvino_roi_peer.py", "openvino"))
PEER_ROWS = tuple(name for name, _, _ in ROI_PEERS)


def present_peers():
    """(name, script) of each region peer whose package is installed; a missing one is a
    warning (make bench-regions installs it), never an error."""
    got = []
    for name, script, module in ROI_PEERS:
        if module and not gbjson.module_present(module, sys.executable):
            print(f"run_regions: warning: peer {name}: Python package {module} not installed "
                  "(scripts/setup.sh bench installs it); its rows are left out", file=sys.stderr)
            continue
        got.append((name, script))
    return got


def tree_commit():
    """HEAD of the checkout, with -dirty when the tree differs from it (untracked files too, as
    mk/bench.mk's build facts: a stray kernels/*.c is built); "unknown" outside git. GIT_OPTIONAL_LOCKS=0: never take the index lock of a shared tree."""
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"],
                               cwd=ROOT, env=env, check=True, capture_output=True,
                               text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def medians(rows, field="real_time"):
    """run_name -> (median ms of field, label, boxes_hash) over the per-repetition rows."""
    by = {}
    for r in rows:
        if r.get("run_type") == "aggregate" or r.get("error_occurred"):
            continue
        ms = r[field] * UNIT[r.get("time_unit", "ns")]
        by.setdefault(_name(r["run_name"]), []).append((ms, r.get("label", ""),
                                                        r.get("boxes_hash")))
    return {k: (statistics.median(t for t, _, _ in v), v[0][1], v[0][2]) for k, v in by.items()}


def _name(n):
    """GB appends /real_time to UseRealTime() rows: key rows by kernel/workload/tT."""
    return n[:-len("/real_time")] if n.endswith("/real_time") else n


def errors(rows):
    return {_name(r["run_name"]): r.get("error_message", "") for r in rows
            if r.get("error_occurred")}


def fmt(ms):
    return "—" if ms is None else (f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}")


def read_bound(med, w, t):
    """The read-once bound of a workload and thread count: the faster of its AVX2 row and, on
    CPUs with AVX-512, its 16-lane row (the floor is the fastest way to read the windows)."""
    got = [med[n] for n in (f"bound_readonce/{w}/{t}", f"bound_readonce/{w}/{t}/avx512")
           if n in med]
    return min(got, key=lambda v: v[0]) if got else None


def kernel_cells(kernels, suffix, med, errs):
    """One table row's kernel cells for rows {kernel}/{suffix}, and (time, kernel) of the
    fastest (None if none ran)."""
    cells, best = [], None
    for k in kernels:
        n = f"{k}/{suffix}"
        if n in med:
            cells.append(fmt(med[n][0]))
            if best is None or med[n][0] < best[0]:
                best = (med[n][0], k)
        elif n in errs:
            cells.append("error" if "SKIP" not in errs[n] else "skip")
        else:
            cells.append("—")
    return cells, best


def table(run):
    rows = run["benchmarks"]
    med, errs, cpu = medians(rows), errors(rows), medians(rows, "cpu_time")
    ctx = run.get("context", {})
    names = list(dict.fromkeys(_name(r["run_name"]) for r in rows))   # registry order
    workloads, threads, kernels = [], [], []
    for n in names:
        k, w, t = n.split("/")[:3]
        if w not in workloads:
            workloads.append(w)
        if t not in threads:
            threads.append(t)
        if k not in kernels and k not in ("bound_readonce", "bound_write") + PEER_ROWS:
            kernels.append(k)
    infer = any(n.endswith("/y_only") for n in names)
    order = ["det-480", "det-576", "det-688", "det-688-relu", "det-864", "det-1200", "fast-rcnn"]
    workloads.sort(key=lambda w: (order.index(w) if w in order else 99, w))
    threads.sort(key=lambda t: int(t[1:]))
    out = ["# Region SPP: pooling time per image (R windows on one feature map)", "",
           f"Run: {ctx.get('date', '?')} on {ctx.get('host_name', '?')} "
           f"({ctx.get('num_cpus', '?')} CPUs). Median real time in ms over "
           f"{run.get('repetitions', '?')} repetitions ({gbjson.interleave_note(ctx)}; "
           f"{gbjson.buffers_note(ctx)}); forward with "
           "argmax (the inference tables: without). "
           "Preliminary: the machine was shared while this ran; compare ratios within the run.",
           "", "Workloads: configs/regions.ini (det-* = SPP-net scales s: map floor(s/16) x "
           "floor(s/12), C=256, levels 6,3,2,1; fast-rcnn = C=512, 38x50, level 7; 2,000 "
           "seeded log-uniform boxes each).", ""]
    for t in threads:
        out += [f"## {t}", "",
                "| workload | " + " | ".join(kernels) + " | torchvision roi_pool | "
                "read-once bound | write-once bound | best vs torchvision | best vs torchvision"
                " (CPU time) | best / read-once bound | best / (read + write) |",
                "|---|" + "---:|" * (len(kernels) + 7)]
        for w in workloads:
            cells, best = kernel_cells(kernels, f"{w}/{t}", med, errs)
            if best:
                i = kernels.index(best[1])
                cells[i] = f"**{cells[i]}**"
            peer = med.get(f"torchvision_roi/{w}/{t}")
            bound = read_bound(med, w, t)
            wbound = med.get(f"bound_write/{w}/{t}")
            peer_cell = "—"
            if peer:
                peer_cell = fmt(peer[0])
                if "not verified" in peer[1]:
                    peer_cell += " (different rounding, not verified)"
                hb = ctx.get(f"boxes_hash/{w}")
                if hb is not None and peer[2] is not None and int(hb, 16) != int(peer[2]):
                    peer_cell += " (DIFFERENT BOXES)"
            sp = f"{peer[0] / best[0]:.1f}x" if peer and best else "—"
            # CPU time is only comparable single-threaded (GB records the main thread's)
            pc, bc = cpu.get(f"torchvision_roi/{w}/{t}"), best and cpu.get(f"{best[1]}/{w}/{t}")
            spc = f"{pc[0] / bc[0]:.1f}x" if t == "t1" and pc and bc else "—"
            fb = f"{best[0] / bound[0]:.2f}x" if bound and best else "—"
            frw = f"{best[0] / (bound[0] + wbound[0]):.2f}x" if bound and wbound and best else "—"
            out.append(f"| {w} | " + " | ".join(cells) + f" | {peer_cell} | "
                       f"{fmt(bound[0]) if bound else '—'} | {fmt(wbound[0]) if wbound else '—'}"
                       f" | {sp} | {spc} | {fb} | {frw} |")
        out.append("")
        if infer:
            out += inference_table(t, workloads, kernels, med, errs)
    notes = [n for n in ctx if n.startswith("verify/")]
    if notes:
        out += ["torchvision check (bins recomputed in float32 as roi_pool does, then values "
                "and argmax vs oracle/spp_region_oracle.py, before timing):", ""]
        out += [f"- {n[7:]}: {ctx[n]}" for n in notes]
        out.append("")
    ovn = [n for n in ctx if n.startswith("openvino_verify/")]
    if ovn:
        out += ["OpenVINO check (ROIPooling's bins, values vs oracle/spp_region_oracle.py, before "
                "timing; values only: ROIPooling returns no argmax, so it is compared with the "
                "inference rows):", ""]
        out += [f"- {n[16:]}: {ctx[n]}" for n in ovn]
        out.append("")
    out += ["torchvision 0.14's CPU roi_pool is single-threaded: its t2 row uses one thread.",
            "The peer runs in its own process right after the C++ benchmark of the same workload "
            "(workload by workload); on a shared machine the real-time ratio may still mix two "
            "load levels, so t1 also shows the ratio of CPU times (process CPU for the peer, "
            "benchmark thread CPU for the kernel).",
            "Bound: each window's cells read once (sum of box areas x C x 4 bytes), a "
            "32-channel AVX2 max over each window, no argmax, same thread count; on CPUs with "
            "AVX-512 also a 64-channel AVX-512 form (`bound_readonce/.../avx512`), and the "
            "tables take the faster of the two.",
            "Write-once bound: the kernel rows' output bytes (y and int32 argmax, R x C x "
            "sum n^2 x 8 bytes) streamed once with non-temporal stores; the read-once bound "
            "writes almost nothing, so (read + write) is the floor for a kernel that returns "
            "argmax as roi_pool does.", ""]
    if infer:
        out += ["Inference rows (y only): the same kernels called with argmax = NULL, which is "
                "all SPP-net detection needs at test time (no backward); y is checked bitwise "
                "against roi__naive's before timing. roi_pool has no such mode: it always "
                "returns argmax, so its column is the same measurement as above. The y-only "
                "write bound streams y alone (R x C x sum n^2 x 4 bytes).", ""]
    if errs:
        out += ["Errors / skips:", ""] + [f"- {k}: {v}" for k, v in sorted(errs.items())] + [""]
    return "\n".join(out)


def inference_table(t, workloads, kernels, med, errs):
    """Rows {kernel}/{w}/{t}/y_only: max without argmax, vs the same bounds and peer."""
    ov = any(n.startswith("openvino_roi/") and n.endswith(f"/{t}") for n in med)
    out = [f"### {t}, inference (max without argmax, y only)", "",
           "| workload | " + " | ".join(kernels) + " | torchvision roi_pool (with argmax) | "
           + ("OpenVINO ROIPooling | " if ov else "") +
           "read-once bound | y-only write bound | best vs torchvision | "
           + ("best vs OpenVINO | " if ov else "") + "best / read-once "
           "bound | best / (read + write y) |",
           "|---|" + "---:|" * (len(kernels) + 6 + 2 * ov)]
    for w in workloads:
        cells, best = kernel_cells(kernels, f"{w}/{t}/y_only", med, errs)
        if best is None:
            continue
        i = kernels.index(best[1])
        cells[i] = f"**{cells[i]}**"
        peer = med.get(f"torchvision_roi/{w}/{t}")
        bound = read_bound(med, w, t)
        wb = med.get(f"bound_write/{w}/{t}/y_only")
        sp = f"{peer[0] / best[0]:.1f}x" if peer else "—"
        fb = f"{best[0] / bound[0]:.2f}x" if bound else "—"
        frw = f"{best[0] / (bound[0] + wb[0]):.2f}x" if bound and wb else "—"
        ovc = ovs = ""
        if ov:
            o = med.get(f"openvino_roi/{w}/{t}")
            ovc = f"{fmt(o[0]) if o else '—'} | "
            ovs = f"{o[0] / best[0]:.1f}x | " if o else "— | "
        out.append(f"| {w} | " + " | ".join(cells) + f" | {fmt(peer[0]) if peer else '—'} | "
                   + ovc + f"{fmt(bound[0]) if bound else '—'} | {fmt(wb[0]) if wb else '—'} | "
                   f"{sp} | " + ovs + f"{fb} | {frw} |")
    out.append("")
    return out


write_text_atomic = gbjson.write_file_atomic   # the one atomic writer


def bench_workloads(exe, config, threads, only):
    """The workloads spp-bench-regions would time (its own reading of the config, in its row
    order), from its benchmark list: rows are {kernel}/{workload}/t{T}[/...]."""
    cmd = [exe, f"--config={config}", f"--threads={threads}", "--no-verify",  # list only
           "--benchmark_list_tests=true"]
    if only:
        cmd.append(f"--workloads={only}")
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit(f"run_regions: {' '.join(cmd)} failed (exit {r.returncode})")
    names = [n.split("/") for n in r.stdout.split()]
    got = list(dict.fromkeys(p[1] for p in names if len(p) >= 3))
    if not got:
        raise SystemExit(f"run_regions: {config}: no workloads to run")
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="configs/regions.ini")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--workloads", default="")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--out")
    ap.add_argument("--md", default=os.path.join(ROOT, "results", "regions", "latest.md"))
    ap.add_argument("--report-only")
    ap.add_argument("--no-peer", action="store_true")
    a = ap.parse_args()
    if a.report_only:   # RUN.json, or compressed (.json.xz / .json.gz: results/published/)
        try:
            run = gbjson.load_run(a.report_only)
        except (OSError, ValueError) as e:
            raise SystemExit(f"run_regions: {a.report_only}: cannot read the run: {e}")
        write_text_atomic(a.md, table(run))
        return
    build = os.environ.get("SPP_BUILD", "build")
    exe = os.path.join(ROOT, build, "spp-bench-regions")
    if not os.path.exists(exe):
        raise SystemExit(f"run_regions: {exe} not built (make BUILD={build} "
                         f"{build}/spp-bench-regions)")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = a.out or os.path.join(ROOT, "results", "runs",
                                f"{stamp}-{socket.gethostname()}-regions.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    # workload by workload: the kernels, then the peer on the same workload, seconds apart (on
    # this shared machine the speed drifts over minutes; a peer timed after every kernel row
    # would be compared across two load levels)
    workloads = bench_workloads(exe, a.config, a.threads, a.workloads)
    peers = [] if a.no_peer else present_peers()
    run = None
    with tempfile.TemporaryDirectory() as td:
        for i, w in enumerate(workloads):
            bj, pj = os.path.join(td, f"bench-{i}.json"), os.path.join(td, f"peer-{i}.json")
            cmd = [exe, f"--config={a.config}", f"--threads={a.threads}",
                   f"--benchmark_out={bj}", "--benchmark_out_format=json",
                   f"--benchmark_repetitions={a.repetitions}",
                   "--benchmark_display_aggregates_only=true",
                   f"--benchmark_min_time={a.min_time}", f"--workloads={w}"]
            print(f"run_regions: workload {i + 1} of {len(workloads)}: {w}", file=sys.stderr)
            print("+", " ".join(cmd), file=sys.stderr)
            subprocess.run(cmd, check=True, cwd=ROOT)
            with open(bj) as f:
                got = json.load(f)
            if run is None:
                run = got
            else:
                run["context"].update({k: v for k, v in got["context"].items()
                                       if k not in run["context"]})
                run["benchmarks"] += got["benchmarks"]
            if a.no_peer:
                continue
            for name, script in peers:
                pcmd = [sys.executable, os.path.join(HERE, "peers", script), "--config",
                        a.config, "--threads", a.threads, "--out", pj, "--repetitions",
                        str(a.repetitions), "--min-time", str(a.min_time), "--workloads", w]
                print("+", " ".join(pcmd), file=sys.stderr)
                subprocess.run(pcmd, check=True, cwd=ROOT, env=gbjson.child_env())
                with open(pj) as f:
                    peer = json.load(f)
                pre = "peer/" if name == "torchvision_roi" else f"peer/{name}/"
                for k, v in peer["context"].items():
                    if k.startswith("boxes_hash/") and run["context"].get(k, v) != v:
                        print(f"run_regions: WARNING {name} {k}: peer {v} != bench "
                              f"{run['context'][k]}: different boxes", file=sys.stderr)
                    run["context"][pre + k] = v
                    if k.startswith(("verify/", "openvino_verify/")):
                        run["context"][k] = v
                run["benchmarks"] += peer["benchmarks"]
        run["repetitions"] = a.repetitions
        # the machine and the code, as spp-bench records them (Google Benchmark's context has
        # neither): the CPU model, and the tree's commit (-dirty with uncommitted changes;
        # make bench-regions builds the binary from this tree just before the run)
        run["context"].setdefault("cpu_model", gbjson.cpu_model())
        run["context"].setdefault("git_commit", tree_commit())
        gbjson.write_atomic(out, run)
    write_text_atomic(a.md, table(run))
    print(f"wrote {out} and {a.md}", file=sys.stderr)
    import goals   # here: goals reads region runs through this module
    print("\n".join(goals.lines(run)))


if __name__ == "__main__":
    main()
