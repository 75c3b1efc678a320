/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring.h - a reader of a glassfs mount's request trace: the shared-memory
 * ring of records and the per-opcode counters in its header, laid out by
 * the versioned ABI header fs/glassfs_trace.h.
 *
 * Layer: source of data.  Maps the trace file read-only and only reads
 * it: a reader can neither slow down nor block the daemon, and learns
 * how many records it missed when the daemon laps it.  No output here.
 */
#ifndef FSI_RING_H
#define FSI_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glassfs_trace.h"

struct ring {
	const struct gfs_trace_hdr *hdr;
	const struct gfs_trace_rec *recs;
	size_t map_len;
	uint64_t next;	 /* sequence number to read next */
	uint64_t missed; /* records overwritten before we read them */
};

/* Maps the trace file at @path and checks its magic, version and sizes
 * (-EPROTO for a layout we do not know); starts reading from now. */
int ring_open(const char *path, struct ring *r);
void ring_close(struct ring *r);
/* Start from the oldest record still in the ring, or from now. */
void ring_rewind(struct ring *r);
void ring_skip_to_now(struct ring *r);
/* 1 and *rec filled; 0 when nothing new; counts overwritten records in
 * r->missed. */
int ring_read(struct ring *r, struct gfs_trace_rec *rec);
/* Whether the daemon still writes to it. */
bool ring_alive(const struct ring *r);
/* The last sequence number handed out. */
uint64_t ring_head(const struct ring *r);
/* A copy of the cumulative counters of opcode @op (< GFS_TRACE_OP_MAX). */
void ring_opstat(const struct ring *r, unsigned op,
		 struct gfs_trace_opstat *out);

#endif
