/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void mi_cidrs_release(struct mi_cidrs *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void mi_ranges_release(struct mi_ranges *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void mi_ifnames_release(struct mi_ifnames *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void mi_uidports_release(struct mi_uidports *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void mi_cidrs_add(struct mi_cidrs *l, const struct mi_cidr *c)
{
	mi_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = *c;
}

void mi_ranges_add(struct mi_ranges *l, uint32_t lo, uint32_t hi)
{
	mi_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n].lo = lo;
	l->v[l->n].hi = hi;
	l->n++;
}

void mi_ifnames_add(struct mi_ifnames *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name))
			return;
	mi_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	memset(l->v[l->n], 0, MI_IFNAMSIZ);
	strncpy(l->v[l->n], name, MI_IFNAMSIZ - 1);
	l->n++;
}

int mi_addr_parse(const char *s, struct mi_cidr *out)
{
	struct mi_cidr c = { 0 };

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, c.addr) != 1)
			return -EINVAL;
		c.family = AF_INET6;
		c.plen = 128;
	} else {
		if (inet_pton(AF_INET, s, c.addr) != 1)
			return -EINVAL;
		c.family = AF_INET;
		c.plen = 32;
	}
	*out = c;
	return 0;
}

static bool clear_host_bits(struct mi_cidr *c)
{
	unsigned int bytes = c->family == AF_INET ? 4 : 16;
	bool had = false;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int bit0 = i * 8;
		uint8_t mask;

		if (bit0 + 8 <= c->plen)
			continue;
		mask = bit0 >= c->plen ? 0 : (uint8_t)(0xff << (8 - (c->plen - bit0)));
		if (c->addr[i] & ~mask)
			had = true;
		c->addr[i] &= mask;
	}
	return had;
}

int mi_cidr_parse(const char *s, struct mi_cidr *out, bool *had_host_bits)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	struct mi_cidr c;
	uint32_t plen;
	size_t alen;
	bool had;

	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (mi_addr_parse(buf, &c) < 0)
		return -EINVAL;
	/* as Go's netip.ParsePrefix (Istio): no leading zero, "/08" */
	if (slash[1] == '0' && slash[2])
		return -EINVAL;
	if (mi_parse_u32(slash + 1, 0, c.plen, &plen) < 0)
		return -EINVAL;
	c.plen = (uint8_t)plen;
	had = clear_host_bits(&c);
	if (had_host_bits)
		*had_host_bits = had;
	*out = c;
	return 0;
}

const char *mi_addr_format(int family, const uint8_t *addr, char *buf,
			   size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *mi_cidr_format(const struct mi_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	mi_addr_format(c->family, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->plen);
	return buf;
}

bool mi_cidr_is_loopback(const struct mi_cidr *c)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (c->family == AF_INET)
		return c->addr[0] == 127;
	return !memcmp(c->addr, v6lo, 16);
}

int mi_range_parse(const char *s, size_t len, uint32_t min, uint32_t max,
		   struct mi_range *out)
{
	size_t i;
	int ret;

	for (i = 0; i < len; i++)
		if (s[i] == '-' || s[i] == ':')
			break;
	ret = mi_parse_u32n(s, i, min, max, &out->lo);
	if (ret < 0)
		return ret;
	if (i == len) {
		out->hi = out->lo;
		return 0;
	}
	ret = mi_parse_u32n(s + i + 1, len - i - 1, min, max, &out->hi);
	if (ret < 0)
		return ret;
	return out->lo <= out->hi ? 0 : -EDOM;
}

static int range_cmp(const void *a, const void *b)
{
	const struct mi_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

void mi_ranges_normalize(struct mi_ranges *l)
{
	size_t i, o = 0;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), range_cmp);
	for (i = 1; i < l->n; i++) {
		struct mi_range *cur = &l->v[o];

		if (cur->hi == UINT32_MAX || l->v[i].lo <= cur->hi + 1) {
			if (l->v[i].hi > cur->hi)
				cur->hi = l->v[i].hi;
			continue;
		}
		l->v[++o] = l->v[i];
	}
	l->n = o + 1;
}

/* Big-endian 128-bit helpers for address ranges. */
static void be_set_host_bits(uint8_t *a, unsigned int plen, unsigned int bits)
{
	unsigned int i;

	for (i = plen; i < bits; i++)
		a[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

bool mi_be_inc(uint8_t *a, unsigned int bytes)
{
	int i;

	for (i = (int)bytes - 1; i >= 0; i--)
		if (++a[i] != 0)
			return false;
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

size_t mi_cidrs_to_ranges(const struct mi_cidrs *l, int family,
			  uint8_t (**out)[2][16])
{
	unsigned int bytes = family == AF_INET ? 4 : 16;
	unsigned int bits = bytes * 8;
	uint8_t(*r)[2][16];
	size_t i, n = 0, o = 0;

	r = mi_xcalloc(l->n ? l->n : 1, sizeof(*r));
	for (i = 0; i < l->n; i++) {
		const struct mi_cidr *c = &l->v[i];

		if (c->family != family)
			continue;
		memcpy(r[n][0], c->addr, 16);
		memcpy(r[n][1], c->addr, 16);
		be_set_host_bits(r[n][1], c->plen, bits);
		n++;
	}
	qsort(r, n, sizeof(*r), key_cmp);
	for (i = 1; i < n; i++) {
		uint8_t next[16];
		bool wrap;

		memcpy(next, r[o][1], 16);
		wrap = mi_be_inc(next, bytes);
		if (wrap || memcmp(r[i][0], next, bytes) <= 0) {
			if (memcmp(r[i][1], r[o][1], bytes) > 0)
				memcpy(r[o][1], r[i][1], 16);
			continue;
		}
		memcpy(r[++o], r[i], sizeof(*r));
	}
	*out = r;
	return n ? o + 1 : 0;
}

bool mi_ifname_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= MI_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '/' || ch == ':' || ch <= ' ' || ch >= 0x7f ||
		    ch == '"' || ch == '\\')
			return false;
	}
	return true;
}
