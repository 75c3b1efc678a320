// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * timeline.c - see timeline.h: sorting, the FUSE request join, reclaim
 * labels and merging runs of page events.
 *
 * Layer: model.  The only I/O is comm.c's, naming tasks after the fact
 * (and telling the daemon's threads by their thread group).
 *
 * Sizes relied on for the join (FUSE wire ABI, include/uapi/linux/
 * fuse.h): fuse_in_header and fuse_write_in are 40 bytes each, so a
 * FUSE_WRITE sent with len L carries L - 80 data bytes; fuse_out_header is
 * 16 bytes, so a FUSE_READ ended with len L returned L - 16 bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "fsinspect.h"
#include "timeline.h"

#define FUSE_IN_HDR 40
#define FUSE_WRITE_IN 40
#define FUSE_OUT_HDR 16
/* trace_pipe rounds to the microsecond. */
#define ROUNDING_NS 1000
/* A request without an end event (FORGET, or still in flight). */
#define NO_END_WINDOW_NS 50000000ull
/* Page events further apart than this are not merged. */
#define MERGE_GAP_NS 5000000ull

void tl_init(struct timeline *tl, uint64_t page_size)
{
	memset(tl, 0, sizeof(*tl));
	tl->page_size = page_size;
}

void tl_free(struct timeline *tl)
{
	free(tl->v);
	memset(tl, 0, sizeof(*tl));
}

struct tl_event *tl_append(struct timeline *tl)
{
	struct tl_event *e;

	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 1024;
		tl->v = fsi_xrealloc(tl->v, tl->cap, sizeof(*tl->v));
	}
	e = &tl->v[tl->n];
	memset(e, 0, sizeof(*e));
	e->ord = tl->n++;
	e->ino = TL_NONE;
	e->count = 1;
	return e;
}

const char *tl_op_name(unsigned op, char *buf, size_t size)
{
	const char *name = gfs_trace_op_name(op);

	if (name)
		return name;
	snprintf(buf, size, "OP%u", op);
	return buf;
}

/* Opcodes whose offset and length are a byte range of the file. */
static bool op_has_range(unsigned op)
{
	return op == GFS_OP_READ || op == GFS_OP_WRITE ||
	       op == GFS_OP_FALLOCATE || op == GFS_OP_COPY_FILE_RANGE;
}

static void record_detail(struct tl_event *e, const struct gfs_trace_rec *r)
{
	if (op_has_range(r->op))
		snprintf(e->detail, sizeof(e->detail),
			 "off %" PRIu64 " len %u -> %d%s", r->off, r->len,
			 r->result,
			 r->flags & GFS_TF_WRITEPAGE ? " (write-back)" : "");
	else if (r->name[0])
		snprintf(e->detail, sizeof(e->detail), "'%.60s' -> %d", r->name,
			 r->result);
	else
		snprintf(e->detail, sizeof(e->detail), "-> %d", r->result);
}

void tl_add_record(struct timeline *tl, const struct gfs_trace_rec *r)
{
	struct tl_event *e = tl_append(tl);

	e->source = TL_DAEMON;
	e->kind = TL_REQUEST;
	e->match = r->ino ? TL_MATCH_EVENT : TL_MATCH_NONE;
	e->t_ns = e->sort_ns = r->t_ns;
	e->ino = r->ino ? r->ino : TL_NONE;
	e->op = r->op;
	e->pid = r->pid;
	e->result = r->result;
	e->dur_ns = r->dur_ns;
	e->seq = r->seq;
	if (op_has_range(r->op)) {
		e->off = r->off;
		e->len = r->len;
		if (r->len) {
			e->first = r->off / tl->page_size;
			e->pages = (r->off + r->len + tl->page_size - 1) /
					   tl->page_size -
				   e->first;
		}
	}
	record_detail(e, r);
}

/* ------------------------------------------------------------------ */
/* Sorting                                                            */

static int cmp_sort(const void *a, const void *b)
{
	const struct tl_event *x = a, *y = b;

	if (x->sort_ns != y->sort_ns)
		return x->sort_ns < y->sort_ns ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static void sort_events(struct timeline *tl)
{
	size_t i;

	if (tl->n)
		qsort(tl->v, tl->n, sizeof(*tl->v), cmp_sort);
	for (i = 0; i < tl->n; i++)
		tl->v[i].ord = i;
}

/* ------------------------------------------------------------------ */
/* The FUSE join                                                      */

static int cmp_unique(const void *a, const void *b, void *arg)
{
	const struct tl_event *v = arg;
	const struct tl_event *x = &v[*(const size_t *)a];
	const struct tl_event *y = &v[*(const size_t *)b];

	if (x->unique != y->unique)
		return x->unique < y->unique ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* end[i]: the index of the end event of send event i, or SIZE_MAX. */
static size_t *pair_ends(struct timeline *tl)
{
	size_t *idx = fsi_xcalloc(tl->n + 1, sizeof(*idx));
	size_t *end = fsi_xcalloc(tl->n + 1, sizeof(*end));
	size_t i, n = 0;

	for (i = 0; i < tl->n; i++) {
		end[i] = SIZE_MAX;
		if (tl->v[i].kind == TL_FUSE_SEND ||
		    tl->v[i].kind == TL_FUSE_END)
			idx[n++] = i;
	}
	if (n)
		qsort_r(idx, n, sizeof(*idx), cmp_unique, tl->v);
	for (i = 0; i + 1 < n; i++) {
		const struct tl_event *s = &tl->v[idx[i]],
				      *e = &tl->v[idx[i + 1]];

		if (s->kind == TL_FUSE_SEND && e->kind == TL_FUSE_END &&
		    s->unique == e->unique)
			end[idx[i]] = idx[i + 1];
	}
	free(idx);
	return end;
}

/* The size a daemon record must show for send @s (ended by @e), or
 * TL_NONE when the events do not tell. */
static uint64_t expected_size(const struct tl_event *s,
			      const struct tl_event *e)
{
	if (s->op == GFS_OP_WRITE && s->wire >= FUSE_IN_HDR + FUSE_WRITE_IN)
		return s->wire - FUSE_IN_HDR - FUSE_WRITE_IN;
	if (s->op == GFS_OP_READ && e && e->result == 0 &&
	    e->wire >= FUSE_OUT_HDR)
		return e->wire - FUSE_OUT_HDR;
	return TL_NONE;
}

static uint64_t record_size(const struct tl_event *r)
{
	if (r->op == GFS_OP_WRITE)
		return r->len;
	return r->result >= 0 ? (uint64_t)r->result : TL_NONE;
}

struct join {
	struct timeline *tl;
	size_t *reqs; /* daemon records, in time order */
	size_t nreqs;
	bool *used; /* indexed like reqs */
};

static uint64_t udiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* The best unused record for send @s; SIZE_MAX if none. */
static size_t best_record(struct join *j, const struct tl_event *s,
			  const struct tl_event *e)
{
	uint64_t lo = s->t_ns > ROUNDING_NS ? s->t_ns - ROUNDING_NS : 0;
	uint64_t hi = (e ? e->t_ns : s->t_ns + NO_END_WINDOW_NS) + ROUNDING_NS;
	uint64_t want = expected_size(s, e), best_score = UINT64_MAX;
	size_t a = 0, b = j->nreqs, best = SIZE_MAX, k;

	while (a < b) {
		size_t m = (a + b) / 2;

		if (j->tl->v[j->reqs[m]].t_ns < lo)
			a = m + 1;
		else
			b = m;
	}
	for (k = a; k < j->nreqs && j->tl->v[j->reqs[k]].t_ns <= hi; k++) {
		const struct tl_event *r = &j->tl->v[j->reqs[k]];
		uint64_t score;

		if (j->used[k] || r->op != s->op ||
		    (r->pid && r->pid != s->pid))
			continue;
		score = udiff(r->t_ns, s->t_ns);
		/* A disagreeing size loses to any agreeing one. */
		if (want != TL_NONE && record_size(r) != want)
			score += 1ull << 62;
		if (score < best_score) {
			best_score = score;
			best = k;
		}
	}
	return best;
}

static void attribute(struct tl_event *k, const struct tl_event *r)
{
	k->ino = r->ino;
	k->first = r->first;
	k->pages = r->pages;
	k->off = r->off;
	k->len = r->len;
	k->seq = r->seq;
	k->match = r->ino == TL_NONE ? TL_MATCH_NONE : TL_MATCH_DAEMON;
}

static void join_one(struct join *j, size_t si, size_t ei)
{
	struct tl_event *s = &j->tl->v[si];
	struct tl_event *e = ei == SIZE_MAX ? NULL : &j->tl->v[ei];
	struct tl_event *r;
	size_t k = best_record(j, s, e);

	if (k == SIZE_MAX)
		return;
	j->used[k] = true;
	r = &j->tl->v[j->reqs[k]];
	attribute(s, r);
	if (e) {
		attribute(e, r);
		/* The end is shown after the record it answers. */
		if (e->sort_ns < r->t_ns)
			e->sort_ns = r->t_ns;
	}
	r->unique = s->unique;
	/* Rounded kernel times: the record follows its send. */
	if (r->sort_ns < s->t_ns)
		r->sort_ns = s->t_ns;
	if (r->pid == s->pid)
		snprintf(r->comm, sizeof(r->comm), "%s", s->comm);
	j->tl->fuse_joined++;
}

static void join_fuse(struct timeline *tl)
{
	struct join j = {.tl = tl};
	size_t *end = pair_ends(tl);
	size_t i;

	j.reqs = fsi_xcalloc(tl->n + 1, sizeof(*j.reqs));
	j.used = fsi_xcalloc(tl->n + 1, sizeof(*j.used));
	for (i = 0; i < tl->n; i++)
		if (tl->v[i].kind == TL_REQUEST)
			j.reqs[j.nreqs++] = i;
	for (i = 0; i < tl->n; i++) {
		if (tl->v[i].kind != TL_FUSE_SEND)
			continue;
		if (end[i] != SIZE_MAX) {
			tl->v[end[i]].op = tl->v[i].op;
			tl->v[end[i]].dur_ns =
				tl->v[end[i]].t_ns - tl->v[i].t_ns;
		}
		tl->fuse_requests++;
		join_one(&j, i, end[i]);
	}
	free(j.reqs);
	free(j.used);
	free(end);
}

/* ------------------------------------------------------------------ */
/* Who removed pages, who throttled                                   */

#define MAX_RECLAIMERS 64

struct reclaimers {
	uint32_t pid[MAX_RECLAIMERS];
	int n;
};

static void reclaim_track(struct reclaimers *rc, const struct tl_event *e)
{
	int i;

	for (i = 0; i < rc->n; i++)
		if (rc->pid[i] == e->pid)
			break;
	if (e->kind == TL_RECLAIM_BEGIN && i == rc->n && rc->n < MAX_RECLAIMERS)
		rc->pid[rc->n++] = e->pid;
	else if (e->kind == TL_RECLAIM_END && i < rc->n)
		rc->pid[i] = rc->pid[--rc->n];
}

static bool reclaiming(const struct reclaimers *rc, uint32_t pid)
{
	int i;

	for (i = 0; i < rc->n; i++)
		if (rc->pid[i] == pid)
			return true;
	return false;
}

static void label_removal(const struct timeline *tl, struct tl_event *e,
			  const struct reclaimers *rc)
{
	if (!strncmp(e->comm, "kswapd", 6)) {
		e->reclaim = true;
		snprintf(e->detail, sizeof(e->detail),
			 "evicted by reclaim "
			 "(kswapd)");
	} else if (reclaiming(rc, e->pid)) {
		e->reclaim = true;
		snprintf(e->detail, sizeof(e->detail),
			 "evicted by direct "
			 "reclaim");
	} else if (tl->daemon_pid &&
		   (uint32_t)comm_tgid(e->pid) == tl->daemon_pid) {
		snprintf(e->detail, sizeof(e->detail),
			 "invalidated by the "
			 "daemon");
	} else {
		snprintf(e->detail, sizeof(e->detail),
			 "removed (truncate, "
			 "invalidation, fadvise or drop_caches)");
	}
}

#define MAX_DIRTIERS 256

static void causes(struct timeline *tl)
{
	struct reclaimers rc = {.n = 0};
	struct {
		uint32_t pid;
		uint64_t ino;
	} dirtier[MAX_DIRTIERS];
	size_t nd = 0, i, k;

	for (i = 0; i < tl->n; i++) {
		struct tl_event *e = &tl->v[i];

		if (e->kind == TL_RECLAIM_BEGIN || e->kind == TL_RECLAIM_END)
			reclaim_track(&rc, e);
		else if (e->kind == TL_CACHE_DEL)
			label_removal(tl, e, &rc);
		else if (e->kind == TL_DIRTY) {
			for (k = 0; k < nd && dirtier[k].pid != e->pid; k++)
				;
			if (k == nd && nd < MAX_DIRTIERS)
				dirtier[nd++].pid = e->pid;
			if (k < nd)
				dirtier[k].ino = e->ino;
		} else if (e->kind == TL_THROTTLE) {
			for (k = 0; k < nd && dirtier[k].pid != e->pid; k++)
				;
			if (k < nd) {
				e->ino = dirtier[k].ino;
				e->match = TL_MATCH_PID;
			}
		}
	}
}

/* Daemon records carry a pid only: the join named those it matched
 * (as the kernel did at the time); /proc names the others. */
static void name_tasks(struct timeline *tl)
{
	size_t i;

	for (i = 0; i < tl->n; i++) {
		struct tl_event *e = &tl->v[i];

		if (e->source != TL_DAEMON || e->comm[0])
			continue;
		snprintf(e->comm, sizeof(e->comm), "%s",
			 e->pid ? comm_name(e->pid) : "(kernel)");
	}
}

/* ------------------------------------------------------------------ */
/* Merging runs of page events                                        */

static bool mergeable(enum tl_kind k)
{
	return k == TL_CACHE_ADD || k == TL_CACHE_DEL || k == TL_DIRTY;
}

/* Pages being added and dirtied by one write interleave: they do not
 * break each other's runs. */
static bool breaks(enum tl_kind run, enum tl_kind k)
{
	if (run == k)
		return false;
	return !((run == TL_CACHE_ADD && k == TL_DIRTY) ||
		 (run == TL_DIRTY && k == TL_CACHE_ADD));
}

static bool extends(const struct tl_event *run, const struct tl_event *e)
{
	return run->ino == e->ino && run->pid == e->pid &&
	       run->reclaim == e->reclaim &&
	       run->first + run->pages == e->first &&
	       e->t_ns - run->t_ns < MERGE_GAP_NS &&
	       !strcmp(run->detail, e->detail);
}

static void merge_runs(struct timeline *tl)
{
	size_t run[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}, i, r;
	const enum tl_kind kinds[3] = {TL_CACHE_ADD, TL_CACHE_DEL, TL_DIRTY};

	for (i = 0; i < tl->n; i++) {
		struct tl_event *e = &tl->v[i];
		size_t mine = SIZE_MAX;

		if (e->hidden)
			continue;
		for (r = 0; r < 3; r++) {
			if (kinds[r] == e->kind)
				mine = r;
			else if (breaks(kinds[r], e->kind))
				run[r] = SIZE_MAX;
		}
		if (mine == SIZE_MAX || !mergeable(e->kind))
			continue;
		if (run[mine] != SIZE_MAX && extends(&tl->v[run[mine]], e)) {
			tl->v[run[mine]].pages += e->pages;
			tl->v[run[mine]].count += e->count;
			e->hidden = true;
		} else {
			run[mine] = i;
		}
	}
}

/* page_cache_ra_order falls back to page_cache_ra_unbounded when the
 * mapping has no large folios (FUSE here): both report one window, the
 * second clipped to the end of the file. */
static void drop_double_readahead(struct timeline *tl)
{
	struct tl_event *order = NULL;
	size_t i;

	for (i = 0; i < tl->n; i++) {
		struct tl_event *e = &tl->v[i];

		if (e->hidden)
			continue;
		if (e->kind == TL_RA_ORDER)
			order = e;
		else if (e->kind == TL_RA_READ && order &&
			 order->ino == e->ino && order->pid == e->pid &&
			 order->first == e->first &&
			 e->t_ns - order->t_ns <= ROUNDING_NS)
			order->hidden = true;
	}
}

static void drop_hidden(struct timeline *tl)
{
	size_t i, n = 0;

	for (i = 0; i < tl->n; i++)
		if (!tl->v[i].hidden)
			tl->v[n++] = tl->v[i];
	tl->n = n;
}

void tl_finish(struct timeline *tl, bool merge)
{
	sort_events(tl);
	join_fuse(tl);
	sort_events(tl);
	causes(tl);
	name_tasks(tl);
	if (merge) {
		drop_double_readahead(tl);
		merge_runs(tl);
	}
	drop_hidden(tl);
}

void tl_filter_inos(struct timeline *tl, const uint64_t *inos, size_t n)
{
	size_t i, k;

	for (i = 0; i < tl->n; i++) {
		tl->v[i].hidden = true;
		for (k = 0; k < n; k++)
			if (tl->v[i].ino == inos[k])
				tl->v[i].hidden = false;
	}
	drop_hidden(tl);
}

const char *tl_event_name(const struct tl_event *e)
{
	static const char *const names[] = {
		[TL_REQUEST] = "request",
		[TL_FUSE_SEND] = "fuse-send",
		[TL_FUSE_END] = "fuse-end",
		[TL_CACHE_ADD] = "cache-add",
		[TL_CACHE_DEL] = "cache-remove",
		[TL_RA_SYNC] = "readahead-sync",
		[TL_RA_ASYNC] = "readahead-async",
		[TL_RA_READ] = "readahead",
		[TL_RA_ORDER] = "readahead",
		[TL_DIRTY] = "dirty",
		[TL_WRITEBACK] = "writeback",
		[TL_WRITE_INODE] = "write-inode",
		[TL_THROTTLE] = "throttle",
		[TL_RECLAIM_BEGIN] = "reclaim-begin",
		[TL_RECLAIM_END] = "reclaim-end",
	};

	if (e->kind == TL_CACHE_DEL && e->reclaim)
		return "evict";
	if (e->kind == TL_REQUEST) {
		const char *n = gfs_trace_op_name(e->op);

		return n ? n : "request";
	}
	return names[e->kind];
}
