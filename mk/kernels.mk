# Debian's distribution kernels in QEMU (issue 13): the unshare suite, the
# real-traffic netns tests, the conformance suite and a missing-module
# case inside bullseye's 5.10 and bookworm's 6.1 and 6.12 cloud kernels.
#   make check-kernels          the matrix of tests/kernels/run.sh (root)
#   make check-kernels KERNELS_ONLY=6.1   one kernel series only
#   make bench-kernels          first install after boot, BENCH_KERNEL_BOOTS
#                               boots per kernel (part of make bench)
# The guest image (debootstrap + Debian's kernel packages) is cached in
# KERNELS_CACHE, outside the checkout, keyed on tests/kernels/build-image.sh:
# a rerun reuses it, a fresh machine builds it (a few minutes).

DEB_PKGS += qemu-system-x86 qemu-utils debootstrap e2fsprogs util-linux
CHECK_TARGETS += check-kernels

KERNELS_CACHE ?= /var/cache/meshinit-kernels
BENCH_KERNEL_BOOTS ?= 2
KERNELS_ENV = KERNELS_CACHE=$(KERNELS_CACHE) BUILD=$(BUILD) \
	CONFORMANCE_DIR=$(abspath $(CONFORMANCE_DIR))

check-kernels: meshinit $(BUILD)/meshinit-san $(BUILD)/meshinit-test rootfs
	@$(KERNELS_ENV) tests/kernels/run.sh

# make bench also reports the first-install cost on the distribution
# kernels (bench/kernels-first-install.sh in fresh guests; a few minutes
# under TCG), written to $(BUILD)/bench/kernels-first-install.txt too.
# Not in the smoke run, which must stay short.
bench: bench-kernels

bench-kernels: meshinit $(BUILD)/meshinit-san $(BUILD)/meshinit-test rootfs
	@if [ -n "$(BENCH_SMOKE)" ]; then \
		echo "bench-kernels: not in the smoke run (make bench-kernels runs it)"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "bench-kernels: skipped (needs root)"; \
	else \
		mkdir -p $(BUILD)/bench; \
		$(KERNELS_ENV) tests/kernels/run.sh --bench $(BENCH_KERNEL_BOOTS) | \
			tee $(BUILD)/bench/kernels-first-install.txt; \
	fi

.PHONY: check-kernels bench-kernels
