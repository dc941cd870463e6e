/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "print.h"
#include "readback.h"
#include "record.h"
#include "routes.h"
#include "snapshot.h"
#include "util.h"

#ifndef MI_VERSION
#define MI_VERSION "0.1.0"
#endif

#define MAX_OF(a, b) ((a) > (b) ? (a) : (b))

struct diff {
	FILE *report;
	size_t n;
};

static void drift(struct diff *d, const char *fmt, ...) MI_PRINTF(2, 3);

static void drift(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	d->n++;
	if (!d->report)
		return;
	va_start(ap, fmt);
	vfprintf(d->report, fmt, ap);
	va_end(ap);
	fputc('\n', d->report);
}

/* ---- rules -------------------------------------------------------------- */

/* A rule as the printer writes it (no counter values): its identity. */
static char *rule_str(const struct mi_rule *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));

	mi_print_rule_ex(r, 0, f);
	fclose(f);
	return buf;
}

static char **rule_strs(const struct mi_rules *rs)
{
	char **v = mi_xcalloc(rs->n + 1, sizeof(*v));

	for (size_t i = 0; i < rs->n; i++)
		v[i] = rule_str(&rs->v[i]);
	return v;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Rules are ordered: a longest common subsequence of the two lists keeps
 * one added or removed rule from reporting every rule after it.
 */
static void cmp_rule_lists(const char *chain, const struct mi_rules *wr,
			   const struct mi_rules *hr, struct diff *d)
{
	char **w = rule_strs(wr), **h = rule_strs(hr);
	size_t nw = wr->n, nh = hr->n, i, j;
	size_t *t = mi_xcalloc((nw + 1) * (nh + 1), sizeof(*t));

#define T(a, b) t[(a) * (nh + 1) + (b)]
	for (i = nw; i-- > 0;)
		for (j = nh; j-- > 0;)
			T(i, j) = !strcmp(w[i], h[j])
					  ? T(i + 1, j + 1) + 1
					  : MAX_OF(T(i + 1, j), T(i, j + 1));
	i = j = 0;
	while (i < nw || j < nh) {
		if (i < nw && j < nh && !strcmp(w[i], h[j])) {
			i++, j++;
		} else if (j == nh || (i < nw && T(i + 1, j) >= T(i, j + 1))) {
			drift(d, "missing rule %zu in chain %s: %s", i + 1,
			      chain, w[i]);
			i++;
		} else {
			drift(d, "extra rule %zu in chain %s: %s", j + 1, chain,
			      h[j]);
			j++;
		}
	}
#undef T
	free(t);
	strv_free(w, nw);
	strv_free(h, nh);
}

static void cmp_chains(const struct mi_plan *want, const struct mi_plan *have,
		       struct diff *d)
{
	for (int c = 0; c < MI_C__COUNT; c++) {
		const char *name = mi_chain_info(c)->name;
		bool w = mi_plan_has_chain(want, c),
		     h = mi_plan_has_chain(have, c);

		if (w && !h)
			drift(d, "missing chain %s (%zu rules)", name,
			      want->chains[c].n);
		else if (h && !w)
			drift(d, "extra chain %s (%zu rules)", name,
			      have->chains[c].n);
		else if (w)
			cmp_rule_lists(name, &want->chains[c], &have->chains[c],
				       d);
	}
	for (size_t i = 0; i < have->nxchains; i++)
		drift(d,
		      "extra chain %s%s%s (not one of meshinit's, %zu rules)",
		      have->xchains[i].name, have->xchains[i].base ? ": " : "",
		      have->xchains[i].base ? have->xchains[i].base : "",
		      have->xchains[i].rules.n);
}

/* ---- sets --------------------------------------------------------------- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The elements of set @id of @p, printed and sorted. */
static char **elem_strs(const struct mi_plan *p, int id, size_t *n)
{
	const struct mi_set_info *si = mi_set_info(id);
	const struct mi_elems *es = &p->sets[id];
	char **v = mi_xcalloc(es->n + 1, sizeof(*v));

	for (size_t i = 0; i < es->n; i++) {
		size_t len = 0;
		FILE *f = mi_xnn(open_memstream(&v[i], &len));

		mi_print_elem(si->type, &es->v[i], f);
		fclose(f);
	}
	if (es->n)
		qsort(v, es->n, sizeof(*v), str_cmp);
	*n = es->n;
	return v;
}

static void cmp_sets(const struct mi_plan *want, const struct mi_plan *have,
		     struct diff *d)
{
	for (int s = 0; s < MI_SET__COUNT; s++) {
		const char *name = mi_set_info(s)->name;
		bool w = mi_plan_has_set(want, s), h = mi_plan_has_set(have, s);
		char **we, **he;
		size_t nw, nh, i = 0, j = 0;

		if (w && !h) {
			drift(d, "missing set %s (%zu elements)", name,
			      want->sets[s].n);
			continue;
		}
		if (h && !w) {
			drift(d, "extra set %s (%zu elements)", name,
			      have->sets[s].n);
			continue;
		}
		if (!w)
			continue;
		we = elem_strs(want, s, &nw);
		he = elem_strs(have, s, &nh);
		while (i < nw || j < nh) {
			int c = i == nw	  ? 1
				: j == nh ? -1
					  : strcmp(we[i], he[j]);

			if (c < 0)
				drift(d, "missing element %s in set %s",
				      we[i++], name);
			else if (c > 0)
				drift(d, "extra element %s in set %s", he[j++],
				      name);
			else
				i++, j++;
		}
		strv_free(we, nw);
		strv_free(he, nh);
	}
	for (size_t i = 0; i < have->nxsets; i++)
		drift(d, "extra set %s", have->xsets[i]);
}

static void cmp_plans(const struct mi_plan *want, const struct mi_plan *have,
		      struct diff *d)
{
	cmp_chains(want, have, d);
	cmp_sets(want, have, d);
}

int mi_verify_plan(const struct mi_plan *plan, bool *in_sync, FILE *report,
		   struct mi_err *err)
{
	struct diff d = { .report = report };
	struct mi_record rec;
	struct mi_plan have;
	int ret = mi_readback(&have, &rec, err);

	if (ret < 0)
		return ret;
	cmp_plans(plan, &have, &d);
	if (!plan->record != !have.record ||
	    (plan->record && strcmp(plan->record, have.record)))
		drift(&d, "install record: installed \"%s\", now \"%s\"",
		      have.record ? have.record : "(none)",
		      plan->record ? plan->record : "(none)");
	mi_plan_release(&have);
	*in_sync = d.n == 0;
	return 0;
}

/* ---- flags -------------------------------------------------------------- */

static void cmp_flags(const struct mi_config *wc, const struct mi_plan *wp,
		      const struct mi_config *hc, const struct mi_plan *hp,
		      struct diff *d)
{
	struct mi_flag_vals w, h;

	mi_record_flags(wc, wp, &w);
	mi_record_flags(hc, hp, &h);
	for (size_t i = 0; i < w.n && i < h.n; i++) {
		if (!strcmp(w.v[i].value, h.v[i].value))
			continue;
		drift(d,
		      "flag %s: installed with '%.200s', the flags give "
		      "'%.200s'",
		      w.v[i].flag, h.v[i].value, w.v[i].value);
	}
	mi_flag_vals_release(&w);
	mi_flag_vals_release(&h);
}

/* ---- routing and the rest of the namespace ------------------------------ */

static int cmp_routes(const struct mi_config *cfg, struct diff *d,
		      struct mi_err *err)
{
	static const char *const fam[2] = { "IPv4", "IPv6" };
	struct mi_routes_state st;
	bool tproxy = cfg->tproxy && cfg->inbound != MI_CAPTURE_NONE;
	int ret = mi_routes_state(cfg->tproxy_mark, cfg->route_table, &st, err);

	if (ret < 0)
		return ret;
	for (int fi = 0; tproxy && fi < 2; fi++) {
		if (fi == 1 && !cfg->ipv6)
			continue;
		if (!st.rule[fi])
			drift(d,
			      "missing TPROXY policy rule (%s): ip%s rule add "
			      "fwmark %u lookup %u; without it "
			      "TPROXY'd packets are not delivered to "
			      "the proxy",
			      fam[fi], fi ? " -6" : "", cfg->tproxy_mark,
			      cfg->route_table);
		if (!st.route[fi])
			drift(d,
			      "missing TPROXY route (%s): ip%s route add "
			      "local default dev lo table %u; without "
			      "it TPROXY'd packets are not delivered "
			      "to the proxy",
			      fam[fi], fi ? " -6" : "", cfg->route_table);
	}
	if (cfg->ipv6 && !st.addr6)
		drift(d,
		      "missing address ::6/128 on lo: the proxy's inbound "
		      "passthrough source (IPv6) cannot be used");
	return 0;
}

static void cmp_others(const struct mi_snap *s, struct diff *d)
{
	struct mi_capture_pic pic;

	mi_capture_collect(s, &pic);
	for (size_t i = 0; i < pic.n; i++)
		if (mi_capture_affects(&pic.v[i]))
			drift(d, "also in this namespace: %s: %s",
			      pic.v[i].what, pic.v[i].effect);
	mi_capture_release(&pic);
}

/* ---- the command ------------------------------------------------------ */

int mi_verify_run(const struct mi_config *cfg, bool from_flags, FILE *out,
		  struct mi_err *err)
{
	struct mi_plan want = { 0 }, have = { 0 };
	struct mi_config rcfg;
	struct diff d = { .report = out };
	struct mi_err rec_err = { 0 };
	struct mi_record rec;
	struct mi_snap s;
	const struct mi_config *wcfg = cfg;
	bool have_rcfg = false;
	int ret = mi_snap_load(&s, err);

	if (ret < 0)
		return ret;
	if (!s.have_table) {
		struct diff others = { .report = out };

		cmp_others(&s, &others);
		mi_snap_release(&s);
		fflush(out);
		return mi_readback_absent(err, others.n > 0);
	}
	mi_readback_snap(&s, &have, &rec, &rec_err);
	if (rec.version[0]) {
		ret = mi_record_config(&rec, &have, &rcfg, &rec_err);
		have_rcfg = ret == 0;
		if (ret < 0)
			mi_config_release(&rcfg);
	}
	if (!from_flags && !have_rcfg) {
		ret = mi_err_set(
			err, -ENODATA,
			"table inet %s has no readable install record (%s): "
				"give the install flags to compare with",
			MI_TABLE_NAME,
			rec_err.msg[0]
				? rec_err.msg
				: "installed by an older meshinit, or changed "
					"by hand");
		goto out;
	}
	if (!from_flags)
		wcfg = &rcfg;
	mi_plan_build_recorded(wcfg, &want);
	if (from_flags && have_rcfg)
		cmp_flags(cfg, &want, &rcfg, &have, &d);
	else if (from_flags)
		fprintf(out,
			"note: table inet %s has no install record; comparing "
				"the rules only\n",
			MI_TABLE_NAME);
	if (have_rcfg && !mi_record_sets_match(&rec, &have))
		drift(&d,
		      "set contents changed since the install: the digest of "
		      "the sets differs from the install record's (an "
		      "element was added or removed by hand)");
	cmp_plans(&want, &have, &d);
	ret = cmp_routes(wcfg, &d, err);
	if (ret < 0)
		goto out;
	cmp_others(&s, &d);
	if (d.n) {
		ret = mi_err_setx(
			err, MI_EXIT_DRIFT, -EEXIST,
			"%zu difference%s: table inet %s differs from %s "
				"(drift)",
			d.n, d.n == 1 ? "" : "s", MI_TABLE_NAME,
			from_flags ? "what the flags give"
				   : "how it was installed");
		goto out;
	}
	if (from_flags)
		fprintf(out,
			"in sync: table inet %s, its TPROXY routing and the "
				"namespace match the flags\n",
			MI_TABLE_NAME);
	else
		fprintf(out,
			"in sync: table inet %s, its TPROXY routing and the "
				"namespace match how meshinit %s installed "
				"them (install record)\n",
			MI_TABLE_NAME, rec.version);
	if (rec.version[0] && strcmp(rec.version, MI_VERSION))
		fprintf(out,
			"note: installed by meshinit %s, this is meshinit %s\n",
			rec.version, MI_VERSION);
out:
	if (have_rcfg)
		mi_config_release(&rcfg);
	mi_plan_release(&want);
	mi_plan_release(&have);
	mi_snap_release(&s);
	return ret;
}
