/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * heldfiles.h - the files of one glassfs mount, each opened once and held
 * open for a whole session, and measured through that descriptor.
 *
 * Layer: measurement (pagecache.h) over a set of files.  On FUSE every
 * close() writes back the file's dirty pages, so a file is opened when
 * it is first seen and closed only by held_close(), at the end: the
 * dirty pages it reports on every round are not destroyed by looking at
 * them.  The price is the opening itself (LOOKUPs for names the kernel
 * does not cache, and OPEN), and that the kernel keeps the inodes we
 * hold until we close them.
 */
#ifndef FSI_HELDFILES_H
#define FSI_HELDFILES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "pagecache.h"

struct gmount;
struct paths;

struct held_file {
	uint64_t ino; /* as the daemon listed it */
	char *path;   /* in the mount ("/a/b"); NULL when it had none */
	int fd;	      /* -1: not open */
	bool skip;    /* not a regular file, or could not be opened */
	bool listed;  /* in the daemon's latest list */
	struct stat st;
	struct pc_stat pc;
	enum pc_source src;
};

struct held {
	const struct gmount *m;
	struct held_file *v;
	size_t n;
	size_t open;	     /* descriptors held */
	size_t limit;	     /* descriptors we allow ourselves */
	unsigned opened_now; /* in the last held_update() */
	unsigned over_limit; /* files left unopened for the limit */
};

void held_init(struct held *h, const struct gmount *m);

/*
 * The kernel holds inodes @inos (the daemon's "inodes"): open the regular
 * files among them not seen before, by the paths @paths gives.  Entries
 * that were never opened and are no longer listed are dropped.
 */
void held_update(struct held *h, const uint64_t *inos, size_t n,
		 struct paths *paths);

/* Measures every open file (cachestat, statx without GETATTR). */
void held_measure(struct held *h);

/* Closes every descriptor; *files gets how many, *dirty the dirty pages
 * they had at the last measurement (which FUSE then wrote back), or
 * FSI_UNKNOWN. */
void held_close(struct held *h, unsigned *files, uint64_t *dirty);

#endif
