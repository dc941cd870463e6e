# meshinit-cni: the chained CNI plugin (issue 16). Its own modules
# (src/cni*.c, src/kube*.c) link libcurl, json-c and libyaml on top of
# meshinit's; the meshinit binary does not (the Makefile filters them out).
#   make meshinit-cni    the plugin (also installable as istio-cni)
#   make check-cni       unit tests (ASan/UBSan, valgrind) and tests/cni/run.sh:
#                        the real CNI plugins (loopback, bridge, host-local)
#                        chained with meshinit-cni, a TLS stand-in for the
#                        API server, real traffic; then the conformance
#                        cases through the plugin (root)

DEB_PKGS += libcurl4-openssl-dev libjson-c-dev libyaml-dev \
	containernetworking-plugins openssl python3 haproxy socat valgrind \
	iproute2 nftables
CHECK_TARGETS += check-cni

CNI_PKGS := json-c libcurl yaml-0.1
CNI_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CNI_PKGS) 2>/dev/null)
CNI_LIBS = $(shell $(PKG_CONFIG) --libs $(CNI_PKGS) 2>/dev/null)
CNI_SRCS := $(wildcard src/cni*.c src/kube*.c)
CNI_LIB_SRCS := $(filter-out src/cnimain.c,$(CNI_SRCS))
CNI_HDRS := $(wildcard include/cni*.h include/kube*.h)

meshinit-cni: $(CNI_SRCS) $(SRCS) $(HDRS) Makefile mk/cni.mk
	$(CC) $(BASE_CFLAGS) $(CNI_CFLAGS) $(OPT_CFLAGS) -o $@ $(CNI_SRCS) $(LIB_SRCS) \
		$(PKG_LIBS) $(CNI_LIBS)

$(BUILD)/meshinit-cni-san: $(CNI_SRCS) $(SRCS) $(HDRS) Makefile mk/cni.mk
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CNI_CFLAGS) $(SAN_CFLAGS) -o $@ $(CNI_SRCS) $(LIB_SRCS) \
		$(PKG_LIBS) $(CNI_LIBS)

$(BUILD)/tests/unit-cni: tests/cni/unit-cni.c tests/harness.h $(CNI_LIB_SRCS) $(SRCS) $(HDRS) mk/cni.mk
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CNI_CFLAGS) $(SAN_CFLAGS) -Itests -o $@ $< $(CNI_LIB_SRCS) \
		$(LIB_SRCS) $(PKG_LIBS) $(CNI_LIBS)

$(BUILD)/tests/unit-cni-plain: tests/cni/unit-cni.c tests/harness.h $(CNI_LIB_SRCS) $(SRCS) $(HDRS) mk/cni.mk
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CNI_CFLAGS) -O1 -g -Itests -o $@ $< $(CNI_LIB_SRCS) \
		$(LIB_SRCS) $(PKG_LIBS) $(CNI_LIBS)

# gcc -fanalyzer over the plugin's own modules (make analyze covers the rest)
analyze-cni:
	@for f in $(CNI_SRCS); do \
		$(CC) $(BASE_CFLAGS) $(CNI_CFLAGS) -O1 -fanalyzer -c -o /dev/null $$f || exit 1; \
	done; echo "analyze-cni: no finding"

check-cni: meshinit meshinit-cni $(BUILD)/meshinit-cni-san $(BUILD)/tests/unit-cni \
		$(BUILD)/tests/unit-cni-plain
	@MESHINIT=$(abspath meshinit) MESHINIT_CNI=$(abspath meshinit-cni) \
		MESHINIT_CNI_SAN=$(abspath $(BUILD)/meshinit-cni-san) \
		UNIT_CNI=$(abspath $(BUILD)/tests/unit-cni) \
		UNIT_CNI_PLAIN=$(abspath $(BUILD)/tests/unit-cni-plain) \
		CONFORMANCE_DIR=$(abspath $(CONFORMANCE_DIR)) BUILD=$(abspath $(BUILD)) \
		tests/cni/check.sh

.PHONY: check-cni analyze-cni

# make analyze and make clean cover the plugin too
analyze: analyze-cni
clean: clean-cni
clean-cni:
	rm -f meshinit-cni

.PHONY: clean-cni
