/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "record.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "util.h"

#ifndef MI_VERSION
#define MI_VERSION "0.1.0"
#endif

/* ---- digest of the sets ---------------------------------------------- */

static uint32_t fnv1a(uint32_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t sets_digest(const struct mi_plan *plan)
{
	uint32_t h = 2166136261u;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));

	for (int i = 0; i < MI_SET__COUNT; i++) {
		const struct mi_set_info *si = mi_set_info(i);

		if (!mi_plan_has_set(plan, i))
			continue;
		fprintf(f, "%s:", si->name);
		for (size_t j = 0; j < plan->sets[i].n; j++) {
			mi_print_elem(si->type, &plan->sets[i].v[j], f);
			fputc(',', f);
		}
		fputc(';', f);
	}
	fclose(f);
	h = fnv1a(h, buf, len);
	free(buf);
	return h;
}

/* ---- format ------------------------------------------------------------ */

static void put_ranges(FILE *f, const struct mi_ranges *l)
{
	for (size_t i = 0; i < l->n; i++) {
		fprintf(f, "%s%u", i ? "," : "", l->v[i].lo);
		if (l->v[i].hi != l->v[i].lo)
			fprintf(f, "-%u", l->v[i].hi);
	}
}

static char capture_word(enum mi_capture c)
{
	return c == MI_CAPTURE_ALL ? '*' : c == MI_CAPTURE_LIST ? '@' : '-';
}

char *mi_record_format(const struct mi_config *cfg, const struct mi_plan *plan)
{
	char *buf = NULL, lo[64];
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));

	fprintf(f, "meshinit=%s p=%u z=%u e=%u u=", MI_VERSION, cfg->proxy_port,
		cfg->inbound_port, cfg->tunnel_port);
	put_ranges(f, &cfg->proxy_uids);
	fprintf(f, " g=");
	put_ranges(f, &cfg->proxy_gids);
	fprintf(f,
		" m=%s t=%u r=%u b=%c i=%c ilo=%d lo=%s ipv6=%s dns=%d "
			"adns=%d drop=%d og=%c sum=%08x",
		cfg->tproxy ? "TPROXY" : "REDIRECT", cfg->tproxy_mark,
		cfg->route_table, capture_word(cfg->inbound),
		capture_word(cfg->outbound), cfg->include_has_loopback,
		mi_cidr_format(&cfg->loopback4, lo, sizeof(lo)),
		plan->ipv6 ? "on" : "off", cfg->dns, cfg->capture_all_dns,
		cfg->drop_invalid,
		cfg->owner_include_all ? '*'
		: cfg->owner_include.n ? '@'
				       : '-',
		sets_digest(plan));
	fclose(f);
	return buf;
}

void mi_plan_build_recorded(const struct mi_config *cfg, struct mi_plan *plan)
{
	mi_plan_build(cfg, plan);
	plan->record = mi_record_format(cfg, plan);
}

/* ---- parse ------------------------------------------------------------- */

/* Call @fn for each "key=value" word of @text; stops at an error. */
static int each_word(const char *text,
		     int (*fn)(const char *k, const char *v, void *data),
		     void *data, struct mi_err *err)
{
	char word[MI_RECORD_MAX];
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, " ");
		char *eq;

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(word))
			return mi_err_set(err, -EINVAL,
					  "install record: a word is too long");
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		eq = strchr(word, '=');
		if (!eq)
			return mi_err_set(
				err, -EINVAL,
				"install record: \"%s\" is not key=value",
				word);
		*eq = '\0';
		if (fn(word, eq + 1, data) < 0)
			return mi_err_set(
				err, -EINVAL,
				"install record: bad value of %s: \"%s\"", word,
				eq + 1);
	}
	return 0;
}

static int version_word(const char *k, const char *v, void *data)
{
	struct mi_record *rec = data;

	if (!strcmp(k, "meshinit"))
		snprintf(rec->version, sizeof(rec->version), "%s", v);
	return 0;
}

int mi_record_parse(const char *text, struct mi_record *rec, struct mi_err *err)
{
	memset(rec, 0, sizeof(*rec));
	if (strlen(text) >= sizeof(rec->text))
		return mi_err_set(err, -EINVAL,
				  "install record: longer than %d bytes",
				  MI_RECORD_MAX);
	strcpy(rec->text, text);
	if (each_word(text, version_word, rec, err) < 0)
		return -EINVAL;
	if (!rec->version[0])
		return mi_err_set(err, -EINVAL,
				  "install record: no meshinit= word");
	return 0;
}

/* ---- record -> configuration ------------------------------------------- */

static int parse_ranges(const char *v, struct mi_ranges *out)
{
	const char *p = v;

	while (*p) {
		size_t n = strcspn(p, ",");
		struct mi_range r;

		if (mi_range_parse(p, n, 0, UINT32_MAX, &r) < 0)
			return -EINVAL;
		mi_ranges_add(out, r.lo, r.hi);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int parse_capture(const char *v, enum mi_capture *out)
{
	if (!strcmp(v, "*"))
		*out = MI_CAPTURE_ALL;
	else if (!strcmp(v, "@"))
		*out = MI_CAPTURE_LIST;
	else if (!strcmp(v, "-"))
		*out = MI_CAPTURE_NONE;
	else
		return -EINVAL;
	return 0;
}

static int parse_flag(const char *v, bool *out)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return -EINVAL;
	*out = v[0] == '1';
	return 0;
}

static int parse_port(const char *v, uint16_t *out)
{
	uint32_t n;

	if (mi_parse_u32(v, 1, 65535, &n) < 0)
		return -EINVAL;
	*out = (uint16_t)n;
	return 0;
}

static int config_word(const char *k, const char *v, void *data)
{
	struct mi_config *cfg = data;

	if (!strcmp(k, "p"))
		return parse_port(v, &cfg->proxy_port);
	if (!strcmp(k, "z"))
		return parse_port(v, &cfg->inbound_port);
	if (!strcmp(k, "e"))
		return parse_port(v, &cfg->tunnel_port);
	if (!strcmp(k, "u"))
		return parse_ranges(v, &cfg->proxy_uids);
	if (!strcmp(k, "g"))
		return parse_ranges(v, &cfg->proxy_gids);
	if (!strcmp(k, "m")) {
		cfg->tproxy = !strcmp(v, "TPROXY");
		return 0;
	}
	if (!strcmp(k, "t"))
		return mi_parse_u32(v, 0, UINT32_MAX, &cfg->tproxy_mark);
	if (!strcmp(k, "r"))
		return mi_parse_u32(v, 0, UINT32_MAX, &cfg->route_table);
	if (!strcmp(k, "b"))
		return parse_capture(v, &cfg->inbound);
	if (!strcmp(k, "i"))
		return parse_capture(v, &cfg->outbound);
	if (!strcmp(k, "ilo"))
		return parse_flag(v, &cfg->include_has_loopback);
	if (!strcmp(k, "lo"))
		return mi_cidr_parse(v, &cfg->loopback4, NULL);
	if (!strcmp(k, "ipv6")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return -EINVAL;
		cfg->ipv6 = !strcmp(v, "on");
		cfg->ipv6_mode = cfg->ipv6 ? MI_IPV6_ON : MI_IPV6_OFF;
		return 0;
	}
	if (!strcmp(k, "dns")) {
		if (parse_flag(v, &cfg->dns) < 0)
			return -EINVAL;
		cfg->redirect_dns = cfg->dns;
		return 0;
	}
	if (!strcmp(k, "adns"))
		return parse_flag(v, &cfg->capture_all_dns);
	if (!strcmp(k, "drop"))
		return parse_flag(v, &cfg->drop_invalid);
	if (!strcmp(k, "og")) {
		cfg->owner_include_all = !strcmp(v, "*");
		return 0;
	}
	return 0; /* meshinit=, sum= and words of later versions */
}

static void ranges_of(const struct mi_plan *p, enum mi_set_id s,
		      struct mi_ranges *out)
{
	if (!mi_plan_has_set(p, s))
		return;
	for (size_t i = 0; i < p->sets[s].n; i++)
		mi_ranges_add(out, p->sets[s].v[i].r.lo, p->sets[s].v[i].r.hi);
}

static void ifnames_of(const struct mi_plan *p, enum mi_set_id s,
		       struct mi_ifnames *out)
{
	if (!mi_plan_has_set(p, s))
		return;
	for (size_t i = 0; i < p->sets[s].n; i++)
		mi_ifnames_add(out, p->sets[s].v[i].ifname);
}

static unsigned __int128 be_get(const uint8_t *a, unsigned int bytes)
{
	unsigned __int128 v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v = v << 8 | a[i];
	return v;
}

/* The fewest prefixes that cover exactly [lo, hi]. */
static void range_to_cidrs(int family, const uint8_t (*a)[16],
			   struct mi_cidrs *out)
{
	unsigned int bytes = family == AF_INET ? 4 : 16, bits = bytes * 8;
	unsigned __int128 lo = be_get(a[0], bytes), hi = be_get(a[1], bytes);

	for (;;) {
		unsigned int plen = bits;
		struct mi_cidr c = { .family = (uint8_t)family };
		unsigned __int128 v;

		/* widen while lo stays aligned and the block stays in range */
		while (plen > 0 && bits - plen + 1 < 128) {
			unsigned __int128 size = (unsigned __int128)1
						 << (bits - plen + 1);

			if ((lo & (size - 1)) || lo + (size - 1) > hi)
				break;
			plen--;
		}
		c.plen = (uint8_t)plen;
		v = lo;
		for (unsigned int i = bytes; i-- > 0; v >>= 8)
			c.addr[i] = (uint8_t)v;
		mi_cidrs_add(out, &c);
		v = plen == bits ? 0
				 : ((unsigned __int128)1 << (bits - plen)) - 1;
		if (lo + v >= hi)
			break;
		lo += v + 1;
	}
}

static void cidrs_of(const struct mi_plan *p, enum mi_set_id s, int family,
		     struct mi_cidrs *out)
{
	if (!mi_plan_has_set(p, s))
		return;
	for (size_t i = 0; i < p->sets[s].n; i++)
		range_to_cidrs(family, p->sets[s].v[i].addr, out);
}

static void uidports_of(const struct mi_plan *p, enum mi_set_id s,
			uint8_t proto, struct mi_uidports *out)
{
	if (!mi_plan_has_set(p, s))
		return;
	for (size_t i = 0; i < p->sets[s].n; i++) {
		mi_grow((void **)&out->v, &out->cap, out->n + 1,
			sizeof(*out->v));
		out->v[out->n].proto = proto;
		out->v[out->n].uid = p->sets[s].v[i].up.uid;
		out->v[out->n].port = p->sets[s].v[i].up.port;
		out->n++;
	}
}

int mi_record_config(const struct mi_record *rec,
		     const struct mi_plan *installed, struct mi_config *cfg,
		     struct mi_err *err)
{
	const struct mi_plan *p = installed;

	mi_config_init(cfg);
	if (each_word(rec->text, config_word, cfg, err) < 0)
		return -EINVAL;
	if (!cfg->proxy_uids.n || !cfg->proxy_gids.n)
		return mi_err_set(
			err, -EINVAL,
			"install record: no proxy uid or gid (u=, g=)");
	ranges_of(p, MI_SET_INBOUND_PORTS, &cfg->inbound_ports);
	ranges_of(p, MI_SET_INBOUND_EXCLUDE_PORTS, &cfg->inbound_exclude_ports);
	ifnames_of(p, MI_SET_EXCLUDE_IFACES, &cfg->exclude_ifaces);
	ifnames_of(p, MI_SET_VIRT_IFACES, &cfg->virt_ifaces);
	cidrs_of(p, MI_SET_INCLUDE_CIDRS4, AF_INET, &cfg->outbound_include);
	cidrs_of(p, MI_SET_INCLUDE_CIDRS6, AF_INET6, &cfg->outbound_include);
	cidrs_of(p, MI_SET_EXCLUDE_CIDRS4, AF_INET, &cfg->outbound_exclude);
	cidrs_of(p, MI_SET_EXCLUDE_CIDRS6, AF_INET6, &cfg->outbound_exclude);
	ranges_of(p, MI_SET_OUTBOUND_PORTS, &cfg->outbound_include_ports);
	ranges_of(p, MI_SET_OUTBOUND_EXCLUDE_PORTS,
		  &cfg->outbound_exclude_ports);
	ranges_of(p, MI_SET_OWNER_GROUPS,
		  cfg->owner_include_all ? &cfg->owner_exclude
					 : &cfg->owner_include);
	ranges_of(p, MI_SET_EXCLUDE_UIDS, &cfg->exclude_uids);
	ranges_of(p, MI_SET_EXCLUDE_GIDS, &cfg->exclude_gids);
	uidports_of(p, MI_SET_EXCLUDE_UID_TCP_PORTS, IPPROTO_TCP,
		    &cfg->exclude_uid_ports);
	uidports_of(p, MI_SET_EXCLUDE_UID_UDP_PORTS, IPPROTO_UDP,
		    &cfg->exclude_uid_ports);
	cidrs_of(p, MI_SET_DNS_SERVERS4, AF_INET, &cfg->dns_servers);
	cidrs_of(p, MI_SET_DNS_SERVERS6, AF_INET6, &cfg->dns_servers);
	return 0;
}

static int sum_word(const char *k, const char *v, void *data)
{
	if (!strcmp(k, "sum"))
		snprintf(data, 16, "%s", v);
	return 0;
}

bool mi_record_sets_match(const struct mi_record *rec,
			  const struct mi_plan *plan)
{
	char want[16] = "", have[16];
	struct mi_err e = { 0 };

	each_word(rec->text, sum_word, want, &e);
	snprintf(have, sizeof(have), "%08x", sets_digest(plan));
	return !strcmp(want, have);
}

/* ---- flags ------------------------------------------------------------- */

static void add(struct mi_flag_vals *f, const char *flag, char *value)
{
	f->v = mi_xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->v[f->n].flag = flag;
	f->v[f->n].value = value;
	f->n++;
}

static void addf(struct mi_flag_vals *f, const char *flag, const char *fmt, ...)
	MI_PRINTF(3, 4);

static void addf(struct mi_flag_vals *f, const char *flag, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	add(f, flag, mi_xstrdup(buf));
}

/* The elements of the plan's sets @a and @b (may be -1), joined by ','. */
static char *set_list(const struct mi_plan *p, int a, int b)
{
	int ids[2] = { a, b };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));
	bool first = true;

	for (int k = 0; k < 2; k++) {
		const struct mi_set_info *si;

		if (ids[k] < 0 || !mi_plan_has_set(p, ids[k]))
			continue;
		si = mi_set_info(ids[k]);
		for (size_t i = 0; i < p->sets[ids[k]].n; i++) {
			const struct mi_elem *e = &p->sets[ids[k]].v[i];

			if (!first)
				fputc(',', f);
			first = false;
			if (si->type == MI_ST_IFNAME)
				fputs(e->ifname, f);
			else
				mi_print_elem(si->type, e, f);
		}
	}
	fclose(f);
	return buf;
}

static char *uidport_list(const struct mi_plan *p)
{
	static const int ids[2] = { MI_SET_EXCLUDE_UID_TCP_PORTS,
				    MI_SET_EXCLUDE_UID_UDP_PORTS };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));
	bool first = true;

	for (int k = 0; k < 2; k++) {
		if (!mi_plan_has_set(p, ids[k]))
			continue;
		for (size_t i = 0; i < p->sets[ids[k]].n; i++) {
			const struct mi_elem *e = &p->sets[ids[k]].v[i];

			fprintf(f, "%s%s:%u", first ? "" : ";",
				k ? "udp" : "tcp", e->up.port.lo);
			if (e->up.port.hi != e->up.port.lo)
				fprintf(f, "-%u", e->up.port.hi);
			fprintf(f, ":%u", e->up.uid.lo);
			if (e->up.uid.hi != e->up.uid.lo)
				fprintf(f, "-%u", e->up.uid.hi);
			first = false;
		}
	}
	fclose(f);
	return buf;
}

static char *ranges_str(const struct mi_ranges *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));

	put_ranges(f, l);
	fclose(f);
	return buf;
}

static char *capture_list(enum mi_capture c, char *list)
{
	if (c == MI_CAPTURE_LIST)
		return list;
	free(list);
	return mi_xstrdup(c == MI_CAPTURE_ALL ? "*" : "");
}

void mi_record_flags(const struct mi_config *cfg, const struct mi_plan *p,
		     struct mi_flag_vals *f)
{
	char lo[64];

	memset(f, 0, sizeof(*f));
	addf(f, "-p", "%u", cfg->proxy_port);
	addf(f, "-z", "%u", cfg->inbound_port);
	addf(f, "-e", "%u", cfg->tunnel_port);
	add(f, "-u", ranges_str(&cfg->proxy_uids));
	add(f, "-g", ranges_str(&cfg->proxy_gids));
	addf(f, "-m", "%s", cfg->tproxy ? "TPROXY" : "REDIRECT");
	if (cfg->tproxy) {
		addf(f, "-t", "%u", cfg->tproxy_mark);
		addf(f, "-r", "%u", cfg->route_table);
	}
	add(f, "-b",
	    capture_list(cfg->inbound, set_list(p, MI_SET_INBOUND_PORTS, -1)));
	add(f, "-d", set_list(p, MI_SET_INBOUND_EXCLUDE_PORTS, -1));
	add(f, "-c", set_list(p, MI_SET_EXCLUDE_IFACES, -1));
	add(f, "-k", set_list(p, MI_SET_VIRT_IFACES, -1));
	add(f, "-i",
	    capture_list(cfg->outbound, set_list(p, MI_SET_INCLUDE_CIDRS4,
						 MI_SET_INCLUDE_CIDRS6)));
	add(f, "-x", set_list(p, MI_SET_EXCLUDE_CIDRS4, MI_SET_EXCLUDE_CIDRS6));
	add(f, "-q", set_list(p, MI_SET_OUTBOUND_PORTS, -1));
	add(f, "-o", set_list(p, MI_SET_OUTBOUND_EXCLUDE_PORTS, -1));
	add(f, "--exclude-outbound-uids", set_list(p, MI_SET_EXCLUDE_UIDS, -1));
	add(f, "--exclude-outbound-gids", set_list(p, MI_SET_EXCLUDE_GIDS, -1));
	add(f, "--exclude-outbound-ports-for-uids", uidport_list(p));
	addf(f, "--redirect-dns", "%s", cfg->dns ? "true" : "false");
	addf(f, "--capture-all-dns", "%s",
	     cfg->dns && cfg->capture_all_dns ? "true" : "false");
	add(f, "nameservers",
	    set_list(p, MI_SET_DNS_SERVERS4, MI_SET_DNS_SERVERS6));
	addf(f, "--drop-invalid", "%s", cfg->drop_invalid ? "true" : "false");
	addf(f, "--ipv6", "%s", p->ipv6 ? "on" : "off");
	if (cfg->owner_include_all)
		add(f, "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE",
		    set_list(p, MI_SET_OWNER_GROUPS, -1));
	else
		add(f, "ISTIO_OUTBOUND_OWNER_GROUPS",
		    set_list(p, MI_SET_OWNER_GROUPS, -1));
	addf(f, "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "%s",
	     mi_cidr_format(&cfg->loopback4, lo, sizeof(lo)));
}

void mi_flag_vals_release(struct mi_flag_vals *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].value);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* Longer list values are cut here: status lists the sets in full. */
#define SHOWN_VALUE 160

void mi_flag_vals_print(const struct mi_flag_vals *f, FILE *out)
{
	bool first = true;
	const char *v;

	for (size_t i = 0; i < f->n; i++) {
		const char *flag = f->v[i].flag;

		v = f->v[i].value;
		if (!strcmp(v, "false") || !strcmp(flag, "nameservers"))
			continue;
		/* empty lists are left out, but for -b and -i: '' means
			"none" */
		if (!*v && strcmp(flag, "-b") && strcmp(flag, "-i"))
			continue;
		if (!strcmp(flag, "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR") &&
		    !strcmp(v, "127.0.0.1/32"))
			continue;
		fprintf(out, "%s", first ? "" : " ");
		first = false;
		if (flag[0] != '-') {
			fprintf(out, "%s=%.*s%s", flag, SHOWN_VALUE, v,
				strlen(v) > SHOWN_VALUE ? "..." : "");
			continue;
		}
		fputs(flag, out);
		if (!strcmp(v, "true"))
			continue;
		if (!*v || strpbrk(v, "*;"))
			fprintf(out, " '%.*s%s'", SHOWN_VALUE, v,
				strlen(v) > SHOWN_VALUE ? "..." : "");
		else
			fprintf(out, " %.*s%s", SHOWN_VALUE, v,
				strlen(v) > SHOWN_VALUE ? "..." : "");
	}
}
