/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fsinspect.h - what every part of fsinspect shares: exit codes, the
 * "unknown" value, the subcommand table entry and small helpers.
 *
 * Layer: the tool's spine.  Subcommands (cmd_*.c) plug in through struct
 * fsi_cmd; measuring code (pagecache.c, procmaps.c) knows nothing of
 * options or output; output.c is the only file that includes
 * libsmartcols.  Nothing here may include a glassfs daemon header: the
 * tool links no fs/ code.
 */
#ifndef FSINSPECT_H
#define FSINSPECT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Exit status: 0 all files inspected; 1 misuse (bad option, unknown
 * column); 2 some file could not be inspected (a warning said which, the
 * others were reported); 3 nothing could be done (allocation, output).
 */
enum {
	FSI_EXIT_OK = 0,
	FSI_EXIT_USAGE = 1,
	FSI_EXIT_PARTIAL = 2,
	FSI_EXIT_FATAL = 3,
};

/* A figure the kernel would not tell us; printed "unknown" (JSON null). */
#define FSI_UNKNOWN UINT64_MAX

/* A subcommand: argv[0] is the subcommand name; returns an exit status. */
struct fsi_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_cache(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_evict(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_stack(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* The system page size, set once by main(). */
extern uint64_t fsi_page_size;

/* Print "Try 'fsinspect --help'" (or 'fsinspect CMD --help') to stderr
 * and exit FSI_EXIT_USAGE. */
void fsi_usage_hint(const char *cmd) __attribute__((noreturn));

/* Print the version line and exit 0. */
void fsi_print_version(void) __attribute__((noreturn));

/* Allocation that cannot fail: exits FSI_EXIT_FATAL on ENOMEM. */
void *fsi_xcalloc(size_t n, size_t size);
void *fsi_xrealloc(void *p, size_t n, size_t size);
char *fsi_xstrdup(const char *s);
char *fsi_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Stop signals: fsi_catch_stop_signals() makes SIGINT, SIGTERM and SIGHUP
 * set fsi_stop_signal (to the signal) instead of killing us, without
 * SA_RESTART so that a sleep, poll() or wait returns EINTR at once; the
 * subcommand then ends cleanly (unmaps, undoes, prints its last sample).
 * fsi_nap() sleeps @seconds or until such a signal.
 */
extern volatile sig_atomic_t fsi_stop_signal;
void fsi_catch_stop_signals(void);
void fsi_nap(double seconds);

/* Parse a non-negative number of seconds ("0.5"); 0 or -EINVAL. */
int fsi_parse_seconds(const char *arg, double *out);

/* Parse an unsigned integer in [min, max]; 0 or -EINVAL/-ERANGE. */
int fsi_parse_uint(const char *arg, unsigned min, unsigned max, unsigned *out);

/*
 * statx(2) with AT_STATX_DONT_SYNC into the struct stat fields fsinspect
 * uses (dev, ino, mode, uid, size): on FUSE, the attributes the kernel
 * has, without a GETATTR (which a stopped daemon would never answer).
 * 0 or -errno.
 */
int fsi_stat_cached(int dirfd, const char *path, int flags, struct stat *st);
int fsi_fstat_cached(int fd, struct stat *st);

/* Pages needed to hold @bytes. */
static inline uint64_t fsi_pages(uint64_t bytes)
{
	return (bytes + fsi_page_size - 1) / fsi_page_size;
}

/* Add b to *a, keeping FSI_UNKNOWN sticky. */
static inline void fsi_add(uint64_t *a, uint64_t b)
{
	if (*a == FSI_UNKNOWN || b == FSI_UNKNOWN)
		*a = FSI_UNKNOWN;
	else
		*a += b;
}

#endif
