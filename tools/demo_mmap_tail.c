// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_tail.c - C7: a mapping is a whole number of pages; mapping a
 * 5 KiB file occupies 8 KiB, bytes 5K..8K read as zero, writing there
 * raises no error and is never written back.
 *
 * A child maps 5120 bytes of a 5120-byte file, reads and writes the rest
 * of the last page, msyncs and unmaps.  smaps shows the size of the
 * mapping, the daemon's WRITE requests show what write-back sent (the
 * kernel trims it at the file size), stat shows the size, and the file
 * read back from storage (after a remount) shows what reached it.  Two
 * more children touch memory beyond the last page: inside a longer
 * mapping (SIGBUS) and beyond the mapping (SIGSEGV).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_SIZE 5120ULL

enum { STEP_READ, STEP_WRITE };

/* Bytes of [from, to) of @p that are not zero, or are @want. */
static uint64_t count(volatile const char *p, uint64_t from, uint64_t to,
		      int want)
{
	uint64_t n = 0, i;

	for (i = from; i < to; i++)
		n += want < 0 ? p[i] != 0 : p[i] == want;
	return n;
}

static int tail_child(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	uint64_t page_end = fsi_pages(FILE_SIZE) * fsi_page_size;
	volatile char *p;
	uint64_t i;
	int fd = demo_open(c, "five", O_RDWR);

	if (fd < 0)
		return fd;
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	demo_step_begin(ch, STEP_READ);
	ch->sh->step[STEP_READ].v[0] = count(p, FILE_SIZE, page_end, -1);
	demo_step_end(ch, STEP_READ, (int64_t)(page_end - FILE_SIZE));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_WRITE);
	for (i = FILE_SIZE; i < page_end; i++)
		p[i] = 'Z';
	ch->sh->step[STEP_WRITE].v[0] = count(p, FILE_SIZE, page_end, 'Z');
	ch->sh->step[STEP_WRITE].v[1] =
		msync((void *)p, FILE_SIZE, MS_SYNC) ? (uint64_t)errno : 0;
	munmap((void *)p, FILE_SIZE);
	close(fd);
	demo_step_end(ch, STEP_WRITE, (int64_t)(page_end - FILE_SIZE));
	return 0;
}

/* Touch @at in a mapping of @len bytes of the file: it should not
 * return. */
struct poke {
	struct demo_ctx *c;
	uint64_t len, at;
};

static int poke_child(struct demo_child *ch, void *arg)
{
	const struct poke *k = arg;
	volatile char *p;
	int fd = demo_open(k->c, "five", O_RDWR);

	if (fd < 0)
		return fd;
	/* A guard page after the mapping, so that what lies beyond it is
	 * certainly no mapping of ours. */
	p = mmap(NULL, k->len + fsi_page_size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	p = mmap((void *)p, k->len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	p[k->at] = 'X';
	return 0; /* survived */
}

/* The signal that ended a child touching @at of a @len-byte mapping;
 * 0 if it survived, -errno if it could not run. */
static int poke(struct demo_ctx *c, uint64_t len, uint64_t at)
{
	struct poke k = {c, len, at};
	struct demo_child ch;
	int err, status;

	err = demo_child_start(&ch, poke_child, &k);
	if (!err)
		err = demo_child_run(&ch);
	if (err && err != -ECHILD)
		return err;
	err = demo_child_end(&ch, &status);
	if (err)
		return err;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

struct figs {
	struct demo_step s[2];
	struct pm_mapping map;
	bool have_map;
	struct pc_stat cached;
	struct demo_reqs wb;
	uint64_t size_after, z_after, a_after, tail_after;
	const char *how;
	int sigbus, sigsegv;
};

static int tail_run(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ch;
	uint64_t ino = demo_ino(fd), mark;
	int err, status;

	err = demo_child_start(&ch, tail_child, c);
	if (err)
		return err;
	err = demo_child_run(&ch);
	if (!err) {
		f->have_map = demo_smaps(ch.pid, fd, &f->map) == 0;
		demo_cache(fd, &f->cached);
	}
	mark = dm_mark(c->mnt);
	if (!err)
		err = demo_child_run(&ch);
	if (err == -ECHILD)
		err = 0;
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, &f->wb);
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	memcpy(f->s, ch.sh->step, sizeof(f->s));
	return err;
}

/* After the reload: the file as read(2) and a fresh mapping see it. */
static int read_back(struct demo_ctx *c, struct figs *f)
{
	uint64_t page_end = fsi_pages(FILE_SIZE) * fsi_page_size;
	char buf[8192];
	struct stat st;
	ssize_t n;
	void *p;
	int fd = demo_open(c, "five", O_RDONLY);

	if (fd < 0)
		return fd;
	n = pread(fd, buf, sizeof(buf), 0);
	f->size_after = fstat(fd, &st) ? FSI_UNKNOWN : (uint64_t)st.st_size;
	f->z_after = n < 0 ? FSI_UNKNOWN : count(buf, 0, (uint64_t)n, 'Z');
	f->a_after = n < 0 ? FSI_UNKNOWN : count(buf, 0, (uint64_t)n, 'A');
	p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	f->tail_after = FSI_UNKNOWN;
	if (p != MAP_FAILED) {
		f->tail_after = count(p, FILE_SIZE, page_end, -1);
		munmap(p, FILE_SIZE);
	}
	close(fd);
	return 0;
}

static int measure(struct demo_ctx *c, struct figs *f)
{
	int fd = demo_open(c, "five", O_RDONLY), err;

	if (fd < 0)
		return fd;
	err = tail_run(c, fd, f);
	close(fd); /* before a remount */
	if (!err)
		err = demo_reload(c, "five", &f->how);
	if (!err)
		err = read_back(c, f);
	if (!err)
		f->sigbus = poke(c, 3 * fsi_page_size, 2 * fsi_page_size);
	if (!err)
		f->sigsegv = poke(c, FILE_SIZE, 2 * fsi_page_size);
	if (f->sigbus < 0)
		err = f->sigbus;
	if (f->sigsegv < 0)
		err = f->sigsegv;
	return err;
}

/* "SIGBUS", or "none" (static buffer). */
static const char *sig_text(int sig)
{
	static char buf[2][32];
	static int i;

	if (!sig)
		return "none";
	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "SIG%s", sigabbrev_np(sig));
	return buf[i];
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	const struct demo_step *r = &f->s[STEP_READ], *w = &f->s[STEP_WRITE];

	demo_fig(c, "size", FILE_SIZE, "bytes", SRC_PROGRAM,
		 "file size, and the length mapped");
	demo_fig(c, "map_size",
		 f->have_map ? f->map.end - f->map.start : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, "size of the mapping the kernel made");
	demo_fig(c, "cached", f->cached.cached, "pages", SRC_CACHESTAT,
		 "file pages cached while mapped");
	demo_fig(c, "tail", (uint64_t)r->result, "bytes", SRC_PROGRAM,
		 "bytes of the last page past the end of file");
	demo_fig(c, "tail_nonzero", r->v[0], "bytes", SRC_PROGRAM,
		 "of those, not zero when read");
	demo_fig(c, "tail_written", w->v[0], "bytes", SRC_PROGRAM,
		 "written there, without a fault, and read back");
	demo_fig(c, "msync_errno", w->v[1], "errno", SRC_PROGRAM,
		 "msync(MS_SYNC) of the mapping: 0 is success");
	demo_fig_writes(c, "wb", &f->wb, "write-back");
	if (c->mnt && f->wb.known)
		demo_fig(c, "wb_end", f->wb.write_end, "bytes", SRC_DAEMON,
			 "write-back: furthest byte sent (offset + length)");
	else
		demo_fig_na(c, "wb_end", "bytes", SRC_DAEMON,
			    "write-back: furthest byte sent (offset + length)");
	demo_fig_text(c, "reload", f->how, SRC_PROGRAM,
		      "how the file was read back from storage");
	demo_fig(c, "size_after", f->size_after, "bytes", SRC_STAT,
		 "file size afterwards");
	demo_fig(c, "z_after", f->z_after, "bytes", SRC_PROGRAM,
		 "written bytes found in the file afterwards");
	demo_fig(c, "a_after", f->a_after, "bytes", SRC_PROGRAM,
		 "original bytes found in the file afterwards");
	demo_fig(c, "tail_after", f->tail_after, "bytes", SRC_PROGRAM,
		 "non-zero bytes past the end in a new mapping");
	demo_fig_text(c, "past_page", sig_text(f->sigbus), SRC_PROGRAM,
		      "touching page 3 of a 3-page mapping: signal");
	demo_fig_text(c, "past_mapping", sig_text(f->sigsegv), SRC_PROGRAM,
		      "touching the page after a 2-page mapping: signal");
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	const struct demo_step *r = &f->s[STEP_READ], *w = &f->s[STEP_WRITE];
	uint64_t page_end = fsi_pages(FILE_SIZE) * fsi_page_size;
	uint64_t tail = page_end - FILE_SIZE;
	bool sent = f->wb.known && f->wb.write_end > FILE_SIZE;
	uint64_t map_size = f->have_map ? f->map.end - f->map.start : 0;

	if (!f->have_map || f->size_after == FSI_UNKNOWN ||
	    f->z_after == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the mapping or the file "
			     "afterwards could not be measured");
	else if (map_size == page_end && r->v[0] == 0 && w->v[0] == tail &&
		 f->size_after == FILE_SIZE && f->z_after == 0 && !sent)
		demo_verdict(c, DEMO_REPRODUCED,
			     "the kernel mapped %llu bytes for %llu; the %llu "
			     "bytes past the end read as zero, took a write "
			     "without a fault, and never reached the file "
			     "(size %llu, none of them in it)",
			     (unsigned long long)map_size,
			     (unsigned long long)FILE_SIZE,
			     (unsigned long long)tail,
			     (unsigned long long)f->size_after);
	else if (f->size_after != FILE_SIZE || f->z_after > 0 || sent ||
		 r->v[0] > 0)
		demo_verdict(c, DEMO_REFUTED,
			     "the bytes past the end were not zero (%llu) or "
			     "reached the file (size %llu, %llu written bytes "
			     "in it)",
			     (unsigned long long)r->v[0],
			     (unsigned long long)f->size_after,
			     (unsigned long long)f->z_after);
	else
		demo_verdict(c, DEMO_PARTLY,
			     "the mapping was %llu bytes and %llu of %llu "
			     "bytes written past the end were read back",
			     (unsigned long long)map_size,
			     (unsigned long long)w->v[0],
			     (unsigned long long)tail);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	if (f->sigbus == SIGBUS)
		demo_note(c,
			  "the precise statement: only the rest of the last "
			  "page is forgiven; touching a whole page past the "
			  "end of the file inside a mapping raises SIGBUS, "
			  "and past the mapping SIGSEGV (%s here)",
			  sig_text(f->sigsegv));
	if (c->mnt && f->wb.known && f->wb.writes)
		demo_note(c,
			  "on FUSE write-back sends the dirty page trimmed "
			  "at the file size: %llu WRITE requests ending at "
			  "byte %llu",
			  (unsigned long long)f->wb.writes,
			  (unsigned long long)f->wb.write_end);
	if (f->tail_after != FSI_UNKNOWN && f->tail_after > 0)
		demo_note(c,
			  "the written bytes are not in the file, but they "
			  "stay in the cached page past its end: a new mapping "
			  "still sees %llu of them (%s: the page never left "
			  "the cache)",
			  (unsigned long long)f->tail_after, c->fstype);
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	int err = demo_file(c, "five", FILE_SIZE, 'A');

	if (err)
		return err;
	demo_did(c, "wrote a 5120-byte file of 'A'");
	demo_did(c, "a child mapped 5120 bytes of it (MAP_SHARED, read and "
		    "write), read bytes 5120..8191, wrote 'Z' over them, read "
		    "them back, msync'd, unmapped and closed it");
	demo_did(c, "the file was read back from storage (remount, or "
		    "invalidation, or POSIX_FADV_DONTNEED) with read(2) and a "
		    "new mapping");
	demo_did(c, "two more children touched page 3: one through a 3-page "
		    "mapping of the file, one through a 2-page mapping");
	err = measure(c, &f);
	if (err)
		return err;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo mmap_tail_demo = {
	.name = "mmap-tail",
	.claim = "C7",
	.summary = "a 5 KiB file maps as 2 pages; the tail is never written",
	.statement = "A mapping is a whole number of pages: a 5 KiB file "
		     "mapped occupies 8 KiB; bytes 5K..8K read as zero, "
		     "writing there raises no error and is never written "
		     "back to the file.",
	.rule = "sent = wb_end > size (when measured). unknown when map_size, "
		"size_after or z_after is unknown. reproduced: map_size = "
		"8192, tail_nonzero = 0, tail_written = tail, size_after = "
		"size, z_after = 0 and not sent. refuted: size_after != size, "
		"z_after > 0, sent or tail_nonzero > 0. Otherwise partly.",
	.keys = "map_size,tail_nonzero,tail_written,wb_end,z_after,past_page",
	.run = run,
};
