// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_msync.c - C11: munmap() is when changes are usually written back;
 * msync() forces the file to match the mapping.
 *
 * The article is imprecise: on Linux munmap() writes nothing back.  A
 * child dirties 64 pages through a shared mapping and unmaps it; the
 * daemon receives no WRITE during munmap(), cachestat still counts the
 * pages dirty after it, and a second later; they are written when
 * someone asks (here our fsync(), else the flusher or a close).  Then
 * the child dirties them again through a new mapping and calls
 * msync(MS_ASYNC) (nothing happens: a no-op on Linux), then
 * msync(MS_SYNC): the WRITE requests arrive during the call, the dirty
 * count drops to 0, and on glassfs the store syncs its WAL.  Every
 * descriptor is closed before a page is dirty, and ours stays open: on
 * FUSE any close writes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"
#include "gmount.h"

#define FILE_PAGES 256ULL
#define FILE_SIZE (FILE_PAGES * fsi_page_size)
#define DIRTY_PAGES 64ULL

enum { STEP_DIRTY1, STEP_MUNMAP, STEP_DIRTY2, STEP_ASYNC, STEP_SYNC };

/* A writable shared mapping, its descriptor closed while all is clean. */
static volatile char *map_file(struct demo_ctx *c)
{
	int fd = demo_open(c, "file", O_RDWR);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void dirty(struct demo_child *ch, int step, volatile char *p, char v)
{
	uint64_t i;

	demo_step_begin(ch, step);
	for (i = 0; i < DIRTY_PAGES; i++)
		p[i * fsi_page_size] = v;
	demo_step_end(ch, step, DIRTY_PAGES);
}

/* A call timed from the child's side: v[0] and v[1] are its start and
 * end (CLOCK_MONOTONIC), result its errno (0: success). */
static void timed(struct demo_child *ch, int step, volatile char *p, int how)
{
	struct demo_step *s = &ch->sh->step[step];
	uint64_t t0, t1;
	int rc;

	demo_step_begin(ch, step);
	t0 = demo_now_ns();
	rc = how ? msync((void *)p, FILE_SIZE, how)
		 : munmap((void *)p, FILE_SIZE);
	rc = rc ? errno : 0;
	t1 = demo_now_ns();
	demo_step_end(ch, step, rc);
	s->v[0] = t0;
	s->v[1] = t1;
}

static int child(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	volatile char *p = map_file(c);

	if (!p)
		return -errno;
	dirty(ch, STEP_DIRTY1, p, 'u');
	demo_child_pause(ch);
	timed(ch, STEP_MUNMAP, p, 0);
	demo_child_pause(ch);
	p = map_file(c);
	if (!p)
		return -errno;
	dirty(ch, STEP_DIRTY2, p, 'm');
	demo_child_pause(ch);
	timed(ch, STEP_ASYNC, p, MS_ASYNC);
	demo_child_pause(ch);
	timed(ch, STEP_SYNC, p, MS_SYNC);
	demo_child_pause(ch);
	munmap((void *)p, FILE_SIZE);
	return 0;
}

/* The munmap() part again, on the kernel file system that holds the
 * scratch mount's store. */
struct kfs {
	bool done;
	char fstype[64];
	struct pc_stat mapped, unmapped;
};

struct figs {
	struct kfs k;
	struct demo_step s[5];
	struct pc_stat mapped, unmapped, later, fsynced;
	struct pc_stat dirty2, async, sync;
	struct demo_reqs munmap_r, later_r, fsync_r, async_r, sync_r;
	struct demo_store st0, st1;
	uint64_t smaps_dirty;
	bool sync_inside; /* first WRITE arrived inside msync() */
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Run the child to its next pause; the requests it caused (settled). */
static int step(struct demo_ctx *c, struct demo_child *ch, int fd,
		struct demo_reqs *r, struct pc_stat *after)
{
	uint64_t mark = dm_mark(c->mnt);
	int err = demo_child_run(ch);

	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, demo_ino(fd), r);
	demo_cache(fd, after);
	return err;
}

/* After munmap(): a second of nothing, then our own fsync(). */
static int after_munmap(struct demo_ctx *c, int fd, struct figs *f)
{
	uint64_t mark = dm_mark(c->mnt), ino = demo_ino(fd);

	sleep_ms(1000);
	dm_requests(c->mnt, mark, ino, &f->later_r);
	demo_cache(fd, &f->later);
	mark = dm_mark(c->mnt);
	if (fsync(fd) < 0)
		return -errno;
	dm_requests(c->mnt, mark, ino, &f->fsync_r);
	demo_cache(fd, &f->fsynced);
	return 0;
}

static int sequence(struct demo_ctx *c, struct demo_child *ch, int fd,
		    struct figs *f)
{
	struct demo_reqs none;
	struct pm_mapping m;
	int err;

	err = step(c, ch, fd, &none, &f->mapped);
	f->smaps_dirty = FSI_UNKNOWN;
	if (!err && demo_smaps(ch->pid, fd, &m) == 0)
		f->smaps_dirty = m.private_dirty + m.shared_dirty;
	if (!err)
		err = step(c, ch, fd, &f->munmap_r, &f->unmapped);
	if (!err)
		err = after_munmap(c, fd, f);
	if (!err)
		err = step(c, ch, fd, &none, &f->dirty2);
	if (!err)
		err = step(c, ch, fd, &f->async_r, &f->async);
	dm_store(c->mnt, &f->st0);
	if (!err)
		err = step(c, ch, fd, &f->sync_r, &f->sync);
	dm_store(c->mnt, &f->st1);
	return err;
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ch;
	int err, e, status;

	err = demo_child_start(&ch, child, c);
	if (err)
		return err;
	err = sequence(c, &ch, fd, f);
	e = demo_child_run(&ch);
	if (!err && e && e != -ECHILD)
		err = e;
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	memcpy(f->s, ch.sh->step, sizeof(f->s));
	f->sync_inside = f->sync_r.writes &&
			 f->sync_r.first_write_ns >= f->s[STEP_SYNC].v[0] &&
			 f->sync_r.first_write_ns <= f->s[STEP_SYNC].v[1];
	return err;
}

/* In @dir: map a clean file, dirty it, unmap it; cachestat around. */
static int kfs_munmap(const char *dir, struct kfs *k)
{
	char path[4200];
	volatile char *p;
	uint64_t i;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/munmap", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)FILE_SIZE) < 0 || fsync(fd) < 0)
		err = -errno;
	p = err ? MAP_FAILED
		: mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       0);
	if (!err && p == MAP_FAILED)
		err = -errno;
	if (!err) {
		for (i = 0; i < DIRTY_PAGES; i++)
			p[i * fsi_page_size] = 'k';
		demo_cache(fd, &k->mapped);
		munmap((void *)p, FILE_SIZE);
		demo_cache(fd, &k->unmapped);
		k->done = true;
	}
	/* Unlinked dirty: nothing of it is ever written. */
	unlink(path);
	close(fd);
	return err;
}

/* On a scratch mount: the file system of its private directory. */
static void kfs_compare(struct demo_ctx *c, struct kfs *k)
{
	struct gmount g;

	if (!c->scratch || gmount_find(c->mnt->tmp, &g))
		return;
	snprintf(k->fstype, sizeof(k->fstype), "%s", g.fstype);
	if (kfs_munmap(c->mnt->tmp, k))
		k->done = false;
}

static void publish_kfs(struct demo_ctx *c, const struct kfs *k)
{
	if (!k->done) {
		demo_fig_na(c, "kfs", NULL, SRC_PROGRAM,
			    "kernel file system compared");
		demo_fig_na(c, "kfs_dirty_mapped", "pages", SRC_CACHESTAT,
			    "there: dirty while mapped");
		demo_fig_na(c, "kfs_dirty_unmapped", "pages", SRC_CACHESTAT,
			    "there: dirty right after munmap()");
		return;
	}
	demo_fig_text(c, "kfs", k->fstype, SRC_PROGRAM,
		      "kernel file system compared (the store's)");
	demo_fig(c, "kfs_dirty_mapped", k->mapped.dirty, "pages", SRC_CACHESTAT,
		 "there: dirty while mapped");
	demo_fig(c, "kfs_dirty_unmapped", k->unmapped.dirty, "pages",
		 SRC_CACHESTAT, "there: dirty right after munmap()");
}

static void publish_store(struct demo_ctx *c, const struct figs *f)
{
	if (!f->st0.known || !f->st1.known) {
		demo_fig_na(c, "msync_store_syncs", "syncs", SRC_DAEMON,
			    "msync(MS_SYNC): WAL syncs of the store");
		return;
	}
	demo_fig(c, "msync_store_syncs", f->st1.syncs - f->st0.syncs, "syncs",
		 SRC_DAEMON, "msync(MS_SYNC): WAL syncs of the store");
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	const struct demo_step *um = &f->s[STEP_MUNMAP];
	const struct demo_step *sy = &f->s[STEP_SYNC];

	demo_fig(c, "dirtied", DIRTY_PAGES, "pages", SRC_PROGRAM,
		 "pages written through the mapping, each time");
	demo_fig(c, "dirty_mapped", f->mapped.dirty, "pages", SRC_CACHESTAT,
		 "dirty while mapped");
	demo_fig(c, "smaps_dirty", f->smaps_dirty, "bytes", SRC_SMAPS,
		 "the mapping's dirty bytes then");
	demo_fig_writes(c, "munmap", &f->munmap_r, "during munmap()");
	demo_fig_real(c, "munmap_us", um->wall_ns / 1e3, "us", SRC_CLOCK,
		      "munmap() took");
	demo_fig(c, "dirty_unmapped", f->unmapped.dirty, "pages", SRC_CACHESTAT,
		 "dirty right after munmap()");
	demo_fig(c, "dirty_1s", f->later.dirty, "pages", SRC_CACHESTAT,
		 "dirty 1 s after munmap(), no mapping left");
	demo_fig_writes(c, "later", &f->later_r, "that second");
	demo_fig_writes(c, "fsync", &f->fsync_r, "our fsync() then");
	demo_fig(c, "dirty_fsync", f->fsynced.dirty, "pages", SRC_CACHESTAT,
		 "dirty after our fsync()");
	demo_fig(c, "dirty_again", f->dirty2.dirty, "pages", SRC_CACHESTAT,
		 "dirty after writing through a new mapping");
	demo_fig_writes(c, "async", &f->async_r, "during msync(MS_ASYNC)");
	demo_fig(c, "dirty_async", f->async.dirty, "pages", SRC_CACHESTAT,
		 "dirty after msync(MS_ASYNC)");
	demo_fig_writes(c, "msync", &f->sync_r, "during msync(MS_SYNC)");
	if (c->mnt && f->sync_r.known)
		demo_fig(c, "msync_inside", f->sync_inside, "yes=1", SRC_DAEMON,
			 "first WRITE arrived while msync() ran");
	else
		demo_fig_na(c, "msync_inside", "yes=1", SRC_DAEMON,
			    "first WRITE arrived while msync() ran");
	demo_fig_real(c, "msync_ms", sy->wall_ns / 1e6, "ms", SRC_CLOCK,
		      "msync(MS_SYNC) took");
	demo_fig(c, "msync_errno", (uint64_t)sy->result, "errno", SRC_PROGRAM,
		 "msync(MS_SYNC): 0 is success");
	demo_fig(c, "dirty_msync", f->sync.dirty, "pages", SRC_CACHESTAT,
		 "dirty after msync(MS_SYNC)");
	publish_store(c, f);
	publish_kfs(c, &f->k);
}

/* Whether the figures of one way say it wrote the pages back. */
static bool cleaned(const struct pc_stat *after, const struct demo_reqs *r)
{
	return after->dirty == 0 && (!r->known || r->writes > 0);
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	bool by_munmap = cleaned(&f->unmapped, &f->munmap_r);
	bool by_msync =
		cleaned(&f->sync, &f->sync_r) && f->s[STEP_SYNC].result == 0;
	const struct kfs *k = &f->k;
	bool kfs_kept = k->done && k->mapped.dirty != FSI_UNKNOWN &&
			k->mapped.dirty > 0 &&
			k->unmapped.dirty != FSI_UNKNOWN &&
			k->unmapped.dirty > 0;

	if (f->mapped.dirty == FSI_UNKNOWN || f->mapped.dirty == 0 ||
	    f->dirty2.dirty == FSI_UNKNOWN || f->dirty2.dirty == 0)
		demo_verdict(c, DEMO_UNKNOWN,
			     "no dirty page was seen while mapped (%s): there "
			     "is nothing to write back on %s",
			     f->mapped.dirty == FSI_UNKNOWN ? "unknown" : "0",
			     c->fstype);
	else if (!by_msync)
		demo_verdict(c, DEMO_REFUTED,
			     "msync(MS_SYNC) left %llu pages dirty",
			     (unsigned long long)f->sync.dirty);
	else if (by_munmap && !kfs_kept)
		demo_verdict(c, DEMO_REPRODUCED,
			     "munmap() wrote the %llu dirty pages back, and so "
			     "did msync(MS_SYNC)",
			     (unsigned long long)f->mapped.dirty);
	else if (by_munmap)
		demo_verdict(c, DEMO_PARTLY,
			     "on %s munmap() wrote the %llu dirty pages back, "
			     "but on %s it left %llu pages dirty: it is FUSE's "
			     "doing, not the rule; msync(MS_SYNC) wrote them "
			     "back on %s",
			     c->fstype, (unsigned long long)f->mapped.dirty,
			     k->fstype, (unsigned long long)k->unmapped.dirty,
			     c->fstype);
	else
		demo_verdict(c, DEMO_PARTLY,
			     "munmap() wrote nothing back (%llu pages still "
			     "dirty after it, %llu a second later); "
			     "msync(MS_SYNC) did (0 dirty after it)",
			     (unsigned long long)f->unmapped.dirty,
			     (unsigned long long)f->later.dirty);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c, "the precise statement: munmap() only removes the "
		     "mapping; the pages stay dirty in the page cache, which "
		     "belongs to the file, not to the mapping, and are written "
		     "back by the flusher (after dirty_expire_centisecs), by "
		     "fsync(), msync() or sync(), or on FUSE by any close() of "
		     "the file");
	if (c->mnt && f->munmap_r.known && f->munmap_r.writes)
		demo_note(c,
			  "FUSE is the exception: when a shared mapping of a "
			  "FUSE file goes away the kernel writes the inode "
			  "back at once and waits (its vma close handler), so "
			  "here munmap() sent %llu WRITE requests (%llu bytes) "
			  "and took %.1f ms",
			  (unsigned long long)f->munmap_r.writes,
			  (unsigned long long)f->munmap_r.write_bytes,
			  f->s[STEP_MUNMAP].wall_ns / 1e6);
	if (f->mapped.dirty != FSI_UNKNOWN && f->mapped.dirty > DIRTY_PAGES)
		demo_note(c,
			  "%llu pages were dirty for %llu written: %s caches "
			  "this file in large folios, and a folio is dirty "
			  "as a whole",
			  (unsigned long long)f->mapped.dirty,
			  (unsigned long long)DIRTY_PAGES, c->fstype);
	if (f->async.dirty != FSI_UNKNOWN && f->async.dirty > 0)
		demo_note(c,
			  "msync(MS_ASYNC) started nothing (%llu pages still "
			  "dirty, %llu WRITE requests): on Linux it is a "
			  "no-op, the pages are already known dirty",
			  (unsigned long long)f->async.dirty,
			  (unsigned long long)f->async_r.writes);
	if (c->mnt && f->sync_r.known && f->sync_r.fsyncs)
		demo_note(c,
			  "on FUSE msync(MS_SYNC) is an fsync of the range: "
			  "%llu WRITE requests then %llu FSYNC request, on "
			  "which glassfs commits and syncs its WAL "
			  "(msync_store_syncs): the data is then on disk",
			  (unsigned long long)f->sync_r.writes,
			  (unsigned long long)f->sync_r.fsyncs);
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	int fd, err;

	err = demo_file(c, "file", FILE_SIZE, 'f');
	if (err)
		return err;
	demo_did(c, "wrote a 1 MiB file (clean); opened it read-only and kept "
		    "that descriptor open until the end");
	demo_did(c, "a child mapped it (MAP_SHARED), closed its descriptor, "
		    "wrote a byte in each of 64 pages, and called munmap()");
	demo_did(c, "we waited 1 s, then called fsync() on our descriptor");
	demo_did(c, "the child mapped it again, dirtied the 64 pages, called "
		    "msync(MS_ASYNC), then msync(MS_SYNC)");
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	err = measure(c, fd, &f);
	close(fd);
	if (err)
		return err;
	kfs_compare(c, &f.k);
	if (f.k.done)
		demo_did(c,
			 "the munmap() part again on a file in the scratch "
			 "mount's own directory (%s)",
			 f.k.fstype);
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo msync_demo = {
	.name = "msync",
	.claim = "C11",
	.summary = "which of munmap() and msync() writes dirty pages back",
	.statement = "munmap() is when changes are usually written back; "
		     "msync() forces the file to match the mapping.",
	.rule = "by_munmap = dirty_unmapped = 0 and munmap_writes > 0 (true "
		"when not measured); by_msync = dirty_msync = 0, msync_errno "
		"= 0 and msync_writes > 0 (true when not measured); kfs_kept "
		"= kfs_dirty_mapped > 0 and kfs_dirty_unmapped > 0. unknown: "
		"dirty_mapped or dirty_again is 0 or unknown. refuted: not "
		"by_msync. reproduced: by_munmap and not kfs_kept. Otherwise "
		"partly.",
	.keys = "dirty_mapped,munmap_writes,dirty_unmapped,dirty_1s,"
		"async_writes,msync_writes,dirty_msync",
	.run = run,
};
