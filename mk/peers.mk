# Peers for the benchmark tables (owner: report helper). oneDNN's pooling primitive for the
# sppnet convention (C, Debian libdnnl-dev), linked against libspp to check its output against
# the naive kernel before timing; the PyTorch peer is a script (harness/peers/torch_peer.py).
# harness/run_bench.py runs $(BUILD)/spp-peer-onednn; `make peers` builds it alone.
# The object comes from the Makefile's $(BUILD)/obj/%.o pattern rule (ALL_CFLAGS, -MMD).
.PHONY: peers
PEER_BINS += $(BUILD)/spp-peer-onednn
peers: $(PEER_BINS)

$(BUILD)/spp-peer-onednn: $(BUILD)/obj/harness/peers/onednn_peer.o $(BUILD)/libspp.a
	$(Q)$(CC) -o $@ $< $(BUILD)/libspp.a -ldnnl $(LDLIBS_SPP)

-include $(BUILD)/obj/harness/peers/onednn_peer.d
