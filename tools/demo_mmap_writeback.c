// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_writeback.c - C8: changes made through a shared mapping
 * reach the file without write(): the kernel writes dirty pages back by
 * itself, after a while.
 *
 * A child dirties 64 pages through a shared mapping and then does
 * nothing: no write(), msync() or close.  We watch, through a descriptor
 * held open all along (on FUSE every close writes back), the dirty count
 * fall (cachestat), the child's mapping (smaps), and the daemon's WRITE
 * requests flagged as write-back, and time how long the kernel took.
 * Then the child dirties them again, and we close a descriptor of our
 * own: on FUSE that alone writes them back at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_PAGES 256ULL
#define DIRTY_PAGES 64ULL
#define POLL_MS 100

#define EXPIRE "/proc/sys/vm/dirty_expire_centisecs"
#define PERIOD "/proc/sys/vm/dirty_writeback_centisecs"

enum { STEP_DIRTY, STEP_REDIRTY };

static void dirty(volatile char *p, int round)
{
	uint64_t i;

	for (i = 0; i < DIRTY_PAGES; i++)
		p[i * fsi_page_size] = (char)('a' + round);
}

static int child(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	size_t len = FILE_PAGES * fsi_page_size;
	int fd = demo_open(c, "file", O_RDWR);
	volatile char *p;

	if (fd < 0)
		return fd;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd); /* before any page is dirty: the mapping is all it has */
	if (p == MAP_FAILED)
		return -errno;
	demo_step_begin(ch, STEP_DIRTY);
	dirty(p, 0);
	demo_step_end(ch, STEP_DIRTY, DIRTY_PAGES);
	ch->sh->step[STEP_DIRTY].v[0] = demo_now_ns();
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_REDIRTY);
	dirty(p, 1);
	demo_step_end(ch, STEP_REDIRTY, DIRTY_PAGES);
	demo_child_pause(ch);
	munmap((void *)p, len);
	return 0;
}

struct figs {
	uint64_t expire, period;   /* sysctls in effect, centiseconds */
	bool lowered;		   /* by --fast */
	struct pc_stat at_write;   /* right after the child's writes */
	uint64_t smaps_dirty;	   /* bytes */
	struct demo_reqs wb;	   /* while waiting */
	uint64_t first_write_s_ns; /* first WRITE after the writes */
	uint64_t clean_ns;	   /* dirty count first 0, after the writes */
	uint64_t dirty_end, waited_ns;
	char wb_comm[64];
	struct pc_stat before_close, after_close;
	struct demo_reqs close;
};

static uint64_t read_sysctl(const char *path)
{
	unsigned long long v;
	uint64_t out = FSI_UNKNOWN;
	FILE *f = fopen(path, "re");

	if (f && fscanf(f, "%llu", &v) == 1)
		out = v;
	if (f)
		fclose(f);
	return out;
}

/* --fast: 1 s expiry and flusher period, until the demonstration ends. */
static void lower_sysctls(struct demo_ctx *c, struct figs *f)
{
	char old[64];
	int h;

	if (!c->fast)
		return;
	if (!c->root) {
		demo_note(c, "--fast needs root to lower the write-back "
			     "sysctls; waiting at their values");
		return;
	}
	f->lowered = demo_sysctl_set(EXPIRE, "100", old, &h) == 0 &&
		     demo_sysctl_set(PERIOD, "100", old, &h) == 0;
}

static void comm_of(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	/* The kernel's own requests carry no process (pid 0). */
	snprintf(buf, len, "%s", pid ? "exited" : "kernel");
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = pid ? fopen(path, "re") : NULL;
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Poll until the pages are clean and (on glassfs) WRITEs came. */
static int wait_writeback(struct demo_ctx *c, int fd, uint64_t ino,
			  uint64_t mark, uint64_t t0, struct figs *f)
{
	uint64_t limit = (f->expire + f->period) * 10000000ULL + 5000000000ULL;
	struct pc_stat st;

	for (;;) {
		uint64_t now = demo_now_ns();

		demo_cache(fd, &st);
		dm_requests(c->mnt, mark, ino, &f->wb);
		if (st.dirty == 0 && !f->clean_ns)
			f->clean_ns = now - t0;
		f->dirty_end = st.dirty;
		f->waited_ns = now - t0;
		if (st.dirty == 0 && (!f->wb.known || f->wb.writes))
			break;
		if (st.dirty == FSI_UNKNOWN || f->waited_ns > limit)
			break;
		if (demo_interrupted())
			return -EINTR;
		demo_progress("waiting for the kernel's write-back: %.0f s, "
			      "%llu pages dirty",
			      f->waited_ns / 1e9, (unsigned long long)st.dirty);
		sleep_ms(POLL_MS);
	}
	demo_progress("%s", "");
	if (f->wb.writes && f->wb.first_write_ns > t0)
		f->first_write_s_ns = f->wb.first_write_ns - t0;
	comm_of(f->wb.write_pid, f->wb_comm, sizeof(f->wb_comm));
	return 0;
}

/* The pages dirtied again; we close a descriptor of our own. */
static int close_flush(struct demo_ctx *c, struct demo_child *ch, int fd,
		       uint64_t ino, struct figs *f)
{
	uint64_t mark;
	int err = demo_child_run(ch), other;

	if (err)
		return err;
	demo_cache(fd, &f->before_close);
	mark = dm_mark(c->mnt);
	other = demo_open(c, "file", O_RDONLY);
	if (other < 0)
		return other;
	close(other);
	dm_requests(c->mnt, mark, ino, &f->close);
	demo_cache(fd, &f->after_close);
	return 0;
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	uint64_t ino = demo_ino(fd), mark, t0;
	struct demo_child ch;
	struct pm_mapping m;
	int err, status;

	err = demo_child_start(&ch, child, c);
	if (err)
		return err;
	mark = dm_mark(c->mnt);
	err = demo_child_run(&ch);
	t0 = ch.sh->step[STEP_DIRTY].v[0];
	demo_cache(fd, &f->at_write);
	f->smaps_dirty = FSI_UNKNOWN;
	if (!err && demo_smaps(ch.pid, fd, &m) == 0)
		f->smaps_dirty = m.private_dirty + m.shared_dirty;
	if (!err)
		err = wait_writeback(c, fd, ino, mark, t0, f);
	if (!err)
		err = close_flush(c, &ch, fd, ino, f);
	if (!err)
		err = demo_child_run(&ch);
	if (err == -ECHILD)
		err = 0;
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	return err;
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "dirtied", DIRTY_PAGES, "pages", SRC_PROGRAM,
		 "pages written through the mapping");
	demo_fig(c, "expire", f->expire, "cs", SRC_SYSCTL,
		 "vm.dirty_expire_centisecs in effect");
	demo_fig(c, "period", f->period, "cs", SRC_SYSCTL,
		 "vm.dirty_writeback_centisecs in effect");
	demo_fig(c, "dirty_at_write", f->at_write.dirty, "pages", SRC_CACHESTAT,
		 "dirty right after the writes");
	demo_fig(c, "smaps_dirty", f->smaps_dirty, "bytes", SRC_SMAPS,
		 "the mapping's dirty bytes then");
	demo_fig_writes(c, "wb", &f->wb, "while waiting");
	if (c->mnt && f->wb.known) {
		demo_fig(c, "wb_flagged", f->wb.writepages, "requests",
			 SRC_DAEMON, "of which flagged as kernel write-back");
		demo_fig_text(c, "wb_sender", f->wb_comm, SRC_DAEMON,
			      "thread that sent the first WRITE");
	} else {
		demo_fig_na(c, "wb_flagged", "requests", SRC_DAEMON,
			    "of which flagged as kernel write-back");
		demo_fig_na(c, "wb_sender", NULL, SRC_DAEMON,
			    "thread that sent the first WRITE");
	}
	if (c->mnt)
		demo_fig_real(c, "first_write_s",
			      f->first_write_s_ns ? f->first_write_s_ns / 1e9
						  : NAN,
			      "s", SRC_DAEMON, "the writes to the first WRITE");
	else
		demo_fig_na(c, "first_write_s", "s", SRC_DAEMON,
			    "the writes to the first WRITE");
	/* Only a count that was above 0 can fall to 0. */
	demo_fig_real(c, "clean_s",
		      f->clean_ns && f->at_write.dirty != FSI_UNKNOWN &&
				      f->at_write.dirty
			      ? f->clean_ns / 1e9
			      : NAN,
		      "s", SRC_CACHESTAT, "the writes to no dirty page");
	demo_fig(c, "dirty_end", f->dirty_end, "pages", SRC_CACHESTAT,
		 "dirty when we stopped waiting");
	demo_fig_real(c, "waited_s", f->waited_ns / 1e9, "s", SRC_CLOCK,
		      "how long we watched");
	demo_fig(c, "close_dirty_before", f->before_close.dirty, "pages",
		 SRC_CACHESTAT, "dirtied again, before our close()");
	demo_fig_writes(c, "close", &f->close, "our open() + close()");
	demo_fig(c, "close_dirty_after", f->after_close.dirty, "pages",
		 SRC_CACHESTAT, "dirty right after our close()");
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	uint64_t seen = f->at_write.dirty;
	bool written = !f->wb.known || f->wb.writes > 0;

	if (seen == 0 && f->smaps_dirty != FSI_UNKNOWN && f->smaps_dirty)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the mapping had %llu dirty bytes but the file "
			     "had no page waiting for write-back: %s keeps no "
			     "storage behind its page cache, there is nothing "
			     "to write back to",
			     (unsigned long long)f->smaps_dirty, c->fstype);
	else if (seen == FSI_UNKNOWN || seen == 0)
		demo_verdict(c, DEMO_UNKNOWN,
			     "no dirty page was seen after the writes (%s): "
			     "something wrote them back before we looked",
			     seen ? "cachestat could not tell" : "0 dirty");
	else if (f->dirty_end == 0 && written)
		demo_verdict(c, DEMO_REPRODUCED,
			     "%llu pages dirtied through the mapping were "
			     "written back with no write(), msync() or close "
			     "from anyone, %.1f s later",
			     (unsigned long long)seen, f->clean_ns / 1e9);
	else if (f->dirty_end != FSI_UNKNOWN && f->dirty_end > 0 &&
		 !(f->wb.known && f->wb.writes))
		demo_verdict(c, DEMO_REFUTED,
			     "%llu pages were still dirty after %.0f s, and "
			     "nothing was written back",
			     (unsigned long long)f->dirty_end,
			     f->waited_ns / 1e9);
	else
		demo_verdict(c, DEMO_PARTLY,
			     "some pages were written back (%llu WRITE "
			     "requests), %llu were still dirty after %.0f s",
			     (unsigned long long)f->wb.writes,
			     (unsigned long long)f->dirty_end,
			     f->waited_ns / 1e9);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c,
		  "\"after a while\" is the kernel's policy: the flusher "
		  "wakes every dirty_writeback_centisecs and writes back "
		  "inodes dirty for longer than dirty_expire_centisecs "
		  "(%llu and %llu cs here), or sooner under the dirty "
		  "limits; a sync(2) by any process on the machine also "
		  "writes them",
		  (unsigned long long)f->period, (unsigned long long)f->expire);
	if (c->mnt && f->close.known && f->close.writes)
		demo_note(c,
			  "on FUSE closing any descriptor of the file, even "
			  "a read-only one from another process, writes its "
			  "dirty pages back at once: our close() sent %llu "
			  "WRITE requests (%llu bytes)",
			  (unsigned long long)f->close.writes,
			  (unsigned long long)f->close.write_bytes);
	else if (f->after_close.dirty != FSI_UNKNOWN &&
		 f->after_close.dirty > 0)
		demo_note(c,
			  "on %s closing a descriptor writes nothing back: "
			  "%llu pages were still dirty after it",
			  c->fstype, (unsigned long long)f->after_close.dirty);
	if (f->lowered)
		demo_note(c, "--fast lowered both sysctls to 100 cs for the "
			     "demonstration; they are restored");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	int fd, err;

	err = demo_file(c, "file", FILE_PAGES * fsi_page_size, 'w');
	if (err)
		return err;
	lower_sysctls(c, &f);
	f.expire = read_sysctl(EXPIRE);
	f.period = read_sysctl(PERIOD);
	demo_did(c, "wrote a 1 MiB file (clean); opened it read-only and kept "
		    "that descriptor open until the end");
	demo_did(c,
		 "a child mapped it (MAP_SHARED), closed its descriptor, "
		 "wrote one byte in each of 64 pages through the mapping, and "
		 "then did nothing");
	demo_did(c, "watched the dirty pages and the daemon's WRITE requests "
		    "every 0.1 s until the pages were clean (at most expire + "
		    "period + 5 s)");
	demo_did(c, "the child dirtied the pages again; we opened and closed "
		    "the file once");
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	err = measure(c, fd, &f);
	close(fd);
	if (err)
		return err;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo mmap_writeback_demo = {
	.name = "mmap-writeback",
	.claim = "C8",
	.summary = "pages dirtied through a mapping are written back by "
		   "themselves",
	.statement = "Changes made through a shared mapping reach the file "
		     "without write(): the system writes dirty pages back by "
		     "itself, after a while.",
	.rule = "written = wb_writes > 0 (true when not measured). unknown: "
		"dirty_at_write is 0 or unknown. reproduced: dirty_end = 0 "
		"and written. refuted: dirty_end > 0 and wb_writes is not > 0. "
		"Otherwise partly.",
	.keys = "dirty_at_write,wb_writes,first_write_s,clean_s,close_writes",
	.flags = DEMO_SLOW,
	.run = run,
};
