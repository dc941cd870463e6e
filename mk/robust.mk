# Robustness (issue 6): hostile input, SIGKILL atomicity, missing kernel
# features and IPv6 off, large batches, foreign state. Every suite runs in
# throw-away user+network namespaces (unshare -Urn; root works too) and
# prints a final "N passed, M failed" line.
#   make check-hostile    341 malformed inputs + 63 accepted cases, one namespace
#   make check-sigkill    200 installs SIGKILLed at random points: old or new state
#   make check-features   IPv6 disabled by sysctl; TPROXY without nft_tproxy
#   make check-scale      -x with 100,000 CIDRs (@FILE list)
#   make check-foreign    iptables-nft, kube-proxy-like table, ip rules untouched
#   make check-robust     all of the above

DEB_PKGS += util-linux iproute2 nftables iptables python3 procps
CHECK_TARGETS += check-robust

ROBUST_ENV = ASAN_OPTIONS=detect_leaks=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

check-hostile: $(BUILD)/meshinit-san
	@MESHINIT=$(abspath $(BUILD)/meshinit-san) $(ROBUST_ENV) \
		tests/hostile/run.sh hostile

check-sigkill: meshinit
	@MESHINIT=$(abspath meshinit) tests/hostile/run.sh sigkill

check-features: $(BUILD)/meshinit-san
	@MESHINIT=$(abspath $(BUILD)/meshinit-san) $(ROBUST_ENV) \
		tests/hostile/run.sh features

check-scale: meshinit
	@MESHINIT=$(abspath meshinit) tests/hostile/run.sh scale

check-foreign: $(BUILD)/meshinit-san
	@MESHINIT=$(abspath $(BUILD)/meshinit-san) $(ROBUST_ENV) \
		tests/hostile/run.sh foreign

check-robust: meshinit $(BUILD)/meshinit-san
	@MESHINIT_SAN=$(abspath $(BUILD)/meshinit-san) MESHINIT=$(abspath meshinit) \
		$(ROBUST_ENV) tests/hostile/run.sh all

.PHONY: check-hostile check-sigkill check-features check-scale check-foreign \
	check-robust
