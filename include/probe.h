/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_PROBE_H
#define MI_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "log.h"

/*
 * What the kernel says, for the diagnosis of a failed validation. It is
 * read while CAP_NET_ADMIN is still held (reading nftables needs it) and
 * used only if the probe fails.
 */
struct mi_probe_facts {
	bool read;		/* the nftables state could be read */
	char read_error[512];
	bool have_table;	/* table inet meshinit */
	char istio_tables[200];	/* Istio's own tables, if any */
	bool have_uid_set;	/* set proxy-uids exists */
	char **uids;		/* its elements, rendered */
	size_t nuids;
	bool lo_has_6;		/* ::6 is an address of lo */
};

/* Fill @f from the current network namespace; never fails. */
void mi_probe_collect(struct mi_probe_facts *f);

void mi_probe_facts_release(struct mi_probe_facts *f);

/*
 * mi_probe_run - Istio's --run-validation probe: listeners on the
 * loopback ports -p and -z, a client connecting once per second to
 * 127.0.0.6 (or ::6) at the probe port; passes when a connection arrives
 * whose SO_ORIGINAL_DST port is the probe port, before the deadline
 * (--probe-timeout). On failure returns -ETIMEDOUT (or another -errno)
 * with err->exit MI_EXIT_VALIDATION and a diagnosis drawn from @f.
 */
int mi_probe_run(const struct mi_config *cfg, const struct mi_probe_facts *f,
		    const struct mi_log *log, struct mi_err *err);

#endif
