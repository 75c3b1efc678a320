// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tracefs.c - see tracefs.h.
 *
 * Layer: measurement plumbing; no output, no options.  Behaviour relied
 * on (Linux 6.18, FACTS.md): tracefs is not mounted by default here; an
 * instance has its own buffer, clock, options and event switches, and
 * rmdir of the instance disables its events; the "mono" clock is
 * CLOCK_MONOTONIC, so its timestamps compare with the daemon's records;
 * trace_pipe prints them with microseconds (rounded), and with the
 * "fields" option every field as name=value, numbers as "0x33 (51)".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tracefs.h"

#define TRACEFS_MAGIC_NUMBER 0x74726163
#define TRACEFS_DEFAULT "/sys/kernel/tracing"
#define INSTANCE_PREFIX "fsinspect-"

/* The instance to remove at exit (one per process). */
static struct tfs *tfs_active;

static void tfs_atexit(void)
{
	if (tfs_active)
		tfs_close(tfs_active);
}

static bool is_tracefs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == TRACEFS_MAGIC_NUMBER;
}

/* A tracefs already mounted, the default place first. */
static bool find_mounted(char *out, size_t size)
{
	char line[4096], mnt[PATH_MAX], fstype[64];
	bool found = false;
	FILE *f;

	if (is_tracefs(TRACEFS_DEFAULT)) {
		snprintf(out, size, "%s", TRACEFS_DEFAULT);
		return true;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(dash + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "tracefs") ||
		    sscanf(line, "%*u %*u %*s %*s %4095s", mnt) != 1)
			continue;
		/* An escaped name (\040) is not worth decoding: skip it. */
		if (!strchr(mnt, '\\') && is_tracefs(mnt)) {
			snprintf(out, size, "%s", mnt);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* The kernel lockdown state, when it restricts anything. */
static void lockdown_hint(char *buf, size_t size)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && !strstr(line, "[none]")) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, size, "; kernel lockdown is '%s'", line);
	}
	fclose(f);
}

static int find_root(struct tfs *t, char *why, size_t whylen)
{
	const char *env = getenv("FSINSPECT_TRACEFS");
	int err;

	if (env && *env) {
		snprintf(t->root, sizeof(t->root), "%s", env);
		if (is_tracefs(t->root))
			return 0;
		snprintf(why, whylen,
			 "'%s' (FSINSPECT_TRACEFS) is not a tracefs", env);
		return -ENOENT;
	}
	if (find_mounted(t->root, sizeof(t->root)))
		return 0;
	snprintf(t->root, sizeof(t->root), "%s", TRACEFS_DEFAULT);
	if (mount("nodev", t->root, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0) {
		t->mounted_by_us = true;
		return 0;
	}
	err = -errno;
	snprintf(why, whylen,
		 "tracefs is not mounted and cannot be mounted at "
		 "'%s': %s%s",
		 t->root, strerror(-err),
		 err == -EPERM	  ? " (mounting needs root)"
		 : err == -ENODEV ? " (the kernel has no tracefs)"
				  : "");
	return err;
}

/* Writes @s to the file @rel of @dir.  0 or -errno. */
static int write_at(const char *dir, const char *rel, const char *s)
{
	char path[PATH_MAX * 2];
	size_t len = strlen(s);
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

/* Instances of fsinspect processes that died without cleaning up. */
static void remove_stale(const char *root)
{
	char dir[PATH_MAX + 16], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/instances", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, INSTANCE_PREFIX,
			    strlen(INSTANCE_PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(INSTANCE_PREFIX), &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rmdir(path);
	}
	closedir(d);
}

static int make_instance(struct tfs *t, char *why, size_t whylen)
{
	char hint[160];
	int err;

	remove_stale(t->root);
	snprintf(t->inst, sizeof(t->inst),
		 "%.4000s/instances/" INSTANCE_PREFIX "%d", t->root,
		 (int)getpid());
	if (mkdir(t->inst, 0700) == 0)
		return 0;
	err = -errno;
	lockdown_hint(hint, sizeof(hint));
	snprintf(why, whylen, "cannot create the tracefs instance '%s': %s%s%s",
		 t->inst, strerror(-err),
		 err == -EACCES || err == -EPERM ? " (tracing needs root)" : "",
		 hint);
	t->inst[0] = '\0';
	return err;
}

static int configure(struct tfs *t, unsigned buffer_kb, char *why,
		     size_t whylen)
{
	char kb[32];
	int err;

	err = write_at(t->inst, "trace_clock", "mono");
	if (err) {
		snprintf(why, whylen,
			 "tracefs has no 'mono' trace clock "
			 "(needed to compare with CLOCK_MONOTONIC): %s",
			 strerror(-err));
		return err;
	}
	err = write_at(t->inst, "options/fields", "1");
	if (err) {
		snprintf(why, whylen,
			 "tracefs has no 'fields' trace option "
			 "(needed to read event fields by name): %s",
			 strerror(-err));
		return err;
	}
	snprintf(kb, sizeof(kb), "%u", buffer_kb);
	/* A smaller buffer only risks lost events, which are counted. */
	write_at(t->inst, "buffer_size_kb", kb);
	return 0;
}

int tfs_open(struct tfs *t, unsigned buffer_kb, char *why, size_t whylen)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->pipe_fd = -1;
	err = find_root(t, why, whylen);
	if (err)
		return err;
	err = make_instance(t, why, whylen);
	if (!err)
		err = configure(t, buffer_kb, why, whylen);
	if (err) {
		tfs_close(t);
		return err;
	}
	if (!tfs_active)
		atexit(tfs_atexit);
	tfs_active = t;
	return 0;
}

bool tfs_has_event(const struct tfs *t, const char *sys, const char *name)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events/%s/%s/enable", t->inst, sys,
		 name);
	return stat(path, &st) == 0;
}

int tfs_enable(struct tfs *t, const char *sys, const char *name,
	       const char *filter, char *why, size_t whylen)
{
	char rel[256];
	int err;

	snprintf(rel, sizeof(rel), "events/%s/%s/filter", sys, name);
	err = write_at(t->inst, rel, filter ? filter : "0");
	if (err) {
		snprintf(why, whylen,
			 "cannot set the filter '%s' of event "
			 "'%s:%s': %s",
			 filter ? filter : "0", sys, name, strerror(-err));
		return err;
	}
	snprintf(rel, sizeof(rel), "events/%s/%s/enable", sys, name);
	err = write_at(t->inst, rel, "1");
	if (err)
		snprintf(why, whylen, "cannot enable event '%s:%s': %s", sys,
			 name, strerror(-err));
	return err;
}

int tfs_start(struct tfs *t)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/trace_pipe", t->inst);
	t->pipe_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return t->pipe_fd < 0 ? -errno : 0;
}

void tfs_stop(struct tfs *t)
{
	if (t->inst[0])
		write_at(t->inst, "tracing_on", "0");
}

void tfs_close(struct tfs *t)
{
	if (t->pipe_fd >= 0)
		close(t->pipe_fd);
	t->pipe_fd = -1;
	if (t->inst[0]) {
		tfs_stop(t);
		if (rmdir(t->inst) < 0)
			fprintf(stderr,
				"fsinspect: cannot remove the tracefs "
				"instance '%s': %s\n",
				t->inst, strerror(errno));
		t->inst[0] = '\0';
	}
	/* EBUSY: someone else started using it meanwhile; leave it. */
	if (t->mounted_by_us && umount2(t->root, 0) == 0)
		t->mounted_by_us = false;
	t->mounted_by_us = false;
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
	if (tfs_active == t)
		tfs_active = NULL;
}

/* ------------------------------------------------------------------ */
/* Parsing trace_pipe lines                                           */

/*
 * "  comm-pid   [001] d..1.  4887.980448: event: a=0x2 (2) b=0:51"
 * The comm may contain spaces and dashes: the task field ends at the
 * last "-PID" before the first " [CPU]".
 */
static char *parse_task(char *line, struct tfs_line *l)
{
	char *q, *dash, *end;

	for (q = strchr(line, '['); q; q = strchr(q + 1, '[')) {
		char *p = q + 1;

		if (q == line || q[-1] != ' ' || !isdigit((unsigned char)*p))
			continue;
		l->cpu = (unsigned)strtoul(p, &end, 10);
		if (*end == ']')
			break;
	}
	if (!q)
		return NULL;
	end = q;
	while (end > line && end[-1] == ' ')
		end--;
	*end = '\0';
	dash = strrchr(line, '-');
	if (!dash || !isdigit((unsigned char)dash[1]))
		return NULL;
	*dash = '\0';
	l->pid = (uint32_t)strtoul(dash + 1, NULL, 10);
	while (*line == ' ')
		line++;
	snprintf(l->comm, sizeof(l->comm), "%s", line);
	return strchr(q, ']') + 1;
}

static char *next_token(char **p)
{
	char *s = *p, *e;

	while (*s == ' ')
		s++;
	if (!*s)
		return NULL;
	e = s + strcspn(s, " ");
	if (*e)
		*e++ = '\0';
	*p = e;
	return s;
}

/* "4887.980448:" -> nanoseconds, whatever the number of decimals. */
static int parse_time(const char *s, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0, scale = 1000000000;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++)
		sec = sec * 10 + (uint64_t)(*s - '0');
	if (*s++ != '.')
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		scale /= 10;
		frac += (uint64_t)(*s - '0') * scale;
	}
	if (*s != ':')
		return -EINVAL;
	*ns = sec * 1000000000ull + frac;
	return 0;
}

/* The value text of a field: "0x33", "(0)", "0:51", "42". */
static void field_value(struct tfs_field *f)
{
	const char *s = f->text;
	char *end;

	f->is_num = false;
	if (s[0] == '(') {
		f->num = (uint64_t)strtoll(s + 1, &end, 10);
		f->is_num = end != s + 1 && *end == ')';
	} else if (s[0] == '0' && s[1] == 'x') {
		f->num = strtoull(s + 2, &end, 16);
		f->is_num = end != s + 2 && !*end;
	} else if (isdigit((unsigned char)s[0]) || s[0] == '-') {
		f->num = (uint64_t)strtoll(s, &end, 10);
		f->is_num = !*end;
	}
}

static void parse_fields(char *p, struct tfs_line *l)
{
	char *tok, *eq;

	l->nf = 0;
	while ((tok = next_token(&p))) {
		size_t n = strlen(tok);

		/* "(51)": the decimal form of the field just read. */
		if (tok[0] == '(' && tok[n - 1] == ')' && l->nf > 0) {
			struct tfs_field *prev = &l->f[l->nf - 1];

			prev->num = (uint64_t)strtoll(tok + 1, NULL, 10);
			prev->is_num = true;
			continue;
		}
		eq = strchr(tok, '=');
		if (!eq || l->nf == TFS_MAX_FIELDS)
			continue;
		*eq = '\0';
		l->f[l->nf].name = tok;
		l->f[l->nf].text = eq + 1;
		field_value(&l->f[l->nf]);
		l->nf++;
	}
}

int tfs_parse_line(char *line, struct tfs_line *l, uint64_t *lost)
{
	unsigned cpu;
	unsigned long n;
	char *p, *tok;

	if (sscanf(line, "CPU:%u [LOST %lu EVENTS]", &cpu, &n) == 2) {
		*lost = n;
		return 1;
	}
	memset(l, 0, sizeof(*l));
	p = parse_task(line, l);
	if (!p)
		return -EINVAL;
	tok = next_token(&p);
	/* The flags column ("d..1.") is there unless irq-info is off. */
	if (tok && parse_time(tok, &l->t_ns))
		tok = next_token(&p);
	if (!tok || parse_time(tok, &l->t_ns))
		return -EINVAL;
	tok = next_token(&p);
	if (!tok || tok[strlen(tok) - 1] != ':')
		return -EINVAL;
	tok[strlen(tok) - 1] = '\0';
	l->event = tok;
	parse_fields(p, l);
	return 0;
}

const struct tfs_field *tfs_field(const struct tfs_line *l, const char *name)
{
	int i;

	for (i = 0; i < l->nf; i++)
		if (!strcmp(l->f[i].name, name))
			return &l->f[i];
	return NULL;
}

uint64_t tfs_num(const struct tfs_line *l, const char *name, uint64_t dflt)
{
	const struct tfs_field *f = tfs_field(l, name);

	return f && f->is_num ? f->num : dflt;
}

/* ------------------------------------------------------------------ */
/* Reading trace_pipe                                                 */

static int fill(struct tfs *t)
{
	ssize_t n;

	if (t->cap - t->len < 65536) {
		char *nb = realloc(t->buf, t->cap + 65536);

		if (!nb)
			return -ENOMEM;
		t->buf = nb;
		t->cap += 65536;
	}
	n = read(t->pipe_fd, t->buf + t->len, t->cap - t->len - 1);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	t->len += (size_t)n;
	return (int)n;
}

/* Parse and hand out the complete lines of the buffer. */
static int drain_lines(struct tfs *t, tfs_line_fn fn, void *ctx)
{
	struct tfs_line l;
	size_t start = 0;
	char *nl;
	int count = 0;

	t->buf[t->len] = '\0';
	while ((nl = memchr(t->buf + start, '\n', t->len - start))) {
		uint64_t lost = 0;
		int rc;

		*nl = '\0';
		rc = tfs_parse_line(t->buf + start, &l, &lost);
		if (rc == 0) {
			fn(ctx, &l);
			count++;
		} else if (rc == 1) {
			t->lost += lost;
		}
		start = (size_t)(nl + 1 - t->buf);
	}
	memmove(t->buf, t->buf + start, t->len - start);
	t->len -= start;
	return count;
}

int tfs_read(struct tfs *t, tfs_line_fn fn, void *ctx)
{
	int total = 0, n;

	if (t->pipe_fd < 0)
		return -EBADF;
	while ((n = fill(t)) > 0)
		total += drain_lines(t, fn, ctx);
	return n < 0 ? n : total;
}
