/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the pure parts of src/detect.c. */
#include <arpa/inet.h>
#include <string.h>

#include "detect.h"
#include "harness.h"
#include "util.h"

static struct mi_ifaddr A(const char *s)
{
	struct mi_ifaddr a;

	memset(&a, 0, sizeof(a));
	a.ifindex = 2;
	if (strchr(s, ':')) {
		a.family = AF_INET6;
		inet_pton(AF_INET6, s, a.addr);
	} else {
		a.family = AF_INET;
		inet_pton(AF_INET, s, a.addr);
	}
	return a;
}

static void test_detect__ipv6_decide(void)
{
	static const struct {
		const char *addrs[5];
		bool dual, want, any;
	} cases[] = {
		/* the kernel dumps v4 before v6: a dual-stack pod is v4 first */
		{ { "10.0.0.5", "fd00::5" }, false, false, true },
		{ { "10.0.0.5", "fd00::5" }, true, true, true },
		{ { "fd00::5" }, false, true, true },
		{ { "fd00::5" }, true, true, true },
		{ { "10.0.0.5" }, false, false, true },
		{ { "10.0.0.5" }, true, false, true },
		/* loopback and link-local are skipped */
		{ { "127.0.0.1", "::1", "fe80::1", "fd00::5" }, false, true, true },
		{ { "127.0.0.1", "::1", "fe80::1" }, true, false, false },
		{ { "ff02::1", "2001:db8::1" }, false, true, true },
		/* IPv4-mapped IPv6 counts as IPv4; a mapped loopback is skipped */
		{ { "::ffff:10.0.0.1", "fd00::5" }, false, false, true },
		{ { "::ffff:127.0.0.1", "fd00::5" }, false, true, true },
		{ { "::ffff:10.0.0.1" }, true, false, true },
		{ { NULL }, false, false, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mi_ifaddr a[5];
		size_t n = 0;
		bool any = !cases[i].any;

		for (; cases[i].addrs[n]; n++)
			a[n] = A(cases[i].addrs[n]);
		if (!CHECK_EQ_INT(mi_ipv6_decide(a, n, cases[i].dual, &any),
				  cases[i].want))
			NOTE("case %zu", i);
		if (!CHECK_EQ_INT(any, cases[i].any))
			NOTE("case %zu", i);
	}
}

static void servers(const char *text, char *buf, size_t len)
{
	struct mi_cidrs l = { 0 };
	size_t off = 0;

	mi_resolv_parse(text, &l);
	buf[0] = '\0';
	for (size_t i = 0; i < l.n && off < len; i++) {
		char c[64];

		mi_cidr_format(&l.v[i], c, sizeof(c));
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", c);
	}
	mi_cidrs_release(&l);
}

static void test_detect__resolv_parse(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "nameserver 10.96.0.10\nsearch default.svc.cluster.local\noptions ndots:5\n",
		  "10.96.0.10/32" },
		/* canonical form for IPv6 */
		{ "nameserver 127.0.0.53\nnameserver ::127.0.0.53\n",
		  "127.0.0.53/32 ::127.0.0.53/128" },
		{ "nameserver fe80::1%eth0\n", "fe80::1/128" },
		{ "# nameserver 1.1.1.1\n; nameserver 2.2.2.2\nnameserver 3.3.3.3\n",
		  "3.3.3.3/32" },
		{ "search x\noptions ndots:5\n", "" },
		{ "", "" },
		{ "nameserver 1.1.1.1\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n",
		  "1.1.1.1/32 8.8.8.8/32" },
		{ "nameserver not-an-ip\nnameserver 9.9.9.9", "9.9.9.9/32" },
		{ "  nameserver   4.4.4.4  \n\tnameserver\t2001:db8::53\n",
		  "4.4.4.4/32 2001:db8::53/128" },
		{ "nameserver\nnameserver 1.2.3.4/32\n", "" },
		{ "nameservers 1.2.3.4\n", "" },
	};
	char buf[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		servers(cases[i].text, buf, sizeof(buf));
		if (!CHECK_EQ_STR(buf, cases[i].want))
			NOTE("case %zu", i);
	}
	/* ::127.0.0.53 is the same address as ::7f00:35: kept once */
	{
		struct mi_cidrs l = { 0 };
		char a[64];

		mi_resolv_parse("nameserver ::127.0.0.53\nnameserver ::7f00:35\n", &l);
		CHECK_EQ_INT(l.n, 1);
		if (l.n) {
			CHECK_EQ_INT(l.v[0].addr[12], 0x7f);
			CHECK_EQ_INT(l.v[0].addr[15], 0x35);
			mi_addr_format(AF_INET6, l.v[0].addr, a, sizeof(a));
			/* glibc prints it in dotted form; nft prints ::7f00:35 */
			CHECK(!strcmp(a, "::127.0.0.53") || !strcmp(a, "::7f00:35"));
		}
		mi_cidrs_release(&l);
	}
}

int main(void)
{
	RUN(test_detect__ipv6_decide);
	RUN(test_detect__resolv_parse);
	TEST_MAIN_END();
}
