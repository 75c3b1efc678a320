// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exercise - run one random operation sequence on glassfs and on a
 * reference file system (tmpfs) in lockstep and compare every result.
 *
 *   exercise --gfs DIR --ref DIR [--seed N] [--ops N] [--no-mmap]
 *            [--keep-going] [-v]
 *
 * Both DIRs must be empty directories.  The operations, drawn from the
 * seed: open (with O_CREAT, O_EXCL, O_TRUNC), close, pread, pwrite,
 * ftruncate, fallocate(PUNCH_HOLE|KEEP_SIZE), fstat and stat (size, link
 * count, type), MAP_SHARED reads and writes with msync, fsync, rename,
 * link and unlink, on twelve names in two directories.  Each is run on
 * both sides; return values, errno, bytes read and sizes must be equal,
 * and at the end (and every 500 operations) the two trees must hold the
 * same names, link structure, sizes and bytes.
 *
 * The first mismatch stops the run (unless --keep-going) and prints the
 * operations that led to it: the same seed replays them exactly.  Prints
 * one line of figures; exits 0 without mismatches, 1 with, 2 on misuse.
 *
 * Layer: test harness; system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define NDIRS 2
#define PER_DIR 6
#define NSLOTS (NDIRS * PER_DIR)
#define NHANDLES 6
#define MAX_IO (256 * KIB)
#define HIST 4096
#define OP_LINE 96
#define HIST_LINE (OP_LINE + 32)
#define CHECK_EVERY 500
/* Files larger than this are compared in two windows. */
#define WINDOW (4 * MIB)

enum { G, R }; /* glassfs, reference */

static const char *const side_names[2] = {"glassfs", "reference"};

struct side {
	const char *path;
	int dir[NDIRS]; /* the directory, and its d/ */
	int fd[NHANDLES];
};

struct res {
	int64_t ret;
	int err;
	size_t len; /* bytes of data, for reads */
};

struct ex {
	struct rng rng;
	uint64_t seed;
	struct side side[2];
	bool mmap, keep_going, verbose;
	unsigned char *wbuf;	/* data written, same on both sides */
	unsigned char *rbuf[2]; /* data read, per side */
	unsigned long ops, checks, mismatches;
	char (*hist)[HIST_LINE];
	unsigned long nhist;
	char cur[OP_LINE]; /* the operation running */
};

/* ------------------------------------------------------------------ */
/* History and comparison                                             */
/* ------------------------------------------------------------------ */

static void op_begin(struct ex *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void op_begin(struct ex *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->cur, sizeof(x->cur), fmt, ap);
	va_end(ap);
	snprintf(x->hist[x->nhist % HIST], HIST_LINE, "%lu %s", x->ops, x->cur);
	x->nhist++;
	x->ops++;
	if (x->verbose)
		fprintf(stderr, "%lu %s\n", x->ops - 1, x->cur);
}

static void history(const struct ex *x)
{
	unsigned long from = x->nhist > HIST ? x->nhist - HIST : 0;

	printf("history (seed %" PRIu64 ", %lu operations):\n", x->seed,
	       x->nhist);
	for (unsigned long i = from; i < x->nhist; i++)
		printf("  %s\n", x->hist[i % HIST]);
}

static void mismatch(struct ex *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mismatch(struct ex *x, const char *fmt, ...)
{
	va_list ap;

	printf("mismatch at operation %lu (%s): ", x->ops - 1, x->cur);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!x->mismatches++)
		history(x);
	if (!x->keep_going) {
		printf("exercise: seed %" PRIu64
		       ": %lu operations, %lu checks, "
		       "%lu mismatches\n",
		       x->seed, x->ops, x->checks, x->mismatches);
		exit(1);
	}
}

static const char *errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "E?";
}

/* Same return value, errno and bytes read on both sides. */
static bool same(struct ex *x, const struct res r[2])
{
	x->checks++;
	if (r[G].ret != r[R].ret || r[G].err != r[R].err) {
		mismatch(x, "glassfs %" PRId64 " %s, reference %" PRId64 " %s",
			 r[G].ret, errname(r[G].err), r[R].ret,
			 errname(r[R].err));
		return false;
	}
	for (size_t i = 0; i < r[G].len; i++) {
		if (x->rbuf[G][i] == x->rbuf[R][i])
			continue;
		mismatch(x,
			 "byte %zu of %zu read: glassfs %02x, reference "
			 "%02x",
			 i, r[G].len, x->rbuf[G][i], x->rbuf[R][i]);
		return false;
	}
	return true;
}

static struct res result(int64_t ret)
{
	return (struct res){ret, ret < 0 ? errno : 0, 0};
}

/* ------------------------------------------------------------------ */
/* Names and handles                                                  */
/* ------------------------------------------------------------------ */

static int slot_dir(const struct side *s, int slot)
{
	return s->dir[slot / PER_DIR];
}

static void slot_name(int slot, char *buf, size_t size)
{
	snprintf(buf, size, "f%d", slot % PER_DIR);
}

static const char *slot_path(int slot)
{
	static char buf[2][16];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%sf%d", slot / PER_DIR ? "d/" : "",
		 slot % PER_DIR);
	return buf[i];
}

static int pick_slot(struct ex *x)
{
	return (int)rng_below(&x->rng, NSLOTS);
}

/* An open handle, or -1. */
static int pick_handle(struct ex *x)
{
	int h0 = (int)rng_below(&x->rng, NHANDLES);

	for (int i = 0; i < NHANDLES; i++) {
		int h = (h0 + i) % NHANDLES;

		if (x->side[G].fd[h] >= 0)
			return h;
	}
	return -1;
}

static void close_handle(struct ex *x, int h)
{
	struct res r[2];

	op_begin(x, "close h%d", h);
	for (int s = G; s <= R; s++) {
		r[s] = result(close(x->side[s].fd[h]));
		x->side[s].fd[h] = -1;
	}
	same(x, r);
}

static void op_open(struct ex *x)
{
	static const int extra[] = {0,
				    0,
				    0,
				    O_CREAT,
				    O_CREAT,
				    O_CREAT,
				    O_CREAT,
				    O_CREAT | O_EXCL,
				    O_CREAT | O_EXCL,
				    O_CREAT | O_TRUNC};
	int h = (int)rng_below(&x->rng, NHANDLES), slot = pick_slot(x);
	int flags = O_RDWR | extra[rng_below(&x->rng, 10)];
	struct res r[2];
	char name[16];

	if (x->side[G].fd[h] >= 0 || x->side[R].fd[h] >= 0)
		close_handle(x, h);
	slot_name(slot, name, sizeof(name));
	op_begin(x, "open h%d %s%s%s%s", h, slot_path(slot),
		 flags & O_CREAT ? " O_CREAT" : "",
		 flags & O_EXCL ? " O_EXCL" : "",
		 flags & O_TRUNC ? " O_TRUNC" : "");
	for (int s = G; s <= R; s++) {
		int fd = openat(slot_dir(&x->side[s], slot), name,
				flags | O_CLOEXEC, 0644);

		r[s] = result(fd < 0 ? -1 : 0);
		x->side[s].fd[h] = fd;
	}
	if (!same(x, r)) {
		for (int s = G; s <= R; s++) {
			if (x->side[s].fd[h] >= 0)
				close(x->side[s].fd[h]);
			x->side[s].fd[h] = -1;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Data                                                               */
/* ------------------------------------------------------------------ */

static uint64_t pick_off(struct ex *x)
{
	switch (rng_below(&x->rng, 20)) {
	case 0:
		/* far out: sparse files of a terabyte */
		return (1ull << 40) + rng_below(&x->rng, MIB);
	case 1:
	case 2:
	case 3:
		return rng_range(&x->rng, 1, 32) * 64 * KIB -
		       rng_below(&x->rng, 8 * KIB);
	default:
		return rng_below(&x->rng, 2 * MIB);
	}
}

static size_t pick_len(struct ex *x)
{
	if (rng_chance(&x->rng, 60))
		return rng_range(&x->rng, 1, 4 * KIB);
	return rng_range(&x->rng, 1, MAX_IO);
}

static void op_write(struct ex *x, int h)
{
	uint64_t off = pick_off(x);
	size_t len = pick_len(x);
	struct res r[2];

	rng_fill(&x->rng, x->wbuf, len);
	op_begin(x, "pwrite h%d off %" PRIu64 " len %zu", h, off, len);
	for (int s = G; s <= R; s++)
		r[s] = result(
			pwrite(x->side[s].fd[h], x->wbuf, len, (off_t)off));
	same(x, r);
}

static void op_read(struct ex *x, int h)
{
	uint64_t off = pick_off(x);
	size_t len = pick_len(x);
	struct res r[2];

	op_begin(x, "pread h%d off %" PRIu64 " len %zu", h, off, len);
	for (int s = G; s <= R; s++) {
		r[s] = result(
			pread(x->side[s].fd[h], x->rbuf[s], len, (off_t)off));
		r[s].len = r[s].ret > 0 ? (size_t)r[s].ret : 0;
	}
	same(x, r);
}

static void op_truncate(struct ex *x, int h)
{
	uint64_t size = rng_chance(&x->rng, 10) ? 0 : pick_off(x);
	struct res r[2];

	op_begin(x, "ftruncate h%d %" PRIu64, h, size);
	for (int s = G; s <= R; s++)
		r[s] = result(ftruncate(x->side[s].fd[h], (off_t)size));
	same(x, r);
}

static void op_punch(struct ex *x, int h)
{
	uint64_t off = pick_off(x), len = pick_len(x) * 4;
	struct res r[2];

	op_begin(x, "punch h%d off %" PRIu64 " len %" PRIu64, h, off, len);
	for (int s = G; s <= R; s++)
		r[s] = result(
			fallocate(x->side[s].fd[h],
				  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)off, (off_t)len));
	same(x, r);
}

static void op_fsync(struct ex *x, int h)
{
	struct res r[2];

	op_begin(x, "fsync h%d", h);
	for (int s = G; s <= R; s++)
		r[s] = result(fsync(x->side[s].fd[h]));
	same(x, r);
}

/* Size and link count of a handle, as the return value. */
static void op_fstat(struct ex *x, int h)
{
	struct res r[2];
	struct stat st;

	op_begin(x, "fstat h%d", h);
	for (int s = G; s <= R; s++) {
		r[s] = result(fstat(x->side[s].fd[h], &st));
		if (!r[s].ret)
			r[s].ret = st.st_size * 1000 + (int64_t)st.st_nlink;
	}
	same(x, r);
}

static int64_t stat_key(const struct stat *st)
{
	return ((int64_t)(st->st_mode & S_IFMT) << 48) ^
	       (st->st_size * 1000 + (int64_t)st->st_nlink);
}

static void op_stat(struct ex *x)
{
	int slot = pick_slot(x);
	struct res r[2];
	struct stat st;
	char name[16];

	slot_name(slot, name, sizeof(name));
	op_begin(x, "stat %s", slot_path(slot));
	for (int s = G; s <= R; s++) {
		r[s] = result(fstatat(slot_dir(&x->side[s], slot), name, &st,
				      AT_SYMLINK_NOFOLLOW));
		if (!r[s].ret)
			r[s].ret = stat_key(&st);
	}
	same(x, r);
}

/* ------------------------------------------------------------------ */
/* mmap                                                               */
/* ------------------------------------------------------------------ */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(bus_jmp, 1);
}

/* Copies through a mapping; -EFAULT if it raised SIGBUS. */
static int map_copy(void *dst, const void *src, size_t len)
{
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		return -EFAULT;
	}
	bus_armed = 1;
	memcpy(dst, src, len);
	bus_armed = 0;
	return 0;
}

static const char *const sync_names[] = {"MS_SYNC", "MS_ASYNC", "none"};

/* One side: map all of the file, copy, msync, unmap. */
static struct res map_side(struct ex *x, int s, int h, size_t size, bool write,
			   size_t off, size_t len, int how)
{
	unsigned char *p;
	struct res r = {0, 0, 0};

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 x->side[s].fd[h], 0);
	if (p == MAP_FAILED)
		return result(-1);
	if (write)
		r.ret = map_copy(p + off, x->wbuf, len);
	else
		r.ret = map_copy(x->rbuf[s], p + off, len);
	if (!r.ret && !write)
		r.len = len;
	if (!r.ret && how < 2) {
		r.ret = msync(p, size, how ? MS_ASYNC : MS_SYNC);
		r.err = r.ret ? errno : 0;
	}
	munmap(p, size);
	return r;
}

static void op_mmap(struct ex *x, int h)
{
	bool write = rng_chance(&x->rng, 60);
	int how = (int)rng_below(&x->rng, 3);
	struct stat st[2];
	size_t size, off, len;
	struct res r[2];

	if (fstat(x->side[G].fd[h], &st[G]) || fstat(x->side[R].fd[h], &st[R]))
		return;
	size = (size_t)st[G].st_size;
	if (!size || size > 8 * MIB || st[R].st_size != st[G].st_size)
		return;
	off = rng_below(&x->rng, size);
	len = rng_range(&x->rng, 1, size - off < MAX_IO ? size - off : MAX_IO);
	if (write)
		rng_fill(&x->rng, x->wbuf, len);
	op_begin(x, "mmap %s h%d off %zu len %zu (size %zu), msync %s",
		 write ? "write" : "read", h, off, len, size, sync_names[how]);
	for (int s = G; s <= R; s++)
		r[s] = map_side(x, s, h, size, write, off, len, how);
	same(x, r);
}

/* ------------------------------------------------------------------ */
/* Namespace                                                          */
/* ------------------------------------------------------------------ */

static void op_names(struct ex *x, int kind)
{
	static const char *const what[] = {"rename", "link", "unlink"};
	int a = pick_slot(x), b = pick_slot(x);
	char an[16], bn[16];
	struct res r[2];

	slot_name(a, an, sizeof(an));
	slot_name(b, bn, sizeof(bn));
	if (kind == 2)
		op_begin(x, "unlink %s", slot_path(a));
	else
		op_begin(x, "%s %s %s", what[kind], slot_path(a), slot_path(b));
	for (int s = G; s <= R; s++) {
		int ad = slot_dir(&x->side[s], a),
		    bd = slot_dir(&x->side[s], b);

		if (kind == 0)
			r[s] = result(renameat(ad, an, bd, bn));
		else if (kind == 1)
			r[s] = result(linkat(ad, an, bd, bn, 0));
		else
			r[s] = result(unlinkat(ad, an, 0));
	}
	same(x, r);
}

/* ------------------------------------------------------------------ */
/* Whole trees                                                        */
/* ------------------------------------------------------------------ */

static int read_at(int fd, unsigned char *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (n <= 0)
			return n < 0 ? -errno : -ENODATA;
		got += (size_t)n;
	}
	return 0;
}

/* Bytes of one name on both sides: all of it, or two windows. */
static void tree_bytes(struct ex *x, int slot, uint64_t size)
{
	uint64_t offs[2] = {0, size > WINDOW ? size - WINDOW : 0};
	unsigned char *b[2];
	char name[16];
	int fd[2];

	slot_name(slot, name, sizeof(name));
	for (int s = G; s <= R; s++) {
		fd[s] = openat(slot_dir(&x->side[s], slot), name,
			       O_RDONLY | O_CLOEXEC);
		b[s] = malloc(WINDOW);
	}
	for (int w = 0; w < (size > WINDOW ? 2 : 1); w++) {
		size_t len = size < WINDOW ? (size_t)size : WINDOW;
		int e[2];

		x->checks++;
		for (int s = G; s <= R; s++)
			e[s] = fd[s] < 0 || !b[s]
				       ? -EIO
				       : read_at(fd[s], b[s], len, offs[w]);
		if (e[G] || e[R])
			mismatch(x, "%s: cannot read: glassfs %s, reference %s",
				 slot_path(slot), errname(-e[G]),
				 errname(-e[R]));
		else if (memcmp(b[G], b[R], len))
			mismatch(x,
				 "%s: contents differ in %" PRIu64 "..%" PRIu64,
				 slot_path(slot), offs[w], offs[w] + len);
	}
	for (int s = G; s <= R; s++) {
		if (fd[s] >= 0)
			close(fd[s]);
		free(b[s]);
	}
}

/* Names, types, sizes, link counts, hard link structure, bytes. */
static void tree_compare(struct ex *x)
{
	uint64_t ino[2][NSLOTS];
	struct stat st[2];
	char name[16];
	struct res r[2];

	op_begin(x, "compare the trees");
	for (int slot = 0; slot < NSLOTS; slot++) {
		slot_name(slot, name, sizeof(name));
		for (int s = G; s <= R; s++) {
			r[s] = result(fstatat(slot_dir(&x->side[s], slot), name,
					      &st[s], AT_SYMLINK_NOFOLLOW));
			ino[s][slot] = r[s].ret ? 0 : st[s].st_ino;
			if (!r[s].ret)
				r[s].ret = stat_key(&st[s]);
		}
		if (!same(x, r) || !ino[G][slot])
			continue;
		tree_bytes(x, slot, (uint64_t)st[G].st_size);
		for (int o = 0; o < slot; o++) {
			x->checks++;
			if ((ino[G][o] == ino[G][slot]) !=
			    (ino[R][o] == ino[R][slot]))
				mismatch(x,
					 "%s and %s: hard links on one "
					 "side only",
					 slot_path(o), slot_path(slot));
		}
	}
}

/* ------------------------------------------------------------------ */
/* Main                                                               */
/* ------------------------------------------------------------------ */

enum op {
	OP_OPEN,
	OP_CLOSE,
	OP_WRITE,
	OP_READ,
	OP_TRUNCATE,
	OP_PUNCH,
	OP_FSYNC,
	OP_FSTAT,
	OP_STAT,
	OP_MMAP,
	OP_RENAME,
	OP_LINK,
	OP_UNLINK,
	OP_COUNT
};

static const unsigned weights[OP_COUNT] = {
	10, 4, 25, 15, 5, 4, 2, 5, 5, 10, 5, 3, 3,
};

static void one_op(struct ex *x)
{
	unsigned w[OP_COUNT];
	enum op op;
	int h;

	memcpy(w, weights, sizeof(w));
	if (!x->mmap)
		w[OP_MMAP] = 0;
	op = (enum op)rng_pick(&x->rng, w, OP_COUNT);
	if (op >= OP_STAT) {
		if (op == OP_STAT)
			op_stat(x);
		else if (op == OP_MMAP && (h = pick_handle(x)) >= 0)
			op_mmap(x, h);
		else if (op != OP_MMAP)
			op_names(x, op - OP_RENAME);
		return;
	}
	h = pick_handle(x);
	if (op == OP_OPEN || h < 0) {
		op_open(x);
		return;
	}
	switch (op) {
	case OP_CLOSE:
		close_handle(x, h);
		break;
	case OP_WRITE:
		op_write(x, h);
		break;
	case OP_READ:
		op_read(x, h);
		break;
	case OP_TRUNCATE:
		op_truncate(x, h);
		break;
	case OP_PUNCH:
		op_punch(x, h);
		break;
	case OP_FSYNC:
		op_fsync(x, h);
		break;
	default:
		op_fstat(x, h);
		break;
	}
}

static int side_open(struct side *s)
{
	s->dir[0] = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir[0] < 0 || mkdirat(s->dir[0], "d", 0755) < 0)
		return -errno;
	s->dir[1] = openat(s->dir[0], "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int h = 0; h < NHANDLES; h++)
		s->fd[h] = -1;
	return s->dir[1] < 0 ? -errno : 0;
}

static void side_close(struct side *s)
{
	for (int h = 0; h < NHANDLES; h++)
		if (s->fd[h] >= 0)
			close(s->fd[h]);
	for (int d = 0; d < NDIRS; d++)
		close(s->dir[d]);
}

static int parse_args(struct ex *x, int argc, char **argv, unsigned long *nops)
{
	static const struct option lo[] = {
		{"gfs", required_argument, NULL, 'g'},
		{"ref", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 's'},
		{"ops", required_argument, NULL, 'n'},
		{"no-mmap", no_argument, NULL, 'M'},
		{"keep-going", no_argument, NULL, 'k'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "g:r:s:n:Mkv", lo, NULL)) != -1) {
		switch (c) {
		case 'g':
			x->side[G].path = optarg;
			break;
		case 'r':
			x->side[R].path = optarg;
			break;
		case 's':
			x->seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			*nops = strtoul(optarg, NULL, 0);
			break;
		case 'M':
			x->mmap = false;
			break;
		case 'k':
			x->keep_going = true;
			break;
		case 'v':
			x->verbose = true;
			break;
		default:
			return -1;
		}
	}
	if (!x->side[G].path || !x->side[R].path || optind != argc)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct ex x = {.mmap = true};
	struct sigaction sa = {.sa_handler = on_sigbus};
	unsigned long nops = 10000;

	x.seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^
		 (uint64_t)time(NULL);
	if (parse_args(&x, argc, argv, &nops)) {
		fprintf(stderr,
			"usage: exercise --gfs DIR --ref DIR [--seed N] "
			"[--ops N] [--no-mmap] [--keep-going] [-v]\n");
		return 2;
	}
	rng_seed(&x.rng, x.seed);
	sigaction(SIGBUS, &sa, NULL);
	x.wbuf = malloc(MAX_IO);
	x.rbuf[G] = malloc(MAX_IO);
	x.rbuf[R] = malloc(MAX_IO);
	x.hist = calloc(HIST, HIST_LINE);
	for (int s = G; s <= R; s++) {
		if (side_open(&x.side[s])) {
			fprintf(stderr, "exercise: %s '%s': %s\n",
				side_names[s], x.side[s].path, strerror(errno));
			return 2;
		}
	}
	printf("exercise: seed %" PRIu64 " (replay with --seed %" PRIu64 ")\n",
	       x.seed, x.seed);
	fflush(stdout);
	for (unsigned long i = 1; i <= nops; i++) {
		one_op(&x);
		if (i % CHECK_EVERY == 0)
			tree_compare(&x);
	}
	tree_compare(&x);
	for (int s = G; s <= R; s++)
		side_close(&x.side[s]);
	printf("exercise: seed %" PRIu64 ": %lu operations, %lu checks, %lu "
	       "mismatches\n",
	       x.seed, x.ops, x.checks, x.mismatches);
	return x.mismatches ? 1 : 0;
}
