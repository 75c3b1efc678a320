// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_store.c - a libFuzzer target for the store layer (fs/store*.c).
 *
 * Each input is a program: its bytes are read as a sequence of store
 * calls (create, mkdir, symlink, write, read, truncate, punch, allocate,
 * link, unlink, rmdir, rename with its flags, extended attributes, sync,
 * copy, reclaim, readdir) on a fresh ":memory:" store with 4 KiB chunks.
 * A shadow model predicts each call's result (0 or the errno POSIX gives)
 * and holds every file's bytes; after each call the inodes it touched are
 * compared with the model: type, link count, size, every byte, every
 * name.  A difference abort()s, so libFuzzer keeps the input.  Sanitizers
 * (ASan, UBSan, LeakSanitizer) catch the rest.
 *
 * Layer: test harness over store.h; no FUSE.  Built by tests/fuzz/run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "log.h"
#include "store.h"

#define CHUNK 4096
#define SHADOW_MAX (256u * 1024)
#define MAX_NODES 40
#define MAX_DENTS 80
#define MAX_XATTRS 4
#define NAME_BUF (GFS_NAME_MAX + 1)

struct node {
	bool used;
	uint64_t ino;
	mode_t type;
	uint32_t nlink;
	uint64_t size;
	unsigned char *data;	 /* regular files below SHADOW_MAX, else NULL */
	int parent;		 /* directories */
	size_t xlen[MAX_XATTRS]; /* value length + 1, 0 when absent */
	unsigned char xval[MAX_XATTRS][64];
};

struct dent {
	bool used;
	int dir;
	int node;
	char name[NAME_BUF];
};

struct fuzz {
	const uint8_t *p; /* the input, consumed */
	size_t n;
	struct store *s;
	struct node node[MAX_NODES];
	struct dent dent[MAX_DENTS];
	unsigned char buf[SHADOW_MAX];
	unsigned char rd[SHADOW_MAX];
	const char *op;	     /* the call running, for messages */
	unsigned long calls; /* made so far */
	bool full;	     /* compare whole files */
	bool trace;
};

/* The store logs its errors (EEXIST and the like are not logged). */
void gfs_log(enum gfs_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static void fail(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_store: %s: ", f->op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void expect(struct fuzz *f, int got, int want)
{
	if (got != want)
		fail(f, "returned %d (%s), expected %d (%s)", got,
		     strerror(-got), want, strerror(-want));
}

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

static uint8_t u8(struct fuzz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static uint32_t u16(struct fuzz *f)
{
	return u8(f) | (uint32_t)u8(f) << 8;
}

/* An offset: mostly inside the shadow, sometimes near the size limit. */
static uint64_t offset(struct fuzz *f)
{
	uint8_t k = u8(f);

	if (k < 230)
		return (uint64_t)u16(f) * 4 % SHADOW_MAX;
	if (k < 245)
		return (uint64_t)u16(f) * CHUNK + u8(f);
	return (uint64_t)GFS_MAX_FILESIZE - u16(f);
}

/* A name: one of a few, or up to 255 bytes of the input. */
static void name(struct fuzz *f, char *out)
{
	uint8_t k = u8(f);
	size_t len;

	if (k < 220) {
		snprintf(out, NAME_BUF, "n%d", k % 6);
		return;
	}
	len = 1 + u8(f) % GFS_NAME_MAX;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = u8(f);

		out[i] = (char)(c == 0 || c == '/' ? 'x' : c);
	}
	out[len] = 0;
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		strcpy(out, "dot");
}

/* ------------------------------------------------------------------ */
/* The model                                                          */
/* ------------------------------------------------------------------ */

static int pick_node(struct fuzz *f, mode_t type)
{
	int i0 = u8(f) % MAX_NODES;

	for (int k = 0; k < MAX_NODES; k++) {
		int i = (i0 + k) % MAX_NODES;

		if (f->node[i].used && (!type || f->node[i].type == type))
			return i;
	}
	return -1;
}

static int pick_dent(struct fuzz *f)
{
	int i0 = u8(f) % MAX_DENTS;

	for (int k = 0; k < MAX_DENTS; k++)
		if (f->dent[(i0 + k) % MAX_DENTS].used)
			return (i0 + k) % MAX_DENTS;
	return -1;
}

static int find_dent(struct fuzz *f, int dir, const char *nm)
{
	for (int i = 0; i < MAX_DENTS; i++)
		if (f->dent[i].used && f->dent[i].dir == dir &&
		    !strcmp(f->dent[i].name, nm))
			return i;
	return -1;
}

static int add_dent(struct fuzz *f, int dir, const char *nm, int node)
{
	for (int i = 0; i < MAX_DENTS; i++) {
		if (f->dent[i].used)
			continue;
		f->dent[i] = (struct dent){true, dir, node, ""};
		snprintf(f->dent[i].name, NAME_BUF, "%s", nm);
		return i;
	}
	abort(); /* callers check free_dents() first */
}

static int free_dents(const struct fuzz *f)
{
	int n = 0;

	for (int i = 0; i < MAX_DENTS; i++)
		n += !f->dent[i].used;
	return n;
}

static int free_node(const struct fuzz *f)
{
	for (int i = 0; i < MAX_NODES; i++)
		if (!f->node[i].used)
			return i;
	return -1;
}

static bool dir_empty(const struct fuzz *f, int d)
{
	for (int i = 0; i < MAX_DENTS; i++)
		if (f->dent[i].used && f->dent[i].dir == d)
			return false;
	return true;
}

/* Whether directory @a is @d or one of its ancestors. */
static bool is_ancestor(const struct fuzz *f, int a, int d)
{
	for (int depth = 0; depth <= MAX_NODES; depth++) {
		if (d == a)
			return true;
		if (d == 0)
			return false;
		d = f->node[d].parent;
	}
	abort();
}

static void node_drop(struct node *n)
{
	free(n->data);
	memset(n, 0, sizeof(*n));
}

/* Data past the shadow: the file is no longer compared byte by byte. */
static void unshadow(struct node *n)
{
	free(n->data);
	n->data = NULL;
}

/* ------------------------------------------------------------------ */
/* Checks                                                             */
/* ------------------------------------------------------------------ */

/* Bytes of a file against the model: all of them in the final check,
 * a window of 16 KiB that moves from call to call otherwise (a full
 * read at every call would make the target too slow to explore). */
static void check_data(struct fuzz *f, const struct node *n)
{
	uint64_t off = 0, len = SHADOW_MAX;
	size_t got = 0, want;
	int err;

	if (!n->data)
		return;
	if (!f->full && n->size > 16384) {
		off = (f->calls * 4099) % (n->size - 16384);
		len = 16384;
	}
	want = off >= n->size ? 0 : n->size - off < len ? n->size - off : len;
	err = store_read(f->s, n->ino, off, len, f->rd, &got);
	if (err || got != want)
		fail(f, "read of inode %llu at %llu: %d, %zu bytes, size %llu",
		     (unsigned long long)n->ino, (unsigned long long)off, err,
		     got, (unsigned long long)n->size);
	if (memcmp(f->rd, n->data + off, got))
		fail(f, "inode %llu: content differs near %llu",
		     (unsigned long long)n->ino, (unsigned long long)off);
}

static void check_node(struct fuzz *f, int i)
{
	const struct node *n = &f->node[i];
	struct stat st;
	int err;

	if (i < 0 || !n->used)
		return;
	err = store_getattr(f->s, n->ino, &st);
	if (err)
		fail(f, "getattr of inode %llu: %d", (unsigned long long)n->ino,
		     err);
	if ((st.st_mode & S_IFMT) != n->type || st.st_nlink != n->nlink ||
	    (n->type == S_IFREG && (uint64_t)st.st_size != n->size))
		fail(f,
		     "inode %llu: mode %o nlink %lu size %lld, expected "
		     "type %o nlink %u size %llu",
		     (unsigned long long)n->ino, st.st_mode,
		     (unsigned long)st.st_nlink, (long long)st.st_size, n->type,
		     n->nlink, (unsigned long long)n->size);
	check_data(f, n);
}

/* Every name of directory @d resolves to its inode. */
static void check_dir(struct fuzz *f, int d)
{
	struct stat st;

	for (int i = 0; i < MAX_DENTS; i++) {
		const struct dent *e = &f->dent[i];

		if (!e->used || e->dir != d)
			continue;
		if (store_lookup(f->s, f->node[d].ino, e->name, &st) ||
		    st.st_ino != f->node[e->node].ino)
			fail(f, "lookup of '%s' in inode %llu", e->name,
			     (unsigned long long)f->node[d].ino);
	}
	check_node(f, d);
}

/* ------------------------------------------------------------------ */
/* Namespace calls                                                    */
/* ------------------------------------------------------------------ */

static void do_mknod(struct fuzz *f, mode_t type)
{
	struct store_new nw = {.mode = type | 0644, .target = "some/target"};
	int d = pick_node(f, S_IFDIR), i = free_node(f), err;
	char nm[NAME_BUF];
	struct stat st;

	name(f, nm);
	if (d < 0 || i < 0 || !free_dents(f))
		return;
	f->op = "mknod";
	err = store_mknod(f->s, f->node[d].ino, nm, &nw, &st);
	expect(f, err, find_dent(f, d, nm) >= 0 ? -EEXIST : 0);
	if (!err) {
		struct node *n = &f->node[i];

		*n = (struct node){.used = true,
				   .ino = st.st_ino,
				   .type = type,
				   .nlink = 1,
				   .parent = d};
		if (type == S_IFDIR) {
			n->nlink = 2;
			f->node[d].nlink++;
		} else if (type == S_IFLNK) {
			n->size = strlen(nw.target);
		} else if (!(n->data = calloc(1, SHADOW_MAX))) {
			abort();
		}
		add_dent(f, d, nm, i);
		check_node(f, i);
	}
	check_dir(f, d);
}

static void do_create(struct fuzz *f)
{
	do_mknod(f, S_IFREG);
}

static void do_mkdir(struct fuzz *f)
{
	do_mknod(f, S_IFDIR);
}

static void do_symlink(struct fuzz *f)
{
	do_mknod(f, S_IFLNK);
}

static void do_link(struct fuzz *f)
{
	int e = pick_dent(f), d = pick_node(f, S_IFDIR), err, want, src;
	char nm[NAME_BUF];
	struct stat st;

	name(f, nm);
	if (e < 0 || d < 0 || !free_dents(f))
		return;
	src = f->dent[e].node;
	f->op = "link";
	err = store_link(f->s, f->node[src].ino, f->node[d].ino, nm, &st);
	want = f->node[src].type == S_IFDIR ? -EPERM
	       : find_dent(f, d, nm) >= 0   ? -EEXIST
					    : 0;
	expect(f, err, want);
	if (!err) {
		f->node[src].nlink++;
		add_dent(f, d, nm, src);
	}
	check_node(f, src);
	check_dir(f, d);
}

/* An entry goes; its inode loses a link (directories: all of them). */
static void entry_gone(struct fuzz *f, int e)
{
	int i = f->dent[e].node, d = f->dent[e].dir;

	f->dent[e].used = false;
	if (f->node[i].type == S_IFDIR) {
		f->node[d].nlink--;
		f->node[i].nlink = 0;
	} else {
		f->node[i].nlink--;
	}
}

/* A call left @i without links: reclaim it as the ops layer would. */
static void maybe_reclaim(struct fuzz *f, int i, const struct store_gone *g)
{
	if (f->node[i].nlink)
		return;
	if (g->ino != f->node[i].ino || g->nlink)
		fail(f, "gone is inode %llu nlink %u, expected %llu nlink 0",
		     (unsigned long long)g->ino, g->nlink,
		     (unsigned long long)f->node[i].ino);
	/* Files stay readable until reclaimed (unlinked while open). */
	if (f->node[i].type == S_IFREG)
		check_data(f, &f->node[i]);
	expect(f, store_reclaim(f->s, f->node[i].ino), 0);
	node_drop(&f->node[i]);
}

static void do_remove(struct fuzz *f, bool rmdir)
{
	int e = pick_dent(f), i, d, err, want;
	struct store_gone g;

	if (e < 0)
		return;
	i = f->dent[e].node;
	d = f->dent[e].dir;
	f->op = rmdir ? "rmdir" : "unlink";
	if (rmdir)
		err = store_rmdir(f->s, f->node[d].ino, f->dent[e].name, &g);
	else
		err = store_unlink(f->s, f->node[d].ino, f->dent[e].name, &g);
	if (rmdir)
		want = f->node[i].type != S_IFDIR ? -ENOTDIR
		       : !dir_empty(f, i)	  ? -ENOTEMPTY
						  : 0;
	else
		want = f->node[i].type == S_IFDIR ? -EISDIR : 0;
	expect(f, err, want);
	if (!err) {
		entry_gone(f, e);
		maybe_reclaim(f, i, &g);
	}
	check_node(f, i);
	check_dir(f, d);
}

static void do_unlink(struct fuzz *f)
{
	do_remove(f, false);
}

static void do_rmdir(struct fuzz *f)
{
	do_remove(f, true);
}

static int rename_want(struct fuzz *f, int e, int nd, int t, unsigned fl)
{
	int src = f->dent[e].node, dst = t >= 0 ? f->dent[t].node : -1;
	bool sdir = f->node[src].type == S_IFDIR;

	if (t < 0 && fl & RENAME_EXCHANGE)
		return -ENOENT;
	if (t >= 0 && fl & RENAME_NOREPLACE)
		return -EEXIST;
	if (t >= 0 && dst == src)
		return 0;
	if (sdir && is_ancestor(f, src, nd))
		return -EINVAL;
	if (t < 0)
		return 0;
	if (fl & RENAME_EXCHANGE)
		return f->node[dst].type == S_IFDIR &&
				       is_ancestor(f, dst, f->dent[e].dir)
			       ? -EINVAL
			       : 0;
	if (sdir != (f->node[dst].type == S_IFDIR))
		return sdir ? -ENOTDIR : -EISDIR;
	return sdir && !dir_empty(f, dst) ? -ENOTEMPTY : 0;
}

/* Directory @i moves from @from to @to: "..", link counts. */
static void move_dir(struct fuzz *f, int i, int from, int to)
{
	if (f->node[i].type != S_IFDIR || from == to)
		return;
	f->node[i].parent = to;
	f->node[from].nlink--;
	f->node[to].nlink++;
}

static void rename_apply(struct fuzz *f, int e, int nd, int t, const char *nm,
			 unsigned fl, struct store_gone *g)
{
	int src = f->dent[e].node, sd = f->dent[e].dir, dst;

	if (t >= 0 && f->dent[t].node == src)
		return;
	if (fl & RENAME_EXCHANGE) {
		dst = f->dent[t].node;
		f->dent[e].node = dst;
		f->dent[t].node = src;
		move_dir(f, src, sd, nd);
		move_dir(f, dst, nd, sd);
		return;
	}
	if (t >= 0) {
		dst = f->dent[t].node;
		entry_gone(f, t);
		maybe_reclaim(f, dst, g);
	}
	f->dent[e].dir = nd;
	snprintf(f->dent[e].name, NAME_BUF, "%s", nm);
	move_dir(f, src, sd, nd);
}

static void do_rename(struct fuzz *f)
{
	static const unsigned flags[] = {0, 0, RENAME_NOREPLACE,
					 RENAME_EXCHANGE};
	int e = pick_dent(f), nd = pick_node(f, S_IFDIR), t, err, sd;
	unsigned fl = flags[u8(f) % 4];
	char nm[NAME_BUF];
	struct store_gone g;

	name(f, nm);
	if (e < 0 || nd < 0)
		return;
	sd = f->dent[e].dir;
	t = find_dent(f, nd, nm);
	f->op = "rename";
	err = store_rename(f->s, f->node[sd].ino, f->dent[e].name,
			   f->node[nd].ino, nm, fl, &g);
	expect(f, err, rename_want(f, e, nd, t, fl));
	if (!err)
		rename_apply(f, e, nd, t, nm, fl, &g);
	check_dir(f, sd);
	check_dir(f, nd);
	if (f->dent[e].used)
		check_node(f, f->dent[e].node);
}

/* ------------------------------------------------------------------ */
/* Data calls                                                         */
/* ------------------------------------------------------------------ */

static void do_write(struct fuzz *f)
{
	int i = pick_node(f, S_IFREG), err;
	uint64_t off = offset(f), room;
	size_t len = 1 + u16(f) % 20000, done = 0;
	struct node *n;

	if (i < 0)
		return;
	n = &f->node[i];
	for (size_t k = 0; k < len; k++)
		f->buf[k] = (unsigned char)(u8(f) ^ k);
	f->op = "write";
	err = store_write(f->s, n->ino, off, f->buf, len, true, &done);
	room = (uint64_t)GFS_MAX_FILESIZE - off;
	if (!room) {
		if (!err && done)
			fail(f, "wrote %zu bytes at the size limit", done);
		check_node(f, i);
		return;
	}
	expect(f, err, 0);
	if (done != (len < room ? len : room))
		fail(f, "wrote %zu of %zu at %llu", done, len,
		     (unsigned long long)off);
	if (off + done > n->size)
		n->size = off + done;
	if (n->data && off + done <= SHADOW_MAX)
		memcpy(n->data + off, f->buf, done);
	else
		unshadow(n);
	check_node(f, i);
}

static void do_truncate(struct fuzz *f)
{
	struct store_setattr sa = {.valid = STORE_SET_SIZE};
	int i = pick_node(f, S_IFREG);
	struct node *n;
	struct stat st;

	sa.size = offset(f);
	if (i < 0)
		return;
	n = &f->node[i];
	f->op = "truncate";
	expect(f, store_setattr(f->s, n->ino, &sa, &st), 0);
	if (n->data && sa.size < n->size)
		memset(n->data + sa.size, 0, n->size - sa.size);
	if (sa.size > SHADOW_MAX)
		unshadow(n);
	n->size = sa.size;
	check_node(f, i);
}

static void do_fallocate(struct fuzz *f)
{
	static const int modes[] = {0, FALLOC_FL_KEEP_SIZE,
				    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE};
	int i = pick_node(f, S_IFREG), mode = modes[u8(f) % 3];
	uint64_t off = offset(f), len = 1 + u16(f), end;
	struct node *n;

	if (i < 0)
		return;
	n = &f->node[i];
	f->op = mode == 0		      ? "fallocate"
		: mode == FALLOC_FL_KEEP_SIZE ? "fallocate keep-size"
					      : "punch hole";
	end = off + len;
	if (end > (uint64_t)GFS_MAX_FILESIZE) {
		int err = store_fallocate(f->s, n->ino, mode, off, len);

		if (!(mode & FALLOC_FL_PUNCH_HOLE) && !err)
			fail(f, "allocated past the size limit");
		check_node(f, i);
		return;
	}
	expect(f, store_fallocate(f->s, n->ino, mode, off, len), 0);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (n->data && off < n->size)
			memset(n->data + off, 0,
			       (end < n->size ? end : n->size) - off);
	} else if (!mode && end > n->size) {
		n->size = end;
		if (end > SHADOW_MAX)
			unshadow(n);
	}
	check_node(f, i);
}

static void do_copy(struct fuzz *f)
{
	int a = pick_node(f, S_IFREG), b = pick_node(f, S_IFREG);
	uint64_t so = offset(f) % SHADOW_MAX, dof = offset(f) % SHADOW_MAX;
	size_t len = u16(f), want, got = 0;
	struct node *src, *dst;

	if (a < 0 || b < 0)
		return;
	src = &f->node[a];
	dst = &f->node[b];
	f->op = "copy";
	/* As copy_file_range(2): no overlapping copy within one file. */
	if (a == b && so < dof + len && dof < so + len) {
		expect(f,
		       store_copy(f->s, src->ino, so, dst->ino, dof, len, true,
				  &got),
		       -EINVAL);
		check_node(f, b);
		return;
	}
	expect(f,
	       store_copy(f->s, src->ino, so, dst->ino, dof, len, true, &got),
	       0);
	want = so >= src->size	      ? 0
	       : src->size - so < len ? src->size - so
				      : len;
	if (got != want)
		fail(f, "copied %zu, expected %zu", got, want);
	if (src->data && dst->data && dof + got <= SHADOW_MAX)
		memmove(dst->data + dof, src->data + so, got);
	else if (got)
		unshadow(dst);
	if (got && dof + got > dst->size)
		dst->size = dof + got;
	check_node(f, b);
}

/* ------------------------------------------------------------------ */
/* Attributes, listing, sync                                          */
/* ------------------------------------------------------------------ */

static void xattr_name(int k, char *out)
{
	snprintf(out, 16, "user.x%d", k);
}

static void do_xattr(struct fuzz *f)
{
	static const int flags[] = {0, XATTR_CREATE, XATTR_REPLACE};
	int i = pick_node(f, 0), k = u8(f) % MAX_XATTRS, fl = flags[u8(f) % 3];
	size_t len = u8(f) % 64, got;
	char nm[16];
	struct node *n;
	int err, want;

	if (i < 0 || f->node[i].type == S_IFLNK)
		return;
	n = &f->node[i];
	xattr_name(k, nm);
	for (size_t j = 0; j < len; j++)
		f->buf[j] = u8(f);
	f->op = "setxattr";
	err = store_setxattr(f->s, n->ino, nm, f->buf, len, fl);
	want = fl == XATTR_CREATE && n->xlen[k]	    ? -EEXIST
	       : fl == XATTR_REPLACE && !n->xlen[k] ? -ENODATA
						    : 0;
	expect(f, err, want);
	if (!err) {
		n->xlen[k] = len + 1;
		memcpy(n->xval[k], f->buf, len);
	}
	f->op = "getxattr";
	k = u8(f) % MAX_XATTRS;
	xattr_name(k, nm);
	err = store_getxattr(f->s, n->ino, nm, f->rd, 64, &got);
	expect(f, err, n->xlen[k] ? 0 : -ENODATA);
	if (!err && (got != n->xlen[k] - 1 || memcmp(f->rd, n->xval[k], got)))
		fail(f, "%s differs", nm);
	if (u8(f) & 1 && n->xlen[k]) {
		f->op = "removexattr";
		expect(f, store_removexattr(f->s, n->ino, nm), 0);
		n->xlen[k] = 0;
	}
}

static int count_dirent(void *ctx, const char *nm, const struct stat *st,
			uint64_t cookie)
{
	(void)nm;
	(void)st;
	(void)cookie;
	(*(int *)ctx)++;
	return 0;
}

static void do_readdir(struct fuzz *f)
{
	int d = pick_node(f, S_IFDIR), n = 0, want = 2;

	if (d < 0)
		return;
	f->op = "readdir";
	expect(f, store_readdir(f->s, f->node[d].ino, 0, count_dirent, &n), 0);
	for (int i = 0; i < MAX_DENTS; i++)
		want += f->dent[i].used && f->dent[i].dir == d;
	if (n != want)
		fail(f, "%d entries, expected %d", n, want);
}

static void do_read(struct fuzz *f)
{
	int i = pick_node(f, S_IFREG);
	uint64_t off = offset(f);
	size_t len = u16(f) % SHADOW_MAX, got = 0, want;
	const struct node *n;

	if (i < 0)
		return;
	n = &f->node[i];
	f->op = "read";
	expect(f, store_read(f->s, n->ino, off, len, f->rd, &got), 0);
	want = off >= n->size ? 0 : n->size - off < len ? n->size - off : len;
	if (got != want)
		fail(f, "read %zu at %llu, expected %zu", got,
		     (unsigned long long)off, want);
	if (n->data && off + got <= SHADOW_MAX &&
	    memcmp(f->rd, n->data + off, got))
		fail(f, "bytes at %llu differ", (unsigned long long)off);
}

/* Every inode and every name (after each call when tracing). */
static void check_all(struct fuzz *f)
{
	for (int i = 0; i < MAX_NODES; i++) {
		check_node(f, i);
		if (f->node[i].used && f->node[i].type == S_IFDIR)
			check_dir(f, i);
	}
}

static void do_sync(struct fuzz *f)
{
	f->op = "sync";
	expect(f, store_sync(f->s, 0), 0);
}

static void (*const calls[])(struct fuzz *f) = {
	do_create,   do_mkdir,	   do_symlink, do_write,  do_read,
	do_truncate, do_fallocate, do_link,    do_unlink, do_rmdir,
	do_rename,   do_xattr,	   do_sync,    do_copy,	  do_readdir,
};

static void one_call(struct fuzz *f)
{
	unsigned c = u8(f) % (sizeof(calls) / sizeof(*calls));

	f->calls++;
	/* FUZZ_STORE_TRACE=1 shows the calls of one input (reproducers). */
	if (f->trace)
		fprintf(stderr, "call %u (%zu bytes left)\n", c, f->n);
	calls[c](f);
	if (f->trace)
		check_all(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz f;
	struct store_params p = {
		.path = ":memory:",
		.create = true,
		.chunk_size = CHUNK,
		.page_size = 4096,
		.root_mode = 0755,
	};
	char why[256];

	memset(&f, 0, sizeof(f));
	f.p = data;
	f.n = size;
	f.trace = getenv("FUZZ_STORE_TRACE") != NULL;
	f.op = "open";
	if (store_open(&p, &f.s, why, sizeof(why)))
		fail(&f, "%s", why);
	f.node[0] = (struct node){
		.used = true, .ino = GFS_ROOT_INO, .type = S_IFDIR, .nlink = 2};
	while (f.n)
		one_call(&f);
	f.op = "final check";
	f.full = true;
	check_all(&f);
	for (int i = 0; i < MAX_NODES; i++)
		node_drop(&f.node[i]);
	store_close(f.s);
	return 0;
}
