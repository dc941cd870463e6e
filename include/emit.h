/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_EMIT_H
#define MI_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct nftnl_batch;

/* What a netlink message of the batch stands for, for error reports. */
struct mi_seqmap {
	uint32_t seq;
	char what[120];
};

/*
 * A serialised nf_tables transaction: BATCH_BEGIN, removal of our old
 * table, the new objects, BATCH_END (omitted for a check-only batch, so
 * the kernel validates everything and then aborts).
 */
struct mi_batch {
	struct nftnl_batch *b;
	uint32_t seq;		/* next sequence number */
	size_t nmsg;		/* messages between BEGIN and END */
	struct mi_seqmap *map;
	size_t nmap, capmap;
};

enum mi_emit_flags {
	MI_EMIT_CHECK_ONLY = (1 << 0),	/* leave out BATCH_END */
	MI_EMIT_CLEANUP = (1 << 1),	/* only remove our table */
	/*
	 * Fault injection for tests: add a rule the kernel must reject
	 * (a jump to a chain that does not exist) as the first message,
	 * in the middle (after the sets) or as the last one.
	 */
	MI_EMIT_FAULT_FIRST = (1 << 2),
	MI_EMIT_FAULT_MIDDLE = (1 << 3),
	MI_EMIT_FAULT_LAST = (1 << 4),
};

/*
 * mi_emit - serialise @plan (ignored with MI_EMIT_CLEANUP) into @batch,
 * whose sequence numbers start at @seq0. libnftnl objects are built,
 * serialised and freed here; nothing touches a socket.
 */
void mi_emit(const struct mi_plan *plan, unsigned int flags, uint32_t seq0,
	     struct mi_batch *batch);

void mi_batch_release(struct mi_batch *batch);

/* Description of the message with sequence number @seq, or NULL. */
const char *mi_batch_what(const struct mi_batch *batch, uint32_t seq);

#endif
