/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_VERIFY_H
#define MI_VERIFY_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "plan.h"

/*
 * mi_verify_plan - compare @plan with table inet meshinit read back from
 * the kernel into a plan (readback.h): chains, rules per chain in order
 * (as the printer writes them; counters ignored), sets and their
 * elements, and the install record (version and configuration). Each
 * difference is written as one line to @report (may be NULL). Returns 0
 * with *in_sync set, -ENOENT with err->exit MI_EXIT_NOT_INSTALLED when
 * the table is missing, or another -errno.
 */
int mi_verify_plan(const struct mi_plan *plan, bool *in_sync, FILE *report,
		   struct mi_err *err);

/*
 * mi_verify_run - the `verify` command. With @from_flags, the plan of
 * @cfg (completed by mi_detect) is compared, after the flags that differ
 * from the install record; without, the plan the install record
 * describes. Then the TPROXY routing it needs and the rest of the
 * namespace's capture state (capture.h). Prints one line per difference,
 * or "in sync", to @out. Drift is an error with err->exit MI_EXIT_DRIFT.
 */
int mi_verify_run(const struct mi_config *cfg, bool from_flags, FILE *out,
		  struct mi_err *err);

#endif
