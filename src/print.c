/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "print.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
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
		/* a whole address without "/32", as nft lists it */
		if (m->cidr.plen == (m->cidr.family == AF_INET ? 32 : 128))
			fputs(mi_addr_format(m->cidr.family, m->cidr.addr, buf,
					     sizeof(buf)), out);
		else
			fputs(mi_cidr_format(&m->cidr, buf, sizeof(buf)), out);
		break;
	case MI_V_NUM:
		if (m->key == MI_K_L4PROTO)
			fputs(m->num == IPPROTO_TCP ? "tcp" : "udp", out);
		else if (m->key == MI_K_CTSTATE && m->num == MI_CT_INVALID)
			fputs("invalid", out);
		else if (m->key == MI_K_CTSTATE)
			fputs("established,related", out);
		else if (m->key == MI_K_MARK || m->key == MI_K_CTMARK)
			fprintf(out, "0x%08x", m->num); /* as nft lists marks */
		else
			fprintf(out, "%u", m->num);
		break;
	}
}

static void print_stmt(const struct mi_stmt *s, FILE *out)
{
	switch (s->kind) {
	case MI_S_MARK_SET:
		fprintf(out, " meta mark set 0x%08x", s->arg);
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

/* The l4 protocol a key's payload needs, or 0. */
static uint32_t key_l4(enum mi_key k)
{
	switch (k) {
	case MI_K_TCP_DPORT:
	case MI_K_SKUID_TCP_DPORT:
		return IPPROTO_TCP;
	case MI_K_UDP_DPORT:
	case MI_K_UDP_SPORT:
	case MI_K_SKUID_UDP_DPORT:
		return IPPROTO_UDP;
	default:
		return 0;
	}
}

/*
 * "meta l4proto tcp" before a tcp port match is implied by it (nft and
 * the emitter add it as the match's dependency): it is not printed, so a
 * rule reads the same whether the plan spelt it or the kernel's bytes
 * imply it, as `nft list` shows it.
 */
static bool implied(const struct mi_rule *r, unsigned int i)
{
	const struct mi_match *m = &r->m[i];

	if (m->key != MI_K_L4PROTO || m->val != MI_V_NUM || m->neg)
		return false;
	for (unsigned int j = i + 1; j < r->nm; j++)
		if (key_l4(r->m[j].key) == m->num)
			return true;
	return false;
}

static void rule_body(const struct mi_rule *r, unsigned int flags, FILE *out)
{
	static const char *const verdicts[] = {
		[MI_VERDICT_NONE] = "",	      [MI_VERDICT_RETURN] = " return",
		[MI_VERDICT_ACCEPT] = " accept", [MI_VERDICT_DROP] = " drop",
	};
	bool bare = flags & MI_PRINT_BARE;
	unsigned int i;

	if (r->raw) {
		fprintf(out, "# not read back by meshinit: %s", r->raw);
	} else {
		for (i = 0; i < r->nm; i++) {
			if (implied(r, i))
				continue;
			fprintf(out, "%s%s ", key_names[r->m[i].key],
				r->m[i].neg ? " !=" : "");
			print_value(&r->m[i], out);
			fputc(' ', out);
		}
		if (!r->no_counter && !bare && (flags & MI_PRINT_COUNTERS))
			fprintf(out,
				"counter packets %" PRIu64 " bytes %" PRIu64,
				r->packets, r->bytes);
		else if (!r->no_counter && !bare)
			fputs("counter", out);
		for (i = 0; i < r->ns; i++)
			print_stmt(&r->s[i], out);
		if (r->verdict == MI_VERDICT_JUMP)
			fprintf(out,
				" jump %s", mi_chain_info(r->target)->name);
		else
			fputs(verdicts[r->verdict], out);
	}
	if (r->why && !bare)
		fprintf(out, " comment \"%s\"", r->why);
}

void mi_print_rule_ex(const struct mi_rule *r, unsigned int flags, FILE *out)
{
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f;

	if (!(flags & MI_PRINT_BARE)) {
		rule_body(r, flags, out);
		return;
	}
	/* without the counter, the words around it need no double blank */
	f = mi_xnn(open_memstream(&buf, &len));
	rule_body(r, flags, f);
	fclose(f);
	for (p = buf; *p == ' '; p++)
		;
	for (; *p; p++)
		if (*p != ' ' || (p[1] && p[1] != ' '))
			fputc(*p, out);
	free(buf);
}

void mi_print_rule(const struct mi_rule *r, FILE *out)
{
	mi_print_rule_ex(r, 0, out);
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

/* The install record's set, as the emitter installs it (plan.h). */
static void print_record(const char *rec, FILE *out)
{
	size_t len = strlen(rec), off;

	fprintf(out, "add set inet %s %s { type inet_service ; }\n",
		MI_TABLE_NAME, MI_RECORD_SET);
	fprintf(out, "add element inet %s %s { ", MI_TABLE_NAME, MI_RECORD_SET);
	for (off = 0; off < len; off += MI_RECORD_CHUNK)
		fprintf(out, "%s%zu comment \"%.*s\"", off ? ", " : "",
			off / MI_RECORD_CHUNK, MI_RECORD_CHUNK, rec + off);
	fputs(" }\n", out);
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
	if (plan->record)
		print_record(plan->record, out);
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

/* ---- the listing (status) ---------------------------------------------- */

static const char *hook_str(int hook)
{
	return hook == MI_HOOK_PREROUTING ? "prerouting" : "output";
}

static void list_set(const struct mi_plan *plan, enum mi_set_id id,
		     size_t max_elems, FILE *out)
{
	const struct mi_set_info *si = mi_set_info(id);
	const struct mi_elems *es = &plan->sets[id];
	size_t i;

	fprintf(out, "\tset %s {\t\t# %s\n\t\ttype %s\n", si->name, si->what,
		mi_set_type_name(si->type));
	if (si->interval)
		fputs("\t\tflags interval\n", out);
	if (es->n) {
		fputs("\t\telements = { ", out);
		for (i = 0; i < es->n && i < max_elems; i++) {
			fputs(i ? ", " : "", out);
			mi_print_elem(si->type, &es->v[i], out);
		}
		if (i < es->n)
			fprintf(out, ", ... %zu more", es->n - i);
		fputs(" }\n", out);
	}
	fprintf(out,
		"\t\t# %zu element%s\n\t}\n", es->n, es->n == 1 ? "" : "s");
}

static void list_rules(const struct mi_rules *rs, FILE *out)
{
	for (size_t i = 0; i < rs->n; i++) {
		fprintf(out, "\t\trule %zu: ", i + 1);
		mi_print_rule_ex(&rs->v[i], MI_PRINT_COUNTERS, out);
		if (rs->v[i].raw)
			fprintf(out, "  # packets %" PRIu64 " bytes %" PRIu64,
				rs->v[i].packets, rs->v[i].bytes);
		fputc('\n', out);
	}
}

void mi_print_listing(const struct mi_plan *plan, size_t max_elems, FILE *out)
{
	size_t c, i;

	fprintf(out, "table inet %s {\n", MI_TABLE_NAME);
	for (i = 0; i < MI_SET__COUNT; i++)
		if (mi_plan_has_set(plan, i))
			list_set(plan, i, max_elems, out);
	for (i = 0; i < plan->nxsets; i++)
		fprintf(out,
			"\tset %s\t# not one of meshinit's sets\n",
			plan->xsets[i]);
	for (c = 0; c < MI_C__COUNT; c++) {
		const struct mi_chain_info *ci = mi_chain_info(c);

		if (!mi_plan_has_chain(plan, c))
			continue;
		fprintf(out, "\tchain %s {\n", ci->name);
		if (ci->type)
			fprintf(out,
				"\t\ttype %s hook %s priority %d;\n", ci->type,
				hook_str(ci->hook), ci->prio);
		list_rules(&plan->chains[c], out);
		fputs("\t}\n", out);
	}
	for (i = 0; i < plan->nxchains; i++) {
		const struct mi_xchain *x = &plan->xchains[i];

		fprintf(out,
			"\tchain %s {\t# not one of meshinit's chains\n",
			x->name);
		if (x->base)
			fprintf(out, "\t\t%s;\n", x->base);
		list_rules(&x->rules, out);
		fputs("\t}\n", out);
	}
	fputs("}\n", out);
}
