/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gmount.h - finding a running glassfs mount from a path, and talking to
 * its daemon: the control socket (one JSON line per command) and the
 * request ring (glassfs_trace.h), both in the mount's runtime directory.
 *
 * Reads /proc/self/mountinfo, never the mount itself: looking a mount up
 * sends no request to its daemon.
 */
#ifndef FSI_GMOUNT_H
#define FSI_GMOUNT_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "glassfs_trace.h"

struct gmount {
	char mountpoint[PATH_MAX];
	char source[PATH_MAX];	/* the store, as mounted */
	char fstype[64];
	unsigned major, minor;	/* st_dev of the mount; minor = connection */
	uid_t owner;		/* user_id= of the FUSE mount */
	bool glassfs;		/* fstype fuse.glassfs */
	char rundir[PATH_MAX];	/* runtime directory, if found */
};

/* The mount holding @path (the deepest mount whose mountpoint is a prefix
 * of its real path).  -ENOENT if none. */
int gmount_find(const char *path, struct gmount *m);
/* The mount with device @major:@minor. */
int gmount_by_dev(unsigned major, unsigned minor, struct gmount *m);
/* Locates the runtime directory of a glassfs mount: -ENOENT when the
 * daemon publishes none (or runs for a user we cannot see). */
int gmount_rundir(struct gmount *m);

/* One command on the control socket; *reply is the parsed JSON object,
 * to be released with json_object_put().  -EPROTO on a reply with
 * "error" (then *reply holds it). */
int gmount_ctl(const struct gmount *m, const char *cmd, json_object **reply);

/* A reader of the request ring. */
struct ring {
	const struct gfs_trace_hdr *hdr;
	const struct gfs_trace_rec *recs;
	size_t map_len;
	uint64_t next;		/* sequence number to read next */
	uint64_t missed;	/* records overwritten before we read them */
};

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

#endif
