// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_exec_maps.c - C15: executing a program maps its file into memory;
 * /proc/PID/maps shows it.
 *
 * A copy of sleep(1) is written into the demonstration's directory and
 * its pages dropped; a child executes it from there.  While it sleeps:
 * its maps show the copy mapped several times (the ELF segments, one of
 * them executable), /proc/PID/exe names it, cachestat counts its pages
 * in the page cache, the daemon shows the READ requests that brought
 * them (the exec's page faults and reads), and pagemap shows which
 * mapped pages are the file's own and which private copies (the written
 * data segment).  Opening the running file for writing is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

#define PROG "prog"

static const char *const sources[] = {"/bin/sleep", "/usr/bin/sleep"};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* The program                                                        */
/* ------------------------------------------------------------------ */

static int copy_fd(int in, int out)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	return n < 0 ? -errno : 0;
}

/* Copy sleep(1) to PROG, mode 0755; *from gets the source. */
static int install(struct demo_ctx *c, const char **from)
{
	int in = -1, out, err;
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]) && in < 0; i++) {
		in = open(sources[i], O_RDONLY | O_CLOEXEC);
		*from = sources[i];
	}
	if (in < 0)
		return -ENOENT;
	out = openat(c->dirfd, PROG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		     0755);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	err = copy_fd(in, out);
	if (!err && (fchmod(out, 0755) < 0 || fsync(out) < 0))
		err = -errno;
	close(in);
	if (close(out) < 0 && !err)
		err = -errno;
	return err;
}

static int exec_prog(struct demo_child *ch, void *arg)
{
	struct demo_ctx *c = arg;
	char path[4200];
	char *argv[] = {PROG, "60", NULL};

	snprintf(path, sizeof(path), "%s/%s", c->dir, PROG);
	execv(path, argv);
	return -errno;
}

/* ------------------------------------------------------------------ */
/* Watching it                                                        */
/* ------------------------------------------------------------------ */

/* The exit status of @pid if it has ended (not reaped), else -1. */
static int ended(pid_t pid)
{
	siginfo_t si = {0};

	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid != pid)
		return -1;
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/* Whether @pid sits in a sleep system call now: the program is loaded
 * and running (/proc/PID/syscall). */
static bool asleep(pid_t pid)
{
	char path[64];
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
#ifdef SYS_nanosleep
	if (nr == SYS_nanosleep)
		return true;
#endif
	return nr == SYS_clock_nanosleep;
}

/* "majflt" or "minflt" of /proc/PID/stat (fields 12 and 10). */
static uint64_t faults(pid_t pid, int field)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	uint64_t out = FSI_UNKNOWN;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return FSI_UNKNOWN;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command may hold spaces */
	for (i = 2; p && i < field; i++)
		p = strchr(p + 1, ' ');
	if (p && sscanf(p + 1, "%llu", &v) == 1)
		out = v;
	return out;
}

struct figs {
	const char *from;
	uint64_t size;
	bool noexec;
	struct pc_stat before, running;
	struct demo_reqs exec_r;
	int exit_code; /* the child ended by itself: exec failed */
	bool sleeping; /* seen in its sleep: loaded */
	bool exe_is_prog;
	uint64_t nmaps, xmaps, maps_rss, maps_file, maps_cow;
	char perms[64]; /* "r--p r-xp ..." */
	uint64_t majflt, minflt;
	int write_errno; /* open(O_WRONLY) of the running file */
};

static void exe_link(pid_t pid, const struct demo_ctx *c, struct figs *f)
{
	char path[64], link[4200], want[4200];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	snprintf(want, sizeof(want), "%s/%s", c->dir, PROG);
	f->exe_is_prog = !strcmp(link, want);
}

/* Its mappings of the program file, from /proc/PID/smaps and pagemap. */
static void maps_of(pid_t pid, int fd, struct figs *f)
{
	struct pm_target t = {0};
	struct pm_scan scan;
	struct stat st;
	size_t i;

	f->nmaps = f->xmaps = FSI_UNKNOWN;
	if (fsi_fstat_cached(fd, &st))
		return;
	t.dev = st.st_dev;
	t.ino = st.st_ino;
	if (pm_scan_maps(&t, 1, true, &scan))
		return;
	f->nmaps = f->xmaps = 0;
	for (i = 0; i < scan.nmaps; i++) {
		const struct pm_mapping *m = &scan.maps[i];
		size_t len = strlen(f->perms);

		if (m->pid != pid)
			continue;
		f->nmaps++;
		f->xmaps += m->perms[2] == 'x';
		f->maps_rss += m->rss;
		f->maps_file += m->pages.present - m->pages.cow;
		f->maps_cow += m->pages.cow;
		snprintf(f->perms + len, sizeof(f->perms) - len, "%s%s",
			 len ? " " : "", m->perms);
	}
	pm_scan_free(&scan);
}

/* Until it sleeps (loaded) or ends; 5 s at most. */
static void wait_loaded(pid_t pid, struct figs *f)
{
	int i;

	f->exit_code = -1;
	for (i = 0; i < 250 && !demo_interrupted(); i++) {
		f->exit_code = ended(pid);
		if (f->exit_code >= 0)
			return;
		if (asleep(pid)) {
			f->sleeping = true;
			return;
		}
		sleep_ms(20);
	}
}

static void inspect(struct demo_ctx *c, pid_t pid, int fd, struct figs *f)
{
	int w;

	demo_cache(fd, &f->running);
	exe_link(pid, c, f);
	maps_of(pid, fd, f);
	f->majflt = faults(pid, 12);
	f->minflt = faults(pid, 10);
	w = demo_open(c, PROG, O_WRONLY);
	f->write_errno = w < 0 ? -w : 0;
	if (w >= 0)
		close(w);
}

static int measure(struct demo_ctx *c, int fd, struct figs *f)
{
	struct demo_child ch;
	uint64_t mark;
	int err, status;

	demo_cache(fd, &f->before);
	err = demo_child_start(&ch, exec_prog, c);
	if (err)
		return err;
	mark = dm_mark(c->mnt);
	err = demo_child_run(&ch); /* EOF: exec closed our pipes */
	if (err == -ECHILD)
		err = 0;
	if (!err)
		wait_loaded(ch.pid, f);
	dm_settle(c->mnt);
	dm_requests(c->mnt, mark, demo_ino(fd), &f->exec_r);
	if (!err && f->sleeping)
		inspect(c, ch.pid, fd, f);
	kill(ch.pid, SIGKILL);
	demo_child_end(&ch, &status);
	return err;
}

/* ------------------------------------------------------------------ */
/* Figures and verdict                                                */
/* ------------------------------------------------------------------ */

static void publish(struct demo_ctx *c, const struct figs *f)
{
	demo_fig_text(c, "program", f->from, SRC_PROGRAM,
		      "the program copied and executed");
	demo_fig(c, "size", f->size, "bytes", SRC_STAT, "its size");
	demo_fig(c, "noexec", f->noexec, "yes=1", SRC_STAT,
		 "the file system is mounted noexec (statvfs)");
	demo_fig(c, "cached_before", f->before.cached, "pages", SRC_CACHESTAT,
		 "its pages cached before the exec");
	demo_fig(c, "loaded", f->sleeping, "yes=1", SRC_STATUS,
		 "it ran: seen sleeping in its own code");
	demo_fig(c, "exec_exit", f->exit_code < 0 ? 0 : (uint64_t)f->exit_code,
		 "status", SRC_PROGRAM,
		 "exit status if it ended (exec failed)");
	demo_fig(c, "exe_is_prog", f->exe_is_prog, "yes=1", SRC_STATUS,
		 "/proc/PID/exe names the copy");
	demo_fig(c, "maps", f->nmaps, "mappings", SRC_SMAPS,
		 "mappings of the copy in /proc/PID/maps");
	demo_fig(c, "xmaps", f->xmaps, "mappings", SRC_SMAPS,
		 "of which executable");
	demo_fig_text(c, "perms", f->sleeping ? f->perms : NULL, SRC_SMAPS,
		      "their permissions, in address order");
	demo_fig(c, "maps_rss", f->maps_rss, "bytes", SRC_SMAPS,
		 "their resident bytes");
	demo_fig(c, "maps_file", f->maps_file, "pages", SRC_PAGEMAP,
		 "present, the file's own pages");
	demo_fig(c, "maps_cow", f->maps_cow, "pages", SRC_PAGEMAP,
		 "present, private copies (written data)");
	demo_fig(c, "cached_running", f->running.cached, "pages", SRC_CACHESTAT,
		 "its pages cached while it runs");
	demo_fig_reads(c, "exec", &f->exec_r, "exec and start");
	demo_fig(c, "majflt", f->majflt, "faults", SRC_STATUS,
		 "the process's major faults (/proc/PID/stat)");
	demo_fig(c, "minflt", f->minflt, "faults", SRC_STATUS,
		 "and its minor faults");
	demo_fig_text(c, "write_open",
		      !f->sleeping     ? NULL
		      : f->write_errno ? strerrorname_np(f->write_errno)
				       : "ok",
		      SRC_PROGRAM, "open(O_WRONLY) of the running program");
}

static void judge(struct demo_ctx *c, const struct figs *f)
{
	bool read_in = !f->exec_r.known || f->exec_r.reads > 0;

	if (!f->sleeping || f->nmaps == FSI_UNKNOWN)
		demo_verdict(
			c, DEMO_UNKNOWN,
			"the program did not run from %s (exit status %d%s)",
			c->fstype, f->exit_code,
			f->noexec ? ", mounted noexec" : "");
	else if (f->nmaps > 0 && f->xmaps > 0 && f->exe_is_prog &&
		 f->running.cached != FSI_UNKNOWN && f->running.cached > 0 &&
		 read_in)
		demo_verdict(c, DEMO_REPRODUCED,
			     "while it ran, /proc/PID/maps showed its file "
			     "mapped %llu times (%s), and %llu of its pages "
			     "were in the page cache (%llu before the exec)",
			     (unsigned long long)f->nmaps, f->perms,
			     (unsigned long long)f->running.cached,
			     (unsigned long long)f->before.cached);
	else if (f->nmaps == 0)
		demo_verdict(c, DEMO_REFUTED,
			     "the program ran but /proc/PID/maps showed no "
			     "mapping of its file");
	else
		demo_verdict(
			c, DEMO_PARTLY,
			"its file was mapped %llu times (%llu executable), "
			"but exe, the page cache or the daemon's READs did "
			"not agree",
			(unsigned long long)f->nmaps,
			(unsigned long long)f->xmaps);
}

static void explain(struct demo_ctx *c, const struct figs *f)
{
	demo_note(c, "the kernel's ELF loader maps the program's segments "
		     "itself during execve() (the text read-only and "
		     "executable, the data private and writable: written "
		     "pages become private copies, maps_cow); the dynamic "
		     "loader then maps the libraries with mmap(2); the pages "
		     "are the page cache's, shared by every process running "
		     "the program");
	if (c->mnt && f->exec_r.known)
		demo_note(c,
			  "on FUSE the exec's page faults and reads were %llu "
			  "READ requests (%llu bytes) for a %llu-byte file",
			  (unsigned long long)f->exec_r.reads,
			  (unsigned long long)f->exec_r.read_bytes,
			  (unsigned long long)f->size);
	if (f->write_errno == ETXTBSY)
		demo_note(c, "while it runs the file cannot be opened for "
			     "writing (ETXTBSY): the kernel denies writes to a "
			     "mapped executable");
	if (f->noexec)
		demo_note(c, "%s is mounted noexec: execve() is refused there",
			  c->dir);
}

static int run(struct demo_ctx *c)
{
	struct figs f = {0};
	struct statvfs sv;
	struct stat st;
	const char *how;
	int fd, err;

	err = install(c, &f.from);
	if (!err)
		err = demo_reload(c, PROG, &how);
	if (err)
		return err;
	if (fstatvfs(c->dirfd, &sv) == 0)
		f.noexec = sv.f_flag & ST_NOEXEC;
	demo_did(c,
		 "copied %s into the directory as '%s' and dropped its "
		 "pages (%s)",
		 f.from, PROG, how);
	demo_did(c,
		 "a child executed it ('%s 60'); once it slept: its "
		 "/proc/PID/maps, smaps and pagemap, /proc/PID/exe, "
		 "cachestat, the daemon's requests; then it was killed",
		 PROG);
	fd = demo_open(c, PROG, O_RDONLY);
	if (fd < 0)
		return fd;
	f.size = fstat(fd, &st) ? FSI_UNKNOWN : (uint64_t)st.st_size;
	err = measure(c, fd, &f);
	close(fd);
	if (err)
		return err;
	publish(c, &f);
	judge(c, &f);
	explain(c, &f);
	return 0;
}

const struct demo exec_maps_demo = {
	.name = "exec-maps",
	.claim = "C15",
	.summary = "a running program's file is mapped, and in the page cache",
	.statement = "Executing a program maps its file into memory; "
		     "/proc/PID/maps shows it.",
	.rule = "unknown when loaded = 0 or maps is unknown. reproduced: "
		"maps > 0, xmaps > 0, exe_is_prog = 1, cached_running > 0 and "
		"exec_reads > 0 (when measured). refuted: maps = 0. Otherwise "
		"partly.",
	.keys = "maps,xmaps,perms,cached_running,exec_reads",
	.run = run,
};
