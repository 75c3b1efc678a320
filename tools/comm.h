/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * comm.h - the name and thread group of a thread id, as a request record
 * names its sender, from /proc/TID/comm and /proc/TID/status.
 *
 * Layer: source of data.  Cached for a second: a session printing
 * thousands of records of one process reads /proc once a second, and a
 * reused thread id is seen within a second.
 */
#ifndef FSI_COMM_H
#define FSI_COMM_H

#include <stdint.h>
#include <sys/types.h>

/* The command name of thread @tid: "?" when it is gone (or /proc does
 * not show it).  Valid until the next call. */
const char *comm_name(uint32_t tid);

/* The process (thread group) @tid belongs to; 0 when it is gone. */
pid_t comm_tgid(uint32_t tid);

/* Drops the cache. */
void comm_free(void);

#endif
