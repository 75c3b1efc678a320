// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_maps.c - "fsinspect maps": which processes map each file (or, with
 * --open, hold it open), and what their mappings hold.
 *
 * Layer: subcommand.  Files are identified by device and inode (statx
 * without a FUSE round trip) and found in /proc through procmaps.c; the
 * files themselves are never opened, so this view cannot trigger the
 * FUSE write-back on close.
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
#include "output.h"
#include "procmaps.h"
#include "walk.h"

enum {
	COL_PID,
	COL_COMMAND,
	COL_FILE,
	COL_ADDRESS,
	COL_OFFSET,
	COL_PERMS,
	COL_SHARING,
	COL_SIZE,
	COL_RSS,
	COL_PSS,
	COL_DIRTY,
	COL_EXCL_DIRTY,
	COL_SHARED_DIRTY,
	COL_SWAP,
	COL_PG_PRESENT,
	COL_PG_COW,
	COL_PG_DIRTY,
	COL_PG_WB,
	COL_PG_REF,
	COL_PG_MAPMAX,
};

#define NUM (OUT_COL_RIGHT | OUT_COL_NUMBER)

static const struct out_column maps_columns[] = {
	[COL_PID] = {"PID", 5, NUM, "process ID"},
	[COL_COMMAND] = {"COMMAND", 0.1, OUT_COL_TRUNC,
			 "command name (/proc/PID/comm)"},
	[COL_FILE] = {"FILE", 0.3, OUT_COL_TRUNC, "file name as given"},
	[COL_ADDRESS] = {"ADDRESS", 25, 0,
			 "start-end virtual addresses (/proc/PID/maps)"},
	[COL_OFFSET] = {"OFFSET", 5, NUM, "file offset of the start, in bytes"},
	[COL_PERMS] = {"PERMS", 4, 0,
		       "protection and sharing: rwx, then s or p"},
	[COL_SHARING] = {"SHARING", 7, 0,
			 "shared (MAP_SHARED) or private (MAP_PRIVATE)"},
	[COL_SIZE] = {"SIZE", 5, NUM, "length of the mapping"},
	[COL_RSS] = {"RSS", 5, NUM, "resident (smaps Rss)"},
	[COL_PSS] = {"PSS", 5, NUM, "proportional share (smaps Pss)"},
	[COL_DIRTY] = {"DIRTY", 5, NUM,
		       "dirty resident (smaps Private_Dirty + Shared_Dirty)"},
	[COL_EXCL_DIRTY] = {"EXCL_DIRTY", 5, NUM,
			    "dirty, mapped by this process only (smaps "
			    "Private_Dirty: mapcount 1, not MAP_PRIVATE)"},
	[COL_SHARED_DIRTY] = {"SHARED_DIRTY", 5, NUM,
			      "dirty, mapped by other processes too (smaps "
			      "Shared_Dirty)"},
	[COL_SWAP] = {"SWAP", 5, NUM,
		      "swapped out private copies (smaps Swap)"},
	[COL_PG_PRESENT] = {"PG_PRESENT", 5, NUM,
			    "pages in the page table (/proc/PID/pagemap)"},
	[COL_PG_COW] = {"PG_COW", 5, NUM,
			"present pages that are private anonymous copies, "
			"not the file's (pagemap)"},
	[COL_PG_DIRTY] = {"PG_DIRTY", 5, NUM,
			  "present pages flagged dirty (kpageflags, root)"},
	[COL_PG_WB] = {"PG_WB", 5, NUM,
		       "present pages under writeback (kpageflags, root)"},
	[COL_PG_REF] = {"PG_REF", 5, NUM,
			"present pages flagged referenced (kpageflags, root)"},
	[COL_PG_MAPMAX] = {"PG_MAPMAX", 5, NUM,
			   "largest number of mappings of a present page "
			   "(kpagecount, root)"},
};

static const struct out_spec maps_spec = {
	.table = "maps",
	.cols = maps_columns,
	.ncols = sizeof(maps_columns) / sizeof(maps_columns[0]),
	.defaults = "PID,COMMAND,ADDRESS,OFFSET,PERMS,RSS,DIRTY,PG_DIRTY,"
		    "PG_WB,PG_MAPMAX,FILE",
};

enum {
	OCOL_PID,
	OCOL_COMMAND,
	OCOL_FD,
	OCOL_MODE,
	OCOL_FLAGS,
	OCOL_POS,
	OCOL_FILE,
};

static const struct out_column open_columns[] = {
	[OCOL_PID] = {"PID", 5, NUM, "process ID"},
	[OCOL_COMMAND] = {"COMMAND", 0.1, OUT_COL_TRUNC,
			  "command name (/proc/PID/comm)"},
	[OCOL_FD] = {"FD", 3, NUM, "descriptor number (/proc/PID/fd)"},
	[OCOL_MODE] = {"MODE", 2, 0,
		       "r, w or rw: how it was opened (/proc/PID/fdinfo)"},
	[OCOL_FLAGS] = {"FLAGS", 7, 0,
			"open flags in octal (/proc/PID/fdinfo)"},
	[OCOL_POS] = {"POS", 5, NUM, "file position (/proc/PID/fdinfo)"},
	[OCOL_FILE] = {"FILE", 0.3, OUT_COL_TRUNC, "file name as given"},
};

static const struct out_spec open_spec = {
	.table = "open",
	.cols = open_columns,
	.ncols = sizeof(open_columns) / sizeof(open_columns[0]),
	.defaults = "PID,COMMAND,FD,MODE,POS,FILE",
};

struct maps_opts {
	struct out_opts out;
	bool open_view;
};

/* A row: the mapping or descriptor, and the name of its file. */
struct maps_row {
	const struct pm_mapping *m;
	const struct pm_openfd *fd;
	const char *file;
};

static void usage(void)
{
	FILE *f = stdout;

	fputs("\nUsage:\n"
	      " fsinspect maps [options] PATH...\n"
	      "\nShow which processes map each file, and what their mappings\n"
	      "hold; with --open, which processes hold it open.  The files\n"
	      "are not opened.  Directories are walked.\n"
	      "\nOptions:\n",
	      f);
	fputs(out_options_help, f);
	fputs(" -O, --open             list open descriptors, not mappings\n"
	      " -h, --help             display this help\n"
	      " -V, --version          display version\n",
	      f);
	out_help_columns(&maps_spec, f);
	fputs("\nWith --open:", f);
	out_help_columns(&open_spec, f);
	fputs("\nSee fsinspect(1) for what each view may perturb.\n", f);
	exit(FSI_EXIT_OK);
}

static void parse_options(int argc, char **argv, struct maps_opts *o)
{
	static const struct option longopts[] = {
		OUT_LONGOPTS,
		{"open", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, OUT_SHORTOPTS "OhV", longopts,
				NULL)) != -1) {
		if (out_option(c, optarg, &o->out))
			continue;
		switch (c) {
		case 'O':
			o->open_view = true;
			break;
		case 'h':
			usage();
			break;
		case 'V':
			fsi_print_version();
			break;
		default:
			fsi_usage_hint("maps");
		}
	}
	if (optind == argc) {
		warnx("no file given");
		fsi_usage_hint("maps");
	}
}

static char *perms_sharing(const char *perms)
{
	return fsi_xstrdup(perms[3] == 's' ? "shared" : "private");
}

static char *maps_cell(const struct out *o, int id, const void *data)
{
	const struct maps_row *w = data;
	const struct pm_mapping *m = w->m;

	switch (id) {
	case COL_PID:
		return fsi_xasprintf("%d", m->pid);
	case COL_COMMAND:
		return out_text(m->comm);
	case COL_FILE:
		return out_text(w->file);
	case COL_ADDRESS:
		return fsi_xasprintf("%llx-%llx", (unsigned long long)m->start,
				     (unsigned long long)m->end);
	case COL_OFFSET:
		return out_count(o, m->offset);
	case COL_PERMS:
		return out_text(m->perms);
	case COL_SHARING:
		return perms_sharing(m->perms);
	case COL_SIZE:
		return out_size(o, m->end - m->start);
	case COL_RSS:
		return out_size(o, m->rss);
	case COL_PSS:
		return out_size(o, m->pss);
	case COL_DIRTY:
		return out_size(o, m->private_dirty + m->shared_dirty);
	case COL_EXCL_DIRTY:
		return out_size(o, m->private_dirty);
	case COL_SHARED_DIRTY:
		return out_size(o, m->shared_dirty);
	case COL_SWAP:
		return out_size(o, m->swap);
	case COL_PG_PRESENT:
		return out_count(o, m->pages.present);
	case COL_PG_COW:
		return out_count(o, m->pages.cow);
	case COL_PG_DIRTY:
		return out_count(o, m->pages.dirty);
	case COL_PG_WB:
		return out_count(o, m->pages.writeback);
	case COL_PG_REF:
		return out_count(o, m->pages.referenced);
	case COL_PG_MAPMAX:
		return out_count(o, m->pages.mapmax);
	}
	return NULL;
}

static char *access_mode(unsigned flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return fsi_xstrdup("r");
	case O_WRONLY:
		return fsi_xstrdup("w");
	}
	return fsi_xstrdup("rw");
}

static char *open_cell(const struct out *o, int id, const void *data)
{
	const struct maps_row *w = data;
	const struct pm_openfd *fd = w->fd;

	switch (id) {
	case OCOL_PID:
		return fsi_xasprintf("%d", fd->pid);
	case OCOL_COMMAND:
		return out_text(fd->comm);
	case OCOL_FD:
		return fsi_xasprintf("%d", fd->fd);
	case OCOL_MODE:
		return access_mode(fd->flags);
	case OCOL_FLAGS:
		return fsi_xasprintf("0%o", fd->flags);
	case OCOL_POS:
		return out_count(o, fd->pos);
	case OCOL_FILE:
		return out_text(w->file);
	}
	return NULL;
}

/* Rows in the order of the files, then by process and address. */
static int cmp_mapping(const void *a, const void *b)
{
	const struct pm_mapping *x = a, *y = b;

	if (x->target != y->target)
		return x->target - y->target;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_openfd(const void *a, const void *b)
{
	const struct pm_openfd *x = a, *y = b;

	if (x->target != y->target)
		return x->target - y->target;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd - y->fd;
}

static void print_rows(struct out *out, const struct walk_list *wl,
		       const struct pm_scan *s, bool open_view)
{
	struct maps_row w = {NULL, NULL, NULL};
	size_t i;

	if (open_view) {
		for (i = 0; i < s->nfds; i++) {
			w.fd = &s->fds[i];
			w.file = wl->v[s->fds[i].target].path;
			out_row(out, open_cell, &w);
		}
		return;
	}
	for (i = 0; i < s->nmaps; i++) {
		w.m = &s->maps[i];
		w.file = wl->v[s->maps[i].target].path;
		out_row(out, maps_cell, &w);
	}
}

static int scan(const struct walk_list *wl, bool open_view, struct pm_scan *s)
{
	struct pm_target *t = fsi_xcalloc(wl->n + 1, sizeof(*t));
	size_t i, nt = 0;
	int rc;

	for (i = 0; i < wl->n; i++) {
		if (wl->v[i].kind != WALK_FILE)
			continue;
		t[nt].dev = wl->v[i].st.st_dev;
		t[nt].ino = wl->v[i].st.st_ino;
		t[nt++].index = (int)i;
	}
	rc = open_view ? pm_scan_fds(t, nt, s) : pm_scan_maps(t, nt, true, s);
	free(t);
	if (rc)
		return rc;
	if (s->nfds)
		qsort(s->fds, s->nfds, sizeof(*s->fds), cmp_openfd);
	if (s->nmaps)
		qsort(s->maps, s->nmaps, sizeof(*s->maps), cmp_mapping);
	if (s->denied)
		warnx("cannot read %u process%s: what %s or hold%s open is "
		      "not shown",
		      s->denied, s->denied == 1 ? "" : "es",
		      s->denied == 1 ? "it maps" : "they map",
		      s->denied == 1 ? "s" : "");
	return 0;
}

int cmd_maps(int argc, char **argv)
{
	struct maps_opts o;
	struct walk_list wl;
	struct pm_scan s;
	struct out out;
	int status = FSI_EXIT_OK;

	parse_options(argc, argv, &o);
	if (out_init(&out, o.open_view ? &open_spec : &maps_spec, &o.out))
		fsi_usage_hint("maps");
	if (walk_paths(argv + optind, argc - optind, &wl))
		status = FSI_EXIT_PARTIAL;
	if (scan(&wl, o.open_view, &s) < 0)
		err(FSI_EXIT_FATAL, "cannot read '/proc'");
	print_rows(&out, &wl, &s, o.open_view);
	if (out_print(&out))
		status = FSI_EXIT_FATAL;
	pm_scan_free(&s);
	out_free(&out);
	walk_free(&wl);
	return status;
}
