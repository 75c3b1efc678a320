/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * itab.h - the inode table: which inodes the kernel holds, and how often.
 *
 * The only inode reference counting in glassfs.  The kernel holds an inode
 * from the first reply that names it (lookup, create, readdirplus ...)
 * until it sends FORGET with the same count; open files hold it from OPEN
 * to RELEASE.  An inode is reclaimed from the store only when all three of
 * these are zero: its links (store), its lookups and its opens (here).
 *
 * Also carries per-inode request counters for the glass (control.c).
 * No SQLite, no FUSE types: plain integers.
 */
#ifndef GFS_ITAB_H
#define GFS_ITAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Per-inode request counters. */
struct itab_counters {
	uint64_t reads, read_bytes;
	uint64_t writes, write_bytes;
};

struct itab_node;

/*
 * Locking rules for struct itab:
 *  1. t->lock guards the buckets and every node field.
 *  2. It is never held while calling into the store or replying: the
 *     functions below return what to do (reclaim or not) and the caller
 *     does it after the lock is dropped.
 */
struct itab {
	pthread_mutex_t lock;
	struct itab_node **buckets;	/* (lock) */
	uint64_t nbuckets;		/* (lock) a power of two */
	uint64_t count;			/* (lock) nodes */
};

int itab_init(struct itab *t);
void itab_destroy(struct itab *t);

/* The kernel got @n more references to @ino (a reply with an entry). */
int itab_ref(struct itab *t, uint64_t ino, uint64_t n);
/* FORGET of @n references.  True when the inode should be reclaimed
 * now: no references, not open, and its last link was removed. */
bool itab_forget(struct itab *t, uint64_t ino, uint64_t n);
/* An open file handle on @ino was created / released. */
int itab_open(struct itab *t, uint64_t ino);
bool itab_release(struct itab *t, uint64_t ino);
/* @ino lost its last link.  True when nobody holds it: reclaim now. */
bool itab_unlinked(struct itab *t, uint64_t ino);

/* Counts one read or write of @bytes; ignored for unknown inodes. */
void itab_account(struct itab *t, uint64_t ino, bool write, uint64_t bytes);
/* Calls @fn for each inode the kernel holds, under the lock: @fn must not
 * call back into the itab or the store. */
void itab_each(struct itab *t,
	       void (*fn)(void *ctx, uint64_t ino, uint64_t nlookup,
			  uint32_t nopen, const struct itab_counters *c),
	       void *ctx);
uint64_t itab_count(struct itab *t);

#endif
