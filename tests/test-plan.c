/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of mi_plan_build(): plans built from configurations parsed
 * with mi_cli_parse(), with the detection results (IPv6, DNS servers)
 * set by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "detect.h"
#include "harness.h"
#include "plan.h"
#include "print.h"
#include "util.h"

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV ((const char *const[]){ NULL })
#define MAX_ARGS 32

/*
 * Parse @args/@env, then do what mi_detect() would: IPv6 from @ipv6, DNS
 * servers from the resolv.conf text @resolv. Returns false (reported) on
 * a parse error.
 */
static bool build_env(const char *const *args, const char *const *env,
		      bool ipv6, const char *resolv, struct mi_plan *p)
{
	char *argv[MAX_ARGS + 2];
	struct mi_cli cli;
	struct mi_err err = { 0 };
	int argc = 0, ret;

	argv[argc++] = (char *)"meshinit";
	for (; *args && argc <= MAX_ARGS; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ret = mi_cli_parse(argc, argv, (char *const *)env, &cli, &err);
	if (!CHECK_EQ_INT(ret, 0)) {
		NOTE("parse error: %s", err.msg);
		mi_config_release(&cli.cfg);
		memset(p, 0, sizeof(*p));
		return false;
	}
	cli.cfg.ipv6 = ipv6;
	if (resolv)
		mi_resolv_parse(resolv, &cli.cfg.dns_servers);
	cli.cfg.dns = cli.cfg.redirect_dns &&
		      (cli.cfg.capture_all_dns || cli.cfg.dns_servers.n);
	mi_plan_build(&cli.cfg, p);
	mi_config_release(&cli.cfg);
	return true;
}

static bool build(const char *const *args, bool ipv6, const char *resolv,
		  struct mi_plan *p)
{
	return build_env(args, NOENV, ipv6, resolv, p);
}

/* Text of rule @i of chain @c as nft would read it; "" when absent. */
static const char *rule_text(const struct mi_plan *p, enum mi_chain_id c,
			     size_t i)
{
	static char buf[1024];
	FILE *f;

	buf[0] = '\0';
	if (i >= p->chains[c].n)
		return buf;
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	if (!f)
		return buf;
	mi_print_rule(&p->chains[c].v[i], f);
	fclose(f);
	return buf;
}

/* Whole chain, one rule a line. */
static char *chain_text(const struct mi_plan *p, enum mi_chain_id c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; f && i < p->chains[c].n; i++) {
		mi_print_rule(&p->chains[c].v[i], f);
		fputc('\n', f);
	}
	if (f)
		fclose(f);
	return buf;
}

static size_t count_rules_with(const struct mi_plan *p, const char *needle)
{
	size_t n = 0;

	for (int c = 0; c < MI_C__COUNT; c++)
		for (size_t i = 0; i < p->chains[c].n; i++)
			if (strstr(rule_text(p, c, i), needle))
				n++;
	return n;
}

/* Check that chain @c's rules contain @want[i] in order, and no more. */
static void check_chain(const struct mi_plan *p, enum mi_chain_id c,
			const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++)
		if (!CHECK_CONTAINS(rule_text(p, c, n), want[n]))
			NOTE("chain %s rule %zu", mi_chain_info(c)->name, n);
	if (!CHECK_EQ_INT(p->chains[c].n, n)) {
		char *t = chain_text(p, c);

		NOTE("chain %s is:\n%s", mi_chain_info(c)->name, t);
		free(t);
	}
}

static void check_chains_exactly(const struct mi_plan *p,
				 const enum mi_chain_id *want, size_t n)
{
	for (int c = 0; c < MI_C__COUNT; c++) {
		bool expected = false;

		for (size_t k = 0; k < n; k++)
			expected |= want[k] == (enum mi_chain_id)c;
		if (!CHECK_EQ_INT(mi_plan_has_chain(p, c), expected))
			NOTE("chain %s", mi_chain_info(c)->name);
	}
}

static void check_sets_exactly(const struct mi_plan *p,
			       const enum mi_set_id *want, size_t n)
{
	for (int s = 0; s < MI_SET__COUNT; s++) {
		bool expected = false;

		for (size_t k = 0; k < n; k++)
			expected |= want[k] == (enum mi_set_id)s;
		if (!CHECK_EQ_INT(mi_plan_has_set(p, s), expected))
			NOTE("set %s", mi_set_info(s)->name);
	}
}

#define ISTIO_DEFAULT "istio-iptables", "-p", "15001", "-z", "15006", "-u", \
	"1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d",     \
	"15090,15021,15020", "--log_output_level=default:info"

static void test_plan__catalogue(void)
{
	static const struct {
		enum mi_chain_id id;
		const char *name, *type;
		int hook, prio;
	} base[] = {
		{ MI_C_NAT_PREROUTING, "nat-prerouting", "nat", MI_HOOK_PREROUTING, -100 },
		{ MI_C_NAT_OUTPUT, "nat-output", "nat", MI_HOOK_OUTPUT, -100 },
		{ MI_C_MANGLE_PREROUTING, "mangle-prerouting", "filter", MI_HOOK_PREROUTING, -150 },
		{ MI_C_MANGLE_OUTPUT, "mangle-output", "route", MI_HOOK_OUTPUT, -150 },
		{ MI_C_RAW_PREROUTING, "raw-prerouting", "filter", MI_HOOK_PREROUTING, -300 },
		{ MI_C_RAW_OUTPUT, "raw-output", "filter", MI_HOOK_OUTPUT, -300 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(base); i++) {
		const struct mi_chain_info *ci = mi_chain_info(base[i].id);

		CHECK_EQ_STR(ci->name, base[i].name);
		CHECK_EQ_STR(ci->type, base[i].type);
		CHECK_EQ_INT(ci->hook, base[i].hook);
		CHECK_EQ_INT(ci->prio, base[i].prio);
	}
	for (int c = MI_C_INBOUND; c < MI_C__COUNT; c++)
		CHECK(mi_chain_info(c)->type == NULL);
	/* names are unique */
	for (int a = 0; a < MI_C__COUNT; a++)
		for (int b = a + 1; b < MI_C__COUNT; b++)
			CHECK(strcmp(mi_chain_info(a)->name, mi_chain_info(b)->name));
	for (int a = 0; a < MI_SET__COUNT; a++)
		for (int b = a + 1; b < MI_SET__COUNT; b++)
			CHECK(strcmp(mi_set_info(a)->name, mi_set_info(b)->name));
	CHECK(!mi_set_info(MI_SET_PROXY_UIDS)->interval);
	CHECK(mi_set_info(MI_SET_EXCLUDE_CIDRS4)->interval);
}

static void test_plan__istio_default_injection(void)
{
	static const enum mi_chain_id chains[] = {
		MI_C_NAT_PREROUTING, MI_C_NAT_OUTPUT, MI_C_INBOUND,
		MI_C_REDIRECT, MI_C_IN_REDIRECT, MI_C_OUTPUT,
	};
	static const enum mi_set_id sets[] = {
		MI_SET_PROXY_UIDS, MI_SET_PROXY_GIDS, MI_SET_INBOUND_EXCLUDE_PORTS,
	};
	struct mi_plan p;
	struct mi_plan_stats st;

	if (!build(A(ISTIO_DEFAULT), false, NULL, &p))
		return;
	check_chains_exactly(&p, chains, ARRAY_SIZE(chains));
	check_sets_exactly(&p, sets, ARRAY_SIZE(sets));
	check_chain(&p, MI_C_NAT_PREROUTING,
		    A("meta l4proto tcp counter jump istio-inbound"));
	check_chain(&p, MI_C_NAT_OUTPUT, A("counter jump istio-output"));
	check_chain(&p, MI_C_INBOUND,
		    A("tcp dport 15008 counter return",
		      "tcp dport @inbound-exclude-ports counter return",
		      "meta l4proto tcp counter jump istio-in-redirect"));
	check_chain(&p, MI_C_REDIRECT, A("meta l4proto tcp counter redirect to :15001"));
	check_chain(&p, MI_C_IN_REDIRECT, A("meta l4proto tcp counter redirect to :15006"));
	check_chain(&p, MI_C_OUTPUT,
		    A("oifname \"lo\" ip saddr 127.0.0.6 counter return",
		      "oifname \"lo\" ip daddr != 127.0.0.1 tcp dport != "
		      "15008 meta skuid 1337 counter jump "
		      "istio-in-redirect",
		      "oifname \"lo\" meta skuid != 1337 counter return",
		      "meta skuid @proxy-uids counter return",
		      "meta skgid @proxy-gids counter return",
		      "ip daddr 127.0.0.1 counter return",
		      "counter jump istio-redirect"));
	/* 15020,15021 merge into one interval element */
	CHECK_EQ_INT(p.sets[MI_SET_INBOUND_EXCLUDE_PORTS].n, 2);
	CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].n, 1);
	CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].v[0].r.lo, 1337);
	mi_plan_stats(&p, &st);
	CHECK_EQ_INT(st.chains, 6);
	CHECK_EQ_INT(st.rules, 14);
	CHECK_EQ_INT(st.sets, 3);
	CHECK_EQ_INT(st.elements, 4);
	/* every rule says which config item it serves */
	for (int c = 0; c < MI_C__COUNT; c++)
		for (size_t i = 0; i < p.chains[c].n; i++)
			CHECK(p.chains[c].v[i].why && *p.chains[c].v[i].why);
	mi_plan_release(&p);

	/* with IPv6: the ::6 passthrough, the v6 self rule, ::1 */
	if (!build(A(ISTIO_DEFAULT), true, NULL, &p))
		return;
	check_chain(&p, MI_C_OUTPUT,
		    A("oifname \"lo\" ip saddr 127.0.0.6 counter return",
		      "oifname \"lo\" ip6 saddr ::6 counter return",
		      "ip daddr != 127.0.0.1 tcp dport != 15008 meta skuid "
		      "1337 counter jump istio-in-redirect",
		      "ip6 daddr != ::1 tcp dport != 15008 meta skuid 1337 "
		      "counter jump istio-in-redirect",
		      "oifname \"lo\" meta skuid != 1337 counter return",
		      "meta skuid @proxy-uids counter return",
		      "meta skgid @proxy-gids counter return",
		      "ip daddr 127.0.0.1 counter return",
		      "ip6 daddr ::1 counter return",
		      "counter jump istio-redirect"));
	mi_plan_release(&p);
}

static void test_plan__first_uid_semantics(void)
{
	struct mi_plan p;

	if (!build(A("-u", "3,4", "-g", "1,2", "--redirect-dns"), false,
		   "nameserver 127.0.0.53\n", &p))
		return;
	check_chain(&p, MI_C_OUTPUT,
		    A("oifname \"lo\" ip saddr 127.0.0.6 counter return",
		      /* only the first uid has the self and localhost rules */
		      "oifname \"lo\" ip daddr != 127.0.0.1 tcp dport != "
		      "15008 tcp dport != 53 meta skuid 3 counter "
		      "jump istio-in-redirect",
		      "oifname \"lo\" tcp dport != 53 meta skuid != 3 counter "
		      "return",
		      "meta skuid @proxy-uids counter return",
		      /* with DNS the gid self rule is live for lo TCP/53 */
		      "oifname \"lo\" ip daddr != 127.0.0.1 tcp dport != "
		      "15008 meta skgid @proxy-gids counter jump "
		      "istio-in-redirect",
		      "meta skgid @proxy-gids counter return",
		      "counter jump istio-output-dns",
		      "ip daddr 127.0.0.1 counter return"));
	CHECK_EQ_INT(count_rules_with(&p, "skuid 4"), 0);
	CHECK_EQ_INT(count_rules_with(&p, "skuid != 4"), 0);
	/* adjacent uids stay two elements of a hash set */
	CHECK(!mi_set_info(MI_SET_PROXY_UIDS)->interval);
	if (CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].n, 2)) {
		CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].v[0].r.lo, 3);
		CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].v[0].r.hi, 3);
		CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].v[1].r.lo, 4);
		CHECK_EQ_INT(p.sets[MI_SET_PROXY_UIDS].v[1].r.hi, 4);
	}
	CHECK_EQ_INT(p.sets[MI_SET_PROXY_GIDS].n, 2);
	mi_plan_release(&p);

	/* the first uid is the first given, not the smallest */
	if (!build(A("-u", "4,3", "-g", "1,2"), false, NULL, &p))
		return;
	CHECK_EQ_INT(count_rules_with(&p, "meta skuid != 4 counter return"), 1);
	CHECK_EQ_INT(count_rules_with(&p, "skuid 3"), 0);
	/* without DNS the gid self rule is dead and left out */
	CHECK_EQ_INT(count_rules_with(&p, "skgid @proxy-gids counter jump"), 0);
	mi_plan_release(&p);
}

static void test_plan__loopback_include(void)
{
	struct mi_plan p;

	if (!build(A("-i", "127.1.2.3/32", "--redirect-dns", "-u", "3,4", "-g", "1,2"),
		   false, "nameserver 127.0.0.53\n", &p))
		return;
	/* no app-to-localhost returns at all: every (a) rule over the set */
	CHECK_EQ_INT(count_rules_with(&p, "skuid !="), 0);
	CHECK_EQ_INT(count_rules_with(&p, "skgid !="), 0);
	check_chain(&p, MI_C_OUTPUT,
		    A("oifname \"lo\" ip saddr 127.0.0.6 counter return",
		      "tcp dport != 15008 tcp dport != 53 meta skuid @proxy-uids counter jump istio-in-redirect",
		      "meta skuid @proxy-uids counter return",
		      "tcp dport != 15008 meta skgid @proxy-gids counter jump istio-in-redirect",
		      "meta skgid @proxy-gids counter return",
		      "counter jump istio-output-dns",
		      "ip daddr 127.0.0.1 counter return",
		      "ip daddr @include-cidrs4 counter jump istio-redirect"));
	CHECK(mi_plan_has_set(&p, MI_SET_INCLUDE_CIDRS4));
	CHECK(!mi_plan_has_set(&p, MI_SET_INCLUDE_CIDRS6));
	mi_plan_release(&p);
}

static void test_plan__tproxy_mangle_chains(void)
{
	static const enum mi_chain_id chains[] = {
		MI_C_NAT_OUTPUT, MI_C_REDIRECT, MI_C_IN_REDIRECT, MI_C_OUTPUT,
		MI_C_MANGLE_PREROUTING, MI_C_MANGLE_OUTPUT, MI_C_DIVERT,
		MI_C_TPROXY, MI_C_MANGLE_INBOUND,
	};
	struct mi_plan p;

	if (!build(A("-m", "TPROXY", "-b", "80,443", "-t", "1337"), true, NULL, &p))
		return;
	check_chains_exactly(&p, chains, ARRAY_SIZE(chains));
	check_chain(&p, MI_C_MANGLE_PREROUTING,
		    A("meta l4proto tcp counter jump istio-mangle-inbound",
		      "meta l4proto tcp meta mark 0x00000539 counter ct mark "
		      "set meta mark"));
	check_chain(&p, MI_C_MANGLE_INBOUND,
		    A("meta l4proto tcp meta mark 0x00000539 counter return",
		      "iifname \"lo\" meta l4proto tcp ip saddr 127.0.0.6 "
		      "counter return",
		      "iifname \"lo\" meta l4proto tcp ip6 saddr ::6 counter "
		      "return",
		      "iifname \"lo\" meta l4proto tcp meta mark != "
		      "0x0000053a counter return",
		      "ct state established,related tcp dport @inbound-ports counter jump istio-divert",
		      "tcp dport @inbound-ports counter jump istio-tproxy"));
	check_chain(&p, MI_C_DIVERT, A("counter meta mark set 0x00000539 "
		"accept"));
	check_chain(&p, MI_C_TPROXY,
		    A("meta l4proto tcp ip daddr != 127.0.0.1 counter tproxy "
		    "ip to :15006 meta mark set 0x00000539 accept",
		      "meta l4proto tcp ip6 daddr != ::1 counter tproxy ip6 "
		      "to :15006 meta mark set 0x00000539 accept"));
	check_chain(&p, MI_C_MANGLE_OUTPUT,
		    A("oifname \"lo\" meta l4proto tcp meta mark 0x00000539 "
		    "counter return",
		      "ip daddr != 127.0.0.1 meta skuid @proxy-uids counter "
		      "meta mark set 0x0000053a",
		      "ip6 daddr != ::1 meta skuid @proxy-uids counter meta "
		      "mark set 0x0000053a",
		      "ip daddr != 127.0.0.1 meta skgid @proxy-gids counter "
		      "meta mark set 0x0000053a",
		      "ip6 daddr != ::1 meta skgid @proxy-gids counter meta "
		      "mark set 0x0000053a",
		      "meta l4proto tcp ct mark 0x00000539 counter meta mark "
		      "set ct mark"));
	/* TPROXY never uses the nat inbound chain */
	CHECK(!mi_plan_has_chain(&p, MI_C_INBOUND));
	CHECK(!mi_plan_has_chain(&p, MI_C_NAT_PREROUTING));
	mi_plan_release(&p);

	/* -b '*' with -d, another mark, IPv6 off */
	if (!build(A("-m", "TPROXY", "-b", "*", "-d", "15020", "-t", "7"), false, NULL, &p))
		return;
	check_chain(&p, MI_C_MANGLE_INBOUND,
		    A("meta mark 0x00000007 counter return",
		      "ip saddr 127.0.0.6 counter return",
		      "meta mark != 0x0000053a counter return",
		      "tcp dport @inbound-exclude-ports counter return",
		      "meta l4proto tcp ct state established,related counter jump istio-divert",
		      "meta l4proto tcp counter jump istio-tproxy"));
	CHECK_EQ_INT(p.chains[MI_C_TPROXY].n, 1);
	CHECK_EQ_INT(count_rules_with(&p, "ip6"), 0);
	mi_plan_release(&p);

	/* -b "": only the mark rules, whatever -b is */
	if (!build(A("-m", "TPROXY", "-b", ""), false, NULL, &p))
		return;
	CHECK(mi_plan_has_chain(&p, MI_C_MANGLE_PREROUTING));
	CHECK(mi_plan_has_chain(&p, MI_C_MANGLE_OUTPUT));
	CHECK(!mi_plan_has_chain(&p, MI_C_MANGLE_INBOUND));
	CHECK(!mi_plan_has_chain(&p, MI_C_DIVERT));
	CHECK(!mi_plan_has_chain(&p, MI_C_TPROXY));
	check_chain(&p, MI_C_MANGLE_PREROUTING,
		    A("meta l4proto tcp meta mark 0x00000539 counter ct mark "
		    "set meta mark"));
	mi_plan_release(&p);

	/* -c in TPROXY mode also returns in mangle */
	if (!build(A("-m", "TPROXY", "-b", "*", "-c", "eth9"), false, NULL, &p))
		return;
	CHECK_CONTAINS(rule_text(&p, MI_C_MANGLE_PREROUTING, 0), "iifname @exclude-ifaces counter return");
	CHECK_CONTAINS(rule_text(&p, MI_C_MANGLE_OUTPUT, 0), "oifname @exclude-ifaces counter return");
	mi_plan_release(&p);
}

static const char dns_servers[] =
	"nameserver 127.0.0.53\nnameserver ::127.0.0.53\n";

static void test_plan__dns_raw_zones(void)
{
	struct mi_plan p;

	if (!build(A("--redirect-dns", "-u", "3", "-g", "1"), true, dns_servers, &p))
		return;
	check_chain(&p, MI_C_OUTPUT_DNS,
		    A("ip daddr @dns-servers4 tcp dport 53 counter redirect to :15053",
		      "ip6 daddr @dns-servers6 tcp dport 53 counter redirect to :15053",
		      "ip daddr @dns-servers4 udp dport 53 counter redirect to :15053",
		      "ip6 daddr @dns-servers6 udp dport 53 counter redirect to :15053"));
	check_chain(&p, MI_C_RAW_OUTPUT, A("counter jump istio-raw-output-dns"));
	check_chain(&p, MI_C_RAW_PREROUTING, A("counter jump istio-raw-inbound"));
	check_chain(&p, MI_C_RAW_OUTPUT_DNS,
		    A("udp dport 53 meta skuid @proxy-uids counter ct zone set 1",
		      "udp sport 15053 meta skuid @proxy-uids counter ct zone set 2",
		      "udp dport 53 meta skgid @proxy-gids counter ct zone set 1",
		      "udp sport 15053 meta skgid @proxy-gids counter ct zone set 2",
		      "udp dport 53 ip daddr @dns-servers4 counter ct zone set 2",
		      "udp dport 53 ip6 daddr @dns-servers6 counter ct zone set 2"));
	check_chain(&p, MI_C_RAW_INBOUND,
		    A("udp sport 53 ip saddr @dns-servers4 counter ct zone set 1",
		      "udp sport 53 ip6 saddr @dns-servers6 counter ct zone set 1"));
	CHECK_EQ_INT(p.sets[MI_SET_DNS_SERVERS4].n, 1);
	CHECK_EQ_INT(p.sets[MI_SET_DNS_SERVERS6].n, 1);
	mi_plan_release(&p);

	/* IPv6 off: the v6 server gives no rule and no set */
	if (!build(A("--redirect-dns"), false, dns_servers, &p))
		return;
	CHECK(!mi_plan_has_set(&p, MI_SET_DNS_SERVERS6));
	CHECK_EQ_INT(p.chains[MI_C_OUTPUT_DNS].n, 2);
	CHECK_EQ_INT(p.chains[MI_C_RAW_INBOUND].n, 1);
	CHECK_EQ_INT(count_rules_with(&p, "ip6"), 0);
	mi_plan_release(&p);

	/* only a v6 server and IPv6 off: DNS is on, but no server rule */
	if (!build(A("--redirect-dns"), false, "nameserver ::127.0.0.53\n", &p))
		return;
	CHECK(mi_plan_has_chain(&p, MI_C_RAW_OUTPUT_DNS));
	CHECK_EQ_INT(p.chains[MI_C_OUTPUT_DNS].n, 0);
	CHECK(!mi_plan_has_chain(&p, MI_C_RAW_INBOUND));
	mi_plan_release(&p);

	/* capture-all: any destination, no server sets */
	if (!build(A("--redirect-dns", "--capture-all-dns"), true, NULL, &p))
		return;
	check_chain(&p, MI_C_OUTPUT_DNS,
		    A("tcp dport 53 counter redirect to :15053",
		      "udp dport 53 counter redirect to :15053"));
	CHECK_EQ_INT(p.chains[MI_C_RAW_OUTPUT_DNS].n, 5);
	CHECK_CONTAINS(rule_text(&p, MI_C_RAW_OUTPUT_DNS, 4), "udp dport 53 counter ct zone set 2");
	check_chain(&p, MI_C_RAW_INBOUND, A("udp sport 53 counter ct zone set 1"));
	CHECK(!mi_plan_has_set(&p, MI_SET_DNS_SERVERS4));
	mi_plan_release(&p);

	/* --redirect-dns and no servers: DNS capture is off */
	if (!build(A("--redirect-dns"), true, "search x\n", &p))
		return;
	CHECK(!mi_plan_has_chain(&p, MI_C_OUTPUT_DNS));
	CHECK(!mi_plan_has_chain(&p, MI_C_RAW_OUTPUT));
	CHECK(!mi_plan_has_chain(&p, MI_C_RAW_PREROUTING));
	CHECK_EQ_INT(count_rules_with(&p, "dport != 53"), 0);
	mi_plan_release(&p);
}

enum many_kind { MANY_V4, MANY_V6, MANY_NUM };

/* A comma list of @n distinct items that do not merge into ranges. */
static char *many(enum many_kind kind, int n)
{
	char *s = malloc((size_t)n * 24 + 1), *q = s;

	*q = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			*q++ = ',';
		if (kind == MANY_V4) /* /24s with gaps between them */
			q += sprintf(q, "10.%d.%d.0/24", i / 100, (i % 100) * 2);
		else if (kind == MANY_V6)
			q += sprintf(q, "2001:db8:%x:%x::/64", i / 100, (i % 100) * 2);
		else
			q += sprintf(q, "%d", 1000 + 2 * i);
	}
	return s;
}

static void test_plan__set_size_does_not_grow_rules(void)
{
	struct mi_plan p1, pn;
	struct mi_plan_stats s1, sn;
	char *x = many(MANY_V4, 1000);
	char *x6 = many(MANY_V6, 1000);
	char *ports = many(MANY_NUM, 1000);
	char *uids = many(MANY_NUM, 1000);

	if (build(A("-i", "*", "-x", "10.0.0.0/24", "-b", "80",
		    "-o", "1000", "-q", "1000", "-u", "1000"),
		  true, NULL, &p1) &&
	    build(A("-i", "*", "-x", x, "-b", ports, "-o", ports,
		    "-q", ports, "-u", uids),
		  true, NULL, &pn)) {
		mi_plan_stats(&p1, &s1);
		mi_plan_stats(&pn, &sn);
		CHECK_EQ_INT(sn.rules, s1.rules);
		CHECK_EQ_INT(sn.chains, s1.chains);
		CHECK_EQ_INT(sn.sets, s1.sets);
		CHECK_EQ_INT(pn.sets[MI_SET_EXCLUDE_CIDRS4].n, 1000);
		CHECK_EQ_INT(pn.sets[MI_SET_INBOUND_PORTS].n, 1000);
		CHECK_EQ_INT(pn.sets[MI_SET_PROXY_UIDS].n, 1000);
		CHECK(sn.elements > s1.elements + 4000);
		mi_plan_release(&pn);
	}
	mi_plan_release(&p1);

	/* the same for v6 prefixes */
	{
		if (build(A("-i", "*", "-x", "2001:db8::/64"), true, NULL, &p1) &&
		    build(A("-i", "*", "-x", x6), true, NULL, &pn)) {
			mi_plan_stats(&p1, &s1);
			mi_plan_stats(&pn, &sn);
			CHECK_EQ_INT(sn.rules, s1.rules);
			CHECK_EQ_INT(pn.sets[MI_SET_EXCLUDE_CIDRS6].n, 1000);
			mi_plan_release(&pn);
		}
		mi_plan_release(&p1);
	}
	free(x);
	free(x6);
	free(ports);
	free(uids);
}

static void test_plan__outbound_order_and_exclusions(void)
{
	struct mi_plan p;

	if (!build(A("-i", "10.0.0.0/8,2001:db8::/32", "-x", "10.1.0.0/16,10.2.0.0/16",
		     "-o", "53,8080", "-q", "9000-9100",
		     "--exclude-outbound-uids", "500", "--exclude-outbound-gids", "600",
		     "--exclude-outbound-ports-for-uids", "tcp:443:1001;53:1002-1003"),
		   false, NULL, &p))
		return;
	check_chain(&p, MI_C_OUTPUT,
		    A("meta skuid @exclude-uids counter return",
		      "meta skgid @exclude-gids counter return",
		      "meta skuid . tcp dport @exclude-uid-tcp-ports counter return",
		      "meta skuid . udp dport @exclude-uid-udp-ports counter return",
		      "tcp dport @outbound-exclude-ports counter return",
		      "udp dport @outbound-exclude-ports counter return",
		      "oifname \"lo\" ip saddr 127.0.0.6 counter return",
		      "meta skuid 1337 counter jump istio-in-redirect",
		      "oifname \"lo\" meta skuid != 1337 counter return",
		      "meta skuid @proxy-uids counter return",
		      "meta skgid @proxy-gids counter return",
		      "ip daddr 127.0.0.1 counter return",
		      "ip daddr @exclude-cidrs4 counter return",
		      "tcp dport @outbound-ports counter jump istio-redirect",
		      "ip daddr @include-cidrs4 counter jump istio-redirect"));
	/* IPv6 off: v6 CIDRs are left out */
	CHECK(!mi_plan_has_set(&p, MI_SET_INCLUDE_CIDRS6));
	CHECK_EQ_INT(p.sets[MI_SET_EXCLUDE_CIDRS4].n, 1); /* adjacent /16s merge */
	CHECK_EQ_INT(p.sets[MI_SET_EXCLUDE_UID_TCP_PORTS].n, 2);
	CHECK_EQ_INT(p.sets[MI_SET_EXCLUDE_UID_UDP_PORTS].n, 1);
	if (p.sets[MI_SET_EXCLUDE_UID_UDP_PORTS].n) {
		CHECK_EQ_INT(p.sets[MI_SET_EXCLUDE_UID_UDP_PORTS].v[0].up.uid.lo, 1002);
		CHECK_EQ_INT(p.sets[MI_SET_EXCLUDE_UID_UDP_PORTS].v[0].up.uid.hi, 1003);
		CHECK_EQ_INT(p.sets[MI_SET_EXCLUDE_UID_UDP_PORTS].v[0].up.port.lo, 53);
	}
	mi_plan_release(&p);

	/* IPv6 on: the v6 include and its set */
	if (!build(A("-i", "10.0.0.0/8,2001:db8::/32"), true, NULL, &p))
		return;
	CHECK(mi_plan_has_set(&p, MI_SET_INCLUDE_CIDRS6));
	CHECK_CONTAINS(rule_text(&p, MI_C_OUTPUT, p.chains[MI_C_OUTPUT].n - 1),
		       "ip6 daddr @include-cidrs6 counter jump istio-redirect");
	mi_plan_release(&p);

	/* -i "": only -q captures; no catch-all jump */
	if (!build(A("-i", ""), false, NULL, &p))
		return;
	CHECK_EQ_INT(count_rules_with(&p, "jump istio-redirect"), 0);
	mi_plan_release(&p);
}

static void test_plan__owner_groups(void)
{
	struct mi_plan p;

	if (!build_env(A("-u", "1337"), A("ISTIO_OUTBOUND_OWNER_GROUPS=0,202"),
		       false, NULL, &p))
		return;
	CHECK_CONTAINS(rule_text(&p, MI_C_OUTPUT, 5), "meta skgid != @owner-groups counter return");
	CHECK_EQ_INT(p.sets[MI_SET_OWNER_GROUPS].n, 2);
	mi_plan_release(&p);

	if (!build_env(A("-u", "1337"), A("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888,0"),
		       false, NULL, &p))
		return;
	CHECK_CONTAINS(rule_text(&p, MI_C_OUTPUT, 5), "meta skgid @owner-groups counter return");
	mi_plan_release(&p);

	/* set but empty: a bare return, outbound capture is off */
	if (!build_env(A("-u", "1337", "-i", "*"), A("ISTIO_OUTBOUND_OWNER_GROUPS="),
		       false, NULL, &p))
		return;
	CHECK_CONTAINS(rule_text(&p, MI_C_OUTPUT, 5), "ISTIO_OUTBOUND_OWNER_GROUPS");
	CHECK_EQ_INT(p.chains[MI_C_OUTPUT].v[5].nm, 0);
	CHECK_EQ_INT(p.chains[MI_C_OUTPUT].v[5].verdict, MI_VERDICT_RETURN);
	CHECK(!mi_plan_has_set(&p, MI_SET_OWNER_GROUPS));
	mi_plan_release(&p);

	/* default: no owner-group rule */
	if (!build(A("-u", "1337"), false, NULL, &p))
		return;
	CHECK_EQ_INT(count_rules_with(&p, "owner-groups"), 0);
	mi_plan_release(&p);
}

static void test_plan__interfaces_and_drop_invalid(void)
{
	struct mi_plan p;

	if (!build(A("-k", "eth1,eth2", "-i", "*", "-c", "eth9", "-b", "*",
		     "--drop-invalid"),
		   false, NULL, &p))
		return;
	check_chain(&p, MI_C_NAT_PREROUTING,
		    A("iifname @virt-ifaces counter jump istio-redirect",
		      "iifname @virt-ifaces counter return",
		      "iifname @exclude-ifaces counter return",
		      "meta l4proto tcp counter jump istio-inbound"));
	check_chain(&p, MI_C_NAT_OUTPUT,
		    A("oifname @exclude-ifaces counter return",
		      "counter jump istio-output"));
	check_chain(&p, MI_C_MANGLE_PREROUTING,
		    A("meta l4proto tcp ct state invalid counter jump istio-drop"));
	check_chain(&p, MI_C_DROP, A("counter drop"));
	CHECK_EQ_INT(p.sets[MI_SET_VIRT_IFACES].n, 2);
	mi_plan_release(&p);

	/* -k with an -i list: only to the listed CIDRs */
	if (!build(A("-k", "eth0", "-i", "10.0.0.0/8,2001:db8::/32"), true, NULL, &p))
		return;
	check_chain(&p, MI_C_NAT_PREROUTING,
		    A("iifname @virt-ifaces ip daddr @include-cidrs4 counter jump istio-redirect",
		      "iifname @virt-ifaces ip6 daddr @include-cidrs6 counter jump istio-redirect",
		      "iifname @virt-ifaces counter return"));
	mi_plan_release(&p);
}

static void test_plan__deterministic(void)
{
	struct mi_plan a, b;
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *f;

	if (!build(A(ISTIO_DEFAULT, "-x", "10.0.0.0/8,1.0.0.0/8", "-q", "5,4,3"),
		   true, NULL, &a))
		return;
	if (!build(A(ISTIO_DEFAULT, "-x", "1.0.0.0/8,10.0.0.0/8", "-q", "3,4,5"),
		   true, NULL, &b)) {
		mi_plan_release(&a);
		return;
	}
	f = open_memstream(&ta, &la);
	mi_print_plan(&a, f);
	fclose(f);
	f = open_memstream(&tb, &lb);
	mi_print_plan(&b, f);
	fclose(f);
	/* list order does not matter for sets */
	CHECK_EQ_STR(ta, tb);
	free(ta);
	free(tb);
	mi_plan_release(&a);
	mi_plan_release(&b);
}

int main(void)
{
	RUN(test_plan__catalogue);
	RUN(test_plan__istio_default_injection);
	RUN(test_plan__first_uid_semantics);
	RUN(test_plan__loopback_include);
	RUN(test_plan__tproxy_mangle_chains);
	RUN(test_plan__dns_raw_zones);
	RUN(test_plan__set_size_does_not_grow_rules);
	RUN(test_plan__outbound_order_and_exclusions);
	RUN(test_plan__owner_groups);
	RUN(test_plan__interfaces_and_drop_invalid);
	RUN(test_plan__deterministic);
	TEST_MAIN_END();
}
