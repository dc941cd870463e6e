/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

static void __attribute__((noreturn)) oom(const char *file, int line)
{
	fprintf(stderr, "error: out of memory at %s:%d\n", file, line);
	exit(MI_EXIT_NOMEM);
}

void *mi_xnn_at(void *p, const char *file, int line)
{
	if (!p)
		oom(file, line);
	return p;
}

void *mi_xmalloc_at(size_t n, const char *file, int line)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(file, line);
	return p;
}

void *mi_xcalloc_at(size_t n, size_t m, const char *file, int line)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		oom(file, line);
	return p;
}

void *mi_xrealloc_at(void *p, size_t n, const char *file, int line)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(file, line);
	return q;
}

char *mi_xstrdup_at(const char *s, const char *file, int line)
{
	char *p = strdup(s);

	if (!p)
		oom(file, line);
	return p;
}

void mi_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*v = mi_xrealloc(*v, n * elem);
	*cap = n;
}

int mi_parse_u32n(const char *s, size_t len, uint32_t min, uint32_t max,
		  uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return len == 0 ? -EINVAL : -ERANGE;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int mi_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	return mi_parse_u32n(s, strlen(s), min, max, out);
}

int mi_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
					   "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
					  "False" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* One "<number><unit>" term of a Go duration; advances *p. */
static int duration_term(const char **p, double *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 },
		      { "ms", 1 },    { "s", 1e3 },   { "m", 60e3 },
		      { "h", 3600e3 } };
	const char *s = *p;
	double v = 0, frac = 0.1;
	bool digits = false;
	size_t i, best = 0, bestlen = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits = true)
		v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true, frac /= 10)
			v += (*s - '0') * frac;
	if (!digits)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].unit);

		if (!strncmp(s, units[i].unit, l) && l > bestlen) {
			best = i;
			bestlen = l;
		}
	}
	if (!bestlen)
		return -EINVAL;
	*ms += v * units[best].ms;
	*p = s + bestlen;
	return 0;
}

int mi_parse_duration_ms(const char *s, uint64_t *out)
{
	double ms = 0;

	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return -EINVAL;
	while (*s) {
		if (duration_term(&s, &ms) < 0)
			return -EINVAL;
	}
	if (ms > 1e12)
		return -ERANGE;
	*out = (uint64_t)ms;
	return 0;
}

uint64_t mi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void mi_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}
