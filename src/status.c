/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nftexpr.h"
#include "nl.h"
#include "plan.h"
#include "util.h"

/* a dump the kernel interrupted (ruleset changed meanwhile) is redone */
#define DUMP_RETRIES 5
/* sets longer than this are summarised in the text output */
#define ELEMS_SHOWN 10

/* ---- snapshot ----------------------------------------------------------- */

void mi_snap_init(struct mi_snap *s)
{
	memset(s, 0, sizeof(*s));
}

void mi_snap_release(struct mi_snap *s)
{
	size_t i;

	for (i = 0; i < s->nchains; i++)
		nftnl_chain_free(s->chains[i]);
	for (i = 0; i < s->nrules; i++)
		nftnl_rule_free(s->rules[i]);
	for (i = 0; i < s->nsets; i++)
		nftnl_set_free(s->sets[i]);
	free(s->chains);
	free(s->rules);
	free(s->sets);
	free(s->others);
	mi_snap_init(s);
}

static bool is_ours(const char *table, uint32_t family)
{
	return table && family == NFPROTO_INET && !strcmp(table, MI_TABLE_NAME);
}

struct nftnl_set *mi_snap_set(const struct mi_snap *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nsets; i++)
		if (!strcmp(nftnl_set_get_str(s->sets[i], NFTNL_SET_NAME), name))
			return s->sets[i];
	return NULL;
}

struct nftnl_chain *mi_snap_chain(const struct mi_snap *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nchains; i++)
		if (!strcmp(nftnl_chain_get_str(s->chains[i], NFTNL_CHAIN_NAME),
			    name))
			return s->chains[i];
	return NULL;
}

static void add_table(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_table *t = nftnl_table_alloc();
	const char *name;
	uint32_t fam;

	if (!t)
		abort();
	if (nftnl_table_nlmsg_parse(nlh, t) < 0)
		goto out;
	name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
	fam = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	if (is_ours(name, fam)) {
		s->have_table = true;
	} else if (name) {
		mi_grow((void **)&s->others, &s->capothers, s->nothers + 1,
			sizeof(*s->others));
		snprintf(s->others[s->nothers++], sizeof(*s->others), "%s %s",
			 fam == NFPROTO_IPV4 ? "ip" : fam == NFPROTO_IPV6 ? "ip6" :
			 fam == NFPROTO_INET ? "inet" : "other", name);
	}
out:
	nftnl_table_free(t);
}

static void add_chain(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		abort();
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 ||
	    !is_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		     nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY))) {
		nftnl_chain_free(c);
		return;
	}
	mi_grow((void **)&s->chains, &s->capchains, s->nchains + 1,
		sizeof(*s->chains));
	s->chains[s->nchains++] = c;
}

static void add_rule(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		abort();
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0 ||
	    !is_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
		     nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY))) {
		nftnl_rule_free(r);
		return;
	}
	mi_grow((void **)&s->rules, &s->caprules, s->nrules + 1,
		sizeof(*s->rules));
	s->rules[s->nrules++] = r;
}

static void add_set(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		abort();
	if (nftnl_set_nlmsg_parse(nlh, set) < 0 ||
	    !is_ours(nftnl_set_get_str(set, NFTNL_SET_TABLE),
		     nftnl_set_get_u32(set, NFTNL_SET_FAMILY)) ||
	    mi_snap_set(s, nftnl_set_get_str(set, NFTNL_SET_NAME))) {
		nftnl_set_free(set);
		return;
	}
	mi_grow((void **)&s->sets, &s->capsets, s->nsets + 1, sizeof(*s->sets));
	s->sets[s->nsets++] = set;
}

/* Elements go to the set of that name, parsed a second time into it. */
static void add_elems(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_set *tmp = nftnl_set_alloc(), *set = NULL;

	if (!tmp)
		abort();
	if (nftnl_set_elems_nlmsg_parse(nlh, tmp) == 0 &&
	    is_ours(nftnl_set_get_str(tmp, NFTNL_SET_TABLE),
		    nftnl_set_get_u32(tmp, NFTNL_SET_FAMILY)))
		set = mi_snap_set(s, nftnl_set_get_str(tmp, NFTNL_SET_NAME));
	nftnl_set_free(tmp);
	if (set)
		nftnl_set_elems_nlmsg_parse(nlh, set);
}

void mi_snap_add_msg(struct mi_snap *s, const void *msg)
{
	const struct nlmsghdr *nlh = msg;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
		return;
	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_NEWTABLE:
		add_table(s, nlh);
		break;
	case NFT_MSG_NEWCHAIN:
		add_chain(s, nlh);
		break;
	case NFT_MSG_NEWRULE:
		add_rule(s, nlh);
		break;
	case NFT_MSG_NEWSET:
		add_set(s, nlh);
		break;
	case NFT_MSG_NEWSETELEM:
		add_elems(s, nlh);
		break;
	}
}

/* ---- kernel dump -------------------------------------------------------- */

static int snap_cb(const void *nlh, void *data)
{
	mi_snap_add_msg(data, nlh);
	return 0;
}

static int dump(struct mnl_socket *nl, uint16_t type, uint16_t family,
		void (*payload)(struct nlmsghdr *, void *), void *obj,
		struct mi_snap *s, struct mi_err *err)
{
	char buf[8192] = { 0 }; /* one request; libmnl 1.0.4 leaves padding unwritten */
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_DUMP, mi_nl_seq());
	if (payload)
		payload(nlh, obj);
	return mi_nl_talk(nl, nlh, nlh->nlmsg_len, snap_cb, s, err);
}

static void chain_payload(struct nlmsghdr *nlh, void *c)
{
	nftnl_chain_nlmsg_build_payload(nlh, c);
}

static void rule_payload(struct nlmsghdr *nlh, void *r)
{
	nftnl_rule_nlmsg_build_payload(nlh, r);
}

static void set_payload(struct nlmsghdr *nlh, void *set)
{
	nftnl_set_nlmsg_build_payload(nlh, set);
}

static void elems_payload(struct nlmsghdr *nlh, void *set)
{
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
}

/* Dump the elements of every set of @s into it, one request per set. */
static int dump_elems(struct mnl_socket *nl, struct mi_snap *s,
		      struct mi_err *err)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < s->nsets && ret == 0; i++) {
		struct nftnl_set *q = nftnl_set_alloc();

		if (!q)
			abort();
		nftnl_set_set_str(q, NFTNL_SET_TABLE, MI_TABLE_NAME);
		nftnl_set_set_str(q, NFTNL_SET_NAME,
				  nftnl_set_get_str(s->sets[i], NFTNL_SET_NAME));
		nftnl_set_set_u32(q, NFTNL_SET_FAMILY, NFPROTO_INET);
		ret = dump(nl, NFT_MSG_GETSETELEM, NFPROTO_INET, elems_payload,
			   q, s, err);
		nftnl_set_free(q);
	}
	return ret;
}

static int load_once(struct mi_snap *s, struct mi_err *err)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_set *set = nftnl_set_alloc();
	struct mnl_socket *nl;
	int ret;

	if (!c || !r || !set)
		abort();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, MI_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MI_TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_TABLE, MI_TABLE_NAME);
	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		goto out_free;
	ret = dump(nl, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NULL, NULL, s, err);
	if (ret < 0 || !s->have_table)
		goto out_close;
	ret = dump(nl, NFT_MSG_GETCHAIN, NFPROTO_INET, chain_payload, c, s, err);
	if (ret == 0)
		ret = dump(nl, NFT_MSG_GETSET, NFPROTO_INET, set_payload, set,
			   s, err);
	if (ret == 0)
		ret = dump_elems(nl, s, err);
	if (ret == 0)
		ret = dump(nl, NFT_MSG_GETRULE, NFPROTO_INET, rule_payload, r,
			   s, err);
out_close:
	mi_nl_close(nl);
out_free:
	nftnl_chain_free(c);
	nftnl_rule_free(r);
	nftnl_set_free(set);
	return ret;
}

int mi_snap_load(struct mi_snap *s, struct mi_err *err)
{
	struct mi_err e;
	int i, ret = -EINTR;

	mi_snap_init(s);
	for (i = 0; i < DUMP_RETRIES && ret == -EINTR; i++) {
		memset(&e, 0, sizeof(e));
		mi_snap_release(s);
		ret = load_once(s, &e);
	}
	if (ret == 0)
		return 0;
	mi_snap_release(s);
	if (ret == -EPERM)
		return mi_err_set(err, ret, "CAP_NET_ADMIN is required to read nftables state: %s",
				  e.msg);
	if (ret == -EINTR)
		return mi_err_set(err, ret, "the ruleset kept changing during %d dumps; try again",
				  DUMP_RETRIES);
	return mi_err_set(err, ret, "cannot dump table inet %s: %s",
			  MI_TABLE_NAME, e.msg);
}

/* ---- rendering ---------------------------------------------------------- */

enum regkind {
	RK_NONE,
	RK_UINT,	/* host-order integer: uid, gid, mark */
	RK_IFNAME,
	RK_L4PROTO,
	RK_NFPROTO,
	RK_PORT,
	RK_IP4,
	RK_IP6,
	RK_CTSTATE,
	RK_CONST,	/* immediate data */
};

struct reg {
	char name[48];
	enum regkind kind;
	bool pending;	/* loaded and not consumed yet (concatenations) */
	uint8_t plen;	/* prefix length of a masked address, or 0 */
	uint8_t data[16];
	uint32_t dlen;
};

/* nft registers: NFT_REG_1..4 (16 bytes) and NFT_REG32_00..15 */
#define NREGS 32

struct render {
	struct reg regs[NREGS];
	uint8_t l4;		/* meta l4proto matched so far */
	char *buf;
	size_t len, off;
};

static void out(struct render *rd, const char *fmt, ...) MI_PRINTF(2, 3);

static void out(struct render *rd, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rd->off >= rd->len)
		return;
	if (rd->off)
		rd->buf[rd->off++] = ' ';
	if (rd->off >= rd->len) {
		rd->buf[rd->len - 1] = '\0';
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(rd->buf + rd->off, rd->len - rd->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		rd->off += (size_t)n;
}

static struct reg *reg(struct render *rd, const struct nftnl_expr *e,
		       uint16_t attr)
{
	uint32_t r = nftnl_expr_get_u32(e, attr);

	return &rd->regs[r < NREGS ? r : 0];
}

static void load(struct render *rd, const struct nftnl_expr *e, uint16_t attr,
		 const char *name, enum regkind kind)
{
	struct reg *r = reg(rd, e, attr);

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->kind = kind;
	r->pending = true;
}

static void r_meta(struct render *rd, const struct nftnl_expr *e)
{
	static const struct { uint32_t key; const char *name; enum regkind k; } keys[] = {
		{ NFT_META_MARK, "meta mark", RK_UINT },
		{ NFT_META_IIFNAME, "iifname", RK_IFNAME },
		{ NFT_META_OIFNAME, "oifname", RK_IFNAME },
		{ NFT_META_SKUID, "meta skuid", RK_UINT },
		{ NFT_META_SKGID, "meta skgid", RK_UINT },
		{ NFT_META_NFPROTO, "meta nfproto", RK_NFPROTO },
		{ NFT_META_L4PROTO, "meta l4proto", RK_L4PROTO },
	};
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	const char *name = "meta ?";
	enum regkind k = RK_UINT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].key == key) {
			name = keys[i].name;
			k = keys[i].k;
		}
	if (nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG)) {
		load(rd, e, NFTNL_EXPR_META_DREG, name, k);
		return;
	}
	out(rd, "%s set %s", name, reg(rd, e, NFTNL_EXPR_META_SREG)->name);
}

static void r_ct(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	const char *name = key == NFT_CT_STATE ? "ct state" :
			   key == NFT_CT_MARK ? "ct mark" :
			   key == NFT_CT_ZONE ? "ct zone" : "ct ?";

	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG)) {
		load(rd, e, NFTNL_EXPR_CT_DREG, name,
		     key == NFT_CT_STATE ? RK_CTSTATE : RK_UINT);
		return;
	}
	out(rd, "%s set %s", name, reg(rd, e, NFTNL_EXPR_CT_SREG)->name);
}

static void r_payload(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	const char *th = rd->l4 == IPPROTO_TCP ? "tcp" :
			 rd->l4 == IPPROTO_UDP ? "udp" : "th";
	char name[48];
	enum regkind k = RK_CONST;

	snprintf(name, sizeof(name), "@%u,%u,%u", base, off * 8, len * 8);
	if (base == NFT_PAYLOAD_NETWORK_HEADER && len == 4 && (off == 12 || off == 16)) {
		snprintf(name, sizeof(name), "ip %s", off == 12 ? "saddr" : "daddr");
		k = RK_IP4;
	} else if (base == NFT_PAYLOAD_NETWORK_HEADER && len == 16 &&
		   (off == 8 || off == 24)) {
		snprintf(name, sizeof(name), "ip6 %s", off == 8 ? "saddr" : "daddr");
		k = RK_IP6;
	} else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && len == 2 && off <= 2) {
		snprintf(name, sizeof(name), "%s %s", th, off ? "dport" : "sport");
		k = RK_PORT;
	}
	load(rd, e, NFTNL_EXPR_PAYLOAD_DREG, name, k);
}

static void r_bitwise(struct render *rd, const struct nftnl_expr *e)
{
	struct reg *src = reg(rd, e, NFTNL_EXPR_BITWISE_SREG);
	struct reg *dst = reg(rd, e, NFTNL_EXPR_BITWISE_DREG);
	uint32_t len = 0, i;
	const uint8_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);
	struct reg tmp = *src;

	tmp.plen = 0;
	for (i = 0; mask && i < len && i < 16; i++)
		tmp.plen += (uint8_t)__builtin_popcount(mask[i]);
	if (tmp.kind == RK_CTSTATE && mask && len >= 4)
		memcpy(tmp.data, mask, 4);
	*dst = tmp;
}

static void fmt_value(const struct reg *r, const uint8_t *d, uint32_t len,
		      char *buf, size_t blen)
{
	uint32_t v32 = 0, i;
	uint16_t v16 = 0;
	int n = 0;

	if (len >= 4)
		memcpy(&v32, d, 4);
	if (len >= 2)
		memcpy(&v16, d, 2);
	switch (r->kind) {
	case RK_UINT:
		snprintf(buf, blen, "%" PRIu32, v32);
		return;
	case RK_IFNAME:
		snprintf(buf, blen, "\"%.*s\"", (int)strnlen((const char *)d, len),
			 (const char *)d);
		return;
	case RK_L4PROTO:
		snprintf(buf, blen, "%s", d[0] == IPPROTO_TCP ? "tcp" :
			 d[0] == IPPROTO_UDP ? "udp" : "?");
		return;
	case RK_NFPROTO:
		snprintf(buf, blen, "%s", d[0] == NFPROTO_IPV4 ? "ipv4" : "ipv6");
		return;
	case RK_PORT:
		snprintf(buf, blen, "%u", ntohs(v16));
		return;
	case RK_IP4:
	case RK_IP6:
		inet_ntop(r->kind == RK_IP4 ? AF_INET : AF_INET6, d, buf,
			  (socklen_t)blen);
		if (r->plen) {
			n = (int)strlen(buf);
			snprintf(buf + n, blen - (size_t)n, "/%u", r->plen);
		}
		return;
	default:
		break;
	}
	n = snprintf(buf, blen, "0x");
	for (i = 0; i < len && (size_t)n + 3 < blen; i++)
		n += snprintf(buf + n, blen - (size_t)n, "%02x", d[i]);
}

static void ctstate_names(const uint8_t *mask, char *buf, size_t len)
{
	uint32_t m;

	memcpy(&m, mask, 4);
	snprintf(buf, len, "%s%s%s%s",
		 m & NF_CT_STATE_INVALID_BIT ? "invalid," : "",
		 m & NF_CT_STATE_BIT(IP_CT_ESTABLISHED) ? "established," : "",
		 m & NF_CT_STATE_BIT(IP_CT_RELATED) ? "related," : "",
		 m & NF_CT_STATE_BIT(IP_CT_NEW) ? "new," : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
}

static void r_cmp(struct render *rd, const struct nftnl_expr *e)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	struct reg *r = reg(rd, e, NFTNL_EXPR_CMP_SREG);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), len = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	char val[80];

	if (!d)
		return;
	if (r->kind == RK_CTSTATE) {
		ctstate_names(r->data, val, sizeof(val));
		out(rd, "ct state %s%s", op == NFT_CMP_EQ ? "!= " : "", val);
	} else {
		fmt_value(r, d, len, val, sizeof(val));
		if (r->kind == RK_L4PROTO && op == NFT_CMP_EQ)
			rd->l4 = d[0];
		if (op == NFT_CMP_EQ)
			out(rd, "%s %s", r->name, val);
		else
			out(rd, "%s %s %s", r->name,
			    op < ARRAY_SIZE(ops) ? ops[op] : "?", val);
	}
	r->pending = false;
}

static void r_lookup(struct render *rd, const struct nftnl_expr *e)
{
	uint32_t sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), i;
	uint32_t flags = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS);
	char key[128] = "";
	size_t n = 0;

	/* a concatenation is the run of registers loaded for this lookup */
	for (i = sreg; i < NREGS && (i == sreg || rd->regs[i].pending); i++) {
		n += (size_t)snprintf(key + n, sizeof(key) - n, "%s%s",
				      i == sreg ? "" : " . ", rd->regs[i].name);
		rd->regs[i].pending = false;
		if (n >= sizeof(key) || sreg < NFT_REG32_00)
			break;
	}
	out(rd, "%s %s@%s", key, flags & NFT_LOOKUP_F_INV ? "!= " : "",
	    nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
}

static void r_immediate(struct render *rd, const struct nftnl_expr *e)
{
	struct reg *r;
	const void *d;
	uint32_t len = 0;
	int v;

	if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT) {
		r = reg(rd, e, NFTNL_EXPR_IMM_DREG);
		d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
		memset(r, 0, sizeof(*r));
		r->kind = RK_CONST;
		r->dlen = len < 16 ? len : 16;
		if (d)
			memcpy(r->data, d, r->dlen);
		if (r->dlen == 4) {
			uint32_t u;

			/* r->data has no 4-byte alignment (UBSan) */
			memcpy(&u, r->data, sizeof(u));
			snprintf(r->name, sizeof(r->name), "%" PRIu32, u);
		}
		return;
	}
	v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	switch (v) {
	case NF_ACCEPT:
		out(rd, "accept");
		break;
	case NF_DROP:
		out(rd, "drop");
		break;
	case NFT_RETURN:
		out(rd, "return");
		break;
	case NFT_JUMP:
	case NFT_GOTO:
		out(rd, "%s %s", v == NFT_JUMP ? "jump" : "goto",
		    nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
		break;
	default:
		out(rd, "verdict %d", v);
	}
}

static unsigned int reg_port(struct render *rd, const struct nftnl_expr *e,
			     uint16_t attr)
{
	const struct reg *r = reg(rd, e, attr);
	uint16_t p;

	memcpy(&p, r->data, 2);
	return ntohs(p);
}

static void render_expr(struct render *rd, const struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	char raw[256];

	if (!strcmp(name, "meta"))
		r_meta(rd, e);
	else if (!strcmp(name, "ct"))
		r_ct(rd, e);
	else if (!strcmp(name, "payload"))
		r_payload(rd, e);
	else if (!strcmp(name, "bitwise"))
		r_bitwise(rd, e);
	else if (!strcmp(name, "cmp"))
		r_cmp(rd, e);
	else if (!strcmp(name, "lookup"))
		r_lookup(rd, e);
	else if (!strcmp(name, "immediate"))
		r_immediate(rd, e);
	else if (!strcmp(name, "redir"))
		out(rd, "redirect to :%u",
		    reg_port(rd, e, NFTNL_EXPR_REDIR_REG_PROTO_MIN));
	else if (!strcmp(name, "tproxy"))
		out(rd, "tproxy %s to :%u",
		    nftnl_expr_get_u32(e, NFTNL_EXPR_TPROXY_FAMILY) == NFPROTO_IPV4 ?
			    "ip" : "ip6",
		    reg_port(rd, e, NFTNL_EXPR_TPROXY_REG_PORT));
	else if (!strcmp(name, "byteorder") || !strcmp(name, "counter"))
		return; /* byteorder keeps the register's meaning */
	else if (nftnl_expr_snprintf(raw, sizeof(raw), e, NFTNL_OUTPUT_DEFAULT, 0) >= 0)
		out(rd, "[%s %s]", name, raw);
}

void mi_rule_render(const struct nftnl_rule *r, char *buf, size_t len)
{
	struct render rd = { .buf = buf, .len = len };
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;

	buf[0] = '\0';
	it = nftnl_expr_iter_create(r);
	if (!it)
		abort();
	while ((e = nftnl_expr_iter_next(it)))
		render_expr(&rd, e);
	nftnl_expr_iter_destroy(it);
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	char **c = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		*c = nftnl_udata_get(attr);
	return 0;
}

void mi_rule_comment(const struct nftnl_rule *r, char *buf, size_t len)
{
	uint32_t ulen = 0;
	const void *u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen);
	char *c = NULL;
	uint32_t i;

	buf[0] = '\0';
	if (!u || nftnl_udata_parse(u, ulen, comment_cb, &c) < 0 || !c)
		return;
	/* the comment is NUL-terminated inside its attribute */
	for (i = 0; i + 1 < len && c[i] && (const char *)&c[i] < (const char *)u + ulen; i++)
		buf[i] = c[i];
	buf[i] = '\0';
}

void mi_rule_counters(const struct nftnl_rule *r, uint64_t *pkts,
		      uint64_t *bytes)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	if (!it)
		abort();
	*pkts = *bytes = 0;
	while ((e = nftnl_expr_iter_next(it)))
		if (!strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter")) {
			*pkts = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
			*bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
		}
	nftnl_expr_iter_destroy(it);
}

/* ---- set elements ------------------------------------------------------- */

struct elem {
	uint8_t key[16], end[16];
	uint32_t len;
	bool is_end, has_end;
};

static int elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, 16);

	if (c)
		return c;
	return (int)y->is_end - (int)x->is_end; /* an end sorts first */
}

static void fmt_key(uint32_t type, bool interval, const uint8_t *k,
		    char *buf, size_t len)
{
	uint32_t v32;
	uint16_t v16;

	memcpy(&v32, k, 4);
	memcpy(&v16, k, 2);
	switch (type) {
	case MI_DT_IPADDR:
		inet_ntop(AF_INET, k, buf, (socklen_t)len);
		break;
	case MI_DT_IP6ADDR:
		inet_ntop(AF_INET6, k, buf, (socklen_t)len);
		break;
	case MI_DT_INET_SERVICE:
		snprintf(buf, len, "%u", ntohs(v16));
		break;
	case MI_DT_UID:
	case MI_DT_GID:
		snprintf(buf, len, "%" PRIu32, interval ? ntohl(v32) : v32);
		break;
	case MI_DT_IFNAME:
		snprintf(buf, len, "\"%.*s\"", (int)strnlen((const char *)k, 16),
			 (const char *)k);
		break;
	default:
		snprintf(buf, len, "0x%08" PRIx32, ntohl(v32));
	}
}

/* Prefix length when [lo, hi] is exactly one prefix, else -1. */
static int prefix_len(const uint8_t *lo, const uint8_t *hi, uint32_t len)
{
	uint32_t bit, n = len * 8;

	for (bit = 0; bit < n; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		bool l = lo[bit / 8] & m, h = hi[bit / 8] & m;

		if (l != h)
			break;
	}
	for (uint32_t b = bit; b < n; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));

		if ((lo[b / 8] & m) || !(hi[b / 8] & m))
			return -1;
	}
	return (int)bit;
}

static char *fmt_range(uint32_t type, bool interval, const uint8_t *lo,
		       const uint8_t *hi, uint32_t len)
{
	char a[64], b[64], *s = mi_xmalloc(160);
	int pl;

	fmt_key(type, interval, lo, a, sizeof(a));
	if (!hi || !memcmp(lo, hi, len)) {
		snprintf(s, 160, "%s", a);
		return s;
	}
	fmt_key(type, interval, hi, b, sizeof(b));
	pl = prefix_len(lo, hi, len);
	if ((type == MI_DT_IPADDR || type == MI_DT_IP6ADDR) && pl >= 0)
		snprintf(s, 160, "%s/%d", a, pl);
	else
		snprintf(s, 160, "%s-%s", a, b);
	return s;
}

static char *fmt_concat(const struct elem *e)
{
	uint32_t u0, u1;
	uint16_t p0, p1;
	char *s = mi_xmalloc(96);

	memcpy(&u0, e->key, 4);
	memcpy(&p0, e->key + 4, 2);
	memcpy(&u1, e->has_end ? e->end : e->key, 4);
	memcpy(&p1, (e->has_end ? e->end : e->key) + 4, 2);
	u0 = ntohl(u0), u1 = ntohl(u1), p0 = ntohs(p0), p1 = ntohs(p1);
	if (u0 == u1 && p0 == p1)
		snprintf(s, 96, "%u . %u", u0, p0);
	else if (u0 == u1)
		snprintf(s, 96, "%u . %u-%u", u0, p0, p1);
	else
		snprintf(s, 96, "%u-%u . %u-%u", u0, u1, p0, p1);
	return s;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t collect(const struct nftnl_set *s, struct elem **out)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	struct nftnl_set_elem *se;
	struct elem *v = NULL;
	size_t n = 0, cap = 0;

	if (!it)
		abort();
	/* _next() returns the current element, then advances */
	while ((se = nftnl_set_elems_iter_next(it))) {
		uint32_t klen = 0, elen = 0;
		const void *k = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
		const void *ke = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY_END, &elen);
		uint32_t fl = nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS) ?
			nftnl_set_elem_get_u32(se, NFTNL_SET_ELEM_FLAGS) : 0;

		if (!k)
			continue;
		mi_grow((void **)&v, &cap, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].len = klen < 16 ? klen : 16;
		memcpy(v[n].key, k, v[n].len);
		if (ke) {
			memcpy(v[n].end, ke, elen < 16 ? elen : 16);
			v[n].has_end = true;
		}
		v[n].is_end = fl & NFT_SET_ELEM_INTERVAL_END;
		n++;
	}
	nftnl_set_elems_iter_destroy(it);
	if (n)
		qsort(v, n, sizeof(*v), elem_cmp);
	*out = v;
	return n;
}

/* key - 1 in place (big-endian) */
static void key_dec(uint8_t *k, uint32_t len)
{
	uint32_t i;

	for (i = len; i-- > 0;)
		if (k[i]-- != 0)
			break;
}

size_t mi_set_render_elems(const struct nftnl_set *s, char ***out)
{
	uint32_t type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	bool interval = nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_INTERVAL;
	struct elem *v;
	size_t n = collect(s, &v), i, m = 0;
	char **r = mi_xcalloc(n ? n : 1, sizeof(*r));
	uint8_t hi[16];

	for (i = 0; i < n; i++) {
		if (type == MI_DT_UID_SERVICE || v[i].has_end) {
			r[m++] = fmt_concat(&v[i]);
		} else if (!interval) {
			r[m++] = fmt_range(type, false, v[i].key, NULL, v[i].len);
		} else if (!v[i].is_end) {
			/* a start runs to one before the next end, or to the top */
			memset(hi, 0xff, sizeof(hi));
			if (i + 1 < n && v[i + 1].is_end) {
				memcpy(hi, v[i + 1].key, 16);
				key_dec(hi, v[i].len);
			}
			r[m++] = fmt_range(type, true, v[i].key, hi, v[i].len);
		}
	}
	free(v);
	if (m)
		qsort(r, m, sizeof(*r), str_cmp);
	*out = r;
	return m;
}

bool mi_set_elems_equal(const struct nftnl_set *a, const struct nftnl_set *b)
{
	struct elem *x, *y;
	size_t nx = collect(a, &x), ny = collect(b, &y), i;
	bool same = nx == ny;

	for (i = 0; same && i < nx; i++)
		same = x[i].len == y[i].len && x[i].is_end == y[i].is_end &&
		       x[i].has_end == y[i].has_end &&
		       !memcmp(x[i].key, y[i].key, sizeof(x[i].key)) &&
		       !memcmp(x[i].end, y[i].end, sizeof(x[i].end));
	free(x);
	free(y);
	return same;
}

void mi_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- status output ------------------------------------------------------ */

static const char *hook_name(uint32_t h)
{
	static const char *const names[] = { "prerouting", "input", "forward",
					     "output", "postrouting" };

	return h < ARRAY_SIZE(names) ? names[h] : "?";
}

static const char *set_type_name(uint32_t t)
{
	switch (t) {
	case MI_DT_IPADDR: return "ipv4_addr";
	case MI_DT_IP6ADDR: return "ipv6_addr";
	case MI_DT_INET_SERVICE: return "inet_service";
	case MI_DT_UID: return "uid";
	case MI_DT_GID: return "gid";
	case MI_DT_IFNAME: return "ifname";
	case MI_DT_UID_SERVICE: return "uid . inet_service";
	}
	return "?";
}

static bool is_base(const struct nftnl_chain *c)
{
	return nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
}

static void text_chain(const struct mi_snap *s, const struct nftnl_chain *c,
		       FILE *f)
{
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	char text[512], comment[256];
	uint64_t p, b;
	size_t i;

	if (is_base(c))
		fprintf(f, "  chain %s { type %s hook %s priority %d }\n", name,
			nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
			hook_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)),
			nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
	else
		fprintf(f, "  chain %s\n", name);
	for (i = 0; i < s->nrules; i++) {
		const struct nftnl_rule *r = s->rules[i];

		if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), name))
			continue;
		mi_rule_render(r, text, sizeof(text));
		mi_rule_comment(r, comment, sizeof(comment));
		mi_rule_counters(r, &p, &b);
		fprintf(f, "    %8" PRIu64 " pkts %10" PRIu64 " bytes  %s%s%s\n",
			p, b, text, *comment ? "  # " : "", comment);
	}
}

static void text_set(const struct nftnl_set *set, FILE *f)
{
	uint32_t flags = nftnl_set_get_u32(set, NFTNL_SET_FLAGS);
	char **el;
	size_t n = mi_set_render_elems(set, &el), i;

	fprintf(f, "  set %s { type %s;%s %zu element%s }\n",
		nftnl_set_get_str(set, NFTNL_SET_NAME),
		set_type_name(nftnl_set_get_u32(set, NFTNL_SET_KEY_TYPE)),
		flags & NFT_SET_INTERVAL ? " flags interval;" : "", n,
		n == 1 ? "" : "s");
	if (n) {
		fprintf(f, "    ");
		for (i = 0; i < n && i < ELEMS_SHOWN; i++)
			fprintf(f, "%s%s", i ? ", " : "", el[i]);
		if (n > ELEMS_SHOWN)
			fprintf(f, " ... %zu more", n - ELEMS_SHOWN);
		fputc('\n', f);
	}
	mi_strv_free(el, n);
}

static void show_text(const struct mi_snap *s, FILE *f)
{
	size_t i;

	fprintf(f, "table inet %s\n", MI_TABLE_NAME);
	for (i = 0; i < s->nchains; i++)
		text_chain(s, s->chains[i], f);
	for (i = 0; i < s->nsets; i++)
		text_set(s->sets[i], f);
}

static void json_rules(const struct mi_snap *s, const char *chain, FILE *f)
{
	char text[512], comment[256];
	bool first = true;
	uint64_t p, b;
	size_t i;

	fprintf(f, "\"rules\":[");
	for (i = 0; i < s->nrules; i++) {
		const struct nftnl_rule *r = s->rules[i];

		if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), chain))
			continue;
		mi_rule_render(r, text, sizeof(text));
		mi_rule_comment(r, comment, sizeof(comment));
		mi_rule_counters(r, &p, &b);
		fprintf(f, "%s{\"handle\":%" PRIu64 ",\"rule\":", first ? "" : ",",
			nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
		mi_json_string(f, text);
		fprintf(f, ",\"comment\":");
		mi_json_string(f, comment);
		fprintf(f, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", p, b);
		first = false;
	}
	fputc(']', f);
}

static void json_chain(const struct mi_snap *s, const struct nftnl_chain *c,
		       FILE *f)
{
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);

	fprintf(f, "{\"name\":");
	mi_json_string(f, name);
	if (is_base(c)) {
		fprintf(f, ",\"type\":");
		mi_json_string(f, nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
		fprintf(f, ",\"hook\":\"%s\",\"priority\":%d",
			hook_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)),
			nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
	}
	fputc(',', f);
	json_rules(s, name, f);
	fputc('}', f);
}

static void json_set(const struct nftnl_set *set, FILE *f)
{
	uint32_t flags = nftnl_set_get_u32(set, NFTNL_SET_FLAGS);
	char **el;
	size_t n = mi_set_render_elems(set, &el), i;

	fprintf(f, "{\"name\":");
	mi_json_string(f, nftnl_set_get_str(set, NFTNL_SET_NAME));
	fprintf(f, ",\"type\":\"%s\",\"flags\":[%s],\"elements\":[",
		set_type_name(nftnl_set_get_u32(set, NFTNL_SET_KEY_TYPE)),
		flags & NFT_SET_INTERVAL ? "\"interval\"" : "");
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		mi_json_string(f, el[i]);
	}
	fprintf(f, "]}");
	mi_strv_free(el, n);
}

static void show_json(const struct mi_snap *s, FILE *f)
{
	size_t i;

	fprintf(f, "{\"table\":{\"family\":\"inet\",\"name\":\"%s\"},\"chains\":[",
		MI_TABLE_NAME);
	for (i = 0; i < s->nchains; i++) {
		if (i)
			fputc(',', f);
		json_chain(s, s->chains[i], f);
	}
	fprintf(f, "],\"sets\":[");
	for (i = 0; i < s->nsets; i++) {
		if (i)
			fputc(',', f);
		json_set(s->sets[i], f);
	}
	fprintf(f, "]}\n");
}

int mi_status_show(bool json, FILE *out_f, struct mi_err *err)
{
	struct mi_snap s;
	int ret = mi_snap_load(&s, err);

	if (ret < 0)
		return ret;
	if (!s.have_table) {
		mi_snap_release(&s);
		return mi_err_setx(err, MI_EXIT_NOT_INSTALLED, -ENOENT,
				   "meshinit is not installed in this network namespace");
	}
	if (json)
		show_json(&s, out_f);
	else
		show_text(&s, out_f);
	mi_snap_release(&s);
	return 0;
}
