/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * explain: walk the rule plan for one packet as netfilter would, and say
 * which rules it meets and whether it is captured; then what the
 * namespace adds (other tables on the same hooks, whether anything
 * listens where the packet goes) and, with --kernel, what the kernel's
 * nftrace of a real probe says.
 */
#include "explain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "conntrack.h"
#include "detect.h"
#include "nfeval.h"
#include "print.h"
#include "record.h"
#include "ruleset.h"
#include "sockdiag.h"
#include "readback.h"
#include "snapshot.h"
#include "trace.h"
#include "util.h"

/* ---- the packet as the rules see it -------------------------------------- */

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
	struct mi_explain *ex;
	struct pkt p;
	bool nat;	     /* the packet meets nat chains (NEW) */
	bool looped;	     /* second phase: lo prerouting */
	bool primary_return; /* a return rule of the first phase was seen */
	enum mi_chain_id ret_chain;
	size_t ret_idx;
	char ret_why[256];
	bool fell_off; /* a chain of the first phase ran to its end */
	enum mi_chain_id end_chain;
	bool done;	 /* outcome decided (capture or drop) */
	bool redirected; /* a NAT redirect made the destination local */
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

/* ---- matches: a key -> packet value table -------------------------------- */

/* A packet's value for one key, and how to word it. */
struct val {
	uint32_t num;
	const uint8_t *addr;
	const char *name;
	char text[96];
};

struct key_info {
	const char *word; /* "uid", "tcp port"... */
	uint8_t l4;	  /* protocol dependency, 0: none */
	int family;	  /* address family dependency, 0: none */
	bool sk;	  /* needs the sending socket */
	bool src;	  /* the source address (must be known) */
	void (*get)(const struct pkt *p, const struct key_info *ki,
		    struct val *v);
};

static void get_iif(const struct pkt *p, const struct key_info *ki,
		    struct val *v)
{
	v->name = p->iif;
	snprintf(v->text, sizeof(v->text), "%s %s", ki->word,
		 *p->iif ? p->iif : "(none)");
}

static void get_oif(const struct pkt *p, const struct key_info *ki,
		    struct val *v)
{
	v->name = p->oif;
	snprintf(v->text, sizeof(v->text), "%s %s", ki->word,
		 *p->oif ? p->oif : "(none)");
}

static void get_l4(const struct pkt *p, const struct key_info *ki,
		   struct val *v)
{
	(void)ki;
	v->num = p->f->proto;
	snprintf(v->text, sizeof(v->text), "%s",
		 p->f->proto == IPPROTO_TCP ? "tcp" : "udp");
}

static void num_text(const struct key_info *ki, struct val *v, uint32_t n)
{
	v->num = n;
	snprintf(v->text, sizeof(v->text), "%s %u", ki->word, n);
}

static void get_uid(const struct pkt *p, const struct key_info *ki,
		    struct val *v)
{
	num_text(ki, v, p->f->uid);
}

static void get_gid(const struct pkt *p, const struct key_info *ki,
		    struct val *v)
{
	num_text(ki, v, p->f->gid);
}

static void get_mark(const struct pkt *p, const struct key_info *ki,
		     struct val *v)
{
	num_text(ki, v, p->mark);
}

static void get_ctmark(const struct pkt *p, const struct key_info *ki,
		       struct val *v)
{
	num_text(ki, v, p->ctmark);
}

static void get_saddr(const struct pkt *p, const struct key_info *ki,
		      struct val *v)
{
	(void)ki;
	v->addr = p->saddr;
	mi_addr_format(p->f->family, p->saddr, v->text, sizeof(v->text));
}

static void get_daddr(const struct pkt *p, const struct key_info *ki,
		      struct val *v)
{
	(void)ki;
	v->addr = p->daddr;
	mi_addr_format(p->f->family, p->daddr, v->text, sizeof(v->text));
}

static void get_dport(const struct pkt *p, const struct key_info *ki,
		      struct val *v)
{
	num_text(ki, v, p->dport);
}

static void get_sport(const struct pkt *p, const struct key_info *ki,
		      struct val *v)
{
	if (!p->sport) {
		snprintf(v->text, sizeof(v->text), "source port (ephemeral)");
		return;
	}
	num_text(ki, v, p->sport);
}

static void get_uid_port(const struct pkt *p, const struct key_info *ki,
			 struct val *v)
{
	(void)ki;
	snprintf(v->text, sizeof(v->text), "uid %u . port %u", p->f->uid,
		 p->dport);
}

static const struct key_info keys[] = {
	[MI_K_IIFNAME] = { "iif", 0, 0, false, false, get_iif },
	[MI_K_OIFNAME] = { "oif", 0, 0, false, false, get_oif },
	[MI_K_L4PROTO] = { "proto", 0, 0, false, false, get_l4 },
	[MI_K_SKUID] = { "uid", 0, 0, true, false, get_uid },
	[MI_K_SKGID] = { "gid", 0, 0, true, false, get_gid },
	[MI_K_MARK] = { "mark", 0, 0, false, false, get_mark },
	[MI_K_CTMARK] = { "ct mark", 0, 0, false, false, get_ctmark },
	[MI_K_CTSTATE] = { "ct state", 0, 0, false, false, NULL },
	[MI_K_IP_SADDR] = { "source", 0, AF_INET, false, true, get_saddr },
	[MI_K_IP_DADDR] = { "destination", 0, AF_INET, false, false,
			    get_daddr },
	[MI_K_IP6_SADDR] = { "source", 0, AF_INET6, false, true, get_saddr },
	[MI_K_IP6_DADDR] = { "destination", 0, AF_INET6, false, false,
			     get_daddr },
	[MI_K_TCP_DPORT] = { "tcp port", IPPROTO_TCP, 0, false, false,
			     get_dport },
	[MI_K_UDP_DPORT] = { "udp port", IPPROTO_UDP, 0, false, false,
			     get_dport },
	[MI_K_UDP_SPORT] = { "udp source port", IPPROTO_UDP, 0, false, false,
			     get_sport },
	[MI_K_SKUID_TCP_DPORT] = { "uid . tcp port", IPPROTO_TCP, 0, true,
				   false, get_uid_port },
	[MI_K_SKUID_UDP_DPORT] = { "uid . udp port", IPPROTO_UDP, 0, true,
				   false, get_uid_port },
};

/*
 * The key's implicit dependencies (an IPv4 match on an IPv6 packet, a
 * TCP port on UDP, a socket match without a socket) fail also when the
 * match is negated, as the kernel's dependency matches do.
 */
static bool deps_hold(const struct pkt *p, const struct key_info *ki, char *why,
		      size_t len)
{
	if (ki->sk && !p->has_sk) {
		snprintf(why, len, "no socket: %s never matches here",
			 ki->word);
		return false;
	}
	if (ki->l4 && p->f->proto != ki->l4) {
		snprintf(why, len, "not %s",
			 ki->l4 == IPPROTO_TCP ? "tcp" : "udp");
		return false;
	}
	if (ki->family && p->f->family != ki->family) {
		snprintf(why, len, "not %s",
			 ki->family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	if (ki->src && !p->have_src) {
		snprintf(why, len, "source address unknown (give --src)");
		return false;
	}
	return true;
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

static bool elem_has(const struct mi_elem *e, enum mi_set_type type,
		     const struct pkt *p, const struct val *v)
{
	switch (type) {
	case MI_ST_IPV4:
		return addr_in(e->addr, v->addr, 4);
	case MI_ST_IPV6:
		return addr_in(e->addr, v->addr, 16);
	case MI_ST_IFNAME:
		return !strcmp(e->ifname, v->name);
	case MI_ST_UID_PORT:
		return in_range(&e->up.uid, p->f->uid) &&
		       in_range(&e->up.port, p->dport);
	default:
		return in_range(&e->r, v->num);
	}
}

/* Is the packet's value @v in set @s? */
static bool set_has(const struct mi_plan *plan, enum mi_set_id s,
		    const struct pkt *p, const struct val *v)
{
	const struct mi_elems *es = &plan->sets[s];

	if (!mi_plan_has_set(plan, s))
		return false;
	for (size_t i = 0; i < es->n; i++)
		if (elem_has(&es->v[i], mi_set_info(s)->type, p, v))
			return true;
	return false;
}

static bool eval_ctstate(const struct pkt *p, const struct mi_match *m,
			 char *why, size_t len)
{
	bool hit = (p->ctstate & m->num) != 0;

	snprintf(why, len, "ct state %s%s %s", mi_ct_state_name(p->ctstate),
		 hit != m->neg ? "" : " not",
		 m->num == MI_CT_INVALID ? "invalid" : "established,related");
	return hit != m->neg;
}

/* One match: true when it holds; @why gets a short reason either way. */
static bool eval_match(const struct walk *w, const struct mi_match *m,
		       char *why, size_t len)
{
	const struct key_info *ki = &keys[m->key];
	struct val v = { 0 };
	char cb[80];
	const char *op;
	bool hit;

	if (m->key == MI_K_CTSTATE)
		return eval_ctstate(&w->p, m, why, len);
	if (!deps_hold(&w->p, ki, why, len))
		return false;
	ki->get(&w->p, ki, &v);
	switch (m->val) {
	case MI_V_NUM:
		hit = v.num == m->num;
		if (m->key == MI_K_L4PROTO)
			snprintf(cb, sizeof(cb), "%s",
				 m->num == IPPROTO_TCP ? "tcp" : "udp");
		else
			snprintf(cb, sizeof(cb), "%u", m->num);
		op = hit ? "==" : "!=";
		break;
	case MI_V_CIDR:
		hit = cidr_has(&m->cidr, v.addr);
		mi_cidr_format(&m->cidr, cb, sizeof(cb));
		op = hit ? "in" : "not in";
		break;
	case MI_V_IFNAME:
		hit = !strcmp(v.name, m->ifname);
		snprintf(cb, sizeof(cb), "%s", m->ifname);
		op = hit ? "==" : "!=";
		break;
	case MI_V_SET:
	default:
		hit = set_has(w->plan, m->set, &w->p, &v);
		snprintf(cb, sizeof(cb), "%s", mi_set_info(m->set)->name);
		op = hit ? "in" : "not in";
		break;
	}
	snprintf(why, len, "%s %s %s", v.text, op, cb);
	return hit != m->neg;
}

/* All matches of @r: matched, every reason; not matched, the failing one. */
static bool eval_rule(const struct walk *w, const struct mi_rule *r, char *why,
		      size_t len)
{
	char one[256];

	why[0] = '\0';
	for (unsigned int k = 0; k < r->nm; k++) {
		if (!eval_match(w, &r->m[k], one, sizeof(one))) {
			snprintf(why, len, "%s", one);
			return false;
		}
		catf(why, len, "%s%s", *why ? ", " : "", one);
	}
	return true;
}

/* ---- steps, notes and decisions ------------------------------------------ */

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

#define MAX_DEPTH 16

/* Where the walk of one base chain is: the chain, the rule, the jumps. */
struct cursor {
	enum mi_chain_id cur;
	size_t i;
	size_t depth;
	struct {
		enum mi_chain_id chain;
		size_t idx;
		char why[256];
	} stack[MAX_DEPTH];
	uint16_t tproxy_port;
};

/* The rule decided @outcome; a trampoline's decision is its caller's. */
static void decide(struct walk *w, const struct cursor *c, const char *why,
		   enum mi_outcome outcome, uint16_t port)
{
	struct mi_decision *d = &w->ex->d;
	enum mi_chain_id chain = c->cur;
	size_t i = c->i;

	if (w->done)
		return;
	w->done = true;
	d->decided = true;
	d->outcome = outcome;
	d->port = port;
	d->mark = outcome == MI_OUT_TPROXY ? w->p.mark : 0;
	if (is_trampoline(chain) && c->depth) {
		chain = c->stack[c->depth - 1].chain;
		i = c->stack[c->depth - 1].idx;
		why = c->stack[c->depth - 1].why;
	}
	d->chain = chain;
	d->idx = i;
	snprintf(d->why, sizeof(d->why), "%s", why);
}

/* NAT: the destination is now local, on the proxy's port. */
static void nat_redirect(struct walk *w, uint16_t port)
{
	memset(w->p.daddr, 0, 16);
	if (w->p.f->family == AF_INET) {
		w->p.daddr[0] = 127;
		w->p.daddr[3] = 1;
	} else {
		w->p.daddr[15] = 1;
	}
	w->p.dport = port;
	w->redirected = true;
}

/* The rule's statements; true when one of them ends the chain (NAT). */
static bool apply_stmts(struct walk *w, struct cursor *c,
			const struct mi_rule *r, const char *why)
{
	for (unsigned int k = 0; k < r->ns; k++) {
		const struct mi_stmt *s = &r->s[k];

		switch (s->kind) {
		case MI_S_MARK_SET:
			w->p.mark = s->arg;
			if (s->arg == MI_OUTBOUND_TPROXY_MARK)
				note(w->ex,
				     "%s rule %zu sets mark %u: the route "
				     "chain re-routes the packet, over lo to "
				     "the pod's own address",
				     mi_chain_info(c->cur)->name, c->i + 1,
				     s->arg);
			break;
		case MI_S_CTMARK_FROM_MARK:
			w->p.ctmark = w->p.mark;
			break;
		case MI_S_MARK_FROM_CTMARK:
			w->p.mark = w->p.ctmark;
			break;
		case MI_S_CTZONE_SET:
			note(w->ex,
			     "%s rule %zu puts the connection in conntrack "
			     "zone %u",
			     mi_chain_info(c->cur)->name, c->i + 1, s->arg);
			break;
		case MI_S_REDIRECT:
			decide(w, c, why, MI_OUT_REDIRECT, (uint16_t)s->arg);
			nat_redirect(w, (uint16_t)s->arg);
			return true; /* a NAT statement is terminal */
		case MI_S_TPROXY4:
		case MI_S_TPROXY6:
			c->tproxy_port = (uint16_t)s->arg;
			break;
		}
	}
	return false;
}

enum chain_end {
	END_NEXT,
	END_CONTINUE,
	END_ACCEPT,
	END_DROP
};

/* Back to the rule after the jump; END_CONTINUE at the base chain's end. */
static enum chain_end pop(struct cursor *c)
{
	if (!c->depth)
		return END_CONTINUE; /* policy accept */
	c->depth--;
	c->cur = c->stack[c->depth].chain;
	c->i = c->stack[c->depth].idx + 1;
	return END_NEXT;
}

/* The rule's verdict: where the walk goes on, or how the chain ends. */
static enum chain_end apply_verdict(struct walk *w, struct cursor *c,
				    const struct mi_rule *r, const char *why)
{
	switch (r->verdict) {
	case MI_VERDICT_NONE:
		c->i++;
		return END_NEXT;
	case MI_VERDICT_RETURN:
		if (!w->looped && !w->done) {
			w->primary_return = true;
			w->ret_chain = c->cur;
			w->ret_idx = c->i;
			snprintf(w->ret_why, sizeof(w->ret_why), "%s", why);
		}
		return pop(c);
	case MI_VERDICT_JUMP:
		if (c->depth == MAX_DEPTH)
			return END_CONTINUE;
		c->stack[c->depth].chain = c->cur;
		c->stack[c->depth].idx = c->i;
		snprintf(c->stack[c->depth].why, sizeof(c->stack[0].why), "%s",
			 why);
		c->depth++;
		c->cur = r->target;
		c->i = 0;
		return END_NEXT;
	case MI_VERDICT_ACCEPT:
		if (c->tproxy_port)
			decide(w, c, why, MI_OUT_TPROXY, c->tproxy_port);
		return END_ACCEPT;
	case MI_VERDICT_DROP:
	default:
		decide(w, c, why, MI_OUT_DROP, 0);
		return END_DROP;
	}
}

/*
 * A rule of the installed table meshinit cannot express (added by hand):
 * not evaluated, assumed not to match, and said so.
 */
static void skip_unknown(struct walk *w, struct cursor *c)
{
	add_step(w, c->cur, c->i, false,
		 "cannot evaluate it: assumed not to match");
	w->ex->steps[w->ex->n - 1].unknown = true;
	note(w->ex,
	     "%s rule %zu is not one meshinit writes (added by hand?) and "
	     "cannot be evaluated: explain assumes it does not match; "
	     "`explain --kernel` shows what it does",
	     mi_chain_info(c->cur)->name, c->i + 1);
	c->i++;
}

/* Walk base chain @base and what it jumps to. */
static enum chain_end walk_base(struct walk *w, enum mi_chain_id base)
{
	struct cursor c = { .cur = base };
	enum chain_end end = END_NEXT;

	while (end == END_NEXT) {
		const struct mi_rules *rs = &w->plan->chains[c.cur];
		const struct mi_rule *r;
		char why[256];
		bool ok;

		if (c.i >= rs->n) {
			if (!w->looped && !w->done && !w->fell_off && c.depth) {
				w->fell_off = true;
				w->end_chain = c.cur;
			}
			end = pop(&c);
			continue;
		}
		r = &rs->v[c.i];
		if (r->raw) {
			skip_unknown(w, &c);
			continue;
		}
		ok = eval_rule(w, r, why, sizeof(why));
		add_step(w, c.cur, c.i, ok, why);
		if (!ok)
			c.i++;
		else if (apply_stmts(w, &c, r, why))
			end = END_ACCEPT;
		else
			end = apply_verdict(w, &c, r, why);
	}
	return end;
}

/* Base chains of a hook, in priority order. */
static const enum mi_chain_id out_chains[] = { MI_C_RAW_OUTPUT,
					       MI_C_MANGLE_OUTPUT,
					       MI_C_NAT_OUTPUT };
static const enum mi_chain_id pre_chains[] = { MI_C_RAW_PREROUTING,
					       MI_C_MANGLE_PREROUTING,
					       MI_C_NAT_PREROUTING };

static bool is_nat(enum mi_chain_id c)
{
	const char *type = mi_chain_info(c)->type;

	return type && !strcmp(type, "nat");
}

static enum chain_end walk_hook(struct walk *w, const enum mi_chain_id *chains,
				size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!mi_plan_has_chain(w->plan, chains[i]))
			continue;
		if (is_nat(chains[i]) && (!w->nat || w->looped)) {
			/* NAT sees a connection's first packet only */
			w->ex->skipped_nat = !w->looped;
			continue;
		}
		if (walk_base(w, chains[i]) == END_DROP)
			return END_DROP;
	}
	return END_CONTINUE;
}

static void walk_init(struct walk *w, const struct mi_plan *plan,
		      const struct mi_flow *f, struct mi_explain *ex)
{
	memset(w, 0, sizeof(*w));
	memset(ex, 0, sizeof(*ex));
	w->plan = plan;
	w->ex = ex;
	w->p.f = f;
	memcpy(w->p.saddr, f->src, 16);
	memcpy(w->p.daddr, f->dst, 16);
	w->p.sport = f->sport;
	w->p.dport = f->dport;
	w->p.have_src = f->have_src;
	w->p.mark = f->mark;
	w->p.ctmark = f->ctmark;
	w->p.ctstate = f->ctstate;
	w->nat = f->ctstate == MI_CT_NEW;
}

static void walk_phases(struct walk *w, const struct mi_flow *f)
{
	if (f->dir == MI_DIR_IN) {
		w->p.iif = f->iif;
		w->p.oif = "";
		walk_hook(w, pre_chains, ARRAY_SIZE(pre_chains));
		return;
	}
	w->p.iif = "";
	w->p.oif = f->oif;
	w->p.has_sk = f->have_uid;
	if (walk_hook(w, out_chains, ARRAY_SIZE(out_chains)) == END_DROP ||
	    (strcmp(f->oif, "lo") && !w->redirected))
		return;
	/*
	 * Local destinations, and redirected packets (now to 127.0.0.1 or
	 * ::1), come back in over lo: no socket; nat was already done at
	 * output.
	 */
	w->looped = true;
	w->p.iif = "lo";
	w->p.oif = "";
	w->p.has_sk = false;
	walk_hook(w, pre_chains, ARRAY_SIZE(pre_chains));
}

static void walk_finish(struct walk *w)
{
	struct mi_explain *ex = w->ex;

	if (!w->done && w->primary_return) {
		ex->d.decided = true;
		ex->d.chain = w->ret_chain;
		ex->d.idx = w->ret_idx;
		snprintf(ex->d.why, sizeof(ex->d.why), "%s", w->ret_why);
	}
	ex->fell_off = w->fell_off;
	ex->end_chain = w->end_chain;
}

/*
 * Not NEW: the nat chains were skipped. The packet keeps what NAT did
 * to the connection's first packet: walk that one for the decision
 * these rules take for it.
 */
static void follow_first(const struct mi_plan *plan,
			 const struct mi_config *cfg, const struct mi_flow *f,
			 struct mi_explain *ex)
{
	struct mi_flow first = *f;
	struct mi_explain fx;

	if (!ex->skipped_nat || ex->d.outcome != MI_OUT_PASS)
		return;
	if (f->ctstate == MI_CT_INVALID) {
		ex->invalid = true;
		snprintf(ex->reason, sizeof(ex->reason),
			 "an invalid packet belongs to no connection: "
			 "NAT leaves it alone");
		return;
	}
	first.ctstate = MI_CT_NEW;
	mi_explain_walk(plan, cfg, &first, &fx);
	ex->first = fx.d;
	mi_explain_release(&fx);
	if (ex->first.outcome == MI_OUT_REDIRECT)
		ex->d.outcome = MI_OUT_FOLLOW;
	else if (!ex->d.decided)
		snprintf(ex->reason, sizeof(ex->reason),
			 "NAT sees a connection's first packet only, and "
			 "these rules do not capture that one either");
}

static void servers_text(const struct mi_config *cfg, int family, char *buf,
			 size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->dns_servers.n; i++) {
		char a[INET6_ADDRSTRLEN];

		if (cfg->dns_servers.v[i].family != family)
			continue;
		mi_addr_format(family, cfg->dns_servers.v[i].addr, a,
			       sizeof(a));
		catf(buf, len, "%s%s", *buf ? ", " : "", a);
	}
	if (!*buf)
		snprintf(buf, len, "none of this family");
}

/* Why UDP no rule decided about is not captured. */
static void udp_reason(const struct mi_config *cfg, const struct mi_flow *f,
		       struct mi_explain *ex)
{
	uint16_t port = f->dir == MI_DIR_OUT ? cfg->proxy_port
					     : cfg->inbound_port;
	char srv[200], dst[INET6_ADDRSTRLEN];

	if (f->proto != IPPROTO_UDP || ex->d.decided ||
	    ex->d.outcome != MI_OUT_PASS)
		return;
	if (f->dir == MI_DIR_IN) {
		snprintf(ex->reason, sizeof(ex->reason),
			 "only TCP goes to :%u; arriving UDP is never captured",
			 port);
		return;
	}
	if (!cfg->dns) {
		snprintf(
			ex->reason, sizeof(ex->reason),
			"only TCP goes to :%u; UDP is captured as DNS only, "
			"and DNS capture is off (--redirect-dns)",
			port);
		return;
	}
	if (f->dport != 53) {
		snprintf(
			ex->reason, sizeof(ex->reason),
			"only TCP goes to :%u; UDP is captured as DNS only "
			"(port 53), not to port %u",
			port, f->dport);
		return;
	}
	servers_text(cfg, f->family, srv, sizeof(srv));
	mi_addr_format(f->family, f->dst, dst, sizeof(dst));
	snprintf(
		ex->reason, sizeof(ex->reason),
		"only TCP goes to :%u; UDP is captured as DNS only, to the "
		"resolv.conf servers (%s): %s is not one of them",
		port, srv, dst);
}

void mi_explain_walk(const struct mi_plan *plan, const struct mi_config *cfg,
		     const struct mi_flow *f, struct mi_explain *ex)
{
	struct walk w;

	walk_init(&w, plan, f, ex);
	walk_phases(&w, f);
	walk_finish(&w);
	follow_first(plan, cfg, f, ex);
	udp_reason(cfg, f, ex);
}

void mi_explain_release(struct mi_explain *ex)
{
	free(ex->steps);
	memset(ex, 0, sizeof(*ex));
}

/* ---- printing ------------------------------------------------------------ */

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

static void decision_text(const struct mi_decision *d,
			  const struct mi_config *cfg, char *buf, size_t len)
{
	switch (d->outcome) {
	case MI_OUT_REDIRECT:
		snprintf(buf, len, "captured -> redirected to :%u%s", d->port,
			 port_label(cfg, d->port));
		break;
	case MI_OUT_TPROXY:
		snprintf(buf, len, "captured -> TPROXY to :%u with mark %u%s",
			 d->port, d->mark, port_label(cfg, d->port));
		break;
	case MI_OUT_DROP:
		snprintf(buf, len, "dropped");
		break;
	case MI_OUT_FOLLOW:
		snprintf(buf, len, "follows the connection's first packet");
		break;
	case MI_OUT_PASS:
	default:
		snprintf(buf, len, "passes (not captured)");
		break;
	}
}

void mi_explain_outcome(const struct mi_explain *ex,
			const struct mi_config *cfg, char *buf, size_t len)
{
	char first[160];

	decision_text(&ex->d, cfg, buf, len);
	if (ex->d.outcome != MI_OUT_FOLLOW)
		return;
	decision_text(&ex->first, cfg, first, sizeof(first));
	snprintf(
		buf, len,
		"follows the connection's first packet (nat chains see only "
		"that one): "
		"opened under these rules, %s; opened before they were "
		"installed, not NATed (passes)",
		first);
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

static void print_steps(const struct mi_plan *plan, const struct mi_explain *ex,
			bool verbose, FILE *out)
{
	bool looped = false;
	char text[1024];

	for (size_t i = 0; i < ex->n; i++) {
		const struct mi_step *s = &ex->steps[i];
		const struct mi_rule *r = &plan->chains[s->chain].v[s->idx];

		if (!s->matched && !s->unknown && !verbose)
			continue;
		if (s->looped && !looped) {
			fprintf(out,
				"-- back in over lo (prerouting, iif lo; nat "
				"is skipped: the connection is already "
				"NATed):\n");
			looped = true;
		}
		rule_text(r, text, sizeof(text));
		if (s->matched)
			fprintf(out, "%-21s rule %-2zu %s  # %s\n",
				mi_chain_info(s->chain)->name, s->idx + 1, text,
				r->why ? r->why : "(no meshinit comment)");
		else
			fprintf(out, "%-21s rule %-2zu %s  -> no (%s)\n",
				mi_chain_info(s->chain)->name, s->idx + 1, text,
				s->why);
	}
}

static void print_decider(const struct mi_plan *plan,
			  const struct mi_decision *d, const char *lead,
			  FILE *out)
{
	const struct mi_rule *r = &plan->chains[d->chain].v[d->idx];

	fprintf(out, "; %s %s rule %zu ", lead, mi_chain_info(d->chain)->name,
		d->idx + 1);
	if (r->why)
		fprintf(out, "\"%s\"", r->why);
	else
		fprintf(out, "(no meshinit comment: added by hand?)");
	if (d->why[0])
		fprintf(out, ": %s", d->why);
}

void mi_explain_print(const struct mi_plan *plan, const struct mi_config *cfg,
		      const struct mi_explain *ex, bool verbose, FILE *out)
{
	char oc[600];

	print_steps(plan, ex, verbose, out);
	if (ex->skipped_nat && !ex->invalid)
		fprintf(out,
			"note: not a connection's first packet: the nat "
			"chains are not walked (NAT sees the first packet "
			"only; later packets keep the translation decided for "
			"it)\n");
	for (size_t i = 0; i < ex->nnotes; i++)
		fprintf(out, "note: %s\n", ex->notes[i]);
	mi_explain_outcome(ex, cfg, oc, sizeof(oc));
	fprintf(out, "outcome: %s", oc);
	if (ex->d.outcome == MI_OUT_FOLLOW) {
		if (ex->first.decided)
			print_decider(plan, &ex->first,
				      "the first packet is decided by", out);
	} else if (ex->d.decided) {
		print_decider(plan, &ex->d, "decided by", out);
	} else if (ex->reason[0]) {
		fprintf(out, "; %s", ex->reason);
		if (ex->skipped_nat && ex->first.decided)
			print_decider(plan, &ex->first,
				      "the first packet is decided by", out);
	} else {
		fprintf(out,
			"; no rule decided: the packet ran off the end of %s",
			ex->fell_off
				? mi_chain_info(ex->end_chain)->name
				: "every chain (none installed for this hook)");
	}
	fputc('\n', out);
}

/* ---- other tables on the packet's hooks ---------------------------------- */

/* The hooks the packet meets, in order; @looped: over lo, back in. */
static size_t flow_hooks(const struct mi_flow *f, uint32_t *hooks)
{
	size_t n = 0;

	if (f->dir == MI_DIR_OUT) {
		hooks[n++] = NF_INET_LOCAL_OUT;
		hooks[n++] = NF_INET_POST_ROUTING;
		if (strcmp(f->oif, "lo"))
			return n;
	}
	hooks[n++] = NF_INET_PRE_ROUTING;
	hooks[n++] = NF_INET_LOCAL_IN;
	return n;
}

static bool family_applies(uint32_t nfproto, int family)
{
	return nfproto == NFPROTO_INET ||
	       (nfproto == NFPROTO_IPV4 && family == AF_INET) ||
	       (nfproto == NFPROTO_IPV6 && family == AF_INET6);
}

static bool is_meshinit(uint32_t family, const char *table)
{
	return family == NFPROTO_INET && (!strcmp(table, MI_TABLE_NAME) ||
					  !strcmp(table, MI_TRACE_TABLE));
}

/* "before meshinit's mangle-output (-150)" */
static void relative(uint32_t hook, int32_t prio, char *buf, size_t len)
{
	const struct mi_chain_info *after = NULL;

	for (int id = 0; id <= MI_C_RAW_OUTPUT; id++) {
		const struct mi_chain_info *ci =
			mi_chain_info((enum mi_chain_id)id);

		if ((uint32_t)ci->hook != hook || ci->prio <= prio)
			continue;
		if (!after || ci->prio < after->prio)
			after = ci;
	}
	if (after)
		snprintf(buf, len, "before meshinit's %s (%d)", after->name,
			 after->prio);
	else if (hook == NF_INET_LOCAL_OUT || hook == NF_INET_PRE_ROUTING)
		snprintf(buf, len, "after meshinit's chains of this hook");
	else
		snprintf(buf, len, "after meshinit's %s chains",
			 hook == NF_INET_POST_ROUTING ? "output"
						      : "prerouting");
}

/* The packet as a chain of another table at @hook, @prio sees it. */
static void other_pkt(const struct mi_flow *f, const struct mi_explain *ex,
		      uint32_t hook, int32_t prio, struct mi_nfpkt *p)
{
	bool later = hook == NF_INET_POST_ROUTING ||
		     hook == NF_INET_LOCAL_IN ||
		     prio > mi_chain_info(MI_C_NAT_OUTPUT)->prio;
	bool natted = ex->d.outcome == MI_OUT_REDIRECT && later;
	bool in = f->dir == MI_DIR_IN ||
		  hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_IN;

	memset(p, 0, sizeof(*p));
	p->family = f->family;
	p->proto = f->proto;
	memcpy(p->saddr, f->src, 16);
	memcpy(p->daddr, f->dst, 16);
	p->sport = f->sport;
	p->dport = f->dport;
	p->mark = f->mark;
	p->ctmark = f->ctmark;
	p->ctstate = f->ctstate;
	p->uid = f->uid;
	p->gid = f->gid;
	p->has_sk = f->dir == MI_DIR_OUT && f->have_uid && !in;
	p->iif = f->dir == MI_DIR_IN ? f->iif : in ? "lo" : "";
	p->oif = in ? "" : f->oif;
	if (!natted)
		return;
	p->dport = ex->d.port;
	if (f->dir == MI_DIR_IN)
		return;
	memset(p->daddr, 0, 16);
	if (f->family == AF_INET) {
		p->daddr[0] = 127;
		p->daddr[3] = 1;
	} else {
		p->daddr[15] = 1;
	}
	if (!in)
		p->oif = "lo";
}

static void print_walk(const struct mi_nfwalk *w, FILE *out)
{
	switch (w->res) {
	case MI_NF_DROP:
		if (w->policy)
			fprintf(out, "  walk: no rule accepts it: the policy "
				     "DROPS the packet\n");
		else
			fprintf(out, "  walk: %s rule %zu matches: the packet "
				     "is DROPPED here\n", w->chain, w->idx);
		break;
	case MI_NF_NAT:
		fprintf(out, "  walk: %s rule %zu translates the packet "
			     "(NAT/TPROXY)\n", w->chain, w->idx);
		break;
	case MI_NF_UNKNOWN:
		fprintf(out, "  walk: %s rule %zu cannot be evaluated (%s): "
			     "stopped there\n", w->chain, w->idx, w->why);
		break;
	case MI_NF_ACCEPT:
	default:
		if (w->policy)
			fprintf(out, "  walk: no rule decides: policy accept, "
				     "the packet goes on\n");
		else
			fprintf(out, "  walk: %s rule %zu accepts it: the "
				     "packet goes on\n", w->chain, w->idx);
		break;
	}
}

static void print_other(const struct mi_ruleset *rs,
			const struct mi_rs_chain *c, FILE *out)
{
	char rel[96], text[1024];

	relative(c->hook, c->prio, rel, sizeof(rel));
	fprintf(out,
		"other table: %s %s chain %s (type %s hook %s priority %d: "
		"%s; policy %s)\n",
		mi_family_name(c->family), c->table, c->name, c->type,
		mi_hook_name(c->hook), c->prio, rel,
		c->policy == NF_DROP ? "drop" : "accept");
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct mi_rs_rule *r = &rs->rules[i];
		const char *t;

		if (r->family != c->family || strcmp(r->table, c->table) ||
		    strcmp(r->chain, c->name) || !(t = mi_rs_rule_terminal(r)))
			continue;
		mi_readback_rule_text(r->r, text, sizeof(text));
		fprintf(out, "  rule %zu: %s  -> can %s the packet\n", r->idx,
			text, t);
	}
	if (c->policy == NF_DROP)
		fprintf(out, "  policy drop: drops what no rule accepts\n");
}

/* Hook order along the packet's path, then priority. */
static int path_cmp(const void *a, const void *b)
{
	const struct mi_rs_chain *x = *(const struct mi_rs_chain *const *)a;
	const struct mi_rs_chain *y = *(const struct mi_rs_chain *const *)b;
	int hx = x->hook == NF_INET_POST_ROUTING || x->hook == NF_INET_LOCAL_IN;
	int hy = y->hook == NF_INET_POST_ROUTING || y->hook == NF_INET_LOCAL_IN;
	int px = x->hook == NF_INET_PRE_ROUTING || x->hook == NF_INET_LOCAL_IN;
	int py = y->hook == NF_INET_PRE_ROUTING || y->hook == NF_INET_LOCAL_IN;

	if (px != py)
		return px - py;	/* output hooks before the loop back */
	if (hx != hy)
		return hx - hy;
	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static void other_outcome(const struct mi_others *o, FILE *out)
{
	if (!o->named)
		return;
	if (o->dropped && o->idx)
		fprintf(out, "outcome with the other tables: dropped by %s %s "
			     "chain %s rule %zu\n", mi_family_name(o->family),
			o->table, o->chain, o->idx);
	else if (o->dropped)
		fprintf(out, "outcome with the other tables: dropped by the "
			     "policy of %s %s chain %s\n",
			mi_family_name(o->family), o->table, o->chain);
	else if (o->unknown)
		fprintf(out, "outcome with the other tables: cannot tell (%s "
			     "%s chain %s rule %zu cannot be evaluated; "
			     "`explain --kernel` can)\n",
			mi_family_name(o->family), o->table, o->chain, o->idx);
	else
		fprintf(out, "outcome with the other tables: as above (they "
			     "let the packet through)\n");
}

void mi_explain_others(const struct mi_ruleset *rs, const struct mi_flow *f,
		       const struct mi_explain *ex, struct mi_others *o,
		       FILE *out)
{
	const struct mi_rs_chain **v = mi_xcalloc(rs->nchains + 1, sizeof(*v));
	uint32_t hooks[4];
	size_t nh = flow_hooks(f, hooks), n = 0;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < rs->nchains; i++) {
		const struct mi_rs_chain *c = &rs->chains[i];
		bool on = false;

		for (size_t h = 0; h < nh; h++)
			on |= c->base && c->hook == hooks[h];
		if (on && family_applies(c->family, f->family) &&
		    !is_meshinit(c->family, c->table))
			v[n++] = c;
	}
	qsort(v, n, sizeof(*v), path_cmp);
	for (size_t i = 0; i < n; i++) {
		struct mi_nfpkt p;
		struct mi_nfwalk w;

		print_other(rs, v[i], out);
		other_pkt(f, ex, v[i]->hook, v[i]->prio, &p);
		mi_nf_walk(rs, v[i], &p, &w);
		print_walk(&w, out);
		if (o->dropped || o->unknown ||
		    (w.res != MI_NF_DROP && w.res != MI_NF_UNKNOWN))
			continue;
		o->dropped = w.res == MI_NF_DROP;
		o->unknown = w.res == MI_NF_UNKNOWN;
		o->family = v[i]->family;
		snprintf(o->table, sizeof(o->table), "%s", v[i]->table);
		snprintf(o->chain, sizeof(o->chain), "%s", w.chain);
		o->idx = w.policy ? 0 : w.idx;
	}
	o->named = n;
	other_outcome(o, out);
	free(v);
}

/* ---- is anything listening? ---------------------------------------------- */

/* Where the packet ends up in this namespace, when it does. */
struct landing {
	bool local;
	uint8_t proto;
	int family;
	uint8_t addr[16];
	uint16_t port;
	bool any_addr; /* TPROXY: a transparent socket on any address */
};

static bool landing_of(const struct mi_explain *ex, const struct mi_flow *f,
		       bool dst_local, struct landing *l)
{
	const struct mi_decision *d =
		ex->d.outcome == MI_OUT_FOLLOW ? &ex->first : &ex->d;

	memset(l, 0, sizeof(*l));
	l->proto = f->proto;
	l->family = f->family;
	switch (d->outcome) {
	case MI_OUT_REDIRECT:
		l->port = d->port;
		if (f->dir == MI_DIR_OUT) {
			/* REDIRECT at output: to the loopback address */
			if (f->family == AF_INET) {
				l->addr[0] = 127;
				l->addr[3] = 1;
			} else {
				l->addr[15] = 1;
			}
		} else {
			memcpy(l->addr, f->dst, 16);
		}
		break;
	case MI_OUT_TPROXY:
		l->port = d->port;
		l->any_addr = true;
		break;
	case MI_OUT_PASS:
		if (!dst_local && f->dir == MI_DIR_OUT)
			return false;
		l->port = f->dport;
		memcpy(l->addr, f->dst, 16);
		break;
	default:
		return false;
	}
	l->local = true;
	return true;
}

/*
 * Print whether a socket takes the packet where it lands; true when
 * nothing does (a TCP connection is refused, a datagram dropped).
 */
static bool check_listener(const struct landing *l, FILE *out)
{
	const char *pn = l->proto == IPPROTO_TCP ? "TCP" : "UDP";
	struct mi_sock *s;
	struct mi_err err = { 0 };
	char ep[80], a[INET6_ADDRSTRLEN];
	size_t n, i;

	if (mi_sock_find(l->proto, l->port, &s, &n, &err) < 0) {
		fprintf(out, "listener: cannot tell (%s)\n", err.msg);
		return false;
	}
	if (l->any_addr)
		snprintf(ep, sizeof(ep), ":%u", l->port);
	else
		mi_flow_endpoint(l->family, l->addr, l->port, ep, sizeof(ep));
	for (i = 0; i < n; i++)
		if (l->any_addr || mi_sock_accepts(&s[i], l->family, l->addr))
			break;
	if (i < n) {
		mi_addr_format(s[i].family, s[i].addr, a, sizeof(a));
		fprintf(out,
			"listener: %s %s is taken by a socket bound to "
			"%s%s%s:%u (uid %u)\n",
			pn, ep, s[i].family == AF_INET6 ? "[" : "", a,
			s[i].family == AF_INET6 ? "]" : "", s[i].port,
			s[i].uid);
	} else {
		fprintf(out,
			"listener: NOTHING %s on %s %s in this namespace: %s\n",
			l->proto == IPPROTO_TCP ? "listens" : "is bound", pn,
			ep,
			l->proto == IPPROTO_TCP
				? "the connection is refused (is the proxy up?)"
				: "the datagram is dropped (port unreachable)");
	}
	free(s);
	return i == n;
}

/* ---- explain --kernel: the kernel's nftrace of a probe
 * ----------------------- */

/* Order of a base chain on the packet's path: hook, then priority. */
static bool base_key(const struct mi_ruleset *rs, const struct mi_trace_ev *e,
		     int64_t *key)
{
	const struct mi_rs_chain *c =
		mi_ruleset_chain(rs, e->family, e->table, e->chain);
	int64_t h;

	if (!c || !c->base)
		return false;
	/* output then postrouting; prerouting then input */
	h = c->hook == NF_INET_POST_ROUTING || c->hook == NF_INET_LOCAL_IN ? 1
									   : 0;
	*key = h * 0x100000000LL + c->prio;
	return true;
}

/*
 * Packet ids are a hash of the skb's address, flow hash and input
 * interface, so a later packet of the flow (the handshake's ACK, a
 * retransmission) may come with the same id. One packet meets the base
 * chains of its hooks in priority order, each once: an event in an
 * earlier base chain, or in one already left, starts the next packet.
 */
struct seg {
	bool started, closed, over;
	int64_t key;
};

static bool same_packet(const struct mi_ruleset *rs, struct seg *g,
			const struct mi_trace_ev *e)
{
	int64_t k;

	if (g->over)
		return false;
	if (base_key(rs, e, &k)) {
		if (g->started && (k < g->key || (k == g->key && g->closed))) {
			g->over = true;
			return false;
		}
		if (!g->started || k > g->key) {
			g->started = true;
			g->key = k;
			g->closed = false;
		}
	}
	if (e->type == NFT_TRACETYPE_POLICY ||
	    (e->type == NFT_TRACETYPE_RULE &&
	     (e->verdict == NF_ACCEPT || e->verdict == NF_DROP)))
		g->closed = true;
	return true;
}

/* The probe's events: its first packet id, then the same packet over lo. */
struct kpath {
	size_t n;
	struct kev {
		const struct mi_trace_ev *e;
		bool looped;
	} v[256];
};

static void kernel_path(const struct mi_ruleset *rs,
			const struct mi_trace_evs *evs, struct kpath *kp)
{
	struct seg seg1 = { 0 }, seg2 = { 0 };
	uint32_t first = 0, second = 0;
	bool have_first = false, have_second = false, lo_done = false;
	const struct mi_rs_chain *c;
	unsigned int lo = if_nametoindex("lo");

	kp->n = 0;
	for (size_t i = 0; i < evs->n && kp->n < ARRAY_SIZE(kp->v); i++) {
		const struct mi_trace_ev *e = &evs->v[i];
		bool looped;

		if (!have_first) {
			first = e->id;
			have_first = true;
		}
		if (e->id != first && !have_second && !lo_done) {
			c = mi_ruleset_chain(rs, e->family, e->table, e->chain);
			if (c && c->base && c->hook == NF_INET_PRE_ROUTING &&
			    e->has_iif && e->iif == lo) {
				second = e->id;
				have_second = true;
			} else {
				lo_done = true;
			}
		}
		if (e->id != first && !(have_second && e->id == second))
			continue;
		looped = e->id != first;
		if (!same_packet(rs, looped ? &seg2 : &seg1, e))
			continue;
		kp->v[kp->n].e = e;
		kp->v[kp->n].looped = looped;
		kp->n++;
	}
}

static bool ours(const struct mi_trace_ev *e)
{
	return e->family == NFPROTO_INET && !strcmp(e->table, MI_TABLE_NAME);
}

/* The rule (any table) that decided the probe: a drop, else a NAT rule. */
static const struct kev *kernel_decider(const struct mi_ruleset *rs,
					const struct kpath *kp)
{
	const struct kev *nat = NULL;

	for (size_t i = 0; i < kp->n; i++) {
		const struct mi_trace_ev *e = kp->v[i].e;
		const struct mi_rs_rule *r = mi_trace_ev_rule(rs, e);
		const char *t = r ? mi_rs_rule_terminal(r) : NULL;

		if (e->verdict == NF_DROP)
			return &kp->v[i];
		if (!nat && t && strcmp(t, "accept") && e->verdict == NF_ACCEPT)
			nat = &kp->v[i];
	}
	return nat;
}

static void print_kernel_decider(const struct mi_ruleset *rs,
				 const struct kev *k, FILE *out)
{
	const struct mi_trace_ev *e;
	const struct mi_rs_rule *r;
	char text[1024] = "";

	if (!k) {
		fprintf(out,
			"kernel: no rule dropped or translated the probe: "
			"every chain let it through\n");
		return;
	}
	e = k->e;
	r = mi_trace_ev_rule(rs, e);
	if (r)
		mi_readback_rule_text(r->r, text, sizeof(text));
	if (e->type == NFT_TRACETYPE_POLICY)
		fprintf(out,
			"kernel: decided by %s %s chain %s%s: policy drop\n",
			mi_family_name(e->family), e->table, e->chain,
			k->looped ? " (over lo)" : "");
	else
		fprintf(out,
			"kernel: decided by %s %s chain %s rule %zu%s: %s\n",
			mi_family_name(e->family), e->table, e->chain,
			r ? r->idx : 0, k->looped ? " (over lo)" : "", text);
}

/* The predicted matched rules, in order, against the kernel's; differences. */
static size_t compare_path(const struct mi_ruleset *rs,
			   const struct mi_explain *ex, const struct kpath *kp,
			   bool dropped, FILE *out)
{
	size_t k = 0, diffs = 0;

	for (size_t i = 0; i <= ex->n; i++) {
		const struct mi_step *s = i < ex->n ? &ex->steps[i] : NULL;
		const struct mi_rs_rule *r = NULL;
		const struct kev *kv;

		if (s && !s->matched)
			continue;
		/* the kernel's next rule event of table inet meshinit */
		while (k < kp->n && (!ours(kp->v[k].e) ||
				     !(r = mi_trace_ev_rule(rs, kp->v[k].e))))
			k++;
		kv = k < kp->n ? &kp->v[k] : NULL;
		if (!s && !kv)
			break;
		if (!s) {
			fprintf(out,
				"  predicted nothing more, kernel: %s rule "
				"%zu%s\n",
				kv->e->chain, r->idx,
				kv->looped ? " (over lo)" : "");
		} else if (!kv && dropped) {
			/* another table dropped it first, as predicted */
			continue;
		} else if (!kv) {
			fprintf(out,
				"  predicted %s rule %zu%s, kernel: nothing "
				"more\n",
				mi_chain_info(s->chain)->name, s->idx + 1,
				s->looped ? " (over lo)" : "");
		} else if (strcmp(kv->e->chain,
				  mi_chain_info(s->chain)->name) ||
			   r->idx != s->idx + 1 || kv->looped != s->looped) {
			fprintf(out,
				"  predicted %s rule %zu%s, kernel: %s rule "
				"%zu%s\n",
				mi_chain_info(s->chain)->name, s->idx + 1,
				s->looped ? " (over lo)" : "", kv->e->chain,
				r->idx, kv->looped ? " (over lo)" : "");
		} else {
			k++;
			continue;
		}
		diffs++;
		if (!s)
			k++;
		if (!kv)
			continue;
		if (s)
			k++;
	}
	return diffs;
}

static void print_kernel_events(const struct mi_ruleset *rs,
				const struct kpath *kp, FILE *out)
{
	char *line = mi_xmalloc(4096);

	fprintf(out, "kernel (nftrace of the probe packet, every table):\n");
	for (size_t i = 0; i < kp->n; i++) {
		mi_trace_ev_format(rs, kp->v[i].e, line, 4096);
		for (char *p = line, *nl; p; p = nl) {
			nl = strchr(p, '\n');
			if (nl)
				*nl++ = '\0';
			fprintf(out, "  %s\n", p);
		}
	}
	free(line);
}

/* Trace the probe: start, send, collect, stop. */
static int trace_probe(const struct mi_flow *f, struct mi_trace_evs *evs,
		       int *result, struct mi_err *err)
{
	struct mi_tracer *t = NULL;
	struct mi_flow filt = *f;
	int ret, ret2;

	/* the source port is the kernel's choice; match the rest */
	filt.have_src = false;
	ret = mi_tracer_start(&filt, &t, err);
	if (ret < 0)
		return ret;
	ret = mi_trace_probe(f, result, err);
	if (!ret)
		ret = mi_tracer_collect(t, evs, 300, 3000, err);
	ret2 = mi_tracer_stop(t, err);
	return ret ? ret : ret2;
}

static bool installed(const struct mi_ruleset *rs)
{
	for (size_t i = 0; i < rs->nchains; i++)
		if (rs->chains[i].family == NFPROTO_INET &&
		    !strcmp(rs->chains[i].table, MI_TABLE_NAME))
			return true;
	return false;
}

/*
 * The kernel's answer against the prediction: the rules of table inet
 * meshinit the probe met, the rule of any table that decided it, whether
 * its connection was refused where the packet was to land. Returns the
 * number of differences.
 */
/* Did the kernel drop the probe where the walk of other tables said? */
static bool as_predicted(const struct mi_ruleset *rs, const struct kev *dec,
			 const struct mi_others *o)
{
	const struct mi_rs_rule *r;

	if (!dec || !o->dropped || dec->e->verdict != NF_DROP ||
	    dec->e->family != o->family || strcmp(dec->e->table, o->table) ||
	    strcmp(dec->e->chain, o->chain))
		return false;
	if (dec->e->type == NFT_TRACETYPE_POLICY)
		return !o->idx;
	r = mi_trace_ev_rule(rs, dec->e);
	return r && r->idx == o->idx;
}

static size_t judge(const struct mi_ruleset *rs, const struct mi_trace_evs *evs,
		    const struct mi_flow *f, const struct mi_explain *ex,
		    const struct mi_others *o, int result, bool lands_local,
		    FILE *out)
{
	struct kpath *kp = mi_xcalloc(1, sizeof(*kp));
	const struct kev *dec;
	bool predicted;
	size_t diffs;

	kernel_path(rs, evs, kp);
	print_kernel_events(rs, kp, out);
	dec = kernel_decider(rs, kp);
	print_kernel_decider(rs, dec, out);
	predicted = as_predicted(rs, dec, o);
	diffs = compare_path(rs, ex, kp, predicted, out);
	if (predicted) {
		fprintf(out, "  the kernel: table %s %s dropped it, as the "
			     "walk of the other tables said\n",
			mi_family_name(dec->e->family), dec->e->table);
	} else if (dec && !ours(dec->e)) {
		fprintf(out,
			"  predicted by meshinit's rules only; the kernel: "
			"table %s %s decided\n",
			mi_family_name(dec->e->family), dec->e->table);
		diffs++;
	}
	if (result == ECONNREFUSED && lands_local) {
		fprintf(out,
			"  predicted a connection; the kernel: REFUSED "
			"(nothing listens where the packet lands)\n");
		diffs++;
	} else if (result && f->proto == IPPROTO_TCP) {
		fprintf(out, "note: the probe's connection: %s\n",
			strerror(result));
	}
	free(kp);
	return diffs;
}

/*
 * explain --kernel: read the rules, trace a probe, read the rules again
 * (rules changed meanwhile, counters the probe moved), judge.
 */
static int explain_kernel(const struct mi_flow *f, const struct mi_explain *ex,
			  const struct mi_others *o, bool lands_local,
			  FILE *out, struct mi_err *err)
{
	struct mi_trace_evs evs = { 0 };
	struct mi_ruleset before, after;
	size_t diffs;
	int ret, result = 0;

	if (f->dir != MI_DIR_OUT)
		return mi_err_set(
			err, -EOPNOTSUPP,
			"explain --kernel supports --direction out only: an "
			"inbound probe must come from a peer (run `meshinit "
			"trace` and send from there)");
	ret = mi_ruleset_load(&before, err);
	if (ret < 0)
		return ret;
	mi_ruleset_init(&after);
	if (!installed(&before))
		ret = mi_err_set(err, -ENOENT,
				 "explain --kernel: table inet %s is not "
				 "installed in this namespace",
				 MI_TABLE_NAME);
	if (!ret)
		ret = trace_probe(f, &evs, &result, err);
	if (!ret)
		ret = mi_ruleset_load(&after, err);
	if (ret < 0)
		goto out;
	mi_trace_resolve_returns(&before, &after, &evs);
	diffs = judge(&after, &evs, f, ex, o, result, lands_local, out);
	if (diffs) {
		fprintf(out, "kernel DISAGREES (%zu difference%s)\n", diffs,
			diffs == 1 ? "" : "s");
		ret = mi_err_setx(err, MI_EXIT_DRIFT, -EPROTO,
				  "explain --kernel: the kernel's path differs "
				  "from the prediction");
	} else {
		fprintf(out, "kernel agrees\n");
	}
out:
	mi_ruleset_release(&after);
	mi_ruleset_release(&before);
	mi_trace_evs_release(&evs);
	return ret;
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
	*out = mi_xcalloc(*n ? *n : 1, sizeof(**out));
	for (i = 0; i < *n; i++) {
		(*out)[i].family = (uint8_t)a[i].family;
		(*out)[i].plen = a[i].family == AF_INET ? 32 : 128;
		memcpy((*out)[i].addr, a[i].addr, 16);
	}
	free(a);
	return 0;
}

/*
 * What explain walks: a plan and the configuration it came from. With
 * install flags, the plan they give (as install would build it); without,
 * table inet meshinit read back from the kernel (hand-added rules
 * included) and the configuration its install record describes.
 */
struct source {
	struct mi_plan plan;
	const struct mi_config *cfg;
	struct mi_config rcfg;	/* from the record */
	bool have_rcfg;
	char from[300];
};

/* The installed table and its record; none installed: an empty plan. */
static int source_installed(const struct mi_config *cfg, struct source *src,
			    struct mi_err *err)
{
	struct mi_err rec_err = { 0 }, rb = { 0 };
	struct mi_record rec;
	int ret = mi_readback(&src->plan, &rec, &rb);

	src->cfg = cfg;
	if (ret == -ENOENT) {
		memset(&src->plan, 0, sizeof(src->plan));
		snprintf(src->from, sizeof(src->from),
			 "none: table inet %s is not installed in this "
			 "namespace (give install flags to explain a "
			 "configuration)",
			 MI_TABLE_NAME);
		return 0;
	}
	if (ret < 0) {
		if (!err->code)
			*err = rb;
		return ret;
	}
	if (rec.version[0] &&
	    mi_record_config(&rec, &src->plan, &src->rcfg, &rec_err) == 0) {
		src->have_rcfg = true;
		src->cfg = &src->rcfg;
		snprintf(src->from, sizeof(src->from),
			 "the installed table inet %s (install record of "
			 "meshinit %s)",
			 MI_TABLE_NAME, rec.version);
	} else {
		snprintf(src->from, sizeof(src->from),
			 "the installed table inet %s (no readable install "
			 "record%s%.160s: ports named from the defaults)",
			 MI_TABLE_NAME, rec_err.msg[0] ? ": " : "",
			 rec_err.msg);
	}
	return 0;
}

static int source_open(const struct mi_cli *cli, const struct mi_config *cfg,
		       struct source *src, struct mi_err *err)
{
	memset(src, 0, sizeof(*src));
	if (!cli->nrule_options)
		return source_installed(cfg, src, err);
	src->cfg = cfg;
	snprintf(src->from, sizeof(src->from),
		 "the plan of the install flags given");
	mi_plan_build(cfg, &src->plan);
	return 0;
}

static void source_close(struct source *src)
{
	mi_plan_release(&src->plan);
	if (src->have_rcfg)
		mi_config_release(&src->rcfg);
}

/* ---- what conntrack decided for open connections ---------------------- */

static void print_ct(const struct mi_ct *c, const struct mi_config *cfg,
		     FILE *out)
{
	char o[80], d[80], r[80];

	mi_flow_endpoint(c->family, c->orig.src, c->orig.sport, o, sizeof(o));
	mi_flow_endpoint(c->family, c->orig.dst, c->orig.dport, d, sizeof(d));
	mi_flow_endpoint(c->family, c->reply.src, c->reply.sport, r, sizeof(r));
	fprintf(out, "conntrack: %s %s -> %s%s: ",
		c->proto == IPPROTO_TCP ? "tcp" : "udp", o, d,
		c->zone ? " (zone set)" : "");
	if (mi_ct_dst_nat(c))
		fprintf(out, "NATed to %s%s: captured\n", r,
			port_label(cfg, c->reply.sport));
	else
		fprintf(out, "not NATed: its packets go to %s (passes)\n", d);
}

/*
 * Not NEW: what NAT decided for the connections already open that
 * match the flow, read from conntrack.
 */
static void explain_conntrack(const struct mi_flow *f, bool src_given,
			      const struct mi_config *cfg, FILE *out)
{
	struct mi_ct_filter flt = { .family = f->family, .proto = f->proto,
				    .dport = f->dport, .sport = f->sport };
	struct mi_err err = { 0 };
	struct mi_ct *v;
	size_t n;

	if (f->ctstate != MI_CT_ESTABLISHED && f->ctstate != MI_CT_RELATED)
		return;
	memcpy(flt.dst, f->dst, 16);
	flt.have_src = src_given;
	memcpy(flt.src, f->src, 16);
	if (mi_ct_find(&flt, &v, &n, &err) < 0) {
		fprintf(out, "conntrack: cannot read the tracked connections: "
			     "%s\n", err.msg);
		return;
	}
	for (size_t i = 0; i < n && i < 8; i++)
		print_ct(&v[i], cfg, out);
	if (n > 8)
		fprintf(out, "conntrack: ... and %zu more\n", n - 8);
	if (!n)
		fprintf(out, "conntrack: no such connection is tracked: one "
			     "conntrack did not track from its first packet is "
			     "picked up as new, and its next packet meets the "
			     "nat chains as a first one\n");
	free(v);
}

/* What the namespace adds: other tables, listeners. True: nothing listens. */
static bool explain_namespace(const struct mi_flow *f, bool src_given,
			      const struct mi_config *cfg,
			      const struct mi_explain *ex, bool dst_local,
			      struct mi_others *o, FILE *out)
{
	struct mi_ruleset rs;
	struct mi_err err = { 0 };
	struct landing l;

	explain_conntrack(f, src_given, cfg, out);
	memset(o, 0, sizeof(*o));
	if (mi_ruleset_load(&rs, &err) == 0)
		mi_explain_others(&rs, f, ex, o, out);
	else
		fprintf(out, "note: cannot read the other tables: %s\n",
			err.msg);
	mi_ruleset_release(&rs);
	if (!landing_of(ex, f, dst_local, &l))
		return false;
	return check_listener(&l, out);
}

int mi_explain_run(const struct mi_cli *cli, const struct mi_config *cfg,
		   FILE *out, struct mi_err *err)
{
	struct mi_cidr *local;
	size_t nlocal;
	struct mi_flow f;
	struct source src;
	struct mi_explain ex;
	struct mi_others others;
	struct landing l;
	char line[320];
	bool dst_local;
	int ret;

	ret = mi_flow_parse(&cli->flow, true, &f, err);
	if (ret < 0)
		return ret;
	ret = local_addrs(&local, &nlocal, err);
	if (ret < 0)
		return ret;
	mi_flow_complete(&f, local, nlocal);
	dst_local = mi_flow_dst_local(&f, local, nlocal);
	free(local);
	ret = source_open(cli, cfg, &src, err);
	if (ret < 0)
		return ret;
	if (f.family == AF_INET6 && !src.cfg->ipv6)
		fprintf(out,
			"note: IPv6 rules are off (--ipv6 or detection): IPv6 "
			"packets meet only the family-independent rules\n");
	mi_explain_walk(&src.plan, src.cfg, &f, &ex);
	mi_flow_format(&f, line, sizeof(line));
	fprintf(out, "flow: %s\n", line);
	fprintf(out, "rules: %s\n", src.from);
	mi_explain_print(&src.plan, src.cfg, &ex, cli->flow.verbose, out);
	for (size_t i = 0; i < src.plan.nxchains; i++)
		if (src.plan.xchains[i].base)
			fprintf(out,
				"note: table inet %s also has chain %s (%s), "
				"not one meshinit writes: not walked\n",
				MI_TABLE_NAME, src.plan.xchains[i].name,
				src.plan.xchains[i].base);
	explain_namespace(&f, cli->flow.src && *cli->flow.src, src.cfg, &ex,
			  dst_local, &others, out);
	if (cli->flow.kernel)
		ret = explain_kernel(&f, &ex, &others,
				     landing_of(&ex, &f, dst_local, &l), out,
				     err);
	mi_explain_release(&ex);
	source_close(&src);
	return ret;
}
