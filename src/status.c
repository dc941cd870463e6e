/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "print.h"
#include "readback.h"
#include "record.h"
#include "routes.h"
#include "snapshot.h"
#include "util.h"

/* sets longer than this are abridged in the text output */
#define ELEMS_SHOWN 10

struct view {
	struct mi_snap snap;
	struct mi_plan plan;
	struct mi_record rec;
	struct mi_err rec_err;
	struct mi_config cfg; /* from the record, when have_cfg */
	bool have_cfg;
	struct mi_flag_vals flags;
	struct mi_capture_pic pic;
	struct mi_routes_state routes;
	bool have_routes;
	char routes_error[512];
};

static char *flags_line(const struct mi_flag_vals *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = mi_xnn(open_memstream(&buf, &len));

	mi_flag_vals_print(f, m);
	fclose(m);
	return buf;
}

static bool tproxy_needed(const struct view *v)
{
	return v->have_cfg && v->cfg.tproxy &&
	       v->cfg.inbound != MI_CAPTURE_NONE;
}

/* ---- text ---------------------------------------------------------------- */

static void text_record(const struct view *v, FILE *f)
{
	char *line;

	if (!v->rec.version[0]) {
		fprintf(f,
			"install record: none%s%s (installed by an older "
				"meshinit, or the set %s was removed)\n",
			v->rec_err.msg[0] ? ": " : "", v->rec_err.msg,
			MI_RECORD_SET);
		return;
	}
	fprintf(f, "installed by meshinit %s\n", v->rec.version);
	if (!v->have_cfg) {
		fprintf(f, "install record does not parse: %s\n",
			v->rec_err.msg);
		return;
	}
	line = flags_line(&v->flags);
	fprintf(f, "installed with: %s\n", line);
	free(line);
	if (!mi_record_sets_match(&v->rec, &v->plan))
		fprintf(f,
			"note: the sets were changed after the install (their "
				"digest differs from the record's); meshinit "
				"verify lists what else differs\n");
}

static void text_routes(const struct view *v, FILE *f)
{
	static const char *const fam[2] = { "IPv4", "IPv6" };

	if (!v->have_routes) {
		fprintf(f, "TPROXY routing: cannot read it: %s\n",
			v->routes_error);
		return;
	}
	if (!tproxy_needed(v)) {
		fprintf(f, "TPROXY routing: not needed (%s)\n",
			v->have_cfg ? "-m REDIRECT, or no inbound capture"
				    : "no install record");
	} else {
		for (int fi = 0; fi < 2; fi++) {
			if (fi && !v->plan.ipv6)
				continue;
			fprintf(f,
				"TPROXY routing (%s): ip rule fwmark %u "
					"lookup %u: %s; route local default "
					"dev lo table %u: %s\n",
				fam[fi], v->cfg.tproxy_mark, v->cfg.route_table,
				v->routes.rule[fi] ? "present" : "MISSING",
				v->cfg.route_table,
				v->routes.route[fi] ? "present" : "MISSING");
		}
	}
	if (v->plan.ipv6 || v->routes.addr6)
		fprintf(f,
			"::6/128 on lo (IPv6 inbound passthrough source): "
				"%s%s\n",
			v->routes.addr6 ? "present" : "MISSING",
			v->routes.addr6 && !v->routes.addr6_mine
				? " (not added by meshinit)"
				: "");
}

static void text_others(const struct view *v, FILE *f)
{
	fprintf(f, "other capture state in this namespace:%s\n",
		v->pic.n ? "" : " none");
	for (size_t i = 0; i < v->pic.n; i++)
		fprintf(f, "  %s: %s\n", v->pic.v[i].what, v->pic.v[i].effect);
}

static void show_text(const struct view *v, FILE *f)
{
	size_t nraw = mi_readback_nraw(&v->plan);

	text_record(v, f);
	mi_print_listing(&v->plan, ELEMS_SHOWN, f);
	if (nraw)
		fprintf(f,
			"%zu rule%s of table inet %s %s not read back (added "
				"by hand?): shown as libnftnl lists them\n",
			nraw, nraw == 1 ? "" : "s", MI_TABLE_NAME,
			nraw == 1 ? "was" : "were");
	text_routes(v, f);
	text_others(v, f);
}

/* ---- JSON ---------------------------------------------------------------- */

static char *rule_text(const struct mi_rule *r, unsigned int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = mi_xnn(open_memstream(&buf, &len));

	if (r->raw)
		fputs(r->raw, f);
	else
		mi_print_rule_ex(r, flags, f);
	fclose(f);
	return buf;
}

static void json_rules(const struct mi_rules *rs, FILE *f)
{
	fputs("\"rules\":[", f);
	for (size_t i = 0; i < rs->n; i++) {
		const struct mi_rule *r = &rs->v[i];
		char *text = rule_text(r, MI_PRINT_BARE);

		fprintf(f, "%s{\"number\":%zu,\"handle\":%" PRIu64 ",\"rule\":",
			i ? "," : "", i + 1, r->handle);
		mi_json_string(f, text);
		fputs(",\"comment\":", f);
		mi_json_string(f, r->why ? r->why : "");
		fprintf(f,
			",\"read_back\":%s,\"packets\":%" PRIu64
			",\"bytes\":%" PRIu64 "}",
			r->raw ? "false" : "true", r->packets, r->bytes);
		free(text);
	}
	fputc(']', f);
}

static void json_chains(const struct view *v, FILE *f)
{
	bool first = true;

	fputs("\"chains\":[", f);
	for (int c = 0; c < MI_C__COUNT; c++) {
		const struct mi_chain_info *ci = mi_chain_info(c);

		if (!mi_plan_has_chain(&v->plan, c))
			continue;
		fprintf(f, "%s{\"name\":", first ? "" : ",");
		first = false;
		mi_json_string(f, ci->name);
		if (ci->type)
			fprintf(f,
				",\"type\":\"%s\",\"hook\":\"%s\","
				"\"priority\":%d",
				ci->type,
				ci->hook == MI_HOOK_PREROUTING ? "prerouting"
							       : "output",
				ci->prio);
		fputc(',', f);
		json_rules(&v->plan.chains[c], f);
		fputc('}', f);
	}
	for (size_t i = 0; i < v->plan.nxchains; i++) {
		const struct mi_xchain *x = &v->plan.xchains[i];

		fprintf(f, "%s{\"name\":", first ? "" : ",");
		first = false;
		mi_json_string(f, x->name);
		fputs(",\"meshinit\":false,\"base\":", f);
		mi_json_string(f, x->base ? x->base : "");
		fputc(',', f);
		json_rules(&x->rules, f);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_sets(const struct view *v, FILE *f)
{
	bool first = true;

	fputs("\"sets\":[", f);
	for (int s = 0; s < MI_SET__COUNT; s++) {
		const struct mi_set_info *si = mi_set_info(s);

		if (!mi_plan_has_set(&v->plan, s))
			continue;
		fprintf(f,
			"%s{\"name\":\"%s\",\"type\":\"%s\","
			"\"flags\":[%s],\"holds\":",
			first ? "" : ",", si->name, mi_set_type_name(si->type),
			si->interval ? "\"interval\"" : "");
		first = false;
		mi_json_string(f, si->what);
		fputs(",\"elements\":[", f);
		for (size_t i = 0; i < v->plan.sets[s].n; i++) {
			char *e = NULL;
			size_t len = 0;
			FILE *m = mi_xnn(open_memstream(&e, &len));

			mi_print_elem(si->type, &v->plan.sets[s].v[i], m);
			fclose(m);
			fputs(i ? "," : "", f);
			mi_json_string(f, e);
			free(e);
		}
		fputs("]}", f);
	}
	for (size_t i = 0; i < v->plan.nxsets; i++) {
		fprintf(f, "%s{\"meshinit\":false,\"name\":", first ? "" : ",");
		first = false;
		mi_json_string(f, v->plan.xsets[i]);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_others(const struct view *v, FILE *f)
{
	fputs("\"others\":[", f);
	for (size_t i = 0; i < v->pic.n; i++) {
		fprintf(f, "%s{\"kind\":\"%s\",\"what\":", i ? "," : "",
			mi_capture_kind_name(v->pic.v[i].kind));
		mi_json_string(f, v->pic.v[i].what);
		fputs(",\"effect\":", f);
		mi_json_string(f, v->pic.v[i].effect);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_routes(const struct view *v, FILE *f)
{
	fprintf(f, "\"routing\":{\"tproxy_needed\":%s",
		tproxy_needed(v) ? "true" : "false");
	if (v->have_routes)
		fprintf(f,
			",\"rule_ipv4\":%s,\"route_ipv4\":%s,"
			"\"rule_ipv6\":%s,\"route_ipv6\":%s,\"lo_has_6\":%s",
			v->routes.rule[0] ? "true" : "false",
			v->routes.route[0] ? "true" : "false",
			v->routes.rule[1] ? "true" : "false",
			v->routes.route[1] ? "true" : "false",
			v->routes.addr6 ? "true" : "false");
	fputc('}', f);
}

static void show_json(const struct view *v, FILE *f)
{
	fprintf(f, "{\"table\":{\"family\":\"inet\",\"name\":\"%s\"},",
		MI_TABLE_NAME);
	if (v->rec.version[0]) {
		char *line = v->have_cfg ? flags_line(&v->flags) : NULL;

		fputs("\"installed_by\":", f);
		mi_json_string(f, v->rec.version);
		fputs(",\"record\":", f);
		mi_json_string(f, v->rec.text);
		fputs(",\"installed_with\":", f);
		mi_json_string(f, line ? line : "");
		fprintf(f, ",\"sets_as_installed\":%s,",
			mi_record_sets_match(&v->rec, &v->plan) ? "true"
								: "false");
		free(line);
	} else {
		fputs("\"installed_by\":null,", f);
	}
	json_chains(v, f);
	fputc(',', f);
	json_sets(v, f);
	fprintf(f, ",\"unread_rules\":%zu,", mi_readback_nraw(&v->plan));
	json_routes(v, f);
	fputc(',', f);
	json_others(v, f);
	fputs("}\n", f);
}

static void json_not_installed(const struct view *v, FILE *f)
{
	fputs("{\"table\":null,", f);
	json_others(v, f);
	fputs("}\n", f);
}

/* ---- the command ------------------------------------------------------ */

int mi_status_show(bool json, FILE *out, struct mi_err *err)
{
	struct view *v = mi_xcalloc(1, sizeof(*v));
	struct mi_err re = { 0 };
	int ret = mi_snap_load(&v->snap, err);

	if (ret < 0)
		goto out_free;
	mi_capture_collect(&v->snap, &v->pic);
	if (!v->snap.have_table) {
		/* Istio's own capture, a trace table...: worth saying */
		if (v->pic.n && json)
			json_not_installed(v, out);
		else if (v->pic.n)
			text_others(v, out);
		fflush(out);
		ret = mi_readback_absent(err, v->pic.n > 0);
		goto out_snap;
	}
	mi_readback_snap(&v->snap, &v->plan, &v->rec, &v->rec_err);
	if (v->rec.version[0]) {
		v->have_cfg = mi_record_config(&v->rec, &v->plan, &v->cfg,
					       &v->rec_err) == 0;
		if (v->have_cfg)
			mi_record_flags(&v->cfg, &v->plan, &v->flags);
		else
			mi_config_release(&v->cfg);
	}
	v->have_routes =
		mi_routes_state(v->have_cfg ? v->cfg.tproxy_mark : 1337,
				v->have_cfg ? v->cfg.route_table : 133,
				&v->routes, &re) == 0;
	snprintf(v->routes_error, sizeof(v->routes_error), "%s", re.msg);
	if (json)
		show_json(v, out);
	else
		show_text(v, out);
	mi_flag_vals_release(&v->flags);
	if (v->have_cfg)
		mi_config_release(&v->cfg);
	mi_plan_release(&v->plan);
out_snap:
	mi_capture_release(&v->pic);
	mi_snap_release(&v->snap);
out_free:
	free(v);
	return ret;
}
