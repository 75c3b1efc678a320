// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * output.c - the one place where fsinspect talks to libsmartcols.
 *
 * Layer: presentation.  Column selection (-o), table, raw and JSON
 * output, footnotes and the formatting of figures (sizes, counts,
 * "unknown").  Knows the column tables only through struct out_spec; must
 * not measure anything.
 *
 * JSON rules: figures are numbers (sizes in bytes whatever --bytes says),
 * an unknown figure is null, never a string, so that a consumer cannot
 * mistake it for a measurement.
 */
#include <err.h>
#include <errno.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libsmartcols.h>

#include "fsinspect.h"
#include "output.h"

static int column_by_name(const struct out_spec *spec, const char *name,
			  size_t len)
{
	int i;

	for (i = 0; i < spec->ncols; i++) {
		const char *cn = spec->cols[i].name;

		if (strlen(cn) == len && !strncasecmp(cn, name, len))
			return i;
	}
	return -1;
}

/* Append the columns named in the comma-separated @list. */
static int select_columns(struct out *o, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		int id = column_by_name(o->spec, p, len);

		if (id < 0) {
			warnx("unknown column '%.*s'", (int)len, p);
			return -EINVAL;
		}
		if (o->nids == OUT_MAX_COLUMNS) {
			warnx("too many columns in '%s'", list);
			return -EINVAL;
		}
		o->ids[o->nids++] = id;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

bool out_has(const struct out *o, int id)
{
	int i;

	for (i = 0; i < o->nids; i++)
		if (o->ids[i] == id)
			return true;
	return false;
}

void out_require(struct out *o, int id, int before)
{
	int i, at = o->nids;

	if (out_has(o, id) || o->nids == OUT_MAX_COLUMNS)
		return;
	for (i = 0; i < o->nids; i++)
		if (o->ids[i] == before)
			at = i;
	memmove(&o->ids[at + 1], &o->ids[at],
		(o->nids - at) * sizeof(o->ids[0]));
	o->ids[at] = id;
	o->nids++;
}

static bool locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && !strcasecmp(cs, "UTF-8");
}

const char out_options_help[] =
	" -J, --json             use JSON output format\n"
	" -o, --output LIST      output columns (+LIST to append)\n"
	" -b, --bytes            print sizes in bytes\n"
	" -n, --noheadings       do not print headings\n"
	"     --raw              use raw output format\n";

bool out_option(int c, const char *arg, struct out_opts *oo)
{
	switch (c) {
	case 'J':
		oo->flags |= OUT_JSON;
		return true;
	case 'o':
		oo->columns = arg;
		return true;
	case 'b':
		oo->flags |= OUT_BYTES;
		return true;
	case 'n':
		oo->flags |= OUT_NOHEADINGS;
		return true;
	case OUT_OPT_RAW:
		oo->flags |= OUT_RAW;
		return true;
	}
	return false;
}

int out_init(struct out *o, const struct out_spec *spec,
	     const struct out_opts *oo)
{
	const char *list = oo->columns;
	int rc;

	memset(o, 0, sizeof(*o));
	o->spec = spec;
	o->flags = oo->flags;
	if (o->flags & OUT_JSON) /* JSON wins over --raw and -n */
		o->flags = (o->flags | OUT_BYTES) & ~(OUT_RAW | OUT_NOHEADINGS);
	if (!locale_is_utf8())
		o->flags |= OUT_ASCII;
	if (!list || *list == '+') {
		rc = select_columns(o, spec->defaults);
		if (rc)
			return rc;
		if (list)
			list++;
	}
	return list ? select_columns(o, list) : 0;
}

/* The table is created at the first row, once out_require() is done. */
static void create_table(struct out *o)
{
	int i;

	scols_init_debug(0);
	o->tb = scols_new_table();
	if (!o->tb)
		errx(FSI_EXIT_FATAL, "cannot create output table");
	scols_table_set_name(o->tb, o->spec->table);
	scols_table_enable_json(o->tb, !!(o->flags & OUT_JSON));
	scols_table_enable_raw(o->tb, !!(o->flags & OUT_RAW));
	scols_table_enable_noheadings(o->tb, !!(o->flags & OUT_NOHEADINGS));
	for (i = 0; i < o->nids; i++) {
		const struct out_column *c = &o->spec->cols[o->ids[i]];
		struct libscols_column *cl;
		int fl = 0;

		if (c->flags & OUT_COL_RIGHT)
			fl |= SCOLS_FL_RIGHT;
		if (c->flags & OUT_COL_TRUNC)
			fl |= SCOLS_FL_TRUNC;
		cl = scols_table_new_column(o->tb, c->name, c->whint, fl);
		if (!cl)
			errx(FSI_EXIT_FATAL, "cannot create output column");
		if (c->flags & OUT_COL_NUMBER)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		else if (c->flags & OUT_COL_BOOL)
			scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN);
	}
}

void out_row(struct out *o, out_cell_fn fn, const void *data)
{
	struct libscols_line *ln;
	int i;

	if (!o->tb)
		create_table(o);
	ln = scols_table_new_line(o->tb, NULL);
	if (!ln)
		errx(FSI_EXIT_FATAL, "cannot add an output line");
	for (i = 0; i < o->nids; i++) {
		char *s = fn(o, o->ids[i], data);

		if (s && scols_line_refer_data(ln, i, s))
			errx(FSI_EXIT_FATAL, "cannot set an output cell");
	}
}

void out_note(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		errx(FSI_EXIT_FATAL, "cannot allocate a note");
	va_end(ap);
	o->notes = fsi_xrealloc(o->notes, o->nnotes + 1, sizeof(*o->notes));
	o->notes[o->nnotes++] = s;
}

static void drop_notes(struct out *o)
{
	int i;

	for (i = 0; i < o->nnotes; i++)
		free(o->notes[i]);
	free(o->notes);
	o->notes = NULL;
	o->nnotes = 0;
}

int out_print(struct out *o)
{
	int i, rc = 0;

	/* An empty JSON document still parses; an empty table is silent. */
	if (!o->tb && (o->flags & OUT_JSON))
		create_table(o);
	if (o->tb && (scols_table_get_nlines(o->tb) || (o->flags & OUT_JSON))) {
		/* Successive tables (--watch) are separated by a blank line;
		 * in JSON each is a document of its own. */
		if (o->printed++ && !(o->flags & OUT_JSON))
			fputc('\n', stdout);
		if (scols_print_table(o->tb))
			rc = -EIO;
		scols_table_remove_lines(o->tb);
	}
	if (!(o->flags & (OUT_JSON | OUT_RAW)))
		for (i = 0; i < o->nnotes; i++)
			printf("note: %s\n", o->notes[i]);
	drop_notes(o);
	if (fflush(stdout) || ferror(stdout))
		rc = -EIO;
	return rc;
}

void out_free(struct out *o)
{
	drop_notes(o);
	scols_unref_table(o->tb);
	o->tb = NULL;
}

void out_help_columns(const struct out_spec *spec, FILE *f)
{
	int i;

	fprintf(f, "\nAvailable output columns (default: %s):\n",
		spec->defaults);
	for (i = 0; i < spec->ncols; i++)
		fprintf(f, " %-14s %s\n", spec->cols[i].name,
			spec->cols[i].help);
}

char *out_count(const struct out *o, uint64_t v)
{
	if (v == FSI_UNKNOWN)
		return o->flags & OUT_JSON ? NULL : fsi_xstrdup("unknown");
	return fsi_xasprintf("%llu", (unsigned long long)v);
}

/* 1536 -> "1.5K", 4096 -> "4K": one decimal, dropped when it is 0. */
static char *human_size(uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	int u = 0;
	char *s, *dot;

	while (v >= 1024 && units[u + 1]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		return fsi_xasprintf("%lluB", (unsigned long long)bytes);
	s = fsi_xasprintf("%.1f%c", v, units[u]);
	dot = strchr(s, '.');
	if (dot && dot[1] == '0')
		memmove(dot, dot + 2, strlen(dot + 2) + 1);
	return s;
}

char *out_size(const struct out *o, uint64_t bytes)
{
	if (bytes == FSI_UNKNOWN)
		return out_count(o, bytes);
	if (o->flags & OUT_BYTES)
		return fsi_xasprintf("%llu", (unsigned long long)bytes);
	return human_size(bytes);
}

char *out_percent(const struct out *o, uint64_t part, uint64_t whole)
{
	double pc;

	if (part == FSI_UNKNOWN || whole == FSI_UNKNOWN)
		return out_count(o, FSI_UNKNOWN);
	if (whole == 0)
		return NULL;
	pc = 100.0 * (double)part / (double)whole;
	return fsi_xasprintf("%.1f", pc);
}

char *out_bool(const struct out *o, bool v)
{
	return fsi_xstrdup(v ? "yes" : "no");
}

char *out_text(const char *s)
{
	return s ? fsi_xstrdup(s) : NULL;
}
