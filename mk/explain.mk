# explain and trace: which path a packet takes through meshinit's rules.
#   make check-explain   the explain unit tests (tests/test-explain.c, also
#                        run by check-unit), then netns-tests/4NNN-*.sh
#                        (explain --kernel agreement with real traffic,
#                        trace start/stop/cleanup; root, skipped otherwise)

# `make check` already runs both parts (check-unit runs every tests/test-*.c,
# check-netns every netns-tests/NNNN-*.sh): check-explain is for running
# them alone and is not in CHECK_TARGETS.
DEB_PKGS += nftables iproute2 util-linux python3

check-explain: meshinit $(BUILD)/tests/test-explain
	@echo "== $(BUILD)/tests/test-explain"; \
	ASAN_OPTIONS=$(UNIT_ASAN_OPTIONS) UBSAN_OPTIONS=$(UNIT_UBSAN_OPTIONS) \
		./$(BUILD)/tests/test-explain | tail -n 1 || exit 1
	@MESHINIT=$(abspath meshinit) netns-tests/run-all.sh '4???'

.PHONY: check-explain

# No include cycle between modules (include/NAME.h + src/NAME.c), the
# structural rule of the developer guide; runs without root or a kernel.
check-includes:
	@python3 tests/include-cycles.py .

CHECK_TARGETS += check-includes
.PHONY: check-includes
