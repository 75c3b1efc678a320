// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_coherence.c - C9: changes made with write() are visible
 * through an existing mapping, and writes through the mapping are
 * visible to read(), at once: both are the same page cache pages.
 *
 * A child maps a file and reads it; we pwrite() a byte, the child reads
 * it through its mapping; the child writes a byte through its mapping,
 * we pread() it.  The daemon shows that neither needed a request (with
 * writeback_cache), or that write() went through at once while the page
 * was updated too (no_writeback_cache, a second scratch mount).  On a
 * cache=never mount (direct I/O) a shared mapping cannot even be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_SIZE (64ULL << 10)
#define OFF_W 100  /* written with write(), read through the map */
#define OFF_M 5000 /* written through the map, read with read() */

enum { STEP_MAP, STEP_SEE, STEP_STORE };

static int child(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	int fd = demo_open(c, "file", O_RDWR);
	volatile char *p;

	if (fd < 0)
		return fd;
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	demo_step_begin(ch, STEP_MAP);
	demo_step_end(ch, STEP_MAP, p[OFF_W] + p[OFF_M]);
	demo_child_pause(ch);
	/* Seen at once: no sleep, no msync, no re-mapping. */
	ch->sh->step[STEP_SEE].v[0] = demo_now_ns();
	ch->sh->step[STEP_SEE].result = p[OFF_W];
	demo_child_pause(ch);
	p[OFF_M] = 'C';
	demo_child_pause(ch);
	munmap((void *)p, FILE_SIZE);
	close(fd);
	return 0;
}

/* One mount's results. */
struct side {
	bool done;
	int seen_by_map;      /* the byte write() put there */
	uint64_t latency_ns;  /* write() returned -> read in the map */
	struct demo_reqs w;   /* requests during our write() */
	int seen_by_read;     /* the byte the mapping put there */
	struct demo_reqs r;   /* requests during our read() */
	struct pc_stat after; /* dirty pages after the map write */
};

static int write_byte(int fd, char v, off_t off)
{
	return pwrite(fd, &v, 1, off) == 1 ? 0 : -errno;
}

static int exchange(struct demo_ctx *c, struct demo_child *ch, int fd,
		    struct side *s)
{
	uint64_t ino = demo_ino(fd), mark, t;
	char v = 0;
	int err;

	mark = dm_mark(c->mnt);
	err = write_byte(fd, 'B', OFF_W);
	t = demo_now_ns();
	if (!err)
		err = demo_child_run(ch); /* it reads the byte */
	dm_requests(c->mnt, mark, ino, &s->w);
	if (err)
		return err;
	s->seen_by_map = (int)ch->sh->step[STEP_SEE].result;
	s->latency_ns = ch->sh->step[STEP_SEE].v[0] - t;
	err = demo_child_run(ch); /* it writes through the map */
	if (err)
		return err;
	mark = dm_mark(c->mnt);
	if (pread(fd, &v, 1, OFF_M) != 1)
		return -errno;
	dm_requests(c->mnt, mark, ino, &s->r);
	s->seen_by_read = v;
	demo_cache(fd, &s->after);
	s->done = true;
	return 0;
}

static int one_mount(struct demo_ctx *c, struct side *s)
{
	struct demo_child ch;
	int fd, err, status;

	err = demo_file(c, "file", FILE_SIZE, 'a');
	if (err)
		return err;
	fd = demo_open(c, "file", O_RDWR);
	if (fd < 0)
		return fd;
	err = demo_child_start(&ch, child, c);
	if (!err)
		err = demo_child_run(&ch); /* mapped, pages faulted in */
	if (!err)
		err = exchange(c, &ch, fd, s);
	if (!err)
		err = demo_child_run(&ch);
	if (err == -ECHILD)
		err = 0;
	if (ch.pid > 0 && demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	close(fd);
	return err;
}

/* The other mount (no_writeback_cache) when we own the mounts. */
static int other_mount(struct demo_ctx *c, const char *opts, struct side *s)
{
	struct demo_mount *m;
	struct demo_ctx sub;
	int err;

	if (demo_extra_mount(c, opts, &m))
		return 0; /* n/a */
	err = demo_subctx(c, m, &sub);
	if (!err)
		err = one_mount(&sub, s);
	demo_subctx_close(&sub);
	dm_stop(m);
	return err;
}

/* On cache=never, what mmap() says: 0 or an errno, for each kind. */
static int direct_io(struct demo_ctx *c, int *shared, int *private)
{
	struct demo_mount *m;
	struct demo_ctx sub;
	void *p;
	int fd, err;

	*shared = *private = -1;
	if (demo_extra_mount(c, "cache=never", &m))
		return 0;
	err = demo_subctx(c, m, &sub);
	if (!err)
		err = demo_file(&sub, "file", FILE_SIZE, 'd');
	fd = err ? -1 : demo_open(&sub, "file", O_RDWR);
	if (fd >= 0) {
		p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		*shared = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, FILE_SIZE);
		p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
		*private = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, FILE_SIZE);
		close(fd);
	}
	demo_subctx_close(&sub);
	dm_stop(m);
	return err;
}

static void publish_side(struct demo_ctx *c, const char *pfx,
			 const struct side *s, const char *label)
{
	char k[64], w[128];

#define KEY(name) (snprintf(k, sizeof(k), "%s%s", pfx, name), k)
#define WHAT(text) (snprintf(w, sizeof(w), "%s%s", label, text), w)
	demo_fig(c, KEY("map_sees_write"),
		 s->done ? s->seen_by_map == 'B' : FSI_UNKNOWN, "yes=1",
		 SRC_PROGRAM, WHAT("the mapping saw write()'s byte"));
	demo_fig_real(c, KEY("latency_us"), s->done ? s->latency_ns / 1e3 : NAN,
		      "us", SRC_CLOCK,
		      WHAT("write() returned -> read in the mapping"));
	demo_fig_writes(c, KEY("write"), &s->w, WHAT("our write() of 1 byte"));
	demo_fig(c, KEY("read_sees_map"),
		 s->done ? s->seen_by_read == 'C' : FSI_UNKNOWN, "yes=1",
		 SRC_PROGRAM, WHAT("read() saw the mapping's byte"));
	demo_fig_reads(c, KEY("read"), &s->r, WHAT("our read() of 1 byte"));
	if (c->mnt && s->r.known)
		demo_fig(c, KEY("read_writes"), s->r.writes, "requests",
			 SRC_DAEMON,
			 WHAT("our read() of 1 byte: WRITE requests"));
	demo_fig(c, KEY("dirty"), s->done ? s->after.dirty : FSI_UNKNOWN,
		 "pages", SRC_CACHESTAT, WHAT("dirty pages afterwards"));
#undef KEY
#undef WHAT
}

static void publish_errno(struct demo_ctx *c, const char *key, int e,
			  const char *what)
{
	if (e < 0)
		demo_fig_na(c, key, NULL, SRC_PROGRAM, what);
	else
		demo_fig_text(c, key, e ? strerrorname_np(e) : "ok",
			      SRC_PROGRAM, what);
}

static void judge(struct demo_ctx *c, const struct side *a,
		  const struct side *b)
{
	bool ok_a = a->seen_by_map == 'B' && a->seen_by_read == 'C';
	bool ok_b =
		!b->done || (b->seen_by_map == 'B' && b->seen_by_read == 'C');

	if (!a->done)
		demo_verdict(c, DEMO_UNKNOWN, "the exchange could not be run");
	else if (ok_a && ok_b)
		demo_verdict(c, DEMO_REPRODUCED,
			     "the mapping saw write()'s byte %.0f us after "
			     "write() returned, and the next read() saw the "
			     "byte written through the mapping",
			     a->latency_ns / 1e3);
	else
		demo_verdict(c, DEMO_REFUTED,
			     "the mapping saw '%c' instead of 'B', or read() "
			     "saw '%c' instead of 'C'",
			     a->seen_by_map ? a->seen_by_map : '?',
			     a->seen_by_read ? a->seen_by_read : '?');
}

static void explain(struct demo_ctx *c, const struct side *a,
		    const struct side *b, int shared)
{
	demo_note(c, "both directions are one memory: write() copies into the "
		     "page cache page that the mapping maps, and read() copies "
		     "out of it; nothing is synchronised because nothing is "
		     "duplicated");
	if (c->mnt && a->w.known && b->done && b->w.known)
		demo_note(c,
			  "on FUSE, write() with writeback_cache sent %llu "
			  "WRITE requests (the page stays dirty, written back "
			  "later), without it %llu at once; either way the "
			  "page cache page was updated first",
			  (unsigned long long)a->w.writes,
			  (unsigned long long)b->w.writes);
	if (shared > 0)
		demo_note(c,
			  "with cache=never (direct_io) there is no page "
			  "cache to share: a MAP_SHARED mapping is refused "
			  "(%s; libfuse 3.14 cannot negotiate "
			  "FUSE_DIRECT_IO_ALLOW_MMAP), so the claim holds only "
			  "where pages are cached",
			  strerrorname_np(shared));
}

static int run(struct demo_ctx *c)
{
	struct side a = {0}, b = {0};
	int shared, private, err;

	demo_did(c, "wrote a 64 KiB file of 'a'; a child mapped it "
		    "(MAP_SHARED) and read it");
	demo_did(c, "we pwrite()'d 'B' at byte 100, then at once the child "
		    "read byte 100 through its mapping");
	demo_did(c, "the child wrote 'C' at byte 5000 through its mapping, "
		    "then at once we pread() byte 5000");
	err = one_mount(c, &a);
	if (!err)
		err = other_mount(c, "cache=always,no_writeback_cache", &b);
	if (!err)
		err = direct_io(c, &shared, &private);
	if (err)
		return err;
	if (c->scratch)
		demo_did(c,
			 "the same on a second scratch mount with "
			 "no_writeback_cache; and mmap() of a file on a third, "
			 "with cache=never (the first two with cache=always)");
	publish_side(c, "", &a, "");
	if (b.done)
		publish_side(c, "nowbc_", &b, "no_writeback_cache: ");
	publish_errno(c, "never_shared", shared,
		      "cache=never: MAP_SHARED mmap()");
	publish_errno(c, "never_private", private,
		      "cache=never: MAP_PRIVATE mmap()");
	judge(c, &a, &b);
	explain(c, &a, &b, shared);
	return 0;
}

const struct demo mmap_coherence_demo = {
	.name = "mmap-coherence",
	.claim = "C9",
	.summary = "write() and the mapping see each other's changes at once",
	.statement = "Changes to the file are visible through an existing "
		     "mapping, and writes through the mapping are visible to "
		     "read().",
	.rule = "unknown when map_sees_write is unknown. reproduced: "
		"map_sees_write = 1, read_sees_map = 1 and, when measured, "
		"nowbc_map_sees_write = 1 and nowbc_read_sees_map = 1. "
		"Otherwise refuted. never_shared is shown, not judged.",
	.keys = "map_sees_write,read_sees_map,write_writes,nowbc_write_writes,"
		"never_shared",
	.opts = "cache=always",
	.run = run,
};
