/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paths.h - inode numbers of a glassfs mount to paths, without touching
 * the mount: asked of the daemon's control socket ("path INO..."), a
 * batch at a time, and learnt from the names that LOOKUP, CREATE, MKDIR
 * ... records carry.  Cached for the session; the caller forgets
 * everything when a rename or an unlink may have changed paths.
 *
 * Layer: source of data (gmount.h).  No output.
 */
#ifndef FSI_PATHS_H
#define FSI_PATHS_H

#include <stdbool.h>
#include <stdint.h>

struct gmount;

struct paths {
	const struct gmount *m;
	void *root;	/* tsearch tree of struct path_node */
	uint64_t *want; /* inodes to ask for at the next resolve */
	size_t nwant, maxwant;
	size_t count;  /* nodes in the tree */
	bool disabled; /* the socket failed: stop asking */
};

void paths_init(struct paths *p, const struct gmount *m);
void paths_free(struct paths *p);

/*
 * The path of @ino, or NULL: not known yet (then it is queued for the
 * next paths_resolve()), or known to have none (the daemon said null:
 * unlinked, or not an inode).  Inode 0 has none.
 */
const char *paths_get(struct paths *p, uint64_t ino);

/*
 * Asks the daemon for every queued inode, in as few commands as fit its
 * 4 KiB line.  On a socket failure warns once and asks no more: paths
 * then stay unknown.  0 or -errno.
 */
int paths_resolve(struct paths *p);

/* @ino is @name in directory @parent (a successful LOOKUP, CREATE ...):
 * its path is known if its parent's is. */
void paths_learn(struct paths *p, uint64_t parent, const char *name,
		 uint64_t ino);

/* Forget the path of @ino (its last link may be gone). */
void paths_drop(struct paths *p, uint64_t ino);

/* Forget every path (after a RENAME, UNLINK, RMDIR, INVAL_ENTRY). */
void paths_forget(struct paths *p);

#endif
