// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_shared.c - C10: two processes that map the same file share
 * it: the first faults the pages in from storage, the second faults too
 * but needs no copy from storage.
 *
 * A cold file; child A maps it and reads every page (major faults, READ
 * requests to the daemon), then holds its mapping while child B maps it
 * and reads every page (minor faults only, no READ).  While both hold
 * their mappings, pagemap gives each one's physical frames (the same),
 * kpagecount how many page tables map each frame (2), smaps their Pss
 * (half their Rss: each page is charged half to each), and cachestat
 * that the second mapping added no page to the cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_PAGES 64ULL
#define FILE_SIZE (FILE_PAGES * fsi_page_size)

enum { STEP_TOUCH };

/* Map the file, read a byte of every page, hold the mapping until the
 * parent lets go. */
static int mapper(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	int fd = demo_open(c, "file", O_RDONLY);
	volatile const char *p;
	uint64_t i, sum = 0;

	if (fd < 0)
		return fd;
	p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd); /* clean pages: this close writes nothing back */
	if (p == MAP_FAILED)
		return -errno;
	ch->sh->step[STEP_TOUCH].v[0] = (uint64_t)(uintptr_t)p;
	demo_step_begin(ch, STEP_TOUCH);
	for (i = 0; i < FILE_PAGES; i++)
		sum += (unsigned char)p[i * fsi_page_size];
	demo_step_end(ch, STEP_TOUCH, (int64_t)sum);
	demo_child_pause(ch);
	munmap((void *)p, FILE_SIZE);
	return 0;
}

/* One mapper's figures. */
struct side {
	struct demo_step s;
	struct demo_reqs reqs;
	struct pc_stat after; /* cachestat after its touch */
	struct pm_mapping map;
	bool have_map;
	uint64_t pfn[FILE_PAGES];
	bool have_pfn;
};

struct figs {
	struct pc_stat before;
	struct side a, b;
	uint64_t same_frames; /* present in both, equal frames */
	uint64_t mapcount2;   /* of those, kpagecount 2 */
};

/* Start a mapper and let it touch every page; its requests and the
 * page cache after. */
static int touch(struct demo_ctx *c, int fd, struct demo_child *ch,
		 struct side *s)
{
	uint64_t mark, ino = demo_ino(fd);
	int err = demo_child_start(ch, mapper, c);

	if (err)
		return err;
	mark = dm_mark(c->mnt);
	err = demo_child_run(ch);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, ino, &s->reqs);
	demo_cache(fd, &s->after);
	s->s = ch->sh->step[STEP_TOUCH];
	return err;
}

/* While both hold their mappings: smaps, frames, mapcounts. */
static void inspect(int fd, struct demo_child *ca, struct demo_child *cb,
		    struct figs *f)
{
	struct side *sd[2] = {&f->a, &f->b};
	struct demo_child *ch[2] = {ca, cb};
	uint64_t i, count;
	int k;

	for (k = 0; k < 2; k++) {
		sd[k]->have_map = demo_smaps(ch[k]->pid, fd, &sd[k]->map) == 0;
		sd[k]->have_pfn = demo_pfns(ch[k]->pid, sd[k]->s.v[0],
					    FILE_PAGES, sd[k]->pfn) == 0 &&
				  sd[k]->pfn[0];
	}
	f->same_frames = f->mapcount2 = FSI_UNKNOWN;
	if (!f->a.have_pfn || !f->b.have_pfn)
		return;
	f->same_frames = f->mapcount2 = 0;
	for (i = 0; i < FILE_PAGES; i++) {
		if (!f->a.pfn[i] || f->a.pfn[i] != f->b.pfn[i])
			continue;
		f->same_frames++;
		demo_kpage(f->a.pfn[i], NULL, &count);
		if (count == FSI_UNKNOWN)
			f->mapcount2 = FSI_UNKNOWN;
		else if (f->mapcount2 != FSI_UNKNOWN && count == 2)
			f->mapcount2++;
	}
}

static int finish(struct demo_child *ch, int err)
{
	int status, e;

	if (ch->pid <= 0)
		return err;
	e = demo_child_run(ch);
	if (!err && e && e != -ECHILD)
		err = e;
	if (demo_child_end(ch, &status) == 0 && status && !err)
		err = -EIO;
	return err;
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ca = {0}, cb = {0};
	int err;

	demo_cache(fd, &f->before);
	err = touch(c, fd, &ca, &f->a);
	if (!err)
		err = touch(c, fd, &cb, &f->b);
	/* Each is paused holding its mapping: look now. */
	if (!err)
		inspect(fd, &ca, &cb, f);
	err = finish(&cb, err);
	return finish(&ca, err);
}

/* Whether @s read from storage: its READs, else its major faults. */
static bool from_storage(const struct side *s)
{
	return s->reqs.known ? s->reqs.read_bytes > 0 : s->s.majflt > 0;
}

static void publish_side(struct demo_ctx *c, const char *k,
			 const struct side *s, const char *who)
{
	char key[64], what[128];

#define KEY(x) (snprintf(key, sizeof(key), "%s_%s", k, x), key)
#define WHAT(x) (snprintf(what, sizeof(what), "%s: %s", who, x), what)
	demo_fig(c, KEY("majflt"), s->s.majflt, "faults", SRC_RUSAGE,
		 WHAT("major page faults"));
	demo_fig(c, KEY("minflt"), s->s.minflt, "faults", SRC_RUSAGE,
		 WHAT("minor page faults"));
	snprintf(key, sizeof(key), "%s", k);
	demo_fig_reads(c, key, &s->reqs, who);
	demo_fig(c, KEY("cached"), s->after.cached, "pages", SRC_CACHESTAT,
		 WHAT("file pages cached afterwards"));
	demo_fig(c, KEY("rss"), s->have_map ? s->map.rss : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, WHAT("Rss of its mapping, both mapped"));
	demo_fig(c, KEY("pss"), s->have_map ? s->map.pss : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, WHAT("Pss of its mapping, both mapped"));
	demo_fig_real(c, KEY("time_ms"), s->s.wall_ns / 1e6, "ms", SRC_CLOCK,
		      WHAT("time to read every page"));
#undef KEY
#undef WHAT
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "pages", FILE_PAGES, "pages", SRC_PROGRAM,
		 "file pages, each read once by each process");
	demo_fig(c, "cached_before", f->before.cached, "pages", SRC_CACHESTAT,
		 "cached before the first mapping");
	publish_side(c, "a", &f->a, "first process");
	publish_side(c, "b", &f->b, "second process");
	demo_fig(c, "same_frames", f->same_frames, "pages", SRC_PAGEMAP,
		 "pages at the same physical frame in both");
	demo_fig(c, "mapcount2", f->mapcount2, "pages", SRC_KPAGEFLAGS,
		 "of those, mapped by exactly 2 page tables (kpagecount)");
}

static bool shared(const struct figs *f)
{
	if (f->same_frames != FSI_UNKNOWN)
		return f->same_frames == FILE_PAGES;
	/* Without frames (not root): Pss is Rss split between mappers. */
	return f->b.have_map && f->b.map.rss &&
	       f->b.map.pss * 2 == f->b.map.rss;
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	bool a_st = from_storage(&f->a), b_st = from_storage(&f->b);
	bool b_fault = f->b.s.minflt + f->b.s.majflt > 0;

	if (!f->b.have_map || f->a.after.cached == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the second mapping or the page cache could not "
			     "be measured");
	else if (b_st ||
		 (f->same_frames != FSI_UNKNOWN && f->same_frames < FILE_PAGES))
		demo_verdict(c, DEMO_REFUTED,
			     "the second process read from storage again, or "
			     "mapped other frames (%llu of %llu the same)",
			     (unsigned long long)f->same_frames,
			     (unsigned long long)FILE_PAGES);
	else if (a_st && b_fault && shared(f))
		demo_verdict(c, DEMO_REPRODUCED,
			     "the first process faulted the pages in from "
			     "storage (%llu major faults, %llu READ bytes); "
			     "the second took %llu minor and %llu major "
			     "faults, read nothing from storage, and mapped "
			     "the very same frames",
			     (unsigned long long)f->a.s.majflt,
			     (unsigned long long)f->a.reqs.read_bytes,
			     (unsigned long long)f->b.s.minflt,
			     (unsigned long long)f->b.s.majflt);
	else
		demo_verdict(c, DEMO_PARTLY,
			     "the second process read nothing from storage "
			     "and shared the pages, but the first did not "
			     "fault them in from storage either (%llu pages "
			     "cached before: %s)",
			     (unsigned long long)f->before.cached, c->fstype);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c, "sharing is the page cache's doing: both page tables "
		     "point at the page cache's frames, so the second "
		     "process's faults only fill its page table (minor "
		     "faults); fault-around maps up to 16 cached neighbours "
		     "per fault, hence fewer faults than pages");
	if (f->a.have_map && f->a.map.pss && f->a.map.rss)
		demo_note(c,
			  "smaps charges each shared page half to each "
			  "process: Pss %llu of Rss %llu bytes",
			  (unsigned long long)f->a.map.pss,
			  (unsigned long long)f->a.map.rss);
	if (c->mnt && f->a.reqs.known)
		demo_note(c,
			  "on FUSE the first process's major faults were %llu "
			  "READ requests of up to %llu bytes (readahead); the "
			  "second sent the daemon nothing",
			  (unsigned long long)f->a.reqs.reads,
			  (unsigned long long)f->a.reqs.read_max);
	if (f->same_frames == FSI_UNKNOWN)
		demo_note(c, "physical frames and mapcounts are shown to root "
			     "only; sharing was judged from Pss = Rss / 2");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	uint64_t left;
	int fd, err;

	err = demo_file(c, "file", FILE_SIZE, 's');
	if (!err)
		err = demo_evict(c, "file", &left);
	if (err)
		return err;
	demo_did(c, "wrote a 256 KiB file and dropped its pages (%llu left)",
		 (unsigned long long)left);
	demo_did(c, "process A mapped it (MAP_SHARED, read-only) and read a "
		    "byte of every page, then held its mapping");
	demo_did(c, "process B mapped it and read a byte of every page too");
	demo_did(c, "while both held their mappings: smaps, pagemap frames "
		    "and kpagecount of each page, cachestat");
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

const struct demo mmap_shared_demo = {
	.name = "mmap-shared",
	.claim = "C10",
	.summary = "a second process maps the first one's pages, no storage "
		   "read",
	.statement = "Two processes that map the same file share it: the "
		     "first faults the page in from storage, the second also "
		     "faults but needs no copy from storage.",
	.rule = "X_storage = X_read_bytes > 0 when measured, else X_majflt > "
		"0. shared = same_frames = pages when measured, else b_rss > 0 "
		"and b_pss * 2 = b_rss. unknown when b_rss or a_cached is "
		"unknown. "
		"refuted: b_storage, or same_frames < pages. reproduced: "
		"a_storage, b_minflt + b_majflt > 0 and shared. Otherwise "
		"partly.",
	.keys = "a_majflt,a_reads,b_minflt,b_majflt,b_reads,same_frames,"
		"mapcount2",
	.run = run,
};
