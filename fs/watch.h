/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.h - what happens to the store besides requests: changes made by
 * other connections (invalidated in the kernel) and the store's own
 * commits and checkpoints (recorded in the trace).
 */
#ifndef GFS_WATCH_H
#define GFS_WATCH_H

struct gfs;
struct watch;

/* How often the watcher looks for changes made behind the kernel's back;
 * the bound on how long the kernel may serve a stale copy (documented in
 * glassfs(8)). */
#define WATCH_INTERVAL_MS 100

int watch_start(struct gfs *g, struct watch **out);
void watch_stop(struct watch *w);

#endif
