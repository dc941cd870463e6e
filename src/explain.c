/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain: walk the rule plan for one packet as netfilter would, and say
 * which rules it meets and whether it is captured.
 */
#include "explain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "print.h"
#include "trace.h"
#include "util.h"

/* ---- flags ------------------------------------------------------------- */

static int bad_flag(struct mi_err *err, const char *flag, const char *v,
		    const char *why)
{
	return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL,
			   "invalid --%s \"%.120s\": %s", flag, v, why);
}

static bool given(const char *s)
{
	return s && *s;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address. */
static int parse_endpoint(const char *flag, const char *s, int *family,
			  uint8_t *addr, uint16_t *port, struct mi_err *err)
{
	char host[128];
	const char *p = NULL, *colon = strrchr(s, ':');
	struct mi_cidr c;
	uint32_t v;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':') ||
		    (size_t)(end - s - 1) >= sizeof(host))
			return bad_flag(err, flag, s, "is not ADDR[:PORT] or [IPv6]:PORT");
		snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
		p = end[1] ? end + 2 : NULL;
	} else if (colon && strchr(s, ':') == colon) {
		/* exactly one colon: IPv4 with a port */
		if ((size_t)(colon - s) >= sizeof(host))
			return bad_flag(err, flag, s, "is not ADDR[:PORT]");
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		p = colon + 1;
	} else {
		if (strlen(s) >= sizeof(host))
			return bad_flag(err, flag, s, "is not ADDR[:PORT]");
		snprintf(host, sizeof(host), "%s", s);
	}
	if (mi_addr_parse(host, &c) < 0)
		return bad_flag(err, flag, s, "is not an IPv4 or IPv6 address (ADDR[:PORT], [IPv6]:PORT)");
	if (p && mi_parse_u32(p, 1, 65535, &v) < 0)
		return bad_flag(err, flag, s, "has a port that is not 1-65535");
	*family = c.family;
	memcpy(addr, c.addr, 16);
	*port = p ? (uint16_t)v : 0;
	return 0;
}

static int parse_id(const char *flag, const char *s, bool group, uint32_t *out,
		    struct mi_err *err)
{
	if (mi_parse_u32(s, 0, UINT32_MAX - 1, out) == 0)
		return 0;
	if (group) {
		struct group *g = (s[0] >= '0' && s[0] <= '9') ? NULL : getgrnam(s);

		if (!g)
			return bad_flag(err, flag, s, "is not a gid or known group");
		*out = g->gr_gid;
	} else {
		struct passwd *pw = (s[0] >= '0' && s[0] <= '9') ? NULL : getpwnam(s);

		if (!pw)
			return bad_flag(err, flag, s, "is not a uid or known user");
		*out = pw->pw_uid;
	}
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

int mi_flow_parse(const struct mi_flow_args *a, bool need, struct mi_flow *f,
		  struct mi_err *err)
{
	int fam2 = 0;

	memset(f, 0, sizeof(*f));
	f->ctstate = MI_CT_NEW;
	f->proto = IPPROTO_TCP;
	if (given(a->direction) && !strcmp(a->direction, "in"))
		f->dir = MI_DIR_IN;
	else if (given(a->direction) && strcmp(a->direction, "out"))
		return bad_flag(err, "direction", a->direction, "is not out or in");
	else if (need && !given(a->direction))
		return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL,
				   "explain needs --direction out|in");
	if (given(a->proto) && !strcmp(a->proto, "udp"))
		f->proto = IPPROTO_UDP;
	else if (given(a->proto) && strcmp(a->proto, "tcp"))
		return bad_flag(err, "proto", a->proto, "is not tcp or udp");
	if (given(a->dst) && parse_endpoint("dst", a->dst, &f->family, f->dst,
					    &f->dport, err) < 0)
		return -EINVAL;
	if (need && !given(a->dst))
		return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL,
				   "explain needs --dst ADDR:PORT");
	if (need && !f->dport)
		return bad_flag(err, "dst", a->dst, "has no port (ADDR:PORT, [IPv6]:PORT)");
	if (given(a->src)) {
		if (parse_endpoint("src", a->src, &fam2, f->src, &f->sport, err) < 0)
			return -EINVAL;
		if (f->family && fam2 != f->family)
			return bad_flag(err, "src", a->src,
					"is not of the address family of --dst");
		f->family = fam2;
		f->have_src = true;
	}
	if (given(a->uid)) {
		if (parse_id("uid", a->uid, false, &f->uid, err) < 0)
			return -EINVAL;
		f->have_uid = true;
	}
	if (given(a->gid)) {
		if (parse_id("gid", a->gid, true, &f->gid, err) < 0)
			return -EINVAL;
		f->have_gid = true;
		if (!given(a->uid) && need)
			return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL,
					   "--gid needs --uid");
	} else if (given(a->uid)) {
		if (need)
			return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL,
					   "--uid needs --gid");
	}
	if (need && f->dir == MI_DIR_OUT && !f->have_uid)
		return mi_err_setx(err, MI_EXIT_FAILURE, -EINVAL,
				   "explain --direction out needs --uid and --gid (the sending socket's owner)");
	if (f->dir == MI_DIR_IN && f->have_uid && need)
		return bad_flag(err, "uid", a->uid,
				"applies to outbound packets only (an arriving packet has no socket yet)");
	if (given(a->iif) && parse_iface("iif", a->iif, f->iif, err) < 0)
		return -EINVAL;
	if (given(a->oif) && parse_iface("oif", a->oif, f->oif, err) < 0)
		return -EINVAL;
	if (need && f->dir == MI_DIR_OUT && given(a->iif))
		return bad_flag(err, "iif", a->iif, "applies to --direction in only");
	if (need && f->dir == MI_DIR_IN && given(a->oif))
		return bad_flag(err, "oif", a->oif, "applies to --direction out only");
	if (given(a->ct_state)) {
		static const struct {
			const char *name;
			uint32_t bit;
		} st[] = { { "new", MI_CT_NEW }, { "established", MI_CT_ESTABLISHED },
			   { "related", MI_CT_RELATED }, { "invalid", MI_CT_INVALID } };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(st); i++)
			if (!strcmp(a->ct_state, st[i].name))
				break;
		if (i == ARRAY_SIZE(st))
			return bad_flag(err, "ct-state", a->ct_state,
					"is not new, established, related or invalid");
		f->ctstate = st[i].bit;
	}
	return 0;
}

static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	return family == AF_INET ? a[0] == 127 : !memcmp(a, lo6, 16);
}

static bool is_local(const struct mi_flow *f, const struct mi_cidr *local,
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
	bool loc = is_local(f, local, n);

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

static const char *fmt_ep(int family, const uint8_t *a, uint16_t port,
			  char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];

	mi_addr_format(family, a, ab, sizeof(ab));
	if (!port)
		snprintf(buf, len, "%s", ab);
	else if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ab, port);
	else
		snprintf(buf, len, "%s:%u", ab, port);
	return buf;
}

void mi_flow_format(const struct mi_flow *f, char *buf, size_t len)
{
	char s[80], d[80], ids[48] = "";

	if (f->have_uid)
		snprintf(ids, sizeof(ids), " uid %u gid %u", f->uid, f->gid);
	if (f->have_src)
		fmt_ep(f->family, f->src, f->sport, s, sizeof(s));
	else
		strcpy(s, "?");
	fmt_ep(f->family, f->dst, f->dport, d, sizeof(d));
	snprintf(buf, len, "%s %s%s %s -> %s %s %s (ct state %s, mark %u)",
		 f->dir == MI_DIR_OUT ? "out" : "in",
		 f->proto == IPPROTO_TCP ? "tcp" : "udp", ids, s, d,
		 f->dir == MI_DIR_OUT ? "oif" : "iif",
		 f->dir == MI_DIR_OUT ? f->oif : f->iif,
		 f->ctstate == MI_CT_NEW ? "new" :
		 f->ctstate == MI_CT_ESTABLISHED ? "established" :
		 f->ctstate == MI_CT_RELATED ? "related" : "invalid",
		 f->mark);
}

/* ---- the walk ------------------------------------------------------------ */

/* The packet as the rules of one hook see it. */
struct pkt {
	const struct mi_flow *f;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	bool have_src, has_sk;
	const char *iif, *oif;
	uint32_t mark, ctmark, ctstate;
};

struct walk {
	const struct mi_plan *plan;
	const struct mi_config *cfg;
	struct mi_explain *ex;
	struct pkt p;
	bool looped;		/* second phase: lo prerouting */
	bool primary_return;	/* a return rule of the first phase was seen */
	enum mi_chain_id ret_chain;
	size_t ret_idx;
	char ret_why[256];
	bool fell_off;		/* a chain of the first phase ran to its end */
	enum mi_chain_id end_chain;
	bool done;		/* outcome decided (capture or drop) */
	bool redirected;	/* a NAT redirect made the destination local */
};

static void catf(char *buf, size_t len, const char *fmt, ...) MI_PRINTF(3, 4);

static void catf(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	if (l >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

static bool in_range(const struct mi_range *r, uint32_t v)
{
	return v >= r->lo && v <= r->hi;
}

static bool addr_in(const uint8_t (*r)[16], const uint8_t *a, size_t bytes)
{
	return memcmp(a, r[0], bytes) >= 0 && memcmp(a, r[1], bytes) <= 0;
}

static bool cidr_has(const struct mi_cidr *c, const uint8_t *a)
{
	unsigned int full = c->plen / 8, rest = c->plen % 8;

	if (memcmp(c->addr, a, full))
		return false;
	if (!rest)
		return true;
	return !((c->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest)));
}

/* Is @v (number, address or name) in set @s? */
static bool set_has(const struct mi_plan *plan, enum mi_set_id s,
		    const struct pkt *p, enum mi_key k, uint32_t v,
		    const uint8_t *addr, const char *name)
{
	const struct mi_elems *es = &plan->sets[s];
	const struct mi_set_info *si = mi_set_info(s);

	if (!mi_plan_has_set(plan, s))
		return false;
	for (size_t i = 0; i < es->n; i++) {
		const struct mi_elem *e = &es->v[i];

		switch (si->type) {
		case MI_ST_IPV4:
			if (addr_in(e->addr, addr, 4))
				return true;
			break;
		case MI_ST_IPV6:
			if (addr_in(e->addr, addr, 16))
				return true;
			break;
		case MI_ST_IFNAME:
			if (!strcmp(e->ifname, name))
				return true;
			break;
		case MI_ST_UID_PORT:
			(void)k;
			if (in_range(&e->up.uid, p->f->uid) &&
			    in_range(&e->up.port, p->dport))
				return true;
			break;
		default:
			if (in_range(&e->r, v))
				return true;
			break;
		}
	}
	return false;
}

static const char *key_word(enum mi_key k)
{
	static const char *const w[] = {
		[MI_K_IIFNAME] = "iif", [MI_K_OIFNAME] = "oif",
		[MI_K_L4PROTO] = "proto", [MI_K_SKUID] = "uid",
		[MI_K_SKGID] = "gid", [MI_K_MARK] = "mark",
		[MI_K_CTMARK] = "ct mark", [MI_K_CTSTATE] = "ct state",
		[MI_K_IP_SADDR] = "source", [MI_K_IP_DADDR] = "destination",
		[MI_K_IP6_SADDR] = "source", [MI_K_IP6_DADDR] = "destination",
		[MI_K_TCP_DPORT] = "tcp port", [MI_K_UDP_DPORT] = "udp port",
		[MI_K_UDP_SPORT] = "udp source port",
		[MI_K_SKUID_TCP_DPORT] = "uid . tcp port",
		[MI_K_SKUID_UDP_DPORT] = "uid . udp port",
	};

	return w[k];
}

/*
 * One match: true when it holds; @why gets a short reason either way.
 * Protocol dependencies (an IPv4 match on an IPv6 packet, a TCP port on
 * UDP, a socket match without a socket) fail also when negated, as the
 * kernel's implicit dependency matches do.
 */
static bool eval_match(const struct walk *w, const struct mi_match *m,
		       char *why, size_t len)
{
	const struct pkt *p = &w->p;
	const struct mi_flow *f = p->f;
	char vb[96], cb[80];
	const char *vs = vb;
	uint32_t v = 0;
	const uint8_t *addr = NULL;
	const char *name = NULL;
	bool hit;

	vb[0] = '\0';
	switch (m->key) {
	case MI_K_IIFNAME:
	case MI_K_OIFNAME:
		name = m->key == MI_K_IIFNAME ? p->iif : p->oif;
		snprintf(vb, sizeof(vb), "%s %s", key_word(m->key),
			 *name ? name : "(none)");
		break;
	case MI_K_L4PROTO:
		v = f->proto;
		snprintf(vb, sizeof(vb), "%s", f->proto == IPPROTO_TCP ? "tcp" : "udp");
		break;
	case MI_K_SKUID:
	case MI_K_SKGID:
	case MI_K_SKUID_TCP_DPORT:
	case MI_K_SKUID_UDP_DPORT:
		if (!p->has_sk) {
			snprintf(why, len, "no socket: %s never matches here",
				 key_word(m->key));
			return false;
		}
		if (m->key == MI_K_SKUID_TCP_DPORT || m->key == MI_K_SKUID_UDP_DPORT) {
			uint8_t want = m->key == MI_K_SKUID_TCP_DPORT ? IPPROTO_TCP :
									IPPROTO_UDP;

			if (f->proto != want) {
				snprintf(why, len, "not %s", want == IPPROTO_TCP ? "tcp" : "udp");
				return false;
			}
			snprintf(vb, sizeof(vb), "uid %u . port %u", f->uid, p->dport);
			break;
		}
		v = m->key == MI_K_SKUID ? f->uid : f->gid;
		snprintf(vb, sizeof(vb), "%s %u", key_word(m->key), v);
		break;
	case MI_K_MARK:
		v = p->mark;
		snprintf(vb, sizeof(vb), "mark %u", v);
		break;
	case MI_K_CTMARK:
		v = p->ctmark;
		snprintf(vb, sizeof(vb), "ct mark %u", v);
		break;
	case MI_K_CTSTATE:
		hit = (p->ctstate & m->num) != 0;
		snprintf(why, len, "ct state %s%s %s",
			 p->ctstate == MI_CT_NEW ? "new" :
			 p->ctstate == MI_CT_ESTABLISHED ? "established" :
			 p->ctstate == MI_CT_RELATED ? "related" : "invalid",
			 hit != m->neg ? "" : " not",
			 m->num == MI_CT_INVALID ? "invalid" : "established,related");
		return hit != m->neg;
	case MI_K_IP_SADDR:
	case MI_K_IP_DADDR:
	case MI_K_IP6_SADDR:
	case MI_K_IP6_DADDR: {
		bool v4 = m->key == MI_K_IP_SADDR || m->key == MI_K_IP_DADDR;
		bool src = m->key == MI_K_IP_SADDR || m->key == MI_K_IP6_SADDR;

		if (f->family != (v4 ? AF_INET : AF_INET6)) {
			snprintf(why, len, "not %s", v4 ? "IPv4" : "IPv6");
			return false;
		}
		if (src && !p->have_src) {
			snprintf(why, len, "source address unknown (give --src)");
			return false;
		}
		addr = src ? p->saddr : p->daddr;
		mi_addr_format(f->family, addr, vb, sizeof(vb));
		break;
	}
	case MI_K_TCP_DPORT:
	case MI_K_UDP_DPORT:
	case MI_K_UDP_SPORT: {
		uint8_t want = m->key == MI_K_TCP_DPORT ? IPPROTO_TCP : IPPROTO_UDP;

		if (f->proto != want) {
			snprintf(why, len, "not %s", want == IPPROTO_TCP ? "tcp" : "udp");
			return false;
		}
		v = m->key == MI_K_UDP_SPORT ? p->sport : p->dport;
		if (m->key == MI_K_UDP_SPORT && !v)
			snprintf(vb, sizeof(vb), "source port (ephemeral)");
		else
			snprintf(vb, sizeof(vb), "%s %u", key_word(m->key), v);
		break;
	}
	}

	switch (m->val) {
	case MI_V_NUM:
		hit = v == m->num;
		if (m->key == MI_K_L4PROTO)
			snprintf(cb, sizeof(cb), "%s", m->num == IPPROTO_TCP ? "tcp" : "udp");
		else
			snprintf(cb, sizeof(cb), "%u", m->num);
		break;
	case MI_V_CIDR:
		hit = cidr_has(&m->cidr, addr);
		mi_cidr_format(&m->cidr, cb, sizeof(cb));
		break;
	case MI_V_IFNAME:
		hit = !strcmp(name, m->ifname);
		snprintf(cb, sizeof(cb), "%s", m->ifname);
		break;
	case MI_V_SET:
	default:
		hit = set_has(w->plan, m->set, p, m->key, v, addr, name);
		snprintf(why, len, "%s %s %s", vs, hit ? "in" : "not in",
			 mi_set_info(m->set)->name);
		return hit != m->neg;
	}
	if (m->val == MI_V_NUM && m->key != MI_K_L4PROTO && m->key != MI_K_MARK &&
	    m->key != MI_K_CTMARK) {
		/* "tcp port 80 != 15008" */
		snprintf(why, len, "%s %s %s", vs, hit ? "==" : "!=", cb);
	} else if (m->val == MI_V_CIDR) {
		snprintf(why, len, "%s %s %s", vs, hit ? "in" : "not in", cb);
	} else {
		snprintf(why, len, "%s %s %s", vs, hit ? "==" : "!=", cb);
	}
	return hit != m->neg;
}

static void add_step(struct walk *w, enum mi_chain_id c, size_t i, bool matched,
		     const char *why)
{
	struct mi_explain *ex = w->ex;
	struct mi_step *s;

	mi_grow((void **)&ex->steps, &ex->cap, ex->n + 1, sizeof(*ex->steps));
	s = &ex->steps[ex->n++];
	memset(s, 0, sizeof(*s));
	s->chain = c;
	s->idx = i;
	s->matched = matched;
	s->looped = w->looped;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void note(struct mi_explain *ex, const char *fmt, ...) MI_PRINTF(2, 3);

static void note(struct mi_explain *ex, const char *fmt, ...)
{
	va_list ap;

	if (ex->nnotes >= ARRAY_SIZE(ex->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(ex->notes[ex->nnotes++], sizeof(ex->notes[0]), fmt, ap);
	va_end(ap);
}

/* Chains that only carry out a decision taken by the rule jumping there. */
static bool is_trampoline(enum mi_chain_id c)
{
	return c == MI_C_REDIRECT || c == MI_C_IN_REDIRECT ||
	       c == MI_C_TPROXY || c == MI_C_DIVERT || c == MI_C_DROP;
}

struct frame {
	enum mi_chain_id chain;
	size_t idx;
	char why[256];
};

#define MAX_DEPTH 16

static void decide(struct walk *w, enum mi_chain_id c, size_t i,
		   const char *why, const struct frame *stack, size_t depth)
{
	struct mi_explain *ex = w->ex;

	w->done = true;
	ex->decided = true;
	if (is_trampoline(c) && depth) {
		c = stack[depth - 1].chain;
		i = stack[depth - 1].idx;
		why = stack[depth - 1].why;
	}
	ex->dec_chain = c;
	ex->dec_idx = i;
	snprintf(ex->dec_why, sizeof(ex->dec_why), "%s", why);
}

enum chain_end { END_CONTINUE, END_ACCEPT, END_DROP };

/* Walk base chain @base and what it jumps to. */
static enum chain_end walk_base(struct walk *w, enum mi_chain_id base)
{
	const struct mi_plan *plan = w->plan;
	struct frame stack[MAX_DEPTH];
	size_t depth = 0, i = 0;
	enum mi_chain_id cur = base;
	uint16_t tproxy_port = 0;

	for (;;) {
		const struct mi_rules *rs = &plan->chains[cur];
		const struct mi_rule *r;
		char why[256] = "", one[256];
		bool ok = true;

		if (i >= rs->n) {
			if (!w->looped && !w->done && !w->fell_off && depth) {
				w->fell_off = true;
				w->end_chain = cur;
			}
			if (!depth)
				return END_CONTINUE;	/* policy accept */
			depth--;
			cur = stack[depth].chain;
			i = stack[depth].idx + 1;
			continue;
		}
		r = &rs->v[i];
		for (unsigned int k = 0; k < r->nm && ok; k++) {
			ok = eval_match(w, &r->m[k], one, sizeof(one));
			/* matched: list every reason; not matched: the failing one */
			if (ok)
				catf(why, sizeof(why), "%s%s", *why ? ", " : "", one);
			else
				snprintf(why, sizeof(why), "%s", one);
		}
		add_step(w, cur, i, ok, why);
		if (!ok) {
			i++;
			continue;
		}
		for (unsigned int k = 0; k < r->ns; k++) {
			const struct mi_stmt *s = &r->s[k];

			switch (s->kind) {
			case MI_S_MARK_SET:
				w->p.mark = s->arg;
				if (s->arg == MI_OUTBOUND_TPROXY_MARK)
					note(w->ex, "%s rule %zu sets mark %u: the route chain re-routes the packet, over lo to the pod's own address",
					     mi_chain_info(cur)->name, i + 1, s->arg);
				break;
			case MI_S_CTMARK_FROM_MARK:
				w->p.ctmark = w->p.mark;
				break;
			case MI_S_MARK_FROM_CTMARK:
				w->p.mark = w->p.ctmark;
				break;
			case MI_S_CTZONE_SET:
				note(w->ex, "%s rule %zu puts the connection in conntrack zone %u",
				     mi_chain_info(cur)->name, i + 1, s->arg);
				break;
			case MI_S_REDIRECT:
				if (!w->done) {
					w->ex->outcome = MI_OUT_REDIRECT;
					w->ex->port = (uint16_t)s->arg;
					decide(w, cur, i, why, stack, depth);
				}
				/* NAT: the destination is now local */
				memset(w->p.daddr, 0, 16);
				if (w->p.f->family == AF_INET) {
					w->p.daddr[0] = 127;
					w->p.daddr[3] = 1;
				} else {
					w->p.daddr[15] = 1;
				}
				w->p.dport = (uint16_t)s->arg;
				w->redirected = true;
				return END_ACCEPT;	/* a NAT statement is terminal */
			case MI_S_TPROXY4:
			case MI_S_TPROXY6:
				tproxy_port = (uint16_t)s->arg;
				break;
			}
		}
		switch (r->verdict) {
		case MI_VERDICT_NONE:
			i++;
			break;
		case MI_VERDICT_RETURN:
			if (!w->looped && !w->done) {
				w->primary_return = true;
				w->ret_chain = cur;
				w->ret_idx = i;
				snprintf(w->ret_why, sizeof(w->ret_why), "%s", why);
			}
			if (!depth)
				return END_CONTINUE;
			depth--;
			cur = stack[depth].chain;
			i = stack[depth].idx + 1;
			break;
		case MI_VERDICT_JUMP:
			if (depth == MAX_DEPTH)
				return END_CONTINUE;
			stack[depth].chain = cur;
			stack[depth].idx = i;
			snprintf(stack[depth].why, sizeof(stack[depth].why), "%s", why);
			depth++;
			cur = r->target;
			i = 0;
			break;
		case MI_VERDICT_ACCEPT:
			if (tproxy_port && !w->done) {
				w->ex->outcome = MI_OUT_TPROXY;
				w->ex->port = tproxy_port;
				w->ex->mark = w->p.mark;
				decide(w, cur, i, why, stack, depth);
			}
			return END_ACCEPT;
		case MI_VERDICT_DROP:
			if (!w->done) {
				w->ex->outcome = MI_OUT_DROP;
				decide(w, cur, i, why, stack, depth);
			}
			return END_DROP;
		}
	}
}

/* Base chains of a hook, in priority order. */
static const enum mi_chain_id out_chains[] = { MI_C_RAW_OUTPUT, MI_C_MANGLE_OUTPUT,
					       MI_C_NAT_OUTPUT };
static const enum mi_chain_id pre_chains[] = { MI_C_RAW_PREROUTING,
					       MI_C_MANGLE_PREROUTING,
					       MI_C_NAT_PREROUTING };

static enum chain_end walk_hook(struct walk *w, const enum mi_chain_id *chains,
				size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!mi_plan_has_chain(w->plan, chains[i]))
			continue;
		if (walk_base(w, chains[i]) == END_DROP)
			return END_DROP;
	}
	return END_CONTINUE;
}

void mi_explain_walk(const struct mi_plan *plan, const struct mi_config *cfg,
		     const struct mi_flow *f, struct mi_explain *ex)
{
	struct walk w = { .plan = plan, .cfg = cfg, .ex = ex };

	memset(ex, 0, sizeof(*ex));
	w.p.f = f;
	memcpy(w.p.saddr, f->src, 16);
	memcpy(w.p.daddr, f->dst, 16);
	w.p.sport = f->sport;
	w.p.dport = f->dport;
	w.p.have_src = f->have_src;
	w.p.mark = f->mark;
	w.p.ctmark = f->ctmark;
	w.p.ctstate = f->ctstate;
	if (f->dir == MI_DIR_IN) {
		w.p.iif = f->iif;
		w.p.oif = "";
		walk_hook(&w, pre_chains, ARRAY_SIZE(pre_chains));
	} else {
		w.p.iif = "";
		w.p.oif = f->oif;
		w.p.has_sk = f->have_uid;
		if (walk_hook(&w, out_chains, ARRAY_SIZE(out_chains)) != END_DROP &&
		    (!strcmp(f->oif, "lo") || w.redirected)) {
			/*
			 * Local destinations, and redirected packets (now to
			 * 127.0.0.1 or ::1), come back in over lo: no socket;
			 * nat was already done at output.
			 */
			w.looped = true;
			w.p.iif = "lo";
			w.p.oif = "";
			w.p.has_sk = false;
			walk_hook(&w, pre_chains, 2);
		}
	}
	if (!w.done && w.primary_return) {
		ex->decided = true;
		ex->dec_chain = w.ret_chain;
		ex->dec_idx = w.ret_idx;
		snprintf(ex->dec_why, sizeof(ex->dec_why), "%s", w.ret_why);
	}
	ex->fell_off = w.fell_off;
	ex->end_chain = w.end_chain;
}

void mi_explain_release(struct mi_explain *ex)
{
	free(ex->steps);
	memset(ex, 0, sizeof(*ex));
}

static const char *port_label(const struct mi_config *cfg, uint16_t port)
{
	if (port == cfg->proxy_port)
		return " (outbound listener)";
	if (port == cfg->inbound_port)
		return " (inbound listener)";
	if (port == MI_DNS_AGENT_PORT)
		return " (DNS agent)";
	return "";
}

void mi_explain_outcome(const struct mi_explain *ex, const struct mi_config *cfg,
			char *buf, size_t len)
{
	switch (ex->outcome) {
	case MI_OUT_REDIRECT:
		snprintf(buf, len, "captured -> redirected to :%u%s", ex->port,
			 port_label(cfg, ex->port));
		break;
	case MI_OUT_TPROXY:
		snprintf(buf, len, "captured -> TPROXY to :%u with mark %u%s",
			 ex->port, ex->mark, port_label(cfg, ex->port));
		break;
	case MI_OUT_DROP:
		snprintf(buf, len, "dropped");
		break;
	case MI_OUT_PASS:
	default:
		snprintf(buf, len, "passes (not captured)");
		break;
	}
}

/* Rule text without its comment. */
static void rule_text(const struct mi_rule *r, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	char *c;

	buf[0] = '\0';
	if (!f)
		return;
	mi_print_rule(r, f);
	fclose(f);
	buf[len - 1] = '\0';
	c = strstr(buf, " comment \"");
	if (c)
		*c = '\0';
}

void mi_explain_print(const struct mi_plan *plan, const struct mi_config *cfg,
		      const struct mi_explain *ex, bool verbose, FILE *out)
{
	bool looped = false;
	char text[1024], oc[160];

	for (size_t i = 0; i < ex->n; i++) {
		const struct mi_step *s = &ex->steps[i];
		const struct mi_rule *r = &plan->chains[s->chain].v[s->idx];

		if (!s->matched && !verbose)
			continue;
		if (s->looped && !looped) {
			fprintf(out, "-- back in over lo (prerouting, iif lo; nat is skipped: the connection is already NATed):\n");
			looped = true;
		}
		rule_text(r, text, sizeof(text));
		if (s->matched)
			fprintf(out, "%-21s rule %-2zu %s  # %s\n",
				mi_chain_info(s->chain)->name, s->idx + 1, text,
				r->why ? r->why : "");
		else
			fprintf(out, "%-21s rule %-2zu %s  -> no (%s)\n",
				mi_chain_info(s->chain)->name, s->idx + 1, text, s->why);
	}
	for (size_t i = 0; i < ex->nnotes; i++)
		fprintf(out, "note: %s\n", ex->notes[i]);
	mi_explain_outcome(ex, cfg, oc, sizeof(oc));
	fprintf(out, "outcome: %s", oc);
	if (ex->decided) {
		const struct mi_rule *r = &plan->chains[ex->dec_chain].v[ex->dec_idx];

		fprintf(out, "; decided by %s rule %zu \"%s\"",
			mi_chain_info(ex->dec_chain)->name, ex->dec_idx + 1,
			r->why ? r->why : "");
		if (ex->dec_why[0])
			fprintf(out, ": %s", ex->dec_why);
	} else {
		fprintf(out, "; no rule decided: the packet ran off the end of %s",
			ex->fell_off ? mi_chain_info(ex->end_chain)->name :
				       "every chain (none installed for this hook)");
	}
	fputc('\n', out);
}

/* ---- the command ------------------------------------------------------- */

/* The namespace's addresses as full-length prefixes, for the defaults. */
static int local_addrs(struct mi_cidr **out, size_t *n, struct mi_err *err)
{
	struct mi_ifaddr *a;
	size_t i;
	int ret;

	ret = mi_detect_addrs(&a, n, err);
	if (ret < 0)
		return ret;
	*out = mi_xcalloc(*n, sizeof(**out));
	for (i = 0; i < *n; i++) {
		(*out)[i].family = (uint8_t)a[i].family;
		(*out)[i].plen = a[i].family == AF_INET ? 32 : 128;
		memcpy((*out)[i].addr, a[i].addr, 16);
	}
	free(a);
	return 0;
}

int mi_explain_run(const struct mi_cli *cli, const struct mi_config *cfg,
		   FILE *out, struct mi_err *err)
{
	struct mi_cidr *local;
	size_t nlocal;
	struct mi_flow f;
	struct mi_plan plan;
	struct mi_explain ex;
	char line[320];
	int ret;

	ret = mi_flow_parse(&cli->flow, true, &f, err);
	if (ret < 0)
		return ret;
	ret = local_addrs(&local, &nlocal, err);
	if (ret < 0)
		return ret;
	mi_flow_complete(&f, local, nlocal);
	free(local);
	if (f.family == AF_INET6 && !cfg->ipv6)
		fprintf(out, "note: IPv6 rules are off (--ipv6 or detection): IPv6 packets meet only the family-independent rules\n");
	mi_plan_build(cfg, &plan);
	mi_explain_walk(&plan, cfg, &f, &ex);
	mi_flow_format(&f, line, sizeof(line));
	fprintf(out, "flow: %s\n", line);
	mi_explain_print(&plan, cfg, &ex, cli->flow.verbose, out);
	if (cli->flow.kernel)
		ret = mi_explain_kernel(&plan, cfg, &f, &ex, out, err);
	mi_explain_release(&ex);
	mi_plan_release(&plan);
	return ret;
}
