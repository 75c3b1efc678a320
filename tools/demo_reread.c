// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_reread.c - C1: a second read of the same data is served from the
 * page cache without reaching the file system's storage.
 *
 * A file is written and its pages dropped; a child reads it twice.  The
 * daemon's READ requests (or, on a disk file system, the storage reads
 * the kernel accounts to the reader) say what reached storage; cachestat
 * says what the page cache held between and after; the clock says what
 * it cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_SIZE (8ULL << 20)
#define BUF_SIZE (128U << 10)

static int reader(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	int fd = demo_open(c, "file", O_RDONLY), i;

	if (fd < 0)
		return fd;
	for (i = 0; i < 2; i++) {
		if (i)
			demo_child_pause(ch);
		demo_step_begin(ch, i);
		demo_step_end(ch, i, demo_read_all(fd, 0, 0, BUF_SIZE));
	}
	close(fd);
	return 0;
}

/* Bytes that reached storage: the daemon's READs, else the kernel's
 * storage-read accounting of the reader. */
static uint64_t from_storage(const struct demo_reqs *r,
			     const struct demo_step *s)
{
	return r->known ? r->read_bytes : s->inblock;
}

struct figs {
	struct pc_stat before, after1, after2;
	struct demo_reqs r1, r2;
	struct demo_step s1, s2;
};

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "size", FILE_SIZE, "bytes", SRC_PROGRAM, "file size");
	demo_fig(c, "cached_before", f->before.cached, "pages", SRC_CACHESTAT,
		 "cached before the first read");
	demo_fig_reads(c, "read1", &f->r1, "first read");
	demo_fig(c, "read1_inblock", f->s1.inblock, "bytes", SRC_RUSAGE,
		 "first read: storage reads accounted to the reader");
	demo_fig_real(c, "read1_time", f->s1.wall_ns / 1e9, "s", SRC_CLOCK,
		      "first read: time");
	demo_fig(c, "cached_after1", f->after1.cached, "pages", SRC_CACHESTAT,
		 "cached after the first read");
	demo_fig_reads(c, "read2", &f->r2, "second read");
	demo_fig(c, "read2_inblock", f->s2.inblock, "bytes", SRC_RUSAGE,
		 "second read: storage reads accounted to the reader");
	demo_fig_real(c, "read2_time", f->s2.wall_ns / 1e9, "s", SRC_CLOCK,
		      "second read: time");
	demo_fig(c, "cached_after2", f->after2.cached, "pages", SRC_CACHESTAT,
		 "cached after the second read");
	demo_fig_real(c, "speedup",
		      f->s2.wall_ns ? (double)f->s1.wall_ns / f->s2.wall_ns
				    : NAN,
		      "x", SRC_CLOCK, "first read's time / second read's");
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	uint64_t pages = fsi_pages(FILE_SIZE);
	bool cold = f->before.cached == 0;
	bool full = f->after1.cached == pages;
	bool first = from_storage(&f->r1, &f->s1) >= FILE_SIZE;
	bool second = from_storage(&f->r2, &f->s2) > 0;

	if (f->after1.cached == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "cachestat could not tell what "
			     "the page cache held");
	else if (cold && first && full && !second)
		demo_verdict(c, DEMO_REPRODUCED,
			     "the first read fetched %llu bytes from storage, "
			     "left all %llu pages cached, and the second read "
			     "fetched nothing",
			     (unsigned long long)from_storage(&f->r1, &f->s1),
			     (unsigned long long)pages);
	else if (full && second)
		demo_verdict(c, DEMO_REFUTED,
			     "all pages were cached, yet the second read "
			     "fetched %llu bytes from storage",
			     (unsigned long long)from_storage(&f->r2, &f->s2));
	else if (f->before.cached != FSI_UNKNOWN && !cold && !second)
		demo_verdict(c, DEMO_PARTLY,
			     "the second read fetched nothing from storage, "
			     "but neither did the first: the pages could not "
			     "be dropped (%llu cached before)",
			     (unsigned long long)f->before.cached);
	else
		demo_verdict(c, DEMO_UNKNOWN,
			     "the first read did not fetch the whole file from "
			     "storage, or the cache did not hold it after");
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	if (c->mnt && f->r1.known)
		demo_note(c,
			  "on FUSE a page-cache miss is a READ request to "
			  "the daemon (%llu of up to %llu bytes here: the "
			  "kernel reads ahead in large requests) and a hit "
			  "is none; the kernel accounts no storage reads to "
			  "the reader (read1_inblock), since no block device "
			  "is involved",
			  (unsigned long long)f->r1.reads,
			  (unsigned long long)f->r1.read_max);
	if (f->before.cached != FSI_UNKNOWN && f->before.cached > 0)
		demo_note(c,
			  "%s kept %llu pages after POSIX_FADV_DONTNEED: "
			  "on tmpfs the page cache is the file's only copy, "
			  "there is no storage beneath it to read from",
			  c->fstype, (unsigned long long)f->before.cached);
	demo_note(c, "the article's stack (VFS, file system, page cache, "
		     "block layer, device) is right for disk file systems; on "
		     "FUSE the page cache sits below the VFS and above "
		     "/dev/fuse, and the daemon is the storage");
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ch;
	uint64_t mark, ino = demo_ino(fd);
	int err, status;

	demo_cache(fd, &f->before);
	err = demo_child_start(&ch, reader, c);
	if (err)
		return err;
	mark = dm_mark(c->mnt);
	err = demo_child_run(&ch);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, &f->r1);
	demo_cache(fd, &f->after1);
	mark = dm_mark(c->mnt);
	if (!err)
		err = demo_child_run(&ch);
	if (err == -ECHILD)
		err = 0; /* it read twice and left */
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, &f->r2);
	demo_cache(fd, &f->after2);
	if (demo_child_end(&ch, &status) == 0 && status != 0)
		err = -EIO;
	f->s1 = ch.sh->step[0];
	f->s2 = ch.sh->step[1];
	return err;
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	uint64_t left;
	int fd, err;

	err = demo_file(c, "file", FILE_SIZE, 'a');
	if (!err)
		err = demo_evict(c, "file", &left);
	if (err)
		return err;
	demo_did(c,
		 "wrote an 8 MiB file, fsync'd it and dropped its pages "
		 "(POSIX_FADV_DONTNEED): %llu pages left cached",
		 (unsigned long long)left);
	demo_did(c, "a child process read it whole twice, with 128 KiB "
		    "read(2) calls; the daemon's requests and cachestat were "
		    "taken after each read");
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	err = measure(c, fd, &f);
	close(fd);
	if (err)
		return err;
	/* Another process's drop_caches between the reads looks like a
	 * refutation: measure again before saying so. */
	if (from_storage(&f.r2, &f.s2) > 0 && !c->last_attempt)
		return -EAGAIN;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo reread_demo = {
	.name = "reread",
	.claim = "C1",
	.summary = "a second read is served from the page cache",
	.statement = "Reads go VFS -> file system -> page cache -> block "
		     "layer -> device; a second read of the same data is "
		     "served from the page cache without reaching the file "
		     "system's storage.",
	.rule = "storageN = readN_read_bytes if measured, else "
		"readN_inblock. reproduced: cached_before = 0, storage1 >= "
		"size, cached_after1 = size/4096 and storage2 = 0. refuted: "
		"cached_after1 = size/4096 and storage2 > 0. partly: "
		"cached_before > 0 and storage2 = 0. Otherwise unknown.",
	.keys = "read1_reads,read2_reads,cached_after1,speedup",
	.opts = "cache=always",
	.run = run,
};
