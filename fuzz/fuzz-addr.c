/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the address and range parsers: mi_cidr_parse,
 * mi_range_parse, mi_ranges_normalize and mi_cidrs_to_ranges.
 *
 * Input: the first byte picks the [min, max] bounds for mi_range_parse,
 * the rest is a comma list. Each item is parsed as a prefix and as a
 * range. Invariants checked: a parsed prefix has no host bits and
 * formats back to itself; a parsed range lies in its bounds; normalized
 * ranges are sorted, disjoint and not adjacent; the address ranges of
 * mi_cidrs_to_ranges are sorted, disjoint and cover every prefix.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint32_t min, max;
} bounds[] = {
	{ 0, 65535 }, { 1, 65535 }, { 0, UINT32_MAX }, { 0, UINT32_MAX - 1 },
};

static void check_prefix(const struct mi_cidr *c)
{
	unsigned int bytes = c->family == AF_INET ? 4 : 16;
	struct mi_cidr back;
	char buf[64];
	bool host;

	if (c->family != AF_INET && c->family != AF_INET6)
		abort();
	if (c->plen > bytes * 8)
		abort();
	for (unsigned int b = c->plen; b < bytes * 8; b++)
		if (c->addr[b / 8] & (0x80 >> (b % 8)))
			abort();	/* host bit left set */
	for (unsigned int i = bytes; i < 16; i++)
		if (c->addr[i])
			abort();
	mi_cidr_format(c, buf, sizeof(buf));
	if (mi_cidr_parse(buf, &back, &host) || host || memcmp(&back, c, sizeof(back)))
		abort();	/* format and parse must round-trip */
}

/* Is prefix @c inside one of the @n ranges @r (of @bytes-byte keys)? */
static bool covered(const struct mi_cidr *c, uint8_t (*r)[2][16], size_t n,
		    unsigned int bytes)
{
	uint8_t hi[16];

	memcpy(hi, c->addr, 16);
	for (unsigned int b = c->plen; b < bytes * 8; b++)
		hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (size_t i = 0; i < n; i++)
		if (memcmp(r[i][0], c->addr, bytes) <= 0 &&
		    memcmp(hi, r[i][1], bytes) <= 0)
			return true;
	return false;
}

static void check_to_ranges(const struct mi_cidrs *l, int family)
{
	unsigned int bytes = family == AF_INET ? 4 : 16;
	uint8_t(*r)[2][16] = NULL;
	size_t n = mi_cidrs_to_ranges(l, family, &r), want = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].family != family)
			continue;
		want++;
		if (!covered(&l->v[i], r, n, bytes))
			abort();
	}
	if (n > want || (want && !n))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (memcmp(r[i][0], r[i][1], bytes) > 0)
			abort();
		if (i && memcmp(r[i - 1][1], r[i][0], bytes) >= 0)
			abort();	/* overlapping or unsorted */
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mi_cidrs cidrs = { 0 };
	struct mi_ranges ranges = { 0 };
	uint32_t min, max;
	char *buf, *item, *save = NULL;

	if (size < 1)
		return 0;
	min = bounds[data[0] % 4].min;
	max = bounds[data[0] % 4].max;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';

	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		struct mi_cidr c;
		struct mi_range r;
		bool host = false;

		if (mi_cidr_parse(item, &c, &host) == 0) {
			check_prefix(&c);
			mi_cidrs_add(&cidrs, &c);
		}
		if (mi_addr_parse(item, &c) == 0)
			check_prefix(&c);
		if (mi_range_parse(item, strlen(item), min, max, &r) == 0) {
			if (r.lo > r.hi || r.lo < min || r.hi > max)
				abort();
			mi_ranges_add(&ranges, r.lo, r.hi);
		}
	}

	mi_ranges_normalize(&ranges);
	for (size_t i = 0; i < ranges.n; i++) {
		if (ranges.v[i].lo > ranges.v[i].hi)
			abort();
		if (i && (uint64_t)ranges.v[i - 1].hi + 1 >= ranges.v[i].lo)
			abort();	/* must be merged */
	}
	check_to_ranges(&cidrs, AF_INET);
	check_to_ranges(&cidrs, AF_INET6);

	mi_cidrs_release(&cidrs);
	mi_ranges_release(&ranges);
	free(buf);
	return 0;
}
