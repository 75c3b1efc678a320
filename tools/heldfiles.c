// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * heldfiles.c - see heldfiles.h.  Files are opened read-only,
 * non-blocking (a FIFO that replaced a file must not hang us), with
 * O_NOATIME when we may; the type is checked with statx(2)
 * AT_STATX_DONT_SYNC first, so that directories are never opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fsinspect.h"
#include "gmount.h"
#include "heldfiles.h"
#include "paths.h"

/* Descriptors kept for stdio, sockets and the rest. */
#define HELD_SPARE 64
#define HELD_MAX 65536

void held_init(struct held *h, const struct gmount *m)
{
	struct rlimit rl;

	memset(h, 0, sizeof(*h));
	h->m = m;
	h->limit = 1024 - HELD_SPARE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur > HELD_SPARE)
			h->limit = rl.rlim_cur - HELD_SPARE;
	}
	if (h->limit > HELD_MAX)
		h->limit = HELD_MAX;
}

static struct held_file *find(struct held *h, uint64_t ino)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->v[i].ino == ino)
			return &h->v[i];
	return NULL;
}

static int open_file(const char *path)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = open(path, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	return fd;
}

/* Opens @f if it is a regular file; marks it skipped otherwise. */
static void try_open(struct held *h, struct held_file *f)
{
	char *full;
	int fd;

	f->skip = true;
	if (!f->path)
		return;
	if (h->open >= h->limit) {
		h->over_limit++;
		f->skip = false; /* maybe later, if a descriptor frees */
		return;
	}
	full = fsi_xasprintf("%s%s", h->m->mountpoint, f->path);
	if (fsi_stat_cached(AT_FDCWD, full, AT_SYMLINK_NOFOLLOW, &f->st) ||
	    !S_ISREG(f->st.st_mode)) {
		free(full);
		return;
	}
	fd = open_file(full);
	free(full);
	if (fd < 0)
		return;
	f->fd = fd;
	f->skip = false;
	h->open++;
	h->opened_now++;
}

static void add(struct held *h, uint64_t ino, struct paths *paths)
{
	struct held_file *f;
	const char *p = paths_get(paths, ino);

	if (!p && paths->nwant) {
		paths_resolve(paths);
		p = paths_get(paths, ino);
	}
	h->v = fsi_xrealloc(h->v, h->n + 1, sizeof(*h->v));
	f = &h->v[h->n++];
	memset(f, 0, sizeof(*f));
	f->ino = ino;
	f->fd = -1;
	f->listed = true;
	f->path = p ? fsi_xstrdup(p) : NULL;
	try_open(h, f);
}

/* Drops entries never opened that the kernel no longer holds. */
static void prune(struct held *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++) {
		if (h->v[i].fd < 0 && !h->v[i].listed) {
			free(h->v[i].path);
			continue;
		}
		h->v[n++] = h->v[i];
	}
	h->n = n;
}

void held_update(struct held *h, const uint64_t *inos, size_t n,
		 struct paths *paths)
{
	size_t i;

	h->opened_now = 0;
	h->over_limit = 0;
	for (i = 0; i < h->n; i++)
		h->v[i].listed = false;
	/* One "path" command for all the new inodes. */
	for (i = 0; i < n; i++)
		if (!find(h, inos[i]))
			paths_get(paths, inos[i]);
	if (paths->nwant)
		paths_resolve(paths);
	for (i = 0; i < n; i++) {
		struct held_file *f = find(h, inos[i]);

		if (!f) {
			add(h, inos[i], paths);
			continue;
		}
		f->listed = true;
		if (f->fd < 0 && !f->skip)
			try_open(h, f);
	}
	prune(h);
}

void held_measure(struct held *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		struct held_file *f = &h->v[i];

		if (f->fd < 0)
			continue;
		/* No GETATTR: a stopped daemon must not stop us. */
		fsi_fstat_cached(f->fd, &f->st);
		if (pc_measure(f->fd, 0, 0, &f->pc, &f->src) < 0)
			f->src = PC_DENIED;
		if (f->src == PC_DENIED)
			f->pc.cached = f->pc.dirty = f->pc.writeback =
				FSI_UNKNOWN;
	}
}

void held_close(struct held *h, unsigned *files, uint64_t *dirty)
{
	size_t i;

	*files = 0;
	*dirty = 0;
	for (i = 0; i < h->n; i++) {
		struct held_file *f = &h->v[i];

		if (f->fd >= 0) {
			close(f->fd);
			(*files)++;
			fsi_add(dirty, f->pc.dirty);
		}
		free(f->path);
	}
	free(h->v);
	h->v = NULL;
	h->n = h->open = 0;
}
