/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_EXPLAIN_H
#define MI_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "plan.h"

/*
 * `meshinit explain`: which path one packet takes through the rule plan,
 * computed by walking the plan as netfilter would (pure), and optionally
 * confirmed by the kernel's nftrace (--kernel).
 */

enum mi_dir {
	MI_DIR_OUT,		/* locally generated: output hooks */
	MI_DIR_IN,		/* arriving on an interface: prerouting hooks */
};

/* conntrack state bit of a NEW connection, as NF_CT_STATE_BIT(IP_CT_NEW) */
#define MI_CT_NEW 0x8

/* The first packet of a flow, as the rules see it. */
struct mi_flow {
	enum mi_dir dir;
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	int family;		/* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];
	bool have_src;		/* src is known (given or derived) */
	uint16_t sport, dport;	/* sport 0: an ephemeral port */
	bool have_uid;		/* socket owner known (outbound only) */
	bool have_gid;		/* --gid given (trace may filter on one only) */
	uint32_t uid, gid;
	char iif[MI_IFNAMSIZ];	/* "" when not applicable */
	char oif[MI_IFNAMSIZ];
	uint32_t mark, ctmark;
	uint32_t ctstate;	/* MI_CT_* bits; MI_CT_NEW by default */
};

/*
 * mi_flow_parse - validate the explain/trace flags of @a into @f. With
 * @need (explain) --direction, --proto and --dst are required, and
 * --uid/--gid for outbound flows; for trace every flag is an optional
 * filter (f->family 0: any address). Interfaces are left empty when
 * not given: see mi_flow_complete(). Errors name the flag and value
 * (exit 1).
 */
int mi_flow_parse(const struct mi_flow_args *a, bool need, struct mi_flow *f,
		  struct mi_err *err);

/*
 * mi_flow_complete - the defaults that depend on the pod (pure): the
 * interface (outbound: lo for loopback destinations and the pod's own
 * addresses @local (n full-length prefixes), else eth0; inbound: eth0)
 * and, when not given, the source address (outbound: the destination
 * over lo, else the pod's first address of the family).
 */
void mi_flow_complete(struct mi_flow *f, const struct mi_cidr *local,
		      size_t n);

/* Format the flow as one line ("out tcp uid 1000 gid 1000 a -> b:80 ..."). */
void mi_flow_format(const struct mi_flow *f, char *buf, size_t len);

enum mi_outcome {
	MI_OUT_PASS,		/* not captured */
	MI_OUT_REDIRECT,	/* nat redirect to :port */
	MI_OUT_TPROXY,		/* tproxy to :port with mark */
	MI_OUT_DROP,
};

/* One rule the packet met. */
struct mi_step {
	enum mi_chain_id chain;
	size_t idx;		/* 0-based within the chain */
	bool matched;
	bool looped;		/* on lo's prerouting after leaving (outbound) */
	char why[256];		/* match details: "uid 1000 not in proxy-uids" */
};

struct mi_explain {
	struct mi_step *steps;
	size_t n, cap;
	enum mi_outcome outcome;
	uint16_t port;		/* REDIRECT, TPROXY */
	uint32_t mark;		/* TPROXY: the mark set with it */
	bool decided;		/* a rule decided (else fell off the chains) */
	enum mi_chain_id dec_chain;
	size_t dec_idx;
	char dec_why[256];
	bool fell_off;		/* not decided: the last chain run to its end */
	enum mi_chain_id end_chain;
	char notes[4][160];
	size_t nnotes;
};

/*
 * mi_explain_walk - walk @plan for the packet @f (completed) as netfilter
 * would: the base chains of the flow's hook in priority order, jumps,
 * returns, verdicts, mark/ct statements; an outbound packet to lo then
 * also meets the filter-type prerouting chains as it loops back (nat
 * ones are skipped: the connection is already NATed). Pure. Release
 * @ex with mi_explain_release().
 */
void mi_explain_walk(const struct mi_plan *plan, const struct mi_config *cfg,
		     const struct mi_flow *f, struct mi_explain *ex);

void mi_explain_release(struct mi_explain *ex);

/* "captured -> redirected to :15001 (outbound listener)" etc. */
void mi_explain_outcome(const struct mi_explain *ex,
			const struct mi_config *cfg, char *buf, size_t len);

/*
 * mi_explain_print - the rules met (all with @verbose, else only those
 * that matched), one a line, then the "outcome: ..." line.
 */
void mi_explain_print(const struct mi_plan *plan, const struct mi_config *cfg,
		      const struct mi_explain *ex, bool verbose, FILE *out);

/*
 * mi_explain_run - the `explain` command: @cfg completed by mi_detect(),
 * plan, walk, print to @out; with --kernel also probe and compare
 * (err->exit MI_EXIT_DRIFT when the kernel disagrees).
 */
int mi_explain_run(const struct mi_cli *cli, const struct mi_config *cfg,
		   FILE *out, struct mi_err *err);

#endif
