// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_writeback_periodic.c - C13: write-back is periodic, not immediate:
 * a kernel crash or power loss before it loses data unless msync() (or
 * fsync()) was called.
 *
 * With writeback_cache, write(2) only dirties pages.  We write 64 pages
 * and keep the descriptor open (on FUSE any close writes back), then
 * watch: cachestat's dirty count and the daemon's WRITE requests say when
 * the kernel's flusher wrote them, against vm.dirty_expire_centisecs and
 * vm.dirty_writeback_centisecs.  glassfs adds a second stage of its own:
 * the daemon's group commit (a COMMIT record in its trace, commit_ms
 * after the WRITE), whose WAL pages then sit dirty in the backing file
 * system's page cache until its own flusher writes them; only fsync
 * syncs the WAL.  Then the same write followed by fsync(): at once,
 * WRITE, FSYNC, a commit forced by fsync, the WAL synced.  And on a
 * no_writeback_cache mount (scratch only) write(2) reaches the daemon at
 * once: write-through, no kernel interval at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_SIZE (1ULL << 20)
#define PART (256ULL << 10)
#define COMMIT_MS 500
#define STR_(x) #x
#define STR(x) STR_(x)
#define IMMEDIATE_S 0.5 /* cleaner than this: not periodic */

#define EXPIRE "/proc/sys/vm/dirty_expire_centisecs"
#define PERIOD "/proc/sys/vm/dirty_writeback_centisecs"

struct figs {
	bool lowered;
	uint64_t expire, period;
	struct demo_reqs write_r; /* during write() */
	struct pc_stat at_write;  /* right after it */
	struct demo_wb wb;	  /* the kernel's write-back */
	struct demo_commits cm;	  /* the store's commit after it */
	uint64_t wal_dirty;	  /* WAL pages dirty after the commit */
	uint64_t wal_clean_ns;	  /* t0 -> WAL without dirty pages, 0 */
	struct demo_reqs fsync_r; /* write() + fsync() */
	struct pc_stat fsynced;
	struct demo_commits fsync_cm;
	struct demo_store st0, st1;
	uint64_t fsync_ns;
	uint64_t wal_dirty_fsync;
	bool nowbc_done;
	struct demo_reqs nowbc_r;
	struct pc_stat nowbc_after;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int write_part(int fd, char fill)
{
	static char buf[PART];
	ssize_t n;

	memset(buf, fill, sizeof(buf));
	n = pwrite(fd, buf, sizeof(buf), 0);
	return n == (ssize_t)sizeof(buf) ? 0 : n < 0 ? -errno : -EIO;
}

/* The store's WAL in the backing file system's page cache; -1 without
 * a store we can see. */
static int open_wal(struct demo_ctx *c)
{
	char *path;
	int fd;

	if (!c->mnt || !c->mnt->gm.source[0])
		return -1;
	path = fsi_xasprintf("%s-wal", c->mnt->gm.source);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	return fd;
}

static uint64_t dirty_of(int fd)
{
	struct pc_stat st;

	if (fd < 0)
		return FSI_UNKNOWN;
	demo_cache(fd, &st);
	return st.dirty;
}

/* After the kernel's write-back: the commit that followed it. */
static void wait_commit(struct demo_ctx *c, uint64_t mark, struct figs *f)
{
	uint64_t after = f->wb.reqs.first_write_ns;
	int i;

	for (i = 0; i < (COMMIT_MS + 2000) / 20 && !demo_interrupted(); i++) {
		dm_commits(c->mnt, mark, after, &f->cm);
		if (!f->cm.known || f->cm.n)
			return;
		sleep_ms(20);
	}
}

/* The WAL's own write-back by the backing file system's flusher, at
 * most @limit from now; its time counted from @t0, the write(). */
static void wait_wal(int wal, uint64_t t0, uint64_t limit, struct figs *f)
{
	uint64_t now, start = demo_now_ns();

	f->wal_dirty = dirty_of(wal);
	if (f->wal_dirty == FSI_UNKNOWN || !f->wal_dirty)
		return;
	for (now = start; now - start < limit && !demo_interrupted();
	     now = demo_now_ns()) {
		uint64_t d = dirty_of(wal);

		if (d == 0) {
			f->wal_clean_ns = now - t0;
			break;
		}
		demo_progress("waiting for the store's WAL to be written: "
			      "%.0f s, %llu pages dirty",
			      (now - t0) / 1e9, (unsigned long long)d);
		sleep_ms(100);
	}
	demo_progress("%s", "");
}

/* write(), then nothing: when do the pages reach the daemon, the store,
 * the disk? */
static int periodic(struct demo_ctx *c, int fd, int wal, struct figs *f)
{
	uint64_t ino = demo_ino(fd), mark = dm_mark(c->mnt), t0;
	int err;

	t0 = demo_now_ns();
	err = write_part(fd, 'p');
	if (err)
		return err;
	dm_requests(c->mnt, mark, ino, &f->write_r);
	demo_cache(fd, &f->at_write);
	err = demo_wait_clean(c, fd, ino, mark, t0, demo_wb_limit_ns(), &f->wb);
	if (err)
		return err;
	if (f->wb.reqs.writes)
		wait_commit(c, mark, f);
	wait_wal(wal, t0, demo_wb_limit_ns(), f);
	return 0;
}

/* write() then fsync(). */
static int synced(struct demo_ctx *c, int fd, int wal, struct figs *f)
{
	uint64_t ino = demo_ino(fd), mark, t0;
	int err;

	dm_store(c->mnt, &f->st0);
	mark = dm_mark(c->mnt);
	err = write_part(fd, 'f');
	t0 = demo_now_ns();
	if (!err && fsync(fd) < 0)
		err = -errno;
	f->fsync_ns = demo_now_ns() - t0;
	if (err)
		return err;
	dm_requests(c->mnt, mark, ino, &f->fsync_r);
	dm_commits(c->mnt, mark, 0, &f->fsync_cm);
	demo_cache(fd, &f->fsynced);
	dm_store(c->mnt, &f->st1);
	f->wal_dirty_fsync = dirty_of(wal);
	return 0;
}

/* On a no_writeback_cache mount: write() goes through at once. */
static int write_through(struct demo_ctx *c, struct figs *f)
{
	struct demo_mount *m;
	struct demo_ctx sub;
	uint64_t mark;
	int fd, err;

	if (demo_extra_mount(c, "no_writeback_cache", &m))
		return 0; /* n/a */
	err = demo_subctx(c, m, &sub);
	if (!err)
		err = demo_file(&sub, "file", FILE_SIZE, 'w');
	fd = err ? err : demo_open(&sub, "file", O_RDWR);
	if (fd >= 0) {
		mark = dm_mark(m);
		err = write_part(fd, 'n');
		dm_requests(m, mark, demo_ino(fd), &f->nowbc_r);
		demo_cache(fd, &f->nowbc_after);
		close(fd);
		f->nowbc_done = !err;
	} else {
		err = fd;
	}
	demo_subctx_close(&sub);
	dm_stop(m);
	return err;
}

static double secs(uint64_t ns)
{
	return ns ? ns / 1e9 : NAN;
}

static void publish_kernel(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "written", fsi_pages(PART), "pages", SRC_PROGRAM,
		 "pages written with write(), descriptor kept open");
	demo_fig(c, "expire", f->expire, "cs", SRC_SYSCTL,
		 "vm.dirty_expire_centisecs in effect");
	demo_fig(c, "period", f->period, "cs", SRC_SYSCTL,
		 "vm.dirty_writeback_centisecs in effect");
	demo_fig_writes(c, "write", &f->write_r, "during write()");
	demo_fig(c, "dirty_at_write", f->at_write.dirty, "pages", SRC_CACHESTAT,
		 "dirty right after write()");
	demo_fig_writes(c, "wb", &f->wb.reqs, "until clean");
	if (c->mnt && f->wb.reqs.known) {
		demo_fig(c, "wb_flagged", f->wb.reqs.writepages, "requests",
			 SRC_DAEMON, "of which flagged as kernel write-back");
		demo_fig_real(c, "first_write_s", secs(f->wb.first_write_ns),
			      "s", SRC_DAEMON, "write() to the first WRITE");
	} else {
		demo_fig_na(c, "wb_flagged", "requests", SRC_DAEMON,
			    "of which flagged as kernel write-back");
		demo_fig_na(c, "first_write_s", "s", SRC_DAEMON,
			    "write() to the first WRITE");
	}
	demo_fig_real(c, "clean_s",
		      f->at_write.dirty && f->at_write.dirty != FSI_UNKNOWN
			      ? secs(f->wb.clean_ns)
			      : NAN,
		      "s", SRC_CACHESTAT, "write() to no dirty page");
	demo_fig(c, "dirty_end", f->wb.dirty_end, "pages", SRC_CACHESTAT,
		 "dirty when we stopped watching");
}

static void publish_store(struct demo_ctx *c, const struct figs *f)
{
	bool cm = c->mnt && f->cm.known && f->cm.n;
	uint64_t lag = cm && f->cm.first_ns > f->wb.reqs.first_write_ns
			       ? f->cm.first_ns - f->wb.reqs.first_write_ns
			       : 0;

	if (c->scratch)
		demo_fig(c, "commit_ms", COMMIT_MS, "ms", SRC_PROGRAM,
			 "the scratch mount's group commit interval");
	else
		demo_fig_na(c, "commit_ms", "ms", SRC_PROGRAM,
			    "the mount's group commit interval");
	if (cm)
		demo_fig_real(c, "commit_lag_s", lag / 1e9, "s", SRC_DAEMON,
			      "first WRITE to the store's commit");
	else if (c->mnt)
		demo_fig_real(c, "commit_lag_s", NAN, "s", SRC_DAEMON,
			      "first WRITE to the store's commit");
	else
		demo_fig_na(c, "commit_lag_s", "s", SRC_DAEMON,
			    "first WRITE to the store's commit");
	if (c->mnt) {
		demo_fig(c, "wal_dirty", f->wal_dirty, "pages", SRC_CACHESTAT,
			 "store WAL pages dirty after the commit");
		demo_fig_real(
			c, "wal_clean_s", secs(f->wal_clean_ns), "s",
			SRC_CACHESTAT,
			"write() to the WAL written by the disk's flusher");
	} else {
		demo_fig_na(c, "wal_dirty", "pages", SRC_CACHESTAT,
			    "store WAL pages dirty after the commit");
		demo_fig_na(c, "wal_clean_s", "s", SRC_CACHESTAT,
			    "write() to the WAL written by the disk's flusher");
	}
}

static void publish_fsync(struct demo_ctx *c, const struct figs *f)
{
	bool st = f->st0.known && f->st1.known;

	demo_fig_writes(c, "fsync", &f->fsync_r, "write() + fsync()");
	demo_fig_real(c, "fsync_ms", f->fsync_ns / 1e6, "ms", SRC_CLOCK,
		      "fsync() took");
	demo_fig(c, "dirty_fsync", f->fsynced.dirty, "pages", SRC_CACHESTAT,
		 "dirty after fsync()");
	if (st)
		demo_fig(c, "fsync_store_syncs", f->st1.syncs - f->st0.syncs,
			 "syncs", SRC_DAEMON,
			 "fsync(): commits forced and WAL synced");
	else
		demo_fig_na(c, "fsync_store_syncs", "syncs", SRC_DAEMON,
			    "fsync(): commits forced and WAL synced");
	if (c->mnt)
		demo_fig(c, "wal_dirty_fsync", f->wal_dirty_fsync, "pages",
			 SRC_CACHESTAT, "store WAL pages dirty after fsync()");
	else
		demo_fig_na(c, "wal_dirty_fsync", "pages", SRC_CACHESTAT,
			    "store WAL pages dirty after fsync()");
	if (f->nowbc_done) {
		demo_fig_writes(c, "nowbc", &f->nowbc_r,
				"no_writeback_cache: during write()");
		demo_fig(c, "nowbc_dirty", f->nowbc_after.dirty, "pages",
			 SRC_CACHESTAT,
			 "no_writeback_cache: dirty right after write()");
	} else {
		demo_fig_na(c, "nowbc_writes", "requests", SRC_DAEMON,
			    "no_writeback_cache: during write(): WRITE "
			    "requests");
		demo_fig_na(c, "nowbc_dirty", "pages", SRC_CACHESTAT,
			    "no_writeback_cache: dirty right after write()");
	}
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	uint64_t seen = f->at_write.dirty;
	bool written = !f->wb.reqs.known || f->wb.reqs.writes > 0;
	double clean = f->wb.clean_ns / 1e9;
	bool forced = f->fsynced.dirty == 0;

	if (seen == FSI_UNKNOWN || seen == 0)
		demo_verdict(c, DEMO_UNKNOWN,
			     "no dirty page after write() (%s): %s writes "
			     "through or keeps no storage behind its cache",
			     seen ? "unknown" : "0", c->fstype);
	else if (f->wb.clean_ns && clean < IMMEDIATE_S)
		demo_verdict(c, DEMO_REFUTED,
			     "the pages were written back %.2f s after "
			     "write(): immediately",
			     clean);
	else if (f->wb.dirty_end != FSI_UNKNOWN && f->wb.dirty_end > 0 &&
		 !(f->wb.reqs.known && f->wb.reqs.writes))
		demo_verdict(c, DEMO_REFUTED,
			     "%llu pages were never written back in %.0f s",
			     (unsigned long long)f->wb.dirty_end,
			     f->wb.waited_ns / 1e9);
	else if (f->wb.dirty_end == 0 && written && forced)
		demo_verdict(c, DEMO_REPRODUCED,
			     "%llu pages stayed dirty %.1f s after write() "
			     "(dirty_expire_centisecs %llu) until the flusher "
			     "wrote them; fsync() wrote them at once",
			     (unsigned long long)seen, clean,
			     (unsigned long long)f->expire);
	else
		demo_verdict(c, DEMO_PARTLY,
			     "written back after %.1f s, but %llu pages were "
			     "still dirty after fsync() or at the end",
			     clean, (unsigned long long)f->fsynced.dirty);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c,
		  "the period is the kernel's: the flusher wakes every "
		  "dirty_writeback_centisecs (%llu cs) and writes inodes "
		  "dirty for longer than dirty_expire_centisecs (%llu cs), "
		  "sooner under the dirty limits or at any sync(2) on the "
		  "machine; until then a kernel crash or power loss loses "
		  "the pages (clean_s is that window here)",
		  (unsigned long long)f->period, (unsigned long long)f->expire);
	if (c->mnt && f->cm.known && f->cm.n)
		demo_note(
			c,
			"glassfs adds a stage of its own: the WRITE goes into "
			"an open batch committed %.2f s later (commit_ms), "
			"and a commit writes the WAL without syncing it: its "
			"%llu dirty WAL pages wait for the backing file "
			"system's own flusher (wal_clean_s), or for an "
			"fsync, which commits and syncs the WAL at once "
			"(fsync_store_syncs)",
			f->cm.first_ns > f->wb.reqs.first_write_ns
				? (f->cm.first_ns - f->wb.reqs.first_write_ns) /
					  1e9
				: 0.0,
			(unsigned long long)f->wal_dirty);
	if (f->nowbc_done && f->nowbc_r.known)
		demo_note(
			c,
			"without writeback_cache there is no kernel interval: "
			"write() sent %llu WRITE requests at once and left "
			"%llu pages dirty; the loss window is the store's "
			"alone",
			(unsigned long long)f->nowbc_r.writes,
			(unsigned long long)f->nowbc_after.dirty);
	demo_note(c, "the article names msync(); for pages written with "
		     "write() the same is fsync(); msync(MS_SYNC) on a "
		     "mapping is an fsync of its range (see msync, C11)");
	if (f->lowered)
		demo_note(c, "--fast lowered both sysctls to 100 cs for the "
			     "demonstration; they are restored");
}

static int measure(struct demo_ctx *c, struct figs *f)
{
	int fd, wal, err;

	fd = demo_open(c, "file", O_RDWR);
	if (fd < 0)
		return fd;
	wal = open_wal(c);
	err = periodic(c, fd, wal, f);
	if (!err)
		err = synced(c, fd, wal, f);
	if (wal >= 0)
		close(wal);
	close(fd); /* clean by now: writes nothing */
	if (!err && c->scratch)
		err = write_through(c, f);
	return err;
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	int err;

	err = demo_file(c, "file", FILE_SIZE, 'a');
	if (err)
		return err;
	f.lowered = demo_fast_writeback(c);
	f.expire = demo_sysctl_get(EXPIRE);
	f.period = demo_sysctl_get(PERIOD);
	demo_did(c, "wrote a 1 MiB file (clean); opened it and kept that "
		    "descriptor open until the end");
	demo_did(c, "wrote 256 KiB with write(), then watched the dirty pages "
		    "and the daemon's WRITE requests every 0.1 s until clean "
		    "(at most expire + period + 5 s), then the store's commit "
		    "and its WAL pages until written");
	demo_did(c, "wrote 256 KiB again and called fsync()");
	err = measure(c, &f);
	if (err)
		return err;
	/* Another process's sync(2) would look like immediate write-back:
	 * measure again before saying so. */
	if (f.wb.clean_ns && f.wb.clean_ns < IMMEDIATE_S * 1e9 &&
	    !c->last_attempt)
		return -EAGAIN;
	if (f.nowbc_done)
		demo_did(c, "on a second scratch mount with "
			    "no_writeback_cache: wrote 256 KiB with write()");
	publish_kernel(c, &f);
	publish_store(c, &f);
	publish_fsync(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo writeback_periodic_demo = {
	.name = "writeback-periodic",
	.claim = "C13",
	.summary = "dirty pages wait for the flusher; fsync writes them at "
		   "once",
	.statement = "Write-back is periodic, not immediate: a kernel crash "
		     "or power loss before it loses data unless msync() was "
		     "called.",
	.rule = "written = wb_writes > 0 (true when not measured). unknown: "
		"dirty_at_write is 0 or unknown. refuted: clean_s < 0.5, or "
		"dirty_end > 0 and wb_writes is not > 0. reproduced: dirty_end "
		"= 0, written and dirty_fsync = 0. Otherwise partly.",
	.keys = "expire,dirty_at_write,first_write_s,clean_s,commit_lag_s,"
		"wal_clean_s,dirty_fsync",
	.opts = "commit_ms=" STR(COMMIT_MS),
	.flags = DEMO_SLOW,
	.run = run,
};
