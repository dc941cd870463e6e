/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "emit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "batch.h"
#include "nftexpr.h"
#include "util.h"

/*
 * The element list is one netlink attribute, whose length is 16 bits:
 * at most 64 bytes per element (an IPv6 interval: start and end keys)
 * x 512 = 32 KiB. With 1024, 5,000 IPv6 -x CIDRs overflowed the length
 * and the kernel rejected the set ("bytes leftover after parsing").
 */
#define ELEMS_PER_MSG 512

/* ---- tables and chains ------------------------------------------------ */

static void emit_chain(struct mi_batch *b, enum mi_chain_id id)
{
	const struct mi_chain_info *ci = mi_chain_info(id);
	struct nftnl_chain *c = mi_xnn(nftnl_chain_alloc());

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, MI_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, ci->name);
	if (ci->type) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)ci->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, ci->prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, ci->type);
	}
	mi_batch_chain(b, c, "chain %s", ci->name);
	nftnl_chain_free(c);
}

/* ---- sets --------------------------------------------------------------- */

static bool host_order(enum mi_set_type t)
{
	return t == MI_ST_UID || t == MI_ST_GID;
}

static uint32_t key_len(enum mi_set_type t)
{
	static const uint32_t len[] = {
		[MI_ST_IPV4] = 4, [MI_ST_IPV6] = 16, [MI_ST_PORT] = 2,
		[MI_ST_UID] = 4,  [MI_ST_GID] = 4,   [MI_ST_IFNAME] = MI_IFNAMSIZ,
		[MI_ST_UID_PORT] = 8,
	};

	return len[t];
}

static uint32_t key_type(enum mi_set_type t)
{
	static const uint32_t ty[] = {
		[MI_ST_IPV4] = MI_DT_IPADDR,  [MI_ST_IPV6] = MI_DT_IP6ADDR,
		[MI_ST_PORT] = MI_DT_INET_SERVICE, [MI_ST_UID] = MI_DT_UID,
		[MI_ST_GID] = MI_DT_GID,      [MI_ST_IFNAME] = MI_DT_IFNAME,
		[MI_ST_UID_PORT] = (MI_DT_UID << MI_DT_BITS) | MI_DT_INET_SERVICE,
	};

	return ty[t];
}

/* Big-endian key bytes of the low (@hi false) or high end of @e. */
static void elem_key(enum mi_set_type t, bool interval, const struct mi_elem *e,
		     bool hi, uint8_t *key)
{
	const struct mi_range *r = &e->r;
	uint32_t v32;
	uint16_t v16;

	memset(key, 0, 16);
	switch (t) {
	case MI_ST_IPV4:
	case MI_ST_IPV6:
		memcpy(key, e->addr[hi], 16);
		break;
	case MI_ST_PORT:
		v16 = htons((uint16_t)(hi ? r->hi : r->lo));
		memcpy(key, &v16, 2);
		break;
	case MI_ST_UID:
	case MI_ST_GID:
		v32 = hi ? r->hi : r->lo;
		v32 = interval ? htonl(v32) : v32;
		memcpy(key, &v32, 4);
		break;
	case MI_ST_IFNAME:
		memcpy(key, e->ifname, MI_IFNAMSIZ);
		break;
	case MI_ST_UID_PORT:
		v32 = htonl(hi ? e->up.uid.hi : e->up.uid.lo);
		v16 = htons((uint16_t)(hi ? e->up.port.hi : e->up.port.lo));
		memcpy(key, &v32, 4);
		memcpy(key + 4, &v16, 2);
		break;
	}
}

static void add_elem(struct nftnl_set *s, const uint8_t *key, uint32_t len,
		     const uint8_t *key_end, uint32_t flags)
{
	struct nftnl_set_elem *e = mi_xnn(nftnl_set_elem_alloc());

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	if (key_end)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, key_end, len);
	if (flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	nftnl_set_elem_add(s, e);
}

static struct nftnl_set *set_alloc(enum mi_set_id id)
{
	struct nftnl_set *s = mi_xnn(nftnl_set_alloc());

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, MI_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, mi_set_info(id)->name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)id + 1);
	return s;
}

static void flush_elems(struct mi_batch *b, enum mi_set_id id,
			struct nftnl_set **s, size_t from, size_t to)
{
	/* an interval takes up to two elements */
	mi_batch_elems(b, *s, (to - from) * 2, "elements %zu-%zu of set %s",
		       from + 1, to, mi_set_info(id)->name);
	nftnl_set_free(*s);
	*s = set_alloc(id);
}

/*
 * Interval sets use nft's encoding: a start key per range, an
 * interval-end key one past its last value, and a leading end key at
 * zero when the first range does not start there. Concatenations carry
 * both ends in one element instead.
 */
static void emit_elems(struct mi_batch *b, const struct mi_plan *plan,
		       enum mi_set_id id)
{
	const struct mi_set_info *si = mi_set_info(id);
	const struct mi_elems *es = &plan->sets[id];
	uint32_t len = key_len(si->type);
	struct nftnl_set *s = set_alloc(id);
	uint8_t lo[16], hi[16], zero[16] = { 0 };
	size_t i, first = 0;

	for (i = 0; i < es->n; i++) {
		elem_key(si->type, si->interval, &es->v[i], false, lo);
		elem_key(si->type, si->interval, &es->v[i], true, hi);
		if (si->type == MI_ST_UID_PORT) {
			add_elem(s, lo, len, hi, 0);
		} else if (!si->interval) {
			add_elem(s, lo, len, NULL, 0);
		} else {
			if (i == 0 && memcmp(lo, zero, len))
				add_elem(s, zero, len, NULL, NFT_SET_ELEM_INTERVAL_END);
			add_elem(s, lo, len, NULL, 0);
			/* the end is exclusive: none when hi is all ones */
			if (!mi_be_inc(hi, len))
				add_elem(s, hi, len, NULL, NFT_SET_ELEM_INTERVAL_END);
		}
		if ((i + 1) % ELEMS_PER_MSG == 0 || i + 1 == es->n) {
			flush_elems(b, id, &s, first, i + 1);
			first = i + 1;
		}
	}
	nftnl_set_free(s);
}

/*
 * nft reads a set's key byte order from its userdata (its
 * NFTNL_UDATA_SET_KEYBYTEORDER, with nft's BYTEORDER_HOST_ENDIAN = 1 and
 * BYTEORDER_BIG_ENDIAN = 2) to display the elements; the kernel ignores it.
 */
static void set_byteorder(struct nftnl_set *s, const struct mi_set_info *si)
{
	bool host = si->type == MI_ST_IFNAME ||
		    (host_order(si->type) && !si->interval);
	struct nftnl_udata_buf *u =
		mi_xnn(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));

	nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, host ? 1 : 2);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
			   nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

static void emit_set(struct mi_batch *b, const struct mi_plan *plan,
		     enum mi_set_id id)
{
	const struct mi_set_info *si = mi_set_info(id);
	struct nftnl_set *s = set_alloc(id);
	uint32_t flags = si->interval ? NFT_SET_INTERVAL : 0;

	if (si->type == MI_ST_UID_PORT) {
		static const uint8_t fields[] = { 4, 2 };

		flags |= NFT_SET_CONCAT;
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields,
				   sizeof(fields));
	}
	set_byteorder(s, si);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type(si->type));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len(si->type));
	mi_batch_set(b, s, "set %s (%s)", si->name, si->what);
	nftnl_set_free(s);
	emit_elems(b, plan, id);
}

/*
 * The install record: set MI_RECORD_SET whose element N (a 2-byte key)
 * carries bytes [N * MI_RECORD_CHUNK, ...) of the record text as its
 * comment (plan.h says why).
 */
static void emit_record(struct mi_batch *b, const char *rec)
{
	struct nftnl_set *s = mi_xnn(nftnl_set_alloc());
	struct nftnl_udata_buf *u;
	size_t len = strlen(rec), off, n = 0;

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, MI_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, MI_RECORD_SET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, MI_SET__COUNT + 1);
	u = mi_xnn(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
	nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 2);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
			   nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, MI_DT_INET_SERVICE);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 2);
	mi_batch_set(b, s, "set %s (how meshinit installed this table)",
		     MI_RECORD_SET);
	for (off = 0; off < len; off += MI_RECORD_CHUNK, n++) {
		struct nftnl_set_elem *e = mi_xnn(nftnl_set_elem_alloc());
		char chunk[MI_RECORD_CHUNK + 1];
		uint16_t key = htons((uint16_t)n);

		snprintf(chunk, sizeof(chunk), "%s", rec + off);
		u = mi_xnn(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
		nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, chunk);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
				   nftnl_udata_buf_data(u),
				   nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
		nftnl_set_elem_add(s, e);
	}
	/* a chunk's comment is up to 2 elements' room */
	mi_batch_elems(b, s, 2 * n, "elements of set %s", MI_RECORD_SET);
	nftnl_set_free(s);
}

/* ---- matches ------------------------------------------------------------ */

/* Implicit protocol dependencies, added once per rule as nft does. */
struct deps {
	uint8_t l4proto;
	uint8_t nfproto;
};

static void dep_l4(struct nftnl_rule *r, struct deps *d, uint8_t proto)
{
	if (d->l4proto == proto)
		return;
	mi_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	mi_expr_cmp(r, NFT_CMP_EQ, &proto, 1);
	d->l4proto = proto;
}

static void dep_nf(struct nftnl_rule *r, struct deps *d, uint8_t family)
{
	if (d->nfproto == family)
		return;
	mi_expr_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	mi_expr_cmp(r, NFT_CMP_EQ, &family, 1);
	d->nfproto = family;
}

struct keyinfo {
	enum { K_META, K_CT, K_NET, K_TRANS } src;
	uint32_t key;		/* meta/ct key, or payload offset */
	uint32_t len;
	uint8_t dep;		/* l4 protocol or nf family */
};

static struct keyinfo key_info(enum mi_key k)
{
	static const struct keyinfo ki[] = {
		[MI_K_IIFNAME] = { K_META, NFT_META_IIFNAME, MI_IFNAMSIZ, 0 },
		[MI_K_OIFNAME] = { K_META, NFT_META_OIFNAME, MI_IFNAMSIZ, 0 },
		[MI_K_L4PROTO] = { K_META, NFT_META_L4PROTO, 1, 0 },
		[MI_K_SKUID] = { K_META, NFT_META_SKUID, 4, 0 },
		[MI_K_SKGID] = { K_META, NFT_META_SKGID, 4, 0 },
		[MI_K_MARK] = { K_META, NFT_META_MARK, 4, 0 },
		[MI_K_CTMARK] = { K_CT, NFT_CT_MARK, 4, 0 },
		[MI_K_CTSTATE] = { K_CT, NFT_CT_STATE, 4, 0 },
		[MI_K_IP_SADDR] = { K_NET, 12, 4, NFPROTO_IPV4 },
		[MI_K_IP_DADDR] = { K_NET, 16, 4, NFPROTO_IPV4 },
		[MI_K_IP6_SADDR] = { K_NET, 8, 16, NFPROTO_IPV6 },
		[MI_K_IP6_DADDR] = { K_NET, 24, 16, NFPROTO_IPV6 },
		[MI_K_TCP_DPORT] = { K_TRANS, 2, 2, IPPROTO_TCP },
		[MI_K_UDP_DPORT] = { K_TRANS, 2, 2, IPPROTO_UDP },
		[MI_K_UDP_SPORT] = { K_TRANS, 0, 2, IPPROTO_UDP },
		[MI_K_SKUID_TCP_DPORT] = { K_TRANS, 2, 2, IPPROTO_TCP },
		[MI_K_SKUID_UDP_DPORT] = { K_TRANS, 2, 2, IPPROTO_UDP },
	};

	return ki[k];
}

static void load(struct nftnl_rule *r, struct deps *d, struct keyinfo ki,
		 uint32_t len, uint32_t dreg)
{
	switch (ki.src) {
	case K_META:
		mi_expr_meta(r, ki.key, dreg);
		break;
	case K_CT:
		mi_expr_ct(r, ki.key, dreg);
		break;
	case K_NET:
		dep_nf(r, d, ki.dep);
		mi_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, ki.key, len, dreg);
		break;
	case K_TRANS:
		dep_l4(r, d, ki.dep);
		mi_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, ki.key, len, dreg);
		break;
	}
}

/* An address prefix: byte-aligned prefixes load only their bytes. */
static void match_cidr(struct nftnl_rule *r, struct deps *d,
		       const struct mi_match *m)
{
	struct keyinfo ki = key_info(m->key);
	uint32_t op = m->neg ? NFT_CMP_NEQ : NFT_CMP_EQ;
	uint8_t mask[16] = { 0 };
	unsigned int i;

	if (m->cidr.plen % 8 == 0) {
		load(r, d, ki, m->cidr.plen / 8, NFT_REG_1);
		mi_expr_cmp(r, op, m->cidr.addr, m->cidr.plen / 8);
		return;
	}
	for (i = 0; i < m->cidr.plen; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	load(r, d, ki, ki.len, NFT_REG_1);
	mi_expr_bitwise(r, mask, ki.len);
	mi_expr_cmp(r, op, m->cidr.addr, ki.len);
}

static void match_set(struct nftnl_rule *r, struct deps *d,
		      const struct mi_match *m)
{
	const struct mi_set_info *si = mi_set_info(m->set);
	struct keyinfo ki = key_info(m->key);

	if (m->key == MI_K_SKUID_TCP_DPORT || m->key == MI_K_SKUID_UDP_DPORT) {
		dep_l4(r, d, ki.dep);
		mi_expr_meta(r, NFT_META_SKUID, NFT_REG_1);
		mi_expr_byteorder_hton(r, 4);
		load(r, d, ki, ki.len, NFT_REG32_01);
	} else {
		load(r, d, ki, ki.len, NFT_REG_1);
		if (si->interval && host_order(si->type))
			mi_expr_byteorder_hton(r, 4);
	}
	mi_expr_lookup(r, mi_set_info(m->set)->name, (uint32_t)m->set + 1,
		       m->neg);
}

static void match_num(struct nftnl_rule *r, struct deps *d,
		      const struct mi_match *m)
{
	struct keyinfo ki = key_info(m->key);
	uint32_t op = m->neg ? NFT_CMP_NEQ : NFT_CMP_EQ;
	uint32_t v32 = m->num, zero = 0;
	uint16_t v16 = htons((uint16_t)m->num);
	uint8_t v8 = (uint8_t)m->num;

	load(r, d, ki, ki.len, NFT_REG_1);
	if (m->key == MI_K_L4PROTO) {
		mi_expr_cmp(r, op, &v8, 1);
		d->l4proto = v8;
	} else if (m->key == MI_K_CTSTATE) {
		mi_expr_bitwise(r, &v32, 4);
		mi_expr_cmp(r, NFT_CMP_NEQ, &zero, 4);
	} else if (ki.src == K_TRANS) {
		mi_expr_cmp(r, op, &v16, 2);
	} else {
		mi_expr_cmp(r, op, &v32, 4);
	}
}

static void emit_match(struct nftnl_rule *r, struct deps *d,
		       const struct mi_match *m)
{
	char name[MI_IFNAMSIZ] = { 0 };

	switch (m->val) {
	case MI_V_SET:
		match_set(r, d, m);
		break;
	case MI_V_CIDR:
		match_cidr(r, d, m);
		break;
	case MI_V_IFNAME:
		load(r, d, key_info(m->key), MI_IFNAMSIZ, NFT_REG_1);
		memcpy(name, m->ifname, MI_IFNAMSIZ);
		mi_expr_cmp(r, m->neg ? NFT_CMP_NEQ : NFT_CMP_EQ, name, MI_IFNAMSIZ);
		break;
	case MI_V_NUM:
		match_num(r, d, m);
		break;
	}
}

static void emit_stmt(struct nftnl_rule *r, const struct mi_stmt *s)
{
	uint16_t port = htons((uint16_t)s->arg), zone = (uint16_t)s->arg;

	switch (s->kind) {
	case MI_S_MARK_SET:
		mi_expr_immediate(r, &s->arg, 4);
		mi_expr_meta_set(r, NFT_META_MARK, NFT_REG_1);
		break;
	case MI_S_CTMARK_FROM_MARK:
		mi_expr_meta(r, NFT_META_MARK, NFT_REG_1);
		mi_expr_ct_set(r, NFT_CT_MARK, NFT_REG_1);
		break;
	case MI_S_MARK_FROM_CTMARK:
		mi_expr_ct(r, NFT_CT_MARK, NFT_REG_1);
		mi_expr_meta_set(r, NFT_META_MARK, NFT_REG_1);
		break;
	case MI_S_CTZONE_SET:
		mi_expr_immediate(r, &zone, 2);
		mi_expr_ct_set(r, NFT_CT_ZONE, NFT_REG_1);
		break;
	case MI_S_REDIRECT:
		mi_expr_immediate(r, &port, 2);
		mi_expr_redir(r);
		break;
	case MI_S_TPROXY4:
	case MI_S_TPROXY6:
		mi_expr_immediate(r, &port, 2);
		mi_expr_tproxy(r, s->kind == MI_S_TPROXY4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
		break;
	}
}

static void set_comment(struct nftnl_rule *r, const char *why)
{
	struct nftnl_udata_buf *u =
		mi_xnn(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));

	nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, why);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
			    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

static enum mi_batch_hint rule_hint(const struct mi_rule *mr)
{
	unsigned int i;

	for (i = 0; i < mr->ns; i++)
		if (mr->s[i].kind == MI_S_TPROXY4 ||
		    mr->s[i].kind == MI_S_TPROXY6)
			return MI_HINT_TPROXY;
	return MI_HINT_NONE;
}

static struct nftnl_rule *rule_alloc(const char *chain)
{
	struct nftnl_rule *r = mi_xnn(nftnl_rule_alloc());

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MI_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

void mi_emit_matches(struct nftnl_rule *r, const struct mi_match *m, size_t n)
{
	struct deps d = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		emit_match(r, &d, &m[i]);
}

static void emit_rule(struct mi_batch *b, enum mi_chain_id c, size_t idx,
		      const struct mi_rule *mr)
{
	static const int verdicts[] = {
		[MI_VERDICT_RETURN] = NFT_RETURN, [MI_VERDICT_ACCEPT] = NF_ACCEPT,
		[MI_VERDICT_DROP] = NF_DROP,	  [MI_VERDICT_JUMP] = NFT_JUMP,
	};
	const char *chain = mi_chain_info(c)->name;
	struct nftnl_rule *r = rule_alloc(chain);
	unsigned int i;

	mi_emit_matches(r, mr->m, mr->nm);
	mi_expr_counter(r);
	for (i = 0; i < mr->ns; i++)
		emit_stmt(r, &mr->s[i]);
	if (mr->verdict != MI_VERDICT_NONE)
		mi_expr_verdict(r, verdicts[mr->verdict],
			    mr->verdict == MI_VERDICT_JUMP ?
				    mi_chain_info(mr->target)->name : NULL);
	if (mr->why)
		set_comment(r, mr->why);
	mi_batch_rule(b, r, rule_hint(mr), "rule %zu of chain %s (%s)", idx + 1,
		      chain, mr->why ? mr->why : "-");
	nftnl_rule_free(r);
}

#ifdef MI_TEST_HOOKS
static void emit_fault(struct mi_batch *b)
{
	struct nftnl_rule *r = rule_alloc("meshinit-no-such-chain");

	mi_expr_verdict(r, NFT_JUMP, "meshinit-no-such-chain");
	mi_batch_rule(b, r, MI_HINT_NONE, "injected fault rule (%s)",
		      "fault injected by MESHINIT_FAULT_INJECT");
	nftnl_rule_free(r);
}
#else
/* release build: no fault injection (the flags are never set) */
static void emit_fault(struct mi_batch *b)
{
	(void)b;
}
#endif

/* Kernel headers before 6.3 do not have it. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#endif

/* Remove table inet @name if it is there, as @flags say (emit.h). */
static void remove_table(struct mi_batch *b, unsigned int flags,
			 const char *name, const char *what)
{
	if (flags & MI_EMIT_DESTROY) {
		mi_batch_table(b, NFT_MSG_DESTROYTABLE, 0, name,
			       MI_HINT_DESTROY, "%s table inet %s", what, name);
		return;
	}
	mi_batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, name, MI_HINT_NONE,
		       "%s table inet %s", what, name);
	mi_batch_table(b, NFT_MSG_DELTABLE, 0, name, MI_HINT_NONE,
		       "%s table inet %s", what, name);
}

static void create_table(struct mi_batch *b, unsigned int flags)
{
	bool fresh = flags & MI_EMIT_FRESH;

	mi_batch_table(b, NFT_MSG_NEWTABLE,
		       NLM_F_CREATE | (fresh ? NLM_F_EXCL : 0), MI_TABLE_NAME,
		       fresh ? MI_HINT_CREATE_ONLY : MI_HINT_NONE,
		       "create table inet %s", MI_TABLE_NAME);
}

struct mi_batch *mi_emit(const struct mi_plan *plan, unsigned int flags,
			 uint32_t seq0)
{
	struct mi_batch *b = mi_batch_new(seq0);
	size_t c, i;

	if (flags & MI_EMIT_FAULT_FIRST)
		emit_fault(b);
	if (flags & MI_EMIT_CLEANUP) {
		if (!(flags & MI_EMIT_TRACE_ONLY))
			remove_table(b, flags, MI_TABLE_NAME, "remove");
		/* a trace killed by SIGKILL leaves its table behind */
		remove_table(b, flags, MI_TRACE_TABLE, "remove");
	} else {
		if (!(flags & MI_EMIT_FRESH))
			remove_table(b, flags, MI_TABLE_NAME, "remove the old");
		create_table(b, flags);
		for (i = 0; i < MI_SET__COUNT; i++)
			if (mi_plan_has_set(plan, i))
				emit_set(b, plan, i);
		if (plan->record)
			emit_record(b, plan->record);
		if (flags & MI_EMIT_FAULT_MIDDLE)
			emit_fault(b);
		for (c = 0; c < MI_C__COUNT; c++)
			if (mi_plan_has_chain(plan, c))
				emit_chain(b, c);
		for (c = 0; c < MI_C__COUNT; c++)
			for (i = 0; i < plan->chains[c].n; i++)
				emit_rule(b, c, i, &plan->chains[c].v[i]);
	}
	if (flags & MI_EMIT_FAULT_LAST)
		emit_fault(b);
	if (!(flags & MI_EMIT_CHECK_ONLY))
		mi_batch_end(b);
	return b;
}
