// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmount.c - see gmount.h.  The mount table is mounts.c's; this file
 * adds what is glassfs's own: where the runtime directory is and how to
 * talk to the control socket.
 *
 * The daemon serves its socket one client at a time: every command here
 * connects, asks and hangs up, so that a long session (trace, watch)
 * never keeps other tools waiting, and gives up after a timeout when
 * another client holds the daemon.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gmount.h"
#include "mounts.h"

#define CTL_TIMEOUT_S 5

static void from_entry(const struct mnt_entry *e, struct gmount *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->mountpoint, sizeof(m->mountpoint), "%s", e->mountpoint);
	snprintf(m->source, sizeof(m->source), "%s", e->source);
	snprintf(m->fstype, sizeof(m->fstype), "%s", e->fstype);
	m->major = major(e->dev);
	m->minor = minor(e->dev);
	m->owner = e->owner;
	m->glassfs = !strcmp(e->fstype, "fuse.glassfs");
}

int gmount_find(const char *path, struct gmount *m)
{
	const struct mnt_entry *e;
	int rc = mnt_find(path, &e);

	if (!rc)
		from_entry(e, m);
	return rc;
}

int gmount_by_dev(unsigned maj, unsigned min, struct gmount *m)
{
	const struct mnt_entry *e;
	int rc = mnt_by_dev(makedev(maj, min), &e);

	if (!rc)
		from_entry(e, m);
	return rc;
}

static bool has_socket(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%.4000s/ctl", dir);
	return stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* BASE/CONN, if it holds a socket. */
static bool try_rundir(struct gmount *m, const char *base)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%.4000s/%u", base, m->minor);
	if (!has_socket(dir))
		return false;
	memcpy(m->rundir, dir, sizeof(m->rundir));
	return true;
}

/* The places fs/control.c's run_base() may have chosen, in its order. */
int gmount_rundir(struct gmount *m)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char base[PATH_MAX];

	if (!m->glassfs)
		return -ENOENT;
	if (m->owner == 0 && try_rundir(m, "/run/glassfs"))
		return 0;
	snprintf(base, sizeof(base), "%.4000s/glassfs", xdg ? xdg : "");
	if (xdg && xdg[0] == '/' && getuid() == m->owner && try_rundir(m, base))
		return 0;
	snprintf(base, sizeof(base), "/run/user/%u/glassfs",
		 (unsigned)m->owner);
	if (try_rundir(m, base))
		return 0;
	snprintf(base, sizeof(base), "/tmp/glassfs-%u", (unsigned)m->owner);
	return try_rundir(m, base) ? 0 : -ENOENT;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && errno == EAGAIN ? -ETIMEDOUT : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (the reply) into a growing buffer. */
static int recv_line(int fd, char **out)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap), *p;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (used + 1 == cap) {
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n == 0	    ? -EPIPE
				  : errno == EAGAIN ? -ETIMEDOUT
						    : -errno;

			free(buf);
			return err;
		}
		used += (size_t)n;
		buf[used] = '\0';
		if (memchr(buf, '\n', used))
			break;
	}
	*out = buf;
	return 0;
}

static int connect_ctl(const struct gmount *m, int *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_TIMEOUT_S};
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", m->rundir) >=
	    (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int gmount_ctl(const struct gmount *m, const char *cmd, json_object **reply)
{
	char *line = NULL;
	int fd = -1, err;

	*reply = NULL;
	err = connect_ctl(m, &fd);
	if (err)
		return err;
	err = send_all(fd, cmd, strlen(cmd));
	if (!err)
		err = send_all(fd, "\n", 1);
	if (!err)
		err = recv_line(fd, &line);
	close(fd);
	if (err)
		return err;
	*reply = json_tokener_parse(line);
	free(line);
	if (!*reply || !json_object_is_type(*reply, json_type_object))
		return -EPROTO;
	if (json_object_object_get_ex(*reply, "error", NULL))
		return -EPROTO;
	return 0;
}

uint64_t gmount_u64(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_object_get_uint64(v);
}

const char *gmount_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * The daemon opens its socket just after mounting (it needs the
 * connection number): a mount younger than this may not have it yet.
 */
#define RUNDIR_WAIT_MS 1000

static int wait_rundir(struct gmount *m)
{
	struct timespec step = {.tv_nsec = 50 * 1000000L};
	int rc, waited;

	for (waited = 0;; waited += 50) {
		rc = gmount_rundir(m);
		if (rc != -ENOENT || waited >= RUNDIR_WAIT_MS)
			return rc;
		nanosleep(&step, NULL);
	}
}

static int find_glassfs(const char *path, struct gmount *m)
{
	int rc = gmount_find(path, m);

	if (rc) {
		warnx("cannot find the mount of '%s': %s", path, strerror(-rc));
		return rc;
	}
	if (!m->glassfs) {
		warnx("'%s' is not on a glassfs mount (it is on %s, mounted at "
		      "'%s')",
		      path, m->fstype, m->mountpoint);
		return -EMEDIUMTYPE;
	}
	rc = wait_rundir(m);
	if (rc)
		warnx("cannot find the control socket of the glassfs mount at "
		      "'%s' (mounted by uid %u): the daemon publishes none, or "
		      "only to its user",
		      m->mountpoint, (unsigned)m->owner);
	return rc;
}

int gmount_attach(const char *path, struct gmount *m, json_object **hello)
{
	json_object *h = NULL;
	int rc = find_glassfs(path, m);

	if (rc)
		return rc;
	rc = gmount_ctl(m, "hello", &h);
	if (rc) {
		warnx("cannot talk to the glassfs daemon of '%s' (%s/ctl): %s",
		      m->mountpoint, m->rundir, strerror(-rc));
	} else if (gmount_u64(h, "conn") != m->minor) {
		warnx("the control socket '%s/ctl' belongs to another mount "
		      "than '%s'",
		      m->rundir, m->mountpoint);
		rc = -ESTALE;
	}
	if (rc || !hello)
		json_object_put(h);
	else
		*hello = h;
	return rc;
}
