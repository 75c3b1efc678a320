// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_evict.c - "fsinspect evict" and "fsinspect load": drop a file's
 * pages from the page cache, or read them in, and show the cache before
 * and after.
 *
 * Layer: subcommand.  Both act through one descriptor per file, opened
 * once: before, action and after are measured through it, then it is
 * closed (on FUSE that close writes back whatever is still dirty, and the
 * rows say so).  Uses pagecache.c for measuring and acting, output.c for
 * printing.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsinspect.h"
#include "mounts.h"
#include "output.h"
#include "pagecache.h"
#include "walk.h"

enum {
	COL_FILE,
	COL_FSTYPE,
	COL_SIZE,
	COL_PAGES,
	COL_CACHED_BEFORE,
	COL_CACHED_AFTER,
	COL_DIRTY_BEFORE,
	COL_DIRTY_AFTER,
	COL_WB_AFTER,
	COL_FLUSHED,
	COL_READ, /* load only: keep last */
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column act_columns[] = {
	[COL_FILE] = {"FILE", 0.3, OUT_COL_TRUNC, "file name"},
	[COL_FSTYPE] = {"FSTYPE", 6, 0,
			"file system type (/proc/self/mountinfo)"},
	[COL_SIZE] = {"SIZE", 5, NUM, "file size (statx)"},
	[COL_PAGES] = {"PAGES", 5, NUM, "pages the size spans"},
	[COL_CACHED_BEFORE] = {"CACHED_BEFORE", 5, NUM,
			       "cached pages before (cachestat)"},
	[COL_CACHED_AFTER] = {"CACHED_AFTER", 5, NUM,
			      "cached pages after (cachestat)"},
	[COL_DIRTY_BEFORE] = {"DIRTY_BEFORE", 5, NUM,
			      "dirty pages before (cachestat)"},
	[COL_DIRTY_AFTER] = {"DIRTY_AFTER", 5, NUM,
			     "dirty pages after (cachestat)"},
	[COL_WB_AFTER] = {"WRITEBACK_AFTER", 5, NUM,
			  "pages under writeback after (cachestat)"},
	[COL_FLUSHED] = {"FLUSHED", 5, NUM,
			 "dirty pages written back by this inspection's "
			 "close (FUSE)"},
	[COL_READ] = {"READ", 5, NUM, "bytes read to load the file"},
};

static const struct out_spec evict_spec = {
	.table = "evict",
	.cols = act_columns,
	.ncols = COL_READ, /* no READ column */
	.defaults = "PAGES,CACHED_BEFORE,CACHED_AFTER,DIRTY_BEFORE,"
		    "DIRTY_AFTER,WRITEBACK_AFTER,FILE",
};

static const struct out_spec load_spec = {
	.table = "load",
	.cols = act_columns,
	.ncols = COL_READ + 1,
	.defaults = "SIZE,PAGES,CACHED_BEFORE,CACHED_AFTER,READ,FILE",
};

struct act_row {
	const char *name;
	const char *fstype;
	uint64_t size, pages;
	struct pc_stat before, after;
	uint64_t read, flushed;
};

/* What differs between evict and load. */
struct action {
	const char *name;
	const struct out_spec *spec;
	const char *summary;
	int (*act)(int fd, bool sync, struct act_row *row);
};

static char *act_cell(const struct out *o, int id, const void *data)
{
	const struct act_row *w = data;

	switch (id) {
	case COL_FILE:
		return out_text(w->name);
	case COL_FSTYPE:
		return out_text(w->fstype);
	case COL_SIZE:
		return out_size(o, w->size);
	case COL_PAGES:
		return out_count(o, w->pages);
	case COL_CACHED_BEFORE:
		return out_count(o, w->before.cached);
	case COL_CACHED_AFTER:
		return out_count(o, w->after.cached);
	case COL_DIRTY_BEFORE:
		return out_count(o, w->before.dirty);
	case COL_DIRTY_AFTER:
		return out_count(o, w->after.dirty);
	case COL_WB_AFTER:
		return out_count(o, w->after.writeback);
	case COL_FLUSHED:
		return out_count(o, w->flushed);
	case COL_READ:
		return out_size(o, w->read);
	}
	return NULL;
}

static int do_evict(int fd, bool sync, struct act_row *row)
{
	/* DONTNEED starts writeback of dirty pages but drops clean ones
	 * only: --sync makes the dirty ones clean first. */
	if (sync && fdatasync(fd) < 0)
		return -errno;
	return pc_evict(fd);
}

static int do_load(int fd, bool sync, struct act_row *row)
{
	(void)sync;
	return pc_load(fd, &row->read);
}

static const struct action actions[] = {
	{"evict", &evict_spec,
	 "Drop the clean cached pages of each file (POSIX_FADV_DONTNEED)\n"
	 "and show the page cache before and after.",
	 do_evict},
	{"load", &load_spec,
	 "Read each file into the page cache (read it all) and show the\n"
	 "page cache before and after.",
	 do_load},
};

struct act_opts {
	struct out_opts out;
	bool sync;
};

static void usage(const struct action *a)
{
	FILE *f = stdout;

	fprintf(f, "\nUsage:\n fsinspect %s [options] PATH...\n\n%s\n", a->name,
		a->summary);
	fputs("Directories are walked.\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	if (a->act == do_evict)
		fputs(" -s, --sync             write dirty pages back first "
		      "(fdatasync)\n",
		      f);
	fputs(" -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(a->spec, f);
	fputs("\nSee fsinspect(1) for what each view may perturb.\n", f);
	exit(FSI_EXIT_OK);
}

static void parse_options(const struct action *a, int argc, char **argv,
			  struct act_opts *o)
{
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"sync", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "shV", longopts,
				NULL)) != -1) {
		if (out_option(c, optarg, &o->out))
			continue;
		switch (c) {
		case 's':
			if (a->act != do_evict)
				fsi_usage_hint(a->name);
			o->sync = true;
			break;
		case 'h':
			usage(a);
			break;
		case 'V':
			fsi_print_version();
			break;
		default:
			fsi_usage_hint(a->name);
		}
	}
	if (optind == argc) {
		warnx("no file given");
		fsi_usage_hint(a->name);
	}
}

static int open_file(const char *path, struct stat *st)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd;

	fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (fsi_fstat_cached(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* Measure, act, measure, close: one open per file. */
static int act_file(const struct action *a, const struct act_opts *o,
		    const char *path, struct act_row *row)
{
	enum pc_source src;
	struct stat st;
	int fd, rc;

	memset(row, 0, sizeof(*row));
	fd = open_file(path, &st);
	if (fd < 0) {
		warnx("cannot open '%s': %s", path,
		      fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return fd;
	}
	row->name = path;
	row->fstype = mnt_fstype(st.st_dev);
	row->size = (uint64_t)st.st_size;
	row->pages = fsi_pages(row->size);
	rc = pc_measure(fd, 0, 0, &row->before, &src);
	if (!rc && (rc = a->act(fd, o->sync, row)) < 0)
		warnx("cannot %s '%s': %s", a->name, path, strerror(-rc));
	else if (!rc)
		rc = pc_measure(fd, 0, 0, &row->after, &src);
	if (rc == 0 && mnt_is_fuse(st.st_dev))
		row->flushed = row->after.dirty;
	close(fd);
	return rc;
}

static void act_notes(struct out *out, const struct action *a,
		      const struct act_row *w)
{
	if (w->flushed && w->flushed != FSI_UNKNOWN)
		out_note(out,
			 "closing '%s' wrote back its %llu dirty pages (FUSE "
			 "writes back at every close); they stay cached",
			 w->name, (unsigned long long)w->flushed);
	else if (w->flushed)
		out_note(out, "closing '%s' may have written back dirty pages",
			 w->name);
	if (a->act == do_evict && w->before.dirty != FSI_UNKNOWN &&
	    w->before.dirty && w->after.cached != FSI_UNKNOWN &&
	    w->after.cached)
		out_note(out,
			 "'%s': %llu pages stay cached: dirty pages cannot be "
			 "dropped before they are written back (try --sync)",
			 w->name, (unsigned long long)w->after.cached);
	if (a->act == do_load && w->after.cached != FSI_UNKNOWN &&
	    w->after.cached < w->pages)
		out_note(out,
			 "'%s': only %llu of %llu pages are cached after "
			 "reading (no page cache, e.g. FUSE direct_io, or "
			 "memory pressure)",
			 w->name, (unsigned long long)w->after.cached,
			 (unsigned long long)w->pages);
}

static int run_action(const struct action *a, int argc, char **argv)
{
	struct walk_list wl;
	struct act_opts o;
	struct act_row w;
	struct out out;
	int status = FSI_EXIT_OK;
	size_t i;

	parse_options(a, argc, argv, &o);
	if (out_init(&out, a->spec, &o.out))
		fsi_usage_hint(a->name);
	if (o.out.flags & OUT_JSON)
		out_require(&out, COL_FLUSHED, -1);
	if (walk_paths(argv + optind, argc - optind, &wl))
		status = FSI_EXIT_PARTIAL;
	for (i = 0; i < wl.n; i++) {
		if (wl.v[i].kind != WALK_FILE)
			continue;
		if (act_file(a, &o, wl.v[i].path, &w)) {
			status = FSI_EXIT_PARTIAL;
			continue;
		}
		out_row(&out, act_cell, &w);
		act_notes(&out, a, &w);
	}
	if (out_print(&out))
		status = FSI_EXIT_FATAL;
	out_free(&out);
	walk_free(&wl);
	return status;
}

int cmd_evict(int argc, char **argv)
{
	return run_action(&actions[0], argc, argv);
}

int cmd_load(int argc, char **argv)
{
	return run_action(&actions[1], argc, argv);
}
