// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmount.c - see gmount.h.  The ring protocol is the one documented in
 * fs/glassfs_trace.h: per-slot sequence numbers read before and after
 * copying a record, overruns detected from the header's head.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gmount.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
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

/* Parses one mountinfo line into @m. */
static int parse_line(char *line, struct gmount *m)
{
	char mnt[PATH_MAX], fstype[64], src[PATH_MAX], opts[1024];
	char *dash = strstr(line, " - "), *uid;

	memset(m, 0, sizeof(*m));
	if (!dash || sscanf(line, "%*u %*u %u:%u %*s %4095s", &m->major,
			    &m->minor, mnt) != 3)
		return -EINVAL;
	if (sscanf(dash + 3, "%63s %4095s %1023s", fstype, src, opts) != 3)
		return -EINVAL;
	unescape(mnt);
	unescape(src);
	snprintf(m->mountpoint, sizeof(m->mountpoint), "%s", mnt);
	snprintf(m->source, sizeof(m->source), "%s", src);
	snprintf(m->fstype, sizeof(m->fstype), "%s", fstype);
	m->glassfs = !strcmp(fstype, "fuse.glassfs");
	uid = strstr(opts, "user_id=");
	m->owner = uid ? (uid_t)strtoul(uid + 8, NULL, 10) : 0;
	return 0;
}

static bool under(const char *path, const char *mnt)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return true;
	return !strncmp(path, mnt, n) && (path[n] == '/' || !path[n]);
}

int gmount_find(const char *path, struct gmount *m)
{
	char real[PATH_MAX], line[8192];
	size_t best = 0;
	struct gmount cur;
	int found = -ENOENT;
	FILE *f;

	if (!realpath(path, real))
		return -errno;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (parse_line(line, &cur) || !under(real, cur.mountpoint))
			continue;
		/* The deepest mountpoint wins; the last of equals (a mount
		 * over a mount). */
		if (strlen(cur.mountpoint) >= best) {
			best = strlen(cur.mountpoint);
			*m = cur;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

int gmount_by_dev(unsigned major, unsigned minor, struct gmount *m)
{
	char line[8192];
	struct gmount cur;
	int found = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!parse_line(line, &cur) && cur.major == major &&
		    cur.minor == minor) {
			*m = cur;
			found = 0;
		}
	fclose(f);
	return found;
}

static bool has_socket(const char *dir)
{
	char p[PATH_MAX + 8];
	struct stat st;

	snprintf(p, sizeof(p), "%s/ctl", dir);
	return stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

int gmount_rundir(struct gmount *m)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char cand[4][PATH_MAX];
	int n = 0;

	if (!m->glassfs)
		return -ENOENT;
	if (m->owner == 0)
		snprintf(cand[n++], PATH_MAX, "/run/glassfs/%u", m->minor);
	if (xdg && xdg[0] == '/' && getuid() == m->owner)
		snprintf(cand[n++], PATH_MAX, "%.4000s/glassfs/%u", xdg,
			 m->minor);
	snprintf(cand[n++], PATH_MAX, "/run/user/%u/glassfs/%u",
		 (unsigned)m->owner, m->minor);
	snprintf(cand[n++], PATH_MAX, "/tmp/glassfs-%u/%u",
		 (unsigned)m->owner, m->minor);
	for (int i = 0; i < n; i++)
		if (has_socket(cand[i])) {
			snprintf(m->rundir, sizeof(m->rundir), "%s", cand[i]);
			return 0;
		}
	return -ENOENT;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
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
			free(buf);
			return n ? -errno : -EPIPE;
		}
		used += (size_t)n;
		buf[used] = '\0';
		if (memchr(buf, '\n', used))
			break;
	}
	*out = buf;
	return 0;
}

int gmount_ctl(const struct gmount *m, const char *cmd, json_object **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *line = NULL;
	int fd, err;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", m->rundir) >=
	    (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out_close;
	}
	err = send_all(fd, cmd, strlen(cmd));
	if (!err)
		err = send_all(fd, "\n", 1);
	if (!err)
		err = recv_line(fd, &line);
	if (err)
		goto out_close;
	*reply = json_tokener_parse(line);
	free(line);
	if (!*reply)
		err = -EPROTO;
	else if (json_object_object_get_ex(*reply, "error", NULL))
		err = -EPROTO;
out_close:
	close(fd);
	return err;
}

int ring_open(const char *path, struct ring *r)
{
	const struct gfs_trace_hdr *h;
	struct stat st;
	int fd, err = 0;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < GFS_TRACE_HDR_SIZE) {
		close(fd);
		return -EPROTO;
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -errno;
	r->hdr = h;
	r->map_len = (size_t)st.st_size;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != GFS_TRACE_MAGIC ||
	    h->version != GFS_TRACE_VERSION ||
	    h->hdr_size != GFS_TRACE_HDR_SIZE ||
	    h->rec_size != GFS_TRACE_REC_SIZE || !h->capacity ||
	    (h->capacity & (h->capacity - 1)) ||
	    GFS_TRACE_HDR_SIZE + h->capacity * GFS_TRACE_REC_SIZE > r->map_len)
		err = -EPROTO;
	if (err) {
		ring_close(r);
		return err;
	}
	r->recs = (const void *)((const char *)h + GFS_TRACE_HDR_SIZE);
	ring_skip_to_now(r);
	return 0;
}

void ring_close(struct ring *r)
{
	if (r->hdr)
		munmap((void *)r->hdr, r->map_len);
	r->hdr = NULL;
}

static uint64_t head(const struct ring *r)
{
	return __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
}

void ring_rewind(struct ring *r)
{
	uint64_t h = head(r);

	r->next = h > r->hdr->capacity ? h - r->hdr->capacity + 1 : 1;
}

void ring_skip_to_now(struct ring *r)
{
	r->next = head(r) + 1;
}

bool ring_alive(const struct ring *r)
{
	return __atomic_load_n(&r->hdr->enabled, __ATOMIC_ACQUIRE) != 0;
}

int ring_read(struct ring *r, struct gfs_trace_rec *rec)
{
	uint64_t cap = r->hdr->capacity;

	for (;;) {
		uint64_t h = head(r), oldest, seq;
		const struct gfs_trace_rec *slot;

		if (r->next > h)
			return 0;
		oldest = h >= cap ? h - cap + 1 : 1;
		if (r->next < oldest) {
			r->missed += oldest - r->next;
			r->next = oldest;
		}
		slot = &r->recs[(r->next - 1) & (cap - 1)];
		seq = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);
		if (seq > r->next)
			continue; /* lapped: oldest moves on */
		if (seq != r->next)
			return 0; /* handed out, still being written */
		memcpy(rec, slot, sizeof(*rec));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) == r->next &&
		    rec->seq == r->next) {
			r->next++;
			return 1;
		}
		/* Overwritten while copying: the writer lapped us. */
	}
}
