/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_EXPLAIN_H
#define MI_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "flow.h"
#include "plan.h"

/*
 * `meshinit explain`: which path one packet takes through the rule plan,
 * computed by walking the plan as netfilter would (pure), and optionally
 * confirmed by the kernel's nftrace (--kernel).
 */

enum mi_outcome {
	MI_OUT_PASS,	 /* not captured */
	MI_OUT_REDIRECT, /* nat redirect to :port */
	MI_OUT_TPROXY,	 /* tproxy to :port with mark */
	MI_OUT_DROP,
	/*
	 * Not NEW: nat chains see only a connection's first packet, so the
	 * packet keeps the NAT decision taken then (ex->first: the decision
	 * these rules take for that first packet).
	 */
	MI_OUT_FOLLOW,
};

/* Where a walk ended: the outcome and the rule that decided it. */
struct mi_decision {
	enum mi_outcome outcome;
	uint16_t port; /* REDIRECT, TPROXY */
	uint32_t mark; /* TPROXY: the mark set with it */
	bool decided;  /* a rule decided (else fell off the chains) */
	enum mi_chain_id chain;
	size_t idx;
	char why[256];
};

/* One rule the packet met. */
struct mi_step {
	enum mi_chain_id chain;
	size_t idx; /* 0-based within the chain */
	bool matched;
	bool looped;   /* on lo's prerouting after leaving (outbound) */
	bool unknown;  /* a read-back rule explain cannot evaluate */
	char why[256]; /* match details: "uid 1000 not in proxy-uids" */
};

struct mi_explain {
	struct mi_step *steps;
	size_t n, cap;
	struct mi_decision d;
	bool fell_off; /* not decided: the last chain run to its end */
	enum mi_chain_id end_chain;
	bool skipped_nat;	  /* not NEW: the nat chains were not walked */
	bool invalid;		  /* ct state invalid: no NAT */
	struct mi_decision first; /* not NEW: the NEW packet's decision */
	char reason[400];	  /* why an undecided packet is not captured */
	char notes[6][240];
	size_t nnotes;
};

/*
 * mi_explain_walk - walk @plan for the packet @f (completed) as netfilter
 * would: the base chains of the flow's hook in priority order, jumps,
 * returns, verdicts, mark/ct statements; an outbound packet to lo then
 * also meets the filter-type prerouting chains as it loops back (nat
 * ones are skipped: the connection is already NATed). Packets that are
 * not NEW skip the nat chains (they see a connection's first packet
 * only): ex->first is then the decision for that first packet. @cfg
 * words the reasons (listener ports, DNS servers). Pure. Release @ex
 * with mi_explain_release().
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

struct mi_ruleset;

/* What the other tables do to the packet, as walked (nfeval.h). */
struct mi_others {
	size_t named;		/* base chains on the packet's hooks */
	bool dropped;		/* one of them drops it */
	bool unknown;		/* one could not be evaluated first */
	uint32_t family;	/* where: the dropping (or unknown) rule */
	char table[64], chain[64];
	size_t idx;		/* 0: the chain's policy */
};

/*
 * mi_explain_others - name the base chains of other tables (any family
 * of the packet's, any priority) on the hooks the packet @f meets, with
 * their priority relative to meshinit's chains, their policy and the
 * rules that can decide (drop, reject, accept, NAT...), and walk each
 * for the packet as it is there (after meshinit's NAT when they come
 * later, per @ex), in hook and priority order: what it does to the
 * packet, and the outcome with them. Pure over @rs.
 */
void mi_explain_others(const struct mi_ruleset *rs, const struct mi_flow *f,
		       const struct mi_explain *ex, struct mi_others *o,
		       FILE *out);

/*
 * mi_explain_run - the `explain` command: @cfg completed by mi_detect(),
 * plan, walk, print to @out, then what the namespace adds (other tables
 * on the hooks, whether anything listens where the packet goes); with
 * --kernel also probe and compare (err->exit MI_EXIT_DRIFT when the
 * kernel disagrees or the probe's connection is refused).
 */
int mi_explain_run(const struct mi_cli *cli, const struct mi_config *cfg,
		   FILE *out, struct mi_err *err);

#endif
