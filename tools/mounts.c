// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mounts.c - the mount table, from /proc/self/mountinfo.
 *
 * Layer: identity.  The table is read once per run: fsinspect does not
 * follow mounts appearing while it runs.  Several mounts of one device
 * (bind mounts) share a type, so for a device the first line found wins;
 * for a mountpoint the last, which is the mount on top.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsinspect.h"
#include "mounts.h"

static struct mnt_entry *mnt_table;
static size_t mnt_count;
static bool mnt_loaded;

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* The user_id= option of a FUSE mount's super options, else 0. */
static uid_t owner_of(const char *opts)
{
	const char *p = strstr(opts, "user_id=");

	return p ? (uid_t)strtoul(p + 8, NULL, 10) : 0;
}

/*
 * "36 35 0:40 / /mnt rw,relatime - fuse.glassfs /x.db rw,user_id=0":
 * fields 3 and 5, then after " - " the type, source and super options.
 */
static int parse_line(char *line, struct mnt_entry *e)
{
	char *mnt, *type, *src, *opts, *sep, *save = NULL;
	unsigned maj, min;
	int n = 0;

	sep = strstr(line, " - ");
	if (!sep || sscanf(line, "%*d %*d %u:%u %*s %n", &maj, &min, &n) != 2 ||
	    !n)
		return -EINVAL;
	*sep = '\0';
	mnt = strtok_r(line + n, " ", &save);
	save = NULL;
	type = strtok_r(sep + 3, " \n", &save);
	src = strtok_r(NULL, " \n", &save);
	opts = strtok_r(NULL, " \n", &save);
	if (!mnt || !type || !src)
		return -EINVAL;
	unescape(mnt);
	unescape(src);
	e->mountpoint = fsi_xstrdup(mnt);
	e->source = fsi_xstrdup(src);
	e->fstype = fsi_xstrdup(type);
	e->dev = makedev(maj, min);
	e->owner = opts ? owner_of(opts) : 0;
	return 0;
}

static void load(void)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	mnt_loaded = true;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		warn("cannot open '/proc/self/mountinfo'");
		return;
	}
	while (getline(&line, &len, f) > 0) {
		struct mnt_entry e;

		if (parse_line(line, &e))
			continue;
		mnt_table = fsi_xrealloc(mnt_table, mnt_count + 1,
					 sizeof(*mnt_table));
		mnt_table[mnt_count++] = e;
	}
	free(line);
	fclose(f);
}

int mnt_by_dev(dev_t dev, const struct mnt_entry **out)
{
	size_t i;

	if (!mnt_loaded)
		load();
	for (i = 0; i < mnt_count; i++)
		if (mnt_table[i].dev == dev) {
			*out = &mnt_table[i];
			return 0;
		}
	return -ENOENT;
}

const char *mnt_fstype(dev_t dev)
{
	const struct mnt_entry *e;

	return mnt_by_dev(dev, &e) ? "unknown" : e->fstype;
}

bool mnt_is_fuse(dev_t dev)
{
	const char *t = mnt_fstype(dev);

	return !strcmp(t, "fuse") || !strncmp(t, "fuse.", 5) ||
	       !strcmp(t, "fuseblk");
}

/* Appends component @c of length @n to the absolute path @buf. */
static int append(char *buf, size_t size, const char *c, size_t n)
{
	size_t used = strlen(buf);

	if (used + 1 + n >= size)
		return -ENAMETOOLONG;
	if (used > 1 || buf[0] != '/')
		buf[used++] = '/';
	memcpy(buf + used, c, n);
	buf[used + n] = '\0';
	return 0;
}

/*
 * @path made absolute, without "." components or repeated slashes.  A
 * ".." is refused (-EINVAL): after a symbolic link it does not mean the
 * name before it, so only the kernel can resolve it.  getcwd(3) asks no
 * file system: the kernel builds it from its dentry cache.
 */
static int lexical_path(const char *path, char *buf, size_t size)
{
	const char *p = path;

	if (path[0] == '/')
		snprintf(buf, size, "/");
	else if (!getcwd(buf, size))
		return -errno;
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 2 && !strncmp(p, "..", 2))
			return -EINVAL;
		if (n && !(n == 1 && *p == '.') && append(buf, size, p, n))
			return -ENAMETOOLONG;
		p += n;
	}
	return 0;
}

static const struct mnt_entry *by_mountpoint(const char *abs)
{
	const struct mnt_entry *found = NULL;
	size_t i;

	if (!mnt_loaded)
		load();
	for (i = 0; i < mnt_count; i++)
		if (!strcmp(mnt_table[i].mountpoint, abs))
			found = &mnt_table[i];
	return found;
}

int mnt_find(const char *path, const struct mnt_entry **out)
{
	char abs[PATH_MAX];
	struct stat st;
	int rc;

	if (!lexical_path(path, abs, sizeof(abs))) {
		*out = by_mountpoint(abs);
		if (*out)
			return 0;
	}
	rc = fsi_stat_cached(AT_FDCWD, path, 0, &st);
	if (rc)
		return rc;
	return mnt_by_dev(st.st_dev, out);
}
