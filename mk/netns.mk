# Real-traffic tests in network namespaces, with HAProxy as the sidecar.
#   make check-netns   run netns-tests/NNNN-*.sh as root (skips when not root)
#   (make demo is in mk/demo.mk and uses the same harness)

DEB_PKGS += haproxy socat util-linux python3 iproute2 nftables iputils-ping procps
CHECK_TARGETS += check-netns

# 5000 runs the image's rootfs: build it first so nothing is skipped
check-netns: meshinit $(BUILD)/meshinit-test rootfs
	@MESHINIT=$(abspath meshinit) MESHINIT_TEST=$(abspath $(BUILD)/meshinit-test) \
		ROOTFS=$(abspath $(ROOTFS)) netns-tests/run-all.sh

.PHONY: check-netns
