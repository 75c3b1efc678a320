/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * walk.h - the command line's PATHs expanded into a list of files.
 *
 * Layer: input.  Files are taken as given; directories are walked
 * recursively in name order, yielding their regular files between a
 * DIR_BEGIN and a DIR_END entry (so that callers can total per
 * directory).  Symbolic links are followed on the command line only.
 * Nothing is opened but directories: names are resolved with statx
 * AT_STATX_DONT_SYNC, which on FUSE uses the attributes the kernel has
 * instead of asking the daemon.
 */
#ifndef FSI_WALK_H
#define FSI_WALK_H

#include <stddef.h>
#include <sys/stat.h>

enum walk_kind {
	WALK_FILE,
	WALK_DIR_BEGIN,
	WALK_DIR_END,
};

struct walk_entry {
	enum walk_kind kind;
	char *path;
	struct stat st; /* dev, ino, mode, uid, size (maybe stale on FUSE) */
};

struct walk_list {
	struct walk_entry *v;
	size_t n;
};

/*
 * Expand @paths into @out.  What cannot be read is reported with warn()
 * and counted: returns the number of such failures.
 */
int walk_paths(char *const *paths, int npaths, struct walk_list *out);

void walk_free(struct walk_list *l);

#endif
