// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * resmap.c - cells of pages to a line of glyphs.
 *
 * Layer: presentation.  Dirty beats writeback beats shade: a dirty page
 * is what the observer effect on FUSE destroys, so it must stay visible
 * even in a mostly clean range.
 */
#include <string.h>

#include "fsinspect.h"
#include "resmap.h"

unsigned resmap_split(uint64_t pages, unsigned width, struct resmap_cell *cells)
{
	unsigned i, n = pages < width ? (unsigned)pages : width;

	for (i = 0; i < n; i++) {
		/* Proportional bounds: cell sizes differ by one at most. */
		uint64_t a = pages * i / n, b = pages * (i + 1) / n;

		memset(&cells[i], 0, sizeof(cells[i]));
		cells[i].first = a;
		cells[i].pages = b - a;
	}
	return n;
}

static const char *glyph(const struct resmap_cell *c, bool ascii)
{
	static const char *const utf8[] = {" ", "░", "▒", "▓", "█"};
	static const char *const plain[] = {" ", ".", "o", "O", "#"};
	const char *const *g = ascii ? plain : utf8;

	if (c->dirty != FSI_UNKNOWN && c->dirty)
		return "D";
	if (c->writeback != FSI_UNKNOWN && c->writeback)
		return "W";
	if (c->cached == FSI_UNKNOWN)
		return "?";
	if (c->cached == 0)
		return g[0];
	if (c->cached >= c->pages)
		return g[4];
	if (3 * c->cached < c->pages)
		return g[1];
	if (3 * c->cached < 2 * c->pages)
		return g[2];
	return g[3];
}

char *resmap_render(const struct resmap_cell *cells, unsigned n, bool ascii)
{
	/* A glyph is at most 3 bytes of UTF-8; two brackets and a NUL. */
	char *s = fsi_xcalloc((size_t)n * 3 + 3, 1), *p = s;
	unsigned i;

	*p++ = '[';
	for (i = 0; i < n; i++) {
		const char *g = glyph(&cells[i], ascii);
		size_t len = strlen(g);

		memcpy(p, g, len);
		p += len;
	}
	*p = ']';
	return s;
}
