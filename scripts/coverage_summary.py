#!/usr/bin/env python3
"""The two summary lines of `make coverage` (mk/coverage.mk) from gcovr's --json-summary:

    coverage: kernels/ NN.N% lines NN.N% branches
    coverage: src/ NN.N% lines NN.N% branches

Each directory's figures are the sums of its files' covered and total lines (and branches),
not an average of per-file percentages. Exit 2 when the summary cannot be read."""
import json
import sys

DIRS = ("kernels/", "src/")


def totals(summary):
    out = {d: [0, 0, 0, 0] for d in DIRS}
    for f in summary["files"]:
        for d in DIRS:
            if f["filename"].startswith(d):
                t = out[d]
                t[0] += f["line_covered"]
                t[1] += f["line_total"]
                t[2] += f["branch_covered"]
                t[3] += f["branch_total"]
    return out


def pct(a, b):
    return 100.0 * a / b if b else 100.0


def main(argv):
    if len(argv) != 1:
        print("usage: coverage_summary.py SUMMARY.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0]) as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        print(f"coverage_summary: {argv[0]}: cannot read gcovr's summary: {e}", file=sys.stderr)
        return 2
    for d, (lc, lt, bc, bt) in totals(summary).items():
        print(f"coverage: {d} {pct(lc, lt):.1f}% lines {pct(bc, bt):.1f}% branches")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
