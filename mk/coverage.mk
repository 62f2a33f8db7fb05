# make coverage: which lines and branches of the library the tests run (gcov, gcovr).
#   Builds instrumented copies (--coverage at the default -O3): the default build, run by the C driver over
#   every shape file (every path of every kernel forced where valid) and by the oracle suite;
#   the build with FORCED_FLAGS of mk/check.mk and the emulated AVX-512 build (tests/emu512/),
#   run by the C driver. gcovr reads each build's data, merges them, and writes under $(COV_DIR)/:
#   index.html (per file, line by line), coverage.txt (per file) and summary.json; the run
#   ends with the two lines
#     coverage: kernels/ NN.N% lines NN.N% branches
#     coverage: src/ NN.N% lines NN.N% branches
#   Goals and the lines left out, with reasons: docs/testing.md#coverage.
COV_DIR ?= results/coverage
COV_BUILD ?= build-cov
# the default optimisation (-O3): the branches counted are the ones the shipped code has (at
# -O0 every constant-mode copy of an always_inline loop keeps the branches -O3 folds away);
# SPP_COVERAGE: the region row write-out out of line, one copy per unit rather than one per
# call site (kernels/nhwc_roi_row.h says why); -fno-early-inlining: gcov instruments after the
# early inliner, so a small static inline helper's branches (and the loop tests around the vector
# vocabulary's one-line operations) were counted once per call site, or filed under the
# vocabulary's lines; without it each function body is counted once per unit, as gcov means it.
# The main inliner still inlines them, and always_inline forms keep one copy per form.
COV_MAKE = $(MAKE) --no-print-directory SAN="--coverage -DSPP_COVERAGE -fno-early-inlining"
# hit counts past 2^32 are real here (the driver's inner loops), not gcov's overflow bug
GCOVR = .venv/bin/gcovr -r . --filter 'kernels/' --filter 'src/' --gcov-suspicious-hits-threshold=0 \
	--merge-mode-functions=separate

# A step's output goes to $(COV_BUILD)/coverage-<step>.log; its last line is shown, and a failing
# step (a failed test) ends the run with its log's tail: no figure from a failing suite.
COV_LOG = > $(COV_BUILD)/coverage-$(1).log 2>&1; s=$$?; tail -1 $(COV_BUILD)/coverage-$(1).log; \
	if [ $$s -ne 0 ]; then tail -20 $(COV_BUILD)/coverage-$(1).log; \
	echo "coverage: step $(1) failed (exit $$s), log: $(COV_BUILD)/coverage-$(1).log" >&2; exit 1; fi

.PHONY: coverage coverage-report
coverage:
	$(Q)scripts/setup.sh coverage
	$(Q)rm -rf $(COV_BUILD) $(COV_BUILD)-forced $(COV_BUILD)-emu $(COV_DIR).tmp
	$(Q)mkdir -p $(COV_DIR).tmp
	$(Q)$(COV_MAKE) BUILD=$(COV_BUILD) all $(COV_BUILD)/spp-check $(COV_BUILD)/spp-api-check
	$(Q)$(COV_MAKE) BUILD=$(COV_BUILD)-forced CFLAGS="$(FORCED_FLAGS)" $(COV_BUILD)-forced/spp-check
	$(Q)$(COV_MAKE) BUILD=$(COV_BUILD)-emu $(COV_BUILD)-emu/spp-check-emu512
	@echo "== coverage: the C API's refusals (default build)"
	$(Q)$(COV_BUILD)/spp-api-check
	@echo "== coverage: C driver (default build, every shape file)"
	$(Q)$(CHECK_ENV) $(COV_BUILD)/spp-check $(addprefix --shapes ,$(CHECK_SHAPES)) $(call COV_LOG,driver)
	@echo "== coverage: oracle suite (default build)"
	$(Q)OMP_WAIT_POLICY=passive SPP_BUILD=$(COV_BUILD) $(PY) -m pytest oracle -q -p no:cacheprovider \
		$(call COV_LOG,oracle)
	@echo "== coverage: C driver, NHWC fused kernels built with $(FORCED_FLAGS)"
	$(Q)$(CHECK_ENV) $(COV_BUILD)-forced/spp-check --kernel nhwc__fused_avx2 \
		--kernel nhwc__fused_avx512 $(addprefix --shapes ,$(CHECK_SHAPES)) $(call COV_LOG,forced)
	@echo "== coverage: C driver, the AVX-512 kernels on emulated 16-lane vectors"
	$(Q)$(call EMU_RUN,$(COV_BUILD)-emu) $(call COV_LOG,emu512)
	$(Q)$(MAKE) --no-print-directory coverage-report

# The report alone, from the gcov data the runs above left in the builds.
coverage-report:
	$(Q)rm -rf $(COV_DIR).tmp && mkdir -p $(COV_DIR).tmp
	$(Q)for b in $(COV_BUILD) $(COV_BUILD)-forced $(COV_BUILD)-emu; do \
		$(GCOVR) $$b --json $(COV_DIR).tmp/$${b##*/}.json || exit 1; done
	$(Q)$(GCOVR) $(addprefix --add-tracefile $(COV_DIR).tmp/,$(addsuffix .json,$(COV_BUILD) \
		$(COV_BUILD)-forced $(COV_BUILD)-emu)) \
		--html-details $(COV_DIR).tmp/index.html --txt $(COV_DIR).tmp/coverage.txt \
		--json-summary $(COV_DIR).tmp/summary.json --txt-metric branch >/dev/null
	$(Q)rm -rf $(COV_DIR) && mv $(COV_DIR).tmp $(COV_DIR)
	$(Q)$(PY) scripts/coverage_summary.py $(COV_DIR)/summary.json
