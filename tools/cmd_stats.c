// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_stats.c - "fsinspect stats": a glassfs daemon's counters per
 * request type, its store's facts and the inodes the kernel holds; once,
 * or sampled every INTERVAL with rates since the last sample (the first
 * sample counts from the mount, as vmstat's first line counts from boot).
 *
 * Layer: subcommand.  Everything comes from the control socket ("stats",
 * "inodes", "path"): no request reaches the mount.  Tables go through
 * output.c; --json is one JSON object per sample (json-c), so that a
 * sample's tables stay one document.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsinspect.h"
#include "gmount.h"
#include "opstat.h"
#include "output.h"
#include "paths.h"
#include "stream.h"

/* ------------------------------------------------------------------ */
/* Columns                                                             */

enum {
	OCOL_OP,
	OCOL_COUNT,
	OCOL_RATE,
	OCOL_ERRORS,
	OCOL_BYTES,
	OCOL_BW,
	OCOL_MEAN,
	OCOL_P50,
	OCOL_P99,
	OCOL_SQL,
	OCOL_TIME,
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column op_columns[] = {
	[OCOL_OP] = {"OP", 11, 0, "request type, or daemon event"},
	[OCOL_COUNT] = {"COUNT", 7, NUM,
			"requests served (in the interval with -i)"},
	[OCOL_RATE] = {"RATE", 7, NUM, "requests per second"},
	[OCOL_ERRORS] = {"ERRORS", 6, NUM, "requests that failed"},
	[OCOL_BYTES] = {"BYTES", 6, NUM,
			"bytes read, written or copied (READ, WRITE, "
			"COPY_FILE_RANGE)"},
	[OCOL_BW] = {"BW", 6, NUM, "BYTES per second"},
	[OCOL_MEAN] = {"MEAN", 6, NUM,
		       "mean time in the daemon (JSON: nanoseconds)"},
	[OCOL_P50] = {"P50", 6, NUM,
		      "median time: upper bound of its log2 histogram "
		      "bucket (JSON: ns; null when over 524 ms)"},
	[OCOL_P99] = {"P99", 6, NUM, "the 99th percentile, likewise"},
	[OCOL_SQL] = {"SQL", 5, NUM, "percentage of the time spent in SQLite"},
	[OCOL_TIME] = {"TIME", 6, NUM,
		       "total time in the daemon (JSON: nanoseconds)"},
};

static const struct out_spec op_spec = {
	.table = "ops",
	.cols = op_columns,
	.ncols = sizeof(op_columns) / sizeof(op_columns[0]),
	.defaults = "OP,COUNT,RATE,ERRORS,BYTES,BW,MEAN,P50,P99,SQL",
};

enum {
	SCOL_SIZE,
	SCOL_WAL,
	SCOL_HIT,
	SCOL_CACHE,
	SCOL_COMMITS,
	SCOL_SYNCS,
	SCOL_RO_READS,
	SCOL_INODES,
	SCOL_KERNEL,
};

static const struct out_column store_columns[] = {
	[SCOL_SIZE] = {"SIZE", 6, NUM, "the store file's size"},
	[SCOL_WAL] = {"WAL", 6, NUM, "its write-ahead log's size"},
	[SCOL_HIT] = {"HIT", 5, NUM,
		      "SQLite page cache hit rate, percent (in the interval)"},
	[SCOL_CACHE] = {"CACHE", 6, NUM, "SQLite page cache in use"},
	[SCOL_COMMITS] = {"COMMITS", 7, NUM, "group commits (in the interval)"},
	[SCOL_SYNCS] = {"SYNCS", 5, NUM,
			"commits forced to disk by fsync (in the interval)"},
	[SCOL_RO_READS] = {"RO_READS", 8, NUM,
			   "READs served by read-only SQLite connections, "
			   "beside the main one (in the interval)"},
	[SCOL_INODES] = {"INODES", 6, NUM, "inodes in the store"},
	[SCOL_KERNEL] = {"KERNEL", 6, NUM, "inodes the kernel holds"},
};

static const struct out_spec store_spec = {
	.table = "store",
	.cols = store_columns,
	.ncols = sizeof(store_columns) / sizeof(store_columns[0]),
	.defaults = "SIZE,WAL,HIT,CACHE,COMMITS,SYNCS,RO_READS,INODES,KERNEL",
};

enum {
	ICOL_INO,
	ICOL_READS,
	ICOL_READ_BYTES,
	ICOL_WRITES,
	ICOL_WRITE_BYTES,
	ICOL_NLOOKUP,
	ICOL_NOPEN,
	ICOL_PATH,
};

static const struct out_column inode_columns[] = {
	[ICOL_INO] = {"INO", 6, NUM, "inode"},
	[ICOL_READS] = {"READS", 6, NUM,
			"READ requests since the kernel looked it up (in the "
			"interval with -i)"},
	[ICOL_READ_BYTES] = {"READ_BYTES", 6, NUM, "bytes they read"},
	[ICOL_WRITES] = {"WRITES", 6, NUM, "WRITE requests, likewise"},
	[ICOL_WRITE_BYTES] = {"WRITE_BYTES", 6, NUM, "bytes they wrote"},
	[ICOL_NLOOKUP] = {"NLOOKUP", 6, NUM,
			  "lookups the kernel holds (FORGET drops them)"},
	[ICOL_NOPEN] = {"NOPEN", 5, NUM, "open files (OPEN minus RELEASE)"},
	[ICOL_PATH] = {"PATH", 0.4, OUT_COL_TRUNC,
		       "a path of the inode (the daemon's 'path')"},
};

static const struct out_spec inode_spec = {
	.table = "inodes",
	.cols = inode_columns,
	.ncols = sizeof(inode_columns) / sizeof(inode_columns[0]),
	.defaults = "INO,READS,READ_BYTES,WRITES,WRITE_BYTES,NLOOKUP,NOPEN,"
		    "PATH",
};

/* ------------------------------------------------------------------ */
/* Samples                                                             */

struct store_facts {
	uint64_t file_bytes, wal_bytes, cache_used;
	uint64_t cache_hits, cache_misses;
	uint64_t commits, syncs, ro_reads, inodes;
};

struct inode_stat {
	uint64_t ino, nlookup, nopen;
	uint64_t reads, read_bytes, writes, write_bytes;
};

/* What one "stats" (and "inodes") reply says. */
struct sample {
	uint64_t uptime_ns;
	struct gfs_trace_opstat ops[GFS_TRACE_OP_MAX];
	struct store_facts store;
	uint64_t kernel_inodes;
	struct inode_stat *inodes;
	size_t ninodes;
};

struct stats_opts {
	struct out_opts out;
	double interval; /* 0: once */
	unsigned count;	 /* 0: until interrupted */
	bool inodes;
};

struct stats_run {
	struct stats_opts opt;
	struct gmount m;
	struct paths paths;
	struct out ops_out, store_out, inodes_out;
	struct sample prev, cur;
	bool have_prev;
};

/* What a row shows: this sample against the previous one. */
struct delta {
	double seconds;
	struct gfs_trace_opstat op;
	const char *name;
};

static void usage(void)
{
	FILE *f = stdout;

	fputs("\nUsage:\n"
	      " fsinspect stats [options] MOUNTPOINT\n"
	      "\nShow a glassfs daemon's counters per request type, its "
	      "store,\nand the inodes the kernel holds.\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	fputs(" -i, --interval SECONDS sample every SECONDS: counts and rates "
	      "since\n"
	      "                        the last sample\n"
	      " -c, --count N          with --interval: stop after N samples\n"
	      " -I, --inodes           list the inodes the kernel holds, with "
	      "their\n"
	      "                        counters\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(&op_spec, f);
	fputs("\nStore columns (always shown):\n", f);
	for (size_t i = 0; i < (size_t)store_spec.ncols; i++)
		fprintf(f, " %-14s %s\n", store_columns[i].name,
			store_columns[i].help);
	out_help_columns(&inode_spec, f);
	fputs("\nSee fsinspect(1).\n", f);
	exit(FSI_EXIT_OK);
}

static void parse_options(int argc, char **argv, struct stats_opts *o)
{
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"inodes", no_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "i:c:IhV", longopts,
				NULL)) != -1) {
		if (out_option(c, optarg, &o->out))
			continue;
		switch (c) {
		case 'i':
			if (fsi_parse_seconds(optarg, &o->interval) ||
			    o->interval <= 0) {
				warnx("invalid interval '%s'", optarg);
				fsi_usage_hint("stats");
			}
			break;
		case 'c':
			if (fsi_parse_uint(optarg, 1, ~0u, &o->count)) {
				warnx("invalid count '%s'", optarg);
				fsi_usage_hint("stats");
			}
			break;
		case 'I':
			o->inodes = true;
			break;
		case 'h':
			usage();
			break;
		case 'V':
			fsi_print_version();
			break;
		default:
			fsi_usage_hint("stats");
		}
	}
	if (argc - optind != 1) {
		warnx(optind == argc ? "no mountpoint given"
				     : "only one mountpoint may be given");
		fsi_usage_hint("stats");
	}
	if (o->count && o->interval <= 0) {
		warnx("--count needs --interval");
		fsi_usage_hint("stats");
	}
}

static void parse_ops(json_object *reply, struct sample *s)
{
	json_object *ops;
	unsigned op;

	if (!json_object_object_get_ex(reply, "ops", &ops))
		return;
	for (op = 0; op < GFS_TRACE_OP_MAX; op++) {
		const char *name = gfs_trace_op_name(op);
		json_object *o;

		if (name && json_object_object_get_ex(ops, name, &o))
			opstat_from_json(o, &s->ops[op]);
	}
}

static void parse_store(json_object *reply, struct sample *s)
{
	struct store_facts *f = &s->store;
	json_object *st = NULL;

	json_object_object_get_ex(reply, "store", &st);
	f->file_bytes = gmount_u64(st, "file_bytes");
	f->wal_bytes = gmount_u64(st, "wal_bytes");
	f->cache_used = gmount_u64(st, "cache_used_bytes");
	f->cache_hits = gmount_u64(st, "cache_hits");
	f->cache_misses = gmount_u64(st, "cache_misses");
	f->commits = gmount_u64(st, "commits");
	f->syncs = gmount_u64(st, "syncs");
	f->ro_reads = gmount_u64(st, "committed_reads");
	f->inodes = gmount_u64(st, "inodes");
	s->kernel_inodes = gmount_u64(reply, "kernel_inodes");
	s->uptime_ns = gmount_u64(reply, "uptime_ns");
}

static void parse_inodes(json_object *reply, struct sample *s)
{
	json_object *a;
	size_t i, n;

	if (!json_object_object_get_ex(reply, "inodes", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	n = json_object_array_length(a);
	s->inodes = fsi_xcalloc(n, sizeof(*s->inodes));
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct inode_stat *in = &s->inodes[i];

		in->ino = gmount_u64(e, "ino");
		in->nlookup = gmount_u64(e, "nlookup");
		in->nopen = gmount_u64(e, "nopen");
		in->reads = gmount_u64(e, "reads");
		in->read_bytes = gmount_u64(e, "read_bytes");
		in->writes = gmount_u64(e, "writes");
		in->write_bytes = gmount_u64(e, "write_bytes");
	}
	s->ninodes = n;
}

static int cmp_inode(const void *a, const void *b)
{
	const struct inode_stat *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int ask(struct stats_run *r, const char *cmd, json_object **reply)
{
	int rc = gmount_ctl(&r->m, cmd, reply);

	if (rc)
		warnx("cannot get '%s' from the daemon of '%s': %s", cmd,
		      r->m.mountpoint, strerror(-rc));
	return rc;
}

static int take_sample(struct stats_run *r, struct sample *s)
{
	json_object *reply = NULL;
	int rc;

	free(s->inodes);
	memset(s, 0, sizeof(*s));
	rc = ask(r, "stats", &reply);
	if (!rc) {
		parse_ops(reply, s);
		parse_store(reply, s);
	}
	json_object_put(reply);
	if (rc || !r->opt.inodes)
		return rc;
	rc = ask(r, "inodes", &reply);
	if (!rc)
		parse_inodes(reply, s);
	json_object_put(reply);
	if (s->ninodes)
		qsort(s->inodes, s->ninodes, sizeof(*s->inodes), cmp_inode);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Op rows                                                             */

static uint64_t per_second(uint64_t v, double seconds)
{
	return seconds > 0 ? (uint64_t)((double)v / seconds + 0.5) : 0;
}

/* Requests per second, one decimal under 10 (always in JSON, so that
 * the number keeps one type). */
static char *rate_cell(const struct out *o, uint64_t n, double seconds)
{
	double r = seconds > 0 ? (double)n / seconds : 0;

	if (r >= 10 && !(o->flags & OUT_JSON))
		return fsi_xasprintf("%.0f", r);
	return fsi_xasprintf("%.1f", r);
}

static uint64_t mean_ns(const struct gfs_trace_opstat *s)
{
	return s->count ? s->dur_ns / s->count : 0;
}

static char *duration_cell(const struct out *o, uint64_t ns)
{
	if (ns == FSI_UNKNOWN)
		return o->flags & OUT_JSON
			       ? NULL
			       : fsi_xasprintf(
					 ">%llums",
					 (unsigned long long)(opstat_open_bucket_ns() /
							      1000000));
	if (o->flags & (OUT_JSON | OUT_BYTES))
		return out_count(o, ns);
	return opstat_duration(ns);
}

static char *op_cell(const struct out *o, int id, const void *data)
{
	const struct delta *d = data;
	const struct gfs_trace_opstat *s = &d->op;

	switch (id) {
	case OCOL_OP:
		return out_text(d->name);
	case OCOL_COUNT:
		return out_count(o, s->count);
	case OCOL_RATE:
		return rate_cell(o, s->count, d->seconds);
	case OCOL_ERRORS:
		return out_count(o, s->errors);
	case OCOL_BYTES:
		return out_size(o, s->bytes);
	case OCOL_BW:
		return out_size(o, per_second(s->bytes, d->seconds));
	case OCOL_MEAN:
		return s->count ? duration_cell(o, mean_ns(s)) : NULL;
	case OCOL_P50:
		return s->count ? duration_cell(o, opstat_quantile(s, 0.5))
				: NULL;
	case OCOL_P99:
		return s->count ? duration_cell(o, opstat_quantile(s, 0.99))
				: NULL;
	case OCOL_SQL:
		return out_percent(o, s->sql_ns, s->dur_ns);
	case OCOL_TIME:
		return duration_cell(o, s->dur_ns);
	}
	return NULL;
}

/* The seconds the current sample covers: since the previous one, or
 * since the mount for the first. */
static double covered(const struct stats_run *r)
{
	uint64_t from = r->have_prev ? r->prev.uptime_ns : 0;

	return r->cur.uptime_ns > from ? (double)(r->cur.uptime_ns - from) / 1e9
				       : 0;
}

/* The op's figures for this sample; false when it saw no request. */
static bool op_delta(const struct stats_run *r, unsigned op, struct delta *d)
{
	static const struct gfs_trace_opstat zero;

	opstat_sub(&r->cur.ops[op], r->have_prev ? &r->prev.ops[op] : &zero,
		   &d->op);
	d->name = gfs_trace_op_name(op);
	d->seconds = covered(r);
	return d->name && d->op.count;
}

/* ------------------------------------------------------------------ */
/* Store and inode rows                                                */

struct store_row {
	const struct sample *cur;
	struct store_facts d; /* counters of this sample */
};

static char *store_cell(const struct out *o, int id, const void *data)
{
	const struct store_row *w = data;
	const struct store_facts *f = &w->cur->store;

	switch (id) {
	case SCOL_SIZE:
		return out_size(o, f->file_bytes);
	case SCOL_WAL:
		return out_size(o, f->wal_bytes);
	case SCOL_HIT:
		return out_percent(o, w->d.cache_hits,
				   w->d.cache_hits + w->d.cache_misses);
	case SCOL_CACHE:
		return out_size(o, f->cache_used);
	case SCOL_COMMITS:
		return out_count(o, w->d.commits);
	case SCOL_SYNCS:
		return out_count(o, w->d.syncs);
	case SCOL_RO_READS:
		return out_count(o, w->d.ro_reads);
	case SCOL_INODES:
		return out_count(o, f->inodes);
	case SCOL_KERNEL:
		return out_count(o, w->cur->kernel_inodes);
	}
	return NULL;
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now >= then ? now - then : now;
}

static void store_delta(const struct stats_run *r, struct store_row *w)
{
	const struct store_facts *c = &r->cur.store, *p = &r->prev.store;

	w->cur = &r->cur;
	w->d = *c;
	if (!r->have_prev)
		return;
	w->d.cache_hits = since(c->cache_hits, p->cache_hits);
	w->d.cache_misses = since(c->cache_misses, p->cache_misses);
	w->d.commits = since(c->commits, p->commits);
	w->d.syncs = since(c->syncs, p->syncs);
	w->d.ro_reads = since(c->ro_reads, p->ro_reads);
}

struct inode_row {
	struct inode_stat in; /* counters of this sample */
	const char *path;
};

static char *inode_cell(const struct out *o, int id, const void *data)
{
	const struct inode_row *w = data;

	switch (id) {
	case ICOL_INO:
		return out_count(o, w->in.ino);
	case ICOL_READS:
		return out_count(o, w->in.reads);
	case ICOL_READ_BYTES:
		return out_size(o, w->in.read_bytes);
	case ICOL_WRITES:
		return out_count(o, w->in.writes);
	case ICOL_WRITE_BYTES:
		return out_size(o, w->in.write_bytes);
	case ICOL_NLOOKUP:
		return out_count(o, w->in.nlookup);
	case ICOL_NOPEN:
		return out_count(o, w->in.nopen);
	case ICOL_PATH:
		return out_text(w->path);
	}
	return NULL;
}

static const struct inode_stat *prev_inode(const struct stats_run *r,
					   uint64_t ino)
{
	struct inode_stat key = {.ino = ino};

	if (!r->have_prev || !r->prev.ninodes)
		return NULL;
	return bsearch(&key, r->prev.inodes, r->prev.ninodes, sizeof(key),
		       cmp_inode);
}

static void inode_delta(struct stats_run *r, size_t i, struct inode_row *w)
{
	const struct inode_stat *c = &r->cur.inodes[i];
	const struct inode_stat *p = prev_inode(r, c->ino);

	w->in = *c;
	w->path = paths_get(&r->paths, c->ino);
	if (!p)
		return;
	w->in.reads = since(c->reads, p->reads);
	w->in.read_bytes = since(c->read_bytes, p->read_bytes);
	w->in.writes = since(c->writes, p->writes);
	w->in.write_bytes = since(c->write_bytes, p->write_bytes);
}

/* Paths of all the inodes listed, in as few commands as possible. */
static void resolve_paths(struct stats_run *r)
{
	size_t i;

	paths_forget(&r->paths); /* a rename since the last sample */
	for (i = 0; i < r->cur.ninodes; i++)
		paths_get(&r->paths, r->cur.inodes[i].ino);
	paths_resolve(&r->paths);
}

/* ------------------------------------------------------------------ */
/* Printing a sample                                                   */

/* A JSON row: the selected columns of @o, from their cells. */
static json_object *json_row(const struct out *o, out_cell_fn fn,
			     const void *data)
{
	json_object *j = json_object_new_object();
	int i;

	for (i = 0; i < o->nids; i++) {
		const struct out_column *c = &o->spec->cols[o->ids[i]];
		char *cell = fn(o, o->ids[i], data);
		json_object *v = NULL;

		if (cell && (c->flags & OUT_COL_NUMBER))
			v = strchr(cell, '.')
				    ? stream_json_double(strtod(cell, NULL), 1)
				    : json_object_new_uint64(
					      strtoull(cell, NULL, 10));
		else if (cell)
			v = json_object_new_string(cell);
		json_object_object_add(j, stream_key(c->name), v);
		free(cell);
	}
	return j;
}

static json_object *ops_json(struct stats_run *r)
{
	json_object *a = json_object_new_array();
	struct delta d;
	unsigned op;

	for (op = 0; op < GFS_TRACE_OP_MAX; op++)
		if (op_delta(r, op, &d))
			json_object_array_add(
				a, json_row(&r->ops_out, op_cell, &d));
	return a;
}

static json_object *inodes_json(struct stats_run *r)
{
	json_object *a = json_object_new_array();
	struct inode_row w;
	size_t i;

	for (i = 0; i < r->cur.ninodes; i++) {
		inode_delta(r, i, &w);
		json_object_array_add(a,
				      json_row(&r->inodes_out, inode_cell, &w));
	}
	return a;
}

static int print_json(struct stats_run *r)
{
	json_object *j = json_object_new_object();
	struct store_row sw;

	store_delta(r, &sw);
	json_object_object_add(j, "mountpoint",
			       json_object_new_string(r->m.mountpoint));
	json_object_object_add(
		j, "uptime",
		stream_json_double((double)r->cur.uptime_ns / 1e9, 3));
	json_object_object_add(j, "seconds", stream_json_double(covered(r), 3));
	json_object_object_add(j, "ops", ops_json(r));
	json_object_object_add(j, "store",
			       json_row(&r->store_out, store_cell, &sw));
	if (r->opt.inodes)
		json_object_object_add(j, "inodes", inodes_json(r));
	stream_json(j);
	return stream_flush();
}

static int print_text(struct stats_run *r)
{
	struct store_row sw;
	struct inode_row w;
	struct delta d;
	unsigned op;
	size_t i;
	int rc;

	if (r->opt.interval > 0)
		printf("%s# %.2f s%s\n", r->have_prev ? "\n" : "", covered(r),
		       r->have_prev ? " since the last sample"
				    : " since the mount");
	for (op = 0; op < GFS_TRACE_OP_MAX; op++)
		if (op_delta(r, op, &d))
			out_row(&r->ops_out, op_cell, &d);
	rc = out_print(&r->ops_out);
	store_delta(r, &sw);
	out_row(&r->store_out, store_cell, &sw);
	putchar('\n');
	rc = rc ? rc : out_print(&r->store_out);
	if (!r->opt.inodes || rc)
		return rc;
	for (i = 0; i < r->cur.ninodes; i++) {
		inode_delta(r, i, &w);
		out_row(&r->inodes_out, inode_cell, &w);
	}
	putchar('\n');
	return out_print(&r->inodes_out);
}

static int print_sample(struct stats_run *r)
{
	if (r->opt.inodes)
		resolve_paths(r);
	if (r->opt.out.flags & OUT_JSON)
		return print_json(r);
	return print_text(r);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

static int sample_loop(struct stats_run *r)
{
	unsigned n;

	for (n = 1;; n++) {
		struct sample tmp;

		if (take_sample(r, &r->cur))
			return FSI_EXIT_PARTIAL;
		if (print_sample(r)) {
			warnx("cannot write the output");
			return FSI_EXIT_FATAL;
		}
		if (r->opt.interval <= 0 || n == r->opt.count)
			break;
		fsi_nap(r->opt.interval);
		if (fsi_stop_signal)
			break;
		tmp = r->prev;
		r->prev = r->cur;
		r->cur = tmp;
		r->have_prev = true;
	}
	return FSI_EXIT_OK;
}

static void setup_output(struct stats_run *r)
{
	struct out_opts plain = {.flags = r->opt.out.flags};
	struct out_opts all = r->opt.out;
	bool json = r->opt.out.flags & OUT_JSON;

	/* -o names ops columns, or inode columns with --inodes. */
	if (json && !all.columns)
		all.columns = "+TIME";
	if (out_init(&r->ops_out, &op_spec, r->opt.inodes ? &plain : &all) ||
	    out_init(&r->store_out, &store_spec, &plain) ||
	    out_init(&r->inodes_out, &inode_spec,
		     r->opt.inodes ? &r->opt.out : &plain))
		fsi_usage_hint("stats");
}

int cmd_stats(int argc, char **argv)
{
	struct stats_run r;
	int status;

	memset(&r, 0, sizeof(r));
	parse_options(argc, argv, &r.opt);
	setup_output(&r);
	if (gmount_attach(argv[optind], &r.m, NULL))
		return FSI_EXIT_PARTIAL;
	paths_init(&r.paths, &r.m);
	fsi_catch_stop_signals();
	status = sample_loop(&r);
	free(r.cur.inodes);
	free(r.prev.inodes);
	paths_free(&r.paths);
	out_free(&r.ops_out);
	out_free(&r.store_out);
	out_free(&r.inodes_out);
	return status;
}
