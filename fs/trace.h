/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace.h - the daemon's side of the request trace (glassfs_trace.h).
 *
 * Recording a request costs a clock read at each end, one atomic add for
 * the sequence number, a 128-byte copy into the ring and a few relaxed
 * atomic adds to the opcode's counters: no lock, no formatting, no I/O.
 * Knows nothing of SQLite or FUSE requests.
 */
#ifndef GFS_TRACE_H
#define GFS_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "glassfs_trace.h"

struct trace;

/* What a request handler fills in while it runs. */
struct trace_call {
	uint64_t t0;		/* from trace_now() */
	uint64_t ino, off, aux;
	uint32_t len;
	uint32_t pid, uid;
	uint16_t op, flags;
	const char *name;	/* borrowed until trace_end() */
};

/*
 * Creates the trace file at @path (mode 0600, replacing a stale one) with
 * room for @records (rounded up to a power of two) and maps it.
 */
int trace_open(const char *path, uint64_t records, const char *mountpoint,
	       const char *store, uint32_t fuse_conn, struct trace **out);
/* Marks the trace stopped, unmaps it and removes the file. */
void trace_close(struct trace *t);
const char *trace_path(const struct trace *t);

uint64_t trace_now(void);
/* Records one finished request: @result is bytes, 0 or -errno. */
void trace_end(struct trace *t, const struct trace_call *c, int64_t result,
	       uint64_t sql_ns);
/* Copies the cumulative counters of @op (for the control socket). */
void trace_opstat(struct trace *t, unsigned op, struct gfs_trace_opstat *out);
uint64_t trace_head(struct trace *t);
uint64_t trace_capacity(struct trace *t);

#endif
