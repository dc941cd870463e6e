# meshinit - see README.md.
#   make          build ./meshinit
#   make demo     install deps, build, apply Istio's default rules in a
#                 throw-away namespace, show them, prove one redirect
#   make check    install deps, build, run every test (root for netns tests)
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build
VERSION := 0.1.0

PKGS := libnftnl libmnl libcap
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wvla -Wundef -fno-common
# library versions for --version: none of them has a runtime version API,
# so these are the pkg-config (build-time) versions
LIB_VERSIONS = -DMI_LIBNFTNL_VERSION='"$(shell $(PKG_CONFIG) --modversion libnftnl 2>/dev/null)"' \
	-DMI_LIBMNL_VERSION='"$(shell $(PKG_CONFIG) --modversion libmnl 2>/dev/null)"' \
	-DMI_LIBCAP_VERSION='"$(shell $(PKG_CONFIG) --modversion libcap 2>/dev/null)"'
BASE_CFLAGS = -std=gnu11 $(WARN) -Iinclude -DMI_VERSION='"$(VERSION)"' $(LIB_VERSIONS) $(PKG_CFLAGS)
OPT_CFLAGS ?= -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# Test hooks (MESHINIT_FAULT_INJECT, MESHINIT_TEST_*) exist only in the
# test builds: $(BUILD)/meshinit-test, the sanitizer build and the unit
# tests. The shipped ./meshinit has none of them.
TEST_HOOKS := -DMI_TEST_HOOKS

# src/cni*.c and src/kube*.c are the CNI plugin's own modules (mk/cni.mk):
# they link libcurl, json-c and libyaml, which meshinit must not.
SRCS := $(filter-out src/cni%.c src/kube%.c,$(wildcard src/*.c))
HDRS := $(wildcard include/*.h)
# every module but main(), for linking into test binaries
LIB_SRCS := $(filter-out src/main.c,$(SRCS))

# Debian packages the build and the tests need; mk/*.mk files add theirs.
DEB_PKGS := build-essential pkg-config libnftnl-dev libmnl-dev libcap-dev \
	nftables iproute2 python3
# Targets `make check` runs, in order; mk/*.mk files append theirs.
CHECK_TARGETS :=

all: meshinit

meshinit: $(SRCS) $(HDRS) Makefile
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -o $@ $(SRCS) $(PKG_LIBS)

# The release program with the test hooks, for tests that need them.
$(BUILD)/meshinit-test: $(SRCS) $(HDRS) Makefile
	@mkdir -p $(BUILD)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(TEST_HOOKS) -o $@ $(SRCS) $(PKG_LIBS)

# Sanitizer build of the same program (with the test hooks), for the tests.
$(BUILD)/meshinit-san: $(SRCS) $(HDRS) Makefile
	@mkdir -p $(BUILD)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(TEST_HOOKS) -o $@ $(SRCS) $(PKG_LIBS)

# Install missing Debian packages (needs root; a no-op when all are there).
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get -o DPkg::Lock::Timeout=900 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq $$missing; \
	fi

-include mk/*.mk

# Every suite runs, also after one fails; the summary at the end says what
# ran, passed, failed and was skipped, and fails on a skip as root.
check: deps meshinit
	@MAKE="$(MAKE)" BUILD=$(BUILD) tests/check-summary.sh analyze $(CHECK_TARGETS)

# Static analysis (gcc -fanalyzer), one file at a time.
analyze:
	@for f in $(SRCS); do \
		$(CC) $(BASE_CFLAGS) $(TEST_HOOKS) -O1 -fanalyzer -c -o /dev/null $$f || exit 1; \
	done; echo "analyze: no finding"

clean:
	rm -rf meshinit $(BUILD)

.PHONY: all deps check analyze clean
