// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tap.c - see tap.h.  Also provides gfs_log() for the store layer, which
 * the daemon gets from fs/log.c: here it prints TAP diagnostics.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "tap.h"

int tap_failed_checks;
static int ntests, nfailed;

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	tap_failed_checks++;
}

void tap_run(const char *name, void (*fn)(void))
{
	int before = tap_failed_checks;

	fn();
	ntests++;
	if (tap_failed_checks != before)
		nfailed++;
	printf("%sok %d - %s\n", tap_failed_checks != before ? "not " : "",
	       ntests, name);
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", ntests);
	return nfailed ? 1 : 0;
}

void gfs_log(enum gfs_log_level level, const char *fmt, ...)
{
	va_list ap;

	printf("# log(%d): ", (int)level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}
