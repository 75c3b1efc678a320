/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * svg.h - pictures: a timeline of what happened to files (requests, page
 * cache additions and removals, write-back) and the residency map of
 * files, as a self-contained SVG or an HTML page embedding it.
 *
 * Layer: presentation, beside output.c.  Events in, SVG out: callers
 * (fsinspect kernel, trace, cache) translate what they measured into
 * struct svg_event or struct svg_map_file; this module knows nothing of
 * tracefs, the daemon ring or cachestat.  The output has no external
 * resource (no fonts, scripts or links), so a browser shows it offline;
 * every text is XML-escaped here, callers pass plain strings.
 *
 * Timeline layout: one panel per file (inode), time on the x axis (the
 * same for every panel), the page offset in the file on the y axis
 * (page 0 at the top).  READ and WRITE requests are bars over their
 * duration and page range, other requests ticks above the panel, page
 * cache additions, removals and dirtied pages thin marks, a write-back
 * of the file a dashed line across the panel, a readahead window an
 * outline.
 *
 * Usage (as cmd_trace.c does):
 *
 *	struct svg_events evs = { 0 };
 *	for each record r:
 *		svg_event_from_record(r, fsi_page_size, &e);
 *		e.label = "READ of ...";
 *		svg_events_add(&evs, &e);
 *	struct svg_timeline tl = { .title = "fsinspect trace: /mnt",
 *				   .ev = evs.v, .nev = evs.n };
 *	err = svg_save_timeline(path, &tl);   0 or -errno
 *	svg_events_free(&evs);
 */
#ifndef FSI_SVG_H
#define FSI_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "glassfs_trace.h"
#include "resmap.h"

/* What a mark on the timeline stands for. */
enum svg_kind {
	SVG_READ,      /* a READ request: a bar over time and pages */
	SVG_WRITE,     /* a WRITE request: a bar */
	SVG_REQUEST,   /* any other request of the file: a tick above */
	SVG_CACHE_ADD, /* pages added to the page cache */
	SVG_CACHE_DEL, /* pages removed from it (evicted, invalidated) */
	SVG_DIRTY,     /* pages dirtied */
	SVG_WRITEBACK, /* the file (or a page range) written back */
	SVG_READAHEAD, /* a readahead window */
	SVG_NKINDS
};

struct svg_event {
	uint64_t t_ns;	       /* start; any clock, the same for all */
	uint64_t dur_ns;       /* 0: an instant */
	uint64_t ino;	       /* the file: one panel per inode */
	uint64_t first, pages; /* page range; pages 0: none */
	enum svg_kind kind;
	const char *label; /* tooltip text, or NULL */
};

/* A name for the panel of an inode (default "inode N"). */
struct svg_file {
	uint64_t ino;
	const char *name;
};

struct svg_timeline {
	const char *title;    /* required */
	const char *subtitle; /* or NULL */
	const struct svg_event *ev;
	size_t nev;
	const struct svg_file *files; /* optional names */
	size_t nfiles;
	uint64_t t0_ns, t1_ns; /* range drawn; both 0: the events' */
	uint64_t origin_ns;    /* time 0 of the axis labels; 0: t0 */
};

/* Most panels drawn; the subtitle says how many files were left out. */
#define SVG_MAX_PANELS 24

/*
 * Write @tl to @f: an SVG document, or with @html an HTML page with the
 * SVG inline.  Events are drawn in array order (callers need not sort).
 * Returns 0 or -EIO.
 */
int svg_timeline(FILE *f, const struct svg_timeline *tl, bool html);

/* One file of a residency map: @ncells cells (resmap_split()) whose
 * cached, dirty and writeback counts are filled in. */
struct svg_map_file {
	const char *name;
	uint64_t pages;
	const struct resmap_cell *cells;
	unsigned ncells;
};

struct svg_resmap {
	const char *title;
	const char *subtitle; /* or NULL */
	const struct svg_map_file *files;
	size_t nfiles;
};

/* The residency maps of @m->files, one bar per file.  0 or -EIO. */
int svg_resmap(FILE *f, const struct svg_resmap *m, bool html);

/* Write to the file @path (created or truncated), as HTML when it ends
 * in ".html" or ".htm".  0 or -errno. */
int svg_save_timeline(const char *path, const struct svg_timeline *tl);
int svg_save_resmap(const char *path, const struct svg_resmap *m);

/* Write @s as XML character data or attribute text: & < > " ' escaped,
 * control characters and invalid UTF-8 replaced by '?'. */
void svg_put_text(FILE *f, const char *s);

/* A daemon trace record (glassfs_trace.h) as an event: READ and WRITE
 * bars, other requests ticks; @label is left NULL. */
void svg_event_from_record(const struct gfs_trace_rec *r, uint64_t page_size,
			   struct svg_event *e);

/* Events collected as they come, for views that print as they go. */
struct svg_events {
	struct svg_event *v;
	size_t n, cap;
};

/* Append a copy of @e (and of its label). */
void svg_events_add(struct svg_events *s, const struct svg_event *e);
void svg_events_free(struct svg_events *s);

#endif
