/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_VERIFY_H
#define MI_VERIFY_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "plan.h"

/*
 * mi_verify_plan - compare what @plan installs with table inet meshinit
 * in the kernel: chains (type, hook, priority), rules per chain in order
 * (expressions and comment; counters ignored), sets (type, flags) and
 * their elements. The expected objects come from the emitter's own batch
 * parsed back, so verify and install cannot disagree on encoding. Each
 * difference is written as one line to @report (may be NULL). Returns 0
 * with *in_sync set, -ENOENT with err->exit MI_EXIT_NOT_INSTALLED when
 * the table is missing, or another -errno.
 */
int mi_verify_plan(const struct mi_plan *plan, bool *in_sync, FILE *report,
		   struct mi_err *err);

/*
 * mi_verify_run - the `verify` command: plan from @cfg (completed by
 * mi_detect), compare, print the differences or "in sync" to @out.
 * Drift is an error with err->exit MI_EXIT_DRIFT.
 */
int mi_verify_run(const struct mi_config *cfg, FILE *out, struct mi_err *err);

#endif
