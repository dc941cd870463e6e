/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_SOCKDIAG_H
#define MI_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Sockets of the current network namespace, read with sock_diag
 * (NETLINK_SOCK_DIAG, inet_diag): whether anything listens where a
 * packet goes (the proxy is up or not).
 */
struct mi_sock {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t proto;	  /* IPPROTO_TCP (listening) or IPPROTO_UDP */
	uint8_t addr[16]; /* bound address; all zero: any */
	uint16_t port;
	uint32_t uid; /* owner */
	bool v6only;  /* AF_INET6 only: IPV6_V6ONLY */
};

/*
 * mi_sock_find - the TCP sockets listening on @port (IPPROTO_TCP) or the
 * UDP sockets bound to it (IPPROTO_UDP), of both families, into *out
 * (free()). Returns 0 or -errno.
 */
int mi_sock_find(uint8_t proto, uint16_t port, struct mi_sock **out, size_t *n,
		 struct mi_err *err);

/* True when @s takes a packet to @addr of @family (wildcard, v4-mapped). */
bool mi_sock_accepts(const struct mi_sock *s, int family, const uint8_t *addr);

#endif
