// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stream.c - see stream.h.  A column's width hint of 1 or more is its
 * width; a fractional one (a path) means "the rest of the line": such a
 * column should be last, and is never padded.  Cells wider than their
 * column push the rest of the row right rather than being cut: a trace
 * line must not lose a digit.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "fsinspect.h"
#include "stream.h"

int stream_init(struct stream *s, const struct out_spec *spec,
		const struct out_opts *oo)
{
	memset(s, 0, sizeof(*s));
	return out_init(&s->o, spec, oo);
}

/* Valid, printable UTF-8 (or ASCII) characters pass; the rest does not. */
static size_t printable_len(const char *p, bool space)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;

	if ((unsigned char)*p < 0x80)
		return isprint((unsigned char)*p) &&
				       !(space && (*p == ' ' || *p == '\\'))
			       ? 1
			       : 0;
	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, p, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || !iswprint(wc))
		return 0;
	return n;
}

char *stream_escape(const char *str, bool space)
{
	size_t len = strlen(str), used = 0;
	char *out = fsi_xcalloc(len * 4 + 1, 1);
	const char *p = str;

	while (*p) {
		size_t n = printable_len(p, space);

		if (n) {
			memcpy(out + used, p, n);
			used += n;
			p += n;
		} else {
			used += (size_t)sprintf(out + used, "\\x%02x",
						(unsigned char)*p++);
		}
	}
	out[used] = '\0';
	return out;
}

/* Display columns of an escaped cell. */
static int display_width(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	wchar_t *w;
	int width;

	if (n == (size_t)-1)
		return (int)strlen(s);
	w = fsi_xcalloc(n + 1, sizeof(*w));
	mbstowcs(w, s, n + 1);
	width = wcswidth(w, n);
	free(w);
	return width < 0 ? (int)strlen(s) : width;
}

json_object *stream_json_double(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

const char *stream_key(const char *name)
{
	static char key[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[i] = '\0';
	return key;
}

/* One cell of a text row; @last: no padding after it. */
static void put_cell(const struct stream *s, int id, const char *cell,
		     bool last)
{
	const struct out_column *c = &s->o.spec->cols[id];
	bool raw = s->o.flags & OUT_RAW;
	char *e = stream_escape(cell ? cell : "-", raw);
	int pad = c->whint >= 1 ? (int)c->whint - display_width(e) : 0;

	if (raw || pad < 0)
		pad = 0;
	if (c->flags & OUT_COL_RIGHT)
		printf("%*s%s", pad, "", e);
	else if (last)
		fputs(e, stdout);
	else
		printf("%s%*s", e, pad, "");
	free(e);
}

void stream_header(struct stream *s)
{
	int i;

	s->header_done = true;
	if (s->o.flags & (OUT_NOHEADINGS | OUT_JSON))
		return;
	for (i = 0; i < s->o.nids; i++) {
		if (i)
			putchar(' ');
		put_cell(s, s->o.ids[i], s->o.spec->cols[s->o.ids[i]].name,
			 i == s->o.nids - 1);
	}
	putchar('\n');
}

void stream_json(json_object *obj)
{
	fputs(json_object_to_json_string_ext(
		      obj,
		      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	putchar('\n');
	json_object_put(obj);
}

static void json_row(struct stream *s, stream_json_fn json, const void *data)
{
	json_object *obj = json_object_new_object();
	int i;

	for (i = 0; i < s->o.nids; i++) {
		int id = s->o.ids[i];

		json_object_object_add(obj,
				       stream_key(s->o.spec->cols[id].name),
				       json(s, id, data));
	}
	stream_json(obj);
}

void stream_row(struct stream *s, stream_text_fn text, stream_json_fn json,
		const void *data)
{
	int i;

	if (!s->header_done)
		stream_header(s);
	if (s->o.flags & OUT_JSON) {
		json_row(s, json, data);
		return;
	}
	for (i = 0; i < s->o.nids; i++) {
		char *cell = text(s, s->o.ids[i], data);

		if (i)
			putchar(' ');
		put_cell(s, s->o.ids[i], cell, i == s->o.nids - 1);
		free(cell);
	}
	putchar('\n');
}

void stream_comment(const struct stream *s, const char *fmt, ...)
{
	va_list ap;

	if (s->o.flags & OUT_JSON)
		return;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int stream_flush(void)
{
	if (fflush(stdout) || ferror(stdout))
		return -EIO;
	return 0;
}
