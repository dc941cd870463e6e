/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The golden cases of tests/golden/cases.tsv for unit tests, header only:
 * each case's plan built from its flags (detection results set by hand),
 * and a comparison of rendered text with tests/golden/<name>.<ext>
 * (MI_UPDATE_GOLDEN=1 rewrites the files; MI_GOLDEN_DIR moves them).
 */
#ifndef MI_TEST_GOLDEN_H
#define MI_TEST_GOLDEN_H

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "detect.h"
#include "harness.h"
#include "plan.h"
#include "record.h"

#define GOLDEN_MAX_TOK 64

struct gcase {
	char *name, *ipv6, *servers, *env, *args;
};

static inline const char *golden_dir(void)
{
	const char *d = getenv("MI_GOLDEN_DIR");

	return d && *d ? d : "tests/golden";
}

static inline char *golden_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Split @s in place on @sep; "''" stands for an empty token. */
static inline int golden_split(char *s, char sep, char **tok, int max)
{
	int n = 0;
	char *p = s;

	if (!strcmp(s, "-"))
		return 0;
	while (p && *p && n < max) {
		char *end = strchr(p, sep);

		if (end)
			*end = '\0';
		if (*p)
			tok[n++] = strcmp(p, "''") ? p : (char *)"";
		p = end ? end + 1 : NULL;
	}
	return n;
}

/*
 * The configuration of case @c, completed as install would complete it
 * (detection results from the case, not the machine). False when the
 * flags do not parse; the caller releases @cli->cfg either way.
 */
static inline bool golden_config(const struct gcase *c, struct mi_cli *cli)
{
	char *argv[GOLDEN_MAX_TOK + 2], *envp[GOLDEN_MAX_TOK + 1];
	char *srv[GOLDEN_MAX_TOK];
	char *args = strdup(c->args), *env = strdup(c->env);
	char *servers = strdup(c->servers);
	struct mi_err err = { 0 };
	int argc, nenv, nsrv;
	bool ok;

	argv[0] = (char *)"meshinit";
	argc = 1 + golden_split(args, ' ', argv + 1, GOLDEN_MAX_TOK);
	argv[argc] = NULL;
	nenv = golden_split(env, ' ', envp, GOLDEN_MAX_TOK);
	envp[nenv] = NULL;
	ok = CHECK_EQ_INT(mi_cli_parse(argc, argv, envp, cli, &err), 0);
	if (!ok)
		printf("# %s: %s\n", c->name, err.msg);
	cli->cfg.ipv6 = !strcmp(c->ipv6, "on");
	nsrv = golden_split(servers, ' ', srv, GOLDEN_MAX_TOK);
	for (int i = 0; i < nsrv && !cli->cfg.capture_all_dns; i++) {
		char line[128];

		snprintf(line, sizeof(line), "nameserver %s\n", srv[i]);
		mi_resolv_parse(line, &cli->cfg.dns_servers);
	}
	cli->cfg.dns = cli->cfg.redirect_dns &&
		       (cli->cfg.capture_all_dns || cli->cfg.dns_servers.n);
	free(args);
	free(env);
	free(servers);
	return ok;
}

/*
 * The plan of case @c, as install builds it (install record included);
 * false on a bad case.
 */
static inline bool golden_plan(const struct gcase *c, struct mi_plan *plan)
{
	struct mi_cli cli;
	bool ok = golden_config(c, &cli);

	if (ok)
		mi_plan_build_recorded(&cli.cfg, plan);
	mi_config_release(&cli.cfg);
	return ok;
}

/* Compare @got (freed here) with <golden dir>/@name.@ext, or rewrite it. */
static inline void golden_compare(const char *name, const char *ext, char *got)
{
	const char *u = getenv("MI_UPDATE_GOLDEN");
	char path[512], newp[600], *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", golden_dir(), name, ext);
	if (u && *u == '1') {
		f = fopen(path, "w");
		if (CHECK(f)) {
			fputs(got, f);
			fclose(f);
			printf("# updated %s\n", path);
		}
		free(got);
		return;
	}
	want = golden_read(path);
	if (!CHECK(want)) {
		printf("# cannot read %s (make update-golden writes it)\n",
		       path);
	} else if (!CHECK(!strcmp(got, want))) {
		snprintf(newp, sizeof(newp), "%s.new", path);
		f = fopen(newp, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		printf("# %s differs; see: diff -u %s %s\n", name, path, newp);
	}
	free(want);
	free(got);
}

/* Run @fn over every case of cases.tsv; returns how many there were. */
static inline int golden_cases(void (*fn)(const struct gcase *c))
{
	char path[512], *text, *line, *next;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cases.tsv", golden_dir());
	text = golden_read(path);
	if (!CHECK(text)) {
		printf("# cannot read %s\n", path);
		return 0;
	}
	for (line = text; line && *line; line = next) {
		char *f[5];
		int nf = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		for (char *p = line; p && nf < 5;) {
			char *tab = strchr(p, '\t');

			if (tab)
				*tab = '\0';
			f[nf++] = p;
			p = tab ? tab + 1 : NULL;
		}
		if (!CHECK_EQ_INT(nf, 5)) {
			printf("# bad line in cases.tsv: %s\n", line);
			continue;
		}
		struct gcase c = { f[0], f[1], f[2], f[3], f[4] };

		fn(&c);
		n++;
	}
	free(text);
	return n;
}

#endif
