/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_DETECT_H
#define MI_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"

/* One interface address, as listed by RTM_GETADDR. */
struct mi_ifaddr {
	int family;
	unsigned int ifindex;
	unsigned char scope;
	unsigned char addr[16];
};

/*
 * mi_ipv6_decide - Istio's IPv6 decision over addresses in netlink dump
 * order (pure). Loopback, link-local and IPv4-mapped duplicates are
 * skipped. Without @dual_stack IPv6 is on when the first usable address
 * is IPv6; with it, when any usable address is IPv6. *any_addr tells
 * whether a usable address exists at all.
 */
bool mi_ipv6_decide(const struct mi_ifaddr *a, size_t n, bool dual_stack,
		    bool *any_addr);

/*
 * mi_resolv_parse - the nameservers of a resolv.conf text (pure). Each
 * is canonicalised (::127.0.0.53 -> ::7f00:35), zone suffixes are
 * dropped, unparsable entries are skipped, duplicates kept once.
 */
void mi_resolv_parse(const char *text, struct mi_cidrs *out);

/*
 * mi_detect_addrs - every IPv4 and IPv6 address of the current network
 * namespace, in netlink dump order (RTM_GETADDR; needs no privilege).
 * On success *out (caller frees) holds *n addresses.
 */
int mi_detect_addrs(struct mi_ifaddr **out, size_t *n, struct mi_err *err);

/* Warnings found while detecting, for the caller to log. */
enum mi_detect_warn {
	MI_WARN_NO_DNS_SERVERS = (1 << 0),
	MI_WARN_NO_ADDRESS = (1 << 1),
};

/*
 * mi_detect - complete @cfg from the running system: IPv6 enablement
 * (unless forced by --ipv6) from the namespace's addresses, and DNS
 * servers from cfg->resolv_conf when DNS capture needs them. Sets
 * cfg->ipv6, cfg->dns and cfg->dns_servers. Returns 0 or -errno.
 */
int mi_detect(struct mi_config *cfg, unsigned int *warn, struct mi_err *err);

#endif
