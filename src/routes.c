/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "routes.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "nl.h"
#include "util.h"

static const int families[2] = { AF_INET, AF_INET6 };
static const unsigned char addr6[16] = { [15] = 6 };

/* One object of ours found in a dump. */
struct found {
	int family;
	uint32_t mark, table;
	bool mine;
};

struct dump {
	size_t n, cap;
	struct found *v;
	bool all;	/* keep objects that are not ours too */
};

static int request(uint16_t type, uint16_t flags, void *hdr, size_t hdrlen,
		   void (*attrs)(struct nlmsghdr *, const void *), const void *arg,
		   int (*cb)(const void *, void *), void *data, struct mi_err *err)
{
	char buf[512] = { 0 }; /* libmnl 1.0.4 leaves attribute padding unwritten */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = mi_nl_seq();
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdrlen), hdr, hdrlen);
	if (attrs)
		attrs(nlh, arg);
	ret = mi_nl_open(NETLINK_ROUTE, &nl, err);
	if (ret < 0)
		return ret;
	ret = mi_nl_talk(nl, nlh, nlh->nlmsg_len, cb, data, err);
	mi_nl_close(nl);
	return ret;
}

/* ---- policy rules ------------------------------------------------------ */

struct rule_arg {
	uint32_t mark, table;
};

static void rule_attrs(struct nlmsghdr *nlh, const void *arg)
{
	const struct rule_arg *ra = arg;

	mnl_attr_put_u32(nlh, FRA_FWMARK, ra->mark);
	mnl_attr_put_u32(nlh, FRA_TABLE, ra->table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, MI_RULE_PRIO);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, MI_RTPROT);
}

static int rule_msg(uint16_t type, uint16_t flags, int family, uint32_t mark,
		    uint32_t table, struct mi_err *err)
{
	struct fib_rule_hdr h = {
		.family = (uint8_t)family,
		.table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC,
		.action = FR_ACT_TO_TBL,
	};
	struct rule_arg ra = { mark, table };

	return request(type, flags, &h, sizeof(h), rule_attrs, &ra, NULL, NULL,
		       err);
}

static int rule_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	const struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);
	struct found f = { .family = h->family, .table = h->table };
	const struct nlattr *a;
	struct dump *d = data;

	mnl_attr_for_each(a, nlh, sizeof(*h)) {
		switch (mnl_attr_get_type(a)) {
		case FRA_FWMARK:
			f.mark = mnl_attr_get_u32(a);
			break;
		case FRA_TABLE:
			f.table = mnl_attr_get_u32(a);
			break;
		case FRA_PROTOCOL:
			f.mine = mnl_attr_get_u8(a) == MI_RTPROT;
			break;
		}
	}
	if (!f.mine && !d->all)
		return 0;
	mi_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	d->v[d->n++] = f;
	return 0;
}

static int dump_rules(int family, struct dump *d, struct mi_err *err)
{
	struct fib_rule_hdr h = { .family = (uint8_t)family };

	return request(RTM_GETRULE, NLM_F_DUMP, &h, sizeof(h), NULL, NULL,
		       rule_cb, d, err);
}

/* ---- routes ------------------------------------------------------------- */

static void route_attrs(struct nlmsghdr *nlh, const void *arg)
{
	const struct rule_arg *ra = arg;

	mnl_attr_put_u32(nlh, RTA_TABLE, ra->table);
	mnl_attr_put_u32(nlh, RTA_OIF, if_nametoindex("lo"));
}

static int route_msg(uint16_t type, uint16_t flags, int family, uint32_t table,
		     struct mi_err *err)
{
	struct rtmsg h = {
		.rtm_family = (uint8_t)family,
		.rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC,
		.rtm_protocol = MI_RTPROT,
		.rtm_scope = RT_SCOPE_HOST,
		.rtm_type = RTN_LOCAL,
	};
	struct rule_arg ra = { 0, table };

	return request(type, flags, &h, sizeof(h), route_attrs, &ra, NULL, NULL,
		       err);
}

static int route_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	const struct rtmsg *h = mnl_nlmsg_get_payload(nlh);
	struct found f = { .family = h->rtm_family, .table = h->rtm_table,
			   .mine = h->rtm_protocol == MI_RTPROT };
	const struct nlattr *a;
	struct dump *d = data;

	if ((!f.mine && !d->all) || h->rtm_dst_len != 0 ||
	    h->rtm_type != RTN_LOCAL)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*h))
		if (mnl_attr_get_type(a) == RTA_TABLE)
			f.table = mnl_attr_get_u32(a);
	mi_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	d->v[d->n++] = f;
	return 0;
}

static int dump_routes(int family, struct dump *d, struct mi_err *err)
{
	struct rtmsg h = { .rtm_family = (uint8_t)family };

	return request(RTM_GETROUTE, NLM_F_DUMP, &h, sizeof(h), NULL, NULL,
		       route_cb, d, err);
}

/* ---- the ::6 address ---------------------------------------------------- */

static void addr_attrs(struct nlmsghdr *nlh, const void *arg)
{
	(void)arg;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr6);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr6);
	mnl_attr_put_u8(nlh, IFA_PROTO, MI_RTPROT);
}

static int addr_msg(uint16_t type, uint16_t flags, struct mi_err *err)
{
	struct ifaddrmsg h = {
		.ifa_family = AF_INET6,
		.ifa_prefixlen = 128,
		.ifa_flags = IFA_F_NODAD,
		.ifa_index = if_nametoindex("lo"),
	};

	return request(type, flags, &h, sizeof(h), addr_attrs, NULL, NULL, NULL,
		       err);
}

struct addr_find {
	bool present, mine;
	/* ::6's IFA_PROTO; whether any address of the dump had one */
	bool has_proto, any_proto;
	uint8_t proto;
};

static int addr_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	const struct ifaddrmsg *h = mnl_nlmsg_get_payload(nlh);
	struct addr_find *af = data;
	const struct nlattr *a;
	bool is6 = false, has_proto = false;
	uint8_t proto = 0;

	if (h->ifa_family != AF_INET6)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*h)) {
		uint16_t t = mnl_attr_get_type(a);

		if ((t == IFA_ADDRESS || t == IFA_LOCAL) &&
		    h->ifa_prefixlen == 128 &&
		    mnl_attr_get_payload_len(a) == 16 &&
		    !memcmp(mnl_attr_get_payload(a), addr6, 16))
			is6 = true;
		if (t == IFA_PROTO) {
			has_proto = true;
			proto = mnl_attr_get_u8(a);
		}
	}
	af->any_proto |= has_proto;
	if (is6) {
		af->present = true;
		af->has_proto = has_proto;
		af->proto = proto;
	}
	return 0;
}

static int find_addr6(struct addr_find *af, struct mi_err *err)
{
	struct ifaddrmsg h = { .ifa_family = AF_INET6 };

	int ret;

	memset(af, 0, sizeof(*af));
	ret = request(RTM_GETADDR, NLM_F_DUMP, &h, sizeof(h), NULL, NULL,
		      addr_cb, af, err);
	/*
	 * ::6 is ours when it carries our IFA_PROTO. Kernels before 5.18
	 * (Debian's 5.10) keep no address protocol: none of the dump has
	 * one (5.18+ marks ::1 and link-local addresses), so ::6/128 on lo,
	 * Istio's inbound passthrough address, is taken as ours there.
	 */
	af->mine = af->has_proto ? af->proto == MI_RTPROT : !af->any_proto;
	return ret;
}

/* ---- policy ------------------------------------------------------------- */

static bool wants_tproxy(const struct mi_config *cfg)
{
	return cfg && cfg->tproxy && cfg->inbound != MI_CAPTURE_NONE;
}

static bool wants_family(const struct mi_config *cfg, int fi)
{
	return wants_tproxy(cfg) && (fi == 0 || cfg->ipv6);
}

static bool has(const struct dump *d, int family, bool rule, uint32_t mark,
		uint32_t table)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].family == family && d->v[i].table == table &&
		    (!rule || d->v[i].mark == mark))
			return true;
	return false;
}

static int ensure_family(const struct mi_config *cfg, int fi,
			 struct mi_routes_undo *undo, struct mi_err *err)
{
	struct dump rules = { 0 }, routes = { 0 };
	int fam = families[fi], ret;

	ret = dump_rules(fam, &rules, err);
	if (!ret)
		ret = dump_routes(fam, &routes, err);
	if (!ret && !has(&rules, fam, true, cfg->tproxy_mark, cfg->route_table)) {
		ret = rule_msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, fam,
			       cfg->tproxy_mark, cfg->route_table, err);
		undo->rule[fi] = ret == 0;
	}
	if (!ret && !has(&routes, fam, false, 0, cfg->route_table)) {
		struct mi_err e = { 0 };

		ret = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, fam,
				cfg->route_table, &e);
		undo->route[fi] = ret == 0;
		/* someone else's identical local default route serves as well */
		if (ret == -EEXIST)
			ret = 0;
		else if (ret < 0 && !err->code)
			*err = e;
	}
	free(rules.v);
	free(routes.v);
	if (ret < 0)
		mi_err_prefix(err, "failed to configure TPROXY routing (%s%s)",
			      fam == AF_INET ? "IPv4" : "IPv6",
			      ret == -ENETDOWN ? ", lo is down" : "");
	return ret;
}

int mi_routes_apply(const struct mi_config *cfg, struct mi_routes_undo *undo,
		    struct mi_err *err)
{
	struct addr_find af;
	int ret;

	memset(undo, 0, sizeof(*undo));
	undo->mark = cfg->tproxy_mark;
	undo->table = cfg->route_table;
	if (cfg->ipv6) {
		ret = find_addr6(&af, err);
		if (!ret && !af.present) {
			ret = addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, err);
			undo->addr6 = ret == 0;
		}
		if (ret < 0) {
			/* EACCES: the kernel refuses addresses where IPv6 is off */
			mi_err_prefix(err, "failed to add ::6/128 to lo%s",
				      ret == -EACCES ? " (IPv6 is disabled: net.ipv6.conf.lo.disable_ipv6=1; "
						       "use --ipv6 auto or off)" : "");
			return ret;
		}
	}
	for (int fi = 0; fi < 2; fi++) {
		if (!wants_family(cfg, fi))
			continue;
		ret = ensure_family(cfg, fi, undo, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

bool mi_routes_changed(const struct mi_routes_undo *undo)
{
	return undo->rule[0] || undo->rule[1] || undo->route[0] ||
	       undo->route[1] || undo->addr6;
}

void mi_routes_rollback(const struct mi_routes_undo *undo)
{
	struct mi_err ignored = { 0 };

	for (int fi = 0; fi < 2; fi++) {
		if (undo->route[fi])
			route_msg(RTM_DELROUTE, 0, families[fi], undo->table,
				  &ignored);
		if (undo->rule[fi])
			rule_msg(RTM_DELRULE, 0, families[fi], undo->mark,
				 undo->table, &ignored);
	}
	if (undo->addr6)
		addr_msg(RTM_DELADDR, 0, &ignored);
}

static bool wanted(const struct mi_config *cfg, const struct found *f,
		   bool rule)
{
	int fi = f->family == AF_INET6;

	return wants_family(cfg, fi) && f->table == cfg->route_table &&
	       (!rule || f->mark == cfg->tproxy_mark);
}

static int prune_family(const struct mi_config *cfg, int fi,
			struct mi_err *err)
{
	struct dump rules = { 0 }, routes = { 0 };
	int fam = families[fi], ret;
	size_t i;

	ret = dump_rules(fam, &rules, err);
	if (!ret)
		ret = dump_routes(fam, &routes, err);
	for (i = 0; !ret && i < rules.n; i++)
		if (!wanted(cfg, &rules.v[i], true))
			ret = rule_msg(RTM_DELRULE, 0, fam, rules.v[i].mark,
				       rules.v[i].table, err);
	for (i = 0; !ret && i < routes.n; i++)
		if (!wanted(cfg, &routes.v[i], false))
			ret = route_msg(RTM_DELROUTE, 0, fam, routes.v[i].table,
					err);
	free(rules.v);
	free(routes.v);
	return ret;
}

int mi_routes_prune(const struct mi_config *cfg, struct mi_err *err)
{
	struct addr_find af;
	int ret;

	for (int fi = 0; fi < 2; fi++) {
		struct mi_err e = { 0 };

		ret = prune_family(cfg, fi, &e);
		/* a kernel without IPv6 has nothing of ours to prune */
		if (ret == -EAFNOSUPPORT && fi == 1)
			ret = 0;
		if (ret < 0) {
			if (!err->code)
				*err = e;
			mi_err_prefix(err, "failed to remove stale TPROXY routing");
			return ret;
		}
	}
	if (cfg && cfg->ipv6)
		return 0;
	ret = find_addr6(&af, err);
	if (!ret && af.present && af.mine)
		ret = addr_msg(RTM_DELADDR, 0, err);
	if (ret < 0)
		mi_err_prefix(err, "failed to remove ::6/128 from lo");
	return ret;
}

int mi_routes_state(uint32_t mark, uint32_t table, struct mi_routes_state *st,
		    struct mi_err *err)
{
	struct addr_find af;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	for (int fi = 0; fi < 2 && !ret; fi++) {
		struct dump rules = { .all = true }, routes = { .all = true };

		ret = dump_rules(families[fi], &rules, err);
		if (!ret)
			ret = dump_routes(families[fi], &routes, err);
		/* a kernel without IPv6 has no IPv6 rules */
		if (ret == -EAFNOSUPPORT && fi == 1) {
			memset(err, 0, sizeof(*err));
			ret = 0;
		}
		st->rule[fi] = has(&rules, families[fi], true, mark, table);
		st->route[fi] = has(&routes, families[fi], false, 0, table);
		free(rules.v);
		free(routes.v);
	}
	if (!ret)
		ret = find_addr6(&af, err);
	if (!ret) {
		st->addr6 = af.present;
		st->addr6_mine = af.mine;
	}
	if (ret < 0)
		mi_err_prefix(err, "cannot read the TPROXY routing");
	return ret;
}
