// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mountd.c - start, kill, reap and unmount one glassfs daemon for the
 * crash loop; run `glassfs check` on its store.
 *
 * Layer: test harness, no glassfs code.  Readiness is read from
 * /proc/self/mountinfo rather than by stat(2) on the mountpoint, which
 * would itself be a FUSE request.  Unmounting goes through fusermount3,
 * which works for root and for other users alike; a dead daemon's mount
 * is detached with fusermount3 -uz.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mountd.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int mountd_mounted(const char *mnt)
{
	char line[4096], point[4096], type[256];
	int found = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		/* 36 35 0:39 / MNT rw,... shared:1 - fuse.glassfs SRC ... */
		if (!sep ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(sep + 3, "%255s", type) != 1)
			continue;
		found = !strcmp(point, mnt) && !strncmp(type, "fuse", 4);
	}
	fclose(f);
	return found;
}

/* fork + exec with stdout and stderr appended to @log; returns the pid. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int run_wait(char *const argv[], const char *log)
{
	pid_t pid = spawn(argv, log);
	int status;

	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* For whoever must clean up after us if we are killed. */
static void write_pidfile(const struct mountd *m)
{
	FILE *f;

	if (!m->pidfile)
		return;
	f = fopen(m->pidfile, "we");
	if (!f)
		return;
	fprintf(f, "%d\n", (int)m->pid);
	fclose(f);
}

int mountd_start(struct mountd *m, const char *opts)
{
	char *argv[] = {(char *)m->glassfs, "-f",	    "-o", (char *)opts,
			(char *)m->store,   (char *)m->mnt, NULL};
	int status;

	if (!opts) {
		argv[2] = (char *)m->store;
		argv[3] = (char *)m->mnt;
		argv[4] = NULL;
	}

	m->pid = spawn(argv, m->log);
	if (m->pid < 0) {
		m->pid = 0;
		return -errno;
	}
	write_pidfile(m);
	for (int i = 0; i < 2000; i++) {
		if (mountd_mounted(m->mnt))
			return 0;
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			fprintf(stderr,
				"glassfs exited (status %d) before "
				"mounting '%s': see '%s'\n",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				m->mnt, m->log);
			m->pid = 0;
			return -EIO;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "glassfs did not mount '%s' within 20 s\n", m->mnt);
	return -ETIMEDOUT;
}

void mountd_signal(const struct mountd *m, int sig)
{
	if (m->pid > 0)
		kill(m->pid, sig);
}

static int detach(const struct mountd *m)
{
	char *argv[] = {"fusermount3", "-uz", (char *)m->mnt, NULL};

	if (!mountd_mounted(m->mnt))
		return 0;
	return run_wait(argv, m->log) ? -EBUSY : 0;
}

int mountd_reap(struct mountd *m)
{
	int status;

	if (m->pid > 0) {
		while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
			;
		m->pid = 0;
	}
	return detach(m);
}

int mountd_stop(struct mountd *m)
{
	char *argv[] = {"fusermount3", "-u", (char *)m->mnt, NULL};
	int status, i;

	for (i = 0; i < 100 && mountd_mounted(m->mnt); i++) {
		if (!run_wait(argv, m->log))
			break;
		sleep_ms(100);
	}
	if (mountd_mounted(m->mnt)) {
		fprintf(stderr, "cannot unmount '%s': busy\n", m->mnt);
		detach(m);
	}
	if (m->pid <= 0)
		return 0;
	while (waitpid(m->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	m->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "glassfs ended with status %d: see '%s'\n",
			WIFEXITED(status) ? WEXITSTATUS(status)
					  : 128 + WTERMSIG(status),
			m->log);
		return -EIO;
	}
	return 0;
}

int mountd_check(const struct mountd *m, const char *out, int repair)
{
	char *argv[] = {(char *)m->glassfs, "check", (char *)m->store, NULL,
			NULL};

	if (repair) {
		argv[2] = "--repair";
		argv[3] = (char *)m->store;
	}
	return run_wait(argv, out);
}
