/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * output.h - columns, -o parsing, tables and JSON for every subcommand.
 *
 * Layer: presentation.  A subcommand describes its columns once, in an
 * array of struct out_column; that array feeds --help (out_help_columns),
 * -o (out_init) and the table or JSON printed (out_row, out_print).
 * output.c is the only file that includes libsmartcols; it knows nothing
 * about page caches or processes, only strings and numbers.
 */
#ifndef FSI_OUTPUT_H
#define FSI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* struct out_column.flags */
enum {
	OUT_COL_RIGHT = 1 << 0,	 /* numbers: align right */
	OUT_COL_TRUNC = 1 << 1,	 /* may be truncated to fit the terminal */
	OUT_COL_NUMBER = 1 << 2, /* JSON number (null when unknown) */
	OUT_COL_BOOL = 1 << 3,	 /* JSON true/false */
};

struct out_column {
	const char *name; /* -o name, header; lowercased as JSON key */
	double whint;	  /* width hint: < 1 a fraction of the terminal */
	unsigned flags;
	const char *help; /* one line for --help: meaning and source */
};

/* What a subcommand's output looks like. */
struct out_spec {
	const char *table; /* JSON top-level key */
	const struct out_column *cols;
	int ncols;
	const char *defaults; /* default -o list */
};

/* struct out.flags: the common output options */
enum {
	OUT_JSON = 1 << 0,	 /* --json: implies OUT_BYTES */
	OUT_RAW = 1 << 1,	 /* --raw */
	OUT_NOHEADINGS = 1 << 2, /* -n, --noheadings */
	OUT_BYTES = 1 << 3,	 /* -b, --bytes: sizes in bytes */
	OUT_ASCII = 1 << 4,	 /* no UTF-8 in this locale (set by out_init) */
};

/* The output options every subcommand takes: -J -o -b -n --raw. */
struct out_opts {
	const char *columns; /* -o */
	unsigned flags;	     /* OUT_JSON, OUT_RAW, ... */
};

#define OUT_OPT_RAW 0x100 /* getopt_long value of --raw */
#define OUT_SHORTOPTS "Jo:bn"
/* clang-format off */
#define OUT_LONGOPTS					\
	{"json", no_argument, NULL, 'J'},		\
	{"output", required_argument, NULL, 'o'},	\
	{"bytes", no_argument, NULL, 'b'},		\
	{"noheadings", no_argument, NULL, 'n'},		\
	{"raw", no_argument, NULL, OUT_OPT_RAW}
/* clang-format on */

/* If getopt's @c is an output option, record it and return true. */
bool out_option(int c, const char *arg, struct out_opts *oo);

/* The --help lines of the output options. */
extern const char out_options_help[];

#define OUT_MAX_COLUMNS 64

struct out {
	const struct out_spec *spec;
	int ids[OUT_MAX_COLUMNS]; /* selected columns, in order */
	int nids;
	unsigned flags;
	unsigned printed; /* tables printed so far */
	char **notes;	  /* footnotes of the table being built */
	int nnotes;
	struct libscols_table *tb;
};

/*
 * Select the columns of @oo->columns ("A,B", or "+A,B" to append to the
 * defaults; NULL for the defaults).  Returns 0, or -EINVAL after a
 * message naming the unknown column.
 */
int out_init(struct out *o, const struct out_spec *spec,
	     const struct out_opts *oo);

/* Is column @id selected? */
bool out_has(const struct out *o, int id);

/* Select column @id if it is not, before column @before (-1: at the end).
 * Only before the first out_row(). */
void out_require(struct out *o, int id, int before);

/*
 * Produce the cell string of column @id for @data: a malloc'd string,
 * or NULL for an empty cell (JSON null).
 */
typedef char *(*out_cell_fn)(const struct out *o, int id, const void *data);

/* Add one row, asking @fn for each selected column. */
void out_row(struct out *o, out_cell_fn fn, const void *data);

/* A footnote printed under the table; not in JSON or --raw output, which
 * carry the same facts in columns (FLUSHED, SOURCE). */
void out_note(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the rows and notes added since the last call, then forget them.
 * Returns 0 or -EIO. */
int out_print(struct out *o);

void out_free(struct out *o);

/* The "Available output columns" block of --help. */
void out_help_columns(const struct out_spec *spec, FILE *f);

/* Cell formatters: malloc'd strings honouring the output flags. */
char *out_count(const struct out *o, uint64_t v);    /* "unknown" or null */
char *out_size(const struct out *o, uint64_t bytes); /* human or bytes */
char *out_percent(const struct out *o, uint64_t part, uint64_t whole);
char *out_bool(const struct out *o, bool v);
char *out_text(const char *s); /* copy, NULL stays NULL */

#endif
