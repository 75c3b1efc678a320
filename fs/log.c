// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - gfs_log() for the daemon: forwards to fuse_log(), whose sink
 * main.c points at stderr (foreground) or syslog (daemon).
 */
#include <stdarg.h>
#include <stdio.h>

#define FUSE_USE_VERSION 314
#include <fuse_log.h>

#include "log.h"

static const enum fuse_log_level levels[] = {
	[GFS_LOG_ERR] = FUSE_LOG_ERR,
	[GFS_LOG_WARNING] = FUSE_LOG_WARNING,
	[GFS_LOG_NOTICE] = FUSE_LOG_NOTICE,
	[GFS_LOG_INFO] = FUSE_LOG_INFO,
	[GFS_LOG_DEBUG] = FUSE_LOG_DEBUG,
};

void gfs_log(enum gfs_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* "error:" and "warning:" let tests and users grep the log. */
	fuse_log(levels[level], "glassfs: %s%s\n",
		 level == GFS_LOG_ERR ? "error: "
		 : level == GFS_LOG_WARNING ? "warning: " : "",
		 line);
}
