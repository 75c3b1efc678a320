/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * storemap.h - where a glassfs file's data lies in its SQLite store, and
 * how much of that the page cache of the file system below holds.
 *
 * Layer: measurement of the store, read-only.  SQLite (opened with
 * ?mode=ro) gives the page size and the root page of table chunks; the
 * chunks b-tree (WITHOUT ROWID, so an index b-tree keyed by (ino, idx))
 * is then walked here, reading raw pages from the store file and its
 * WAL, only down the branches that can hold the inode, following the
 * overflow chains of its cells.  The store is never written; the WAL
 * index (-shm) is not read.
 *
 * Observer effect: SQLite's open and the walk read pages, which caches
 * them (and SQLite's reads are read ahead).  So the residency of the
 * store and its WAL is taken first (mincore, one bit per page), our own
 * reads are made without readahead (POSIX_FADV_RANDOM), and at the end
 * every clean page cached then that was not before is dropped again
 * (POSIX_FADV_DONTNEED on that page only): the figures are those from
 * before, and the cache is left as it was, but for what other processes
 * did meanwhile (a page the daemon read in the meantime is dropped too).
 *
 * Limits: no checksum of WAL frames is verified (frames count when their
 * salts match the WAL header, up to the last commit frame); a store
 * written while it is walked may give a mixed picture.
 */
#ifndef FSI_STOREMAP_H
#define FSI_STOREMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagecache.h"

/* One SQLite page holding (part of) the file's chunks. */
struct sm_page {
	uint64_t pgno;
	bool overflow; /* an overflow page (else a b-tree page) */
	bool wal;      /* its current copy is a WAL frame */
	uint64_t off;  /* byte offset of that copy in the store or WAL */
};

/* Residency, in system pages (fsi_page_size). */
struct sm_res {
	uint64_t span;	 /* pages of the file system below they cover */
	uint64_t cached; /* of those, cached before the walk (mincore) */
	uint64_t dirty;	 /* of those, dirty (cachestat), or FSI_UNKNOWN */
};

struct sm_result {
	uint64_t page_size; /* SQLite page size */
	uint64_t chunks;    /* cells of the inode found */
	uint64_t bytes;	    /* their data bytes */
	struct sm_page *pages;
	size_t npages;		    /* distinct SQLite pages */
	size_t nwal;		    /* of which, current copy in the WAL */
	uint64_t wal_frames;	    /* valid frames in the WAL */
	struct sm_res db, wal;	    /* this file's pages in the store, WAL */
	uint64_t db_size, wal_size; /* bytes */
	struct pc_stat db_total, wal_total; /* whole files (cachestat) */
	uint64_t dropped; /* system pages cached by us, dropped again */
};

/*
 * Find the pages of inode @ino in the store @store and measure them.
 * Returns 0, or -errno with @why saying what failed ("cannot open store
 * 'x': ...", "page 7 of table chunks is not an index b-tree page").
 */
int sm_measure(const char *store, uint64_t ino, struct sm_result *r, char *why,
	       size_t whylen);

void sm_free(struct sm_result *r);

#endif
