# Istio behavioural conformance: ../shared/conformance compares meshinit's
# rules with Istio's reference rulesets under real traffic (root only).
CONFORMANCE_DIR ?= ../shared/conformance

check-conformance: meshinit
	@mkdir -p $(BUILD)
	@if [ "$$(id -u)" != 0 ]; then echo "check-conformance: skipped (needs root)"; \
	elif [ ! -x $(CONFORMANCE_DIR)/run-all ]; then echo "check-conformance: skipped ($(CONFORMANCE_DIR) not found)"; \
	else $(CONFORMANCE_DIR)/run-all --sut-cmd "$(CURDIR)/meshinit istio-iptables" > $(BUILD)/conformance.txt 2>&1; rc=$$?; \
		tail -n 32 $(BUILD)/conformance.txt; \
		grep -q '^TOTAL: .* 0 mismatches, 0 cases failed' $(BUILD)/conformance.txt || { echo "check-conformance: FAILED"; exit 1; }; \
		[ $$rc = 0 ] || exit $$rc; fi

CHECK_TARGETS += check-conformance
DEB_PKGS += iptables
