// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_trace.c - "fsinspect trace": a glassfs mount's request stream, live,
 * like strace for the file system.
 *
 * Layer: subcommand (options, filters, rows).  Reads the daemon's trace
 * ring (ring.c), names inodes through the control socket (paths.c) and
 * processes through /proc (comm.c), prints one row per record as it
 * arrives (stream.c).
 *
 * Measuring must not change what is measured: this view sends the mount
 * no request.  The mount is found by name in mountinfo, paths come from
 * the socket, and the ring is only read.  The one exception is a --file
 * PATH (or a PATH operand that is not the mountpoint), which is resolved
 * with statx(AT_STATX_DONT_SYNC) before the trace starts; records sent by
 * fsinspect's own thread are never shown.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "comm.h"
#include "fsinspect.h"
#include "gmount.h"
#include "opstat.h"
#include "paths.h"
#include "ring.h"
#include "stream.h"
#include "svg.h"
#include "trace_rec.h"

enum {
	COL_SEQ,
	COL_TIME,
	COL_PID,
	COL_COMMAND,
	COL_UID,
	COL_OP,
	COL_INO,
	COL_OFFSET,
	COL_LENGTH,
	COL_RESULT,
	COL_ERRNO,
	COL_LATENCY,
	COL_SQL,
	COL_FLAGS,
	COL_AUX,
	COL_DETAIL,
	COL_NAME,
	COL_PATH,
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column trace_columns[] = {
	[COL_SEQ] = {"SEQ", 7, NUM, "record sequence number in the ring"},
	[COL_TIME] = {"TIME", 12, OUT_COL_RIGHT,
		      "arrival: seconds since the mount, or with --wall the "
		      "time of day (JSON: seconds since the epoch)"},
	[COL_PID] = {"PID", 7, NUM,
		     "requesting thread; 0: the kernel (write-back) or the "
		     "daemon itself"},
	[COL_COMMAND] = {"COMMAND", 15, 0,
			 "its name (/proc/PID/comm), '?' once it is gone"},
	[COL_UID] = {"UID", 5, NUM, "requesting user"},
	[COL_OP] = {"OP", 11, 0,
		    "request, or daemon event (COMMIT, "
		    "INVAL_INODE, INVAL_ENTRY, CHECKPOINT)"},
	[COL_INO] = {"INO", 6, NUM, "inode; the directory for name ops"},
	[COL_OFFSET] = {"OFFSET", 10, NUM,
			"byte offset (READ, WRITE, READDIR, FALLOCATE, "
			"LSEEK, COPY_FILE_RANGE)"},
	[COL_LENGTH] = {"LENGTH", 8, NUM,
			"bytes asked for; FORGET: lookups dropped; COMMIT: "
			"bytes committed"},
	[COL_RESULT] = {"RESULT", 8, OUT_COL_RIGHT,
			"bytes done (READ, WRITE), entries (READDIR), 0, or "
			"the errno name (JSON: the number, -errno)"},
	[COL_ERRNO] = {"ERRNO", 8, 0, "the errno name of a failure"},
	[COL_LATENCY] = {"LATENCY", 7, OUT_COL_RIGHT,
			 "time in the daemon (JSON: nanoseconds)"},
	[COL_SQL] = {"SQL", 7, OUT_COL_RIGHT,
		     "of which in SQLite (JSON: nanoseconds)"},
	[COL_FLAGS] = {"FLAGS", 9, 0,
		       "writeback (WRITE from the kernel's write-back), "
		       "direct (direct I/O), synced (COMMIT by fsync), "
		       "saturated (LATENCY over 4.29 s)"},
	[COL_AUX] = {"AUX", 6, NUM, "the record's raw op-specific field"},
	[COL_DETAIL] = {"DETAIL", 18, 0,
			"AUX decoded: inode found, open flags, attributes "
			"set, whence, new parent, destination"},
	[COL_NAME] = {"NAME", 16, 0,
		      "the name a request carries (entry, xattr)"},
	[COL_PATH] = {"PATH", 0.3, OUT_COL_TRUNC,
		      "path of INO; for name ops, of the entry named"},
};

#define NCOLS ((int)(sizeof(trace_columns) / sizeof(trace_columns[0])))

static const struct out_spec trace_spec = {
	.table = "trace",
	.cols = trace_columns,
	.ncols = NCOLS,
	.defaults = "TIME,PID,COMMAND,OP,INO,OFFSET,LENGTH,RESULT,LATENCY,"
		    "SQL,FLAGS,PATH",
};

/* --json without -o: every column. */
static const struct out_spec trace_json_spec = {
	.table = "trace",
	.cols = trace_columns,
	.ncols = NCOLS,
	.defaults = "SEQ,TIME,PID,COMMAND,UID,OP,INO,OFFSET,LENGTH,RESULT,"
		    "ERRNO,LATENCY,SQL,FLAGS,AUX,DETAIL,NAME,PATH",
};

/* Which records are shown. */
struct trace_filter {
	uint32_t *pids;
	size_t npids;
	char **comms;
	size_t ncomms;
	bool ops[GFS_TRACE_OP_MAX];
	bool any_op; /* no --op: every op */
	uint64_t *inos;
	bool *isdir;
	size_t ninos;
	bool errors;
};

struct trace_opts {
	struct out_opts out;
	struct trace_filter f;
	char **files; /* --file, resolved after the mount is found */
	size_t nfiles;
	bool all;
	bool no_follow;
	bool wall;
	unsigned count;	 /* 0: unlimited */
	double duration; /* 0: unlimited */
	const char *svg; /* --svg FILE */
};

struct trace_run {
	struct trace_opts opt;
	struct stream out;
	struct gmount m;
	struct ring ring;
	struct paths paths;
	pid_t daemon;
	uint32_t self;
	bool want_paths;
	uint64_t printed;
	uint64_t missed_shown;
	uint64_t deadline;     /* CLOCK_MONOTONIC ns; 0: none */
	struct svg_events svg; /* the records shown, for --svg */
	uint64_t start_ns;
};

/* One row being printed. */
struct trace_row {
	const struct trace_run *t;
	const struct gfs_trace_rec *r;
	char *path; /* NULL: unknown */
};

#define POLL_NS 20000000L
#define BATCH 256

static void usage(void)
{
	FILE *f = stdout;

	fputs("\nUsage:\n"
	      " fsinspect trace [options] MOUNTPOINT|PATH\n"
	      "\nPrint the requests a glassfs daemon serves, as they "
	      "complete,\n"
	      "from its trace ring.  Sends the mount no request.\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	fputs(" -p, --pid LIST         only requests of these processes or "
	      "threads\n"
	      "     --comm LIST        only requests of these command names\n"
	      " -e, --op LIST          only these ops (LOOKUP,READ,...)\n"
	      " -f, --file PATH        only requests on this file (for a\n"
	      "                        directory, also on its entries' names)\n"
	      " -E, --errors           only failed requests\n"
	      " -a, --all, --since-start\n"
	      "                        start from the oldest record in the "
	      "ring\n"
	      " -N, --no-follow        stop at the end of the ring\n"
	      " -c, --count N          stop after N records\n"
	      " -d, --duration SECONDS stop after SECONDS\n"
	      " -t, --wall             TIME as the time of day\n"
	      "     --svg FILE         also draw the records shown (HTML if "
	      "FILE\n"
	      "                        ends in .html)\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(&trace_spec, f);
	fputs("\nWith --json, one object per record (and {\"missed\": N} for\n"
	      "records overwritten before they were read); every column\n"
	      "unless -o is given.  See fsinspect(1).\n",
	      f);
	exit(FSI_EXIT_OK);
}

/* ------------------------------------------------------------------ */
/* Options                                                             */

/* Appends the words of a comma-separated @list to the @n in *out
 * (malloc'd); the new count. */
static size_t split_list(const char *list, char ***out, size_t n)
{
	char *copy = fsi_xstrdup(list), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		*out = fsi_xrealloc(*out, n + 1, sizeof(**out));
		(*out)[n++] = fsi_xstrdup(tok);
	}
	free(copy);
	return n;
}

static void add_pids(struct trace_filter *f, const char *list)
{
	char **words = NULL;
	size_t i, n = split_list(list, &words, 0);

	for (i = 0; i < n; i++) {
		unsigned pid;

		if (fsi_parse_uint(words[i], 0, ~0u, &pid)) {
			warnx("invalid pid '%s'", words[i]);
			fsi_usage_hint("trace");
		}
		f->pids = fsi_xrealloc(f->pids, f->npids + 1, sizeof(*f->pids));
		f->pids[f->npids++] = pid;
		free(words[i]);
	}
	free(words);
}

static void add_ops(struct trace_filter *f, const char *list)
{
	char **words = NULL;
	size_t i, n = split_list(list, &words, 0);

	for (i = 0; i < n; i++) {
		int op = trec_op_by_name(words[i], strlen(words[i]));

		if (op < 0) {
			warnx("unknown op '%s'", words[i]);
			fsi_usage_hint("trace");
		}
		f->ops[op] = true;
		f->any_op = false;
		free(words[i]);
	}
	free(words);
}

static void parse_count(const char *arg, struct trace_opts *o)
{
	if (fsi_parse_uint(arg, 1, ~0u, &o->count)) {
		warnx("invalid count '%s'", arg);
		fsi_usage_hint("trace");
	}
}

static void parse_duration(const char *arg, struct trace_opts *o)
{
	if (fsi_parse_seconds(arg, &o->duration) || o->duration <= 0) {
		warnx("invalid duration '%s'", arg);
		fsi_usage_hint("trace");
	}
}

static bool trace_option(int c, const char *arg, struct trace_opts *o)
{
	enum { OPT_COMM = OUT_OPT_RAW + 1, OPT_SVG };

	switch (c) {
	case 'p':
		add_pids(&o->f, arg);
		return true;
	case OPT_COMM:
		o->f.ncomms = split_list(arg, &o->f.comms, o->f.ncomms);
		return true;
	case 'e':
		add_ops(&o->f, arg);
		return true;
	case 'f':
		o->files = fsi_xrealloc(o->files, o->nfiles + 1,
					sizeof(*o->files));
		o->files[o->nfiles++] = fsi_xstrdup(arg);
		return true;
	case 'E':
		o->f.errors = true;
		return true;
	case 'a':
		o->all = true;
		return true;
	case 'N':
		o->no_follow = true;
		return true;
	case 'c':
		parse_count(arg, o);
		return true;
	case 'd':
		parse_duration(arg, o);
		return true;
	case 't':
		o->wall = true;
		return true;
	case OPT_SVG:
		o->svg = arg;
		return true;
	}
	return false;
}

static void parse_options(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"pid", required_argument, NULL, 'p'},
		{"comm", required_argument, NULL, OUT_OPT_RAW + 1},
		{"op", required_argument, NULL, 'e'},
		{"file", required_argument, NULL, 'f'},
		{"errors", no_argument, NULL, 'E'},
		{"all", no_argument, NULL, 'a'},
		{"since-start", no_argument, NULL, 'a'},
		{"no-follow", no_argument, NULL, 'N'},
		{"count", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"wall", no_argument, NULL, 't'},
		{"svg", required_argument, NULL, OUT_OPT_RAW + 2},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->f.any_op = true;
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "p:e:f:EaNc:d:thV",
				longopts, NULL)) != -1) {
		if (out_option(c, optarg, &o->out) ||
		    trace_option(c, optarg, o))
			continue;
		if (c == 'h')
			usage();
		if (c == 'V')
			fsi_print_version();
		fsi_usage_hint("trace");
	}
	if (argc - optind != 1) {
		warnx(optind == argc ? "no mountpoint given"
				     : "only one mountpoint may be given");
		fsi_usage_hint("trace");
	}
}

/* ------------------------------------------------------------------ */
/* Filters                                                             */

/* --file PATH: its inode, which must be on the traced mount. */
static int add_file(struct trace_run *t, const char *path)
{
	struct trace_filter *f = &t->opt.f;
	struct stat st;
	int rc = fsi_stat_cached(AT_FDCWD, path, 0, &st);

	if (rc) {
		warnx("cannot find '%s': %s", path, strerror(-rc));
		return rc;
	}
	if (major(st.st_dev) != t->m.major || minor(st.st_dev) != t->m.minor) {
		warnx("'%s' is not on the mount '%s'", path, t->m.mountpoint);
		return -EXDEV;
	}
	f->inos = fsi_xrealloc(f->inos, f->ninos + 1, sizeof(*f->inos));
	f->isdir = fsi_xrealloc(f->isdir, f->ninos + 1, sizeof(*f->isdir));
	f->inos[f->ninos] = st.st_ino;
	f->isdir[f->ninos++] = S_ISDIR(st.st_mode);
	return 0;
}

static bool has_ino(const struct trace_filter *f, uint64_t ino, bool dirs)
{
	size_t i;

	for (i = 0; i < f->ninos; i++)
		if (f->inos[i] == ino && (!dirs || f->isdir[i]))
			return true;
	return false;
}

/* Requests on the file, naming it, or (a directory) naming its entries
 * or moving entries into it. */
static bool match_file(const struct trace_filter *f,
		       const struct gfs_trace_rec *r)
{
	if (!f->ninos || has_ino(f, r->ino, false))
		return true;
	if (trec_names_inode(r->op) && r->result >= 0 &&
	    has_ino(f, r->aux, false))
		return true;
	if (r->op == GFS_OP_COPY_FILE_RANGE && has_ino(f, r->aux, false))
		return true;
	return (r->op == GFS_OP_RENAME || r->op == GFS_OP_LINK) &&
	       has_ino(f, r->aux, true);
}

static bool match_pid(const struct trace_filter *f, uint32_t pid)
{
	pid_t tgid;
	size_t i;

	if (!f->npids)
		return true;
	for (i = 0; i < f->npids; i++)
		if (f->pids[i] == pid)
			return true;
	tgid = pid ? comm_tgid(pid) : 0;
	for (i = 0; tgid && i < f->npids; i++)
		if (f->pids[i] == (uint32_t)tgid)
			return true;
	return false;
}

static bool match_comm(const struct trace_filter *f, uint32_t pid)
{
	const char *name;
	size_t i;

	if (!f->ncomms)
		return true;
	name = comm_name(pid);
	/* The kernel keeps 15 bytes of a command name. */
	for (i = 0; i < f->ncomms; i++)
		if (!strncmp(f->comms[i], name, 15))
			return true;
	return false;
}

static bool match(const struct trace_run *t, const struct gfs_trace_rec *r)
{
	const struct trace_filter *f = &t->opt.f;

	if (r->pid && r->pid == t->self)
		return false;
	if (!f->any_op && (r->op >= GFS_TRACE_OP_MAX || !f->ops[r->op]))
		return false;
	if (f->errors && r->result >= 0)
		return false;
	return match_file(f, r) && match_pid(f, r->pid) &&
	       match_comm(f, r->pid);
}

/* ------------------------------------------------------------------ */
/* Cells                                                               */

/* The directory a name op's name is in. */
static uint64_t name_dir(const struct gfs_trace_rec *r)
{
	return trec_is_name_op(r->op) ? r->ino : 0;
}

/* The path of @ino, asking the daemon now if it is not known. */
static const char *path_now(struct trace_run *t, uint64_t ino)
{
	const char *p = paths_get(&t->paths, ino);

	if (!p && t->paths.nwant) {
		paths_resolve(&t->paths);
		p = paths_get(&t->paths, ino);
	}
	return p;
}

static char *row_path(struct trace_run *t, const struct gfs_trace_rec *r)
{
	uint64_t dir = name_dir(r);
	const char *p;

	if (!t->want_paths)
		return NULL;
	if (!dir) {
		p = path_now(t, r->ino);
		return p ? fsi_xstrdup(p) : NULL;
	}
	p = path_now(t, dir);
	if (!p)
		return fsi_xasprintf("?/%s", r->name);
	return fsi_xasprintf("%s%s%s", p, strcmp(p, "/") ? "/" : "", r->name);
}

static double rel_seconds(const struct trace_run *t, uint64_t t_ns)
{
	return ((double)t_ns - (double)t->ring.hdr->mono_start_ns) / 1e9;
}

static double wall_seconds(const struct trace_run *t, uint64_t t_ns)
{
	return (double)t->ring.hdr->real_start_ns / 1e9 + rel_seconds(t, t_ns);
}

static char *time_text(const struct trace_run *t, uint64_t t_ns)
{
	double w;
	time_t sec;
	struct tm tm;
	char buf[32];

	if (!t->opt.wall)
		return fsi_xasprintf("%.6f", rel_seconds(t, t_ns));
	w = wall_seconds(t, t_ns);
	sec = (time_t)w;
	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	return fsi_xasprintf("%s.%06ld", buf, (long)((w - (double)sec) * 1e6));
}

static char *u64_text(uint64_t v)
{
	return fsi_xasprintf("%llu", (unsigned long long)v);
}

static char *command_text(const struct gfs_trace_rec *r)
{
	if (r->pid == 0)
		return fsi_xstrdup(r->op >= GFS_OP_COMMIT ? "[glassfs]"
							  : "[kernel]");
	return fsi_xstrdup(comm_name(r->pid));
}

static char *op_text(const struct gfs_trace_rec *r)
{
	const char *n = trec_op_name(r->op);

	return n ? fsi_xstrdup(n) : fsi_xasprintf("OP%u", r->op);
}

static char *latency_text(uint32_t ns, uint16_t flags)
{
	char *s = opstat_duration(ns), *p;

	if (!(flags & GFS_TF_DUR_SAT))
		return s;
	p = fsi_xasprintf(">%s", s);
	free(s);
	return p;
}

static char *trace_text(const struct stream *s, int id, const void *data)
{
	const struct trace_row *w = data;
	const struct gfs_trace_rec *r = w->r;

	switch (id) {
	case COL_SEQ:
		return u64_text(r->seq);
	case COL_TIME:
		return time_text(w->t, r->t_ns);
	case COL_PID:
		return u64_text(r->pid);
	case COL_COMMAND:
		return command_text(r);
	case COL_UID:
		return u64_text(r->uid);
	case COL_OP:
		return op_text(r);
	case COL_INO:
		return r->ino ? u64_text(r->ino) : NULL;
	case COL_OFFSET:
		return trec_has_offset(r->op) ? u64_text(r->off) : NULL;
	case COL_LENGTH:
		return trec_has_length(r->op) ? u64_text(r->len) : NULL;
	case COL_RESULT:
		return trec_result(r->result);
	case COL_ERRNO:
		return out_text(trec_errno(r->result));
	case COL_LATENCY:
		return latency_text(r->dur_ns, r->flags);
	case COL_SQL:
		return opstat_duration(r->sql_ns);
	case COL_FLAGS:
		return trec_flags(r->flags);
	case COL_AUX:
		return u64_text(r->aux);
	case COL_DETAIL:
		return trec_detail(r);
	case COL_NAME:
		return r->name[0] ? fsi_xstrdup(r->name) : NULL;
	case COL_PATH:
		return out_text(w->path);
	}
	return NULL;
}

static json_object *json_string_or_null(char *s)
{
	json_object *j = s ? json_object_new_string(s) : NULL;

	free(s);
	return j;
}

static json_object *json_time(const struct trace_run *t, uint64_t t_ns)
{
	return stream_json_double(t->opt.wall ? wall_seconds(t, t_ns)
					      : rel_seconds(t, t_ns),
				  t->opt.wall ? 6 : 9);
}

static json_object *trace_json(const struct stream *s, int id, const void *data)
{
	const struct trace_row *w = data;
	const struct gfs_trace_rec *r = w->r;

	switch (id) {
	case COL_SEQ:
		return json_object_new_uint64(r->seq);
	case COL_TIME:
		return json_time(w->t, r->t_ns);
	case COL_PID:
		return json_object_new_uint64(r->pid);
	case COL_UID:
		return json_object_new_uint64(r->uid);
	case COL_INO:
		return r->ino ? json_object_new_uint64(r->ino) : NULL;
	case COL_OFFSET:
		return trec_has_offset(r->op) ? json_object_new_uint64(r->off)
					      : NULL;
	case COL_LENGTH:
		return trec_has_length(r->op) ? json_object_new_uint64(r->len)
					      : NULL;
	case COL_RESULT:
		return json_object_new_int(r->result);
	case COL_LATENCY:
		return json_object_new_uint64(r->dur_ns);
	case COL_SQL:
		return json_object_new_uint64(r->sql_ns);
	case COL_FLAGS:
		return trec_flags_json(r->flags);
	case COL_AUX:
		return json_object_new_uint64(r->aux);
	}
	return json_string_or_null(trace_text(s, id, data));
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */

static void print_missed(struct trace_run *t, uint64_t n)
{
	json_object *j;

	if (!(t->out.o.flags & OUT_JSON)) {
		stream_comment(&t->out, "missed %llu records",
			       (unsigned long long)n);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "missed", json_object_new_uint64(n));
	stream_json(j);
}

/* Keeps the path cache true to the name space the records describe. */
static void follow_names(struct trace_run *t, const struct gfs_trace_rec *r)
{
	if (!t->want_paths || r->result < 0)
		return;
	if (trec_moves_paths(r->op)) {
		paths_forget(&t->paths);
	} else if (r->op == GFS_OP_UNLINK || r->op == GFS_OP_RMDIR) {
		/* Another link may remain: ask again when it is needed. */
		paths_drop(&t->paths, r->aux);
	} else if (trec_is_name_op(r->op) && trec_names_inode(r->op)) {
		paths_learn(&t->paths, r->ino, r->name, r->aux);
	}
}

/* --svg: the record as a mark of the picture drawn at the end. */
static void svg_add(struct trace_run *t, const struct gfs_trace_rec *r,
		    const char *path)
{
	struct svg_event e;
	char *label;

	svg_event_from_record(r, fsi_page_size, &e);
	label = fsi_xasprintf("%s %s off %" PRIu64 " len %u -> %d, %u us, "
			      "pid %u",
			      trec_op_name(r->op) ? trec_op_name(r->op) : "?",
			      path ? path : "", r->off, r->len, r->result,
			      r->dur_ns / 1000, r->pid);
	e.label = label;
	svg_events_add(&t->svg, &e);
	free(label);
}

/* The picture of the records shown, panels named by path. */
static int write_svg(struct trace_run *t)
{
	struct svg_file *files = fsi_xcalloc(t->svg.n + 1, sizeof(*files));
	struct svg_timeline tl = {.ev = t->svg.v,
				  .nev = t->svg.n,
				  .files = files,
				  .origin_ns = t->start_ns,
				  .subtitle = "the daemon's records"};
	size_t i, k;
	int err;

	for (i = 0; i < t->svg.n; i++)
		paths_get(&t->paths, t->svg.v[i].ino);
	paths_resolve(&t->paths);
	for (i = 0; i < t->svg.n; i++) {
		const char *p = paths_get(&t->paths, t->svg.v[i].ino);

		for (k = 0; k < tl.nfiles && files[k].ino != t->svg.v[i].ino;
		     k++)
			;
		if (k == tl.nfiles && p)
			files[tl.nfiles++] =
				(struct svg_file){t->svg.v[i].ino, p};
	}
	tl.title = fsi_xasprintf("fsinspect trace: %s", t->m.mountpoint);
	err = svg_save_timeline(t->opt.svg, &tl);
	if (err)
		warnx("cannot write '%s': %s", t->opt.svg, strerror(-err));
	free((char *)tl.title);
	free(files);
	return err;
}

static void print_record(struct trace_run *t, const struct gfs_trace_rec *r)
{
	struct trace_row w = {.t = t, .r = r};

	w.path = row_path(t, r);
	stream_row(&t->out, trace_text, trace_json, &w);
	if (t->opt.svg)
		svg_add(t, r, w.path);
	free(w.path);
	t->printed++;
}

/* Queue the paths a batch will need, so that one command asks them. */
static void prefetch(struct trace_run *t, const struct gfs_trace_rec *v,
		     const bool *shown, size_t n)
{
	size_t i;

	if (!t->want_paths)
		return;
	for (i = 0; i < n; i++)
		if (shown[i])
			paths_get(&t->paths,
				  name_dir(&v[i]) ? name_dir(&v[i]) : v[i].ino);
	if (t->paths.nwant)
		paths_resolve(&t->paths);
}

static bool done(const struct trace_run *t)
{
	return t->opt.count && t->printed >= t->opt.count;
}

/* Reads and prints what the ring holds, up to BATCH records: how many
 * were read. */
static size_t drain(struct trace_run *t)
{
	static struct gfs_trace_rec v[BATCH];
	uint64_t gap[BATCH];
	bool shown[BATCH];
	size_t n = 0, i;

	while (n < BATCH && ring_read(&t->ring, &v[n]) == 1) {
		gap[n] = t->ring.missed - t->missed_shown;
		t->missed_shown = t->ring.missed;
		shown[n] = match(t, &v[n]);
		n++;
	}
	prefetch(t, v, shown, n);
	for (i = 0; i < n && !done(t); i++) {
		if (gap[i])
			print_missed(t, gap[i]);
		if (shown[i])
			print_record(t, &v[i]);
		follow_names(t, &v[i]);
	}
	return n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whether the mount went away: the daemon stopped recording or died. */
static bool daemon_gone(const struct trace_run *t)
{
	if (!ring_alive(&t->ring))
		return true;
	return t->daemon > 0 && kill(t->daemon, 0) < 0 && errno == ESRCH;
}

static void nap(void)
{
	struct timespec ts = {.tv_nsec = POLL_NS};

	nanosleep(&ts, NULL);
}

static int follow(struct trace_run *t)
{
	for (;;) {
		size_t n = drain(t);

		if (stream_flush()) {
			warnx("cannot write the output");
			return FSI_EXIT_FATAL;
		}
		if (done(t) || fsi_stop_signal)
			break;
		if (t->deadline && now_ns() >= t->deadline)
			break;
		if (n)
			continue;
		if (t->opt.no_follow)
			break;
		if (daemon_gone(t)) {
			drain(t);
			stream_flush();
			warnx("the mount '%s' ended", t->m.mountpoint);
			break;
		}
		nap();
	}
	if (t->ring.missed > t->missed_shown)
		print_missed(t, t->ring.missed - t->missed_shown);
	return stream_flush() ? FSI_EXIT_FATAL : FSI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */

static int open_ring(struct trace_run *t, json_object *hello)
{
	const char *path = gmount_str(hello, "trace");
	int rc;

	if (!path) {
		warnx("the glassfs mount at '%s' records no trace (mounted "
		      "with -o notrace)",
		      t->m.mountpoint);
		return -ENODATA;
	}
	rc = ring_open(path, &t->ring);
	if (rc == -EPROTO)
		warnx("cannot read the trace '%s': not a trace of version %d",
		      path, GFS_TRACE_VERSION);
	else if (rc)
		warnx("cannot open the trace '%s': %s", path, strerror(-rc));
	if (!rc && t->ring.hdr->fuse_conn != t->m.minor) {
		warnx("the trace '%s' belongs to another mount", path);
		ring_close(&t->ring);
		rc = -ESTALE;
	}
	t->daemon = (pid_t)gmount_u64(hello, "pid");
	return rc;
}

static int attach(struct trace_run *t, const char *path)
{
	json_object *hello = NULL;
	size_t i;
	int rc;

	rc = gmount_attach(path, &t->m, &hello);
	if (!rc)
		rc = open_ring(t, hello);
	json_object_put(hello);
	for (i = 0; !rc && i < t->opt.nfiles; i++)
		rc = add_file(t, t->opt.files[i]);
	return rc;
}

static void setup_output(struct trace_run *t)
{
	const struct trace_opts *o = &t->opt;
	const struct out_spec *spec = &trace_spec;

	if ((o->out.flags & OUT_JSON) && !o->out.columns)
		spec = &trace_json_spec;
	if (stream_init(&t->out, spec, &o->out))
		fsi_usage_hint("trace");
	t->want_paths = out_has(&t->out.o, COL_PATH);
}

static void free_opts(struct trace_opts *o)
{
	size_t i;

	for (i = 0; i < o->nfiles; i++)
		free(o->files[i]);
	for (i = 0; i < o->f.ncomms; i++)
		free(o->f.comms[i]);
	free(o->files);
	free(o->f.comms);
	free(o->f.pids);
	free(o->f.inos);
	free(o->f.isdir);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_run t;
	int status;

	memset(&t, 0, sizeof(t));
	parse_options(argc, argv, &t.opt);
	setup_output(&t);
	t.self = (uint32_t)getpid();
	if (attach(&t, argv[optind])) {
		free_opts(&t.opt);
		return FSI_EXIT_PARTIAL;
	}
	paths_init(&t.paths, &t.m);
	if (t.opt.all)
		ring_rewind(&t.ring);
	t.missed_shown = t.ring.missed;
	if (t.opt.duration > 0)
		t.deadline = now_ns() + (uint64_t)(t.opt.duration * 1e9);
	fsi_catch_stop_signals();
	stream_header(&t.out);
	t.start_ns = now_ns();
	status = follow(&t);
	if (t.opt.svg && write_svg(&t) && status == FSI_EXIT_OK)
		status = FSI_EXIT_FATAL;
	svg_events_free(&t.svg);
	ring_close(&t.ring);
	paths_free(&t.paths);
	comm_free();
	free_opts(&t.opt);
	return status;
}
