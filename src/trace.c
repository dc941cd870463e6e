/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace: the kernel's nftrace. A table of our own (inet meshinit-trace,
 * prerouting and output at priority -350, before raw) sets nftrace on
 * the packets of interest; the kernel then multicasts one NFT_MSG_TRACE
 * per rule each of them meets (NFNLGRP_NFTRACE), parsed here with
 * libnftnl's trace API.
 */
#define _GNU_SOURCE 1
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/trace.h>

#include "batch.h"
#include "emit.h"
#include "nftexpr.h"
#include "nl.h"
#include "ruleset.h"
#include "readback.h"
#include "snapshot.h"
#include "util.h"

struct mi_tracer {
	struct mnl_socket *ev;		/* NFNLGRP_NFTRACE member */
	bool table_added;
};

/* ---- the trace table ------------------------------------------------- */

static void trace_chain(struct mi_batch *b, const char *name, int hook)
{
	struct nftnl_chain *c = mi_xnn(nftnl_chain_alloc());

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, MI_TRACE_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, MI_TRACE_PRIO);
	mi_batch_chain(b, c, "trace chain %s", name);
	nftnl_chain_free(c);
}

static void match_num(struct mi_match *m, size_t *n, enum mi_key key,
		      uint32_t num)
{
	m[*n] = (struct mi_match){ .key = key, .val = MI_V_NUM, .num = num };
	(*n)++;
}

static void match_addr(struct mi_match *m, size_t *n, int family, bool dst,
		       const uint8_t *addr)
{
	bool v4 = family == AF_INET;
	enum mi_key key = v4 ? (dst ? MI_K_IP_DADDR : MI_K_IP_SADDR) :
			       (dst ? MI_K_IP6_DADDR : MI_K_IP6_SADDR);

	m[*n] = (struct mi_match){ .key = key, .val = MI_V_CIDR };
	m[*n].cidr.family = (uint8_t)family;
	m[*n].cidr.plen = v4 ? 32 : 128;
	memcpy(m[*n].cidr.addr, addr, v4 ? 4 : 16);
	(*n)++;
}

/* The filter's matches, encoded as the emitter does; `meta nftrace set 1`. */
static void trace_rule(struct mi_batch *b, const char *chain,
		       const struct mi_flow *f, bool out)
{
	struct nftnl_rule *r = mi_xnn(nftnl_rule_alloc());
	struct mi_match m[8];
	size_t n = 0;
	uint8_t one = 1;

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MI_TRACE_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	/* --dst given (a family without --dst comes from --src) */
	if (f->family && (f->dport || !f->have_src))
		match_addr(m, &n, f->family, true, f->dst);
	if (f->family && f->have_src)
		match_addr(m, &n, f->family, false, f->src);
	if (f->proto)
		match_num(m, &n, MI_K_L4PROTO, f->proto);
	if (f->proto && f->dport)
		match_num(m, &n, f->proto == IPPROTO_UDP ? MI_K_UDP_DPORT :
				 MI_K_TCP_DPORT, f->dport);
	if (out && f->have_uid)
		match_num(m, &n, MI_K_SKUID, f->uid);
	if (out && f->have_gid)
		match_num(m, &n, MI_K_SKGID, f->gid);
	mi_emit_matches(r, m, n);
	mi_expr_immediate(r, &one, 1);
	mi_expr_meta_set(r, NFT_META_NFTRACE, NFT_REG_1);
	mi_batch_rule(b, r, MI_HINT_NONE, "trace rule of chain %s", chain);
	nftnl_rule_free(r);
}

static void trace_table_msg(struct mi_batch *b, uint16_t type, const char *what)
{
	mi_batch_table(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0,
		       MI_TRACE_TABLE, MI_HINT_NONE, "%s", what);
}

/*
 * One transaction: remove a stale trace table (add, then delete: cannot
 * fail on a missing one) and, unless @remove, add the new one.
 */
static int trace_table(const struct mi_flow *f, bool remove, struct mi_err *err)
{
	struct mnl_socket *nl;
	struct mi_batch *b;
	int ret;

	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		return ret;
	b = mi_batch_new(mi_nl_seq());
	trace_table_msg(b, NFT_MSG_NEWTABLE, "remove a stale trace table");
	trace_table_msg(b, NFT_MSG_DELTABLE, "remove a stale trace table");
	if (!remove) {
		trace_table_msg(b, NFT_MSG_NEWTABLE, "add the trace table");
		trace_chain(b, "trace-prerouting", NF_INET_PRE_ROUTING);
		trace_chain(b, "trace-output", NF_INET_LOCAL_OUT);
		/* without a socket filter: arriving packets can match too */
		if (!f->have_uid && !f->have_gid)
			trace_rule(b, "trace-prerouting", f, false);
		trace_rule(b, "trace-output", f, true);
	}
	mi_batch_end(b);
	ret = mi_nl_commit(nl, b, err);
	mi_batch_free(b);
	mi_nl_close(nl);
	return ret;
}

int mi_tracer_start(const struct mi_flow *f, struct mi_tracer **out,
		    struct mi_err *err)
{
	struct mi_tracer *t = mi_xcalloc(1, sizeof(*t));
	int ret;

	ret = mi_nl_open(NETLINK_NETFILTER, &t->ev, err);
	if (ret < 0)
		goto fail;
	ret = mi_nl_join(t->ev, NFNLGRP_NFTRACE, 4 << 20, err);
	if (ret < 0) {
		mi_err_prefix(err, "cannot listen to nftrace events");
		goto fail;
	}
	ret = trace_table(f, false, err);
	if (ret < 0) {
		mi_err_prefix(err, "cannot add table inet %s", MI_TRACE_TABLE);
		goto fail;
	}
	t->table_added = true;
	*out = t;
	return 0;
fail:
	mi_nl_close(t->ev);
	free(t);
	/* never "success" without a tracer, even if errno was left at 0 */
	return ret < 0 ? ret : -EIO;
}

int mi_tracer_fd(const struct mi_tracer *t)
{
	return mi_nl_fd(t->ev);
}

int mi_tracer_stop(struct mi_tracer *t, struct mi_err *err)
{
	int ret = 0;

	if (!t)
		return 0;
	if (t->table_added) {
		struct mi_flow none = { 0 };

		ret = trace_table(&none, true, err);
		if (ret < 0)
			mi_err_prefix(err, "cannot remove table inet %s", MI_TRACE_TABLE);
	}
	mi_nl_close(t->ev);
	free(t);
	return ret;
}

void mi_trace_evs_release(struct mi_trace_evs *evs)
{
	free(evs->v);
	memset(evs, 0, sizeof(*evs));
}

/* ---- events ------------------------------------------------------------ */

static void copy_str(const struct nftnl_trace *t, uint16_t attr, char *buf,
		     size_t len)
{
	const char *s = nftnl_trace_is_set(t, attr)
				? nftnl_trace_get_str(t, attr)
				: NULL;

	snprintf(buf, len, "%s", s ? s : "");
}

static bool get_u32(const struct nftnl_trace *t, uint16_t attr, uint32_t *v)
{
	if (!nftnl_trace_is_set(t, attr))
		return false;
	*v = nftnl_trace_get_u32(t, attr);
	return true;
}

/*
 * The copied headers: the network header from the packet's first byte
 * (IPv4 or IPv6 by its version nibble, whatever NFTA_TRACE_NFPROTO
 * says), the transport header's ports and TCP flags. Kernels copy them
 * into the first event of each hook only; short copies are ignored.
 */
static void parse_pkt(const struct nftnl_trace *t, struct mi_trace_pkt *p)
{
	uint32_t nlen = 0, tlen = 0;
	const uint8_t *nh =
		nftnl_trace_is_set(t, NFTNL_TRACE_NETWORK_HEADER)
			? nftnl_trace_get_data(t, NFTNL_TRACE_NETWORK_HEADER,
					       &nlen)
			: NULL;
	const uint8_t *th =
		nftnl_trace_is_set(t, NFTNL_TRACE_TRANSPORT_HEADER)
			? nftnl_trace_get_data(t, NFTNL_TRACE_TRANSPORT_HEADER,
					       &tlen)
			: NULL;

	if (nh && nlen >= 20 && nh[0] >> 4 == 4) {
		p->family = AF_INET;
		p->proto = nh[9];
		memcpy(p->saddr, nh + 12, 4);
		memcpy(p->daddr, nh + 16, 4);
		p->have_l3 = true;
	} else if (nh && nlen >= 40 && nh[0] >> 4 == 6) {
		p->family = AF_INET6;
		p->proto = nh[6];
		memcpy(p->saddr, nh + 8, 16);
		memcpy(p->daddr, nh + 24, 16);
		p->have_l3 = true;
	}
	if (!p->have_l3 || !th || tlen < 4 ||
	    (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return;
	p->sport = (uint16_t)(th[0] << 8 | th[1]);
	p->dport = (uint16_t)(th[2] << 8 | th[3]);
	if (p->proto == IPPROTO_TCP && tlen >= 14)
		p->tcp_flags = th[13];
	p->have_l4 = true;
}

/*
 * A rule event's verdict comes as NFTA_TRACE_VERDICT; a policy event's
 * as NFTA_TRACE_POLICY (some kernels also or only send the verdict);
 * neither: continue.
 */
static int32_t ev_verdict(const struct nftnl_trace *t, uint32_t type)
{
	uint32_t v;

	if (type == NFT_TRACETYPE_POLICY && get_u32(t, NFTNL_TRACE_POLICY, &v))
		return (int32_t)v;
	if (get_u32(t, NFTNL_TRACE_VERDICT, &v))
		return (int32_t)v;
	if (get_u32(t, NFTNL_TRACE_POLICY, &v))
		return (int32_t)v;
	return NFT_CONTINUE;
}

static void decode(const struct nftnl_trace *t, struct mi_trace_ev *e)
{
	memset(e, 0, sizeof(*e));
	get_u32(t, NFTNL_TRACE_ID, &e->id);
	get_u32(t, NFTNL_TRACE_TYPE, &e->type);
	get_u32(t, NFTNL_TRACE_FAMILY, &e->family);
	copy_str(t, NFTNL_TRACE_TABLE, e->table, sizeof(e->table));
	copy_str(t, NFTNL_TRACE_CHAIN, e->chain, sizeof(e->chain));
	copy_str(t, NFTNL_TRACE_JUMP_TARGET, e->target, sizeof(e->target));
	if (nftnl_trace_is_set(t, NFTNL_TRACE_RULE_HANDLE))
		e->handle = nftnl_trace_get_u64(t, NFTNL_TRACE_RULE_HANDLE);
	e->verdict = ev_verdict(t, e->type);
	/*
	 * Debian's 5.10 and 6.1 kernels send a rule whose verdict is
	 * `return` as an event of type "return" (with the rule's handle);
	 * 6.12 and later as a rule event. Make both a rule event. A "return"
	 * event without a return verdict is the end of a chain reached with
	 * no verdict: no rule decided there, whatever handle is attached.
	 */
	if (e->type == NFT_TRACETYPE_RETURN && e->verdict == NFT_RETURN &&
	    e->handle)
		e->type = NFT_TRACETYPE_RULE;
	else if (e->type == NFT_TRACETYPE_RETURN)
		e->handle = 0;
	e->has_iif = get_u32(t, NFTNL_TRACE_IIF, &e->iif);
	e->has_oif = get_u32(t, NFTNL_TRACE_OIF, &e->oif);
	e->has_mark = get_u32(t, NFTNL_TRACE_MARK, &e->mark);
	parse_pkt(t, &e->pkt);
}

int mi_trace_ev_parse(const void *msg, struct mi_trace_ev *e)
{
	const struct nlmsghdr *nlh = msg;
	struct nftnl_trace *t;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_TRACE)
		return 0;
	t = mi_xnn(nftnl_trace_alloc());
	if (nftnl_trace_nlmsg_parse(nlh, t) < 0) {
		nftnl_trace_free(t);
		return -1;
	}
	decode(t, e);
	nftnl_trace_free(t);
	return 1;
}

static int ev_cb(const void *nlh, void *data)
{
	struct mi_trace_evs *evs = data;
	struct mi_trace_ev e;

	if (mi_trace_ev_parse(nlh, &e) <= 0)
		return MNL_CB_OK;
	if (e.family == NFPROTO_INET && !strcmp(e.table, MI_TRACE_TABLE))
		return MNL_CB_OK; /* our own marking rule */
	mi_grow((void **)&evs->v, &evs->cap, evs->n + 1, sizeof(*evs->v));
	evs->v[evs->n++] = e;
	return MNL_CB_OK;
}

int mi_tracer_read(struct mi_tracer *t, struct mi_trace_evs *evs,
		   struct mi_err *err)
{
	int ret = mi_nl_read_events(t->ev, ev_cb, evs, err);

	if (ret < 0)
		mi_err_prefix(err, "cannot read trace events");
	return ret;
}

int mi_tracer_collect(struct mi_tracer *t, struct mi_trace_evs *evs,
		      int quiet_ms, int max_ms, struct mi_err *err)
{
	uint64_t end = mi_now_ms() + (uint64_t)max_ms;

	for (;;) {
		struct pollfd p = { mi_tracer_fd(t), POLLIN, 0 };
		uint64_t now = mi_now_ms();
		int ret, left;

		if (now >= end)
			return 0;
		left = (int)(end - now);
		ret = poll(&p, 1, left < quiet_ms ? left : quiet_ms);
		if (ret == 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return mi_err_set(err, -errno, "poll: %s",
					  strerror(errno));
		ret = mi_tracer_read(t, evs, err);
		if (ret < 0)
			return ret;
	}
}

/* ---- kernel differences ------------------------------------------------ */

/* A return the kernel did not name the rule of. */
static bool unnamed_return(const struct mi_trace_ev *e)
{
	return e->verdict == NFT_RETURN && e->family == NFPROTO_INET &&
	       !strcmp(e->table, MI_TABLE_NAME) &&
	       (e->type == NFT_TRACETYPE_RETURN ||
		(e->type == NFT_TRACETYPE_RULE && !e->handle));
}

/* The handle of the one return rule of @chain that counted packets. */
static uint64_t counted_return(const struct mi_ruleset *before,
			       const struct mi_ruleset *after,
			       const char *chain)
{
	uint64_t found = 0;
	size_t n = 0;

	for (size_t i = 0; i < after->nrules; i++) {
		const struct mi_rs_rule *r = &after->rules[i], *old;
		uint64_t p0 = 0;

		if (r->family != NFPROTO_INET ||
		    strcmp(r->table, MI_TABLE_NAME) ||
		    strcmp(r->chain, chain) || !mi_rs_rule_returns(r))
			continue;
		old = mi_ruleset_rule(before, r->family, r->table, r->chain,
				      r->handle);
		if (old)
			p0 = mi_rs_rule_packets(old);
		if (mi_rs_rule_packets(r) == p0)
			continue;
		found = r->handle;
		n++;
	}
	return n == 1 ? found : 0;
}

size_t mi_trace_resolve_returns(const struct mi_ruleset *before,
				const struct mi_ruleset *after,
				struct mi_trace_evs *evs)
{
	size_t done = 0;

	for (size_t i = 0; i < evs->n; i++) {
		struct mi_trace_ev *e = &evs->v[i];
		uint64_t h;

		if (!unnamed_return(e))
			continue;
		h = counted_return(before, after, e->chain);
		if (!h)
			continue;
		e->type = NFT_TRACETYPE_RULE;
		e->handle = h;
		done++;
	}
	return done;
}

/* ---- the probe --------------------------------------------------------- */

/* Child exit codes: setup steps, then the connect() result. */
enum {
	PROBE_SENT = 0,
	PROBE_ID = 2,
	PROBE_SOCKET,
	PROBE_BIND,
	PROBE_SEND,
	PROBE_RESULT = 100, /* + errno of connect(), below 155 */
};

static socklen_t sockaddr_of(int family, const uint8_t *addr, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		s->sin_port = htons(port);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	memcpy(&s6->sin6_addr, addr, 16);
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

/* A non-blocking connect(): its errno after a short wait (0: connected). */
static int tcp_result(int fd, const struct sockaddr_storage *d, socklen_t len)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	socklen_t elen = sizeof(int);
	int e = 0;

	if (connect(fd, (const struct sockaddr *)d, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	if (poll(&p, 1, 500) <= 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		return errno;
	return e;
}

static void probe_child(const struct mi_flow *f)
{
	struct sockaddr_storage d, s;
	socklen_t len;
	int fd, one = 1, e;

	if (setgroups(0, NULL) < 0 || setresgid(f->gid, f->gid, f->gid) < 0 ||
	    setresuid(f->uid, f->uid, f->uid) < 0)
		_exit(PROBE_ID);
	fd = socket(f->family,
		    (f->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) |
			    SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		_exit(PROBE_SOCKET);
	len = sockaddr_of(f->family, f->dst, f->dport, &d);
	if (f->have_src) {
		sockaddr_of(f->family, f->src, f->sport, &s);
		setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&s, len) < 0)
			_exit(PROBE_BIND);
	}
	if (f->proto == IPPROTO_UDP)
		_exit(sendto(fd, "meshinit-explain", 16, 0,
			     (struct sockaddr *)&d, len) < 0
			      ? PROBE_SEND
			      : PROBE_SENT);
	e = tcp_result(fd, &d, len);
	_exit(!e ? PROBE_SENT : PROBE_RESULT + (e < 155 ? e : EIO));
}

int mi_trace_probe(const struct mi_flow *f, int *result, struct mi_err *err)
{
	pid_t pid = fork();
	int st, code;

	*result = 0;
	if (pid < 0)
		return mi_err_set(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0)
		probe_child(f);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (code >= PROBE_RESULT) {
		*result = code - PROBE_RESULT;
		return 0;
	}
	if (code)
		return mi_err_set(
			err, -EIO,
			"the probe could not be sent as uid %u gid %u (step "
			"%d)",
			f->uid, f->gid, code);
	return 0;
}

/* ---- printing ------------------------------------------------------------ */

const char *mi_trace_verdict_name(int32_t v, char *buf, size_t len)
{
	switch (v) {
	case NF_ACCEPT:
		return "accept";
	case NF_DROP:
		return "drop";
	case NF_QUEUE:
		return "queue";
	case NFT_CONTINUE:
		return "continue";
	case NFT_BREAK:
		return "break";
	case NFT_JUMP:
		return "jump";
	case NFT_GOTO:
		return "goto";
	case NFT_RETURN:
		return "return";
	default:
		snprintf(buf, len, "%d", v);
		return buf;
	}
}

const struct mi_rs_rule *mi_trace_ev_rule(const struct mi_ruleset *rs,
					  const struct mi_trace_ev *e)
{
	if (e->type != NFT_TRACETYPE_RULE || !e->handle)
		return NULL;
	return mi_ruleset_rule(rs, e->family, e->table, e->chain, e->handle);
}

static void ifname(uint32_t idx, char *buf)
{
	if (!if_indextoname(idx, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", idx);
}

static void tcp_flags(uint8_t fl, char *buf, size_t len)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh",
					     "ack", "urg", "ecn", "cwr" };
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 8 && off < len; i++)
		if (fl & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						off ? "," : "", names[i]);
}

void mi_trace_pkt_format(const struct mi_trace_ev *e, char *buf, size_t len)
{
	const struct mi_trace_pkt *p = &e->pkt;
	const char *ipw = p->family == AF_INET ? "ip" : "ip6";
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], n[IF_NAMESIZE], fl[40];
	size_t off = 0;

#define ADD(...) \
	(off +=  \
	 off < len ? (size_t)snprintf(buf + off, len - off, __VA_ARGS__) : 0)
	buf[0] = '\0';
	if (e->has_iif) {
		ifname(e->iif, n);
		ADD("iif \"%s\" ", n);
	}
	if (e->has_oif) {
		ifname(e->oif, n);
		ADD("oif \"%s\" ", n);
	}
	if (p->have_l3) {
		mi_addr_format(p->family, p->saddr, a, sizeof(a));
		mi_addr_format(p->family, p->daddr, b, sizeof(b));
		ADD("%s saddr %s %s daddr %s ", ipw, a, ipw, b);
	}
	if (p->have_l4) {
		const char *l4 = p->proto == IPPROTO_TCP ? "tcp" : "udp";

		ADD("%s sport %u %s dport %u ", l4, p->sport, l4, p->dport);
		if (p->proto == IPPROTO_TCP) {
			tcp_flags(p->tcp_flags, fl, sizeof(fl));
			ADD("tcp flags %s ", *fl ? fl : "none");
		}
	} else if (p->have_l3) {
		ADD("%s protocol %u ", ipw, p->proto);
	}
	if (e->has_mark && e->mark)
		ADD("meta mark 0x%08x ", e->mark);
#undef ADD
	if (off && off <= len)
		buf[off - 1] = '\0';
}

/* The event's verdict, with its jump target: "jump istio-output". */
static void verdict_text(const struct mi_trace_ev *e, char *buf, size_t len)
{
	char vb[16];

	snprintf(buf, len, "%s%s%s",
		 mi_trace_verdict_name(e->verdict, vb, sizeof(vb)),
		 *e->target ? " " : "", e->target);
}

static void rule_line(const struct mi_ruleset *rs, const struct mi_trace_ev *e,
		      const char *v, char *buf, size_t len)
{
	const struct mi_rs_rule *r = mi_trace_ev_rule(rs, e);
	char text[1024], comment[256];

	if (!r) {
		snprintf(buf, len,
			 "rule handle %" PRIu64
			 " (not in the ruleset read at start) (verdict %s)",
			 e->handle, v);
		return;
	}
	mi_readback_rule_text(r->r, text, sizeof(text));
	mi_snap_rule_comment(r->r, comment, sizeof(comment));
	snprintf(buf, len, "rule %zu: %s (verdict %s)%s%s", r->idx, text, v,
		 *comment ? "  # " : "", comment);
}

void mi_trace_ev_format(const struct mi_ruleset *rs,
			const struct mi_trace_ev *e, char *buf, size_t len)
{
	char hdr[200], pkt[400] = "", what[1400], v[80];
	uint32_t type = e->type == NFT_TRACETYPE_RULE && !e->handle
				? NFT_TRACETYPE_RETURN
				: e->type;

	snprintf(hdr, sizeof(hdr), "trace id %08x %s %s %s", e->id,
		 mi_family_name(e->family), e->table, e->chain);
	if (e->pkt.have_l3 || e->has_iif || e->has_oif)
		mi_trace_pkt_format(e, pkt, sizeof(pkt));
	verdict_text(e, v, sizeof(v));
	switch (type) {
	case NFT_TRACETYPE_RULE:
		rule_line(rs, e, v, what, sizeof(what));
		break;
	case NFT_TRACETYPE_RETURN:
		snprintf(what, sizeof(what), "verdict %s%s", v,
			 e->verdict == NFT_RETURN ?
			 " (a return rule this kernel does not name)" : "");
		break;
	case NFT_TRACETYPE_POLICY:
		snprintf(what, sizeof(what), "policy %s", v);
		break;
	default:
		snprintf(what, sizeof(what), "event type %u", e->type);
		break;
	}
	if (*pkt)
		snprintf(buf, len, "%s packet: %s\n%s %s", hdr, pkt, hdr, what);
	else
		snprintf(buf, len, "%s %s", hdr, what);
}

/* ---- the trace command
 * ------------------------------------------------------- */

/* Print @evs; a rule unknown to @rs (changed since): read the rules again. */
static void print_evs(struct mi_ruleset *rs, const struct mi_trace_evs *evs,
		      FILE *out, struct mi_err *err)
{
	char *line = mi_xmalloc(4096);

	for (size_t i = 0; i < evs->n; i++) {
		const struct mi_trace_ev *e = &evs->v[i];

		if (e->type == NFT_TRACETYPE_RULE && e->handle &&
		    !mi_trace_ev_rule(rs, e)) {
			mi_ruleset_release(rs);
			if (mi_ruleset_load(rs, err) < 0)
				mi_ruleset_init(rs);
		}
		mi_trace_ev_format(rs, e, line, 4096);
		fprintf(out, "%s\n", line);
	}
	fflush(out);
	free(line);
}

/* SIGINT, SIGTERM and SIGHUP, blocked and read from a signalfd. */
static int signals_open(sigset_t *old, struct mi_err *err)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return mi_err_set(err, -errno, "signalfd: %s", strerror(errno));
	}
	return sfd;
}

static void signals_close(int sfd, const sigset_t *old)
{
	close(sfd);
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Print events until a signal arrives. */
static int trace_loop(struct mi_tracer *t, int sfd, struct mi_ruleset *rs,
		      FILE *out, struct mi_err *err)
{
	for (;;) {
		struct pollfd p[2] = { { mi_tracer_fd(t), POLLIN, 0 },
				       { sfd, POLLIN, 0 } };
		struct mi_trace_evs evs = { 0 };
		bool stop = false;
		int ret;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return mi_err_set(err, -errno, "poll: %s",
					  strerror(errno));
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			/* consume it: unblocking must not deliver it again */
			if (read(sfd, &si, sizeof(si)) < 0)
				si.ssi_signo = 0;
			stop = true;
		}
		ret = mi_tracer_read(t, &evs, err);
		print_evs(rs, &evs, out, err);
		mi_trace_evs_release(&evs);
		if (ret < 0 || stop)
			return ret;
	}
}

int mi_trace_run(const struct mi_flow_args *a, FILE *out, struct mi_err *err)
{
	struct mi_tracer *t = NULL;
	struct mi_ruleset rs;
	struct mi_flow f;
	sigset_t old;
	int sfd, ret, ret2;

	ret = mi_flow_parse(a, false, &f, err);
	if (ret < 0)
		return ret;
	if (!a->proto || !*a->proto)
		f.proto = 0; /* any protocol unless --proto */
	ret = mi_ruleset_load(&rs, err);
	if (ret < 0)
		return ret;
	/*
	 * Stopping is an ordinary poll() event: no handler, no global flag,
	 * and the trace table is always removed below.
	 */
	sfd = signals_open(&old, err);
	if (sfd < 0) {
		ret = sfd;
		goto out;
	}
	ret = mi_tracer_start(&f, &t, err);
	if (ret == 0) {
		fprintf(out, "tracing (table inet %s); stop with Ctrl-C\n",
			MI_TRACE_TABLE);
		fflush(out);
		ret = trace_loop(t, sfd, &rs, out, err);
	}
	ret2 = mi_tracer_stop(t, err);
	if (!ret)
		ret = ret2;
	if (!ret)
		fprintf(out, "stopped; table inet %s removed\n",
			MI_TRACE_TABLE);
	signals_close(sfd, &old);
out:
	mi_ruleset_release(&rs);
	return ret;
}
