# syntax=docker/dockerfile:1
# meshinit container image: a scratch image holding only build/rootfs/,
# which `make rootfs` assembles (the binary, the istio-iptables symlink,
# the shared libraries it links, passwd/group/nsswitch.conf with root and
# istio-proxy 1337). `make check-rootfs` runs that same directory as uid
# 1337 with only CAP_NET_ADMIN, so the image is tested without an engine.
#
#   docker build -t meshinit .
#   docker run --rm meshinit --version
#
# No USER is set: the pod decides. meshinit needs no root, only the
# NET_ADMIN capability: uid 0 with capabilities {drop: [ALL], add:
# [NET_ADMIN]} works everywhere; a non-root uid (runAsUser: 1337) gets the
# capability from the binary's file capability cap_net_admin=p, which
# `make rootfs` sets (needs allowPrivilegeEscalation: true and a builder
# that keeps xattrs, e.g. BuildKit). See examples/kubernetes/.

FROM debian:12 AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		build-essential pkg-config libnftnl-dev libmnl-dev libcap-dev libcap2-bin \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make rootfs

FROM scratch
COPY --from=build /src/build/rootfs/ /
LABEL org.opencontainers.image.title="meshinit" \
	org.opencontainers.image.description="Istio istio-init replacement: one atomic nftables transaction through netlink" \
	org.opencontainers.image.licenses="GPL-2.0-or-later"
# Istio's injection template passes "istio-iptables -p 15001 ..." as args
ENTRYPOINT ["/usr/local/bin/meshinit"]
