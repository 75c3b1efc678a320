// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_stack.c - "fsinspect stack": every cache that holds a glassfs
 * file's data, side by side, one row per layer: the kernel's page cache
 * above FUSE, the daemon (no data cache of its own), SQLite's page cache,
 * the page cache of the file system below holding the store's pages (and
 * the WAL's frames) that carry the file, and the chunks that carry it.
 *
 * Layer: subcommand.  pagecache.c measures the FUSE file through one
 * descriptor, gmount.c asks the daemon (stats, chunks INO), storemap.c
 * finds and measures the store's pages; output.c prints.
 *
 * Order, for honest figures: the FUSE file is opened and measured first;
 * the daemon and the store are measured while it is still open; its
 * close, which on FUSE writes back its dirty pages (to the daemon, so to
 * the store), comes last and is reported (FLUSHED, a note).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsinspect.h"
#include "gmount.h"
#include "output.h"
#include "pagecache.h"
#include "storemap.h"

/* A figure that does not apply to a layer: an empty cell, JSON null. */
#define NA (FSI_UNKNOWN - 1)

enum {
	COL_FILE,
	COL_LAYER,
	COL_OBJECT,
	COL_SIZE,
	COL_CACHED,
	COL_PAGES,
	COL_PERCENT,
	COL_DIRTY,
	COL_SQLITE_PAGES,
	COL_CHUNKS,
	COL_CHUNK_SIZE,
	COL_HITS,
	COL_MISSES,
	COL_FLUSHED,
	COL_DETAIL,
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column stack_columns[] = {
	[COL_FILE] = {"FILE", 0.2, OUT_COL_TRUNC, "the glassfs file, as given"},
	[COL_LAYER] = {"LAYER", 6, 0,
		       "fuse, daemon, sqlite, store, wal or chunks (see "
		       "fsinspect(1))"},
	[COL_OBJECT] = {"OBJECT", 0.25, OUT_COL_TRUNC, "what the row measures"},
	[COL_SIZE] = {"SIZE", 5, NUM, "bytes of the file's data in this layer"},
	[COL_CACHED] = {"CACHED", 5, NUM,
			"bytes of them in this cache (page cache: CACHED "
			"pages times the page size)"},
	[COL_PAGES] = {"PAGES", 5, NUM,
		       "system pages cached (cachestat above, mincore below)"},
	[COL_PERCENT] = {"PERCENT", 5, NUM,
			 "PAGES as a percentage of the pages SIZE spans"},
	[COL_DIRTY] = {"DIRTY", 5, NUM, "of the pages, dirty (cachestat)"},
	[COL_SQLITE_PAGES] = {"SQLITE_PAGES", 5, NUM,
			      "SQLite pages holding the file's chunks"},
	[COL_CHUNKS] = {"CHUNKS", 5, NUM, "chunks of the file (daemon)"},
	[COL_CHUNK_SIZE] = {"CHUNK_SIZE", 5, NUM, "the store's chunk size"},
	[COL_HITS] = {"HITS", 5, NUM, "SQLite page cache hits (whole store)"},
	[COL_MISSES] = {"MISSES", 5, NUM,
			"SQLite page cache misses (whole store)"},
	[COL_FLUSHED] = {"FLUSHED", 5, NUM,
			 "dirty pages this inspection's close wrote back"},
	[COL_DETAIL] = {"DETAIL", 0.35, OUT_COL_TRUNC, "the figures behind"},
};

static const struct out_spec stack_spec = {
	.table = "stack",
	.cols = stack_columns,
	.ncols = sizeof(stack_columns) / sizeof(stack_columns[0]),
	.defaults = "LAYER,OBJECT,SIZE,CACHED,PERCENT,DIRTY,DETAIL",
};

/* One row: a layer of one file. */
struct srow {
	const char *file;
	const char *layer;
	char *object;
	uint64_t size, cached, pages, dirty;
	uint64_t span; /* system pages holding SIZE: PERCENT's whole */
	uint64_t sqlite_pages, chunks, chunk_size, hits, misses, flushed;
	char *detail;
};

/* What the daemon says about the store and the file. */
struct daemon_facts {
	bool ok;
	char store[PATH_MAX];
	uint64_t pid;
	uint64_t cache_used, hits, misses;
	uint64_t chunks, bytes, chunk_size;
};

struct stack_run {
	struct out_opts oo;
	struct out out;
	int status;
	unsigned notes_twice, notes_flushed;
};

static void usage(void)
{
	FILE *f = stdout;

	fputs("\nUsage:\n"
	      " fsinspect stack [options] PATH...\n"
	      "\nEvery cache holding each glassfs file's data, one row per\n"
	      "layer: the page cache above FUSE, the daemon, SQLite's cache,\n"
	      "the store's pages in the page cache below, the chunks.\n"
	      "Reading the store needs root (or the store's owner).\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	fputs(" -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(&stack_spec, f);
	fputs("\nSee fsinspect(1) for what this view may perturb.\n", f);
	exit(FSI_EXIT_OK);
}

static void parse_options(int argc, char **argv, struct out_opts *oo)
{
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(oo, 0, sizeof(*oo));
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "hV", longopts,
				NULL)) != -1) {
		if (out_option(c, optarg, oo))
			continue;
		if (c == 'h')
			usage();
		if (c == 'V')
			fsi_print_version();
		fsi_usage_hint("stack");
	}
	if (optind == argc) {
		warnx("no file given");
		fsi_usage_hint("stack");
	}
}

/* ------------------------------------------------------------------ */
/* Cells                                                               */

static char *fig(const struct out *o, uint64_t v, bool size)
{
	if (v == NA)
		return NULL;
	return size ? out_size(o, v) : out_count(o, v);
}

static char *stack_cell(const struct out *o, int id, const void *data)
{
	const struct srow *w = data;

	switch (id) {
	case COL_FILE:
		return out_text(w->file);
	case COL_LAYER:
		return out_text(w->layer);
	case COL_OBJECT:
		return out_text(w->object);
	case COL_SIZE:
		return fig(o, w->size, true);
	case COL_CACHED:
		return fig(o, w->cached, true);
	case COL_PAGES:
		return fig(o, w->pages, false);
	case COL_PERCENT:
		if (w->pages == NA || w->span == NA)
			return NULL;
		return out_percent(o, w->pages, w->span);
	case COL_DIRTY:
		return fig(o, w->dirty, false);
	case COL_SQLITE_PAGES:
		return fig(o, w->sqlite_pages, false);
	case COL_CHUNKS:
		return fig(o, w->chunks, false);
	case COL_CHUNK_SIZE:
		return fig(o, w->chunk_size, false);
	case COL_HITS:
		return fig(o, w->hits, false);
	case COL_MISSES:
		return fig(o, w->misses, false);
	case COL_FLUSHED:
		return fig(o, w->flushed, false);
	case COL_DETAIL:
		return out_text(w->detail);
	}
	return NULL;
}

static void row_init(struct srow *w, const char *file, const char *layer)
{
	memset(w, 0, sizeof(*w));
	w->file = file;
	w->layer = layer;
	w->size = w->cached = w->pages = w->dirty = w->span = NA;
	w->sqlite_pages = w->chunks = w->chunk_size = NA;
	w->hits = w->misses = w->flushed = NA;
}

static void emit(struct stack_run *s, struct srow *w)
{
	out_row(&s->out, stack_cell, w);
	free(w->object);
	free(w->detail);
}

/* Bytes of @pages system pages, unknown staying unknown. */
static uint64_t page_bytes(uint64_t pages)
{
	return pages == FSI_UNKNOWN || pages == NA ? pages
						   : pages * fsi_page_size;
}

/* ------------------------------------------------------------------ */
/* The daemon                                                          */

static void ask_daemon(struct gmount *m, uint64_t ino, struct daemon_facts *d)
{
	json_object *hello = NULL, *stats = NULL, *chunks = NULL, *store;
	char cmd[64];

	memset(d, 0, sizeof(*d));
	if (gmount_attach(m->mountpoint, m, &hello) ||
	    gmount_ctl(m, "stats", &stats))
		goto out;
	snprintf(cmd, sizeof(cmd), "chunks %" PRIu64, ino);
	if (gmount_ctl(m, cmd, &chunks) ||
	    !json_object_object_get_ex(stats, "store", &store))
		goto out;
	snprintf(d->store, sizeof(d->store), "%s",
		 gmount_str(hello, "store") ? gmount_str(hello, "store")
					    : m->source);
	d->pid = gmount_u64(hello, "pid");
	d->cache_used = gmount_u64(store, "cache_used_bytes");
	d->hits = gmount_u64(store, "cache_hits");
	d->misses = gmount_u64(store, "cache_misses");
	d->chunks = gmount_u64(chunks, "chunks");
	d->bytes = gmount_u64(chunks, "bytes");
	d->chunk_size = gmount_u64(chunks, "chunk_size");
	d->ok = true;
out:
	if (hello)
		json_object_put(hello);
	if (stats)
		json_object_put(stats);
	if (chunks)
		json_object_put(chunks);
}

/* ------------------------------------------------------------------ */
/* The rows of one file                                                */

struct sfile {
	const char *path;
	struct stat st;
	struct pc_stat pc;
	enum pc_source src;
	struct gmount mnt;
	struct daemon_facts d;
	struct sm_result sm;
	bool sm_ok;
};

static void row_fuse(struct stack_run *s, const struct sfile *f)
{
	struct srow w;

	row_init(&w, f->path, "fuse");
	w.object = fsi_xasprintf("%s (page cache above FUSE)", f->path);
	w.size = (uint64_t)f->st.st_size;
	w.span = fsi_pages(w.size);
	w.pages = f->pc.cached;
	w.cached = page_bytes(f->pc.cached);
	w.dirty = f->pc.dirty;
	w.flushed = f->pc.dirty;
	w.detail =
		fsi_xasprintf("inode %" PRIu64 ", %s", (uint64_t)f->st.st_ino,
			      pc_source_name(f->src));
	emit(s, &w);
}

static void row_daemon(struct stack_run *s, const struct sfile *f)
{
	struct srow w;

	row_init(&w, f->path, "daemon");
	w.object = f->d.ok ? fsi_xasprintf("glassfs daemon (pid %" PRIu64 ")",
					   f->d.pid)
			   : fsi_xstrdup("glassfs daemon");
	w.cached = 0;
	w.pages = 0;
	w.detail = fsi_xstrdup("no data cache of its own: data goes through "
			       "SQLite");
	emit(s, &w);
}

static void row_sqlite(struct stack_run *s, const struct sfile *f)
{
	struct srow w;

	row_init(&w, f->path, "sqlite");
	w.object = fsi_xstrdup("SQLite page cache (whole store)");
	w.cached = f->d.ok ? f->d.cache_used : FSI_UNKNOWN;
	w.pages = f->d.ok ? f->d.cache_used / fsi_page_size : FSI_UNKNOWN;
	w.hits = f->d.ok ? f->d.hits : FSI_UNKNOWN;
	w.misses = f->d.ok ? f->d.misses : FSI_UNKNOWN;
	w.detail = f->d.ok ? fsi_xasprintf("hits %" PRIu64 ", misses %" PRIu64
					   "; this file's share unknown",
					   f->d.hits, f->d.misses)
			   : fsi_xstrdup("unknown: the daemon did not answer");
	emit(s, &w);
}

static void fill_below(struct srow *w, const struct sm_res *res,
		       uint64_t sqlite_pages, uint64_t ps)
{
	w->size = sqlite_pages * ps;
	w->span = res->span;
	w->sqlite_pages = sqlite_pages;
	w->pages = res->cached;
	w->cached = page_bytes(res->cached);
	/* Frames are not page-aligned in the WAL: count whole pages, but
	 * never more than the data itself. */
	if (w->cached > w->size)
		w->cached = w->size;
	w->dirty = res->dirty;
}

static void row_store(struct stack_run *s, const struct sfile *f)
{
	const struct sm_result *r = &f->sm;
	struct srow w;

	row_init(&w, f->path, "store");
	w.object = fsi_xasprintf("%s (page cache below)",
				 f->d.ok ? f->d.store : f->mnt.source);
	if (!f->sm_ok) {
		w.size = w.cached = w.pages = w.dirty = w.span = FSI_UNKNOWN;
		w.detail = fsi_xstrdup("unknown: the store could not be read");
		emit(s, &w);
		return;
	}
	fill_below(&w, &r->db, r->npages - r->nwal, r->page_size);
	w.detail = fsi_xasprintf("%zu SQLite pages of %" PRIu64 " bytes hold "
				 "its data; whole store: %" PRIu64
				 " of %" PRIu64 " pages cached",
				 r->npages - r->nwal, r->page_size,
				 r->db_total.cached, fsi_pages(r->db_size));
	emit(s, &w);
}

static void row_wal(struct stack_run *s, const struct sfile *f)
{
	const struct sm_result *r = &f->sm;
	struct srow w;

	row_init(&w, f->path, "wal");
	w.object = fsi_xasprintf("%s-wal (page cache below)",
				 f->d.ok ? f->d.store : f->mnt.source);
	if (!f->sm_ok) {
		w.size = w.cached = w.pages = w.dirty = w.span = FSI_UNKNOWN;
		w.detail = fsi_xstrdup("unknown: the store could not be read");
		emit(s, &w);
		return;
	}
	fill_below(&w, &r->wal, r->nwal, r->page_size);
	w.detail = fsi_xasprintf(
		"%zu of its pages are newer in the WAL (%" PRIu64
		" frames); whole WAL: %" PRIu64 " of %" PRIu64 " pages cached",
		r->nwal, r->wal_frames, r->wal_total.cached,
		fsi_pages(r->wal_size));
	emit(s, &w);
}

static void row_chunks(struct stack_run *s, const struct sfile *f)
{
	struct srow w;

	row_init(&w, f->path, "chunks");
	w.object = fsi_xasprintf("table chunks, inode %" PRIu64,
				 (uint64_t)f->st.st_ino);
	w.size = f->d.ok ? f->d.bytes : FSI_UNKNOWN;
	w.chunks = f->d.ok ? f->d.chunks : FSI_UNKNOWN;
	w.chunk_size = f->d.ok ? f->d.chunk_size : FSI_UNKNOWN;
	if (f->d.ok && f->sm_ok)
		w.detail = fsi_xasprintf("%" PRIu64 " chunks of %" PRIu64
					 " bytes; committed: %" PRIu64
					 " chunks, %" PRIu64 " bytes",
					 f->d.chunks, f->d.chunk_size,
					 f->sm.chunks, f->sm.bytes);
	else if (f->d.ok)
		w.detail =
			fsi_xasprintf("%" PRIu64 " chunks of %" PRIu64 " bytes",
				      f->d.chunks, f->d.chunk_size);
	else
		w.detail = fsi_xstrdup("unknown: the daemon did not answer");
	emit(s, &w);
}

/* ------------------------------------------------------------------ */
/* Measuring                                                           */

static int open_file(struct sfile *f)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = open(f->path, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(f->path, flags);
	if (fd < 0) {
		warn("cannot open '%s'", f->path);
		return -1;
	}
	if (fsi_fstat_cached(fd, &f->st) < 0 || !S_ISREG(f->st.st_mode)) {
		warnx("cannot inspect '%s': not a regular file", f->path);
		close(fd);
		return -1;
	}
	return fd;
}

static int find_glassfs(struct sfile *f)
{
	if (gmount_by_dev(major(f->st.st_dev), minor(f->st.st_dev), &f->mnt) ||
	    !f->mnt.glassfs) {
		warnx("'%s' is not on a glassfs mount", f->path);
		return -1;
	}
	return 0;
}

static void measure_store(struct stack_run *s, struct sfile *f)
{
	const char *store = f->d.ok ? f->d.store : f->mnt.source;
	char why[512];
	int err;

	err = sm_measure(store, f->st.st_ino, &f->sm, why, sizeof(why));
	f->sm_ok = err == 0;
	if (err) {
		warnx("%s", why);
		s->status = FSI_EXIT_PARTIAL;
	}
}

static void notes_for(struct stack_run *s, const struct sfile *f)
{
	uint64_t above = f->pc.cached, below;

	if (f->pc.dirty && f->pc.dirty != FSI_UNKNOWN)
		out_note(&s->out,
			 "closing '%s' after measuring wrote back its "
			 "%" PRIu64 " dirty pages (FUSE writes back at every "
			 "close)",
			 f->path, f->pc.dirty);
	if (!f->sm_ok || above == FSI_UNKNOWN)
		return;
	below = f->sm.db.cached + f->sm.wal.cached;
	if (above && below) {
		char *a = out_size(&s->out, page_bytes(above));
		char *b = out_size(&s->out, page_bytes(below));

		out_note(&s->out,
			 "'%s': %s of it cached above FUSE, and %s "
			 "of the store pages holding it cached below: the "
			 "same data cached twice",
			 f->path, a, b);
		free(a);
		free(b);
	}
	if (f->sm.dropped)
		out_note(&s->out,
			 "reading the store's b-tree cached %" PRIu64
			 " of its pages; they were dropped again",
			 f->sm.dropped);
}

static void do_file(struct stack_run *s, const char *path)
{
	struct sfile f = {.path = path};
	int fd = open_file(&f);

	if (fd < 0 || find_glassfs(&f)) {
		if (fd >= 0)
			close(fd);
		s->status = FSI_EXIT_PARTIAL;
		return;
	}
	if (pc_measure(fd, 0, 0, &f.pc, &f.src) < 0)
		memset(&f.pc, 0xff, sizeof(f.pc));
	ask_daemon(&f.mnt, f.st.st_ino, &f.d);
	if (!f.d.ok) {
		warnx("no answer from the daemon of '%s': its figures are "
		      "unknown",
		      f.mnt.mountpoint);
		s->status = FSI_EXIT_PARTIAL;
	}
	measure_store(s, &f);
	/* Everything is measured: now the close may write back. */
	close(fd);
	row_fuse(s, &f);
	row_daemon(s, &f);
	row_sqlite(s, &f);
	row_store(s, &f);
	row_wal(s, &f);
	row_chunks(s, &f);
	notes_for(s, &f);
	sm_free(&f.sm);
}

int cmd_stack(int argc, char **argv)
{
	struct stack_run s;
	int i, rc;

	memset(&s, 0, sizeof(s));
	parse_options(argc, argv, &s.oo);
	/* A JSON consumer gets every figure unless it chose. */
	if ((s.oo.flags & OUT_JSON) && !s.oo.columns)
		s.oo.columns = "FILE,LAYER,OBJECT,SIZE,CACHED,PAGES,PERCENT,"
			       "DIRTY,SQLITE_PAGES,CHUNKS,CHUNK_SIZE,HITS,"
			       "MISSES,FLUSHED,DETAIL";
	if (out_init(&s.out, &stack_spec, &s.oo))
		fsi_usage_hint("stack");
	if (argc - optind > 1 || (s.oo.flags & OUT_JSON))
		out_require(&s.out, COL_FILE, -1);
	if (s.oo.flags & OUT_JSON)
		out_require(&s.out, COL_FLUSHED, -1);
	for (i = optind; i < argc; i++)
		do_file(&s, argv[i]);
	rc = out_print(&s.out);
	if (rc) {
		warnx("cannot write the output: %s", strerror(-rc));
		s.status = FSI_EXIT_FATAL;
	}
	out_free(&s.out);
	return s.status;
}
