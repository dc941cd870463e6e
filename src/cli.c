/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

#include <errno.h>
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
	T_U16,		/* Go uint16 with 0x/0o/0b prefixes */
	T_DURATION,
	T_INT,
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
	O__COUNT
};

struct opt {
	const char *name;
	char shortname;
	enum opt_type type;
	const char *env;
	const char *alias;	/* second env var; wins over @env */
	const char *def;
	const char *arg;	/* placeholder in --help */
	const char *help;
};

static const struct opt opts[O__COUNT] = {
	[O_ENVOY_PORT] = { "envoy-port", 'p', T_STR, NULL, NULL, "15001", "PORT",
		"outbound traffic is redirected to this port (ENVOY_PORT is not read, as in Istio)" },
	[O_INBOUND_PORT] = { "inbound-capture-port", 'z', T_STR, "INBOUND_CAPTURE_PORT", NULL, "15006", "PORT",
		"inbound traffic is redirected (or TPROXYed) to this port" },
	[O_TUNNEL_PORT] = { "inbound-tunnel-port", 'e', T_STR, "INBOUND_TUNNEL_PORT", NULL, "15008", "PORT",
		"HBONE tunnel port: inbound traffic to it is never captured" },
	[O_PROXY_UID] = { "proxy-uid", 'u', T_STR, "PROXY_UID", NULL, "", "UIDS",
		"uids (numbers or names) of the proxy, never captured; empty: the uid of $ENVOY_USER (istio-proxy), else 1337" },
	[O_PROXY_GID] = { "proxy-gid", 'g', T_STR, "PROXY_GID", NULL, "", "GIDS",
		"gids (numbers or names) of the proxy, never captured; empty: the same as --proxy-uid" },
	[O_MODE] = { "istio-inbound-interception-mode", 'm', T_STR, "ISTIO_INBOUND_INTERCEPTION_MODE", NULL, "", "MODE",
		"TPROXY (exactly) for transparent inbound interception; anything else means REDIRECT" },
	[O_INBOUND_PORTS] = { "istio-inbound-ports", 'b', T_STR, "ISTIO_INBOUND_PORTS", NULL, "", "PORTS",
		"inbound ports to capture (a-b and a:b ranges); '*' captures all; empty disables inbound capture" },
	[O_INBOUND_EXCLUDE] = { "istio-local-exclude-ports", 'd', T_STR, "ISTIO_LOCAL_EXCLUDE_PORTS", NULL, "", "PORTS",
		"inbound ports never captured; used only with -b '*'" },
	[O_EXCLUDE_IFACES] = { "istio-exclude-interfaces", 'c', T_STR, "ISTIO_EXCLUDE_INTERFACES", NULL, "", "IFACES",
		"interfaces whose traffic is never captured, in either direction" },
	[O_SERVICE_CIDR] = { "istio-service-cidr", 'i', T_STR, "ISTIO_SERVICE_CIDR", NULL, "", "CIDRS",
		"outbound destinations to capture (IPv4/IPv6 prefixes); '*' captures all; empty: only -q ports" },
	[O_SERVICE_EXCLUDE] = { "istio-service-exclude-cidr", 'x', T_STR, "ISTIO_SERVICE_EXCLUDE_CIDR", NULL, "", "CIDRS",
		"outbound destinations never captured; checked before -i" },
	[O_OUTBOUND_PORTS] = { "istio-outbound-ports", 'q', T_STR, "ISTIO_OUTBOUND_PORTS", NULL, "", "PORTS",
		"outbound TCP ports always captured, whatever the destination (after -x)" },
	[O_OUTBOUND_EXCLUDE] = { "istio-local-outbound-ports-exclude", 'o', T_STR, "ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE", NULL, "", "PORTS",
		"outbound TCP and UDP ports never captured, for every uid" },
	[O_VIRT_IFACES] = { "kube-virt-interfaces", 'k', T_STR, "KUBE_VIRT_INTERFACES", NULL, "", "IFACES",
		"virtual interfaces (KubeVirt, ...): traffic arriving on them is treated as outbound" },
	[O_TPROXY_MARK] = { "istio-inbound-tproxy-mark", 't', T_STR, "ISTIO_INBOUND_TPROXY_MARK", NULL, "1337", "MARK",
		"packet and connection mark used by TPROXY" },
	[O_ROUTE_TABLE] = { "istio-inbound-tproxy-route-table", 'r', T_STR, "ISTIO_INBOUND_TPROXY_ROUTE_TABLE", NULL, "133", "TABLE",
		"routing table for TPROXY policy routing" },
	[O_DRY_RUN] = { "dry-run", 'n', T_BOOL, "DRY_RUN", NULL, "false", NULL,
		"print the rules as an nft -f script; touch no kernel state, need no privilege" },
	[O_PROBE_PORT] = { "iptables-probe-port", 0, T_U16, "IPTABLES_PROBE_PORT", NULL, "15002", "PORT",
		"original destination port of the --run-validation probe" },
	[O_PROBE_TIMEOUT] = { "probe-timeout", 0, T_DURATION, "PROBE_TIMEOUT", NULL, "5s", "DURATION",
		"total deadline of --run-validation (Go duration: 5s, 500ms)" },
	[O_SKIP_APPLY] = { "skip-rule-apply", 0, T_BOOL, "SKIP_RULE_APPLY", NULL, "false", NULL,
		"install nothing (use with --run-validation)" },
	[O_RUN_VALIDATION] = { "run-validation", 0, T_BOOL, "RUN_VALIDATION", NULL, "false", NULL,
		"probe that the redirect works; exit 126 when it does not" },
	[O_REDIRECT_DNS] = { "redirect-dns", 0, T_BOOL, "REDIRECT_DNS", "ISTIO_META_DNS_CAPTURE", "false", NULL,
		"capture DNS (TCP and UDP port 53) to the agent on port 15053" },
	[O_DROP_INVALID] = { "drop-invalid", 0, T_BOOL, "DROP_INVALID", "INVALID_DROP", "false", NULL,
		"drop conntrack-invalid inbound TCP packets" },
	[O_DUAL_STACK] = { "dual-stack", 0, T_BOOL, "DUAL_STACK", "ISTIO_DUAL_STACK", "false", NULL,
		"IPv6 is on when the pod has any IPv6 address (else only when its first address is IPv6)" },
	[O_CAPTURE_ALL_DNS] = { "capture-all-dns", 0, T_BOOL, "CAPTURE_ALL_DNS", NULL, "false", NULL,
		"with --redirect-dns: capture port 53 to any address, not only the resolv.conf servers" },
	[O_NETWORK_NAMESPACE] = { "network-namespace", 0, T_STR, "NETWORK_NAMESPACE", NULL, "", "NS",
		"accepted for compatibility; does not enter a namespace (use --netns)" },
	[O_CNI_MODE] = { "cni-mode", 0, T_BOOL, "CNI_MODE", NULL, "false", NULL,
		"accepted for compatibility; no effect" },
	[O_RECONCILE] = { "reconcile", 0, T_BOOL, "RECONCILE", NULL, "false", NULL,
		"accepted; every run atomically replaces meshinit's state, so no special path is needed" },
	[O_CLEANUP_ONLY] = { "cleanup-only", 0, T_BOOL, "CLEANUP_ONLY", NULL, "false", NULL,
		"remove everything meshinit installed (rules and TPROXY routes) and install nothing" },
	[O_FORCE_APPLY] = { "force-apply", 0, T_BOOL, "FORCE_APPLY", NULL, "false", NULL,
		"accepted; every run atomically replaces meshinit's state" },
	[O_NATIVE_NFTABLES] = { "native-nftables", 0, T_BOOL, "NATIVE_NFTABLES", NULL, "false", NULL,
		"accepted; meshinit always programs nftables through netlink" },
	[O_FORCE_IPTABLES_BINARY] = { "force-iptables-binary", 0, T_STR, "FORCE_IPTABLES_BINARY", NULL, "", "BIN",
		"accepted for compatibility ('', legacy or nft); no effect" },
	[O_EXCLUDE_UIDS] = { "exclude-outbound-uids", 0, T_STR, "MESHINIT_EXCLUDE_OUTBOUND_UIDS", NULL, "", "UIDS",
		"sockets of these uids (numbers, a-b ranges, names) are never captured: for init containers" },
	[O_EXCLUDE_GIDS] = { "exclude-outbound-gids", 0, T_STR, "MESHINIT_EXCLUDE_OUTBOUND_GIDS", NULL, "", "GIDS",
		"sockets of these gids (numbers, a-b ranges, names) are never captured: for init containers" },
	[O_EXCLUDE_UID_PORTS] = { "exclude-outbound-ports-for-uids", 0, T_STR, "MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS", NULL, "", "SPEC",
		"[tcp:|udp:]PORTS:UIDS[;...]: these uids bypass the proxy for these destination ports only" },
	[O_IPV6] = { "ipv6", 0, T_STR, "MESHINIT_IPV6", NULL, "auto", "auto|on|off",
		"IPv6 rules: auto detects from the pod's addresses as Istio does" },
	[O_RESOLV_CONF] = { "resolv-conf", 0, T_STR, "MESHINIT_RESOLV_CONF", NULL, "/etc/resolv.conf", "PATH",
		"where --redirect-dns reads the nameservers" },
	[O_CHECK] = { "check", 0, T_BOOL, "MESHINIT_CHECK", NULL, "false", NULL,
		"send the whole transaction to the kernel for validation, then abort it: nothing changes" },
	[O_TRACE_ONLY] = { "trace-only", 0, T_BOOL, NULL, NULL, "false", NULL,
		"cleanup: remove only a table inet meshinit-trace left by a "
			"killed 'meshinit trace'" },
	[O_NETNS] = { "netns", 0, T_STR, "MESHINIT_NETNS", NULL, "", "NS",
		"enter this network namespace first: a path, a name under /var/run/netns, or a pid" },
	[O_OUTPUT] = { "output", 'O', T_STR, NULL, NULL, "text", "FORMAT",
		"status: text or json" },
	[O_LOG_LEVEL] = { "log_output_level", 0, T_STR, NULL, NULL, "default:info", "LEVELS",
		"LEVEL or SCOPE:LEVEL,...; levels debug, info, warn, error, fatal, none" },
	[O_LOG_JSON] = { "log_as_json", 0, T_BOOL, NULL, NULL, "false", NULL,
		"log JSON lines" },
	[O_LOG_TARGET] = { "log_target", 0, T_STR, NULL, NULL, "stdout", "TARGET",
		"accepted for compatibility; logs go to stdout" },
	[O_LOG_STACKTRACE] = { "log_stacktrace_level", 0, T_STR, NULL, NULL, "default:none", "LEVELS",
		"accepted for compatibility" },
	[O_LOG_CALLER] = { "log_caller", 0, T_STR, NULL, NULL, "", "SCOPES",
		"accepted for compatibility" },
	[O_VKLOG] = { "vklog", 0, T_INT, NULL, NULL, "0", "N",
		"accepted for compatibility" },
	[O_DIRECTION] = { "direction", 0, T_STR, NULL, NULL, "", "out|in",
		"explain: the packet is locally generated (out) or arrives on an interface (in)" },
	[O_UID] = { "uid", 0, T_STR, NULL, NULL, "", "UID",
		"explain, trace: uid (number or name) of the sending socket" },
	[O_GID] = { "gid", 0, T_STR, NULL, NULL, "", "GID",
		"explain, trace: gid (number or name) of the sending socket" },
	[O_PROTO] = { "proto", 0, T_STR, NULL, NULL, "", "tcp|udp",
		"explain, trace: the packet's protocol (explain default tcp)" },
	[O_DST] = { "dst", 0, T_STR, NULL, NULL, "", "ADDR[:PORT]",
		"explain, trace: destination address and port ([v6]:port)" },
	[O_SRC] = { "src", 0, T_STR, NULL, NULL, "", "ADDR[:PORT]",
		"explain, trace: source address (and port)" },
	[O_IIF] = { "iif", 0, T_STR, NULL, NULL, "", "IFACE",
		"explain: interface an inbound packet arrives on (default eth0)" },
	[O_OIF] = { "oif", 0, T_STR, NULL, NULL, "", "IFACE",
		"explain: interface an outbound packet leaves by (default lo for local addresses, else eth0)" },
	[O_CT_STATE] = { "ct-state", 0, T_STR, NULL, NULL, "new", "STATE",
		"explain: conntrack state of the packet: new, established, related or invalid" },
	[O_KERNEL] = { "kernel", 0, T_BOOL, NULL, NULL, "false", NULL,
		"explain: also send the packet and compare with the kernel's nftrace (root)" },
	[O_VERBOSE] = { "verbose", 'v', T_BOOL, NULL, NULL, "false", NULL,
		"explain: also list the rules that did not match, and why" },
	[O_HELP] = { "help", 'h', T_BOOL, NULL, NULL, "false", NULL,
		"print this help" },
	[O_VERSION] = { "version", 0, T_BOOL, NULL, NULL, "false", NULL,
		"print the version" },
};

/* Where a raw value came from, for error messages. */
struct raw {
	const char *val[O__COUNT];
	char src[O__COUNT][160];
	char default_uid[16];	/* -u when empty: $ENVOY_USER's uid or 1337 */
	char *lists[O__COUNT];	/* contents of @FILE list values, owned */
};

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
	if (o->shortname)
		snprintf(buf, len, "-%c/--%s", o->shortname, o->name);
	else
		snprintf(buf, len, "--%s", o->name);
}

/* ---- stage 1: raw strings, with precedence ---------------------------- */

/*
 * Copy @s for an error message: control characters as \xNN (the message
 * stays one line), cut with "..." after @max output characters so that
 * the reason still fits the message.
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

static int usage_err(struct mi_err *err, const char *what, const char *a)
{
	char abuf[160 + 4];

	return mi_err_setx(err, MI_EXIT_USAGE, -EINVAL, "%s%s", what,
			   msg_value(a, 160, abuf));
}

static void raw_env(struct raw *raw, char *const envp[])
{
	for (int i = 0; i < O__COUNT; i++) {
		const struct opt *o = &opts[i];
		const char *names[2] = { o->env, o->alias };

		raw->val[i] = o->def;
		snprintf(raw->src[i], sizeof(raw->src[i]), "default of --%s",
			 o->name);
		for (int k = 0; k < 2; k++) {
			const char *v = names[k] ? env_get(envp, names[k]) : NULL;

			/* as Istio: an empty env var leaves typed flags alone */
			if (!v || (!*v && o->type != T_STR))
				continue;
			raw->val[i] = v;
			snprintf(raw->src[i], sizeof(raw->src[i]), "env %s",
				 names[k]);
		}
	}
}

static const struct opt *find_long(const char *name, size_t len, int *id)
{
	for (int i = 0; i < O__COUNT; i++) {
		if (strlen(opts[i].name) == len &&
		    !strncmp(opts[i].name, name, len)) {
			*id = i;
			return &opts[i];
		}
	}
	return NULL;
}

static const struct opt *find_short(char c, int *id)
{
	for (int i = 0; i < O__COUNT; i++) {
		if (opts[i].shortname == c) {
			*id = i;
			return &opts[i];
		}
	}
	return NULL;
}

static void raw_set(struct raw *raw, int id, const char *v)
{
	raw->val[id] = v;
	describe_flag(&opts[id], raw->src[id], sizeof(raw->src[id]));
}

static int parse_long(struct raw *raw, int argc, char *const argv[], int *i,
		      struct mi_err *err)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct opt *o;
	int id;

	o = find_long(a, len, &id);
	if (!o)
		return usage_err(err, "unknown flag: --", a);
	if (o->type == T_BOOL) {
		raw_set(raw, id, eq ? eq + 1 : "true");
		return 0;
	}
	if (eq) {
		raw_set(raw, id, eq + 1);
		return 0;
	}
	if (*i + 1 >= argc)
		return usage_err(err, "flag needs an argument: --", o->name);
	raw_set(raw, id, argv[++*i]);
	return 0;
}

static int parse_short(struct raw *raw, int argc, char *const argv[], int *i,
		       struct mi_err *err)
{
	const char *a = argv[*i] + 1;

	while (*a) {
		char flag[2] = { *a, 0 };
		const struct opt *o;
		int id;

		o = find_short(*a, &id);
		if (!o)
			return usage_err(err, "unknown shorthand flag: -", flag);
		a++;
		if (o->type == T_BOOL) {
			if (*a == '=') {
				raw_set(raw, id, a + 1);
				return 0;
			}
			raw_set(raw, id, "true");
			continue;
		}
		if (*a) {
			raw_set(raw, id, *a == '=' ? a + 1 : a);
			return 0;
		}
		if (*i + 1 >= argc)
			return usage_err(err, "flag needs an argument: -", flag);
		raw_set(raw, id, argv[++*i]);
		return 0;
	}
	return 0;
}

static int raw_argv(struct raw *raw, int argc, char *const argv[],
		    struct mi_err *err)
{
	int ret;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (!strncmp(a, "--", 2))
			ret = parse_long(raw, argc, argv, &i, err);
		else if (a[0] == '-' && a[1])
			ret = parse_short(raw, argc, argv, &i, err);
		else
			ret = 0; /* positional arguments are ignored, as Istio */
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- stage 2: typed values -------------------------------------------- */

struct conv {
	struct raw *raw;
	struct mi_err *err;
};

static int bad(struct conv *c, int id, const char *item, const char *why)
{
	const char *v = c->raw->val[id];
	char vbuf[160 + 4], ibuf[80 + 4];

	if (item && strcmp(item, v))
		return mi_err_set(c->err, -EINVAL, "invalid %s \"%s\": \"%s\" %s",
				  c->raw->src[id], msg_value(v, 160, vbuf),
				  msg_value(item, 80, ibuf), why);
	return mi_err_set(c->err, -EINVAL, "invalid %s \"%s\": %s",
			  c->raw->src[id], msg_value(v, 160, vbuf), why);
}

/* Split a comma list: items trimmed of blanks; empty items dropped. */
static int each_item(struct conv *c, int id, char sep,
		     int (*fn)(struct conv *, int, const char *, void *),
		     void *data)
{
	const char *p = c->raw->val[id];
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
			return bad(c, id, NULL, "has an item that is too long");
		if (n) {
			memcpy(item, s, n);
			item[n] = '\0';
			ret = fn(c, id, item, data);
			if (ret < 0)
				return ret;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static int port_item(struct conv *c, int id, const char *s, void *data)
{
	struct mi_range r;
	int ret = mi_range_parse(s, strlen(s), 1, 65535, &r);

	if (ret == -EDOM)
		return bad(c, id, s, "is a range whose start is after its end");
	if (ret < 0)
		return bad(c, id, s, "is not a port (1-65535) or port range (a-b)");
	mi_ranges_add(data, r.lo, r.hi);
	return 0;
}

static int port_list(struct conv *c, int id, struct mi_ranges *out)
{
	return each_item(c, id, ',', port_item, out);
}

static int one_port(struct conv *c, int id, uint16_t *out)
{
	uint32_t v;

	if (mi_parse_u32(c->raw->val[id], 1, 65535, &v) < 0)
		return bad(c, id, NULL, "is not a port (1-65535)");
	*out = (uint16_t)v;
	return 0;
}

static int cidr_item(struct conv *c, int id, const char *s, void *data)
{
	struct mi_cidr cidr;

	if (!strcmp(s, "*"))
		return bad(c, id, s, "is a wildcard inside a list");
	if (mi_cidr_parse(s, &cidr, NULL) < 0)
		return bad(c, id, s, "is not an IPv4 or IPv6 prefix (address/length)");
	mi_cidrs_add(data, &cidr);
	return 0;
}

static int iface_item(struct conv *c, int id, const char *s, void *data)
{
	if (!mi_ifname_valid(s))
		return bad(c, id, s, "is not a valid interface name");
	mi_ifnames_add(data, s);
	return 0;
}

struct idctx {
	struct mi_ranges *out;
	bool group;
	bool ranges;
};

static int resolve_name(const char *s, bool group, uint32_t *out)
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

static int id_item(struct conv *c, int id, const char *s, void *data)
{
	struct idctx *ic = data;
	struct mi_range r;
	int ret = mi_range_parse(s, strlen(s), 0, UINT32_MAX - 1, &r);

	if (ret == 0 && (r.lo == r.hi || ic->ranges)) {
		mi_ranges_add(ic->out, r.lo, r.hi);
		return 0;
	}
	if (ret == -EDOM)
		return bad(c, id, s, "is a range whose start is after its end");
	if (ret == 0)
		return bad(c, id, s, "is a range; give single ids here");
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-')
		return bad(c, id, s, ic->group ? "is not a gid" : "is not a uid");
	if (resolve_name(s, ic->group, &r.lo) < 0)
		return bad(c, id, s, ic->group ? "is not a known group" :
						 "is not a known user");
	mi_ranges_add(ic->out, r.lo, r.lo);
	return 0;
}

static int id_list(struct conv *c, int id, bool group, bool ranges,
		   struct mi_ranges *out)
{
	struct idctx ic = { out, group, ranges };

	return each_item(c, id, ',', id_item, &ic);
}

static int get_bool(struct conv *c, int id, bool *out)
{
	if (mi_parse_bool(c->raw->val[id], out) < 0)
		return bad(c, id, NULL, "is not a boolean (true, false, 1, 0, t, f)");
	return 0;
}

static int conv_bools(struct conv *c, struct mi_config *cfg)
{
	static const struct {
		int id;
		size_t off;
	} map[] = {
		{ O_DRY_RUN, offsetof(struct mi_config, dry_run) },
		{ O_SKIP_APPLY, offsetof(struct mi_config, skip_rule_apply) },
		{ O_RUN_VALIDATION, offsetof(struct mi_config, run_validation) },
		{ O_REDIRECT_DNS, offsetof(struct mi_config, redirect_dns) },
		{ O_DROP_INVALID, offsetof(struct mi_config, drop_invalid) },
		{ O_DUAL_STACK, offsetof(struct mi_config, dual_stack) },
		{ O_CAPTURE_ALL_DNS, offsetof(struct mi_config, capture_all_dns) },
		{ O_CLEANUP_ONLY, offsetof(struct mi_config, cleanup_only) },
		{ O_CHECK, offsetof(struct mi_config, check_only) },
		{ O_TRACE_ONLY, offsetof(struct mi_config, trace_only) },
		{ O_LOG_JSON, offsetof(struct mi_config, log_json) },
	};
	static const int others[] = { O_CNI_MODE, O_RECONCILE, O_FORCE_APPLY,
				      O_NATIVE_NFTABLES, O_HELP, O_VERSION,
				      O_KERNEL, O_VERBOSE };
	bool dummy;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (get_bool(c, map[i].id, (bool *)((char *)cfg + map[i].off)) < 0)
			return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (get_bool(c, others[i], &dummy) < 0)
			return -EINVAL;
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

/* Flag syntax errors that Istio reports through cobra (exit 255). */
static int conv_typed_flags(struct conv *c, struct mi_config *cfg)
{
	const char *v = c->raw->val[O_PROBE_PORT];
	char *end;
	unsigned long port;
	int ret;

	errno = 0;
	port = strtoul(v, &end, 0);
	if (!strncmp(v, "0b", 2) || !strncmp(v, "0o", 2)) {
		errno = 0;
		port = strtoul(v + 2, &end, v[1] == 'b' ? 2 : 8);
	}
	if (!*v || *end || errno || port > 65535 || v[0] == '-' || v[0] == '+')
		ret = bad(c, O_PROBE_PORT, NULL, "is not a port (0-65535)");
	else
		ret = 0;
	cfg->probe_port = (uint16_t)port;
	if (!ret && mi_parse_duration_ms(c->raw->val[O_PROBE_TIMEOUT],
					 &cfg->probe_timeout_ms) < 0)
		ret = bad(c, O_PROBE_TIMEOUT, NULL,
			  "is not a duration (for example 5s or 500ms)");
	if (!ret && !go_int_valid(c->raw->val[O_VKLOG]))
		ret = bad(c, O_VKLOG, NULL, "is not an integer");
	if (!ret)
		ret = conv_bools(c, cfg);
	return ret;
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

static int level_item(struct conv *c, int id, const char *s, void *data)
{
	struct mi_config *cfg = data;
	const char *colon = strchr(s, ':');
	enum mi_log_level lvl;

	if (parse_level(colon ? colon + 1 : s, &lvl) < 0)
		return bad(c, id, s, "is not a log level (debug, info, warn, error, fatal, none)");
	if (!colon || !strncmp(s, "default:", 8))
		cfg->log_level = lvl;
	return 0;
}

/* ---- stage 3: semantic values (exit 1) --------------------------------- */

static int conv_ports(struct conv *c, struct mi_config *cfg)
{
	const char *b = c->raw->val[O_INBOUND_PORTS];

	if (one_port(c, O_ENVOY_PORT, &cfg->proxy_port) < 0 ||
	    one_port(c, O_INBOUND_PORT, &cfg->inbound_port) < 0 ||
	    one_port(c, O_TUNNEL_PORT, &cfg->tunnel_port) < 0)
		return -EINVAL;
	if (!strcmp(b, "*")) {
		cfg->inbound = MI_CAPTURE_ALL;
		if (port_list(c, O_INBOUND_EXCLUDE, &cfg->inbound_exclude_ports) < 0)
			return -EINVAL;
	} else {
		if (port_list(c, O_INBOUND_PORTS, &cfg->inbound_ports) < 0)
			return -EINVAL;
		cfg->inbound = cfg->inbound_ports.n ? MI_CAPTURE_LIST :
						      MI_CAPTURE_NONE;
		/* -d is ignored unless -b is '*', but must still be valid */
		struct mi_ranges ignored = { 0 };
		int ret = port_list(c, O_INBOUND_EXCLUDE, &ignored);

		mi_ranges_release(&ignored);
		if (ret < 0)
			return ret;
	}
	if (port_list(c, O_OUTBOUND_PORTS, &cfg->outbound_include_ports) < 0 ||
	    port_list(c, O_OUTBOUND_EXCLUDE, &cfg->outbound_exclude_ports) < 0)
		return -EINVAL;
	return 0;
}

static int conv_cidrs(struct conv *c, struct mi_config *cfg)
{
	const char *i = c->raw->val[O_SERVICE_CIDR];

	if (!strcmp(c->raw->val[O_SERVICE_EXCLUDE], "*"))
		return bad(c, O_SERVICE_EXCLUDE, NULL,
			   "cannot be '*' (that would exclude everything; use -i \"\")");
	if (each_item(c, O_SERVICE_EXCLUDE, ',', cidr_item,
		      &cfg->outbound_exclude) < 0)
		return -EINVAL;
	if (!strcmp(i, "*")) {
		cfg->outbound = MI_CAPTURE_ALL;
		return 0;
	}
	if (each_item(c, O_SERVICE_CIDR, ',', cidr_item, &cfg->outbound_include) < 0)
		return -EINVAL;
	cfg->outbound = cfg->outbound_include.n ? MI_CAPTURE_LIST : MI_CAPTURE_NONE;
	for (size_t k = 0; k < cfg->outbound_include.n; k++)
		if (mi_cidr_is_loopback(&cfg->outbound_include.v[k]))
			cfg->include_has_loopback = true;
	return 0;
}

static int conv_identity(struct conv *c, struct mi_config *cfg, char *const envp[])
{
	struct raw *raw = c->raw;
	if (!*raw->val[O_PROXY_UID]) {
		const char *user = env_get(envp, "ENVOY_USER");
		struct passwd *pw = getpwnam(user && *user ? user : "istio-proxy");

		snprintf(raw->default_uid, sizeof(raw->default_uid), "%u",
			 pw ? pw->pw_uid : 1337u);
		raw->val[O_PROXY_UID] = raw->default_uid;
	}
	if (id_list(c, O_PROXY_UID, false, false, &cfg->proxy_uids) < 0)
		return -EINVAL;
	if (!cfg->proxy_uids.n)
		return bad(c, O_PROXY_UID, NULL, "names no uid");
	if (!*raw->val[O_PROXY_GID]) {
		/* as Istio: the gid list defaults to the uid string */
		raw->val[O_PROXY_GID] = raw->val[O_PROXY_UID];
		snprintf(raw->src[O_PROXY_GID], sizeof(raw->src[0]),
			 "-g/--proxy-gid (defaulted from %.96s)", raw->src[O_PROXY_UID]);
	}
	if (id_list(c, O_PROXY_GID, true, false, &cfg->proxy_gids) < 0)
		return -EINVAL;
	if (!cfg->proxy_gids.n)
		return bad(c, O_PROXY_GID, NULL, "names no gid");
	return 0;
}

static int conv_tproxy(struct conv *c, struct mi_config *cfg)
{
	uint32_t t;

	cfg->tproxy = !strcmp(c->raw->val[O_MODE], "TPROXY");
	if (mi_parse_u32(c->raw->val[O_TPROXY_MARK], 1, UINT32_MAX, &cfg->tproxy_mark) < 0)
		return bad(c, O_TPROXY_MARK, NULL, "is not a mark (decimal 1-4294967295)");
	if (cfg->tproxy_mark == MI_OUTBOUND_TPROXY_MARK)
		return bad(c, O_TPROXY_MARK, NULL, "collides with the outbound TPROXY mark 1338");
	if (mi_parse_u32(c->raw->val[O_ROUTE_TABLE], 1, UINT32_MAX, &t) < 0)
		return bad(c, O_ROUTE_TABLE, NULL, "is not a routing table number (decimal)");
	if (t >= 253 && t <= 255)
		return bad(c, O_ROUTE_TABLE, NULL,
			   "is a reserved routing table (default, main, local)");
	cfg->route_table = t;
	return 0;
}

static int conv_owner_groups(struct conv *c, struct mi_config *cfg,
			     char *const envp[])
{
	static const char *const inc_env = "ISTIO_OUTBOUND_OWNER_GROUPS";
	static const char *const exc_env = "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE";
	const char *inc = env_get(envp, inc_env), *exc = env_get(envp, exc_env);
	struct raw tmp;
	struct conv tc = { &tmp, c->err };

	memset(&tmp, 0, sizeof(tmp));
	if (inc && strcmp(inc, "*")) {
		cfg->owner_include_all = false;
		tmp.val[0] = inc;
		snprintf(tmp.src[0], sizeof(tmp.src[0]), "env %s", inc_env);
		if (id_list(&tc, 0, true, false, &cfg->owner_include) < 0)
			return -EINVAL;
		if (cfg->owner_include.n > MI_MAX_OWNER_GROUPS)
			return bad(&tc, 0, NULL, "has more than 64 groups");
	} else if (exc) {
		tmp.val[0] = exc;
		snprintf(tmp.src[0], sizeof(tmp.src[0]), "env %s", exc_env);
		if (id_list(&tc, 0, true, false, &cfg->owner_exclude) < 0)
			return -EINVAL;
	}
	return 0;
}

static int conv_loopback(struct conv *c, struct mi_config *cfg,
			 char *const envp[])
{
	static const char *const name = "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR";
	const char *v = env_get(envp, name);
	struct raw tmp;
	struct conv tc = { &tmp, c->err };

	if (!v)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	tmp.val[0] = v;
	snprintf(tmp.src[0], sizeof(tmp.src[0]), "env %s", name);
	if (mi_cidr_parse(v, &cfg->loopback4, NULL) < 0 ||
	    cfg->loopback4.family != AF_INET)
		return bad(&tc, 0, NULL, "is not an IPv4 prefix");
	/* before the address: clearing host bits of 127.x/7 gives 126.x */
	if (cfg->loopback4.plen < 8)
		return bad(&tc, 0, NULL, "must have a prefix length from 8 to 32");
	if (cfg->loopback4.addr[0] != 127)
		return bad(&tc, 0, NULL, "is not in the loopback range 127.0.0.0/8");
	return 0;
}

struct upctx {
	struct mi_config *cfg;
	const char *entry;
};

static bool ranges_overlap(const struct mi_range *a, const struct mi_range *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

static int uidport_add(struct conv *c, int id, uint8_t proto,
		       const struct mi_ranges *ports, const struct mi_ranges *uids,
		       struct mi_uidports *out)
{
	for (size_t p = 0; p < ports->n; p++) {
		for (size_t u = 0; u < uids->n; u++) {
			struct mi_uidport e = { proto, uids->v[u], ports->v[p] };

			for (size_t k = 0; k < out->n; k++) {
				const struct mi_uidport *o = &out->v[k];

				if (o->proto == proto &&
				    ranges_overlap(&o->uid, &e.uid) &&
				    ranges_overlap(&o->port, &e.port))
					return bad(c, id, NULL,
						   "has overlapping port/uid entries");
			}
			mi_grow((void **)&out->v, &out->cap, out->n + 1,
				sizeof(*out->v));
			out->v[out->n++] = e;
		}
	}
	return 0;
}

static int uidport_entry(struct conv *c, int id, const char *s, void *data)
{
	struct mi_config *cfg = data;
	const char *body = s, *colon;
	struct mi_ranges ports = { 0 }, uids = { 0 };
	struct raw tmp = *c->raw;
	struct conv tc = { &tmp, c->err };
	bool tcp = true, udp = true;
	char pbuf[4096], ebuf[80 + 4];
	int ret;

	/* errors about a part name the whole entry too */
	snprintf(tmp.src[id], sizeof(tmp.src[id]), "%.60s (entry \"%s\")",
		 c->raw->src[id], msg_value(s, 80, ebuf));
	if (!strncmp(s, "tcp:", 4) || !strncmp(s, "udp:", 4)) {
		tcp = s[0] == 't';
		udp = !tcp;
		body = s + 4;
	}
	colon = strrchr(body, ':');
	if (!colon || colon == body || !colon[1])
		return bad(c, id, s, "is not [tcp:|udp:]PORTS:UIDS");
	snprintf(pbuf, sizeof(pbuf), "%.*s", (int)(colon - body), body);
	tmp.val[id] = pbuf;
	ret = each_item(&tc, id, ',', port_item, &ports);
	if (!ret) {
		struct idctx ic = { &uids, false, true };

		tmp.val[id] = colon + 1;
		ret = each_item(&tc, id, ',', id_item, &ic);
	}
	if (!ret && (!ports.n || !uids.n))
		ret = bad(c, id, s, "is not [tcp:|udp:]PORTS:UIDS");
	if (!ret && tcp)
		ret = uidport_add(c, id, IPPROTO_TCP, &ports, &uids, &cfg->exclude_uid_ports);
	if (!ret && udp)
		ret = uidport_add(c, id, IPPROTO_UDP, &ports, &uids, &cfg->exclude_uid_ports);
	mi_ranges_release(&ports);
	mi_ranges_release(&uids);
	return ret;
}

static int conv_exclusions(struct conv *c, struct mi_config *cfg)
{
	if (id_list(c, O_EXCLUDE_UIDS, false, true, &cfg->exclude_uids) < 0 ||
	    id_list(c, O_EXCLUDE_GIDS, true, true, &cfg->exclude_gids) < 0)
		return -EINVAL;
	return each_item(c, O_EXCLUDE_UID_PORTS, ';', uidport_entry, cfg);
}

#ifdef MI_TEST_HOOKS
/* Test builds only: fault injection; see MI_EMIT_FAULT_* in include/emit.h. */
static int conv_fault(struct conv *c, struct mi_config *cfg, char *const envp[])
{
	static const char *const name = "MESHINIT_FAULT_INJECT";
	static const char *const where[] = { "first", "middle", "last" };
	const char *v = env_get(envp, name);
	char vbuf[160 + 4];

	if (!v || !*v)
		return 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(where); i++) {
		if (!strcmp(v, where[i])) {
			cfg->fault_inject = 1u << (i + 2);
			return 0;
		}
	}
	return mi_err_set(c->err, -EINVAL, "invalid env %s \"%s\": is not first, middle or last",
			  name, msg_value(v, 160, vbuf));
}
#else
static int conv_fault(struct conv *c, struct mi_config *cfg, char *const envp[])
{
	(void)c;
	(void)cfg;
	(void)envp;
	return 0;
}
#endif

static int conv_misc(struct conv *c, struct mi_config *cfg)
{
	const char *v6 = c->raw->val[O_IPV6];
	const char *fib = c->raw->val[O_FORCE_IPTABLES_BINARY];

	if (!strcmp(v6, "auto"))
		cfg->ipv6_mode = MI_IPV6_AUTO;
	else if (!strcmp(v6, "on"))
		cfg->ipv6_mode = MI_IPV6_ON;
	else if (!strcmp(v6, "off"))
		cfg->ipv6_mode = MI_IPV6_OFF;
	else
		return bad(c, O_IPV6, NULL, "is not auto, on or off");
	if (*fib && strcmp(fib, "legacy") && strcmp(fib, "nft"))
		return bad(c, O_FORCE_IPTABLES_BINARY, NULL, "is not '', legacy or nft");
	if (strlen(c->raw->val[O_RESOLV_CONF]) >= sizeof(cfg->resolv_conf) ||
	    !*c->raw->val[O_RESOLV_CONF])
		return bad(c, O_RESOLV_CONF, NULL, "is not a usable path");
	strcpy(cfg->resolv_conf, c->raw->val[O_RESOLV_CONF]);
	if (strlen(c->raw->val[O_NETNS]) >= sizeof(cfg->netns))
		return bad(c, O_NETNS, NULL, "is too long");
	strcpy(cfg->netns, c->raw->val[O_NETNS]);
	if (cfg->dry_run && cfg->check_only)
		return bad(c, O_CHECK, NULL, "cannot be combined with --dry-run");
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
	static const int ids[] = { O_INBOUND_PORTS, O_INBOUND_EXCLUDE,
		O_SERVICE_CIDR, O_SERVICE_EXCLUDE, O_OUTBOUND_PORTS,
		O_OUTBOUND_EXCLUDE, O_EXCLUDE_UIDS, O_EXCLUDE_GIDS,
		O_EXCLUDE_UID_PORTS };
	struct raw *raw = c->raw;

	memset(raw->lists, 0, sizeof(raw->lists));
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		int id = ids[i];
		const char *v = raw->val[id];
		char why[96];
		size_t n;

		if (v[0] != '@')
			continue;
		raw->lists[id] = read_list_file(v + 1,
						id == O_EXCLUDE_UID_PORTS ? ';' : ',');
		if (!raw->lists[id]) {
			snprintf(why, sizeof(why), "cannot read the list file: %s",
				 errno == EILSEQ ? "it contains a NUL byte" :
				 strerror(errno));
			return bad(c, id, NULL, why);
		}
		raw->val[id] = raw->lists[id];
		n = strlen(raw->src[id]);
		snprintf(raw->src[id] + n, sizeof(raw->src[id]) - n,
			 " (file %.96s)", v + 1);
	}
	return 0;
}

static void release_list_files(struct raw *raw)
{
	for (int i = 0; i < O__COUNT; i++)
		free(raw->lists[i]);
}

static int conv_all(struct conv *c, struct mi_config *cfg, char *const envp[])
{
	if (conv_ports(c, cfg) < 0 || conv_cidrs(c, cfg) < 0 ||
	    conv_identity(c, cfg, envp) < 0 || conv_tproxy(c, cfg) < 0 ||
	    each_item(c, O_EXCLUDE_IFACES, ',', iface_item, &cfg->exclude_ifaces) < 0 ||
	    each_item(c, O_VIRT_IFACES, ',', iface_item, &cfg->virt_ifaces) < 0 ||
	    conv_owner_groups(c, cfg, envp) < 0 || conv_loopback(c, cfg, envp) < 0 ||
	    conv_exclusions(c, cfg) < 0 || conv_misc(c, cfg) < 0 ||
	    conv_fault(c, cfg, envp) < 0)
		return -EINVAL;
	return 0;
}

/* explain/trace flags, checked by explain.c (booleans already are) */
static void flow_args(struct conv *c, struct mi_flow_args *f)
{
	const char *const *v = c->raw->val;

	f->direction = v[O_DIRECTION];
	f->uid = v[O_UID];
	f->gid = v[O_GID];
	f->proto = v[O_PROTO];
	f->dst = v[O_DST];
	f->src = v[O_SRC];
	f->iif = v[O_IIF];
	f->oif = v[O_OIF];
	f->ct_state = v[O_CT_STATE];
	mi_parse_bool(v[O_KERNEL], &f->kernel);
	mi_parse_bool(v[O_VERBOSE], &f->verbose);
}

static enum mi_cmd parse_cmd(int *argc, char *const **argv)
{
	static const struct {
		const char *word;
		enum mi_cmd cmd;
	} words[] = {
		{ "istio-iptables", MI_CMD_INSTALL }, { "install", MI_CMD_INSTALL },
		{ "cleanup", MI_CMD_CLEANUP },	      { "status", MI_CMD_STATUS },
		{ "verify", MI_CMD_VERIFY },
		{ "explain", MI_CMD_EXPLAIN },	      { "trace", MI_CMD_TRACE },
	};

	if (*argc < 1)
		return MI_CMD_INSTALL;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (!strcmp((*argv)[0], words[i].word)) {
			(*argc)--;
			(*argv)++;
			return words[i].cmd;
		}
	}
	return MI_CMD_INSTALL;
}

/*
 * How many values that shape the rules came from a flag or the
 * environment: status, verify and explain without any of them work from
 * the install record instead.
 */
static void count_rule_options(const struct raw *raw, char *const envp[],
			       struct mi_cli *cli)
{
	static const int ids[] = {
		O_ENVOY_PORT, O_INBOUND_PORT, O_TUNNEL_PORT, O_PROXY_UID,
		O_PROXY_GID, O_MODE, O_INBOUND_PORTS, O_INBOUND_EXCLUDE,
		O_EXCLUDE_IFACES, O_SERVICE_CIDR, O_SERVICE_EXCLUDE,
		O_OUTBOUND_PORTS, O_OUTBOUND_EXCLUDE, O_VIRT_IFACES,
		O_TPROXY_MARK, O_ROUTE_TABLE, O_REDIRECT_DNS, O_DROP_INVALID,
		O_DUAL_STACK, O_CAPTURE_ALL_DNS, O_EXCLUDE_UIDS, O_EXCLUDE_GIDS,
		O_EXCLUDE_UID_PORTS, O_IPV6, O_RESOLV_CONF,
	};
	static const char *const envs[] = {
		"ISTIO_OUTBOUND_OWNER_GROUPS",
		"ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE",
		"ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (strncmp(raw->src[ids[i]], "default of ", 11))
			cli->nrule_options++;
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++)
		if (env_get(envp, envs[i]))
			cli->nrule_options++;
}

int mi_cli_parse(int argc, char *const argv[], char *const envp[],
		 struct mi_cli *cli, struct mi_err *err)
{
	struct raw raw;
	struct conv c = { &raw, err };
	bool help = false, version = false;
	int ret;

	memset(cli, 0, sizeof(*cli));
	mi_config_init(&cli->cfg);
	argc--; /* program name */
	argv++;
	cli->cmd = parse_cmd(&argc, &argv);
	raw_env(&raw, envp);
	ret = raw_argv(&raw, argc, argv, err);
	if (ret < 0)
		return ret;
	if (get_bool(&c, O_HELP, &help) < 0 || get_bool(&c, O_VERSION, &version) < 0)
		goto usage;
	if (help || version) {
		cli->cmd = help ? MI_CMD_HELP : MI_CMD_VERSION;
		return 0;
	}
	if (conv_typed_flags(&c, &cli->cfg) < 0 ||
	    each_item(&c, O_LOG_LEVEL, ',', level_item, &cli->cfg) < 0)
		goto usage;
	if (strcmp(raw.val[O_OUTPUT], "text") && strcmp(raw.val[O_OUTPUT], "json")) {
		bad(&c, O_OUTPUT, NULL, "is not text or json");
		goto usage;
	}
	strcpy(cli->status_format, raw.val[O_OUTPUT]);
	count_rule_options(&raw, envp, cli);
	flow_args(&c, &cli->flow);
	if (cli->cfg.cleanup_only || cli->cfg.trace_only)
		cli->cmd = cli->cmd == MI_CMD_INSTALL ? MI_CMD_CLEANUP : cli->cmd;
	ret = load_list_files(&c);
	if (!ret)
		ret = conv_all(&c, &cli->cfg, envp);
	release_list_files(&raw);
	return ret;
usage:
	/* malformed flags are cobra errors in Istio (255); env values are ours */
	if (strncmp(err->msg, "invalid env ", 12))
		err->exit = MI_EXIT_USAGE;
	return -EINVAL;
}

void mi_cli_usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [istio-iptables|install|cleanup|status|verify|explain|trace] [flags]\n"
		"\n"
		"Program nftables rules, through netlink in one atomic transaction, that\n"
		"redirect a pod's TCP (and DNS) traffic to its sidecar proxy. A drop-in for\n"
		"Istio's istio-iptables: the same flags and environment variables.\n"
		"\n"
		"Commands:\n"
		"  istio-iptables, install  replace meshinit's rules with the ones the flags give (default)\n"
		"  cleanup                  remove everything meshinit installed (= --cleanup-only)\n"
		"  status                   show what is installed, with packet counters (-O json)\n"
		"  verify                   compare the kernel's state with what the flags give\n"
		"  explain                  which rules one packet meets and whether it is captured\n"
		"                           (--direction --uid --gid --proto --dst ...; --kernel checks)\n"
		"  trace                    print the kernel's nftrace events of matching packets\n"
		"                           until SIGINT/SIGTERM (root)\n"
		"\n"
		"Flags (environment variable, default):\n",
		prog);
	for (int i = 0; i < O__COUNT; i++) {
		const struct opt *o = &opts[i];
		char names[64];

		if (o->shortname)
			snprintf(names, sizeof(names), "-%c, --%s", o->shortname, o->name);
		else
			snprintf(names, sizeof(names), "    --%s", o->name);
		fprintf(out, "  %s%s%s\n      %s\n", names, o->arg ? " " : "",
			o->arg ? o->arg : "", o->help);
		if (o->env || (o->def && *o->def && o->type != T_BOOL))
			fprintf(out, "      [%s%s%s%s%sdefault \"%s\"]\n",
				o->env ? "env " : "", o->env ? o->env : "",
				o->alias ? ", alias " : "", o->alias ? o->alias : "",
				o->env ? "; " : "", o->def);
	}
	fprintf(out,
		"\n"
		"Environment variables without a flag:\n"
		"  ISTIO_OUTBOUND_OWNER_GROUPS          groups whose traffic is captured ('*', the default: all)\n"
		"  ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE  groups whose traffic is not captured\n"
		"  ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR    what counts as localhost (default 127.0.0.1/32)\n"
		"  ENVOY_USER                           user whose uid is the default -u (istio-proxy)\n"
		"\n"
		"Precedence: default < environment < alias environment < command line.\n"
		"Lists are comma separated; empty items are dropped; port ranges are a-b or a:b.\n"
		"A list value @FILE (-b -d -i -x -q -o and the --exclude-outbound-* flags)\n"
		"is read from FILE, where newlines separate items too.\n"
		"\n"
		"Exit codes: 0 success; 1 invalid value, environment or kernel error (nothing\n"
		"changed); 3 status: nothing installed; 4 verify: drift, explain --kernel:\n"
		"the kernel disagrees; 126 --run-validation\n"
		"failed; 255 unknown flag or malformed flag value.\n");
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
