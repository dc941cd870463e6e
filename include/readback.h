/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_READBACK_H
#define MI_READBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "plan.h"
#include "record.h"
#include "snapshot.h"

struct nftnl_rule;

/*
 * The inverse of the emitter: table inet meshinit read back into the
 * same rule plan (struct mi_plan) the flags produce, so that status
 * prints it with print.c, verify compares two plans and explain walks it.
 * Expressions are dispatched through a table, one handler per expression
 * type, over a model of the registers (as nftables' delinearizer does).
 *
 * Every rule of the table is in the plan, in order: the ones meshinit
 * cannot express (added by hand, or by a newer meshinit) have r->raw set
 * to libnftnl's listing of their expressions and nothing else; chains
 * and sets outside meshinit's catalogue are in plan->xchains and
 * plan->xsets. Counters and handles are in each rule.
 */

/*
 * mi_readback_snap - read @s (a kernel dump or a batch, snapshot.h) into
 * @out (initialised here; release with mi_plan_release). The install
 * record, when the table has one, is parsed into @rec (rec->version is ""
 * when there is none; a record that does not parse is reported in
 * @rec_err, which may be NULL). Never fails.
 */
void mi_readback_snap(const struct mi_snap *s, struct mi_plan *out,
		      struct mi_record *rec, struct mi_err *rec_err);

/*
 * mi_readback - dump the current network namespace and read table inet
 * meshinit back as mi_readback_snap does. Returns 0, -ENOENT with
 * err->exit MI_EXIT_NOT_INSTALLED when the table is not there, or
 * another -errno.
 */
int mi_readback(struct mi_plan *out, struct mi_record *rec, struct mi_err *err);

/*
 * One rule of table inet meshinit as one line: the plan's printer
 * (print.c) when it reads back, libnftnl's listing otherwise; without
 * counter and comment. For trace.
 */
void mi_readback_rule_text(const struct nftnl_rule *r, char *buf, size_t len);

/*
 * The one "not installed" error of status, verify and explain: -ENOENT
 * with err->exit MI_EXIT_NOT_INSTALLED; @others: other capture state was
 * printed on stdout.
 */
int mi_readback_absent(struct mi_err *err, bool others);

/* The number of rules of @plan that did not read back (r->raw). */
size_t mi_readback_nraw(const struct mi_plan *plan);

#endif
