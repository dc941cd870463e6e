/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line: Istio's istio-iptables flags and environment
 * variables (with Istio's precedence and leniency), meshinit's own, and
 * the commands. One table of options; each option converts its own value
 * through a callback (as git's parse-options), in table order.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

enum opt_type {
	T_STR,
	T_BOOL,
	T_U16,		/* Go uint16 (strconv.ParseUint base 0) */
	T_DURATION,
	T_INT,
};

/* The commands an option applies to (per-command --help). */
enum {
	C_INSTALL = 1 << MI_CMD_INSTALL,
	C_CLEANUP = 1 << MI_CMD_CLEANUP,
	C_STATUS = 1 << MI_CMD_STATUS,
	C_VERIFY = 1 << MI_CMD_VERIFY,
	C_EXPLAIN = 1 << MI_CMD_EXPLAIN,
	C_TRACE = 1 << MI_CMD_TRACE,
	C_RULES = C_INSTALL | C_VERIFY | C_EXPLAIN, /* shape the rule plan */
	C_ALL = C_RULES | C_CLEANUP | C_STATUS | C_TRACE,
};

enum opt_flag {
	F_SYNTAX = 1 << 0,	/* a malformed value is a usage error (255) */
	F_LIST = 1 << 1,	/* a list: "@FILE" reads it from FILE */
	F_REPEAT = 1 << 2,	/* repeatable flag: every value is kept */
};

enum opt_id {
	O_ENVOY_PORT,
	O_INBOUND_PORT,
	O_TUNNEL_PORT,
	O_PROXY_UID,
	O_PROXY_GID,
	O_MODE,
	O_INBOUND_PORTS,
	O_INBOUND_EXCLUDE,
	O_EXCLUDE_IFACES,
	O_SERVICE_CIDR,
	O_SERVICE_EXCLUDE,
	O_OUTBOUND_PORTS,
	O_OUTBOUND_EXCLUDE,
	O_VIRT_IFACES,
	O_TPROXY_MARK,
	O_ROUTE_TABLE,
	O_DRY_RUN,
	O_PROBE_PORT,
	O_PROBE_TIMEOUT,
	O_SKIP_APPLY,
	O_RUN_VALIDATION,
	O_REDIRECT_DNS,
	O_DROP_INVALID,
	O_DUAL_STACK,
	O_CAPTURE_ALL_DNS,
	O_NETWORK_NAMESPACE,
	O_CNI_MODE,
	O_RECONCILE,
	O_CLEANUP_ONLY,
	O_FORCE_APPLY,
	O_NATIVE_NFTABLES,
	O_FORCE_IPTABLES_BINARY,
	O_EXCLUDE_UIDS,
	O_EXCLUDE_GIDS,
	O_EXCLUDE_UID_PORTS,
	O_IPV6,
	O_RESOLV_CONF,
	O_CHECK,
	O_TRACE_ONLY,
	O_NETNS,
	O_ALLOW_HOST_NETNS,
	O_OUTPUT,
	O_LOG_LEVEL,
	O_LOG_JSON,
	O_LOG_TARGET,
	O_LOG_STACKTRACE,
	O_LOG_CALLER,
	O_VKLOG,
	O_DIRECTION,
	O_UID,
	O_GID,
	O_PROTO,
	O_DST,
	O_SRC,
	O_IIF,
	O_OIF,
	O_CT_STATE,
	O_KERNEL,
	O_VERBOSE,
	O_HELP,
	O_VERSION,
	/* environment variables without a flag */
	O_ENV_OWNER_GROUPS,
	O_ENV_OWNER_GROUPS_EXCLUDE,
	O_ENV_LOOPBACK,
	O_ENV_ENVOY_USER,
	O_ENV_DRY_RUN_FILE,
#ifdef MI_TEST_HOOKS
	O_ENV_FAULT,
#endif
	O__COUNT
};

struct conv;

struct opt {
	const char *name;	/* long flag; NULL: an env var only */
	char shortname;
	enum opt_type type;
	const char *env;
	const char *alias;	/* second env var; wins over @env */
	const char *def;
	const char *arg;	/* placeholder in --help */
	const char *help;
	unsigned int cmds;	/* C_* */
	unsigned int flags;	/* F_* */
	/* convert the raw value into @c->cli; NULL: read by another's */
	int (*conv)(struct conv *c, int id);
	size_t off;		/* the mi_cli field (generic converters) */
};

/* One raw value and where it came from, for conversion and messages. */
struct val {
	const char *v;
	enum mi_err_src src;	/* MI_ERR_SRC_NONE: the default */
	char from[160];		/* "-p/--envoy-port", "env X",
		"default of --x" */
};

struct raw {
	struct val val[O__COUNT];
	char default_uid[16];	/* empty -u: $ENVOY_USER's uid or 1337 */
	char *lists[O__COUNT];	/* contents of @FILE list values, owned */
};

struct conv {
	struct raw *raw;
	struct mi_cli *cli;
	struct mi_err *err;
	int exit;		/* of the current pass: USAGE or FAILURE */
	bool cmd_given;		/* a command word was given */
};

#define FIELD(f) offsetof(struct mi_cli, f)
#define CFG(f) FIELD(cfg.f)

static int conv_bool(struct conv *c, int id);
static int conv_check_bool(struct conv *c, int id);
static int conv_port(struct conv *c, int id);
static int conv_port_list(struct conv *c, int id);
static int conv_iface_list(struct conv *c, int id);
static int conv_inbound(struct conv *c, int id);
static int conv_cidr_include(struct conv *c, int id);
static int conv_cidr_exclude(struct conv *c, int id);
static int conv_proxy_uid(struct conv *c, int id);
static int conv_proxy_gid(struct conv *c, int id);
static int conv_mode(struct conv *c, int id);
static int conv_mark(struct conv *c, int id);
static int conv_route_table(struct conv *c, int id);
static int conv_probe_port(struct conv *c, int id);
static int conv_duration(struct conv *c, int id);
static int conv_go_int(struct conv *c, int id);
static int conv_uid_ranges(struct conv *c, int id);
static int conv_gid_ranges(struct conv *c, int id);
static int conv_uid_ports(struct conv *c, int id);
static int conv_ipv6(struct conv *c, int id);
static int conv_fib(struct conv *c, int id);
static int conv_path(struct conv *c, int id);
static int conv_netns(struct conv *c, int id);
static int conv_output(struct conv *c, int id);
static int conv_log_level(struct conv *c, int id);
static int conv_flow(struct conv *c, int id);
static int conv_owner_include(struct conv *c, int id);
static int conv_owner_exclude(struct conv *c, int id);
static int conv_loopback(struct conv *c, int id);
static int conv_dry_run_file(struct conv *c, int id);
#ifdef MI_TEST_HOOKS
static int conv_fault(struct conv *c, int id);
#endif

/* explain and trace: the flow flags */
#define FLOW(f) FIELD(flow.f)

static const struct opt opts[O__COUNT] = {
	[O_ENVOY_PORT] = { "envoy-port", 'p', T_STR, NULL, NULL, "15001", "PORT",
		"outbound traffic is redirected to this port (ENVOY_PORT is "
		"not read, as in Istio)",
		C_RULES, 0, conv_port, CFG(proxy_port) },
	[O_INBOUND_PORT] = { "inbound-capture-port", 'z', T_STR, "INBOUND_CAPTURE_PORT", NULL, "15006", "PORT",
		"inbound traffic is redirected (or TPROXYed) to this port",
		C_RULES, 0, conv_port, CFG(inbound_port) },
	[O_TUNNEL_PORT] = { "inbound-tunnel-port", 'e', T_STR, "INBOUND_TUNNEL_PORT", NULL, "15008", "PORT",
		"HBONE tunnel port: inbound traffic to it is never captured",
		C_RULES, 0, conv_port, CFG(tunnel_port) },
	[O_PROXY_UID] = { "proxy-uid", 'u', T_STR, "PROXY_UID", NULL, "", "UIDS",
		"uids (numbers or names) of the proxy, never captured; empty: "
		"the uid of $ENVOY_USER (istio-proxy), else 1337",
		C_RULES, 0, conv_proxy_uid, 0 },
	[O_PROXY_GID] = { "proxy-gid", 'g', T_STR, "PROXY_GID", NULL, "", "GIDS",
		"gids (numbers or names) of the proxy, never captured; empty: "
		"the same as --proxy-uid",
		C_RULES, 0, conv_proxy_gid, 0 },
	[O_MODE] = { "istio-inbound-interception-mode", 'm', T_STR, "ISTIO_INBOUND_INTERCEPTION_MODE", NULL, "", "MODE",
		"TPROXY (exactly) for transparent inbound interception; "
		"anything else means REDIRECT",
		C_RULES, 0, conv_mode, 0 },
	[O_INBOUND_PORTS] = { "istio-inbound-ports", 'b', T_STR, "ISTIO_INBOUND_PORTS", NULL, "", "PORTS",
		"inbound ports to capture (a-b and a:b ranges); '*' captures "
		"all; empty disables inbound capture",
		C_RULES, F_LIST, conv_inbound, 0 },
	[O_INBOUND_EXCLUDE] = { "istio-local-exclude-ports", 'd', T_STR, "ISTIO_LOCAL_EXCLUDE_PORTS", NULL, "", "PORTS",
		"inbound ports never captured; used only with -b '*'",
		C_RULES, F_LIST, NULL, 0 },
	[O_EXCLUDE_IFACES] = { "istio-exclude-interfaces", 'c', T_STR, "ISTIO_EXCLUDE_INTERFACES", NULL, "", "IFACES",
		"interfaces whose traffic is never captured, in either "
		"direction",
		C_RULES, 0, conv_iface_list, CFG(exclude_ifaces) },
	[O_SERVICE_CIDR] = { "istio-service-cidr", 'i', T_STR, "ISTIO_SERVICE_CIDR", NULL, "", "CIDRS",
		"outbound destinations to capture (IPv4/IPv6 prefixes); '*' "
		"captures all; empty: only -q ports",
		C_RULES, F_LIST, conv_cidr_include, 0 },
	[O_SERVICE_EXCLUDE] = { "istio-service-exclude-cidr", 'x', T_STR, "ISTIO_SERVICE_EXCLUDE_CIDR", NULL, "", "CIDRS",
		"outbound destinations never captured; checked before -i",
		C_RULES, F_LIST, conv_cidr_exclude, 0 },
	[O_OUTBOUND_PORTS] = { "istio-outbound-ports", 'q', T_STR, "ISTIO_OUTBOUND_PORTS", NULL, "", "PORTS",
		"outbound TCP ports always captured, whatever the destination "
		"(after -x)",
		C_RULES, F_LIST, conv_port_list, CFG(outbound_include_ports) },
	[O_OUTBOUND_EXCLUDE] = { "istio-local-outbound-ports-exclude", 'o', T_STR, "ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE", NULL, "", "PORTS",
		"outbound TCP and UDP ports never captured, for every uid",
		C_RULES, F_LIST, conv_port_list, CFG(outbound_exclude_ports) },
	[O_VIRT_IFACES] = { "kube-virt-interfaces", 'k', T_STR, "KUBE_VIRT_INTERFACES", NULL, "", "IFACES",
		"virtual interfaces (KubeVirt, ...): traffic arriving on them "
		"is treated as outbound",
		C_RULES, 0, conv_iface_list, CFG(virt_ifaces) },
	[O_TPROXY_MARK] = { "istio-inbound-tproxy-mark", 't', T_STR, "ISTIO_INBOUND_TPROXY_MARK", NULL, "1337", "MARK",
		"packet and connection mark used by TPROXY",
		C_RULES, 0, conv_mark, 0 },
	[O_ROUTE_TABLE] = { "istio-inbound-tproxy-route-table", 'r', T_STR, "ISTIO_INBOUND_TPROXY_ROUTE_TABLE", NULL, "133", "TABLE",
		"routing table for TPROXY policy routing",
		C_RULES, 0, conv_route_table, 0 },
	[O_DRY_RUN] = { "dry-run", 'n', T_BOOL, "DRY_RUN", NULL, "false", NULL,
		"print the rules as an nft -f script; touch no kernel state, "
		"need no privilege",
		C_INSTALL | C_CLEANUP, 0, conv_bool, CFG(dry_run) },
	[O_PROBE_PORT] = { "iptables-probe-port", 0, T_U16, "IPTABLES_PROBE_PORT", NULL, "15002", "PORT",
		"original destination port of the --run-validation probe",
		C_INSTALL, 0, conv_probe_port, 0 },
	[O_PROBE_TIMEOUT] = { "probe-timeout", 0, T_DURATION, "PROBE_TIMEOUT", NULL, "5s", "DURATION",
		"total deadline of --run-validation (Go duration: 5s, 500ms)",
		C_INSTALL, 0, conv_duration, CFG(probe_timeout_ms) },
	[O_SKIP_APPLY] = { "skip-rule-apply", 0, T_BOOL, "SKIP_RULE_APPLY", NULL, "false", NULL,
		"install nothing (use with --run-validation)",
		C_INSTALL, 0, conv_bool, CFG(skip_rule_apply) },
	[O_RUN_VALIDATION] = { "run-validation", 0, T_BOOL, "RUN_VALIDATION", NULL, "false", NULL,
		"probe that the redirect works; exit 126 when it does not",
		C_INSTALL, 0, conv_bool, CFG(run_validation) },
	[O_REDIRECT_DNS] = { "redirect-dns", 0, T_BOOL, "REDIRECT_DNS", "ISTIO_META_DNS_CAPTURE", "false", NULL,
		"capture DNS (TCP and UDP port 53) to the agent on port 15053",
		C_RULES, 0, conv_bool, CFG(redirect_dns) },
	[O_DROP_INVALID] = { "drop-invalid", 0, T_BOOL, "DROP_INVALID", "INVALID_DROP", "false", NULL,
		"drop conntrack-invalid inbound TCP packets",
		C_RULES, 0, conv_bool, CFG(drop_invalid) },
	[O_DUAL_STACK] = { "dual-stack", 0, T_BOOL, "DUAL_STACK", "ISTIO_DUAL_STACK", "false", NULL,
		"IPv6 is on when the pod has any IPv6 address (else only when "
		"its first address is IPv6)",
		C_RULES, 0, conv_bool, CFG(dual_stack) },
	[O_CAPTURE_ALL_DNS] = { "capture-all-dns", 0, T_BOOL, "CAPTURE_ALL_DNS", NULL, "false", NULL,
		"with --redirect-dns: capture port 53 to any address, not only "
		"the resolv.conf servers",
		C_RULES, 0, conv_bool, CFG(capture_all_dns) },
	[O_NETWORK_NAMESPACE] = { "network-namespace", 0, T_STR, "NETWORK_NAMESPACE", NULL, "", "NS",
		"accepted for compatibility; does not enter a namespace (use "
		"--netns)",
		C_INSTALL, 0, NULL, 0 },
	[O_CNI_MODE] = { "cni-mode", 0, T_BOOL, "CNI_MODE", NULL, "false", NULL,
		"accepted for compatibility; no effect",
		C_INSTALL, 0, conv_check_bool, 0 },
	[O_RECONCILE] = { "reconcile", 0, T_BOOL, "RECONCILE", NULL, "false", NULL,
		"accepted; every run atomically replaces meshinit's state, so "
		"no special path is needed",
		C_INSTALL, 0, conv_check_bool, 0 },
	[O_CLEANUP_ONLY] = { "cleanup-only", 0, T_BOOL, "CLEANUP_ONLY", NULL, "false", NULL,
		"remove everything meshinit installed (rules and TPROXY "
		"routes) and install nothing",
		C_INSTALL | C_CLEANUP, 0, conv_bool, CFG(cleanup_only) },
	[O_FORCE_APPLY] = { "force-apply", 0, T_BOOL, "FORCE_APPLY", NULL, "false", NULL,
		"accepted; every run atomically replaces meshinit's state",
		C_INSTALL, 0, conv_check_bool, 0 },
	[O_NATIVE_NFTABLES] = { "native-nftables", 0, T_BOOL, "NATIVE_NFTABLES", NULL, "false", NULL,
		"accepted; meshinit always programs nftables through netlink",
		C_INSTALL, 0, conv_check_bool, 0 },
	[O_FORCE_IPTABLES_BINARY] = { "force-iptables-binary", 0, T_STR, "FORCE_IPTABLES_BINARY", NULL, "", "BIN",
		"accepted for compatibility ('', legacy or nft); no effect",
		C_INSTALL, 0, conv_fib, 0 },
	[O_EXCLUDE_UIDS] = { "exclude-outbound-uids", 0, T_STR, "MESHINIT_EXCLUDE_OUTBOUND_UIDS", NULL, "", "UIDS",
		"sockets of these uids (numbers, a-b ranges, names) are never "
		"captured: for init containers",
		C_RULES, F_LIST, conv_uid_ranges, CFG(exclude_uids) },
	[O_EXCLUDE_GIDS] = { "exclude-outbound-gids", 0, T_STR, "MESHINIT_EXCLUDE_OUTBOUND_GIDS", NULL, "", "GIDS",
		"sockets of these gids (numbers, a-b ranges, names) are never "
		"captured: for init containers",
		C_RULES, F_LIST, conv_gid_ranges, CFG(exclude_gids) },
	[O_EXCLUDE_UID_PORTS] = { "exclude-outbound-ports-for-uids", 0, T_STR, "MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS", NULL, "", "SPEC",
		"[tcp:|udp:]PORTS:UIDS[;...]: these uids bypass the proxy for "
		"these destination ports only",
		C_RULES, F_LIST, conv_uid_ports, 0 },
	[O_IPV6] = { "ipv6", 0, T_STR, "MESHINIT_IPV6", NULL, "auto", "auto|on|off",
		"IPv6 rules: auto detects from the pod's addresses as Istio "
		"does",
		C_RULES, 0, conv_ipv6, 0 },
	[O_RESOLV_CONF] = { "resolv-conf", 0, T_STR, "MESHINIT_RESOLV_CONF", NULL, "/etc/resolv.conf", "PATH",
		"where --redirect-dns reads the nameservers",
		C_RULES, 0, conv_path, 0 },
	[O_CHECK] = { "check", 0, T_BOOL, "MESHINIT_CHECK", NULL, "false", NULL,
		"send the whole transaction to the kernel for validation, then "
		"abort it: nothing changes",
		C_INSTALL | C_CLEANUP, 0, conv_bool, CFG(check_only) },
	[O_TRACE_ONLY] = { "trace-only", 0, T_BOOL, NULL, NULL, "false", NULL,
		"cleanup: remove only a table inet meshinit-trace left by a "
		"killed 'meshinit trace'",
		C_INSTALL | C_CLEANUP, 0, conv_bool, CFG(trace_only) },
	[O_NETNS] = { "netns", 0, T_STR, "MESHINIT_NETNS", NULL, "", "NS",
		"enter this network namespace first: a path, a name under "
		"/var/run/netns, or a pid (not empty)",
		C_ALL, 0, conv_netns, 0 },
	[O_ALLOW_HOST_NETNS] = { "allow-host-netns", 0, T_BOOL, NULL, NULL,
		"false", NULL,
		"allow install, cleanup, --check, trace and explain --kernel "
		"in the node's initial network namespace (refused without it)",
		C_INSTALL | C_CLEANUP | C_EXPLAIN | C_TRACE, 0, conv_bool,
			FIELD(allow_host_netns) },
	[O_OUTPUT] = { "output", 'O', T_STR, NULL, NULL, "text", "FORMAT",
		"status: text or json",
		C_STATUS, F_SYNTAX, conv_output, 0 },
	[O_LOG_LEVEL] = { "log_output_level", 0, T_STR, NULL, NULL, "default:info", "LEVELS",
		"LEVEL or SCOPE:LEVEL,...; levels debug, info, warn, error, "
		"fatal, none",
		C_ALL, F_SYNTAX, conv_log_level, 0 },
	[O_LOG_JSON] = { "log_as_json", 0, T_BOOL, NULL, NULL, "false", NULL,
		"log JSON lines",
		C_ALL, 0, conv_bool, CFG(log_json) },
	[O_LOG_TARGET] = { "log_target", 0, T_STR, NULL, NULL, "stdout", "TARGET",
		"where logs go: stdout, stderr or a file path (appended to); "
		"repeatable, every target gets every line",
		C_ALL, F_REPEAT, NULL, 0 },
	[O_LOG_STACKTRACE] = { "log_stacktrace_level", 0, T_STR, NULL, NULL, "default:none", "LEVELS",
		"accepted for compatibility",
		C_ALL, 0, NULL, 0 },
	[O_LOG_CALLER] = { "log_caller", 0, T_STR, NULL, NULL, "", "SCOPES",
		"accepted for compatibility",
		C_ALL, 0, NULL, 0 },
	[O_VKLOG] = { "vklog", 0, T_INT, NULL, NULL, "0", "N",
		"accepted for compatibility",
		C_ALL, 0, conv_go_int, 0 },
	[O_DIRECTION] = { "direction", 0, T_STR, NULL, NULL, "", "out|in",
		"explain: the packet is locally generated (out) or arrives on "
		"an interface (in)",
		C_EXPLAIN, 0, conv_flow, FLOW(direction) },
	[O_UID] = { "uid", 0, T_STR, NULL, NULL, "", "UID",
		"explain, trace: uid (number or name) of the sending socket",
		C_EXPLAIN | C_TRACE, 0, conv_flow, FLOW(uid) },
	[O_GID] = { "gid", 0, T_STR, NULL, NULL, "", "GID",
		"explain, trace: gid (number or name) of the sending socket",
		C_EXPLAIN | C_TRACE, 0, conv_flow, FLOW(gid) },
	[O_PROTO] = { "proto", 0, T_STR, NULL, NULL, "", "tcp|udp",
		"explain, trace: the packet's protocol (explain default tcp)",
		C_EXPLAIN | C_TRACE, 0, conv_flow, FLOW(proto) },
	[O_DST] = { "dst", 0, T_STR, NULL, NULL, "", "ADDR:PORT",
		"explain: destination address and port (IPv6: [ADDR]:PORT), "
		"required; trace: only packets to it (ADDR or ADDR:PORT)",
		C_EXPLAIN | C_TRACE, 0, conv_flow, FLOW(dst) },
	[O_SRC] = { "src", 0, T_STR, NULL, NULL, "", "ADDR[:PORT]",
		"explain, trace: source address, and optionally port",
		C_EXPLAIN | C_TRACE, 0, conv_flow, FLOW(src) },
	[O_IIF] = { "iif", 0, T_STR, NULL, NULL, "", "IFACE",
		"explain: interface an inbound packet arrives on "
		"(default eth0)",
		C_EXPLAIN, 0, conv_flow, FLOW(iif) },
	[O_OIF] = { "oif", 0, T_STR, NULL, NULL, "", "IFACE",
		"explain: interface an outbound packet leaves by (default lo "
		"for local addresses, else eth0)",
		C_EXPLAIN, 0, conv_flow, FLOW(oif) },
	[O_CT_STATE] = { "ct-state", 0, T_STR, NULL, NULL, "new", "STATE",
		"explain: conntrack state of the packet: new, established, "
		"related or invalid",
		C_EXPLAIN, 0, conv_flow, FLOW(ct_state) },
	[O_KERNEL] = { "kernel", 0, T_BOOL, NULL, NULL, "false", NULL,
		"explain: also send the packet and compare with the kernel's "
		"nftrace (root)",
		C_EXPLAIN, 0, conv_bool, FLOW(kernel) },
	[O_VERBOSE] = { "verbose", 'v', T_BOOL, NULL, NULL, "false", NULL,
		"explain: also list the rules that did not match, and why",
		C_EXPLAIN, 0, conv_bool, FLOW(verbose) },
	[O_HELP] = { "help", 'h', T_BOOL, NULL, NULL, "false", NULL,
		"print this help (after a command: that command's help)",
		C_ALL, 0, NULL, 0 },
	[O_VERSION] = { "version", 0, T_BOOL, NULL, NULL, "false", NULL,
		"print the version",
		C_ALL, 0, NULL, 0 },
	[O_ENV_OWNER_GROUPS] = { NULL, 0, T_STR, "ISTIO_OUTBOUND_OWNER_GROUPS",
		NULL, "*", NULL,
		"groups whose traffic is captured; '*': all",
		C_RULES, 0, conv_owner_include, 0 },
	[O_ENV_OWNER_GROUPS_EXCLUDE] = { NULL, 0, T_STR,
		"ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", NULL, "", NULL,
		"groups whose traffic is not captured",
		C_RULES, 0, conv_owner_exclude, 0 },
	[O_ENV_LOOPBACK] = { NULL, 0, T_STR,
		"ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", NULL, "127.0.0.1/32", NULL,
		"what counts as localhost",
		C_RULES, 0, conv_loopback, 0 },
	[O_ENV_ENVOY_USER] = { NULL, 0, T_STR, "ENVOY_USER", NULL,
		"istio-proxy", NULL,
		"user whose uid is the default -u (1337 when unknown)",
		C_RULES, 0, NULL, 0 },
	[O_ENV_DRY_RUN_FILE] = { NULL, 0, T_STR, "DRY_RUN_FILE_PATH", NULL, "",
		NULL,
		"with --dry-run, also write the script to this file",
		C_INSTALL, 0, conv_dry_run_file, 0 },
#ifdef MI_TEST_HOOKS
	[O_ENV_FAULT] = { NULL, 0, T_STR, "MESHINIT_FAULT_INJECT", NULL, "",
		NULL,
		"test builds: first, middle or last adds a rule the kernel "
		"rejects",
		C_INSTALL, 0, conv_fault, 0 },
#endif
};

static bool istio_env(const char *name)
{
	return strncmp(name, "MESHINIT_", 9) != 0;
}

static const char *env_get(char *const envp[], const char *name)
{
	size_t l = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, l) && (*envp)[l] == '=')
			return *envp + l + 1;
	return NULL;
}

static void describe_flag(const struct opt *o, char *buf, size_t len)
{
	if (!o->name)
		snprintf(buf, len, "env %s", o->env);
	else if (o->shortname)
		snprintf(buf, len, "-%c/--%s", o->shortname, o->name);
	else
		snprintf(buf, len, "--%s", o->name);
}

/*
 * Copy @s for a message: control characters as \xNN (the message stays
 * one line), cut with "..." after @max output characters so that the
 * reason still fits the message.
 */
static const char *msg_value(const char *s, size_t max, char *buf)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		size_t need = ch < 0x20 || ch == 0x7f ? 4 : 1;

		if (o + need > max) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (need == 4)
			snprintf(buf + o, 5, "\\x%02x", ch);
		else
			buf[o] = (char)ch;
		o += need;
	}
	buf[o] = '\0';
	return buf;
}

static MI_PRINTF(2, 3) void warn(struct mi_warnings *w, const char *fmt, ...)
{
	va_list ap;

	if (w->n >= MI_CLI_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(w->msg[w->n++], MI_CLI_WARN_LEN, fmt, ap);
	va_end(ap);
}

/* ---- Go's parsers, as Istio's flags (pflag) and env vars use them ----- */

/* strconv.ParseUint(s, 0, 16): -EINVAL syntax, -ERANGE (then 65535). */
static int go_parse_u16(const char *s, uint16_t *out)
{
	const char *d = s;
	unsigned int base = 10;
	bool underscores = false, digit = false, prev_us = false;
	uint64_t v = 0;

	*out = 0;
	if (s[0] == '0' && s[1]) {
		char b = (char)(s[1] | 0x20);

		if (s[2] && (b == 'x' || b == 'o' || b == 'b')) {
			base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
			d = s + 2;
			digit = true;	/* the prefix counts for '_' */
		} else {
			base = 8;
			d = s + 1;
			digit = true;
		}
	}
	if (!*d)
		return -EINVAL;
	for (; *d; d++) {
		unsigned int x;
		char ch = *d;

		if (ch == '_') {
			/* a separator between digits (or after the prefix) */
			if (!digit || prev_us)
				return -EINVAL;
			underscores = prev_us = true;
			continue;
		}
		if (ch >= '0' && ch <= '9')
			x = (unsigned int)(ch - '0');
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			x = (unsigned int)((ch | 0x20) - 'a' + 10);
		else
			return -EINVAL;
		if (x >= base)
			return -EINVAL;
		digit = true;
		prev_us = false;
		if (v <= 0xffff)
			v = v * base + x;
	}
	if (underscores && prev_us)
		return -EINVAL;
	if (v > 0xffff) {
		*out = 0xffff;
		return -ERANGE;
	}
	*out = (uint16_t)v;
	return 0;
}

/* Go strconv.ParseInt(s, 0, 64), as pflag's IntVar (no '_' separators). */
static bool go_int_valid(const char *s)
{
	bool neg = *s == '-';
	const char *d = s + (*s == '+' || *s == '-');
	unsigned long long v;
	int base = 10;
	char *end;

	if (d[0] == '0' && d[1]) {
		base = 8;
		d++;
		if (*d == 'x' || *d == 'X')
			base = 16;
		else if (*d == 'b' || *d == 'B')
			base = 2;
		if (base != 8 || *d == 'o' || *d == 'O')
			d++;
	}
	if (!*d || strspn(d, "0123456789abcdefABCDEF") != strlen(d))
		return false;
	errno = 0;
	v = strtoull(d, &end, base);
	return !*end && !errno && v <= (neg ? 1ULL << 63 : (1ULL << 63) - 1);
}

/*
 * Istio binds its environment variables with pflag's Set and drops the
 * error: a value its parser rejects leaves what that parser returned
 * (false for a boolean, 0 or 65535 for a port, 0 for a duration) and
 * says nothing. meshinit does the same, and says so. @out is the
 * value string to use instead of @v, or NULL when @v parses.
 */
static const char *istio_env_outcome(const struct opt *o, const char *v,
				     const char **what)
{
	uint16_t port;
	uint64_t ms;
	bool b;

	switch (o->type) {
	case T_BOOL:
		*what = "a boolean (1, t, T, TRUE, true, True, 0, f, F, FALSE, "
		        "false, False)";
		return mi_parse_bool(v, &b) < 0 ? "false" : NULL;
	case T_U16:
		*what = "a port number (0-65535)";
		switch (go_parse_u16(v, &port)) {
		case 0:
			return NULL;
		case -ERANGE:
			return "65535";
		default:
			return "0";
		}
	case T_DURATION:
		*what = "a duration (for example 5s or 500ms)";
		return mi_parse_duration_ms(v, &ms) < 0 ? "0" : NULL;
	default:
		return NULL;
	}
}

/* ---- stage 1: raw strings, with precedence ---------------------------- */

static void raw_env(struct conv *c, char *const envp[])
{
	struct raw *raw = c->raw;

	for (int i = 0; i < O__COUNT; i++) {
		const struct opt *o = &opts[i];
		const char *names[2] = { o->env, o->alias };
		struct val *val = &raw->val[i];

		val->v = o->def;
		val->src = MI_ERR_SRC_NONE;
		if (o->name)
			snprintf(val->from, sizeof(val->from),
				"default of --%s",
				 o->name);
		else
			snprintf(val->from, sizeof(val->from), "env %s",
				o->env);
		for (int k = 0; k < 2; k++) {
			const char *v = names[k] ? env_get(envp, names[k]) : NULL;
			const char *use, *what = "";
			char vbuf[80 + 4];

			if (!v)
				continue;
			/* strict: meshinit's own variables, and the strings */
			use = istio_env(names[k]) ? istio_env_outcome(o, v,
				&what) : NULL;
			if (use)
				warn(&c->cli->warn,
				     "env %s=\"%s\" is not %s; Istio ignores "
				     "the error and reads %s, and so does "
				     "meshinit",
				     names[k], msg_value(v, 80, vbuf), what,
				     o->type == T_DURATION ? "0s" : use);
			val->v = use ? use : v;
			val->src = MI_ERR_SRC_ENV;
			snprintf(val->from, sizeof(val->from), "env %s",
				names[k]);
		}
	}
}

/* ---- did you mean ------------------------------------------------------ */

/* Optimal string alignment distance (a transposition costs 1). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[3][64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *p1 = d[(i - 1) % 3],
			*p2 = d[(i + 1) % 3];

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = p1[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (p1[j - 1] + cost < v)
				v = p1[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && p2[j - 2] + 1 < v)
				v = p2[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

static bool near(const char *typed, const char *cand)
{
	size_t d = edit_distance(typed, cand);

	return d <= (strlen(cand) <= 4 ? 1u : 2u);
}

static const struct {
	const char *word;
	enum mi_cmd cmd;
} cmd_words[] = {
	{ "istio-iptables", MI_CMD_INSTALL }, { "install", MI_CMD_INSTALL },
	{ "cleanup", MI_CMD_CLEANUP },	      { "status", MI_CMD_STATUS },
	{ "verify", MI_CMD_VERIFY },	      { "explain", MI_CMD_EXPLAIN },
	{ "trace", MI_CMD_TRACE },	      { "help", MI_CMD_HELP },
};

static int find_cmd(const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_words); i++)
		if (!strcmp(w, cmd_words[i].word))
			return (int)i;
	return -1;
}

static const char *suggest_cmd(const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_words); i++)
		if (near(w, cmd_words[i].word))
			return cmd_words[i].word;
	return NULL;
}

static const char *suggest_flag(const char *name, size_t len)
{
	char typed[64];

	if (len >= sizeof(typed))
		return NULL;
	memcpy(typed, name, len);
	typed[len] = '\0';
	for (int i = 0; i < O__COUNT; i++) {
		/* "--log-target" for "--log_target" as well */
		char alt[64];

		if (!opts[i].name)
			continue;
		snprintf(alt, sizeof(alt), "%s", opts[i].name);
		for (char *p = alt; *p; p++)
			if (*p == '_')
				*p = '-';
		if (near(typed, opts[i].name) || !strcmp(typed, alt))
			return opts[i].name;
	}
	return NULL;
}

static const char *cmd_name(enum mi_cmd cmd)
{
	for (size_t i = 1; i < ARRAY_SIZE(cmd_words); i++)
		if (cmd_words[i].cmd == cmd)
			return cmd_words[i].word;
	return "install";
}

/* ---- argv --------------------------------------------------------------- */

struct argv_state {
	bool cmd_seen;		/* a command word was given */
	int last_bool;		/* a bool flag just given without "=" */
	bool help_word;		/* "help" was the command word */
	bool help_topic;	/* "help CMD" */
	bool istio_word;	/* "verify istio-iptables ..." */
};

static int usage_err(struct mi_err *err, const char *fmt, ...) MI_PRINTF(2, 3);

static int usage_err(struct mi_err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mi_err_set_src(err, MI_EXIT_USAGE, MI_ERR_SRC_FLAG, -EINVAL,
			      "%s", msg);
}

static const struct opt *find_long(const char *name, size_t len, int *id)
{
	for (int i = 0; i < O__COUNT; i++) {
		if (opts[i].name && strlen(opts[i].name) == len &&
		    !strncmp(opts[i].name, name, len)) {
			*id = i;
			return &opts[i];
		}
	}
	return NULL;
}

static const struct opt *find_short(char ch, int *id)
{
	for (int i = 0; i < O__COUNT; i++) {
		if (opts[i].name && opts[i].shortname == ch) {
			*id = i;
			return &opts[i];
		}
	}
	return NULL;
}

static int raw_set(struct conv *c, int id, const char *v)
{
	struct val *val = &c->raw->val[id];

	if (opts[id].flags & F_REPEAT) {
		struct mi_cli *cli = c->cli;

		if (cli->n_log_targets >= MI_CLI_MAX_LOG_TARGETS)
			return usage_err(c->err,
				"--%s given more than %d times",
					 opts[id].name, MI_CLI_MAX_LOG_TARGETS);
		cli->log_targets[cli->n_log_targets++] = v;
	}
	val->v = v;
	val->src = MI_ERR_SRC_FLAG;
	describe_flag(&opts[id], val->from, sizeof(val->from));
	return 0;
}

static int parse_long(struct conv *c, int argc, char *const argv[], int *i,
		      struct argv_state *st)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct opt *o;
	char abuf[160 + 4];
	int id;

	st->last_bool = -1;
	o = find_long(a, len, &id);
	if (!o) {
		const char *s = suggest_flag(a, len);

		if (s)
			return usage_err(c->err, "unknown flag: --%s (did you "
				"mean --%s?)",
					 msg_value(a, 160, abuf), s);
		return usage_err(c->err, "unknown flag: --%s",
				 msg_value(a, 160, abuf));
	}
	if (o->type == T_BOOL) {
		st->last_bool = eq ? -1 : id;
		return raw_set(c, id, eq ? eq + 1 : "true");
	}
	if (eq)
		return raw_set(c, id, eq + 1);
	if (*i + 1 >= argc)
		return usage_err(c->err, "flag needs an argument: --%s",
			o->name);
	return raw_set(c, id, argv[++*i]);
}

static int parse_short(struct conv *c, int argc, char *const argv[], int *i,
		       struct argv_state *st)
{
	const char *a = argv[*i] + 1;

	st->last_bool = -1;
	while (*a) {
		const struct opt *o;
		int id;

		o = find_short(*a, &id);
		if (!o) {
			char ch[2] = { *a, 0 }, cbuf[8];

			return usage_err(c->err, "unknown shorthand flag: -%s",
					 msg_value(ch, 4, cbuf));
		}
		a++;
		if (o->type == T_BOOL) {
			if (*a == '=') {
				st->last_bool = -1;
				return raw_set(c, id, a + 1);
			}
			st->last_bool = *a ? -1 : id;
			if (raw_set(c, id, "true") < 0)
				return -EINVAL;
			continue;
		}
		if (*a)
			return raw_set(c, id, *a == '=' ? a + 1 : a);
		if (*i + 1 >= argc)
			return usage_err(c->err, "flag needs an argument: -%c",
					 o->shortname);
		return raw_set(c, id, argv[++*i]);
	}
	return 0;
}

/* A word that is not a flag: the command, help's topic, or a mistake. */
static int positional(struct conv *c, const char *w, struct argv_state *st,
		      bool after_dashes)
{
	int k = after_dashes ? -1 : find_cmd(w);
	const char *s;
	char wbuf[80 + 4];
	bool b;

	if (k >= 0 && !st->cmd_seen) {
		st->cmd_seen = true;
		c->cmd_given = true;
		c->cli->cmd = cmd_words[k].cmd;
		st->help_word = cmd_words[k].cmd == MI_CMD_HELP;
		return 0;
	}
	/*
	 * verify and explain take the install's flags: Istio's args, pasted
	 * whole, begin with the word istio-iptables
	 */
	if (k == 0 && st->cmd_seen && !st->istio_word &&
	    (c->cli->cmd == MI_CMD_VERIFY || c->cli->cmd == MI_CMD_EXPLAIN)) {
		st->istio_word = true;
		return 0;
	}
	if (k >= 0 && st->help_word && !st->help_topic &&
	    cmd_words[k].cmd != MI_CMD_HELP) {
		st->help_topic = true;
		c->cli->help_cmd = cmd_words[k].cmd;
		return 0;
	}
	msg_value(w, 80, wbuf);
	if (st->last_bool >= 0 && mi_parse_bool(w, &b) == 0)
		return usage_err(c->err,
				 "unexpected argument \"%s\" after --%s: a "
				 "boolean flag takes its value after '=' "
				 "(--%s=%s)",
				 wbuf, opts[st->last_bool].name,
				 opts[st->last_bool].name, wbuf);
	if (k >= 0)
		return usage_err(c->err,
				 "unexpected argument \"%s\": the command is "
				 "already %s; give one command",
				 wbuf, cmd_name(c->cli->cmd));
	if (after_dashes)
		return usage_err(c->err,
				 "unexpected argument \"%s\" after \"--\": "
				 "meshinit takes no arguments but one command "
				 "word",
				 wbuf);
	s = st->cmd_seen ? NULL : suggest_cmd(w);
	if (s)
		return usage_err(c->err, "unknown command \"%s\" (did you mean "
			"%s?)",
				 wbuf, s);
	if (st->cmd_seen)
		return usage_err(c->err,
				 "unexpected argument \"%s\": %s takes flags "
				 "only",
				 wbuf, cmd_name(c->cli->cmd));
	return usage_err(c->err,
			 "unknown command \"%s\" (commands: install, "
			 "istio-iptables, cleanup, status, verify, explain, "
			 "trace, help)",
			 wbuf);
}

static int raw_argv(struct conv *c, int argc, char *const argv[])
{
	struct argv_state st = { .last_bool = -1 };
	bool dashes = false;
	int ret;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!dashes && !strcmp(a, "--")) {
			dashes = true;
			continue;
		}
		if (!dashes && !strncmp(a, "--", 2)) {
			ret = parse_long(c, argc, argv, &i, &st);
		} else if (!dashes && a[0] == '-' && a[1]) {
			ret = parse_short(c, argc, argv, &i, &st);
		} else {
			ret = positional(c, a, &st, dashes);
			st.last_bool = -1;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- stage 2: conversion ----------------------------------------------- */

static void *field(struct conv *c, int id)
{
	return (char *)c->cli + opts[id].off;
}

static int bad_val(struct conv *c, const struct val *val, const char *item,
		   const char *why)
{
	char vbuf[160 + 4], ibuf[80 + 4];

	if (item && strcmp(item, val->v))
		return mi_err_set_src(c->err, c->exit, val->src, -EINVAL,
				      "invalid %s \"%s\": \"%s\" %s", val->from,
				      msg_value(val->v, 160, vbuf),
				      msg_value(item, 80, ibuf), why);
	return mi_err_set_src(c->err, c->exit, val->src, -EINVAL,
			      "invalid %s \"%s\": %s", val->from,
			      msg_value(val->v, 160, vbuf), why);
}

static int bad(struct conv *c, int id, const char *item, const char *why)
{
	return bad_val(c, &c->raw->val[id], item, why);
}

typedef int (*item_fn)(struct conv *c, const struct val *val, const char *s,
		       void *data);

/* Split a list: items trimmed of blanks; empty items dropped. */
static int each_item(struct conv *c, const struct val *val, char sep,
		     item_fn fn, void *data)
{
	const char *p = val->v;
	char item[4096];
	int ret;

	while (*p) {
		const char *end = strchr(p, sep);
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *s = p;

		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n >= sizeof(item))
			return bad_val(c, val, NULL, "has an item that is too "
				"long");
		if (n) {
			memcpy(item, s, n);
			item[n] = '\0';
			ret = fn(c, val, item, data);
			if (ret < 0)
				return ret;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static int port_item(struct conv *c, const struct val *val, const char *s,
		     void *data)
{
	struct mi_range r;
	int ret = mi_range_parse(s, strlen(s), 1, 65535, &r);

	if (ret == -EDOM)
		return bad_val(c, val, s, "is a range whose start is after its "
			"end");
	if (ret < 0)
		return bad_val(c, val, s,
			       "is not a port (1-65535) or port range (a-b)");
	mi_ranges_add(data, r.lo, r.hi);
	return 0;
}

static int port_list(struct conv *c, int id, struct mi_ranges *out)
{
	return each_item(c, &c->raw->val[id], ',', port_item, out);
}

static int conv_port_list(struct conv *c, int id)
{
	return port_list(c, id, field(c, id));
}

static int conv_port(struct conv *c, int id)
{
	uint32_t v;

	if (mi_parse_u32(c->raw->val[id].v, 1, 65535, &v) < 0)
		return bad(c, id, NULL, "is not a port (1-65535)");
	*(uint16_t *)field(c, id) = (uint16_t)v;
	return 0;
}

static int cidr_item(struct conv *c, const struct val *val, const char *s,
		     void *data)
{
	struct mi_cidr cidr;

	if (!strcmp(s, "*"))
		return bad_val(c, val, s, "is a wildcard inside a list");
	if (mi_cidr_parse(s, &cidr, NULL) < 0)
		return bad_val(c, val, s,
			       "is not an IPv4 or IPv6 prefix "
			       "(address/length)");
	mi_cidrs_add(data, &cidr);
	return 0;
}

static int iface_item(struct conv *c, const struct val *val, const char *s,
		      void *data)
{
	if (!mi_ifname_valid(s))
		return bad_val(c, val, s, "is not a valid interface name");
	mi_ifnames_add(data, s);
	return 0;
}

static int conv_iface_list(struct conv *c, int id)
{
	return each_item(c, &c->raw->val[id], ',', iface_item, field(c, id));
}

/* A user or group name through NSS (numbers are not names). */
static int name_lookup(const char *s, bool group, uint32_t *out)
{
	if (group) {
		struct group *g = getgrnam(s);

		if (!g)
			return -ENOENT;
		*out = g->gr_gid;
	} else {
		struct passwd *p = getpwnam(s);

		if (!p)
			return -ENOENT;
		*out = p->pw_uid;
	}
	return 0;
}

int mi_id_parse(const char *s, bool group, uint32_t *out)
{
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+')
		return mi_parse_u32(s, 0, UINT32_MAX - 1,
			out) < 0 ? -EINVAL : 0;
	return name_lookup(s, group, out) < 0 ? -EINVAL : 0;
}

struct idctx {
	struct mi_ranges *out;
	bool group;
	bool ranges;
};

static int id_item(struct conv *c, const struct val *val, const char *s,
		   void *data)
{
	struct idctx *ic = data;
	struct mi_range r;
	int ret = mi_range_parse(s, strlen(s), 0, UINT32_MAX - 1, &r);

	if (ret == 0 && (r.lo == r.hi || ic->ranges)) {
		mi_ranges_add(ic->out, r.lo, r.hi);
		return 0;
	}
	if (ret == -EDOM)
		return bad_val(c, val, s, "is a range whose start is after its "
			"end");
	if (ret == 0)
		return bad_val(c, val, s, "is a range; give single ids here");
	if (mi_id_parse(s, ic->group, &r.lo) < 0) {
		if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-')
			return bad_val(c, val, s,
				       ic->group ? "is not a gid" : "is not a "
				       	"uid");
		return bad_val(c, val, s, ic->group ? "is not a known group" :
						      "is not a known user");
	}
	mi_ranges_add(ic->out, r.lo, r.lo);
	return 0;
}

static int id_list(struct conv *c, const struct val *val, bool group,
		   bool ranges, struct mi_ranges *out)
{
	struct idctx ic = { out, group, ranges };

	return each_item(c, val, ',', id_item, &ic);
}

static int conv_uid_ranges(struct conv *c, int id)
{
	return id_list(c, &c->raw->val[id], false, true, field(c, id));
}

static int conv_gid_ranges(struct conv *c, int id)
{
	return id_list(c, &c->raw->val[id], true, true, field(c, id));
}

static int get_bool(struct conv *c, int id, bool *out)
{
	if (mi_parse_bool(c->raw->val[id].v, out) < 0)
		return bad(c, id, NULL,
			   "is not a boolean (true, false, 1, 0, t, f)");
	return 0;
}

static int conv_bool(struct conv *c, int id)
{
	return get_bool(c, id, field(c, id));
}

/* Accepted and validated, no effect. */
static int conv_check_bool(struct conv *c, int id)
{
	bool dummy;

	return get_bool(c, id, &dummy);
}

static int conv_probe_port(struct conv *c, int id)
{
	if (go_parse_u16(c->raw->val[id].v, &c->cli->cfg.probe_port) < 0)
		return bad(c, id, NULL, "is not a port (0-65535)");
	return 0;
}

static int conv_duration(struct conv *c, int id)
{
	if (mi_parse_duration_ms(c->raw->val[id].v, field(c, id)) < 0)
		return bad(c, id, NULL,
			   "is not a duration (for example 5s or 500ms)");
	return 0;
}

static int conv_go_int(struct conv *c, int id)
{
	if (!go_int_valid(c->raw->val[id].v))
		return bad(c, id, NULL, "is not an integer");
	return 0;
}

static int parse_level(const char *s, enum mi_log_level *out)
{
	static const char *const names[] = { "debug", "info", "warn", "error",
					     "fatal", "none" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*out = i == 4 ? MI_LOG_ERROR :
			       i == 5 ? MI_LOG_NONE : (enum mi_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int level_item(struct conv *c, const struct val *val, const char *s,
		      void *data)
{
	struct mi_config *cfg = data;
	const char *colon = strchr(s, ':');
	enum mi_log_level lvl;

	if (parse_level(colon ? colon + 1 : s, &lvl) < 0)
		return bad_val(c, val, s,
			       "is not a log level (debug, info, warn, error, "
			       "fatal, none)");
	if (!colon || !strncmp(s, "default:", 8))
		cfg->log_level = lvl;
	return 0;
}

static int conv_log_level(struct conv *c, int id)
{
	return each_item(c, &c->raw->val[id], ',', level_item, &c->cli->cfg);
}

static int conv_output(struct conv *c, int id)
{
	const char *v = c->raw->val[id].v;

	if (strcmp(v, "text") && strcmp(v, "json"))
		return bad(c, id, NULL, "is not text or json");
	strcpy(c->cli->status_format, v);
	return 0;
}

/* explain.c checks the flow flags; here they are only collected */
static int conv_flow(struct conv *c, int id)
{
	*(const char **)field(c, id) = c->raw->val[id].v;
	return 0;
}

static int conv_inbound(struct conv *c, int id)
{
	struct mi_config *cfg = &c->cli->cfg;
	struct mi_ranges ignored = { 0 };
	int ret;

	if (!strcmp(c->raw->val[id].v, "*")) {
		cfg->inbound = MI_CAPTURE_ALL;
		return port_list(c, O_INBOUND_EXCLUDE,
			&cfg->inbound_exclude_ports);
	}
	if (port_list(c, id, &cfg->inbound_ports) < 0)
		return -EINVAL;
	cfg->inbound = cfg->inbound_ports.n ? MI_CAPTURE_LIST : MI_CAPTURE_NONE;
	/* -d is ignored unless -b is '*', but must still be valid */
	ret = port_list(c, O_INBOUND_EXCLUDE, &ignored);
	mi_ranges_release(&ignored);
	return ret;
}

static int conv_cidr_exclude(struct conv *c, int id)
{
	if (!strcmp(c->raw->val[id].v, "*"))
		return bad(c, id, NULL,
			   "cannot be '*' (that would exclude everything; "
			   "use -i \"\")");
	return each_item(c, &c->raw->val[id], ',', cidr_item,
			 &c->cli->cfg.outbound_exclude);
}

static int conv_cidr_include(struct conv *c, int id)
{
	struct mi_config *cfg = &c->cli->cfg;

	if (!strcmp(c->raw->val[id].v, "*")) {
		cfg->outbound = MI_CAPTURE_ALL;
		return 0;
	}
	if (each_item(c, &c->raw->val[id], ',', cidr_item,
		      &cfg->outbound_include) < 0)
		return -EINVAL;
	cfg->outbound = cfg->outbound_include.n ? MI_CAPTURE_LIST :
						  MI_CAPTURE_NONE;
	for (size_t k = 0; k < cfg->outbound_include.n; k++)
		if (mi_cidr_is_loopback(&cfg->outbound_include.v[k]))
			cfg->include_has_loopback = true;
	return 0;
}

static int conv_proxy_uid(struct conv *c, int id)
{
	struct raw *raw = c->raw;
	struct mi_config *cfg = &c->cli->cfg;

	if (!*raw->val[id].v) {
		/* as Istio: the uid of $ENVOY_USER (set but empty: none) */
		const struct val *eu = &raw->val[O_ENV_ENVOY_USER];
		uint32_t uid = 1337;
		char ubuf[80 + 4];

		if (name_lookup(eu->v, false, &uid) < 0 &&
		    eu->src == MI_ERR_SRC_ENV)
			warn(&c->cli->warn,
			     "env ENVOY_USER=\"%s\" is not a known user; Istio "
			     "then uses uid 1337 for -u, and so does meshinit",
			     msg_value(eu->v, 80, ubuf));
		snprintf(raw->default_uid, sizeof(raw->default_uid), "%u", uid);
		raw->val[id].v = raw->default_uid;
	}
	if (id_list(c, &raw->val[id], false, false, &cfg->proxy_uids) < 0)
		return -EINVAL;
	if (!cfg->proxy_uids.n)
		return bad(c, id, NULL, "names no uid");
	return 0;
}

static int conv_proxy_gid(struct conv *c, int id)
{
	struct raw *raw = c->raw;
	struct mi_config *cfg = &c->cli->cfg;
	struct val *val = &raw->val[id];

	if (!*val->v) {
		/* as Istio: the gid list defaults to the uid string */
		val->v = raw->val[O_PROXY_UID].v;
		val->src = raw->val[O_PROXY_UID].src;
		snprintf(val->from, sizeof(val->from),
			 "-g/--proxy-gid (defaulted from %.96s)",
			 raw->val[O_PROXY_UID].from);
	}
	if (id_list(c, val, true, false, &cfg->proxy_gids) < 0)
		return -EINVAL;
	if (!cfg->proxy_gids.n)
		return bad(c, id, NULL, "names no gid");
	return 0;
}

static int conv_mode(struct conv *c, int id)
{
	const char *v = c->raw->val[id].v;
	char vbuf[80 + 4];

	c->cli->cfg.tproxy = !strcmp(v, "TPROXY");
	if (*v && !c->cli->cfg.tproxy && strcmp(v, "REDIRECT"))
		warn(&c->cli->warn,
		     "%s \"%s\" is neither TPROXY nor REDIRECT; Istio uses "
		     "REDIRECT for anything but exactly TPROXY, and so does "
		     "meshinit",
		     c->raw->val[id].from, msg_value(v, 80, vbuf));
	return 0;
}

static int conv_mark(struct conv *c, int id)
{
	uint32_t *mark = &c->cli->cfg.tproxy_mark;

	if (mi_parse_u32(c->raw->val[id].v, 1, UINT32_MAX, mark) < 0)
		return bad(c, id, NULL, "is not a mark (decimal 1-4294967295)");
	if (*mark == MI_OUTBOUND_TPROXY_MARK)
		return bad(c, id, NULL,
			   "collides with the outbound TPROXY mark 1338");
	return 0;
}

static int conv_route_table(struct conv *c, int id)
{
	uint32_t t;

	if (mi_parse_u32(c->raw->val[id].v, 1, UINT32_MAX, &t) < 0)
		return bad(c, id, NULL,
			   "is not a routing table number (decimal)");
	if (t >= 253 && t <= 255)
		return bad(c, id, NULL,
			   "is a reserved routing table (default, main, local)");
	c->cli->cfg.route_table = t;
	return 0;
}

static int conv_owner_include(struct conv *c, int id)
{
	struct mi_config *cfg = &c->cli->cfg;
	const struct val *val = &c->raw->val[id];
	struct idctx ic = { &cfg->owner_include, true, false };

	if (!strcmp(val->v, "*"))
		return 0;
	cfg->owner_include_all = false;
	if (each_item(c, val, ',', id_item, &ic) < 0)
		return -EINVAL;
	if (cfg->owner_include.n > MI_MAX_OWNER_GROUPS)
		return bad(c, id, NULL, "has more than 64 groups");
	return 0;
}

static int conv_owner_exclude(struct conv *c, int id)
{
	struct mi_config *cfg = &c->cli->cfg;
	struct idctx ic = { &cfg->owner_exclude, true, false };

	/* as Istio: the exclude list is read only when the include is '*' */
	if (!cfg->owner_include_all)
		return 0;
	return each_item(c, &c->raw->val[id], ',', id_item, &ic);
}

static int conv_loopback(struct conv *c, int id)
{
	struct mi_cidr *lo = &c->cli->cfg.loopback4;

	if (mi_cidr_parse(c->raw->val[id].v, lo, NULL) < 0 ||
	    lo->family != AF_INET)
		return bad(c, id, NULL, "is not an IPv4 prefix");
	/* before the address: clearing host bits of 127.x/7 gives 126.x */
	if (lo->plen < 8)
		return bad(c, id, NULL,
			   "must have a prefix length from 8 to 32");
	if (lo->addr[0] != 127)
		return bad(c, id, NULL,
			   "is not in the loopback range 127.0.0.0/8");
	return 0;
}

static bool ranges_overlap(const struct mi_range *a, const struct mi_range *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

static int uidport_add(struct conv *c, const struct val *val, uint8_t proto,
		       const struct mi_ranges *ports,
		       const struct mi_ranges *uids, struct mi_uidports *out)
{
	for (size_t p = 0; p < ports->n; p++) {
		for (size_t u = 0; u < uids->n; u++) {
			struct mi_uidport e = { proto, uids->v[u], ports->v[p] };

			for (size_t k = 0; k < out->n; k++) {
				const struct mi_uidport *o = &out->v[k];

				if (o->proto == proto &&
				    ranges_overlap(&o->uid, &e.uid) &&
				    ranges_overlap(&o->port, &e.port))
					return bad_val(c, val, NULL,
						       "has overlapping "
						       "port/uid entries");
			}
			mi_grow((void **)&out->v, &out->cap, out->n + 1,
				sizeof(*out->v));
			out->v[out->n++] = e;
		}
	}
	return 0;
}

static int uidport_entry(struct conv *c, const struct val *val,
			 const char *s, void *data)
{
	struct mi_uidports *out = data;
	const char *body = s, *colon;
	struct mi_ranges ports = { 0 }, uids = { 0 };
	/* a part's errors name the whole entry too */
	struct val part = { .src = val->src };
	bool tcp = true, udp = true;
	char pbuf[4096], ebuf[80 + 4];
	int ret;

	snprintf(part.from, sizeof(part.from), "%.60s (entry \"%s\")",
		 val->from, msg_value(s, 80, ebuf));
	if (!strncmp(s, "tcp:", 4) || !strncmp(s, "udp:", 4)) {
		tcp = s[0] == 't';
		udp = !tcp;
		body = s + 4;
	}
	colon = strrchr(body, ':');
	if (!colon || colon == body || !colon[1])
		return bad_val(c, val, s, "is not [tcp:|udp:]PORTS:UIDS");
	snprintf(pbuf, sizeof(pbuf), "%.*s", (int)(colon - body), body);
	part.v = pbuf;
	ret = each_item(c, &part, ',', port_item, &ports);
	if (!ret) {
		struct idctx ic = { &uids, false, true };

		part.v = colon + 1;
		ret = each_item(c, &part, ',', id_item, &ic);
	}
	if (!ret && (!ports.n || !uids.n))
		ret = bad_val(c, val, s, "is not [tcp:|udp:]PORTS:UIDS");
	if (!ret && tcp)
		ret = uidport_add(c, val, IPPROTO_TCP, &ports, &uids, out);
	if (!ret && udp)
		ret = uidport_add(c, val, IPPROTO_UDP, &ports, &uids, out);
	mi_ranges_release(&ports);
	mi_ranges_release(&uids);
	return ret;
}

static int conv_uid_ports(struct conv *c, int id)
{
	return each_item(c, &c->raw->val[id], ';', uidport_entry,
			 &c->cli->cfg.exclude_uid_ports);
}

#ifdef MI_TEST_HOOKS
/* Test builds only: fault injection; see MI_EMIT_FAULT_* in emit.h. */
static int conv_fault(struct conv *c, int id)
{
	static const char *const where[] = { "first", "middle", "last" };
	const char *v = c->raw->val[id].v;

	if (!*v)
		return 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(where); i++) {
		if (!strcmp(v, where[i])) {
			c->cli->cfg.fault_inject = 1u << (i + 2);
			return 0;
		}
	}
	return bad(c, id, NULL, "is not first, middle or last");
}
#endif

static int conv_ipv6(struct conv *c, int id)
{
	static const char *const modes[] = { "auto", "on", "off" };
	const char *v = c->raw->val[id].v;

	for (unsigned int i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(v, modes[i])) {
			c->cli->cfg.ipv6_mode = (enum mi_ipv6_mode)i;
			return 0;
		}
	}
	return bad(c, id, NULL, "is not auto, on or off");
}

static int conv_fib(struct conv *c, int id)
{
	const char *v = c->raw->val[id].v;

	if (*v && strcmp(v, "legacy") && strcmp(v, "nft"))
		return bad(c, id, NULL, "is not '', legacy or nft");
	return 0;
}

static int conv_path(struct conv *c, int id)
{
	const char *v = c->raw->val[id].v;
	char *dst = c->cli->cfg.resolv_conf;

	if (!*v || strlen(v) >= sizeof(c->cli->cfg.resolv_conf))
		return bad(c, id, NULL, "is not a usable path");
	strcpy(dst, v);
	return 0;
}

static int conv_netns(struct conv *c, int id)
{
	const struct val *val = &c->raw->val[id];

	/* an unset shell variable must not mean "here" */
	if (val->src != MI_ERR_SRC_NONE && !*val->v)
		return bad(c, id, NULL,
			   "is empty: name the pod's namespace (a path, a name "
			   "under /var/run/netns, or a pid), or leave the flag "
			   "out to act on the current one");
	if (strlen(val->v) >= sizeof(c->cli->cfg.netns))
		return bad(c, id, NULL, "is too long");
	strcpy(c->cli->cfg.netns, val->v);
	return 0;
}

static int conv_dry_run_file(struct conv *c, int id)
{
	const char *v = c->raw->val[id].v;

	c->cli->dry_run_file = *v ? v : NULL;
	return 0;
}

/* Largest @FILE list meshinit reads. */
#define MI_LIST_FILE_MAX (64u << 20)

/*
 * Read the @FILE of a list value; newlines separate items like @sep.
 * Returns a NUL-terminated buffer, or NULL with errno set.
 */
static char *read_list_file(const char *path, char sep)
{
	size_t len = 0, cap = 65536;
	char *buf = mi_xmalloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > MI_LIST_FILE_MAX) {
				errno = EFBIG;
				goto fail_close;
			}
			cap *= 2;
			buf = mi_xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_close;
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		errno = EILSEQ;
		goto fail;
	}
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = *p == '\n' ? sep : ' ';
	return buf;
fail_close:
	close(fd);
fail:
	free(buf);
	return NULL;
}

/*
 * A list value "@FILE" means: read the list from FILE (one argv string
 * or environment value holds at most 128 KiB; 100,000 CIDRs do not fit).
 */
static int load_list_files(struct conv *c)
{
	struct raw *raw = c->raw;

	for (int id = 0; id < O__COUNT; id++) {
		struct val *val = &raw->val[id];
		const char *v = val->v;
		char why[96];
		size_t n;

		if (!(opts[id].flags & F_LIST) || v[0] != '@')
			continue;
		raw->lists[id] = read_list_file(v + 1,
						id == O_EXCLUDE_UID_PORTS ? ';' : ',');
		if (!raw->lists[id]) {
			snprintf(why, sizeof(why), "cannot read the list file: %s",
				 errno == EILSEQ ? "it contains a NUL byte" :
				 strerror(errno));
			return bad(c, id, NULL, why);
		}
		val->v = raw->lists[id];
		n = strlen(val->from);
		snprintf(val->from + n, sizeof(val->from) - n, " (file %.96s)",
			 v + 1);
	}
	return 0;
}

static void release_list_files(struct raw *raw)
{
	for (int i = 0; i < O__COUNT; i++)
		free(raw->lists[i]);
}

/*
 * Run the converters of one pass: the values whose malformation is a
 * usage error (booleans, numbers, durations, log levels, -O), then the
 * rest, so that a usage error wins as in Istio (cobra parses first).
 */
static int conv_pass(struct conv *c, bool syntax)
{
	c->exit = syntax ? MI_EXIT_USAGE : MI_EXIT_FAILURE;
	for (int id = 0; id < O__COUNT; id++) {
		const struct opt *o = &opts[id];
		bool is_syntax = o->type != T_STR || (o->flags & F_SYNTAX);

		if (!o->conv || is_syntax != syntax)
			continue;
		if (o->conv(c, id) < 0) {
			/* status -o json: Istio's -o is not status's -O */
			if (id == O_OUTBOUND_EXCLUDE &&
			    c->cli->cmd == MI_CMD_STATUS) {
				size_t n = strlen(c->err->msg);

				snprintf(c->err->msg + n,
					sizeof(c->err->msg) - n,
					 " (status takes -O/--output json, "
					 "capital O; -o is Istio's "
					 "--istio-local-outbound-ports-"
					 "exclude)");
			}
			return -EINVAL;
		}
	}
	return 0;
}

/* Combinations Istio accepts that are almost certainly mistakes. */
static void lint(struct conv *c)
{
	const struct raw *raw = c->raw;
	struct mi_cli *cli = c->cli;
	const struct mi_config *cfg = &cli->cfg;
	struct mi_warnings *w = &cli->warn;

	if (cli->cmd != MI_CMD_INSTALL && cli->cmd != MI_CMD_VERIFY &&
	    cli->cmd != MI_CMD_EXPLAIN)
		return;
	if (cfg->proxy_port == cfg->inbound_port)
		warn(w, "-p/--envoy-port and -z/--inbound-capture-port are "
		        "both %u: outbound and inbound traffic go to the same "
		        "listener (Istio accepts this, and so does meshinit)",
		     cfg->proxy_port);
	if (*raw->val[O_INBOUND_EXCLUDE].v && cfg->inbound != MI_CAPTURE_ALL)
		warn(w, "%s is ignored unless -b/--istio-inbound-ports is '*' "
		        "(as in Istio)",
		     raw->val[O_INBOUND_EXCLUDE].from);
	if (cfg->capture_all_dns && !cfg->redirect_dns)
		warn(w, "--capture-all-dns has no effect without DNS capture "
		        "(--redirect-dns, or "
		        "REDIRECT_DNS/ISTIO_META_DNS_CAPTURE=true), "
		        "as in Istio");
	if (cli->cmd == MI_CMD_INSTALL && cfg->skip_rule_apply &&
	    !cfg->run_validation && !cfg->cleanup_only)
		warn(w, "--skip-rule-apply without --run-validation does "
		        "nothing at all (Istio accepts this, and so does "
		        "meshinit)");
}

void mi_cli_warn_detected(const struct mi_config *cfg, struct mi_warnings *w)
{
	static const struct {
		const char *flag;
		size_t off;
	} lists[] = {
		{ "-i/--istio-service-cidr", offsetof(struct mi_config,
			outbound_include) },
		{ "-x/--istio-service-exclude-cidr", offsetof(struct mi_config,
			outbound_exclude) },
	};
	char buf[64];

	if (cfg->ipv6)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		const struct mi_cidrs *l = (const void *)((const char *)cfg +
							  lists[i].off);
		size_t n6 = 0, first = 0;

		for (size_t k = 0; k < l->n; k++)
			if (l->v[k].family == AF_INET6 && !n6++)
				first = k;
		if (n6)
			warn(w, "%s has %zu IPv6 prefix%s (%s%s) but IPv6 is "
			        "off in this pod: %s ignored, as in Istio",
			     lists[i].flag, n6, n6 > 1 ? "es" : "",
			     mi_cidr_format(&l->v[first], buf, sizeof(buf)),
			     n6 > 1 ? ", ..." : "",
			     	n6 > 1 ? "they are" : "it is");
	}
}

/*
 * How many values that shape the rules came from a flag or the
 * environment: status, verify and explain without any of them work from
 * the install record instead.
 */
static void count_rule_options(const struct raw *raw, struct mi_cli *cli)
{
	static const int ids[] = {
		O_ENVOY_PORT, O_INBOUND_PORT, O_TUNNEL_PORT, O_PROXY_UID,
		O_PROXY_GID, O_MODE, O_INBOUND_PORTS, O_INBOUND_EXCLUDE,
		O_EXCLUDE_IFACES, O_SERVICE_CIDR, O_SERVICE_EXCLUDE,
		O_OUTBOUND_PORTS, O_OUTBOUND_EXCLUDE, O_VIRT_IFACES,
		O_TPROXY_MARK, O_ROUTE_TABLE, O_REDIRECT_DNS, O_DROP_INVALID,
		O_DUAL_STACK, O_CAPTURE_ALL_DNS, O_EXCLUDE_UIDS, O_EXCLUDE_GIDS,
		O_EXCLUDE_UID_PORTS, O_IPV6, O_RESOLV_CONF,
		O_ENV_OWNER_GROUPS, O_ENV_OWNER_GROUPS_EXCLUDE, O_ENV_LOOPBACK,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (raw->val[ids[i]].src != MI_ERR_SRC_NONE)
			cli->nrule_options++;
}

int mi_cli_parse(int argc, char *const argv[], char *const envp[],
		 struct mi_cli *cli, struct mi_err *err)
{
	struct raw *raw = mi_xcalloc(1, sizeof(*raw));
	struct conv c = { raw, cli, err, MI_EXIT_USAGE, false };
	bool help = false, version = false;
	int ret;

	memset(cli, 0, sizeof(*cli));
	mi_config_init(&cli->cfg);
	cli->cmd = MI_CMD_INSTALL;
	cli->help_cmd = MI_CMD_HELP;
	strcpy(cli->status_format, "text");
	raw_env(&c, envp);
	ret = raw_argv(&c, argc - 1, argv + 1);
	if (ret < 0)
		goto out;
	c.exit = MI_EXIT_USAGE;
	if (get_bool(&c, O_HELP, &help) < 0 ||
	    get_bool(&c, O_VERSION, &version) < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (cli->cmd == MI_CMD_HELP || help) {
		/* "explain --help" is explain's help; "help explain" too */
		if (cli->cmd != MI_CMD_HELP && c.cmd_given)
			cli->help_cmd = cli->cmd;
		cli->cmd = MI_CMD_HELP;
		goto out;
	}
	if (version) {
		cli->cmd = MI_CMD_VERSION;
		goto out;
	}
	ret = conv_pass(&c, true);
	c.exit = MI_EXIT_FAILURE;
	if (!ret)
		ret = load_list_files(&c);
	if (!ret)
		ret = conv_pass(&c, false);
	if (!ret && cli->cfg.dry_run && cli->cfg.check_only)
		ret = bad(&c, O_CHECK, NULL,
			"cannot be combined with --dry-run");
	if (ret)
		goto out;
	count_rule_options(raw, cli);
	if ((cli->cfg.cleanup_only || cli->cfg.trace_only) &&
	    cli->cmd == MI_CMD_INSTALL)
		cli->cmd = MI_CMD_CLEANUP;
	lint(&c);
out:
	release_list_files(raw);
	free(raw);
	return ret < 0 ? -EINVAL : 0;
}

/* ---- help --------------------------------------------------------------- */

static const struct {
	enum mi_cmd cmd;
	const char *names;
	const char *summary;	/* one line in the command list */
	const char *about;	/* the command's own help */
} cmd_help[] = {
	{ MI_CMD_INSTALL, "install, istio-iptables",
	  "replace meshinit's rules with the ones the flags give (default)",
	  "Replace meshinit's rules in the current (or --netns) network "
	  "namespace with\n"
	  "the ones the flags and Istio's environment variables give, in one "
	  "atomic\n"
	  "transaction. With no command word this is what runs, as "
	  "istio-iptables." },
	{ MI_CMD_CLEANUP, "cleanup",
	  "remove everything meshinit installed (= --cleanup-only)",
	  "Remove meshinit's table, its TPROXY policy rule, route and ::6 "
	  "address, and a\n"
	  "trace table a killed 'meshinit trace' left behind. With "
	  "--trace-only, only\n"
	  "that trace table." },
	{ MI_CMD_STATUS, "status",
	  "what is installed and how, and what else captures (-O json)",
	  "Show what is installed in the namespace, read from the kernel: "
	  "how meshinit\n"
	  "installed it (its install record: version and flags), its rules "
	  "as nft list\n"
	  "shows them, numbered, with counters, the TPROXY routing, and "
	  "everything else\n"
	  "that touches the traffic (Istio's own tables, iptables ISTIO_* "
	  "chains, a\n"
	  "leftover trace table, other tables that drop or redirect). Needs "
	  "no install\n"
	  "flags. Exit 3 when table inet meshinit is not there." },
	{ MI_CMD_VERIFY, "verify",
	  "compare the namespace with how it was installed, or the flags",
	  "Without install flags, compare the namespace with how it was "
	  "installed (its\n"
	  "install record); with flags, first name each flag that differs "
	  "from the\n"
	  "install, then compare with the flags' rules. Rules, sets, the "
	  "TPROXY routing\n"
	  "and other capture state are compared. Exit 4 on drift, 3 when "
	  "nothing of\n"
	  "meshinit's is installed." },
	{ MI_CMD_EXPLAIN, "explain",
	  "which rules one packet meets and whether it is captured",
	  "Walk the rules the flags give for one packet (--direction, "
	  "--uid/--gid for\n"
	  "outbound, --proto, --dst ADDR:PORT, ...) and say which rules it "
	  "meets and\n"
	  "where it goes; --kernel also sends it and compares with the "
	  "kernel's nftrace." },
	{ MI_CMD_TRACE, "trace",
	  "print the kernel's nftrace events of matching packets (root)",
	  "Print the kernel's nftrace events of packets matching --uid, --gid, "
	  "--proto,\n"
	  "--dst and --src, one line per event, until SIGINT or SIGTERM\n"
	  "(root)." },
	{ MI_CMD_HELP, "help [COMMAND]", "this help, or one command's", NULL },
};

static const struct {
	int code;
	const char *text;
} exit_codes[] = {
	{ MI_EXIT_OK,
		"success (also --help, verify in sync, validation passed)" },
	{ MI_EXIT_FAILURE, "a value meshinit cannot use (a bad port, CIDR, "
	                   "name), from a flag or an environment variable "
	                   "alike; the environment or the kernel refused "
	                   "(namespace not found, no CAP_NET_ADMIN); the "
	                   "node's initial network namespace without "
	                   "--allow-host-netns. Nothing was changed" },
	{ MI_EXIT_NOT_INSTALLED, "status, verify: nothing of meshinit's is "
	                         "installed in the namespace" },
	{ MI_EXIT_DRIFT, "verify: the namespace differs from the install "
	  "record or from the flags (drift: rules, sets, TPROXY routing, other "
	  "capture state); explain --kernel: the kernel disagrees with the "
	  "prediction (another path, another table deciding, the probe's "
	  "connection refused)" },
	{ MI_EXIT_NOMEM, "out of memory" },
	{ MI_EXIT_VALIDATION, "--run-validation: the redirect does not work" },
	{ MI_EXIT_USAGE, "usage error, nothing done: an unknown command or "
	                 "flag, a stray word, a flag without its value, or a "
	                 "malformed boolean, number or duration from a flag or "
	                 "a MESHINIT_* variable. A value of one of Istio's "
	                 "variables that Istio ignores is not an error: a "
	                 "warning, and Istio's outcome" },
};

static const char *const examples =
	"  meshinit -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x '' -b '*' "
	"-d 15090,15021,15020\n"
	"  meshinit --dry-run -i '*' -b '*'\n"
	"  meshinit cleanup --netns mypod\n"
	"  meshinit status --netns mypod -O json\n"
	"  meshinit verify --netns mypod -p 15001 -z 15006 -u 1337 -i '*' -b "
	"'*' -d 15090,15021,15020\n"
	"  meshinit explain --netns mypod -i '*' -b '*' --direction out --uid "
	"1000 --gid 1000 --dst 10.0.0.1:80\n"
	"  meshinit trace --netns mypod --uid 1000 --dst 10.0.0.1\n"
	"  meshinit help explain\n";

/*
 * Print @text wrapped at 78 columns: the first line after @col columns
 * already written, the others indented by @indent.
 */
static void wrap_at(FILE *out, const char *text, int col, int indent)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (!first && col + 1 + (int)n > 78) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)n, p);
		col += (int)n;
		first = false;
		p += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void wrap(FILE *out, const char *text, int indent)
{
	fprintf(out, "%*s", indent, "");
	wrap_at(out, text, indent, indent);
}

static void usage_flag(FILE *out, const struct opt *o)
{
	char names[64];

	if (o->shortname)
		snprintf(names, sizeof(names), "-%c, --%s", o->shortname,
			o->name);
	else
		snprintf(names, sizeof(names), "    --%s", o->name);
	fprintf(out, "  %s%s%s\n", names, o->arg ? " " : "",
		o->arg ? o->arg : "");
	wrap(out, o->help, 6);
	if (o->env || (o->def && *o->def && o->type != T_BOOL))
		fprintf(out, "      [%s%s%s%s%sdefault \"%s\"]\n",
			o->env ? "env " : "", o->env ? o->env : "",
			o->alias ? ", alias " : "", o->alias ? o->alias : "",
			o->env ? "; " : "", o->def);
}

static void usage_exit_codes(FILE *out)
{
	fprintf(out, "\nExit codes (every command):\n");
	for (size_t i = 0; i < ARRAY_SIZE(exit_codes); i++) {
		fprintf(out, "  %-4d ", exit_codes[i].code);
		wrap_at(out, exit_codes[i].text, 7, 7);
	}
}

static void usage_env_only(FILE *out)
{
	fprintf(out, "\nEnvironment variables without a flag:\n");
	for (int i = 0; i < O__COUNT; i++) {
		const struct opt *o = &opts[i];

		if (o->name)
			continue;
		fprintf(out, "  %-36s %s%s%s%s\n", o->env, o->help,
			*o->def ? " (default " : "", o->def,
			*o->def ? ")" : "");
	}
}

static void usage_cmd(FILE *out, const char *prog, enum mi_cmd cmd)
{
	unsigned int bit = 1u << cmd;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(cmd_help) && cmd_help[k].cmd != cmd; k++)
		;
	fprintf(out, "Usage: %s %s [flags]\n\n%s\n\nFlags:\n", prog,
		cmd == MI_CMD_INSTALL ? "[install|istio-iptables]" :
					cmd_name(cmd),
		cmd_help[k].about);
	for (int i = 0; i < O__COUNT; i++)
		if (opts[i].name && (opts[i].cmds & bit))
			usage_flag(out, &opts[i]);
	if (bit & C_RULES)
		usage_env_only(out);
	usage_exit_codes(out);
	fprintf(out, "\nEvery command and flag: %s --help\n", prog);
}

void mi_cli_usage(FILE *out, const char *prog, enum mi_cmd cmd)
{
	if (cmd != MI_CMD_HELP && cmd != MI_CMD_VERSION) {
		usage_cmd(out, prog, cmd);
		return;
	}
	fprintf(out,
		"Usage: %s [COMMAND] [flags]\n"
		"\n"
		"Program nftables rules, through netlink in one atomic transaction, that\n"
		"redirect a pod's TCP (and DNS) traffic to its sidecar proxy. A drop-in for\n"
		"Istio's istio-iptables: the same flags and environment variables.\n"
		"\n"
		"Commands:\n", prog);
	for (size_t k = 0; k < ARRAY_SIZE(cmd_help); k++)
		fprintf(out, "  %-24s %s\n", cmd_help[k].names,
			cmd_help[k].summary);
	fprintf(out, "\nFlags (environment variable, default):\n");
	for (int i = 0; i < O__COUNT; i++)
		if (opts[i].name)
			usage_flag(out, &opts[i]);
	usage_env_only(out);
	fprintf(out,
		"\n"
		"Precedence: default < environment < alias environment < command line.\n"
		"Lists are comma separated; empty items are dropped; port ranges are a-b or a:b.\n"
		"A list value @FILE (-b -d -i -x -q -o and the --exclude-outbound-* flags)\n"
		"is read from FILE, where newlines separate items too.\n"
		"A value of one of Istio's environment variables that Istio "
		"cannot parse (a\n"
		"boolean, --iptables-probe-port, --probe-timeout) is what "
		"Istio makes of it,\n"
		"with a warning; MESHINIT_* variables are checked as strictly "
		"as flags.\n");
	usage_exit_codes(out);
	fprintf(out, "\nExamples:\n%s", examples);
}
/* The configuration log shows at most this many items of a list. */
#define DUMP_MAX_ITEMS 64

static void dump_more(FILE *out, size_t n)
{
	if (n > DUMP_MAX_ITEMS)
		fprintf(out, ",... (%zu more)", n - DUMP_MAX_ITEMS);
	fputc('\n', out);
}

static void dump_ranges(FILE *out, const char *key, const struct mi_ranges *l)
{
	fprintf(out, "%s=", key);
	for (size_t i = 0; i < l->n && i < DUMP_MAX_ITEMS; i++) {
		if (l->v[i].lo == l->v[i].hi)
			fprintf(out, "%s%u", i ? "," : "", l->v[i].lo);
		else
			fprintf(out, "%s%u-%u", i ? "," : "", l->v[i].lo, l->v[i].hi);
	}
	dump_more(out, l->n);
}

static void dump_cidrs(FILE *out, const char *key, const struct mi_cidrs *l)
{
	char buf[64];

	fprintf(out, "%s=", key);
	for (size_t i = 0; i < l->n && i < DUMP_MAX_ITEMS; i++)
		fprintf(out, "%s%s", i ? "," : "",
			mi_cidr_format(&l->v[i], buf, sizeof(buf)));
	dump_more(out, l->n);
}

static void dump_ifaces(FILE *out, const char *key, const struct mi_ifnames *l)
{
	fprintf(out, "%s=", key);
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? "," : "", l->v[i]);
	fputc('\n', out);
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

void mi_cli_dump_config(const struct mi_config *cfg, FILE *out)
{
	char buf[64];

	fprintf(out, "PROXY_PORT=%u\nPROXY_INBOUND_CAPTURE_PORT=%u\nPROXY_TUNNEL_PORT=%u\n",
		cfg->proxy_port, cfg->inbound_port, cfg->tunnel_port);
	dump_ranges(out, "PROXY_UID", &cfg->proxy_uids);
	dump_ranges(out, "PROXY_GID", &cfg->proxy_gids);
	fprintf(out, "INBOUND_INTERCEPTION_MODE=%s\nINBOUND_TPROXY_MARK=%u\nINBOUND_TPROXY_ROUTE_TABLE=%u\n",
		cfg->tproxy ? "TPROXY" : "REDIRECT", cfg->tproxy_mark, cfg->route_table);
	if (cfg->inbound == MI_CAPTURE_ALL)
		fprintf(out, "INBOUND_PORTS_INCLUDE=*\n");
	else
		dump_ranges(out, "INBOUND_PORTS_INCLUDE", &cfg->inbound_ports);
	dump_ranges(out, "INBOUND_PORTS_EXCLUDE", &cfg->inbound_exclude_ports);
	if (cfg->owner_include_all)
		fprintf(out, "OUTBOUND_OWNER_GROUPS_INCLUDE=*\n");
	else
		dump_ranges(out, "OUTBOUND_OWNER_GROUPS_INCLUDE", &cfg->owner_include);
	dump_ranges(out, "OUTBOUND_OWNER_GROUPS_EXCLUDE", &cfg->owner_exclude);
	if (cfg->outbound == MI_CAPTURE_ALL)
		fprintf(out, "OUTBOUND_IP_RANGES_INCLUDE=*\n");
	else
		dump_cidrs(out, "OUTBOUND_IP_RANGES_INCLUDE", &cfg->outbound_include);
	dump_cidrs(out, "OUTBOUND_IP_RANGES_EXCLUDE", &cfg->outbound_exclude);
	dump_ranges(out, "OUTBOUND_PORTS_INCLUDE", &cfg->outbound_include_ports);
	dump_ranges(out, "OUTBOUND_PORTS_EXCLUDE", &cfg->outbound_exclude_ports);
	dump_ifaces(out, "KUBE_VIRT_INTERFACES", &cfg->virt_ifaces);
	fprintf(out, "ENABLE_INBOUND_IPV6=%s\nDUAL_STACK=%s\nDNS_CAPTURE=%s\nDROP_INVALID=%s\nCAPTURE_ALL_DNS=%s\n",
		tf(cfg->ipv6), tf(cfg->dual_stack), tf(cfg->redirect_dns),
		tf(cfg->drop_invalid), tf(cfg->capture_all_dns));
	dump_cidrs(out, "DNS_SERVERS", &cfg->dns_servers);
	dump_ifaces(out, "EXCLUDE_INTERFACES", &cfg->exclude_ifaces);
	fprintf(out, "CLEANUP_ONLY=%s\nHOST_IPV4_LOOPBACK_CIDR=%s\n", tf(cfg->cleanup_only),
		mi_cidr_format(&cfg->loopback4, buf, sizeof(buf)));
	dump_ranges(out, "EXCLUDE_OUTBOUND_UIDS", &cfg->exclude_uids);
	dump_ranges(out, "EXCLUDE_OUTBOUND_GIDS", &cfg->exclude_gids);
	fprintf(out, "EXCLUDE_OUTBOUND_PORTS_FOR_UIDS=");
	for (size_t i = 0; i < cfg->exclude_uid_ports.n; i++) {
		const struct mi_uidport *e = &cfg->exclude_uid_ports.v[i];

		fprintf(out, "%s%s:%u-%u:%u-%u", i ? ";" : "",
			e->proto == IPPROTO_TCP ? "tcp" : "udp", e->port.lo,
			e->port.hi, e->uid.lo, e->uid.hi);
	}
	fputc('\n', out);
}
