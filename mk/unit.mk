# Unit tests (pure, sanitizers), namespace tests (unshare -Urn), valgrind.
#   make check-unit       build and run tests/test-*.c into $(BUILD)/tests/
#   make check-unshare    run tests/unshare/*.sh against $(BUILD)/meshinit-san
#   make check-valgrind   install/rerun/cleanup/dry-run under valgrind
#   make update-golden    rewrite tests/golden/*.nft (printer) and *.batch
#                         (emitter) from the current code

DEB_PKGS += valgrind util-linux binutils
CHECK_TARGETS += check-unit check-unshare check-valgrind

UNIT_SRCS := $(wildcard tests/test-*.c)
UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_OBJS := $(patsubst src/%.c,$(BUILD)/tests/obj/%.o,$(LIB_SRCS))
UNIT_CFLAGS = $(BASE_CFLAGS) $(SAN_CFLAGS) $(TEST_HOOKS) -Itests
# LeakSanitizer works for the unit tests (no namespaces involved)
UNIT_ASAN_OPTIONS := detect_leaks=1:abort_on_error=0
UNIT_UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

$(BUILD)/tests/obj/%.o: src/%.c $(HDRS) Makefile mk/unit.mk
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c tests/harness.h tests/golden.h $(UNIT_OBJS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJS) $(PKG_LIBS)

check-unit: $(UNIT_BINS) $(BUILD)/meshinit-san
	@pass=0; fail=0; skip=0; \
	for t in $(UNIT_BINS); do \
		echo "== $$t"; \
		ASAN_OPTIONS=$(UNIT_ASAN_OPTIONS) UBSAN_OPTIONS=$(UNIT_UBSAN_OPTIONS) \
			./$$t; rc=$$?; \
		case $$rc in \
		0) pass=$$((pass + 1));; \
		77) skip=$$((skip + 1)); echo "SKIP $$t";; \
		*) fail=$$((fail + 1)); echo "FAIL $$t (exit $$rc)";; \
		esac; \
	done; \
	echo "== tests/golden-dry-run.sh"; \
	if MESHINIT=$(BUILD)/meshinit-san ASAN_OPTIONS=$(UNIT_ASAN_OPTIONS) \
		tests/golden-dry-run.sh; then pass=$$((pass + 1)); \
	else fail=$$((fail + 1)); echo "FAIL tests/golden-dry-run.sh"; fi; \
	echo "unit: $$pass passed, $$fail failed, $$skip skipped"; \
	test $$fail -eq 0

update-golden: $(BUILD)/tests/test-print $(BUILD)/tests/test-batch
	MI_UPDATE_GOLDEN=1 ./$(BUILD)/tests/test-print
	MI_UPDATE_GOLDEN=1 ./$(BUILD)/tests/test-batch
	@echo "review with: git diff tests/golden/"

# Every script runs its steps in fresh user+network namespaces
# (unshare -Urn). LeakSanitizer works there too (checked), so leaks fail
# these runs as well; check-valgrind covers the non-sanitizer build.
check-unshare: $(BUILD)/meshinit-san meshinit
	@MESHINIT=$(abspath $(BUILD)/meshinit-san) MESHINIT_RELEASE=$(abspath meshinit) \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=$(UNIT_UBSAN_OPTIONS) \
		tests/unshare/run-all.sh

check-valgrind: meshinit $(BUILD)/meshinit-test
	@MESHINIT=$(abspath meshinit) MESHINIT_TEST=$(abspath $(BUILD)/meshinit-test) tests/valgrind.sh

.SECONDARY: $(UNIT_OBJS)
.PHONY: check-unit check-unshare check-valgrind update-golden
