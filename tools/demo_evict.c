// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_evict.c - C3: pages leave the page cache when dropped or under
 * memory pressure, and the next read goes back to storage.
 *
 * Three ways out, each followed by a read of the file: posix_fadvise
 * DONTNEED (any user), /proc/sys/vm/drop_caches (root), and reclaim in a
 * small memory cgroup of our own (root, a memory controller we may
 * create groups in).  cachestat shows the pages leaving and whether the
 * kernel kept a shadow entry (its "evicted" counter: reclaim does,
 * explicit dropping does not); the daemon's READ requests show the next
 * read going back to storage; the cgroup's own statistics count the
 * refaults.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define TARGET_SIZE (8ULL << 20)
#define PRESSURE_SIZE (48ULL << 20)
#define CG_LIMIT (16ULL << 20)

enum act { ACT_READ, ACT_JOIN_READ, ACT_PRESSURE };
enum way { WAY_FADVISE, WAY_DROP, WAY_PRESSURE, NWAYS };

static const char *const way_key[NWAYS] = {"fadvise", "drop", "pressure"};

struct plan {
	struct demo_ctx *c;
	char cgroup[4096]; /* "" when there is no cgroup to join */
	enum act act[8];
	int nact;
};

/* A fresh cgroup in our own memory cgroup (v1 hierarchy), or -errno. */
struct cgroup {
	char path[4096];
	int undo;
};

static int join_cgroup(const char *cg)
{
	char p[4200], pid[32];
	int fd, err = 0;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, pid, strlen(pid)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int64_t act(const struct plan *pl, enum act a)
{
	int fd, err;
	int64_t n;

	if (a == ACT_JOIN_READ && (err = join_cgroup(pl->cgroup)))
		return err;
	fd = demo_open(pl->c, a == ACT_PRESSURE ? "pressure" : "target",
		       O_RDONLY);
	if (fd < 0)
		return fd;
	n = demo_read_all(fd, 0, 0, 1 << 20);
	close(fd);
	return n;
}

static int child(struct demo_child *ch, void *arg)
{
	const struct plan *pl = arg;
	int i;

	for (i = 0; i < pl->nact; i++) {
		int64_t n;

		if (i)
			demo_child_pause(ch);
		demo_step_begin(ch, i);
		n = act(pl, pl->act[i]);
		demo_step_end(ch, i, n);
		if (n < 0)
			return (int)n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The memory cgroup                                                  */
/* ------------------------------------------------------------------ */

/* Our own memory cgroup directory (cgroup v1 "memory" controller). */
static int own_memcg(char *out, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path;

		if (!ctl || !(path = strchr(ctl + 1, ':')))
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(ctl + 1, "memory"))
			continue;
		snprintf(out, len, "/sys/fs/cgroup/memory%s",
			 strcmp(path, "/") ? path : "");
		err = access(out, W_OK) ? -errno : 0;
		break;
	}
	fclose(f);
	return err;
}

static void remove_cgroup(void *arg)
{
	struct cgroup *cg = arg;

	/* Its only task has exited; v1 moves the charges to the parent. */
	if (rmdir(cg->path) < 0 && errno != ENOENT)
		warn("cannot remove cgroup '%s'", cg->path);
}

static int write_to(const char *dir, const char *file, uint64_t v)
{
	char p[4200], s[32];
	int fd, err = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	snprintf(s, sizeof(s), "%llu\n", (unsigned long long)v);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int make_cgroup(struct cgroup *cg)
{
	char parent[3800];
	int err = own_memcg(parent, sizeof(parent));

	if (err)
		return err;
	snprintf(cg->path, sizeof(cg->path), "%s/fsinspect-demo.%d", parent,
		 (int)getpid());
	if (mkdir(cg->path, 0755) < 0)
		return -errno;
	cg->undo = demo_undo_push(remove_cgroup, cg);
	return write_to(cg->path, "memory.limit_in_bytes", CG_LIMIT);
}

/* The number in the cgroup's file @file; FSI_UNKNOWN. */
static uint64_t memcg_value(const struct cgroup *cg, const char *file)
{
	char p[4200];
	unsigned long long v;
	uint64_t out = FSI_UNKNOWN;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", cg->path, file);
	f = fopen(p, "re");
	if (f && fscanf(f, "%llu", &v) == 1)
		out = v;
	if (f)
		fclose(f);
	return out;
}

/* A counter of the cgroup's memory.stat; FSI_UNKNOWN. */
static uint64_t memcg_stat(const struct cgroup *cg, const char *field)
{
	char p[4200], name[64];
	unsigned long long v;
	uint64_t out = FSI_UNKNOWN;
	FILE *f;

	snprintf(p, sizeof(p), "%s/memory.stat", cg->path);
	f = fopen(p, "re");
	if (!f)
		return FSI_UNKNOWN;
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		if (!strcmp(name, field)) {
			out = v;
			break;
		}
	fclose(f);
	return out;
}

/* ------------------------------------------------------------------ */
/* Measuring                                                          */
/* ------------------------------------------------------------------ */

struct way_figs {
	bool tried;
	const char *why;	      /* not tried: because */
	struct pc_stat before, after; /* around the dropping */
	struct demo_reqs reread;
	struct demo_step step;
	uint64_t refaults; /* pressure: the cgroup's refaults */
	int64_t pressed;   /* pressure: bytes the child read in the cgroup */
};

struct figs {
	struct way_figs w[NWAYS];
	uint64_t limit; /* the cgroup's limit, read back */
};

struct run {
	struct demo_ctx *c;
	struct demo_child ch;
	int fd, step;
	uint64_t ino;
	struct cgroup cg;
	bool have_cg;
};

/* The child's next step, and the daemon's requests for the target. */
static int next(struct run *r, struct demo_reqs *reqs)
{
	uint64_t mark = dm_mark(r->c->mnt);
	int err = demo_child_run(&r->ch);

	r->step++;
	dm_settle(r->c->mnt);
	if (reqs)
		dm_requests(r->c->mnt, mark, r->ino, reqs);
	return err == -ECHILD ? 0 : err;
}

static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Drop the target's pages one way (the child has just cached them). */
static int drop(struct run *r, enum way w)
{
	switch (w) {
	case WAY_FADVISE:
		return pc_evict(r->fd);
	case WAY_DROP:
		r->c->own_drops++;
		return drop_caches();
	case WAY_PRESSURE:
		/* The child reads the pressure file in its cgroup. */
		return next(r, NULL);
	case NWAYS:
		break;
	}
	return -EINVAL;
}

static int one_way(struct run *r, enum way w, struct way_figs *f)
{
	uint64_t ref0;
	int err;

	demo_cache(r->fd, &f->before);
	err = drop(r, w);
	if (err)
		return err;
	if (w == WAY_PRESSURE)
		f->pressed = r->ch.sh->step[r->step - 1].result;
	demo_cache(r->fd, &f->after);
	ref0 = r->have_cg ? memcg_stat(&r->cg, "workingset_refault_file")
			  : FSI_UNKNOWN;
	err = next(r, &f->reread);
	f->step = r->ch.sh->step[r->step - 1];
	if (ref0 != FSI_UNKNOWN) {
		uint64_t ref1 = memcg_stat(&r->cg, "workingset_refault_file");

		f->refaults = ref1 == FSI_UNKNOWN ? ref1 : ref1 - ref0;
	}
	f->tried = true;
	return err;
}

/* What the child does, given what we may do. */
static void make_plan(struct run *r, struct plan *pl, struct figs *f)
{
	int n = 0;

	pl->c = r->c;
	pl->act[n++] = ACT_READ; /* cache it */
	pl->act[n++] = ACT_READ; /* after fadvise */
	f->w[WAY_DROP].why = "needs root";
	if (r->c->root) {
		pl->act[n++] = ACT_READ; /* after drop_caches */
		f->w[WAY_DROP].why = NULL;
	}
	if (r->have_cg) {
		snprintf(pl->cgroup, sizeof(pl->cgroup), "%s", r->cg.path);
		pl->act[n++] = ACT_JOIN_READ;
		pl->act[n++] = ACT_PRESSURE;
		pl->act[n++] = ACT_READ;
	}
	pl->nact = n;
}

static int measure(struct run *r, struct figs *f)
{
	struct plan pl = {0};
	int err, status;

	make_plan(r, &pl, f);
	err = demo_child_start(&r->ch, child, &pl);
	if (err)
		return err;
	err = next(r, NULL);
	if (!err)
		err = one_way(r, WAY_FADVISE, &f->w[WAY_FADVISE]);
	if (!err && r->c->root)
		err = one_way(r, WAY_DROP, &f->w[WAY_DROP]);
	if (!err && r->have_cg) {
		/* Uncharged, so that the child's read charges its cgroup. */
		pc_evict(r->fd);
		err = next(r, NULL);
		if (!err)
			err = one_way(r, WAY_PRESSURE, &f->w[WAY_PRESSURE]);
	}
	if (demo_child_end(&r->ch, &status) == 0 && status && !err)
		err = -EIO;
	return err;
}

/* ------------------------------------------------------------------ */
/* Figures and verdict                                                */
/* ------------------------------------------------------------------ */

static void fig(struct demo_ctx *c, enum way w, const char *suffix, uint64_t v,
		const char *unit, enum demo_src src, const char *what,
		bool tried)
{
	char *k = fsi_xasprintf("%s_%s", way_key[w], suffix);
	char *t = fsi_xasprintf("%s: %s", way_key[w], what);

	demo_fig(c, k, tried ? v : FSI_UNKNOWN, unit, src, t);
	free(k);
	free(t);
}

static void publish_way(struct demo_ctx *c, enum way w,
			const struct way_figs *f)
{
	char *k = fsi_xasprintf("%s_reread", way_key[w]);
	char *t = fsi_xasprintf("%s: next read", way_key[w]);

	fig(c, w, "cached_before", f->before.cached, "pages", SRC_CACHESTAT,
	    "cached before", f->tried);
	fig(c, w, "cached_after", f->after.cached, "pages", SRC_CACHESTAT,
	    "cached after", f->tried);
	fig(c, w, "evicted", f->after.evicted, "pages", SRC_CACHESTAT,
	    "shadow entries left (evicted)", f->tried);
	if (f->tried) {
		demo_fig_reads(c, k, &f->reread, t);
	} else {
		fig(c, w, "reread_reads", 0, "requests", SRC_DAEMON,
		    "next read: READ requests", false);
		fig(c, w, "reread_read_bytes", 0, "bytes", SRC_DAEMON,
		    "next read: bytes READ", false);
	}
	fig(c, w, "reread_inblock", f->step.inblock, "bytes", SRC_RUSAGE,
	    "next read: storage reads accounted", f->tried);
	free(k);
	free(t);
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "size", TARGET_SIZE, "bytes", SRC_PROGRAM, "file size");
	publish_way(c, WAY_FADVISE, &f->w[WAY_FADVISE]);
	publish_way(c, WAY_DROP, &f->w[WAY_DROP]);
	demo_fig(c, "pressure_limit",
		 f->w[WAY_PRESSURE].tried ? f->limit : FSI_UNKNOWN, "bytes",
		 SRC_MEMCG, "pressure: memory.limit_in_bytes of the cgroup");
	demo_fig(c, "pressure_read",
		 f->w[WAY_PRESSURE].tried && f->w[WAY_PRESSURE].pressed >= 0
			 ? (uint64_t)f->w[WAY_PRESSURE].pressed
			 : FSI_UNKNOWN,
		 "bytes", SRC_PROGRAM, "pressure: other file read in it");
	publish_way(c, WAY_PRESSURE, &f->w[WAY_PRESSURE]);
	fig(c, WAY_PRESSURE, "refaults", f->w[WAY_PRESSURE].refaults, "pages",
	    SRC_MEMCG, "next read: workingset_refault_file of the cgroup",
	    f->w[WAY_PRESSURE].tried);
}

/* Bytes the next read fetched from storage. */
static uint64_t back(const struct way_figs *f)
{
	return f->reread.known ? f->reread.read_bytes : f->step.inblock;
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	int tried = 0, gone = 0, both = 0, w;

	for (w = 0; w < NWAYS; w++) {
		const struct way_figs *x = &f->w[w];
		bool left;

		if (!x->tried || x->after.cached == FSI_UNKNOWN ||
		    x->before.cached == FSI_UNKNOWN)
			continue;
		tried++;
		left = x->after.cached < x->before.cached;
		gone += left;
		both += left && back(x) > 0;
	}
	if (!tried)
		demo_verdict(c, DEMO_UNKNOWN,
			     "no way of dropping pages could "
			     "be measured");
	else if (both == NWAYS)
		demo_verdict(c, DEMO_REPRODUCED,
			     "each way removed the file's pages, and each next "
			     "read fetched them from storage again");
	else if (!gone)
		demo_verdict(c, DEMO_REFUTED,
			     "no way tried removed a single page of the file "
			     "from the page cache");
	else
		demo_verdict(c, DEMO_PARTLY,
			     "%d of the %d ways tried removed pages and sent "
			     "the next read back to storage; %d of 3 ways "
			     "could be tried",
			     both, tried, tried);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	int w;

	for (w = 0; w < NWAYS; w++)
		if (f->w[w].why)
			demo_note(c, "%s: not tried (%s)", way_key[w],
				  f->w[w].why);
	if (f->w[WAY_PRESSURE].tried &&
	    f->w[WAY_PRESSURE].after.evicted != FSI_UNKNOWN)
		demo_note(c,
			  "cachestat's evicted counter comes from shadow "
			  "entries that only reclaim leaves behind (%llu "
			  "after pressure, %llu after fadvise): the kernel "
			  "uses them to notice refaults of a working set",
			  (unsigned long long)f->w[WAY_PRESSURE].after.evicted,
			  (unsigned long long)f->w[WAY_FADVISE].after.evicted);
	if (c->mnt)
		demo_note(c, "on FUSE \"storage\" is the daemon: a page that "
			     "left the cache comes back as a READ request");
	if (f->w[WAY_FADVISE].after.cached == f->w[WAY_FADVISE].before.cached)
		demo_note(c,
			  "%s kept every page: its page cache is the "
			  "file itself, and without swap nothing can take "
			  "it away",
			  c->fstype);
}

static int run(struct demo_ctx *c)
{
	struct run r = {.c = c};
	struct figs f = {0};
	int err;

	err = demo_file(c, "target", TARGET_SIZE, 't');
	if (err)
		return err;
	err = make_cgroup(&r.cg);
	r.have_cg = err == 0;
	if (r.have_cg)
		f.limit = memcg_value(&r.cg, "memory.limit_in_bytes");
	if (err)
		f.w[WAY_PRESSURE].why =
			c->root ? "no memory cgroup could be made here"
				: "needs root";
	if (r.have_cg)
		err = demo_file(c, "pressure", PRESSURE_SIZE, 'p');
	if (r.have_cg && !err) {
		uint64_t left;

		err = demo_evict(c, "pressure", &left);
	}
	if (r.have_cg && err)
		return err;
	demo_did(c, "wrote an 8 MiB file; a child process read it whole "
		    "(cached)");
	demo_did(c, "dropped its pages with posix_fadvise(DONTNEED); the "
		    "child read it again");
	if (c->root)
		demo_did(c, "read it again, wrote 1 to "
			    "/proc/sys/vm/drop_caches (every clean page of the "
			    "machine), read it again");
	if (r.have_cg)
		demo_did(c,
			 "made a memory cgroup limited to 16 MiB; the child "
			 "joined it, read the 8 MiB file, then a 48 MiB file, "
			 "then the 8 MiB file again");
	r.fd = demo_open(c, "target", O_RDONLY);
	if (r.fd < 0)
		return r.fd;
	r.ino = demo_ino(r.fd);
	err = measure(&r, &f);
	close(r.fd);
	if (r.have_cg)
		demo_undo_now(r.cg.undo);
	if (err)
		return err;
	if (f.w[WAY_FADVISE].before.cached < fsi_pages(TARGET_SIZE) &&
	    !c->last_attempt)
		return -EAGAIN;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo evict_demo = {
	.name = "evict",
	.claim = "C3",
	.summary = "dropped pages go back to storage on the next read",
	.statement = "Pages leave the cache under memory pressure or when "
		     "dropped; the next read goes back to storage.",
	.rule = "For each way W of fadvise, drop, pressure whose "
		"W_cached_before and W_cached_after are measured: gone = "
		"W_cached_after < "
		"W_cached_before; back = W_reread_read_bytes > 0 (when "
		"measured, else W_reread_inblock > 0). reproduced: all three "
		"ways measured, gone and back. refuted: none gone. unknown: "
		"none measured. Otherwise partly.",
	.keys = "fadvise_cached_after,fadvise_reread_reads,"
		"pressure_cached_after,pressure_evicted",
	.opts = "cache=always",
	.run = run,
};
