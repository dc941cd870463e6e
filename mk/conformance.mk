# Istio behavioural conformance: ../shared/conformance compares meshinit's
# rules with Istio's reference rulesets under real traffic (root only).
# Run twice: as the cases are specified, and with IPv6 addresses, listeners
# and probes forced into every case (HARNESS_FORCE_V6=1), which checks that
# IPv6 traffic in IPv4-only pods meets Istio's nftables-mode fate too.
CONFORMANCE_DIR ?= ../shared/conformance

define conformance_run
	$(1) $(CONFORMANCE_DIR)/run-all --sut-cmd "$(CURDIR)/meshinit istio-iptables" \
		> $(BUILD)/conformance$(2).txt 2>&1; rc=$$?; \
	echo "== conformance$(2)"; tail -n 1 $(BUILD)/conformance$(2).txt; \
	grep -q '^TOTAL: .* 0 mismatches, 0 cases failed' $(BUILD)/conformance$(2).txt && [ $$rc = 0 ] || \
		{ cat $(BUILD)/conformance$(2).txt; echo "check-conformance$(2): FAILED"; exit 1; }
endef

check-conformance: meshinit
	@mkdir -p $(BUILD)
	@if [ "$$(id -u)" != 0 ]; then echo "check-conformance: skipped (needs root)"; exit 0; fi; \
	if [ ! -x $(CONFORMANCE_DIR)/run-all ]; then \
		echo "check-conformance: skipped ($(CONFORMANCE_DIR) not found)"; exit 0; fi; \
	$(call conformance_run,,); \
	$(call conformance_run,HARNESS_FORCE_V6=1,-force-v6)

CHECK_TARGETS += check-conformance
DEB_PKGS += iptables
.PHONY: check-conformance
