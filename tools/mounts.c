// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mounts.c - device number to file system type, from mountinfo.
 *
 * Layer: identity.  The table is read once per run: fsinspect does not
 * follow mounts appearing while it runs.  Several mounts of one device
 * (bind mounts) share a type, so the first line found wins.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fsinspect.h"
#include "mounts.h"

struct mnt_entry {
	dev_t dev;
	char *fstype;
};

static struct mnt_entry *mnt_table;
static size_t mnt_count;
static bool mnt_loaded;

/* "36 35 0:40 / /mnt rw - fuse.glassfs /x.db rw": device and type. */
static int parse_line(const char *line, struct mnt_entry *e)
{
	unsigned maj, min;
	const char *sep;
	char type[64];

	if (sscanf(line, "%*d %*d %u:%u", &maj, &min) != 2)
		return -1;
	sep = strstr(line, " - ");
	if (!sep || sscanf(sep + 3, "%63s", type) != 1)
		return -1;
	e->dev = makedev(maj, min);
	e->fstype = fsi_xstrdup(type);
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

const char *mnt_fstype(dev_t dev)
{
	size_t i;

	if (!mnt_loaded)
		load();
	for (i = 0; i < mnt_count; i++)
		if (mnt_table[i].dev == dev)
			return mnt_table[i].fstype;
	return "unknown";
}

bool mnt_is_fuse(dev_t dev)
{
	const char *t = mnt_fstype(dev);

	return !strcmp(t, "fuse") || !strncmp(t, "fuse.", 5) ||
	       !strcmp(t, "fuseblk");
}
