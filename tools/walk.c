// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * walk.c - PATH arguments to files, directories walked in name order.
 *
 * Layer: input.  Only regular files are listed: opening a FIFO or a
 * device to measure it would block or mean something else.  Entries of
 * directories that are not regular files (links, devices, sockets,
 * FIFOs) are skipped silently; such a PATH given on the command line is
 * an error.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fsinspect.h"
#include "walk.h"

static void add(struct walk_list *l, enum walk_kind kind, const char *path,
		const struct stat *st)
{
	struct walk_entry *e;

	l->v = fsi_xrealloc(l->v, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	e->kind = kind;
	e->path = fsi_xstrdup(path);
	e->st = *st;
}

static int stat_cached(const char *path, int flags, struct stat *st)
{
	return fsi_stat_cached(AT_FDCWD, path, flags, st);
}

static char *join(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	if (len && dir[len - 1] == '/')
		return fsi_xasprintf("%s%s", dir, name);
	return fsi_xasprintf("%s/%s", dir, name);
}

static int walk_dir(const char *path, const struct stat *dst,
		    struct walk_list *out);

static int walk_entry(const char *dir, const char *name, struct walk_list *out)
{
	char *path = join(dir, name);
	struct stat st;
	int failed = 0;

	if (stat_cached(path, AT_SYMLINK_NOFOLLOW, &st) < 0) {
		warn("cannot stat '%s'", path);
		failed = 1;
	} else if (S_ISDIR(st.st_mode)) {
		failed = walk_dir(path, &st, out);
	} else if (S_ISREG(st.st_mode)) {
		add(out, WALK_FILE, path, &st);
	}
	free(path);
	return failed;
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

static int walk_dir(const char *path, const struct stat *dst,
		    struct walk_list *out)
{
	struct dirent **names;
	int i, n, failed = 0;

	n = scandir(path, &names, skip_dots, alphasort);
	if (n < 0) {
		warn("cannot read directory '%s'", path);
		return 1;
	}
	add(out, WALK_DIR_BEGIN, path, dst);
	for (i = 0; i < n; i++) {
		failed += walk_entry(path, names[i]->d_name, out);
		free(names[i]);
	}
	free(names);
	add(out, WALK_DIR_END, path, dst);
	return failed;
}

int walk_paths(char *const *paths, int npaths, struct walk_list *out)
{
	int i, failed = 0;
	struct stat st;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < npaths; i++) {
		if (stat_cached(paths[i], 0, &st) < 0) {
			warn("cannot stat '%s'", paths[i]);
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			failed += walk_dir(paths[i], &st, out);
		} else if (S_ISREG(st.st_mode)) {
			add(out, WALK_FILE, paths[i], &st);
		} else {
			warnx("cannot inspect '%s': not a regular file",
			      paths[i]);
			failed++;
		}
	}
	return failed;
}

void walk_free(struct walk_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
