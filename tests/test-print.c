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
#include "golden.h"
#include "harness.h"
#include "plan.h"
#include "print.h"
#include "record.h"

/* Render the plan of one case, as --dry-run would print it. */
static char *render(const struct gcase *c)
{
	struct mi_plan plan;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (!golden_plan(c, &plan))
		return NULL;
	f = open_memstream(&out, &len);
	if (f) {
		mi_print_plan(&plan, f);
		fclose(f);
	}
	mi_plan_release(&plan);
	return out;
}

static void check_case(const struct gcase *c)
{
	char *got = render(c);

	if (got)
		golden_compare(c->name, "nft", got);
}

static void test_print__golden_files(void)
{
	CHECK(golden_cases(check_case) >= 8);
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
