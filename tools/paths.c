// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paths.c - see paths.h.  A tsearch(3) tree keyed by inode; a node whose
 * path is NULL is an answered "none", a missing node is unknown.  The
 * cache is dropped whole when it grows past PATHS_MAX, so that a session
 * over millions of files stays small.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsinspect.h"
#include "gmount.h"
#include "paths.h"

#define PATHS_MAX 100000
/* "path" plus this many " INO" stays under the daemon's 4 KiB line. */
#define PATHS_PER_CMD 150

struct path_node {
	uint64_t ino;
	char *path; /* NULL: the daemon knows none */
};

static int cmp_node(const void *a, const void *b)
{
	const struct path_node *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void free_node(void *n)
{
	free(((struct path_node *)n)->path);
	free(n);
}

void paths_init(struct paths *p, const struct gmount *m)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
}

void paths_forget(struct paths *p)
{
	tdestroy(p->root, free_node);
	p->root = NULL;
	p->count = 0;
}

void paths_free(struct paths *p)
{
	paths_forget(p);
	free(p->want);
	p->want = NULL;
	p->nwant = p->maxwant = 0;
}

static struct path_node *lookup(struct paths *p, uint64_t ino)
{
	struct path_node key = {.ino = ino}, **n;

	n = tfind(&key, &p->root, cmp_node);
	return n ? *n : NULL;
}

void paths_drop(struct paths *p, uint64_t ino)
{
	struct path_node *n = lookup(p, ino);

	if (!n)
		return;
	tdelete(n, &p->root, cmp_node);
	free_node(n);
	p->count--;
}

/* Sets the path of @ino (a copy of @path, which may be NULL). */
static void set_path(struct paths *p, uint64_t ino, const char *path)
{
	struct path_node *n = lookup(p, ino), **slot;

	if (!n) {
		if (p->count >= PATHS_MAX)
			paths_forget(p);
		n = fsi_xcalloc(1, sizeof(*n));
		n->ino = ino;
		slot = tsearch(n, &p->root, cmp_node);
		if (!slot)
			errx(FSI_EXIT_FATAL, "cannot allocate memory");
		p->count++;
	}
	free(n->path);
	n->path = path ? fsi_xstrdup(path) : NULL;
}

static void queue(struct paths *p, uint64_t ino)
{
	size_t i;

	for (i = 0; i < p->nwant; i++)
		if (p->want[i] == ino)
			return;
	if (p->nwant == p->maxwant) {
		p->maxwant = p->maxwant ? p->maxwant * 2 : 64;
		p->want = fsi_xrealloc(p->want, p->maxwant, sizeof(*p->want));
	}
	p->want[p->nwant++] = ino;
}

const char *paths_get(struct paths *p, uint64_t ino)
{
	struct path_node *n;

	if (!ino)
		return NULL;
	n = lookup(p, ino);
	if (n)
		return n->path;
	if (!p->disabled)
		queue(p, ino);
	return NULL;
}

/* Stores the answers of one "path" reply. */
static void store_reply(struct paths *p, json_object *reply,
			const uint64_t *inos, size_t n)
{
	json_object *map, *v;
	char key[24];
	size_t i;

	if (!json_object_object_get_ex(reply, "paths", &map))
		return;
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%" PRIu64, inos[i]);
		if (!json_object_object_get_ex(map, key, &v))
			continue;
		set_path(p, inos[i],
			 json_object_is_type(v, json_type_string)
				 ? json_object_get_string(v)
				 : NULL);
	}
}

static int ask(struct paths *p, const uint64_t *inos, size_t n)
{
	char cmd[PATHS_PER_CMD * 21 + 8];
	json_object *reply;
	size_t i, used;
	int rc;

	used = (size_t)snprintf(cmd, sizeof(cmd), "path");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(cmd + used, sizeof(cmd) - used,
					 " %" PRIu64, inos[i]);
	rc = gmount_ctl(p->m, cmd, &reply);
	if (!rc)
		store_reply(p, reply, inos, n);
	json_object_put(reply);
	return rc;
}

int paths_resolve(struct paths *p)
{
	size_t i, n;
	int rc = 0;

	for (i = 0; i < p->nwant && !rc; i += n) {
		n = p->nwant - i < PATHS_PER_CMD ? p->nwant - i : PATHS_PER_CMD;
		rc = ask(p, p->want + i, n);
	}
	p->nwant = 0;
	if (rc && !p->disabled) {
		warnx("cannot ask the daemon of '%s' for paths: %s; paths are "
		      "no longer shown",
		      p->m->mountpoint, strerror(-rc));
		p->disabled = true;
	}
	return rc;
}

void paths_learn(struct paths *p, uint64_t parent, const char *name,
		 uint64_t ino)
{
	struct path_node *dir = lookup(p, parent);
	char *path;

	if (!ino || !dir || !dir->path || !*name)
		return;
	path = fsi_xasprintf("%s%s%s", dir->path,
			     strcmp(dir->path, "/") ? "/" : "", name);
	set_path(p, ino, path);
	free(path);
}
