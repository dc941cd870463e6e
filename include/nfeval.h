/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_NFEVAL_H
#define MI_NFEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"

/*
 * Evaluate the rules of another table (libnftnl objects, ruleset.h) for
 * one packet, as the kernel would, over a model of its registers: the
 * common expressions (meta, payload of the addresses, protocol and
 * ports, cmp, bitwise, ct state/mark, immediate, counter, jumps) are
 * evaluated; a rule with anything else (a set lookup, a limit...) stops
 * the walk as "cannot evaluate", never guessed.
 */
struct mi_nfpkt {
	int family;    /* AF_INET or AF_INET6 */
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport; /* sport 0: unknown (ephemeral) */
	const char *iif, *oif; /* "" when none */
	bool has_sk;
	uint32_t uid, gid, mark, ctmark, ctstate;
};

enum mi_nfres {
	MI_NF_ACCEPT,  /* accepted, or the policy accept: goes on */
	MI_NF_DROP,    /* drop, reject, or the policy drop */
	MI_NF_NAT,     /* a NAT or TPROXY statement took it */
	MI_NF_UNKNOWN, /* a rule that cannot be evaluated */
};

struct mi_nfwalk {
	enum mi_nfres res;
	bool policy;	/* decided by the chain's policy */
	char chain[64]; /* where: the chain of the deciding rule */
	size_t idx;	/* its 1-based position (0: the policy) */
	char why[128];	/* MI_NF_UNKNOWN: what could not be evaluated */
};

/* Walk base chain @base (and what it jumps to) for the packet @p. */
void mi_nf_walk(const struct mi_ruleset *rs, const struct mi_rs_chain *base,
		const struct mi_nfpkt *p, struct mi_nfwalk *out);

#endif
