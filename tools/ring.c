// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ring.c - see ring.h.  The protocol is the one documented in
 * fs/glassfs_trace.h: per-slot sequence numbers read before and after
 * copying a record, overruns detected from the header's head.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring.h"

static bool layout_known(const struct gfs_trace_hdr *h, size_t len)
{
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) ==
		       GFS_TRACE_MAGIC &&
	       h->version == GFS_TRACE_VERSION &&
	       h->hdr_size == GFS_TRACE_HDR_SIZE &&
	       h->rec_size == GFS_TRACE_REC_SIZE && h->capacity &&
	       !(h->capacity & (h->capacity - 1)) &&
	       h->capacity <= (len - GFS_TRACE_HDR_SIZE) / GFS_TRACE_REC_SIZE;
}

int ring_open(const char *path, struct ring *r)
{
	const struct gfs_trace_hdr *h;
	struct stat st;
	int fd;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < GFS_TRACE_HDR_SIZE) {
		close(fd);
		return -EPROTO;
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -errno;
	r->hdr = h;
	r->map_len = (size_t)st.st_size;
	if (!layout_known(h, r->map_len)) {
		ring_close(r);
		return -EPROTO;
	}
	r->recs = (const void *)((const char *)h + GFS_TRACE_HDR_SIZE);
	ring_skip_to_now(r);
	return 0;
}

void ring_close(struct ring *r)
{
	if (r->hdr)
		munmap((void *)r->hdr, r->map_len);
	r->hdr = NULL;
}

uint64_t ring_head(const struct ring *r)
{
	return __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
}

void ring_rewind(struct ring *r)
{
	uint64_t h = ring_head(r);

	r->next = h > r->hdr->capacity ? h - r->hdr->capacity + 1 : 1;
}

void ring_skip_to_now(struct ring *r)
{
	r->next = ring_head(r) + 1;
}

bool ring_alive(const struct ring *r)
{
	return __atomic_load_n(&r->hdr->enabled, __ATOMIC_ACQUIRE) != 0;
}

int ring_read(struct ring *r, struct gfs_trace_rec *rec)
{
	uint64_t cap = r->hdr->capacity;

	for (;;) {
		uint64_t h = ring_head(r), oldest, seq;
		const struct gfs_trace_rec *slot;

		if (r->next > h)
			return 0;
		oldest = h >= cap ? h - cap + 1 : 1;
		if (r->next < oldest) {
			r->missed += oldest - r->next;
			r->next = oldest;
		}
		slot = &r->recs[(r->next - 1) & (cap - 1)];
		seq = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);
		if (seq > r->next)
			continue; /* lapped: oldest moves on */
		if (seq != r->next)
			return 0; /* handed out, still being written */
		memcpy(rec, slot, sizeof(*rec));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) == r->next &&
		    rec->seq == r->next) {
			r->next++;
			return 1;
		}
		/* Overwritten while copying: the writer lapped us. */
	}
}

void ring_opstat(const struct ring *r, unsigned op,
		 struct gfs_trace_opstat *out)
{
	const struct gfs_trace_opstat *s = &r->hdr->ops[op];

	out->count = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	out->dur_ns = __atomic_load_n(&s->dur_ns, __ATOMIC_RELAXED);
	out->sql_ns = __atomic_load_n(&s->sql_ns, __ATOMIC_RELAXED);
	for (int i = 0; i < GFS_TRACE_HIST; i++)
		out->hist[i] = __atomic_load_n(&s->hist[i], __ATOMIC_RELAXED);
}
