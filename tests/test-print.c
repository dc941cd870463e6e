/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden tests of mi_print_plan(): for every case of tests/golden/cases.tsv
 * the plan is built from the parsed flags (detection results set by hand)
 * and printed, and the text must equal tests/golden/<name>.nft byte for
 * byte. tests/golden-dry-run.sh checks the binary's --dry-run against the
 * same files. MI_UPDATE_GOLDEN=1 rewrites them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "detect.h"
#include "harness.h"
#include "plan.h"
#include "print.h"
#include "record.h"

#define MAX_TOK 64

static const char *golden_dir(void)
{
	const char *d = getenv("MI_GOLDEN_DIR");

	return d && *d ? d : "tests/golden";
}

static char *read_all(const char *path, size_t *len)
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
	if (len)
		*len = n;
	return buf;
}

/* Split @s in place on @sep; "''" stands for an empty token. */
static int split(char *s, char sep, char **tok, int max)
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

struct gcase {
	char *name, *ipv6, *servers, *env, *args;
};

/* Render the plan of one case, as --dry-run would print it. */
static char *render(const struct gcase *c)
{
	char *argv[MAX_TOK + 2], *envp[MAX_TOK + 1], *srv[MAX_TOK];
	char *args = strdup(c->args), *env = strdup(c->env);
	char *servers = strdup(c->servers);
	struct mi_cli cli;
	struct mi_err err = { 0 };
	struct mi_plan plan;
	char *out = NULL;
	size_t len = 0;
	int argc, nenv, nsrv;
	FILE *f;

	argv[0] = (char *)"meshinit";
	argc = 1 + split(args, ' ', argv + 1, MAX_TOK);
	argv[argc] = NULL;
	nenv = split(env, ' ', envp, MAX_TOK);
	envp[nenv] = NULL;
	if (!CHECK_EQ_INT(mi_cli_parse(argc, argv, envp, &cli, &err), 0)) {
		NOTE("%s: %s", c->name, err.msg);
		goto out;
	}
	cli.cfg.ipv6 = !strcmp(c->ipv6, "on");
	nsrv = split(servers, ' ', srv, MAX_TOK);
	for (int i = 0; i < nsrv && !cli.cfg.capture_all_dns; i++) {
		char line[128];

		snprintf(line, sizeof(line), "nameserver %s\n", srv[i]);
		mi_resolv_parse(line, &cli.cfg.dns_servers);
	}
	cli.cfg.dns = cli.cfg.redirect_dns &&
		      (cli.cfg.capture_all_dns || cli.cfg.dns_servers.n);
	mi_plan_build_recorded(&cli.cfg, &plan);
	f = open_memstream(&out, &len);
	if (f) {
		mi_print_plan(&plan, f);
		fclose(f);
	}
	mi_plan_release(&plan);
out:
	mi_config_release(&cli.cfg);
	free(args);
	free(env);
	free(servers);
	return out;
}

static void check_case(const struct gcase *c)
{
	char path[512], *want, *got = render(c);
	bool update = getenv("MI_UPDATE_GOLDEN") && *getenv("MI_UPDATE_GOLDEN") == '1';

	if (!got)
		return;
	snprintf(path, sizeof(path), "%s/%s.nft", golden_dir(), c->name);
	if (update) {
		FILE *f = fopen(path, "w");

		if (CHECK(f)) {
			fputs(got, f);
			fclose(f);
			printf("# updated %s\n", path);
		}
		free(got);
		return;
	}
	want = read_all(path, NULL);
	if (!CHECK(want)) {
		NOTE("cannot read %s (make update-golden writes it)", path);
	} else if (!CHECK(!strcmp(got, want))) {
		char newp[600];
		FILE *f;

		snprintf(newp, sizeof(newp), "%s.new", path);
		f = fopen(newp, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		NOTE("%s differs from the printer's output; see: diff -u %s %s",
		     c->name, path, newp);
	}
	free(want);
	free(got);
}

static void test_print__golden_files(void)
{
	char path[512], *text, *line, *next;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cases.tsv", golden_dir());
	text = read_all(path, NULL);
	if (!CHECK(text)) {
		NOTE("cannot read %s", path);
		return;
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
			NOTE("bad line in cases.tsv: %s", line);
			continue;
		}
		struct gcase c = { f[0], f[1], f[2], f[3], f[4] };

		check_case(&c);
		n++;
	}
	CHECK(n >= 8);
	free(text);
}

/* Same plan, same bytes; and the printed script is one transaction. */
static void test_print__script_shape(void)
{
	struct gcase c = { (char *)"shape", (char *)"on", (char *)"10.96.0.10 fd00::10",
			   (char *)"-", (char *)"-u 1337 -i * -b * --redirect-dns" };
	char *a = render(&c), *b = render(&c);

	if (!a || !b)
		goto out;
	CHECK_EQ_STR(a, b);
	/* replaces our table: add (so delete cannot fail), delete, add */
	CHECK(!strncmp(a, "add table inet meshinit\ndelete table inet meshinit\n"
			  "add table inet meshinit\n", 72));
	CHECK_CONTAINS(a, "add element inet meshinit dns-servers6 { fd00::10 }\n");
	CHECK_CONTAINS(a, "add element inet meshinit dns-servers4 { 10.96.0.10 }\n");
	/* nothing but our table is named */
	for (char *p = a; (p = strstr(p, " inet ")); p++)
		if (!CHECK(!strncmp(p, " inet meshinit", 14) &&
			   (p[14] == ' ' || p[14] == '\n'))) {
			NOTE("%.60s", p);
			break;
		}
	CHECK(a[strlen(a) - 1] == '\n');
out:
	free(a);
	free(b);
}

static void test_print__cleanup_and_helpers(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct mi_elem e;

	mi_print_cleanup(f);
	fclose(f);
	/* add-then-delete: no error when a table is absent; a trace's too */
	CHECK_EQ_STR(buf, "add table inet meshinit\ndelete table inet meshinit\n"
			  "add table inet meshinit-trace\n"
			  "delete table inet meshinit-trace\n");
	free(buf);

	CHECK_EQ_STR(mi_set_type_name(MI_ST_IPV4), "ipv4_addr");
	CHECK_EQ_STR(mi_set_type_name(MI_ST_IPV6), "ipv6_addr");
	CHECK_EQ_STR(mi_set_type_name(MI_ST_PORT), "inet_service");
	CHECK_EQ_STR(mi_set_type_name(MI_ST_UID), "uid");
	CHECK_EQ_STR(mi_set_type_name(MI_ST_GID), "gid");
	CHECK_EQ_STR(mi_set_type_name(MI_ST_IFNAME), "ifname");
	CHECK_EQ_STR(mi_set_type_name(MI_ST_UID_PORT), "uid . inet_service");

	memset(&e, 0, sizeof(e));
	e.r.lo = 8000;
	e.r.hi = 9000;
	buf = NULL;
	f = open_memstream(&buf, &len);
	mi_print_elem(MI_ST_PORT, &e, f);
	fputc('|', f);
	e.r.hi = 8000;
	mi_print_elem(MI_ST_PORT, &e, f);
	fputc('|', f);
	memset(&e, 0, sizeof(e));
	memcpy(e.addr[0], (const uint8_t[]){ 10, 0, 0, 0 }, 4);
	memcpy(e.addr[1], (const uint8_t[]){ 10, 255, 255, 255 }, 4);
	mi_print_elem(MI_ST_IPV4, &e, f);
	fputc('|', f);
	memcpy(e.addr[1], (const uint8_t[]){ 10, 0, 0, 5 }, 4);
	mi_print_elem(MI_ST_IPV4, &e, f);
	fputc('|', f);
	memset(&e, 0, sizeof(e));
	strcpy(e.ifname, "eth0");
	mi_print_elem(MI_ST_IFNAME, &e, f);
	fputc('|', f);
	memset(&e, 0, sizeof(e));
	e.up.uid.lo = 1002;
	e.up.uid.hi = 1003;
	e.up.port.lo = e.up.port.hi = 53;
	mi_print_elem(MI_ST_UID_PORT, &e, f);
	fclose(f);
	CHECK_EQ_STR(buf, "8000-9000|8000|10.0.0.0/8|10.0.0.0-10.0.0.5|\"eth0\"|1002-1003 . 53");
	free(buf);
}

int main(void)
{
	RUN(test_print__golden_files);
	RUN(test_print__script_shape);
	RUN(test_print__cleanup_and_helpers);
	TEST_MAIN_END();
}
