/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store_check.h - the store's consistency checks and repairs, for
 * `glassfs check` (fs/check.c): the fsck of a glassfs store.
 *
 * Layer: store.  The checks are SQL over a store that is not mounted; the
 * caller gets one line of text per problem found and per repair made, and
 * decides where they go.  No FUSE and no printing here.
 *
 * Use: store_check_open(), then store_check_step() for every step in
 * order (a step that returns -EUCLEAN found the store too damaged for the
 * next ones), then store_check_finish() and store_check_close().  Without
 * @repair nothing is written: the store is opened read-only.  With it,
 * every repair of the steps goes into one transaction, committed by
 * store_check_finish(); an old format is upgraded first, in its own.
 */
#ifndef GFS_STORE_CHECK_H
#define GFS_STORE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum store_check_step {
	STORE_CHECK_SQLITE,  /* PRAGMA integrity_check */
	STORE_CHECK_SCHEMA,  /* identity, format, tables, triggers */
	STORE_CHECK_ROOT,    /* inode 1 is a directory, its own parent */
	STORE_CHECK_ENTRIES, /* entries: parent, target, name */
	STORE_CHECK_LINKS,   /* link counts, directory parents */
	STORE_CHECK_TREE,    /* every directory reaches the root */
	STORE_CHECK_ORPHANS, /* inodes no entry names */
	STORE_CHECK_DATA,    /* chunks and alloc */
	STORE_CHECK_EXTRAS,  /* symlink targets, xattrs */
	STORE_CHECK_STEPS
};

enum store_check_line {
	STORE_CHECK_PROBLEM, /* a problem found: counts as found */
	STORE_CHECK_REPAIR,  /* a problem repaired: counts as repaired */
	STORE_CHECK_NOTE,    /* what a repair did besides (lost+found) */
	STORE_CHECK_FAILED,  /* a repair that could not be made */
};

/* Receives each line as it happens: lowercase, no newline. */
typedef void (*store_check_fn)(void *ctx, enum store_check_line kind,
			       const char *line);

struct store_checker;

/*
 * Opens the store at @path for checking, refusing what cannot be checked:
 * -ENOENT and the like, -EINVAL (not SQLite, not glassfs, truncated),
 * -EPROTONOSUPPORT (newer format), -EBUSY (mounted).  *why gets the
 * reason in the user's terms.
 */
int store_check_open(const char *path, bool repair, store_check_fn fn,
		     void *ctx, struct store_checker **out, char *why,
		     size_t whylen);

/* Runs one step (steps run in order, each once).  Returns 0, -EUCLEAN when
 * later steps cannot run on this store, or -errno when checking failed. */
int store_check_step(struct store_checker *c, enum store_check_step step);

/* Ends the check: with repairs, commits them and runs integrity_check
 * again (errors count as problems left). */
int store_check_finish(struct store_checker *c);

/* Problems found and repaired so far. */
void store_check_counts(const struct store_checker *c, unsigned long *found,
			unsigned long *repaired);

void store_check_close(struct store_checker *c);

/* "link counts" and so on, for -v. */
const char *store_check_step_name(enum store_check_step step);

#endif
