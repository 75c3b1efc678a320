// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_kit.c - what the demonstrations measure with: the daemon's
 * requests (its trace ring, read over a window), the kernel's figures of
 * a file (cachestat, smaps and pagemap, meminfo, vmstat), and a measuring
 * child process that counts its own faults, storage reads, CPU time and
 * system calls over each step it takes.
 *
 * Layer: measurement for demo_*.c.  Decides nothing and prints nothing;
 * a figure that cannot be had is FSI_UNKNOWN.  The child is a fork of
 * fsinspect: it must leave with _exit(), never run the parent's undo.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

uint64_t demo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* The daemon's requests                                              */
/* ------------------------------------------------------------------ */

uint64_t dm_mark(struct demo_mount *m)
{
	if (!m || !m->ring_ok)
		return 0;
	return ring_head(&m->ring);
}

static void tally(struct demo_reqs *r, const struct gfs_trace_rec *rec)
{
	uint64_t done = rec->result > 0 ? (uint64_t)rec->result : 0;

	switch (rec->op) {
	case GFS_OP_READ:
		r->reads++;
		r->read_bytes += done;
		if (rec->len > r->read_max)
			r->read_max = rec->len;
		break;
	case GFS_OP_WRITE:
		if (!r->writes++) {
			r->first_write_ns = rec->t_ns;
			r->write_pid = rec->pid;
		}
		r->write_bytes += done;
		if (rec->off + rec->len > r->write_end)
			r->write_end = rec->off + rec->len;
		if (rec->flags & GFS_TF_WRITEPAGE)
			r->writepages++;
		break;
	case GFS_OP_FLUSH:
		r->flushes++;
		break;
	case GFS_OP_FSYNC:
		r->fsyncs++;
		break;
	case GFS_OP_SETATTR:
		r->setattrs++;
		break;
	}
}

void dm_requests(struct demo_mount *m, uint64_t mark, uint64_t ino,
		 struct demo_reqs *r)
{
	struct gfs_trace_rec rec;

	memset(r, 0, sizeof(*r));
	if (!m || !m->ring_ok)
		return;
	m->ring.next = mark + 1;
	m->ring.missed = 0;
	while (ring_read(&m->ring, &rec) == 1)
		if (!ino || rec.ino == ino)
			tally(r, &rec);
	r->known = m->ring.missed == 0 && ring_alive(&m->ring);
}

void dm_settle(struct demo_mount *m)
{
	uint64_t last = dm_mark(m), now;
	int quiet = 0, i;

	if (!m || !m->ring_ok)
		return;
	for (i = 0; i < 100 && quiet < 3 && !demo_interrupted(); i++) {
		sleep_ms(20);
		now = dm_mark(m);
		quiet = now == last ? quiet + 1 : 0;
		last = now;
	}
}

int dm_inval(struct demo_mount *m, uint64_t ino)
{
	json_object *reply = NULL;
	char cmd[64];
	int err;

	if (!m || !m->ring_ok)
		return -EOPNOTSUPP;
	snprintf(cmd, sizeof(cmd), "inval %" PRIu64, ino);
	err = gmount_ctl(&m->gm, cmd, &reply);
	json_object_put(reply);
	return err;
}

static bool json_member(json_object *o, const char *key, json_object **v)
{
	return o && json_object_object_get_ex(o, key, v);
}

int dm_store(struct demo_mount *m, struct demo_store *st)
{
	json_object *reply = NULL, *store, *v;
	int err;

	memset(st, 0, sizeof(*st));
	if (!m || !m->ring_ok)
		return -EOPNOTSUPP;
	err = gmount_ctl(&m->gm, "stats", &reply);
	if (!err && !json_member(reply, "store", &store))
		err = -EPROTO;
	if (!err) {
		st->commits = gmount_u64(store, "commits");
		st->syncs = gmount_u64(store, "syncs");
		st->batch_bytes = gmount_u64(store, "batch_bytes");
		st->batch_age_ns = gmount_u64(store, "batch_age_ns");
		st->wal_bytes = gmount_u64(store, "wal_bytes");
		st->batch_open = json_member(store, "batch_open", &v) &&
				 json_object_get_boolean(v);
		st->known = true;
	}
	json_object_put(reply);
	return err;
}

void dm_commits(struct demo_mount *m, uint64_t mark, uint64_t after_ns,
		struct demo_commits *out)
{
	struct gfs_trace_rec rec;

	memset(out, 0, sizeof(*out));
	if (!m || !m->ring_ok)
		return;
	m->ring.next = mark + 1;
	m->ring.missed = 0;
	while (ring_read(&m->ring, &rec) == 1) {
		if (rec.op != GFS_OP_COMMIT || rec.t_ns < after_ns ||
		    rec.result < 0)
			continue;
		if (!out->n++)
			out->first_ns = rec.t_ns;
		out->synced += !!(rec.flags & GFS_TF_SYNCED);
		out->bytes += rec.aux;
	}
	out->known = m->ring.missed == 0 && ring_alive(&m->ring);
}

/* Figures of a window: unknown when the ring lost records, n/a with no
 * daemon at all. */
static void fig_req(struct demo_ctx *c, const char *key, const char *suffix,
		    uint64_t v, const char *unit, const struct demo_reqs *r,
		    const char *what)
{
	char *k = fsi_xasprintf("%s_%s", key, suffix);

	if (!c->mnt)
		demo_fig_na(c, k, unit, SRC_DAEMON, what);
	else
		demo_fig(c, k, r->known ? v : FSI_UNKNOWN, unit, SRC_DAEMON,
			 what);
	free(k);
}

void demo_fig_reads(struct demo_ctx *c, const char *key,
		    const struct demo_reqs *r, const char *what)
{
	char *w = fsi_xasprintf("%s: READ requests", what);
	char *wb = fsi_xasprintf("%s: bytes READ", what);

	fig_req(c, key, "reads", r->reads, "requests", r, w);
	fig_req(c, key, "read_bytes", r->read_bytes, "bytes", r, wb);
	free(w);
	free(wb);
}

void demo_fig_writes(struct demo_ctx *c, const char *key,
		     const struct demo_reqs *r, const char *what)
{
	char *w = fsi_xasprintf("%s: WRITE requests", what);
	char *wb = fsi_xasprintf("%s: bytes WRITTEN", what);

	fig_req(c, key, "writes", r->writes, "requests", r, w);
	fig_req(c, key, "write_bytes", r->write_bytes, "bytes", r, wb);
	free(w);
	free(wb);
}

/* ------------------------------------------------------------------ */
/* Files and the kernel's figures                                     */
/* ------------------------------------------------------------------ */

int demo_open(struct demo_ctx *c, const char *name, int flags)
{
	int fd = openat(c->dirfd, name, flags | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

static int write_pattern(int fd, uint64_t size, int fill)
{
	static char buf[1 << 20];
	uint64_t done = 0;

	memset(buf, fill, sizeof(buf));
	while (done < size) {
		size_t n =
			size - done < sizeof(buf) ? size - done : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR && !demo_interrupted())
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (uint64_t)w;
	}
	return 0;
}

int demo_file(struct demo_ctx *c, const char *name, uint64_t size, int fill)
{
	int fd = demo_open(c, name, O_WRONLY | O_CREAT | O_TRUNC), err;

	if (fd < 0) {
		warnx("cannot create '%s/%s': %s", c->dir, name, strerror(-fd));
		return fd;
	}
	err = write_pattern(fd, size, fill);
	if (!err && fsync(fd) < 0)
		err = -errno;
	/* On FUSE this close flushes; nothing is dirty any more. */
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		warnx("cannot write '%s/%s': %s", c->dir, name, strerror(-err));
	return err;
}

uint64_t demo_ino(int fd)
{
	struct stat st;

	return fsi_fstat_cached(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

void demo_cache(int fd, struct pc_stat *st)
{
	enum pc_source src;

	if (pc_measure(fd, 0, 0, st, &src) < 0) {
		st->cached = st->dirty = st->writeback = FSI_UNKNOWN;
		st->evicted = st->recently_evicted = FSI_UNKNOWN;
	}
}

int demo_evict(struct demo_ctx *c, const char *name, uint64_t *left)
{
	struct pc_stat st;
	int fd = demo_open(c, name, O_RDONLY), err = 0;

	if (fd < 0)
		return fd;
	/* DONTNEED drops clean pages only: write back first. */
	if (fsync(fd) < 0 || pc_evict(fd) < 0)
		err = -errno;
	demo_cache(fd, &st);
	*left = st.cached;
	close(fd);
	return err;
}

static int remount(struct demo_ctx *c)
{
	int err;

	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	err = dm_remount(c->mnt);
	if (err)
		return err;
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c->dirfd < 0 ? -errno : 0;
}

int demo_reload(struct demo_ctx *c, const char *name, const char **how)
{
	int fd, err;
	uint64_t left;

	if (c->scratch) {
		*how = "remount";
		return remount(c);
	}
	if (c->mnt) {
		*how = "inval";
		fd = demo_open(c, name, O_RDONLY);
		if (fd < 0)
			return fd;
		err = dm_inval(c->mnt, demo_ino(fd));
		close(fd);
		return err;
	}
	*how = "fadvise";
	return demo_evict(c, name, &left);
}

/* "Name: value" (meminfo, kB) or "name value" (vmstat). */
static uint64_t proc_field(const char *file, const char *field, int scale)
{
	size_t n = strlen(field);
	unsigned long long v;
	uint64_t out = FSI_UNKNOWN;
	char line[256];
	FILE *f = fopen(file, "re");

	if (!f)
		return FSI_UNKNOWN;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) &&
		    (line[n] == ':' || line[n] == ' ') &&
		    sscanf(line + n + 1, "%llu", &v) == 1) {
			out = (uint64_t)v * (uint64_t)scale;
			break;
		}
	fclose(f);
	return out;
}

uint64_t demo_meminfo(const char *field)
{
	return proc_field("/proc/meminfo", field, 1024);
}

uint64_t demo_vmstat(const char *field)
{
	return proc_field("/proc/vmstat", field, 1);
}

uint64_t demo_sysctl_get(const char *path)
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

#define EXPIRE "/proc/sys/vm/dirty_expire_centisecs"
#define PERIOD "/proc/sys/vm/dirty_writeback_centisecs"

bool demo_fast_writeback(struct demo_ctx *c)
{
	char old[64];
	int h;

	if (!c->fast)
		return false;
	if (!c->root) {
		demo_note(c, "--fast needs root to lower the write-back "
			     "sysctls; waiting at their values");
		return false;
	}
	return demo_sysctl_set(EXPIRE, "100", old, &h) == 0 &&
	       demo_sysctl_set(PERIOD, "100", old, &h) == 0;
}

uint64_t demo_wb_limit_ns(void)
{
	uint64_t expire = demo_sysctl_get(EXPIRE);
	uint64_t period = demo_sysctl_get(PERIOD);

	if (expire == FSI_UNKNOWN || period == FSI_UNKNOWN)
		return 40ULL * 1000000000ULL;
	return (expire + period) * 10000000ULL + 5000000000ULL;
}

/* The command name of @pid; the kernel's own requests carry pid 0. */
static void comm_of(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "%s", pid ? "exited" : "kernel");
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = pid ? fopen(path, "re") : NULL;
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* One look: true when done watching. */
static bool wb_look(struct demo_ctx *c, int fd, uint64_t ino, uint64_t mark,
		    uint64_t t0, struct demo_wb *w)
{
	uint64_t now = demo_now_ns();
	struct pc_stat st;

	demo_cache(fd, &st);
	dm_requests(c->mnt, mark, ino, &w->reqs);
	if (st.dirty == 0 && !w->clean_ns)
		w->clean_ns = now - t0;
	w->dirty_end = st.dirty;
	w->waited_ns = now - t0;
	if (st.dirty == FSI_UNKNOWN)
		return true;
	return st.dirty == 0 && (!w->reqs.known || w->reqs.writes);
}

int demo_wait_clean(struct demo_ctx *c, int fd, uint64_t ino, uint64_t mark,
		    uint64_t t0, uint64_t limit_ns, struct demo_wb *w)
{
	memset(w, 0, sizeof(*w));
	while (!wb_look(c, fd, ino, mark, t0, w) && w->waited_ns < limit_ns) {
		if (demo_interrupted())
			return -EINTR;
		demo_progress("waiting for the kernel's write-back: %.0f s, "
			      "%llu pages dirty",
			      w->waited_ns / 1e9,
			      (unsigned long long)w->dirty_end);
		sleep_ms(100);
	}
	demo_progress("%s", "");
	if (w->reqs.writes && w->reqs.first_write_ns > t0)
		w->first_write_ns = w->reqs.first_write_ns - t0;
	comm_of(w->reqs.write_pid, w->sender, sizeof(w->sender));
	return 0;
}

int demo_smaps(pid_t pid, int fd, struct pm_mapping *out)
{
	struct pm_target t = {0};
	struct pm_scan scan;
	struct stat st;
	size_t i;
	int err;

	err = fsi_fstat_cached(fd, &st);
	if (err)
		return err;
	t.dev = st.st_dev;
	t.ino = st.st_ino;
	err = pm_scan_maps(&t, 1, true, &scan);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < scan.nmaps; i++)
		if (scan.maps[i].pid == pid) {
			*out = scan.maps[i];
			err = 0;
			break;
		}
	pm_scan_free(&scan);
	return err;
}

int demo_pfns(pid_t pid, uint64_t addr, uint64_t n, uint64_t *pfn)
{
	char path[64];
	uint64_t i, pme;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		off_t at = (off_t)((addr / fsi_page_size + i) * sizeof(pme));

		if (pread(fd, &pme, sizeof(pme), at) != sizeof(pme)) {
			err = -EIO;
			break;
		}
		/* Bit 63: present; bits 0-54: the frame. */
		pfn[i] = pme >> 63 ? pme & ((1ULL << 55) - 1) : 0;
	}
	close(fd);
	return err;
}

/* The 8-byte word for @pfn in @file; FSI_UNKNOWN. */
static uint64_t kpage_word(const char *file, uint64_t pfn)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	uint64_t v = FSI_UNKNOWN;

	if (fd < 0)
		return FSI_UNKNOWN;
	if (!pfn || pread(fd, &v, sizeof(v), (off_t)(pfn * sizeof(v))) !=
			    sizeof(v))
		v = FSI_UNKNOWN;
	close(fd);
	return v;
}

void demo_kpage(uint64_t pfn, uint64_t *flags, uint64_t *count)
{
	if (flags)
		*flags = kpage_word("/proc/kpageflags", pfn);
	if (count)
		*count = kpage_word("/proc/kpagecount", pfn);
}

/* ------------------------------------------------------------------ */
/* The measuring child                                                */
/* ------------------------------------------------------------------ */

static int read_id(const char *tracefs)
{
	char p[256];
	FILE *f;
	int id;

	snprintf(p, sizeof(p), "%s/events/raw_syscalls/sys_enter/id", tracefs);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	id = fscanf(f, "%d", &id) == 1 ? id : -EIO;
	fclose(f);
	return id;
}

/* Where tracefs is not mounted, root may mount a private one for a
 * moment: the id is the kernel's, whoever looks. */
static int read_id_private(void)
{
	char dir[] = "/tmp/fsinspect-tracefs.XXXXXX";
	int id;

	if (geteuid() != 0 || !mkdtemp(dir))
		return -EACCES;
	if (mount("nodev", dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0) {
		id = -errno;
	} else {
		id = read_id(dir);
		if (umount2(dir, 0) < 0)
			umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
	return id;
}

/* The tracepoint id of raw_syscalls:sys_enter, or -errno; looked up
 * once, in the parent. */
static int sys_enter_id(void)
{
	static int id;

	if (id)
		return id;
	id = read_id("/sys/kernel/tracing");
	if (id < 0)
		id = read_id("/sys/kernel/debug/tracing");
	if (id < 0)
		id = read_id_private();
	return id;
}

/* In the child: a counter of its own system calls, or -errno. */
static int open_syscall_counter(void)
{
	struct perf_event_attr a = {0};
	int id = sys_enter_id(), fd;

	if (id < 0)
		return id;
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
			  PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static uint64_t read_counter(int fd)
{
	uint64_t v;

	if (fd < 0 || read(fd, &v, sizeof(v)) != sizeof(v))
		return FSI_UNKNOWN;
	return v;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL +
	       (uint64_t)tv->tv_usec * 1000ULL;
}

/* syscr + syscw of /proc/self/io, read through @fd: the kernel counts
 * a read after it is done, so this one is in the next value. */
static uint64_t read_rwcalls(int fd)
{
	unsigned long long r, w;
	char buf[512], *p;
	ssize_t n;

	if (fd < 0)
		return FSI_UNKNOWN;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return FSI_UNKNOWN;
	buf[n] = '\0';
	p = strstr(buf, "syscr:");
	if (!p || sscanf(p, "syscr: %llu syscw: %llu", &r, &w) != 2)
		return FSI_UNKNOWN;
	return r + w;
}

/* The child's snapshot at demo_step_begin(). */
static struct {
	struct rusage ru;
	uint64_t t, sys, rw;
} begin;

void demo_step_begin(struct demo_child *ch, int i)
{
	getrusage(RUSAGE_SELF, &begin.ru);
	begin.t = demo_now_ns();
	/* Last: each counter sees its own reading, but nothing else of
	 * ours until the action; the null step measures that constant. */
	begin.rw = read_rwcalls(ch->io_fd);
	begin.sys = read_counter(ch->perf_fd);
}

/* @b - @a - @base, or FSI_UNKNOWN. */
static uint64_t delta(uint64_t a, uint64_t b, uint64_t base)
{
	if (a == FSI_UNKNOWN || b == FSI_UNKNOWN || base == FSI_UNKNOWN)
		return FSI_UNKNOWN;
	return b - a - base;
}

void demo_step_end(struct demo_child *ch, int i, int64_t result)
{
	uint64_t sys = read_counter(ch->perf_fd);
	uint64_t rw = read_rwcalls(ch->io_fd), t = demo_now_ns();
	struct demo_step *s = &ch->sh->step[i];
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	s->wall_ns = t - begin.t;
	s->sys_ns = tv_ns(&ru.ru_stime) - tv_ns(&begin.ru.ru_stime);
	s->cpu_ns = s->sys_ns + tv_ns(&ru.ru_utime) - tv_ns(&begin.ru.ru_utime);
	s->minflt = (uint64_t)(ru.ru_minflt - begin.ru.ru_minflt);
	s->majflt = (uint64_t)(ru.ru_majflt - begin.ru.ru_majflt);
	s->inblock = (uint64_t)(ru.ru_inblock - begin.ru.ru_inblock) * 512;
	s->syscalls = delta(begin.sys, sys, ch->sh->syscall_base);
	s->rwcalls = delta(begin.rw, rw, ch->sh->rwcall_base);
	s->result = result;
}

/* Opens the child's counters and measures a step that does nothing. */
static void calibrate(struct demo_child *ch)
{
	struct demo_step *s = &ch->sh->step[0];

	ch->sh->syscall_base = ch->sh->rwcall_base = 0;
	ch->io_fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
	ch->perf_fd = open_syscall_counter();
	if (ch->perf_fd < 0)
		ch->sh->perf_errno = -ch->perf_fd;
	demo_step_begin(ch, 0);
	demo_step_end(ch, 0, 0);
	ch->sh->syscall_base = s->syscalls;
	ch->sh->rwcall_base = s->rwcalls;
	memset(s, 0, sizeof(*s));
}

static int read_byte(int fd)
{
	char b;
	ssize_t n;

	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR && !demo_interrupted());
	return n == 1 ? 0 : n == 0 ? -ECHILD : -errno;
}

static int write_byte(int fd)
{
	ssize_t n;

	do
		n = write(fd, "x", 1);
	while (n < 0 && errno == EINTR && !demo_interrupted());
	return n == 1 ? 0 : -errno;
}

void demo_child_pause(struct demo_child *ch)
{
	if (write_byte(ch->ack) || read_byte(ch->go))
		_exit(EPIPE); /* the parent is gone */
}

static void kill_child(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static void run_child(struct demo_child *ch, demo_child_fn fn, void *arg,
		      pid_t parent)
{
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EPIPE);
	calibrate(ch);
	if (read_byte(ch->go))
		_exit(EPIPE);
	rc = fn(ch, arg);
	_exit(rc < 0 ? (-rc & 0xff) : (rc & 0xff));
}

int demo_child_start(struct demo_child *ch, demo_child_fn fn, void *arg)
{
	int go[2], ack[2], err;
	pid_t parent = getpid();
	void *sh;

	memset(ch, 0, sizeof(*ch));
	sys_enter_id();
	sh = mmap(NULL, sizeof(*ch->sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	if (pipe2(go, O_CLOEXEC) < 0)
		goto out_unmap;
	if (pipe2(ack, O_CLOEXEC) < 0)
		goto out_close_go;
	fflush(NULL);
	ch->sh = sh;
	ch->pid = fork();
	if (ch->pid < 0)
		goto out_close_ack;
	if (ch->pid == 0) {
		close(go[1]);
		close(ack[0]);
		ch->go = go[0];
		ch->ack = ack[1];
		run_child(ch, fn, arg, parent);
	}
	close(go[0]);
	close(ack[1]);
	ch->go = go[1];
	ch->ack = ack[0];
	ch->undo = demo_undo_push(kill_child, (void *)(intptr_t)ch->pid);
	return 0;
out_close_ack:
	err = -errno;
	close(ack[0]);
	close(ack[1]);
	errno = -err;
out_close_go:
	err = -errno;
	close(go[0]);
	close(go[1]);
	errno = -err;
out_unmap:
	err = -errno;
	munmap(sh, sizeof(*ch->sh));
	memset(ch, 0, sizeof(*ch));
	return err;
}

int demo_child_run(struct demo_child *ch)
{
	int err = write_byte(ch->go);

	if (err == -EPIPE)
		return -ECHILD;
	if (err)
		return err;
	err = read_byte(ch->ack);
	if (err == -EINTR || demo_interrupted())
		return -EINTR;
	return err;
}

int demo_child_end(struct demo_child *ch, int *status)
{
	int err = 0;

	/* A child waiting in demo_child_pause() reads EOF and leaves. */
	close(ch->go);
	close(ch->ack);
	while (waitpid(ch->pid, status, 0) < 0) {
		if (errno != EINTR || demo_interrupted()) {
			err = -errno;
			break;
		}
	}
	if (!err)
		demo_undo_drop(ch->undo);
	/* The figures stay readable through ch->sh. */
	ch->res = *ch->sh;
	munmap(ch->sh, sizeof(*ch->sh));
	ch->sh = &ch->res;
	return err;
}

int64_t demo_read_all(int fd, uint64_t off, uint64_t len, size_t bufsize)
{
	char *buf = malloc(bufsize);
	uint64_t done = 0;
	ssize_t n = 0;

	if (!buf)
		return -ENOMEM;
	while (!len || done < len) {
		size_t want =
			len && len - done < bufsize ? len - done : bufsize;

		n = pread(fd, buf, want, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	free(buf);
	return n < 0 ? -errno : (int64_t)done;
}
