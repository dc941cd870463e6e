/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CONNTRACK_H
#define MI_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * The connections conntrack tracks in the current network namespace
 * (ctnetlink dump): what NAT decided for a connection that is already
 * open, which the rules cannot say (nat chains see its first packet
 * only).
 */
struct mi_ct_tuple {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

struct mi_ct {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t proto;
	struct mi_ct_tuple orig, reply;
	uint32_t status;	/* IPS_* bits */
	uint16_t zone;
};

/* What to look for: protocol, family, destination; 0/unset: any. */
struct mi_ct_filter {
	int family;
	uint8_t proto;
	uint8_t dst[16];
	uint16_t dport;
	bool have_src;
	uint8_t src[16];
	uint16_t sport;		/* 0: any */
};

/*
 * mi_ct_find - the tracked connections whose original direction matches
 * @f, into *out (free()). Returns 0 or -errno (e.g. -EPROTONOSUPPORT: a
 * kernel without ctnetlink).
 */
int mi_ct_find(const struct mi_ct_filter *f, struct mi_ct **out, size_t *n,
	       struct mi_err *err);

/* True when NAT changed the connection's destination (REDIRECT, DNAT). */
bool mi_ct_dst_nat(const struct mi_ct *c);

#endif
