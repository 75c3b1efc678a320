// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_scratch.c - what a demonstration changes on the machine, and how
 * it is undone: scratch glassfs mounts (a private directory with a store
 * and a mountpoint, a daemon started with -f), attached mounts, sysctls.
 *
 * Layer: the demonstrations' environment.  Every change registers an
 * undo; demo_undo_all() runs them last in first out at the end of each
 * demonstration, on errors, after a signal and at exit, in the process
 * that made them only (a forked measuring child never unmounts).  A
 * daemon gets SIGTERM if fsinspect dies without cleaning up
 * (PR_SET_PDEATHSIG): glassfs then unmounts itself.  Measures nothing.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "fsinspect.h"

extern char **environ;

/* ------------------------------------------------------------------ */
/* Undo                                                               */
/* ------------------------------------------------------------------ */

#define UNDO_MAX 64

/* Handles are never reused: a stale one (a mount stopped twice) finds
 * nothing to run. */
static struct {
	void (*fn)(void *arg);
	void *arg;
	int id;
} undo[UNDO_MAX];
static int nundo, last_id;
static pid_t undo_owner;

static void undo_at_exit(void)
{
	demo_undo_all();
}

int demo_undo_push(void (*fn)(void *arg), void *arg)
{
	if (!undo_owner) {
		undo_owner = getpid();
		atexit(undo_at_exit);
	}
	if (nundo == UNDO_MAX)
		errx(FSI_EXIT_FATAL, "too many things to undo");
	undo[nundo].fn = fn;
	undo[nundo].arg = arg;
	undo[nundo].id = ++last_id;
	return undo[nundo++].id;
}

void demo_undo_now(int h)
{
	void (*fn)(void *arg);
	int i;

	if (getpid() != undo_owner)
		return;
	for (i = 0; i < nundo && undo[i].id != h; i++)
		;
	if (i == nundo || !undo[i].fn)
		return;
	fn = undo[i].fn;
	undo[i].fn = NULL;
	fn(undo[i].arg);
	while (nundo > 0 && !undo[nundo - 1].fn)
		nundo--;
}

void demo_undo_drop(int h)
{
	int i;

	for (i = 0; i < nundo; i++)
		if (undo[i].id == h)
			undo[i].fn = NULL;
	while (nundo > 0 && !undo[nundo - 1].fn)
		nundo--;
}

static void guard_stop(void);

void demo_undo_all(void)
{
	if (getpid() != undo_owner)
		return;
	while (nundo > 0)
		demo_undo_now(undo[nundo - 1].id);
	guard_stop();
}

/* ------------------------------------------------------------------ */
/* Sysctls                                                            */
/* ------------------------------------------------------------------ */

/*
 * A sysctl is a machine-wide setting that outlives us: restoring it from
 * an undo is not enough when fsinspect is killed with SIGKILL (a test
 * harness's timeout, the OOM killer).  So the first change forks a
 * guardian that holds the read end of a pipe and is told, before each
 * change, "S path old" and, after each restore, "R path".  When the pipe
 * ends without a final "Q" (every writer is gone: we died), the guardian
 * writes back every old value not yet restored.  It keeps no other
 * descriptor (none into a mount), ignores the terminal's signals and
 * exits on end of file; a normal end sends "Q" and reaps it.
 */
#define GUARD_MAX 8

static int guard_fd = -1;
static pid_t guard_pid;

struct sysctl_undo {
	char path[128];
	char old[64];
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The guardian's life: read lines until end of file, then restore. */
static void __attribute__((noreturn)) guard_main(int in)
{
	struct sysctl_undo set[GUARD_MAX];
	bool live[GUARD_MAX] = {false};
	char buf[4096], *line, *nl;
	size_t len = 0;
	ssize_t n;
	int i;

	for (;;) {
		n = read(in, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			char path[128] = "", old[64] = "";

			*nl = '\0';
			if (strcmp(line, "Q") == 0)
				_exit(0);
			if (sscanf(line, "S %127s %63s", path, old) == 2) {
				for (i = 0; i < GUARD_MAX && live[i]; i++)
					;
				if (i < GUARD_MAX) {
					snprintf(set[i].path, sizeof(set[i].path),
						 "%s", path);
					snprintf(set[i].old, sizeof(set[i].old),
						 "%s", old);
					live[i] = true;
				}
			} else if (sscanf(line, "R %127s", path) == 1) {
				for (i = GUARD_MAX - 1; i >= 0; i--)
					if (live[i] &&
					    strcmp(set[i].path, path) == 0) {
						live[i] = false;
						break;
					}
			}
			line = nl + 1;
		}
		len = strlen(line);
		memmove(buf, line, len + 1);
	}
	/* Last set first: a path set twice ends at its first old value. */
	for (i = GUARD_MAX - 1; i >= 0; i--)
		if (live[i] && write_file(set[i].path, set[i].old) == 0)
			fprintf(stderr,
				"fsinspect demo: restored %s to %s after "
				"fsinspect died\n",
				set[i].path, set[i].old);
	_exit(0);
}

/* Fork the guardian once; false if it cannot run (then no change). */
static bool guard_start(void)
{
	int p[2];
	pid_t pid;

	if (guard_fd >= 0)
		return true;
	/* A socket, not a pipe: a write to a guardian that is gone is
	 * EPIPE (MSG_NOSIGNAL), not a SIGPIPE that would kill us. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return false;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		prctl(PR_SET_NAME, "fsi-sysctl-guard");
		if (dup2(p[0], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		close(0);
		close(1);
		guard_main(3);
	}
	close(p[0]);
	guard_fd = p[1];
	guard_pid = pid;
	return true;
}

/* "S path old" (@old given) or "R path" (@old NULL) to the guardian. */
static bool guard_say(const char *path, const char *old)
{
	char line[256];
	int n = old ? snprintf(line, sizeof(line), "S %s %s\n", path, old)
		    : snprintf(line, sizeof(line), "R %s\n", path);

	return n > 0 && (size_t)n < sizeof(line) &&
	       send(guard_fd, line, (size_t)n, MSG_NOSIGNAL) == n;
}

/* Every sysctl is back: tell the guardian to leave, and reap it. */
static void guard_stop(void)
{
	if (guard_fd < 0)
		return;
	/* Fails only if it is gone already; the wait below reaps it. */
	send(guard_fd, "Q\n", 2, MSG_NOSIGNAL);
	close(guard_fd);
	guard_fd = -1;
	while (waitpid(guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void sysctl_restore(void *arg)
{
	struct sysctl_undo *u = arg;
	int err = write_file(u->path, u->old);

	if (err)
		warnx("cannot restore '%s' to %s: %s", u->path, u->old,
		      strerror(-err));
	else
		guard_say(u->path, NULL);
	free(u);
}

int demo_sysctl_set(const char *path, const char *value, char *old, int *handle)
{
	struct sysctl_undo *u = fsi_xcalloc(1, sizeof(*u));
	FILE *f = fopen(path, "re");
	int err;

	if (!f || !fgets(u->old, sizeof(u->old), f)) {
		err = f ? -EIO : -errno;
		goto out_free;
	}
	fclose(f);
	f = NULL;
	u->old[strcspn(u->old, "\n")] = '\0';
	snprintf(u->path, sizeof(u->path), "%s", path);
	/* The guardian knows the old value before the new one is set. */
	err = -EAGAIN;
	if (!u->old[0] || strchr(u->old, ' ') || !guard_start() ||
	    !guard_say(path, u->old))
		goto out_free;
	err = write_file(path, value);
	if (err) {
		guard_say(path, NULL);
		goto out_free;
	}
	snprintf(old, 64, "%s", u->old);
	*handle = demo_undo_push(sysctl_restore, u);
	return 0;
out_free:
	if (f)
		fclose(f);
	free(u);
	return err;
}

/* ------------------------------------------------------------------ */
/* Finding and running programs                                       */
/* ------------------------------------------------------------------ */

/* The glassfs binary: beside us in the build tree (../fs/glassfs),
 * beside us when installed, or in PATH. */
static void find_glassfs(char *out, size_t len)
{
	char exe[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		dir = dirname(exe);
		snprintf(out, len, "%s/../fs/glassfs", dir);
		if (access(out, X_OK) == 0)
			return;
		snprintf(out, len, "%s/glassfs", dir);
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "glassfs"); /* execvp searches PATH */
}

/* Run fusermount3 @flag @mnt, quietly; its exit status or -errno. */
static int fusermount(const char *flag, const char *mnt)
{
	char *argv[] = {"fusermount3", (char *)flag, (char *)mnt, NULL};
	posix_spawn_file_actions_t fa;
	int rc, status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "fusermount3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	/* Not restarted: a signal ends the wait early, which is fine for
	 * every bounded poll here. */
	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* Scratch mounts                                                     */
/* ------------------------------------------------------------------ */

/* In the forked daemon, before exec. */
static void exec_daemon(const struct demo_mount *m, pid_t parent)
{
	char bin[PATH_MAX];
	char *argv[8];
	int n = 0, fd;

	setpgid(0, 0); /* the terminal's ^C is for fsinspect, who unmounts */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	fd = open(m->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(127);
	find_glassfs(bin, sizeof(bin));
	argv[n++] = "glassfs";
	argv[n++] = "-f";
	if (m->opts[0]) {
		argv[n++] = "-o";
		argv[n++] = (char *)m->opts;
	}
	argv[n++] = (char *)m->store;
	argv[n++] = (char *)m->mnt;
	argv[n] = NULL;
	execvp(bin, argv);
	fprintf(stderr, "cannot run '%s': %s\n", bin, strerror(errno));
	_exit(127);
}

static void print_log(const struct demo_mount *m)
{
	char line[512];
	FILE *f = fopen(m->log, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

/* The device of @path from the kernel's cached attributes. */
static int dev_of(const char *path, struct statx *sx)
{
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_TYPE, sx) < 0)
		return -errno;
	return 0;
}

/*
 * Whether something is mounted on our mountpoint: its device differs
 * from its parent's.  Not from the mount table, which fsinspect reads
 * once per run (mounts.c); a dead daemon's mount (ENOTCONN) counts.
 */
static bool mounted(const struct demo_mount *m)
{
	struct statx a, b;

	if (dev_of(m->tmp, &b))
		return false;
	if (dev_of(m->mnt, &a))
		return true;
	return a.stx_dev_major != b.stx_dev_major ||
	       a.stx_dev_minor != b.stx_dev_minor;
}

/* Our mount as gmount sees one: the connection is the minor of st_dev. */
static int fill_gmount(struct demo_mount *m)
{
	struct statx sx;
	int err = dev_of(m->mnt, &sx);

	if (err)
		return err;
	memset(&m->gm, 0, sizeof(m->gm));
	snprintf(m->gm.mountpoint, sizeof(m->gm.mountpoint), "%s", m->mnt);
	snprintf(m->gm.source, sizeof(m->gm.source), "%s", m->store);
	snprintf(m->gm.fstype, sizeof(m->gm.fstype), "fuse.glassfs");
	m->gm.major = sx.stx_dev_major;
	m->gm.minor = sx.stx_dev_minor;
	m->gm.owner = geteuid();
	m->gm.glassfs = true;
	return gmount_rundir(&m->gm);
}

/* The daemon's trace ring, from its "hello". */
static int open_ring(struct demo_mount *m, json_object *hello)
{
	const char *trace = gmount_str(hello, "trace");
	int err;

	if (gmount_u64(hello, "conn") != m->gm.minor)
		return -ESTALE;
	if (!trace)
		return -ENOENT; /* mounted with notrace */
	err = ring_open(trace, &m->ring);
	m->ring_ok = err == 0;
	return err;
}

/* Once its control socket answers (our scratch mounts). */
static int open_daemon(struct demo_mount *m)
{
	json_object *hello = NULL;
	int err;

	err = fill_gmount(m);
	if (!err)
		err = gmount_ctl(&m->gm, "hello", &hello);
	if (!err)
		err = open_ring(m, hello);
	json_object_put(hello);
	return err;
}

/*
 * Bounded poll: mounted within 10 s, then its control socket answering
 * within 2 s more.  -EAGAIN when mounted but the socket never answers:
 * an exiting daemon of an earlier mount that had the same connection
 * number removes its socket path after the kernel reused the number
 * (reported in /tmp/glassfs-bugs/demo.md); a new mount fixes it.
 */
static int wait_ready(struct demo_mount *m)
{
	int i, status, err = -ETIMEDOUT, since = -1;

	for (i = 0; i < 500 && (since < 0 || i - since < 100); i++) {
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			m->pid = 0;
			warnx("glassfs exited (status %d) before mounting '%s'",
			      WIFEXITED(status) ? WEXITSTATUS(status) : 128,
			      m->mnt);
			print_log(m);
			return -ECHILD;
		}
		if (demo_interrupted())
			return -EINTR;
		if (mounted(m)) {
			if (since < 0)
				since = i;
			err = open_daemon(m);
			if (!err)
				return 0;
		}
		sleep_ms(20);
	}
	if (since >= 0)
		return -EAGAIN;
	warnx("glassfs did not mount '%s' within 10 s: %s", m->mnt,
	      strerror(-err));
	print_log(m);
	return err;
}

static int spawn_daemon(struct demo_mount *m)
{
	pid_t parent = getpid();

	fflush(NULL);
	m->pid = fork();
	if (m->pid < 0) {
		m->pid = 0;
		return -errno;
	}
	if (m->pid == 0)
		exec_daemon(m, parent);
	return wait_ready(m);
}

static void unmount_daemon(struct demo_mount *m);

/* Start the daemon; mount again while the control socket is missing. */
static int spawn_ready(struct demo_mount *m)
{
	int tries, err = -EAGAIN;

	for (tries = 0; tries < 3 && err == -EAGAIN; tries++) {
		if (tries)
			unmount_daemon(m);
		err = spawn_daemon(m);
	}
	if (err == -EAGAIN) {
		warnx("the glassfs daemon of '%s' publishes no control "
		      "socket",
		      m->mnt);
		print_log(m);
		err = -ENOTCONN; /* not a disturbed page cache: an error */
	}
	return err;
}

/* Unmount (retrying while busy, then lazily) and reap our daemon. */
static void unmount_daemon(struct demo_mount *m)
{
	int i, status;

	if (m->ring_ok)
		ring_close(&m->ring);
	m->ring_ok = false;
	for (i = 0; i < 50 && mounted(m); i++) {
		if (fusermount("-u", m->mnt) == 0)
			break;
		sleep_ms(100);
	}
	if (mounted(m)) {
		warnx("'%s' stays busy: detaching it", m->mnt);
		fusermount("-uz", m->mnt);
	}
	for (i = 0; m->pid && i < 200; i++) {
		pid_t r = waitpid(m->pid, &status, WNOHANG);

		if (r == m->pid || (r < 0 && errno == ECHILD)) {
			if (r == m->pid &&
			    (!WIFEXITED(status) || WEXITSTATUS(status))) {
				warnx("glassfs of '%s' ended with status %d",
				      m->mnt, status);
				print_log(m);
			}
			m->pid = 0;
			break;
		}
		sleep_ms(50);
	}
	if (m->pid) {
		warnx("glassfs of '%s' did not exit: killing it", m->mnt);
		kill(m->pid, SIGKILL);
		waitpid(m->pid, &status, 0);
		m->pid = 0;
	}
}

void demo_rmdir(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			if (unlinkat(dirfd(dp), d->d_name, 0) < 0 &&
			    errno == EISDIR)
				unlinkat(dirfd(dp), d->d_name, AT_REMOVEDIR);
	closedir(dp);
	if (rmdir(dir) < 0)
		warn("cannot remove '%s'", dir);
}

static void stop_scratch(void *arg)
{
	struct demo_mount *m = arg;

	unmount_daemon(m);
	if (m->tmp[0])
		demo_rmdir(m->tmp);
	m->tmp[0] = '\0';
	if (m->heap)
		free(m);
}

static void detach(void *arg)
{
	struct demo_mount *m = arg;

	if (m->ring_ok)
		ring_close(&m->ring);
	m->ring_ok = false;
}

static int make_tmp(struct demo_mount *m)
{
	const char *t = getenv("TMPDIR");

	snprintf(m->tmp, sizeof(m->tmp), "%s/fsinspect-demo.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(m->tmp)) {
		warn("cannot create a directory in '%s'", t ? t : "/tmp");
		m->tmp[0] = '\0';
		return -errno;
	}
	snprintf(m->store, sizeof(m->store), "%s/store.db", m->tmp);
	snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->tmp);
	snprintf(m->log, sizeof(m->log), "%s/glassfs.log", m->tmp);
	if (mkdir(m->mnt, 0755) < 0)
		return -errno;
	return 0;
}

int dm_start(struct demo_mount *m, const char *opts)
{
	int err;

	memset(m, 0, sizeof(*m));
	snprintf(m->opts, sizeof(m->opts), "%s", opts ? opts : "");
	m->undo = demo_undo_push(stop_scratch, m);
	err = make_tmp(m);
	if (!err)
		err = spawn_ready(m);
	if (err)
		dm_stop(m);
	return err;
}

int dm_attach(struct demo_mount *m, const char *path)
{
	json_object *hello = NULL;
	int err;

	memset(m, 0, sizeof(*m));
	err = gmount_attach(path, &m->gm, &hello);
	if (err)
		return err;
	snprintf(m->mnt, sizeof(m->mnt), "%s", m->gm.mountpoint);
	err = open_ring(m, hello);
	json_object_put(hello);
	if (err)
		warnx("cannot read the request trace of '%s': %s", m->mnt,
		      strerror(-err));
	else
		m->undo = demo_undo_push(detach, m);
	return err;
}

void dm_stop(struct demo_mount *m)
{
	demo_undo_now(m->undo);
}

int dm_remount(struct demo_mount *m)
{
	if (!m->tmp[0])
		return -EOPNOTSUPP;
	unmount_daemon(m);
	return spawn_ready(m);
}

/*
 * What a killed daemon leaves in its runtime directory (the trace ring,
 * megabytes of /run, and the socket): ours to remove, while the dead
 * mount still holds its connection number, so that no other mount can
 * have taken the directory over.
 */
static void remove_rundir(const struct demo_mount *m)
{
	static const char *const left[] = {"trace", "ctl"};
	char path[PATH_MAX + 8];
	size_t i;

	if (!m->gm.rundir[0])
		return;
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", m->gm.rundir, left[i]);
		unlink(path);
	}
	rmdir(m->gm.rundir);
}

int dm_kill(struct demo_mount *m, int sig, int *status)
{
	if (!m->tmp[0] || !m->pid)
		return -EOPNOTSUPP;
	if (kill(m->pid, sig) < 0)
		return -errno;
	while (waitpid(m->pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	/* Reaped here: unmounting it later waits for no one. */
	m->pid = 0;
	remove_rundir(m);
	return 0;
}

int demo_extra_mount(struct demo_ctx *c, const char *opts,
		     struct demo_mount **out)
{
	struct demo_mount *m;
	int err;

	if (!c->scratch)
		return -EOPNOTSUPP;
	m = fsi_xcalloc(1, sizeof(*m));
	err = dm_start(m, opts);
	if (err) { /* dm_start undid itself */
		free(m);
		return err;
	}
	m->heap = true; /* from now on, freed by its undo */
	*out = m;
	return 0;
}

int demo_subctx(const struct demo_ctx *c, struct demo_mount *m,
		struct demo_ctx *sub)
{
	*sub = *c;
	sub->mnt = m;
	snprintf(sub->dir, sizeof(sub->dir), "%s", m->mnt);
	sub->dirfd = open(m->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return sub->dirfd < 0 ? -errno : 0;
}

void demo_subctx_close(struct demo_ctx *sub)
{
	if (sub->dirfd >= 0)
		close(sub->dirfd);
	sub->dirfd = -1;
}
