/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
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

#include "nl.h"
#include "plan.h"
#include "util.h"

/* a dump the kernel interrupted (ruleset changed meanwhile) is redone */
#define DUMP_RETRIES 5

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
	for (i = 0; i < s->ntables; i++)
		free(s->tables[i].chains);
	free(s->chains);
	free(s->rules);
	free(s->sets);
	free(s->tables);
	mi_snap_init(s);
}

const char *mi_family_name(uint32_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	}
	return "unknown-family";
}

static bool is_ours(const char *table, uint32_t family)
{
	return table && family == NFPROTO_INET && !strcmp(table, MI_TABLE_NAME);
}

struct nftnl_set *mi_snap_set(const struct mi_snap *s, const char *name)
{
	for (size_t i = 0; i < s->nsets; i++)
		if (!strcmp(nftnl_set_get_str(s->sets[i], NFTNL_SET_NAME),
			    name))
			return s->sets[i];
	return NULL;
}

struct nftnl_chain *mi_snap_chain(const struct mi_snap *s, const char *name)
{
	for (size_t i = 0; i < s->nchains; i++)
		if (!strcmp(nftnl_chain_get_str(s->chains[i], NFTNL_CHAIN_NAME),
			    name))
			return s->chains[i];
	return NULL;
}

const struct mi_snap_table *mi_snap_table(const struct mi_snap *s,
					  uint32_t family, const char *name)
{
	for (size_t i = 0; i < s->ntables; i++)
		if (s->tables[i].family == family &&
		    !strcmp(s->tables[i].name, name))
			return &s->tables[i];
	return NULL;
}

static struct mi_snap_table *other_table(struct mi_snap *s, uint32_t family,
					 const char *name)
{
	return (struct mi_snap_table *)mi_snap_table(s, family, name);
}

static struct mi_snap_chain_sum *other_chain(struct mi_snap *s, uint32_t family,
					     const char *table,
					     const char *chain)
{
	struct mi_snap_table *t = other_table(s, family, table);

	if (!t || !chain)
		return NULL;
	for (size_t i = 0; i < t->nchains; i++)
		if (!strcmp(t->chains[i].name, chain))
			return &t->chains[i];
	return NULL;
}

/* ---- messages ---------------------------------------------------------- */

static void add_table(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_table *t = mi_xnn(nftnl_table_alloc());
	const char *name;
	uint32_t fam;

	if (nftnl_table_nlmsg_parse(nlh, t) < 0)
		goto out;
	name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
	fam = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	if (is_ours(name, fam)) {
		s->have_table = true;
	} else if (name && !other_table(s, fam, name)) {
		struct mi_snap_table *o;

		mi_grow((void **)&s->tables, &s->captables, s->ntables + 1,
			sizeof(*s->tables));
		o = &s->tables[s->ntables++];
		memset(o, 0, sizeof(*o));
		o->family = fam;
		snprintf(o->name, sizeof(o->name), "%s", name);
	}
out:
	nftnl_table_free(t);
}

static void sum_chain(struct mi_snap *s, const struct nftnl_chain *c)
{
	struct mi_snap_table *t =
		other_table(s, nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
			    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	struct mi_snap_chain_sum *cs;

	if (!t)
		return;
	mi_grow((void **)&t->chains, &t->capchains, t->nchains + 1,
		sizeof(*t->chains));
	cs = &t->chains[t->nchains++];
	memset(cs, 0, sizeof(*cs));
	snprintf(cs->name, sizeof(cs->name), "%s",
		 nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	cs->hook = -1;
	cs->policy = -1;
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		cs->hook = (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		cs->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE))
			snprintf(cs->type, sizeof(cs->type), "%s",
				 nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY))
			cs->policy =
				(int)nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
	}
}

static void add_chain(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = mi_xnn(nftnl_chain_alloc());

	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		goto drop;
	if (!is_ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		     nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY))) {
		sum_chain(s, c);
		goto drop;
	}
	mi_grow((void **)&s->chains, &s->capchains, s->nchains + 1,
		sizeof(*s->chains));
	s->chains[s->nchains++] = c;
	return;
drop:
	nftnl_chain_free(c);
}

static void sum_expr(struct mi_snap_chain_sum *cs, struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!strcmp(name, "immediate") &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT) {
		int v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

		cs->drops += v == NF_DROP;
		cs->accepts += v == NF_ACCEPT;
		cs->jumps += v == NFT_JUMP || v == NFT_GOTO;
	} else if (!strcmp(name, "reject")) {
		cs->rejects++;
	} else if (!strcmp(name, "redir") || !strcmp(name, "nat") ||
		   !strcmp(name, "tproxy") || !strcmp(name, "masq")) {
		cs->nats++;
	} else if (!strcmp(name, "queue")) {
		cs->queues++;
	} else if ((!strcmp(name, "meta") &&
		    nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG)) ||
		   (!strcmp(name, "ct") &&
		    nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG))) {
		cs->marks++;
	} else if (!strcmp(name, "target")) {
		const char *tg = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
		size_t n = strlen(cs->targets);

		if (tg && !strstr(cs->targets, tg) &&
		    n + strlen(tg) + 2 < sizeof(cs->targets))
			snprintf(cs->targets + n, sizeof(cs->targets) - n,
				 "%s%s", n ? "," : "", tg);
		if (tg && (!strcmp(tg, "REDIRECT") || !strcmp(tg, "TPROXY") ||
			   !strcmp(tg, "DNAT")))
			cs->nats++;
		if (tg && (!strcmp(tg, "MARK") || !strcmp(tg, "CONNMARK") ||
			   !strcmp(tg, "CT")))
			cs->marks++;
		if (tg && !strcmp(tg, "REJECT"))
			cs->rejects++;
	}
}

static void sum_rule(struct mi_snap *s, struct nftnl_rule *r)
{
	struct mi_snap_chain_sum *cs =
		other_chain(s, nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
			    nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
			    nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;

	if (!cs)
		return;
	cs->rules++;
	it = mi_xnn(nftnl_expr_iter_create(r));
	while ((e = nftnl_expr_iter_next(it)))
		sum_expr(cs, e);
	nftnl_expr_iter_destroy(it);
}

static void add_rule(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = mi_xnn(nftnl_rule_alloc());

	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto drop;
	if (!is_ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
		     nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY))) {
		sum_rule(s, r);
		goto drop;
	}
	mi_grow((void **)&s->rules, &s->caprules, s->nrules + 1,
		sizeof(*s->rules));
	s->rules[s->nrules++] = r;
	return;
drop:
	nftnl_rule_free(r);
}

static void add_set(struct mi_snap *s, const struct nlmsghdr *nlh)
{
	struct nftnl_set *set = mi_xnn(nftnl_set_alloc());

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
	struct nftnl_set *tmp = mi_xnn(nftnl_set_alloc()), *set = NULL;

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

/*
 * libnftnl numbers the element attributes of a NEWSETELEM it builds 1, 2,
 * 3... (the kernel ignores the type) but its parser accepts only
 * NFTA_LIST_ELEM: retype them in the batch (which is ours to change).
 */
static void fix_elem_types(struct nlmsghdr *nlh)
{
	struct nlattr *attr, *el;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM)
		return;
	mnl_attr_for_each (attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested (el, attr)
			el->nla_type =
				(uint16_t)((el->nla_type & ~NLA_TYPE_MASK) |
					   NFTA_LIST_ELEM);
	}
}

void mi_snap_add_batch(struct mi_snap *s, void *buf, size_t len)
{
	struct nlmsghdr *nlh = buf;
	int left = (int)len;

	/* a table deleted earlier in the batch is created again later */
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		fix_elem_types(nlh);
		mi_snap_add_msg(s, nlh);
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
	char buf[8192] = {
		0
	}; /* one request; libmnl 1.0.4 leaves padding unwritten */
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_DUMP, mi_nl_seq());
	if (payload)
		payload(nlh, obj);
	return mi_nl_talk(nl, nlh, nlh->nlmsg_len, snap_cb, s, err);
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
	int ret = 0;

	for (size_t i = 0; i < s->nsets && ret == 0; i++) {
		struct nftnl_set *q = mi_xnn(nftnl_set_alloc());

		nftnl_set_set_str(q, NFTNL_SET_TABLE, MI_TABLE_NAME);
		nftnl_set_set_str(
			q, NFTNL_SET_NAME,
			nftnl_set_get_str(s->sets[i], NFTNL_SET_NAME));
		nftnl_set_set_u32(q, NFTNL_SET_FAMILY, NFPROTO_INET);
		ret = dump(nl, NFT_MSG_GETSETELEM, NFPROTO_INET, elems_payload,
			   q, s, err);
		nftnl_set_free(q);
	}
	return ret;
}

/*
 * Tables first (they say which chains are ours), then every chain and
 * rule of every family (ours kept whole, the others summarised), then
 * our sets and their elements.
 */
static int load_once(struct mi_snap *s, struct mi_err *err)
{
	struct nftnl_set *set = mi_xnn(nftnl_set_alloc());
	struct mnl_socket *nl;
	int ret;

	nftnl_set_set_str(set, NFTNL_SET_TABLE, MI_TABLE_NAME);
	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		goto out_free;
	ret = dump(nl, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NULL, NULL, s, err);
	if (ret == 0)
		ret = dump(nl, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NULL, NULL, s,
			   err);
	if (ret == 0)
		ret = dump(nl, NFT_MSG_GETRULE, NFPROTO_UNSPEC, NULL, NULL, s,
			   err);
	if (ret == 0 && s->have_table)
		ret = dump(nl, NFT_MSG_GETSET, NFPROTO_INET, set_payload, set,
			   s, err);
	if (ret == 0)
		ret = dump_elems(nl, s, err);
	mi_nl_close(nl);
out_free:
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
		return mi_err_set(
			err, ret,
			"CAP_NET_ADMIN is required to read nftables state: %s",
			e.msg);
	if (ret == -EINTR)
		return mi_err_set(
			err, ret,
			"the ruleset kept changing during %d dumps; try again",
			DUMP_RETRIES);
	return mi_err_set(err, ret, "cannot dump the nftables state: %s",
			  e.msg);
}

/* ---- rule comments ------------------------------------------------------ */

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	char **c = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		*c = nftnl_udata_get(attr);
	return 0;
}

void mi_snap_rule_comment(const struct nftnl_rule *r, char *buf, size_t len)
{
	uint32_t ulen = 0;
	const void *u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ulen);
	char *c = NULL;
	uint32_t i;

	buf[0] = '\0';
	if (!u || nftnl_udata_parse(u, ulen, comment_cb, &c) < 0 || !c)
		return;
	/* the comment is NUL-terminated inside its attribute */
	for (i = 0; i + 1 < len && c[i] &&
		    (const char *)&c[i] < (const char *)u + ulen;
	     i++)
		buf[i] = c[i];
	buf[i] = '\0';
}
