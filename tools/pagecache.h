/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pagecache.h - what the page cache holds of one open file.
 *
 * Layer: measurement.  cachestat(2), with mincore(2) as the fallback when
 * the kernel lacks cachestat, plus the two actions fsinspect takes on a
 * cache (evict, load).  Works on a descriptor the caller opened: this
 * module never opens or closes a file, because on FUSE every close writes
 * back dirty pages and the caller must decide when that happens.
 */
#ifndef FSI_PAGECACHE_H
#define FSI_PAGECACHE_H

#include <stdint.h>

/* Page counts; a field the source cannot tell is FSI_UNKNOWN. */
struct pc_stat {
	uint64_t cached;
	uint64_t dirty;
	uint64_t writeback;
	uint64_t evicted;	   /* shadow entries: evicted by reclaim */
	uint64_t recently_evicted; /* of those, within the working set */
};

/* Which source gave (or refused) the figures. */
enum pc_source {
	PC_CACHESTAT, /* everything known */
	PC_MINCORE,   /* fallback: cached pages only */
	PC_DENIED,    /* not a writer: cachestat EPERM, mincore would lie */
	PC_NOMAP,     /* fallback impossible: the file cannot be mmapped */
	PC_NONE,      /* not measured (e.g. --no-open) */
};

/* "cachestat", "mincore", ... for the SOURCE column. */
const char *pc_source_name(enum pc_source src);

/*
 * Measure pages [first, first + count) of @fd (count 0: to the end of the
 * file).  Fields the source cannot tell are FSI_UNKNOWN and *src says why.
 * Returns 0, or -errno when the file could not be measured at all.
 */
int pc_measure(int fd, uint64_t first, uint64_t count, struct pc_stat *st,
	       enum pc_source *src);

/* Drop the clean cached pages of @fd (POSIX_FADV_DONTNEED): 0 or -errno. */
int pc_evict(int fd);

/* Read all of @fd, so that the pages a read caches are cached; *done
 * gets the bytes read.  0 or -errno. */
int pc_load(int fd, uint64_t *done);

#endif
