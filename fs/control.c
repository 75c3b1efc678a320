// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - the mount's runtime directory, its trace ring and its
 * control socket.
 *
 * Layer: daemon wiring, beside the request loop.  The socket is served by
 * one thread, which is not a FUSE worker: it may call the kernel's
 * invalidation notifications without deadlocking the request loop.
 *
 * Protocol (version 1): a client connects to RUNDIR/CONN/ctl and sends
 * lines; each line is one command, answered by one line of JSON:
 *
 *   hello              identity: version, pid, mountpoint, store, trace
 *                      path, connection, cache settings
 *   stats              per-opcode counters, trace position, store facts
 *   inodes             the inodes the kernel holds, with request counters
 *   chunks INO         how inode INO is stored (chunks, bytes)
 *   path INO...        a path of each inode from the mount's root
 *                      ({"paths": {"INO": "/a/b" or null}})
 *   inval INO          drop the kernel's cached pages and attributes of
 *                      INO (fuse_lowlevel_notify_inval_inode)
 *   checkpoint         commit, checkpoint the WAL and truncate it
 *
 * Errors are {"error": "message"}.  Only the mount's owner and root may
 * connect (SO_PEERCRED), on top of the directory's 0700.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "fs.h"
#include "log.h"

#define CONTROL_PROTOCOL 1

struct control {
	struct gfs *g;
	char dir[PATH_MAX];
	char sock[PATH_MAX];
	struct stat sock_st;	/* the socket we bound */
	int listen_fd;
	int stop_pipe[2];
	pthread_t thread;
	bool running;
	uint64_t start_ns;
};

/* ------------------------------------------------------------------ */
/* Finding the mount                                                  */
/* ------------------------------------------------------------------ */

/* Undoes mountinfo's octal escapes (\040 for space ...) in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] &&
		    s[3]) {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * Calls @fn with the connection number and (unescaped) mountpoint of each
 * FUSE mount in /proc/self/mountinfo, in order, until it returns true.
 * 0, or -errno when mountinfo cannot be read.
 */
static int each_fuse_mount(bool (*fn)(void *ctx, unsigned conn,
				      const char *mnt),
			   void *ctx)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[4096], *dash;

		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min,
			   mnt) != 3)
			continue;
		dash = strstr(line, " - ");
		/* "fuse" or "fuse.SUBTYPE"; not fuseblk, not fusectl. */
		if (maj || !dash || (strncmp(dash + 3, "fuse ", 5) &&
				     strncmp(dash + 3, "fuse.", 5)))
			continue;
		unescape(mnt);
		if (fn(ctx, min, mnt))
			break;
	}
	fclose(f);
	return 0;
}

struct conn_at {
	const char *mountpoint;
	uint32_t conn;
	bool found;
};

static bool conn_at(void *ctx, unsigned conn, const char *mnt)
{
	struct conn_at *a = ctx;

	if (!strcmp(mnt, a->mountpoint)) {
		a->conn = conn;
		a->found = true; /* keep going: the last mount wins */
	}
	return false;
}

int control_conn(const char *mountpoint, uint32_t *conn)
{
	struct conn_at a = { .mountpoint = mountpoint };
	int err = each_fuse_mount(conn_at, &a);

	if (err)
		return err;
	if (!a.found)
		return -ENOENT;
	*conn = a.conn;
	return 0;
}

/* Creates @path as a private directory, or checks an existing one. */
static int private_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		gfs_log(GFS_LOG_ERR, "'%s' is not a private directory owned "
			"by uid %u", path, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

struct conn_seen {
	unsigned long conn;
	bool found;
};

static bool conn_seen(void *ctx, unsigned conn, const char *mnt)
{
	struct conn_seen *c = ctx;

	(void)mnt;
	c->found = conn == c->conn;
	return c->found;
}

/* Whether a FUSE connection numbered @conn is mounted (in this mount
 * namespace); true when it cannot tell. */
static bool conn_mounted(unsigned long conn)
{
	struct conn_seen c = { .conn = conn };

	return each_fuse_mount(conn_seen, &c) || c.found;
}

/*
 * Removes the directories of daemons that died without cleaning up
 * (SIGKILL): those whose connection is no longer mounted.  Each holds a
 * trace ring of several MiB in /run, which is memory.
 */
static void sweep_stale(const char *base)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		unsigned long n = strtoul(e->d_name, &end, 10);

		if (end == e->d_name || *end || conn_mounted(n))
			continue;
		snprintf(path, sizeof(path), "%s/%lu/trace", base, n);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%lu/ctl", base, n);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%lu", base, n);
		if (rmdir(path) == 0)
			gfs_log(GFS_LOG_INFO, "removed '%s', left by a daemon "
				"that is gone", path);
	}
	closedir(d);
}

static int run_base(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	uid_t uid = geteuid();
	struct stat st;

	if (uid == 0)
		snprintf(buf, size, "/run/glassfs");
	else if (xdg && xdg[0] == '/')
		snprintf(buf, size, "%s/glassfs", xdg);
	else if (snprintf(buf, size, "/run/user/%u", (unsigned)uid) &&
		 stat(buf, &st) == 0 && st.st_uid == uid)
		snprintf(buf, size, "/run/user/%u/glassfs", (unsigned)uid);
	else
		snprintf(buf, size, "/tmp/glassfs-%u", (unsigned)uid);
	return private_dir(buf);
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2)))
static json_object *jerror(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

#define JADD(o, k, v) json_object_object_add(o, k, v)
#define JU64(v) json_object_new_uint64(v)
#define JSTR(v) json_object_new_string(v)

static json_object *cmd_hello(struct control *c)
{
	const struct gfs_opts *o = c->g->opts;
	static const char *const cache[] = {
		[GFS_CACHE_AUTO] = "auto",
		[GFS_CACHE_ALWAYS] = "always",
		[GFS_CACHE_NEVER] = "never",
	};
	json_object *j = json_object_new_object();
	JADD(j, "glassfs", JSTR(GLASSFS_VERSION));
	JADD(j, "protocol", JU64(CONTROL_PROTOCOL));
	JADD(j, "pid", JU64((uint64_t)getpid()));
	JADD(j, "mountpoint", JSTR(o->mountpoint));
	JADD(j, "store", JSTR(o->store));
	JADD(j, "conn", JU64(c->g->conn));
	JADD(j, "trace", c->g->trace ? JSTR(trace_path(c->g->trace)) : NULL);
	JADD(j, "cache", JSTR(cache[o->cache]));
	JADD(j, "writeback_cache", json_object_new_boolean(c->g->writeback));
	JADD(j, "attr_timeout", json_object_new_double(c->g->attr_timeout));
	JADD(j, "entry_timeout", json_object_new_double(c->g->entry_timeout));
	JADD(j, "negative_timeout",
	     json_object_new_double(c->g->negative_timeout));
	JADD(j, "readonly", json_object_new_boolean(o->ro));
	JADD(j, "commit_ms",
	     JU64(o->commit_ms ? o->commit_ms : STORE_DEFAULT_COMMIT_MS));
	return j;
}

static json_object *opstat_json(const struct gfs_trace_opstat *s)
{
	json_object *j = json_object_new_object();
	json_object *h = json_object_new_array();

	JADD(j, "count", JU64(s->count));
	JADD(j, "errors", JU64(s->errors));
	JADD(j, "bytes", JU64(s->bytes));
	JADD(j, "dur_ns", JU64(s->dur_ns));
	JADD(j, "sql_ns", JU64(s->sql_ns));
	for (int i = 0; i < GFS_TRACE_HIST; i++)
		json_object_array_add(h, JU64(s->hist[i]));
	JADD(j, "hist_us_log2", h);
	return j;
}

static json_object *facts_json(struct store *s)
{
	json_object *j = json_object_new_object();
	struct store_facts f;

	store_facts(s, &f);
	JADD(j, "uuid", JSTR(f.uuid));
	JADD(j, "format_version", JU64(f.format_version));
	JADD(j, "chunk_size", JU64(f.chunk_size));
	JADD(j, "page_size", JU64(f.page_size));
	JADD(j, "file_bytes", JU64(f.file_bytes));
	JADD(j, "wal_bytes", JU64(f.wal_bytes));
	JADD(j, "inodes", JU64(f.inodes));
	JADD(j, "commits", JU64(f.commits));
	JADD(j, "syncs", JU64(f.syncs));
	JADD(j, "committed_reads", JU64(f.committed_reads));
	JADD(j, "batch_bytes", JU64(f.batch_bytes));
	JADD(j, "batch_open", json_object_new_boolean(f.batch_open));
	JADD(j, "batch_age_ns", JU64(f.batch_age_ns));
	JADD(j, "cache_hits", JU64(f.cache_hits));
	JADD(j, "cache_misses", JU64(f.cache_misses));
	JADD(j, "cache_used_bytes", JU64(f.cache_used));
	return j;
}

static json_object *cmd_stats(struct control *c)
{
	json_object *j = json_object_new_object();
	json_object *ops = json_object_new_object();
	struct gfs_trace_opstat st;

	if (c->g->trace) {
		for (unsigned op = 0; op < GFS_TRACE_OP_MAX; op++) {
			const char *name = gfs_trace_op_name(op);

			trace_opstat(c->g->trace, op, &st);
			if (name && st.count)
				JADD(ops, name, opstat_json(&st));
		}
		JADD(j, "trace_head", JU64(trace_head(c->g->trace)));
		JADD(j, "trace_capacity", JU64(trace_capacity(c->g->trace)));
	}
	JADD(j, "tracing", json_object_new_boolean(c->g->trace != NULL));
	JADD(j, "ops", ops);
	JADD(j, "uptime_ns", JU64(trace_now() - c->start_ns));
	JADD(j, "kernel_inodes", JU64(itab_count(&c->g->itab)));
	JADD(j, "store", facts_json(c->g->store));
	return j;
}

static void inode_json(void *ctx, uint64_t ino, uint64_t nlookup,
		       uint32_t nopen, const struct itab_counters *n)
{
	json_object *e = json_object_new_object();

	JADD(e, "ino", JU64(ino));
	JADD(e, "nlookup", JU64(nlookup));
	JADD(e, "nopen", JU64(nopen));
	JADD(e, "reads", JU64(n->reads));
	JADD(e, "read_bytes", JU64(n->read_bytes));
	JADD(e, "writes", JU64(n->writes));
	JADD(e, "write_bytes", JU64(n->write_bytes));
	json_object_array_add(ctx, e);
}

static json_object *cmd_inodes(struct control *c)
{
	json_object *j = json_object_new_object();
	json_object *a = json_object_new_array();

	itab_each(&c->g->itab, inode_json, a);
	JADD(j, "inodes", a);
	return j;
}

static int parse_ino(const char *arg, uint64_t *ino)
{
	char *end;

	if (!arg)
		return -EINVAL;
	errno = 0;
	*ino = strtoull(arg, &end, 10);
	return errno || end == arg || *end || !*ino ? -EINVAL : 0;
}

static json_object *cmd_chunks(struct control *c, const char *arg)
{
	uint64_t ino, chunks, bytes;
	json_object *j;
	int err;

	if (parse_ino(arg, &ino))
		return jerror("invalid inode number '%.64s'", arg ? arg : "");
	err = store_file_chunks(c->g->store, ino, &chunks, &bytes);
	if (err)
		return jerror("%s", strerror(-err));
	j = json_object_new_object();
	JADD(j, "ino", JU64(ino));
	JADD(j, "chunks", JU64(chunks));
	JADD(j, "bytes", JU64(bytes));
	JADD(j, "chunk_size", JU64(store_chunk_size(c->g->store)));
	return j;
}

static json_object *cmd_path(struct control *c, char *arg)
{
	json_object *j = json_object_new_object();
	json_object *paths = json_object_new_object();
	char buf[PATH_MAX], *tok, *save = NULL;
	uint64_t ino;

	for (tok = strtok_r(arg, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (parse_ino(tok, &ino)) {
			json_object_put(paths);
			json_object_put(j);
			return jerror("invalid inode number '%.64s'", tok);
		}
		JADD(paths, tok,
		     store_path(c->g->store, ino, buf, sizeof(buf)) ? NULL
								    : JSTR(buf));
	}
	JADD(j, "paths", paths);
	return j;
}

static json_object *cmd_inval(struct control *c, const char *arg)
{
	struct trace_call tc = { .op = GFS_OP_INVAL_INODE };
	json_object *j;
	uint64_t ino;
	int err;

	if (parse_ino(arg, &ino))
		return jerror("invalid inode number '%.64s'", arg ? arg : "");
	tc.t0 = trace_now();
	tc.ino = ino;
	err = fuse_lowlevel_notify_inval_inode(c->g->se, ino, 0, 0);
	if (c->g->trace)
		trace_end(c->g->trace, &tc, err, 0);
	if (err && err != -ENOENT)
		return jerror("%s", strerror(-err));
	j = json_object_new_object();
	JADD(j, "ino", JU64(ino));
	/* ENOENT: the kernel holds nothing of it, so nothing was cached. */
	JADD(j, "cached", json_object_new_boolean(err == 0));
	return j;
}

static json_object *cmd_checkpoint(struct control *c)
{
	uint64_t before = 0, after = 0;
	json_object *j;
	int err;

	err = store_checkpoint(c->g->store, &before, &after);
	if (err)
		return jerror("%s", strerror(-err));
	j = json_object_new_object();
	JADD(j, "wal_bytes_before", JU64(before));
	JADD(j, "wal_bytes_after", JU64(after));
	return j;
}

static json_object *dispatch(struct control *c, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	if (!strcmp(line, "hello"))
		return cmd_hello(c);
	if (!strcmp(line, "stats"))
		return cmd_stats(c);
	if (!strcmp(line, "inodes"))
		return cmd_inodes(c);
	if (!strcmp(line, "chunks"))
		return cmd_chunks(c, arg);
	if (!strcmp(line, "inval"))
		return cmd_inval(c, arg);
	if (!strcmp(line, "path"))
		return cmd_path(c, arg ? arg : line + strlen(line));
	if (!strcmp(line, "checkpoint"))
		return cmd_checkpoint(c);
	return jerror("unknown command '%.64s'", line);
}

/* ------------------------------------------------------------------ */
/* The socket                                                         */
/* ------------------------------------------------------------------ */

static bool peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Serves one client until it hangs up.  Lines are at most 4 KiB. */
static void serve_client(struct control *c, int fd)
{
	char buf[4096];
	size_t used = 0;

	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', used))) {
			json_object *reply;
			const char *text;

			*nl = '\0';
			reply = dispatch(c, buf);
			text = json_object_to_json_string_ext(
				reply, JSON_C_TO_STRING_PLAIN);
			write_all(fd, text, strlen(text));
			write_all(fd, "\n", 1);
			json_object_put(reply);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used);
		}
		if (used == sizeof(buf))
			return;
		n = read(fd, buf + used, sizeof(buf) - used);
		if (n <= 0)
			return;
		used += (size_t)n;
	}
}

/*
 * Clients are served one at a time: one that stops sending (or reading)
 * must not hold the socket for every other tool, nor keep "inval" from
 * being served.  Tools ask and hang up; this is ample.
 */
#define CLIENT_TIMEOUT_S 2

static void limit_client(int fd)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void *control_main(void *arg)
{
	struct control *c = arg;
	struct pollfd p[2] = {
		{ .fd = c->listen_fd, .events = POLLIN },
		{ .fd = c->stop_pipe[0], .events = POLLIN },
	};

	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		limit_client(fd);
		if (peer_allowed(fd))
			serve_client(c, fd);
		close(fd);
	}
	return NULL;
}

static int listen_on(struct control *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(c->sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, c->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(c->sock);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(c->sock, 0600) < 0 || listen(fd, 8) < 0 ||
	    lstat(c->sock, &c->sock_st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->listen_fd = fd;
	return 0;
}

/*
 * Removes @path only if it is still the file we made.  The kernel frees
 * the connection number when the mount goes, before this daemon learns of
 * it; a newer mount may already have the same number, and the same
 * directory, with its own socket and trace in it.
 */
void control_unlink_own(const char *path, const struct stat *own)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_ino == own->st_ino &&
	    st.st_dev == own->st_dev)
		unlink(path);
}

static int open_trace(struct control *c, uint32_t conn)
{
	const struct gfs_opts *o = c->g->opts;
	char path[PATH_MAX + 8];

	if (!o->trace)
		return 0;
	snprintf(path, sizeof(path), "%s/trace", c->dir);
	return trace_open(path, o->trace_records, o->mountpoint, o->store,
			  conn, &c->g->trace);
}

int control_start(struct gfs *g, struct control **out)
{
	struct control *c = calloc(1, sizeof(*c));
	char base[PATH_MAX - 32];
	uint32_t conn = g->conn;
	int err;

	if (!c)
		return -ENOMEM;
	c->g = g;
	c->listen_fd = -1;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	c->start_ns = trace_now();
	err = g->conn_err;
	if (!err)
		err = run_base(base, sizeof(base));
	if (err)
		goto out_free;
	sweep_stale(base);
	if (snprintf(c->dir, sizeof(c->dir), "%s/%u", base, conn) >=
		    (int)sizeof(c->dir) ||
	    snprintf(c->sock, sizeof(c->sock), "%s/ctl", c->dir) >=
		    (int)sizeof(c->sock)) {
		err = -ENAMETOOLONG;
		goto out_free;
	}
	err = private_dir(c->dir);
	if (!err)
		err = open_trace(c, conn);
	if (!err)
		err = listen_on(c);
	if (!err && pipe2(c->stop_pipe, O_CLOEXEC) < 0)
		err = -errno;
	if (!err)
		err = -pthread_create(&c->thread, NULL, control_main, c);
	if (err)
		goto out_free;
	c->running = true;
	*out = c;
	return 0;

out_free:
	control_stop(c);
	return err;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	if (c->running) {
		write_all(c->stop_pipe[1], "x", 1);
		pthread_join(c->thread, NULL);
	}
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		control_unlink_own(c->sock, &c->sock_st);
	}
	if (c->stop_pipe[0] >= 0) {
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
	}
	trace_close(c->g->trace);
	c->g->trace = NULL;
	if (c->dir[0])
		rmdir(c->dir);
	free(c);
}
