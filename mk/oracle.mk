# The NumPy-oracle pytest suite (oracle/): every registered kernel vs the oracle.
# `make test` builds first; this target only runs the suite against $(BUILD)/libspp.so.
# pytest's own summary line is the last line it prints (nothing is echoed after it).
test-oracle:
	$(Q)SPP_BUILD=$(BUILD) $(PY) -m pytest oracle -q -ra -p no:cacheprovider
