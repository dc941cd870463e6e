# Operator debugging tools: status, verify, --netns, --run-validation,
# capabilities. Real network namespaces, so root; skipped otherwise.
#   make check-debug   run netns-tests/3NNN-*.sh against ./meshinit
# `make check` runs them through check-netns (netns-tests/run-all.sh runs
# every netns-tests/NNNN-*.sh), so check-debug is not in CHECK_TARGETS.

DEB_PKGS += nftables util-linux python3 iproute2 iptables

check-debug: meshinit $(BUILD)/meshinit-test
	@MESHINIT=$(abspath meshinit) MESHINIT_TEST=$(abspath $(BUILD)/meshinit-test) netns-tests/run-all.sh '3???'

.PHONY: check-debug
