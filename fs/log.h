/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - the daemon's one logging entry point.
 *
 * Layers below the FUSE glue (store.c, itab.c, trace.c) log through
 * gfs_log() so that they need no libfuse header and can be linked into the
 * unit tests, which provide their own gfs_log().  In the daemon it forwards
 * to fuse_log(), which goes to stderr in the foreground and to syslog once
 * daemonized.
 */
#ifndef GFS_LOG_H
#define GFS_LOG_H

enum gfs_log_level {
	GFS_LOG_ERR,
	GFS_LOG_WARNING,
	GFS_LOG_NOTICE,
	GFS_LOG_INFO,
	GFS_LOG_DEBUG,
};

/* Log one line (no trailing newline needed).  Thread-safe. */
void gfs_log(enum gfs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
