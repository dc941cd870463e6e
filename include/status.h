/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_STATUS_H
#define MI_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

/*
 * mi_status_show - the `status` command: what is installed in the current
 * network namespace, read from the kernel: table inet meshinit read back
 * into a plan (readback.h) and printed with the plan's printer (print.c),
 * how it was installed (its install record: version and flags), the
 * TPROXY routing it needs, and everything else in the namespace that
 * touches the traffic (capture.h). As text or (@json) one JSON document.
 * Returns 0, -ENOENT with err->exit = MI_EXIT_NOT_INSTALLED when table
 * inet meshinit is not there (the rest of the picture is still printed
 * when there is any), or another -errno.
 */
int mi_status_show(bool json, FILE *out, struct mi_err *err);

#endif
