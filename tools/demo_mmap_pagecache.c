// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_pagecache.c - C6, which the article gets wrong: mmap does
 * not bypass the page cache; a shared file mapping maps the page cache's
 * own pages.
 *
 * A child maps a cold file and reads every page through the mapping.
 * While it holds the mapping: cachestat counts the file's pages in the
 * page cache, the daemon shows the READ requests that filled them, the
 * child's pagemap shows its pages are file pages (not private copies)
 * and, as root, kpageflags shows them on the page cache's LRU lists and
 * the same physical frames as a second mapping in another process;
 * meminfo's Cached and Mapped grow.  Then a read(2) of the file costs
 * no READ: the same pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kernel-page-flags.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_PAGES 2048ULL
#define FILE_SIZE (FILE_PAGES * fsi_page_size)

enum { STEP_TOUCH, STEP_READ };

static int child(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	int fd = demo_open(c, "file", O_RDONLY);
	volatile const char *p;
	uint64_t i, sum = 0;

	if (fd < 0)
		return fd;
	p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd); /* the mapping holds the file */
	if (p == MAP_FAILED)
		return -errno;
	ch->sh->step[STEP_TOUCH].v[0] = (uint64_t)(uintptr_t)p;
	demo_step_begin(ch, STEP_TOUCH);
	for (i = 0; i < FILE_PAGES; i++)
		sum += (unsigned char)p[i * fsi_page_size];
	demo_step_end(ch, STEP_TOUCH, (int64_t)sum);
	demo_child_pause(ch);
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	demo_step_begin(ch, STEP_READ);
	demo_step_end(ch, STEP_READ, demo_read_all(fd, 0, 0, 1 << 20));
	close(fd);
	return 0;
}

struct figs {
	struct pc_stat before, mapped;
	struct demo_reqs touch, read;
	struct demo_step s[2];
	struct pm_mapping map;
	bool have_map;
	uint64_t lru_file; /* file pages on an LRU list (kpageflags) */
	uint64_t same_pfn; /* frames equal to our own mapping's */
	uint64_t resident; /* mincore of our own, untouched mapping */
	uint64_t cached_kb0, cached_kb1, mapped_kb0, mapped_kb1;
};

static void count_lru(uint64_t pgoff, uint64_t kflags, uint64_t count,
		      bool filepage, void *arg)
{
	uint64_t *n = arg;

	if (*n == FSI_UNKNOWN)
		return;
	if (kflags == FSI_UNKNOWN) {
		*n = FSI_UNKNOWN;
		return;
	}
	if (filepage && (kflags & (1ULL << KPF_LRU)) &&
	    !(kflags & (1ULL << KPF_ANON)))
		(*n)++;
}

/* Our own mapping of the file, untouched: mincore says which pages are
 * in the page cache; touched, its frames compare with the child's. */
static void own_mapping(int fd, pid_t child, uint64_t child_addr,
			struct figs *f)
{
	uint64_t *mine, *theirs, i, n = FILE_PAGES;
	unsigned char *vec = malloc(n);
	volatile const char *p;

	f->resident = f->same_pfn = FSI_UNKNOWN;
	p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || !vec)
		goto out;
	if (mincore((void *)p, FILE_SIZE, vec) == 0)
		for (f->resident = 0, i = 0; i < n; i++)
			f->resident += vec[i] & 1;
	for (i = 0; i < n; i++)
		(void)p[i * fsi_page_size];
	mine = fsi_xcalloc(n, sizeof(*mine));
	theirs = fsi_xcalloc(n, sizeof(*theirs));
	if (!demo_pfns(getpid(), (uintptr_t)p, n, mine) &&
	    !demo_pfns(child, child_addr, n, theirs) && mine[0])
		for (f->same_pfn = 0, i = 0; i < n; i++)
			f->same_pfn += mine[i] && mine[i] == theirs[i];
	free(mine);
	free(theirs);
out:
	if (p != MAP_FAILED)
		munmap((void *)p, FILE_SIZE);
	free(vec);
}

/* While the child holds its mapping. */
static void inspect(struct demo_ctx *c, int fd, struct demo_child *ch,
		    struct figs *f)
{
	demo_cache(fd, &f->mapped);
	f->cached_kb1 = demo_meminfo("Cached");
	f->mapped_kb1 = demo_meminfo("Mapped");
	f->have_map = demo_smaps(ch->pid, fd, &f->map) == 0;
	f->lru_file = 0;
	if (!f->have_map || pm_walk_pages(&f->map, count_lru, &f->lru_file))
		f->lru_file = FSI_UNKNOWN;
	own_mapping(fd, ch->pid, ch->sh->step[STEP_TOUCH].v[0], f);
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ch;
	uint64_t ino = demo_ino(fd), mark;
	int err, status;

	demo_cache(fd, &f->before);
	f->cached_kb0 = demo_meminfo("Cached");
	f->mapped_kb0 = demo_meminfo("Mapped");
	err = demo_child_start(&ch, child, c);
	if (err)
		return err;
	mark = dm_mark(c->mnt);
	err = demo_child_run(&ch);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, &f->touch);
	if (!err)
		inspect(c, fd, &ch, f);
	mark = dm_mark(c->mnt);
	if (!err)
		err = demo_child_run(&ch);
	if (err == -ECHILD)
		err = 0;
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, &f->read);
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	memcpy(f->s, ch.sh->step, sizeof(f->s));
	return err;
}

static uint64_t diff(uint64_t a, uint64_t b)
{
	return a == FSI_UNKNOWN || b == FSI_UNKNOWN || b < a ? FSI_UNKNOWN
							     : b - a;
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	const struct pm_pages *pg = &f->map.pages;

	demo_fig(c, "pages", FILE_PAGES, "pages", SRC_PROGRAM,
		 "file pages, each read once through the mapping");
	demo_fig(c, "cached_before", f->before.cached, "pages", SRC_CACHESTAT,
		 "cached before mapping");
	demo_fig_reads(c, "touch", &f->touch, "reading through the mapping");
	demo_fig(c, "touch_majflt", f->s[STEP_TOUCH].majflt, "faults",
		 SRC_RUSAGE, "its major page faults");
	demo_fig(c, "cached_mapped", f->mapped.cached, "pages", SRC_CACHESTAT,
		 "cached while mapped");
	demo_fig(c, "resident", f->resident, "pages", SRC_MINCORE,
		 "in the page cache, by mincore of an untouched mapping");
	demo_fig(c, "map_rss", f->have_map ? f->map.rss : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, "the child's mapping: Rss");
	demo_fig(c, "map_present", f->have_map ? pg->present : FSI_UNKNOWN,
		 "pages", SRC_PAGEMAP, "present in its page table");
	demo_fig(c, "map_cow", f->have_map ? pg->cow : FSI_UNKNOWN, "pages",
		 SRC_PAGEMAP, "of which private (anonymous) copies");
	demo_fig(c, "map_lru_file", f->lru_file, "pages", SRC_KPAGEFLAGS,
		 "of which file pages on the page cache's LRU lists");
	demo_fig(c, "same_frames", f->same_pfn, "pages", SRC_PAGEMAP,
		 "same physical frame in a second process's mapping");
	demo_fig(c, "meminfo_cached", diff(f->cached_kb0, f->cached_kb1),
		 "bytes", SRC_MEMINFO, "growth of Cached (machine-wide)");
	demo_fig(c, "meminfo_mapped", diff(f->mapped_kb0, f->mapped_kb1),
		 "bytes", SRC_MEMINFO, "growth of Mapped (machine-wide)");
	demo_fig_reads(c, "read_after", &f->read, "read(2) after");
	demo_fig(c, "read_after_inblock", f->s[STEP_READ].inblock, "bytes",
		 SRC_RUSAGE, "read(2) after: storage reads accounted");
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	uint64_t back =
		f->read.known ? f->read.read_bytes : f->s[STEP_READ].inblock;
	uint64_t file_pages =
		f->have_map ? f->map.pages.present - f->map.pages.cow : 0;

	if (!f->have_map || f->mapped.cached == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the mapping or the page cache "
			     "could not be measured");
	else if (f->mapped.cached >= FILE_PAGES && file_pages >= FILE_PAGES &&
		 back == 0)
		demo_verdict(c, DEMO_REFUTED,
			     "the %llu pages mapped are file pages, all %llu "
			     "are in the page cache while mapped, and a read() "
			     "afterwards fetched nothing from storage: the "
			     "mapping and read() share the page cache",
			     (unsigned long long)file_pages,
			     (unsigned long long)f->mapped.cached);
	else if (f->map.pages.present > 0 && f->mapped.cached == 0)
		demo_verdict(c, DEMO_REPRODUCED,
			     "the mapping had pages while the page cache held "
			     "none of the file");
	else
		demo_verdict(c, DEMO_PARTLY,
			     "%llu of %llu pages cached while mapped, %llu "
			     "file pages mapped, %llu bytes fetched by the "
			     "read() afterwards",
			     (unsigned long long)f->mapped.cached,
			     (unsigned long long)FILE_PAGES,
			     (unsigned long long)file_pages,
			     (unsigned long long)back);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c,
		  "the article says mmap bypasses the page cache, has "
		  "nothing to do with kernel memory and needs one copy: a "
		  "shared file mapping maps the page cache's own pages into "
		  "the process (same frames in every process, counted in "
		  "Cached and Mapped); the one copy is the one into the page "
		  "cache (storage -> page cache), exactly as for read(2); "
		  "what mmap saves is the second copy, page cache -> buffer");
	if (c->mnt)
		demo_note(c,
			  "on FUSE the mapping's page faults reach the "
			  "daemon as the same READ requests a read(2) miss "
			  "would send (%llu here)",
			  (unsigned long long)f->touch.reads);
	if (f->same_pfn == FSI_UNKNOWN || f->lru_file == FSI_UNKNOWN)
		demo_note(c, "physical frames and page flags are shown to root "
			     "only (/proc/PID/pagemap, /proc/kpageflags)");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	uint64_t left;
	int fd, err;

	err = demo_file(c, "file", FILE_SIZE, 'p');
	if (!err)
		err = demo_evict(c, "file", &left);
	if (err)
		return err;
	demo_did(c, "wrote an 8 MiB file and dropped its pages (%llu left)",
		 (unsigned long long)left);
	demo_did(c, "a child mapped it (MAP_SHARED, read-only) and read one "
		    "byte of every page through the mapping");
	demo_did(c, "while it held the mapping: cachestat of the file, the "
		    "child's smaps and pagemap, and a second mapping of ours "
		    "(mincore before touching it, frames after)");
	demo_did(c, "then the child read the file with read(2)");
	fd = demo_open(c, "file", O_RDONLY);
	if (fd < 0)
		return fd;
	err = measure(c, fd, &f);
	close(fd);
	if (err)
		return err;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo mmap_pagecache_demo = {
	.name = "mmap-pagecache",
	.claim = "C6",
	.summary = "a shared mapping maps the page cache's own pages",
	.statement = "mmap \"bypasses the page cache\", \"has nothing to do "
		     "with kernel memory\", and so needs only one copy.",
	.rule = "file = map_present - map_cow; back = read_after_read_bytes "
		"(when measured, else read_after_inblock). refuted: "
		"cached_mapped >= pages, file >= pages and back = 0. "
		"reproduced: map_present > 0 and cached_mapped = 0. unknown "
		"when map_present or cached_mapped is unknown. Otherwise "
		"partly.",
	.keys = "cached_mapped,map_present,map_cow,same_frames,"
		"read_after_reads",
	.run = run,
};
