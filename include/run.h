/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_RUN_H
#define MI_RUN_H

#include <stdio.h>

#include "config.h"
#include "err.h"
#include "log.h"

/*
 * The commands, each a straight pipeline over a validated configuration
 * that mi_detect() has completed. Each returns 0 or -errno with @err set.
 */

/* Plan, then print (--dry-run) or commit it (also --check), then routes. */
int mi_run_install(const struct mi_config *cfg, const struct mi_log *log,
		   FILE *out, struct mi_err *err);

/*
 * mi_run_log_warnings - log what mi_detect() reported in @warn (Istio's
 * wording where Istio has one).
 */
void mi_run_log_warnings(const struct mi_log *log, unsigned int warn);

/*
 * mi_run_apply - install a validated configuration (from mi_cli_parse or
 * built by the CNI plugin) in the current network namespace: complete it
 * with mi_detect(), log the warnings, then mi_run_install(). For callers
 * that have already entered the pod's namespace. Returns 0 or -errno with
 * @err set; nothing is half-applied.
 */
int mi_run_apply(struct mi_config *cfg, const struct mi_log *log, FILE *out,
		 struct mi_err *err);

/* Remove meshinit's table and TPROXY routes; a no-op when absent. */
int mi_run_cleanup(const struct mi_config *cfg, const struct mi_log *log,
		   FILE *out, struct mi_err *err);

#endif
