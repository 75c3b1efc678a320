// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_mmap_syscalls.c - C5: mmap maps file pages into the process;
 * reads and writes through the mapping need no system call.
 *
 * A child maps a cold 4 MiB file, reads one byte of every page through
 * the mapping, writes one byte of every page, then does the same with
 * pread(2) and pwrite(2).  Its own system calls are counted by the
 * kernel (the raw_syscalls:sys_enter tracepoint, through perf_event,
 * for the child only), its page faults by getrusage; smaps shows the
 * pages mapped and dirtied; the daemon shows which faults were misses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define FILE_PAGES 1024ULL

enum { STEP_MAP, STEP_MREAD, STEP_MWRITE, STEP_READ, STEP_WRITE, NSTEPS };

static int64_t touch(volatile char *p, bool write)
{
	uint64_t i, sum = 0;

	for (i = 0; i < FILE_PAGES; i++) {
		if (write)
			p[i * fsi_page_size] = 'W';
		else
			sum += (unsigned char)p[i * fsi_page_size];
	}
	return (int64_t)(write ? FILE_PAGES : sum);
}

static int64_t rw_calls(int fd, bool write)
{
	char buf[4096];
	uint64_t i;

	memset(buf, 'w', sizeof(buf));
	for (i = 0; i < FILE_PAGES; i++) {
		off_t off = (off_t)(i * fsi_page_size);
		ssize_t n = write ? pwrite(fd, buf, fsi_page_size, off)
				  : pread(fd, buf, fsi_page_size, off);

		if (n < 0)
			return -errno;
	}
	return (int64_t)FILE_PAGES;
}

static int child(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	size_t len = FILE_PAGES * fsi_page_size;
	char *p;
	int fd;

	demo_step_begin(ch, STEP_MAP);
	fd = demo_open(c, "file", O_RDWR);
	p = fd < 0 ? MAP_FAILED
		   : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	demo_step_end(ch, STEP_MAP, p == MAP_FAILED ? -errno : 0);
	if (p == MAP_FAILED)
		return fd < 0 ? fd : -EIO;
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_MREAD);
	demo_step_end(ch, STEP_MREAD, touch(p, false));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_MWRITE);
	demo_step_end(ch, STEP_MWRITE, touch(p, true));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_READ);
	demo_step_end(ch, STEP_READ, rw_calls(fd, false));
	demo_child_pause(ch);
	demo_step_begin(ch, STEP_WRITE);
	demo_step_end(ch, STEP_WRITE, rw_calls(fd, true));
	munmap(p, len);
	close(fd);
	return 0;
}

struct figs {
	struct demo_reqs r[NSTEPS];
	struct demo_step s[NSTEPS];
	struct pm_mapping map[NSTEPS]; /* smaps after the step */
	bool have_map[NSTEPS];
	int perf_errno;
};

static int measure(struct demo_ctx *c, struct figs *f)
{
	struct demo_child ch;
	int fd = demo_open(c, "file", O_RDONLY), err = 0, i, status;
	uint64_t ino, mark;

	if (fd < 0)
		return fd;
	ino = demo_ino(fd);
	err = demo_child_start(&ch, child, c);
	for (i = 0; !err && i < NSTEPS; i++) {
		mark = dm_mark(c->mnt);
		err = demo_child_run(&ch);
		if (err == -ECHILD && i == NSTEPS - 1)
			err = 0;
		dm_settle(c->mnt);
		dm_requests(c->mnt, mark, ino, &f->r[i]);
		f->have_map[i] = demo_smaps(ch.pid, fd, &f->map[i]) == 0;
	}
	close(fd);
	if (ch.pid > 0 && demo_child_end(&ch, &status) == 0 && status && !err)
		err = -EIO;
	if (ch.sh) {
		memcpy(f->s, ch.sh->step, sizeof(f->s));
		f->perf_errno = ch.sh->perf_errno;
	}
	return err;
}

static const char *const step_key[NSTEPS] = {
	"map", "mmap_read", "mmap_write", "read", "write",
};
static const char *const step_what[NSTEPS] = {
	"open + mmap",
	"mmap: read 1 byte per page",
	"mmap: write 1 byte per page",
	"pread 4 KiB per page",
	"pwrite 4 KiB per page",
};

static void publish_step(struct demo_ctx *c, const struct figs *f, int i)
{
	const struct demo_step *s = &f->s[i];
	char *k, *w;

	k = fsi_xasprintf("%s_syscalls", step_key[i]);
	w = fsi_xasprintf("%s: system calls", step_what[i]);
	demo_fig(c, k, s->syscalls, "calls", SRC_PERF, w);
	free(k);
	free(w);
	k = fsi_xasprintf("%s_rwcalls", step_key[i]);
	w = fsi_xasprintf("%s: read/write-family calls", step_what[i]);
	demo_fig(c, k, s->rwcalls, "calls", SRC_PROCIO, w);
	free(k);
	free(w);
	k = fsi_xasprintf("%s_faults", step_key[i]);
	w = fsi_xasprintf("%s: page faults (minor + major)", step_what[i]);
	demo_fig(c, k, s->minflt + s->majflt, "faults", SRC_RUSAGE, w);
	free(k);
	free(w);
	k = fsi_xasprintf("%s_majflt", step_key[i]);
	w = fsi_xasprintf("%s: of which major", step_what[i]);
	demo_fig(c, k, s->majflt, "faults", SRC_RUSAGE, w);
	free(k);
	free(w);
	if (i == STEP_MREAD)
		demo_fig_reads(c, step_key[i], &f->r[i], step_what[i]);
}

static void publish(struct demo_ctx *c, const struct figs *f)
{
	const struct pm_mapping *m = &f->map[STEP_MREAD];
	const struct pm_mapping *w = &f->map[STEP_MWRITE];
	int i;

	demo_fig(c, "pages", FILE_PAGES, "pages", SRC_PROGRAM,
		 "file pages, each touched once per step");
	for (i = 0; i < NSTEPS; i++)
		publish_step(c, f, i);
	demo_fig(c, "mapped_rss",
		 f->have_map[STEP_MREAD] ? m->rss : FSI_UNKNOWN, "bytes",
		 SRC_SMAPS, "mapping's Rss after the mmap reads");
	demo_fig(c, "mapped_dirty",
		 f->have_map[STEP_MWRITE] ? w->private_dirty + w->shared_dirty
					  : FSI_UNKNOWN,
		 "bytes", SRC_SMAPS, "mapping's dirty bytes after the writes");
}

/* All system calls if they could be counted, else the read- and
 * write-family ones (/proc/self/io). */
static uint64_t calls(const struct demo_step *s)
{
	return s->syscalls != FSI_UNKNOWN ? s->syscalls : s->rwcalls;
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	const struct demo_step *s = f->s;
	uint64_t mr = calls(&s[STEP_MREAD]), mw = calls(&s[STEP_MWRITE]);
	uint64_t rd = calls(&s[STEP_READ]);
	uint64_t faults = s[STEP_MREAD].minflt + s[STEP_MREAD].majflt +
			  s[STEP_MWRITE].minflt + s[STEP_MWRITE].majflt;
	const char *kind = s[STEP_MREAD].syscalls != FSI_UNKNOWN
				   ? "system calls"
				   : "read or write system calls";

	if (mr == FSI_UNKNOWN || mw == FSI_UNKNOWN || rd == FSI_UNKNOWN)
		demo_verdict(c, DEMO_UNKNOWN,
			     "system calls could not be counted");
	else if (mr == 0 && mw == 0 && rd >= FILE_PAGES)
		demo_verdict(c, DEMO_REPRODUCED,
			     "reading and writing %llu pages through the "
			     "mapping made 0 %s (the kernel was entered by "
			     "%llu page faults); reading them with pread made "
			     "%llu",
			     (unsigned long long)FILE_PAGES, kind,
			     (unsigned long long)faults,
			     (unsigned long long)rd);
	else if (mr > 0 || mw > 0)
		demo_verdict(c, DEMO_REFUTED,
			     "the mapping's reads and writes made %llu and "
			     "%llu %s",
			     (unsigned long long)mr, (unsigned long long)mw,
			     kind);
	else
		demo_verdict(c, DEMO_UNKNOWN,
			     "the counter saw only %llu of the %llu pread "
			     "calls: it cannot be trusted",
			     (unsigned long long)rd,
			     (unsigned long long)FILE_PAGES);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c,
		  "no system call is not no kernel: every first touch of "
		  "a page is a page fault handled by the kernel (%llu "
		  "minor, %llu major for the reads here); the kernel maps a "
		  "window of cached neighbours per read fault "
		  "(fault-around), and a first write to each shared page "
		  "faults again so the kernel can mark it dirty",
		  (unsigned long long)f->s[STEP_MREAD].minflt,
		  (unsigned long long)f->s[STEP_MREAD].majflt);
	if (c->mnt && f->r[STEP_MREAD].known)
		demo_note(c,
			  "on FUSE a fault on a page not in the cache is a "
			  "READ request (%llu here, read ahead like read(2)); "
			  "a fault on a cached page reaches no daemon",
			  (unsigned long long)f->r[STEP_MREAD].reads);
	if (f->s[STEP_MREAD].syscalls == FSI_UNKNOWN)
		demo_note(c,
			  "all system calls could not be counted (the "
			  "raw_syscalls:sys_enter tracepoint through perf: "
			  "%s; it needs root and tracefs mounted); the "
			  "kernel's per-process I/O accounting counted the "
			  "read- and write-family ones",
			  strerror(f->perf_errno));
	demo_note(c, "the counts are the kernel's, for the child alone; the "
		     "counters' own reads are measured on an empty step and "
		     "subtracted");
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	uint64_t left;
	int err;

	err = demo_file(c, "file", FILE_PAGES * fsi_page_size, 'm');
	if (!err)
		err = demo_evict(c, "file", &left);
	if (err)
		return err;
	demo_did(c, "wrote a 4 MiB file (1024 pages) and dropped its pages");
	demo_did(c, "a child opened and mapped it (MAP_SHARED), read one byte "
		    "of each page through the mapping, then wrote one byte of "
		    "each page through it");
	demo_did(c, "it then read and wrote every page with pread(2) and "
		    "pwrite(2), 4 KiB each");
	err = measure(c, &f);
	if (err)
		return err;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo mmap_syscalls_demo = {
	.name = "mmap-syscalls",
	.claim = "C5",
	.summary = "access through a mapping makes no system call",
	.statement = "mmap maps file pages into the process address space; "
		     "reads and writes through the mapping need no system "
		     "call.",
	.rule = "X_calls = X_syscalls when measured, else X_rwcalls. "
		"reproduced: mmap_read_calls = 0, mmap_write_calls = 0 and "
		"read_calls >= pages. refuted: mmap_read_calls > 0 or "
		"mmap_write_calls > 0. Otherwise unknown.",
	.keys = "mmap_read_rwcalls,mmap_write_rwcalls,read_rwcalls,"
		"mmap_read_syscalls,mmap_read_faults",
	.run = run,
};
