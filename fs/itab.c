// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * itab.c - lookup counts, open counts and reclaim decisions.
 *
 * Invariants (checked by assert where they are ours to keep):
 *  1. A node exists exactly while nlookup > 0 or nopen > 0.
 *  2. nlookup is the number of entries the kernel holds: the sum of
 *     itab_ref() minus the sum of FORGET counts.  The kernel never forgets
 *     more than it was given; if a count would go negative the kernel and
 *     we disagree, which is logged and clamped, never asserted (the
 *     values come from the kernel).
 *  3. The root is never forgotten by the kernel (it holds it for the life
 *     of the mount), so it needs no node.
 *  4. Reclaim is decided here but checked again in the store, which
 *     deletes an inode only if it still has no links: a stale "unlinked"
 *     mark can never destroy a live file.
 *
 * Layer: daemon core, no SQLite or FUSE types.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "itab.h"
#include "log.h"

struct itab_node {
	struct itab_node *next;		/* bucket chain */
	uint64_t ino;
	uint64_t nlookup;
	uint32_t nopen;
	bool unlinked;			/* its last link is gone */
	struct itab_counters c;
};

#define ITAB_MIN_BUCKETS 1024

static uint64_t hash(uint64_t ino)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;
	ino ^= ino >> 33;
	return ino;
}

int itab_init(struct itab *t)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = ITAB_MIN_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

void itab_destroy(struct itab *t)
{
	for (uint64_t i = 0; i < t->nbuckets; i++) {
		struct itab_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(t->buckets);
	pthread_mutex_destroy(&t->lock);
}

static struct itab_node **slot(struct itab *t, uint64_t ino)
{
	struct itab_node **p = &t->buckets[hash(ino) & (t->nbuckets - 1)];

	while (*p && (*p)->ino != ino)
		p = &(*p)->next;
	return p;
}

/* Doubles the buckets when the table is full; failure only costs speed. */
static void grow(struct itab *t)
{
	uint64_t n = t->nbuckets * 2;
	struct itab_node **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (uint64_t i = 0; i < t->nbuckets; i++) {
		struct itab_node *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[hash(e->ino) & (n - 1)];
			b[hash(e->ino) & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static struct itab_node *get_or_add(struct itab *t, uint64_t ino)
{
	struct itab_node **p = slot(t, ino), *n = *p;

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->ino = ino;
	*p = n;
	if (++t->count > t->nbuckets)
		grow(t);
	return n;
}

/* Drops the node at *p if nothing holds it; says whether to reclaim. */
static bool settle(struct itab *t, struct itab_node **p)
{
	struct itab_node *n = *p;
	bool reclaim;

	if (n->nlookup || n->nopen)
		return false;
	reclaim = n->unlinked;
	*p = n->next;
	free(n);
	assert(t->count > 0);
	t->count--;
	return reclaim;
}

int itab_ref(struct itab *t, uint64_t ino, uint64_t n)
{
	struct itab_node *e;

	pthread_mutex_lock(&t->lock);
	e = get_or_add(t, ino);
	if (e)
		e->nlookup += n;
	pthread_mutex_unlock(&t->lock);
	return e ? 0 : -ENOMEM;
}

bool itab_forget(struct itab *t, uint64_t ino, uint64_t n)
{
	struct itab_node **p;
	bool reclaim = false;

	pthread_mutex_lock(&t->lock);
	p = slot(t, ino);
	if (!*p || (*p)->nlookup < n) {
		gfs_log(GFS_LOG_WARNING,
			"itab: forget %llu of inode %llu, which has %llu",
			(unsigned long long)n, (unsigned long long)ino,
			(unsigned long long)(*p ? (*p)->nlookup : 0));
		if (*p)
			(*p)->nlookup = 0;
	} else {
		(*p)->nlookup -= n;
	}
	if (*p)
		reclaim = settle(t, p);
	pthread_mutex_unlock(&t->lock);
	return reclaim;
}

int itab_open(struct itab *t, uint64_t ino)
{
	struct itab_node *e;

	pthread_mutex_lock(&t->lock);
	e = get_or_add(t, ino);
	if (e)
		e->nopen++;
	pthread_mutex_unlock(&t->lock);
	return e ? 0 : -ENOMEM;
}

bool itab_release(struct itab *t, uint64_t ino)
{
	struct itab_node **p;
	bool reclaim = false;

	pthread_mutex_lock(&t->lock);
	p = slot(t, ino);
	if (*p && (*p)->nopen) {
		(*p)->nopen--;
		reclaim = settle(t, p);
	} else {
		gfs_log(GFS_LOG_WARNING, "itab: release of inode %llu, "
			"which is not open", (unsigned long long)ino);
	}
	pthread_mutex_unlock(&t->lock);
	return reclaim;
}

bool itab_unlinked(struct itab *t, uint64_t ino)
{
	struct itab_node **p;
	bool reclaim;

	pthread_mutex_lock(&t->lock);
	p = slot(t, ino);
	if (*p)
		(*p)->unlinked = true;
	reclaim = !*p;
	pthread_mutex_unlock(&t->lock);
	return reclaim;
}

void itab_account(struct itab *t, uint64_t ino, bool write, uint64_t bytes)
{
	struct itab_node *e;

	pthread_mutex_lock(&t->lock);
	e = *slot(t, ino);
	if (e && write) {
		e->c.writes++;
		e->c.write_bytes += bytes;
	} else if (e) {
		e->c.reads++;
		e->c.read_bytes += bytes;
	}
	pthread_mutex_unlock(&t->lock);
}

void itab_each(struct itab *t,
	       void (*fn)(void *ctx, uint64_t ino, uint64_t nlookup,
			  uint32_t nopen, const struct itab_counters *c),
	       void *ctx)
{
	pthread_mutex_lock(&t->lock);
	for (uint64_t i = 0; i < t->nbuckets; i++)
		for (struct itab_node *e = t->buckets[i]; e; e = e->next)
			fn(ctx, e->ino, e->nlookup, e->nopen, &e->c);
	pthread_mutex_unlock(&t->lock);
}

uint64_t itab_count(struct itab *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
