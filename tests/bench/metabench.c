// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * metabench.c - timed metadata loops for tests/bench/run: create, stat,
 * readdir, rename and unlink of N files in one directory, and the rename
 * of a directory with N descendants against that of an empty one.
 *
 * Layer: a benchmark tool; plain system calls on any file system, no
 * glassfs code.  Every call goes through a directory descriptor (the *at
 * calls), so that what is timed is the operation on the entry, not the
 * walk to its parent.  Prints one line of JSON; any failed call ends the
 * run with a message naming the call and the file.
 *
 *   metabench files DIR N       in a new directory DIR/files
 *   metabench PHASE DIR N       one phase of files: create (makes DIR/files),
 *                               stat, readdir, rename, unlink (removes it)
 *   metabench dirrename DIR N   in a new directory DIR/dirrename
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

/* readdir is repeated until it has run this long, to be measurable. */
#define READDIR_MIN_SECONDS 0.3
#define READDIR_MAX_PASSES 1000
/* Descendants per subdirectory of the renamed tree. */
#define TREE_FANOUT 100

struct bench {
	const char *dir;
	unsigned n;    /* files, or descendants */
	unsigned reps; /* directory renames of each kind */
	uint64_t seed;
	int dfd; /* the directory the loops run in */
};

static void usage(void)
{
	printf("usage: metabench [options] files DIR N\n"
	       "       metabench [options] create|stat|readdir|rename|unlink "
	       "DIR N\n"
	       "       metabench [options] dirrename DIR N\n"
	       "\n"
	       "files: create N empty files in the new directory DIR/files, "
	       "stat them in\n"
	       "random order, list the directory (repeatedly, for at least "
	       "%.1f s),\n"
	       "rename each file, unlink each; prints operations per second "
	       "of each.\n"
	       "create ... unlink: one of these phases (in this order, one "
	       "process each).\n"
	       "dirrename: build DIR/dirrename/p1/tree holding N "
	       "descendants and an\n"
	       "empty DIR/dirrename/p1/empty, move each between p1 and p2 "
	       "REPS times,\n"
	       "interleaved; prints the median time of one move of each.\n"
	       "\n"
	       "options:\n"
	       "  -n, --reps REPS   moves of each directory (dirrename; 100)\n"
	       "  -s, --seed SEED   seed of the stat order (files; 1)\n"
	       "  -h, --help        print this help\n"
	       "  -V, --version     print the version\n",
	       READDIR_MIN_SECONDS);
}

static void usage_hint(void)
{
	fputs("Try 'metabench --help' for more information.\n", stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		errx(1, "cannot allocate memory");
	return p;
}

/* Creates DIR/@name and makes it the directory the loops run in. */
static void enter(struct bench *b, const char *name)
{
	int fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		err(1, "cannot open '%s'", b->dir);
	if (mkdirat(fd, name, 0755) < 0)
		err(1, "cannot create '%s/%s'", b->dir, name);
	b->dfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dfd < 0)
		err(1, "cannot open '%s/%s'", b->dir, name);
	close(fd);
}

static void leave(struct bench *b, const char *name)
{
	int fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	close(b->dfd);
	if (fd < 0 || unlinkat(fd, name, AT_REMOVEDIR) < 0)
		err(1, "cannot remove '%s/%s'", b->dir, name);
	close(fd);
}

static void name(char *buf, size_t size, char prefix, unsigned i)
{
	snprintf(buf, size, "%c%07u", prefix, i);
}

/* ------------------------------------------------------------------ */
/* files                                                              */
/* ------------------------------------------------------------------ */

static double loop_create(struct bench *b)
{
	double t0 = now();
	char nm[16];
	unsigned i;
	int fd;

	for (i = 0; i < b->n; i++) {
		name(nm, sizeof(nm), 'f', i);
		fd = openat(b->dfd, nm, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			    0644);
		if (fd < 0)
			err(1, "cannot create '%s'", nm);
		close(fd);
	}
	return now() - t0;
}

/* A random permutation of 0..n-1 (Fisher-Yates with xorshift64). */
static unsigned *shuffled(unsigned n, uint64_t seed)
{
	unsigned *v = xmalloc((n ? n : 1) * sizeof(*v));
	uint64_t x = seed ? seed : 1;
	unsigned i, j, t;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n; i > 1; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (unsigned)(x % i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	return v;
}

static double loop_stat(struct bench *b)
{
	unsigned *order = shuffled(b->n, b->seed);
	struct stat st;
	double t0 = now();
	char nm[16];
	unsigned i;

	for (i = 0; i < b->n; i++) {
		name(nm, sizeof(nm), 'f', order[i]);
		if (fstatat(b->dfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
			err(1, "cannot stat '%s'", nm);
	}
	t0 = now() - t0;
	free(order);
	return t0;
}

/* One listing of the directory; returns the number of entries. */
static unsigned list_once(struct bench *b)
{
	int fd = openat(b->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned count = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd)))
		err(1, "cannot open directory '%s'", b->dir);
	errno = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			count++;
	if (errno)
		err(1, "cannot read directory '%s'", b->dir);
	closedir(d);
	return count;
}

/* Returns the seconds per pass; *passes gets their number. */
static double loop_readdir(struct bench *b, unsigned *passes)
{
	double t0 = now(), t = 0;
	unsigned got;

	for (*passes = 0;
	     *passes < READDIR_MAX_PASSES && t < READDIR_MIN_SECONDS;) {
		got = list_once(b);
		if (got != b->n)
			errx(1, "readdir of '%s' returned %u entries, not %u",
			     b->dir, got, b->n);
		++*passes;
		t = now() - t0;
	}
	return t / *passes;
}

static double loop_rename(struct bench *b)
{
	double t0 = now();
	char from[16], to[16];
	unsigned i;

	for (i = 0; i < b->n; i++) {
		name(from, sizeof(from), 'f', i);
		name(to, sizeof(to), 'r', i);
		if (renameat(b->dfd, from, b->dfd, to) < 0)
			err(1, "cannot rename '%s' to '%s'", from, to);
	}
	return now() - t0;
}

static double loop_unlink(struct bench *b)
{
	double t0 = now();
	char nm[16];
	unsigned i;

	for (i = 0; i < b->n; i++) {
		name(nm, sizeof(nm), 'r', i);
		if (unlinkat(b->dfd, nm, 0) < 0)
			err(1, "cannot unlink '%s'", nm);
	}
	return now() - t0;
}

static void print_phase(const char *phase, double ops, double seconds, int last)
{
	const char *sep = *phase ? "_" : "";

	printf("\"%s%sops_per_sec\":%.1f,\"%s%sseconds\":%.6f%s", phase, sep,
	       ops / seconds, phase, sep, seconds, last ? "}\n" : ",");
}

/* The current directory's descriptor for a phase of its own. */
static void reenter(struct bench *b, const char *name)
{
	int fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		err(1, "cannot open '%s'", b->dir);
	b->dfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dfd < 0)
		err(1, "cannot open '%s/%s'", b->dir, name);
	close(fd);
}

/*
 * One phase in a process of its own, so that the caller can look at the
 * file system between phases (request counters, caches).  The files stay
 * in DIR/files from create to unlink.
 */
static int run_phase(struct bench *b, const char *phase)
{
	static const char *const phases[] = {"create", "stat", "readdir",
					     "rename", "unlink"};
	unsigned passes = 1, i;
	double t;

	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (!strcmp(phase, phases[i]))
			break;
	if (i == sizeof(phases) / sizeof(phases[0]))
		return -1;
	if (!strcmp(phase, "create")) {
		enter(b, "files");
		t = loop_create(b);
	} else {
		reenter(b, "files");
		if (!strcmp(phase, "stat"))
			t = loop_stat(b);
		else if (!strcmp(phase, "readdir"))
			t = loop_readdir(b, &passes);
		else if (!strcmp(phase, "rename"))
			t = loop_rename(b);
		else
			t = loop_unlink(b);
	}
	if (!strcmp(phase, "unlink"))
		leave(b, "files");
	else
		close(b->dfd);
	printf("{\"phase\":\"%s\",\"files\":%u,\"passes\":%u,", phase, b->n,
	       passes);
	print_phase("", b->n, t, 1);
	return 0;
}

static void run_files(struct bench *b)
{
	double t_create, t_stat, t_readdir, t_rename, t_unlink;
	unsigned passes;

	enter(b, "files");
	t_create = loop_create(b);
	t_stat = loop_stat(b);
	t_readdir = loop_readdir(b, &passes);
	t_rename = loop_rename(b);
	t_unlink = loop_unlink(b);
	leave(b, "files");
	/* Keys and numbers only: nothing here needs JSON escaping. */
	printf("{\"files\":%u,\"readdir_passes\":%u,", b->n, passes);
	print_phase("create", b->n, t_create, 0);
	print_phase("stat", b->n, t_stat, 0);
	print_phase("readdir", b->n, t_readdir, 0);
	print_phase("rename", b->n, t_rename, 0);
	print_phase("unlink", b->n, t_unlink, 1);
}

/* ------------------------------------------------------------------ */
/* dirrename                                                          */
/* ------------------------------------------------------------------ */

static void mkdir_at(int dfd, const char *path)
{
	if (mkdirat(dfd, path, 0755) < 0)
		err(1, "cannot create directory '%s'", path);
}

static void touch_at(int dfd, const char *path)
{
	int fd = openat(dfd, path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			0644);

	if (fd < 0)
		err(1, "cannot create '%s'", path);
	close(fd);
}

/* p1/tree: subdirectories of TREE_FANOUT entries; returns the number of
 * descendants made (N rounded to whole subdirectories). */
static unsigned build_tree(struct bench *b)
{
	unsigned ndirs = b->n / TREE_FANOUT ? b->n / TREE_FANOUT : 1;
	unsigned per = b->n > ndirs ? (b->n - ndirs) / ndirs : 0;
	char path[64];
	unsigned d, f;

	mkdir_at(b->dfd, "p1");
	mkdir_at(b->dfd, "p2");
	mkdir_at(b->dfd, "p1/empty");
	mkdir_at(b->dfd, "p1/tree");
	for (d = 0; d < ndirs; d++) {
		snprintf(path, sizeof(path), "p1/tree/d%05u", d);
		mkdir_at(b->dfd, path);
		for (f = 0; f < per; f++) {
			snprintf(path, sizeof(path), "p1/tree/d%05u/f%05u", d,
				 f);
			touch_at(b->dfd, path);
		}
	}
	return ndirs + ndirs * per;
}

/* Moves p?/@what to the other parent; returns the seconds it took. */
static double move(struct bench *b, const char *what, unsigned i)
{
	char from[32], to[32];
	double t0;

	snprintf(from, sizeof(from), "p%u/%s", 1 + i % 2, what);
	snprintf(to, sizeof(to), "p%u/%s", 2 - i % 2, what);
	t0 = now();
	if (renameat(b->dfd, from, b->dfd, to) < 0)
		err(1, "cannot rename '%s' to '%s'", from, to);
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0)
		err(1, "cannot remove '%s'", path);
	return 0;
}

static void run_dirrename(struct bench *b)
{
	double *tree = xmalloc(b->reps * sizeof(*tree));
	double *empty = xmalloc(b->reps * sizeof(*empty));
	double tmed, emed;
	char top[4096];
	unsigned made, i;

	enter(b, "dirrename");
	made = build_tree(b);
	/* One untimed round trip: the first lookups are not the point. */
	move(b, "tree", 0);
	move(b, "tree", 1);
	move(b, "empty", 0);
	move(b, "empty", 1);
	for (i = 0; i < b->reps; i++) {
		tree[i] = move(b, "tree", i);
		empty[i] = move(b, "empty", i);
	}
	close(b->dfd);
	snprintf(top, sizeof(top), "%s/dirrename", b->dir);
	if (nftw(top, remove_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		err(1, "cannot remove '%s'", top);
	tmed = median(tree, b->reps);
	emed = median(empty, b->reps);
	printf("{\"descendants\":%u,\"reps\":%u,\"tree_us\":%.2f,"
	       "\"empty_us\":%.2f,\"ratio\":%.3f}\n",
	       made, b->reps, tmed * 1e6, emed * 1e6, tmed / emed);
	free(tree);
	free(empty);
}

static unsigned count_arg(const char *what, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || !v || v > 10000000) {
		warnx("invalid %s '%s'", what, arg);
		usage_hint();
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"reps", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct bench b = {.reps = 100, .seed = 1};
	const char *cmd;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:s:hV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'n':
			b.reps = count_arg("count", optarg);
			break;
		case 's':
			b.seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			usage();
			return 0;
		case 'V':
			printf("metabench from glassfs %s\n", GLASSFS_VERSION);
			return 0;
		default:
			usage_hint();
		}
	}
	if (argc - optind != 3)
		usage_hint();
	cmd = argv[optind];
	b.dir = argv[optind + 1];
	b.n = count_arg("count", argv[optind + 2]);
	if (!strcmp(cmd, "files"))
		run_files(&b);
	else if (!strcmp(cmd, "dirrename"))
		run_dirrename(&b);
	else if (run_phase(&b, cmd) < 0)
		usage_hint();
	return 0;
}
