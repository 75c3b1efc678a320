// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace.c - the request ring and per-opcode counters in shared memory.
 *
 * Layer: daemon core.  Knows nothing of SQLite or of FUSE requests: the
 * handlers describe a request in a struct trace_call and hand it over when
 * it is done.  The protocol readers follow is in glassfs_trace.h.
 *
 * Writers are the FUSE worker threads, concurrently.  Each takes a
 * sequence number with one atomic add, then owns its slot; a slot is
 * reused only after `capacity` further requests, so two writers share a
 * slot only if one of them stalls for a whole lap of the ring, and the
 * per-slot sequence number lets readers detect that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "trace.h"

struct trace {
	struct gfs_trace_hdr *hdr;
	struct gfs_trace_rec *ring;
	uint64_t mask;		/* capacity - 1 */
	size_t map_len;
	char *path;
	struct stat st;		/* the file we created */
};

uint64_t trace_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static int map_file(struct trace *t, const char *path, uint64_t cap)
{
	int fd, err = 0;

	t->map_len = GFS_TRACE_HDR_SIZE + cap * GFS_TRACE_REC_SIZE;
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)t->map_len) < 0) {
		err = -errno;
		goto out_close;
	}
	if (fstat(fd, &t->st) < 0) {
		err = -errno;
		goto out_close;
	}
	t->hdr = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (t->hdr == MAP_FAILED) {
		err = -errno;
		t->hdr = NULL;
	}
out_close:
	close(fd);
	if (err)
		unlink(path);
	return err;
}

int trace_open(const char *path, uint64_t records, const char *mountpoint,
	       const char *store, uint32_t fuse_conn, struct trace **out)
{
	struct trace *t = calloc(1, sizeof(*t));
	uint64_t cap = 1;
	int err;

	if (!t)
		return -ENOMEM;
	while (cap < records)
		cap <<= 1;
	t->path = strdup(path);
	err = t->path ? map_file(t, path, cap) : -ENOMEM;
	if (err) {
		free(t->path);
		free(t);
		return err;
	}
	t->ring = (struct gfs_trace_rec *)((char *)t->hdr + GFS_TRACE_HDR_SIZE);
	t->mask = cap - 1;
	t->hdr->version = GFS_TRACE_VERSION;
	t->hdr->hdr_size = GFS_TRACE_HDR_SIZE;
	t->hdr->rec_size = GFS_TRACE_REC_SIZE;
	t->hdr->capacity = cap;
	t->hdr->mono_start_ns = trace_now();
	t->hdr->real_start_ns = real_now();
	t->hdr->daemon_pid = (uint32_t)getpid();
	t->hdr->fuse_conn = fuse_conn;
	t->hdr->enabled = 1;
	t->hdr->op_max = GFS_TRACE_OP_MAX;
	copy_str(t->hdr->mountpoint, sizeof(t->hdr->mountpoint), mountpoint);
	copy_str(t->hdr->store, sizeof(t->hdr->store), store);
	/* Readers check the magic last: publish it after the rest. */
	__atomic_store_n(&t->hdr->magic, GFS_TRACE_MAGIC, __ATOMIC_RELEASE);
	*out = t;
	return 0;
}

void trace_close(struct trace *t)
{
	if (!t)
		return;
	__atomic_store_n(&t->hdr->enabled, 0, __ATOMIC_RELEASE);
	munmap(t->hdr, t->map_len);
	control_unlink_own(t->path, &t->st);
	free(t->path);
	free(t);
}

const char *trace_path(const struct trace *t)
{
	return t->path;
}

static unsigned hist_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = 0;

	while (us > 1 && b < GFS_TRACE_HIST - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

#define ADD(field, v) __atomic_fetch_add(&(field), (v), __ATOMIC_RELAXED)

static void count(struct trace *t, unsigned op, int64_t result, uint64_t dur,
		  uint64_t sql)
{
	struct gfs_trace_opstat *s = &t->hdr->ops[op];

	ADD(s->count, 1);
	if (result < 0)
		ADD(s->errors, 1);
	else if (op == GFS_OP_READ || op == GFS_OP_WRITE ||
		 op == GFS_OP_COPY_FILE_RANGE)
		ADD(s->bytes, (uint64_t)result);
	ADD(s->dur_ns, dur);
	ADD(s->sql_ns, sql);
	ADD(s->hist[hist_bucket(dur)], 1);
}

void trace_end(struct trace *t, const struct trace_call *c, int64_t result,
	       uint64_t sql_ns)
{
	uint64_t dur = trace_now() - c->t0, seq;
	struct gfs_trace_rec *r;

	if (!t || c->op >= GFS_TRACE_OP_MAX)
		return;
	count(t, c->op, result, dur, sql_ns);
	seq = __atomic_add_fetch(&t->hdr->head, 1, __ATOMIC_RELAXED);
	r = &t->ring[(seq - 1) & t->mask];
	__atomic_store_n(&r->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->t_ns = c->t0;
	r->ino = c->ino;
	r->off = c->off;
	r->aux = c->aux;
	r->len = c->len;
	r->result = result > INT32_MAX ? INT32_MAX : (int32_t)result;
	r->dur_ns = dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur;
	r->sql_ns = sql_ns > UINT32_MAX ? UINT32_MAX : (uint32_t)sql_ns;
	r->pid = c->pid;
	r->uid = c->uid;
	r->op = c->op;
	r->flags = (uint16_t)(c->flags | (dur > UINT32_MAX ? GFS_TF_DUR_SAT : 0));
	copy_str(r->name, sizeof(r->name), c->name);
	__atomic_store_n(&r->seq, seq, __ATOMIC_RELEASE);
}

void trace_opstat(struct trace *t, unsigned op, struct gfs_trace_opstat *out)
{
	const struct gfs_trace_opstat *s = &t->hdr->ops[op];

	out->count = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	out->dur_ns = __atomic_load_n(&s->dur_ns, __ATOMIC_RELAXED);
	out->sql_ns = __atomic_load_n(&s->sql_ns, __ATOMIC_RELAXED);
	for (int i = 0; i < GFS_TRACE_HIST; i++)
		out->hist[i] = __atomic_load_n(&s->hist[i], __ATOMIC_RELAXED);
}

uint64_t trace_head(struct trace *t)
{
	return __atomic_load_n(&t->hdr->head, __ATOMIC_ACQUIRE);
}

uint64_t trace_capacity(struct trace *t)
{
	return t->hdr->capacity;
}
