/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_PRINT_H
#define MI_PRINT_H

#include <stdio.h>

#include "plan.h"

/*
 * mi_print_plan - write @plan as an `nft -f` script that replaces
 * everything meshinit owns, in one transaction, with exactly what the
 * netlink emitter installs. Deterministic: same plan, same bytes.
 */
void mi_print_plan(const struct mi_plan *plan, FILE *out);

/*
 * As mi_print_plan, but at most @max_elems elements of each set, then a
 * comment with the count of the rest: for logs, where 5,000 CIDRs would
 * cost more to format than to install.
 */
void mi_print_plan_abridged(const struct mi_plan *plan, size_t max_elems,
			    FILE *out);

/* The cleanup script: removes meshinit's tables if present. */
void mi_print_cleanup(FILE *out);

/* Render one rule's body (matches, counter, statements, verdict, comment). */
void mi_print_rule(const struct mi_rule *r, FILE *out);

enum mi_print_flags {
	MI_PRINT_COUNTERS = (1 << 0),	/*
		"counter packets N bytes M", as nft list */
	MI_PRINT_BARE = (1 << 1),	/* no counter, no comment */
};

/*
 * mi_print_rule with @flags. A rule that did not read back (r->raw) is
 * printed as "# not read back by meshinit: <libnftnl's listing>".
 */
void mi_print_rule_ex(const struct mi_rule *r, unsigned int flags, FILE *out);

/*
 * mi_print_listing - @plan as `nft list table` shows it (nested, counters,
 * each rule numbered as explain, verify and trace number it: "rule N:"),
 * sets with at most @max_elems elements each, then the chains and sets
 * outside meshinit's catalogue. For status.
 */
void mi_print_listing(const struct mi_plan *plan, size_t max_elems, FILE *out);

/* Render one set element as nft syntax. */
void mi_print_elem(enum mi_set_type type, const struct mi_elem *e, FILE *out);

/* nft datatype name of a set type, e.g. "ipv4_addr". */
const char *mi_set_type_name(enum mi_set_type type);

#endif
