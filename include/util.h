/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_UTIL_H
#define MI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define MI_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Allocation wrappers: out-of-memory is fatal for a short-lived init
 * process, so they print the call site and exit with MI_EXIT_NOMEM.
 * They never return NULL.
 */
#define mi_xmalloc(n) mi_xmalloc_at((n), __FILE__, __LINE__)
#define mi_xcalloc(n, m) mi_xcalloc_at((n), (m), __FILE__, __LINE__)
#define mi_xrealloc(p, n) mi_xrealloc_at((p), (n), __FILE__, __LINE__)
#define mi_xstrdup(s) mi_xstrdup_at((s), __FILE__, __LINE__)

/*
 * mi_xnn - the same for any other allocator (libnftnl's nftnl_*_alloc,
 * mnl_nlmsg_batch_start, ...): @p itself, or exit MI_EXIT_NOMEM when it
 * is NULL. This is the one out-of-memory convention: no abort(), no
 * unchecked allocation.
 */
#define mi_xnn(p) ((__typeof__(p))mi_xnn_at((p), __FILE__, __LINE__))

void *mi_xnn_at(void *p, const char *file, int line);
void *mi_xmalloc_at(size_t n, const char *file, int line);
void *mi_xcalloc_at(size_t n, size_t m, const char *file, int line);
void *mi_xrealloc_at(void *p, size_t n, const char *file, int line);
char *mi_xstrdup_at(const char *s, const char *file, int line);

/*
 * Grow a dynamic array *v of *cap elements of size @elem so that it can
 * hold at least @need elements.
 */
void mi_grow(void **v, size_t *cap, size_t need, size_t elem);

/*
 * mi_parse_u32 - parse a decimal unsigned integer in [min, max].
 * Rejects empty input, signs, whitespace, trailing junk and overflow.
 * Returns 0 and writes *out on success, -EINVAL or -ERANGE otherwise.
 */
int mi_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* Same as mi_parse_u32 but for a [s, s + len) substring. */
int mi_parse_u32n(const char *s, size_t len, uint32_t min, uint32_t max,
		  uint32_t *out);

/* Go strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False. */
int mi_parse_bool(const char *s, bool *out);

/* Go time.ParseDuration subset (ns us ms s m h, decimals); result in ms. */
int mi_parse_duration_ms(const char *s, uint64_t *out);

/* Write @s to @out as a JSON string literal (quotes, escapes). */
void mi_json_string(FILE *out, const char *s);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines, never for timestamps. */
uint64_t mi_now_ms(void);

#endif
