/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tracefs.h - a private tracefs instance: mounting tracefs when needed,
 * creating /sys/kernel/tracing/instances/fsinspect-PID, enabling events
 * with filters on the "mono" clock, reading its trace_pipe and parsing
 * the text lines, and removing everything again.
 *
 * Layer: measurement plumbing.  Knows tracefs files and the text format
 * of trace_pipe with the "fields" option (every field printed as
 * name=value), nothing about FUSE or page caches: which events mean what
 * is kevents.c's business.  Never touches the top-level instance, so
 * other users of tracefs (perf, bpftrace, another fsinspect) are not
 * disturbed.
 *
 * Cleanup: tfs_close() undoes what tfs_open() did; an atexit() handler
 * calls it for the one open instance, so that err() and a signal turned
 * into a normal exit leave no instance or mount behind.
 */
#ifndef FSI_TRACEFS_H
#define FSI_TRACEFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An open private instance. */
struct tfs {
	char root[PATH_MAX]; /* where tracefs is mounted */
	char inst[PATH_MAX]; /* our instance directory, "" if none */
	bool mounted_by_us;  /* unmount at close */
	int pipe_fd;	     /* trace_pipe, -1 until tfs_start() */
	char *buf;	     /* unparsed bytes of trace_pipe */
	size_t len, cap;
	uint64_t lost; /* events the kernel dropped (ring full) */
};

#define TFS_MAX_FIELDS 24

struct tfs_field {
	const char *name;
	const char *text; /* as printed: "0x33", "0:51" */
	uint64_t num;	  /* the value as a number, when it is one */
	bool is_num;
};

/* One event line of trace_pipe. */
struct tfs_line {
	char comm[32];
	uint32_t pid;
	unsigned cpu;
	uint64_t t_ns;	   /* trace clock; printed with microseconds */
	const char *event; /* "mm_filemap_add_to_page_cache" */
	struct tfs_field f[TFS_MAX_FIELDS];
	int nf;
};

/*
 * Find tracefs (FSINSPECT_TRACEFS, a tracefs in /proc/self/mountinfo, or
 * mount one at /sys/kernel/tracing), create the instance, set the mono
 * clock, the fields option and a buffer of @buffer_kb per CPU.  On
 * failure returns -errno with @why saying exactly what is missing
 * ("cannot mount tracefs at '/sys/kernel/tracing': ..."), and nothing is
 * left behind.
 */
int tfs_open(struct tfs *t, unsigned buffer_kb, char *why, size_t whylen);

/* Whether the kernel has event @sys:@name (available_events). */
bool tfs_has_event(const struct tfs *t, const char *sys, const char *name);

/* Set @filter (NULL: none) on @sys:@name and enable it.  0 or -errno,
 * with @why filled. */
int tfs_enable(struct tfs *t, const char *sys, const char *name,
	       const char *filter, char *why, size_t whylen);

/* Open trace_pipe (non-blocking).  0 or -errno. */
int tfs_start(struct tfs *t);

/* Stop recording (tracing_on 0); what is buffered can still be read. */
void tfs_stop(struct tfs *t);

typedef void (*tfs_line_fn)(void *ctx, const struct tfs_line *l);

/* Read what trace_pipe has now and call @fn for each event line.
 * Returns the number of lines, or -errno. */
int tfs_read(struct tfs *t, tfs_line_fn fn, void *ctx);

/* Remove the instance, unmount tracefs if tfs_open() mounted it. */
void tfs_close(struct tfs *t);

/* Parse one line of trace_pipe text (modified in place; @l points into
 * it).  0, 1 for a "[LOST n EVENTS]" line (*lost set), or -EINVAL. */
int tfs_parse_line(char *line, struct tfs_line *l, uint64_t *lost);

/* The field @name of @l, or NULL. */
const struct tfs_field *tfs_field(const struct tfs_line *l, const char *name);

/* Numeric field @name, or @dflt when absent or not a number. */
uint64_t tfs_num(const struct tfs_line *l, const char *name, uint64_t dflt);

#endif
