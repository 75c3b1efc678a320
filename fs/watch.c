// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * watch.c - the kernel's caches against changes made behind its back, and
 * the store's own events in the request trace.
 *
 * Layer: daemon wiring, beside the request loop.  Another connection (the
 * sqlite3 shell, a script) may change the store while it is mounted: the
 * store's triggers log what it touched (store_changes()), and this thread
 * tells the kernel to drop the pages, attributes and names it holds for
 * those inodes (fuse_lowlevel_notify_inval_inode/_entry).  It must not be a
 * FUSE worker: invalidating pages can wait on write-back, which needs the
 * workers.  It also records the store's commits and checkpoints in the
 * trace, so that a reader sees when data reached the disk.  And once,
 * after INIT, it widens the kernel's readahead window for the mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "watch.h"

struct inval_entry {
	uint64_t parent;
	size_t len;
	char name[GFS_NAME_MAX + 1];
};

struct watch {
	struct gfs *g;
	pthread_t thread;
	int stop[2];
	/* One poll's changes, deduplicated before the kernel is told. */
	uint64_t *inos;
	size_t ninos, maxinos;
	struct inval_entry *ents;
	size_t nents, maxents;
	/* Ticks since INIT while setting the readahead window. */
	unsigned ra_ticks;
};

static void *grow(void *p, size_t *max, size_t size)
{
	size_t n = *max ? *max * 2 : 64;
	void *q = realloc(p, n * size);

	if (q)
		*max = n;
	return q;
}

static void add_ino(struct watch *w, uint64_t ino)
{
	if (!ino)
		return;
	if (w->ninos == w->maxinos) {
		uint64_t *p = grow(w->inos, &w->maxinos, sizeof(*p));

		if (!p)
			return;
		w->inos = p;
	}
	w->inos[w->ninos++] = ino;
}

static void on_change(void *ctx, const struct store_change *c)
{
	struct watch *w = ctx;

	add_ino(w, c->ino);
	if (!c->name)
		return;
	add_ino(w, c->parent);
	if (w->nents == w->maxents) {
		struct inval_entry *p = grow(w->ents, &w->maxents, sizeof(*p));

		if (!p)
			return;
		w->ents = p;
	}
	w->ents[w->nents].parent = c->parent;
	w->ents[w->nents].len = c->namelen;
	memcpy(w->ents[w->nents].name, c->name, c->namelen);
	w->ents[w->nents].name[c->namelen] = '\0';
	w->nents++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void traced_inval(struct gfs *g, unsigned op, uint64_t ino,
			 const struct inval_entry *e)
{
	struct trace_call tc = { .op = (uint16_t)op, .ino = ino };
	int err;

	tc.t0 = trace_now();
	if (e) {
		tc.name = e->name;
		err = fuse_lowlevel_notify_inval_entry(g->se, e->parent,
						       e->name, e->len);
	} else {
		err = fuse_lowlevel_notify_inval_inode(g->se, ino, 0, 0);
	}
	/* ENOENT: the kernel holds nothing of it; nothing was stale. */
	if (err && err != -ENOENT)
		gfs_log(GFS_LOG_WARNING, "cannot invalidate inode %llu: %s",
			(unsigned long long)ino, strerror(-err));
	if (g->trace)
		trace_end(g->trace, &tc, err, 0);
}

static void flush_invalidations(struct watch *w)
{
	size_t i, n = 0;

	for (i = 0; i < w->nents; i++)
		traced_inval(w->g, GFS_OP_INVAL_ENTRY, w->ents[i].parent,
			     &w->ents[i]);
	if (w->ninos)
		qsort(w->inos, w->ninos, sizeof(*w->inos), cmp_u64);
	for (i = 0; i < w->ninos; i++)
		if (!i || w->inos[i] != w->inos[i - 1])
			w->inos[n++] = w->inos[i];
	for (i = 0; i < n; i++)
		traced_inval(w->g, GFS_OP_INVAL_INODE, w->inos[i], NULL);
	w->ninos = w->nents = 0;
}

/*
 * The readahead window of a FUSE mount is the smaller of the kernel's
 * default (128 KiB) and what INIT answers, so INIT can only narrow it;
 * the mount's bdi (/sys/class/bdi/0:CONN/read_ahead_kb) can widen it,
 * after the kernel has read the INIT reply, and only root may write
 * there.  1 MiB lets a sequential read reach the daemon as READs of
 * 1 MiB (max_pages) instead of 128 to 256 KiB: measured here, a cold
 * sequential read of 512 MiB went from 270-350 MB/s to 440-520 MB/s.
 */
static unsigned readahead_kib(const struct gfs_opts *o)
{
	if (o->cache == GFS_CACHE_NEVER)
		return 0; /* no page cache, no readahead */
	return (o->max_readahead ? o->max_readahead : GFS_DEFAULT_READAHEAD) /
	       1024;
}

/* Sets the window if it is not what we want; 0, or -errno. */
static int widen_readahead(const struct gfs *g, unsigned kib, bool *wrote)
{
	char path[64], val[16];
	int fd, n, err = 0;

	*wrote = false;
	if (g->conn_err)
		return g->conn_err;
	snprintf(path, sizeof(path), "/sys/class/bdi/0:%u/read_ahead_kb",
		 (unsigned)g->conn);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = (int)pread(fd, val, sizeof(val) - 1, 0);
	val[n > 0 ? n : 0] = '\0';
	if ((unsigned)strtoul(val, NULL, 10) != kib) {
		n = snprintf(val, sizeof(val), "%u", kib);
		if (pwrite(fd, val, (size_t)n, 0) != n)
			err = -errno;
		else
			*wrote = true;
	}
	close(fd);
	return err;
}

/*
 * Called every tick: widens the window at the first tick after INIT, and
 * checks it again a second later (had the kernel not yet read the INIT
 * reply, it narrowed the window again).  True when done.
 */
static bool tune_readahead(struct watch *w)
{
	struct gfs *g = w->g;
	unsigned kib = readahead_kib(g->opts);
	bool wrote;
	int err;

	if (kib <= 128)
		return true; /* INIT did it */
	if (!__atomic_load_n(&g->inited, __ATOMIC_ACQUIRE))
		return false;
	if (++w->ra_ticks != 1 && w->ra_ticks != 1000 / WATCH_INTERVAL_MS)
		return false;
	err = widen_readahead(g, kib, &wrote);
	if (err == -EACCES || err == -EPERM || err == -EROFS) {
		gfs_log(GFS_LOG_INFO, "readahead stays at the kernel's 128 "
			"KiB: cannot write the mount's read_ahead_kb: %s",
			strerror(-err));
		return true;
	}
	if (err)
		gfs_log(GFS_LOG_WARNING, "cannot set the readahead window: %s",
			strerror(-err));
	else if (wrote)
		gfs_log(GFS_LOG_INFO, "readahead window %u KiB", kib);
	return err || w->ra_ticks > 1;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	struct pollfd p = { .fd = w->stop[0], .events = POLLIN };
	bool ra_done = false;

	while (poll(&p, 1, WATCH_INTERVAL_MS) == 0 ||
	       (!p.revents && errno == EINTR)) {
		if (!ra_done)
			ra_done = tune_readahead(w);
		if (store_changes(w->g->store, on_change, w) == 0)
			flush_invalidations(w);
	}
	return NULL;
}

/* Store events into the trace; called under the store lock. */
static void on_store_event(void *ctx, enum store_event ev, uint64_t bytes,
			   uint64_t t0, int result)
{
	struct gfs *g = ctx;
	struct trace_call tc = {
		.t0 = t0,
		.op = ev == STORE_EV_CHECKPOINT ? GFS_OP_CHECKPOINT
						: GFS_OP_COMMIT,
		.flags = ev == STORE_EV_SYNC ? GFS_TF_SYNCED : 0,
		.aux = bytes,
		.len = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes,
	};

	if (g->trace)
		trace_end(g->trace, &tc, result, 0);
}

int watch_start(struct gfs *g, struct watch **out)
{
	struct watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->g = g;
	if (pipe2(w->stop, O_CLOEXEC) < 0) {
		err = -errno;
		free(w);
		return err;
	}
	err = -pthread_create(&w->thread, NULL, watch_main, w);
	if (err) {
		close(w->stop[0]);
		close(w->stop[1]);
		free(w);
		return err;
	}
	store_set_events(g->store, on_store_event, g);
	*out = w;
	return 0;
}

void watch_stop(struct watch *w)
{
	if (!w)
		return;
	store_set_events(w->g->store, NULL, NULL);
	if (write(w->stop[1], "x", 1) != 1)
		gfs_log(GFS_LOG_WARNING, "cannot stop the watcher");
	pthread_join(w->thread, NULL);
	close(w->stop[0]);
	close(w->stop[1]);
	free(w->inos);
	free(w->ents);
	free(w);
}
