# Operator debugging tools: status, verify, --netns, --run-validation,
# capabilities. Real network namespaces, so root; skipped otherwise.
#   make check-debug   run netns-tests/3NNN-*.sh against ./meshinit
# `make check` runs them through check-netns (netns-tests/run-all.sh runs
# every netns-tests/NNNN-*.sh), so check-debug is not in CHECK_TARGETS.

DEB_PKGS += nftables util-linux python3 iproute2

check-debug: meshinit
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "SKIP check-debug: needs root (network namespaces)"; exit 0; \
	fi; \
	pass=0; fail=0; skip=0; \
	for t in netns-tests/3[0-9][0-9][0-9]-*.sh; do \
		echo "== $$t"; \
		MESHINIT=$${MESHINIT:-$(abspath meshinit)} bash $$t; rc=$$?; \
		case $$rc in \
		0) pass=$$((pass + 1));; \
		77) skip=$$((skip + 1)); echo "SKIP $$t";; \
		*) fail=$$((fail + 1)); echo "FAIL $$t (exit $$rc)";; \
		esac; \
	done; \
	left=$$(ip netns list | grep -o '^mi-dbg-[^ ]*'); \
	if [ -n "$$left" ]; then echo "FAIL: namespaces left behind: $$left"; fail=$$((fail + 1)); fi; \
	echo "debug: $$pass passed, $$fail failed, $$skip skipped"; \
	test $$fail -eq 0

.PHONY: check-debug
