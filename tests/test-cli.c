/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of mi_cli_parse(): Istio's flag syntax, env precedence, errors. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "harness.h"
#include "util.h"

#define MAX_ARGS 48

/* NULL-terminated string list literal. */
#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV ((const char *const[]){ NULL })

static int parse(const char *const *args, const char *const *env,
		 struct mi_cli *cli, struct mi_err *err)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	argv[argc++] = (char *)"meshinit";
	for (; args && *args && argc <= MAX_ARGS; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	memset(err, 0, sizeof(*err));
	return mi_cli_parse(argc, argv, (char *const *)env, cli, err);
}

/* Parse and expect success; on failure report the error. */
static bool parse_ok(const char *const *args, const char *const *env,
		     struct mi_cli *cli)
{
	struct mi_err err;
	int ret = parse(args, env, cli, &err);

	if (!CHECK_EQ_INT(ret, 0)) {
		NOTE("unexpected error: %s", err.msg);
		return false;
	}
	return true;
}

static bool has_range(const struct mi_ranges *l, uint32_t lo, uint32_t hi)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].lo == lo && l->v[i].hi == hi)
			return true;
	return false;
}

/* ---- command word and flag syntax ------------------------------------ */

static void test_cli__leading_command_word(void)
{
	static const struct {
		const char *word;
		enum mi_cmd cmd;
	} cases[] = {
		{ "istio-iptables", MI_CMD_INSTALL }, { "install", MI_CMD_INSTALL },
		{ "cleanup", MI_CMD_CLEANUP },	      { "status", MI_CMD_STATUS },
		{ "verify", MI_CMD_VERIFY },
	};
	struct mi_cli cli;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (parse_ok(A(cases[i].word, "-p", "15011"), NOENV, &cli)) {
			CHECK_EQ_INT(cli.cmd, cases[i].cmd);
			CHECK_EQ_INT(cli.cfg.proxy_port, 15011);
		}
		mi_config_release(&cli.cfg);
	}
	/* no word: install; --cleanup-only turns install into cleanup */
	if (parse_ok(A("-p", "1"), NOENV, &cli))
		CHECK_EQ_INT(cli.cmd, MI_CMD_INSTALL);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("istio-iptables", "--cleanup-only"), NOENV, &cli))
		CHECK_EQ_INT(cli.cmd, MI_CMD_CLEANUP);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--help"), NOENV, &cli))
		CHECK_EQ_INT(cli.cmd, MI_CMD_HELP);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("istio-iptables", "--version"), NOENV, &cli))
		CHECK_EQ_INT(cli.cmd, MI_CMD_VERSION);
	mi_config_release(&cli.cfg);
}

static void test_cli__port_flag_forms(void)
{
	static const struct {
		const char *args[4];
	} cases[] = {
		{ { "-p", "15001" } },	 { { "-p15001" } },
		{ { "-p=15001" } },	 { { "--envoy-port=15001" } },
		{ { "--envoy-port", "15001" } },
	};
	struct mi_cli cli;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* start from a different value so the flag must be applied */
		const char *args[8] = { "istio-iptables", "-p", "999" };

		for (int k = 0; cases[i].args[k]; k++)
			args[3 + k] = cases[i].args[k];
		if (parse_ok(args, NOENV, &cli))
			CHECK_EQ_INT(cli.cfg.proxy_port, 15001);
		mi_config_release(&cli.cfg);
	}
	/* defaults */
	if (parse_ok(A("istio-iptables"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.proxy_port, 15001);
		CHECK_EQ_INT(cli.cfg.inbound_port, 15006);
		CHECK_EQ_INT(cli.cfg.tunnel_port, 15008);
		CHECK_EQ_INT(cli.cfg.probe_port, 15002);
		CHECK_EQ_INT(cli.cfg.tproxy_mark, 1337);
		CHECK_EQ_INT(cli.cfg.route_table, 133);
		CHECK_EQ_INT(cli.cfg.probe_timeout_ms, 5000);
		CHECK(!cli.cfg.tproxy);
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_NONE);
		CHECK_EQ_INT(cli.cfg.outbound, MI_CAPTURE_NONE);
		CHECK(cli.cfg.owner_include_all);
		CHECK_EQ_INT(cli.cfg.ipv6_mode, MI_IPV6_AUTO);
		CHECK_EQ_STR(cli.cfg.resolv_conf, "/etc/resolv.conf");
	}
	mi_config_release(&cli.cfg);
	/* ENVOY_PORT is never read, as in Istio */
	if (parse_ok(A("istio-iptables"), A("ENVOY_PORT=1234"), &cli))
		CHECK_EQ_INT(cli.cfg.proxy_port, 15001);
	mi_config_release(&cli.cfg);
	/* --iptables-probe-port takes Go's 0x/0o/0b prefixes */
	if (parse_ok(A("--iptables-probe-port=0x10"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.probe_port, 16);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--iptables-probe-port", "0b101"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.probe_port, 5);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--probe-timeout=500ms"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.probe_timeout_ms, 500);
	mi_config_release(&cli.cfg);
	/* Go's base prefixes and '_' separators; out of range is an error */
	if (parse_ok(A("--iptables-probe-port=15_002"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.probe_port, 15002);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--iptables-probe-port=0o17"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.probe_port, 15);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--iptables-probe-port=017"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.probe_port, 15);
	mi_config_release(&cli.cfg);
}

static void test_cli__bool_forms(void)
{
	static const struct {
		const char *args[3];
		bool want;
	} cases[] = {
		{ { "--redirect-dns" }, true },
		{ { "--redirect-dns=true" }, true },
		{ { "--redirect-dns=false" }, false },
		{ { "--redirect-dns=1" }, true },
		{ { "--redirect-dns=0" }, false },
		{ { "--redirect-dns=t" }, true },
		{ { "--redirect-dns=f" }, false },
		{ { "--redirect-dns=TRUE" }, true },
		{ { "--redirect-dns=FALSE" }, false },
		{ { "--redirect-dns=True" }, true },
		{ { NULL }, false },
	};
	struct mi_cli cli;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *args[4] = { "istio-iptables", cases[i].args[0],
					cases[i].args[1] };

		if (parse_ok(args, NOENV, &cli) &&
		    !CHECK_EQ_INT(cli.cfg.redirect_dns, cases[i].want))
			NOTE("case %zu: %s %s", i, cases[i].args[0],
			     cases[i].args[1] ? cases[i].args[1] : "");
		mi_config_release(&cli.cfg);
	}
	/* short bool flags */
	if (parse_ok(A("-n"), NOENV, &cli))
		CHECK(cli.cfg.dry_run);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-n=false"), NOENV, &cli))
		CHECK(!cli.cfg.dry_run);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--drop-invalid", "--capture-all-dns", "--dual-stack",
		       "--check", "--skip-rule-apply", "--run-validation",
		       "--log_as_json", "--reconcile", "--force-apply",
		       "--native-nftables", "--cni-mode"),
		     NOENV, &cli)) {
		CHECK(cli.cfg.drop_invalid);
		CHECK(cli.cfg.capture_all_dns);
		CHECK(cli.cfg.dual_stack);
		CHECK(cli.cfg.check_only);
		CHECK(cli.cfg.skip_rule_apply);
		CHECK(cli.cfg.run_validation);
		CHECK(cli.cfg.log_json);
	}
	mi_config_release(&cli.cfg);
}

/* ---- precedence: default < env < alias env < argv --------------------- */

static void test_cli__precedence(void)
{
	static const struct {
		const char *env[3];
		const char *arg;
		bool want;
	} cases[] = {
		{ { NULL }, NULL, false },
		{ { "REDIRECT_DNS=true" }, NULL, true },
		{ { "ISTIO_META_DNS_CAPTURE=true" }, NULL, true },
		{ { "REDIRECT_DNS=false", "ISTIO_META_DNS_CAPTURE=true" }, NULL, true },
		{ { "REDIRECT_DNS=true", "ISTIO_META_DNS_CAPTURE=false" }, NULL, false },
		{ { "ISTIO_META_DNS_CAPTURE=false", "REDIRECT_DNS=true" }, NULL, false },
		{ { "ISTIO_META_DNS_CAPTURE=true" }, "--redirect-dns=false", false },
		{ { "REDIRECT_DNS=false" }, "--redirect-dns", true },
		/*
		 * as Istio (pflag's Set, error dropped): a value it cannot
		 * parse, empty included, sets false, even over an earlier
		 * variable's true
		 */
		{ { "REDIRECT_DNS=true", "ISTIO_META_DNS_CAPTURE=" }, NULL,
			false },
		{ { "REDIRECT_DNS=true", "ISTIO_META_DNS_CAPTURE=yes" }, NULL,
			false },
		{ { "ISTIO_META_DNS_CAPTURE=yes", "REDIRECT_DNS=true" }, NULL,
			false },
		{ { "ISTIO_META_DNS_CAPTURE=yes" }, "--redirect-dns", true },
		{ { "REDIRECT_DNS=" }, NULL, false },
	};
	struct mi_cli cli;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *args[3] = { "istio-iptables", cases[i].arg };

		if (parse_ok(args, cases[i].env, &cli) &&
		    !CHECK_EQ_INT(cli.cfg.redirect_dns, cases[i].want))
			NOTE("case %zu", i);
		mi_config_release(&cli.cfg);
	}

	/* the other two aliases */
	if (parse_ok(A("install"), A("DROP_INVALID=false", "INVALID_DROP=true"),
		&cli))
		CHECK(cli.cfg.drop_invalid);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("INVALID_DROP=false", "DROP_INVALID=true"),
		&cli))
		CHECK(!cli.cfg.drop_invalid);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("DUAL_STACK=false",
		"ISTIO_DUAL_STACK=true"), &cli))
		CHECK(cli.cfg.dual_stack);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--dual-stack=false"), A("ISTIO_DUAL_STACK=true"), &cli))
		CHECK(!cli.cfg.dual_stack);
	mi_config_release(&cli.cfg);

	/* string flags: env over default, argv over env */
	if (parse_ok(A("install"), A("INBOUND_CAPTURE_PORT=16000"), &cli))
		CHECK_EQ_INT(cli.cfg.inbound_port, 16000);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-z", "17000"), A("INBOUND_CAPTURE_PORT=16000"), &cli))
		CHECK_EQ_INT(cli.cfg.inbound_port, 17000);
	mi_config_release(&cli.cfg);
	/* a set but empty string env var sets the flag to "" */
	if (parse_ok(A("install"), A("ISTIO_INBOUND_PORTS="), &cli))
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_NONE);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("ISTIO_INBOUND_PORTS=*",
		"ISTIO_SERVICE_CIDR=*"), &cli)) {
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_ALL);
		CHECK_EQ_INT(cli.cfg.outbound, MI_CAPTURE_ALL);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-b", "80"), A("ISTIO_INBOUND_PORTS=*"), &cli))
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_LIST);
	mi_config_release(&cli.cfg);
	/* the env name is the flag name in upper case */
	if (parse_ok(A("install"), A("ISTIO_INBOUND_INTERCEPTION_MODE=TPROXY",
			       "ISTIO_INBOUND_TPROXY_MARK=7",
			       "ISTIO_INBOUND_TPROXY_ROUTE_TABLE=100"),
		     &cli)) {
		CHECK(cli.cfg.tproxy);
		CHECK_EQ_INT(cli.cfg.tproxy_mark, 7);
		CHECK_EQ_INT(cli.cfg.route_table, 100);
	}
	mi_config_release(&cli.cfg);
	/* registered but never read in Istio */
	if (parse_ok(A("install"), A("INBOUND_INTERCEPTION_MODE=TPROXY",
			       "INBOUND_TPROXY_MARK=7"),
		     &cli)) {
		CHECK(!cli.cfg.tproxy);
		CHECK_EQ_INT(cli.cfg.tproxy_mark, 1337);
	}
	mi_config_release(&cli.cfg);
}

/* ---- identities ------------------------------------------------------- */

static void test_cli__gid_defaults_to_uid_list(void)
{
	struct mi_cli cli;

	if (parse_ok(A("-u", "3,4"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.proxy_uids.n, 2);
		CHECK_EQ_INT(cli.cfg.proxy_gids.n, 2);
		CHECK(has_range(&cli.cfg.proxy_gids, 3, 3));
		CHECK(has_range(&cli.cfg.proxy_gids, 4, 4));
		/* order is kept: the first uid has its own semantics */
		CHECK_EQ_INT(cli.cfg.proxy_uids.v[0].lo, 3);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-u", "4,3", "-g", "1,2"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.proxy_uids.v[0].lo, 4);
		CHECK_EQ_INT(cli.cfg.proxy_gids.n, 2);
		CHECK(has_range(&cli.cfg.proxy_gids, 1, 1));
		CHECK(!has_range(&cli.cfg.proxy_gids, 4, 4));
	}
	mi_config_release(&cli.cfg);
	/* names resolve through NSS: "root" is uid 0 and group 0 */
	if (parse_ok(A("-u", "root"), NOENV, &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 0, 0));
		CHECK(has_range(&cli.cfg.proxy_gids, 0, 0));
	}
	mi_config_release(&cli.cfg);
	/* empty -u: uid of $ENVOY_USER, else 1337 */
	if (parse_ok(A("install"), A("ENVOY_USER=root"), &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 0, 0));
		CHECK(has_range(&cli.cfg.proxy_gids, 0, 0));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("ENVOY_USER=no-such-user-mi"), &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 1337, 1337));
		CHECK(has_range(&cli.cfg.proxy_gids, 1337, 1337));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("PROXY_UID=5", "PROXY_GID=6"), &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 5, 5));
		CHECK(has_range(&cli.cfg.proxy_gids, 6, 6));
	}
	mi_config_release(&cli.cfg);
}

/* ---- inbound and outbound capture lists -------------------------------- */

static void test_cli__inbound_ports(void)
{
	struct mi_cli cli;

	if (parse_ok(A("-b", "*", "-d", "15090,15021,15020"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_ALL);
		CHECK_EQ_INT(cli.cfg.inbound_exclude_ports.n, 3);
		CHECK(has_range(&cli.cfg.inbound_exclude_ports, 15021, 15021));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-b", "", "-d", "15090"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_NONE);
		CHECK_EQ_INT(cli.cfg.inbound_exclude_ports.n, 0);
	}
	mi_config_release(&cli.cfg);
	/* -d is used only with -b '*' */
	if (parse_ok(A("-b", "4000,5000", "-d", "6000,7000,"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_LIST);
		CHECK_EQ_INT(cli.cfg.inbound_ports.n, 2);
		CHECK_EQ_INT(cli.cfg.inbound_exclude_ports.n, 0);
	}
	mi_config_release(&cli.cfg);
	/* ranges a-b and a:b; empty items dropped */
	if (parse_ok(A("-b", ",8000-9000,,80:81,443,"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.inbound_ports.n, 3);
		CHECK(has_range(&cli.cfg.inbound_ports, 8000, 9000));
		CHECK(has_range(&cli.cfg.inbound_ports, 80, 81));
		CHECK(has_range(&cli.cfg.inbound_ports, 443, 443));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-b", "*", "-d", "6000,7000,"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.inbound_exclude_ports.n, 2);
	mi_config_release(&cli.cfg);
	/* only exactly "*" is the wildcard */
	if (parse_ok(A("-m", "TPROXY", "-b", "*"), NOENV, &cli)) {
		CHECK(cli.cfg.tproxy);
		CHECK_EQ_INT(cli.cfg.inbound, MI_CAPTURE_ALL);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-m", "tproxy"), NOENV, &cli))
		CHECK(!cli.cfg.tproxy);
	mi_config_release(&cli.cfg);
}

static void test_cli__outbound_lists(void)
{
	struct mi_cli cli;

	if (parse_ok(A("-i", "*", "-x", ""), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.outbound, MI_CAPTURE_ALL);
		CHECK_EQ_INT(cli.cfg.outbound_exclude.n, 0);
		CHECK(!cli.cfg.include_has_loopback);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-i", "10.0.0.0/8,2001:db8::/32,", "-x", "1.1.0.0/16"),
		     NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.outbound, MI_CAPTURE_LIST);
		CHECK_EQ_INT(cli.cfg.outbound_include.n, 2);
		CHECK_EQ_INT(cli.cfg.outbound_include.v[1].family, AF_INET6);
		CHECK_EQ_INT(cli.cfg.outbound_exclude.n, 1);
		CHECK_EQ_INT(cli.cfg.outbound_exclude.v[0].plen, 16);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-i", "127.1.2.3/32"), NOENV, &cli))
		CHECK(cli.cfg.include_has_loopback);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-i", "::1/128"), NOENV, &cli))
		CHECK(cli.cfg.include_has_loopback);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-q", "32000,31000", "-o", "53,8080-8090"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.outbound_include_ports.n, 2);
		CHECK(has_range(&cli.cfg.outbound_exclude_ports, 8080, 8090));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-c", "eth9,not-istio-nic", "-k", "eth0,eth1"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.exclude_ifaces.n, 2);
		CHECK_EQ_STR(cli.cfg.exclude_ifaces.v[1], "not-istio-nic");
		CHECK_EQ_INT(cli.cfg.virt_ifaces.n, 2);
	}
	mi_config_release(&cli.cfg);
}

/* ---- env-only settings --------------------------------------------------- */

static void test_cli__owner_groups(void)
{
	struct mi_cli cli;
	char big[64 * 6 + 16], *p = big;
	const char *env[2] = { big, NULL };

	if (parse_ok(A("install"), A("ISTIO_OUTBOUND_OWNER_GROUPS=*",
			       "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888,0"),
		     &cli)) {
		CHECK(cli.cfg.owner_include_all);
		CHECK_EQ_INT(cli.cfg.owner_exclude.n, 2);
		CHECK(has_range(&cli.cfg.owner_exclude, 888, 888));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("ISTIO_OUTBOUND_OWNER_GROUPS=root,202",
			       "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888"),
		     &cli)) {
		CHECK(!cli.cfg.owner_include_all);
		CHECK_EQ_INT(cli.cfg.owner_include.n, 2);
		CHECK(has_range(&cli.cfg.owner_include, 0, 0));
		CHECK(has_range(&cli.cfg.owner_include, 202, 202));
		/* the exclude list is used only with include '*' */
		CHECK_EQ_INT(cli.cfg.owner_exclude.n, 0);
	}
	mi_config_release(&cli.cfg);
	/* set but empty: an empty include list, not the default */
	if (parse_ok(A("install"), A("ISTIO_OUTBOUND_OWNER_GROUPS="), &cli)) {
		CHECK(!cli.cfg.owner_include_all);
		CHECK_EQ_INT(cli.cfg.owner_include.n, 0);
	}
	mi_config_release(&cli.cfg);
	/* exactly 64 groups is fine */
	p += sprintf(p, "ISTIO_OUTBOUND_OWNER_GROUPS=");
	for (int i = 0; i < 64; i++)
		p += sprintf(p, "%s%d", i ? "," : "", 1000 + i);
	if (parse_ok(A("install"), env, &cli))
		CHECK_EQ_INT(cli.cfg.owner_include.n, 64);
	mi_config_release(&cli.cfg);
}

static void test_cli__loopback_cidr(void)
{
	struct mi_cli cli;

	if (parse_ok(A("install"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.loopback4.plen, 32);
		CHECK_EQ_INT(cli.cfg.loopback4.addr[3], 1);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"),
		A("ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=127.0.0.1/8"), &cli)) {
		CHECK_EQ_INT(cli.cfg.loopback4.family, AF_INET);
		CHECK_EQ_INT(cli.cfg.loopback4.plen, 8);
		CHECK_EQ_INT(cli.cfg.loopback4.addr[0], 127);
		CHECK_EQ_INT(cli.cfg.loopback4.addr[3], 0);
	}
	mi_config_release(&cli.cfg);
}

static void test_cli__init_container_exclusions(void)
{
	struct mi_cli cli;
	const struct mi_uidports *up = &cli.cfg.exclude_uid_ports;
	int tcp = 0, udp = 0;

	if (parse_ok(A("--exclude-outbound-uids", "1000,2000-2005,root",
		       "--exclude-outbound-gids=3000:3001,root"),
		     NOENV, &cli)) {
		CHECK_EQ_INT(cli.cfg.exclude_uids.n, 3);
		CHECK(has_range(&cli.cfg.exclude_uids, 2000, 2005));
		CHECK(has_range(&cli.cfg.exclude_uids, 0, 0));
		CHECK(has_range(&cli.cfg.exclude_gids, 3000, 3001));
		CHECK(has_range(&cli.cfg.exclude_gids, 0, 0));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("MESHINIT_EXCLUDE_OUTBOUND_UIDS=42"),
		&cli))
		CHECK(has_range(&cli.cfg.exclude_uids, 42, 42));
	mi_config_release(&cli.cfg);

	if (parse_ok(A("--exclude-outbound-ports-for-uids",
		       "tcp:443:1001;53:1002-1003"),
		     NOENV, &cli)) {
		CHECK_EQ_INT(up->n, 3);
		for (size_t i = 0; i < up->n; i++) {
			if (up->v[i].proto == IPPROTO_TCP && up->v[i].port.lo == 443) {
				CHECK_EQ_INT(up->v[i].uid.lo, 1001);
				CHECK_EQ_INT(up->v[i].uid.hi, 1001);
				tcp++;
			} else if (up->v[i].port.lo == 53) {
				CHECK_EQ_INT(up->v[i].uid.lo, 1002);
				CHECK_EQ_INT(up->v[i].uid.hi, 1003);
				if (up->v[i].proto == IPPROTO_UDP)
					udp++;
				else
					tcp++;
			}
		}
		CHECK_EQ_INT(tcp, 2);
		CHECK_EQ_INT(udp, 1);
	}
	mi_config_release(&cli.cfg);
	/* the same ports and uids under different protocols do not overlap */
	if (parse_ok(A("--exclude-outbound-ports-for-uids",
		       "tcp:443:1001;udp:443:1001;80,8080:7-9"),
		     NOENV, &cli))
		CHECK_EQ_INT(up->n, 6);
	mi_config_release(&cli.cfg);
}

static void test_cli__misc_switches(void)
{
	static const struct {
		const char *arg;
		enum mi_ipv6_mode mode;
	} v6[] = {
		{ "--ipv6=auto", MI_IPV6_AUTO },
		{ "--ipv6=on", MI_IPV6_ON },
		{ "--ipv6=off", MI_IPV6_OFF },
	};
	struct mi_cli cli;

	for (size_t i = 0; i < ARRAY_SIZE(v6); i++) {
		if (parse_ok(A(v6[i].arg), NOENV, &cli))
			CHECK_EQ_INT(cli.cfg.ipv6_mode, v6[i].mode);
		mi_config_release(&cli.cfg);
	}
	if (parse_ok(A("install"), A("MESHINIT_IPV6=on"), &cli))
		CHECK_EQ_INT(cli.cfg.ipv6_mode, MI_IPV6_ON);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--resolv-conf", "/tmp/r.conf", "--netns", "pod1"), NOENV, &cli)) {
		CHECK_EQ_STR(cli.cfg.resolv_conf, "/tmp/r.conf");
		CHECK_EQ_STR(cli.cfg.netns, "pod1");
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--log_output_level=default:debug,grpc:none"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.log_level, MI_LOG_DEBUG);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--log_output_level", "warn"), NOENV, &cli))
		CHECK_EQ_INT(cli.cfg.log_level, MI_LOG_WARN);
	mi_config_release(&cli.cfg);
	if (parse_ok(A("status", "-O", "json"), NOENV, &cli))
		CHECK_EQ_STR(cli.status_format, "json");
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("FORCE_IPTABLES_BINARY=legacy"), &cli))
		CHECK(true);
	mi_config_release(&cli.cfg);
	/* compatibility flags are accepted */
	if (parse_ok(A("--network-namespace", "/x", "--log_target", "stderr",
		       "--log_caller", "", "--log_stacktrace_level", "default:none",
		       "--vklog", "3"),
		     NOENV, &cli))
		CHECK(true);
	mi_config_release(&cli.cfg);
}

/* ---- every error of src/cli.c ------------------------------------------ */

struct err_case {
	const char *args[8];
	const char *env[3];
	int exit;
	const char *want[3];	/* substrings of the message */
};

static const struct err_case err_cases[] = {
	/* flag syntax: 255 */
	{ { "--bogus" }, { NULL }, 255, { "unknown flag", "--bogus" } },
	{ { "--bogus=1" }, { NULL }, 255, { "unknown flag", "bogus=1" } },
	{ { "-Y" }, { NULL }, 255, { "unknown shorthand flag", "-Y" } },
	{ { "-p" }, { NULL }, 255, { "flag needs an argument", "-p" } },
	{ { "--envoy-port" }, { NULL }, 255, { "flag needs an argument", "--envoy-port" } },
	{ { "--redirect-dns=yes" }, { NULL }, 255, { "--redirect-dns", "\"yes\"", "boolean" } },
	{ { "-n=maybe" }, { NULL }, 255, { "--dry-run", "\"maybe\"", "boolean" } },
	{ { "--help=nope" }, { NULL }, 255, { "--help", "\"nope\"" } },
	{ { "--cni-mode=2" }, { NULL }, 255, { "--cni-mode", "\"2\"" } },
	{ { "--probe-timeout=5" }, { NULL }, 255, { "--probe-timeout", "\"5\"", "duration" } },
	{ { "--iptables-probe-port=70000" }, { NULL }, 255,
	  { "--iptables-probe-port", "\"70000\"", "port" } },
	{ { "--iptables-probe-port=-1" }, { NULL }, 255, { "--iptables-probe-port", "\"-1\"" } },
	{ { "--log_output_level=loud" }, { NULL }, 255, { "--log_output_level", "loud", "log level" } },
	{ { "-O", "xml" }, { NULL }, 255, { "--output", "\"xml\"", "text or json" } },
	/* meshinit's own variables are as strict as flags */
	{ { NULL }, { "MESHINIT_CHECK=yes" }, 255, { "env MESHINIT_CHECK",
		"\"yes\"", "boolean" } },
	{ { "--iptables-probe-port=0x10000" }, { NULL }, 255,
		{ "--iptables-probe-port", "0x10000" } },
	{ { "--iptables-probe-port=1__0" }, { NULL }, 255,
		{ "--iptables-probe-port", "1__0" } },
	{ { "--iptables-probe-port=_10" }, { NULL }, 255,
		{ "--iptables-probe-port", "_10" } },
	{ { "--iptables-probe-port=10_" }, { NULL }, 255,
		{ "--iptables-probe-port", "10_" } },
	{ { "--iptables-probe-port=08" }, { NULL }, 255,
		{ "--iptables-probe-port", "08" } },
	/* stray words and unknown commands: usage errors with a hint */
	{ { "--redirect-dns", "false" }, { NULL }, 255, { "\"false\"",
		"--redirect-dns=false" } },
	{ { "-p", "7", "--", "--no-such-flag" }, { NULL }, 255,
		{ "\"--no-such-flag\"", "after \"--\"" } },
	{ { "--redirect-dsn" }, { NULL }, 255, { "unknown flag", "did you mean "
		"--redirect-dns" } },
	{ { "--log-target=stderr" }, { NULL }, 255, { "unknown flag", "did you "
		"mean --log_target" } },
	{ { "bogusword" }, { NULL }, 255, { "unexpected argument",
		"\"bogusword\"", "install takes flags only" } },
	/* an empty --netns must not mean "here" */
	{ { "--netns", "" }, { NULL }, 1, { "--netns", "\"\"", "is empty" } },
	{ { NULL }, { "MESHINIT_NETNS=" }, 1, { "env MESHINIT_NETNS",
		"is empty" } },

	/* single ports */
	{ { "-p", "0" }, { NULL }, 1, { "-p/--envoy-port", "\"0\"", "is not a port (1-65535)" } },
	{ { "-p", "abc" }, { NULL }, 1, { "-p/--envoy-port", "\"abc\"" } },
	{ { "-p", "" }, { NULL }, 1, { "-p/--envoy-port", "\"\"" } },
	{ { "-z", "70000" }, { NULL }, 1, { "-z/--inbound-capture-port", "\"70000\"" } },
	{ { "-e", "+5" }, { NULL }, 1, { "-e/--inbound-tunnel-port", "\"+5\"" } },
	{ { NULL }, { "INBOUND_CAPTURE_PORT=x" }, 1, { "env INBOUND_CAPTURE_PORT", "\"x\"" } },
	/* port lists */
	{ { "-b", "80,abc" }, { NULL }, 1,
	  { "-b/--istio-inbound-ports", "\"80,abc\"", "\"abc\" is not a port (1-65535) or port range" } },
	{ { "-b", "90-80" }, { NULL }, 1,
	  { "-b/--istio-inbound-ports", "\"90-80\"", "start is after its end" } },
	{ { "-b", "0" }, { NULL }, 1, { "-b/--istio-inbound-ports", "\"0\"", "is not a port" } },
	{ { "-b", "80-" }, { NULL }, 1, { "-b/--istio-inbound-ports", "\"80-\"" } },
	{ { "-b", "*", "-d", "99999" }, { NULL }, 1, { "-d/--istio-local-exclude-ports", "\"99999\"" } },
	/* -d is ignored unless -b '*', but must still be valid */
	{ { "-b", "80", "-d", "x" }, { NULL }, 1, { "-d/--istio-local-exclude-ports", "\"x\"" } },
	{ { "-q", "1,2,x" }, { NULL }, 1, { "-q/--istio-outbound-ports", "\"x\"" } },
	{ { "-o", "65536" }, { NULL }, 1,
	  { "-o/--istio-local-outbound-ports-exclude", "\"65536\"" } },
	{ { NULL }, { "ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE=1;2" }, 1,
	  { "env ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE", "\"1;2\"" } },
	/* CIDRs */
	{ { "-i", "*,10.0.0.0/8" }, { NULL }, 1,
	  { "-i/--istio-service-cidr", "\"*,10.0.0.0/8\"", "wildcard inside a list" } },
	{ { "-i", "10.0.0.1" }, { NULL }, 1,
	  { "-i/--istio-service-cidr", "\"10.0.0.1\"", "is not an IPv4 or IPv6 prefix" } },
	{ { "-i", "10.0.0.0/33" }, { NULL }, 1, { "-i/--istio-service-cidr", "\"10.0.0.0/33\"" } },
	{ { "-i", "10.0.0.0/8 1.0.0.0/8" }, { NULL }, 1,
	  { "-i/--istio-service-cidr", "10.0.0.0/8 1.0.0.0/8" } },
	{ { "-x", "*" }, { NULL }, 1, { "-x/--istio-service-exclude-cidr", "\"*\"", "cannot be '*'" } },
	{ { "-x", "2001:db8::/129" }, { NULL }, 1,
	  { "-x/--istio-service-exclude-cidr", "\"2001:db8::/129\"" } },
	{ { NULL }, { "ISTIO_SERVICE_CIDR=bad" }, 1, { "env ISTIO_SERVICE_CIDR", "\"bad\"" } },
	/* interfaces */
	{ { "-c", "eth0,a/b" }, { NULL }, 1,
	  { "-c/--istio-exclude-interfaces", "\"a/b\"", "not a valid interface name" } },
	{ { "-k", "averyveryverylongname" }, { NULL }, 1,
	  { "-k/--kube-virt-interfaces", "averyveryverylongname" } },
	/* identities */
	{ { "-u", "no-such-user-mi" }, { NULL }, 1,
	  { "-u/--proxy-uid", "\"no-such-user-mi\"", "not a known user" } },
	{ { "-u", "1-5" }, { NULL }, 1, { "-u/--proxy-uid", "\"1-5\"", "give single ids" } },
	{ { "-u", "4294967295" }, { NULL }, 1, { "-u/--proxy-uid", "\"4294967295\"", "is not a uid" } },
	{ { "-u", "," }, { NULL }, 1, { "-u/--proxy-uid", "\",\"", "names no uid" } },
	{ { "-u", "1", "-g", "no-such-group-mi" }, { NULL }, 1,
	  { "-g/--proxy-gid", "\"no-such-group-mi\"", "not a known group" } },
	{ { "-u", "1", "-g", "," }, { NULL }, 1, { "-g/--proxy-gid", "\",\"", "names no gid" } },
	{ { "-u", "1", "-g", "-3" }, { NULL }, 1, { "-g/--proxy-gid", "\"-3\"", "is not a gid" } },
	{ { NULL }, { "PROXY_UID=x-no-user" }, 1, { "env PROXY_UID", "\"x-no-user\"" } },
	/* TPROXY mark and table */
	{ { "-t", "1338" }, { NULL }, 1,
	  { "-t/--istio-inbound-tproxy-mark", "\"1338\"", "collides" } },
	{ { "-t", "0x10" }, { NULL }, 1,
	  { "-t/--istio-inbound-tproxy-mark", "\"0x10\"", "is not a mark" } },
	{ { "-r", "254" }, { NULL }, 1,
	  { "-r/--istio-inbound-tproxy-route-table", "\"254\"", "reserved" } },
	{ { "-r", "main" }, { NULL }, 1,
	  { "-r/--istio-inbound-tproxy-route-table", "\"main\"", "not a routing table" } },
	/* owner groups */
	{ { NULL }, { "ISTIO_OUTBOUND_OWNER_GROUPS=no-such-group-mi" }, 1,
	  { "env ISTIO_OUTBOUND_OWNER_GROUPS", "\"no-such-group-mi\"", "not a known group" } },
	{ { NULL }, { "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=1-3" }, 1,
	  { "env ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", "\"1-3\"" } },
	/* loopback CIDR */
	{ { NULL }, { "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=127.0.0.1" }, 1,
	  { "env ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "\"127.0.0.1\"", "is not an IPv4 prefix" } },
	{ { NULL }, { "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=::1/128" }, 1,
	  { "env ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "\"::1/128\"", "is not an IPv4 prefix" } },
	{ { NULL }, { "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=10.0.0.0/8" }, 1,
	  { "env ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "\"10.0.0.0/8\"", "loopback range" } },
	{ { NULL }, { "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=127.0.0.1/7" }, 1,
	  { "env ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "\"127.0.0.1/7\"", "prefix length from 8 to 32" } },
	/* init-container exclusions */
	{ { "--exclude-outbound-uids", "5-3" }, { NULL }, 1,
	  { "--exclude-outbound-uids", "\"5-3\"", "start is after its end" } },
	{ { "--exclude-outbound-uids", "no-such-user-mi" }, { NULL }, 1,
	  { "--exclude-outbound-uids", "\"no-such-user-mi\"", "not a known user" } },
	{ { "--exclude-outbound-gids", "no-such-group-mi" }, { NULL }, 1,
	  { "--exclude-outbound-gids", "\"no-such-group-mi\"", "not a known group" } },
	{ { "--exclude-outbound-ports-for-uids", "443" }, { NULL }, 1,
	  { "--exclude-outbound-ports-for-uids", "\"443\"", "is not [tcp:|udp:]PORTS:UIDS" } },
	{ { "--exclude-outbound-ports-for-uids", "443:" }, { NULL }, 1,
	  { "--exclude-outbound-ports-for-uids", "\"443:\"", "PORTS:UIDS" } },
	{ { "--exclude-outbound-ports-for-uids", "x:1001" }, { NULL }, 1,
	  { "--exclude-outbound-ports-for-uids", "\"x\"", "is not a port" } },
	{ { "--exclude-outbound-ports-for-uids", "443:no-such-user-mi" }, { NULL }, 1,
	  { "--exclude-outbound-ports-for-uids", "no-such-user-mi", "not a known user" } },
	{ { "--exclude-outbound-ports-for-uids", "tcp:443:1001;400-500:1000-1002" }, { NULL }, 1,
	  { "--exclude-outbound-ports-for-uids", "tcp:443:1001;400-500:1000-1002", "overlapping" } },
	{ { "--exclude-outbound-ports-for-uids", ",:1" }, { NULL }, 1,
	  { "--exclude-outbound-ports-for-uids", "\",:1\"", "PORTS:UIDS" } },
	/* meshinit's own switches */
	{ { "--ipv6", "maybe" }, { NULL }, 1, { "--ipv6", "\"maybe\"", "auto, on or off" } },
	{ { NULL }, { "MESHINIT_IPV6=yes" }, 1, { "env MESHINIT_IPV6", "\"yes\"" } },
	{ { NULL }, { "FORCE_IPTABLES_BINARY=x" }, 1,
	  { "env FORCE_IPTABLES_BINARY", "\"x\"", "legacy or nft" } },
	{ { "--resolv-conf", "" }, { NULL }, 1, { "--resolv-conf", "\"\"", "usable path" } },
	{ { "--check", "--dry-run" }, { NULL }, 1, { "--check", "--dry-run" } },
};

static void check_err_case(size_t idx, const struct err_case *c)
{
	struct mi_cli cli;
	struct mi_err err;
	const char *args[10] = { "istio-iptables" };
	int ret;

	for (int k = 0; c->args[k]; k++)
		args[k + 1] = c->args[k];
	ret = parse(args, c->env, &cli, &err);
	if (!CHECK(ret < 0)) {
		NOTE("case %zu (%s %s) unexpectedly parsed", idx,
		     c->args[0] ? c->args[0] : c->env[0],
		     c->args[1] ? c->args[1] : "");
		goto out;
	}
	if (!CHECK_EQ_INT(err.exit, c->exit))
		NOTE("case %zu: %s", idx, err.msg);
	for (int k = 0; k < 3 && c->want[k]; k++)
		if (!CHECK_CONTAINS(err.msg, c->want[k]))
			NOTE("case %zu", idx);
	/* one line, git style: no newline, no trailing full stop */
	CHECK(!strchr(err.msg, '\n'));
out:
	mi_config_release(&cli.cfg);
}

static void test_cli__errors_name_flag_and_value(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(err_cases); i++)
		check_err_case(i, &err_cases[i]);
}

static void test_cli__long_values(void)
{
	struct mi_cli cli;
	struct mi_err err;
	static char item[5000], netns[400], groups[65 * 6 + 40];
	char *p = groups;
	int ret;

	/* an item too long for the splitter */
	memset(item, '1', sizeof(item) - 1);
	ret = parse(A("-b", item), NOENV, &cli, &err);
	CHECK(ret < 0);
	CHECK_EQ_INT(err.exit, 1);
	CHECK_CONTAINS(err.msg, "-b/--istio-inbound-ports");
	CHECK_CONTAINS(err.msg, "too long");
	mi_config_release(&cli.cfg);

	memset(netns, 'n', sizeof(netns) - 1);
	ret = parse(A("--netns", netns), NOENV, &cli, &err);
	CHECK(ret < 0);
	CHECK_EQ_INT(err.exit, 1);
	CHECK_CONTAINS(err.msg, "--netns");
	CHECK_CONTAINS(err.msg, "too long");
	mi_config_release(&cli.cfg);

	/* more than 64 owner groups */
	p += sprintf(p, "ISTIO_OUTBOUND_OWNER_GROUPS=");
	for (int i = 0; i < 65; i++)
		p += sprintf(p, "%s%d", i ? "," : "", 1000 + i);
	ret = parse(A("install"), A(groups), &cli, &err);
	CHECK(ret < 0);
	CHECK_EQ_INT(err.exit, 1);
	CHECK_CONTAINS(err.msg, "env ISTIO_OUTBOUND_OWNER_GROUPS");
	CHECK_CONTAINS(err.msg, "1000,1001,");
	CHECK_CONTAINS(err.msg, "more than 64 groups");
	mi_config_release(&cli.cfg);
}


/* ---- safe by default: words, help, the source of an error ------------- */

static void expect_usage(const char *const *args, const char *w1,
	const char *w2)
{
	struct mi_cli cli;
	struct mi_err err;

	if (CHECK(parse(args, NOENV, &cli, &err) < 0)) {
		CHECK_EQ_INT(err.exit, 255);
		CHECK_EQ_INT(err.src, MI_ERR_SRC_FLAG);
		if (w1)
			CHECK_CONTAINS(err.msg, w1);
		if (w2)
			CHECK_CONTAINS(err.msg, w2);
	}
	mi_config_release(&cli.cfg);
}

static void test_cli__safe_by_default(void)
{
	struct mi_cli cli;
	struct mi_err err;

	expect_usage(A("stauts"), "unknown command \"stauts\"", "did you mean "
		"status?");
	expect_usage(A("--netns", "pod1", "stauts"), "unknown command",
		"did you mean status?");
	expect_usage(A("clenaup"), "did you mean cleanup?", NULL);
	expect_usage(A("hlep"), "did you mean help?", NULL);
	expect_usage(A("bogusword"), "unknown command \"bogusword\"",
		"commands:");
	expect_usage(A("status", "install"), "\"install\"", "already status");
	expect_usage(A("status", "extra"), "\"extra\"", "status takes flags "
		"only");
	expect_usage(A("help", "bogus"), "\"bogus\"", NULL);
	expect_usage(A("--dry-run", "true"), "\"true\"", "--dry-run=true");
	expect_usage(A("-n", "false"), "\"false\"", "--dry-run=false");

	/* help never runs anything: the word, the flag, per command */
	if (parse_ok(A("help"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cmd, MI_CMD_HELP);
		CHECK_EQ_INT(cli.help_cmd, MI_CMD_HELP);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("help", "explain"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cmd, MI_CMD_HELP);
		CHECK_EQ_INT(cli.help_cmd, MI_CMD_EXPLAIN);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("explain", "--help"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cmd, MI_CMD_HELP);
		CHECK_EQ_INT(cli.help_cmd, MI_CMD_EXPLAIN);
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("-h"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cmd, MI_CMD_HELP);
		CHECK_EQ_INT(cli.help_cmd, MI_CMD_HELP);
	}
	mi_config_release(&cli.cfg);
	/* verify and explain take Istio's args pasted whole */
	if (parse_ok(A("verify", "istio-iptables", "-p", "15001"), NOENV, &cli))
		CHECK_EQ_INT(cli.cmd, MI_CMD_VERIFY);
	mi_config_release(&cli.cfg);
	expect_usage(A("status", "istio-iptables"), "already status", NULL);
	expect_usage(A("verify", "istio-iptables", "istio-iptables"),
		     "already verify", NULL);
	/* the command word may follow flags */
	if (parse_ok(A("--netns", "pod1", "status"), NOENV, &cli)) {
		CHECK_EQ_INT(cli.cmd, MI_CMD_STATUS);
		CHECK_EQ_STR(cli.cfg.netns, "pod1");
	}
	mi_config_release(&cli.cfg);

	/* Istio's injection passes no stray word: its default args parse */
	if (parse_ok(A("istio-iptables", "-p", "15001", "-z", "15006", "-u",
		       "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*",
		       "-d", "15090,15021,15020",
		       	"--log_output_level=default:info"),
		     NOENV, &cli)) {
		CHECK_EQ_INT(cli.cmd, MI_CMD_INSTALL);
		CHECK_EQ_INT(cli.warn.n, 0);
	}
	mi_config_release(&cli.cfg);

	/* the error says where the value came from and its exit code */
	if (CHECK(parse(A("-b", "x"), NOENV, &cli, &err) < 0)) {
		CHECK_EQ_INT(err.src, MI_ERR_SRC_FLAG);
		CHECK_EQ_INT(err.exit, 1);
	}
	mi_config_release(&cli.cfg);
	if (CHECK(parse(A("install"), A("ISTIO_INBOUND_PORTS=x"), &cli,
		&err) < 0)) {
		CHECK_EQ_INT(err.src, MI_ERR_SRC_ENV);
		CHECK_EQ_INT(err.exit, 1);
	}
	mi_config_release(&cli.cfg);
	/* a malformed value: 255 from a flag and from MESHINIT_* alike */
	if (CHECK(parse(A("--check=yes"), NOENV, &cli, &err) < 0)) {
		CHECK_EQ_INT(err.src, MI_ERR_SRC_FLAG);
		CHECK_EQ_INT(err.exit, 255);
	}
	mi_config_release(&cli.cfg);
	if (CHECK(parse(A("install"), A("MESHINIT_CHECK=yes"), &cli,
		&err) < 0)) {
		CHECK_EQ_INT(err.src, MI_ERR_SRC_ENV);
		CHECK_EQ_INT(err.exit, 255);
	}
	mi_config_release(&cli.cfg);
	/* a value meshinit cannot use: 1 from a flag and from MESHINIT_* */
	if (CHECK(parse(A("--ipv6", "yes"), NOENV, &cli, &err) < 0))
		CHECK_EQ_INT(err.exit, 1);
	mi_config_release(&cli.cfg);
	if (CHECK(parse(A("install"), A("MESHINIT_IPV6=yes"), &cli, &err) < 0))
		CHECK_EQ_INT(err.exit, 1);
	mi_config_release(&cli.cfg);
	/* status -o json points to -O */
	if (CHECK(parse(A("status", "-o", "json"), NOENV, &cli, &err) < 0))
		CHECK_CONTAINS(err.msg, "-O/--output json");
	mi_config_release(&cli.cfg);
}

/* ---- Istio's environment variables: Istio's parsers and outcome ------- */

static bool warned(const struct mi_cli *cli, const char *a, const char *b)
{
	for (size_t i = 0; i < cli->warn.n; i++)
		if (strstr(cli->warn.msg[i],
			a) && (!b || strstr(cli->warn.msg[i], b)))
			return true;
	return false;
}

static void test_cli__istio_env_bools(void)
{
	static const struct {
		const char *env;
		size_t off;	/* in mi_config; SIZE_MAX: no effect */
	} vars[] = {
		{ "DRY_RUN", offsetof(struct mi_config, dry_run) },
		{ "SKIP_RULE_APPLY", offsetof(struct mi_config,
			skip_rule_apply) },
		{ "RUN_VALIDATION", offsetof(struct mi_config,
			run_validation) },
		{ "REDIRECT_DNS", offsetof(struct mi_config, redirect_dns) },
		{ "ISTIO_META_DNS_CAPTURE", offsetof(struct mi_config,
			redirect_dns) },
		{ "DROP_INVALID", offsetof(struct mi_config, drop_invalid) },
		{ "INVALID_DROP", offsetof(struct mi_config, drop_invalid) },
		{ "DUAL_STACK", offsetof(struct mi_config, dual_stack) },
		{ "ISTIO_DUAL_STACK", offsetof(struct mi_config, dual_stack) },
		{ "CAPTURE_ALL_DNS", offsetof(struct mi_config,
			capture_all_dns) },
		{ "CLEANUP_ONLY", offsetof(struct mi_config, cleanup_only) },
		{ "CNI_MODE", SIZE_MAX },
		{ "RECONCILE", SIZE_MAX },
		{ "FORCE_APPLY", SIZE_MAX },
		{ "NATIVE_NFTABLES", SIZE_MAX },
	};
	/* Go's strconv.ParseBool, and what it rejects */
	static const struct {
		const char *v;
		bool want, ignored;
	} spell[] = {
		{ "1", true, false },	  { "t", true, false },
		{ "T", true, false },	  { "TRUE", true, false },
		{ "true", true, false },  { "True", true, false },
		{ "0", false, false },	  { "f", false, false },
		{ "F", false, false },	  { "FALSE", false, false },
		{ "false", false, false }, { "False", false, false },
		{ "yes", false, true },	  { "", false, true },
		{ "on", false, true },	  { "2", false, true },
		{ "tRuE", false, true },  { " true", false, true },
		{ "y", false, true },	  { "enabled", false, true },
	};
	struct mi_cli cli;
	char env[64];

	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		for (size_t k = 0; k < ARRAY_SIZE(spell); k++) {
			snprintf(env, sizeof(env), "%s=%s", vars[i].env,
				spell[k].v);
			if (!parse_ok(A("install"), A(env), &cli)) {
				NOTE("%s", env);
				goto next;
			}
			if (vars[i].off != SIZE_MAX &&
			    !CHECK_EQ_INT(*(bool *)((char *)&cli.cfg +
						    vars[i].off),
					  spell[k].want))
				NOTE("%s", env);
			if (!CHECK_EQ_INT(warned(&cli, vars[i].env, "Istio "
				"ignores"),
					  spell[k].ignored))
				NOTE("%s: warning expected %d", env,
					spell[k].ignored);
			if (spell[k].ignored) {
				char quoted[32];

				snprintf(quoted, sizeof(quoted), "=\"%s\"",
					spell[k].v);
				if (!CHECK(warned(&cli, vars[i].env, quoted)))
					NOTE("%s: the warning names the value",
						env);
			}
next:
			mi_config_release(&cli.cfg);
		}
	}
	/* a flag still wins over an ignored variable */
	if (parse_ok(A("--dry-run"), A("DRY_RUN=yes"), &cli))
		CHECK(cli.cfg.dry_run);
	mi_config_release(&cli.cfg);
}

static void test_cli__istio_env_numbers(void)
{
	static const struct {
		const char *env;
		int want;
		bool ignored;
	} ports[] = {
		{ "IPTABLES_PROBE_PORT=15003", 15003, false },
		{ "IPTABLES_PROBE_PORT=0x10", 16, false },
		{ "IPTABLES_PROBE_PORT=0X10", 16, false },
		{ "IPTABLES_PROBE_PORT=0b11", 3, false },
		{ "IPTABLES_PROBE_PORT=0o17", 15, false },
		{ "IPTABLES_PROBE_PORT=017", 15, false },
		{ "IPTABLES_PROBE_PORT=1_000", 1000, false },
		{ "IPTABLES_PROBE_PORT=0", 0, false },
		{ "IPTABLES_PROBE_PORT=65535", 65535, false },
		/* syntax errors give 0, range errors 65535 (Go's ParseUint) */
		{ "IPTABLES_PROBE_PORT=abc", 0, true },
		{ "IPTABLES_PROBE_PORT=", 0, true },
		{ "IPTABLES_PROBE_PORT=-1", 0, true },
		{ "IPTABLES_PROBE_PORT=+1", 0, true },
		{ "IPTABLES_PROBE_PORT=1__0", 0, true },
		{ "IPTABLES_PROBE_PORT=08", 0, true },
		{ "IPTABLES_PROBE_PORT= 15002", 0, true },
		{ "IPTABLES_PROBE_PORT=70000", 65535, true },
		{ "IPTABLES_PROBE_PORT=0x10000", 65535, true },
	};
	static const struct {
		const char *env;
		int want_ms;
		bool ignored;
	} durs[] = {
		{ "PROBE_TIMEOUT=5s", 5000, false },
		{ "PROBE_TIMEOUT=500ms", 500, false },
		{ "PROBE_TIMEOUT=1m", 60000, false },
		{ "PROBE_TIMEOUT=1.5s", 1500, false },
		{ "PROBE_TIMEOUT=0", 0, false },
		/* time.ParseDuration errors give 0 */
		{ "PROBE_TIMEOUT=5", 0, true },
		{ "PROBE_TIMEOUT=", 0, true },
		{ "PROBE_TIMEOUT=five", 0, true },
		{ "PROBE_TIMEOUT=5 s", 0, true },
	};
	struct mi_cli cli;

	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		if (parse_ok(A("install"), A(ports[i].env), &cli)) {
			if (!CHECK_EQ_INT(cli.cfg.probe_port, ports[i].want))
				NOTE("%s", ports[i].env);
			if (!CHECK_EQ_INT(warned(&cli, "IPTABLES_PROBE_PORT",
				"Istio ignores"),
					  ports[i].ignored))
				NOTE("%s", ports[i].env);
		}
		mi_config_release(&cli.cfg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(durs); i++) {
		if (parse_ok(A("install"), A(durs[i].env), &cli)) {
			if (!CHECK_EQ_INT(cli.cfg.probe_timeout_ms,
				durs[i].want_ms))
				NOTE("%s", durs[i].env);
			if (!CHECK_EQ_INT(warned(&cli, "PROBE_TIMEOUT",
				"Istio ignores"),
					  durs[i].ignored))
				NOTE("%s", durs[i].env);
		}
		mi_config_release(&cli.cfg);
	}
	/* the string variables stay strings: Istio fails on them later */
	if (CHECK(parse(A("install"), A("INBOUND_CAPTURE_PORT=x"), &cli,
			&(struct mi_err){ 0 }) < 0))
		CHECK_EQ_INT(cli.warn.n, 0);
	mi_config_release(&cli.cfg);
}

static void test_cli__istio_env_strings(void)
{
	struct mi_cli cli;

	/* ENVOY_USER: a user Istio cannot look up means uid 1337 */
	if (parse_ok(A("install"), A("ENVOY_USER=no-such-user-mi"), &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 1337, 1337));
		CHECK(warned(&cli, "ENVOY_USER=\"no-such-user-mi\"", "1337"));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("ENVOY_USER="), &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 1337, 1337));
		CHECK(warned(&cli, "ENVOY_USER=\"\"", NULL));
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), A("ENVOY_USER=root"), &cli)) {
		CHECK(has_range(&cli.cfg.proxy_uids, 0, 0));
		CHECK_EQ_INT(cli.warn.n, 0);
	}
	mi_config_release(&cli.cfg);
	/* unset: istio-proxy if known, else 1337, silently (as Istio) */
	if (parse_ok(A("install"), NOENV, &cli))
		CHECK_EQ_INT(cli.warn.n, 0);
	mi_config_release(&cli.cfg);
	/* -u given: ENVOY_USER is not read */
	if (parse_ok(A("-u", "7"), A("ENVOY_USER=no-such-user-mi"), &cli))
		CHECK_EQ_INT(cli.warn.n, 0);
	mi_config_release(&cli.cfg);
	/* DRY_RUN_FILE_PATH */
	if (parse_ok(A("--dry-run"), A("DRY_RUN_FILE_PATH=/tmp/x.nft"), &cli))
		CHECK_EQ_STR(cli.dry_run_file, "/tmp/x.nft");
	mi_config_release(&cli.cfg);
	if (parse_ok(A("--dry-run"), A("DRY_RUN_FILE_PATH="), &cli))
		CHECK(!cli.dry_run_file);
	mi_config_release(&cli.cfg);
	/* --log_target: repeatable, in order */
	if (parse_ok(A("--log_target", "stderr", "--log_target=/tmp/l"), NOENV,
		&cli)) {
		CHECK_EQ_INT(cli.n_log_targets, 2);
		CHECK_EQ_STR(cli.log_targets[0], "stderr");
		CHECK_EQ_STR(cli.log_targets[1], "/tmp/l");
	}
	mi_config_release(&cli.cfg);
	if (parse_ok(A("install"), NOENV, &cli))
		CHECK_EQ_INT(cli.n_log_targets, 0);
	mi_config_release(&cli.cfg);
}

/* ---- combinations Istio accepts that are almost certainly mistakes ---- */

static void expect_warning(const char *const *args, const char *const *env,
			   const char *w)
{
	struct mi_cli cli;

	if (parse_ok(args, env, &cli) && !CHECK(warned(&cli, w, NULL)))
		NOTE("no warning \"%s\" (%zu warnings)", w, cli.warn.n);
	mi_config_release(&cli.cfg);
}

static void expect_no_warning(const char *const *args, const char *const *env)
{
	struct mi_cli cli;

	if (parse_ok(args, env, &cli) && !CHECK_EQ_INT(cli.warn.n, 0))
		NOTE("unexpected: %s", cli.warn.msg[0]);
	mi_config_release(&cli.cfg);
}

static void test_cli__mistake_warnings(void)
{
	struct mi_cli cli;
	struct mi_warnings w = { 0 };

	expect_warning(A("-p", "15006"), NOENV, "-p/--envoy-port and "
		"-z/--inbound-capture-port are both 15006");
	expect_warning(A("-m", "tproxy"), NOENV, "\"tproxy\" is neither TPROXY "
		"nor REDIRECT");
	expect_warning(A("install"),
		A("ISTIO_INBOUND_INTERCEPTION_MODE=Tproxy"), "env "
			"ISTIO_INBOUND_INTERCEPTION_MODE \"Tproxy\"");
	expect_warning(A("-b", "80", "-d", "15090"), NOENV,
		"-d/--istio-local-exclude-ports is ignored unless -b");
	expect_warning(A("-d", "15090"), NOENV, "is ignored unless -b");
	expect_warning(A("--capture-all-dns"), NOENV, "--capture-all-dns has "
		"no effect without DNS capture");
	expect_warning(A("--skip-rule-apply"), NOENV, "--skip-rule-apply "
		"without --run-validation");
	expect_no_warning(A("-m", "TPROXY", "-b", "*", "-d", "15090"), NOENV);
	expect_no_warning(A("-m", "REDIRECT"), NOENV);
	expect_no_warning(A("--capture-all-dns", "--redirect-dns"), NOENV);
	expect_no_warning(A("--capture-all-dns"),
		A("ISTIO_META_DNS_CAPTURE=true"));
	expect_no_warning(A("--skip-rule-apply", "--run-validation"), NOENV);
	/* -m tproxy means REDIRECT, as in Istio */
	if (parse_ok(A("-m", "tproxy"), NOENV, &cli))
		CHECK(!cli.cfg.tproxy);
	mi_config_release(&cli.cfg);

	/* IPv6 prefixes in a pod whose IPv6 is off (after detection) */
	if (parse_ok(A("-i", "10.0.0.0/8,2001:db8::/32", "-x",
		"fd00::/8,fe80::/10"),
		     NOENV, &cli)) {
		cli.cfg.ipv6 = false;
		mi_cli_warn_detected(&cli.cfg, &w);
		CHECK_EQ_INT(w.n, 2);
		CHECK_CONTAINS(w.msg[0], "-i/--istio-service-cidr has 1 IPv6 "
			"prefix (2001:db8::/32)");
		CHECK_CONTAINS(w.msg[1], "-x/--istio-service-exclude-cidr has "
			"2 IPv6 prefixes");
		w.n = 0;
		cli.cfg.ipv6 = true;
		mi_cli_warn_detected(&cli.cfg, &w);
		CHECK_EQ_INT(w.n, 0);
	}
	mi_config_release(&cli.cfg);
}

/* The config dump uses Istio's labels, and is stable. */
static void test_cli__dump_config(void)
{
	struct mi_cli cli;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!parse_ok(A("istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337",
			"-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d",
			"15090,15021,15020"),
		      NOENV, &cli))
		goto out;
	f = open_memstream(&buf, &len);
	if (!CHECK(f))
		goto out;
	mi_cli_dump_config(&cli.cfg, f);
	fclose(f);
	CHECK_CONTAINS(buf, "PROXY_PORT=15001\n");
	CHECK_CONTAINS(buf, "PROXY_UID=1337\nPROXY_GID=1337\n");
	CHECK_CONTAINS(buf, "INBOUND_INTERCEPTION_MODE=REDIRECT\n");
	CHECK_CONTAINS(buf, "INBOUND_PORTS_INCLUDE=*\n");
	CHECK_CONTAINS(buf, "INBOUND_PORTS_EXCLUDE=15090,15021,15020\n");
	CHECK_CONTAINS(buf, "OUTBOUND_IP_RANGES_INCLUDE=*\n");
	CHECK_CONTAINS(buf, "HOST_IPV4_LOOPBACK_CIDR=127.0.0.1/32\n");
	free(buf);
out:
	mi_config_release(&cli.cfg);
}

int main(void)
{
	RUN(test_cli__leading_command_word);
	RUN(test_cli__port_flag_forms);
	RUN(test_cli__bool_forms);
	RUN(test_cli__precedence);
	RUN(test_cli__gid_defaults_to_uid_list);
	RUN(test_cli__inbound_ports);
	RUN(test_cli__outbound_lists);
	RUN(test_cli__owner_groups);
	RUN(test_cli__loopback_cidr);
	RUN(test_cli__init_container_exclusions);
	RUN(test_cli__misc_switches);
	RUN(test_cli__errors_name_flag_and_value);
	RUN(test_cli__long_values);
	RUN(test_cli__dump_config);
	RUN(test_cli__safe_by_default);
	RUN(test_cli__istio_env_bools);
	RUN(test_cli__istio_env_numbers);
	RUN(test_cli__istio_env_strings);
	RUN(test_cli__mistake_warnings);
	TEST_MAIN_END();
}
