// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_kernel.c - "fsinspect kernel": the kernel's own events for the
 * files of one FUSE mount (page cache additions and removals, readahead,
 * write-back, FUSE requests sent and ended), from a private tracefs
 * instance, joined by time with the daemon's request records.
 *
 * Layer: subcommand (options, the recording loop, rows).  tracefs.c
 * reads the kernel, kevents.c knows the tracepoints, timeline.c joins,
 * gmount.c finds the daemon, output.c and svg.c print.
 *
 * Recording: the instance and the ring reader are set up before the
 * COMMAND starts; both are drained every 100 ms (so the trace buffer does
 * not overflow) and once more after the end, then the instance is
 * removed, before anything is printed.  The timeline is printed when
 * recording ends: the join needs both sides complete.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "comm.h"
#include "fsinspect.h"
#include "gmount.h"
#include "kevents.h"
#include "output.h"
#include "paths.h"
#include "ring.h"
#include "svg.h"
#include "timeline.h"
#include "tracefs.h"

#define BUFFER_KB 8192 /* per CPU, in our instance only */
#define POLL_MS 100
#define GRACE_MS 100	   /* after COMMAND: its last RELEASE, flushes */
#define MAX_EVENTS 4000000 /* a guard against a runaway trace */
#define MAX_FILES 32

enum {
	COL_TIME,
	COL_TIME_NS,
	COL_SOURCE,
	COL_EVENT,
	COL_OP,
	COL_INO,
	COL_PATH,
	COL_RANGE,
	COL_FIRST,
	COL_PAGES,
	COL_OFFSET,
	COL_LENGTH,
	COL_PID,
	COL_COMM,
	COL_RESULT,
	COL_LATENCY,
	COL_UNIQUE,
	COL_SEQ,
	COL_MATCH,
	COL_COUNT,
	COL_DETAIL,
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column kernel_columns[] = {
	[COL_TIME] = {"TIME", 9, NUM, "seconds since recording started"},
	[COL_TIME_NS] = {"TIME_NS", 14, NUM,
			 "CLOCK_MONOTONIC time in ns (kernel: us precision)"},
	[COL_SOURCE] = {"SOURCE", 6, 0, "kernel (tracefs) or daemon (ring)"},
	[COL_EVENT] = {"EVENT", 12, 0,
		       "cache-add, cache-remove, evict, readahead*, dirty, "
		       "writeback, write-inode, throttle, fuse-send, "
		       "fuse-end, or the daemon's opcode"},
	[COL_OP] = {"OP", 7, 0, "FUSE opcode of requests"},
	[COL_INO] = {"INO", 5, NUM, "inode (joined for FUSE events)"},
	[COL_PATH] = {"PATH", 0.2, OUT_COL_TRUNC,
		      "path of the inode (the daemon's 'path' command)"},
	[COL_RANGE] = {"RANGE", 9, 0, "pages FIRST-LAST of the file"},
	[COL_FIRST] = {"FIRST", 5, NUM, "first page"},
	[COL_PAGES] = {"PAGES", 5, NUM, "number of pages"},
	[COL_OFFSET] = {"OFFSET", 7, NUM, "byte offset (requests)"},
	[COL_LENGTH] = {"LENGTH", 7, NUM, "bytes asked for (requests)"},
	[COL_PID] = {"PID", 6, NUM, "task (daemon records: requester)"},
	[COL_COMM] = {"COMM", 10, 0, "task name"},
	[COL_RESULT] = {"RESULT", 6, NUM,
			"request result; FUSE error of fuse-end"},
	[COL_LATENCY] = {"LATENCY", 7, NUM,
			 "time in the daemon; send to end for fuse-end (ns "
			 "in JSON)"},
	[COL_UNIQUE] = {"UNIQUE", 6, NUM, "FUSE request id"},
	[COL_SEQ] = {"SEQ", 6, NUM, "daemon record number"},
	[COL_MATCH] = {"MATCH", 6, 0,
		       "where INO comes from: event, daemon (joined), pid, "
		       "none"},
	[COL_COUNT] = {"COUNT", 5, NUM, "tracepoint events merged in the row"},
	[COL_DETAIL] = {"DETAIL", 0.3, OUT_COL_TRUNC,
			"what else the event said"},
};

static const struct out_spec kernel_spec = {
	.table = "kernel",
	.cols = kernel_columns,
	.ncols = sizeof(kernel_columns) / sizeof(kernel_columns[0]),
	.defaults = "TIME,SOURCE,EVENT,INO,PATH,RANGE,PID,COMM,DETAIL",
};

struct kernel_opts {
	struct out_opts out;
	const char *files[MAX_FILES];
	size_t nfiles;
	double duration; /* 0: until COMMAND ends or a signal */
	bool daemon_only;
	bool no_merge;
	const char *svg;
	char **command; /* NULL-terminated, or NULL */
};

struct kernel_run {
	struct kernel_opts opt;
	struct gmount mnt;
	struct ring ring;
	bool have_ring;
	struct tfs tfs;
	bool tracing;
	char missing[1024];
	uint64_t inos[MAX_FILES];
	struct timeline tl;
	uint64_t t_start;
	pid_t child;
	int child_status;
	struct paths paths;
	bool have_paths;
	struct out out;
	int status;
};

static void usage(void)
{
	FILE *f = stdout;
	char buf[128];
	size_t i;

	fputs("\nUsage:\n"
	      " fsinspect kernel [options] MOUNTPOINT [-- COMMAND [ARG...]]\n"
	      "\nThe kernel's events for the files of a FUSE mount (page "
	      "cache,\n"
	      "readahead, write-back, FUSE requests) from tracefs, joined "
	      "with\n"
	      "the glassfs daemon's request records.  Records while COMMAND\n"
	      "runs, for --duration, or until interrupted.  Needs root.\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	fputs(" -f, --file PATH        only this file's events (repeatable)\n"
	      " -d, --duration SECONDS stop recording after SECONDS\n"
	      "     --daemon-only      no tracefs: the daemon's records only\n"
	      "     --no-merge         one row per page event\n"
	      "     --svg FILE         also draw the timeline (HTML if FILE\n"
	      "                        ends in .html)\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(&kernel_spec, f);
	fputs("\nTracepoints used (when this kernel has them):\n", f);
	for (i = 0; kev_name(i, buf, sizeof(buf)); i++)
		fprintf(f, " %s\n", buf);
	fputs("\nSee fsinspect(1).\n", f);
	exit(FSI_EXIT_OK);
}

/* The COMMAND after the first "--", cut off before getopt sees it. */
static int split_command(int argc, char **argv, struct kernel_opts *o)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			if (i + 1 < argc)
				o->command = argv + i + 1;
			return i;
		}
	return argc;
}

static void parse_options(int argc, char **argv, struct kernel_opts *o)
{
	enum { OPT_DAEMON_ONLY = OUT_OPT_RAW + 1, OPT_NO_MERGE, OPT_SVG };
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"file", required_argument, NULL, 'f'},
		{"duration", required_argument, NULL, 'd'},
		{"daemon-only", no_argument, NULL, OPT_DAEMON_ONLY},
		{"no-merge", no_argument, NULL, OPT_NO_MERGE},
		{"svg", required_argument, NULL, OPT_SVG},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	argc = split_command(argc, argv, o);
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "f:d:hV", longopts,
				NULL)) != -1) {
		if (out_option(c, optarg, &o->out))
			continue;
		switch (c) {
		case 'f':
			if (o->nfiles == MAX_FILES) {
				warnx("at most %d files", MAX_FILES);
				fsi_usage_hint("kernel");
			}
			o->files[o->nfiles++] = optarg;
			break;
		case 'd':
			if (fsi_parse_seconds(optarg, &o->duration) ||
			    o->duration <= 0) {
				warnx("invalid duration '%s'", optarg);
				fsi_usage_hint("kernel");
			}
			break;
		case OPT_DAEMON_ONLY:
			o->daemon_only = true;
			break;
		case OPT_NO_MERGE:
			o->no_merge = true;
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
			fsi_usage_hint("kernel");
		}
	}
	if (optind == argc) {
		warnx("no mountpoint given");
		fsi_usage_hint("kernel");
	}
	if (optind + 1 < argc) {
		warnx("unexpected argument '%s' (a COMMAND goes after '--')",
		      argv[optind + 1]);
		fsi_usage_hint("kernel");
	}
}

/* ------------------------------------------------------------------ */
/* Setting up                                                          */

static bool is_fuse_type(const char *fstype)
{
	return !strcmp(fstype, "fuse") || !strncmp(fstype, "fuse.", 5) ||
	       !strcmp(fstype, "fuseblk");
}

static int find_mount(struct kernel_run *r, const char *path)
{
	int err = gmount_find(path, &r->mnt);

	if (err) {
		warnx("cannot find the mount of '%s': %s", path,
		      strerror(-err));
		return err;
	}
	if (!is_fuse_type(r->mnt.fstype)) {
		warnx("'%s' is on %s, not on a FUSE mount", path,
		      r->mnt.fstype);
		return -EINVAL;
	}
	return 0;
}

/* The daemon's ring, for a glassfs mount (gmount_attach() waits a moment
 * for a new mount's socket and warns if there is none). */
static void open_ring(struct kernel_run *r)
{
	json_object *hello = NULL;
	const char *path;
	int err;

	if (!r->mnt.glassfs)
		return;
	if (gmount_attach(r->mnt.mountpoint, &r->mnt, &hello)) {
		warnx("no daemon records: kernel events only");
		return;
	}
	path = gmount_str(hello, "trace");
	err = path ? ring_open(path, &r->ring) : -ENODATA;
	if (!err && r->ring.hdr->fuse_conn != r->mnt.minor) {
		ring_close(&r->ring);
		err = -ESTALE;
	}
	if (err)
		warnx("cannot read the request trace of the daemon of '%s': "
		      "%s: kernel events only",
		      r->mnt.mountpoint,
		      err == -ENODATA ? "mounted with -o notrace"
				      : strerror(-err));
	else
		r->have_ring = true;
	if (r->have_ring)
		r->tl.daemon_pid = r->ring.hdr->daemon_pid;
	json_object_put(hello);
}

static int resolve_files(struct kernel_run *r)
{
	struct stat st;
	size_t i;
	int err;

	for (i = 0; i < r->opt.nfiles; i++) {
		err = fsi_stat_cached(AT_FDCWD, r->opt.files[i], 0, &st);
		if (err) {
			warnx("cannot stat '%s': %s", r->opt.files[i],
			      strerror(-err));
			return err;
		}
		if (major(st.st_dev) != r->mnt.major ||
		    minor(st.st_dev) != r->mnt.minor) {
			warnx("'%s' is not on the mount '%s'", r->opt.files[i],
			      r->mnt.mountpoint);
			return -EXDEV;
		}
		r->inos[i] = st.st_ino;
	}
	return 0;
}

static int start_tracefs(struct kernel_run *r)
{
	struct kev_target tg = {
		.major = r->mnt.major,
		.minor = r->mnt.minor,
		.inos = r->inos,
		.ninos = r->opt.nfiles,
	};
	char why[1024];
	int err;

	err = tfs_open(&r->tfs, BUFFER_KB, why, sizeof(why));
	if (!err)
		err = kev_enable(&r->tfs, &tg, r->missing, sizeof(r->missing),
				 why, sizeof(why));
	if (!err && tfs_start(&r->tfs)) {
		err = -errno;
		snprintf(why, sizeof(why),
			 "cannot open '%.900s/trace_pipe': %s", r->tfs.inst,
			 strerror(errno));
	}
	if (err) {
		tfs_close(&r->tfs);
		warnx("cannot trace the kernel's events: %s", why);
		warnx("(--daemon-only shows the daemon's records alone)");
		return err;
	}
	r->tracing = true;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Recording                                                           */

static int spawn(struct kernel_run *r)
{
	pid_t pid = fork();

	if (pid < 0) {
		warn("cannot start '%s'", r->opt.command[0]);
		return -1;
	}
	if (pid == 0) {
		/* Our standard output is the timeline's. */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(r->opt.command[0], r->opt.command);
		warn("cannot run '%s'", r->opt.command[0]);
		_exit(127);
	}
	r->child = pid;
	return 0;
}

static void on_line(void *ctx, const struct tfs_line *l)
{
	struct timeline *tl = ctx;

	if (tl->n < MAX_EVENTS)
		kev_add(tl, l);
}

static void drain(struct kernel_run *r)
{
	struct gfs_trace_rec rec;
	int err;

	if (r->tracing) {
		err = tfs_read(&r->tfs, on_line, &r->tl);
		if (err < 0)
			warnx("cannot read '%s/trace_pipe': %s", r->tfs.inst,
			      strerror(-err));
	}
	while (r->have_ring && r->tl.n < MAX_EVENTS &&
	       ring_read(&r->ring, &rec) == 1) {
		if (rec.t_ns < r->t_start)
			continue;
		tl_add_record(&r->tl, &rec);
		/* Named now, while the task still exists. */
		if (rec.pid)
			snprintf(r->tl.v[r->tl.n - 1].comm, TL_COMM_LEN, "%s",
				 comm_name(rec.pid));
	}
}

/* Whether recording should end now. */
static bool done(struct kernel_run *r)
{
	int st;

	if (fsi_stop_signal || r->tl.n >= MAX_EVENTS)
		return true;
	if (r->child > 0 && waitpid(r->child, &st, WNOHANG) == r->child) {
		r->child = 0;
		r->child_status = st;
		return true;
	}
	if (r->opt.duration > 0 &&
	    now_ns() - r->t_start >= (uint64_t)(r->opt.duration * 1e9))
		return true;
	return !r->opt.command && !r->opt.duration && !r->tracing &&
	       !r->have_ring;
}

static void wait_child(struct kernel_run *r)
{
	if (r->child <= 0)
		return;
	/* Interrupted: the command is ours, it does not outlive us. */
	kill(r->child, fsi_stop_signal ? fsi_stop_signal : SIGTERM);
	while (waitpid(r->child, &r->child_status, 0) < 0 && errno == EINTR)
		;
	r->child = 0;
}

static void record(struct kernel_run *r)
{
	struct pollfd p = {.fd = r->tracing ? r->tfs.pipe_fd : -1,
			   .events = POLLIN};
	struct timespec grace = {0, GRACE_MS * 1000000L};

	r->t_start = now_ns();
	if (r->have_ring)
		ring_skip_to_now(&r->ring);
	if (r->opt.command && spawn(r)) {
		if (r->tracing)
			tfs_close(&r->tfs);
		r->status = FSI_EXIT_FATAL;
		return;
	}
	while (!done(r)) {
		poll(&p, 1, POLL_MS);
		drain(r);
	}
	wait_child(r);
	nanosleep(&grace, NULL);
	if (r->tracing)
		tfs_stop(&r->tfs);
	drain(r);
	if (r->tracing)
		tfs_close(&r->tfs);
	if (r->tl.n >= MAX_EVENTS)
		warnx("stopped recording at %d events", MAX_EVENTS);
}

/* ------------------------------------------------------------------ */
/* Paths of inodes, from the daemon                                   */

static const char *path_of(struct kernel_run *r, uint64_t ino)
{
	size_t i;

	for (i = 0; i < r->opt.nfiles; i++)
		if (r->inos[i] == ino)
			return r->opt.files[i];
	return r->have_paths ? paths_get(&r->paths, ino) : NULL;
}

/* One round of questions for every inode of the timeline. */
static void find_paths(struct kernel_run *r)
{
	size_t i;

	if (!r->mnt.glassfs || !r->mnt.rundir[0])
		return;
	paths_init(&r->paths, &r->mnt);
	r->have_paths = true;
	for (i = 0; i < r->tl.n; i++)
		if (r->tl.v[i].ino != TL_NONE)
			paths_get(&r->paths, r->tl.v[i].ino);
	paths_resolve(&r->paths);
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */

struct krow {
	struct kernel_run *r;
	const struct tl_event *e;
};

static char *signed_cell(int64_t v)
{
	return fsi_xasprintf("%" PRId64, v);
}

static char *latency_cell(const struct out *o, uint64_t ns)
{
	if (!ns)
		return NULL;
	if (o->flags & OUT_JSON)
		return fsi_xasprintf("%" PRIu64, ns);
	if (ns < 10000)
		return fsi_xasprintf("%.1fus", (double)ns / 1e3);
	if (ns < 10000000)
		return fsi_xasprintf("%.0fus", (double)ns / 1e3);
	return fsi_xasprintf("%.0fms", (double)ns / 1e6);
}

static char *range_cell(const struct tl_event *e)
{
	if (!e->pages)
		return NULL;
	if (e->pages == 1)
		return fsi_xasprintf("%" PRIu64, e->first);
	return fsi_xasprintf("%" PRIu64 "-%" PRIu64, e->first,
			     e->first + e->pages - 1);
}

static const char *match_name(enum tl_match m)
{
	static const char *const names[] = {
		[TL_MATCH_NONE] = "none",
		[TL_MATCH_EVENT] = "event",
		[TL_MATCH_DAEMON] = "daemon",
		[TL_MATCH_PID] = "pid",
	};

	return names[m];
}

static bool is_request(const struct tl_event *e)
{
	return e->kind == TL_REQUEST || e->kind == TL_FUSE_SEND ||
	       e->kind == TL_FUSE_END;
}

static char *time_cell(const struct kernel_run *r, const struct tl_event *e)
{
	int64_t d = (int64_t)(e->t_ns - r->t_start);

	return fsi_xasprintf("%s%" PRId64 ".%06" PRId64, d < 0 ? "-" : "",
			     (d < 0 ? -d : d) / 1000000000,
			     (d < 0 ? -d : d) % 1000000000 / 1000);
}

static char *request_cell(const struct out *o, int id, const struct tl_event *e)
{
	char buf[16];

	switch (id) {
	case COL_OP:
		return e->op ? out_text(tl_op_name(e->op, buf, sizeof(buf)))
			     : NULL;
	case COL_OFFSET:
		return e->len ? out_count(o, e->off) : NULL;
	case COL_LENGTH:
		return e->len ? out_count(o, e->len) : NULL;
	case COL_RESULT:
		return e->kind != TL_FUSE_SEND ? signed_cell(e->result) : NULL;
	case COL_LATENCY:
		return latency_cell(o, e->dur_ns);
	case COL_UNIQUE:
		return e->unique ? out_count(o, e->unique) : NULL;
	}
	return NULL;
}

static char *kernel_cell(const struct out *o, int id, const void *data)
{
	const struct krow *w = data;
	const struct tl_event *e = w->e;

	switch (id) {
	case COL_TIME:
		return time_cell(w->r, e);
	case COL_TIME_NS:
		return out_count(o, e->t_ns);
	case COL_SOURCE:
		return out_text(e->source == TL_KERNEL ? "kernel" : "daemon");
	case COL_EVENT:
		return out_text(tl_event_name(e));
	case COL_INO:
		return e->ino != TL_NONE ? out_count(o, e->ino) : NULL;
	case COL_PATH:
		return e->ino != TL_NONE ? out_text(path_of(w->r, e->ino))
					 : NULL;
	case COL_RANGE:
		return range_cell(e);
	case COL_FIRST:
		return e->pages ? out_count(o, e->first) : NULL;
	case COL_PAGES:
		return e->pages ? out_count(o, e->pages) : NULL;
	case COL_PID:
		return out_count(o, e->pid);
	case COL_COMM:
		return out_text(e->comm);
	case COL_SEQ:
		return e->seq ? out_count(o, e->seq) : NULL;
	case COL_MATCH:
		return out_text(match_name(e->match));
	case COL_COUNT:
		return out_count(o, e->count);
	case COL_DETAIL:
		return out_text(e->detail[0] ? e->detail : NULL);
	}
	return is_request(e) ? request_cell(o, id, e) : NULL;
}

static void notes(struct kernel_run *r)
{
	if (r->tfs.lost)
		out_note(&r->out,
			 "the kernel dropped %" PRIu64 " events (trace "
			 "buffer full)",
			 r->tfs.lost);
	if (r->have_ring && r->ring.missed)
		out_note(&r->out,
			 "%" PRIu64 " daemon records were overwritten "
			 "before they were read",
			 r->ring.missed);
	if (r->missing[0])
		out_note(&r->out, "not traced (this kernel lacks them): %s",
			 r->missing);
	if (r->tracing && r->have_ring)
		out_note(&r->out,
			 "%zu of %zu FUSE requests joined with a "
			 "daemon record",
			 r->tl.fuse_joined, r->tl.fuse_requests);
	if (r->tracing)
		out_note(&r->out, "kernel times have microsecond precision "
				  "(trace_pipe)");
	else
		out_note(&r->out, "daemon records only (--daemon-only)");
}

static int print_rows(struct kernel_run *r)
{
	struct krow w = {.r = r};
	size_t i;
	int rc;

	for (i = 0; i < r->tl.n; i++) {
		w.e = &r->tl.v[i];
		out_row(&r->out, kernel_cell, &w);
	}
	notes(r);
	rc = out_print(&r->out);
	if (rc)
		warnx("cannot write the output: %s", strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------------ */
/* The picture                                                         */

static enum svg_kind svg_kind_of(const struct tl_event *e)
{
	switch (e->kind) {
	case TL_REQUEST:
		return e->op == GFS_OP_READ    ? SVG_READ
		       : e->op == GFS_OP_WRITE ? SVG_WRITE
					       : SVG_REQUEST;
	case TL_CACHE_ADD:
		return SVG_CACHE_ADD;
	case TL_CACHE_DEL:
		return SVG_CACHE_DEL;
	case TL_DIRTY:
		return SVG_DIRTY;
	case TL_WRITEBACK:
		return SVG_WRITEBACK;
	case TL_RA_READ:
	case TL_RA_ORDER:
		return SVG_READAHEAD;
	default:
		return SVG_NKINDS; /* not drawn */
	}
}

static char *svg_label(const struct kernel_run *r, const struct tl_event *e)
{
	char *range = range_cell(e), *s;

	s = fsi_xasprintf("%s %s%s%s by %s[%u] at +%.6f s%s%s",
			  tl_event_name(e), range ? "pages " : "",
			  range ? range : "", range ? "," : "", e->comm, e->pid,
			  (double)(e->t_ns - r->t_start) / 1e9,
			  e->detail[0] ? ": " : "", e->detail);
	free(range);
	return s;
}

static void write_svg(struct kernel_run *r)
{
	struct svg_event *ev = fsi_xcalloc(r->tl.n + 1, sizeof(*ev));
	struct svg_file *files = fsi_xcalloc(r->tl.n + 1, sizeof(*files));
	struct svg_timeline tl = {.ev = ev, .files = files};
	size_t i;
	int err;

	for (i = 0; i < r->tl.n; i++) {
		const struct tl_event *e = &r->tl.v[i];
		enum svg_kind k = svg_kind_of(e);

		if (k == SVG_NKINDS || e->ino == TL_NONE)
			continue;
		ev[tl.nev] = (struct svg_event){
			.t_ns = e->t_ns,
			.ino = e->ino,
			.first = e->first,
			.pages = e->pages,
			.kind = k,
			.dur_ns = e->kind == TL_REQUEST ? e->dur_ns : 0,
			.label = svg_label(r, e),
		};
		tl.nev++;
	}
	for (i = 0; i < tl.nev; i++) {
		const char *name = path_of(r, ev[i].ino);
		size_t k;

		for (k = 0; k < tl.nfiles && files[k].ino != ev[i].ino; k++)
			;
		if (k == tl.nfiles && name)
			files[tl.nfiles++] = (struct svg_file){ev[i].ino, name};
	}
	tl.title = fsi_xasprintf("fsinspect kernel: %s", r->mnt.mountpoint);
	tl.subtitle = r->tracing ? "kernel events (tracefs) and daemon records"
				 : "daemon records only";
	tl.origin_ns = r->t_start;
	err = svg_save_timeline(r->opt.svg, &tl);
	if (err) {
		warnx("cannot write '%s': %s", r->opt.svg, strerror(-err));
		r->status = FSI_EXIT_FATAL;
	}
	for (i = 0; i < tl.nev; i++)
		free((char *)ev[i].label);
	free((char *)tl.title);
	free(ev);
	free(files);
}

/* ------------------------------------------------------------------ */

static int finish(struct kernel_run *r)
{
	int st = r->child_status;

	tl_finish(&r->tl, !r->opt.no_merge);
	if (r->opt.nfiles)
		tl_filter_inos(&r->tl, r->inos, r->opt.nfiles);
	find_paths(r);
	if (print_rows(r))
		r->status = FSI_EXIT_FATAL;
	if (r->opt.svg)
		write_svg(r);
	if (r->opt.command && !fsi_stop_signal &&
	    (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		warnx("'%s' %s %d", r->opt.command[0],
		      WIFEXITED(st) ? "exited with status"
				    : "was killed by signal",
		      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		if (r->status == FSI_EXIT_OK)
			r->status = FSI_EXIT_PARTIAL;
	}
	return r->status;
}

static void cleanup(struct kernel_run *r)
{
	if (r->have_ring)
		ring_close(&r->ring);
	if (r->have_paths)
		paths_free(&r->paths);
	tl_free(&r->tl);
	out_free(&r->out);
}

int cmd_kernel(int argc, char **argv)
{
	struct kernel_run r;
	int status = FSI_EXIT_PARTIAL;

	memset(&r, 0, sizeof(r));
	parse_options(argc, argv, &r.opt);
	if (out_init(&r.out, &kernel_spec, &r.opt.out))
		fsi_usage_hint("kernel");
	/* Before the instance exists: a signal must not kill us with it. */
	fsi_catch_stop_signals();
	tl_init(&r.tl, fsi_page_size);
	if (find_mount(&r, argv[optind]) || resolve_files(&r))
		goto out;
	open_ring(&r);
	if (r.opt.daemon_only && !r.have_ring) {
		warnx("--daemon-only: no daemon request trace for '%s'",
		      r.mnt.mountpoint);
		goto out;
	}
	if (!r.opt.daemon_only && start_tracefs(&r))
		goto out;
	record(&r);
	status = r.status ? r.status : finish(&r);
out:
	cleanup(&r);
	return status;
}
