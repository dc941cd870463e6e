# The container image, built and run for real.
#   make image        build the Dockerfile with podman (or docker):
#                     IMAGE=meshinit:$(VERSION), OCI labels version,
#                     revision (git HEAD) and source (IMAGE_SOURCE)
#   make check-image  build it with podman from a debian:12 base made with
#                     debootstrap (no registry), then run it in a podman
#                     pod, with runc and CRI-like capabilities, with real
#                     traffic through HAProxy, and podman kube play of
#                     examples/kubernetes (tests/image/run.sh; root).
#                     Cache (base image, build layers): IMAGE_CACHE.

DEB_PKGS += podman buildah runc netavark iptables catatonit conmon debootstrap attr \
	libcap2-bin util-linux iproute2 nftables python3-yaml
CHECK_TARGETS += check-image

IMAGE ?= meshinit:$(VERSION)
IMAGE_SOURCE ?= $(shell git remote get-url origin 2>/dev/null)
IMAGE_CACHE ?= /var/cache/meshinit-image
CONTAINER_ENGINE ?= $(shell command -v podman || command -v docker)

image:
	$(CONTAINER_ENGINE) build -t $(IMAGE) \
		--build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$(shell git rev-parse HEAD 2>/dev/null || echo unknown) \
		--build-arg SOURCE=$(IMAGE_SOURCE) .

check-image: meshinit
	@MESHINIT=$(abspath meshinit) MESHINIT_IMAGE_CACHE=$(IMAGE_CACHE) CC="$(CC)" \
		tests/image/run.sh; rc=$$?; [ $$rc = 77 ] && exit 0; exit $$rc

.PHONY: image check-image
