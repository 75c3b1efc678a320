// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_speed.c - C16: mmap is faster than read()/write() for
 * frequent reads and writes of large files, "as fast as memory".
 *
 * A child consumes a warm 64 MiB file (sums every 8-byte word) with
 * read(2) into a 128 KiB buffer and through a fresh shared mapping, and
 * the same bytes in anonymous memory (the same sum, and memcpy); then
 * 16384 random 4 KiB blocks with pread(2), through a fresh mapping and
 * in memory; then writes 16 MiB with pwrite(2) and through a fresh
 * mapping.  Each is the best of several runs by CPU time (the machine
 * is shared; a fault or a copy is CPU time of the child, waiting is
 * not).  Then, the file dropped each time, a cold read(2) and a cold
 * pass through a mapping, timed by the clock, with the daemon's READ
 * requests and the child's faults.  The verdict compares the rates by
 * thresholds stated in the rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_SIZE (64ULL << 20)
#define WRITE_SIZE (16ULL << 20)
#define BUF_SIZE (128U << 10)
#define BLOCK 4096U
#define NBLOCKS (FILE_SIZE / BLOCK)
#define RUNS 5
#define WRITE_RUNS 3
#define FASTER 1.1 /* "faster": at least 10 % more bytes per second */
#define AS_MEM 1.5 /* "as fast as memory": within 1.5 times */

enum {
	S_MEM,
	S_MEMCPY,
	S_READ,
	S_MMAP,
	S_MMAP2,
	S_MEM_RAND,
	S_PREAD_RAND,
	S_MMAP_RAND,
	S_WRITE,
	S_MMAP_WRITE,
	S_READ_COLD,
	S_MMAP_COLD,
	NSTEPS,
};

_Static_assert(NSTEPS <= DEMO_STEPS, "steps fit the shared page");

/* What the child works with. */
struct work {
	struct demo_ctx *c;
	uint64_t *mem, *dst; /* anonymous, FILE_SIZE each */
	char *buf;	     /* BUF_SIZE */
	uint32_t *order;     /* a permutation of the blocks */
};

/* The one way every method consumes bytes, so that only the access
 * differs. */
__attribute__((noinline)) static uint64_t sum64(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		s += w[i];
	return s;
}

/* A fixed permutation of the blocks (Fisher-Yates, xorshift64). */
static void shuffle(uint32_t *order)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, i;

	for (i = 0; i < NBLOCKS; i++)
		order[i] = (uint32_t)i;
	for (i = NBLOCKS - 1; i > 0; i--) {
		uint64_t j;
		uint32_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* ------------------------------------------------------------------ */
/* The methods: each returns its sum, or -errno                       */
/* ------------------------------------------------------------------ */

static int64_t m_mem(struct work *w)
{
	return (int64_t)(sum64(w->mem, FILE_SIZE) >> 1);
}

static int64_t m_memcpy(struct work *w)
{
	memcpy(w->dst, w->mem, FILE_SIZE);
	__asm__ volatile("" : : "r"(w->dst) : "memory");
	return 0;
}

static int64_t m_read(struct work *w)
{
	int fd = demo_open(w->c, "big", O_RDONLY);
	uint64_t s = 0;
	ssize_t n;

	if (fd < 0)
		return fd;
	while ((n = read(fd, w->buf, BUF_SIZE)) > 0)
		s += sum64(w->buf, (size_t)n);
	close(fd);
	return n < 0 ? -errno : (int64_t)(s >> 1);
}

/* A fresh shared mapping of the file (its descriptor closed). */
static void *map_big(struct work *w, int prot)
{
	int fd = demo_open(w->c, "big", prot & PROT_WRITE ? O_RDWR : O_RDONLY);
	void *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, FILE_SIZE, prot, MAP_SHARED, fd, 0);
	close(fd);
	return p;
}

static int64_t m_mmap(struct work *w)
{
	void *p = map_big(w, PROT_READ);
	uint64_t s;

	if (p == MAP_FAILED)
		return -errno;
	s = sum64(p, FILE_SIZE);
	munmap(p, FILE_SIZE);
	return (int64_t)(s >> 1);
}

static int64_t m_mem_rand(struct work *w)
{
	const char *base = (const char *)w->mem;
	uint64_t s = 0, i;

	for (i = 0; i < NBLOCKS; i++)
		s += sum64(base + (uint64_t)w->order[i] * BLOCK, BLOCK);
	return (int64_t)(s >> 1);
}

static int64_t m_pread_rand(struct work *w)
{
	int fd = demo_open(w->c, "big", O_RDONLY);
	uint64_t s = 0, i;

	if (fd < 0)
		return fd;
	for (i = 0; i < NBLOCKS; i++) {
		off_t at = (off_t)((uint64_t)w->order[i] * BLOCK);

		if (pread(fd, w->buf, BLOCK, at) != BLOCK)
			break;
		s += sum64(w->buf, BLOCK);
	}
	close(fd);
	return i < NBLOCKS ? -EIO : (int64_t)(s >> 1);
}

static int64_t m_mmap_rand(struct work *w)
{
	char *p = map_big(w, PROT_READ);
	uint64_t s = 0, i;

	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < NBLOCKS; i++)
		s += sum64(p + (uint64_t)w->order[i] * BLOCK, BLOCK);
	munmap(p, FILE_SIZE);
	return (int64_t)(s >> 1);
}

/* ------------------------------------------------------------------ */
/* Measuring in the child                                             */
/* ------------------------------------------------------------------ */

typedef int64_t (*method_fn)(struct work *w);

/* Run @fn @runs times as step @i; keep the cheapest by CPU time. */
static void best_of(struct demo_child *ch, int i, method_fn fn, struct work *w,
		    int runs)
{
	struct demo_step best = {0};
	int r;

	for (r = 0; r < runs; r++) {
		demo_step_begin(ch, i);
		demo_step_end(ch, i, fn(w));
		if (!r || ch->sh->step[i].cpu_ns < best.cpu_ns)
			best = ch->sh->step[i];
	}
	ch->sh->step[i] = best;
}

/*
 * Writes are timed without the write-back they leave: the pages stay
 * dirty when the step ends.  Afterwards (v[0]) the descriptor of
 * pwrite() is fsync'd and closed, and the mapping unmapped (on FUSE a
 * synchronous write-back, see msync).
 */
static int64_t pwrite_all(int fd, char *buf)
{
	uint64_t off;

	memset(buf, 'w', BUF_SIZE);
	for (off = 0; off < WRITE_SIZE; off += BUF_SIZE)
		if (pwrite(fd, buf, BUF_SIZE, (off_t)off) != BUF_SIZE)
			return -EIO;
	return 0;
}

static void write_once(struct demo_child *ch, struct work *w, bool mapped)
{
	int i = mapped ? S_MMAP_WRITE : S_WRITE, fd = -1;
	char *p = MAP_FAILED;
	int64_t rc;
	uint64_t t;

	demo_step_begin(ch, i);
	if (mapped) {
		p = map_big(w, PROT_READ | PROT_WRITE);
		rc = p == MAP_FAILED ? -errno : 0;
		if (p != MAP_FAILED)
			memset(p, 'm', WRITE_SIZE);
	} else {
		fd = demo_open(w->c, "big", O_WRONLY);
		rc = fd < 0 ? fd : pwrite_all(fd, w->buf);
	}
	demo_step_end(ch, i, rc);
	t = demo_now_ns();
	if (p != MAP_FAILED)
		munmap(p, FILE_SIZE);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	ch->sh->step[i].v[0] = demo_now_ns() - t;
}

static void writes(struct demo_child *ch, struct work *w)
{
	struct demo_step best[2];
	int r, k;

	for (r = 0; r < WRITE_RUNS; r++)
		for (k = 0; k < 2; k++) {
			write_once(ch, w, k);
			if (!r ||
			    ch->sh->step[S_WRITE + k].cpu_ns < best[k].cpu_ns)
				best[k] = ch->sh->step[S_WRITE + k];
		}
	ch->sh->step[S_WRITE] = best[0];
	ch->sh->step[S_MMAP_WRITE] = best[1];
}

static void warm(struct demo_child *ch, struct work *w)
{
	m_read(w); /* every page cached before timing */
	best_of(ch, S_MEM, m_mem, w, RUNS);
	best_of(ch, S_MEMCPY, m_memcpy, w, RUNS);
	best_of(ch, S_READ, m_read, w, RUNS);
	best_of(ch, S_MMAP, m_mmap, w, RUNS);
	best_of(ch, S_MEM_RAND, m_mem_rand, w, RUNS);
	best_of(ch, S_PREAD_RAND, m_pread_rand, w, RUNS);
	best_of(ch, S_MMAP_RAND, m_mmap_rand, w, RUNS);
}

/* A second pass over one mapping already faulted in: memory access. */
static void mapped_again(struct demo_child *ch, struct work *w)
{
	void *p = map_big(w, PROT_READ);
	struct demo_step best = {0};
	int r;

	if (p == MAP_FAILED)
		return;
	sum64(p, FILE_SIZE);
	for (r = 0; r < RUNS; r++) {
		demo_step_begin(ch, S_MMAP2);
		demo_step_end(ch, S_MMAP2, (int64_t)(sum64(p, FILE_SIZE) >> 1));
		if (!r || ch->sh->step[S_MMAP2].cpu_ns < best.cpu_ns)
			best = ch->sh->step[S_MMAP2];
	}
	ch->sh->step[S_MMAP2] = best;
	munmap(p, FILE_SIZE);
}

static int setup(struct work *w, struct demo_ctx *c)
{
	w->c = c;
	w->mem = malloc(FILE_SIZE);
	w->dst = malloc(FILE_SIZE);
	w->buf = malloc(BUF_SIZE);
	w->order = malloc(NBLOCKS * sizeof(*w->order));
	if (!w->mem || !w->dst || !w->buf || !w->order)
		return -ENOMEM;
	memset(w->mem, 'a', FILE_SIZE); /* faulted in: memory, not faults */
	memset(w->dst, 'b', FILE_SIZE);
	shuffle(w->order);
	return 0;
}

/* The parent drops the pages, by a remount on a scratch mount: the
 * directory descriptor we inherited must not keep the mount busy. */
static int cold_pause(struct demo_child *ch, struct demo_ctx *c)
{
	close(c->dirfd);
	demo_child_pause(ch);
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c->dirfd < 0 ? -errno : 0;
}

static int child(struct demo_child *ch, void *arg)
{
	struct demo_ctx c = *(struct demo_ctx *)arg; /* res is borrowed */
	struct work w;
	int err = setup(&w, &c);

	if (err)
		return err;
	warm(ch, &w);
	mapped_again(ch, &w);
	writes(ch, &w);
	err = cold_pause(ch, &c);
	if (err)
		return err;
	demo_step_begin(ch, S_READ_COLD);
	demo_step_end(ch, S_READ_COLD, m_read(&w));
	err = cold_pause(ch, &c);
	if (err)
		return err;
	demo_step_begin(ch, S_MMAP_COLD);
	demo_step_end(ch, S_MMAP_COLD, m_mmap(&w));
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parent                                                         */
/* ------------------------------------------------------------------ */

struct figs {
	struct demo_step s[NSTEPS];
	struct demo_reqs cold_read, cold_mmap;
	struct pc_stat before_read, before_mmap;
	const char *how;
};

/* Drop the file's pages (the child holds no descriptor now), then run
 * the child's next cold step: its requests, and what was cached. */
static int cold_step(struct demo_ctx *c, struct demo_child *ch,
		     struct pc_stat *before, struct demo_reqs *r,
		     const char **how)
{
	uint64_t mark, ino;
	int fd, err;

	err = demo_reload(c, "big", how);
	if (err)
		return err;
	fd = demo_open(c, "big", O_RDONLY);
	if (fd < 0)
		return fd;
	demo_cache(fd, before);
	ino = demo_ino(fd);
	close(fd); /* clean: writes nothing, and a remount needs it */
	mark = dm_mark(c->mnt);
	err = demo_child_run(ch);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, r);
	return err;
}

static int measure(struct demo_ctx *c, struct figs *f)
{
	struct demo_child ch;
	int err, status;

	err = demo_child_start(&ch, child, c);
	if (err)
		return err;
	demo_progress("measuring: warm reads and writes");
	err = demo_child_run(&ch);
	demo_progress("%s", "");
	if (!err)
		err = cold_step(c, &ch, &f->before_read, &f->cold_read,
				&f->how);
	if (!err)
		err = cold_step(c, &ch, &f->before_mmap, &f->cold_mmap,
				&f->how);
	if (err == -ECHILD)
		err = 0;
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
	memcpy(f->s, ch.sh->step, sizeof(f->s));
	return err;
}

/* GB/s of step @i over @bytes, by CPU time (@wall: by the clock). */
static double rate(const struct figs *f, int i, uint64_t bytes, bool wall)
{
	const struct demo_step *s = &f->s[i];
	uint64_t ns = wall ? s->wall_ns : s->cpu_ns;

	if (s->result < 0 || !ns)
		return NAN;
	return (double)bytes / (double)ns;
}

static double ratio(double a, double b)
{
	return isfinite(a) && isfinite(b) && b > 0 ? a / b : NAN;
}

struct rates {
	double mem, memcpy, read, mmap, mmap2, mem_rand, pread_rand;
	double mmap_rand, write, mmap_write, read_cold, mmap_cold;
	double seq, rand, wr, mem_ratio, mem_ratio2, cold;
};

static void rates_of(const struct figs *f, struct rates *r)
{
	r->mem = rate(f, S_MEM, FILE_SIZE, false);
	r->memcpy = rate(f, S_MEMCPY, FILE_SIZE, false);
	r->read = rate(f, S_READ, FILE_SIZE, false);
	r->mmap = rate(f, S_MMAP, FILE_SIZE, false);
	r->mmap2 = rate(f, S_MMAP2, FILE_SIZE, false);
	r->mem_rand = rate(f, S_MEM_RAND, FILE_SIZE, false);
	r->pread_rand = rate(f, S_PREAD_RAND, FILE_SIZE, false);
	r->mmap_rand = rate(f, S_MMAP_RAND, FILE_SIZE, false);
	r->write = rate(f, S_WRITE, WRITE_SIZE, false);
	r->mmap_write = rate(f, S_MMAP_WRITE, WRITE_SIZE, false);
	r->read_cold = rate(f, S_READ_COLD, FILE_SIZE, true);
	r->mmap_cold = rate(f, S_MMAP_COLD, FILE_SIZE, true);
	r->seq = ratio(r->mmap, r->read);
	r->rand = ratio(r->mmap_rand, r->pread_rand);
	r->wr = ratio(r->mmap_write, r->write);
	r->mem_ratio = ratio(r->mem, r->mmap);
	r->mem_ratio2 = ratio(r->mem, r->mmap2);
	r->cold = ratio(r->mmap_cold, r->read_cold);
}

static void publish_rates(struct demo_ctx *c, const struct rates *r)
{
	static const struct {
		const char *key, *what;
		size_t off;
	} t[] = {
#define R(k, w) {#k "_gbps", w, offsetof(struct rates, k)}
		R(mem, "sum in anonymous memory (warm, best)"),
		R(memcpy, "memcpy in anonymous memory (best)"),
		R(read, "read() 128 KiB + sum (warm, best)"),
		R(mmap, "fresh mapping + sum, faults included (best)"),
		R(mmap2, "second pass over one faulted mapping (best)"),
		R(mem_rand, "random 4 KiB blocks in memory (best)"),
		R(pread_rand, "random 4 KiB pread() + sum (best)"),
		R(mmap_rand, "random 4 KiB through a fresh mapping (best)"),
		R(write, "pwrite() 16 MiB, write-back left out (best)"),
		R(mmap_write, "16 MiB stored through a fresh mapping (best)"),
		R(read_cold, "cold read() + sum, by the clock"),
		R(mmap_cold, "cold fresh mapping + sum, by the clock"),
#undef R
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		demo_fig_real(c, t[i].key,
			      *(const double *)((const char *)r + t[i].off),
			      "GB/s", i >= 10 ? SRC_CLOCK : SRC_RUSAGE,
			      t[i].what);
}

static void publish(struct demo_ctx *c, const struct figs *f,
		    const struct rates *r)
{
	demo_fig(c, "size", FILE_SIZE, "bytes", SRC_PROGRAM,
		 "the file, read whole (writes: 16 MiB of it)");
	demo_fig(c, "runs", RUNS, "runs", SRC_PROGRAM,
		 "warm runs of each read method (writes: 3)");
	publish_rates(c, r);
	demo_fig_real(c, "seq_ratio", r->seq, "x", SRC_RUSAGE,
		      "mmap_gbps / read_gbps");
	demo_fig_real(c, "rand_ratio", r->rand, "x", SRC_RUSAGE,
		      "mmap_rand_gbps / pread_rand_gbps");
	demo_fig_real(c, "write_ratio", r->wr, "x", SRC_RUSAGE,
		      "mmap_write_gbps / write_gbps");
	demo_fig_real(c, "mem_ratio", r->mem_ratio, "x", SRC_RUSAGE,
		      "mem_gbps / mmap_gbps: times slower than memory");
	demo_fig_real(c, "mem_ratio_mapped", r->mem_ratio2, "x", SRC_RUSAGE,
		      "mem_gbps / mmap2_gbps, once mapped");
	demo_fig_real(c, "cold_ratio", r->cold, "x", SRC_CLOCK,
		      "mmap_cold_gbps / read_cold_gbps");
	demo_fig(c, "mmap_minflt", f->s[S_MMAP].minflt, "faults", SRC_RUSAGE,
		 "fresh mapping: minor faults per pass");
	demo_fig(c, "mmap2_minflt", f->s[S_MMAP2].minflt, "faults", SRC_RUSAGE,
		 "second pass: minor faults");
	demo_fig(c, "mmap_write_minflt", f->s[S_MMAP_WRITE].minflt, "faults",
		 SRC_RUSAGE, "stores through a fresh mapping: faults");
	demo_fig_real(c, "munmap_write_ms", f->s[S_MMAP_WRITE].v[0] / 1e6, "ms",
		      SRC_CLOCK, "munmap() after the stores took");
	demo_fig_real(c, "fsync_write_ms", f->s[S_WRITE].v[0] / 1e6, "ms",
		      SRC_CLOCK, "fsync() + close() after pwrite() took");
	demo_fig(c, "cold_cached", f->before_read.cached, "pages",
		 SRC_CACHESTAT, "cached before the cold read()");
	demo_fig_reads(c, "cold_read", &f->cold_read, "cold read()");
	demo_fig(c, "cold_mmap_cached", f->before_mmap.cached, "pages",
		 SRC_CACHESTAT, "cached before the cold mapping");
	demo_fig_reads(c, "cold_mmap", &f->cold_mmap, "cold mapping");
	demo_fig(c, "cold_mmap_majflt", f->s[S_MMAP_COLD].majflt, "faults",
		 SRC_RUSAGE, "cold mapping: major faults");
}

static void judge(struct demo_ctx *c, const struct rates *r)
{
	bool reads = r->seq > FASTER && r->rand > FASTER;
	bool writes = r->wr > FASTER;
	bool mem = r->mem_ratio <= AS_MEM;

	if (!isfinite(r->seq) || !isfinite(r->rand) || !isfinite(r->wr) ||
	    !isfinite(r->mem_ratio))
		demo_verdict(c, DEMO_UNKNOWN, "a method could not be timed");
	else if (reads && writes && mem)
		demo_verdict(c, DEMO_REPRODUCED,
			     "through a mapping: %.2fx read()'s rate "
			     "sequentially, %.2fx pread()'s at random, %.2fx "
			     "write()'s, and within %.2fx of memory",
			     r->seq, r->rand, r->wr, r->mem_ratio);
	else if (!(r->seq > FASTER) && !(r->rand > FASTER) && !writes && !mem)
		demo_verdict(c, DEMO_REFUTED,
			     "a mapping was not faster: %.2fx read()'s rate "
			     "sequentially, %.2fx pread()'s at random, %.2fx "
			     "write()'s, and %.2fx slower than memory",
			     r->seq, r->rand, r->wr, r->mem_ratio);
	else
		demo_verdict(
			c, DEMO_PARTLY,
			"a mapping read at %.2fx read()'s rate "
			"sequentially and %.2fx pread()'s at random, wrote "
			"at %.2fx write()'s, and was %.2fx slower than "
			"memory (%.2fx once mapped)",
			r->seq, r->rand, r->wr, r->mem_ratio, r->mem_ratio2);
}

static void explain(struct demo_ctx *c, const struct figs *f,
		    const struct rates *r)
{
	demo_note(c,
		  "a mapping saves the copy into a buffer and the system "
		  "calls, and pays page faults instead: a fresh mapping of a "
		  "warm file took %llu minor faults per pass (fault-around "
		  "maps up to 16 pages each), and every page first written "
		  "through a shared mapping faults again so the kernel can "
		  "track it dirty (%llu faults for 16 MiB); only a mapping "
		  "already faulted in is plain memory access",
		  (unsigned long long)f->s[S_MMAP].minflt,
		  (unsigned long long)f->s[S_MMAP_WRITE].minflt);
	if (c->mnt)
		demo_note(c,
			  "on FUSE munmap() of written pages writes them back "
			  "synchronously (%.1f ms for 16 MiB), a cost the "
			  "write() path leaves to the flusher or fsync "
			  "(%.1f ms)",
			  f->s[S_MMAP_WRITE].v[0] / 1e6,
			  f->s[S_WRITE].v[0] / 1e6);
	if (c->mnt && f->cold_read.known && f->cold_mmap.known &&
	    isfinite(r->cold))
		demo_note(c,
			  "cold, both wait for the same READ requests "
			  "(read(): %llu, mapping: %llu, with %llu major "
			  "faults): storage dominates, and the mapping is "
			  "%.2fx read()'s rate",
			  (unsigned long long)f->cold_read.reads,
			  (unsigned long long)f->cold_mmap.reads,
			  (unsigned long long)f->s[S_MMAP_COLD].majflt,
			  r->cold);
	demo_note(c, "thresholds: faster means more than 1.1 times the rate; "
		     "as fast as memory means within 1.5 times the rate of the "
		     "same sum over anonymous memory (memcpy, which also "
		     "writes every byte, is shown for scale); rates are by "
		     "CPU time, the best of several runs, so another process "
		     "on the machine does not count");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	struct rates r;
	int err;

	err = demo_file(c, "big", FILE_SIZE, 'z');
	if (err)
		return err;
	demo_did(c, "wrote a 64 MiB file; a child read it once to have every "
		    "page cached");
	demo_did(c, "the child summed it, best of 5 by CPU time: with read() "
		    "into a 128 KiB buffer; through a fresh MAP_SHARED "
		    "mapping; a second pass over one mapping; the same sum "
		    "over 64 MiB of anonymous memory, and memcpy of it");
	demo_did(c, "the same over 16384 random 4 KiB blocks: pread(), a "
		    "fresh mapping, memory; then 16 MiB written with pwrite() "
		    "and through a fresh mapping, best of 3");
	demo_did(c, "the file's pages dropped, a cold read(); dropped again, "
		    "a cold pass through a fresh mapping");
	err = measure(c, &f);
	if (err)
		return err;
	rates_of(&f, &r);
	publish(c, &f, &r);
	judge(c, &r);
	explain(c, &f, &r);
	return 0;
}

const struct demo mmap_speed_demo = {
	.name = "mmap-speed",
	.claim = "C16",
	.summary = "mmap against read()/write() and memory, warm and cold",
	.statement = "mmap is faster than read()/write() for frequent reads "
		     "and writes of large files, \"as fast as memory\".",
	.rule = "reads = seq_ratio > 1.1 and rand_ratio > 1.1; writes = "
		"write_ratio > 1.1; mem = mem_ratio <= 1.5. unknown when "
		"seq_ratio, rand_ratio, write_ratio or mem_ratio is unknown. "
		"reproduced: reads, writes and mem. refuted: seq_ratio, "
		"rand_ratio and write_ratio all <= 1.1, and not mem. Otherwise "
		"partly.",
	.keys = "seq_ratio,rand_ratio,write_ratio,mem_ratio,mem_ratio_mapped,"
		"cold_ratio",
	.opts = "cache=always",
	.run = run,
};
