// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_anon_mapping.c - C17: MAP_ANONYMOUS mappings belong to no file and
 * cannot be shared with other processes.
 *
 * The article is imprecise.  A child (the mapper) makes four one-page
 * shared or private mappings: MAP_SHARED|MAP_ANONYMOUS,
 * MAP_PRIVATE|MAP_ANONYMOUS, a memfd, and a file of the demonstration's
 * directory; it writes into each and forks.  Its own child writes the
 * two anonymous pages: the mapper sees the write to the shared one, not
 * to the private one (copy on write); pagemap shows the same frame in
 * both processes for the shared page, before and after, and for the
 * private page the same frame before the write and two frames after;
 * kpagecount counts the shared frame's two mappers.  smaps shows what
 * the kernel says each mapping belongs to: no file for the private one,
 * an internal, deleted "/dev/zero" for the shared one.  An unrelated
 * process (forked by fsinspect, not by the mapper) then tries to reach
 * each page: opening that name gives a fresh zero page, not the data;
 * the memfd and the file are reached through /proc/PID/fd and a path;
 * /proc/PID/map_files reaches even the shared anonymous page, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kernel-page-flags.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

enum { M_SHARED, M_PRIVATE, M_MEMFD, M_FILE, NMAPS };

static const char initial[NMAPS] = {'s', 'p', 'm', 'f'};

/* Shared-page slots: step 0 v[] the mapper's addresses, step 1 the
 * other side's, step 2 what was seen. */
enum { SLOT_ADDR, SLOT_PEER, SLOT_SEEN, SLOT_OUT };

/* ------------------------------------------------------------------ */
/* The mapper and its child                                           */
/* ------------------------------------------------------------------ */

static int memfd(void)
{
	int fd = memfd_create("fsinspect-demo", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)fsi_page_size) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The four mappings; *mfd keeps the memfd open for the outsider. */
static int make_maps(struct demo_ctx *c, volatile char **p, int *mfd)
{
	int fd = demo_open(c, "file", O_RDWR), k;
	const int flags[NMAPS] = {MAP_SHARED | MAP_ANONYMOUS,
				  MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED,
				  MAP_SHARED};

	if (fd < 0)
		return fd;
	*mfd = memfd();
	if (*mfd < 0) {
		close(fd);
		return *mfd;
	}
	for (k = 0; k < NMAPS; k++) {
		int from = k == M_MEMFD ? *mfd : k == M_FILE ? fd : -1;

		p[k] = mmap(NULL, fsi_page_size, PROT_READ | PROT_WRITE,
			    flags[k], from, 0);
		if (p[k] == MAP_FAILED)
			return -errno;
		p[k][0] = initial[k];
	}
	close(fd);
	return 0;
}

/* The mapper's child: read both anonymous pages (a shared mapping's
 * page-table entries are not copied at fork: the read maps the page),
 * say so; on the first byte, write them; leave at EOF. */
__attribute__((noreturn)) static void writer(volatile char **p, int go,
					     int done)
{
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	b = (char)(p[M_SHARED][0] + p[M_PRIVATE][0]);
	if (write(done, &b, 1) != 1)
		_exit(1);
	if (read(go, &b, 1) == 1) {
		p[M_SHARED][0] = 'S';
		p[M_PRIVATE][0] = 'P';
		if (write(done, "w", 1) != 1)
			_exit(1);
	}
	while (read(go, &b, 1) > 0)
		;
	_exit(0);
}

static int fork_writer(volatile char **p, pid_t *pid, int *go, int *done)
{
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(b, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		close(a[1]);
		close(b[0]);
		writer(p, a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	*go = a[1];
	*done = b[0];
	return 0;
}

static int mapper(struct demo_child *ch, void *arg)
{
	uint64_t *addr = ch->sh->step[SLOT_ADDR].v;
	uint64_t *peer = ch->sh->step[SLOT_PEER].v;
	volatile char *p[NMAPS];
	int k, mfd = -1, go = -1, done = -1, err;
	pid_t pid = 0;
	char b;

	err = make_maps(arg, p, &mfd);
	if (!err)
		err = fork_writer(p, &pid, &go, &done);
	if (err)
		return err;
	for (k = 0; k < NMAPS; k++)
		addr[k] = (uint64_t)(uintptr_t)p[k];
	peer[0] = (uint64_t)pid;
	peer[1] = (uint64_t)mfd;
	if (read(done, &b, 1) != 1)
		return -EPIPE;
	demo_child_pause(ch); /* both map the pages, nothing written */
	if (write(go, "g", 1) != 1 || read(done, &b, 1) != 1)
		return -EPIPE;
	ch->sh->step[SLOT_SEEN].v[M_SHARED] = (unsigned char)p[M_SHARED][0];
	ch->sh->step[SLOT_SEEN].v[M_PRIVATE] = (unsigned char)p[M_PRIVATE][0];
	demo_child_pause(ch); /* written by the child; the outsider looks */
	close(go);
	waitpid(pid, NULL, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The outsider                                                       */
/* ------------------------------------------------------------------ */

struct outsider {
	pid_t mapper;
	uint64_t shared_addr;
	int mfd;
	struct demo_ctx *c;
};

/* Map one page of @fd and read its first byte into *seen. */
static int peek(int fd, uint64_t *addr, uint64_t *seen)
{
	volatile const char *p;

	if (fd < 0)
		return fd;
	p = mmap(NULL, fsi_page_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*addr = (uint64_t)(uintptr_t)p;
	*seen = (unsigned char)p[0];
	return 0;
}

static int open_errno(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int outside(struct demo_child *ch, void *arg)
{
	const struct outsider *o = arg;
	uint64_t *addr = ch->sh->step[SLOT_OUT].v;
	uint64_t *seen = ch->sh->step[SLOT_SEEN].v;
	uint64_t *err = ch->sh->step[SLOT_PEER].v;
	char path[128];

	/* Slot M_PRIVATE: the name smaps shows for the shared anonymous
	 * mapping.  Slot M_SHARED: the mapping itself, by map_files. */
	err[M_PRIVATE] = (uint64_t)-peek(open_errno("/dev/zero"),
					 &addr[M_PRIVATE], &seen[M_PRIVATE]);
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx",
		 (int)o->mapper, (unsigned long long)o->shared_addr,
		 (unsigned long long)(o->shared_addr + fsi_page_size));
	err[M_SHARED] = (uint64_t)-peek(open_errno(path), &addr[M_SHARED],
					&seen[M_SHARED]);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)o->mapper, o->mfd);
	err[M_MEMFD] = (uint64_t)-peek(open_errno(path), &addr[M_MEMFD],
				       &seen[M_MEMFD]);
	err[M_FILE] = (uint64_t)-peek(demo_open(o->c, "file", O_RDONLY),
				      &addr[M_FILE], &seen[M_FILE]);
	demo_child_pause(ch);
	return 0;
}

/* ------------------------------------------------------------------ */
/* What fsinspect sees                                                */
/* ------------------------------------------------------------------ */

/* One mapping as smaps describes it. */
struct vma {
	bool found;
	char path[128]; /* "" for none */
	uint64_t ino;
	uint64_t anon; /* "Anonymous:" bytes */
};

static void parse_vma(FILE *f, uint64_t addr, struct vma *v)
{
	unsigned long long start, end, off, ino, kb;
	char line[512], perms[8];
	unsigned maj, min;
	int n;

	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start,
			   &end, perms, &off, &maj, &min, &ino, &n) == 7) {
			if (v->found)
				return; /* the next mapping */
			if (start != addr)
				continue;
			v->found = true;
			v->ino = ino;
			snprintf(v->path, sizeof(v->path), "%s", line + n);
			v->path[strcspn(v->path, "\n")] = '\0';
		} else if (v->found &&
			   sscanf(line, "Anonymous: %llu kB", &kb) == 1) {
			v->anon = kb * 1024;
		}
	}
}

static void vma_of(pid_t pid, uint64_t addr, struct vma *v)
{
	char path[64];
	FILE *f;

	memset(v, 0, sizeof(*v));
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	parse_vma(f, addr, v);
	fclose(f);
}

static uint64_t pfn_of(pid_t pid, uint64_t addr)
{
	uint64_t pfn = 0;

	if (!pid || !addr || demo_pfns(pid, addr, 1, &pfn))
		return 0;
	return pfn;
}

/* 1 when both frames are known and equal, 0 when known and different. */
static uint64_t same(uint64_t a, uint64_t b)
{
	return a && b ? a == b : FSI_UNKNOWN;
}

struct figs {
	struct vma vma[NMAPS];
	uint64_t before[2], after[2]; /* same frame, shared / private */
	uint64_t mapcount, anon_flag[2];
	uint64_t seen_shared, seen_private;
	uint64_t out_err[NMAPS], out_seen[NMAPS], out_same[NMAPS];
};

/* Frames of the two anonymous pages in the mapper and its child. */
static void frames(const struct demo_shared *sh, uint64_t *eq, uint64_t *pfns)
{
	pid_t me = (pid_t)sh->step[SLOT_PEER].v[2];
	pid_t kid = (pid_t)sh->step[SLOT_PEER].v[0];
	int k;

	for (k = 0; k < 2; k++) {
		uint64_t a = pfn_of(me, sh->step[SLOT_ADDR].v[k]);

		eq[k] = same(a, pfn_of(kid, sh->step[SLOT_ADDR].v[k]));
		if (pfns)
			pfns[k] = a;
	}
}

static void after_write(struct demo_child *ch, struct figs *f)
{
	const struct demo_shared *sh = ch->sh;
	uint64_t pfn[2], flags;
	int k;

	frames(sh, f->after, pfn);
	demo_kpage(pfn[M_SHARED], NULL, &f->mapcount);
	for (k = 0; k < 2; k++) {
		demo_kpage(pfn[k], &flags, NULL);
		f->anon_flag[k] = flags == FSI_UNKNOWN
					  ? FSI_UNKNOWN
					  : !!(flags & (1ULL << KPF_ANON));
	}
	for (k = 0; k < NMAPS; k++)
		vma_of(ch->pid, sh->step[SLOT_ADDR].v[k], &f->vma[k]);
	f->seen_shared = sh->step[SLOT_SEEN].v[M_SHARED];
	f->seen_private = sh->step[SLOT_SEEN].v[M_PRIVATE];
}

/* The outsider's view, against the mapper's frames.  Its slot M_PRIVATE
 * holds what /dev/zero gave. */
static int outsider_run(struct demo_ctx *c, struct demo_child *ch,
			struct figs *f)
{
	const uint64_t *addr = ch->sh->step[SLOT_ADDR].v;
	struct outsider o = {ch->pid, addr[M_SHARED],
			     (int)ch->sh->step[SLOT_PEER].v[1], c};
	struct demo_child out;
	int err, status, k;

	err = demo_child_start(&out, outside, &o);
	if (!err)
		err = demo_child_run(&out);
	if (!err)
		for (k = 0; k < NMAPS; k++) {
			/* By name or not, compared with the shared page. */
			int mine = k == M_PRIVATE ? M_SHARED : k;
			uint64_t theirs =
				pfn_of(out.pid, out.sh->step[SLOT_OUT].v[k]);

			f->out_err[k] = out.sh->step[SLOT_PEER].v[k];
			f->out_seen[k] = out.sh->step[SLOT_SEEN].v[k];
			f->out_same[k] =
				same(theirs, pfn_of(ch->pid, addr[mine]));
		}
	if (out.pid > 0) {
		demo_child_run(&out);
		demo_child_end(&out, &status);
	}
	return err == -ECHILD ? 0 : err;
}

static int measure(struct demo_ctx *c, struct figs *f)
{
	struct demo_child ch;
	int err, e, status;

	err = demo_child_start(&ch, mapper, c);
	if (err)
		return err;
	ch.sh->step[SLOT_PEER].v[2] = (uint64_t)ch.pid;
	err = demo_child_run(&ch);
	if (!err)
		frames(ch.sh, f->before, NULL);
	if (!err)
		err = demo_child_run(&ch);
	if (!err)
		after_write(&ch, f);
	if (!err)
		err = outsider_run(c, &ch, f);
	e = demo_child_run(&ch);
	if (!err && e && e != -ECHILD)
		err = e;
	if (demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	return err;
}

/* ------------------------------------------------------------------ */
/* Figures and verdict                                                */
/* ------------------------------------------------------------------ */

static const char *errtext(uint64_t e)
{
	return e ? strerrorname_np((int)e) : "ok";
}

static void publish_vmas(struct demo_ctx *c, const struct figs *f)
{
	const struct vma *s = &f->vma[M_SHARED], *p = &f->vma[M_PRIVATE];

	demo_fig_text(c, "shared_path",
		      !s->found	 ? NULL
		      : *s->path ? s->path
				 : "(none)",
		      SRC_SMAPS,
		      "MAP_SHARED|MAP_ANONYMOUS: the file smaps names");
	demo_fig(c, "shared_ino", s->found ? s->ino : FSI_UNKNOWN, "inode",
		 SRC_SMAPS, "its inode");
	demo_fig(c, "shared_anon", s->found ? s->anon : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, "its Anonymous bytes");
	demo_fig_text(c, "private_path",
		      !p->found	 ? NULL
		      : *p->path ? p->path
				 : "(none)",
		      SRC_SMAPS,
		      "MAP_PRIVATE|MAP_ANONYMOUS: the file smaps names");
	demo_fig(c, "private_ino", p->found ? p->ino : FSI_UNKNOWN, "inode",
		 SRC_SMAPS, "its inode");
	demo_fig(c, "private_anon", p->found ? p->anon : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, "its Anonymous bytes");
}

static void publish_fork(struct demo_ctx *c, const struct figs *f)
{
	demo_fig(c, "shared_seen", f->seen_shared == 'S', "yes=1", SRC_PROGRAM,
		 "the mapper saw its child's write, shared");
	demo_fig(c, "private_seen", f->seen_private == 'P', "yes=1",
		 SRC_PROGRAM, "the mapper saw its child's write, private");
	demo_fig(c, "shared_same_before", f->before[M_SHARED], "yes=1",
		 SRC_PAGEMAP, "shared: one frame in both, before the write");
	demo_fig(c, "shared_same_after", f->after[M_SHARED], "yes=1",
		 SRC_PAGEMAP, "shared: one frame in both, after");
	demo_fig(c, "private_same_before", f->before[M_PRIVATE], "yes=1",
		 SRC_PAGEMAP, "private: one frame in both, before the write");
	demo_fig(c, "private_same_after", f->after[M_PRIVATE], "yes=1",
		 SRC_PAGEMAP, "private: one frame in both, after");
	demo_fig(c, "shared_mapcount", f->mapcount, "mappings", SRC_KPAGEFLAGS,
		 "page tables mapping the shared frame");
	demo_fig(c, "shared_kpf_anon", f->anon_flag[M_SHARED], "yes=1",
		 SRC_KPAGEFLAGS, "the shared frame is an anonymous page");
	demo_fig(c, "private_kpf_anon", f->anon_flag[M_PRIVATE], "yes=1",
		 SRC_KPAGEFLAGS, "the private frame is an anonymous page");
}

static void publish_outsider(struct demo_ctx *c, const struct figs *f)
{
	static const struct {
		int k;
		const char *key, *what;
		char want;
	} t[] = {
		{M_PRIVATE, "by_name", "/dev/zero, the name smaps shows", 'S'},
		{M_SHARED, "map_files",
		 "/proc/PID/map_files of the shared "
		 "anonymous mapping",
		 'S'},
		{M_MEMFD, "memfd", "the memfd, by /proc/PID/fd", 'm'},
		{M_FILE, "file", "the file, by its path", 'f'},
	};
	char key[64], what[160];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int k = t[i].k;
		bool ok = !f->out_err[k];

		snprintf(key, sizeof(key), "out_%s", t[i].key);
		snprintf(what, sizeof(what), "unrelated process: %s, opened",
			 t[i].what);
		demo_fig_text(c, key, errtext(f->out_err[k]), SRC_PROGRAM,
			      what);
		snprintf(key, sizeof(key), "out_%s_sees", t[i].key);
		snprintf(what, sizeof(what), "%s: saw the mapper's data",
			 t[i].key);
		demo_fig(c, key,
			 ok ? f->out_seen[k] == (uint64_t)t[i].want
			    : FSI_UNKNOWN,
			 "yes=1", SRC_PROGRAM, what);
		snprintf(key, sizeof(key), "out_%s_same", t[i].key);
		snprintf(what, sizeof(what), "%s: the mapper's frame",
			 t[i].key);
		demo_fig(c, key, ok ? f->out_same[k] : FSI_UNKNOWN, "yes=1",
			 SRC_PAGEMAP, what);
	}
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	const struct vma *p = &f->vma[M_PRIVATE];
	bool by_name = !f->out_err[M_PRIVATE] && f->out_seen[M_PRIVATE] == 'S';
	bool no_file = p->found && p->ino == 0 && !by_name;
	bool shared = f->seen_shared == 'S' &&
		      f->after[M_SHARED] != 0; /* 1 or unknown */

	if (!p->found)
		demo_verdict(c, DEMO_UNKNOWN,
			     "the mappings could not be measured");
	else if (!no_file)
		demo_verdict(c, DEMO_REFUTED,
			     "an anonymous mapping was reached through a file "
			     "name");
	else if (!shared)
		demo_verdict(c, DEMO_REPRODUCED,
			     "no file, and the child's write to the shared "
			     "anonymous page was not seen by its parent");
	else
		demo_verdict(c, DEMO_PARTLY,
			     "they belong to no file an unrelated process can "
			     "open by name, but a MAP_SHARED anonymous page is "
			     "shared with children: the child's write was seen "
			     "by its parent, one frame mapped by both; only "
			     "MAP_PRIVATE ones are private (copy on write: the "
			     "child's write %s)",
			     f->seen_private == 'P' ? "was seen too"
						    : "was not seen");
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	const struct vma *s = &f->vma[M_SHARED];

	if (s->found && *s->path)
		demo_note(c,
			  "\"no file\" is true of MAP_PRIVATE only: the kernel "
			  "backs a MAP_SHARED anonymous mapping with an "
			  "internal shmem file, which smaps names \"%s\" "
			  "(inode %llu); opening that name gives another "
			  "object (a zero page), so no unrelated process can "
			  "find it by a path",
			  s->path, (unsigned long long)s->ino);
	if (!f->out_err[M_SHARED] && f->out_seen[M_SHARED] == 'S')
		demo_note(c, "with CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE an "
			     "unrelated process can still open it through "
			     "/proc/PID/map_files and map the same frame "
			     "(out_map_files_same): a debugging and checkpoint "
			     "door, not a way to share");
	demo_note(c, "to share memory with unrelated processes, give it a "
		     "name or a descriptor: a file (or /dev/shm), or a memfd "
		     "passed over a Unix socket or opened through "
		     "/proc/PID/fd, as the outsider did (out_memfd, out_file)");
}

static int run(struct demo_ctx *c)
{
	struct figs f;
	int err;

	memset(&f, 0, sizeof(f));
	err = demo_file(c, "file", fsi_page_size, 'f');
	if (err)
		return err;
	demo_did(c, "a child (the mapper) made four one-page mappings and "
		    "wrote into each: MAP_SHARED|MAP_ANONYMOUS, "
		    "MAP_PRIVATE|MAP_ANONYMOUS, a memfd (MAP_SHARED) and a "
		    "file of this directory (MAP_SHARED); then it forked");
	demo_did(c, "its child wrote both anonymous pages; the mapper read "
		    "them; pagemap frames in both before and after, "
		    "kpageflags, smaps");
	demo_did(c, "an unrelated process (forked by fsinspect) opened "
		    "/dev/zero, /proc/MAPPER/map_files/ of the shared "
		    "anonymous page, /proc/MAPPER/fd/ of the memfd, and the "
		    "file, mapped each and read it");
	err = measure(c, &f);
	if (err)
		return err;
	publish_vmas(c, &f);
	publish_fork(c, &f);
	publish_outsider(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo anon_mapping_demo = {
	.name = "anon-mapping",
	.claim = "C17",
	.summary = "anonymous mappings: no file, but MAP_SHARED is shared "
		   "with children",
	.statement = "MAP_ANONYMOUS mappings belong to no file and cannot be "
		     "shared with other processes.",
	.rule = "no_file = private_ino = 0 and out_by_name_sees is not 1; "
		"shared = shared_seen = 1 and shared_same_after is not 0. "
		"unknown when private_ino is unknown. refuted: not no_file. "
		"reproduced: not shared. Otherwise partly.",
	.keys = "shared_path,private_path,shared_seen,private_seen,"
		"shared_same_after,private_same_after,out_map_files",
	.run = run,
};
