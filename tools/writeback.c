// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * writeback.c - see writeback.h.  The three sources are "Name: value"
 * files (or a single number); a missing file means the interface is not
 * mounted or not built, and its figures stay unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsinspect.h"
#include "writeback.h"

/* The value of "@name:" in a "Name: value kB" file, or FSI_UNKNOWN. */
static uint64_t field(const char *path, const char *name)
{
	size_t len = strlen(name);
	uint64_t v = FSI_UNKNOWN;
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return FSI_UNKNOWN;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			v = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static uint64_t number(const char *path)
{
	unsigned long long v;
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return FSI_UNKNOWN;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? (uint64_t)v : FSI_UNKNOWN;
}

void wb_read(unsigned major, unsigned minor, struct wb_info *out)
{
	char path[96];

	out->dirty_kb = field("/proc/meminfo", "Dirty");
	out->writeback_kb = field("/proc/meminfo", "Writeback");
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/waiting",
		 minor);
	out->waiting = number(path);
	snprintf(path, sizeof(path), "/sys/kernel/debug/bdi/%u:%u/stats", major,
		 minor);
	out->bdi_writeback_kb = field(path, "BdiWriteback");
	out->bdi_reclaimable_kb = field(path, "BdiReclaimable");
	out->bdi_thresh_kb = field(path, "BdiDirtyThresh");
	out->bdi_dirtied_kb = field(path, "BdiDirtied");
	out->bdi_written_kb = field(path, "BdiWritten");
}
