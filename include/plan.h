/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_PLAN_H
#define MI_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

/*
 * The rule plan: everything meshinit installs, as plain data. It lives in
 * one nftables table of family inet; chains and sets come from the fixed
 * catalogues below, so each has one stable name. A chain or set with no
 * content is not installed.
 */
#define MI_TABLE_NAME "meshinit"
/* `meshinit trace`'s temporary table; cleanup removes a leftover one. */
#define MI_TRACE_TABLE "meshinit-trace"
/*
 * The install record (record.h) travels in the table itself, as the
 * comments of the elements 0, 1, 2... of this set (type inet_service), at
 * most MI_RECORD_CHUNK bytes each: element userdata is capped at 256
 * bytes by the kernel (NFT_USERDATA_MAXLEN) and a comment at 128 by nft,
 * and set elements carry userdata on every kernel meshinit supports
 * (table userdata needs 5.13).
 */
#define MI_RECORD_SET "install-record"
#define MI_RECORD_CHUNK 120

/* Hook numbers, as NF_INET_* in <linux/netfilter.h>. */
#define MI_HOOK_PREROUTING 0
#define MI_HOOK_OUTPUT 3

enum mi_chain_id {
	MI_C_NAT_PREROUTING,
	MI_C_NAT_OUTPUT,
	MI_C_MANGLE_PREROUTING,
	MI_C_MANGLE_OUTPUT,
	MI_C_RAW_PREROUTING,
	MI_C_RAW_OUTPUT,
	MI_C_INBOUND,		/* nat: inbound REDIRECT capture */
	MI_C_REDIRECT,		/* nat: to the outbound port */
	MI_C_IN_REDIRECT,	/* nat: to the inbound port */
	MI_C_OUTPUT,		/* nat: outbound decisions */
	MI_C_OUTPUT_DNS,	/* nat: DNS to the agent */
	MI_C_DIVERT,		/* mangle: established TPROXY flows */
	MI_C_TPROXY,		/* mangle: new TPROXY flows */
	MI_C_MANGLE_INBOUND,	/* mangle: inbound TPROXY capture */
	MI_C_DROP,		/* mangle: conntrack-invalid drop */
	MI_C_RAW_INBOUND,	/* raw: DNS reply zones */
	MI_C_RAW_OUTPUT_DNS,	/* raw: DNS request zones */
	MI_C__COUNT
};

struct mi_chain_info {
	const char *name;
	const char *type;	/* "nat", "filter", "route"; NULL: regular */
	int hook;
	int prio;
};

/* Static description of chain @id. */
const struct mi_chain_info *mi_chain_info(enum mi_chain_id id);

enum mi_set_type {
	MI_ST_IPV4,		/* ipv4_addr */
	MI_ST_IPV6,		/* ipv6_addr */
	MI_ST_PORT,		/* inet_service */
	MI_ST_UID,
	MI_ST_GID,
	MI_ST_IFNAME,
	MI_ST_UID_PORT,		/* uid . inet_service */
};

enum mi_set_id {
	MI_SET_PROXY_UIDS,
	MI_SET_PROXY_GIDS,
	MI_SET_EXCLUDE_IFACES,
	MI_SET_VIRT_IFACES,
	MI_SET_INBOUND_PORTS,
	MI_SET_INBOUND_EXCLUDE_PORTS,
	MI_SET_OUTBOUND_PORTS,
	MI_SET_OUTBOUND_EXCLUDE_PORTS,
	MI_SET_EXCLUDE_CIDRS4,
	MI_SET_EXCLUDE_CIDRS6,
	MI_SET_INCLUDE_CIDRS4,
	MI_SET_INCLUDE_CIDRS6,
	MI_SET_OWNER_GROUPS,
	MI_SET_DNS_SERVERS4,
	MI_SET_DNS_SERVERS6,
	MI_SET_EXCLUDE_UIDS,
	MI_SET_EXCLUDE_GIDS,
	MI_SET_EXCLUDE_UID_TCP_PORTS,
	MI_SET_EXCLUDE_UID_UDP_PORTS,
	MI_SET__COUNT
};

struct mi_set_info {
	const char *name;
	enum mi_set_type type;
	bool interval;
	const char *what;	/* the config item it holds */
};

const struct mi_set_info *mi_set_info(enum mi_set_id id);

/* One set element; the member used depends on the set type. */
struct mi_elem {
	union {
		struct mi_range r;		/* port, uid, gid */
		uint8_t addr[2][16];		/* first, last (big-endian) */
		char ifname[MI_IFNAMSIZ];
		struct {
			struct mi_range uid, port;
		} up;
	};
};

struct mi_elems {
	size_t n, cap;
	struct mi_elem *v;
};

enum mi_key {
	MI_K_IIFNAME,
	MI_K_OIFNAME,
	MI_K_L4PROTO,
	MI_K_SKUID,
	MI_K_SKGID,
	MI_K_MARK,
	MI_K_CTMARK,
	MI_K_CTSTATE,		/* value: NF_CT_STATE_* bit mask */
	MI_K_IP_SADDR,
	MI_K_IP_DADDR,
	MI_K_IP6_SADDR,
	MI_K_IP6_DADDR,
	MI_K_TCP_DPORT,
	MI_K_UDP_DPORT,
	MI_K_UDP_SPORT,
	MI_K_SKUID_TCP_DPORT,	/* concatenation, set lookups only */
	MI_K_SKUID_UDP_DPORT,
};

enum mi_val_kind {
	MI_V_NUM,
	MI_V_CIDR,
	MI_V_IFNAME,
	MI_V_SET,
};

/* conntrack state bits, as the kernel's NF_CT_STATE_BIT() */
#define MI_CT_INVALID 0x1
#define MI_CT_ESTABLISHED 0x2
#define MI_CT_RELATED 0x4

struct mi_match {
	enum mi_key key;
	enum mi_val_kind val;
	bool neg;
	union {
		uint32_t num;
		struct mi_cidr cidr;
		char ifname[MI_IFNAMSIZ];
		enum mi_set_id set;
	};
};

enum mi_stmt_kind {
	MI_S_MARK_SET,		/* meta mark set N */
	MI_S_CTMARK_FROM_MARK,	/* ct mark set meta mark */
	MI_S_MARK_FROM_CTMARK,	/* meta mark set ct mark */
	MI_S_CTZONE_SET,	/* ct zone set N */
	MI_S_REDIRECT,		/* redirect to :N */
	MI_S_TPROXY4,		/* tproxy ip to :N */
	MI_S_TPROXY6,		/* tproxy ip6 to :N */
};

struct mi_stmt {
	enum mi_stmt_kind kind;
	uint32_t arg;
};

enum mi_verdict {
	MI_VERDICT_NONE,
	MI_VERDICT_RETURN,
	MI_VERDICT_ACCEPT,
	MI_VERDICT_DROP,
	MI_VERDICT_JUMP,
};

#define MI_RULE_MAX_MATCH 8
#define MI_RULE_MAX_STMT 2

/*
 * A rule: matches (all must hold), a counter, statements, a verdict.
 * @why names the configuration item the rule serves; it is installed as
 * the rule's comment and used in error reports and explanations.
 */
struct mi_rule {
	struct mi_match m[MI_RULE_MAX_MATCH];
	struct mi_stmt s[MI_RULE_MAX_STMT];
	uint8_t nm, ns;
	enum mi_verdict verdict;
	enum mi_chain_id target;	/* for MI_VERDICT_JUMP */
	const char *why;
	/*
	 * Read back from the kernel only (readback.h); zero in a built plan.
	 * @raw: the rule as libnftnl lists it, when it is not one meshinit
	 * can express (a rule added by hand): its matches, statements and
	 * verdict above are then empty and mean nothing; never evaluate it.
	 */
	const char *raw;
	bool no_counter;	/* the rule has no counter expression */
	uint64_t handle, packets, bytes;
};

struct mi_rules {
	size_t n, cap;
	struct mi_rule *v;
};

/* A chain meshinit's catalogue does not have (read back only). */
struct mi_xchain {
	const char *name;
	const char *base;	/*
		"type nat hook output priority -100", or NULL */
	struct mi_rules rules;
};

struct mi_plan {
	struct mi_rules chains[MI_C__COUNT];
	struct mi_elems sets[MI_SET__COUNT];
	bool set_used[MI_SET__COUNT];
	bool ipv6;
	/*
	 * The install record as text (record.h), installed as set
	 * MI_RECORD_SET; NULL: none. Owned by the plan (freed by
	 * mi_plan_release).
	 */
	char *record;
	/* read back only: chains and sets outside the catalogue */
	struct mi_xchain *xchains;
	size_t nxchains;
	char **xsets;		/* "name { type ...; N elements }" */
	size_t nxsets;
	/* read back only: strings the rules point to, freed with the plan */
	char **strs;
	size_t nstrs, capstrs;
};

/*
 * mi_plan_build - turn a validated configuration into the plan.
 * Pure: no syscalls, no environment, no clock. @plan is initialised here;
 * release it with mi_plan_release().
 */
void mi_plan_build(const struct mi_config *cfg, struct mi_plan *plan);

void mi_plan_release(struct mi_plan *plan);

/* A copy of @s owned by @plan (for read-back comments and raw rules). */
const char *mi_plan_strdup(struct mi_plan *plan, const char *s);

/* True when chain @id has rules (and is therefore installed). */
bool mi_plan_has_chain(const struct mi_plan *plan, enum mi_chain_id id);

/* True when set @id is referenced (and is therefore installed). */
bool mi_plan_has_set(const struct mi_plan *plan, enum mi_set_id id);

/* Totals for the summary log line. */
struct mi_plan_stats {
	size_t chains, rules, sets, elements;
};
void mi_plan_stats(const struct mi_plan *plan, struct mi_plan_stats *st);

#endif
