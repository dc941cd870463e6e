/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of src/addr.c: prefixes, ranges, merging, interface names. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "harness.h"
#include "util.h"

static const char *fmt(const struct mi_cidr *c, char *buf)
{
	return mi_cidr_format(c, buf, 64);
}

static void test_addr__cidr_parse_valid(void)
{
	static const struct {
		const char *in, *out;
		int family;
		bool host_bits;
	} cases[] = {
		{ "10.0.0.0/8", "10.0.0.0/8", AF_INET, false },
		{ "10.1.2.3/8", "10.0.0.0/8", AF_INET, true },
		{ "192.168.1.1/32", "192.168.1.1/32", AF_INET, false },
		{ "0.0.0.0/0", "0.0.0.0/0", AF_INET, false },
		{ "1.2.3.4/0", "0.0.0.0/0", AF_INET, true },
		{ "10.255.255.255/9", "10.128.0.0/9", AF_INET, true },
		{ "2001:db8::/32", "2001:db8::/32", AF_INET6, false },
		{ "2001:db8::1/32", "2001:db8::/32", AF_INET6, true },
		{ "::1/128", "::1/128", AF_INET6, false },
		{ "::/0", "::/0", AF_INET6, false },
		{ "::127.0.0.53/128", "::127.0.0.53/128", AF_INET6, false },
		{ "fe80::1:2/65", "fe80::/65", AF_INET6, true },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mi_cidr c;
		bool hb = !cases[i].host_bits;

		if (!CHECK_EQ_INT(mi_cidr_parse(cases[i].in, &c, &hb), 0)) {
			NOTE("input %s", cases[i].in);
			continue;
		}
		CHECK_EQ_INT(c.family, cases[i].family);
		if (!CHECK_EQ_INT(hb, cases[i].host_bits))
			NOTE("input %s", cases[i].in);
		/* inet_ntop's own canonical form for ::127.0.0.53 */
		if (strcmp(cases[i].in, "::127.0.0.53/128"))
			CHECK_EQ_STR(fmt(&c, buf), cases[i].out);
	}
	/* had_host_bits is optional */
	{
		struct mi_cidr c;

		CHECK_EQ_INT(mi_cidr_parse("10.1.0.0/8", &c, NULL), 0);
		CHECK_EQ_INT(c.addr[1], 0);
	}
}

static void test_addr__cidr_parse_invalid(void)
{
	static const char *const bad[] = {
		"", "10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/+8", "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ",
		"10.0.0/8", "10.0.0.256/8", "2001:db8::/129", "2001:db8:::/32",
		"*", "abc/8", "10.0.0.0/8/8", "10.0.0.0/08x", "::1", "1.2.3.4/1e1",
		"10.0.0.0/4294967304",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mi_cidr c;

		if (!CHECK(mi_cidr_parse(bad[i], &c, NULL) < 0))
			NOTE("accepted \"%s\"", bad[i]);
	}
}

static void test_addr__addr_parse_and_loopback(void)
{
	struct mi_cidr c;
	char buf[64];

	CHECK_EQ_INT(mi_addr_parse("127.0.0.53", &c), 0);
	CHECK_EQ_INT(c.plen, 32);
	CHECK(mi_cidr_is_loopback(&c));
	CHECK_EQ_INT(mi_addr_parse("::127.0.0.53", &c), 0);
	CHECK_EQ_INT(c.plen, 128);
	CHECK_EQ_STR(mi_addr_format(AF_INET6, c.addr, buf, sizeof(buf)), "::127.0.0.53");
	CHECK(!mi_cidr_is_loopback(&c));
	CHECK_EQ_INT(mi_addr_parse("::1", &c), 0);
	CHECK(mi_cidr_is_loopback(&c));
	CHECK_EQ_INT(mi_cidr_parse("127.1.2.3/32", &c, NULL), 0);
	CHECK(mi_cidr_is_loopback(&c));
	CHECK_EQ_INT(mi_cidr_parse("128.0.0.0/8", &c, NULL), 0);
	CHECK(!mi_cidr_is_loopback(&c));
	CHECK(mi_addr_parse("10.0.0.0/8", &c) < 0);
	CHECK(mi_addr_parse("", &c) < 0);
	CHECK(mi_addr_parse("fe80::1%eth0", &c) < 0);
}

static void test_addr__range_parse(void)
{
	static const struct {
		const char *in;
		int ret;
		uint32_t lo, hi;
	} cases[] = {
		{ "80", 0, 80, 80 },
		{ "8000-9000", 0, 8000, 9000 },
		{ "8000:9000", 0, 8000, 9000 },
		{ "5-5", 0, 5, 5 },
		{ "1", 0, 1, 1 },
		{ "65535", 0, 65535, 65535 },
		{ "9000-8000", -EDOM, 0, 0 },
		{ "0", -1, 0, 0 },
		{ "65536", -1, 0, 0 },
		{ "", -1, 0, 0 },
		{ "-", -1, 0, 0 },
		{ "80-", -1, 0, 0 },
		{ "-80", -1, 0, 0 },
		{ "80-90-100", -1, 0, 0 },
		{ "8a", -1, 0, 0 },
		{ " 80", -1, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mi_range r = { 0, 0 };
		int ret = mi_range_parse(cases[i].in, strlen(cases[i].in), 1,
					 65535, &r);

		if (cases[i].ret == 0) {
			if (!CHECK_EQ_INT(ret, 0))
				NOTE("input \"%s\"", cases[i].in);
			CHECK_EQ_INT(r.lo, cases[i].lo);
			CHECK_EQ_INT(r.hi, cases[i].hi);
		} else if (cases[i].ret == -EDOM) {
			CHECK_EQ_INT(ret, -EDOM);
		} else if (!CHECK(ret < 0 && ret != -EDOM)) {
			NOTE("input \"%s\" gave %d", cases[i].in, ret);
		}
	}
	/* @len bounds the input: "80,90" parsed as its first two bytes */
	{
		struct mi_range r;

		CHECK_EQ_INT(mi_range_parse("80,90", 2, 1, 65535, &r), 0);
		CHECK_EQ_INT(r.lo, 80);
		CHECK_EQ_INT(r.hi, 80);
		/* ids: 0 is allowed when min is 0 */
		CHECK_EQ_INT(mi_range_parse("0-10", 4, 0, UINT32_MAX - 1, &r), 0);
		CHECK_EQ_INT(r.hi, 10);
	}
}

static void ranges_of(struct mi_ranges *l, const uint32_t (*in)[2], size_t n)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < n; i++)
		mi_ranges_add(l, in[i][0], in[i][1]);
}

static void test_addr__ranges_normalize(void)
{
	static const uint32_t in[][2] = {
		{ 90, 95 }, { 10, 20 }, { 21, 30 }, /* adjacent: merged */
		{ 15, 16 },			   /* inside: merged */
		{ 50, 60 }, { 55, 70 },		   /* overlap: merged */
		{ 100, 100 }, { 100, 100 },	   /* duplicate */
		{ 102, 102 },			   /* gap of one: kept */
	};
	static const uint32_t want[][2] = {
		{ 10, 30 }, { 50, 70 }, { 90, 95 }, { 100, 100 }, { 102, 102 },
	};
	struct mi_ranges l, l2;

	ranges_of(&l, in, ARRAY_SIZE(in));
	mi_ranges_normalize(&l);
	if (CHECK_EQ_INT(l.n, ARRAY_SIZE(want)))
		for (size_t i = 0; i < l.n; i++) {
			CHECK_EQ_INT(l.v[i].lo, want[i][0]);
			CHECK_EQ_INT(l.v[i].hi, want[i][1]);
		}
	/* idempotent, and the same set in another order gives the same */
	mi_ranges_normalize(&l);
	CHECK_EQ_INT(l.n, ARRAY_SIZE(want));
	{
		uint32_t rev[ARRAY_SIZE(in)][2];

		for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
			rev[i][0] = in[ARRAY_SIZE(in) - 1 - i][0];
			rev[i][1] = in[ARRAY_SIZE(in) - 1 - i][1];
		}
		ranges_of(&l2, (const uint32_t(*)[2])rev, ARRAY_SIZE(in));
		mi_ranges_normalize(&l2);
		CHECK_EQ_INT(l2.n, l.n);
		CHECK(!memcmp(l2.v, l.v, l.n * sizeof(*l.v)));
		mi_ranges_release(&l2);
	}
	mi_ranges_release(&l);

	/* the top of the id space does not wrap */
	{
		static const uint32_t top[][2] = { { UINT32_MAX - 1, UINT32_MAX },
						   { 0, 0 },
						   { UINT32_MAX, UINT32_MAX } };

		ranges_of(&l, top, ARRAY_SIZE(top));
		mi_ranges_normalize(&l);
		CHECK_EQ_INT(l.n, 2);
		CHECK_EQ_INT(l.v[0].hi, 0);
		CHECK_EQ_INT(l.v[1].lo, UINT32_MAX - 1);
		mi_ranges_release(&l);
	}
	/* empty and single lists are fine */
	memset(&l, 0, sizeof(l));
	mi_ranges_normalize(&l);
	CHECK_EQ_INT(l.n, 0);
}

static size_t to_ranges(const char *const *cidrs, int family,
			uint8_t (**out)[2][16])
{
	struct mi_cidrs l = { 0 };
	size_t n;

	for (; *cidrs; cidrs++) {
		struct mi_cidr c;

		if (!CHECK_EQ_INT(mi_cidr_parse(*cidrs, &c, NULL), 0))
			NOTE("%s", *cidrs);
		else
			mi_cidrs_add(&l, &c);
	}
	n = mi_cidrs_to_ranges(&l, family, out);
	mi_cidrs_release(&l);
	return n;
}

static void range_str(int family, const uint8_t (*r)[16], char *buf, size_t len)
{
	char a[64], b[64];

	inet_ntop(family, r[0], a, sizeof(a));
	inet_ntop(family, r[1], b, sizeof(b));
	snprintf(buf, len, "%s-%s", a, b);
}

static void test_addr__cidrs_to_ranges(void)
{
	static const char *const in[] = {
		"10.0.0.0/8", "10.1.0.0/16",	/* contained */
		"11.0.0.0/8",			/* adjacent to 10/8 */
		"192.168.0.0/24", "192.168.2.0/24", /* gap */
		"2001:db8::/32",		/* other family: left out */
		"255.255.255.255/32", "255.255.255.254/32", /* top, no wrap */
		NULL,
	};
	static const char *const want[] = {
		"10.0.0.0-11.255.255.255", "192.168.0.0-192.168.0.255",
		"192.168.2.0-192.168.2.255", "255.255.255.254-255.255.255.255",
	};
	uint8_t(*r)[2][16] = NULL;
	char buf[160];
	size_t n = to_ranges(in, AF_INET, &r);

	if (CHECK_EQ_INT(n, ARRAY_SIZE(want)))
		for (size_t i = 0; i < n; i++) {
			range_str(AF_INET, r[i], buf, sizeof(buf));
			CHECK_EQ_STR(buf, want[i]);
		}
	free(r);

	n = to_ranges(in, AF_INET6, &r);
	if (CHECK_EQ_INT(n, 1)) {
		range_str(AF_INET6, r[0], buf, sizeof(buf));
		CHECK_EQ_STR(buf, "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	}
	free(r);

	/* two halves make the whole; everything merges into ::/0 */
	{
		static const char *const halves[] = { "::/1", "8000::/1", "::1/128", NULL };

		n = to_ranges(halves, AF_INET6, &r);
		if (CHECK_EQ_INT(n, 1)) {
			range_str(AF_INET6, r[0], buf, sizeof(buf));
			CHECK_EQ_STR(buf, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
		}
		free(r);
	}
	/* no prefix of the family: zero ranges */
	{
		static const char *const none[] = { NULL };

		n = to_ranges(none, AF_INET, &r);
		CHECK_EQ_INT(n, 0);
		free(r);
	}
}

static void test_addr__ifname_valid(void)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{ "eth0", true },	      { "not-istio-nic", true },
		{ "a", true },		      { "123456789012345", true },
		{ "1234567890123456", false }, { "", false },
		{ "a/b", false },	      { "a b", false },
		{ "a:b", false },	      { "a\tb", false },
		{ ".", false },		      { "..", false },
		{ "a\"b", false },	      { "a\\b", false },
		{ "eth0.100", true },	      { "veth@x", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (!CHECK_EQ_INT(mi_ifname_valid(cases[i].name), cases[i].ok))
			NOTE("name \"%s\"", cases[i].name);
}

int main(void)
{
	RUN(test_addr__cidr_parse_valid);
	RUN(test_addr__cidr_parse_invalid);
	RUN(test_addr__addr_parse_and_loopback);
	RUN(test_addr__range_parse);
	RUN(test_addr__ranges_normalize);
	RUN(test_addr__cidrs_to_ranges);
	RUN(test_addr__ifname_valid);
	TEST_MAIN_END();
}
