// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsinspect.c - the entry point: global options, subcommand dispatch and
 * the few helpers every subcommand shares.
 *
 * Layer: the tool's spine.  A subcommand is one line in fsi_cmds[] and a
 * cmd_<name>() that parses its own options; nothing here measures or
 * prints tables.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fsinspect.h"

uint64_t fsi_page_size;

static const struct fsi_cmd fsi_cmds[] = {
	{"cache", cmd_cache, "page cache state of files"},
	{"maps", cmd_maps, "processes mapping (or holding open) files"},
	{"evict", cmd_evict, "drop files' clean pages from the page cache"},
	{"load", cmd_load, "read files into the page cache"},
	{"demo", cmd_demo, "demonstrate the article's claims, with evidence"},
	{"trace", cmd_trace, "a glassfs mount's requests, live"},
	{"stats", cmd_stats, "a glassfs daemon's counters and store"},
	{"kernel", cmd_kernel, "the kernel's events for a FUSE mount (tracefs)"},
	{"stack", cmd_stack, "every cache holding a glassfs file's data"},
	{"watch", cmd_watch, "a live view of a glassfs mount's page cache"},
};

#define NCMDS (sizeof(fsi_cmds) / sizeof(fsi_cmds[0]))

void fsi_usage_hint(const char *cmd)
{
	if (cmd)
		fprintf(stderr,
			"Try 'fsinspect %s --help' for more information.\n",
			cmd);
	else
		fputs("Try 'fsinspect --help' for more information.\n", stderr);
	exit(FSI_EXIT_USAGE);
}

void fsi_print_version(void)
{
	printf("fsinspect from glassfs %s\n", GLASSFS_VERSION);
	exit(FSI_EXIT_OK);
}

static void *check_alloc(void *p)
{
	if (!p)
		errx(FSI_EXIT_FATAL, "cannot allocate memory");
	return p;
}

void *fsi_xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *fsi_xrealloc(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (size && n > SIZE_MAX / size)
		errx(FSI_EXIT_FATAL, "cannot allocate memory");
	bytes = n * size;
	return check_alloc(realloc(p, bytes > 0 ? bytes : 1));
}

char *fsi_xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *fsi_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return check_alloc(rc < 0 ? NULL : s);
}

volatile sig_atomic_t fsi_stop_signal;

static void on_stop_signal(int sig)
{
	fsi_stop_signal = sig;
}

void fsi_catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void fsi_nap(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};

	while (!fsi_stop_signal && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int fsi_parse_seconds(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0 ||
	    v > 86400.0 * 365)
		return -EINVAL;
	*out = v;
	return 0;
}

int fsi_parse_uint(const char *arg, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int fsi_stat_cached(int dirfd, const char *path, int flags, struct stat *st)
{
	struct statx sx;

	if (statx(dirfd, path, flags | AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_UID | STATX_SIZE,
		  &sx) < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_uid = sx.stx_uid;
	st->st_size = (off_t)sx.stx_size;
	return 0;
}

int fsi_fstat_cached(int fd, struct stat *st)
{
	return fsi_stat_cached(fd, "", AT_EMPTY_PATH, st);
}

static void usage(void)
{
	size_t i;

	fputs("\nUsage:\n"
	      " fsinspect [options] COMMAND [command options] PATH...\n"
	      "\nShow what the kernel does with files: page cache residency,\n"
	      "dirty and writeback pages, who maps and who holds them.\n"
	      "\nCommands:\n",
	      stdout);
	for (i = 0; i < NCMDS; i++)
		printf(" %-8s %s\n", fsi_cmds[i].name, fsi_cmds[i].summary);
	fputs("\nOptions:\n"
	      " -h, --help     display this help\n"
	      " -V, --version  display version\n"
	      "\nRun 'fsinspect COMMAND --help' for a command's options and\n"
	      "columns, and see fsinspect(1).\n",
	      stdout);
	exit(FSI_EXIT_OK);
}

static const struct fsi_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(fsi_cmds[i].name, name))
			return &fsi_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const struct fsi_cmd *cmd;
	long ps;
	int c;

	setlocale(LC_ALL, "");
	ps = sysconf(_SC_PAGESIZE);
	fsi_page_size = ps > 0 ? (uint64_t)ps : 4096;

	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage();
			break;
		case 'V':
			fsi_print_version();
			break;
		default:
			fsi_usage_hint(NULL);
		}
	}
	if (optind == argc) {
		warnx("no command given");
		fsi_usage_hint(NULL);
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		warnx("unknown command '%s'", argv[optind]);
		fsi_usage_hint(NULL);
	}
	/* getopt names the program after argv[0] in its messages. */
	argv[optind] = fsi_xasprintf("fsinspect %s", cmd->name);
	return cmd->run(argc - optind, argv + optind);
}
