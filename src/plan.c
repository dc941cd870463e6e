/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "plan.h"

#include <assert.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Priorities are the iptables ones Istio's tables use: raw -300,
 * mangle -150, dstnat -100.
 */
static const struct mi_chain_info chain_infos[MI_C__COUNT] = {
	[MI_C_NAT_PREROUTING] = { "nat-prerouting", "nat", MI_HOOK_PREROUTING, -100 },
	[MI_C_NAT_OUTPUT] = { "nat-output", "nat", MI_HOOK_OUTPUT, -100 },
	[MI_C_MANGLE_PREROUTING] = { "mangle-prerouting", "filter", MI_HOOK_PREROUTING, -150 },
	[MI_C_MANGLE_OUTPUT] = { "mangle-output", "route", MI_HOOK_OUTPUT, -150 },
	[MI_C_RAW_PREROUTING] = { "raw-prerouting", "filter", MI_HOOK_PREROUTING, -300 },
	[MI_C_RAW_OUTPUT] = { "raw-output", "filter", MI_HOOK_OUTPUT, -300 },
	[MI_C_INBOUND] = { "istio-inbound", NULL, 0, 0 },
	[MI_C_REDIRECT] = { "istio-redirect", NULL, 0, 0 },
	[MI_C_IN_REDIRECT] = { "istio-in-redirect", NULL, 0, 0 },
	[MI_C_OUTPUT] = { "istio-output", NULL, 0, 0 },
	[MI_C_OUTPUT_DNS] = { "istio-output-dns", NULL, 0, 0 },
	[MI_C_DIVERT] = { "istio-divert", NULL, 0, 0 },
	[MI_C_TPROXY] = { "istio-tproxy", NULL, 0, 0 },
	[MI_C_MANGLE_INBOUND] = { "istio-mangle-inbound", NULL, 0, 0 },
	[MI_C_DROP] = { "istio-drop", NULL, 0, 0 },
	[MI_C_RAW_INBOUND] = { "istio-raw-inbound", NULL, 0, 0 },
	[MI_C_RAW_OUTPUT_DNS] = { "istio-raw-output-dns", NULL, 0, 0 },
};

static const struct mi_set_info set_infos[MI_SET__COUNT] = {
	[MI_SET_PROXY_UIDS] = { "proxy-uids", MI_ST_UID, false, "-u proxy uids" },
	[MI_SET_PROXY_GIDS] = { "proxy-gids", MI_ST_GID, false, "-g proxy gids" },
	[MI_SET_EXCLUDE_IFACES] = { "exclude-ifaces", MI_ST_IFNAME, false, "-c excluded interfaces" },
	[MI_SET_VIRT_IFACES] = { "virt-ifaces", MI_ST_IFNAME, false, "-k kube-virt interfaces" },
	[MI_SET_INBOUND_PORTS] = { "inbound-ports", MI_ST_PORT, true, "-b inbound ports" },
	[MI_SET_INBOUND_EXCLUDE_PORTS] = { "inbound-exclude-ports", MI_ST_PORT, true, "-d inbound excluded ports" },
	[MI_SET_OUTBOUND_PORTS] = { "outbound-ports", MI_ST_PORT, true, "-q outbound ports" },
	[MI_SET_OUTBOUND_EXCLUDE_PORTS] = { "outbound-exclude-ports", MI_ST_PORT, true, "-o outbound excluded ports" },
	[MI_SET_EXCLUDE_CIDRS4] = { "exclude-cidrs4", MI_ST_IPV4, true, "-x excluded CIDRs" },
	[MI_SET_EXCLUDE_CIDRS6] = { "exclude-cidrs6", MI_ST_IPV6, true, "-x excluded CIDRs" },
	[MI_SET_INCLUDE_CIDRS4] = { "include-cidrs4", MI_ST_IPV4, true, "-i captured CIDRs" },
	[MI_SET_INCLUDE_CIDRS6] = { "include-cidrs6", MI_ST_IPV6, true, "-i captured CIDRs" },
	[MI_SET_OWNER_GROUPS] = { "owner-groups", MI_ST_GID, false, "outbound owner groups" },
	[MI_SET_DNS_SERVERS4] = { "dns-servers4", MI_ST_IPV4, true, "resolv.conf nameservers" },
	[MI_SET_DNS_SERVERS6] = { "dns-servers6", MI_ST_IPV6, true, "resolv.conf nameservers" },
	[MI_SET_EXCLUDE_UIDS] = { "exclude-uids", MI_ST_UID, true, "--exclude-outbound-uids" },
	[MI_SET_EXCLUDE_GIDS] = { "exclude-gids", MI_ST_GID, true, "--exclude-outbound-gids" },
	[MI_SET_EXCLUDE_UID_TCP_PORTS] = { "exclude-uid-tcp-ports", MI_ST_UID_PORT, true, "--exclude-outbound-ports-for-uids" },
	[MI_SET_EXCLUDE_UID_UDP_PORTS] = { "exclude-uid-udp-ports", MI_ST_UID_PORT, true, "--exclude-outbound-ports-for-uids" },
};

const struct mi_chain_info *mi_chain_info(enum mi_chain_id id)
{
	return &chain_infos[id];
}

const struct mi_set_info *mi_set_info(enum mi_set_id id)
{
	return &set_infos[id];
}

/* ---- rule builder ---------------------------------------------------- */

static struct mi_rule *rule(struct mi_plan *p, enum mi_chain_id c,
			    const char *why)
{
	struct mi_rules *rs = &p->chains[c];
	struct mi_rule *r;

	mi_grow((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->why = why;
	return r;
}

static struct mi_match *match(struct mi_rule *r, enum mi_key k, bool neg,
			      enum mi_val_kind val)
{
	struct mi_match *m;

	assert(r->nm < MI_RULE_MAX_MATCH);
	m = &r->m[r->nm++];
	m->key = k;
	m->neg = neg;
	m->val = val;
	return m;
}

static void m_num(struct mi_rule *r, enum mi_key k, bool neg, uint32_t v)
{
	match(r, k, neg, MI_V_NUM)->num = v;
}

static void m_cidr(struct mi_rule *r, enum mi_key k, bool neg,
		   const struct mi_cidr *c)
{
	match(r, k, neg, MI_V_CIDR)->cidr = *c;
}

static void m_if(struct mi_rule *r, enum mi_key k, const char *name)
{
	strncpy(match(r, k, false, MI_V_IFNAME)->ifname, name, MI_IFNAMSIZ - 1);
}

static void m_set(struct mi_plan *p, struct mi_rule *r, enum mi_key k,
		  bool neg, enum mi_set_id s)
{
	match(r, k, neg, MI_V_SET)->set = s;
	p->set_used[s] = true;
}

static void stmt(struct mi_rule *r, enum mi_stmt_kind k, uint32_t arg)
{
	assert(r->ns < MI_RULE_MAX_STMT);
	r->s[r->ns].kind = k;
	r->s[r->ns].arg = arg;
	r->ns++;
}

static void verdict(struct mi_rule *r, enum mi_verdict v)
{
	r->verdict = v;
}

static void jump(struct mi_rule *r, enum mi_chain_id target)
{
	r->verdict = MI_VERDICT_JUMP;
	r->target = target;
}

static void tcp(struct mi_rule *r)
{
	m_num(r, MI_K_L4PROTO, false, IPPROTO_TCP);
}

/* ---- set contents ---------------------------------------------------- */

static struct mi_elem *elem(struct mi_plan *p, enum mi_set_id s)
{
	struct mi_elems *es = &p->sets[s];

	mi_grow((void **)&es->v, &es->cap, es->n + 1, sizeof(*es->v));
	memset(&es->v[es->n], 0, sizeof(es->v[0]));
	return &es->v[es->n++];
}

static void fill_ranges(struct mi_plan *p, enum mi_set_id s,
			const struct mi_ranges *in)
{
	struct mi_ranges tmp = { 0 };
	size_t i;

	for (i = 0; i < in->n; i++)
		mi_ranges_add(&tmp, in->v[i].lo, in->v[i].hi);
	mi_ranges_normalize(&tmp);
	for (i = 0; i < tmp.n; i++)
		elem(p, s)->r = tmp.v[i];
	mi_ranges_release(&tmp);
}

static int range_cmp(const void *a, const void *b)
{
	const struct mi_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Hash sets hold single values (ranges were refused at validation):
 * sorted and de-duplicated, but never merged into ranges.
 */
static void fill_values(struct mi_plan *p, enum mi_set_id s,
			const struct mi_ranges *in)
{
	struct mi_range *v = mi_xcalloc(in->n, sizeof(*v));
	size_t i;

	memcpy(v, in->v, in->n * sizeof(*v));
	qsort(v, in->n, sizeof(*v), range_cmp);
	for (i = 0; i < in->n; i++)
		if (i == 0 || v[i].lo != v[i - 1].lo)
			elem(p, s)->r = v[i];
	free(v);
}

static void fill_cidrs(struct mi_plan *p, enum mi_set_id s,
		       const struct mi_cidrs *in, int family)
{
	uint8_t(*r)[2][16];
	size_t n, i;

	n = mi_cidrs_to_ranges(in, family, &r);
	for (i = 0; i < n; i++)
		memcpy(elem(p, s)->addr, r[i], sizeof(r[i]));
	free(r);
}

static int ifname_cmp(const void *a, const void *b)
{
	return memcmp(a, b, MI_IFNAMSIZ);
}

/* Sorted, as the kernel lists them: a plan read back prints the same. */
static void fill_ifnames(struct mi_plan *p, enum mi_set_id s,
			 const struct mi_ifnames *in)
{
	struct mi_elems *es = &p->sets[s];
	size_t i;

	for (i = 0; i < in->n; i++)
		memcpy(elem(p, s)->ifname, in->v[i], MI_IFNAMSIZ);
	if (es->n)
		qsort(es->v, es->n, sizeof(*es->v), ifname_cmp);
}

static int uidport_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mi_elem));
}

static void fill_uidports(struct mi_plan *p, enum mi_set_id s,
			  const struct mi_uidports *in, uint8_t proto)
{
	struct mi_elems *es = &p->sets[s];
	size_t i, o = 0;

	for (i = 0; i < in->n; i++) {
		struct mi_elem *e;

		if (in->v[i].proto != proto)
			continue;
		e = elem(p, s);
		e->up.uid = in->v[i].uid;
		e->up.port = in->v[i].port;
	}
	/* exact duplicates only; overlaps were refused at validation */
	if (!es->n)
		return;
	qsort(es->v, es->n, sizeof(*es->v), uidport_cmp);
	for (i = 0; i < es->n; i++)
		if (!o || memcmp(&es->v[o - 1], &es->v[i], sizeof(es->v[i])))
			es->v[o++] = es->v[i];
	es->n = o;
}

static bool has_family(const struct mi_cidrs *l, int family)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].family == family)
			return true;
	return false;
}

/* ---- constants ------------------------------------------------------- */

static const struct mi_cidr lo6 = { .family = AF_INET6, .plen = 128,
				    .addr = { [15] = 1 } };
static const struct mi_cidr passthrough4 = { .family = AF_INET, .plen = 32,
					     .addr = { 127, 0, 0, 6 } };
static const struct mi_cidr passthrough6 = { .family = AF_INET6,
					     .plen = 128,
					     .addr = { [15] = 6 } };

struct ctx {
	const struct mi_config *cfg;
	struct mi_plan *p;
};

/* ---- inbound ----------------------------------------------------------- */

static void plan_interfaces(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	/*
	 * nat prerouting order (Istio's inserts, flattened): kube-virt
	 * redirects, kube-virt returns, excluded-interface returns, then the
	 * inbound jump.
	 */
	if (cfg->virt_ifaces.n && cfg->outbound == MI_CAPTURE_ALL) {
		r = rule(p, MI_C_NAT_PREROUTING, "-k kube-virt traffic to -i '*'");
		m_set(p, r, MI_K_IIFNAME, false, MI_SET_VIRT_IFACES);
		jump(r, MI_C_REDIRECT);
	} else if (cfg->virt_ifaces.n && cfg->outbound == MI_CAPTURE_LIST) {
		if (has_family(&cfg->outbound_include, AF_INET)) {
			r = rule(p, MI_C_NAT_PREROUTING, "-k kube-virt traffic to -i CIDRs");
			m_set(p, r, MI_K_IIFNAME, false, MI_SET_VIRT_IFACES);
			m_set(p, r, MI_K_IP_DADDR, false, MI_SET_INCLUDE_CIDRS4);
			jump(r, MI_C_REDIRECT);
		}
		if (p->ipv6 && has_family(&cfg->outbound_include, AF_INET6)) {
			r = rule(p, MI_C_NAT_PREROUTING, "-k kube-virt traffic to -i CIDRs");
			m_set(p, r, MI_K_IIFNAME, false, MI_SET_VIRT_IFACES);
			m_set(p, r, MI_K_IP6_DADDR, false, MI_SET_INCLUDE_CIDRS6);
			jump(r, MI_C_REDIRECT);
		}
	}
	if (cfg->virt_ifaces.n) {
		r = rule(p, MI_C_NAT_PREROUTING, "-k kube-virt interfaces are not inbound");
		m_set(p, r, MI_K_IIFNAME, false, MI_SET_VIRT_IFACES);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (!cfg->exclude_ifaces.n)
		return;
	r = rule(p, MI_C_NAT_PREROUTING, "-c excluded interfaces");
	m_set(p, r, MI_K_IIFNAME, false, MI_SET_EXCLUDE_IFACES);
	verdict(r, MI_VERDICT_RETURN);
	r = rule(p, MI_C_NAT_OUTPUT, "-c excluded interfaces");
	m_set(p, r, MI_K_OIFNAME, false, MI_SET_EXCLUDE_IFACES);
	verdict(r, MI_VERDICT_RETURN);
	if (!cfg->tproxy)
		return;
	r = rule(p, MI_C_MANGLE_PREROUTING, "-c excluded interfaces");
	m_set(p, r, MI_K_IIFNAME, false, MI_SET_EXCLUDE_IFACES);
	verdict(r, MI_VERDICT_RETURN);
	r = rule(p, MI_C_MANGLE_OUTPUT, "-c excluded interfaces");
	m_set(p, r, MI_K_OIFNAME, false, MI_SET_EXCLUDE_IFACES);
	verdict(r, MI_VERDICT_RETURN);
}

static void plan_drop_invalid(struct ctx *c)
{
	struct mi_rule *r;

	if (!c->cfg->drop_invalid)
		return;
	/* TCP only, as Istio's nftables mode */
	r = rule(c->p, MI_C_MANGLE_PREROUTING, "--drop-invalid");
	tcp(r);
	m_num(r, MI_K_CTSTATE, false, MI_CT_INVALID);
	jump(r, MI_C_DROP);
	r = rule(c->p, MI_C_DROP, "--drop-invalid");
	verdict(r, MI_VERDICT_DROP);
}

static void plan_inbound_redirect(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	r = rule(p, MI_C_NAT_PREROUTING, "-b inbound capture");
	tcp(r);
	jump(r, MI_C_INBOUND);

	r = rule(p, MI_C_INBOUND, "-e tunnel port is never captured");
	m_num(r, MI_K_TCP_DPORT, false, cfg->tunnel_port);
	verdict(r, MI_VERDICT_RETURN);
	if (cfg->inbound == MI_CAPTURE_ALL) {
		if (cfg->inbound_exclude_ports.n) {
			r = rule(p, MI_C_INBOUND, "-d inbound excluded ports");
			m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_INBOUND_EXCLUDE_PORTS);
			verdict(r, MI_VERDICT_RETURN);
		}
		r = rule(p, MI_C_INBOUND, "-b '*' inbound capture");
		tcp(r);
		jump(r, MI_C_IN_REDIRECT);
	} else {
		r = rule(p, MI_C_INBOUND, "-b inbound ports");
		m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_INBOUND_PORTS);
		jump(r, MI_C_IN_REDIRECT);
	}
}

static void plan_inbound_tproxy(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	r = rule(p, MI_C_DIVERT, "-m TPROXY established inbound flows");
	stmt(r, MI_S_MARK_SET, cfg->tproxy_mark);
	verdict(r, MI_VERDICT_ACCEPT);

	r = rule(p, MI_C_TPROXY, "-m TPROXY new inbound flows");
	tcp(r);
	m_cidr(r, MI_K_IP_DADDR, true, &cfg->loopback4);
	stmt(r, MI_S_TPROXY4, cfg->inbound_port);
	stmt(r, MI_S_MARK_SET, cfg->tproxy_mark);
	verdict(r, MI_VERDICT_ACCEPT);
	if (p->ipv6) {
		r = rule(p, MI_C_TPROXY, "-m TPROXY new inbound flows");
		tcp(r);
		m_cidr(r, MI_K_IP6_DADDR, true, &lo6);
		stmt(r, MI_S_TPROXY6, cfg->inbound_port);
		stmt(r, MI_S_MARK_SET, cfg->tproxy_mark);
		verdict(r, MI_VERDICT_ACCEPT);
	}

	r = rule(p, MI_C_MANGLE_PREROUTING, "-b inbound capture");
	tcp(r);
	jump(r, MI_C_MANGLE_INBOUND);

	r = rule(p, MI_C_MANGLE_INBOUND, "-t mark: already diverted, no loop");
	tcp(r);
	m_num(r, MI_K_MARK, false, cfg->tproxy_mark);
	verdict(r, MI_VERDICT_RETURN);
	r = rule(p, MI_C_MANGLE_INBOUND, "127.0.0.6 inbound passthrough");
	m_if(r, MI_K_IIFNAME, "lo");
	tcp(r);
	m_cidr(r, MI_K_IP_SADDR, false, &passthrough4);
	verdict(r, MI_VERDICT_RETURN);
	if (p->ipv6) {
		r = rule(p, MI_C_MANGLE_INBOUND, "::6 inbound passthrough");
		m_if(r, MI_K_IIFNAME, "lo");
		tcp(r);
		m_cidr(r, MI_K_IP6_SADDR, false, &passthrough6);
		verdict(r, MI_VERDICT_RETURN);
	}
	r = rule(p, MI_C_MANGLE_INBOUND, "only the proxy's own pod-IP traffic over lo");
	m_if(r, MI_K_IIFNAME, "lo");
	tcp(r);
	m_num(r, MI_K_MARK, true, MI_OUTBOUND_TPROXY_MARK);
	verdict(r, MI_VERDICT_RETURN);

	if (cfg->inbound == MI_CAPTURE_ALL) {
		if (cfg->inbound_exclude_ports.n) {
			r = rule(p, MI_C_MANGLE_INBOUND, "-d inbound excluded ports");
			m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_INBOUND_EXCLUDE_PORTS);
			verdict(r, MI_VERDICT_RETURN);
		}
		r = rule(p, MI_C_MANGLE_INBOUND, "-b '*' established flows");
		tcp(r);
		m_num(r, MI_K_CTSTATE, false, MI_CT_ESTABLISHED | MI_CT_RELATED);
		jump(r, MI_C_DIVERT);
		r = rule(p, MI_C_MANGLE_INBOUND, "-b '*' inbound capture");
		tcp(r);
		jump(r, MI_C_TPROXY);
	} else {
		r = rule(p, MI_C_MANGLE_INBOUND, "-b established flows");
		tcp(r);
		m_num(r, MI_K_CTSTATE, false, MI_CT_ESTABLISHED | MI_CT_RELATED);
		m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_INBOUND_PORTS);
		jump(r, MI_C_DIVERT);
		r = rule(p, MI_C_MANGLE_INBOUND, "-b inbound ports");
		m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_INBOUND_PORTS);
		jump(r, MI_C_TPROXY);
	}
}

/* TPROXY rules that exist whatever -b is (Istio's step 15). */
static void plan_tproxy_marks(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	r = rule(p, MI_C_MANGLE_PREROUTING, "-m TPROXY: save the mark in conntrack");
	tcp(r);
	m_num(r, MI_K_MARK, false, cfg->tproxy_mark);
	stmt(r, MI_S_CTMARK_FROM_MARK, 0);

	r = rule(p, MI_C_MANGLE_OUTPUT, "-m TPROXY: marked traffic over lo");
	m_if(r, MI_K_OIFNAME, "lo");
	tcp(r);
	m_num(r, MI_K_MARK, false, cfg->tproxy_mark);
	verdict(r, MI_VERDICT_RETURN);
	for (int id = 0; id < 2; id++) {
		enum mi_key k = id ? MI_K_SKGID : MI_K_SKUID;
		enum mi_set_id s = id ? MI_SET_PROXY_GIDS : MI_SET_PROXY_UIDS;

		r = rule(p, MI_C_MANGLE_OUTPUT, "proxy to its own pod IP goes to inbound");
		m_if(r, MI_K_OIFNAME, "lo");
		tcp(r);
		m_cidr(r, MI_K_IP_DADDR, true, &cfg->loopback4);
		m_set(p, r, k, false, s);
		stmt(r, MI_S_MARK_SET, MI_OUTBOUND_TPROXY_MARK);
		if (!p->ipv6)
			continue;
		r = rule(p, MI_C_MANGLE_OUTPUT, "proxy to its own pod IP goes to inbound");
		m_if(r, MI_K_OIFNAME, "lo");
		tcp(r);
		m_cidr(r, MI_K_IP6_DADDR, true, &lo6);
		m_set(p, r, k, false, s);
		stmt(r, MI_S_MARK_SET, MI_OUTBOUND_TPROXY_MARK);
	}
	r = rule(p, MI_C_MANGLE_OUTPUT, "-m TPROXY: restore the mark on replies");
	tcp(r);
	m_num(r, MI_K_CTMARK, false, cfg->tproxy_mark);
	stmt(r, MI_S_MARK_FROM_CTMARK, 0);
}

/* ---- outbound ---------------------------------------------------------- */

static void plan_init_exclusions(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	if (cfg->exclude_uids.n) {
		r = rule(p, MI_C_OUTPUT, "--exclude-outbound-uids");
		m_set(p, r, MI_K_SKUID, false, MI_SET_EXCLUDE_UIDS);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (cfg->exclude_gids.n) {
		r = rule(p, MI_C_OUTPUT, "--exclude-outbound-gids");
		m_set(p, r, MI_K_SKGID, false, MI_SET_EXCLUDE_GIDS);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (p->sets[MI_SET_EXCLUDE_UID_TCP_PORTS].n) {
		r = rule(p, MI_C_OUTPUT, "--exclude-outbound-ports-for-uids");
		m_set(p, r, MI_K_SKUID_TCP_DPORT, false, MI_SET_EXCLUDE_UID_TCP_PORTS);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (p->sets[MI_SET_EXCLUDE_UID_UDP_PORTS].n) {
		r = rule(p, MI_C_OUTPUT, "--exclude-outbound-ports-for-uids");
		m_set(p, r, MI_K_SKUID_UDP_DPORT, false, MI_SET_EXCLUDE_UID_UDP_PORTS);
		verdict(r, MI_VERDICT_RETURN);
	}
}

/*
 * The proxy's own traffic over lo to the pod's own IP goes back to the
 * inbound listener (rule "a" of Istio's per-uid group).
 */
static void proxy_to_self(struct ctx *c, enum mi_key k, struct mi_match id,
			  bool skip_dns_port)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;

	for (int v6 = 0; v6 <= (int)p->ipv6; v6++) {
		struct mi_rule *r = rule(p, MI_C_OUTPUT,
					 "proxy to its own pod IP goes to inbound");

		m_if(r, MI_K_OIFNAME, "lo");
		tcp(r);
		if (v6)
			m_cidr(r, MI_K_IP6_DADDR, true, &lo6);
		else
			m_cidr(r, MI_K_IP_DADDR, true, &cfg->loopback4);
		m_num(r, MI_K_TCP_DPORT, true, cfg->tunnel_port);
		if (skip_dns_port)
			m_num(r, MI_K_TCP_DPORT, true, 53);
		id.key = k;
		r->m[r->nm++] = id;
		if (id.val == MI_V_SET)
			p->set_used[id.set] = true;
		jump(r, MI_C_IN_REDIRECT);
	}
}

static struct mi_match id_num(uint32_t v, bool neg)
{
	struct mi_match m = { .val = MI_V_NUM, .neg = neg, .num = v };

	return m;
}

static struct mi_match id_set(enum mi_set_id s)
{
	struct mi_match m = { .val = MI_V_SET, .set = s };

	return m;
}

/*
 * Proxy uid/gid rules. Istio emits, per uid then per gid, the triple
 * (a) proxy-to-own-pod-IP redirect, (b) app-to-localhost return,
 * (c) proxy return. Collapsed into sets with the same outcome for every
 * packet:
 *  - with (b) present, the first uid's (a)+(b) decide all lo traffic but
 *    TCP/53 and UDP (when DNS is on), so only the first uid's (a) and (b)
 *    are live, plus the gid (a) rule for lo TCP/53 under DNS;
 *  - without (b) (an -i CIDR is loopback), each (a) then (c) over the
 *    whole uid list, then the gid list.
 */
static void plan_proxy_identity(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	bool dns = cfg->dns;
	struct mi_rule *r;

	if (cfg->include_has_loopback) {
		proxy_to_self(c, MI_K_SKUID, id_set(MI_SET_PROXY_UIDS), dns);
	} else {
		uint32_t u1 = cfg->proxy_uids.v[0].lo;

		proxy_to_self(c, MI_K_SKUID, id_num(u1, false), dns);
		r = rule(p, MI_C_OUTPUT, "app to localhost is not captured");
		m_if(r, MI_K_OIFNAME, "lo");
		if (dns) {
			tcp(r);
			m_num(r, MI_K_TCP_DPORT, true, 53);
		}
		m_num(r, MI_K_SKUID, true, u1);
		verdict(r, MI_VERDICT_RETURN);
	}
	r = rule(p, MI_C_OUTPUT, "-u proxy traffic is never captured");
	m_set(p, r, MI_K_SKUID, false, MI_SET_PROXY_UIDS);
	verdict(r, MI_VERDICT_RETURN);

	if (cfg->include_has_loopback || dns)
		proxy_to_self(c, MI_K_SKGID, id_set(MI_SET_PROXY_GIDS), false);
	r = rule(p, MI_C_OUTPUT, "-g proxy traffic is never captured");
	m_set(p, r, MI_K_SKGID, false, MI_SET_PROXY_GIDS);
	verdict(r, MI_VERDICT_RETURN);
}

static void plan_owner_groups(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	if (cfg->owner_include_all) {
		if (!cfg->owner_exclude.n)
			return;
		fill_values(p, MI_SET_OWNER_GROUPS, &cfg->owner_exclude);
		r = rule(p, MI_C_OUTPUT, "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE");
		m_set(p, r, MI_K_SKGID, false, MI_SET_OWNER_GROUPS);
		verdict(r, MI_VERDICT_RETURN);
		return;
	}
	r = rule(p, MI_C_OUTPUT, "ISTIO_OUTBOUND_OWNER_GROUPS");
	if (cfg->owner_include.n) {
		fill_values(p, MI_SET_OWNER_GROUPS, &cfg->owner_include);
		m_set(p, r, MI_K_SKGID, true, MI_SET_OWNER_GROUPS);
	}
	verdict(r, MI_VERDICT_RETURN);
}

static void dns_redirect(struct ctx *c, enum mi_key port, int family)
{
	struct mi_plan *p = c->p;
	bool v4 = family == AF_INET;
	enum mi_set_id s = v4 ? MI_SET_DNS_SERVERS4 : MI_SET_DNS_SERVERS6;
	struct mi_rule *r;

	if (family && !p->sets[s].n)
		return;
	r = rule(p, MI_C_OUTPUT_DNS, family ? "DNS to resolv.conf servers" :
				     "--capture-all-dns");
	if (family)
		m_set(p, r, v4 ? MI_K_IP_DADDR : MI_K_IP6_DADDR, false, s);
	m_num(r, port, false, 53);
	stmt(r, MI_S_REDIRECT, MI_DNS_AGENT_PORT);
}

static void dns_zone(struct ctx *c, enum mi_chain_id ch, enum mi_key k,
		     enum mi_key port, enum mi_set_id s, uint32_t zone)
{
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	if (!p->sets[s].n)
		return;
	r = rule(p, ch, "DNS conntrack zones");
	m_num(r, port, false, 53);
	m_set(p, r, k, false, s);
	stmt(r, MI_S_CTZONE_SET, zone);
}

static void plan_dns(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	bool all = cfg->capture_all_dns;
	struct mi_rule *r;

	if (!cfg->dns)
		return;
	r = rule(p, MI_C_OUTPUT, "--redirect-dns");
	jump(r, MI_C_OUTPUT_DNS);
	if (all) {
		dns_redirect(c, MI_K_TCP_DPORT, 0);
		dns_redirect(c, MI_K_UDP_DPORT, 0);
	} else {
		dns_redirect(c, MI_K_TCP_DPORT, AF_INET);
		dns_redirect(c, MI_K_TCP_DPORT, AF_INET6);
		dns_redirect(c, MI_K_UDP_DPORT, AF_INET);
		dns_redirect(c, MI_K_UDP_DPORT, AF_INET6);
	}

	/* raw: split agent<->upstream and app<->agent flows by zone */
	r = rule(p, MI_C_RAW_OUTPUT, "--redirect-dns");
	jump(r, MI_C_RAW_OUTPUT_DNS);
	for (int id = 0; id < 2; id++) {
		enum mi_key k = id ? MI_K_SKGID : MI_K_SKUID;
		enum mi_set_id s = id ? MI_SET_PROXY_GIDS : MI_SET_PROXY_UIDS;

		r = rule(p, MI_C_RAW_OUTPUT_DNS, "DNS conntrack zones: agent upstream");
		m_num(r, MI_K_UDP_DPORT, false, 53);
		m_set(p, r, k, false, s);
		stmt(r, MI_S_CTZONE_SET, 1);
		r = rule(p, MI_C_RAW_OUTPUT_DNS, "DNS conntrack zones: agent replies");
		m_num(r, MI_K_UDP_SPORT, false, MI_DNS_AGENT_PORT);
		m_set(p, r, k, false, s);
		stmt(r, MI_S_CTZONE_SET, 2);
	}
	if (all) {
		r = rule(p, MI_C_RAW_PREROUTING, "--redirect-dns");
		jump(r, MI_C_RAW_INBOUND);
		r = rule(p, MI_C_RAW_OUTPUT_DNS, "DNS conntrack zones");
		m_num(r, MI_K_UDP_DPORT, false, 53);
		stmt(r, MI_S_CTZONE_SET, 2);
		r = rule(p, MI_C_RAW_INBOUND, "DNS conntrack zones");
		m_num(r, MI_K_UDP_SPORT, false, 53);
		stmt(r, MI_S_CTZONE_SET, 1);
		return;
	}
	if (!p->sets[MI_SET_DNS_SERVERS4].n && !p->sets[MI_SET_DNS_SERVERS6].n)
		return;
	r = rule(p, MI_C_RAW_PREROUTING, "--redirect-dns");
	jump(r, MI_C_RAW_INBOUND);
	dns_zone(c, MI_C_RAW_OUTPUT_DNS, MI_K_IP_DADDR, MI_K_UDP_DPORT,
		 MI_SET_DNS_SERVERS4, 2);
	dns_zone(c, MI_C_RAW_OUTPUT_DNS, MI_K_IP6_DADDR, MI_K_UDP_DPORT,
		 MI_SET_DNS_SERVERS6, 2);
	dns_zone(c, MI_C_RAW_INBOUND, MI_K_IP_SADDR, MI_K_UDP_SPORT,
		 MI_SET_DNS_SERVERS4, 1);
	dns_zone(c, MI_C_RAW_INBOUND, MI_K_IP6_SADDR, MI_K_UDP_SPORT,
		 MI_SET_DNS_SERVERS6, 1);
}

static void plan_outbound(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;
	struct mi_rule *r;

	r = rule(p, MI_C_NAT_OUTPUT, "outbound capture");
	jump(r, MI_C_OUTPUT);

	plan_init_exclusions(c);
	if (cfg->outbound_exclude_ports.n) {
		r = rule(p, MI_C_OUTPUT, "-o outbound excluded ports");
		m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_OUTBOUND_EXCLUDE_PORTS);
		verdict(r, MI_VERDICT_RETURN);
		r = rule(p, MI_C_OUTPUT, "-o outbound excluded ports");
		m_set(p, r, MI_K_UDP_DPORT, false, MI_SET_OUTBOUND_EXCLUDE_PORTS);
		verdict(r, MI_VERDICT_RETURN);
	}
	r = rule(p, MI_C_OUTPUT, "127.0.0.6 inbound passthrough");
	m_if(r, MI_K_OIFNAME, "lo");
	m_cidr(r, MI_K_IP_SADDR, false, &passthrough4);
	verdict(r, MI_VERDICT_RETURN);
	if (p->ipv6) {
		r = rule(p, MI_C_OUTPUT, "::6 inbound passthrough");
		m_if(r, MI_K_OIFNAME, "lo");
		m_cidr(r, MI_K_IP6_SADDR, false, &passthrough6);
		verdict(r, MI_VERDICT_RETURN);
	}
	plan_proxy_identity(c);
	plan_owner_groups(c);
	plan_dns(c);

	r = rule(p, MI_C_OUTPUT, "localhost is not captured");
	m_cidr(r, MI_K_IP_DADDR, false, &cfg->loopback4);
	verdict(r, MI_VERDICT_RETURN);
	if (p->ipv6) {
		r = rule(p, MI_C_OUTPUT, "localhost is not captured");
		m_cidr(r, MI_K_IP6_DADDR, false, &lo6);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (p->sets[MI_SET_EXCLUDE_CIDRS4].n) {
		r = rule(p, MI_C_OUTPUT, "-x excluded CIDRs");
		m_set(p, r, MI_K_IP_DADDR, false, MI_SET_EXCLUDE_CIDRS4);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (p->sets[MI_SET_EXCLUDE_CIDRS6].n) {
		r = rule(p, MI_C_OUTPUT, "-x excluded CIDRs");
		m_set(p, r, MI_K_IP6_DADDR, false, MI_SET_EXCLUDE_CIDRS6);
		verdict(r, MI_VERDICT_RETURN);
	}
	if (cfg->outbound_include_ports.n) {
		r = rule(p, MI_C_OUTPUT, "-q outbound ports");
		m_set(p, r, MI_K_TCP_DPORT, false, MI_SET_OUTBOUND_PORTS);
		jump(r, MI_C_REDIRECT);
	}
	if (cfg->outbound == MI_CAPTURE_ALL) {
		r = rule(p, MI_C_OUTPUT, "-i '*' outbound capture");
		jump(r, MI_C_REDIRECT);
	}
	if (p->sets[MI_SET_INCLUDE_CIDRS4].n) {
		r = rule(p, MI_C_OUTPUT, "-i captured CIDRs");
		m_set(p, r, MI_K_IP_DADDR, false, MI_SET_INCLUDE_CIDRS4);
		jump(r, MI_C_REDIRECT);
	}
	if (p->sets[MI_SET_INCLUDE_CIDRS6].n) {
		r = rule(p, MI_C_OUTPUT, "-i captured CIDRs");
		m_set(p, r, MI_K_IP6_DADDR, false, MI_SET_INCLUDE_CIDRS6);
		jump(r, MI_C_REDIRECT);
	}
}

static void plan_fixed(struct ctx *c)
{
	struct mi_rule *r;

	r = rule(c->p, MI_C_REDIRECT, "-p outbound capture port");
	tcp(r);
	stmt(r, MI_S_REDIRECT, c->cfg->proxy_port);
	r = rule(c->p, MI_C_IN_REDIRECT, "-z inbound capture port");
	tcp(r);
	stmt(r, MI_S_REDIRECT, c->cfg->inbound_port);
}

static void plan_sets(struct ctx *c)
{
	const struct mi_config *cfg = c->cfg;
	struct mi_plan *p = c->p;

	fill_values(p, MI_SET_PROXY_UIDS, &cfg->proxy_uids);
	fill_values(p, MI_SET_PROXY_GIDS, &cfg->proxy_gids);
	fill_ifnames(p, MI_SET_EXCLUDE_IFACES, &cfg->exclude_ifaces);
	fill_ifnames(p, MI_SET_VIRT_IFACES, &cfg->virt_ifaces);
	if (cfg->inbound == MI_CAPTURE_LIST)
		fill_ranges(p, MI_SET_INBOUND_PORTS, &cfg->inbound_ports);
	if (cfg->inbound == MI_CAPTURE_ALL)
		fill_ranges(p, MI_SET_INBOUND_EXCLUDE_PORTS,
			    &cfg->inbound_exclude_ports);
	fill_ranges(p, MI_SET_OUTBOUND_PORTS, &cfg->outbound_include_ports);
	fill_ranges(p, MI_SET_OUTBOUND_EXCLUDE_PORTS, &cfg->outbound_exclude_ports);
	fill_cidrs(p, MI_SET_EXCLUDE_CIDRS4, &cfg->outbound_exclude, AF_INET);
	fill_cidrs(p, MI_SET_INCLUDE_CIDRS4, &cfg->outbound_include, AF_INET);
	if (p->ipv6) {
		fill_cidrs(p, MI_SET_EXCLUDE_CIDRS6, &cfg->outbound_exclude, AF_INET6);
		fill_cidrs(p, MI_SET_INCLUDE_CIDRS6, &cfg->outbound_include, AF_INET6);
	}
	if (cfg->dns && !cfg->capture_all_dns) {
		fill_cidrs(p, MI_SET_DNS_SERVERS4, &cfg->dns_servers, AF_INET);
		if (p->ipv6)
			fill_cidrs(p, MI_SET_DNS_SERVERS6, &cfg->dns_servers, AF_INET6);
	}
	fill_ranges(p, MI_SET_EXCLUDE_UIDS, &cfg->exclude_uids);
	fill_ranges(p, MI_SET_EXCLUDE_GIDS, &cfg->exclude_gids);
	fill_uidports(p, MI_SET_EXCLUDE_UID_TCP_PORTS, &cfg->exclude_uid_ports,
		      IPPROTO_TCP);
	fill_uidports(p, MI_SET_EXCLUDE_UID_UDP_PORTS, &cfg->exclude_uid_ports,
		      IPPROTO_UDP);
}

void mi_plan_build(const struct mi_config *cfg, struct mi_plan *plan)
{
	struct ctx c = { .cfg = cfg, .p = plan };

	/* mi_cli_parse() guarantees at least one proxy uid and gid */
	assert(cfg->proxy_uids.n > 0 && cfg->proxy_gids.n > 0);
	memset(plan, 0, sizeof(*plan));
	plan->ipv6 = cfg->ipv6;

	plan_sets(&c);
	plan_interfaces(&c);
	plan_drop_invalid(&c);
	plan_fixed(&c);
	if (cfg->inbound != MI_CAPTURE_NONE && !cfg->tproxy)
		plan_inbound_redirect(&c);
	if (cfg->inbound != MI_CAPTURE_NONE && cfg->tproxy)
		plan_inbound_tproxy(&c);
	plan_outbound(&c);
	if (cfg->tproxy)
		plan_tproxy_marks(&c);
}

void mi_plan_release(struct mi_plan *plan)
{
	size_t i;

	for (i = 0; i < MI_C__COUNT; i++)
		free(plan->chains[i].v);
	for (i = 0; i < MI_SET__COUNT; i++)
		free(plan->sets[i].v);
	for (i = 0; i < plan->nxchains; i++)
		free(plan->xchains[i].rules.v);
	free(plan->xchains);
	for (i = 0; i < plan->nxsets; i++)
		free(plan->xsets[i]);
	free(plan->xsets);
	for (i = 0; i < plan->nstrs; i++)
		free(plan->strs[i]);
	free(plan->strs);
	free(plan->record);
	memset(plan, 0, sizeof(*plan));
}

const char *mi_plan_strdup(struct mi_plan *plan, const char *s)
{
	mi_grow((void **)&plan->strs, &plan->capstrs, plan->nstrs + 1,
		sizeof(*plan->strs));
	plan->strs[plan->nstrs] = mi_xstrdup(s);
	return plan->strs[plan->nstrs++];
}

bool mi_plan_has_chain(const struct mi_plan *plan, enum mi_chain_id id)
{
	return plan->chains[id].n > 0;
}

bool mi_plan_has_set(const struct mi_plan *plan, enum mi_set_id id)
{
	return plan->set_used[id] && plan->sets[id].n > 0;
}

void mi_plan_stats(const struct mi_plan *plan, struct mi_plan_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < MI_C__COUNT; i++) {
		if (!mi_plan_has_chain(plan, i))
			continue;
		st->chains++;
		st->rules += plan->chains[i].n;
	}
	for (i = 0; i < MI_SET__COUNT; i++) {
		if (!mi_plan_has_set(plan, i))
			continue;
		st->sets++;
		st->elements += plan->sets[i].n;
	}
}
