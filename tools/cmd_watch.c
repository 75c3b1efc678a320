// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_watch.c - "fsinspect watch": a live view of one glassfs mount, a
 * top for its page cache: the files with the most cached and dirty pages,
 * the kernel's write-back in progress, the request rate by type.
 *
 * Layer: subcommand.  Files come from the daemon's "inodes" and "path"
 * (gmount.h, paths.h) and are measured through descriptors held for the
 * whole session (heldfiles.h); write-back from /proc and /sys
 * (writeback.h); rates from the daemon's counters ("stats").  A terminal
 * gets a full screen redrawn each interval (term.h); anything else one
 * block of plain text per interval, or with --json one JSON line.
 *
 * What it perturbs: opening each file once (LOOKUP for names the kernel
 * has forgotten, OPEN), holding the inodes in the kernel while open, and
 * the single close of each at the end, which on FUSE writes back the
 * file's dirty pages; that is reported when the session ends.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "fsinspect.h"
#include "gmount.h"
#include "heldfiles.h"
#include "opstat.h"
#include "paths.h"
#include "stream.h"
#include "term.h"
#include "writeback.h"

#define DEFAULT_TOP 10

struct watch_opts {
	double interval;
	unsigned count; /* 0: until interrupted */
	unsigned top;	/* 0: as many as fit (terminal), else DEFAULT_TOP */
	bool json;
};

/* One "stats" sample. */
struct wsample {
	uint64_t uptime_ns;
	uint64_t kernel_inodes;
	struct gfs_trace_opstat ops[GFS_TRACE_OP_MAX];
};

struct watch_run {
	struct watch_opts opt;
	struct gmount m;
	struct paths paths;
	struct held held;
	struct wb_info wb;
	struct wsample prev, cur;
	bool have_prev;
	bool tty;
	int rows, cols; /* of the terminal */
	int line;	/* lines drawn in this frame */
	char *title;	/* mount, store, cache mode */
	unsigned frame;
	const char *failed_cmd; /* the control command that failed */
	int failed_err;
};

static void usage(void)
{
	fputs("\nUsage:\n"
	      " fsinspect watch [options] MOUNTPOINT\n"
	      "\nA live view of a glassfs mount: the files with the most "
	      "cached\n"
	      "and dirty pages, the kernel's write-back, the requests per\n"
	      "second.  Full screen on a terminal ('q' quits), else one block\n"
	      "per interval.\n"
	      "\nOptions:\n"
	      " -i, --interval SECONDS refresh every SECONDS (1)\n"
	      " -c, --count N          stop after N refreshes\n"
	      " -n, --top N            show the N files with the most cached\n"
	      "                        pages (default: what fits, or 10)\n"
	      " -J, --json             one JSON object per refresh\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n"
	      "\nEach file is opened once and closed when the view ends: on "
	      "FUSE\n"
	      "that close writes back its dirty pages.  See fsinspect(1).\n",
	      stdout);
	exit(FSI_EXIT_OK);
}

static void parse_options(int argc, char **argv, struct watch_opts *o)
{
	static const struct option longopts[] = {
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"top", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->interval = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "i:c:n:JhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'i':
			if (fsi_parse_seconds(optarg, &o->interval) ||
			    o->interval <= 0) {
				warnx("invalid interval '%s'", optarg);
				fsi_usage_hint("watch");
			}
			break;
		case 'c':
		case 'n':
			if (fsi_parse_uint(optarg, 1, ~0u,
					   c == 'c' ? &o->count : &o->top)) {
				warnx("invalid %s '%s'",
				      c == 'c' ? "count" : "number of files",
				      optarg);
				fsi_usage_hint("watch");
			}
			break;
		case 'J':
			o->json = true;
			break;
		case 'h':
			usage();
			break;
		case 'V':
			fsi_print_version();
			break;
		default:
			fsi_usage_hint("watch");
		}
	}
	if (argc - optind != 1) {
		warnx(optind == argc ? "no mountpoint given"
				     : "only one mountpoint may be given");
		fsi_usage_hint("watch");
	}
}

/* ------------------------------------------------------------------ */
/* Sampling                                                            */

/* A command whose failure ends the view; said once the terminal is
 * given back (on the alternate screen a message would vanish with it). */
static int ctl(struct watch_run *w, const char *cmd, json_object **reply)
{
	int rc = gmount_ctl(&w->m, cmd, reply);

	if (rc) {
		w->failed_cmd = cmd;
		w->failed_err = rc;
	}
	return rc;
}

static int sample_stats(struct watch_run *w)
{
	json_object *reply = NULL, *ops = NULL, *o;
	unsigned op;
	int rc = ctl(w, "stats", &reply);

	memset(&w->cur, 0, sizeof(w->cur));
	if (!rc) {
		w->cur.uptime_ns = gmount_u64(reply, "uptime_ns");
		w->cur.kernel_inodes = gmount_u64(reply, "kernel_inodes");
		json_object_object_get_ex(reply, "ops", &ops);
	}
	for (op = 0; ops && op < GFS_TRACE_OP_MAX; op++) {
		const char *name = gfs_trace_op_name(op);

		if (name && json_object_object_get_ex(ops, name, &o))
			opstat_from_json(o, &w->cur.ops[op]);
	}
	json_object_put(reply);
	return rc;
}

static int sample_files(struct watch_run *w)
{
	json_object *reply = NULL, *a;
	uint64_t *inos = NULL;
	size_t i, n = 0;
	int rc = ctl(w, "inodes", &reply);

	if (!rc && json_object_object_get_ex(reply, "inodes", &a) &&
	    json_object_is_type(a, json_type_array)) {
		n = json_object_array_length(a);
		inos = fsi_xcalloc(n, sizeof(*inos));
		for (i = 0; i < n; i++)
			inos[i] = gmount_u64(json_object_array_get_idx(a, i),
					     "ino");
	}
	json_object_put(reply);
	if (!rc) {
		held_update(&w->held, inos, n, &w->paths);
		held_measure(&w->held);
	}
	free(inos);
	return rc;
}

static int sample(struct watch_run *w)
{
	int rc = sample_stats(w);

	if (!rc)
		rc = sample_files(w);
	wb_read(w->m.major, w->m.minor, &w->wb);
	return rc;
}

/* Seconds this frame's counters cover. */
static double covered(const struct watch_run *w)
{
	uint64_t from = w->have_prev ? w->prev.uptime_ns : 0;

	return w->cur.uptime_ns > from ? (double)(w->cur.uptime_ns - from) / 1e9
				       : 0;
}

static void op_delta(const struct watch_run *w, unsigned op,
		     struct gfs_trace_opstat *d)
{
	static const struct gfs_trace_opstat zero;

	opstat_sub(&w->cur.ops[op], w->have_prev ? &w->prev.ops[op] : &zero, d);
}

/* ------------------------------------------------------------------ */
/* Files, ordered for display                                          */

static uint64_t known(uint64_t v)
{
	return v == FSI_UNKNOWN ? 0 : v;
}

static int cmp_files(const void *a, const void *b)
{
	const struct held_file *x = *(const struct held_file *const *)a;
	const struct held_file *y = *(const struct held_file *const *)b;

	if (known(x->pc.cached) != known(y->pc.cached))
		return known(x->pc.cached) > known(y->pc.cached) ? -1 : 1;
	if (known(x->pc.dirty) != known(y->pc.dirty))
		return known(x->pc.dirty) > known(y->pc.dirty) ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The open files, most cached first; *n of them. */
static struct held_file **sorted_files(const struct watch_run *w, size_t *n)
{
	struct held_file **v = fsi_xcalloc(w->held.n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < w->held.n; i++)
		if (w->held.v[i].fd >= 0)
			v[(*n)++] = &w->held.v[i];
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_files);
	return v;
}

/* The current paths of the @n files shown (one was maybe renamed). */
static void refresh_paths(struct watch_run *w, struct held_file **v, size_t n)
{
	const char *p;
	size_t i;

	paths_forget(&w->paths);
	for (i = 0; i < n; i++)
		paths_get(&w->paths, v[i]->ino);
	paths_resolve(&w->paths);
	for (i = 0; i < n; i++) {
		p = paths_get(&w->paths, v[i]->ino);
		free(v[i]->path);
		v[i]->path = p ? fsi_xstrdup(p) : NULL;
	}
}

/* Dirty and writeback pages of all the open files. */
static void file_totals(const struct watch_run *w, uint64_t *dirty,
			uint64_t *wb)
{
	size_t i;

	*dirty = *wb = 0;
	for (i = 0; i < w->held.n; i++)
		if (w->held.v[i].fd >= 0) {
			fsi_add(dirty, w->held.v[i].pc.dirty);
			fsi_add(wb, w->held.v[i].pc.writeback);
		}
}

/* ------------------------------------------------------------------ */
/* Text frames                                                         */

/* Writes @s cut to the terminal width (on a terminal) and ends the line. */
static void put_line(struct watch_run *w, const char *s)
{
	mbstate_t st;
	int width = 0;
	size_t n;

	memset(&st, 0, sizeof(st));
	while (w->tty && *s) {
		wchar_t wc;
		int cw;

		n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		cw = wcwidth(wc);
		if (width + (cw > 0 ? cw : 0) > w->cols)
			break;
		width += cw > 0 ? cw : 0;
		fwrite(s, 1, n, stdout);
		s += n;
	}
	if (!w->tty)
		fputs(s, stdout);
	if (w->tty)
		term_end_line();
	else
		putchar('\n');
	w->line++;
}

static void line(struct watch_run *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(struct watch_run *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		errx(FSI_EXIT_FATAL, "cannot allocate memory");
	va_end(ap);
	put_line(w, s);
	free(s);
}

/* "123" pages, or "unknown". */
static char *pages(uint64_t v)
{
	return v == FSI_UNKNOWN ? fsi_xstrdup("unknown")
				: fsi_xasprintf("%llu", (unsigned long long)v);
}

static char *kib(uint64_t v)
{
	return v == FSI_UNKNOWN
		       ? fsi_xstrdup("unknown")
		       : fsi_xasprintf("%llu kB", (unsigned long long)v);
}

static void header_lines(struct watch_run *w)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	line(w, "glassfs at %s  %s  every %gs%s", w->title, when,
	     w->opt.interval, w->have_prev ? "" : "  (rates since the mount)");
}

static void writeback_lines(struct watch_run *w)
{
	uint64_t dirty, wb;
	char *a, *b, *c, *d;

	file_totals(w, &dirty, &wb);
	a = pages(dirty);
	b = pages(wb);
	c = kib(w->wb.dirty_kb);
	d = kib(w->wb.writeback_kb);
	line(w,
	     "write-back: files below: dirty %s, writeback %s pages; "
	     "system: Dirty %s, Writeback %s",
	     a, b, c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	if (w->wb.waiting == FSI_UNKNOWN)
		line(w,
		     "  FUSE connection %u: waiting unknown (fusectl not "
		     "mounted)",
		     w->m.minor);
	else
		line(w, "  FUSE connection %u: %llu requests waiting",
		     w->m.minor, (unsigned long long)w->wb.waiting);
	if (w->wb.bdi_reclaimable_kb == FSI_UNKNOWN)
		line(w, "  bdi %u:%u: unknown (debugfs not mounted)",
		     w->m.major, w->m.minor);
	else
		line(w,
		     "  bdi %u:%u: dirty %llu kB, writeback %llu kB, "
		     "threshold %llu kB, written %llu kB",
		     w->m.major, w->m.minor,
		     (unsigned long long)w->wb.bdi_reclaimable_kb,
		     (unsigned long long)known(w->wb.bdi_writeback_kb),
		     (unsigned long long)known(w->wb.bdi_thresh_kb),
		     (unsigned long long)known(w->wb.bdi_written_kb));
}

/* @n per @s seconds: "0.3", "12", into @buf. */
static const char *rate_text(char *buf, double n, double s)
{
	double r = s > 0 ? n / s : 0;

	snprintf(buf, 32, r < 10 ? "%.1f" : "%.0f", r);
	return buf;
}

/* "READ 40/s 10M/s" pieces, busiest first, after the total. */
static void request_line(struct watch_run *w)
{
	struct gfs_trace_opstat d[GFS_TRACE_OP_MAX];
	double s = covered(w);
	char buf[1024], buf_rate[32];
	uint64_t total = 0;
	size_t used;
	unsigned op, shown = 0;

	for (op = 0; op < GFS_TRACE_OP_MAX; op++) {
		op_delta(w, op, &d[op]);
		total += d[op].count;
	}
	used = (size_t)snprintf(buf, sizeof(buf), "requests: %s/s",
				rate_text(buf_rate, (double)total, s));
	while (shown++ < 12 && used < sizeof(buf) - 64) {
		unsigned best = 0;

		for (op = 1; op < GFS_TRACE_OP_MAX; op++)
			if (d[op].count > d[best].count)
				best = op;
		if (!d[best].count || !gfs_trace_op_name(best))
			break;
		used += (size_t)snprintf(
			buf + used, sizeof(buf) - used, "  %s %s/s",
			gfs_trace_op_name(best),
			rate_text(buf_rate, (double)d[best].count, s));
		if (d[best].bytes)
			used += (size_t)snprintf(
				buf + used, sizeof(buf) - used, " %.1fMB/s",
				(double)d[best].bytes / s / 1e6);
		d[best].count = 0;
	}
	put_line(w, buf);
}

static unsigned top_count(const struct watch_run *w)
{
	int room;

	if (w->opt.top)
		return w->opt.top;
	if (!w->tty)
		return DEFAULT_TOP;
	room = w->rows - w->line - 3;
	return room > 0 ? (unsigned)room : 0;
}

static void file_row(struct watch_run *w, const struct held_file *f)
{
	char *c = pages(f->pc.cached), *d = pages(f->pc.dirty);
	char *b = pages(f->pc.writeback);
	char *p = stream_escape(f->path ? f->path : "?", false);

	line(w, "%8llu %9s %9s %9s %12llu  %s", (unsigned long long)f->ino, c,
	     d, b, (unsigned long long)f->st.st_size, p);
	free(c);
	free(d);
	free(b);
	free(p);
}

static void file_lines(struct watch_run *w)
{
	size_t n, i;
	struct held_file **v = sorted_files(w, &n);
	unsigned top;

	line(w,
	     "files: %llu inodes held by the kernel, %zu files open here "
	     "(%u opened now%s)",
	     (unsigned long long)w->cur.kernel_inodes, w->held.open,
	     w->held.opened_now,
	     w->held.over_limit ? ", some not: descriptor limit" : "");
	put_line(w, "");
	top = top_count(w);
	refresh_paths(w, v, n < top ? n : top);
	line(w, "%8s %9s %9s %9s %12s  %s", "INO", "CACHED", "DIRTY",
	     "WRITEBACK", "SIZE", "PATH");
	for (i = 0; i < n && i < top; i++)
		file_row(w, v[i]);
	free(v);
}

static void text_frame(struct watch_run *w)
{
	w->line = 0;
	if (w->tty) {
		term_size(&w->rows, &w->cols);
		term_begin_frame();
	} else if (w->frame > 1) {
		putchar('\n');
	}
	header_lines(w);
	writeback_lines(w);
	request_line(w);
	file_lines(w);
	if (w->tty)
		term_end_frame();
}

/* ------------------------------------------------------------------ */
/* JSON frames                                                         */

static json_object *jnum(uint64_t v)
{
	return v == FSI_UNKNOWN ? NULL : json_object_new_uint64(v);
}

#define JADD(o, k, v) json_object_object_add(o, k, v)

static json_object *writeback_json(const struct watch_run *w)
{
	json_object *j = json_object_new_object();
	uint64_t dirty, wb;

	file_totals(w, &dirty, &wb);
	JADD(j, "dirty_pages", jnum(dirty));
	JADD(j, "writeback_pages", jnum(wb));
	JADD(j, "meminfo_dirty_kb", jnum(w->wb.dirty_kb));
	JADD(j, "meminfo_writeback_kb", jnum(w->wb.writeback_kb));
	JADD(j, "fuse_waiting", jnum(w->wb.waiting));
	JADD(j, "bdi_dirty_kb", jnum(w->wb.bdi_reclaimable_kb));
	JADD(j, "bdi_writeback_kb", jnum(w->wb.bdi_writeback_kb));
	JADD(j, "bdi_thresh_kb", jnum(w->wb.bdi_thresh_kb));
	JADD(j, "bdi_written_kb", jnum(w->wb.bdi_written_kb));
	return j;
}

static json_object *requests_json(const struct watch_run *w)
{
	json_object *a = json_object_new_array();
	struct gfs_trace_opstat d;
	double s = covered(w);
	unsigned op;

	for (op = 0; op < GFS_TRACE_OP_MAX; op++) {
		json_object *o;

		op_delta(w, op, &d);
		if (!d.count || !gfs_trace_op_name(op))
			continue;
		o = json_object_new_object();
		JADD(o, "op", json_object_new_string(gfs_trace_op_name(op)));
		JADD(o, "count", json_object_new_uint64(d.count));
		JADD(o, "rate",
		     stream_json_double(s > 0 ? (double)d.count / s : 0, 1));
		JADD(o, "bytes", json_object_new_uint64(d.bytes));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *files_json(struct watch_run *w)
{
	json_object *a = json_object_new_array();
	size_t n, i;
	struct held_file **v = sorted_files(w, &n);
	unsigned top = w->opt.top ? w->opt.top : DEFAULT_TOP;

	refresh_paths(w, v, n < top ? n : top);
	for (i = 0; i < n && i < top; i++) {
		json_object *o = json_object_new_object();

		JADD(o, "ino", json_object_new_uint64(v[i]->ino));
		JADD(o, "path",
		     v[i]->path ? json_object_new_string(v[i]->path) : NULL);
		JADD(o, "size",
		     json_object_new_uint64((uint64_t)v[i]->st.st_size));
		JADD(o, "cached", jnum(v[i]->pc.cached));
		JADD(o, "dirty", jnum(v[i]->pc.dirty));
		JADD(o, "writeback", jnum(v[i]->pc.writeback));
		json_object_array_add(a, o);
	}
	free(v);
	return a;
}

static void json_frame(struct watch_run *w)
{
	json_object *j = json_object_new_object();

	JADD(j, "frame", json_object_new_uint64(w->frame));
	JADD(j, "seconds", stream_json_double(covered(w), 3));
	JADD(j, "kernel_inodes", json_object_new_uint64(w->cur.kernel_inodes));
	JADD(j, "open_files", json_object_new_uint64(w->held.open));
	JADD(j, "opened_now", json_object_new_uint64(w->held.opened_now));
	JADD(j, "writeback", writeback_json(w));
	JADD(j, "requests", requests_json(w));
	JADD(j, "files", files_json(w));
	stream_json(j);
}

/* ------------------------------------------------------------------ */
/* The session                                                         */

/* Sleeps an interval, a tenth of a second at a time: on a terminal a
 * 'q' is seen that soon. */
static void wait_interval(struct watch_run *w)
{
	double left = w->opt.interval;

	while (!fsi_stop_signal && left > 0) {
		double step = left < 0.1 ? left : 0.1;
		struct timespec ts = {.tv_nsec = (long)(step * 1e9)};

		if (w->tty && term_quit_key()) {
			fsi_stop_signal = SIGINT;
			break;
		}
		nanosleep(&ts, NULL);
		left -= step;
	}
}

static int run_frames(struct watch_run *w)
{
	for (w->frame = 1;; w->frame++) {
		if (sample(w))
			return FSI_EXIT_PARTIAL;
		if (w->opt.json)
			json_frame(w);
		else
			text_frame(w);
		if (stream_flush()) {
			warnx("cannot write the output");
			return FSI_EXIT_FATAL;
		}
		if (w->frame == w->opt.count)
			break;
		wait_interval(w);
		if (fsi_stop_signal)
			break;
		w->prev = w->cur;
		w->have_prev = true;
	}
	return FSI_EXIT_OK;
}

/* The one perturbation left to say: the closes wrote back dirty pages. */
static void report_close(struct watch_run *w)
{
	uint64_t dirty;
	unsigned files;
	json_object *j;

	held_close(&w->held, &files, &dirty);
	if (w->opt.json) {
		j = json_object_new_object();
		JADD(j, "closed_files", json_object_new_uint64(files));
		JADD(j, "flushed", jnum(dirty));
		stream_json(j);
	} else if (dirty == FSI_UNKNOWN) {
		printf("note: closing %u files at the end may have written "
		       "back "
		       "dirty pages (how many is unknown)\n",
		       files);
	} else if (dirty) {
		printf("note: closing %u files at the end wrote back their "
		       "%llu dirty pages (FUSE writes back at every close)\n",
		       files, (unsigned long long)dirty);
	}
	stream_flush();
}

static void make_title(struct watch_run *w, json_object *hello)
{
	const char *cache = gmount_str(hello, "cache");
	json_object *wb;
	bool writeback =
		json_object_object_get_ex(hello, "writeback_cache", &wb) &&
		json_object_get_boolean(wb);
	char *mnt = stream_escape(w->m.mountpoint, false);
	char *store = stream_escape(w->m.source, false);

	w->title = fsi_xasprintf("%s (store %s; cache=%s%s)", mnt, store,
				 cache ? cache : "?",
				 writeback ? ", writeback_cache" : "");
	free(mnt);
	free(store);
}

int cmd_watch(int argc, char **argv)
{
	struct watch_run w;
	json_object *hello = NULL;
	int status;

	memset(&w, 0, sizeof(w));
	parse_options(argc, argv, &w.opt);
	if (gmount_attach(argv[optind], &w.m, &hello))
		return FSI_EXIT_PARTIAL;
	make_title(&w, hello);
	json_object_put(hello);
	paths_init(&w.paths, &w.m);
	held_init(&w.held, &w.m);
	fsi_catch_stop_signals();
	w.tty = !w.opt.json && term_start() == 0;
	status = run_frames(&w);
	if (w.tty)
		term_stop();
	if (w.failed_cmd)
		warnx("cannot get '%s' from the daemon of '%s': %s",
		      w.failed_cmd, w.m.mountpoint, strerror(-w.failed_err));
	report_close(&w);
	paths_free(&w.paths);
	free(w.title);
	return status;
}
