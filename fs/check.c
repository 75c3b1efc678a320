// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c - `glassfs check [--repair] [-n] [-v] STORE`: the store's fsck,
 * for a store that is not mounted.
 *
 * Only the command: options, where the lines go, the exit status.  The
 * checks and repairs are store_check.c's; nothing here knows SQL.  Each
 * problem and each repair is one line on standard output, a summary line
 * ends it; errors go to standard error.  Exit status as fsck(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FUSE_USE_VERSION 314
#include <fuse_log.h>

#include "check.h"
#include "store_check.h"

enum {
	CHECK_CLEAN = 0,    /* no problems */
	CHECK_REPAIRED = 1, /* problems found, all repaired */
	CHECK_LEFT = 4,	    /* problems left */
	CHECK_FAILED = 8,   /* could not check */
	CHECK_USAGE = 16,   /* bad command line */
};

struct check_opts {
	bool repair;
	bool readonly; /* -n */
	bool verbose;
	const char *store;
};

static void usage(void)
{
	printf("usage: glassfs check [--repair] [-n] [-v] STORE\n"
	       "\n"
	       "Check a glassfs store that is not mounted; with --repair, "
	       "fix what is found.\n"
	       "\n"
	       "  --repair       repair the problems found, in one "
	       "transaction\n"
	       "  -n             check only, change nothing (the default)\n"
	       "  -v, --verbose  print each check as it runs\n"
	       "  -h, --help     print this help and exit\n"
	       "\n"
	       "Exit status: 0 no problems, 1 problems found and all "
	       "repaired, 4 problems left,\n"
	       "8 the store could not be checked, 16 usage error.\n");
}

static int misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int misuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "glassfs check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'glassfs check --help' for more "
			"information.\n");
	return CHECK_USAGE;
}

/* Returns -1 to go on, or the exit status. */
static int parse(int argc, char *argv[], struct check_opts *o)
{
	static const struct option longopts[] = {
		{"repair", no_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static char prog[] = "glassfs check";
	int c;

	/* getopt's own messages, under the command's name. */
	argv[0] = prog;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+nvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->repair = true;
			break;
		case 'n':
			o->readonly = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage();
			return CHECK_CLEAN;
		default:
			fprintf(stderr, "Try 'glassfs check --help' for more "
					"information.\n");
			return CHECK_USAGE;
		}
	}
	if (o->repair && o->readonly)
		return misuse("--repair and -n exclude each other");
	if (optind == argc)
		return misuse("no store given");
	if (optind + 1 < argc)
		return misuse("unexpected argument '%s'", argv[optind + 1]);
	o->store = argv[optind];
	return -1;
}

static void report(void *ctx, enum store_check_line kind, const char *line)
{
	if (kind == STORE_CHECK_FAILED)
		fprintf(stderr, "glassfs check: %s\n", line);
	else
		printf("%s\n", line);
}

/* The store logs through fuse_log(): keep its errors and warnings, not
 * its notices (an upgrade is reported as a repair already). */
static void check_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	if (level <= FUSE_LOG_WARNING)
		vfprintf(stderr, fmt, ap);
}

/* Runs every step; 0, or -errno when checking itself failed. */
static int run_steps(struct store_checker *c, const struct check_opts *o)
{
	int err = 0;

	for (int i = 0; i < STORE_CHECK_STEPS && !err; i++) {
		if (o->verbose) {
			printf("checking %s\n", store_check_step_name(i));
			fflush(stdout);
		}
		err = store_check_step(c, i);
	}
	if (err == -EUCLEAN) {
		printf("the store is too damaged to check further\n");
		err = 0;
	}
	return err;
}

int check_main(int argc, char *argv[])
{
	struct check_opts o = {0};
	struct store_checker *c;
	unsigned long found, repaired;
	char why[512];
	int ret, err, ferr;

	ret = parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	fuse_set_log_func(check_log);
	err = store_check_open(o.store, o.repair, report, NULL, &c, why,
			       sizeof(why));
	if (err) {
		fprintf(stderr, "glassfs check: cannot check store '%s': %s\n",
			o.store, why);
		return CHECK_FAILED;
	}
	err = run_steps(c, &o);
	ferr = store_check_finish(c);
	store_check_counts(c, &found, &repaired);
	store_check_close(c);
	printf("%lu problem%s found, %lu repaired\n", found,
	       found == 1 ? "" : "s", repaired);
	if (err || ferr) {
		fprintf(stderr,
			"glassfs check: checking store '%s' failed: "
			"%s\n",
			o.store, strerror(-(err ? err : ferr)));
		return CHECK_FAILED;
	}
	if (!found)
		return CHECK_CLEAN;
	return repaired == found ? CHECK_REPAIRED : CHECK_LEFT;
}
