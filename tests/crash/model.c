// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * model.c - the crash loop's model of what is durable, and the check of
 * a remounted tree against it (see model.h for what covers what).
 *
 * Layer: test harness; plain POSIX calls on directory descriptors, no
 * glassfs code.  Losses are what glassfs promised and did not keep: a
 * covered byte that came back different, a covered size, a covered name
 * that is missing or names another inode.  Inconsistencies are states
 * no sequence of committed requests could produce: a namespace that is
 * not the covered one plus a prefix of the later changes (glassfs
 * commits requests in order), a link count that does not match the
 * names, a size outside every size the file had.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

#define MODEL_MAX_OBJ 128
#define BITMAP_BYTES (MODEL_MAX_FILE / 8)
#define MAX_REPORTS 40

static const char *const dir_names[MODEL_DIRS] = {"", "a/", "b/"};

/* ------------------------------------------------------------------ */
/* Bitmaps and objects                                                */
/* ------------------------------------------------------------------ */

static void bits_set(unsigned char *b, size_t from, size_t to)
{
	size_t whole;

	for (; from < to && from % 8; from++)
		b[from / 8] |= (unsigned char)(1u << (from % 8));
	whole = (to - from) / 8;
	memset(b + from / 8, 0xff, whole);
	for (from += whole * 8; from < to; from++)
		b[from / 8] |= (unsigned char)(1u << (from % 8));
}

static bool bit(const unsigned char *b, size_t i)
{
	return b[i / 8] & (1u << (i % 8));
}

void model_init(struct model *m, FILE *out)
{
	memset(m, 0, sizeof(*m));
	m->out = out;
	m->obj = calloc(MODEL_MAX_OBJ, sizeof(*m->obj));
	if (!m->obj)
		abort();
	for (int s = 0; s < MODEL_SLOTS; s++)
		m->name[s] = m->snap[s] = -1;
}

static void obj_free(struct mobj *ob)
{
	free(ob->cur);
	free(ob->dur);
	free(ob->touched);
	free(ob->mapped);
	memset(ob, 0, sizeof(*ob));
	ob->fd = -1;
}

void model_free(struct model *m)
{
	for (int i = 0; i < m->nobj; i++)
		if (m->obj[i].used)
			obj_free(&m->obj[i]);
	free(m->obj);
	free(m->log);
	m->obj = NULL;
	m->log = NULL;
}

void model_set_wt(struct model *m, bool wt)
{
	m->wt = wt;
}

/* Large callocs are fresh anonymous mappings: only bytes written cost
 * memory, so every object can afford MODEL_MAX_FILE. */
int model_obj_new(struct model *m, uint64_t ino, int fd)
{
	struct mobj *ob;
	int o;

	for (o = 0; o < m->nobj && m->obj[o].used; o++)
		;
	if (o == MODEL_MAX_OBJ)
		return -1;
	if (o == m->nobj)
		m->nobj++;
	ob = &m->obj[o];
	memset(ob, 0, sizeof(*ob));
	ob->used = true;
	ob->ino = ino;
	ob->fd = fd;
	ob->cur = calloc(1, MODEL_MAX_FILE);
	ob->dur = calloc(1, MODEL_MAX_FILE);
	ob->touched = calloc(1, BITMAP_BYTES);
	ob->mapped = calloc(1, BITMAP_BYTES);
	if (!ob->cur || !ob->dur || !ob->touched || !ob->mapped)
		abort();
	return o;
}

/* A change of @ob from now on: the size it may have taken. */
static void obj_changing(struct mobj *ob, size_t size)
{
	ob->dirty = true;
	ob->flushed = false;
	if (size < ob->min_size)
		ob->min_size = size;
	if (size > ob->max_size)
		ob->max_size = size;
}

/* ------------------------------------------------------------------ */
/* Changes                                                            */
/* ------------------------------------------------------------------ */

void model_write(struct model *m, int o, size_t off, const void *buf,
		 size_t len, bool done, bool via_mmap)
{
	struct mobj *ob = &m->obj[o];
	size_t end = off + len;

	assert(end <= MODEL_MAX_FILE);
	bits_set(ob->touched, off, end);
	if (via_mmap)
		bits_set(ob->mapped, off, end);
	obj_changing(ob, end > ob->size ? end : ob->size);
	if (!done)
		return;
	memcpy(ob->cur + off, buf, len);
	if (end > ob->size)
		ob->size = end;
}

void model_truncate(struct model *m, int o, size_t size, bool done)
{
	struct mobj *ob = &m->obj[o];
	size_t lo = size < ob->size ? size : ob->size;
	size_t hi = size < ob->size ? ob->size : size;

	assert(size <= MODEL_MAX_FILE);
	bits_set(ob->touched, lo, hi);
	obj_changing(ob, size);
	if (!done)
		return;
	if (size < ob->size)
		memset(ob->cur + size, 0, ob->size - size);
	ob->size = size;
}

void model_punch(struct model *m, int o, size_t off, size_t len, bool done)
{
	struct mobj *ob = &m->obj[o];
	size_t end = off + len > ob->size ? ob->size : off + len;

	if (off >= end)
		return;
	bits_set(ob->touched, off, end);
	obj_changing(ob, ob->size);
	if (done)
		memset(ob->cur + off, 0, end - off);
}

void model_closed(struct model *m, int o)
{
	m->obj[o].fd = -1;
	m->obj[o].flushed = true;
}

static void log_add(struct model *m, enum nsop_type t, int src, int dst, int o)
{
	if (m->nlog == m->caplog) {
		m->caplog = m->caplog * 2 + 64;
		m->log = realloc(m->log, (size_t)m->caplog * sizeof(*m->log));
		if (!m->log)
			abort();
	}
	m->log[m->nlog++] = (struct nsop){t, src, dst, o};
}

static void ns_apply(int *names, const struct nsop *op)
{
	switch (op->type) {
	case NS_CREATE:
	case NS_LINK:
		names[op->dst] = op->obj;
		break;
	case NS_UNLINK:
		names[op->src] = -1;
		break;
	case NS_RENAME:
		/* rename(2) between two links of one inode does nothing */
		if (names[op->src] != names[op->dst]) {
			names[op->dst] = names[op->src];
			names[op->src] = -1;
		}
		break;
	}
}

static void ns_change(struct model *m, enum nsop_type t, int src, int dst,
		      int o, bool done)
{
	log_add(m, t, src, dst, o);
	if (done)
		ns_apply(m->name, &m->log[m->nlog - 1]);
}

void model_create(struct model *m, int slot, int o, bool done)
{
	ns_change(m, NS_CREATE, -1, slot, o, done);
}

void model_link(struct model *m, int src, int dst, bool done)
{
	ns_change(m, NS_LINK, src, dst, m->name[src], done);
}

void model_unlink(struct model *m, int slot, bool done)
{
	ns_change(m, NS_UNLINK, slot, -1, m->name[slot], done);
}

void model_rename(struct model *m, int src, int dst, bool done)
{
	ns_change(m, NS_RENAME, src, dst, m->name[src], done);
}

/* ------------------------------------------------------------------ */
/* Covers                                                             */
/* ------------------------------------------------------------------ */

/* Everything of @ob is durable; with @keep_mapped, except the bytes
 * written through mmap since its last cover. */
static void obj_cover(struct mobj *ob, bool keep_mapped)
{
	bool left = false;

	memcpy(ob->dur, ob->cur, ob->size);
	ob->dur_size = ob->min_size = ob->max_size = ob->size;
	if (keep_mapped) {
		memcpy(ob->touched, ob->mapped, BITMAP_BYTES);
		for (size_t i = 0; !left && i < BITMAP_BYTES; i++)
			left = ob->mapped[i];
	} else {
		memset(ob->touched, 0, BITMAP_BYTES);
		memset(ob->mapped, 0, BITMAP_BYTES);
	}
	ob->dirty = left;
}

static bool obj_named(const struct model *m, int o)
{
	for (int s = 0; s < MODEL_SLOTS; s++)
		if (m->name[s] == o || m->snap[s] == o)
			return true;
	return false;
}

/* Every request answered so far is committed: the namespace, and the
 * data that reached the daemon. */
static void cover_global(struct model *m)
{
	memcpy(m->snap, m->name, sizeof(m->snap));
	m->nlog = 0;
	for (int o = 0; o < m->nobj; o++) {
		struct mobj *ob = &m->obj[o];

		if (!ob->used)
			continue;
		if (ob->dirty && ob->flushed)
			obj_cover(ob, false);
		else if (ob->dirty && m->wt)
			obj_cover(ob, true);
		/* Unnamed and closed: it can never be seen again. */
		if (ob->fd < 0 && !obj_named(m, o))
			obj_free(ob);
	}
}

void model_fsync(struct model *m, int o)
{
	if (o >= 0)
		obj_cover(&m->obj[o], false);
	cover_global(m);
}

void model_msync(struct model *m, int o)
{
	obj_cover(&m->obj[o], false);
}

/* ------------------------------------------------------------------ */
/* Checks                                                             */
/* ------------------------------------------------------------------ */

int model_slot_dir(int slot)
{
	return slot / MODEL_PER_DIR;
}

void model_slot_name(int slot, char *buf, size_t size)
{
	snprintf(buf, size, "f%d", slot % MODEL_PER_DIR);
}

static void slot_path(int slot, char *buf, size_t size)
{
	snprintf(buf, size, "%sf%d", dir_names[model_slot_dir(slot)],
		 slot % MODEL_PER_DIR);
}

static void report(struct model *m, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct model *m, const char *kind, const char *fmt, ...)
{
	unsigned long n = m->losses + m->inconsistent;
	va_list ap;

	if (!strcmp(kind, "loss"))
		m->losses++;
	else
		m->inconsistent++;
	if (n >= MAX_REPORTS)
		return;
	fprintf(m->out, "%s: ", kind);
	va_start(ap, fmt);
	vfprintf(m->out, fmt, ap);
	va_end(ap);
	fputc('\n', m->out);
}

static void hex8(char *out, const unsigned char *p, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		sprintf(out + 3 * i, "%02x ", p[i]);
}

bool model_live_size(struct model *m, int o, size_t size)
{
	const struct mobj *ob = &m->obj[o];

	m->checks++;
	if (size == ob->size)
		return true;
	report(m, "live mismatch", "inode %llu: size %zu, written %zu",
	       (unsigned long long)ob->ino, size, ob->size);
	return false;
}

bool model_live_read(struct model *m, int o, size_t off, const void *buf,
		     size_t len)
{
	const struct mobj *ob = &m->obj[o];
	const unsigned char *b = buf;
	char want[32], got[32];

	m->checks++;
	for (size_t i = 0; i < len; i++) {
		if (b[i] == ob->cur[off + i])
			continue;
		hex8(want, ob->cur + off + i, len - i);
		hex8(got, b + i, len - i);
		report(m, "live mismatch",
		       "inode %llu: byte %zu: wrote %sread %s",
		       (unsigned long long)ob->ino, off + i, want, got);
		return false;
	}
	return true;
}

/* The tree as found after a remount. */
struct found {
	uint64_t ino[MODEL_SLOTS];
	int file[MODEL_SLOTS]; /* index into files[], or -1 */
	struct ffile {
		uint64_t ino;
		nlink_t nlink;
		size_t size;
		int slot; /* first slot naming it */
		unsigned char *data;
	} files[MODEL_SLOTS];
	int nfiles;
};

static int read_all(int fd, unsigned char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = pread(fd, buf + got, size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		got += (size_t)n;
	}
	return 0;
}

static int found_file(struct model *m, struct found *f, int dirfd, int slot,
		      const struct stat *st)
{
	struct ffile *ff = &f->files[f->nfiles];
	char name[16], path[32];
	int fd, err;

	model_slot_name(slot, name, sizeof(name));
	slot_path(slot, path, sizeof(path));
	ff->ino = (uint64_t)st->st_ino;
	ff->nlink = st->st_nlink;
	ff->slot = slot;
	ff->size = (size_t)st->st_size;
	if (st->st_size > MODEL_MAX_FILE) {
		report(m, "inconsistent",
		       "%s: size %lld, larger than any "
		       "size written",
		       path, (long long)st->st_size);
		ff->size = MODEL_MAX_FILE;
	}
	ff->data = calloc(1, MODEL_MAX_FILE);
	if (!ff->data)
		abort();
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_all(fd, ff->data, ff->size);
	close(fd);
	if (err)
		fprintf(m->out, "cannot read '%s': %s\n", path, strerror(-err));
	return err;
}

static int found_slot(struct model *m, struct found *f, int dirfd, int slot)
{
	char name[16], path[32];
	struct stat st;

	f->ino[slot] = 0;
	f->file[slot] = -1;
	model_slot_name(slot, name, sizeof(name));
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode)) {
		slot_path(slot, path, sizeof(path));
		report(m, "inconsistent", "%s: not a regular file (mode %o)",
		       path, st.st_mode);
		return 0;
	}
	f->ino[slot] = (uint64_t)st.st_ino;
	for (int i = 0; i < f->nfiles; i++)
		if (f->files[i].ino == f->ino[slot])
			f->file[slot] = i;
	if (f->file[slot] >= 0)
		return 0;
	f->file[slot] = f->nfiles;
	if (found_file(m, f, dirfd, slot, &st))
		return -EIO;
	f->nfiles++;
	return 0;
}

/* Names the workload never makes are inconsistencies. */
static int found_strays(struct model *m, int d, int dirfd)
{
	struct dirent *de;
	DIR *dir;
	int fd = dup(dirfd);

	if (fd < 0 || !(dir = fdopendir(fd)))
		return -errno;
	while ((de = readdir(dir))) {
		const char *n = de->d_name;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (d == 0 && (!strcmp(n, "a") || !strcmp(n, "b")))
			continue;
		if (n[0] == 'f' && n[1] >= '0' && n[1] < '0' + MODEL_PER_DIR &&
		    !n[2])
			continue;
		report(m, "inconsistent", "%s%s: a name never made",
		       dir_names[d], n);
	}
	closedir(dir);
	return 0;
}

static int found_scan(struct model *m, struct found *f,
		      const int dirfd[MODEL_DIRS])
{
	int err = 0;

	memset(f, 0, sizeof(*f));
	for (int d = 0; !err && d < MODEL_DIRS; d++)
		err = found_strays(m, d, dirfd[d]);
	for (int s = 0; !err && s < MODEL_SLOTS; s++)
		err = found_slot(m, f, dirfd[model_slot_dir(s)], s);
	return err;
}

static void found_free(struct found *f)
{
	for (int i = 0; i < f->nfiles; i++)
		free(f->files[i].data);
}

/* Whether the names in @state are the inodes found. */
static bool ns_match(const struct model *m, const int *state,
		     const struct found *f)
{
	for (int s = 0; s < MODEL_SLOTS; s++) {
		int o = state[s];

		if (o < 0 && f->ino[s])
			return false;
		if (o >= 0 && !f->ino[s])
			return false;
		if (o >= 0 && m->obj[o].ino && m->obj[o].ino != f->ino[s])
			return false;
	}
	return true;
}

/* The covered names, each unless changed since: a difference is a loss. */
static void ns_losses(struct model *m, const struct found *f)
{
	bool changed[MODEL_SLOTS] = {false};
	char path[32];

	for (int i = 0; i < m->nlog; i++) {
		if (m->log[i].src >= 0 && m->log[i].type != NS_LINK)
			changed[m->log[i].src] = true;
		if (m->log[i].dst >= 0)
			changed[m->log[i].dst] = true;
	}
	for (int s = 0; s < MODEL_SLOTS; s++) {
		int o = m->snap[s];
		uint64_t want = o >= 0 ? m->obj[o].ino : 0;

		if (changed[s])
			continue;
		m->checks++;
		if (o >= 0 && !want)
			continue;
		if (f->ino[s] == want)
			continue;
		slot_path(s, path, sizeof(path));
		report(m, "loss", "%s: fsync'd as %s%llu, found %s%llu", path,
		       want ? "inode " : "absent", (unsigned long long)want,
		       f->ino[s] ? "inode " : "absent",
		       (unsigned long long)f->ino[s]);
	}
}

/* The prefix of the changes since the last fsync that the tree shows;
 * -1 if none does.  @state gets the names of that prefix. */
static int ns_prefix(const struct model *m, const struct found *f, int *state)
{
	memcpy(state, m->snap, sizeof(m->snap));
	for (int k = 0;; k++) {
		if (ns_match(m, state, f))
			return k;
		if (k == m->nlog)
			return -1;
		ns_apply(state, &m->log[k]);
	}
}

static void ns_describe(struct model *m, const struct found *f)
{
	char path[32];

	fprintf(m->out, "  names found / fsync'd:");
	for (int s = 0; s < MODEL_SLOTS; s++) {
		int o = m->snap[s];

		if (!f->ino[s] && o < 0)
			continue;
		slot_path(s, path, sizeof(path));
		fprintf(m->out, " %s=%llu/%llu", path,
			(unsigned long long)f->ino[s],
			(unsigned long long)(o >= 0 ? m->obj[o].ino : 0));
	}
	fprintf(m->out, "\n  %d changes since:", m->nlog);
	for (int i = 0; i < m->nlog; i++)
		fprintf(m->out, " %s(%d,%d)",
			(const char *[]){"create", "link", "unlink",
					 "rename"}[m->log[i].type],
			m->log[i].src, m->log[i].dst);
	fputc('\n', m->out);
}

/* One loss per file: how many covered bytes differ, where, the first. */
static void check_bytes(struct model *m, const struct mobj *ob,
			const struct ffile *ff, const char *path)
{
	size_t n = ff->size < ob->dur_size ? ff->size : ob->dur_size;
	size_t first = 0, last = 0, bad = 0;
	char want[32], got[32];

	for (size_t i = 0; i < n; i++) {
		if (bit(ob->touched, i) || ff->data[i] == ob->dur[i])
			continue;
		if (!bad++)
			first = i;
		last = i;
	}
	if (!bad)
		return;
	hex8(want, ob->dur + first, n - first);
	hex8(got, ff->data + first, n - first);
	report(m, "loss",
	       "%s (inode %llu): %zu fsync'd bytes differ in "
	       "%zu..%zu; at %zu fsync'd as %sfound %s",
	       path, (unsigned long long)ff->ino, bad, first, last, first, want,
	       got);
}

static void check_content(struct model *m, const struct mobj *ob,
			  const struct ffile *ff)
{
	char path[32];

	slot_path(ff->slot, path, sizeof(path));
	m->checks++;
	if (ff->size < ob->min_size || ff->size > ob->max_size) {
		bool covered = ob->min_size == ob->max_size;

		report(m, covered ? "loss" : "inconsistent",
		       "%s (inode %llu): size %zu, %s %zu..%zu", path,
		       (unsigned long long)ff->ino, ff->size,
		       covered ? "fsync'd as" : "never outside", ob->min_size,
		       ob->max_size);
	}
	check_bytes(m, ob, ff, path);
}

static int obj_by_ino(const struct model *m, uint64_t ino)
{
	for (int o = 0; o < m->nobj; o++)
		if (m->obj[o].used && m->obj[o].ino == ino)
			return o;
	return -1;
}

static void check_files(struct model *m, const struct found *f,
			const int *state, bool matched)
{
	char path[32];

	for (int i = 0; i < f->nfiles; i++) {
		const struct ffile *ff = &f->files[i];
		nlink_t names = 0;
		int o;

		for (int s = 0; s < MODEL_SLOTS; s++)
			names += f->ino[s] == ff->ino;
		m->checks++;
		if (names != ff->nlink) {
			slot_path(ff->slot, path, sizeof(path));
			report(m, "inconsistent",
			       "%s (inode %llu): nlink %lu, "
			       "%lu names",
			       path, (unsigned long long)ff->ino,
			       (unsigned long)ff->nlink, (unsigned long)names);
		}
		o = matched ? state[ff->slot] : obj_by_ino(m, ff->ino);
		if (o >= 0 && m->obj[o].ino == ff->ino)
			check_content(m, &m->obj[o], ff);
	}
}

/* The model becomes the tree found, all of it durable. */
static void reload(struct model *m, const struct found *f)
{
	int map[MODEL_SLOTS];

	for (int o = 0; o < m->nobj; o++)
		if (m->obj[o].used)
			obj_free(&m->obj[o]);
	m->nobj = 0;
	m->nlog = 0;
	for (int i = 0; i < f->nfiles; i++) {
		struct mobj *ob;

		map[i] = model_obj_new(m, f->files[i].ino, -1);
		ob = &m->obj[map[i]];
		ob->size = ob->dur_size = f->files[i].size;
		ob->min_size = ob->max_size = ob->size;
		memcpy(ob->cur, f->files[i].data, ob->size);
		memcpy(ob->dur, f->files[i].data, ob->size);
	}
	for (int s = 0; s < MODEL_SLOTS; s++)
		m->name[s] = m->snap[s] =
			f->file[s] >= 0 ? map[f->file[s]] : -1;
}

int model_check_reload(struct model *m, const int dirfd[MODEL_DIRS])
{
	int state[MODEL_SLOTS], k, err;
	struct found *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	err = found_scan(m, f, dirfd);
	if (err) {
		found_free(f);
		free(f);
		return err;
	}
	ns_losses(m, f);
	k = ns_prefix(m, f, state);
	m->checks++;
	if (k < 0) {
		report(m, "inconsistent",
		       "the names are not the fsync'd ones "
		       "plus a prefix of the %d changes since",
		       m->nlog);
		ns_describe(m, f);
	}
	check_files(m, f, state, k >= 0);
	reload(m, f);
	found_free(f);
	free(f);
	return 0;
}
