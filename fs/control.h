/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control.h - how tools find and talk to a running mount.
 *
 * Each mount has a private directory, RUNDIR/CONN/, where RUNDIR is
 * /run/glassfs for root and $XDG_RUNTIME_DIR/glassfs (or
 * /run/user/UID/glassfs, else /tmp/glassfs-UID) for other users, mode
 * 0700, and CONN is the FUSE connection number (the minor of the mount's
 * st_dev).  It holds `trace`, the shared-memory ring (glassfs_trace.h),
 * and `ctl`, a Unix socket speaking the protocol in control.c.  A tool
 * needs only the mountpoint: /proc/self/mountinfo gives CONN and the
 * mount owner's uid, hence the directory.
 */
#ifndef GFS_CONTROL_H
#define GFS_CONTROL_H

#include <stdint.h>

struct gfs;
struct control;

/* The connection number of the FUSE mount at @mountpoint, from
 * /proc/self/mountinfo (the file system is not touched). */
int control_conn(const char *mountpoint, uint32_t *conn);

/* Creates the mount's directory (for g->conn) and trace ring, starts
 * the socket. */
int control_start(struct gfs *g, struct control **out);
void control_stop(struct control *c);

struct stat;
/* Unlinks @path if it is still the file described by @own. */
void control_unlink_own(const char *path, const struct stat *own);

#endif
