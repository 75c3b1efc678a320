/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * resmap.h - the residency map: a file's pages drawn as a row of cells.
 *
 * Layer: presentation of figures someone else measured.  Each cell
 * stands for a range of pages; its glyph says how much of the range is
 * cached and whether any page in it is dirty or under writeback.
 */
#ifndef FSI_RESMAP_H
#define FSI_RESMAP_H

#include <stdbool.h>
#include <stdint.h>

/* One cell's figures; FSI_UNKNOWN where the source cannot tell. */
struct resmap_cell {
	uint64_t first, pages; /* the range of pages it stands for */
	uint64_t cached, dirty, writeback;
};

/* Split @pages into at most @width cells (one per page if fewer pages):
 * fills cells[i].first and .pages, returns the number of cells. */
unsigned resmap_split(uint64_t pages, unsigned width,
		      struct resmap_cell *cells);

/*
 * Draw @n cells between brackets: ' ' nothing cached, then by the cached
 * share of the range '░' (< 1/3) '▒' (< 2/3) '▓' (< 1) '█' (all), 'D'
 * if a page in the range is dirty, 'W' if one is under writeback, '?' if
 * the cached count is unknown.  @ascii uses ".oO#" for the shades.
 * Returns a malloc'd string.
 */
char *resmap_render(const struct resmap_cell *cells, unsigned n, bool ascii);

#endif
