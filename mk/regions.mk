# Region SPP: the region benchmark binary and its run.
#   make BUILD=... $(BUILD)/spp-bench-regions   build harness/bench_regions.cc
#   make bench-regions    run it and the torchvision roi_pool peer on configs/regions.ini, then
#                         write results/runs/<UTC>-<host>-regions.json (atomically) and
#                         results/regions/latest.md
#   make test-regions     the region oracle tests only (oracle/tests/test_region*.py)
# Variables: REGION_THREADS (default 1,2), REGION_REPS (default 3), REGION_WORKLOADS (default:
# all of the config), REGION_MIN_TIME (seconds per repetition, default 0.5).
REGION_THREADS ?= 1,2
REGION_REPS ?= 3
REGION_WORKLOADS ?=
REGION_MIN_TIME ?= 0.5
REGION_CONFIG ?= configs/regions.ini

REGION_CXXFLAGS = -std=c++17 -O2 -g $(WARN) -fopenmp -Iinclude $(SAN) $(CXXFLAGS)

$(BUILD)/obj/harness/bench_regions.o: harness/bench_regions.cc include/spp.h
	@mkdir -p $(dir $@)
	$(Q)$(CXX) $(REGION_CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/spp-bench-regions: $(BUILD)/obj/harness/bench_regions.o $(BUILD)/libspp.a
	$(Q)$(CXX) -o $@ $< $(BUILD)/libspp.a -lbenchmark -lpthread -fopenmp -lm $(SAN)

.PHONY: bench-regions test-regions
bench-regions:
	$(Q)scripts/setup.sh bench
	$(Q)$(MAKE) --no-print-directory lib $(BUILD)/spp-bench-regions
	$(Q)SPP_BUILD=$(BUILD) $(PY) harness/run_regions.py --config $(REGION_CONFIG) \
	  --threads $(REGION_THREADS) --repetitions $(REGION_REPS) --min-time $(REGION_MIN_TIME) \
	  $(if $(REGION_WORKLOADS),--workloads $(REGION_WORKLOADS))

test-regions:
	$(Q)$(MAKE) --no-print-directory lib cli
	$(Q)SPP_BUILD=$(BUILD) $(PY) -m pytest -q oracle/tests/test_region.py oracle/tests/test_region_cli.py
