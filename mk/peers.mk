# Peers for the benchmark tables. oneDNN's pooling primitive for the
# sppnet convention (C), linked against libspp to check its output against the naive kernel
# before timing; the PyTorch peer is a script (harness/peers/torch_peer.py).
# One source, harness/peers/onednn_peer.c, built twice (the API differences are in
# harness/peers/onednn_compat.h, chosen by the dnnl_version.h the compiler finds):
#   $(BUILD)/spp-peer-onednn    Debian's libdnnl-dev (oneDNN 2.x), rows onednn/...
#   $(BUILD)/spp-peer-onednn3   PyPI's onednn-devel-cpu-gomp (oneDNN 3.x, OpenMP), installed
#                               into .venv by `scripts/setup.sh bench` (requirements-bench.txt);
#                               headers from $(ONEDNN3_PREFIX)/include, libdnnl.so.3 from
#                               $(ONEDNN3_PREFIX)/lib through an rpath (no LD_LIBRARY_PATH), rows
#                               onednn3/...; built only when that package is present, else
#                               `make peers` prints a warning and run_bench.py reports it missing.
# harness/run_bench.py runs both; `make peers` builds them alone.
# spp-peer-onednn's object comes from the Makefile's $(BUILD)/obj/%.o pattern rule (ALL_CFLAGS,
# -MMD); spp-peer-onednn3's from the rule below (the same flags plus the 3.x include path).
.PHONY: peers onednn3-missing
PEER_BINS += $(BUILD)/spp-peer-onednn
ONEDNN3_PREFIX ?= .venv
ONEDNN3_HEADER := $(wildcard $(ONEDNN3_PREFIX)/include/oneapi/dnnl/dnnl_version.h)
ONEDNN3_LIBDIR := $(abspath $(ONEDNN3_PREFIX)/lib)
ifneq ($(ONEDNN3_HEADER),)
PEER_BINS += $(BUILD)/spp-peer-onednn3
else
peers: onednn3-missing
endif
peers: $(PEER_BINS)

onednn3-missing:
	@echo "warning: $(ONEDNN3_PREFIX)/include/oneapi/dnnl not found (pip package" \
	  "onednn-devel-cpu-gomp, scripts/setup.sh bench): spp-peer-onednn3 not built" >&2

$(BUILD)/spp-peer-onednn: $(BUILD)/obj/harness/peers/onednn_peer.o $(BUILD)/libspp.a
	$(Q)$(CC) -o $@ $< $(BUILD)/libspp.a -ldnnl $(LDLIBS_SPP)

$(BUILD)/obj/harness/peers/onednn3_peer.o: harness/peers/onednn_peer.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(ONEDNN3_PREFIX)/include -MMD -MP -c $< -o $@

$(BUILD)/spp-peer-onednn3: $(BUILD)/obj/harness/peers/onednn3_peer.o $(BUILD)/libspp.a
	$(Q)$(CC) -o $@ $< $(BUILD)/libspp.a -L$(ONEDNN3_LIBDIR) -Wl,-rpath,$(ONEDNN3_LIBDIR) \
	  -l:libdnnl.so.3 $(LDLIBS_SPP)

-include $(BUILD)/obj/harness/peers/onednn_peer.d $(BUILD)/obj/harness/peers/onednn3_peer.d
