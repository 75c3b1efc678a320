/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kevents.h - which kernel tracepoints tell what happens to the files of
 * one FUSE mount, how to filter them to that mount (and to some inodes),
 * and how each becomes a timeline event.
 *
 * Layer: the meaning of tracepoints.  tracefs.c reads them, timeline.c
 * joins them; this file is the table between: event names, the field
 * that identifies the mount in each (s_dev, connection, the bdi name
 * "0:N"), the field that names the inode, and the detail text.
 */
#ifndef FSI_KEVENTS_H
#define FSI_KEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "timeline.h"
#include "tracefs.h"

/* What to trace: the mount's device, and optionally some inodes. */
struct kev_target {
	unsigned major, minor;
	const uint64_t *inos;
	size_t ninos;
};

/*
 * Enable every event of the table that this kernel has, filtered to
 * @tg.  A required event missing (filemap page cache, fuse requests)
 * fails with -ENOENT and @why naming it; optional ones missing are
 * listed, space-separated, in @missing.  0 or -errno.
 */
int kev_enable(struct tfs *t, const struct kev_target *tg, char *missing,
	       size_t mlen, char *why, size_t whylen);

/* Add the timeline event of trace line @l, if it is one of ours. */
void kev_add(struct timeline *tl, const struct tfs_line *l);

/* The "system:event" names of the table, one per call: @i from 0 until
 * NULL (for --help). */
const char *kev_name(size_t i, char *buf, size_t size);

#endif
