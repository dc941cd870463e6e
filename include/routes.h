/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_ROUTES_H
#define MI_ROUTES_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

/*
 * TPROXY policy routing and the ::6 loopback address, over rtnetlink.
 * Every object meshinit creates carries the protocol number
 * MI_RTPROT (shown by `ip rule`/`ip route` as "proto 109"), so reruns find
 * and reuse them and cleanup removes exactly them.
 */
#define MI_RTPROT 109
/* Explicit rule priority: where Istio's first `ip rule add` lands. */
#define MI_RULE_PRIO 32765

/* What mi_routes_apply() created, so a failed commit can undo it. */
struct mi_routes_undo {
	uint32_t mark, table;
	bool rule[2];		/* [0] IPv4, [1] IPv6 */
	bool route[2];
	bool addr6;
};

/* Whether mi_routes_apply() added anything (what @undo would remove). */
bool mi_routes_changed(const struct mi_routes_undo *undo);

/*
 * mi_routes_apply - ensure what @cfg needs exists: `fwmark M lookup T`
 * rules and a local default route in table T for IPv4 (and IPv6 when
 * enabled) in TPROXY mode with inbound capture; ::6/128 on lo when IPv6
 * is enabled. Idempotent: what exists is kept. Records in @undo what it
 * added. Returns 0 or -errno with @err set (what it added before the
 * failure is recorded in @undo).
 */
int mi_routes_apply(const struct mi_config *cfg, struct mi_routes_undo *undo,
		    struct mi_err *err);

/* Remove what @undo records; best effort. */
void mi_routes_rollback(const struct mi_routes_undo *undo);

/*
 * mi_routes_prune - remove meshinit's rules, routes and ::6 that @cfg does
 * not need (all of them when @cfg is NULL: cleanup). Returns 0 or -errno.
 */
int mi_routes_prune(const struct mi_config *cfg, struct mi_err *err);

/* What TPROXY needs, as found (whoever made it). */
struct mi_routes_state {
	bool rule[2];		/* fwmark M lookup T: [0] IPv4, [1] IPv6 */
	bool route[2];		/* local default dev lo table T */
	bool addr6, addr6_mine;	/* ::6/128 on lo; made by meshinit */
};

/* Read the policy rules, routes and ::6 of the namespace. 0 or -errno. */
int mi_routes_state(uint32_t mark, uint32_t table, struct mi_routes_state *st,
		    struct mi_err *err);

#endif
