/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "print.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

/* Elements per "add element" line: keeps lines readable for huge sets. */
#define ELEMS_PER_LINE 256

static const char *const key_names[] = {
	[MI_K_IIFNAME] = "iifname",
	[MI_K_OIFNAME] = "oifname",
	[MI_K_L4PROTO] = "meta l4proto",
	[MI_K_SKUID] = "meta skuid",
	[MI_K_SKGID] = "meta skgid",
	[MI_K_MARK] = "meta mark",
	[MI_K_CTMARK] = "ct mark",
	[MI_K_CTSTATE] = "ct state",
	[MI_K_IP_SADDR] = "ip saddr",
	[MI_K_IP_DADDR] = "ip daddr",
	[MI_K_IP6_SADDR] = "ip6 saddr",
	[MI_K_IP6_DADDR] = "ip6 daddr",
	[MI_K_TCP_DPORT] = "tcp dport",
	[MI_K_UDP_DPORT] = "udp dport",
	[MI_K_UDP_SPORT] = "udp sport",
	[MI_K_SKUID_TCP_DPORT] = "meta skuid . tcp dport",
	[MI_K_SKUID_UDP_DPORT] = "meta skuid . udp dport",
};

const char *mi_set_type_name(enum mi_set_type type)
{
	static const char *const names[] = {
		[MI_ST_IPV4] = "ipv4_addr",  [MI_ST_IPV6] = "ipv6_addr",
		[MI_ST_PORT] = "inet_service", [MI_ST_UID] = "uid",
		[MI_ST_GID] = "gid",	     [MI_ST_IFNAME] = "ifname",
		[MI_ST_UID_PORT] = "uid . inet_service",
	};

	return names[type];
}

static void print_range(const struct mi_range *r, FILE *out)
{
	if (r->lo == r->hi)
		fprintf(out, "%u", r->lo);
	else
		fprintf(out, "%u-%u", r->lo, r->hi);
}

/* Prefix length when [lo, hi] is exactly one prefix, else -1. */
static int range_plen(const uint8_t *lo, const uint8_t *hi, unsigned int bytes)
{
	unsigned int bit, plen = bytes * 8;

	for (bit = bytes * 8; bit-- > 0;) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((lo[bit / 8] & m) || !(hi[bit / 8] & m))
			break;
		plen = bit;
	}
	if (memcmp(lo, hi, plen / 8))
		return -1;
	/* the prefix bits of a partial byte must agree too */
	if (plen % 8 && ((lo[plen / 8] ^ hi[plen / 8]) &
			 (uint8_t)(0xff << (8 - plen % 8))))
		return -1;
	return (int)plen;
}

static void print_addr_range(int family, const uint8_t (*a)[16], FILE *out)
{
	unsigned int bytes = family == AF_INET ? 4 : 16;
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int plen = range_plen(a[0], a[1], bytes);

	mi_addr_format(family, a[0], lo, sizeof(lo));
	if (plen == (int)bytes * 8)
		fputs(lo, out);
	else if (plen >= 0)
		fprintf(out, "%s/%d", lo, plen);
	else
		fprintf(out, "%s-%s", lo,
			mi_addr_format(family, a[1], hi, sizeof(hi)));
}

void mi_print_elem(enum mi_set_type type, const struct mi_elem *e, FILE *out)
{
	switch (type) {
	case MI_ST_IPV4:
		print_addr_range(AF_INET, e->addr, out);
		break;
	case MI_ST_IPV6:
		print_addr_range(AF_INET6, e->addr, out);
		break;
	case MI_ST_PORT:
	case MI_ST_UID:
	case MI_ST_GID:
		print_range(&e->r, out);
		break;
	case MI_ST_IFNAME:
		fprintf(out, "\"%s\"", e->ifname);
		break;
	case MI_ST_UID_PORT:
		print_range(&e->up.uid, out);
		fputs(" . ", out);
		print_range(&e->up.port, out);
		break;
	}
}

static void print_value(const struct mi_match *m, FILE *out)
{
	char buf[64];

	switch (m->val) {
	case MI_V_SET:
		fprintf(out, "@%s", mi_set_info(m->set)->name);
		break;
	case MI_V_IFNAME:
		fprintf(out, "\"%s\"", m->ifname);
		break;
	case MI_V_CIDR:
		fputs(mi_cidr_format(&m->cidr, buf, sizeof(buf)), out);
		break;
	case MI_V_NUM:
		if (m->key == MI_K_L4PROTO)
			fputs(m->num == IPPROTO_TCP ? "tcp" : "udp", out);
		else if (m->key == MI_K_CTSTATE && m->num == MI_CT_INVALID)
			fputs("invalid", out);
		else if (m->key == MI_K_CTSTATE)
			fputs("established,related", out);
		else
			fprintf(out, "%u", m->num);
		break;
	}
}

static void print_stmt(const struct mi_stmt *s, FILE *out)
{
	switch (s->kind) {
	case MI_S_MARK_SET:
		fprintf(out, " meta mark set %u", s->arg);
		break;
	case MI_S_CTMARK_FROM_MARK:
		fputs(" ct mark set meta mark", out);
		break;
	case MI_S_MARK_FROM_CTMARK:
		fputs(" meta mark set ct mark", out);
		break;
	case MI_S_CTZONE_SET:
		fprintf(out, " ct zone set %u", s->arg);
		break;
	case MI_S_REDIRECT:
		fprintf(out, " redirect to :%u", s->arg);
		break;
	case MI_S_TPROXY4:
		fprintf(out, " tproxy ip to :%u", s->arg);
		break;
	case MI_S_TPROXY6:
		fprintf(out, " tproxy ip6 to :%u", s->arg);
		break;
	}
}

void mi_print_rule(const struct mi_rule *r, FILE *out)
{
	static const char *const verdicts[] = {
		[MI_VERDICT_NONE] = "",	      [MI_VERDICT_RETURN] = " return",
		[MI_VERDICT_ACCEPT] = " accept", [MI_VERDICT_DROP] = " drop",
	};
	unsigned int i;

	for (i = 0; i < r->nm; i++) {
		fprintf(out, "%s%s ", key_names[r->m[i].key],
			r->m[i].neg ? " !=" : "");
		print_value(&r->m[i], out);
		fputc(' ', out);
	}
	fputs("counter", out);
	for (i = 0; i < r->ns; i++)
		print_stmt(&r->s[i], out);
	if (r->verdict == MI_VERDICT_JUMP)
		fprintf(out, " jump %s", mi_chain_info(r->target)->name);
	else
		fputs(verdicts[r->verdict], out);
	if (r->why)
		fprintf(out, " comment \"%s\"", r->why);
}

static void print_set(const struct mi_plan *plan, enum mi_set_id id,
		      size_t max_elems, FILE *out)
{
	const struct mi_set_info *si = mi_set_info(id);
	const struct mi_elems *es = &plan->sets[id];
	size_t n = es->n < max_elems ? es->n : max_elems, i;

	fprintf(out, "add set inet %s %s { type %s ;%s }\n", MI_TABLE_NAME,
		si->name, mi_set_type_name(si->type),
		si->interval ? " flags interval ;" : "");
	for (i = 0; i < n; i++) {
		if (i % ELEMS_PER_LINE == 0)
			fprintf(out, "add element inet %s %s { ", MI_TABLE_NAME,
				si->name);
		mi_print_elem(si->type, &es->v[i], out);
		if (i % ELEMS_PER_LINE == ELEMS_PER_LINE - 1 || i + 1 == n)
			fputs(" }\n", out);
		else
			fputs(", ", out);
	}
	if (n < es->n)
		fprintf(out, "# ... %zu more elements of set %s\n", es->n - n,
			si->name);
}

static void print_chain(enum mi_chain_id id, FILE *out)
{
	const struct mi_chain_info *ci = mi_chain_info(id);

	fprintf(out, "add chain inet %s %s", MI_TABLE_NAME, ci->name);
	if (ci->type)
		fprintf(out, " { type %s hook %s priority %d ; }", ci->type,
			ci->hook == MI_HOOK_PREROUTING ? "prerouting" : "output",
			ci->prio);
	fputc('\n', out);
}

static void print_remove(const char *table, FILE *out)
{
	/* "add" first so that "delete" cannot fail on a missing table */
	fprintf(out, "add table inet %s\n", table);
	fprintf(out, "delete table inet %s\n", table);
}

void mi_print_cleanup(FILE *out)
{
	print_remove(MI_TABLE_NAME, out);
	print_remove(MI_TRACE_TABLE, out);
}

void mi_print_plan(const struct mi_plan *plan, FILE *out)
{
	mi_print_plan_abridged(plan, SIZE_MAX, out);
}

void mi_print_plan_abridged(const struct mi_plan *plan, size_t max_elems,
			    FILE *out)
{
	size_t c, i;

	print_remove(MI_TABLE_NAME, out);
	fprintf(out, "add table inet %s\n", MI_TABLE_NAME);
	for (i = 0; i < MI_SET__COUNT; i++)
		if (mi_plan_has_set(plan, i))
			print_set(plan, i, max_elems, out);
	for (c = 0; c < MI_C__COUNT; c++)
		if (mi_plan_has_chain(plan, c))
			print_chain(c, out);
	for (c = 0; c < MI_C__COUNT; c++) {
		for (i = 0; i < plan->chains[c].n; i++) {
			fprintf(out, "add rule inet %s %s ", MI_TABLE_NAME,
				mi_chain_info(c)->name);
			mi_print_rule(&plan->chains[c].v[i], out);
			fputc('\n', out);
		}
	}
}
