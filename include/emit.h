/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_EMIT_H
#define MI_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct mi_batch;
struct nftnl_rule;

enum mi_emit_flags {
	MI_EMIT_CHECK_ONLY = (1 << 0),	/* leave out BATCH_END */
	MI_EMIT_CLEANUP = (1 << 1),	/* only remove our table */
	/* with MI_EMIT_CLEANUP: remove only the trace table */
	MI_EMIT_TRACE_ONLY = (1 << 7),
	/*
	 * Fault injection for tests: add a rule the kernel must reject
	 * (a jump to a chain that does not exist) as the first message,
	 * in the middle (after the sets) or as the last one.
	 */
	MI_EMIT_FAULT_FIRST = (1 << 2),
	MI_EMIT_FAULT_MIDDLE = (1 << 3),
	MI_EMIT_FAULT_LAST = (1 << 4),
	/*
	 * How the old table goes. By default "add" then "delete" (cannot
	 * fail on a missing table; any kernel). MI_EMIT_DESTROY: one
	 * NFT_MSG_DESTROYTABLE (kernel 6.3+; a missing table is no error).
	 * MI_EMIT_FRESH: nothing is removed and the table is created
	 * exclusively, so a table that appeared since the caller looked
	 * makes the whole batch fail with EEXIST (MI_HINT_CREATE_ONLY)
	 * instead of adding to it. A delete costs the kernel's deferred
	 * destruction (an RCU grace period) when the socket is closed.
	 */
	MI_EMIT_DESTROY = (1 << 5),
	MI_EMIT_FRESH = (1 << 6),
};

/*
 * mi_emit - serialise @plan (ignored with MI_EMIT_CLEANUP) into a new
 * batch (batch.h), whose sequence numbers start at @seq0: removal of our
 * old table, the new objects, BATCH_END unless MI_EMIT_CHECK_ONLY.
 * libnftnl objects are built, serialised and freed here; nothing
 * touches a socket. The caller frees the batch (mi_batch_free).
 */
struct mi_batch *mi_emit(const struct mi_plan *plan, unsigned int flags,
			 uint32_t seq0);

/*
 * mi_emit_matches - append the expressions of matches @m[0..@n) to @r,
 * exactly as the emitter encodes them in its rules (protocol
 * dependencies once per call, as nft does). trace builds its filter
 * rules with it.
 */
void mi_emit_matches(struct nftnl_rule *r, const struct mi_match *m, size_t n);

#endif
