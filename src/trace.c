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
#include "status.h"
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

static void copy_str(const struct nftnl_trace *t, uint16_t attr, char *buf,
		     size_t len)
{
	const char *s = nftnl_trace_is_set(t, attr) ? nftnl_trace_get_str(t, attr) : NULL;

	snprintf(buf, len, "%s", s ? s : "");
}

static int ev_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	struct mi_trace_evs *evs = data;
	struct nftnl_trace *t;
	struct mi_trace_ev *e;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_TRACE)
		return MNL_CB_OK;
	t = mi_xnn(nftnl_trace_alloc());
	if (nftnl_trace_nlmsg_parse(nlh, t) < 0) {
		nftnl_trace_free(t);
		return MNL_CB_OK;
	}
	mi_grow((void **)&evs->v, &evs->cap, evs->n + 1, sizeof(*evs->v));
	e = &evs->v[evs->n++];
	memset(e, 0, sizeof(*e));
	e->id = nftnl_trace_get_u32(t, NFTNL_TRACE_ID);
	e->type = nftnl_trace_get_u32(t, NFTNL_TRACE_TYPE);
	copy_str(t, NFTNL_TRACE_TABLE, e->table, sizeof(e->table));
	copy_str(t, NFTNL_TRACE_CHAIN, e->chain, sizeof(e->chain));
	copy_str(t, NFTNL_TRACE_JUMP_TARGET, e->target, sizeof(e->target));
	if (nftnl_trace_is_set(t, NFTNL_TRACE_RULE_HANDLE))
		e->handle = nftnl_trace_get_u64(t, NFTNL_TRACE_RULE_HANDLE);
	e->verdict = nftnl_trace_is_set(t, NFTNL_TRACE_VERDICT) ?
		     (int32_t)nftnl_trace_get_u32(t, NFTNL_TRACE_VERDICT) :
		     (nftnl_trace_is_set(t, NFTNL_TRACE_POLICY) ?
		      (int32_t)nftnl_trace_get_u32(t, NFTNL_TRACE_POLICY) : NFT_CONTINUE);
	if ((e->has_iif = nftnl_trace_is_set(t, NFTNL_TRACE_IIF)))
		e->iif = nftnl_trace_get_u32(t, NFTNL_TRACE_IIF);
	if ((e->has_oif = nftnl_trace_is_set(t, NFTNL_TRACE_OIF)))
		e->oif = nftnl_trace_get_u32(t, NFTNL_TRACE_OIF);
	if ((e->has_mark = nftnl_trace_is_set(t, NFTNL_TRACE_MARK)))
		e->mark = nftnl_trace_get_u32(t, NFTNL_TRACE_MARK);
	nftnl_trace_free(t);
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

/* ---- rule lookup ----------------------------------------------------------- */

/* Index (1-based) of rule @handle in @chain of the snapshot, 0 if none. */
static size_t rule_index(const struct mi_snap *s, const char *chain,
			 uint64_t handle, const struct nftnl_rule **out)
{
	size_t idx = 0;

	for (size_t i = 0; i < s->nrules; i++) {
		const struct nftnl_rule *r = s->rules[i];

		if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), chain))
			continue;
		idx++;
		if (nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) == handle) {
			*out = r;
			return idx;
		}
	}
	return 0;
}

static const char *verdict_name(int32_t v, char *buf, size_t len)
{
	switch (v) {
	case NF_ACCEPT:
		return "accept";
	case NF_DROP:
		return "drop";
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
		snprintf(buf, len, "verdict %d", v);
		return buf;
	}
}

static void ifname(uint32_t idx, char *buf)
{
	if (!if_indextoname(idx, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", idx);
}

/* One event as a line. */
static void print_ev(const struct mi_snap *s, const struct mi_trace_ev *e,
		     FILE *out)
{
	char vb[32], iif[IF_NAMESIZE] = "", oif[IF_NAMESIZE] = "";
	const char *v = verdict_name(e->verdict, vb, sizeof(vb));

	if (e->has_iif)
		ifname(e->iif, iif);
	if (e->has_oif)
		ifname(e->oif, oif);
	fprintf(out, "trace id %08x inet %s %-21s ", e->id, e->table, e->chain);
	switch (e->type == NFT_TRACETYPE_RULE && !e->handle ?
		NFT_TRACETYPE_RETURN : e->type) {
	case NFT_TRACETYPE_RULE: {
		const struct nftnl_rule *r = NULL;
		size_t idx = strcmp(e->table, MI_TABLE_NAME) ? 0 :
			     rule_index(s, e->chain, e->handle, &r);
		char text[1024], comment[256];

		if (idx) {
			mi_rule_render(r, text, sizeof(text));
			mi_rule_comment(r, comment, sizeof(comment));
			fprintf(out, "rule %-2zu (handle %" PRIu64 ") %s%s%s -> %s%s%s",
				idx, e->handle, text, *comment ? "  # " : "",
				comment, v, *e->target ? " " : "", e->target);
		} else {
			fprintf(out, "rule handle %" PRIu64 " -> %s%s%s", e->handle,
				v, *e->target ? " " : "", e->target);
		}
		break;
	}
	case NFT_TRACETYPE_RETURN:
		fprintf(out, "back from a jump -> %s", v);
		break;
	case NFT_TRACETYPE_POLICY:
		fprintf(out, "policy %s", v);
		break;
	default:
		fprintf(out, "packet");
		break;
	}
	if (*iif)
		fprintf(out, " iif %s", iif);
	if (*oif)
		fprintf(out, " oif %s", oif);
	if (e->has_mark && e->mark)
		fprintf(out, " mark %u", e->mark);
	fputc('\n', out);
}

/* ---- the trace command ------------------------------------------------------- */

int mi_trace_run(const struct mi_flow_args *a, FILE *out, struct mi_err *err)
{
	struct mi_tracer *t = NULL;
	struct mi_snap snap;
	struct mi_flow f;
	sigset_t mask, old;
	int sfd = -1, ret, ret2;
	bool stop = false;

	ret = mi_flow_parse(a, false, &f, err);
	if (ret < 0)
		return ret;
	if (!a->proto || !*a->proto)
		f.proto = 0;	/* any protocol unless --proto */
	mi_snap_init(&snap);
	ret = mi_snap_load(&snap, err);
	if (ret < 0)
		goto out;
	/*
	 * SIGINT and SIGTERM are blocked and read from a signalfd, so
	 * stopping is an ordinary poll() event: no handler, no global flag,
	 * and the trace table is always removed below.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		ret = mi_err_set(err, -errno, "signalfd: %s", strerror(errno));
		goto out_mask;
	}
	ret = mi_tracer_start(&f, &t, err);
	if (ret < 0)
		goto out_mask;
	fprintf(out, "tracing (table inet %s); stop with Ctrl-C\n", MI_TRACE_TABLE);
	fflush(out);
	while (!stop) {
		struct pollfd p[2] = { { mi_tracer_fd(t), POLLIN, 0 },
				       { sfd, POLLIN, 0 } };
		struct mi_trace_evs evs = { 0 };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = mi_err_set(err, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			/* consume it: unblocking must not deliver it again */
			if (read(sfd, &si, sizeof(si)) < 0)
				si.ssi_signo = 0;
			stop = true;
		}
		ret = mi_tracer_read(t, &evs, err);
		for (size_t i = 0; i < evs.n; i++) {
			const struct mi_trace_ev *e = &evs.v[i];

			if (!strcmp(e->table, MI_TRACE_TABLE))
				continue;
			if (!strcmp(e->table, MI_TABLE_NAME) && e->type == NFT_TRACETYPE_RULE) {
				const struct nftnl_rule *r;

				/* rules replaced since we looked: look again */
				if (!rule_index(&snap, e->chain, e->handle, &r)) {
					mi_snap_release(&snap);
					mi_snap_load(&snap, err);
				}
			}
			print_ev(&snap, e, out);
		}
		fflush(out);
		mi_trace_evs_release(&evs);
		if (ret < 0)
			break;
	}
out_mask:
	ret2 = mi_tracer_stop(t, err);
	if (!ret)
		ret = ret2;
	if (!ret)
		fprintf(out, "stopped; table inet %s removed\n", MI_TRACE_TABLE);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	mi_snap_release(&snap);
	return ret;
}

/* ---- explain --kernel ------------------------------------------------------ */

/*
 * Send the probe from a child that takes the flow's identity (the
 * socket's owner is what skuid/skgid match): a TCP SYN through a
 * non-blocking connect(), or one UDP datagram.
 */
static int probe(const struct mi_flow *f, struct mi_err *err)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return mi_err_set(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct sockaddr_storage ss = { 0 }, sl = { 0 };
		socklen_t len;
		int fd, one = 1;
		struct pollfd p;

		if (setgroups(0, NULL) < 0 || setresgid(f->gid, f->gid, f->gid) < 0 ||
		    setresuid(f->uid, f->uid, f->uid) < 0)
			_exit(2);
		fd = socket(f->family, (f->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) |
				       SOCK_NONBLOCK, 0);
		if (fd < 0)
			_exit(3);
		if (f->family == AF_INET) {
			struct sockaddr_in *d = (struct sockaddr_in *)&ss;
			struct sockaddr_in *s = (struct sockaddr_in *)&sl;

			d->sin_family = s->sin_family = AF_INET;
			memcpy(&d->sin_addr, f->dst, 4);
			d->sin_port = htons(f->dport);
			memcpy(&s->sin_addr, f->src, 4);
			s->sin_port = htons(f->sport);
			len = sizeof(*d);
		} else {
			struct sockaddr_in6 *d = (struct sockaddr_in6 *)&ss;
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&sl;

			d->sin6_family = s->sin6_family = AF_INET6;
			memcpy(&d->sin6_addr, f->dst, 16);
			d->sin6_port = htons(f->dport);
			memcpy(&s->sin6_addr, f->src, 16);
			s->sin6_port = htons(f->sport);
			len = sizeof(*d);
		}
		if (f->have_src) {
			setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&sl, len) < 0)
				_exit(4);
		}
		if (f->proto == IPPROTO_UDP) {
			if (sendto(fd, "meshinit-explain", 16, 0,
				   (struct sockaddr *)&ss, len) < 0)
				_exit(5);
			_exit(0);
		}
		if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
			_exit(0);	/* refused at once: the SYN went out */
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		poll(&p, 1, 300);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return mi_err_set(err, -EIO, "the probe could not be sent as uid %u gid %u (step %d)",
				  f->uid, f->gid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Events until @quiet_ms pass without one (at most @max_ms). */
static int collect(struct mi_tracer *t, struct mi_trace_evs *evs, int quiet_ms,
		   int max_ms, struct mi_err *err)
{
	int64_t end = now_ms() + max_ms;

	for (;;) {
		struct pollfd p = { mi_tracer_fd(t), POLLIN, 0 };
		int64_t left = end - now_ms();
		int ret;

		if (left <= 0)
			return 0;
		ret = poll(&p, 1, (int)(left < quiet_ms ? left : quiet_ms));
		if (ret == 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return mi_err_set(err, -errno, "poll: %s", strerror(errno));
		ret = mi_tracer_read(t, evs, err);
		if (ret < 0)
			return ret;
	}
}

static bool is_prerouting_base(const char *chain)
{
	return !strcmp(chain, "raw-prerouting") || !strcmp(chain, "mangle-prerouting") ||
	       !strcmp(chain, "nat-prerouting");
}

/* Rank of a base chain in its hook (raw, mangle, nat), -1: not a base chain. */
static int base_rank(const char *chain)
{
	static const char *const names[] = { "raw-", "mangle-", "nat-" };

	if (strcmp(chain + strcspn(chain, "-"), "-prerouting") &&
	    strcmp(chain + strcspn(chain, "-"), "-output"))
		return -1;
	for (int i = 0; i < 3; i++)
		if (!strncmp(chain, names[i], strlen(names[i])))
			return i;
	return -1;
}

/*
 * Packet ids are a hash of the skb's address, flow hash and input
 * interface, so a later packet of the flow (the handshake's ACK, a
 * retransmission) may come with the same id. One packet meets the base
 * chains in priority order, each once: an event in an earlier base
 * chain, or in one already left, starts the next packet.
 */
struct seg {
	int rank;
	bool closed, over;
};

static bool same_packet(struct seg *g, const struct mi_trace_ev *e)
{
	int r = base_rank(e->chain);

	if (g->over)
		return false;
	if (r >= 0 && (r < g->rank || (r == g->rank && g->closed))) {
		g->over = true;
		return false;
	}
	if (r > g->rank) {
		g->rank = r;
		g->closed = false;
	}
	if (e->type == NFT_TRACETYPE_POLICY ||
	    (e->type == NFT_TRACETYPE_RULE && (e->verdict == NF_ACCEPT ||
					       e->verdict == NF_DROP)))
		g->closed = true;
	return true;
}

struct kpath {
	size_t n;
	struct {
		char chain[64];
		size_t idx;
		bool looped;
	} v[128];
};

/*
 * The kernel's path of the probe: the rule events of table meshinit for
 * the first packet id, then (over lo) for the id of the same packet
 * coming back in, which starts in a prerouting chain with iif lo.
 */
static void kernel_path(const struct mi_snap *s, const struct mi_trace_evs *evs,
			struct kpath *kp, FILE *out)
{
	uint32_t first = 0, second = 0;
	bool have_first = false, have_second = false, lo_done = false;
	struct seg seg1 = { -1, false, false }, seg2 = { -1, false, false };
	unsigned int lo = if_nametoindex("lo");

	kp->n = 0;
	for (size_t i = 0; i < evs->n; i++) {
		const struct mi_trace_ev *e = &evs->v[i];
		const struct nftnl_rule *r;
		bool looped;

		if (strcmp(e->table, MI_TABLE_NAME))
			continue;
		if (!have_first) {
			first = e->id;
			have_first = true;
		}
		if (e->id != first && !have_second && !lo_done) {
			if (is_prerouting_base(e->chain) && e->has_iif && e->iif == lo) {
				second = e->id;
				have_second = true;
			} else {
				lo_done = true;
			}
		}
		if (e->id != first && !(have_second && e->id == second))
			continue;
		looped = e->id != first;
		if (!same_packet(looped ? &seg2 : &seg1, e))
			continue;
		print_ev(s, e, out);
		if (e->type != NFT_TRACETYPE_RULE || !e->handle ||
		    kp->n >= ARRAY_SIZE(kp->v))
			continue;
		snprintf(kp->v[kp->n].chain, sizeof(kp->v[0].chain), "%s", e->chain);
		kp->v[kp->n].idx = rule_index(s, e->chain, e->handle, &r);
		kp->v[kp->n].looped = looped;
		kp->n++;
	}
}

int mi_explain_kernel(const struct mi_plan *plan, const struct mi_config *cfg,
		      const struct mi_flow *f, const struct mi_explain *ex,
		      FILE *out, struct mi_err *err)
{
	struct mi_trace_evs evs = { 0 };
	struct mi_tracer *t = NULL;
	struct mi_snap snap;
	struct mi_flow filt = *f;
	struct kpath *kp = mi_xcalloc(1, sizeof(*kp));
	size_t k = 0, diffs = 0;
	int ret, ret2;

	(void)plan;
	(void)cfg;
	if (f->dir != MI_DIR_OUT) {
		free(kp);
		return mi_err_set(err, -EOPNOTSUPP,
				  "explain --kernel supports --direction out only: an inbound probe must come from a peer (run `meshinit trace` and send from there)");
	}
	mi_snap_init(&snap);
	ret = mi_snap_load(&snap, err);
	if (ret < 0)
		goto out;
	if (!snap.have_table) {
		ret = mi_err_set(err, -ENOENT, "explain --kernel: table inet %s is not installed in this namespace",
				 MI_TABLE_NAME);
		goto out;
	}
	/* the source port is the kernel's choice; match the rest */
	filt.have_src = false;
	ret = mi_tracer_start(&filt, &t, err);
	if (ret < 0)
		goto out;
	ret = probe(f, err);
	if (!ret)
		ret = collect(t, &evs, 300, 3000, err);
	ret2 = mi_tracer_stop(t, err);
	if (!ret)
		ret = ret2;
	if (ret < 0)
		goto out;
	fprintf(out, "kernel (nftrace of the probe packet):\n");
	kernel_path(&snap, &evs, kp, out);
	if (!kp->n) {
		ret = mi_err_setx(err, MI_EXIT_DRIFT, -EPROTO,
				  "explain --kernel: no trace event of table inet %s for the probe",
				  MI_TABLE_NAME);
		fprintf(out, "kernel DISAGREES: the probe met no rule of table inet %s\n",
			MI_TABLE_NAME);
		goto out;
	}
	/* the predicted matched rules, in order, against the kernel's */
	for (size_t i = 0; i < ex->n; i++) {
		const struct mi_step *s = &ex->steps[i];
		const char *name = mi_chain_info(s->chain)->name;

		if (!s->matched)
			continue;
		if (k >= kp->n) {
			fprintf(out, "  predicted %s rule %zu%s, kernel: nothing more\n",
				name, s->idx + 1, s->looped ? " (over lo)" : "");
			diffs++;
			continue;
		}
		if (strcmp(kp->v[k].chain, name) || kp->v[k].idx != s->idx + 1 ||
		    kp->v[k].looped != s->looped) {
			fprintf(out, "  predicted %s rule %zu%s, kernel: %s rule %zu%s\n",
				name, s->idx + 1, s->looped ? " (over lo)" : "",
				kp->v[k].chain, kp->v[k].idx,
				kp->v[k].looped ? " (over lo)" : "");
			diffs++;
		}
		k++;
	}
	for (; k < kp->n; k++, diffs++)
		fprintf(out, "  predicted nothing more, kernel: %s rule %zu%s\n",
			kp->v[k].chain, kp->v[k].idx, kp->v[k].looped ? " (over lo)" : "");
	if (diffs) {
		fprintf(out, "kernel DISAGREES (%zu difference%s)\n", diffs,
			diffs == 1 ? "" : "s");
		ret = mi_err_setx(err, MI_EXIT_DRIFT, -EPROTO,
				  "explain --kernel: the kernel's path differs from the prediction");
	} else {
		fprintf(out, "kernel agrees\n");
	}
out:
	mi_trace_evs_release(&evs);
	mi_snap_release(&snap);
	free(kp);
	return ret;
}
