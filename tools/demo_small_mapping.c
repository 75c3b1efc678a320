// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_small_mapping.c - C14: a mapping wastes most of a page when the
 * data is small (100 bytes in a 4096-byte page).
 *
 * 256 files of 100 bytes each, cold.  A child reads each one with
 * read(2), no mapping at all: cachestat counts one page cached per file,
 * the daemon one READ per file.
 * Then the child maps each file (100 bytes) and reads it through the
 * mapping: smaps gives every mapping 4096 bytes of Size and Rss, but
 * cachestat counts no new page, pagemap shows the file's own pages, and
 * only the child's page tables grow: the page was already spent, by the
 * page cache.  The store, for comparison, keeps 100 bytes per file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define NFILES 256
#define DATA 100

enum { STEP_READ, STEP_MAP };

static void name_of(int i, char *buf, size_t len)
{
	snprintf(buf, len, "small%03d", i);
}

static int read_each(struct demo_ctx *c)
{
	char name[32], buf[DATA];
	int i, fd, n = 0;

	for (i = 0; i < NFILES; i++) {
		name_of(i, name, sizeof(name));
		fd = demo_open(c, name, O_RDONLY);
		if (fd < 0)
			return fd;
		n += read(fd, buf, sizeof(buf)) == DATA;
		close(fd);
	}
	return n;
}

/* Map each file's 100 bytes, read them; the mappings stay. */
static int map_each(struct demo_ctx *c, volatile const char **maps)
{
	char name[32];
	unsigned sum = 0;
	int i, j, fd;

	for (i = 0; i < NFILES; i++) {
		name_of(i, name, sizeof(name));
		fd = demo_open(c, name, O_RDONLY);
		if (fd < 0)
			return fd;
		maps[i] = mmap(NULL, DATA, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (maps[i] == MAP_FAILED)
			return -errno;
		for (j = 0; j < DATA; j++)
			sum += (unsigned char)maps[i][j];
	}
	return (int)(sum & 0xffff);
}

static int child(struct demo_child *ch, void *arg)
{
	static volatile const char *maps[NFILES];
	struct demo_ctx *c = arg;
	int i;

	demo_step_begin(ch, STEP_READ);
	demo_step_end(ch, STEP_READ, read_each(c));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_MAP);
	demo_step_end(ch, STEP_MAP, map_each(c, maps));
	demo_child_pause(ch);
	for (i = 0; i < NFILES; i++)
		if (maps[i] && maps[i] != MAP_FAILED)
			munmap((void *)maps[i], DATA);
	return 0;
}

/* The page cache and the child's page tables at one moment. */
struct snap {
	uint64_t cached; /* pages of our files (cachestat) */
	uint64_t pte;	 /* the child's VmPTE, bytes */
};

struct figs {
	struct snap cold, read, mapped;
	struct demo_reqs read_r, map_r;
	struct demo_step s[2];
	uint64_t nmaps, map_size, map_min, maps_size, maps_rss, maps_file;
	uint64_t store_bytes; /* of one file, from the daemon */
};

/* "VmPTE:" of /proc/PID/status, in bytes; FSI_UNKNOWN. */
static uint64_t vm_pte(pid_t pid)
{
	unsigned long long kb;
	uint64_t v = FSI_UNKNOWN;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return FSI_UNKNOWN;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %llu kB", &kb) == 1)
			v = (uint64_t)kb * 1024;
	fclose(f);
	return v;
}

static void snapshot(struct demo_ctx *c, pid_t pid, struct snap *s)
{
	struct pc_stat st;
	char name[32];
	int i, fd;

	s->cached = 0;
	for (i = 0; i < NFILES; i++) {
		name_of(i, name, sizeof(name));
		fd = demo_open(c, name, O_RDONLY);
		st.cached = FSI_UNKNOWN;
		if (fd >= 0) {
			demo_cache(fd, &st);
			close(fd);
		}
		fsi_add(&s->cached, st.cached);
	}
	s->pte = pid ? vm_pte(pid) : FSI_UNKNOWN;
}

static int make_files(struct demo_ctx *c)
{
	char name[32], buf[DATA];
	int i, fd, err = 0;

	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < NFILES && !err; i++) {
		name_of(i, name, sizeof(name));
		fd = demo_open(c, name, O_WRONLY | O_CREAT | O_TRUNC);
		if (fd < 0)
			return fd;
		if (write(fd, buf, sizeof(buf)) != DATA)
			err = -EIO;
		if (close(fd) < 0 && !err)
			err = -errno;
	}
	return err;
}

/* Every file cold: one remount of a scratch mount, else each dropped. */
static int evict_all(struct demo_ctx *c)
{
	char name[32];
	const char *how;
	uint64_t left;
	int i, err = 0;

	if (c->scratch)
		return demo_reload(c, "small000", &how);
	for (i = 0; i < NFILES && !err; i++) {
		name_of(i, name, sizeof(name));
		err = demo_evict(c, name, &left);
	}
	return err;
}

/* The child's mappings of our files, from one scan of /proc. */
static void scan_maps(struct demo_ctx *c, pid_t pid, struct figs *f)
{
	struct pm_target t[NFILES];
	struct pm_scan scan;
	struct stat st;
	char name[32];
	size_t i;
	int k;

	f->nmaps = f->map_size = f->map_min = FSI_UNKNOWN;
	f->maps_size = f->maps_rss = f->maps_file = FSI_UNKNOWN;
	for (k = 0; k < NFILES; k++) {
		name_of(k, name, sizeof(name));
		if (fstatat(c->dirfd, name, &st, 0) < 0)
			return;
		t[k] = (struct pm_target){st.st_dev, st.st_ino, k};
	}
	if (pm_scan_maps(t, NFILES, true, &scan))
		return;
	f->nmaps = f->maps_size = f->maps_rss = f->maps_file = 0;
	f->map_min = UINT64_MAX - 1;
	for (i = 0; i < scan.nmaps; i++) {
		const struct pm_mapping *m = &scan.maps[i];

		if (m->pid != pid)
			continue;
		if (!f->nmaps++)
			f->map_size = m->end - m->start;
		if (m->end - m->start < f->map_min)
			f->map_min = m->end - m->start;
		f->maps_size += m->end - m->start;
		f->maps_rss += m->rss;
		f->maps_file += m->pages.present - m->pages.cow;
	}
	if (!f->nmaps)
		f->map_size = f->map_min = FSI_UNKNOWN;
	pm_scan_free(&scan);
}

/* What the store holds of one file (control "chunks"). */
static uint64_t store_bytes(struct demo_ctx *c)
{
	json_object *reply = NULL;
	struct stat st;
	uint64_t v = FSI_UNKNOWN;
	char cmd[64];

	if (!c->mnt || !c->mnt->ring_ok ||
	    fstatat(c->dirfd, "small000", &st, 0) < 0)
		return FSI_UNKNOWN;
	snprintf(cmd, sizeof(cmd), "chunks %llu",
		 (unsigned long long)st.st_ino);
	if (gmount_ctl(&c->mnt->gm, cmd, &reply) == 0)
		v = gmount_u64(reply, "bytes");
	json_object_put(reply);
	return v;
}

static int measure(struct demo_ctx *c, struct figs *f)
{
	struct demo_child ch;
	uint64_t mark;
	int err, e, status;

	snapshot(c, 0, &f->cold);
	err = demo_child_start(&ch, child, c);
	if (err)
		return err;
	mark = dm_mark(c->mnt);
	err = demo_child_run(&ch);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, 0, &f->read_r);
	if (!err)
		snapshot(c, ch.pid, &f->read);
	mark = dm_mark(c->mnt);
	if (!err)
		err = demo_child_run(&ch);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, 0, &f->map_r);
	if (!err) {
		snapshot(c, ch.pid, &f->mapped);
		scan_maps(c, ch.pid, f);
	}
	e = demo_child_run(&ch);
	if (!err && e && e != -ECHILD)
		err = e;
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	memcpy(f->s, ch.sh->step, sizeof(f->s));
	return err;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a == FSI_UNKNOWN || b == FSI_UNKNOWN || a < b ? FSI_UNKNOWN
							     : a - b;
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "files", NFILES, "files", SRC_PROGRAM,
		 "files of 100 bytes each");
	demo_fig(c, "data", DATA, "bytes", SRC_PROGRAM, "bytes in each");
	if (c->mnt)
		demo_fig(c, "store_bytes", store_bytes(c), "bytes", SRC_DAEMON,
			 "what the store keeps of one file");
	else
		demo_fig_na(c, "store_bytes", "bytes", SRC_DAEMON,
			    "what the store keeps of one file");
	demo_fig(c, "cold_cached", f->cold.cached, "pages", SRC_CACHESTAT,
		 "our files' pages cached before reading");
	demo_fig_reads(c, "read", &f->read_r, "read() of every file");
	demo_fig(c, "read_cached", f->read.cached, "pages", SRC_CACHESTAT,
		 "cached after read() alone, no mapping");
	demo_fig(c, "maps", f->nmaps, "mappings", SRC_SMAPS,
		 "the child's mappings of the files, then");
	demo_fig(c, "map_size", f->map_size, "bytes", SRC_SMAPS,
		 "size of one mapping of 100 bytes");
	demo_fig(c, "map_min", f->map_min, "bytes", SRC_SMAPS,
		 "smallest of them");
	demo_fig(c, "maps_size", f->maps_size, "bytes", SRC_SMAPS,
		 "Size of all of them");
	demo_fig(c, "maps_rss", f->maps_rss, "bytes", SRC_SMAPS,
		 "Rss of all of them");
	demo_fig(c, "maps_file", f->maps_file, "pages", SRC_PAGEMAP,
		 "present, and the file's own pages (not copies)");
	demo_fig_reads(c, "map", &f->map_r, "mapping and reading every file");
	demo_fig(c, "map_cached", f->mapped.cached, "pages", SRC_CACHESTAT,
		 "cached while mapped");
	demo_fig(c, "map_extra", minus(f->mapped.cached, f->read.cached),
		 "pages", SRC_CACHESTAT,
		 "pages the mappings added to the cache");
	demo_fig(c, "map_pte", minus(f->mapped.pte, f->read.pte), "bytes",
		 SRC_STATUS, "the child's page tables grew (VmPTE)");
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	uint64_t extra = minus(f->mapped.cached, f->read.cached);

	if (f->map_size == FSI_UNKNOWN || f->read.cached == FSI_UNKNOWN ||
	    extra == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the mappings or the page cache could not be "
			     "measured");
	else if (f->map_min < fsi_page_size)
		demo_verdict(
			c, DEMO_REFUTED,
			"a mapping of 100 bytes took %llu bytes, less than "
			"a page",
			(unsigned long long)f->map_min);
	else if (extra >= NFILES)
		demo_verdict(
			c, DEMO_REPRODUCED,
			"each mapping of 100 bytes took a page of its own: "
			"%llu pages were added to the cache by mapping",
			(unsigned long long)extra);
	else if (f->read.cached >= NFILES)
		demo_verdict(
			c, DEMO_PARTLY,
			"each 100-byte mapping is %llu bytes, %llu of them "
			"unused, but the page is the page cache's: read() "
			"alone cached %llu pages for %d files, and "
			"mapping them added %llu",
			(unsigned long long)f->map_size,
			(unsigned long long)(f->map_size - DATA),
			(unsigned long long)f->read.cached, NFILES,
			(unsigned long long)extra);
	else
		demo_verdict(
			c, DEMO_UNKNOWN,
			"read() cached %llu pages for %d files: fewer than "
			"one each",
			(unsigned long long)f->read.cached, NFILES);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c, "the unit of the page cache is the page: a 100-byte file "
		     "costs a 4096-byte page of memory as soon as it is read, "
		     "mapped or not; a mapping of it points at that page and "
		     "costs a page-table entry and a VMA, not a page");
	if (c->mnt && f->read_r.known)
		demo_note(c,
			  "on FUSE each file's first read was a READ request "
			  "(%llu for %d files); the mappings' faults found the "
			  "pages cached and sent %llu",
			  (unsigned long long)f->read_r.reads, NFILES,
			  (unsigned long long)f->map_r.reads);
	demo_note(c,
		  "the waste per file is 4096 - 100 = 3996 bytes of memory "
		  "in the page cache; on disk each file also takes a block, "
		  "while glassfs's store keeps only the bytes (store_bytes)");
	if (f->cold.cached != FSI_UNKNOWN && f->cold.cached >= NFILES)
		demo_note(c,
			  "%s could not drop the pages first (%llu cached "
			  "before reading): its page cache is the files",
			  c->fstype, (unsigned long long)f->cold.cached);
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	int err;

	err = make_files(c);
	if (!err)
		err = evict_all(c);
	if (err)
		return err;
	demo_did(c, "made 256 files of 100 bytes and dropped their pages");
	demo_did(c, "a child read each with read(2) into a 100-byte buffer "
		    "(no mapping); cachestat of each file");
	demo_did(c, "the child mapped each file's 100 bytes (MAP_SHARED) and "
		    "read them through the mapping, holding every mapping; "
		    "cachestat, its page tables, and one scan of its mappings");
	err = measure(c, &f);
	if (err)
		return err;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo small_mapping_demo = {
	.name = "small-mapping",
	.claim = "C14",
	.summary = "a 100-byte file costs a page: the page cache's, not the "
		   "mapping's",
	.statement = "A mapping wastes most of a page when the data is small "
		     "(100 bytes in a 4096-byte page).",
	.rule = "unknown when map_size, read_cached or map_extra is unknown. "
		"refuted: map_min < 4096. reproduced: map_extra >= files. "
		"partly: read_cached >= files. Otherwise unknown.",
	.keys = "map_size,maps_rss,read_cached,map_extra,store_bytes",
	.run = run,
};
