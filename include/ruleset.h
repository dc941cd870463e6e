/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_RULESET_H
#define MI_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nftnl_rule;

/*
 * Every table's chains and rules in the current network namespace, of
 * every family: what explain names when another table sits on the
 * packet's hooks, and what trace renders a foreign rule's event from.
 * (status/verify's snapshot holds table inet meshinit only.)
 */
struct mi_rs_chain {
	uint32_t family; /* NFPROTO_* of the table */
	char table[64], name[64];
	bool base;     /* has a hook */
	char type[16]; /* "filter", "nat", "route" */
	uint32_t hook; /* NF_INET_* (base chains) */
	int32_t prio;
	uint32_t policy; /* NF_ACCEPT or NF_DROP (base chains) */
};

struct mi_rs_rule {
	uint32_t family;
	char table[64], chain[64];
	uint64_t handle;
	size_t idx; /* 1-based position in its chain */
	struct nftnl_rule *r;
};

struct mi_ruleset {
	size_t nchains, capchains;
	struct mi_rs_chain *chains;
	size_t nrules, caprules;
	struct mi_rs_rule *rules; /* per chain, in order */
};

void mi_ruleset_init(struct mi_ruleset *rs);
void mi_ruleset_release(struct mi_ruleset *rs);

/* Dump the namespace's chains and rules into @rs. Returns 0 or -errno. */
int mi_ruleset_load(struct mi_ruleset *rs, struct mi_err *err);

/*
 * mi_ruleset_add_msg - add the chain or rule of one nf_tables message
 * (NEWCHAIN, NEWRULE; others are ignored): the dump's callback, also
 * usable on a batch's messages (tests).
 */
void mi_ruleset_add_msg(struct mi_ruleset *rs, const void *nlh);

/* The rule @handle of @family @table @chain, or NULL. */
const struct mi_rs_rule *mi_ruleset_rule(const struct mi_ruleset *rs,
					 uint32_t family, const char *table,
					 const char *chain, uint64_t handle);

/* The chain, or NULL. */
const struct mi_rs_chain *mi_ruleset_chain(const struct mi_ruleset *rs,
					   uint32_t family, const char *table,
					   const char *chain);

/* "prerouting", "input", "forward", "output", "postrouting". */
const char *mi_hook_name(uint32_t hook);

/*
 * The verdict a rule can end with, from its last expressions: "drop",
 * "reject", "accept", "queue", "redirect", "dnat", "snat", "masquerade",
 * "tproxy", or NULL for a rule that only continues, jumps or returns.
 */
const char *mi_rs_rule_terminal(const struct mi_rs_rule *r);

/* True when the rule ends with a `return` verdict. */
bool mi_rs_rule_returns(const struct mi_rs_rule *r);

/* The packets of the rule's counter (0 without one). */
uint64_t mi_rs_rule_packets(const struct mi_rs_rule *r);

#endif
