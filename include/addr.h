/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_ADDR_H
#define MI_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

#define MI_IFNAMSIZ 16

/* An address prefix; @addr is in network byte order, host bits cleared. */
struct mi_cidr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];
};

/* An inclusive range of ports or of ids (uids, gids). */
struct mi_range {
	uint32_t lo, hi;
};

/* A per-uid port carve-out: protocol . uid range . port range. */
struct mi_uidport {
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	struct mi_range uid;
	struct mi_range port;
};

struct mi_cidrs {
	size_t n, cap;
	struct mi_cidr *v;
};

struct mi_ranges {
	size_t n, cap;
	struct mi_range *v;
};

struct mi_ifnames {
	size_t n, cap;
	char (*v)[MI_IFNAMSIZ];
};

struct mi_uidports {
	size_t n, cap;
	struct mi_uidport *v;
};

void mi_cidrs_release(struct mi_cidrs *l);
void mi_ranges_release(struct mi_ranges *l);
void mi_ifnames_release(struct mi_ifnames *l);
void mi_uidports_release(struct mi_uidports *l);
void mi_cidrs_add(struct mi_cidrs *l, const struct mi_cidr *c);
void mi_ranges_add(struct mi_ranges *l, uint32_t lo, uint32_t hi);
void mi_ifnames_add(struct mi_ifnames *l, const char *name);

/*
 * mi_cidr_parse - parse "A.B.C.D/N" or "X::Y/N" strictly (a prefix length
 * is required, no whitespace). Host bits are cleared; *had_host_bits
 * (optional) tells whether the input had any.
 */
int mi_cidr_parse(const char *s, struct mi_cidr *out, bool *had_host_bits);

/* Parse a bare IPv4 or IPv6 address into a full-length prefix. */
int mi_addr_parse(const char *s, struct mi_cidr *out);

/* Format a prefix as "a.b.c.d/n" or "x::y/n" into @buf (>= 64 bytes). */
const char *mi_cidr_format(const struct mi_cidr *c, char *buf, size_t len);

/* Format an address only (no prefix length). */
const char *mi_addr_format(int family, const uint8_t *addr, char *buf,
			   size_t len);

/* True when the prefix lies in 127.0.0.0/8 or is ::1. */
bool mi_cidr_is_loopback(const struct mi_cidr *c);

/* Parse "N", "A-B" or "A:B" with values in [min, max], A <= B. */
int mi_range_parse(const char *s, size_t len, uint32_t min, uint32_t max,
		   struct mi_range *out);

/*
 * Sort ranges and merge overlapping or adjacent ones, in place. Interval
 * sets in the kernel must not overlap, and equal input gives equal output.
 */
void mi_ranges_normalize(struct mi_ranges *l);

/*
 * Convert prefixes of one family to sorted, merged inclusive address
 * ranges, written as pairs of 16-byte big-endian keys (IPv4 uses the
 * first 4 bytes). Returns the number of ranges in *out (caller frees).
 */
size_t mi_cidrs_to_ranges(const struct mi_cidrs *l, int family,
			  uint8_t (**out)[2][16]);

/*
 * mi_be_inc - add one to the @bytes-byte big-endian number @a in place.
 * Returns true when it wrapped around (@a was all ones, now all zeros).
 */
bool mi_be_inc(uint8_t *a, unsigned int bytes);

/* Valid interface name: 1..15 bytes, no '/', whitespace, ':' or NUL. */
bool mi_ifname_valid(const char *s);

#endif
