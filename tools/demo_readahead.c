// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_readahead.c - C2: the page cache exploits locality; reads near a
 * previous read are served by read-ahead.
 *
 * A cold file is read by a child in three steps: one page at offset 0,
 * then the next 255 pages one by one (sequential), then, after the pages
 * are dropped again, 256 pages in a scattered order with no two
 * neighbours (random).  The daemon's READ requests show what the kernel
 * fetched and in what sizes; cachestat shows how many pages it cached
 * beyond those the program asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_PAGES 1024ULL
#define RUN_PAGES 256ULL

enum { STEP_FIRST, STEP_SEQ, STEP_RAND };

/* The i-th page of the random run: every fourth page, in a scattered
 * order, so that no page read has a neighbour read before it. */
static uint64_t rand_page(uint64_t i)
{
	return 4 * ((i * 97 + 13) % RUN_PAGES);
}

static int64_t read_pages(int fd, uint64_t first, uint64_t n, bool scatter)
{
	char buf[4096];
	int64_t done = 0;
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t pg = scatter ? rand_page(i) : first + i;
		ssize_t got = pread(fd, buf, fsi_page_size,
				    (off_t)(pg * fsi_page_size));

		if (got < 0)
			return -errno;
		done += got;
	}
	return done;
}

static int reader(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	int fd = demo_open(c, "file", O_RDONLY);

	if (fd < 0)
		return fd;
	demo_step_begin(ch, STEP_FIRST);
	demo_step_end(ch, STEP_FIRST, read_pages(fd, 0, 1, false));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_SEQ);
	demo_step_end(ch, STEP_SEQ, read_pages(fd, 1, RUN_PAGES - 1, false));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_RAND);
	demo_step_end(ch, STEP_RAND, read_pages(fd, 0, RUN_PAGES, true));
	close(fd);
	return 0;
}

struct figs {
	uint64_t before, cold2; /* cached before the first and random run */
	struct pc_stat st[3];
	struct demo_reqs r[3];
	struct demo_step s[3];
};

/* Run the child to its next pause (or end), then count. */
static int step(struct demo_ctx *c, struct demo_child *ch, int fd, int i,
		struct figs *f)
{
	uint64_t mark = dm_mark(c->mnt);
	int err = demo_child_run(ch);

	if (err == -ECHILD && i == STEP_RAND)
		err = 0;
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, demo_ino(fd), &f->r[i]);
	demo_cache(fd, &f->st[i]);
	return err;
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ch;
	struct pc_stat st;
	int err, status;

	demo_cache(fd, &st);
	f->before = st.cached;
	err = demo_child_start(&ch, reader, c);
	if (err)
		return err;
	err = step(c, &ch, fd, STEP_FIRST, f);
	if (!err)
		err = step(c, &ch, fd, STEP_SEQ, f);
	if (!err) {
		pc_evict(fd);
		demo_cache(fd, &st);
		f->cold2 = st.cached;
		err = step(c, &ch, fd, STEP_RAND, f);
	}
	if (demo_child_end(&ch, &status) == 0 && status != 0 && !err)
		err = -EIO;
	for (int i = 0; i < 3; i++)
		f->s[i] = ch.sh->step[i];
	return err;
}

static void publish_run(struct demo_ctx *c, const char *key,
			const struct figs *f, int i, const char *what)
{
	char *k = fsi_xasprintf("%s_cached", key);
	char *w = fsi_xasprintf("%s: pages cached after", what);

	demo_fig_reads(c, key, &f->r[i], what);
	demo_fig(c, k, f->st[i].cached, "pages", SRC_CACHESTAT, w);
	free(k);
	free(w);
	k = fsi_xasprintf("%s_inblock", key);
	w = fsi_xasprintf("%s: storage reads accounted", what);
	demo_fig(c, k, f->s[i].inblock, "bytes", SRC_RUSAGE, w);
	free(k);
	free(w);
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "cached_before", f->before, "pages", SRC_CACHESTAT,
		 "cached before the first read");
	demo_fig(c, "first_pages", 1, "pages", SRC_PROGRAM,
		 "first read: pages the program asked for");
	publish_run(c, "first", f, STEP_FIRST, "first read");
	if (c->mnt && f->r[STEP_FIRST].known)
		demo_fig(c, "first_read_max", f->r[STEP_FIRST].read_max,
			 "bytes", SRC_DAEMON, "first read: largest READ");
	else
		demo_fig_na(c, "first_read_max", "bytes", SRC_DAEMON,
			    "first read: largest READ");
	demo_fig(c, "seq_pages", RUN_PAGES, "pages", SRC_PROGRAM,
		 "sequential: pages asked for (with the first)");
	publish_run(c, "seq", f, STEP_SEQ, "sequential");
	demo_fig(c, "cached_before_rand", f->cold2, "pages", SRC_CACHESTAT,
		 "cached before the random run (dropped again)");
	demo_fig(c, "rand_pages", RUN_PAGES, "pages", SRC_PROGRAM,
		 "random: pages asked for, no two neighbours");
	publish_run(c, "rand", f, STEP_RAND, "random");
	demo_fig_real(c, "seq_time_per_read",
		      f->s[STEP_SEQ].wall_ns / 1e3 / (RUN_PAGES - 1), "us",
		      SRC_CLOCK, "sequential: time per 4 KiB read");
	demo_fig_real(c, "rand_time_per_read",
		      f->s[STEP_RAND].wall_ns / 1e3 / RUN_PAGES, "us",
		      SRC_CLOCK, "random: time per 4 KiB read");
}

/* Pages cached beyond those asked for; negative when fewer. */
static int64_t extra(uint64_t cached, uint64_t asked)
{
	return (int64_t)cached - (int64_t)asked;
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	const struct demo_reqs *r0 = &f->r[STEP_FIRST];
	uint64_t first = f->st[STEP_FIRST].cached;
	int64_t seq = extra(f->st[STEP_SEQ].cached, RUN_PAGES);
	int64_t rnd = extra(f->st[STEP_RAND].cached, RUN_PAGES);
	bool big_read = !r0->known || r0->read_max > fsi_page_size;

	if (f->before != 0 || f->cold2 != 0 || first == FSI_UNKNOWN ||
	    f->st[STEP_SEQ].cached == FSI_UNKNOWN ||
	    f->st[STEP_RAND].cached == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the file's pages could not be dropped before "
			     "reading (or cachestat could not tell): there "
			     "was nothing to read ahead from");
	else if (first > 1 && big_read && seq > rnd)
		demo_verdict(c, DEMO_REPRODUCED,
			     "reading 1 page cached %llu; reading %llu pages "
			     "in order cached %lld more than asked, in "
			     "scattered order %lld",
			     (unsigned long long)first,
			     (unsigned long long)RUN_PAGES, (long long)seq,
			     (long long)rnd);
	else if (first <= 1 && seq <= 0)
		demo_verdict(c, DEMO_REFUTED,
			     "the kernel cached only the pages asked for: no "
			     "read-ahead at all");
	else
		demo_verdict(c, DEMO_PARTLY,
			     "the kernel read ahead (first read cached %llu "
			     "pages) but sequential reads did not gain more "
			     "than scattered ones (%lld vs %lld extra pages)",
			     (unsigned long long)first, (long long)seq,
			     (long long)rnd);
}

/* The readahead window of the file system holding @path, in KiB
 * (read_ahead_kb of its bdi), or 0 when it cannot tell. */
static unsigned long window_kib(const char *path)
{
	unsigned long kib = 0;
	char sys[96];
	struct stat st;
	FILE *fp;

	if (fsi_stat_cached(AT_FDCWD, path, 0, &st))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/bdi/read_ahead_kb",
		 major(st.st_dev), minor(st.st_dev));
	fp = fopen(sys, "re");
	if (!fp) {
		snprintf(sys, sizeof(sys), "/sys/class/bdi/%u:%u/read_ahead_kb",
			 major(st.st_dev), minor(st.st_dev));
		fp = fopen(sys, "re");
	}
	if (fp && fscanf(fp, "%lu", &kib) != 1)
		kib = 0;
	if (fp)
		fclose(fp);
	return kib;
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	const struct demo_reqs *s = &f->r[STEP_SEQ];

	if (c->mnt && s->known && s->reads) {
		unsigned long kib = window_kib(c->dir);
		char here[32] = "unknown here";

		if (kib)
			snprintf(here, sizeof(here), "%lu KiB here", kib);
		demo_note(c,
			  "on FUSE read-ahead is visible as READ requests "
			  "larger than the program's reads: %llu requests of "
			  "up to %llu bytes served %llu sequential 4 KiB "
			  "reads; the window is bounded by the mount's "
			  "read_ahead_kb (%s; glassfs sets 1 MiB when run as "
			  "root, the kernel's default is 128 KiB)",
			  (unsigned long long)s->reads,
			  (unsigned long long)s->read_max,
			  (unsigned long long)(RUN_PAGES - 1), here);
	}
	demo_note(c, "the kernel does not read ahead for an isolated read "
		     "far from any cached page: it reads exactly the pages "
		     "asked for; it ramps the window up while a stream stays "
		     "sequential (doubling, up to read_ahead_kb), and starts "
		     "the next window asynchronously before the program gets "
		     "there");
	demo_note(c, "\"recently used pages stay in memory\" is C1 and C3; "
		     "this demonstration shows the locality part");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	uint64_t left;
	int fd, err;

	err = demo_file(c, "file", FILE_PAGES * fsi_page_size, 'b');
	if (!err)
		err = demo_evict(c, "file", &left);
	if (err)
		return err;
	demo_did(c, "wrote a 4 MiB file and dropped its pages");
	demo_did(c, "a child read 4 KiB at offset 0, then the next 255 pages "
		    "one 4 KiB pread(2) at a time");
	demo_did(c,
		 "dropped the pages again; the child read 256 pages of "
		 "4 KiB in a scattered order (every 4th page, no neighbours)");
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	err = measure(c, fd, &f);
	close(fd);
	if (err)
		return err;
	if (f.st[STEP_SEQ].cached < RUN_PAGES && !c->last_attempt)
		return -EAGAIN; /* someone dropped caches meanwhile */
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo readahead_demo = {
	.name = "readahead",
	.claim = "C2",
	.summary = "reading one page brings the next ones in (read-ahead)",
	.statement = "The page cache keeps recently used file pages in "
		     "memory and exploits locality: reads near a previous "
		     "read are served by read-ahead.",
	.rule = "unknown unless cached_before = 0, cached_before_rand = 0 "
		"and first_cached, seq_cached and rand_cached are measured. "
		"seq_extra = seq_cached - seq_pages, rand_extra = "
		"rand_cached - rand_pages. reproduced: first_cached > 1, "
		"first_read_max > 4096 (when measured) and seq_extra > "
		"rand_extra. refuted: first_cached <= 1 and seq_extra <= 0. "
		"Otherwise partly.",
	.keys = "first_cached,first_read_max,seq_reads,seq_cached,rand_cached",
	.opts = "cache=always",
	.run = run,
};
