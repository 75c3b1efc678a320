// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svg.c - see svg.h: the timeline and residency map pictures.
 *
 * Layer: presentation.  Writes with fprintf to a FILE the caller owns;
 * coordinates are computed here from the layout constants below, and
 * each mark carries a class ("ev read", "cell dirty") and data-*
 * attributes so that tests (and people) can find them in the document.
 * Colours are the common "category10" palette, which stays readable for
 * the usual colour blindness when paired with the legend's shapes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsinspect.h"
#include "svg.h"

/* Timeline layout, in pixels. */
#define TL_WIDTH 1200
#define TL_LEFT 110 /* room for the page labels */
#define TL_RIGHT 30
#define TL_PLOT_W (TL_WIDTH - TL_LEFT - TL_RIGHT)
#define TL_HEADER 92 /* title, subtitle, legend */
#define TL_PANEL_TITLE 18
#define TL_STRIP 12 /* ticks of other requests */
#define TL_PLOT_H 160
#define TL_AXIS 30
#define TL_GAP 12
#define TL_PANEL (TL_PANEL_TITLE + TL_STRIP + TL_PLOT_H + TL_AXIS + TL_GAP)

/* Residency map layout. */
#define RM_WIDTH 1000
#define RM_LEFT 20
#define RM_RIGHT 20
#define RM_BAR_W (RM_WIDTH - RM_LEFT - RM_RIGHT)
#define RM_HEADER 92
#define RM_ROW 76
#define RM_BAR_H 26

struct kind_style {
	const char *cls; /* class after "ev " */
	const char *color;
	const char *legend;
};

static const struct kind_style styles[SVG_NKINDS] = {
	[SVG_READ] = {"read", "#1f77b4", "READ request"},
	[SVG_WRITE] = {"write", "#ff7f0e", "WRITE request"},
	[SVG_REQUEST] = {"request", "#7f7f7f", "other request"},
	[SVG_CACHE_ADD] = {"cache-add", "#2ca02c", "page cache add"},
	[SVG_CACHE_DEL] = {"cache-del", "#d62728", "page cache remove"},
	[SVG_DIRTY] = {"dirty", "#9467bd", "page dirtied"},
	[SVG_WRITEBACK] = {"writeback", "#8c564b", "write-back"},
	[SVG_READAHEAD] = {"readahead", "#17becf", "readahead window"},
};

/* ------------------------------------------------------------------ */
/* Text                                                               */

/* Length of the valid UTF-8 sequence at @s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void svg_put_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0 || (*p < 0x20 && *p != '\t') || *p == 0x7f) {
			fputc('?', f);
			p++;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fwrite(p, 1, n, f);
		}
		p += n;
	}
}

static void text_at(FILE *f, double x, double y, const char *attrs,
		    const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
	svg_put_text(f, s);
	fputs("</text>\n", f);
}

static void doc_begin(FILE *f, int w, int h, const char *title, bool html)
{
	if (html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		      "<meta charset=\"utf-8\">\n<title>",
		      f);
		svg_put_text(f, title);
		fputs("</title>\n<style>html,body{margin:0;padding:0;"
		      "background:#fff}svg{display:block}</style>\n</head>\n"
		      "<body>\n",
		      f);
	} else {
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	}
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" "
		"font-size=\"12\">\n<title>",
		w, h, w, h);
	svg_put_text(f, title);
	fprintf(f,
		"</title>\n<rect class=\"background\" x=\"0\" y=\"0\" "
		"width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		w, h);
}

static int doc_end(FILE *f, bool html)
{
	fputs("</svg>\n", f);
	if (html)
		fputs("</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}

static void header(FILE *f, const char *title, const char *subtitle)
{
	text_at(f, 16, 26, "font-size=\"18\" font-weight=\"bold\"", title);
	if (subtitle)
		text_at(f, 16, 46, "fill=\"#444444\"", subtitle);
}

/* ------------------------------------------------------------------ */
/* The timeline                                                       */

struct panel {
	uint64_t ino;
	const char *name;
	uint64_t max_page; /* the y axis spans pages [0, max_page) */
};

struct tl_frame {
	uint64_t t0, t1, origin;
	struct panel *p;
	size_t np, dropped;
};

static double x_of(const struct tl_frame *fr, uint64_t t)
{
	if (t < fr->t0)
		t = fr->t0;
	return TL_LEFT +
	       (double)(t - fr->t0) * TL_PLOT_W / (double)(fr->t1 - fr->t0);
}

static double plot_top(size_t i)
{
	return TL_HEADER + (double)i * TL_PANEL + TL_PANEL_TITLE + TL_STRIP;
}

static double y_of(const struct panel *p, size_t i, uint64_t page)
{
	if (page > p->max_page)
		page = p->max_page;
	return plot_top(i) + (double)page * TL_PLOT_H / (double)p->max_page;
}

static const char *file_name(const struct svg_timeline *tl, uint64_t ino)
{
	size_t i;

	for (i = 0; i < tl->nfiles; i++)
		if (tl->files[i].ino == ino)
			return tl->files[i].name;
	return NULL;
}

static size_t panel_of(const struct tl_frame *fr, uint64_t ino)
{
	size_t i;

	for (i = 0; i < fr->np; i++)
		if (fr->p[i].ino == ino)
			return i;
	return SIZE_MAX;
}

static int cmp_panel(const void *a, const void *b)
{
	const struct panel *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Panels (files in inode order, at most SVG_MAX_PANELS) and the time
 * range. */
static void frame(const struct svg_timeline *tl, struct tl_frame *fr)
{
	uint64_t pad;
	size_t i, k;

	memset(fr, 0, sizeof(*fr));
	fr->p = fsi_xcalloc(tl->nev + 1, sizeof(*fr->p));
	fr->t0 = UINT64_MAX;
	for (i = 0; i < tl->nev; i++) {
		const struct svg_event *e = &tl->ev[i];

		fr->t0 = e->t_ns < fr->t0 ? e->t_ns : fr->t0;
		fr->t1 = e->t_ns + e->dur_ns > fr->t1 ? e->t_ns + e->dur_ns
						      : fr->t1;
		k = panel_of(fr, e->ino);
		if (k == SIZE_MAX) {
			k = fr->np++;
			fr->p[k].ino = e->ino;
			fr->p[k].name = file_name(tl, e->ino);
			fr->p[k].max_page = 1;
		}
		if (e->pages && e->first + e->pages > fr->p[k].max_page)
			fr->p[k].max_page = e->first + e->pages;
	}
	if (fr->t0 == UINT64_MAX)
		fr->t0 = fr->t1 = 0;
	/* At least a millisecond, so that one instant is not a division
	 * by zero and a short trace is not stretched absurdly; a margin so
	 * that the first and last marks are not on the frame. */
	if (fr->t1 < fr->t0 + 1000000)
		fr->t1 = fr->t0 + 1000000;
	pad = (fr->t1 - fr->t0) / 50;
	fr->t0 = fr->t0 > pad ? fr->t0 - pad : 0;
	fr->t1 += pad;
	if (tl->t0_ns || tl->t1_ns) {
		fr->t0 = tl->t0_ns;
		fr->t1 = tl->t1_ns > tl->t0_ns ? tl->t1_ns : tl->t0_ns + 1;
	}
	fr->origin = tl->origin_ns ? tl->origin_ns : fr->t0;
	if (fr->np)
		qsort(fr->p, fr->np, sizeof(*fr->p), cmp_panel);
	if (fr->np > SVG_MAX_PANELS) {
		fr->dropped = fr->np - SVG_MAX_PANELS;
		fr->np = SVG_MAX_PANELS;
	}
}

static void legend(FILE *f, const enum svg_kind *kinds, size_t n, double y)
{
	double x = 16;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kind_style *s = &styles[kinds[i]];

		if (kinds[i] == SVG_READAHEAD)
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
				"height=\"12\" fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"2\"/>\n",
				x, y - 10, s->color);
		else
			fprintf(f,
				"<rect class=\"legend %s\" x=\"%.1f\" "
				"y=\"%.1f\" width=\"12\" height=\"12\" "
				"fill=\"%s\"/>\n",
				s->cls, x, y - 10, s->color);
		text_at(f, x + 17, y, "", s->legend);
		x += 30 + 7.0 * (double)strlen(s->legend);
	}
}

/* A step of 1, 2 or 5 times a power of ten, giving 4 to 10 ticks. */
static uint64_t tick_step(uint64_t span)
{
	uint64_t mag = 1;
	static const unsigned mult[] = {1, 2, 5};

	while (mag * 10 <= span / 4)
		mag *= 10;
	for (;;) {
		for (int i = 0; i < 3; i++)
			if (span / (mag * mult[i]) <= 10)
				return mag * mult[i];
		mag *= 10;
	}
}

/* @ns from the origin, in the unit of the axis' largest value @span and
 * with the decimals @step needs: "9.2 ms", not "9200 us". */
static void time_label(char *buf, size_t size, int64_t ns, uint64_t step,
		       uint64_t span)
{
	static const struct {
		double scale;
		const char *unit;
	} units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "\xc2\xb5s"}, {1, "ns"}};
	double step_u;
	int u = 0, d = 0;

	while (u < 3 && (double)span < units[u].scale)
		u++;
	step_u = (double)step / units[u].scale;
	while (d < 6 && step_u * pow(10, d) < 0.999)
		d++;
	snprintf(buf, size, "%.*f %s", d, (double)ns / units[u].scale,
		 units[u].unit);
}

/* The first tick: a multiple of @step from the origin, at or after t0. */
static uint64_t first_tick(const struct tl_frame *fr, uint64_t step)
{
	uint64_t k;

	if (fr->origin >= fr->t0)
		return fr->origin - (fr->origin - fr->t0) / step * step;
	k = (fr->t0 - fr->origin + step - 1) / step;
	return fr->origin + k * step;
}

static void time_axis(FILE *f, const struct tl_frame *fr, size_t i)
{
	uint64_t step = tick_step(fr->t1 - fr->t0), t;
	double top = plot_top(i), bottom = top + TL_PLOT_H;
	char label[48];

	fprintf(f,
		"<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
		"y2=\"%.1f\" stroke=\"#333333\"/>\n",
		TL_LEFT, bottom, TL_LEFT + TL_PLOT_W, bottom);
	for (t = first_tick(fr, step); t <= fr->t1; t += step) {
		double x = x_of(fr, t);

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#e6e6e6\"/>\n",
			x, top, x, bottom);
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#333333\"/>\n",
			x, bottom, x, bottom + 5);
		time_label(label, sizeof(label), (int64_t)(t - fr->origin),
			   step, fr->t1 > fr->origin ? fr->t1 - fr->origin : 0);
		text_at(f, x, bottom + 18, "text-anchor=\"middle\"", label);
	}
}

static void page_axis(FILE *f, const struct panel *p, size_t i)
{
	double top = plot_top(i);
	char label[48];

	fprintf(f,
		"<rect class=\"plot\" x=\"%d\" y=\"%.1f\" width=\"%d\" "
		"height=\"%d\" fill=\"none\" stroke=\"#bbbbbb\"/>\n",
		TL_LEFT, top, TL_PLOT_W, TL_PLOT_H);
	text_at(f, TL_LEFT - 6, top + 10, "text-anchor=\"end\"", "page 0");
	snprintf(label, sizeof(label), "page %" PRIu64, p->max_page);
	text_at(f, TL_LEFT - 6, top + TL_PLOT_H, "text-anchor=\"end\"", label);
	text_at(f, TL_LEFT - 6, top + TL_PLOT_H / 2.0 + 4,
		"text-anchor=\"end\" fill=\"#666666\"", "offset \xe2\x86\x93");
}

static void panel_frame(FILE *f, const struct tl_frame *fr, size_t i)
{
	const struct panel *p = &fr->p[i];
	char title[600];

	if (p->name)
		snprintf(title, sizeof(title), "%s (inode %" PRIu64 ")",
			 p->name, p->ino);
	else
		snprintf(title, sizeof(title), "inode %" PRIu64, p->ino);
	fprintf(f, "<g class=\"panel\" data-ino=\"%" PRIu64 "\">\n", p->ino);
	text_at(f, TL_LEFT, TL_HEADER + (double)i * TL_PANEL + 13,
		"font-weight=\"bold\"", title);
	page_axis(f, p, i);
	time_axis(f, fr, i);
	fputs("</g>\n", f);
}

/* The box of event @e in panel @i: x, y, width, height. */
static void event_box(const struct tl_frame *fr, size_t i,
		      const struct svg_event *e, double box[4])
{
	const struct panel *p = &fr->p[i];
	double x0 = x_of(fr, e->t_ns), x1 = x_of(fr, e->t_ns + e->dur_ns);
	double min_w = e->kind == SVG_READAHEAD ? 6 : 2;

	box[0] = x0;
	box[2] = x1 - x0 < min_w ? min_w : x1 - x0;
	if (e->kind == SVG_REQUEST) {
		box[1] = plot_top(i) - TL_STRIP + 1;
		box[3] = TL_STRIP - 2;
		box[2] = x1 - x0 < 1.5 ? 1.5 : x1 - x0;
	} else if (!e->pages) {
		box[1] = plot_top(i);
		box[3] = TL_PLOT_H;
	} else {
		box[1] = y_of(p, i, e->first);
		box[3] = y_of(p, i, e->first + e->pages) - box[1];
		if (box[3] < 1.5)
			box[3] = 1.5;
	}
}

static void draw_event(FILE *f, const struct tl_frame *fr,
		       const struct svg_event *e)
{
	size_t i = panel_of(fr, e->ino);
	const struct kind_style *s;
	double b[4];

	if (i == SIZE_MAX || e->kind >= SVG_NKINDS)
		return;
	s = &styles[e->kind];
	event_box(fr, i, e, b);
	if (e->kind == SVG_WRITEBACK && !e->pages)
		fprintf(f,
			"<line class=\"ev %s\" x1=\"%.2f\" y1=\"%.2f\" "
			"x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
			"stroke-width=\"2\" "
			"stroke-dasharray=\"5,3\">",
			s->cls, b[0], b[1], b[0], b[1] + b[3], s->color);
	else if (e->kind == SVG_READAHEAD)
		fprintf(f,
			"<rect class=\"ev %s\" x=\"%.2f\" y=\"%.2f\" "
			"width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
			"stroke=\"%s\" stroke-width=\"1.5\">",
			s->cls, b[0], b[1], b[2], b[3], s->color);
	else
		fprintf(f,
			"<rect class=\"ev %s\" x=\"%.2f\" y=\"%.2f\" "
			"width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
			"data-first=\"%" PRIu64 "\" data-pages=\"%" PRIu64
			"\">",
			s->cls, b[0], b[1], b[2], b[3], s->color, e->first,
			e->pages);
	if (e->label) {
		fputs("<title>", f);
		svg_put_text(f, e->label);
		fputs("</title>", f);
	}
	fputs(e->kind == SVG_WRITEBACK && !e->pages ? "</line>\n" : "</rect>\n",
	      f);
}

/* Outlines first, then bars, then the thin marks on top. */
static void draw_events(FILE *f, const struct svg_timeline *tl,
			const struct tl_frame *fr)
{
	static const enum svg_kind order[] = {
		SVG_READAHEAD, SVG_READ,      SVG_WRITE, SVG_REQUEST,
		SVG_CACHE_ADD, SVG_CACHE_DEL, SVG_DIRTY, SVG_WRITEBACK,
	};
	size_t k, i;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < tl->nev; i++)
			if (tl->ev[i].kind == order[k])
				draw_event(f, fr, &tl->ev[i]);
}

int svg_timeline(FILE *f, const struct svg_timeline *tl, bool html)
{
	static const enum svg_kind all[] = {
		SVG_READ,      SVG_WRITE, SVG_REQUEST,	 SVG_CACHE_ADD,
		SVG_CACHE_DEL, SVG_DIRTY, SVG_WRITEBACK, SVG_READAHEAD,
	};
	struct tl_frame fr;
	char sub[512];
	size_t i;
	int h;

	frame(tl, &fr);
	h = TL_HEADER + (int)(fr.np ? fr.np : 1) * TL_PANEL + 8;
	doc_begin(f, TL_WIDTH, h, tl->title, html);
	snprintf(sub, sizeof(sub), "%s%s", tl->subtitle ? tl->subtitle : "",
		 fr.dropped ? " (more files than panels: some not drawn)" : "");
	header(f, tl->title, sub[0] ? sub : NULL);
	legend(f, all, sizeof(all) / sizeof(all[0]), 74);
	if (!fr.np)
		text_at(f, TL_LEFT, TL_HEADER + 40, "fill=\"#666666\"",
			"no event of any file in this time");
	for (i = 0; i < fr.np; i++)
		panel_frame(f, &fr, i);
	draw_events(f, tl, &fr);
	free(fr.p);
	return doc_end(f, html);
}

void svg_event_from_record(const struct gfs_trace_rec *r, uint64_t page_size,
			   struct svg_event *e)
{
	memset(e, 0, sizeof(*e));
	e->t_ns = r->t_ns;
	e->dur_ns = r->dur_ns;
	e->ino = r->ino;
	if (r->op == GFS_OP_READ || r->op == GFS_OP_WRITE) {
		e->kind = r->op == GFS_OP_READ ? SVG_READ : SVG_WRITE;
		if (r->len && page_size) {
			e->first = r->off / page_size;
			e->pages =
				(r->off + r->len + page_size - 1) / page_size -
				e->first;
		}
	} else {
		e->kind = SVG_REQUEST;
	}
}

void svg_events_add(struct svg_events *s, const struct svg_event *e)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = fsi_xrealloc(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n] = *e;
	s->v[s->n++].label = e->label ? fsi_xstrdup(e->label) : NULL;
}

void svg_events_free(struct svg_events *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free((char *)s->v[i].label);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* The residency map                                                  */

enum cell_state {
	CELL_NONE,
	CELL_LOW,
	CELL_MID,
	CELL_HIGH,
	CELL_ALL,
	CELL_DIRTY,
	CELL_WB,
	CELL_UNKNOWN,
	CELL_NSTATES
};

static const struct {
	const char *cls, *color, *legend;
} cell_styles[CELL_NSTATES] = {
	[CELL_NONE] = {"none", "#eeeeee", "not cached"},
	[CELL_LOW] = {"low", "#c7e9c0", "< 1/3 cached"},
	[CELL_MID] = {"mid", "#74c476", "< 2/3 cached"},
	[CELL_HIGH] = {"high", "#31a354", "most cached"},
	[CELL_ALL] = {"all", "#006d2c", "all cached"},
	[CELL_DIRTY] = {"dirty", "#d62728", "dirty"},
	[CELL_WB] = {"writeback", "#ff7f0e", "under write-back"},
	[CELL_UNKNOWN] = {"unknown", "#9e9e9e", "unknown"},
};

/* The same precedence as the terminal map (resmap.c). */
static enum cell_state cell_state(const struct resmap_cell *c)
{
	if (c->dirty != FSI_UNKNOWN && c->dirty)
		return CELL_DIRTY;
	if (c->writeback != FSI_UNKNOWN && c->writeback)
		return CELL_WB;
	if (c->cached == FSI_UNKNOWN)
		return CELL_UNKNOWN;
	if (c->cached == 0)
		return CELL_NONE;
	if (c->cached >= c->pages)
		return CELL_ALL;
	if (3 * c->cached < c->pages)
		return CELL_LOW;
	return 3 * c->cached < 2 * c->pages ? CELL_MID : CELL_HIGH;
}

static void map_legend(FILE *f)
{
	double x = 16;
	int s;

	for (s = 0; s < CELL_NSTATES; s++) {
		fprintf(f,
			"<rect x=\"%.1f\" y=\"64\" width=\"12\" height=\"12\" "
			"fill=\"%s\" stroke=\"#999999\" "
			"stroke-width=\"0.5\"/>\n",
			x, cell_styles[s].color);
		text_at(f, x + 17, 74, "", cell_styles[s].legend);
		x += 30 + 7.0 * (double)strlen(cell_styles[s].legend);
	}
}

static double cell_x(const struct svg_map_file *m, uint64_t page)
{
	return RM_LEFT + (double)page * RM_BAR_W / (double)m->pages;
}

/* Adjacent cells of one state are one rectangle. */
static void map_cells(FILE *f, const struct svg_map_file *m, double y)
{
	unsigned i = 0, j;

	while (i < m->ncells) {
		enum cell_state st = cell_state(&m->cells[i]);
		uint64_t first = m->cells[i].first, end;

		for (j = i + 1; j < m->ncells && cell_state(&m->cells[j]) == st;
		     j++)
			;
		end = m->cells[j - 1].first + m->cells[j - 1].pages;
		fprintf(f,
			"<rect class=\"cell %s\" x=\"%.2f\" y=\"%.1f\" "
			"width=\"%.2f\" height=\"%d\" fill=\"%s\" "
			"data-first=\"%" PRIu64 "\" data-pages=\"%" PRIu64
			"\"><title>pages %" PRIu64 "-%" PRIu64 ": %s</title>"
			"</rect>\n",
			cell_styles[st].cls, cell_x(m, first), y,
			cell_x(m, end) - cell_x(m, first), RM_BAR_H,
			cell_styles[st].color, first, end - first, first,
			end - 1, cell_styles[st].legend);
		i = j;
	}
}

/* "ten: 1088 of 2560 pages cached, 3 dirty" from the cells. */
static void map_title(const struct svg_map_file *m, char *buf, size_t size)
{
	uint64_t cached = 0, dirty = 0;
	bool known = true;
	unsigned i;

	for (i = 0; i < m->ncells; i++) {
		if (m->cells[i].cached == FSI_UNKNOWN)
			known = false;
		else
			cached += m->cells[i].cached;
		if (m->cells[i].dirty != FSI_UNKNOWN)
			dirty += m->cells[i].dirty;
	}
	if (!known)
		snprintf(buf, size, "%s: %" PRIu64 " pages, cached unknown",
			 m->name, m->pages);
	else
		snprintf(buf, size,
			 "%s: %" PRIu64 " of %" PRIu64 " page%s "
			 "cached%s",
			 m->name, cached, m->pages, m->pages == 1 ? "" : "s",
			 dirty ? ", some dirty" : "");
}

static void map_row(FILE *f, const struct svg_map_file *m, size_t i)
{
	double y = RM_HEADER + (double)i * RM_ROW;
	char label[640];

	fputs("<g class=\"file\">\n", f);
	map_title(m, label, sizeof(label));
	text_at(f, RM_LEFT, y + 14, "font-weight=\"bold\"", label);
	fprintf(f,
		"<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%d\" "
		"height=\"%d\" fill=\"#ffffff\" stroke=\"#888888\"/>\n",
		RM_LEFT, y + 20, RM_BAR_W, RM_BAR_H);
	if (m->pages && m->ncells)
		map_cells(f, m, y + 20);
	else
		text_at(f, RM_LEFT + 6, y + 38, "fill=\"#666666\"",
			"empty file");
	text_at(f, RM_LEFT, y + 20 + RM_BAR_H + 14, "", "page 0");
	snprintf(label, sizeof(label), "page %" PRIu64, m->pages);
	text_at(f, RM_LEFT + RM_BAR_W, y + 20 + RM_BAR_H + 14,
		"text-anchor=\"end\"", label);
	fputs("</g>\n", f);
}

int svg_resmap(FILE *f, const struct svg_resmap *m, bool html)
{
	size_t i;
	int h = RM_HEADER + (int)(m->nfiles ? m->nfiles : 1) * RM_ROW;

	doc_begin(f, RM_WIDTH, h, m->title, html);
	header(f, m->title, m->subtitle);
	map_legend(f);
	for (i = 0; i < m->nfiles; i++)
		map_row(f, &m->files[i], i);
	return doc_end(f, html);
}

/* ------------------------------------------------------------------ */
/* Files                                                              */

static bool wants_html(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm"));
}

static int save(const char *path, int (*fn)(FILE *, const void *, bool),
		const void *arg)
{
	FILE *f = fopen(path, "we");
	int err;

	if (!f)
		return -errno;
	err = fn(f, arg, wants_html(path));
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int timeline_fn(FILE *f, const void *arg, bool html)
{
	return svg_timeline(f, arg, html);
}

static int resmap_fn(FILE *f, const void *arg, bool html)
{
	return svg_resmap(f, arg, html);
}

int svg_save_timeline(const char *path, const struct svg_timeline *tl)
{
	return save(path, timeline_fn, tl);
}

int svg_save_resmap(const char *path, const struct svg_resmap *m)
{
	return save(path, resmap_fn, m);
}
