/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_STATUS_H
#define MI_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;

/*
 * A snapshot of table inet meshinit: its chains, rules (in chain order,
 * with counters) and sets (with elements), as libnftnl objects. Filled
 * from a kernel dump (mi_snap_load) or from the netlink messages of a
 * batch (mi_snap_add_msg); read by status, verify and validate.
 */
struct mi_snap {
	bool have_table;
	size_t nchains, capchains;
	struct nftnl_chain **chains;
	size_t nrules, caprules;
	struct nftnl_rule **rules;	/* dump order: per chain, in order */
	size_t nsets, capsets;
	struct nftnl_set **sets;
	/* other tables in the namespace, "family name" each, for hints */
	size_t nothers, capothers;
	char (*others)[80];
};

void mi_snap_init(struct mi_snap *s);
void mi_snap_release(struct mi_snap *s);

/*
 * mi_snap_load - dump table inet meshinit from the kernel of the current
 * network namespace into @s (initialised here). Dumps the kernel marks
 * as interrupted (NLM_F_DUMP_INTR) are retried a few times. A missing
 * table is not an error: s->have_table is false. Returns 0 or -errno.
 */
int mi_snap_load(struct mi_snap *s, struct mi_err *err);

/*
 * mi_snap_add_msg - add the object of one nf_tables message (NEWTABLE,
 * NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM; others are ignored) to @s.
 * Objects of other tables are ignored.
 */
void mi_snap_add_msg(struct mi_snap *s, const void *nlh);

/* The set named @name, or NULL. */
struct nftnl_set *mi_snap_set(const struct mi_snap *s, const char *name);

/* The chain named @name, or NULL. */
struct nftnl_chain *mi_snap_chain(const struct mi_snap *s, const char *name);

/* Render a rule's expressions as one readable line (counter omitted). */
void mi_rule_render(const struct nftnl_rule *r, char *buf, size_t len);

/* The comment of a rule (its NFTNL_UDATA_RULE_COMMENT), or "". */
void mi_rule_comment(const struct nftnl_rule *r, char *buf, size_t len);

/* Packets and bytes of the rule's counter expression (0 when none). */
void mi_rule_counters(const struct nftnl_rule *r, uint64_t *pkts,
		      uint64_t *bytes);

/*
 * mi_set_render_elems - the elements of set @s as sorted, rendered
 * strings ("1337", "15020-15021", "10.0.0.0/8"...): interval start/end
 * pairs are folded into ranges. Returns the count; *out is an array of
 * strings the caller frees with mi_strv_free().
 */
size_t mi_set_render_elems(const struct nftnl_set *s, char ***out);
void mi_strv_free(char **v, size_t n);

/*
 * mi_set_elems_equal - true when sets @a and @b hold exactly the same
 * element keys (compared as raw bytes, no rendering): the fast path of
 * a comparison that renders only when something differs.
 */
bool mi_set_elems_equal(const struct nftnl_set *a, const struct nftnl_set *b);

/*
 * mi_status_show - dump and print what meshinit installed in the current
 * network namespace, as text or (@json) one JSON document. Returns 0,
 * -ENOENT with err->exit = MI_EXIT_NOT_INSTALLED when nothing is
 * installed, or another -errno.
 */
int mi_status_show(bool json, FILE *out, struct mi_err *err);

#endif
