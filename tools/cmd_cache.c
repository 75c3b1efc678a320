// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_cache.c - "fsinspect cache": what the page cache holds of files.
 *
 * Layer: subcommand (options, columns, rows).  Measures through
 * pagecache.c on a descriptor opened here, or through procmaps.c with
 * --no-open; prints through output.c, and svg.c for --svg.
 *
 * The observer effect: on FUSE, close() of any descriptor writes back the
 * file's dirty pages.  So each file is opened once and everything is
 * measured through that descriptor before it is closed; the rows then say
 * (FLUSHED, and a note) that the close wrote back the dirty pages they
 * report, and nothing is measured again after a close.  --watch keeps the
 * descriptors open for the whole session and closes them once, after the
 * last round.  --no-open opens nothing and reads page flags of mapped
 * pages from /proc.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fsinspect.h"
#include "mounts.h"
#include "output.h"
#include "pagecache.h"
#include "procmaps.h"
#include "resmap.h"
#include "svg.h"
#include "walk.h"

enum {
	COL_FILE,
	COL_TYPE,
	COL_FSTYPE,
	COL_SIZE,
	COL_PAGES,
	COL_RES,
	COL_CACHED,
	COL_PERCENT,
	COL_DIRTY,
	COL_WRITEBACK,
	COL_EVICTED,
	COL_REC_EVICTED,
	COL_MAPPED,
	COL_MAPPED_DIRTY,
	COL_MAPPED_WB,
	COL_SOURCE,
	COL_FLUSHED,
	COL_MAP,
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column cache_columns[] = {
	[COL_FILE] = {"FILE", 0.3, OUT_COL_TRUNC,
		      "file name; a directory's total row ends in '/'"},
	[COL_TYPE] = {"TYPE", 5, 0,
		      "row type: file, dir (total of a directory), total"},
	[COL_FSTYPE] = {"FSTYPE", 6, 0,
			"file system type (/proc/self/mountinfo)"},
	[COL_SIZE] = {"SIZE", 5, NUM, "file size (statx)"},
	[COL_PAGES] = {"PAGES", 5, NUM, "pages the size spans"},
	[COL_RES] = {"RES", 5, NUM, "size of the cached pages"},
	[COL_CACHED] = {"CACHED", 5, NUM,
			"pages in the page cache (cachestat, or mincore)"},
	[COL_PERCENT] = {"PERCENT", 5, NUM, "CACHED as a percentage of PAGES"},
	[COL_DIRTY] = {"DIRTY", 5, NUM, "cached pages dirty (cachestat)"},
	[COL_WRITEBACK] = {"WRITEBACK", 5, NUM,
			   "cached pages under writeback (cachestat)"},
	[COL_EVICTED] = {"EVICTED", 5, NUM,
			 "pages evicted by reclaim (cachestat shadow entries)"},
	[COL_REC_EVICTED] = {"REC_EVICTED", 5, NUM,
			     "of those, evicted recently (cachestat)"},
	[COL_MAPPED] = {"MAPPED", 5, NUM,
			"pages mapped by some process (/proc/PID/pagemap)"},
	[COL_MAPPED_DIRTY] = {"MAPPED_DIRTY", 5, NUM,
			      "mapped pages flagged dirty (/proc/kpageflags)"},
	[COL_MAPPED_WB] = {"MAPPED_WB", 5, NUM,
			   "mapped pages under writeback (/proc/kpageflags)"},
	[COL_SOURCE] = {"SOURCE", 8, 0,
			"cachestat, mincore, pagemap, or why nothing: denied, "
			"nomap"},
	[COL_FLUSHED] = {"FLUSHED", 5, NUM,
			 "dirty pages written back by this inspection's "
			 "close (FUSE)"},
	[COL_MAP] = {"MAP", 0.2, 0,
		     "residency map (--map): cells of pages, see fsinspect(1)"},
};

static const struct out_spec cache_spec = {
	.table = "cache",
	.cols = cache_columns,
	.ncols = sizeof(cache_columns) / sizeof(cache_columns[0]),
	.defaults = "SIZE,PAGES,CACHED,PERCENT,DIRTY,WRITEBACK,EVICTED,"
		    "REC_EVICTED,FILE",
};

static const struct out_spec cache_noopen_spec = {
	.table = "cache",
	.cols = cache_columns,
	.ncols = sizeof(cache_columns) / sizeof(cache_columns[0]),
	.defaults = "SIZE,PAGES,CACHED,DIRTY,MAPPED,MAPPED_DIRTY,MAPPED_WB,"
		    "FILE",
};

#define MAP_DEFAULT_WIDTH 40
#define MAP_MAX_WIDTH 4096
#define SVG_MAP_CELLS 512 /* cells of a file in the --svg picture */

struct cache_opts {
	struct out_opts out;
	unsigned map_width; /* 0: no map */
	double interval;    /* > 0: --watch */
	unsigned count;	    /* rounds; 0: until interrupted */
	bool no_open;
	const char *svg; /* --svg FILE */
};

/* A file being inspected: one per WALK_FILE entry. */
struct cfile {
	const struct walk_entry *we;
	int fd; /* -1 when not open */
	struct stat st;
	bool fuse;
	bool failed;	 /* could not be opened: no row */
	long dup_of;	 /* the first entry of the same file, or -1 */
	uint8_t *mapped; /* PM_PG_* per page, with a /proc scan */
	uint64_t npages; /* of @mapped */
};

enum { ROW_FILE, ROW_DIR, ROW_TOTAL };

/* The figures of one row. */
struct crow {
	int type;
	const char *name;
	const char *fstype;
	uint64_t size, pages;
	struct pc_stat pc;
	enum pc_source src;
	uint64_t mapped, mapped_dirty, mapped_wb;
	uint64_t flushed;
	char *map;
	bool fuse;
	struct resmap_cell *svg_cells; /* --svg, last round */
	unsigned svg_n;
};

/* This round's row of each file, for the later entries of the same file. */
struct measured {
	struct crow row;
	bool valid;
};

struct cache_run {
	struct cache_opts opt;
	struct out out;
	struct walk_list wl;
	struct cfile *files;   /* indexed like wl.v */
	struct measured *rows; /* indexed like wl.v */
	bool scan;	       /* a MAPPED column or --no-open: scan /proc */
	int top_items; /* PATHs that gave rows: >1 prints a grand total */
	int status;
	/* for this round's notes */
	unsigned flushed_files, denied_files;
	uint64_t flushed_pages;
	const char *flushed_name;
	bool saw_mincore;
	bool warned_denied;
};

static void usage(void)
{
	FILE *f = stdout;

	fputs("\nUsage:\n"
	      " fsinspect cache [options] PATH...\n"
	      "\nShow what the page cache holds of each file: cached, dirty,\n"
	      "writeback and evicted pages.  Directories are walked.\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	fputs(" -m, --map[=WIDTH]      add a residency map of WIDTH cells "
	      "(40)\n"
	      " -r, --recursive        walk directories (always done)\n"
	      " -w, --watch SECONDS    keep the files open, measure every "
	      "SECONDS\n"
	      " -i, --interval SECONDS same as --watch\n"
	      " -c, --count N          with --watch: stop after N rounds\n"
	      "     --no-open          do not open the files: mapped pages "
	      "only\n"
	      "     --svg FILE         draw the residency maps (HTML if FILE "
	      "ends in .html)\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(&cache_spec, f);
	fputs("\nSee fsinspect(1) for what each view may perturb.\n", f);
	exit(FSI_EXIT_OK);
}

static void parse_options(int argc, char **argv, struct cache_opts *o)
{
	enum { OPT_NO_OPEN = OUT_OPT_RAW + 1, OPT_SVG };
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"map", optional_argument, NULL, 'm'},
		{"recursive", no_argument, NULL, 'r'},
		{"watch", required_argument, NULL, 'w'},
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"no-open", no_argument, NULL, OPT_NO_OPEN},
		{"svg", required_argument, NULL, OPT_SVG},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "m::rw:i:c:hV",
				longopts, NULL)) != -1) {
		if (out_option(c, optarg, &o->out))
			continue;
		switch (c) {
		case 'm':
			o->map_width = MAP_DEFAULT_WIDTH;
			if (optarg && fsi_parse_uint(optarg, 1, MAP_MAX_WIDTH,
						     &o->map_width)) {
				warnx("invalid map width '%s'", optarg);
				fsi_usage_hint("cache");
			}
			break;
		case 'r':
			break;
		case 'w':
		case 'i':
			if (fsi_parse_seconds(optarg, &o->interval) ||
			    o->interval <= 0) {
				warnx("invalid interval '%s'", optarg);
				fsi_usage_hint("cache");
			}
			break;
		case 'c':
			if (fsi_parse_uint(optarg, 1, ~0u, &o->count)) {
				warnx("invalid count '%s'", optarg);
				fsi_usage_hint("cache");
			}
			break;
		case OPT_NO_OPEN:
			o->no_open = true;
			break;
		case OPT_SVG:
			o->svg = optarg;
			break;
		case 'h':
			usage();
			break;
		case 'V':
			fsi_print_version();
			break;
		default:
			fsi_usage_hint("cache");
		}
	}
	if (optind == argc) {
		warnx("no file given");
		fsi_usage_hint("cache");
	}
	if (o->count && o->interval <= 0) {
		warnx("--count needs --watch");
		fsi_usage_hint("cache");
	}
}

/* ------------------------------------------------------------------ */
/* Opening, measuring, closing                                         */

/* Read-only, without updating atime when we may (O_NOATIME needs us to
 * own the file), and without blocking on a FIFO that replaced a file. */
static int open_file(struct cfile *f)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd;

	fd = open(f->we->path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(f->we->path, flags);
	if (fd < 0)
		return -errno;
	if (fsi_fstat_cached(fd, &f->st) < 0 || !S_ISREG(f->st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f->fd = fd;
	f->fuse = mnt_is_fuse(f->st.st_dev);
	return 0;
}

static bool open_or_warn(struct cache_run *r, struct cfile *f)
{
	int rc = open_file(f);

	if (rc == 0)
		return true;
	if (rc == -EINVAL)
		warnx("cannot inspect '%s': not a regular file", f->we->path);
	else
		warnx("cannot open '%s': %s", f->we->path, strerror(-rc));
	f->failed = true;
	r->status = FSI_EXIT_PARTIAL;
	return false;
}

static void close_file(struct cfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* @width cells (at most) of a file measured through its descriptor. */
static unsigned fd_cells(const struct cfile *f, uint64_t pages, unsigned width,
			 struct resmap_cell *cells)
{
	unsigned i, n = resmap_split(pages, width, cells);

	for (i = 0; i < n; i++) {
		struct pc_stat st;
		enum pc_source s2;

		/* cachestat takes a range: one call per cell. */
		if (pc_measure(f->fd, cells[i].first, cells[i].pages, &st,
			       &s2) < 0)
			st.cached = st.dirty = st.writeback = FSI_UNKNOWN;
		cells[i].cached = st.cached;
		cells[i].dirty = st.dirty;
		cells[i].writeback = st.writeback;
	}
	return n;
}

/* The MAP cell of a file measured through its descriptor. */
static char *map_from_fd(const struct cache_run *r, const struct cfile *f,
			 uint64_t pages, enum pc_source src)
{
	struct resmap_cell *cells;
	unsigned n;
	char *s;

	if (src == PC_DENIED || src == PC_NOMAP)
		return fsi_xstrdup("unknown");
	cells = fsi_xcalloc(r->opt.map_width, sizeof(*cells));
	n = fd_cells(f, pages, r->opt.map_width, cells);
	s = resmap_render(cells, n, r->out.flags & OUT_ASCII);
	free(cells);
	return s;
}

/* Counts of PM_PG_* @bit among pages [first, first + n) of @f. */
static uint64_t count_mapped(const struct cfile *f, uint64_t first, uint64_t n,
			     unsigned bit)
{
	uint64_t i, c = 0;

	if (!f->mapped)
		return FSI_UNKNOWN;
	for (i = first; i < first + n && i < f->npages; i++) {
		if (bit != PM_PG_MAPPED && (f->mapped[i] & PM_PG_NOFLAGS))
			return FSI_UNKNOWN;
		c += !!(f->mapped[i] & bit);
	}
	return c;
}

/* Cells with --no-open: mapped pages only, unknown where none. */
static unsigned mapped_cells(const struct cfile *f, uint64_t pages,
			     unsigned width, struct resmap_cell *cells)
{
	unsigned i, n = resmap_split(pages, width, cells);

	for (i = 0; i < n; i++) {
		struct resmap_cell *c = &cells[i];

		c->cached = count_mapped(f, c->first, c->pages, PM_PG_MAPPED);
		if (c->cached == 0)
			c->cached = FSI_UNKNOWN;
		c->dirty = count_mapped(f, c->first, c->pages, PM_PG_DIRTY);
		c->writeback =
			count_mapped(f, c->first, c->pages, PM_PG_WRITEBACK);
	}
	return n;
}

/* The MAP cell with --no-open: '?' where no page is mapped. */
static char *map_from_mapped(const struct cache_run *r, const struct cfile *f,
			     uint64_t pages)
{
	struct resmap_cell *cells;
	unsigned n;
	char *s;

	cells = fsi_xcalloc(r->opt.map_width, sizeof(*cells));
	n = mapped_cells(f, pages, r->opt.map_width, cells);
	s = resmap_render(cells, n, r->out.flags & OUT_ASCII);
	free(cells);
	return s;
}

/* The cells of the --svg picture, measured as the MAP cell is. */
static void svg_cells(const struct cache_run *r, const struct cfile *f,
		      struct crow *row)
{
	unsigned i;

	row->svg_cells = fsi_xcalloc(SVG_MAP_CELLS, sizeof(*row->svg_cells));
	if (r->opt.no_open)
		row->svg_n = mapped_cells(f, row->pages, SVG_MAP_CELLS,
					  row->svg_cells);
	else
		row->svg_n =
			fd_cells(f, row->pages, SVG_MAP_CELLS, row->svg_cells);
	if (row->src == PC_DENIED || row->src == PC_NOMAP)
		for (i = 0; i < row->svg_n; i++)
			row->svg_cells[i].cached = FSI_UNKNOWN;
}

static void unknown_pc(struct pc_stat *pc)
{
	pc->cached = pc->dirty = pc->writeback = FSI_UNKNOWN;
	pc->evicted = pc->recently_evicted = FSI_UNKNOWN;
}

/* Measure through the descriptor; in one-shot mode close it after. */
static int measure_open(struct cache_run *r, struct cfile *f, bool last,
			struct crow *row)
{
	bool watch = r->opt.interval > 0;
	int rc;

	if (!watch && !open_or_warn(r, f))
		return -1;
	/* No GETATTR per round: a stopped daemon must not stop us. */
	rc = watch ? fsi_fstat_cached(f->fd, &f->st) : 0;
	if (rc < 0) {
		warnx("cannot stat '%s': %s", f->we->path, strerror(-rc));
		r->status = FSI_EXIT_PARTIAL;
		return -1;
	}
	row->size = (uint64_t)f->st.st_size;
	row->pages = fsi_pages(row->size);
	rc = pc_measure(f->fd, 0, 0, &row->pc, &row->src);
	if (rc < 0) {
		warnx("cannot measure '%s': %s", f->we->path, strerror(-rc));
		r->status = FSI_EXIT_PARTIAL;
		if (!watch)
			close_file(f);
		return -1;
	}
	if (r->opt.map_width)
		row->map = map_from_fd(r, f, row->pages, row->src);
	if (r->opt.svg && (last || !watch))
		svg_cells(r, f, row);
	/* Everything is measured: now the close may write back. */
	if (!watch)
		close_file(f);
	row->flushed = 0;
	if (f->fuse && (last || !watch))
		row->flushed = row->pc.dirty;
	return 0;
}

static int measure_file(struct cache_run *r, struct cfile *f, bool last,
			struct crow *row)
{
	memset(row, 0, sizeof(*row));
	row->type = ROW_FILE;
	row->name = f->we->path;
	if (r->opt.no_open) {
		f->st = f->we->st;
		row->size = (uint64_t)f->st.st_size;
		row->pages = fsi_pages(row->size);
		row->src = PC_NONE;
		unknown_pc(&row->pc);
		if (r->opt.map_width)
			row->map = map_from_mapped(r, f, row->pages);
		if (r->opt.svg && last)
			svg_cells(r, f, row);
	} else if (measure_open(r, f, last, row)) {
		return -1;
	}
	row->fuse = mnt_is_fuse(f->st.st_dev);
	row->fstype = mnt_fstype(f->st.st_dev);
	row->mapped = count_mapped(f, 0, f->npages, PM_PG_MAPPED);
	row->mapped_dirty = count_mapped(f, 0, f->npages, PM_PG_DIRTY);
	row->mapped_wb = count_mapped(f, 0, f->npages, PM_PG_WRITEBACK);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Mapped pages, from /proc (--no-open and the MAPPED columns)        */

static void reset_mapped(struct cache_run *r)
{
	size_t i;

	for (i = 0; i < r->wl.n; i++) {
		struct cfile *f = &r->files[i];

		free(f->mapped);
		f->mapped = NULL;
		if (r->wl.v[i].kind != WALK_FILE || f->failed)
			continue;
		/* The size we know now; pages mapped past it are ignored. */
		f->npages =
			fsi_pages((uint64_t)(f->fd >= 0 ? f->st.st_size
							: f->we->st.st_size));
		f->mapped = fsi_xcalloc(f->npages ? f->npages : 1, 1);
	}
}

static void scan_mapped(struct cache_run *r)
{
	struct pm_target *t = fsi_xcalloc(r->wl.n + 1, sizeof(*t));
	struct pm_scan s;
	size_t i, nt = 0;

	reset_mapped(r);
	for (i = 0; i < r->wl.n; i++) {
		if (r->wl.v[i].kind != WALK_FILE || r->files[i].failed ||
		    r->files[i].dup_of >= 0)
			continue;
		t[nt].dev = r->wl.v[i].st.st_dev;
		t[nt].ino = r->wl.v[i].st.st_ino;
		t[nt++].index = (int)i;
	}
	if (pm_scan_maps(t, nt, false, &s) < 0)
		err(FSI_EXIT_FATAL, "cannot read '/proc'");
	for (i = 0; i < s.nmaps; i++) {
		struct cfile *f = &r->files[s.maps[i].target];

		pm_mark_pages(&s.maps[i], f->mapped, f->npages);
	}
	if (s.denied && !r->warned_denied) {
		warnx("cannot read the mappings of %u process%s: not counted",
		      s.denied, s.denied == 1 ? "" : "es");
		r->warned_denied = true;
	}
	pm_scan_free(&s);
	free(t);
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */

static char *cache_cell(const struct out *o, int id, const void *data)
{
	const struct crow *w = data;
	static const char *const types[] = {"file", "dir", "total"};

	switch (id) {
	case COL_FILE:
		return out_text(w->name);
	case COL_TYPE:
		return out_text(types[w->type]);
	case COL_FSTYPE:
		return out_text(w->fstype);
	case COL_SIZE:
		return out_size(o, w->size);
	case COL_PAGES:
		return out_count(o, w->pages);
	case COL_RES:
		return out_size(o, w->pc.cached == FSI_UNKNOWN
					   ? FSI_UNKNOWN
					   : w->pc.cached * fsi_page_size);
	case COL_CACHED:
		return out_count(o, w->pc.cached);
	case COL_PERCENT:
		return out_percent(o, w->pc.cached, w->pages);
	case COL_DIRTY:
		return out_count(o, w->pc.dirty);
	case COL_WRITEBACK:
		return out_count(o, w->pc.writeback);
	case COL_EVICTED:
		return out_count(o, w->pc.evicted);
	case COL_REC_EVICTED:
		return out_count(o, w->pc.recently_evicted);
	case COL_MAPPED:
		return out_count(o, w->mapped);
	case COL_MAPPED_DIRTY:
		return out_count(o, w->mapped_dirty);
	case COL_MAPPED_WB:
		return out_count(o, w->mapped_wb);
	case COL_SOURCE:
		if (w->type != ROW_FILE)
			return NULL;
		return out_text(w->src == PC_NONE ? "pagemap"
						  : pc_source_name(w->src));
	case COL_FLUSHED:
		return out_count(o, w->flushed);
	case COL_MAP:
		return out_text(w->map);
	}
	return NULL;
}

static void row_add(struct crow *sum, const struct crow *w)
{
	fsi_add(&sum->size, w->size);
	fsi_add(&sum->pages, w->pages);
	fsi_add(&sum->pc.cached, w->pc.cached);
	fsi_add(&sum->pc.dirty, w->pc.dirty);
	fsi_add(&sum->pc.writeback, w->pc.writeback);
	fsi_add(&sum->pc.evicted, w->pc.evicted);
	fsi_add(&sum->pc.recently_evicted, w->pc.recently_evicted);
	fsi_add(&sum->mapped, w->mapped);
	fsi_add(&sum->mapped_dirty, w->mapped_dirty);
	fsi_add(&sum->mapped_wb, w->mapped_wb);
	fsi_add(&sum->flushed, w->flushed);
}

/* Remember what the notes under this round's table must say. */
static void note_file(struct cache_run *r, const struct crow *w)
{
	if (w->src == PC_DENIED)
		r->denied_files++;
	if (w->src == PC_MINCORE)
		r->saw_mincore = true;
	if (!w->fuse || r->opt.no_open || w->flushed == 0)
		return;
	r->flushed_files++;
	r->flushed_name = w->name;
	fsi_add(&r->flushed_pages, w->flushed);
}

static void emit_notes(struct cache_run *r)
{
	const char *when = r->opt.interval > 0 ? "at the end of this session"
					       : "after measuring";
	struct out *o = &r->out;

	if (r->flushed_files == 1 && r->flushed_pages != FSI_UNKNOWN)
		out_note(o,
			 "closing '%s' %s wrote back its %llu dirty pages "
			 "(FUSE writes back at every close)",
			 r->flushed_name, when,
			 (unsigned long long)r->flushed_pages);
	else if (r->flushed_files && r->flushed_pages != FSI_UNKNOWN)
		out_note(o,
			 "closing %u FUSE files %s wrote back their %llu dirty "
			 "pages (FUSE writes back at every close)",
			 r->flushed_files, when,
			 (unsigned long long)r->flushed_pages);
	else if (r->flushed_files == 1)
		out_note(o,
			 "closing '%s' %s may have written back dirty pages "
			 "(how many is unknown)",
			 r->flushed_name, when);
	else if (r->flushed_files)
		out_note(o,
			 "closing %u FUSE files %s may have written back dirty "
			 "pages (how many is unknown)",
			 r->flushed_files, when);
	if (r->denied_files)
		out_note(o, "unknown: the kernel reports the page cache of a "
			    "file only to a process that may write it");
	if (r->saw_mincore)
		out_note(o, "cachestat(2) is not available: mincore(2) counts "
			    "cached pages only");
}

/* The per-directory totals stack of one round. */
struct totals {
	struct crow *v;
	int depth;
};

static void start_dir(struct totals *t, const char *path)
{
	struct crow *d = &t->v[++t->depth];

	memset(d, 0, sizeof(*d));
	d->type = ROW_DIR;
	d->name = fsi_xasprintf("%s/", path);
	d->src = PC_NONE;
}

static void end_dir(struct cache_run *r, struct totals *t)
{
	struct crow *d = &t->v[t->depth--];

	out_row(&r->out, cache_cell, d);
	row_add(&t->v[t->depth], d);
	free((char *)d->name);
}

/* A file met again: its first row's figures under this name, without a
 * second open (which would follow the first close), and out of totals. */
static void do_duplicate(struct cache_run *r, size_t i)
{
	const struct measured *first = &r->rows[r->files[i].dup_of];
	struct crow w;

	if (!first->valid)
		return;
	w = first->row;
	w.name = r->wl.v[i].path;
	w.flushed = 0;
	out_row(&r->out, cache_cell, &w);
}

static void do_file(struct cache_run *r, size_t i, bool last, struct totals *t)
{
	struct measured *m = &r->rows[i];

	if (r->files[i].dup_of >= 0) {
		do_duplicate(r, i);
		return;
	}
	if (r->files[i].failed || measure_file(r, &r->files[i], last, &m->row))
		return;
	m->valid = true;
	out_row(&r->out, cache_cell, &m->row);
	row_add(&t->v[t->depth], &m->row);
	note_file(r, &m->row);
}

static void forget_rows(struct cache_run *r)
{
	size_t i;

	for (i = 0; i < r->wl.n; i++) {
		free(r->rows[i].row.map);
		free(r->rows[i].row.svg_cells);
		memset(&r->rows[i], 0, sizeof(r->rows[i]));
	}
}

static int cmp_file_id(const void *a, const void *b)
{
	const struct walk_entry *const *x = a, *const *y = b;

	if ((*x)->st.st_dev != (*y)->st.st_dev)
		return (*x)->st.st_dev < (*y)->st.st_dev ? -1 : 1;
	if ((*x)->st.st_ino != (*y)->st.st_ino)
		return (*x)->st.st_ino < (*y)->st.st_ino ? -1 : 1;
	return *x < *y ? -1 : *x > *y; /* walk order */
}

/*
 * A file reached twice (a hard link, a PATH repeated or inside another)
 * is measured once: measuring it again after the first close would show
 * what that close did, not the state before it.
 */
static void find_duplicates(struct cache_run *r)
{
	const struct walk_entry **v = fsi_xcalloc(r->wl.n + 1, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < r->wl.n; i++) {
		r->files[i].dup_of = -1;
		if (r->wl.v[i].kind == WALK_FILE)
			v[n++] = &r->wl.v[i];
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_file_id);
	for (i = 1; i < n; i++) {
		long first = v[i - 1] - r->wl.v;

		if (v[i]->st.st_dev != v[i - 1]->st.st_dev ||
		    v[i]->st.st_ino != v[i - 1]->st.st_ino)
			continue;
		if (r->files[first].dup_of >= 0)
			first = r->files[first].dup_of;
		r->files[v[i] - r->wl.v].dup_of = first;
	}
	free(v);
}

/* One measurement of every file; @last: the descriptors close next. */
static int cache_round(struct cache_run *r, bool last)
{
	struct totals t;
	size_t i;
	int rc;

	r->flushed_files = r->denied_files = 0;
	r->flushed_pages = 0;
	r->saw_mincore = false;
	forget_rows(r);
	if (r->scan)
		scan_mapped(r);
	t.v = fsi_xcalloc(r->wl.n + 1, sizeof(*t.v));
	t.depth = 0;
	t.v[0].type = ROW_TOTAL;
	t.v[0].name = "total";
	for (i = 0; i < r->wl.n; i++) {
		if (r->wl.v[i].kind == WALK_DIR_BEGIN)
			start_dir(&t, r->wl.v[i].path);
		else if (r->wl.v[i].kind == WALK_DIR_END)
			end_dir(r, &t);
		else
			do_file(r, i, last, &t);
	}
	if (r->top_items > 1)
		out_row(&r->out, cache_cell, &t.v[0]);
	free(t.v);
	emit_notes(r);
	rc = out_print(&r->out);
	if (rc)
		warnx("cannot write the output: %s", strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

/* One descriptor per file for the whole session. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int watch(struct cache_run *r)
{
	unsigned n;
	size_t i;
	int rc = 0;

	fsi_catch_stop_signals();
	if (!r->opt.no_open) {
		raise_fd_limit();
		for (i = 0; i < r->wl.n; i++)
			if (r->wl.v[i].kind == WALK_FILE &&
			    r->files[i].dup_of < 0)
				open_or_warn(r, &r->files[i]);
	}
	for (n = 1;; n++) {
		bool last = fsi_stop_signal || n == r->opt.count;

		if (cache_round(r, last)) {
			rc = -EIO;
			break;
		}
		if (last)
			break;
		fsi_nap(r->opt.interval);
	}
	for (i = 0; i < r->wl.n; i++)
		close_file(&r->files[i]);
	return rc;
}

static int count_top_items(const struct walk_list *wl)
{
	int depth = 0, n = 0;
	size_t i;

	for (i = 0; i < wl->n; i++) {
		if (depth == 0 && wl->v[i].kind != WALK_DIR_END)
			n++;
		if (wl->v[i].kind == WALK_DIR_BEGIN)
			depth++;
		else if (wl->v[i].kind == WALK_DIR_END)
			depth--;
	}
	return n;
}

static void setup_output(struct cache_run *r)
{
	const struct cache_opts *o = &r->opt;
	int i;

	if (out_init(&r->out, o->no_open ? &cache_noopen_spec : &cache_spec,
		     &o->out))
		fsi_usage_hint("cache");
	if (o->map_width)
		out_require(&r->out, COL_MAP, COL_FILE);
	if (o->out.flags & OUT_JSON) {
		/* A JSON consumer gets the observer effect whatever -o is. */
		out_require(&r->out, COL_TYPE, -1);
		out_require(&r->out, COL_FLUSHED, -1);
	}
	for (i = 0; i < r->out.nids; i++)
		if (r->out.ids[i] == COL_MAPPED ||
		    r->out.ids[i] == COL_MAPPED_DIRTY ||
		    r->out.ids[i] == COL_MAPPED_WB)
			r->scan = true;
	if (o->no_open)
		r->scan = true;
	if (o->no_open && geteuid() != 0)
		warnx("--no-open without root: only your own processes are "
		      "seen and page flags are unknown");
}

/* The last round's maps as a picture (--svg). */
static int write_svg(const struct cache_run *r)
{
	struct svg_map_file *m = fsi_xcalloc(r->wl.n + 1, sizeof(*m));
	struct svg_resmap map = {.title = "fsinspect cache", .files = m};
	size_t i;
	int err;

	for (i = 0; i < r->wl.n; i++) {
		const struct crow *w = &r->rows[i].row;

		if (!r->rows[i].valid || !w->svg_cells)
			continue;
		m[map.nfiles++] = (struct svg_map_file){
			.name = w->name,
			.pages = w->pages,
			.cells = w->svg_cells,
			.ncells = w->svg_n,
		};
	}
	map.subtitle = r->opt.no_open ? "mapped pages (--no-open)"
				      : "page cache residency (cachestat)";
	err = svg_save_resmap(r->opt.svg, &map);
	if (err)
		warnx("cannot write '%s': %s", r->opt.svg, strerror(-err));
	free(m);
	return err;
}

int cmd_cache(int argc, char **argv)
{
	struct cache_run r;
	size_t i;

	memset(&r, 0, sizeof(r));
	parse_options(argc, argv, &r.opt);
	setup_output(&r);
	if (walk_paths(argv + optind, argc - optind, &r.wl))
		r.status = FSI_EXIT_PARTIAL;
	r.top_items = count_top_items(&r.wl);
	r.files = fsi_xcalloc(r.wl.n + 1, sizeof(*r.files));
	r.rows = fsi_xcalloc(r.wl.n + 1, sizeof(*r.rows));
	for (i = 0; i < r.wl.n; i++) {
		r.files[i].we = &r.wl.v[i];
		r.files[i].fd = -1;
	}
	find_duplicates(&r);
	if (r.opt.interval > 0 ? watch(&r) : cache_round(&r, true))
		r.status = FSI_EXIT_FATAL;
	if (r.opt.svg && write_svg(&r))
		r.status = FSI_EXIT_FATAL;
	forget_rows(&r);
	for (i = 0; i < r.wl.n; i++)
		free(r.files[i].mapped);
	free(r.rows);
	free(r.files);
	walk_free(&r.wl);
	out_free(&r.out);
	return r.status;
}
