/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "readback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nftexpr.h"
#include "print.h"
#include "util.h"

/* ---- the register model ------------------------------------------------- */

enum src {
	SRC_NONE,
	SRC_META,    /* key: NFT_META_* */
	SRC_CT,	     /* key: NFT_CT_* */
	SRC_PAYLOAD, /* base, off, len */
	SRC_IMM,     /* data */
};

struct reg {
	enum src src;
	uint32_t key, base, off, len;
	bool hton; /* byteorder host -> network applied */
	bool masked;
	uint8_t data[16]; /* the mask, or the immediate value */
	uint32_t dlen;
};

/* NFT_REG_1..4 and NFT_REG32_00..15 */
#define NREGS 24

struct rb {
	struct mi_plan *plan;
	struct mi_rule *r;
	struct reg regs[NREGS];
	uint8_t nfproto, l4proto; /* what the rule has matched so far */
	bool counted;		  /* counter seen: matches are over */
	bool verdict;
};

static struct reg *reg_at(struct rb *b, const struct nftnl_expr *e,
			  uint16_t attr)
{
	uint32_t n;

	if (!nftnl_expr_is_set(e, attr))
		return NULL;
	n = nftnl_expr_get_u32(e, attr);
	return n < NREGS ? &b->regs[n] : NULL;
}

/* What a loaded register holds, as a plan key; -1 when no key fits. */
static int reg_key(const struct rb *b, const struct reg *g)
{
	switch (g->src) {
	case SRC_META:
		switch (g->key) {
		case NFT_META_IIFNAME:
			return MI_K_IIFNAME;
		case NFT_META_OIFNAME:
			return MI_K_OIFNAME;
		case NFT_META_L4PROTO:
			return MI_K_L4PROTO;
		case NFT_META_SKUID:
			return MI_K_SKUID;
		case NFT_META_SKGID:
			return MI_K_SKGID;
		case NFT_META_MARK:
			return MI_K_MARK;
		}
		return -1;
	case SRC_CT:
		return g->key == NFT_CT_MARK	? MI_K_CTMARK
		       : g->key == NFT_CT_STATE ? (int)MI_K_CTSTATE
						: -1;
	case SRC_PAYLOAD:
		if (g->base == NFT_PAYLOAD_NETWORK_HEADER &&
		    b->nfproto == NFPROTO_IPV4 && g->len <= 4)
			return g->off == 12   ? MI_K_IP_SADDR
			       : g->off == 16 ? (int)MI_K_IP_DADDR
					      : -1;
		if (g->base == NFT_PAYLOAD_NETWORK_HEADER &&
		    b->nfproto == NFPROTO_IPV6 && g->len <= 16)
			return g->off == 8    ? MI_K_IP6_SADDR
			       : g->off == 24 ? (int)MI_K_IP6_DADDR
					      : -1;
		if (g->base != NFT_PAYLOAD_TRANSPORT_HEADER || g->len != 2)
			return -1;
		if (b->l4proto == IPPROTO_TCP && g->off == 2)
			return MI_K_TCP_DPORT;
		if (b->l4proto == IPPROTO_UDP)
			return g->off == 2   ? MI_K_UDP_DPORT
			       : g->off == 0 ? (int)MI_K_UDP_SPORT
					     : -1;
		return -1;
	default:
		return -1;
	}
}

static struct mi_match *add_match(struct rb *b, int key, bool neg,
				  enum mi_val_kind val)
{
	struct mi_match *m;

	if (key < 0 || b->counted || b->r->nm >= MI_RULE_MAX_MATCH)
		return NULL;
	m = &b->r->m[b->r->nm++];
	memset(m, 0, sizeof(*m));
	m->key = key;
	m->neg = neg;
	m->val = val;
	return m;
}

static int add_stmt(struct rb *b, enum mi_stmt_kind k, uint32_t arg)
{
	if (b->verdict || b->r->ns >= MI_RULE_MAX_STMT)
		return -1;
	b->counted = true; /* no match may follow a statement */
	b->r->s[b->r->ns].kind = k;
	b->r->s[b->r->ns].arg = arg;
	b->r->ns++;
	return 0;
}

/* ---- one handler per expression ----------------------------------------- */

static int load(struct rb *b, const struct nftnl_expr *e, uint16_t dreg_attr,
		enum src src, uint32_t key)
{
	struct reg *g = reg_at(b, e, dreg_attr);

	if (!g)
		return -1;
	memset(g, 0, sizeof(*g));
	g->src = src;
	g->key = key;
	return 0;
}

static int x_meta(struct rb *b, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	const struct reg *g;

	if (nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
		return load(b, e, NFTNL_EXPR_META_DREG, SRC_META, key);
	g = reg_at(b, e, NFTNL_EXPR_META_SREG);
	if (!g || key != NFT_META_MARK)
		return -1;
	if (g->src == SRC_IMM && g->dlen == 4) {
		uint32_t v;

		memcpy(&v, g->data, 4);
		return add_stmt(b, MI_S_MARK_SET, v);
	}
	if (g->src == SRC_CT && g->key == NFT_CT_MARK)
		return add_stmt(b, MI_S_MARK_FROM_CTMARK, 0);
	return -1;
}

static int x_ct(struct rb *b, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	const struct reg *g;

	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG))
		return load(b, e, NFTNL_EXPR_CT_DREG, SRC_CT, key);
	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR))
		return -1;
	g = reg_at(b, e, NFTNL_EXPR_CT_SREG);
	if (!g)
		return -1;
	if (key == NFT_CT_MARK && g->src == SRC_META && g->key == NFT_META_MARK)
		return add_stmt(b, MI_S_CTMARK_FROM_MARK, 0);
	if (key == NFT_CT_ZONE && g->src == SRC_IMM && g->dlen == 2) {
		uint16_t z;

		memcpy(&z, g->data, 2);
		return add_stmt(b, MI_S_CTZONE_SET, z);
	}
	return -1;
}

static int x_payload(struct rb *b, const struct nftnl_expr *e)
{
	struct reg *g;

	if (nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_SREG))
		return -1; /* a payload write */
	if (load(b, e, NFTNL_EXPR_PAYLOAD_DREG, SRC_PAYLOAD, 0) < 0)
		return -1;
	g = reg_at(b, e, NFTNL_EXPR_PAYLOAD_DREG);
	g->base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	g->off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	g->len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	return 0;
}

static int x_bitwise(struct rb *b, const struct nftnl_expr *e)
{
	struct reg *s = reg_at(b, e, NFTNL_EXPR_BITWISE_SREG);
	struct reg *d = reg_at(b, e, NFTNL_EXPR_BITWISE_DREG);
	uint32_t mlen = 0, xlen = 0;
	const uint8_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);
	const uint8_t * xor = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xlen);
	struct reg tmp;

	if (!s || !d || !mask || mlen > 16 || s->masked || s->src == SRC_IMM)
		return -1;
	for (uint32_t i = 0; xor &&i < xlen; i++)
		if (xor[i])
			return -1;
	tmp = *s;
	tmp.masked = true;
	memcpy(tmp.data, mask, mlen);
	tmp.dlen = mlen;
	*d = tmp;
	return 0;
}

static int x_byteorder(struct rb *b, const struct nftnl_expr *e)
{
	struct reg *s = reg_at(b, e, NFTNL_EXPR_BYTEORDER_SREG);
	struct reg *d = reg_at(b, e, NFTNL_EXPR_BYTEORDER_DREG);
	struct reg tmp;

	if (!s || !d ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_OP) !=
		    NFT_BYTEORDER_HTON ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_LEN) != 4 || s->hton)
		return -1;
	tmp = *s;
	tmp.hton = true;
	*d = tmp;
	return 0;
}

/* The prefix length of mask @m, or -1 when it is not a prefix. */
static int mask_plen(const uint8_t *m, uint32_t len)
{
	int plen = 0;
	bool zero = false;

	for (uint32_t i = 0; i < len * 8; i++) {
		bool bit = m[i / 8] & (0x80 >> (i % 8));

		if (bit && zero)
			return -1;
		if (bit)
			plen++;
		else
			zero = true;
	}
	return plen;
}

static int cmp_cidr(struct rb *b, const struct reg *g, int key, bool neg,
		    const uint8_t *d, uint32_t len)
{
	bool v4 = key == MI_K_IP_SADDR || key == MI_K_IP_DADDR;
	uint32_t full = v4 ? 4 : 16;
	struct mi_match *m;
	int plen;

	if (g->masked) {
		plen = mask_plen(g->data, g->dlen);
		if (plen < 0 || len != full || g->len != full || plen % 8 == 0)
			return -1;
	} else {
		if (len != g->len || len == 0)
			return -1;
		plen = (int)len * 8;
	}
	m = add_match(b, key, neg, MI_V_CIDR);
	if (!m)
		return -1;
	m->cidr.family = v4 ? AF_INET : AF_INET6;
	m->cidr.plen = (uint8_t)plen;
	memcpy(m->cidr.addr, d, len);
	return 0;
}

static int x_cmp(struct rb *b, const struct nftnl_expr *e)
{
	const struct reg *g = reg_at(b, e, NFTNL_EXPR_CMP_SREG);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), len = 0, v32;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	bool neg = op == NFT_CMP_NEQ;
	struct mi_match *m;
	uint16_t v16;
	int key;

	if (!g || !d || (op != NFT_CMP_EQ && op != NFT_CMP_NEQ) || g->hton)
		return -1;
	/* the implicit protocol dependency of an address match */
	if (g->src == SRC_META && g->key == NFT_META_NFPROTO) {
		if (neg || len != 1 || g->masked)
			return -1;
		b->nfproto = d[0];
		return 0;
	}
	key = reg_key(b, g);
	switch (key) {
	case MI_K_L4PROTO:
		if (len != 1 || g->masked ||
		    !(m = add_match(b, key, neg, MI_V_NUM)))
			return -1;
		m->num = d[0];
		if (!neg)
			b->l4proto = d[0];
		return 0;
	case MI_K_IIFNAME:
	case MI_K_OIFNAME:
		if (len > MI_IFNAMSIZ || g->masked ||
		    !(m = add_match(b, key, neg, MI_V_IFNAME)))
			return -1;
		memcpy(m->ifname, d, len);
		m->ifname[MI_IFNAMSIZ - 1] = '\0';
		return 0;
	case MI_K_SKUID:
	case MI_K_SKGID:
	case MI_K_MARK:
	case MI_K_CTMARK:
		if (len != 4 || g->masked ||
		    !(m = add_match(b, key, neg, MI_V_NUM)))
			return -1;
		memcpy(&m->num, d, 4);
		return 0;
	case MI_K_CTSTATE:
		/* ct state & MASK != 0 */
		memcpy(&v32, d, 4);
		if (!g->masked || len != 4 || op != NFT_CMP_NEQ || v32 ||
		    !(m = add_match(b, key, false, MI_V_NUM)))
			return -1;
		memcpy(&m->num, g->data, 4);
		return 0;
	case MI_K_IP_SADDR:
	case MI_K_IP_DADDR:
	case MI_K_IP6_SADDR:
	case MI_K_IP6_DADDR:
		return cmp_cidr(b, g, key, neg, d, len);
	case MI_K_TCP_DPORT:
	case MI_K_UDP_DPORT:
	case MI_K_UDP_SPORT:
		if (len != 2 || g->masked ||
		    !(m = add_match(b, key, neg, MI_V_NUM)))
			return -1;
		memcpy(&v16, d, 2);
		m->num = ntohs(v16);
		return 0;
	}
	return -1;
}

static int set_by_name(const char *name)
{
	for (int i = 0; name && i < MI_SET__COUNT; i++)
		if (!strcmp(mi_set_info(i)->name, name))
			return i;
	return -1;
}

static bool host_order(enum mi_set_type t)
{
	return t == MI_ST_UID || t == MI_ST_GID;
}

static int x_lookup(struct rb *b, const struct nftnl_expr *e)
{
	const struct reg *g = reg_at(b, e, NFTNL_EXPR_LOOKUP_SREG);
	int id = set_by_name(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	bool neg = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
		   (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) &
		    NFT_LOOKUP_F_INV);
	const struct mi_set_info *si;
	struct mi_match *m;
	int key;

	if (!g || id < 0 || nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) ||
	    g->masked)
		return -1;
	si = mi_set_info(id);
	if (si->type == MI_ST_UID_PORT) {
		const struct reg *port = &b->regs[NFT_REG32_01];
		int pk = reg_key(b, port);

		if (g != &b->regs[NFT_REG_1] || g->src != SRC_META ||
		    g->key != NFT_META_SKUID || !g->hton ||
		    (pk != MI_K_TCP_DPORT && pk != MI_K_UDP_DPORT))
			return -1;
		key = pk == MI_K_TCP_DPORT ? MI_K_SKUID_TCP_DPORT
					   : MI_K_SKUID_UDP_DPORT;
	} else {
		key = reg_key(b, g);
		/* an interval set of uids or gids holds big-endian keys */
		if (g->hton != (si->interval && host_order(si->type)))
			return -1;
	}
	m = add_match(b, key, neg, MI_V_SET);
	if (!m)
		return -1;
	m->set = id;
	b->plan->set_used[id] = true;
	return 0;
}

static int chain_by_name(const char *name)
{
	for (int i = 0; name && i < MI_C__COUNT; i++)
		if (!strcmp(mi_chain_info(i)->name, name))
			return i;
	return -1;
}

static int x_immediate(struct rb *b, const struct nftnl_expr *e)
{
	struct reg *g;
	uint32_t len = 0;
	const void *d;
	int v, target;

	if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT) {
		g = reg_at(b, e, NFTNL_EXPR_IMM_DREG);
		d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
		if (!g || !d || len > 16)
			return -1;
		memset(g, 0, sizeof(*g));
		g->src = SRC_IMM;
		memcpy(g->data, d, len);
		g->dlen = len;
		return 0;
	}
	if (b->verdict)
		return -1;
	b->verdict = true;
	b->counted = true;
	v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	switch (v) {
	case NF_ACCEPT:
		b->r->verdict = MI_VERDICT_ACCEPT;
		return 0;
	case NF_DROP:
		b->r->verdict = MI_VERDICT_DROP;
		return 0;
	case NFT_RETURN:
		b->r->verdict = MI_VERDICT_RETURN;
		return 0;
	case NFT_JUMP:
		target = chain_by_name(
			nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
		if (target < 0)
			return -1;
		b->r->verdict = MI_VERDICT_JUMP;
		b->r->target = target;
		return 0;
	}
	return -1;
}

static int x_counter(struct rb *b, const struct nftnl_expr *e)
{
	if (b->counted)
		return -1;
	b->counted = true;
	b->r->no_counter = false;
	b->r->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	b->r->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	return 0;
}

static int imm_port(const struct reg *g, uint32_t *port)
{
	uint16_t p;

	if (!g || g->src != SRC_IMM || g->dlen != 2)
		return -1;
	memcpy(&p, g->data, 2);
	*port = ntohs(p);
	return 0;
}

static int x_redir(struct rb *b, const struct nftnl_expr *e)
{
	const struct reg *g = reg_at(b, e, NFTNL_EXPR_REDIR_REG_PROTO_MIN);
	const struct reg *hi = reg_at(b, e, NFTNL_EXPR_REDIR_REG_PROTO_MAX);
	uint32_t flags = nftnl_expr_is_set(e, NFTNL_EXPR_REDIR_FLAGS)
				 ? nftnl_expr_get_u32(e, NFTNL_EXPR_REDIR_FLAGS)
				 : 0;
	uint32_t port;

	if ((hi && hi != g) || (flags & ~NF_NAT_RANGE_PROTO_SPECIFIED) ||
	    imm_port(g, &port) < 0)
		return -1;
	return add_stmt(b, MI_S_REDIRECT, port);
}

static int x_tproxy(struct rb *b, const struct nftnl_expr *e)
{
	uint32_t fam = nftnl_expr_get_u32(e, NFTNL_EXPR_TPROXY_FAMILY), port;

	if (nftnl_expr_is_set(e, NFTNL_EXPR_TPROXY_REG_ADDR) ||
	    (fam != NFPROTO_IPV4 && fam != NFPROTO_IPV6) ||
	    imm_port(reg_at(b, e, NFTNL_EXPR_TPROXY_REG_PORT), &port) < 0)
		return -1;
	return add_stmt(b, fam == NFPROTO_IPV4 ? MI_S_TPROXY4 : MI_S_TPROXY6,
			port);
}

static const struct {
	const char *name;
	int (*fn)(struct rb *b, const struct nftnl_expr *e);
} handlers[] = {
	{ "meta", x_meta },	      { "ct", x_ct },
	{ "payload", x_payload },     { "bitwise", x_bitwise },
	{ "byteorder", x_byteorder }, { "cmp", x_cmp },
	{ "lookup", x_lookup },	      { "immediate", x_immediate },
	{ "counter", x_counter },     { "redir", x_redir },
	{ "tproxy", x_tproxy },
};

static int dispatch(struct rb *b, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	for (size_t i = 0; name && i < ARRAY_SIZE(handlers); i++)
		if (!strcmp(handlers[i].name, name))
			return handlers[i].fn(b, e);
	return -1; /* an expression meshinit never emits */
}

/* libnftnl's listing of every expression: "[ meta load ... ] [ cmp ... ]" */
static char *raw_text(const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = mi_xnn(nftnl_expr_iter_create(r));
	char *buf = NULL, tmp[512];
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));
	struct nftnl_expr *e;
	bool first = true;

	while ((e = nftnl_expr_iter_next(it))) {
		if (nftnl_expr_snprintf(tmp, sizeof(tmp), e,
					NFTNL_OUTPUT_DEFAULT, 0) < 0)
			tmp[0] = '\0';
		fprintf(f, "%s[ %s %s]", first ? "" : " ",
			nftnl_expr_get_str(e, NFTNL_EXPR_NAME), tmp);
		first = false;
	}
	nftnl_expr_iter_destroy(it);
	fclose(f);
	return buf;
}

/* Read @nr into @r; false when meshinit cannot express it. */
static bool read_rule(struct mi_plan *plan, const struct nftnl_rule *nr,
		      struct mi_rule *r)
{
	struct rb b = { .plan = plan, .r = r };
	struct nftnl_expr_iter *it = mi_xnn(nftnl_expr_iter_create(nr));
	struct nftnl_expr *e;
	bool ok = true;

	memset(r, 0, sizeof(*r));
	r->no_counter = true;
	while (ok && (e = nftnl_expr_iter_next(it)))
		ok = dispatch(&b, e) == 0;
	nftnl_expr_iter_destroy(it);
	return ok;
}

static void rule_into(struct mi_plan *plan, const struct nftnl_rule *nr,
		      struct mi_rules *rs)
{
	struct mi_rule *r;
	char comment[256];
	bool used[MI_SET__COUNT];

	memcpy(used, plan->set_used, sizeof(used));
	mi_grow((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	if (!read_rule(plan, nr, r)) {
		char *raw = raw_text(nr);
		uint64_t pk = r->packets, by = r->bytes;

		memset(r, 0, sizeof(*r));
		r->raw = mi_plan_strdup(plan, raw);
		r->packets = pk;
		r->bytes = by;
		free(raw);
		/* sets a rule we cannot read refers to stay as they were */
		memcpy(plan->set_used, used, sizeof(used));
	}
	r->handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
	mi_snap_rule_comment(nr, comment, sizeof(comment));
	r->why = *comment ? mi_plan_strdup(plan, comment) : NULL;
}

void mi_readback_rule_text(const struct nftnl_rule *nr, char *buf, size_t len)
{
	struct mi_plan plan;
	struct mi_rule r;
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	memset(&plan, 0, sizeof(plan));
	f = mi_xnn(open_memstream(&text, &n));
	if (read_rule(&plan, nr, &r)) {
		mi_print_rule_ex(&r, MI_PRINT_BARE, f);
		fclose(f);
	} else {
		fclose(f);
		free(text);
		text = raw_text(nr);
	}
	snprintf(buf, len, "%s", text);
	free(text);
	mi_plan_release(&plan);
}

size_t mi_readback_nraw(const struct mi_plan *plan)
{
	size_t n = 0;

	for (int c = 0; c < MI_C__COUNT; c++)
		for (size_t i = 0; i < plan->chains[c].n; i++)
			n += plan->chains[c].v[i].raw != NULL;
	for (size_t x = 0; x < plan->nxchains; x++)
		for (size_t i = 0; i < plan->xchains[x].rules.n; i++)
			n += plan->xchains[x].rules.v[i].raw != NULL;
	return n;
}

/* ---- chains ------------------------------------------------------------- */

static const char *hook_name(uint32_t h)
{
	static const char *const names[] = { "prerouting", "input", "forward",
					     "output", "postrouting" };

	return h < ARRAY_SIZE(names) ? names[h] : "?";
}

/* The catalogue chain @c is, or -1 (unknown, or not as meshinit makes it). */
static int chain_id(const struct nftnl_chain *c, char *base, size_t blen)
{
	int id = chain_by_name(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	bool is_base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	const struct mi_chain_info *ci;

	base[0] = '\0';
	if (is_base)
		snprintf(base, blen, "type %s hook %s priority %d%s",
			 nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE)
				 ? nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE)
				 : "?",
			 hook_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)),
			 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
			 nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
					 nftnl_chain_get_u32(
						 c, NFTNL_CHAIN_POLICY) ==
						 NF_DROP
				 ? "; policy drop"
				 : "");
	if (id < 0)
		return -1;
	ci = mi_chain_info(id);
	if (!ci->type)
		return is_base ? -1 : id;
	if (!is_base ||
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), ci->type) ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) != (uint32_t)ci->hook ||
	    nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) != ci->prio ||
	    strstr(base, "policy drop"))
		return -1;
	return id;
}

static void read_chains(const struct mi_snap *s, struct mi_plan *plan)
{
	for (size_t i = 0; i < s->nchains; i++) {
		const char *name =
			nftnl_chain_get_str(s->chains[i], NFTNL_CHAIN_NAME);
		char base[128];
		int id = chain_id(s->chains[i], base, sizeof(base));
		struct mi_rules *rs;

		if (id >= 0) {
			rs = &plan->chains[id];
		} else {
			struct mi_xchain *x;

			plan->xchains = mi_xrealloc(
				plan->xchains,
				(plan->nxchains + 1) * sizeof(*plan->xchains));
			x = &plan->xchains[plan->nxchains++];
			memset(x, 0, sizeof(*x));
			x->name = mi_plan_strdup(plan, name);
			x->base = *base ? mi_plan_strdup(plan, base) : NULL;
			rs = &x->rules;
		}
		for (size_t j = 0; j < s->nrules; j++)
			if (!strcmp(nftnl_rule_get_str(s->rules[j],
						       NFTNL_RULE_CHAIN),
				    name))
				rule_into(plan, s->rules[j], rs);
	}
}

/* ---- sets --------------------------------------------------------------- */

struct raw_elem {
	uint8_t key[16], end[16];
	bool is_end, has_end;
};

static int raw_cmp(const void *a, const void *b)
{
	const struct raw_elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, 16);

	return c ? c : (int)y->is_end - (int)x->is_end; /* an end sorts first */
}

static size_t collect(const struct nftnl_set *s, uint32_t klen,
		      struct raw_elem **out)
{
	struct nftnl_set_elems_iter *it =
		mi_xnn(nftnl_set_elems_iter_create(s));
	struct nftnl_set_elem *se;
	struct raw_elem *v = NULL;
	size_t n = 0, cap = 0;

	while ((se = nftnl_set_elems_iter_next(it))) {
		uint32_t l = 0, el = 0;
		const void *k = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &l);
		const void *ke =
			nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY_END, &el);
		uint32_t fl = nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS)
				      ? nftnl_set_elem_get_u32(
						se, NFTNL_SET_ELEM_FLAGS)
				      : 0;

		if (!k || l != klen)
			continue;
		mi_grow((void **)&v, &cap, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].key, k, l);
		if (ke && el == klen) {
			memcpy(v[n].end, ke, el);
			v[n].has_end = true;
		}
		v[n].is_end = fl & NFT_SET_ELEM_INTERVAL_END;
		n++;
	}
	nftnl_set_elems_iter_destroy(it);
	if (n)
		qsort(v, n, sizeof(*v), raw_cmp);
	*out = v;
	return n;
}

static uint32_t be32(const uint8_t *k)
{
	uint32_t v;

	memcpy(&v, k, 4);
	return ntohl(v);
}

static uint16_t be16(const uint8_t *k)
{
	uint16_t v;

	memcpy(&v, k, 2);
	return ntohs(v);
}

/* One element from its low and high keys (the emitter's elem_key, inverted). */
static void decode(enum mi_set_type t, bool interval, const uint8_t *lo,
		   const uint8_t *hi, struct mi_elem *e)
{
	uint32_t a, b;

	memset(e, 0, sizeof(*e));
	switch (t) {
	case MI_ST_IPV4:
	case MI_ST_IPV6:
		memcpy(e->addr[0], lo, 16);
		memcpy(e->addr[1], hi, 16);
		break;
	case MI_ST_PORT:
		e->r.lo = be16(lo);
		e->r.hi = be16(hi);
		break;
	case MI_ST_UID:
	case MI_ST_GID:
		if (interval) {
			e->r.lo = be32(lo);
			e->r.hi = be32(hi);
		} else {
			memcpy(&a, lo, 4);
			memcpy(&b, hi, 4);
			e->r.lo = a;
			e->r.hi = b;
		}
		break;
	case MI_ST_IFNAME:
		memcpy(e->ifname, lo, MI_IFNAMSIZ);
		e->ifname[MI_IFNAMSIZ - 1] = '\0';
		break;
	case MI_ST_UID_PORT:
		e->up.uid.lo = be32(lo);
		e->up.port.lo = be16(lo + 4);
		e->up.uid.hi = be32(hi);
		e->up.port.hi = be16(hi + 4);
		break;
	}
}

/* key - 1 in place (big-endian) */
static void key_dec(uint8_t *k, uint32_t len)
{
	for (uint32_t i = len; i-- > 0;)
		if (k[i]-- != 0)
			break;
}

static uint32_t key_len(enum mi_set_type t)
{
	static const uint32_t len[] = {
		[MI_ST_IPV4] = 4,     [MI_ST_IPV6] = 16,
		[MI_ST_PORT] = 2,     [MI_ST_UID] = 4,
		[MI_ST_GID] = 4,      [MI_ST_IFNAME] = MI_IFNAMSIZ,
		[MI_ST_UID_PORT] = 8,
	};

	return len[t];
}

static uint32_t key_type(enum mi_set_type t)
{
	static const uint32_t ty[] = {
		[MI_ST_IPV4] = MI_DT_IPADDR,
		[MI_ST_IPV6] = MI_DT_IP6ADDR,
		[MI_ST_PORT] = MI_DT_INET_SERVICE,
		[MI_ST_UID] = MI_DT_UID,
		[MI_ST_GID] = MI_DT_GID,
		[MI_ST_IFNAME] = MI_DT_IFNAME,
		[MI_ST_UID_PORT] = MI_DT_UID_SERVICE,
	};

	return ty[t];
}

static int elem_cmp(const void *a, const void *b)
{
	const struct mi_elem *x = a, *y = b;

	if (x->r.lo != y->r.lo) /* ports, uids, gids: numeric order */
		return x->r.lo < y->r.lo ? -1 : 1;
	return memcmp(x, y, sizeof(*x));
}

static void read_elems(const struct nftnl_set *s, enum mi_set_id id,
		       struct mi_elems *out)
{
	const struct mi_set_info *si = mi_set_info(id);
	uint32_t len = key_len(si->type);
	struct raw_elem *v;
	size_t n = collect(s, len, &v);
	uint8_t hi[16];

	for (size_t i = 0; i < n; i++) {
		struct mi_elem *e;

		if (si->interval && si->type != MI_ST_UID_PORT && v[i].is_end)
			continue;
		mi_grow((void **)&out->v, &out->cap, out->n + 1,
			sizeof(*out->v));
		e = &out->v[out->n++];
		if (si->type == MI_ST_UID_PORT) {
			decode(si->type, true, v[i].key,
			       v[i].has_end ? v[i].end : v[i].key, e);
		} else if (!si->interval) {
			decode(si->type, false, v[i].key, v[i].key, e);
		} else {
			/* a start runs to one before the next end, or to the
			 * top */
			memset(hi, 0, sizeof(hi));
			memset(hi, 0xff, len);
			if (i + 1 < n && v[i + 1].is_end) {
				memcpy(hi, v[i + 1].key, len);
				key_dec(hi, len);
			}
			decode(si->type, true, v[i].key, hi, e);
		}
	}
	free(v);
	if (out->n && si->type != MI_ST_IPV4 && si->type != MI_ST_IPV6 &&
	    si->type != MI_ST_IFNAME)
		qsort(out->v, out->n, sizeof(*out->v), elem_cmp);
}

static bool set_is(const struct nftnl_set *s, enum mi_set_id id)
{
	const struct mi_set_info *si = mi_set_info(id);
	uint32_t flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS) &
			 (NFT_SET_INTERVAL | NFT_SET_MAP | NFT_SET_OBJECT);

	return nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) == key_type(si->type) &&
	       nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) == key_len(si->type) &&
	       flags == (si->interval ? NFT_SET_INTERVAL : 0);
}

static int elem_comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **c = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT)
		*c = nftnl_udata_get(attr);
	return 0;
}

/* The record's chunks, in key order, joined. */
static void read_record(const struct nftnl_set *s, struct mi_plan *plan)
{
	struct nftnl_set_elems_iter *it =
		mi_xnn(nftnl_set_elems_iter_create(s));
	struct nftnl_set_elem *se;
	char *chunks[256] = { 0 };
	size_t max = 0, total = 0;

	while ((se = nftnl_set_elems_iter_next(it))) {
		uint32_t kl = 0, ul = 0;
		const void *k = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &kl);
		const void *u =
			nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ul);
		const char *c = NULL;
		uint16_t idx;

		if (!k || kl != 2 || !u ||
		    nftnl_udata_parse(u, ul, elem_comment_cb, &c) < 0 || !c)
			continue;
		idx = be16(k);
		if (idx >= ARRAY_SIZE(chunks) || chunks[idx])
			continue;
		chunks[idx] = mi_xnn(strndup(c, ul));
		if (idx + 1u > max)
			max = idx + 1u;
	}
	nftnl_set_elems_iter_destroy(it);
	for (size_t i = 0; i < max; i++)
		total += chunks[i] ? strlen(chunks[i]) : 0;
	free(plan->record);
	plan->record = mi_xcalloc(1, total + 1);
	for (size_t i = 0; i < max; i++) {
		if (chunks[i])
			strcat(plan->record, chunks[i]);
		free(chunks[i]);
	}
}

static void read_sets(const struct mi_snap *s, struct mi_plan *plan)
{
	for (size_t i = 0; i < s->nsets; i++) {
		const char *name =
			nftnl_set_get_str(s->sets[i], NFTNL_SET_NAME);
		int id = set_by_name(name);
		char *desc, buf[256];

		if (!strcmp(name, MI_RECORD_SET)) {
			read_record(s->sets[i], plan);
			continue;
		}
		if (id >= 0 && set_is(s->sets[i], id)) {
			read_elems(s->sets[i], id, &plan->sets[id]);
			plan->set_used[id] = true;
			continue;
		}
		snprintf(buf, sizeof(buf),
			 "%s (key type %u, %u bytes, flags 0x%x)%s", name,
			 nftnl_set_get_u32(s->sets[i], NFTNL_SET_KEY_TYPE),
			 nftnl_set_get_u32(s->sets[i], NFTNL_SET_KEY_LEN),
			 nftnl_set_get_u32(s->sets[i], NFTNL_SET_FLAGS),
			 id >= 0 ? ": not the type meshinit gives it" : "");
		desc = mi_xstrdup(buf);
		plan->xsets = mi_xrealloc(
			plan->xsets, (plan->nxsets + 1) * sizeof(*plan->xsets));
		plan->xsets[plan->nxsets++] = desc;
	}
}

/* ---- the table ---------------------------------------------------------- */

void mi_readback_snap(const struct mi_snap *s, struct mi_plan *out,
		      struct mi_record *rec, struct mi_err *rec_err)
{
	struct mi_err e = { 0 };

	memset(out, 0, sizeof(*out));
	memset(rec, 0, sizeof(*rec));
	/* sets first: the rules' lookups mark the sets they use */
	read_sets(s, out);
	read_chains(s, out);
	if (out->record &&
	    mi_record_parse(out->record, rec, rec_err ? rec_err : &e) < 0)
		rec->version[0] = '\0';
	/* the record says whether the plan had IPv6 rules */
	out->ipv6 = strstr(rec->text, " ipv6=on") != NULL;
	if (!rec->version[0]) {
		for (int c = 0; c < MI_C__COUNT && !out->ipv6; c++)
			for (size_t i = 0; i < out->chains[c].n; i++)
				for (int m = 0; m < out->chains[c].v[i].nm; m++)
					if (out->chains[c].v[i].m[m].key ==
						    MI_K_IP6_DADDR ||
					    out->chains[c].v[i].m[m].key ==
						    MI_K_IP6_SADDR)
						out->ipv6 = true;
	}
}

int mi_readback_absent(struct mi_err *err, bool others)
{
	return mi_err_setx(err, MI_EXIT_NOT_INSTALLED, -ENOENT,
			   "meshinit is not installed in this network "
			   "namespace%s",
			   others ? " (but other capture state is: listed on "
				    "stdout)" : "");
}

int mi_readback(struct mi_plan *out, struct mi_record *rec, struct mi_err *err)
{
	struct mi_snap s;
	int ret = mi_snap_load(&s, err);

	if (ret < 0)
		return ret;
	if (!s.have_table) {
		mi_snap_release(&s);
		return mi_readback_absent(err, false);
	}
	mi_readback_snap(&s, out, rec, NULL);
	mi_snap_release(&s);
	return 0;
}
