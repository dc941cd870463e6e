/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_TRACE_H
#define MI_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "flow.h"
#include "ruleset.h"

/*
 * Kernel packet tracing (nftrace). Tracing is switched on by a table of
 * our own, `inet meshinit-trace`, whose chains hook prerouting and output
 * at priority -350 (before raw) and only set `meta nftrace set 1` on the
 * packets that match the filter; the kernel then reports every rule of
 * every table those packets meet on the NFNLGRP_NFTRACE multicast group.
 * The table is removed when tracing stops, also on SIGINT/SIGTERM.
 */
#define MI_TRACE_PRIO (-350)

/* The packet of an event, from the headers the kernel copied into it. */
struct mi_trace_pkt {
	bool have_l3, have_l4;
	int family; /* AF_INET or AF_INET6 */
	uint8_t saddr[16], daddr[16];
	uint8_t proto; /* IPPROTO_* */
	uint16_t sport, dport;
	uint8_t tcp_flags; /* TCP header byte 13 (FIN 0x01 ... CWR 0x80) */
};

/* One trace event (NFT_MSG_TRACE), decoded. */
struct mi_trace_ev {
	uint32_t id;	 /* packet id */
	uint32_t type;	 /* NFT_TRACETYPE_* */
	uint32_t family; /* NFPROTO_* of the table (ip, ip6, inet...) */
	char table[64], chain[64];
	uint64_t handle; /* rule handle, 0 when none */
	int32_t verdict; /* NF_* or NFT_* verdict code */
	char target[64]; /* jump target */
	uint32_t iif, oif, mark;
	bool has_iif, has_oif, has_mark;
	struct mi_trace_pkt pkt; /* first event of each hook only */
};

struct mi_trace_evs {
	size_t n, cap;
	struct mi_trace_ev *v;
};

struct mi_tracer;

/*
 * mi_tracer_start - subscribe to trace events, then add (replacing a
 * stale one) table inet meshinit-trace marking packets that match @f
 * (family 0: any address; proto 0: any; have_uid: output only).
 * Returns 0 or -errno.
 */
int mi_tracer_start(const struct mi_flow *f, struct mi_tracer **out,
		    struct mi_err *err);

/* The socket to poll() for events. */
int mi_tracer_fd(const struct mi_tracer *t);

/*
 * Read the pending events (non-blocking) into @evs; events of the trace
 * table itself are left out. Returns 0 or -errno.
 */
int mi_tracer_read(struct mi_tracer *t, struct mi_trace_evs *evs,
		   struct mi_err *err);

/* Events until @quiet_ms pass without one (at most @max_ms). */
int mi_tracer_collect(struct mi_tracer *t, struct mi_trace_evs *evs,
		      int quiet_ms, int max_ms, struct mi_err *err);

/* Remove the trace table and close; safe on NULL. */
int mi_tracer_stop(struct mi_tracer *t, struct mi_err *err);

void mi_trace_evs_release(struct mi_trace_evs *evs);

/*
 * mi_trace_probe - send one packet of flow @f (outbound) from a child
 * that takes the flow's owner f->uid/f->gid (what skuid/skgid match): a
 * TCP SYN through connect(), or one UDP datagram. *result: 0 (connected
 * or sent), ECONNREFUSED, ETIMEDOUT (no answer in a short wait) or
 * another errno of connect(). Returns 0 or -errno (not sent).
 */
int mi_trace_probe(const struct mi_flow *f, int *result, struct mi_err *err);

/*
 * mi_trace_ev_parse - decode one NFT_MSG_TRACE message into @e. Kernels
 * differ in what they send (5.10+: a policy event's verdict as
 * NFTA_TRACE_POLICY or NFTA_TRACE_VERDICT, headers on a hook's first
 * event only, no rule handle on a chain's end): what is missing is left
 * unset. Returns 1, 0 for another message, -1 for one libnftnl rejects.
 */
int mi_trace_ev_parse(const void *nlh, struct mi_trace_ev *e);

/*
 * mi_trace_resolve_returns - Debian's 5.10 and 6.1 kernels report a rule
 * whose verdict is `return` without the rule's handle (6.12 sends it).
 * Such an event of table inet meshinit gets the handle of the one
 * return rule of its chain whose packet counter moved between the
 * rules read before the traffic (@before) and after it (@after), and
 * becomes a rule event. An event that fits no such rule, or more than
 * one (other traffic meanwhile), is left as it is. Returns the number
 * of events resolved.
 */
size_t mi_trace_resolve_returns(const struct mi_ruleset *before,
				const struct mi_ruleset *after,
				struct mi_trace_evs *evs);

/* "accept", "drop", "continue", "jump", "return"... */
const char *mi_trace_verdict_name(int32_t v, char *buf, size_t len);

/* The rule of an event in @rs, or NULL (not a rule event, or unknown). */
const struct mi_rs_rule *mi_trace_ev_rule(const struct mi_ruleset *rs,
					  const struct mi_trace_ev *e);

/*
 * mi_trace_ev_format - one event as `nft monitor trace` words it:
 * "trace id ID FAMILY TABLE CHAIN rule N: TEXT (verdict V)  # comment",
 * "... policy accept", "... verdict continue", and for the first event
 * of a hook a "... packet: iif/oif, addresses, ports, tcp flags" line
 * before it (so @buf may hold two lines). Rule text from @rs.
 */
void mi_trace_ev_format(const struct mi_ruleset *rs,
			const struct mi_trace_ev *e, char *buf, size_t len);

/* The packet part of an event: "oif "eth0" ip saddr ... tcp flags syn". */
void mi_trace_pkt_format(const struct mi_trace_ev *e, char *buf, size_t len);

/*
 * mi_trace_run - the `trace` command: trace packets matching the flow
 * flags @a, print each event with the rule's text (any table) to @out
 * until SIGINT or SIGTERM, then clean up. The signals are taken through
 * a signalfd: no handler, no global state.
 */
int mi_trace_run(const struct mi_flow_args *a, FILE *out, struct mi_err *err);

#endif
