/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CONFIG_H
#define MI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* Hard-coded by Istio, not flags. */
#define MI_DNS_AGENT_PORT 15053
#define MI_OUTBOUND_TPROXY_MARK 1338
#define MI_MAX_OWNER_GROUPS 64

enum mi_capture {
	MI_CAPTURE_NONE,	/* "" */
	MI_CAPTURE_ALL,		/* "*" */
	MI_CAPTURE_LIST,
};

enum mi_ipv6_mode {
	MI_IPV6_AUTO,		/* detect from the addresses, as Istio */
	MI_IPV6_ON,
	MI_IPV6_OFF,
};

enum mi_log_level {
	MI_LOG_DEBUG,
	MI_LOG_INFO,
	MI_LOG_WARN,
	MI_LOG_ERROR,
	MI_LOG_NONE,
};

/*
 * The validated, typed configuration. Produced by mi_cli_parse() and
 * completed by the environment detection (ipv6, DNS servers); the rule
 * planner reads it and nothing else.
 */
struct mi_config {
	/* ports */
	uint16_t proxy_port;		/* -p */
	uint16_t inbound_port;		/* -z */
	uint16_t tunnel_port;		/* -e */
	uint16_t probe_port;		/* --iptables-probe-port */

	/* identities of the proxy (never captured) */
	struct mi_ranges proxy_uids;	/* -u, in the given order */
	struct mi_ranges proxy_gids;	/* -g, in the given order */

	/* inbound */
	bool tproxy;			/* -m TPROXY */
	uint32_t tproxy_mark;		/* -t */
	uint32_t route_table;		/* -r */
	enum mi_capture inbound;	/* -b */
	struct mi_ranges inbound_ports;
	struct mi_ranges inbound_exclude_ports; /* -d (with -b '*') */

	/* interfaces */
	struct mi_ifnames exclude_ifaces;	/* -c */
	struct mi_ifnames virt_ifaces;		/* -k */

	/* outbound */
	enum mi_capture outbound;	/* -i */
	struct mi_cidrs outbound_include;
	struct mi_cidrs outbound_exclude;	/* -x */
	struct mi_ranges outbound_include_ports; /* -q */
	struct mi_ranges outbound_exclude_ports; /* -o */
	bool include_has_loopback;	/* an -i CIDR is loopback */
	struct mi_cidr loopback4;	/* ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR */

	/* owner groups (env only) */
	bool owner_include_all;
	struct mi_ranges owner_include;	/* gids, when !owner_include_all */
	struct mi_ranges owner_exclude;	/* gids, when owner_include_all */

	/* init-container exclusions (meshinit) */
	struct mi_ranges exclude_uids;
	struct mi_ranges exclude_gids;
	struct mi_uidports exclude_uid_ports;

	/* DNS */
	bool redirect_dns;		/* the flag, as requested */
	bool capture_all_dns;
	bool dns;			/* effective DNS capture */
	struct mi_cidrs dns_servers;	/* v4 and v6, /32 and /128 */
	char resolv_conf[256];

	/* environment */
	enum mi_ipv6_mode ipv6_mode;
	bool dual_stack;
	bool ipv6;			/* effective */
	char netns[256];

	/* behaviour switches */
	bool drop_invalid;
	bool dry_run;
	bool check_only;
	bool cleanup_only;
	bool trace_only;		/* cleanup --trace-only */
	bool skip_rule_apply;
	bool run_validation;
	uint64_t probe_timeout_ms;

	/* test builds only (MI_TEST_HOOKS): MESHINIT_FAULT_INJECT; else 0 */
	unsigned int fault_inject;	/* enum mi_emit_flags fault bit, or 0 */

	/* logging */
	enum mi_log_level log_level;
	bool log_json;
};

/* Fill @cfg with Istio's defaults (no allocation). */
void mi_config_init(struct mi_config *cfg);

/* Free the lists held by @cfg. */
void mi_config_release(struct mi_config *cfg);

#endif
