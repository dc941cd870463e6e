/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_SNAPSHOT_H
#define MI_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;

/*
 * What one chain of a table meshinit does not own does, counted from its
 * rules: enough to say what it does to traffic.
 */
struct mi_snap_chain_sum {
	char name[64];
	char type[16]; /* "" for a regular chain */
	int hook;      /* NF_INET_* hook, -1 for a regular chain */
	int prio;
	int policy; /* NF_ACCEPT, NF_DROP; -1: none (regular) */
	size_t rules;
	unsigned int drops, rejects, accepts, nats, jumps, marks, queues;
	char targets[96]; /* iptables-nft targets seen: "REDIRECT,TPROXY" */
};

struct mi_snap_table {
	uint32_t family; /* NFPROTO_* */
	char name[64];
	size_t nchains, capchains;
	struct mi_snap_chain_sum *chains;
};

/*
 * A snapshot of the namespace's nftables state: table inet meshinit in
 * full (its chains, its rules in chain order with counters, its sets with
 * elements) as libnftnl objects, and every other table summarised. Filled
 * from a kernel dump (mi_snap_load) or from the netlink messages of a
 * batch (mi_snap_add_batch); read by readback, trace and the probe.
 */
struct mi_snap {
	bool have_table;
	size_t nchains, capchains;
	struct nftnl_chain **chains;
	size_t nrules, caprules;
	struct nftnl_rule **rules; /* dump order: per chain, in order */
	size_t nsets, capsets;
	struct nftnl_set **sets;
	/* the other tables of the namespace */
	size_t ntables, captables;
	struct mi_snap_table *tables;
};

void mi_snap_init(struct mi_snap *s);
void mi_snap_release(struct mi_snap *s);

/*
 * mi_snap_load - dump the nftables state of the current network
 * namespace into @s (initialised here). Dumps the kernel marks as
 * interrupted (NLM_F_DUMP_INTR) are retried a few times. A missing table
 * inet meshinit is not an error: s->have_table is false. Returns 0 or
 * -errno.
 */
int mi_snap_load(struct mi_snap *s, struct mi_err *err);

/*
 * mi_snap_add_msg - add the object of one nf_tables message (NEWTABLE,
 * NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM; others are ignored) to @s.
 */
void mi_snap_add_msg(struct mi_snap *s, const void *nlh);

/*
 * mi_snap_add_batch - add every message of a serialised batch (@len
 * bytes at @buf, as sent to the kernel) to @s: the emitter's output read
 * the way a dump is, without a kernel.
 */
void mi_snap_add_batch(struct mi_snap *s, void *buf, size_t len);

/* The set named @name, or NULL. */
struct nftnl_set *mi_snap_set(const struct mi_snap *s, const char *name);

/* The chain named @name, or NULL. */
struct nftnl_chain *mi_snap_chain(const struct mi_snap *s, const char *name);

/* The other table @family @name, or NULL. */
const struct mi_snap_table *mi_snap_table(const struct mi_snap *s,
					  uint32_t family, const char *name);

/* The comment of a rule (its NFTNL_UDATA_RULE_COMMENT), or "". */
void mi_snap_rule_comment(const struct nftnl_rule *r, char *buf, size_t len);

/* "ip", "ip6", "inet", "arp", "bridge", "netdev" */
const char *mi_family_name(uint32_t family);

#endif
