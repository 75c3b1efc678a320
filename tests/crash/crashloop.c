// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crashloop - kill the glassfs daemon hundreds of times under a random
 * workload and check after each crash that nothing fsync'd was lost.
 *
 *   crashloop --dir DIR [--seed N] [--crashes N] [--max-delay MS]
 *             [--glassfs PATH] [-v]
 *
 * Each crash: mount DIR/store.db at DIR/mnt with a cache mode and commit
 * interval drawn from the seed, run a seeded workload (writes at random
 * offsets and sizes, truncates, holes punched, creates, renames, links,
 * unlinks, fsync and fdatasync of files and directories, MAP_SHARED
 * writes with msync) and SIGKILL the daemon a random delay after it
 * starts.  Then remount (the orphan sweep runs), compare the tree with
 * the model of what was fsync'd (model.h), unmount, and require
 * `glassfs check` to exit 0, PRAGMA integrity_check to be ok and no
 * orphan inode or chunk to be left.
 *
 * Prints the seed, then one line of figures; exits 0 when there was no
 * loss, no inconsistency and no unexpected error, 1 otherwise, 2 when
 * it could not run.  Each crash's operations follow from (seed, crash
 * number) alone; where the kill lands among them depends on timing, so a
 * replay with --seed runs the same operations but may stop elsewhere.
 *
 * Layer: test harness.  Talks to glassfs only through the mount, the
 * daemon's command line and SQLite queries on the unmounted store.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "mountd.h"
#include "rng.h"

#define KIB 1024u

struct mode {
	const char *opts;
	bool wt;   /* write(2) reaches the daemon synchronously */
	bool mmap; /* MAP_SHARED is possible */
};

static const struct mode modes[] = {
	{"cache=auto", false, true},
	{"cache=always", false, true},
	{"cache=never", true, false},
	{"cache=auto,no_writeback_cache", true, true},
};

static const unsigned commit_choices[] = {5, 100, 100, 1000};

enum op {
	OP_WRITE,
	OP_TRUNCATE,
	OP_PUNCH,
	OP_FSYNC,
	OP_DIRSYNC,
	OP_CREATE,
	OP_LINK,
	OP_UNLINK,
	OP_RENAME,
	OP_MMAP,
	OP_READ,
	OP_STAT,
	OP_CLOSE,
	OP_CHECKPOINT,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"write",  "truncate", "punch",	"fsync",      "dirsync",
	"create", "link",     "unlink", "rename",     "mmap",
	"read",	  "stat",     "close",	"checkpoint",
};

static const unsigned op_weights[OP_COUNT] = {
	30, 6, 4, 7, 3, 8, 4, 5, 7, 8, 8, 4, 6, 1,
};

struct loop {
	struct rng rng; /* this crash's sequence */
	uint64_t seed;
	struct model m;
	struct mountd d;
	const struct mode *mode;
	int dirfd[MODEL_DIRS];
	unsigned char *buf; /* MODEL_MAX_FILE of scratch */
	atomic_int killed;  /* the killer has fired */
	unsigned delay_ms, max_delay_ms;
	bool broken; /* an operation failed unexpectedly */
	bool verbose;
	char *check_out; /* glassfs check's output */
	char ctl[108];	 /* the mount's control socket, or "" */
	unsigned long ops, covers, errors, crashes, cycle_ops;
	unsigned long op_counts[OP_COUNT];
};

/* ------------------------------------------------------------------ */
/* Failures, descriptors, choices                                     */
/* ------------------------------------------------------------------ */

/* After a failed call: expected once the daemon is killed; otherwise an
 * error that stops this crash's workload. */
static void failed(struct loop *l, const char *what, int err)
{
	if (atomic_load(&l->killed))
		return;
	fprintf(stderr, "error: %s: %s (crash %lu, op %lu)\n", what,
		strerror(err), l->crashes, l->cycle_ops);
	l->errors++;
	l->broken = true;
}

static void trace(struct loop *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void trace(struct loop *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A slot for which @want says whether it must name an object. */
static int pick_slot(struct loop *l, bool want)
{
	int s0 = (int)rng_below(&l->rng, MODEL_SLOTS);

	for (int i = 0; i < MODEL_SLOTS; i++) {
		int s = (s0 + i) % MODEL_SLOTS;

		if ((l->m.name[s] >= 0) == want)
			return s;
	}
	return -1;
}

/* An object that can still be reached: named, or held open. */
static int pick_obj(struct loop *l, bool nonempty)
{
	int o0 = (int)rng_below(&l->rng, (uint64_t)l->m.nobj + 1);

	for (int i = 0; i < l->m.nobj; i++) {
		int o = (o0 + i) % l->m.nobj;
		const struct mobj *ob = &l->m.obj[o];
		bool named = false;

		if (!ob->used || (nonempty && !ob->size))
			continue;
		for (int s = 0; s < MODEL_SLOTS; s++)
			named |= l->m.name[s] == o;
		if (named || ob->fd >= 0)
			return o;
	}
	return -1;
}

static int slot_open(struct loop *l, int s, int flags)
{
	char name[16];

	model_slot_name(s, name, sizeof(name));
	return openat(l->dirfd[model_slot_dir(s)], name, flags | O_CLOEXEC,
		      0644);
}

/* The object's descriptor, opened through one of its names if needed. */
static int obj_fd(struct loop *l, int o)
{
	struct mobj *ob = &l->m.obj[o];

	for (int s = 0; ob->fd < 0 && s < MODEL_SLOTS; s++) {
		if (l->m.name[s] != o)
			continue;
		ob->fd = slot_open(l, s, O_RDWR);
		if (ob->fd < 0) {
			failed(l, "open", errno);
			return -1;
		}
	}
	return ob->fd;
}

static size_t pick_len(struct loop *l, size_t max)
{
	size_t len;

	switch (rng_below(&l->rng, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		len = rng_range(&l->rng, 1, 4 * KIB);
		break;
	case 5:
	case 6:
	case 7:
		len = rng_range(&l->rng, 4 * KIB, 64 * KIB);
		break;
	default:
		len = rng_range(&l->rng, 64 * KIB, 256 * KIB);
		break;
	}
	return len < max ? len : max;
}

/* Inside the file, at its end, past it (a hole), or across a chunk
 * boundary; always within MODEL_MAX_FILE. */
static size_t pick_off(struct loop *l, size_t size, size_t len)
{
	size_t off;

	switch (rng_below(&l->rng, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		off = size ? rng_below(&l->rng, size) : 0;
		break;
	case 4:
	case 5:
		off = size;
		break;
	case 6:
	case 7:
		off = size + rng_below(&l->rng, 256 * KIB);
		break;
	default:
		off = rng_range(&l->rng, 1, 7) * 64 * KIB;
		off -= rng_below(&l->rng, off < len ? off : len);
		break;
	}
	return off + len > MODEL_MAX_FILE ? MODEL_MAX_FILE - len : off;
}

static size_t pick_size(struct loop *l, size_t size)
{
	size_t n;

	switch (rng_below(&l->rng, 5)) {
	case 0:
		n = rng_below(&l->rng, size + 1);
		break;
	case 1:
		n = size + rng_below(&l->rng, 128 * KIB);
		break;
	case 2:
		n = rng_below(&l->rng, 9) * 64 * KIB;
		break;
	case 3:
		n = 0;
		break;
	default:
		n = rng_below(&l->rng, MODEL_MAX_FILE + 1);
		break;
	}
	return n > MODEL_MAX_FILE ? MODEL_MAX_FILE : n;
}

/* ------------------------------------------------------------------ */
/* Data operations                                                    */
/* ------------------------------------------------------------------ */

static void op_write(struct loop *l, int o)
{
	size_t len = pick_len(l, MODEL_MAX_FILE);
	size_t off = pick_off(l, l->m.obj[o].size, len);
	int fd = obj_fd(l, o);
	ssize_t n;

	if (fd < 0)
		return;
	rng_fill(&l->rng, l->buf, len);
	trace(l, "write obj %d off %zu len %zu", o, off, len);
	n = pwrite(fd, l->buf, len, (off_t)off);
	model_write(&l->m, o, off, l->buf, len, n == (ssize_t)len, false);
	if (n < 0)
		failed(l, "pwrite", errno);
	else if (n != (ssize_t)len)
		failed(l, "pwrite (short)", EIO);
}

static void op_truncate(struct loop *l, int o)
{
	size_t size = pick_size(l, l->m.obj[o].size);
	int fd = obj_fd(l, o), rc;

	if (fd < 0)
		return;
	trace(l, "truncate obj %d to %zu", o, size);
	rc = ftruncate(fd, (off_t)size);
	model_truncate(&l->m, o, size, rc == 0);
	if (rc)
		failed(l, "ftruncate", errno);
}

static void op_punch(struct loop *l, int o)
{
	size_t size = l->m.obj[o].size;
	size_t off = rng_below(&l->rng, size + 1);
	size_t len = rng_range(&l->rng, 1, 256 * KIB);
	int fd = obj_fd(l, o), rc;

	if (fd < 0)
		return;
	trace(l, "punch obj %d off %zu len %zu", o, off, len);
	rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       (off_t)off, (off_t)len);
	model_punch(&l->m, o, off, len, rc == 0);
	if (rc)
		failed(l, "fallocate(PUNCH_HOLE)", errno);
}

static void op_fsync(struct loop *l, int o)
{
	bool data = rng_chance(&l->rng, 50);
	int fd = obj_fd(l, o);

	if (fd < 0)
		return;
	trace(l, "%s obj %d", data ? "fdatasync" : "fsync", o);
	if ((data ? fdatasync(fd) : fsync(fd)) < 0) {
		failed(l, data ? "fdatasync" : "fsync", errno);
		return;
	}
	model_fsync(&l->m, o);
	l->covers++;
}

static void op_dirsync(struct loop *l)
{
	int d = (int)rng_below(&l->rng, MODEL_DIRS);

	trace(l, "fsync dir %d", d);
	if (fsync(l->dirfd[d]) < 0) {
		failed(l, "fsync (directory)", errno);
		return;
	}
	model_fsync(&l->m, -1);
	l->covers++;
}

static void op_read(struct loop *l, int o)
{
	size_t size = l->m.obj[o].size, off = rng_below(&l->rng, size);
	size_t len = pick_len(l, size - off);
	int fd = obj_fd(l, o);
	ssize_t n;

	if (fd < 0)
		return;
	trace(l, "read obj %d off %zu len %zu", o, off, len);
	n = pread(fd, l->buf, len, (off_t)off);
	if (n < 0) {
		failed(l, "pread", errno);
	} else if (n != (ssize_t)len) {
		if (!atomic_load(&l->killed))
			model_live_read(&l->m, o, off, l->buf, (size_t)n);
		failed(l, "pread (short)", EIO);
	} else if (!model_live_read(&l->m, o, off, l->buf, len)) {
		l->broken = true;
	}
}

static void op_stat(struct loop *l, int o)
{
	int fd = obj_fd(l, o);
	struct stat st;

	if (fd < 0)
		return;
	trace(l, "fstat obj %d", o);
	if (fstat(fd, &st) < 0)
		failed(l, "fstat", errno);
	else if (!model_live_size(&l->m, o, (size_t)st.st_size))
		l->broken = true;
}

static void op_close(struct loop *l)
{
	int o0 = (int)rng_below(&l->rng, (uint64_t)l->m.nobj + 1);

	for (int i = 0; i < l->m.nobj; i++) {
		int o = (o0 + i) % l->m.nobj;
		int fd = l->m.obj[o].fd;

		if (!l->m.obj[o].used || fd < 0)
			continue;
		trace(l, "close obj %d", o);
		if (close(fd) == 0) {
			model_closed(&l->m, o);
		} else {
			l->m.obj[o].fd = -1;
			failed(l, "close", errno);
		}
		return;
	}
}

/* ------------------------------------------------------------------ */
/* mmap                                                               */
/* ------------------------------------------------------------------ */

/* A page of a dead mount that is not in memory faults with SIGBUS. */
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

static void map_sync(struct loop *l, int o, void *p, size_t size)
{
	int how = (int)rng_below(&l->rng, 5);

	if (how >= 3)
		return;
	trace(l, "msync obj %d %s", o, how ? "MS_ASYNC" : "MS_SYNC");
	if (msync(p, size, how ? MS_ASYNC : MS_SYNC) < 0) {
		failed(l, "msync", errno);
		return;
	}
	if (!how) {
		model_msync(&l->m, o);
		l->covers++;
	}
}

static void op_mmap(struct loop *l, int o)
{
	size_t size = l->m.obj[o].size, off = rng_below(&l->rng, size);
	size_t len = pick_len(l, size - off);
	bool write = rng_chance(&l->rng, 70);
	int fd = obj_fd(l, o);
	unsigned char *p;

	if (fd < 0)
		return;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		failed(l, "mmap", errno);
		return;
	}
	trace(l, "mmap %s obj %d off %zu len %zu", write ? "write" : "read", o,
	      off, len);
	if (write)
		rng_fill(&l->rng, l->buf, len);
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		if (write)
			model_write(&l->m, o, off, l->buf, len, false, true);
		failed(l, "mmap access (SIGBUS)", EFAULT);
		munmap(p, size);
		return;
	}
	bus_armed = 1;
	if (write)
		memcpy(p + off, l->buf, len);
	else
		memcpy(l->buf, p + off, len);
	bus_armed = 0;
	if (write)
		model_write(&l->m, o, off, l->buf, len, true, true);
	else if (!model_live_read(&l->m, o, off, l->buf, len))
		l->broken = true;
	map_sync(l, o, p, size);
	munmap(p, size);
}

/* ------------------------------------------------------------------ */
/* Namespace operations                                               */
/* ------------------------------------------------------------------ */

static void op_create(struct loop *l)
{
	int s = pick_slot(l, false), fd, o;
	struct stat st;

	if (s < 0)
		return;
	trace(l, "create slot %d", s);
	fd = slot_open(l, s, O_RDWR | O_CREAT | O_EXCL);
	if (fd < 0) {
		o = model_obj_new(&l->m, 0, -1);
		if (o >= 0)
			model_create(&l->m, s, o, false);
		failed(l, "create", errno);
		return;
	}
	if (fstat(fd, &st) < 0) {
		failed(l, "fstat", errno);
		st.st_ino = 0;
	}
	o = model_obj_new(&l->m, (uint64_t)st.st_ino, fd);
	model_create(&l->m, s, o, true);
}

static int slot_at(struct loop *l, int s, char *name, size_t size)
{
	model_slot_name(s, name, size);
	return l->dirfd[model_slot_dir(s)];
}

static void op_link(struct loop *l)
{
	int src = pick_slot(l, true), dst = pick_slot(l, false), sd, dd;
	char sn[16], dn[16];

	if (src < 0 || dst < 0)
		return;
	sd = slot_at(l, src, sn, sizeof(sn));
	dd = slot_at(l, dst, dn, sizeof(dn));
	trace(l, "link slot %d to %d", src, dst);
	if (linkat(sd, sn, dd, dn, 0) < 0) {
		model_link(&l->m, src, dst, false);
		failed(l, "link", errno);
		return;
	}
	model_link(&l->m, src, dst, true);
}

static void op_unlink(struct loop *l)
{
	int s = pick_slot(l, true), d;
	char n[16];

	if (s < 0)
		return;
	d = slot_at(l, s, n, sizeof(n));
	trace(l, "unlink slot %d", s);
	if (unlinkat(d, n, 0) < 0) {
		model_unlink(&l->m, s, false);
		failed(l, "unlink", errno);
		return;
	}
	model_unlink(&l->m, s, true);
}

static void op_rename(struct loop *l)
{
	int src = pick_slot(l, true), dst, sd, dd;
	char sn[16], dn[16];

	if (src < 0)
		return;
	dst = (src + 1 + (int)rng_below(&l->rng, MODEL_SLOTS - 1)) %
	      MODEL_SLOTS;
	sd = slot_at(l, src, sn, sizeof(sn));
	dd = slot_at(l, dst, dn, sizeof(dn));
	trace(l, "rename slot %d to %d", src, dst);
	if (renameat(sd, sn, dd, dn) < 0) {
		model_rename(&l->m, src, dst, false);
		failed(l, "rename", errno);
		return;
	}
	model_rename(&l->m, src, dst, true);
}

/* ------------------------------------------------------------------ */
/* Checkpoints                                                        */
/* ------------------------------------------------------------------ */

/* The control socket of the mount (glassfs(8), THE TRACE AND THE
 * CONTROL SOCKET): named after the FUSE connection, st_dev's minor. */
static void find_ctl(struct loop *l)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	l->ctl[0] = 0;
	if (stat(l->d.mnt, &st) < 0)
		return;
	if (geteuid() == 0)
		snprintf(l->ctl, sizeof(l->ctl), "/run/glassfs/%u/ctl",
			 minor(st.st_dev));
	else if (xdg)
		snprintf(l->ctl, sizeof(l->ctl), "%s/glassfs/%u/ctl", xdg,
			 minor(st.st_dev));
}

/* Asks the daemon to commit and checkpoint the WAL into the database,
 * so that kills also land in checkpoints (it does them by itself only
 * past 64 MiB of WAL).  Covers nothing: a checkpoint is no fsync. */
static void op_checkpoint(struct loop *l)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {10, 0};
	char reply[512] = "";
	ssize_t n = 0;
	int fd;

	if (!l->ctl[0])
		return;
	trace(l, "checkpoint");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->ctl);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, "checkpoint\n", 11) == 11)
		n = read(fd, reply, sizeof(reply) - 1);
	close(fd);
	reply[n > 0 ? n : 0] = 0;
	if (strstr(reply, "\"error\""))
		failed(l, reply, EIO);
}

/* ------------------------------------------------------------------ */
/* One crash                                                          */
/* ------------------------------------------------------------------ */

static void one_op(struct loop *l)
{
	unsigned w[OP_COUNT];
	enum op op;
	int o;

	memcpy(w, op_weights, sizeof(w));
	if (!l->mode->mmap)
		w[OP_MMAP] = 0;
	op = (enum op)rng_pick(&l->rng, w, OP_COUNT);
	l->op_counts[op]++;
	l->ops++;
	l->cycle_ops++;
	switch (op) {
	case OP_CREATE:
		op_create(l);
		return;
	case OP_LINK:
		op_link(l);
		return;
	case OP_UNLINK:
		op_unlink(l);
		return;
	case OP_RENAME:
		op_rename(l);
		return;
	case OP_DIRSYNC:
		op_dirsync(l);
		return;
	case OP_CLOSE:
		op_close(l);
		return;
	case OP_CHECKPOINT:
		op_checkpoint(l);
		return;
	default:
		break;
	}
	o = pick_obj(l, op == OP_MMAP || op == OP_READ);
	if (o < 0) {
		op_create(l);
		return;
	}
	switch (op) {
	case OP_WRITE:
		op_write(l, o);
		break;
	case OP_TRUNCATE:
		op_truncate(l, o);
		break;
	case OP_PUNCH:
		op_punch(l, o);
		break;
	case OP_FSYNC:
		op_fsync(l, o);
		break;
	case OP_MMAP:
		op_mmap(l, o);
		break;
	case OP_READ:
		op_read(l, o);
		break;
	default:
		op_stat(l, o);
		break;
	}
}

/* Stopped from outside (a test timeout, ^C): no daemon left behind.
 * The dead mount is detached by whoever stopped us. */
static volatile pid_t daemon_pid;

static void on_stop(int sig)
{
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	_exit(128 + sig);
}

static int start(struct loop *l, const char *opts)
{
	int err = mountd_start(&l->d, opts);

	daemon_pid = l->d.pid;
	return err;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *killer(void *arg)
{
	struct loop *l = arg;

	sleep_ms(l->delay_ms);
	atomic_store(&l->killed, 1);
	mountd_signal(&l->d, SIGKILL);
	return NULL;
}

static int open_dirs(struct loop *l)
{
	l->dirfd[0] = open(l->d.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	l->dirfd[1] = openat(l->dirfd[0], "a", O_RDONLY | O_DIRECTORY);
	l->dirfd[2] = openat(l->dirfd[0], "b", O_RDONLY | O_DIRECTORY);
	for (int d = 0; d < MODEL_DIRS; d++)
		if (l->dirfd[d] < 0)
			return -errno;
	return 0;
}

static void close_all(struct loop *l)
{
	for (int o = 0; o < l->m.nobj; o++) {
		if (l->m.obj[o].used && l->m.obj[o].fd >= 0) {
			close(l->m.obj[o].fd);
			l->m.obj[o].fd = -1;
		}
	}
	for (int d = 0; d < MODEL_DIRS; d++) {
		if (l->dirfd[d] >= 0)
			close(l->dirfd[d]);
		l->dirfd[d] = -1;
	}
}

/* The workload under one mount, until the killer fires. */
static int crash(struct loop *l, unsigned n)
{
	char opts[128];
	unsigned commit_ms;
	pthread_t t;
	int err;

	rng_seed(&l->rng,
		 l->seed ^ ((uint64_t)(n + 1) * 0x9e3779b97f4a7c15ULL));
	l->mode = &modes[rng_below(&l->rng, 4)];
	commit_ms = commit_choices[rng_below(&l->rng, 4)];
	l->delay_ms = (unsigned)rng_range(&l->rng, 1, l->max_delay_ms);
	snprintf(opts, sizeof(opts), "%s,commit_ms=%u", l->mode->opts,
		 commit_ms);
	err = start(l, opts);
	if (!err)
		err = open_dirs(l);
	if (err) {
		close_all(l);
		return err;
	}
	model_set_wt(&l->m, l->mode->wt);
	find_ctl(l);
	atomic_store(&l->killed, 0);
	l->broken = false;
	l->cycle_ops = 0;
	if (pthread_create(&t, NULL, killer, l))
		return -EAGAIN;
	while (!atomic_load(&l->killed) && !l->broken)
		one_op(l);
	pthread_join(t, NULL);
	close_all(l);
	l->crashes++;
	trace(l, "crash %u: -o %s, killed after %u ms, %lu operations", n, opts,
	      l->delay_ms, l->cycle_ops);
	return mountd_reap(&l->d);
}

/* ------------------------------------------------------------------ */
/* After each crash                                                   */
/* ------------------------------------------------------------------ */

static int64_t sql_int(sqlite3 *db, const char *sql, const char **text)
{
	static char buf[256];
	sqlite3_stmt *q;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW) {
		v = sqlite3_column_int64(q, 0);
		if (text) {
			snprintf(buf, sizeof(buf), "%s",
				 (const char *)sqlite3_column_text(q, 0));
			*text = buf;
		}
	}
	sqlite3_finalize(q);
	return v;
}

static const char *const orphan_sql[] = {
	"SELECT count(*) FROM inodes WHERE nlink = 0",
	"SELECT count(*) FROM inodes i WHERE ino != 1 AND NOT EXISTS"
	" (SELECT 1 FROM dirents d WHERE d.ino = i.ino)",
	"SELECT count(*) FROM chunks c WHERE NOT EXISTS"
	" (SELECT 1 FROM inodes i WHERE i.ino = c.ino)",
	"SELECT count(*) FROM xattrs x WHERE NOT EXISTS"
	" (SELECT 1 FROM inodes i WHERE i.ino = x.ino)",
};

/* integrity_check and no orphans, on the unmounted store. */
static void sql_checks(struct loop *l)
{
	const char *text = NULL;
	sqlite3 *db;

	if (sqlite3_open_v2(l->d.store, &db, SQLITE_OPEN_READWRITE, NULL)) {
		fprintf(stderr, "error: cannot open '%s': %s\n", l->d.store,
			sqlite3_errmsg(db));
		l->errors++;
		sqlite3_close(db);
		return;
	}
	l->m.checks++;
	sql_int(db, "PRAGMA integrity_check", &text);
	if (!text || strcmp(text, "ok")) {
		fprintf(l->m.out, "inconsistent: integrity_check: %s\n",
			text ? text : sqlite3_errmsg(db));
		l->m.inconsistent++;
	}
	for (size_t i = 0; i < sizeof(orphan_sql) / sizeof(*orphan_sql); i++) {
		int64_t n = sql_int(db, orphan_sql[i], NULL);

		l->m.checks++;
		if (n == 0)
			continue;
		fprintf(l->m.out, "inconsistent: %" PRId64 " from %s\n", n,
			orphan_sql[i]);
		l->m.inconsistent++;
	}
	sqlite3_close(db);
}

static void glassfs_check(struct loop *l)
{
	char line[512];
	FILE *f;
	int status;

	unlink(l->check_out);
	status = mountd_check(&l->d, l->check_out, 0);
	l->m.checks++;
	if (status == 0)
		return;
	fprintf(l->m.out, "inconsistent: glassfs check exited %d:\n", status);
	l->m.inconsistent++;
	f = fopen(l->check_out, "re");
	while (f && fgets(line, sizeof(line), f))
		fprintf(l->m.out, "  %s", line);
	if (f)
		fclose(f);
}

/* Remount, compare with the model, unmount, check the store. */
static int verify(struct loop *l)
{
	unsigned long before = l->m.losses + l->m.inconsistent;
	int err;

	err = start(l, NULL);
	if (err) {
		fprintf(l->m.out,
			"inconsistent: the store cannot be mounted "
			"after crash %lu\n",
			l->crashes);
		l->m.inconsistent++;
		return err;
	}
	err = open_dirs(l);
	if (err) {
		fprintf(l->m.out, "loss: directory a/ or b/ is gone: %s\n",
			strerror(-err));
		l->m.losses++;
	} else {
		err = model_check_reload(&l->m, l->dirfd);
		if (err)
			fprintf(stderr, "error: cannot read the tree: %s\n",
				strerror(-err));
	}
	close_all(l);
	if (mountd_stop(&l->d))
		l->errors++;
	if (err)
		return err;
	glassfs_check(l);
	sql_checks(l);
	if (l->m.losses + l->m.inconsistent > before)
		fprintf(l->m.out,
			"  (crash %lu of seed %" PRIu64 ": -o %s, "
			"killed after %u ms and %lu operations)\n",
			l->crashes, l->seed, l->mode->opts, l->delay_ms,
			l->cycle_ops);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup, summary, main                                               */
/* ------------------------------------------------------------------ */

/* A new store with a/ and b/, its chunk size drawn from the seed. */
static int make_store(struct loop *l)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char path[PATH_MAX], opts[64];
	struct rng r;
	int err;

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s%s", l->d.store, sfx[i]);
		unlink(path);
	}
	rng_seed(&r, l->seed);
	snprintf(opts, sizeof(opts), "chunk_size=%u",
		 rng_chance(&r, 50) ? 4096 : 65536);
	err = start(l, opts);
	if (err)
		return err;
	if (mkdir(strcat(strcpy(path, l->d.mnt), "/a"), 0755) ||
	    mkdir(strcat(strcpy(path, l->d.mnt), "/b"), 0755))
		err = -errno;
	if (mountd_stop(&l->d) && !err)
		err = -EIO;
	return err;
}

/* Daemon log lines that a test would fail on. */
static unsigned long log_errors(const char *log)
{
	unsigned long n = 0;
	char line[1024];
	FILE *f = fopen(log, "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strstr(line, "error:") && !strstr(line, "Sanitizer") &&
		    !strstr(line, "runtime error"))
			continue;
		if (n++ < 10)
			fprintf(stderr, "daemon log: %s", line);
	}
	if (f)
		fclose(f);
	return n;
}

static void summary(struct loop *l, unsigned long log_errs, double secs)
{
	printf("crashloop: seed %" PRIu64 ": %lu crashes, %lu operations "
	       "(%lu covering fsyncs), %lu checks, %lu losses, %lu "
	       "inconsistencies, %lu errors, %lu daemon log errors, %.0f s\n",
	       l->seed, l->crashes, l->ops, l->covers, l->m.checks, l->m.losses,
	       l->m.inconsistent, l->errors, log_errs, secs);
	printf("crashloop: operations:");
	for (int i = 0; i < OP_COUNT; i++)
		printf(" %s %lu", op_names[i], l->op_counts[i]);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: crashloop --dir DIR [--seed N] [--crashes N] "
		   "[--max-delay MS] [--glassfs PATH] [-v]\n");
}

static int parse_args(struct loop *l, int argc, char **argv, unsigned *crashes,
		      char **dir)
{
	static const struct option lo[] = {
		{"dir", required_argument, NULL, 'D'},
		{"seed", required_argument, NULL, 's'},
		{"crashes", required_argument, NULL, 'n'},
		{"max-delay", required_argument, NULL, 'm'},
		{"glassfs", required_argument, NULL, 'g'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "D:s:n:m:g:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'D':
			*dir = optarg;
			break;
		case 's':
			l->seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			*crashes = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			l->max_delay_ms = (unsigned)atoi(optarg);
			break;
		case 'g':
			l->d.glassfs = optarg;
			break;
		case 'v':
			l->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!*dir || optind != argc || l->max_delay_ms < 1) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static char *join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static int setup(struct loop *l, const char *dir)
{
	char real[PATH_MAX];
	struct sigaction sa = {.sa_handler = on_sigbus};

	if (!realpath(dir, real)) {
		fprintf(stderr, "crashloop: '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	l->d.store = join(real, "store.db");
	l->d.mnt = join(real, "mnt");
	l->d.log = join(real, "glassfs.log");
	l->d.pidfile = join(real, "glassfs.pid");
	l->check_out = join(real, "check.out");
	mkdir(l->d.mnt, 0755);
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	l->buf = malloc(MODEL_MAX_FILE);
	for (int d = 0; d < MODEL_DIRS; d++)
		l->dirfd[d] = -1;
	model_init(&l->m, stdout);
	return l->buf ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct loop l = {.max_delay_ms = 600, .d.glassfs = "glassfs"};
	struct timespec t0, t1;
	unsigned crashes = 20;
	unsigned long log_errs;
	char *dir = NULL;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	l.seed = (uint64_t)t0.tv_nsec ^ ((uint64_t)getpid() << 32);
	if (parse_args(&l, argc, argv, &crashes, &dir) || setup(&l, dir))
		return 2;
	printf("crashloop: seed %" PRIu64 " (replay with --seed %" PRIu64 ")\n",
	       l.seed, l.seed);
	fflush(stdout);
	if (make_store(&l)) {
		fprintf(stderr, "crashloop: cannot make a store in '%s'\n",
			dir);
		return 2;
	}
	for (unsigned n = 0; !err && n < crashes; n++) {
		err = crash(&l, n);
		if (!err)
			err = verify(&l);
		fflush(stdout);
	}
	log_errs = log_errors(l.d.log);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	summary(&l, log_errs,
		(double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	model_free(&l.m);
	free(l.buf);
	free((char *)l.d.store);
	free((char *)l.d.mnt);
	free((char *)l.d.log);
	free((char *)l.d.pidfile);
	free(l.check_out);
	if (err)
		return 2;
	return l.m.losses || l.m.inconsistent || l.errors || log_errs;
}
