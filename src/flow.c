/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flow: one packet of a flow from the explain/trace flags, the pod's
 * defaults for what was not given, and its one-line description.
 */
#include "flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plan.h"
#include "util.h"

/* ---- flags ------------------------------------------------------------- */

static int bad_flag(struct mi_err *err, const char *flag, const char *v,
		    const char *why)
{
	return mi_err_set_src(err, MI_EXIT_FAILURE, MI_ERR_SRC_FLAG, -EINVAL,
			      "invalid --%s \"%.120s\": %s", flag, v, why);
}

static int need_flag(struct mi_err *err, const char *what)
{
	return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL, "%s", what);
}

static bool given(const char *s)
{
	return s && *s;
}

/* Split "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address. */
static int split_endpoint(const char *flag, const char *s, char *host,
			  size_t hlen, const char **port, struct mi_err *err)
{
	const char *colon = strrchr(s, ':');

	*port = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':') ||
		    (size_t)(end - s - 1) >= hlen)
			return bad_flag(err, flag, s,
					"is not ADDR[:PORT] or [IPv6]:PORT");
		snprintf(host, hlen, "%.*s", (int)(end - s - 1), s + 1);
		*port = end[1] ? end + 2 : NULL;
		return 0;
	}
	if (colon && strchr(s, ':') == colon) {
		/* exactly one colon: IPv4 with a port */
		if ((size_t)(colon - s) >= hlen)
			return bad_flag(err, flag, s, "is not ADDR[:PORT]");
		snprintf(host, hlen, "%.*s", (int)(colon - s), s);
		*port = colon + 1;
		return 0;
	}
	if (strlen(s) >= hlen)
		return bad_flag(err, flag, s, "is not ADDR[:PORT]");
	snprintf(host, hlen, "%s", s);
	return 0;
}

static int parse_endpoint(const char *flag, const char *s, int *family,
			  uint8_t *addr, uint16_t *port, struct mi_err *err)
{
	char host[128];
	const char *p;
	struct mi_cidr c;
	uint32_t v;

	if (split_endpoint(flag, s, host, sizeof(host), &p, err) < 0)
		return -EINVAL;
	if (mi_addr_parse(host, &c) < 0)
		return bad_flag(
			err, flag, s,
			"is not an IPv4 or IPv6 address (ADDR[:PORT], "
			"[IPv6]:PORT)");
	if (p && mi_parse_u32(p, 1, 65535, &v) < 0)
		return bad_flag(err, flag, s, "has a port that is not 1-65535");
	*family = c.family;
	memcpy(addr, c.addr, 16);
	*port = p ? (uint16_t)v : 0;
	return 0;
}

/* the one uid/gid resolver: cli.c's mi_id_parse */
static int parse_id(const char *flag, const char *s, bool group, uint32_t *out,
		    struct mi_err *err)
{
	if (mi_id_parse(s, group, out) < 0)
		return bad_flag(err, flag, s,
				group ? "is not a gid or known group" :
					"is not a uid or known user");
	return 0;
}

static int parse_iface(const char *flag, const char *s, char *out,
		       struct mi_err *err)
{
	if (!mi_ifname_valid(s))
		return bad_flag(err, flag, s, "is not a valid interface name");
	snprintf(out, MI_IFNAMSIZ, "%s", s);
	return 0;
}

/* --direction and --proto */
static int parse_kind(const struct mi_flow_args *a, bool need,
		      struct mi_flow *f, struct mi_err *err)
{
	if (given(a->direction) && !strcmp(a->direction, "in"))
		f->dir = MI_DIR_IN;
	else if (given(a->direction) && strcmp(a->direction, "out"))
		return bad_flag(err, "direction", a->direction,
				"is not out or in");
	else if (need && !given(a->direction))
		return need_flag(err, "explain needs --direction out|in");
	if (given(a->proto) && !strcmp(a->proto, "udp"))
		f->proto = IPPROTO_UDP;
	else if (given(a->proto) && strcmp(a->proto, "tcp"))
		return bad_flag(err, "proto", a->proto, "is not tcp or udp");
	return 0;
}

/* --dst and --src */
static int parse_addrs(const struct mi_flow_args *a, bool need,
		       struct mi_flow *f, struct mi_err *err)
{
	int fam2 = 0;

	if (given(a->dst) && parse_endpoint("dst", a->dst, &f->family, f->dst,
					    &f->dport, err) < 0)
		return -EINVAL;
	if (need && !given(a->dst))
		return need_flag(err, "explain needs --dst ADDR:PORT");
	if (need && !f->dport)
		return bad_flag(err, "dst", a->dst,
				"has no port (ADDR:PORT, [IPv6]:PORT)");
	if (!given(a->src))
		return 0;
	if (parse_endpoint("src", a->src, &fam2, f->src, &f->sport, err) < 0)
		return -EINVAL;
	if (f->family && fam2 != f->family)
		return bad_flag(err, "src", a->src,
				"is not of the address family of --dst");
	f->family = fam2;
	f->have_src = true;
	return 0;
}

/* --uid and --gid: the sending socket's owner */
static int parse_owner(const struct mi_flow_args *a, bool need,
		       struct mi_flow *f, struct mi_err *err)
{
	if (given(a->uid)) {
		if (parse_id("uid", a->uid, false, &f->uid, err) < 0)
			return -EINVAL;
		f->have_uid = true;
	}
	if (given(a->gid)) {
		if (parse_id("gid", a->gid, true, &f->gid, err) < 0)
			return -EINVAL;
		f->have_gid = true;
	}
	if (!need)
		return 0;
	if (f->have_gid && !f->have_uid)
		return need_flag(err, "--gid needs --uid");
	if (f->have_uid && !f->have_gid)
		return need_flag(err, "--uid needs --gid");
	if (f->dir == MI_DIR_OUT && !f->have_uid)
		return need_flag(
			err,
			"explain --direction out needs --uid and --gid (the "
			"sending socket's owner)");
	if (f->dir == MI_DIR_IN && f->have_uid)
		return bad_flag(
			err, "uid", a->uid,
			"applies to outbound packets only (an arriving packet "
			"has no socket yet)");
	return 0;
}

/* --iif and --oif */
static int parse_ifaces(const struct mi_flow_args *a, bool need,
			struct mi_flow *f, struct mi_err *err)
{
	if (given(a->iif) && parse_iface("iif", a->iif, f->iif, err) < 0)
		return -EINVAL;
	if (given(a->oif) && parse_iface("oif", a->oif, f->oif, err) < 0)
		return -EINVAL;
	if (need && f->dir == MI_DIR_OUT && given(a->iif))
		return bad_flag(err, "iif", a->iif,
				"applies to --direction in only");
	if (need && f->dir == MI_DIR_IN && given(a->oif))
		return bad_flag(err, "oif", a->oif,
				"applies to --direction out only");
	return 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} ct_states[] = {
	{ "new", MI_CT_NEW },
	{ "established", MI_CT_ESTABLISHED },
	{ "related", MI_CT_RELATED },
	{ "invalid", MI_CT_INVALID },
};

const char *mi_ct_state_name(uint32_t bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(ct_states); i++)
		if (ct_states[i].bit == bit)
			return ct_states[i].name;
	return "?";
}

/* --ct-state */
static int parse_ctstate(const struct mi_flow_args *a, struct mi_flow *f,
			 struct mi_err *err)
{
	if (!given(a->ct_state))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(ct_states); i++) {
		if (!strcmp(a->ct_state, ct_states[i].name)) {
			f->ctstate = ct_states[i].bit;
			return 0;
		}
	}
	return bad_flag(err, "ct-state", a->ct_state,
			"is not new, established, related or invalid");
}

int mi_flow_parse(const struct mi_flow_args *a, bool need, struct mi_flow *f,
		  struct mi_err *err)
{
	memset(f, 0, sizeof(*f));
	f->ctstate = MI_CT_NEW;
	f->proto = IPPROTO_TCP;
	if (parse_kind(a, need, f, err) < 0 ||
	    parse_addrs(a, need, f, err) < 0 ||
	    parse_owner(a, need, f, err) < 0 ||
	    parse_ifaces(a, need, f, err) < 0 || parse_ctstate(a, f, err) < 0)
		return -EINVAL;
	return 0;
}

/* ---- the pod's defaults ------------------------------------------------ */

static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	return family == AF_INET ? a[0] == 127 : !memcmp(a, lo6, 16);
}

bool mi_flow_dst_local(const struct mi_flow *f, const struct mi_cidr *local,
		       size_t n)
{
	size_t bytes = f->family == AF_INET ? 4 : 16;

	if (is_loopback(f->family, f->dst))
		return true;
	for (size_t i = 0; i < n; i++)
		if (local[i].family == f->family &&
		    !memcmp(local[i].addr, f->dst, bytes))
			return true;
	return false;
}

void mi_flow_complete(struct mi_flow *f, const struct mi_cidr *local, size_t n)
{
	bool loc = mi_flow_dst_local(f, local, n);

	if (f->dir == MI_DIR_IN) {
		if (!f->iif[0])
			strcpy(f->iif, "eth0");
		return;
	}
	if (!f->oif[0])
		strcpy(f->oif, loc ? "lo" : "eth0");
	if (f->have_src)
		return;
	if (loc) {
		memcpy(f->src, f->dst, 16);
		f->have_src = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (local[i].family == f->family &&
		    !is_loopback(f->family, local[i].addr)) {
			memcpy(f->src, local[i].addr, 16);
			f->have_src = true;
			return;
		}
	}
}

/* ---- description ------------------------------------------------------- */

void mi_flow_endpoint(int family, const uint8_t *a, uint16_t port, char *buf,
		      size_t len)
{
	char ab[INET6_ADDRSTRLEN];

	mi_addr_format(family, a, ab, sizeof(ab));
	if (!port)
		snprintf(buf, len, "%s", ab);
	else if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ab, port);
	else
		snprintf(buf, len, "%s:%u", ab, port);
}

void mi_flow_format(const struct mi_flow *f, char *buf, size_t len)
{
	char s[80], d[80], ids[48] = "";

	if (f->have_uid)
		snprintf(ids, sizeof(ids), " uid %u gid %u", f->uid, f->gid);
	if (f->have_src)
		mi_flow_endpoint(f->family, f->src, f->sport, s, sizeof(s));
	else
		strcpy(s, "?");
	mi_flow_endpoint(f->family, f->dst, f->dport, d, sizeof(d));
	snprintf(buf, len, "%s %s%s %s -> %s %s %s (ct state %s, mark %u)",
		 f->dir == MI_DIR_OUT ? "out" : "in",
		 f->proto == IPPROTO_TCP ? "tcp" : "udp", ids, s, d,
		 f->dir == MI_DIR_OUT ? "oif" : "iif",
		 f->dir == MI_DIR_OUT ? f->oif : f->iif,
		 mi_ct_state_name(f->ctstate), f->mark);
}
