/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CAPTURE_H
#define MI_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

/*
 * The rest of the capture picture of a namespace: what, besides table
 * inet meshinit, touches the pod's traffic. Each item names the object
 * and says what it does to traffic. Read from a snapshot (every other
 * nftables table, iptables-nft's included) and /proc/net/ip*_tables_names
 * (iptables-legacy tables; their rules need CAP_NET_RAW to read, so they
 * are named, not listed).
 */
enum mi_capture_kind {
	MI_CK_ISTIO_NFT, /* Istio's own nftables tables */
	MI_CK_ISTIO_IPT, /* iptables-nft ISTIO_* chains */
	MI_CK_LEGACY,	 /* iptables-legacy tables */
	MI_CK_TRACE,	 /* a leftover meshinit-trace table */
	MI_CK_FOREIGN,	 /* another table on the hooks meshinit uses */
	MI_CK_INERT,	 /* a table that neither drops nor rewrites */
};

struct mi_capture_item {
	enum mi_capture_kind kind;
	char what[128];	  /* "table inet istio-proxy-nat" */
	char effect[384]; /* what it does to traffic */
};

struct mi_capture_pic {
	size_t n;
	struct mi_capture_item *v;
};

void mi_capture_collect(const struct mi_snap *s, struct mi_capture_pic *out);
void mi_capture_release(struct mi_capture_pic *p);

/* True when the item can change where the pod's packets go. */
bool mi_capture_affects(const struct mi_capture_item *it);

/* A one-word name of the kind, for JSON: "istio-nftables", ... */
const char *mi_capture_kind_name(enum mi_capture_kind k);

#endif
