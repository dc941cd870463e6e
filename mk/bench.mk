# Benchmarks against Istio's own paths, measured in the same run (root).
#   make bench                 full run, writes bench/RESULTS.md (a few minutes)
#   make bench BENCH_SMOKE=1   one repetition of small sizes (< 30 s), writes
#                              $(BUILD)/bench/RESULTS-smoke.md
#   make check-bench-smoke     the smoke run as a test: every measurement must
#                              produce a number (no timing is asserted)

DEB_PKGS += nftables iptables strace python3 binutils util-linux
CHECK_TARGETS += check-bench-smoke

BENCH_SMOKE ?=
BENCH_REPS ?= 7
BENCH_CFLAGS = -std=gnu11 $(WARN) -O2

$(BUILD)/bench/connrate: bench/connrate.c Makefile mk/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BUILD)/bench/timeexec: bench/timeexec.c Makefile mk/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

BENCH_BINS := meshinit $(BUILD)/bench/connrate $(BUILD)/bench/timeexec

bench: $(BENCH_BINS)
	@if [ -n "$(BENCH_SMOKE)" ]; then \
		python3 bench/bench.py --smoke --out $(BUILD)/bench/RESULTS-smoke.md; \
	else \
		python3 bench/bench.py --reps $(BENCH_REPS) --out bench/RESULTS.md; \
	fi

check-bench-smoke: $(BENCH_BINS)
	@if [ "$$(id -u)" != 0 ]; then echo "check-bench-smoke: skipped (needs root)"; exit 0; fi; \
	out=$$(mktemp /tmp/mi-bench-smoke.XXXXXX.md); \
	python3 bench/bench.py --smoke --out $$out > $(BUILD)/bench/smoke.log 2>&1; rc=$$?; \
	if [ $$rc -ne 0 ] || ! grep -q '^## 4. Footprint' $$out; then \
		tail -n 40 $(BUILD)/bench/smoke.log; rm -f $$out; \
		echo "check-bench-smoke: FAILED"; exit 1; fi; \
	rm -f $$out; echo "check-bench-smoke: every measurement produced a number"

.PHONY: bench check-bench-smoke
