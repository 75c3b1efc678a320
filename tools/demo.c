// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo.c - fsinspect demo: list the demonstrations of the article's
 * claims, run them, print each one's evidence and verdict, and a summary.
 *
 * Layer: a subcommand.  Owns the options, where a demonstration runs (its
 * own scratch glassfs mount, an existing mount with --mount, any
 * directory with --on), the figures and verdict it records, and their
 * printing as text (output.c tables) or one JSON document (json-c).
 * Knows nothing of any particular claim: those are demo_*.c, listed in
 * demo_list.h.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"
#include "output.h"

#define DEMO_ENTRY(n) &n##_demo,
static const struct demo *const demos[] = {DEMO_LIST(DEMO_ENTRY)};
#undef DEMO_ENTRY
#define NDEMOS (sizeof(demos) / sizeof(demos[0]))

#define ATTEMPTS 3

enum fig_state { FIG_MEASURED, FIG_UNKNOWN, FIG_NA };

struct demo_fig {
	char *key, *unit, *what, *text;
	enum demo_src src;
	enum fig_state state;
	bool real;
	uint64_t u;
	double d;
};

struct demo_result {
	const struct demo *demo;
	struct demo_fig *figs;
	int nfigs;
	char **did, **notes;
	int ndid, nnotes;
	enum demo_verdict verdict;
	char *reason;
	char *where;
	char *fstype;
	char *error; /* it could not run */
	int attempts;
};

struct demo_opts {
	const char *on;	   /* --on DIR */
	const char *mount; /* --mount MNT */
	bool all, json, fast;
	bool quick; /* --all without the DEMO_SLOW ones */
};

bool demo_interrupted(void)
{
	return fsi_stop_signal != 0;
}

static const char *const verdict_names[] = {
	[DEMO_UNKNOWN] = "unknown",
	[DEMO_REPRODUCED] = "reproduced",
	[DEMO_REFUTED] = "refuted",
	[DEMO_PARTLY] = "partly",
};

static const char *const src_names[] = {
	[SRC_DAEMON] = "daemon trace", [SRC_CACHESTAT] = "cachestat",
	[SRC_MINCORE] = "mincore",     [SRC_SMAPS] = "smaps",
	[SRC_PAGEMAP] = "pagemap",     [SRC_RUSAGE] = "getrusage",
	[SRC_PERF] = "perf sys_enter", [SRC_MEMINFO] = "meminfo",
	[SRC_PROCIO] = "proc io",      [SRC_KPAGEFLAGS] = "kpageflags",
	[SRC_VMSTAT] = "vmstat",       [SRC_MEMCG] = "memcg",
	[SRC_CLOCK] = "clock",	       [SRC_PROGRAM] = "program",
	[SRC_STAT] = "stat",	       [SRC_SYSCTL] = "sysctl",
	[SRC_STATUS] = "proc status",
};

/* ------------------------------------------------------------------ */
/* What a demonstration records                                       */
/* ------------------------------------------------------------------ */

static char *vfmt(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		errx(FSI_EXIT_FATAL, "cannot allocate memory");
	return s;
}

static void push_line(char ***v, int *n, char *s)
{
	*v = fsi_xrealloc(*v, (size_t)*n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

void demo_did(struct demo_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push_line(&c->res->did, &c->res->ndid, vfmt(fmt, ap));
	va_end(ap);
}

void demo_note(struct demo_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push_line(&c->res->notes, &c->res->nnotes, vfmt(fmt, ap));
	va_end(ap);
}

void demo_verdict(struct demo_ctx *c, enum demo_verdict v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(c->res->reason);
	c->res->reason = vfmt(fmt, ap);
	c->res->verdict = v;
	va_end(ap);
}

static void free_fig(struct demo_fig *f)
{
	free(f->key);
	free(f->unit);
	free(f->what);
	free(f->text);
}

/* The figure @key, new or replaced. */
static struct demo_fig *fig_slot(struct demo_ctx *c, const char *key,
				 const char *unit, enum demo_src src,
				 const char *what)
{
	struct demo_result *r = c->res;
	struct demo_fig *f;
	int i;

	for (i = 0; i < r->nfigs && strcmp(r->figs[i].key, key); i++)
		;
	if (i == r->nfigs)
		r->figs = fsi_xrealloc(r->figs, (size_t)++r->nfigs,
				       sizeof(*r->figs));
	else
		free_fig(&r->figs[i]);
	f = &r->figs[i];
	memset(f, 0, sizeof(*f));
	f->key = fsi_xstrdup(key);
	f->unit = fsi_xstrdup(unit ? unit : "");
	f->what = fsi_xstrdup(what);
	f->src = src;
	return f;
}

void demo_fig(struct demo_ctx *c, const char *key, uint64_t v, const char *unit,
	      enum demo_src src, const char *what)
{
	struct demo_fig *f = fig_slot(c, key, unit, src, what);

	f->u = v;
	f->state = v == FSI_UNKNOWN ? FIG_UNKNOWN : FIG_MEASURED;
}

void demo_fig_real(struct demo_ctx *c, const char *key, double v,
		   const char *unit, enum demo_src src, const char *what)
{
	struct demo_fig *f = fig_slot(c, key, unit, src, what);

	f->real = true;
	f->d = v;
	f->state = isfinite(v) ? FIG_MEASURED : FIG_UNKNOWN;
}

void demo_fig_text(struct demo_ctx *c, const char *key, const char *v,
		   enum demo_src src, const char *what)
{
	struct demo_fig *f = fig_slot(c, key, NULL, src, what);

	f->text = v ? fsi_xstrdup(v) : NULL;
	f->state = v ? FIG_MEASURED : FIG_UNKNOWN;
}

void demo_fig_na(struct demo_ctx *c, const char *key, const char *unit,
		 enum demo_src src, const char *what)
{
	fig_slot(c, key, unit, src, what)->state = FIG_NA;
}

static void result_free(struct demo_result *r)
{
	int i;

	for (i = 0; i < r->nfigs; i++)
		free_fig(&r->figs[i]);
	for (i = 0; i < r->ndid; i++)
		free(r->did[i]);
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->figs);
	free(r->did);
	free(r->notes);
	free(r->reason);
	free(r->where);
	free(r->fstype);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

void demo_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* Where it runs                                                      */
/* ------------------------------------------------------------------ */

static void remove_workdir(void *arg)
{
	struct demo_ctx *c = arg;

	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	demo_rmdir(c->dir);
}

/* A private directory under @base for the demonstration's files. */
static int make_workdir(struct demo_ctx *c, const char *base,
			const char *fstype)
{
	snprintf(c->dir, sizeof(c->dir), "%s/fsinspect-demo.XXXXXX", base);
	if (!mkdtemp(c->dir)) {
		warn("cannot create a directory in '%s'", base);
		return -errno;
	}
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	demo_undo_push(remove_workdir, c);
	if (c->dirfd < 0)
		return -errno;
	c->res->fstype = fsi_xstrdup(fstype);
	c->fstype = c->res->fstype;
	return 0;
}

/* --on DIR, or --mount MNT: the daemon's evidence if DIR is glassfs. */
static int place_existing(struct demo_ctx *c, const struct demo_opts *o,
			  struct demo_mount *m)
{
	const char *base = o->mount ? o->mount : o->on;
	struct gmount g;
	int err;

	err = gmount_find(base, &g);
	if (err) {
		warnx("cannot find the file system of '%s': %s", base,
		      strerror(-err));
		return err;
	}
	if (g.glassfs || o->mount) {
		err = dm_attach(m, base); /* warns */
		if (err && o->mount)
			return err;
		c->mnt = err ? NULL : m;
	}
	c->res->where = fsi_xstrdup(base);
	return make_workdir(c, base, g.fstype);
}

static int place(struct demo_ctx *c, const struct demo_opts *o,
		 struct demo_mount *m)
{
	const struct demo *d = c->demo;
	int err;

	if (o->mount || o->on)
		return place_existing(c, o, m);
	err = dm_start(m, d->opts);
	if (err)
		return err;
	c->mnt = m;
	c->scratch = true;
	c->res->where =
		fsi_xasprintf("scratch glassfs mount%s%s",
			      d->opts ? ", -o " : "", d->opts ? d->opts : "");
	/* Not from the mount table: fsinspect reads it once, before. */
	return make_workdir(c, m->mnt, "fuse.glassfs");
}

/*
 * Whether another process dropped caches while it ran: drop_caches is
 * counted in /proc/vmstat (drop_pagecache), and other users of this
 * machine do write it.  Unknown counts as not disturbed.
 */
static bool disturbed(const struct demo_ctx *c, uint64_t drops0)
{
	uint64_t drops = demo_vmstat("drop_pagecache");

	return drops0 != FSI_UNKNOWN && drops != FSI_UNKNOWN &&
	       drops - drops0 > c->own_drops;
}

/* One demonstration, retried when another process disturbed it. */
static void run_one(const struct demo *d, const struct demo_opts *o,
		    struct demo_result *res)
{
	struct demo_mount m;
	struct demo_ctx c;
	uint64_t drops0;
	int err = 0, i;

	for (i = 1; i <= ATTEMPTS && !demo_interrupted(); i++) {
		result_free(res);
		res->demo = d;
		res->attempts = i;
		memset(&c, 0, sizeof(c));
		c.demo = d;
		c.res = res;
		c.dirfd = -1;
		c.fast = o->fast;
		c.root = geteuid() == 0;
		c.last_attempt = i == ATTEMPTS;
		drops0 = demo_vmstat("drop_pagecache");
		err = place(&c, o, &m);
		if (!err)
			err = d->run(&c);
		demo_undo_all();
		if (!err && disturbed(&c, drops0)) {
			if (!c.last_attempt)
				err = -EAGAIN;
			else
				demo_note(&c,
					  "another process dropped the "
					  "page cache (drop_caches) while this "
					  "ran: the figures may show it");
		}
		if (err != -EAGAIN)
			break;
	}
	if (err == -EAGAIN)
		demo_verdict(&c, DEMO_UNKNOWN,
			     "another process disturbed the page cache state "
			     "in each of %d attempts",
			     ATTEMPTS);
	else if (err)
		res->error = fsi_xstrdup(strerror(-err));
}

/* ------------------------------------------------------------------ */
/* Text output                                                        */
/* ------------------------------------------------------------------ */

/* @label then @text wrapped at 78 columns, continuation indented. */
static void print_wrapped(const char *label, const char *text)
{
	const int indent = 10, width = 78;
	const char *p = text;
	int col;

	printf("  %-*s", indent - 2, label);
	col = indent;
	while (*p) {
		size_t w = strcspn(p, " ");

		if (col > indent && col + (int)w + 1 > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)w, p);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

enum { COL_KEY, COL_VALUE, COL_UNIT, COL_SOURCE, COL_WHAT };

static const struct out_column fig_cols[] = {
	[COL_KEY] = {"FIGURE", 0.1, 0, "the figure's name in the rule"},
	[COL_VALUE] = {"VALUE", 0.05, OUT_COL_RIGHT, "what was measured"},
	[COL_UNIT] = {"UNIT", 0.05, 0, "its unit"},
	[COL_SOURCE] = {"SOURCE", 0.1, 0, "who measured it"},
	[COL_WHAT] = {"MEANING", 0.4, OUT_COL_TRUNC, "what it is"},
};

static const struct out_spec fig_spec = {
	.table = "figures",
	.cols = fig_cols,
	.ncols = 5,
	.defaults = "FIGURE,VALUE,UNIT,SOURCE,MEANING",
};

static char *fig_value(const struct demo_fig *f)
{
	if (f->state == FIG_NA)
		return fsi_xstrdup("n/a");
	if (f->state == FIG_UNKNOWN)
		return fsi_xstrdup("unknown");
	if (f->text)
		return fsi_xstrdup(f->text);
	if (f->real)
		return fsi_xasprintf("%.4g", f->d);
	return fsi_xasprintf("%llu", (unsigned long long)f->u);
}

static char *fig_cell(const struct out *o, int id, const void *data)
{
	const struct demo_fig *f = data;

	switch (id) {
	case COL_KEY:
		return out_text(f->key);
	case COL_VALUE:
		return fig_value(f);
	case COL_UNIT:
		return out_text(f->unit);
	case COL_SOURCE:
		return out_text(src_names[f->src]);
	case COL_WHAT:
		return out_text(f->what);
	}
	return NULL;
}

static void print_figures(const struct demo_result *r)
{
	struct out_opts oo = {0};
	struct out o;
	int i;

	if (out_init(&o, &fig_spec, &oo))
		return;
	for (i = 0; i < r->nfigs; i++)
		out_row(&o, fig_cell, &r->figs[i]);
	out_print(&o);
	out_free(&o);
}

static void print_text(const struct demo_result *r)
{
	const struct demo *d = r->demo;
	char *v;
	int i;

	printf("%s %s: %s\n", d->claim, d->name, d->summary);
	print_wrapped("claim", d->statement);
	v = fsi_xasprintf("%s (%s)", r->where ? r->where : "-",
			  r->fstype ? r->fstype : "unknown");
	print_wrapped("where", v);
	free(v);
	for (i = 0; i < r->ndid; i++) {
		v = fsi_xasprintf("%d. %s", i + 1, r->did[i]);
		print_wrapped(i ? "" : "did", v);
		free(v);
	}
	if (r->nfigs) {
		putchar('\n');
		print_figures(r);
		putchar('\n');
	}
	if (r->error) {
		v = fsi_xasprintf("could not run: %s", r->error);
		print_wrapped("verdict", v);
	} else {
		v = fsi_xasprintf("%s: %s", verdict_names[r->verdict],
				  r->reason ? r->reason : "no verdict");
		print_wrapped("verdict", v);
	}
	free(v);
	print_wrapped("rule", d->rule);
	for (i = 0; i < r->nnotes; i++)
		print_wrapped("note", r->notes[i]);
	if (r->attempts > 1) {
		v = fsi_xasprintf("run %d times: another process disturbed "
				  "the page cache state (drop_caches, or pages "
				  "the demonstration had cached went missing)",
				  r->attempts);
		print_wrapped("note", v);
		free(v);
	}
	putchar('\n');
	fflush(stdout);
}

/* The summary's figures: "key=value" for the demo's key figures. */
static char *key_figures(const struct demo_result *r)
{
	const char *p = r->demo->keys ? r->demo->keys : "";
	char *s = fsi_xstrdup(""), *n, *v;
	int i;

	while (*p) {
		size_t len = strcspn(p, ",");

		for (i = 0; i < r->nfigs; i++)
			if (strlen(r->figs[i].key) == len &&
			    !strncmp(r->figs[i].key, p, len))
				break;
		if (i < r->nfigs) {
			v = fig_value(&r->figs[i]);
			n = fsi_xasprintf("%s%s%s=%s", s, *s ? " " : "",
					  r->figs[i].key, v);
			free(v);
			free(s);
			s = n;
		}
		p += len;
		p += *p == ',';
	}
	return s;
}

enum { SUM_CLAIM, SUM_DEMO, SUM_VERDICT, SUM_FIGURES };

static const struct out_column sum_cols[] = {
	[SUM_CLAIM] = {"CLAIM", 0.05, 0, "claim of the article"},
	[SUM_DEMO] = {"DEMO", 0.1, 0, "demonstration"},
	[SUM_VERDICT] = {"VERDICT", 0.1, 0, "what the measurements say"},
	[SUM_FIGURES] = {"KEY FIGURES", 0.5, 0, "the deciding figures"},
};

static const struct out_spec sum_spec = {
	.table = "summary",
	.cols = sum_cols,
	.ncols = 4,
	.defaults = "CLAIM,DEMO,VERDICT,KEY FIGURES",
};

static char *sum_cell(const struct out *o, int id, const void *data)
{
	const struct demo_result *r = data;

	switch (id) {
	case SUM_CLAIM:
		return out_text(r->demo->claim);
	case SUM_DEMO:
		return out_text(r->demo->name);
	case SUM_VERDICT:
		return out_text(r->error ? "error" : verdict_names[r->verdict]);
	case SUM_FIGURES:
		return key_figures(r);
	}
	return NULL;
}

static void print_summary(const struct demo_result *res, int n)
{
	struct out_opts oo = {0};
	struct out o;
	int i;

	if (out_init(&o, &sum_spec, &oo))
		return;
	for (i = 0; i < n; i++)
		out_row(&o, sum_cell, &res[i]);
	out_print(&o);
	out_free(&o);
}

/* ------------------------------------------------------------------ */
/* JSON output                                                        */
/* ------------------------------------------------------------------ */

static const char *const state_names[] = {
	[FIG_MEASURED] = "measured",
	[FIG_UNKNOWN] = "unknown",
	[FIG_NA] = "n/a",
};

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *fig_json(const struct demo_fig *f)
{
	json_object *j = json_object_new_object(), *v = NULL;

	if (f->state == FIG_MEASURED)
		v = f->text   ? json_object_new_string(f->text)
		    : f->real ? json_object_new_double(f->d)
			      : json_object_new_uint64(f->u);
	json_object_object_add(j, "key", jstr(f->key));
	json_object_object_add(j, "value", v);
	json_object_object_add(j, "unit", jstr(f->unit));
	json_object_object_add(j, "source", jstr(src_names[f->src]));
	json_object_object_add(j, "state", jstr(state_names[f->state]));
	json_object_object_add(j, "what", jstr(f->what));
	return j;
}

static json_object *lines_json(char **v, int n)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *result_json(const struct demo_result *r)
{
	json_object *j = json_object_new_object();
	json_object *figs = json_object_new_array();
	const struct demo *d = r->demo;
	int i;

	for (i = 0; i < r->nfigs; i++)
		json_object_array_add(figs, fig_json(&r->figs[i]));
	json_object_object_add(j, "name", jstr(d->name));
	json_object_object_add(j, "claim", jstr(d->claim));
	json_object_object_add(j, "statement", jstr(d->statement));
	json_object_object_add(j, "where", jstr(r->where));
	json_object_object_add(j, "fstype", jstr(r->fstype));
	json_object_object_add(j, "did", lines_json(r->did, r->ndid));
	json_object_object_add(j, "figures", figs);
	json_object_object_add(
		j, "verdict",
		jstr(r->error ? "error" : verdict_names[r->verdict]));
	json_object_object_add(j, "reason",
			       jstr(r->error ? r->error : r->reason));
	json_object_object_add(j, "rule", jstr(d->rule));
	json_object_object_add(j, "notes", lines_json(r->notes, r->nnotes));
	json_object_object_add(j, "attempts", json_object_new_int(r->attempts));
	return j;
}

static int print_json(const struct demo_result *res, int n)
{
	json_object *top = json_object_new_object();
	json_object *a = json_object_new_array();
	int i, rc = 0;

	for (i = 0; i < n; i++)
		json_object_array_add(a, result_json(&res[i]));
	json_object_object_add(top, "demos", a);
	if (puts(json_object_to_json_string_ext(
		    top, JSON_C_TO_STRING_PRETTY |
				 JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(stdout))
		rc = -EIO;
	json_object_put(top);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                        */
/* ------------------------------------------------------------------ */

enum { LIST_NAME, LIST_CLAIM, LIST_SLOW, LIST_SUMMARY };

static const struct out_column list_cols[] = {
	[LIST_NAME] = {"NAME", 0.1, 0, "demonstration"},
	[LIST_CLAIM] = {"CLAIM", 0.05, 0, "claim of the article"},
	[LIST_SLOW] = {"SLOW", 0.05, OUT_COL_BOOL, "takes more than seconds"},
	[LIST_SUMMARY] = {"SUMMARY", 0.6, 0, "what it shows"},
};

static const struct out_spec list_spec = {
	.table = "demos",
	.cols = list_cols,
	.ncols = 4,
	.defaults = "NAME,CLAIM,SLOW,SUMMARY",
};

static char *list_cell(const struct out *o, int id, const void *data)
{
	const struct demo *d = data;

	switch (id) {
	case LIST_NAME:
		return out_text(d->name);
	case LIST_CLAIM:
		return out_text(d->claim);
	case LIST_SLOW:
		return out_bool(o, d->flags & DEMO_SLOW);
	case LIST_SUMMARY:
		return out_text(d->summary);
	}
	return NULL;
}

static int list_demos(bool json)
{
	struct out_opts oo = {.flags = json ? OUT_JSON : 0};
	struct out o;
	size_t i;
	int rc;

	if (out_init(&o, &list_spec, &oo))
		return FSI_EXIT_FATAL;
	for (i = 0; i < NDEMOS; i++)
		out_row(&o, list_cell, demos[i]);
	rc = out_print(&o);
	out_free(&o);
	return rc ? FSI_EXIT_FATAL : FSI_EXIT_OK;
}

/* By name ("reread") or claim ("C1", "c1"). */
static const struct demo *find_demo(const char *name)
{
	size_t i;

	for (i = 0; i < NDEMOS; i++)
		if (!strcmp(demos[i]->name, name) ||
		    !strcasecmp(demos[i]->claim, name))
			return demos[i];
	return NULL;
}

static void usage(void)
{
	fputs("\nUsage:\n"
	      " fsinspect demo [options]\n"
	      " fsinspect demo [options] NAME...\n"
	      " fsinspect demo [options] --all\n"
	      "\nDemonstrate the claims of the article glassfs was built "
	      "from, with live\nevidence: without NAME, list the "
	      "demonstrations; NAME may be a claim (C1).\nEach runs on a "
	      "scratch glassfs mount it creates and removes itself.\n"
	      "\nOptions:\n"
	      " -a, --all         run every demonstration, then a summary\n"
	      "     --quick       with --all, leave out the slow ones\n"
	      "     --on DIR      run in DIR (tmpfs, ext4 ...) instead of "
	      "glassfs\n"
	      "     --mount MNT   run on an existing glassfs mount\n"
	      "     --fast        lower the write-back sysctls while "
	      "waiting (root)\n"
	      " -J, --json        one JSON document\n"
	      " -h, --help        display this help\n"
	      " -V, --version     display version\n"
	      "\nSee fsinspect-demo(1).\n",
	      stdout);
	exit(FSI_EXIT_OK);
}

static int parse(int argc, char **argv, struct demo_opts *o)
{
	enum { OPT_ON = 0x100, OPT_MOUNT, OPT_FAST, OPT_QUICK };
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"on", required_argument, NULL, OPT_ON},
		{"mount", required_argument, NULL, OPT_MOUNT},
		{"fast", no_argument, NULL, OPT_FAST},
		{"quick", no_argument, NULL, OPT_QUICK},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0; /* a fresh scan, permuting: options may follow names */
	while ((c = getopt_long(argc, argv, "aJhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->all = true;
			break;
		case OPT_ON:
			o->on = optarg;
			break;
		case OPT_MOUNT:
			o->mount = optarg;
			break;
		case OPT_FAST:
			o->fast = true;
			break;
		case OPT_QUICK:
			o->quick = true;
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
			fsi_usage_hint("demo");
		}
	}
	if (o->on && o->mount) {
		warnx("--on and --mount exclude each other");
		fsi_usage_hint("demo");
	}
	if (o->all && optind < argc) {
		warnx("--all takes no demonstration names");
		fsi_usage_hint("demo");
	}
	if (o->quick && !o->all) {
		warnx("--quick goes with --all");
		fsi_usage_hint("demo");
	}
	return optind;
}

/* The demonstrations named on the command line, or all. */
static int select_demos(int argc, char **argv, const struct demo_opts *o,
			const struct demo ***sel)
{
	int i, n = 0;

	*sel = fsi_xcalloc(o->all ? NDEMOS : (size_t)argc, sizeof(**sel));
	if (o->all) {
		for (i = 0; i < (int)NDEMOS; i++)
			if (!o->quick || !(demos[i]->flags & DEMO_SLOW))
				(*sel)[n++] = demos[i];
		return n;
	}
	for (i = 0; i < argc; i++) {
		(*sel)[n] = find_demo(argv[i]);
		if (!(*sel)[n++]) {
			warnx("unknown demonstration '%s'", argv[i]);
			fsi_usage_hint("demo");
		}
	}
	return n;
}

static int run_selected(const struct demo **sel, int n,
			const struct demo_opts *o)
{
	struct demo_result *res = fsi_xcalloc((size_t)n, sizeof(*res));
	int i, done = 0, status = FSI_EXIT_OK;

	for (i = 0; i < n && !demo_interrupted(); i++) {
		run_one(sel[i], o, &res[i]);
		done++;
		if (res[i].error) {
			warnx("demonstration '%s' could not run: %s",
			      sel[i]->name, res[i].error);
			status = FSI_EXIT_PARTIAL;
		}
		if (!o->json && !demo_interrupted())
			print_text(&res[i]);
	}
	if (o->json && print_json(res, done))
		status = FSI_EXIT_FATAL;
	else if (!o->json && n > 1 && !demo_interrupted())
		print_summary(res, done);
	for (i = 0; i < n; i++)
		result_free(&res[i]);
	free(res);
	return status;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_opts o = {0};
	const struct demo **sel;
	int first, n, status;

	first = parse(argc, argv, &o);
	if (first == argc && !o.all)
		return list_demos(o.json);
	fsi_catch_stop_signals(); /* a wait on a child or a pipe returns EINTR */
	n = select_demos(argc - first, argv + first, &o, &sel);
	status = run_selected(sel, n, &o);
	free(sel);
	demo_undo_all();
	if (demo_interrupted()) {
		warnx("interrupted: everything the demonstrations changed "
		      "was undone");
		signal(fsi_stop_signal, SIG_DFL);
		raise(fsi_stop_signal);
	}
	return status;
}
