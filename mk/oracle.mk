# The pytest suites: oracle/ (every registered kernel vs the NumPy oracle, regions, CLI) and
# harness/tests/ (report, gate, peers, no lost results).
# `make test` builds first; this target only runs the suite against $(BUILD)/libspp.so.
# pytest's own summary line is the last line it prints (nothing is echoed after it).
test-oracle:
	$(Q)OMP_WAIT_POLICY=passive SPP_BUILD=$(BUILD) $(PY) -m pytest oracle harness/tests -q -ra -p no:cacheprovider
