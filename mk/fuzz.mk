# libFuzzer targets (clang): fuzz/fuzz-*.c against every module but main().
#   make fuzz                   run each target for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=600  longer run; new inputs go to $(BUILD)/fuzz/corpus
#   make check-fuzz-smoke       run each target ~10 s (part of make check)
# Seeds live in fuzz/corpus/<target>/; a crash leaves crash-* files in
# $(BUILD)/fuzz/ and fails the target.

DEB_PKGS += clang
CHECK_TARGETS += check-fuzz-smoke

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz-*.c))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_CFLAGS = $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(BUILD)/fuzz/%: fuzz/%.c $(LIB_SRCS) $(HDRS) Makefile mk/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS)

# $(1) = seconds per target. Each target works on a scratch corpus seeded
# from fuzz/corpus/<target>, so runs never write into the source tree.
define fuzz_run
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t; \
		cp -n fuzz/corpus/$$t/* $(BUILD)/fuzz/corpus/$$t/ 2>/dev/null || true; \
		echo "== $$t: $(1) s"; \
		rc=0; (cd $(BUILD)/fuzz && $(FUZZ_ENV) ./$$t -max_total_time=$(1) \
			-max_len=4096 -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 corpus/$$t) >$(BUILD)/fuzz/$$t.log 2>&1 || rc=$$?; \
		grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
			$(BUILD)/fuzz/$$t.log || true; \
		if [ $$rc -ne 0 ]; then \
			grep -E -A30 '==[0-9]+==ERROR|runtime error|deadly signal' \
				$(BUILD)/fuzz/$$t.log | head -60; \
			grep -E 'Test unit written' $(BUILD)/fuzz/$$t.log || true; \
			echo "FAIL $$t (exit $$rc; log $(BUILD)/fuzz/$$t.log)"; exit 1; \
		fi; \
	done; echo "fuzz: all targets ran $(1) s without a finding"
endef

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SECONDS))

check-fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS))

.PHONY: fuzz fuzz-build check-fuzz-smoke
