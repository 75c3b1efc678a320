/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts.h - glassfs's command line: STORE, MOUNTPOINT and the -o options
 * that belong to glassfs (the rest are libfuse's and the kernel's).
 */
#ifndef GFS_OPTS_H
#define GFS_OPTS_H

#include <stdint.h>

struct fuse_args;

enum gfs_cache {
	GFS_CACHE_AUTO,
	GFS_CACHE_ALWAYS,
	GFS_CACHE_NEVER,
};

struct gfs_opts {
	char *store;		/* absolute path of STORE */
	char *mountpoint;	/* absolute, from fuse_parse_cmdline() */
	int foreground, debug, singlethread, clone_fd;
	int show_help, show_version;
	unsigned max_threads, max_idle_threads;

	enum gfs_cache cache;
	int writeback;		/* 1 writeback_cache, 0 no_writeback_cache */
	double attr_timeout, entry_timeout, negative_timeout; /* NAN: unset */
	unsigned max_readahead, max_write, max_background;
	unsigned commit_ms;
	unsigned chunk_size, page_size; /* for a new store */
	unsigned sqlite_cache_mib;
	int check;		/* 1 quick_check at mount, 0 none */
	int ro;
	int trace;		/* request trace and counters */
	unsigned trace_records;
	int allow_other;

	char *cache_str, *check_str; /* raw values, freed by opts_free() */
};

/*
 * Parses argv into @o and leaves in @args what fuse_session_new() takes.
 * Prints a message and returns -1 on misuse; 0 otherwise (also for
 * --help and --version, which set show_help and show_version).
 */
int opts_parse(struct fuse_args *args, struct gfs_opts *o);
void opts_usage(const char *prog);
void opts_free(struct gfs_opts *o);

#endif
