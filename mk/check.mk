# The C correctness driver and the C-side reliability checks (sanitizers, fuzzing, size limits).
#   make test-driver      the C API's refusals (spp-api-check), then every kernel vs naive on
#                         configs/check/*.shapes (part of `make test`)
#   make test-forced      the driver again on a build with the one plan choice no run-time
#                         path switch reaches (NHWC fused: elementary column segments on every
#                         row path); the paths themselves are forced by the driver on every build
#   make test-emu512      the AVX-512 kernels' code on an AVX2 emulation of their 16-lane
#                         vocabulary (tests/emu512/), through the driver, every path forced
#   make test-sanitize    ASan+UBSan build in $(SAN_BUILD): driver (--quick) + oracle pytest
#   make test-valgrind    driver (--quick) under valgrind, build without sanitizers
#   make test-large       > 2^31-element tensors (slow, ~9 GB RAM; not part of `make test`)
#   make fuzz             libFuzzer targets tests/fuzz/fuzz_*.c for FUZZ_SECONDS each
#   make fuzz-regress     replay the committed corpora (seeds + past crashes) once
.PHONY: test-driver test-forced test-emu512 test-sanitize test-valgrind test-large fuzz fuzz-build fuzz-regress

CHECK_SHAPES := $(sort $(wildcard configs/check/*.shapes))
CHECK_FLAGS ?=
# the driver: main and whole-map cases, region cases, the parts both share
CHECK_SRCS := tests/spp_check.c tests/check_regions.c tests/check_common.c
CHECK_DEPS := $(CHECK_SRCS) tests/check_common.h $(BUILD)/libspp.a include/spp.h

$(BUILD)/spp-check: $(CHECK_DEPS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CHECK_SRCS) $(BUILD)/libspp.a $(LDLIBS_SPP)

# the C API's refusals (NULL handles, names, indices, boxes, buffers): tests/spp_api_check.c
$(BUILD)/spp-api-check: tests/spp_api_check.c $(BUILD)/libspp.a include/spp.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libspp.a $(LDLIBS_SPP)

$(BUILD)/spp-large: tests/spp_large.c $(BUILD)/libspp.a include/spp.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libspp.a $(LDLIBS_SPP)

# Passive OpenMP waiting: thousands of tiny cases otherwise spend most CPU in libgomp's
# spin-wait between parallel regions (edges.shapes: 59 s of CPU active, 0.9 s passive).
CHECK_ENV := OMP_WAIT_POLICY=passive

test-driver: $(BUILD)/spp-check $(BUILD)/spp-api-check
	$(Q)$(BUILD)/spp-api-check
	$(Q)$(CHECK_ENV) $(BUILD)/spp-check $(addprefix --shapes ,$(CHECK_SHAPES)) $(CHECK_FLAGS)

# ---- the plan choice inside the NHWC fused row paths that is not a path of its own: the
# elementary column segments, normally added only where they cut the row cost by 10 % ----
FORCED_BUILD ?= build-forced
FORCED_FLAGS := -DFZ_FORCE_SEGMENTS
test-forced:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FORCED_BUILD) CFLAGS="$(FORCED_FLAGS)" $(FORCED_BUILD)/spp-check
	@echo "== test-forced: C driver, NHWC fused kernels built with $(FORCED_FLAGS)"
	$(Q)$(CHECK_ENV) $(FORCED_BUILD)/spp-check --kernel nhwc__fused_avx2 --kernel nhwc__fused_avx512 \
		$(addprefix --shapes ,$(CHECK_SHAPES)) $(CHECK_FLAGS)

# ---- the AVX-512 kernels on an emulated vocabulary (on a CPU without AVX-512 they are skipped
# everywhere else; with it they also run natively) ----
EMU_SRCS := $(sort $(wildcard tests/emu512/*.c))
EMU_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(EMU_SRCS))
$(BUILD)/obj/tests/emu512/%.o: ISA_FLAGS := -mavx2 -mfma
$(BUILD)/spp-check-emu512: $(CHECK_DEPS) $(EMU_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CHECK_SRCS) $(EMU_OBJS) $(BUILD)/libspp.a $(LDLIBS_SPP)
-include $(EMU_OBJS:.o=.d)
EMU_BUILD ?= build-emu512
EMU_RUN = $(CHECK_ENV) $(1)/spp-check-emu512 --kernel emu512:nhwc__avx512 \
	--kernel emu512:nhwc_roi__omp_avx512 --kernel emu512:nchw_roi__nhwc_omp_avx512 \
	--kernel emu512:nhwc__fused_avx512 --kernel emu512:nchw__fused_avx512 \
	$(addprefix --shapes ,$(CHECK_SHAPES)) $(CHECK_FLAGS)
test-emu512:
	$(Q)$(MAKE) --no-print-directory BUILD=$(EMU_BUILD) $(EMU_BUILD)/spp-check-emu512
	@echo "== test-emu512: C driver, the AVX-512 kernels' code on emulated 16-lane vectors"
	$(Q)$(call EMU_RUN,$(EMU_BUILD))

# ---- sanitizers ----
SAN_BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# A Python host is not instrumented: the ASan runtime must be loaded first (LD_PRELOAD), and
# Python's own allocations are not ours, so leak detection is off there. With gcc the UBSan
# runtime is a separate library; preloading it too keeps symbol resolution in one place.
SAN_PRELOAD ?= $(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)
SAN_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) OPT=-O1 SAN="$(SAN_FLAGS)" all \
		$(SAN_BUILD)/spp-check
	@echo "== test-sanitize: C driver (--quick) under ASan+UBSan"
	$(Q)$(CHECK_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(SAN_BUILD)/spp-check --quick $(addprefix --shapes ,$(CHECK_SHAPES)) $(CHECK_FLAGS)
	@echo "== test-sanitize: oracle suite against $(SAN_BUILD)/libspp.so (LD_PRELOAD=$(SAN_PRELOAD))"
	$(Q)LD_PRELOAD="$(SAN_PRELOAD)" $(SAN_ENV) SPP_BUILD=$(SAN_BUILD) $(PY) -m pytest oracle -q

# ---- valgrind (no sanitizers: they do not mix) ----
VALGRIND ?= valgrind
test-valgrind: $(BUILD)/spp-check
	@echo "== test-valgrind: C driver (--quick) under valgrind memcheck"
	$(Q)$(CHECK_ENV) $(VALGRIND) --quiet --error-exitcode=1 --track-origins=yes \
		$(BUILD)/spp-check --quick $(addprefix --shapes ,$(CHECK_SHAPES)) $(CHECK_FLAGS)

# ---- huge tensors ----
LARGE_FLAGS ?=
test-large: $(BUILD)/spp-large
	$(Q)$(BUILD)/spp-large $(LARGE_FLAGS)

# ---- fuzzing (libFuzzer; clang) ----
# Every tests/fuzz/fuzz_*.c is a target. A target that needs sources besides libspp names them
# in a comment line of its own file:   /* fuzz-extra-sources: cli/npy.c */
# and extra libraries likewise:          /* fuzz-extra-libs: -linih */
# so adding a target is adding one file (plus a seed corpus in tests/fuzz/corpus/<target>/).
# One target only: make fuzz FUZZ_TARGETS=fuzz_npy
FUZZ_CC ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
# extra libFuzzer flags for `make fuzz`, e.g. FUZZ_FLAGS='-rss_limit_mb=2048 -malloc_limit_mb=1024'
FUZZ_FLAGS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))

fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT=-O1 \
		SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" lib
	$(Q)for t in $(FUZZ_TARGETS); do \
		extra=$$(sed -n 's|.*fuzz-extra-sources:\(.*\)\*/.*|\1|p' tests/fuzz/$$t.c); \
		libs=$$(sed -n 's|.*fuzz-extra-libs:\(.*\)\*/.*|\1|p' tests/fuzz/$$t.c); \
		$(FUZZ_CC) -std=c11 -O1 -g $(WARN) -fopenmp -Iinclude -Isrc -Icli -Ikernels \
			$(FUZZ_SAN) -fsanitize=fuzzer tests/fuzz/$$t.c $$extra $(FUZZ_BUILD)/libspp.a \
			$$libs -lm -o $(FUZZ_BUILD)/$$t || exit 1; \
	done

# Runs each target for FUZZ_SECONDS on a scratch copy of its corpus; prints executions and
# crashes; a crash leaves its input in $(FUZZ_BUILD)/artifacts/<target>/ (copy it into
# tests/fuzz/corpus/<target>/ to make it a regression input) and fails the target.
fuzz: fuzz-build
	$(Q)fail=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t tests/fuzz/corpus/$$t; \
		log=$(FUZZ_BUILD)/$$t.log; \
		ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=20 $(FUZZ_FLAGS) -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; rc=$$?; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -1); \
		crashes=$$(ls $(FUZZ_BUILD)/artifacts/$$t | wc -l); \
		echo "fuzz $$t: $${execs:-?} executions in $(FUZZ_SECONDS) s, $$crashes crash file(s), exit $$rc (log $$log)"; \
		if [ $$rc -ne 0 ] || [ $$crashes -ne 0 ]; then fail=1; grep -m3 -E 'ERROR|SUMMARY|mismatch' $$log; fi; \
	done; exit $$fail

fuzz-regress: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		echo "fuzz-regress $$t: $$(ls tests/fuzz/corpus/$$t | wc -l) inputs"; \
		$(FUZZ_BUILD)/$$t -runs=0 tests/fuzz/corpus/$$t >$(FUZZ_BUILD)/$$t.regress.log 2>&1 \
			|| { tail -20 $(FUZZ_BUILD)/$$t.regress.log; exit 1; }; \
	done
