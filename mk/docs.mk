# Generated documentation (scripts/gen_docs.py):
#   make docs          docs/kernels.md's `spp list` block (from $(BUILD)/spp) and
#                      docs/results/<machine>.md: per machine, the newest run of each
#                      configuration, dated, with CPU, commit, config and command, and its tables;
#                      README.md's headline block from the newest published paper run
#   make docs RUN='results/runs/A.json results/published/B.json.xz'
#                      the result pages from these runs instead of results/published/
#   make docs-machines docs/results/cross-machine.md: the same rows of one configuration on each
#                      machine, as ratios within each run (CROSS_RUNS: RUN=LABEL pairs)
#   make publish RUN=results/runs/A.json
#                      keep a run behind published tables: results/published/A.json.xz (tracked;
#                      results/runs/ is not)
# Every output is written to a temporary name and renamed into place.
RUN ?=
DOCS_KERNELS ?= docs/kernels.md
DOCS_RESULTS ?= docs/results
DOCS_README ?= README.md
# the paper runs of each machine the benchmarks ran on (docs/perf-log.md#machines)
CROSS_RUNS ?= "results/published/20261122T084408Z-vm.json.xz=Zen 3" \
	"results/published/20261122T110207Z-vm.json.xz=Zen 4" \
	"results/published/20261207T230558Z-vm.json.xz=Intel Xeon (2026-12-07)"

.PHONY: docs docs-kernels docs-results docs-headline docs-machines publish

docs: docs-kernels docs-results docs-headline docs-machines

docs-machines:
	$(Q)$(PY) scripts/cross_machine.py --out $(DOCS_RESULTS)/cross-machine.md $(CROSS_RUNS)

docs-kernels: $(BUILD)/spp
	$(Q)$(PY) scripts/gen_docs.py kernels --spp $(BUILD)/spp --doc $(DOCS_KERNELS)

docs-results:
	$(Q)$(PY) scripts/gen_docs.py results --out $(DOCS_RESULTS) $(RUN)

docs-headline:
	$(Q)$(PY) scripts/gen_docs.py headline --doc $(DOCS_README) $(RUN)

publish:
	$(Q)test -n "$(RUN)" || { echo "publish: RUN: empty: expected the run file(s) to keep," \
	  "e.g. RUN=results/runs/<UTC>-<host>.json" >&2; exit 2; }
	$(Q)$(PY) scripts/gen_docs.py publish $(RUN)
