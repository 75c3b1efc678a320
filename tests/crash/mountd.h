/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mountd.h - a glassfs daemon run by a test program: started in the
 * foreground as a child, waited for until its mount is ready, killed or
 * unmounted cleanly, and its store checked with `glassfs check`.
 *
 * Only the child started here is ever signalled.  Every function returns
 * 0 or a negative errno (or the status it names) and prints why on
 * standard error when it fails.
 */
#ifndef GFS_MOUNTD_H
#define GFS_MOUNTD_H

#include <sys/types.h>

struct mountd {
	const char *glassfs; /* the daemon's executable */
	const char *store;
	const char *mnt;     /* absolute path of the mountpoint */
	const char *log;     /* the daemon's stderr is appended here */
	const char *pidfile; /* if set: holds the running daemon's pid */
	pid_t pid;	     /* the running daemon, or 0 */
};

/* Starts `glassfs -f -o OPTS STORE MNT` (opts may be NULL) and waits up
 * to 20 s for the mount.  -EIO if the daemon exits first (it printed
 * why into the log), -ETIMEDOUT if it never mounts. */
int mountd_start(struct mountd *m, const char *opts);

/* Sends @sig to the daemon without waiting for it. */
void mountd_signal(const struct mountd *m, int sig);

/* After a kill: reaps the daemon and detaches its dead mount. */
int mountd_reap(struct mountd *m);

/* Unmounts (retrying while busy) and requires the daemon to exit 0. */
int mountd_stop(struct mountd *m);

/* Runs `glassfs check [--repair] STORE` with its output appended to
 * @out; returns its exit status (or -errno if it could not run). */
int mountd_check(const struct mountd *m, const char *out, int repair);

/* Whether @mnt is a mountpoint of a glassfs file system right now. */
int mountd_mounted(const char *mnt);

#endif
