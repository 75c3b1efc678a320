/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opstat.h - arithmetic on the daemon's per-opcode counters (struct
 * gfs_trace_opstat of fs/glassfs_trace.h): differences between two
 * samples, quantiles from the log2 latency histogram, and how durations
 * are written.
 *
 * Layer: computation, no I/O and no output.
 */
#ifndef FSI_OPSTAT_H
#define FSI_OPSTAT_H

#include <json-c/json.h>
#include <stdint.h>

#include "glassfs_trace.h"

/* @now minus @then, field by field (counters only grow; a counter that
 * went back, after a remount, counts from 0). */
void opstat_sub(const struct gfs_trace_opstat *now,
		const struct gfs_trace_opstat *then,
		struct gfs_trace_opstat *out);

/*
 * The latency under which a fraction @q of the requests fell, in
 * nanoseconds: the upper bound of the histogram bucket holding that
 * quantile, so an overestimate by at most 2x.  0 with no requests;
 * FSI_UNKNOWN when it falls in the last, open bucket (over 2^19 us).
 */
uint64_t opstat_quantile(const struct gfs_trace_opstat *s, double q);

/* The lower bound of the open bucket, in nanoseconds. */
uint64_t opstat_open_bucket_ns(void);

/* "850ns", "12us", "1.5ms", "2.3s" (malloc'd). */
char *opstat_duration(uint64_t ns);

/* Fills struct gfs_trace_opstat from one op of a "stats" reply. */
void opstat_from_json(json_object *o, struct gfs_trace_opstat *out);

#endif
