/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a tiny TAP producer for the C unit tests.
 *
 *   TEST(name) { ... CHECK(expr); CHECK_EQ(a, b); ... }
 *   int main(void) { RUN(name); ...; return tap_done(); }
 *
 * A test is one "ok"/"not ok" line; a failed CHECK prints a diagnostic
 * with file and line and fails the test, which goes on running.
 */
#ifndef GFS_TAP_H
#define GFS_TAP_H

#include <stdio.h>

extern int tap_failed_checks;

#define TEST(name) static void test_##name(void)
#define RUN(name) tap_run(#name, test_##name)
#define CHECK(expr) \
	((expr) ? (void)0 \
		: tap_fail(__FILE__, __LINE__, "%s", #expr))
#define CHECK_EQ(a, b) \
	do { \
		long long a_ = (long long)(a), b_ = (long long)(b); \
		if (a_ != b_) \
			tap_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
				 #a, #b, a_, b_); \
	} while (0)

void tap_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_run(const char *name, void (*fn)(void));
int tap_done(void);

#endif
