/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stream.h - output one row at a time, for views that print as events
 * arrive (trace): a table whose widths are fixed in advance (the column
 * table's width hints) instead of measured over all rows, raw rows, or
 * JSON lines (one object per row, json-c).
 *
 * Layer: presentation.  Column selection is output.h's (out_init, -o);
 * the column table is the subcommand's, as for every other view.  Cells
 * are escaped for the terminal here: a file name may hold any byte.
 */
#ifndef FSI_STREAM_H
#define FSI_STREAM_H

#include <json-c/json.h>
#include <stdio.h>

#include "output.h"

struct stream {
	struct out o; /* selected columns and flags (no table) */
	bool header_done;
};

/* Text of a cell (malloc'd, NULL: empty) and its JSON value (NULL:
 * null), for column @id of @data. */
typedef char *(*stream_text_fn)(const struct stream *s, int id,
				const void *data);
typedef json_object *(*stream_json_fn)(const struct stream *s, int id,
				       const void *data);

/* out_init() for a stream; -EINVAL after a message on a bad -o. */
int stream_init(struct stream *s, const struct out_spec *spec,
		const struct out_opts *oo);

/* Print the heading now (unless -n or --json), not at the first row:
 * a live view shows its columns before anything happens. */
void stream_header(struct stream *s);

/* Print one row (the heading first, once, unless -n or --json). */
void stream_row(struct stream *s, stream_text_fn text, stream_json_fn json,
		const void *data);

/* Print @obj as one JSON line and release it. */
void stream_json(json_object *obj);

/* A comment line "# ..." (text output only). */
void stream_comment(const struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Flush stdout: 0, or -EIO when the output is gone. */
int stream_flush(void);

/* @str with non-printable bytes (and, if @space, blanks and '\') as
 * \xNN: a malloc'd string safe to print on a terminal. */
char *stream_escape(const char *str, bool space);

/* A JSON number written with @decimals decimals ("8.487305", not
 * "8.4873047069999998"). */
json_object *stream_json_double(double v, int decimals);

/* The JSON key of a column: its name in lower case (a static buffer). */
const char *stream_key(const char *name);

#endif
