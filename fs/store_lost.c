// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_lost.c - what the open batch changed, kept for the day it cannot
 * be committed.
 *
 * Layer: store.  A batch is lost when its commit fails (an I/O error: a
 * full disk is refused earlier, see space_check()).  Its changes are
 * rolled back in the store but the kernel still caches them: pages,
 * attributes, names.  So every batch logs the inodes it saved and the
 * names it added or removed; on loss the log (1) marks those inodes, so
 * that the next fsync of each reports the error, as Linux reports a
 * write-back error to fsync; and (2) is handed to the watcher through
 * store_changes(), which makes the kernel drop what it caches of them,
 * as for changes made by other programs.  The same inodes are kept in a
 * set, for the read path to ask whether a file has uncommitted changes.
 * No FUSE here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

static int grow(void **p, size_t *max, size_t need, size_t size)
{
	size_t n = *max ? *max : 64;
	void *q;

	if (need <= *max)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*max = n;
	return 0;
}

void blog_ino(struct blog *b, uint64_t ino)
{
	if (b->ninos && b->inos[b->ninos - 1] == ino)
		return;
	if (grow((void **)&b->inos, &b->maxinos, b->ninos + 1,
		 sizeof(*b->inos)))
		b->overflow = true;
	else
		b->inos[b->ninos++] = ino;
}

/* Names are stored as: parent (8 bytes), length (1 byte), bytes. */
void blog_name(struct blog *b, uint64_t parent, const char *name)
{
	size_t n = strlen(name);

	if (n > GFS_NAME_MAX ||
	    grow((void **)&b->names, &b->maxnames, b->nnames + 9 + n, 1)) {
		b->overflow = true;
		return;
	}
	memcpy(b->names + b->nnames, &parent, 8);
	b->names[b->nnames + 8] = (char)n;
	memcpy(b->names + b->nnames + 9, name, n);
	b->nnames += 9 + n;
}

void blog_reset(struct blog *b)
{
	b->ninos = b->nnames = 0;
	b->overflow = false;
}

void blog_free(struct blog *b)
{
	free(b->inos);
	free(b->names);
	memset(b, 0, sizeof(*b));
}

static void blog_append(struct blog *to, const struct blog *from)
{
	size_t i = 0;

	for (i = 0; i < from->ninos; i++)
		blog_ino(to, from->inos[i]);
	if (grow((void **)&to->names, &to->maxnames,
		 to->nnames + from->nnames, 1)) {
		to->overflow = true;
	} else {
		memcpy(to->names + to->nnames, from->names, from->nnames);
		to->nnames += from->nnames;
	}
	to->overflow |= from->overflow;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The open batch was rolled back with @err.  Lock held. */
void blog_lose(struct store *s, int err)
{
	struct blog *b = &s->batch_log;
	size_t n = s->lost_inos.ninos;

	blog_append(&s->lost_inval, b);
	for (size_t i = 0; i < b->ninos; i++)
		blog_ino(&s->lost_inos, b->inos[i]);
	if (s->lost_inos.ninos > n) {
		qsort(s->lost_inos.inos, s->lost_inos.ninos,
		      sizeof(*s->lost_inos.inos), cmp_u64);
		n = 0;
		for (size_t i = 0; i < s->lost_inos.ninos; i++)
			if (!n || s->lost_inos.inos[i] !=
					  s->lost_inos.inos[n - 1])
				s->lost_inos.inos[n++] = s->lost_inos.inos[i];
		s->lost_inos.ninos = n;
	}
	/* Past what could be logged, every fsync must report the loss. */
	if (b->overflow)
		s->lost_all = true;
	s->lost_err = err;
	blog_reset(b);
}

/* Whether an fsync of @ino must report a lost batch; reports each inode
 * once.  0 is no inode (a sync of everything, at unmount: the loss was
 * logged when it happened).  Lock held. */
int lost_take(struct store *s, uint64_t ino)
{
	struct blog *l = &s->lost_inos;
	uint64_t *hit;

	if (!s->lost_err || !ino)
		return 0;
	if (s->lost_all)
		return s->lost_err;
	hit = bsearch(&ino, l->inos, l->ninos, sizeof(*l->inos), cmp_u64);
	if (!hit)
		return 0;
	memmove(hit, hit + 1, (size_t)(l->inos + l->ninos - hit - 1) *
				      sizeof(*hit));
	l->ninos--;
	ino = (uint64_t)s->lost_err;
	if (!l->ninos)
		s->lost_err = 0; /* every inode told */
	return (int)ino;
}

/* Hands what lost batches changed to @fn, as changes behind the kernel's
 * back, and forgets it.  Called without the lock. */
void lost_drain(struct store *s, store_change_fn fn, void *ctx)
{
	struct blog b = { 0 };
	struct store_change c;
	size_t pos = 0;

	store_lock(s);
	b = s->lost_inval;
	memset(&s->lost_inval, 0, sizeof(s->lost_inval));
	store_unlock(s);
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < b.ninos; i++) {
		c.ino = b.inos[i];
		fn(ctx, &c);
	}
	while (pos + 9 <= b.nnames) {
		memcpy(&c.parent, b.names + pos, 8);
		c.namelen = (unsigned char)b.names[pos + 8];
		c.name = b.names + pos + 9;
		c.ino = 0;
		fn(ctx, &c);
		pos += 9 + c.namelen;
	}
	if (b.overflow)
		gfs_log(GFS_LOG_WARNING, "store: a lost batch changed more "
			"than could be logged; the kernel may serve stale "
			"names until their timeouts");
	blog_free(&b);
}

/* ------------------------------------------------------------------ */
/* The inodes the open batch changed                                  */
/* ------------------------------------------------------------------ */

static size_t ino_slot(uint64_t ino, size_t mask)
{
	/* Fibonacci hashing: consecutive numbers land far apart. */
	return (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

static void inoset_put(uint64_t *slot, size_t mask, uint64_t ino)
{
	size_t i = ino_slot(ino, mask);

	while (slot[i] && slot[i] != ino)
		i = (i + 1) & mask;
	slot[i] = ino;
}

/* Whether @ino is in the set.  Set lock held. */
static bool has_locked(const struct inoset *set, uint64_t ino)
{
	if (!set->slot)
		return false;
	for (size_t i = ino_slot(ino, set->mask); set->slot[i];
	     i = (i + 1) & set->mask)
		if (set->slot[i] == ino)
			return true;
	return false;
}

/*
 * Adds @ino (not 0); kept at most half full, so probes stay short.  False
 * when it was in the set already; true when it was not, and for every
 * number once an allocation failed (the set then holds every number).
 */
bool inoset_add(struct inoset *set, uint64_t ino)
{
	size_t slots = set->mask + 1;
	bool fresh = true;

	pthread_mutex_lock(&set->lock);
	if (set->overflow)
		goto out;
	if (has_locked(set, ino)) {
		fresh = false;
		goto out;
	}
	if (!set->slot || 2 * (set->n + 1) > slots) {
		size_t nslots = set->slot ? 2 * slots : 64;
		uint64_t *n = calloc(nslots, sizeof(*n));

		if (!n) {
			set->overflow = true;
			goto out;
		}
		for (size_t i = 0; set->slot && i < slots; i++)
			if (set->slot[i])
				inoset_put(n, nslots - 1, set->slot[i]);
		free(set->slot);
		set->slot = n;
		set->mask = nslots - 1;
	}
	inoset_put(set->slot, set->mask, ino);
	set->n++;
out:
	pthread_mutex_unlock(&set->lock);
	return fresh;
}

/* Whether @ino may be in the set: true for every number after an
 * allocation failed. */
bool inoset_has(struct inoset *set, uint64_t ino)
{
	bool has;

	pthread_mutex_lock(&set->lock);
	has = set->overflow || has_locked(set, ino);
	pthread_mutex_unlock(&set->lock);
	return has;
}

void inoset_clear(struct inoset *set)
{
	pthread_mutex_lock(&set->lock);
	if (set->n)
		memset(set->slot, 0, (set->mask + 1) * sizeof(*set->slot));
	set->n = 0;
	set->overflow = false;
	pthread_mutex_unlock(&set->lock);
}

void inoset_free(struct inoset *set)
{
	free(set->slot);
	set->slot = NULL;
	set->mask = set->n = 0;
	pthread_mutex_destroy(&set->lock);
}
