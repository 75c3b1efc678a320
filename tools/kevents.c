// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kevents.c - see kevents.h.
 *
 * Layer: the meaning of tracepoints.  Field names and meanings are the
 * kernel's (include/trace/events/filemap.h, readahead.h, writeback.h,
 * fs/fuse/fuse_trace.h, vmscan.h), as this kernel's format files show
 * them.  Identity (FACTS.md): the FUSE connection number is the minor of
 * st_dev; the filemap and readahead events carry the kernel's dev_t
 * (major << 20 | minor), the fuse events the same in "connection", and
 * the writeback events the bdi name, "0:N" for a FUSE mount.  The fuse
 * events have no inode: the join in timeline.c finds it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fsinspect.h"
#include "kevents.h"

/* How an event is filtered to one mount. */
enum kev_filter {
	KF_NONE,     /* not filtered: global context (reclaim) */
	KF_DEV,	     /* s_dev == kernel dev_t */
	KF_CONN,     /* connection == kernel dev_t */
	KF_BDI_NAME, /* name == "MAJ:MIN" */
	KF_BDI_BDI,  /* bdi == "MAJ:MIN" */
};

enum {
	KEV_REQUIRED = 1 << 0, /* without it the view makes no sense */
	KEV_HIDDEN = 1 << 1,   /* for the join only */
};

struct kev_def {
	const char *sys, *name;
	enum kev_filter filter;
	const char *ino_field; /* NULL: the event names no inode */
	enum tl_kind kind;
	unsigned flags;
};

static const struct kev_def kev_defs[] = {
	{"filemap", "mm_filemap_add_to_page_cache", KF_DEV, "i_ino",
	 TL_CACHE_ADD, KEV_REQUIRED},
	{"filemap", "mm_filemap_delete_from_page_cache", KF_DEV, "i_ino",
	 TL_CACHE_DEL, KEV_REQUIRED},
	{"fuse", "fuse_request_send", KF_CONN, NULL, TL_FUSE_SEND,
	 KEV_REQUIRED},
	{"fuse", "fuse_request_end", KF_CONN, NULL, TL_FUSE_END, KEV_REQUIRED},
	{"readahead", "page_cache_sync_ra", KF_DEV, "i_ino", TL_RA_SYNC, 0},
	{"readahead", "page_cache_async_ra", KF_DEV, "i_ino", TL_RA_ASYNC, 0},
	{"readahead", "page_cache_ra_unbounded", KF_DEV, "i_ino", TL_RA_READ,
	 0},
	{"readahead", "page_cache_ra_order", KF_DEV, "i_ino", TL_RA_ORDER, 0},
	{"writeback", "writeback_dirty_folio", KF_BDI_NAME, "ino", TL_DIRTY, 0},
	{"writeback", "writeback_single_inode", KF_BDI_NAME, "ino",
	 TL_WRITEBACK, 0},
	{"writeback", "writeback_write_inode", KF_BDI_NAME, "ino",
	 TL_WRITE_INODE, 0},
	{"writeback", "balance_dirty_pages", KF_BDI_BDI, NULL, TL_THROTTLE, 0},
	{"vmscan", "mm_vmscan_direct_reclaim_begin", KF_NONE, NULL,
	 TL_RECLAIM_BEGIN, KEV_HIDDEN},
	{"vmscan", "mm_vmscan_direct_reclaim_end", KF_NONE, NULL,
	 TL_RECLAIM_END, KEV_HIDDEN},
	{"vmscan", "mm_vmscan_memcg_reclaim_begin", KF_NONE, NULL,
	 TL_RECLAIM_BEGIN, KEV_HIDDEN},
	{"vmscan", "mm_vmscan_memcg_reclaim_end", KF_NONE, NULL, TL_RECLAIM_END,
	 KEV_HIDDEN},
};

#define NDEFS (sizeof(kev_defs) / sizeof(kev_defs[0]))

const char *kev_name(size_t i, char *buf, size_t size)
{
	if (i >= NDEFS)
		return NULL;
	snprintf(buf, size, "%s:%s", kev_defs[i].sys, kev_defs[i].name);
	return buf;
}

/* " && (i_ino == 2 || i_ino == 7)" */
static void ino_clause(char *buf, size_t size, const char *field,
		       const struct kev_target *tg)
{
	size_t i, used;

	buf[0] = '\0';
	if (!field || !tg->ninos)
		return;
	used = (size_t)snprintf(buf, size, " && (");
	for (i = 0; i < tg->ninos && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used,
					 "%s%s == %" PRIu64, i ? " || " : "",
					 field, tg->inos[i]);
	if (used < size)
		snprintf(buf + used, size - used, ")");
}

static void make_filter(char *buf, size_t size, const struct kev_def *d,
			const struct kev_target *tg)
{
	unsigned kdev = tg->major << 20 | tg->minor;
	char inos[1024];

	ino_clause(inos, sizeof(inos), d->ino_field, tg);
	switch (d->filter) {
	case KF_NONE:
		buf[0] = '\0';
		break;
	case KF_DEV:
		snprintf(buf, size, "s_dev == %u%s", kdev, inos);
		break;
	case KF_CONN:
		snprintf(buf, size, "connection == %u", kdev);
		break;
	case KF_BDI_NAME:
		snprintf(buf, size, "name == \"%u:%u\"%s", tg->major, tg->minor,
			 inos);
		break;
	case KF_BDI_BDI:
		snprintf(buf, size, "bdi == \"%u:%u\"", tg->major, tg->minor);
		break;
	}
}

static void note_missing(char *missing, size_t mlen, const struct kev_def *d)
{
	size_t used = strlen(missing);

	snprintf(missing + used, mlen - used, "%s%s:%s", used ? " " : "",
		 d->sys, d->name);
}

int kev_enable(struct tfs *t, const struct kev_target *tg, char *missing,
	       size_t mlen, char *why, size_t whylen)
{
	char filter[1200];
	size_t i;
	int err;

	missing[0] = '\0';
	if (tg->ninos > 32)
		return -E2BIG;
	for (i = 0; i < NDEFS; i++) {
		const struct kev_def *d = &kev_defs[i];

		if (!tfs_has_event(t, d->sys, d->name)) {
			if (d->flags & KEV_REQUIRED) {
				snprintf(why, whylen,
					 "this kernel has no "
					 "tracepoint '%s:%s' (see %s/"
					 "available_events)",
					 d->sys, d->name, t->root);
				return -ENOENT;
			}
			note_missing(missing, mlen, d);
			continue;
		}
		make_filter(filter, sizeof(filter), d, tg);
		err = tfs_enable(t, d->sys, d->name, filter[0] ? filter : NULL,
				 why, whylen);
		if (err)
			return err;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lines to events                                                    */

static const struct kev_def *find_def(const char *event)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (!strcmp(kev_defs[i].name, event))
			return &kev_defs[i];
	return NULL;
}

static void page_event(struct tl_event *e, const struct tfs_line *l)
{
	uint64_t order = tfs_num(l, "order", 0);

	e->first = tfs_num(l, "index", 0);
	e->pages = order < 20 ? 1ull << order : 1;
	if (order)
		snprintf(e->detail, sizeof(e->detail),
			 "folio of order %" PRIu64, order);
}

static void ra_event(struct tl_event *e, const struct tfs_line *l)
{
	e->first = tfs_num(l, "index", 0);
	if (e->kind == TL_RA_READ && tfs_field(l, "nr_to_read")) {
		e->pages = tfs_num(l, "nr_to_read", 0);
		snprintf(e->detail, sizeof(e->detail),
			 "reads %" PRIu64 " pages, lookahead %" PRIu64,
			 e->pages, tfs_num(l, "lookahead_size", 0));
	} else if (e->kind == TL_RA_ORDER) {
		e->pages = tfs_num(l, "size", 0);
		snprintf(e->detail, sizeof(e->detail),
			 "reads %" PRIu64 " pages in folios of order %" PRIu64,
			 e->pages, tfs_num(l, "order", 0));
	} else {
		e->pages = tfs_num(l, "req_count", 0);
		snprintf(e->detail, sizeof(e->detail),
			 "asked %" PRIu64 " pages; window was %" PRIu64
			 " (async %" PRIu64 "), max %" PRIu64,
			 e->pages, tfs_num(l, "size", 0),
			 tfs_num(l, "async_size", 0),
			 tfs_num(l, "ra_pages", 0));
	}
}

/* balance_dirty_pages: a pause of 0 or less means the task was let go
 * without sleeping (it had been slow enough already). */
static void throttle_detail(struct tl_event *e, const struct tfs_line *l)
{
	int64_t pause = (int64_t)tfs_num(l, "pause", 0);

	snprintf(e->detail, sizeof(e->detail),
		 "%s %" PRId64 " ms; bdi dirty %" PRIu64
		 " pages, setpoint %" PRIu64,
		 pause > 0 ? "paused" : "not paused, pause", pause,
		 tfs_num(l, "wb_dirty", 0), tfs_num(l, "wb_setpoint", 0));
}

static void writeback_event(struct tl_event *e, const struct tfs_line *l)
{
	if (e->kind == TL_WRITEBACK)
		snprintf(e->detail, sizeof(e->detail),
			 "wrote %" PRIu64 " pages from page %" PRIu64,
			 tfs_num(l, "wrote", 0),
			 tfs_num(l, "writeback_index", 0));
	else if (e->kind == TL_WRITE_INODE)
		snprintf(e->detail, sizeof(e->detail), "%s",
			 tfs_num(l, "sync_mode", 0) ? "sync (WB_SYNC_ALL)"
						    : "async (WB_SYNC_NONE)");
	else if (e->kind == TL_THROTTLE)
		throttle_detail(e, l);
	else
		page_event(e, l);
}

static void fuse_event(struct tl_event *e, const struct tfs_line *l)
{
	e->unique = tfs_num(l, "unique", 0);
	e->wire = tfs_num(l, "len", 0);
	if (e->kind == TL_FUSE_SEND) {
		e->op = (unsigned)tfs_num(l, "opcode", 0);
		snprintf(e->detail, sizeof(e->detail),
			 "req %" PRIu64 ", %" PRIu64 " bytes in", e->unique,
			 e->wire);
	} else {
		e->result = (int32_t)tfs_num(l, "error", 0);
		snprintf(e->detail, sizeof(e->detail),
			 "req %" PRIu64 ", %" PRIu64
			 " bytes out, error %" PRId64,
			 e->unique, e->wire, e->result);
	}
}

void kev_add(struct timeline *tl, const struct tfs_line *l)
{
	const struct kev_def *d = find_def(l->event);
	struct tl_event *e;

	if (!d)
		return;
	e = tl_append(tl);
	e->source = TL_KERNEL;
	e->kind = d->kind;
	e->t_ns = e->sort_ns = l->t_ns;
	e->pid = l->pid;
	e->hidden = d->flags & KEV_HIDDEN;
	snprintf(e->comm, sizeof(e->comm), "%s", l->comm);
	if (d->ino_field && tfs_field(l, d->ino_field)) {
		e->ino = tfs_num(l, d->ino_field, 0);
		e->match = TL_MATCH_EVENT;
	}
	switch (d->kind) {
	case TL_FUSE_SEND:
	case TL_FUSE_END:
		fuse_event(e, l);
		break;
	case TL_RA_SYNC:
	case TL_RA_ASYNC:
	case TL_RA_READ:
	case TL_RA_ORDER:
		ra_event(e, l);
		break;
	case TL_CACHE_ADD:
	case TL_CACHE_DEL:
		page_event(e, l);
		break;
	default:
		writeback_event(e, l);
	}
}
