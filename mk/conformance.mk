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
	set -- $$(sed -n 's/^TOTAL: \([0-9]*\) cases, [0-9]* probes, \([0-9]*\) mismatches, \([0-9]*\) cases failed$$/\1 \2 \3/p' \
		$(BUILD)/conformance$(2).txt); \
	cases=$$((cases + $${1:-0})); cfail=$$((cfail + $${3:-0})); \
	[ -n "$${1:-}" ] && [ "$${2:-1}" = 0 ] || cfail=$$((cfail + 1)); \
	cskip=$$((cskip + $$(sed -n 's/^skipped (not counted): //p' $(BUILD)/conformance$(2).txt | wc -w))); \
	grep -q '^TOTAL: .* 0 mismatches, 0 cases failed' $(BUILD)/conformance$(2).txt && [ $$rc = 0 ] || \
		{ cat $(BUILD)/conformance$(2).txt; echo "check-conformance$(2): FAILED"; ok=0; }
endef

check-conformance: meshinit
	@mkdir -p $(BUILD)
	@if [ "$$(id -u)" != 0 ]; then echo "check-conformance: skipped (needs root)"; exit 0; fi; \
	if [ ! -x $(CONFORMANCE_DIR)/run-all ]; then \
		echo "check-conformance: FAILED: $(CONFORMANCE_DIR)/run-all not found" \
			"(set CONFORMANCE_DIR=/path/to/shared/conformance)"; exit 1; fi; \
	cases=0; cfail=0; cskip=0; ok=1; \
	$(call conformance_run,,); \
	$(call conformance_run,HARNESS_FORCE_V6=1,-force-v6); \
	echo "conformance: $$((cases - cfail)) passed, $$cfail failed, $$cskip skipped (cases over both runs)"; \
	[ $$ok = 1 ] && [ $$cfail = 0 ]

CHECK_TARGETS += check-conformance
DEB_PKGS += iptables
.PHONY: check-conformance
