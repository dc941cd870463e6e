/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny TAP-ish test harness, header only. Each test binary defines
 * test functions named test_<module>__<behaviour> and lists them in
 * main() with RUN(). Every check prints "ok"/"not ok" with its location;
 * TEST_MAIN_END prints "N passed, M failed" and exits non-zero on a
 * failure. Exit 77 means "skipped" (TEST_SKIP).
 */
#ifndef MI_TEST_HARNESS_H
#define MI_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_state {
	unsigned int passed, failed;
	const char *test;
};

static struct t_state t_st;

static inline bool t_report(bool ok, const char *file, int line,
			    const char *expr)
{
	if (ok) {
		t_st.passed++;
		return true;
	}
	t_st.failed++;
	printf("not ok - %s: %s:%d: %s\n", t_st.test ? t_st.test : "?", file,
	       line, expr);
	return false;
}

/* Each CHECK* evaluates to true when the check passed. */
#define CHECK(cond) t_report(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_EQ_INT(a, b)                                                   \
	({                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);      \
		bool t_ok_ = t_a_ == t_b_;                                    \
		if (!t_report(t_ok_, __FILE__, __LINE__, #a " == " #b))      \
			printf("#   got %lld, want %lld\n", t_a_, t_b_);     \
		t_ok_;                                                       \
	})

#define CHECK_EQ_STR(a, b)                                                   \
	({                                                                   \
		const char *t_a_ = (a), *t_b_ = (b);                         \
		bool t_ok_ = t_a_ && t_b_ && !strcmp(t_a_, t_b_);             \
		if (!t_report(t_ok_, __FILE__, __LINE__, #a " == " #b))      \
			printf("#   got \"%s\"\n#  want \"%s\"\n",           \
			       t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
		t_ok_;                                                       \
	})

#define CHECK_CONTAINS(hay, needle)                                          \
	({                                                                   \
		const char *t_h_ = (hay), *t_n_ = (needle);                  \
		bool t_ok_ = t_h_ && t_n_ && strstr(t_h_, t_n_);              \
		if (!t_report(t_ok_, __FILE__, __LINE__,                     \
			      #hay " contains " #needle))                    \
			printf("#   \"%s\"\n#   does not contain \"%s\"\n",  \
			       t_h_ ? t_h_ : "(null)", t_n_ ? t_n_ : "(null)"); \
		t_ok_;                                                       \
	})

/* Print an extra diagnostic line, prefixed for TAP. */
#define NOTE(...)                                                            \
	do {                                                                 \
		printf("#   ");                                              \
		printf(__VA_ARGS__);                                         \
		putchar('\n');                                               \
	} while (0)

#define RUN(fn)                                                              \
	do {                                                                 \
		unsigned int t_f0_ = t_st.failed;                            \
		t_st.test = #fn;                                             \
		fn();                                                        \
		printf("%s - %s\n", t_st.failed == t_f0_ ? "ok" : "not ok",  \
		       #fn);                                                 \
		fflush(stdout);                                              \
	} while (0)

#define TEST_SKIP(why)                                                       \
	do {                                                                 \
		printf("skip: %s\n", why);                                   \
		exit(77);                                                    \
	} while (0)

#define TEST_MAIN_END()                                                      \
	do {                                                                 \
		printf("%u passed, %u failed\n", t_st.passed, t_st.failed);  \
		return t_st.failed ? 1 : 0;                                  \
	} while (0)

#endif
