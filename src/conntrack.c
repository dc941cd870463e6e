/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conntrack: tracked connections through ctnetlink (one dump per
 * address family), each with its original and reply tuples.
 */
#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "nl.h"
#include "util.h"

struct find {
	const struct mi_ct_filter *f;
	int family;
	struct mi_ct *v;
	size_t n, cap;
};

/* The attributes nested in @nest, indexed by type (up to @max). */
static void nested(const struct nlattr *nest, const struct nlattr **tb,
		   unsigned int max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(a, nest) {
		unsigned int t = mnl_attr_get_type(a);

		if (t <= max)
			tb[t] = a;
	}
}

static void copy_addr(const struct nlattr *a, uint8_t *out, size_t len)
{
	if (a && mnl_attr_get_payload_len(a) >= len)
		memcpy(out, mnl_attr_get_payload(a), len);
}

static uint16_t port(const struct nlattr *a)
{
	uint16_t p = 0;

	if (a && mnl_attr_get_payload_len(a) >= 2)
		memcpy(&p, mnl_attr_get_payload(a), 2);
	return ntohs(p);
}

/* CTA_TUPLE_*: addresses, protocol, ports. */
static void tuple(const struct nlattr *nest, int family, uint8_t *proto,
		  struct mi_ct_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	const struct nlattr *pr[CTA_PROTO_MAX + 1];
	size_t alen = family == AF_INET ? 4 : 16;

	nested(nest, tb, CTA_TUPLE_MAX);
	if (tb[CTA_TUPLE_IP]) {
		nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX);
		copy_addr(ip[family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC],
			  t->src, alen);
		copy_addr(ip[family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST],
			  t->dst, alen);
	}
	if (tb[CTA_TUPLE_PROTO]) {
		nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX);
		if (pr[CTA_PROTO_NUM])
			*proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
		t->sport = port(pr[CTA_PROTO_SRC_PORT]);
		t->dport = port(pr[CTA_PROTO_DST_PORT]);
	}
}

static bool matches(const struct mi_ct_filter *f, const struct mi_ct *c)
{
	size_t alen = c->family == AF_INET ? 4 : 16;

	if (f->proto && c->proto != f->proto)
		return false;
	if (f->dport && c->orig.dport != f->dport)
		return false;
	if (memcmp(c->orig.dst, f->dst, alen))
		return false;
	if (f->have_src && memcmp(c->orig.src, f->src, alen))
		return false;
	return !f->sport || c->orig.sport == f->sport;
}

static int ct_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	struct find *fd = data;
	const struct nlattr *a;
	struct mi_ct c = { .family = fd->family };
	bool orig = false;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case CTA_TUPLE_ORIG:
			tuple(a, c.family, &c.proto, &c.orig);
			orig = true;
			break;
		case CTA_TUPLE_REPLY:
			tuple(a, c.family, &c.proto, &c.reply);
			break;
		case CTA_STATUS:
			c.status = ntohl(mnl_attr_get_u32(a));
			break;
		case CTA_ZONE:
			c.zone = ntohs(mnl_attr_get_u16(a));
			break;
		default:
			break;
		}
	}
	if (!orig || !matches(fd->f, &c))
		return 0;
	mi_grow((void **)&fd->v, &fd->cap, fd->n + 1, sizeof(*fd->v));
	fd->v[fd->n++] = c;
	return 0;
}

static int dump(struct mnl_socket *nl, struct find *fd, struct mi_err *err)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = mi_nl_seq();
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)fd->family;
	g->version = NFNETLINK_V0;
	return mi_nl_talk(nl, nlh, nlh->nlmsg_len, ct_cb, fd, err);
}

int mi_ct_find(const struct mi_ct_filter *f, struct mi_ct **out, size_t *n,
	       struct mi_err *err)
{
	struct find fd = { .f = f, .family = f->family };
	struct mnl_socket *nl;
	int ret;

	*out = NULL;
	*n = 0;
	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		return ret;
	ret = dump(nl, &fd, err);
	mi_nl_close(nl);
	if (ret < 0) {
		free(fd.v);
		return ret;
	}
	*out = fd.v;
	*n = fd.n;
	return 0;
}

bool mi_ct_dst_nat(const struct mi_ct *c)
{
	return c->status & IPS_DST_NAT;
}
