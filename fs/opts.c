// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * opts.c - the option table, the STORE positional, validation, help text.
 *
 * Layer: daemon wiring.  One fuse_opt table fills struct gfs_opts by
 * offsetof; what glassfs does not know is left in the argument list for
 * libfuse (fuse_parse_cmdline for -f -d -s, fuse_session_new for mount
 * options such as allow_other or ro).  Options are API once released:
 * rename nothing, only add.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <fuse_opt.h>

#include "config.h"
#include "opts.h"

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_RO,
	KEY_KEEP,
};

#define OPT(t, field, v) { t, offsetof(struct gfs_opts, field), v }

static const struct fuse_opt opt_table[] = {
	OPT("cache=%s", cache_str, 0),
	OPT("writeback_cache", writeback, 1),
	OPT("no_writeback_cache", writeback, 0),
	OPT("attr_timeout=%lf", attr_timeout, 0),
	OPT("entry_timeout=%lf", entry_timeout, 0),
	OPT("negative_timeout=%lf", negative_timeout, 0),
	OPT("max_readahead=%u", max_readahead, 0),
	OPT("max_write=%u", max_write, 0),
	OPT("max_background=%u", max_background, 0),
	OPT("commit_ms=%u", commit_ms, 0),
	OPT("chunk_size=%u", chunk_size, 0),
	OPT("page_size=%u", page_size, 0),
	OPT("sqlite_cache=%u", sqlite_cache_mib, 0),
	OPT("check=%s", check_str, 0),
	OPT("trace", trace, 1),
	OPT("notrace", trace, 0),
	OPT("trace_records=%u", trace_records, 0),
	OPT("allow_other", allow_other, 1),
	FUSE_OPT_KEY("allow_other", KEY_KEEP),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	/* fstab and mount(8) noise, meaningless to a FUSE daemon */
	FUSE_OPT_KEY("_netdev", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("auto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("noauto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nofail", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("user", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("users", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nouser", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("defaults", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("comment=", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_END
};

void opts_usage(const char *prog)
{
	printf("usage: %s [options] STORE MOUNTPOINT\n"
	       "       %s check [--repair] STORE\n"
	       "\n"
	       "Mount the glassfs store STORE (an SQLite database, created if\n"
	       "missing) at MOUNTPOINT.\n"
	       "\n"
	       "glassfs options:\n"
	       "    -o cache=auto|always|never  kernel page cache policy "
	       "(auto)\n"
	       "    -o [no_]writeback_cache     kernel write-back caching "
	       "(on)\n"
	       "    -o attr_timeout=SECONDS     attribute cache lifetime\n"
	       "    -o entry_timeout=SECONDS    name cache lifetime\n"
	       "    -o negative_timeout=SECONDS cache of absent names\n"
	       "    -o max_readahead=BYTES      kernel readahead window (1 MiB)\n"
	       "    -o max_write=BYTES          largest WRITE request\n"
	       "    -o max_background=N         queued background requests\n"
	       "    -o commit_ms=MS             group commit interval (100)\n"
	       "    -o chunk_size=BYTES         new store: data chunk size "
	       "(65536)\n"
	       "    -o page_size=BYTES          new store: SQLite page size "
	       "(65536)\n"
	       "    -o sqlite_cache=MIB         SQLite page cache (64)\n"
	       "    -o check=quick|none         store check at mount "
	       "(quick)\n"
	       "    -o [no]trace                request trace and counters "
	       "(on)\n"
	       "    -o trace_records=N          trace ring size (%d)\n"
	       "    -o ro                       serve the store read-only\n"
	       "    -o allow_other              let other users in\n"
	       "    -V   --version              print version\n"
	       "\n",
	       prog, prog, GFS_DEFAULT_TRACE_RECORDS);
}

/* STORE as an absolute path, whether or not the file exists yet. */
static char *absolute(const char *arg)
{
	char buf[PATH_MAX], *slash, *dir, *res = NULL;

	if (realpath(arg, buf))
		return strdup(buf);
	if (errno != ENOENT)
		return NULL;
	slash = strrchr(arg, '/');
	dir = slash ? strndup(arg, (size_t)(slash - arg) + 1) : strdup(".");
	if (dir && realpath(dir, buf) &&
	    asprintf(&res, "%s/%s", strcmp(buf, "/") ? buf : "",
		     slash ? slash + 1 : arg) < 0)
		res = NULL;
	free(dir);
	/* An unresolvable directory is the store's problem, not the
	 * command line's: keep the path, store_open() refuses it. */
	return res ? res : strdup(arg);
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct gfs_opts *o = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (o->store)
			return 1; /* MOUNTPOINT, for fuse_parse_cmdline */
		o->store = absolute(arg);
		if (!o->store) {
			fprintf(stderr, "glassfs: cannot resolve store '%s': "
				"%s\n", arg, strerror(errno));
			return -1;
		}
		return 0;
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_RO:
		o->ro = 1;
		return 1;
	default:
		return 1;
	}
}

static int validate(struct gfs_opts *o)
{
	if (!o->cache_str || !strcmp(o->cache_str, "auto")) {
		o->cache = GFS_CACHE_AUTO;
	} else if (!strcmp(o->cache_str, "always")) {
		o->cache = GFS_CACHE_ALWAYS;
	} else if (!strcmp(o->cache_str, "never")) {
		o->cache = GFS_CACHE_NEVER;
	} else {
		fprintf(stderr, "glassfs: invalid cache mode '%s': expected "
			"auto, always or never\n", o->cache_str);
		return -1;
	}
	if (o->check_str && strcmp(o->check_str, "quick") &&
	    strcmp(o->check_str, "none")) {
		fprintf(stderr, "glassfs: invalid check '%s': expected quick "
			"or none\n", o->check_str);
		return -1;
	}
	o->check = !o->check_str || !strcmp(o->check_str, "quick");
	if (o->trace_records < 1024 || o->trace_records > (1u << 24)) {
		fprintf(stderr, "glassfs: invalid trace_records %u: expected "
			"1024 to 16777216\n", o->trace_records);
		return -1;
	}
	if (o->attr_timeout < 0 || o->entry_timeout < 0 ||
	    o->negative_timeout < 0) {
		fprintf(stderr, "glassfs: timeouts cannot be negative\n");
		return -1;
	}
	return 0;
}

int opts_parse(struct fuse_args *args, struct gfs_opts *o)
{
	struct fuse_cmdline_opts co;

	memset(o, 0, sizeof(*o));
	o->writeback = -1;
	o->attr_timeout = o->entry_timeout = o->negative_timeout = NAN;
	o->trace = 1;
	o->trace_records = GFS_DEFAULT_TRACE_RECORDS;
	if (fuse_opt_parse(args, o, opt_table, opt_proc) < 0)
		return -1;
	if (o->show_help || o->show_version)
		return 0;
	if (fuse_parse_cmdline(args, &co) != 0) {
		/* It may fail after taking the mountpoint (found by
		 * tests/fuzz/fuzz_opts.c: a leak at every such exit). */
		free(co.mountpoint);
		return -1;
	}
	o->mountpoint = co.mountpoint;
	o->foreground = co.foreground;
	o->debug = co.debug;
	o->singlethread = co.singlethread;
	o->clone_fd = co.clone_fd;
	o->max_threads = co.max_threads;
	o->max_idle_threads = co.max_idle_threads;
	if (co.show_help)
		o->show_help = 1;
	if (co.show_version)
		o->show_version = 1;
	if (o->show_help || o->show_version)
		return 0;
	if (!o->store || !o->mountpoint) {
		fprintf(stderr, "glassfs: missing %s\n",
			o->store ? "MOUNTPOINT" : "STORE and MOUNTPOINT");
		return -1;
	}
	return validate(o);
}

void opts_free(struct gfs_opts *o)
{
	free(o->store);
	free(o->mountpoint);
	free(o->cache_str);
	free(o->check_str);
}
