# syntax=docker/dockerfile:1
# meshinit container image: a scratch image holding only build/rootfs/,
# which `make rootfs` assembles (the binary, the istio-iptables symlink,
# the shared libraries it links, passwd/group/nsswitch.conf with root and
# istio-proxy 1337, LICENSE). `make check-image` builds this file with
# podman and runs the image in a pod, with runc, and with podman kube play.
#
#   make image                      (podman or docker build with the labels)
#   docker build -t meshinit --build-arg REVISION=$(git rev-parse HEAD) .
#   docker run --rm meshinit --version
#
# No USER is set: the pod decides. meshinit needs no root, only the
# NET_ADMIN capability: uid 0 with capabilities {drop: [ALL], add:
# [NET_ADMIN]} works everywhere; a non-root uid (runAsUser: 1337) gets the
# capability from the binary's file capability cap_net_admin=p, which
# `make rootfs` sets, with allowPrivilegeEscalation false or true. The
# builder must keep the security.capability xattr: buildah/podman do
# (make check-image checks it); check others with getcap on the result.
# See README.md (Packaging and Kubernetes) and examples/kubernetes/.

FROM debian:12 AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		build-essential pkg-config libnftnl-dev libmnl-dev libcap-dev libcap2-bin \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make rootfs

FROM scratch
# VERSION must equal the Makefile's (make check-image compares them);
# REVISION is the git commit, SOURCE where that commit can be fetched
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=
COPY --from=build /src/build/rootfs/ /
LABEL org.opencontainers.image.title="meshinit" \
	org.opencontainers.image.description="Istio istio-init replacement: one atomic nftables transaction through netlink" \
	org.opencontainers.image.licenses="GPL-2.0-or-later" \
	org.opencontainers.image.version="$VERSION" \
	org.opencontainers.image.revision="$REVISION" \
	org.opencontainers.image.source="$SOURCE"
# Istio's injection template passes "istio-iptables -p 15001 ..." as args
ENTRYPOINT ["/usr/local/bin/meshinit"]
