/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timeline.h - one time-ordered stream of what happened to the files of a
 * mount: the kernel's tracepoint events (page cache, readahead,
 * write-back, FUSE requests) and the daemon's request records, joined.
 *
 * Layer: model.  Events come in from kevents.c (kernel) and
 * tl_add_record() (daemon ring); tl_finish() sorts them, pairs each FUSE
 * request's send and end events by their unique id, attributes them to a
 * daemon record (and so to an inode and offset, which the fuse
 * tracepoints lack), and merges runs of page events.  No tracefs, no
 * output here.
 *
 * Clocks: every t_ns is CLOCK_MONOTONIC; kernel events carry
 * microseconds only (trace_pipe rounds them).
 */
#ifndef FSI_TIMELINE_H
#define FSI_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glassfs_trace.h"

enum tl_source {
	TL_KERNEL,
	TL_DAEMON,
};

enum tl_kind {
	TL_REQUEST,	  /* daemon: one request record */
	TL_FUSE_SEND,	  /* kernel: fuse_request_send */
	TL_FUSE_END,	  /* kernel: fuse_request_end */
	TL_CACHE_ADD,	  /* mm_filemap_add_to_page_cache */
	TL_CACHE_DEL,	  /* mm_filemap_delete_from_page_cache */
	TL_RA_SYNC,	  /* page_cache_sync_ra: a miss asked for readahead */
	TL_RA_ASYNC,	  /* page_cache_async_ra: a marked page was hit */
	TL_RA_READ,	  /* page_cache_ra_unbounded: pages read */
	TL_RA_ORDER,	  /* page_cache_ra_order: pages read, large folios */
	TL_DIRTY,	  /* writeback_dirty_folio */
	TL_WRITEBACK,	  /* writeback_single_inode: an inode written back */
	TL_WRITE_INODE,	  /* writeback_write_inode: its metadata */
	TL_THROTTLE,	  /* balance_dirty_pages: a writer paused */
	TL_RECLAIM_BEGIN, /* vmscan: reclaim starts (not printed) */
	TL_RECLAIM_END,	  /* vmscan: reclaim ends (not printed) */
};

/* How an event got its inode. */
enum tl_match {
	TL_MATCH_NONE,	 /* no inode */
	TL_MATCH_EVENT,	 /* the event itself carries it */
	TL_MATCH_DAEMON, /* FUSE event joined with a daemon record */
	TL_MATCH_PID,	 /* throttle: the file this task last dirtied */
};

#define TL_COMM_LEN 32
#define TL_DETAIL_LEN 112
#define TL_NONE UINT64_MAX

struct tl_event {
	uint64_t t_ns;	  /* CLOCK_MONOTONIC */
	uint64_t sort_ns; /* t_ns, moved so that a join reads in order */
	enum tl_source source;
	enum tl_kind kind;
	enum tl_match match;
	uint64_t ino;	       /* TL_NONE: unknown */
	uint64_t first, pages; /* page range; pages 0: none */
	uint64_t off, len;     /* bytes (requests); len 0: none */
	uint32_t pid;
	char comm[TL_COMM_LEN];
	unsigned op;	 /* FUSE opcode (requests), 0 if none */
	int64_t result;	 /* request result, FUSE error */
	uint64_t dur_ns; /* request latency, 0 unknown */
	uint64_t unique; /* FUSE request id, 0 if none */
	uint64_t wire;	 /* FUSE events: bytes of the message */
	uint64_t seq;	 /* daemon record number, 0 if none */
	uint64_t count;	 /* events merged into this one (>= 1) */
	size_t ord;	 /* arrival order, then sorted position */
	bool hidden;	 /* used for the join, not shown */
	bool reclaim;	 /* CACHE_DEL: by reclaim */
	char detail[TL_DETAIL_LEN];
};

struct timeline {
	struct tl_event *v;
	size_t n, cap;
	uint32_t daemon_pid; /* to name invalidations; 0 unknown */
	uint64_t page_size;
	/* after tl_finish(): */
	size_t fuse_requests, fuse_joined;
};

void tl_init(struct timeline *tl, uint64_t page_size);
void tl_free(struct timeline *tl);

/* A new zeroed event at the end (count 1, ino TL_NONE). */
struct tl_event *tl_append(struct timeline *tl);

/* A daemon record as a TL_REQUEST event. */
void tl_add_record(struct timeline *tl, const struct gfs_trace_rec *r);

/*
 * Sort, join and merge.  FUSE send/end are paired by unique id; a send is
 * attributed to the daemon record of the same opcode that arrived while
 * it was in flight (between send and end, within a microsecond), from
 * the same task (or one the daemon recorded as the kernel's, pid 0),
 * preferring the one whose size agrees and then the nearest in time.
 * @merge: runs of page events of one file and task, on contiguous pages,
 * become one event whose count says how many.
 */
void tl_finish(struct timeline *tl, bool merge);

/* Keep only the events of the inodes in @inos (n > 0); events with no
 * inode are dropped too. */
void tl_filter_inos(struct timeline *tl, const uint64_t *inos, size_t n);

/* "cache-add", "READ" ... for the EVENT column. */
const char *tl_event_name(const struct tl_event *e);

/* The FUSE opcode name, or "OP<n>". */
const char *tl_op_name(unsigned op, char *buf, size_t size);

#endif
