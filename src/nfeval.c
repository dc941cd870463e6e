/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfeval: the rules of another table evaluated for one packet, over a
 * model of nf_tables' registers (16 words of 4 bytes; NFT_REG_1..4 are
 * 4 words each, NFT_REG32_00..15 one word each).
 */
#include "nfeval.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "util.h"

#define MAX_DEPTH 16

struct regs {
	uint8_t d[64];
};

enum step {
	S_NEXT,
	S_BREAK,
	S_VERDICT,
	S_UNKNOWN
};

struct ev {
	const struct mi_nfpkt *p;
	struct regs r;
	int verdict;
	const char *chain; /* jump/goto target */
	char why[128];
};

/* Byte offset of register @reg in the model, or -1. */
static int reg_off(uint32_t reg, uint32_t len)
{
	int off;

	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		off = (int)(reg - NFT_REG_1) * 16;
	else if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		off = (int)(reg - NFT_REG32_00) * 4;
	else
		return -1;
	return off + (int)len <= 64 ? off : -1;
}

static enum step store(struct ev *e, uint32_t reg, const void *v, uint32_t len)
{
	int off = reg_off(reg, len);

	if (off < 0)
		return S_UNKNOWN;
	memcpy(e->r.d + off, v, len);
	return S_NEXT;
}

static enum step unknown(struct ev *e, const char *what)
{
	snprintf(e->why, sizeof(e->why), "%s", what);
	return S_UNKNOWN;
}

static enum step store_u32(struct ev *e, uint32_t reg, uint32_t v)
{
	return store(e, reg, &v, 4);
}

static enum step store_name(struct ev *e, uint32_t reg, const char *name)
{
	char b[IFNAMSIZ] = { 0 };

	if (!*name)
		return S_BREAK; /* no such interface: the match fails */
	snprintf(b, sizeof(b), "%s", name);
	return store(e, reg, b, IFNAMSIZ);
}

static enum step x_meta(struct ev *e, const struct nftnl_expr *x)
{
	const struct mi_nfpkt *p = e->p;
	uint32_t key = nftnl_expr_get_u32(x, NFTNL_EXPR_META_KEY);
	uint32_t dreg = nftnl_expr_get_u32(x, NFTNL_EXPR_META_DREG);
	uint8_t b;

	if (!nftnl_expr_is_set(x, NFTNL_EXPR_META_DREG))
		return unknown(e, "a meta statement");
	switch (key) {
	case NFT_META_L4PROTO:
		return store(e, dreg, &p->proto, 1);
	case NFT_META_NFPROTO:
		b = p->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
		return store(e, dreg, &b, 1);
	case NFT_META_SKUID:
		return p->has_sk ? store_u32(e, dreg, p->uid) : S_BREAK;
	case NFT_META_SKGID:
		return p->has_sk ? store_u32(e, dreg, p->gid) : S_BREAK;
	case NFT_META_MARK:
		return store_u32(e, dreg, p->mark);
	case NFT_META_IIFNAME:
		return store_name(e, dreg, p->iif);
	case NFT_META_OIFNAME:
		return store_name(e, dreg, p->oif);
	case NFT_META_IIF:
		return *p->iif ? store_u32(e, dreg, if_nametoindex(p->iif))
			       : S_BREAK;
	case NFT_META_OIF:
		return *p->oif ? store_u32(e, dreg, if_nametoindex(p->oif))
			       : S_BREAK;
	default:
		return unknown(e, "a meta key");
	}
}

static enum step x_payload(struct ev *e, const struct nftnl_expr *x)
{
	const struct mi_nfpkt *p = e->p;
	uint32_t base = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_LEN);
	uint32_t dreg = nftnl_expr_get_u32(x, NFTNL_EXPR_PAYLOAD_DREG);
	uint8_t h[40] = { 0 };
	uint32_t hlen;

	if (!nftnl_expr_is_set(x, NFTNL_EXPR_PAYLOAD_DREG))
		return unknown(e, "a payload statement");
	if (base == NFT_PAYLOAD_NETWORK_HEADER && p->family == AF_INET) {
		h[9] = p->proto;
		memcpy(h + 12, p->saddr, 4);
		memcpy(h + 16, p->daddr, 4);
		hlen = 20;
		if (off != 9 && !(off >= 12 && off + len <= 20))
			return unknown(e, "an IPv4 header field");
	} else if (base == NFT_PAYLOAD_NETWORK_HEADER) {
		h[6] = p->proto;
		memcpy(h + 8, p->saddr, 16);
		memcpy(h + 24, p->daddr, 16);
		hlen = 40;
		if (off != 6 && !(off >= 8 && off + len <= 40))
			return unknown(e, "an IPv6 header field");
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER) {
		if (off < 2 && !p->sport)
			return unknown(e,
				       "the source port (the kernel's choice)");
		h[0] = (uint8_t)(p->sport >> 8);
		h[1] = (uint8_t)p->sport;
		h[2] = (uint8_t)(p->dport >> 8);
		h[3] = (uint8_t)p->dport;
		hlen = 4;
		if (off + len > 4)
			return unknown(e, "a transport header field");
	} else {
		return unknown(e, "a link-layer header field");
	}
	if (off + len > hlen)
		return unknown(e, "a header field");
	return store(e, dreg, h + off, len);
}

static enum step x_ct(struct ev *e, const struct nftnl_expr *x)
{
	uint32_t key = nftnl_expr_get_u32(x, NFTNL_EXPR_CT_KEY);
	uint32_t dreg = nftnl_expr_get_u32(x, NFTNL_EXPR_CT_DREG);

	if (!nftnl_expr_is_set(x, NFTNL_EXPR_CT_DREG))
		return unknown(e, "a ct statement");
	if (key == NFT_CT_STATE)
		return store_u32(e, dreg, e->p->ctstate);
	if (key == NFT_CT_MARK)
		return store_u32(e, dreg, e->p->ctmark);
	return unknown(e, "a ct key");
}

static enum step x_cmp(struct ev *e, const struct nftnl_expr *x)
{
	uint32_t sreg = nftnl_expr_get_u32(x, NFTNL_EXPR_CMP_SREG);
	uint32_t op = nftnl_expr_get_u32(x, NFTNL_EXPR_CMP_OP), len = 0;
	const void *d = nftnl_expr_get(x, NFTNL_EXPR_CMP_DATA, &len);
	int off = reg_off(sreg, len), c;
	bool hit;

	if (!d || off < 0)
		return unknown(e, "a comparison");
	c = memcmp(e->r.d + off, d, len);
	switch (op) {
	case NFT_CMP_EQ:
		hit = c == 0;
		break;
	case NFT_CMP_NEQ:
		hit = c != 0;
		break;
	case NFT_CMP_LT:
		hit = c < 0;
		break;
	case NFT_CMP_LTE:
		hit = c <= 0;
		break;
	case NFT_CMP_GT:
		hit = c > 0;
		break;
	case NFT_CMP_GTE:
		hit = c >= 0;
		break;
	default:
		return unknown(e, "a comparison");
	}
	return hit ? S_NEXT : S_BREAK;
}

static enum step x_bitwise(struct ev *e, const struct nftnl_expr *x)
{
	uint32_t sreg = nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_SREG);
	uint32_t dreg = nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_DREG);
	uint32_t len = nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_LEN);
	uint32_t ml = 0, xl = 0;
	const uint8_t *mask = nftnl_expr_get(x, NFTNL_EXPR_BITWISE_MASK, &ml);
	const uint8_t * xor = nftnl_expr_get(x, NFTNL_EXPR_BITWISE_XOR, &xl);
	int so = reg_off(sreg, len), d = reg_off(dreg, len);
	uint8_t v[64];

	if ((nftnl_expr_is_set(x, NFTNL_EXPR_BITWISE_OP) &&
	     nftnl_expr_get_u32(x, NFTNL_EXPR_BITWISE_OP) !=
		     NFT_BITWISE_BOOL) ||
	    !mask || ml < len || so < 0 || d < 0 || len > sizeof(v))
		return unknown(e, "a bitwise operation");
	for (uint32_t i = 0; i < len; i++)
		v[i] = (uint8_t)((e->r.d[so + (int)i] & mask[i]) ^
				 (xor&&i < xl ? xor[i] : 0));
	memcpy(e->r.d + d, v, len);
	return S_NEXT;
}

static enum step x_immediate(struct ev *e, const struct nftnl_expr *x)
{
	uint32_t dreg = nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_DREG), len = 0;
	const void *d;

	if (dreg == NFT_REG_VERDICT) {
		e->verdict = (int)nftnl_expr_get_u32(x, NFTNL_EXPR_IMM_VERDICT);
		e->chain = nftnl_expr_is_set(x, NFTNL_EXPR_IMM_CHAIN)
				   ? nftnl_expr_get_str(x, NFTNL_EXPR_IMM_CHAIN)
				   : NULL;
		return S_VERDICT;
	}
	d = nftnl_expr_get(x, NFTNL_EXPR_IMM_DATA, &len);
	return d ? store(e, dreg, d, len) : unknown(e, "an immediate");
}

static enum step x_terminal(struct ev *e, const char *name)
{
	static const char *const nat[] = { "nat", "masq", "redir", "tproxy" };

	if (!strcmp(name, "reject")) {
		e->verdict = NF_DROP;
		return S_VERDICT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(nat); i++) {
		if (!strcmp(name, nat[i])) {
			e->verdict = NF_STOLEN; /* taken: not judged further */
			return S_VERDICT;
		}
	}
	return unknown(e, "");
}

static enum step eval_expr(struct ev *e, const struct nftnl_expr *x)
{
	const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);
	enum step s;

	if (!strcmp(name, "meta"))
		return x_meta(e, x);
	if (!strcmp(name, "payload"))
		return x_payload(e, x);
	if (!strcmp(name, "ct"))
		return x_ct(e, x);
	if (!strcmp(name, "cmp"))
		return x_cmp(e, x);
	if (!strcmp(name, "bitwise"))
		return x_bitwise(e, x);
	if (!strcmp(name, "immediate"))
		return x_immediate(e, x);
	if (!strcmp(name, "counter") || !strcmp(name, "log"))
		return S_NEXT;
	s = x_terminal(e, name);
	if (s == S_UNKNOWN)
		snprintf(e->why, sizeof(e->why), "its %s expression", name);
	return s;
}

/* One rule: S_NEXT (no match or no verdict), S_VERDICT, S_UNKNOWN. */
static enum step eval_rule(struct ev *e, const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = mi_xnn(nftnl_expr_iter_create(r));
	const struct nftnl_expr *x;
	enum step s = S_NEXT;

	e->verdict = NFT_CONTINUE;
	while (s == S_NEXT && (x = nftnl_expr_iter_next(it)))
		s = eval_expr(e, x);
	nftnl_expr_iter_destroy(it);
	return s == S_BREAK ? S_NEXT : s;
}

/* Where the walk is: the chain, the next rule, the jumps. */
struct walker {
	const struct mi_ruleset *rs;
	const struct mi_rs_chain *base;
	const char *chain;
	size_t i, depth;
	struct {
		const char *chain;
		size_t next; /* index into rs->rules to resume at */
	} st[MAX_DEPTH];
};

static void decided(struct mi_nfwalk *w, enum mi_nfres res,
		    const struct mi_rs_rule *r, const char *why)
{
	w->res = res;
	snprintf(w->chain, sizeof(w->chain), "%s", r->chain);
	w->idx = r->idx;
	snprintf(w->why, sizeof(w->why), "%s", why ? why : "");
}

/* The next rule of the current chain at or after k->i, or NULL. */
static const struct mi_rs_rule *next_rule(struct walker *k)
{
	for (; k->i < k->rs->nrules; k->i++) {
		const struct mi_rs_rule *r = &k->rs->rules[k->i];

		if (r->family == k->base->family &&
		    !strcmp(r->table, k->base->table) &&
		    !strcmp(r->chain, k->chain))
			return r;
	}
	return NULL;
}

/* The chain's end: back to the caller (true), or the base chain's policy. */
static bool chain_end(struct walker *k, struct mi_nfwalk *w)
{
	if (k->depth) {
		k->depth--;
		k->chain = k->st[k->depth].chain;
		k->i = k->st[k->depth].next;
		return true;
	}
	w->res = k->base->policy == NF_DROP ? MI_NF_DROP : MI_NF_ACCEPT;
	w->policy = true;
	snprintf(w->chain, sizeof(w->chain), "%s", k->base->name);
	return false;
}

/* Rule @r's verdict @e: true to go on walking. */
static bool apply_verdict(struct walker *k, const struct ev *e,
			  const struct mi_rs_rule *r, struct mi_nfwalk *w)
{
	switch (e->verdict) {
	case NF_ACCEPT:
		decided(w, MI_NF_ACCEPT, r, NULL);
		return false;
	case NF_DROP:
		decided(w, MI_NF_DROP, r, NULL);
		return false;
	case NF_STOLEN:
		decided(w, MI_NF_NAT, r, NULL);
		return false;
	case NFT_JUMP:
	case NFT_GOTO:
		if (!e->chain || k->depth == MAX_DEPTH) {
			decided(w, MI_NF_UNKNOWN, r, "a deep jump");
			return false;
		}
		if (e->verdict == NFT_JUMP) {
			k->st[k->depth].chain = k->chain;
			k->st[k->depth].next = k->i + 1;
			k->depth++;
		}
		k->chain = e->chain;
		k->i = 0;
		return true;
	case NFT_RETURN:
		k->i = k->rs->nrules; /* the chain's end */
		return true;
	default:
		k->i++;
		return true;
	}
}

void mi_nf_walk(const struct mi_ruleset *rs, const struct mi_rs_chain *base,
		const struct mi_nfpkt *p, struct mi_nfwalk *w)
{
	struct walker k = { .rs = rs, .base = base, .chain = base->name };
	struct ev e = { .p = p };
	bool more = true;

	memset(w, 0, sizeof(*w));
	while (more) {
		const struct mi_rs_rule *r = next_rule(&k);

		if (!r) {
			more = chain_end(&k, w);
			continue;
		}
		switch (eval_rule(&e, r->r)) {
		case S_UNKNOWN:
			decided(w, MI_NF_UNKNOWN, r, e.why);
			return;
		case S_NEXT:
			k.i++;
			break;
		default:
			more = apply_verdict(&k, &e, r, w);
			break;
		}
	}
}
