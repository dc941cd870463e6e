/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ruleset: every table's chains and rules of the namespace (one dump of
 * chains, one of rules, all families), for naming other tables on a
 * packet's hooks and rendering their rules.
 */
#include "ruleset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nl.h"
#include "snapshot.h"
#include "util.h"

#define DUMP_RETRIES 5

void mi_ruleset_init(struct mi_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void mi_ruleset_release(struct mi_ruleset *rs)
{
	for (size_t i = 0; i < rs->nrules; i++)
		nftnl_rule_free(rs->rules[i].r);
	free(rs->rules);
	free(rs->chains);
	mi_ruleset_init(rs);
}

static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

static void add_chain(struct mi_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = mi_xnn(nftnl_chain_alloc());
	struct mi_rs_chain *o;

	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		goto out;
	mi_grow((void **)&rs->chains, &rs->capchains, rs->nchains + 1,
		sizeof(*rs->chains));
	o = &rs->chains[rs->nchains++];
	memset(o, 0, sizeof(*o));
	o->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	copy(o->table, sizeof(o->table),
	     nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	copy(o->name, sizeof(o->name),
	     nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	o->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	if (o->base) {
		o->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		o->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		o->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)
				    ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
				    : NF_ACCEPT;
		copy(o->type, sizeof(o->type),
		     nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE)
			     ? nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE)
			     : "filter");
	}
out:
	nftnl_chain_free(c);
}

static void add_rule(struct mi_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = mi_xnn(nftnl_rule_alloc());
	struct mi_rs_rule *o;
	size_t idx = 1;

	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return;
	}
	mi_grow((void **)&rs->rules, &rs->caprules, rs->nrules + 1,
		sizeof(*rs->rules));
	o = &rs->rules[rs->nrules];
	memset(o, 0, sizeof(*o));
	o->r = r;
	o->family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	copy(o->table, sizeof(o->table),
	     nftnl_rule_get_str(r, NFTNL_RULE_TABLE));
	copy(o->chain, sizeof(o->chain),
	     nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	o->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	/* the dump gives each chain's rules in order */
	for (size_t i = rs->nrules; i-- > 0;) {
		const struct mi_rs_rule *p = &rs->rules[i];

		if (p->family == o->family && !strcmp(p->table, o->table) &&
		    !strcmp(p->chain, o->chain)) {
			idx = p->idx + 1;
			break;
		}
	}
	o->idx = idx;
	rs->nrules++;
}

void mi_ruleset_add_msg(struct mi_ruleset *rs, const void *msg)
{
	const struct nlmsghdr *nlh = msg;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWCHAIN:
		add_chain(rs, nlh);
		break;
	case NFT_MSG_NEWRULE:
		add_rule(rs, nlh);
		break;
	default:
		break;
	}
}

static int rs_cb(const void *nlh, void *data)
{
	mi_ruleset_add_msg(data, nlh);
	return 0;
}

static int dump(struct mnl_socket *nl, uint16_t type, struct mi_ruleset *rs,
		struct mi_err *err)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_UNSPEC, NLM_F_DUMP,
				    mi_nl_seq());
	return mi_nl_talk(nl, nlh, nlh->nlmsg_len, rs_cb, rs, err);
}

int mi_ruleset_load(struct mi_ruleset *rs, struct mi_err *err)
{
	struct mnl_socket *nl;
	struct mi_err e = { 0 };
	int ret = -EINTR;

	mi_ruleset_init(rs);
	for (int i = 0; i < DUMP_RETRIES && ret == -EINTR; i++) {
		memset(&e, 0, sizeof(e));
		mi_ruleset_release(rs);
		ret = mi_nl_open(NETLINK_NETFILTER, &nl, &e);
		if (ret < 0)
			break;
		ret = dump(nl, NFT_MSG_GETCHAIN, rs, &e);
		if (!ret)
			ret = dump(nl, NFT_MSG_GETRULE, rs, &e);
		mi_nl_close(nl);
	}
	if (!ret)
		return 0;
	mi_ruleset_release(rs);
	return mi_err_set(err, ret,
			  "cannot dump the namespace's nftables rules: %s",
			  e.msg);
}

const struct mi_rs_rule *mi_ruleset_rule(const struct mi_ruleset *rs,
					 uint32_t family, const char *table,
					 const char *chain, uint64_t handle)
{
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct mi_rs_rule *r = &rs->rules[i];

		if (r->handle == handle && r->family == family &&
		    !strcmp(r->table, table) && !strcmp(r->chain, chain))
			return r;
	}
	return NULL;
}

const struct mi_rs_chain *mi_ruleset_chain(const struct mi_ruleset *rs,
					   uint32_t family, const char *table,
					   const char *chain)
{
	for (size_t i = 0; i < rs->nchains; i++) {
		const struct mi_rs_chain *c = &rs->chains[i];

		if (c->family == family && !strcmp(c->table, table) &&
		    !strcmp(c->name, chain))
			return c;
	}
	return NULL;
}

const char *mi_hook_name(uint32_t hook)
{
	static const char *const names[] = {
		[NF_INET_PRE_ROUTING] = "prerouting",
		[NF_INET_LOCAL_IN] = "input",
		[NF_INET_FORWARD] = "forward",
		[NF_INET_LOCAL_OUT] = "output",
		[NF_INET_POST_ROUTING] = "postrouting",
	};

	return hook < ARRAY_SIZE(names) ? names[hook] : "ingress";
}

struct term {
	const char *what;
};

static int term_cb(struct nftnl_expr *e, void *data)
{
	static const char *const stmts[] = { "reject", "queue", "masq",
					     "nat",    "redir", "tproxy" };
	struct term *t = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	for (size_t i = 0; i < ARRAY_SIZE(stmts); i++) {
		if (strcmp(name, stmts[i]))
			continue;
		if (!strcmp(name, "nat"))
			t->what = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE) ==
						  NFT_NAT_SNAT
					  ? "snat"
					  : "dnat";
		else if (!strcmp(name, "masq"))
			t->what = "masquerade";
		else if (!strcmp(name, "redir"))
			t->what = "redirect";
		else
			t->what = stmts[i];
		return 0;
	}
	if (!strcmp(name, "immediate") &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT) {
		int v = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

		if (v == NF_DROP)
			t->what = "drop";
		else if (v == NF_ACCEPT)
			t->what = "accept";
	}
	return 0;
}

const char *mi_rs_rule_terminal(const struct mi_rs_rule *r)
{
	struct term t = { NULL };

	nftnl_expr_foreach(r->r, term_cb, &t);
	return t.what;
}

struct last {
	int verdict;		/* of the last immediate verdict, or 1 */
	uint64_t packets;
};

static int last_cb(struct nftnl_expr *e, void *data)
{
	struct last *l = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!strcmp(name, "counter")) {
		l->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		l->verdict = 1;
	} else if (!strcmp(name, "immediate") &&
		   nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) ==
			   NFT_REG_VERDICT) {
		l->verdict = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	} else {
		l->verdict = 1;
	}
	return 0;
}

bool mi_rs_rule_returns(const struct mi_rs_rule *r)
{
	struct last l = { 1, 0 };

	nftnl_expr_foreach(r->r, last_cb, &l);
	return l.verdict == NFT_RETURN;
}

uint64_t mi_rs_rule_packets(const struct mi_rs_rule *r)
{
	struct last l = { 1, 0 };

	nftnl_expr_foreach(r->r, last_cb, &l);
	return l.packets;
}
