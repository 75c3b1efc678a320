// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_crash_app.c - C12: if the process dies after writing through a
 * shared mapping, the kernel still writes the data to the file: a crash
 * loses nothing.  And the two other crashes it is not: the file system's
 * daemon dying, and the power going out.
 *
 * The application: a child dirties 64 pages through a shared mapping and
 * is killed with SIGKILL.  Its dirty pages belong to the page cache, not
 * to it: cachestat and the daemon's WRITE requests show them written
 * back (on FUSE while the kernel tears the dead process's mappings down;
 * on a disk file system later, by the flusher), and the file read back
 * from storage after a remount holds every byte.
 *
 * The daemon (scratch mounts only): on a second mount, four files in
 * four states (fsync'd; committed by the group commit; in the daemon's
 * open batch; dirty in the kernel's page cache), then SIGKILL of the
 * daemon and a new mount of the store: what is left of each.
 *
 * Power loss cannot be done live; what it would take is measured at the
 * moment of the daemon's death: pages dirty in the kernel, bytes in the
 * open batch, commits not yet synced and the store's WAL pages dirty in
 * the backing file system's page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"
#include "gmount.h"

#define FILE_PAGES 256ULL
#define FILE_SIZE (FILE_PAGES * fsi_page_size)
#define DIRTY_PAGES 64ULL
#define MARK_OFF 7 /* the byte written in each dirtied page */
#define COMMIT_MS 2000
#define PART_SIZE (256ULL << 10)

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* The application dies                                               */
/* ------------------------------------------------------------------ */

struct app {
	bool done;
	struct pc_stat before, reaped;
	uint64_t smaps_dirty;
	uint64_t kill_ns;	 /* kill -> reaped */
	struct demo_reqs exit_r; /* kill -> reaped */
	struct demo_wb wb;	 /* after, until clean (t0: the kill) */
	bool wait; /* for the flusher, if pages outlive the writer */
	bool waited;
	int sig;	   /* what ended the child */
	const char *how;   /* reload */
	uint64_t survived; /* written bytes found afterwards */
	uint64_t meminfo_dirty;
};

static int writer(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	int fd = demo_open(c, "file", O_RDWR);
	volatile char *p;
	uint64_t i;

	if (fd < 0)
		return fd;
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd); /* clean yet: this close writes nothing back */
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < DIRTY_PAGES; i++)
		p[i * fsi_page_size + MARK_OFF] = 'K';
	for (;;)
		demo_child_pause(ch); /* until killed */
	return 0;
}

/* Kill the paused child; what happened until it was reaped. */
static int kill_child(struct demo_ctx *c, struct demo_child *ch, int fd,
		      struct app *a)
{
	uint64_t mark = dm_mark(c->mnt), t0 = demo_now_ns();
	int status, err;

	if (kill(ch->pid, SIGKILL) < 0)
		return -errno;
	err = demo_child_end(ch, &status);
	if (err)
		return err;
	a->kill_ns = demo_now_ns() - t0;
	a->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	dm_requests(c->mnt, mark, demo_ino(fd), &a->exit_r);
	demo_cache(fd, &a->reaped);
	if (a->reaped.dirty != 0 && a->reaped.dirty != FSI_UNKNOWN)
		a->waited = a->wait;
	return demo_wait_clean(c, fd, demo_ino(fd), mark, t0,
			       a->waited ? demo_wb_limit_ns() : 0, &a->wb);
}

/* The written bytes present in the file as storage gives it back. */
static int read_back(struct demo_ctx *c, struct app *a)
{
	char b;
	uint64_t i;
	int fd, err;

	err = demo_reload(c, "file", &a->how);
	if (err)
		return err;
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	for (i = 0; i < DIRTY_PAGES; i++)
		if (pread(fd, &b, 1, (off_t)(i * fsi_page_size + MARK_OFF)) ==
			    1 &&
		    b == 'K')
			a->survived++;
	close(fd);
	return 0;
}

static int app_death(struct demo_ctx *c, struct app *a, bool wait)
{
	struct demo_child ch;
	struct pm_mapping m;
	int fd, err;

	a->wait = wait;
	err = demo_file(c, "file", FILE_SIZE, 'a');
	fd = err ? err : demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	err = demo_child_start(&ch, writer, c);
	if (!err)
		err = demo_child_run(&ch);
	if (!err) {
		demo_cache(fd, &a->before);
		a->meminfo_dirty = demo_meminfo("Dirty");
		a->smaps_dirty = demo_smaps(ch.pid, fd, &m)
					 ? FSI_UNKNOWN
					 : m.private_dirty + m.shared_dirty;
		err = kill_child(c, &ch, fd, a);
	}
	close(fd); /* before a remount */
	if (!err)
		err = read_back(c, a);
	a->done = !err;
	return err;
}

/*
 * The same on the kernel file system holding the scratch mount's store
 * (its private directory): there the pages outlive the writer, and the
 * flusher writes them; waited for only with --fast.
 */
static int kfs_death(struct demo_ctx *c, bool wait, struct app *a, char *fstype,
		     size_t len)
{
	struct demo_ctx k = *c;
	struct gmount g;
	int err;

	if (!c->scratch || gmount_find(c->mnt->tmp, &g))
		return 0;
	snprintf(fstype, len, "%s", g.fstype);
	k.mnt = NULL;
	k.scratch = false;
	snprintf(k.dir, sizeof(k.dir), "%s", c->mnt->tmp);
	k.dirfd = open(k.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k.dirfd < 0)
		return 0;
	err = app_death(&k, a, wait);
	unlinkat(k.dirfd, "file", 0);
	close(k.dirfd);
	if (err)
		a->done = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The daemon dies                                                    */
/* ------------------------------------------------------------------ */

enum { F_SYNCED, F_COMMITTED, F_BATCH, F_DIRTY, NFILES };

static const struct {
	const char *name;
	char fill;
	const char *what;
} dfile[NFILES] = {
	[F_SYNCED] = {"synced", 'S', "written, fsync'd"},
	[F_COMMITTED] = {"committed", 'C',
			 "written, closed, committed, not fsync'd"},
	[F_BATCH] = {"batch", 'B', "written, closed, in the open batch"},
	[F_DIRTY] = {"dirty", 'D', "written, open: dirty in the page cache"},
};

struct dmn {
	bool done;
	struct demo_store st_sync, at_kill;
	struct pc_stat dirty_at_kill; /* the "dirty" file */
	uint64_t wal_dirty; /* the store's WAL pages dirty in its fs */
	uint64_t meminfo_dirty;
	int status;
	uint64_t survived[NFILES];
};

static int fill_fd(int fd, char fill)
{
	static char buf[PART_SIZE];
	ssize_t n;

	memset(buf, fill, sizeof(buf));
	n = pwrite(fd, buf, sizeof(buf), 0);
	return n == (ssize_t)sizeof(buf) ? 0 : n < 0 ? -errno : -EIO;
}

/* Write @i's bytes; fsync or not; close or leave open (*keep). */
static int write_part(struct demo_ctx *sub, int i, int *keep)
{
	int fd = demo_open(sub, dfile[i].name, O_WRONLY), err;

	if (fd < 0)
		return fd;
	err = fill_fd(fd, dfile[i].fill);
	if (!err && i == F_SYNCED && fsync(fd) < 0)
		err = -errno;
	if (i == F_DIRTY && !err) {
		*keep = fd;
		return 0;
	}
	/* On FUSE this close writes the pages back: the daemon has them. */
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* Until the group commit has committed the open batch. */
static void wait_commit(struct demo_mount *m)
{
	struct demo_store st;
	int i;

	for (i = 0; i < (COMMIT_MS + 2000) / 20 && !demo_interrupted(); i++) {
		if (dm_store(m, &st) || !st.batch_open)
			return;
		sleep_ms(20);
	}
}

/* Pages of the store's WAL cached and dirty in the backing file
 * system's page cache: committed, not yet on the disk. */
static void wal_pages(struct demo_mount *m, struct dmn *d)
{
	char path[4200];
	struct pc_stat st;
	int fd;

	snprintf(path, sizeof(path), "%s-wal", m->store);
	d->wal_dirty = FSI_UNKNOWN;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	demo_cache(fd, &st);
	close(fd);
	d->wal_dirty = st.dirty;
}

static int make_states(struct demo_ctx *sub, struct demo_mount *m,
		       struct dmn *d, int *dirty_fd)
{
	int i, err = 0;

	for (i = 0; i < NFILES && !err; i++)
		err = demo_file(sub, dfile[i].name, 0, 0);
	if (!err)
		err = write_part(sub, F_SYNCED, dirty_fd);
	dm_store(m, &d->st_sync);
	if (!err)
		err = write_part(sub, F_COMMITTED, dirty_fd);
	if (!err)
		wait_commit(m);
	if (!err)
		err = write_part(sub, F_BATCH, dirty_fd);
	if (!err)
		err = write_part(sub, F_DIRTY, dirty_fd);
	return err;
}

/* What would be lost now, then the daemon killed. */
static int kill_daemon(struct demo_mount *m, int dirty_fd, struct dmn *d)
{
	demo_cache(dirty_fd, &d->dirty_at_kill);
	d->meminfo_dirty = demo_meminfo("Dirty");
	wal_pages(m, d);
	dm_store(m, &d->at_kill);
	return dm_kill(m, SIGKILL, &d->status);
}

static uint64_t count_fill(struct demo_ctx *sub, int i)
{
	char *buf = malloc(PART_SIZE);
	uint64_t n = 0;
	ssize_t got, k;
	int fd = demo_open(sub, dfile[i].name, O_RDONLY);

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return FSI_UNKNOWN;
	}
	got = pread(fd, buf, PART_SIZE, 0);
	for (k = 0; k < got; k++)
		n += buf[k] == dfile[i].fill;
	close(fd);
	free(buf);
	return got < 0 ? FSI_UNKNOWN : n;
}

static int survivors(struct demo_ctx *c, struct demo_mount *m, struct dmn *d)
{
	struct demo_ctx sub;
	int i, err;

	err = dm_remount(m);
	if (!err)
		err = demo_subctx(c, m, &sub);
	for (i = 0; i < NFILES && !err; i++)
		d->survived[i] = count_fill(&sub, i);
	demo_subctx_close(&sub);
	return err;
}

static int daemon_death(struct demo_ctx *c, struct dmn *d)
{
	char opts[64];
	struct demo_mount *m;
	struct demo_ctx sub;
	int err, dirty_fd = -1;

	snprintf(opts, sizeof(opts), "commit_ms=%d", COMMIT_MS);
	if (!c->scratch || demo_extra_mount(c, opts, &m))
		return 0; /* n/a */
	err = demo_subctx(c, m, &sub);
	if (!err)
		err = make_states(&sub, m, d, &dirty_fd);
	if (!err)
		err = kill_daemon(m, dirty_fd, d);
	/* Every descriptor into the dead mount goes before the new one. */
	if (dirty_fd >= 0)
		close(dirty_fd);
	demo_subctx_close(&sub);
	if (!err)
		err = survivors(c, m, d);
	dm_stop(m);
	d->done = !err;
	return err;
}

/* ------------------------------------------------------------------ */
/* Figures and verdict                                                */
/* ------------------------------------------------------------------ */

struct figs {
	struct app a, k;
	char kfs[64];
	struct dmn d;
	bool lowered;
};

static void publish_app(struct demo_ctx *c, const struct app *a)
{
	demo_fig(c, "written", DIRTY_PAGES, "bytes", SRC_PROGRAM,
		 "bytes written through the mapping, one per page");
	demo_fig(c, "dirty_at_kill", a->before.dirty, "pages", SRC_CACHESTAT,
		 "dirty when the writer was killed");
	demo_fig(c, "smaps_dirty", a->smaps_dirty, "bytes", SRC_SMAPS,
		 "the writer's mapping's dirty bytes then");
	demo_fig_text(c, "killed_by", a->sig ? sigabbrev_np(a->sig) : "exit",
		      SRC_PROGRAM, "what ended the writer");
	demo_fig_real(c, "reap_ms", a->kill_ns / 1e6, "ms", SRC_CLOCK,
		      "kill() to the writer reaped");
	demo_fig_writes(c, "exit", &a->exit_r, "kill() to reaped");
	if (c->mnt && a->exit_r.known)
		demo_fig(c, "exit_flagged", a->exit_r.writepages, "requests",
			 SRC_DAEMON, "of which flagged as kernel write-back");
	else
		demo_fig_na(c, "exit_flagged", "requests", SRC_DAEMON,
			    "of which flagged as kernel write-back");
	demo_fig(c, "dirty_reaped", a->reaped.dirty, "pages", SRC_CACHESTAT,
		 "dirty once the writer was reaped");
	demo_fig_writes(c, "wb", &a->wb.reqs, "kill() to clean");
	demo_fig_real(c, "clean_s", a->wb.clean_ns ? a->wb.clean_ns / 1e9 : NAN,
		      "s", SRC_CACHESTAT, "kill() to no dirty page");
	demo_fig(c, "dirty_end", a->wb.dirty_end, "pages", SRC_CACHESTAT,
		 "dirty when we stopped watching");
	demo_fig_text(c, "reload", a->how, SRC_PROGRAM,
		      "how the file was read back from storage");
	demo_fig(c, "survived", a->survived, "bytes", SRC_PROGRAM,
		 "written bytes found in the file read back");
}

static void publish_kfs(struct demo_ctx *c, const struct figs *f)
{
	const struct app *k = &f->k;

	if (!k->done) {
		demo_fig_na(c, "kfs", NULL, SRC_PROGRAM,
			    "kernel file system compared");
		demo_fig_na(c, "kfs_dirty_reaped", "pages", SRC_CACHESTAT,
			    "there: dirty once the writer was reaped");
		demo_fig_na(c, "kfs_clean_s", "s", SRC_CACHESTAT,
			    "there: kill() to no dirty page");
		demo_fig_na(c, "kfs_survived", "bytes", SRC_PROGRAM,
			    "there: written bytes found afterwards");
		return;
	}
	demo_fig_text(c, "kfs", f->kfs, SRC_PROGRAM,
		      "kernel file system compared (the store's)");
	demo_fig(c, "kfs_dirty_reaped", k->reaped.dirty, "pages", SRC_CACHESTAT,
		 "there: dirty once the writer was reaped");
	demo_fig_real(c, "kfs_clean_s",
		      k->wb.clean_ns ? k->wb.clean_ns / 1e9 : NAN, "s",
		      SRC_CACHESTAT, "there: kill() to no dirty page");
	demo_fig(c, "kfs_survived", k->survived, "bytes", SRC_PROGRAM,
		 "there: written bytes found afterwards");
}

static void publish_daemon(struct demo_ctx *c, const struct dmn *d)
{
	static const char *const key[NFILES] = {"dmn_synced", "dmn_committed",
						"dmn_batch", "dmn_dirty"};
	char what[128];
	int i;

	for (i = 0; i < NFILES; i++) {
		snprintf(what, sizeof(what),
			 "daemon killed: bytes left of a file %s",
			 dfile[i].what);
		if (d->done)
			demo_fig(c, key[i], d->survived[i], "bytes",
				 SRC_PROGRAM, what);
		else
			demo_fig_na(c, key[i], "bytes", SRC_PROGRAM, what);
	}
	if (d->done) {
		demo_fig(c, "dmn_written", PART_SIZE, "bytes", SRC_PROGRAM,
			 "daemon killed: bytes written to each file");
		demo_fig_text(c, "dmn_killed_by",
			      WIFSIGNALED(d->status)
				      ? sigabbrev_np(WTERMSIG(d->status))
				      : "exit",
			      SRC_PROGRAM, "what ended the daemon");
	} else {
		demo_fig_na(c, "dmn_written", "bytes", SRC_PROGRAM,
			    "daemon killed: bytes written to each file");
		demo_fig_na(c, "dmn_killed_by", NULL, SRC_PROGRAM,
			    "what ended the daemon");
	}
}

/* Power loss at the moment the daemon was killed: what was at risk. */
static void publish_power(struct demo_ctx *c, const struct figs *f)
{
	const struct dmn *d = &f->d;
	bool st = d->done && d->at_kill.known && d->st_sync.known;

	demo_fig(c, "pl_kernel_dirty",
		 d->done ? d->dirty_at_kill.dirty : f->a.before.dirty, "pages",
		 SRC_CACHESTAT, "at risk: file pages dirty in the page cache");
	if (st) {
		demo_fig(c, "pl_batch_open", d->at_kill.batch_open, "yes=1",
			 SRC_DAEMON, "a batch was open, not committed");
		demo_fig(c, "pl_batch_bytes", d->at_kill.batch_bytes, "bytes",
			 SRC_DAEMON, "at risk: in the daemon's open batch");
		demo_fig(c, "pl_unsynced_commits",
			 d->at_kill.commits - d->st_sync.commits, "commits",
			 SRC_DAEMON, "at risk: commits since the last fsync");
	} else {
		demo_fig_na(c, "pl_batch_open", "yes=1", SRC_DAEMON,
			    "a batch was open, not committed");
		demo_fig_na(c, "pl_batch_bytes", "bytes", SRC_DAEMON,
			    "at risk: in the daemon's open batch");
		demo_fig_na(c, "pl_unsynced_commits", "commits", SRC_DAEMON,
			    "at risk: commits since the last fsync");
	}
	if (d->done)
		demo_fig(c, "pl_wal_dirty", d->wal_dirty, "pages",
			 SRC_CACHESTAT,
			 "at risk: store WAL pages dirty in the disk's cache");
	else
		demo_fig_na(
			c, "pl_wal_dirty", "pages", SRC_CACHESTAT,
			"at risk: store WAL pages dirty in the disk's cache");
	demo_fig(c, "pl_meminfo_dirty",
		 d->done ? d->meminfo_dirty : f->a.meminfo_dirty, "bytes",
		 SRC_MEMINFO, "at risk machine-wide: Dirty");
}

static void judge(struct demo_ctx *c, const struct app *a)
{
	if (!a->done)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the file could not be read back");
	else if (a->survived == DIRTY_PAGES && a->before.dirty == 0)
		demo_verdict(c, DEMO_REPRODUCED,
			     "every one of the killed writer's %llu bytes was "
			     "in the file afterwards: on %s nothing was dirty, "
			     "the page cache is the file's only copy",
			     (unsigned long long)DIRTY_PAGES, c->fstype);
	else if (a->survived == DIRTY_PAGES)
		demo_verdict(c, DEMO_REPRODUCED,
			     "the writer was killed with %llu pages dirty; "
			     "every one of its %llu bytes was in the file "
			     "read back from storage (%s)",
			     (unsigned long long)a->before.dirty,
			     (unsigned long long)DIRTY_PAGES, a->how);
	else
		demo_verdict(c, DEMO_REFUTED,
			     "only %llu of the %llu bytes written before the "
			     "kill were in the file read back (%s)",
			     (unsigned long long)a->survived,
			     (unsigned long long)DIRTY_PAGES, a->how);
}

static void explain_app(struct demo_ctx *c, const struct figs *f)
{
	const struct app *a = &f->a, *k = &f->k;

	demo_note(c, "the pages a process dirties through a shared mapping "
		     "are the page cache's, not the process's: its death "
		     "removes its mapping, not the pages, and write-back goes "
		     "on as for any dirty page");
	if (c->mnt && a->exit_r.known && a->exit_r.writes)
		demo_note(c,
			  "on FUSE they were written while the kernel tore the "
			  "killed process's mappings down, before it could be "
			  "reaped (%llu WRITE requests in %.1f ms): FUSE "
			  "writes a file back whenever a shared mapping of it "
			  "is closed (the article's \"at exit\" is FUSE's "
			  "behaviour, not the rule)",
			  (unsigned long long)a->exit_r.writes,
			  a->kill_ns / 1e6);
	else if (a->waited)
		demo_note(c,
			  "%llu pages were still dirty when the killed writer "
			  "was reaped: nothing is written at exit; the "
			  "flusher wrote them %.1f s after the kill",
			  (unsigned long long)a->reaped.dirty,
			  a->wb.clean_ns / 1e9);
	if (k->done && k->reaped.dirty != FSI_UNKNOWN && k->reaped.dirty)
		demo_note(c,
			  "on %s (kfs_*) the killed writer's %llu pages were "
			  "still dirty after it was reaped: nothing is written "
			  "at exit; %s",
			  f->kfs, (unsigned long long)k->reaped.dirty,
			  k->wb.clean_ns ? "the flusher wrote them later "
					   "(kfs_clean_s)"
					 : "the flusher writes them after "
					   "dirty_expire_centisecs (--fast "
					   "waits for it)");
}

static void explain_crashes(struct demo_ctx *c, const struct figs *f)
{
	const struct dmn *d = &f->d;

	if (d->done)
		demo_note(c,
			  "the daemon killed (SIGKILL) is another event: a "
			  "file fsync'd kept %llu of %llu bytes, one "
			  "committed by the group commit %llu, one still in "
			  "the daemon's open batch (commit_ms=%d) %llu, one "
			  "dirty in the kernel's page cache %llu: the kernel "
			  "cannot write back to a dead daemon",
			  (unsigned long long)d->survived[F_SYNCED],
			  (unsigned long long)PART_SIZE,
			  (unsigned long long)d->survived[F_COMMITTED],
			  COMMIT_MS, (unsigned long long)d->survived[F_BATCH],
			  (unsigned long long)d->survived[F_DIRTY]);
	else
		demo_note(c, "the daemon's death is shown on a scratch mount "
			     "only (it kills the daemon)");
	demo_note(c,
		  "power loss cannot be shown live; at that moment it would "
		  "have lost the page cache's dirty pages (pl_kernel_dirty), "
		  "the daemon's open batch (pl_batch_bytes) and, since "
		  "commits reach the disk only at an fsync, possibly the "
		  "commits since the last one (pl_unsynced_commits, whose WAL "
		  "pages were pl_wal_dirty dirty in the disk's own cache): "
		  "only fsync'd data is sure to survive");
	if (f->lowered)
		demo_note(c, "--fast lowered the write-back sysctls to 100 cs "
			     "while waiting; they are restored");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	int err;

	f.lowered = demo_fast_writeback(c);
	demo_did(c, "a child mapped a clean 1 MiB file (MAP_SHARED), closed "
		    "its descriptor, wrote a byte in each of 64 pages and was "
		    "killed with SIGKILL; we held a read-only descriptor");
	demo_did(c, "watched the dirty pages and the daemon's WRITE requests "
		    "from the kill until the pages were clean, then read the "
		    "file back from storage");
	err = app_death(c, &f.a, true);
	if (!err)
		err = kfs_death(c, f.lowered, &f.k, f.kfs, sizeof(f.kfs));
	if (!err)
		err = daemon_death(c, &f.d);
	if (err)
		return err;
	if (f.k.done)
		demo_did(c,
			 "the same in the scratch mount's own directory, on "
			 "%s%s",
			 f.kfs,
			 f.lowered ? ""
				   : " (without --fast, not waiting for "
				     "its flusher)");
	if (f.d.done)
		demo_did(c,
			 "on a second scratch mount (commit_ms=%d): four "
			 "256 KiB files, fsync'd / committed / in the open "
			 "batch / dirty in the page cache; the daemon "
			 "killed with SIGKILL, the store mounted again and "
			 "read",
			 COMMIT_MS);
	publish_app(c, &f.a);
	publish_kfs(c, &f);
	publish_daemon(c, &f.d);
	publish_power(c, &f);
	judge(c, &f.a);
	explain_app(c, &f);
	explain_crashes(c, &f);
	return 0;
}

const struct demo crash_app_demo = {
	.name = "crash-app",
	.claim = "C12",
	.summary = "a killed process's dirty pages still reach the file; a "
		   "killed daemon's may not",
	.statement = "If the process dies after writing through a shared "
		     "mapping, the kernel still writes the data to the file: "
		     "a crash loses nothing.",
	.rule = "unknown when survived is unknown. reproduced: survived = "
		"written. refuted: survived < written. The dmn_* (daemon "
		"killed) and pl_* (power loss) figures are shown, not judged.",
	.keys = "dirty_at_kill,exit_writes,dirty_reaped,survived,dmn_batch,"
		"dmn_dirty",
	.run = run,
};
