/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_TRACE_H
#define MI_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "explain.h"
#include "plan.h"

/*
 * Kernel packet tracing (nftrace). Tracing is switched on by a table of
 * our own, `inet meshinit-trace`, whose chains hook prerouting and output
 * at priority -350 (before raw) and only set `meta nftrace set 1` on the
 * packets that match the filter; the kernel then reports every rule of
 * every table those packets meet on the NFNLGRP_NFTRACE multicast group.
 * The table is removed when tracing stops, also on SIGINT/SIGTERM.
 */
#define MI_TRACE_PRIO (-350)

/* One trace event (NFT_MSG_TRACE), decoded. */
struct mi_trace_ev {
	uint32_t id;		/* packet id */
	uint32_t type;		/* NFT_TRACETYPE_* */
	char table[64], chain[64];
	uint64_t handle;	/* rule handle, 0 when none */
	int32_t verdict;	/* NF_* or NFT_* verdict code */
	char target[64];	/* jump target */
	uint32_t iif, oif, mark;
	bool has_iif, has_oif, has_mark;
};

struct mi_trace_evs {
	size_t n, cap;
	struct mi_trace_ev *v;
};

struct mi_tracer;

/*
 * mi_tracer_start - subscribe to trace events, then add (replacing a
 * stale one) table inet meshinit-trace marking packets that match @f
 * (family 0: any address; have_uid: output only). Returns 0 or -errno.
 */
int mi_tracer_start(const struct mi_flow *f, struct mi_tracer **out,
		    struct mi_err *err);

/* The socket to poll() for events. */
int mi_tracer_fd(const struct mi_tracer *t);

/* Read the pending events (non-blocking) into @evs. Returns 0 or -errno. */
int mi_tracer_read(struct mi_tracer *t, struct mi_trace_evs *evs,
		   struct mi_err *err);

/* Remove the trace table and close; safe on NULL. */
int mi_tracer_stop(struct mi_tracer *t, struct mi_err *err);

void mi_trace_evs_release(struct mi_trace_evs *evs);

/*
 * mi_trace_run - the `trace` command: trace packets matching the flow
 * flags @a, print each event with the rule's text (looked up in table
 * inet meshinit) to @out until SIGINT or SIGTERM, then clean up.
 * The signals are taken through a signalfd: no handler, no global state.
 */
int mi_trace_run(const struct mi_flow_args *a, FILE *out, struct mi_err *err);

/*
 * mi_explain_kernel - explain --kernel: trace the probe flow @f, send
 * one probe packet as f->uid/f->gid, collect the kernel's path and print
 * it next to the prediction @ex; "kernel agrees" or "kernel DISAGREES"
 * (then -EPROTO with err->exit MI_EXIT_DRIFT).
 */
int mi_explain_kernel(const struct mi_plan *plan, const struct mi_config *cfg,
		      const struct mi_flow *f, const struct mi_explain *ex,
		      FILE *out, struct mi_err *err);

#endif
