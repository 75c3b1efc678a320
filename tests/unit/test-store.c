// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-store.c - unit tests of the store layer (fs/store*.c), without
 * FUSE: every function of store.h on ":memory:", and opening, refusing,
 * reopening and crash-surviving real store files in a temporary directory.
 *
 * The tests check exact values (link counts, sizes, allocation, errno,
 * the reasons given in `why`), so that a regression fails a test rather
 * than merely not crashing.  The last tests need root: they move the
 * process into a mount namespace of its own for a read-only bind mount
 * and a small tmpfs, and report themselves skipped without it.  Crashes
 * are a forked child that _exit()s without store_close().  Files are made
 * under $TMPDIR (or /tmp) with mkdtemp and removed at the end of each
 * test.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)

/* ------------------------------------------------------------------ */
/* Helpers: stores, nodes, data patterns                              */
/* ------------------------------------------------------------------ */

static struct store *mem_store_cs(uint32_t chunk)
{
	struct store_params p = {
		.path = ":memory:",
		.create = true,
		.chunk_size = chunk,
		.root_mode = 0755,
	};
	struct store *s = NULL;
	char why[256];

	if (store_open(&p, &s, why, sizeof(why)))
		tap_fail(__FILE__, __LINE__, "store_open: %s", why);
	return s;
}

static struct store *mem_store(void)
{
	return mem_store_cs(4096);
}

static int mknode(struct store *s, uint64_t dir, const char *name, mode_t mode,
		  dev_t rdev, const char *target, struct stat *st)
{
	struct store_new n = {
		.mode = mode,
		.uid = 1000,
		.gid = 100,
		.rdev = rdev,
		.target = target,
	};

	return store_mknod(s, dir, name, &n, st);
}

static uint64_t mkfile(struct store *s, uint64_t dir, const char *name,
		       mode_t mode)
{
	struct store_new n = {.mode = mode};
	struct stat st = {0};

	CHECK_EQ(store_mknod(s, dir, name, &n, &st), 0);
	return st.st_ino;
}

static uint64_t mkreg(struct store *s, uint64_t dir, const char *name)
{
	return mkfile(s, dir, name, S_IFREG | 0644);
}

static uint64_t mkdir_(struct store *s, uint64_t dir, const char *name)
{
	return mkfile(s, dir, name, S_IFDIR | 0755);
}

static struct stat attr(struct store *s, uint64_t ino)
{
	struct stat st;

	memset(&st, 0xff, sizeof(st));
	if (store_getattr(s, ino, &st))
		memset(&st, 0, sizeof(st));
	return st;
}

/* The inode a name refers to, or 0. */
static uint64_t ino_of(struct store *s, uint64_t dir, const char *name)
{
	struct stat st;

	return store_lookup(s, dir, name, &st) ? 0 : st.st_ino;
}

static int64_t ts_ns_(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts_ns_(ts);
}

/* A byte pattern that is never zero, so that holes can be told apart and
 * a misplaced byte is caught. */
static unsigned char pat(uint64_t off)
{
	return (unsigned char)((off * 131 + (off >> 12) * 7) % 251 + 1);
}

static unsigned char *pat_buf(uint64_t off, size_t len)
{
	unsigned char *b = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		b[i] = pat(off + i);
	return b;
}

/* Index of the first byte of @b that is not pat(off + i), or -1. */
static long pat_mismatch(const unsigned char *b, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != pat(off + i))
			return (long)i;
	return -1;
}

static long nonzero_at(const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return (long)i;
	return -1;
}

/* Writes the pattern for [off, off + len); returns the bytes done. */
static size_t put(struct store *s, uint64_t ino, uint64_t off, size_t len)
{
	unsigned char *b = pat_buf(off, len);
	size_t done = 0;

	CHECK_EQ(store_write(s, ino, off, b, len, true, &done), 0);
	free(b);
	return done;
}

/* Reads [off, off + len) into a new buffer; *got gets the count. */
static unsigned char *get(struct store *s, uint64_t ino, uint64_t off,
			  size_t len, size_t *got)
{
	unsigned char *b = malloc(len ? len : 1);

	memset(b, 0xee, len);
	*got = 0;
	CHECK_EQ(store_read(s, ino, off, len, b, got), 0);
	return b;
}

/* Whether [off, off + len) reads completely, as the pattern. */
static bool reads_pat(struct store *s, uint64_t ino, uint64_t off, size_t len)
{
	size_t got;
	unsigned char *b = get(s, ino, off, len, &got);
	bool ok = got == len && pat_mismatch(b, off, len) < 0;

	free(b);
	return ok;
}

/* Whether [off, off + len) reads completely, as zeros. */
static bool reads_zero(struct store *s, uint64_t ino, uint64_t off, size_t len)
{
	size_t got;
	unsigned char *b = get(s, ino, off, len, &got);
	bool ok = got == len && nonzero_at(b, len) < 0;

	free(b);
	return ok;
}

static uint64_t alloc_of(struct store *s, uint64_t ino, uint64_t *chunks)
{
	uint64_t n = 0, bytes = 0;

	CHECK_EQ(store_file_chunks(s, ino, &n, &bytes), 0);
	if (chunks)
		*chunks = n;
	return bytes;
}

/* ------------------------------------------------------------------ */
/* Helpers: directory listings                                        */
/* ------------------------------------------------------------------ */

struct dent {
	char name[GFS_NAME_MAX + 1];
	uint64_t ino, cookie;
	mode_t mode;
	nlink_t nlink;
	off_t size;
};

struct dlist {
	struct dent e[64];
	int n;
	int limit; /* entries to take before refusing one */
	int calls; /* callback invocations, refused ones included */
};

static int dl_add(void *ctx, const char *name, const struct stat *st,
		  uint64_t cookie)
{
	struct dlist *l = ctx;
	struct dent *d;

	l->calls++;
	if (l->n >= l->limit || l->n >= 64)
		return 1;
	d = &l->e[l->n++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ino = st->st_ino;
	d->cookie = cookie;
	d->mode = st->st_mode;
	d->nlink = st->st_nlink;
	d->size = st->st_size;
	return 0;
}

static int list_dir(struct store *s, uint64_t dir, uint64_t cookie, int limit,
		    struct dlist *l)
{
	l->n = 0;
	l->calls = 0;
	l->limit = limit;
	return store_readdir(s, dir, cookie, dl_add, l);
}

static int dl_find(const struct dlist *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].name, name))
			return i;
	return -1;
}

/* The inode ".." of @dir names, per readdir. */
static uint64_t dotdot(struct store *s, uint64_t dir)
{
	struct dlist l;
	int i;

	if (list_dir(s, dir, 0, 64, &l))
		return 0;
	i = dl_find(&l, "..");
	return i < 0 ? 0 : l.e[i].ino;
}

/* ------------------------------------------------------------------ */
/* Helpers: temporary directories and raw SQLite                      */
/* ------------------------------------------------------------------ */

static void tmpdir_make(char *dir, size_t size)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, size, "%s/gfs-unit.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		tap_fail(__FILE__, __LINE__, "mkdtemp '%s': %s", dir,
			 strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static void tmpdir_remove(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	if (snprintf(out, size, "%s/%s", dir, name) >= (int)size)
		tap_fail(__FILE__, __LINE__, "path too long: '%s'", dir);
}

static int entries_in(const char *dir)
{
	char cmd[PATH_MAX + 32];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%d", &n) != 1)
		n = -1;
	if (f)
		pclose(f);
	return n;
}

static struct store_params file_params(const char *path)
{
	struct store_params p = {
		.path = path,
		.create = true,
		.chunk_size = 4096,
		.page_size = 4096,
		.root_mode = 0755,
		.commit_ms = 100000,
	};

	return p;
}

static struct store *file_store(const char *path)
{
	struct store_params p = file_params(path);
	struct store *s = NULL;
	char why[256];

	if (store_open(&p, &s, why, sizeof(why)))
		tap_fail(__FILE__, __LINE__, "store_open '%s': %s", path, why);
	return s;
}

/* One integer from @sql on a separate connection, or INT64_MIN. */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v = INT64_MIN;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	else
		tap_fail(__FILE__, __LINE__, "raw '%s': %s", sql,
			 sqlite3_errmsg(db));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static char raw_text_buf[256];

/* One text value from @sql on a separate connection, or "". */
static const char *raw_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;

	raw_text_buf[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(raw_text_buf, sizeof(raw_text_buf), "%s",
			 (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return raw_text_buf;
}

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		tap_fail(__FILE__, __LINE__, "raw '%s': %s", sql,
			 sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

/* The whole content of @path; *len gets its size (-1 if unreadable). */
static unsigned char *slurp(const char *path, long *len)
{
	unsigned char *b = NULL;
	FILE *f = fopen(path, "rb");

	*len = -1;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	b = malloc(*len > 0 ? (size_t)*len : 1);
	if (fread(b, 1, (size_t)*len, f) != (size_t)*len)
		*len = -1;
	fclose(f);
	return b;
}

static bool same_bytes(const unsigned char *a, long alen,
		       const unsigned char *b, long blen)
{
	return alen >= 0 && alen == blen && !memcmp(a, b, (size_t)alen);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len)
		tap_fail(__FILE__, __LINE__, "cannot write '%s'", path);
	if (f)
		fclose(f);
}

static void nothing(void)
{
}

/* A skipped test: its TAP line carries the reason. */
static void skip(const char *name, const char *reason)
{
	char line[256];

	snprintf(line, sizeof(line), "%s # skip %s", name, reason);
	tap_run(line, nothing);
}

/* ------------------------------------------------------------------ */
/* Inodes and names                                                   */
/* ------------------------------------------------------------------ */

TEST(root_exists)
{
	struct store *s = mem_store();
	struct stat st;

	CHECK_EQ(store_getattr(s, GFS_ROOT_INO, &st), 0);
	CHECK_EQ(st.st_ino, GFS_ROOT_INO);
	CHECK_EQ(st.st_mode, S_IFDIR | 0755);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(dotdot(s, GFS_ROOT_INO), GFS_ROOT_INO);
	CHECK_EQ(store_chunk_size(s), 4096);
	store_close(s);
}

TEST(root_owner_from_params)
{
	struct store_params p = {
		.path = ":memory:",
		.create = true,
		.root_uid = 123,
		.root_gid = 456,
		.root_mode = 01777,
	};
	struct store *s = NULL;
	char why[256];
	struct stat st;

	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	if (!s)
		return;
	st = attr(s, GFS_ROOT_INO);
	CHECK_EQ(st.st_uid, 123);
	CHECK_EQ(st.st_gid, 456);
	CHECK_EQ(st.st_mode, S_IFDIR | 01777);
	CHECK_EQ(store_chunk_size(s), 65536);
	store_close(s);
}

TEST(mknod_regular)
{
	struct store *s = mem_store();
	int64_t before = now_ns(), after;
	struct stat st, root, look;

	CHECK_EQ(mknode(s, GFS_ROOT_INO, "f", S_IFREG | 0640, 77, NULL, &st),
		 0);
	after = now_ns();
	CHECK(st.st_ino > GFS_ROOT_INO);
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 100);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_blocks, 0);
	CHECK_EQ(st.st_rdev, 0);
	CHECK(ts_ns_(st.st_mtim) >= before && ts_ns_(st.st_mtim) <= after);
	CHECK_EQ(ts_ns_(st.st_atim), ts_ns_(st.st_mtim));
	CHECK_EQ(ts_ns_(st.st_ctim), ts_ns_(st.st_mtim));
	root = attr(s, GFS_ROOT_INO);
	CHECK_EQ(root.st_nlink, 2);
	CHECK(ts_ns_(root.st_mtim) >= before);
	CHECK(ts_ns_(root.st_ctim) >= before);
	CHECK_EQ(store_lookup(s, GFS_ROOT_INO, "f", &look), 0);
	CHECK_EQ(look.st_ino, st.st_ino);
	CHECK_EQ(look.st_mode, st.st_mode);
	CHECK_EQ(attr(s, st.st_ino).st_uid, 1000);
	store_close(s);
}

TEST(mknod_directory)
{
	struct store *s = mem_store();
	struct stat st;
	uint64_t a;

	CHECK_EQ(mknode(s, GFS_ROOT_INO, "d", S_IFDIR | 0700, 0, NULL, &st), 0);
	CHECK_EQ(st.st_mode, S_IFDIR | 0700);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
	CHECK_EQ(dotdot(s, st.st_ino), GFS_ROOT_INO);
	a = mkdir_(s, st.st_ino, "a");
	CHECK_EQ(attr(s, st.st_ino).st_nlink, 3);
	CHECK_EQ(dotdot(s, a), st.st_ino);
	mkreg(s, st.st_ino, "file");
	CHECK_EQ(attr(s, st.st_ino).st_nlink, 3);
	store_close(s);
}

TEST(mknod_fifo_and_socket)
{
	struct store *s = mem_store();
	struct stat st;

	CHECK_EQ(mknode(s, GFS_ROOT_INO, "p", S_IFIFO | 0600, 5, NULL, &st), 0);
	CHECK_EQ(st.st_mode, S_IFIFO | 0600);
	CHECK_EQ(st.st_rdev, 0);
	CHECK_EQ(attr(s, st.st_ino).st_mode, S_IFIFO | 0600);
	CHECK_EQ(mknode(s, GFS_ROOT_INO, "s", S_IFSOCK | 0666, 0, NULL, &st),
		 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0666);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 2);
	store_close(s);
}

TEST(mknod_devices_keep_rdev)
{
	struct store *s = mem_store();
	dev_t cdev = makedev(4, 64), bdev = makedev(259, 1048575);
	struct stat st;

	CHECK_EQ(mknode(s, GFS_ROOT_INO, "c", S_IFCHR | 0620, cdev, NULL, &st),
		 0);
	CHECK_EQ(st.st_mode, S_IFCHR | 0620);
	CHECK_EQ(st.st_rdev, cdev);
	CHECK_EQ(attr(s, ino_of(s, GFS_ROOT_INO, "c")).st_rdev, cdev);
	CHECK_EQ(mknode(s, GFS_ROOT_INO, "b", S_IFBLK | 0660, bdev, NULL, &st),
		 0);
	CHECK_EQ(st.st_rdev, bdev);
	CHECK_EQ(major(attr(s, st.st_ino).st_rdev), 259);
	CHECK_EQ(minor(attr(s, st.st_ino).st_rdev), 1048575);
	store_close(s);
}

TEST(mknod_symlink_and_readlink)
{
	struct store *s = mem_store();
	const char *target = "../some/where/else";
	char buf[64];
	struct stat st;
	size_t len = 99;
	uint64_t f;

	CHECK_EQ(mknode(s, GFS_ROOT_INO, "l", S_IFLNK | 0777, 0, target, &st),
		 0);
	CHECK_EQ(st.st_mode, S_IFLNK | 0777);
	CHECK_EQ(st.st_size, strlen(target));
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(store_readlink(s, st.st_ino, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, strlen(target));
	CHECK(!memcmp(buf, target, len));
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ(store_readlink(s, st.st_ino, buf, 4, &len), 0);
	CHECK_EQ(len, 4);
	CHECK(!memcmp(buf, "../s", 4));
	CHECK_EQ(buf[4], 'Z');
	f = mkreg(s, GFS_ROOT_INO, "f");
	CHECK_EQ(store_readlink(s, f, buf, sizeof(buf), &len), -EINVAL);
	store_close(s);
}

TEST(mknod_errors)
{
	struct store *s = mem_store();
	struct store_gone g;
	struct stat st;
	uint64_t f, d;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	CHECK_EQ(mknode(s, GFS_ROOT_INO, "f", S_IFREG | 0644, 0, NULL, &st),
		 -EEXIST);
	CHECK_EQ(mknode(s, GFS_ROOT_INO, "d", S_IFDIR | 0755, 0, NULL, &st),
		 -EEXIST);
	CHECK_EQ(mknode(s, f, "x", S_IFREG | 0644, 0, NULL, &st), -ENOTDIR);
	CHECK_EQ(mknode(s, 9999, "x", S_IFREG | 0644, 0, NULL, &st), -ENOENT);
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "d", &g), 0);
	/* A removed directory takes no new entries. */
	CHECK_EQ(mknode(s, d, "x", S_IFREG | 0644, 0, NULL, &st), -ENOENT);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 2);
	store_close(s);
}

TEST(lookup_exact_names)
{
	struct store *s = mem_store();
	const char odd[] = "\xff\xfe name with spaces \x01";
	char longname[GFS_NAME_MAX + 1];
	struct stat st;
	uint64_t f, o, l;

	memset(longname, 'n', GFS_NAME_MAX);
	longname[GFS_NAME_MAX] = '\0';
	f = mkreg(s, GFS_ROOT_INO, "f");
	o = mkreg(s, GFS_ROOT_INO, odd);
	l = mkreg(s, GFS_ROOT_INO, longname);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), f);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, odd), o);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, longname), l);
	CHECK_EQ(store_lookup(s, GFS_ROOT_INO, "F", &st), -ENOENT);
	CHECK_EQ(store_lookup(s, GFS_ROOT_INO, "f ", &st), -ENOENT);
	CHECK_EQ(store_lookup(s, GFS_ROOT_INO, "", &st), -ENOENT);
	CHECK_EQ(store_lookup(s, 12345, "f", &st), -ENOENT);
	CHECK_EQ(store_getattr(s, 12345, &st), -ENOENT);
	store_close(s);
}

TEST(inode_numbers_not_reused)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t a, b;

	a = mkreg(s, GFS_ROOT_INO, "a");
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "a", &g), 0);
	CHECK_EQ(store_reclaim(s, a), 0);
	b = mkreg(s, GFS_ROOT_INO, "a");
	CHECK(b > a);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Links, unlink, rmdir                                               */
/* ------------------------------------------------------------------ */

TEST(link_counts)
{
	struct store *s = mem_store();
	uint64_t f, d;
	struct stat st;
	int64_t before;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	before = now_ns();
	CHECK_EQ(store_link(s, f, d, "g", &st), 0);
	CHECK_EQ(st.st_ino, f);
	CHECK_EQ(st.st_nlink, 2);
	CHECK(ts_ns_(st.st_ctim) >= before);
	CHECK(ts_ns_(attr(s, d).st_mtim) >= before);
	CHECK_EQ(ino_of(s, d, "g"), f);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), f);
	CHECK_EQ(store_link(s, f, GFS_ROOT_INO, "h", &st), 0);
	CHECK_EQ(attr(s, f).st_nlink, 3);
	/* Hard links do not count as subdirectories. */
	CHECK_EQ(attr(s, d).st_nlink, 2);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
	store_close(s);
}

TEST(link_errors)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t f, d, e;
	struct stat st;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	e = mkreg(s, GFS_ROOT_INO, "e");
	CHECK_EQ(store_link(s, d, GFS_ROOT_INO, "d2", &st), -EPERM);
	CHECK_EQ(store_link(s, f, GFS_ROOT_INO, "e", &st), -EEXIST);
	CHECK_EQ(store_link(s, f, e, "x", &st), -ENOTDIR);
	CHECK_EQ(store_link(s, 4242, GFS_ROOT_INO, "x", &st), -ENOENT);
	CHECK_EQ(store_link(s, f, 4242, "x", &st), -ENOENT);
	CHECK_EQ(attr(s, f).st_nlink, 1);
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "e", &g), 0);
	/* An unlinked, still-open file cannot get a name back. */
	CHECK_EQ(store_link(s, e, GFS_ROOT_INO, "back", &st), -ENOENT);
	CHECK_EQ(attr(s, e).st_nlink, 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "back"), 0);
	store_close(s);
}

TEST(link_max)
{
	struct store *s = mem_store();
	char name[32];
	struct stat st;
	uint64_t f;
	int i, err = 0;

	f = mkreg(s, GFS_ROOT_INO, "f");
	for (i = 1; i < GFS_LINK_MAX && !err; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		err = store_link(s, f, GFS_ROOT_INO, name, &st);
	}
	CHECK_EQ(err, 0);
	CHECK_EQ(attr(s, f).st_nlink, GFS_LINK_MAX);
	CHECK_EQ(store_link(s, f, GFS_ROOT_INO, "one-too-many", &st), -EMLINK);
	CHECK_EQ(attr(s, f).st_nlink, GFS_LINK_MAX);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "one-too-many"), 0);
	store_close(s);
}

TEST(unlink_gone)
{
	struct store *s = mem_store();
	struct store_gone g;
	struct stat st;
	uint64_t f, d;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	store_link(s, f, d, "g", &st);
	put(s, f, 0, 100);
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "f", &g), 0);
	CHECK_EQ(g.ino, f);
	CHECK_EQ(g.nlink, 1);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), 0);
	CHECK_EQ(store_unlink(s, d, "g", &g), 0);
	CHECK_EQ(g.ino, f);
	CHECK_EQ(g.nlink, 0);
	/* Unlinked but not reclaimed: still readable, as an open file. */
	st = attr(s, f);
	CHECK_EQ(st.st_ino, f);
	CHECK_EQ(st.st_nlink, 0);
	CHECK(reads_pat(s, f, 0, 100));
	CHECK_EQ(attr(s, d).st_nlink, 2);
	store_close(s);
}

TEST(unlink_errors)
{
	struct store *s = mem_store();
	struct store_gone g = {7, 7};
	uint64_t f;

	f = mkreg(s, GFS_ROOT_INO, "f");
	mkdir_(s, GFS_ROOT_INO, "d");
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "missing", &g), -ENOENT);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(g.nlink, 0);
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "d", &g), -EISDIR);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(store_unlink(s, f, "x", &g), -ENOTDIR);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
	CHECK(ino_of(s, GFS_ROOT_INO, "d") != 0);
	store_close(s);
}

TEST(rmdir_cases)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t d, e, f;

	d = mkdir_(s, GFS_ROOT_INO, "d");
	e = mkdir_(s, d, "e");
	f = mkreg(s, GFS_ROOT_INO, "f");
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "d", &g), -ENOTEMPTY);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "f", &g), -ENOTDIR);
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "nothing", &g), -ENOENT);
	CHECK_EQ(store_rmdir(s, f, "e", &g), -ENOTDIR);
	CHECK_EQ(store_rmdir(s, d, "e", &g), 0);
	CHECK_EQ(g.ino, e);
	CHECK_EQ(g.nlink, 0);
	CHECK_EQ(attr(s, e).st_nlink, 0);
	CHECK_EQ(attr(s, d).st_nlink, 2);
	mkreg(s, d, "file");
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "d", &g), -ENOTEMPTY);
	CHECK_EQ(store_unlink(s, d, "file", &g), 0);
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "d", &g), 0);
	CHECK_EQ(g.ino, d);
	CHECK_EQ(g.nlink, 0);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 2);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "d"), 0);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Rename                                                             */
/* ------------------------------------------------------------------ */

TEST(rename_plain)
{
	struct store *s = mem_store();
	struct store_gone g = {9, 9};
	struct dlist l;
	uint64_t f, d;
	int64_t before;

	mkreg(s, GFS_ROOT_INO, "first");
	f = mkreg(s, GFS_ROOT_INO, "f");
	mkreg(s, GFS_ROOT_INO, "last");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	before = now_ns();
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "f", GFS_ROOT_INO, "g", 0, &g),
		 0);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "g"), f);
	CHECK(ts_ns_(attr(s, f).st_ctim) >= before);
	CHECK(ts_ns_(attr(s, GFS_ROOT_INO).st_mtim) >= before);
	/* The entry keeps its place in the listing. */
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 64, &l), 0);
	CHECK_EQ(l.n, 6);
	CHECK_EQ(dl_find(&l, "g"), 3);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "g", d, "h", 0, &g), 0);
	CHECK_EQ(ino_of(s, d, "h"), f);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "g"), 0);
	CHECK_EQ(attr(s, f).st_nlink, 1);
	CHECK_EQ(attr(s, d).st_nlink, 2);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
	CHECK(ts_ns_(attr(s, d).st_mtim) >= before);
	store_close(s);
}

TEST(rename_directory_across_parents)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t a, b, m;

	a = mkdir_(s, GFS_ROOT_INO, "a");
	b = mkdir_(s, GFS_ROOT_INO, "b");
	m = mkdir_(s, a, "m");
	mkreg(s, m, "inside");
	CHECK_EQ(attr(s, a).st_nlink, 3);
	CHECK_EQ(store_rename(s, a, "m", b, "n", 0, &g), 0);
	CHECK_EQ(attr(s, a).st_nlink, 2);
	CHECK_EQ(attr(s, b).st_nlink, 3);
	CHECK_EQ(attr(s, m).st_nlink, 2);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 4);
	CHECK_EQ(dotdot(s, m), b);
	CHECK(ino_of(s, m, "inside") != 0);
	CHECK_EQ(ino_of(s, b, "n"), m);
	/* Back to the root, by the same rules. */
	CHECK_EQ(store_rename(s, b, "n", GFS_ROOT_INO, "top", 0, &g), 0);
	CHECK_EQ(attr(s, b).st_nlink, 2);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 5);
	CHECK_EQ(dotdot(s, m), GFS_ROOT_INO);
	store_close(s);
}

TEST(rename_replaces_file)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t f, t, d;
	struct stat st;

	f = mkreg(s, GFS_ROOT_INO, "f");
	t = mkreg(s, GFS_ROOT_INO, "t");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	put(s, t, 0, 10);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "f", GFS_ROOT_INO, "t", 0, &g),
		 0);
	CHECK_EQ(g.ino, t);
	CHECK_EQ(g.nlink, 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "t"), f);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), 0);
	CHECK_EQ(attr(s, t).st_nlink, 0);
	/* The replaced inode had another link: it keeps it. */
	store_link(s, f, d, "other", &st);
	t = mkreg(s, GFS_ROOT_INO, "x");
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "x", d, "other", 0, &g), 0);
	CHECK_EQ(g.ino, f);
	CHECK_EQ(g.nlink, 1);
	CHECK_EQ(attr(s, f).st_nlink, 1);
	CHECK_EQ(ino_of(s, d, "other"), t);
	CHECK_EQ(attr(s, d).st_nlink, 2);
	store_close(s);
}

TEST(rename_replaces_empty_directory)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t a, b, src, dst;

	a = mkdir_(s, GFS_ROOT_INO, "a");
	b = mkdir_(s, GFS_ROOT_INO, "b");
	src = mkdir_(s, a, "src");
	dst = mkdir_(s, b, "dst");
	CHECK_EQ(store_rename(s, a, "src", b, "dst", 0, &g), 0);
	CHECK_EQ(g.ino, dst);
	CHECK_EQ(g.nlink, 0);
	CHECK_EQ(attr(s, dst).st_nlink, 0);
	CHECK_EQ(attr(s, a).st_nlink, 2);
	CHECK_EQ(attr(s, b).st_nlink, 3);
	CHECK_EQ(ino_of(s, b, "dst"), src);
	CHECK_EQ(dotdot(s, src), b);
	/* Within one directory. */
	dst = mkdir_(s, b, "dst2");
	CHECK_EQ(attr(s, b).st_nlink, 4);
	CHECK_EQ(store_rename(s, b, "dst", b, "dst2", 0, &g), 0);
	CHECK_EQ(g.ino, dst);
	CHECK_EQ(attr(s, b).st_nlink, 3);
	CHECK_EQ(ino_of(s, b, "dst2"), src);
	store_close(s);
}

TEST(rename_errors)
{
	struct store *s = mem_store();
	struct store_gone g = {5, 5};
	uint64_t f, d, full, sub, subsub;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	full = mkdir_(s, GFS_ROOT_INO, "full");
	mkreg(s, full, "x");
	sub = mkdir_(s, d, "sub");
	subsub = mkdir_(s, sub, "subsub");
	CHECK_EQ(
		store_rename(s, GFS_ROOT_INO, "d", GFS_ROOT_INO, "full", 0, &g),
		-ENOTEMPTY);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "f", GFS_ROOT_INO, "d", 0, &g),
		 -EISDIR);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "d", GFS_ROOT_INO, "f", 0, &g),
		 -ENOTDIR);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "d", subsub, "loop", 0, &g),
		 -EINVAL);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "d", d, "self", 0, &g), -EINVAL);
	CHECK_EQ(store_rename(s, d, "sub", sub, "in", 0, &g), -EINVAL);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "no", GFS_ROOT_INO, "x", 0, &g),
		 -ENOENT);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "f", f, "x", 0, &g), -ENOTDIR);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "f", GFS_ROOT_INO, "y",
			      RENAME_WHITEOUT, &g),
		 -EINVAL);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "f", GFS_ROOT_INO, "y",
			      RENAME_NOREPLACE | RENAME_EXCHANGE, &g),
		 -EINVAL);
	/* Nothing moved. */
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), f);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "d"), d);
	CHECK_EQ(ino_of(s, d, "sub"), sub);
	CHECK_EQ(dotdot(s, d), GFS_ROOT_INO);
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 4);
	CHECK_EQ(attr(s, d).st_nlink, 3);
	CHECK_EQ(attr(s, subsub).st_nlink, 2);
	store_close(s);
}

TEST(rename_noreplace)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t a, b;

	a = mkreg(s, GFS_ROOT_INO, "a");
	b = mkreg(s, GFS_ROOT_INO, "b");
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "a", GFS_ROOT_INO, "b",
			      RENAME_NOREPLACE, &g),
		 -EEXIST);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "a"), a);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "b"), b);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "a", GFS_ROOT_INO, "c",
			      RENAME_NOREPLACE, &g),
		 0);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "c"), a);
	store_close(s);
}

TEST(rename_exchange_files)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t a, b, d;

	d = mkdir_(s, GFS_ROOT_INO, "d");
	a = mkreg(s, GFS_ROOT_INO, "a");
	b = mkreg(s, d, "b");
	CHECK_EQ(
		store_rename(s, GFS_ROOT_INO, "a", d, "b", RENAME_EXCHANGE, &g),
		0);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "a"), b);
	CHECK_EQ(ino_of(s, d, "b"), a);
	CHECK_EQ(attr(s, a).st_nlink, 1);
	CHECK_EQ(attr(s, b).st_nlink, 1);
	CHECK_EQ(attr(s, d).st_nlink, 2);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "a", d, "none", RENAME_EXCHANGE,
			      &g),
		 -ENOENT);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "a"), b);
	store_close(s);
}

TEST(rename_exchange_directories_across_parents)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t p, q, x, y;

	p = mkdir_(s, GFS_ROOT_INO, "p");
	q = mkdir_(s, GFS_ROOT_INO, "q");
	x = mkdir_(s, p, "x");
	y = mkdir_(s, q, "y");
	mkreg(s, x, "in-x");
	CHECK_EQ(store_rename(s, p, "x", q, "y", RENAME_EXCHANGE, &g), 0);
	CHECK_EQ(ino_of(s, p, "x"), y);
	CHECK_EQ(ino_of(s, q, "y"), x);
	CHECK_EQ(attr(s, p).st_nlink, 3);
	CHECK_EQ(attr(s, q).st_nlink, 3);
	CHECK_EQ(attr(s, x).st_nlink, 2);
	CHECK_EQ(attr(s, y).st_nlink, 2);
	CHECK_EQ(dotdot(s, x), q);
	CHECK_EQ(dotdot(s, y), p);
	CHECK(ino_of(s, x, "in-x") != 0);
	store_close(s);
}

TEST(rename_exchange_directory_with_file)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t p, q, dir, file;

	p = mkdir_(s, GFS_ROOT_INO, "p");
	q = mkdir_(s, GFS_ROOT_INO, "q");
	dir = mkdir_(s, p, "dir");
	file = mkreg(s, q, "file");
	CHECK_EQ(attr(s, p).st_nlink, 3);
	CHECK_EQ(store_rename(s, p, "dir", q, "file", RENAME_EXCHANGE, &g), 0);
	CHECK_EQ(ino_of(s, p, "dir"), file);
	CHECK_EQ(ino_of(s, q, "file"), dir);
	CHECK_EQ(attr(s, p).st_nlink, 2);
	CHECK_EQ(attr(s, q).st_nlink, 3);
	CHECK_EQ(dotdot(s, dir), q);
	CHECK_EQ(attr(s, file).st_nlink, 1);
	store_close(s);
}

TEST(rename_exchange_into_own_subtree)
{
	struct store *s = mem_store();
	struct store_gone g;
	uint64_t a, b, c;

	a = mkdir_(s, GFS_ROOT_INO, "a");
	b = mkdir_(s, a, "b");
	c = mkreg(s, b, "c");
	CHECK_EQ(
		store_rename(s, GFS_ROOT_INO, "a", b, "c", RENAME_EXCHANGE, &g),
		-EINVAL);
	CHECK_EQ(
		store_rename(s, b, "c", GFS_ROOT_INO, "a", RENAME_EXCHANGE, &g),
		-EINVAL);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "a"), a);
	CHECK_EQ(ino_of(s, b, "c"), c);
	CHECK_EQ(dotdot(s, a), GFS_ROOT_INO);
	store_close(s);
}

TEST(rename_same_inode_is_noop)
{
	struct store *s = mem_store();
	struct store_gone g = {3, 3};
	struct stat st;
	uint64_t f;
	int64_t ctime;

	f = mkreg(s, GFS_ROOT_INO, "a");
	store_link(s, f, GFS_ROOT_INO, "b", &st);
	ctime = ts_ns_(attr(s, f).st_ctim);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "a", GFS_ROOT_INO, "b", 0, &g),
		 0);
	CHECK_EQ(g.ino, 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "a"), f);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "b"), f);
	CHECK_EQ(attr(s, f).st_nlink, 2);
	CHECK_EQ(ts_ns_(attr(s, f).st_ctim), ctime);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "a", GFS_ROOT_INO, "a", 0, &g),
		 0);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "a"), f);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "a", GFS_ROOT_INO, "b",
			      RENAME_EXCHANGE, &g),
		 0);
	CHECK_EQ(attr(s, f).st_nlink, 2);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Attributes                                                         */
/* ------------------------------------------------------------------ */

TEST(setattr_mode_keeps_type)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_MODE};
	struct stat st;
	uint64_t f, d, l;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	mknode(s, GFS_ROOT_INO, "l", S_IFLNK | 0777, 0, "t", &st);
	l = st.st_ino;
	sa.mode = S_IFDIR | 04751;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 04751);
	CHECK_EQ(attr(s, f).st_mode, S_IFREG | 04751);
	sa.mode = 01700;
	CHECK_EQ(store_setattr(s, d, &sa, &st), 0);
	CHECK_EQ(st.st_mode, S_IFDIR | 01700);
	sa.mode = 0;
	CHECK_EQ(store_setattr(s, l, &sa, &st), 0);
	CHECK_EQ(st.st_mode, S_IFLNK);
	CHECK_EQ(store_setattr(s, 999, &sa, &st), -ENOENT);
	store_close(s);
}

TEST(setattr_owner)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_UID, .uid = 42};
	struct stat st;
	uint64_t f;

	f = mkfile(s, GFS_ROOT_INO, "f", S_IFREG | 0600);
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_uid, 42);
	CHECK_EQ(st.st_gid, 0);
	sa.valid = STORE_SET_GID;
	sa.uid = 7;
	sa.gid = 43;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_uid, 42);
	CHECK_EQ(st.st_gid, 43);
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	st = attr(s, f);
	CHECK_EQ(st.st_uid, 42);
	CHECK_EQ(st.st_gid, 43);
	store_close(s);
}

TEST(setattr_times)
{
	struct store *s = mem_store();
	struct store_setattr sa = {
		.valid = STORE_SET_ATIME | STORE_SET_MTIME,
		.atime = {1000, 5},
		.mtime = {-1, 500000000},
	};
	struct stat st;
	int64_t before;
	uint64_t f;

	f = mkreg(s, GFS_ROOT_INO, "f");
	before = now_ns();
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	CHECK_EQ(st.st_mtim.tv_sec, -1);
	CHECK_EQ(st.st_mtim.tv_nsec, 500000000);
	/* Without STORE_SET_CTIME, ctime is now. */
	CHECK(ts_ns_(st.st_ctim) >= before);
	CHECK(ts_ns_(st.st_ctim) <= now_ns());
	sa.valid = STORE_SET_CTIME;
	sa.ctime.tv_sec = 3000;
	sa.ctime.tv_nsec = 999999999;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_ctim.tv_sec, 3000);
	CHECK_EQ(st.st_ctim.tv_nsec, 999999999);
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	st = attr(s, f);
	CHECK_EQ(st.st_ctim.tv_sec, 3000);
	CHECK_EQ(st.st_mtim.tv_sec, -1);
	CHECK_EQ(st.st_mtim.tv_nsec, 500000000);
	store_close(s);
}

/* Times the kernel accepts (touch -d 3000-01-01) but nanoseconds in an
 * int64 cannot hold: they must not wrap around. */
TEST(setattr_times_out_of_range)
{
	struct store *s = mem_store();
	struct store_setattr sa = {
		.valid = STORE_SET_MTIME,
		.mtime = {32503680000LL, 0}, /* 3000-01-01 */
	};
	struct stat st;
	uint64_t f;
	int err;

	f = mkreg(s, GFS_ROOT_INO, "f");
	err = store_setattr(s, f, &sa, &st);
	st = attr(s, f);
	/* Refused, or stored as late as the store can represent. */
	CHECK(err != 0 || st.st_mtim.tv_sec >= INT64_MAX / 1000000000 - 1);
	/* The same before 1677 (1000-01-01), as early as it can. */
	sa.mtime.tv_sec = -30610224000LL;
	err = store_setattr(s, f, &sa, &st);
	st = attr(s, f);
	CHECK(err != 0 || (st.st_mtim.tv_sec < 0 &&
			   st.st_mtim.tv_sec <= INT64_MIN / 1000000000 + 1));
	/* Within the range, exact to the nanosecond. */
	sa.mtime.tv_sec = 9000000000LL;
	sa.mtime.tv_nsec = 123456789;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_mtim.tv_sec, 9000000000LL);
	CHECK_EQ(st.st_mtim.tv_nsec, 123456789);
	store_close(s);
}

TEST(setattr_size_down_and_up)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_SIZE};
	struct stat st;
	uint64_t f, chunks;

	f = mkreg(s, GFS_ROOT_INO, "f");
	CHECK_EQ(put(s, f, 0, 10000), 10000);
	CHECK_EQ(alloc_of(s, f, &chunks), 10000);
	CHECK_EQ(chunks, 3);
	CHECK_EQ(attr(s, f).st_blocks, (10000 + 511) / 512);
	sa.size = 5000;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_size, 5000);
	CHECK_EQ(st.st_blocks, (5000 + 511) / 512);
	CHECK_EQ(alloc_of(s, f, &chunks), 5000);
	CHECK_EQ(chunks, 2);
	CHECK(reads_pat(s, f, 0, 5000));
	sa.size = 8192;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_size, 8192);
	CHECK_EQ(alloc_of(s, f, NULL), 5000);
	CHECK_EQ(st.st_blocks, (5000 + 511) / 512);
	CHECK(reads_pat(s, f, 0, 5000));
	CHECK(reads_zero(s, f, 5000, 3192));
	sa.size = 4096;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(alloc_of(s, f, &chunks), 4096);
	CHECK_EQ(chunks, 1);
	sa.size = 0;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_blocks, 0);
	CHECK_EQ(alloc_of(s, f, &chunks), 0);
	CHECK_EQ(chunks, 0);
	store_close(s);
}

TEST(truncate_down_then_up_exposes_zeros)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_SIZE};
	struct stat st;
	uint64_t f;

	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 300);
	sa.size = 100;
	store_setattr(s, f, &sa, &st);
	sa.size = 300;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK(reads_pat(s, f, 0, 100));
	CHECK(reads_zero(s, f, 100, 200));
	/* The same across a chunk boundary, then written past the end. */
	put(s, f, 0, 9000);
	sa.size = 4100;
	store_setattr(s, f, &sa, &st);
	sa.size = 9000;
	store_setattr(s, f, &sa, &st);
	CHECK(reads_pat(s, f, 0, 4100));
	CHECK(reads_zero(s, f, 4100, 4900));
	CHECK_EQ(alloc_of(s, f, NULL), 4100);
	put(s, f, 8000, 10);
	CHECK(reads_zero(s, f, 4100, 3900));
	CHECK(reads_pat(s, f, 8000, 10));
	CHECK_EQ(attr(s, f).st_size, 9000);
	store_close(s);
}

TEST(setattr_size_errors_and_mtime)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_SIZE, .size = 10};
	struct stat st;
	uint64_t f, d, p;
	int64_t m;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	p = mkfile(s, GFS_ROOT_INO, "p", S_IFIFO | 0600);
	CHECK_EQ(store_setattr(s, d, &sa, &st), -EISDIR);
	CHECK_EQ(store_setattr(s, p, &sa, &st), -EINVAL);
	sa.size = (uint64_t)GFS_MAX_FILESIZE + 1;
	CHECK_EQ(store_setattr(s, f, &sa, &st), -EFBIG);
	CHECK_EQ(attr(s, f).st_size, 0);
	sa.size = (uint64_t)GFS_MAX_FILESIZE;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(st.st_size, GFS_MAX_FILESIZE);
	CHECK_EQ(st.st_blocks, 0);
	/* The same size again still updates mtime, as ext4 and tmpfs do
	 * for truncate(2), ftruncate(2) and O_TRUNC. */
	sa.valid = STORE_SET_MTIME;
	sa.mtime.tv_sec = 77;
	store_setattr(s, f, &sa, &st);
	sa.valid = STORE_SET_SIZE;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK(st.st_mtim.tv_sec > 77);
	sa.size = 1;
	m = now_ns();
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK(ts_ns_(st.st_mtim) >= m);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Read and write                                                     */
/* ------------------------------------------------------------------ */

TEST(write_read_holes)
{
	struct store *s = mem_store();
	uint64_t ino = mkreg(s, GFS_ROOT_INO, "f");
	char buf[20000], out[20000];
	size_t n;

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(store_write(s, ino, 10000, buf, 100, true, &n), 0);
	CHECK_EQ(n, 100);
	CHECK_EQ(store_read(s, ino, 0, sizeof(out), out, &n), 0);
	CHECK_EQ(n, 10100);
	CHECK_EQ(nonzero_at((unsigned char *)out, 10000), -1);
	CHECK(!memcmp(out + 10000, buf, 100));
	/* Only the chunk written holds bytes: 10000 % 4096 + 100. */
	CHECK_EQ(alloc_of(s, ino, NULL), 10000 - 8192 + 100);
	store_close(s);
}

/* Writes pieces that start and end on both sides of chunk boundaries,
 * then reads the whole file and pieces of it back. */
static void boundaries(uint32_t cs)
{
	struct store *s = mem_store_cs(cs);
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), chunks;
	const uint64_t pieces[][2] = {
		{0, 1},		 {1, 10},      {cs - 3, 7},
		{2 * cs - 1, 2}, {3 * cs, cs}, {5 * cs - 100, 3 * cs + 200},
		{11, 0},
	};
	uint64_t size = 8 * cs + 100;

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
		CHECK_EQ(put(s, f, pieces[i][0], pieces[i][1]), pieces[i][1]);
	CHECK_EQ(attr(s, f).st_size, size);
	CHECK(reads_pat(s, f, 0, 11));
	CHECK(reads_zero(s, f, 11, cs - 14));
	CHECK(reads_pat(s, f, cs - 3, 7));
	CHECK(reads_zero(s, f, cs + 4, cs - 5));
	CHECK(reads_pat(s, f, 2 * cs - 1, 2));
	CHECK(reads_zero(s, f, 2 * cs + 1, cs - 1));
	CHECK(reads_pat(s, f, 3 * cs, cs));
	CHECK(reads_zero(s, f, 4 * cs, cs - 100));
	CHECK(reads_pat(s, f, 5 * cs - 100, 3 * cs + 200));
	/* Chunks 0..3 and 4..8; chunk 2 is 1 byte long, chunk 4 starts
	 * with a hole and chunk 8 is short. */
	CHECK_EQ(alloc_of(s, f, &chunks), 2 * cs + 1 + cs + cs + 3 * cs + 100);
	CHECK_EQ(chunks, 9);
	put(s, f, 0, size);
	CHECK(reads_pat(s, f, 0, size));
	CHECK_EQ(alloc_of(s, f, NULL), size);
	store_close(s);
}

TEST(read_write_small_chunks)
{
	boundaries(4096);
}

TEST(read_write_default_chunks)
{
	struct store *s = mem_store_cs(0);

	CHECK_EQ(store_chunk_size(s), 65536);
	store_close(s);
	boundaries(65536);
}

TEST(short_chunks_read_as_zeros)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), chunks;
	size_t got;
	unsigned char *b;

	put(s, f, 0, 10);
	put(s, f, 5000, 10);
	CHECK_EQ(attr(s, f).st_size, 5010);
	CHECK_EQ(alloc_of(s, f, &chunks), 10 + 5010 - 4096);
	CHECK_EQ(chunks, 2);
	b = get(s, f, 0, 6000, &got);
	CHECK_EQ(got, 5010);
	CHECK_EQ(pat_mismatch(b, 0, 10), -1);
	CHECK_EQ(nonzero_at(b + 10, 4990), -1);
	CHECK_EQ(pat_mismatch(b + 5000, 5000, 10), -1);
	free(b);
	/* Overwriting inside a chunk does not allocate. */
	put(s, f, 2, 5);
	CHECK_EQ(alloc_of(s, f, NULL), 10 + 5010 - 4096);
	/* Growing a short chunk allocates just the growth. */
	put(s, f, 20, 5);
	CHECK_EQ(alloc_of(s, f, NULL), 25 + 5010 - 4096);
	CHECK(reads_zero(s, f, 10, 10));
	store_close(s);
}

TEST(read_bounds)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	unsigned char b[64];
	size_t got = 99;

	CHECK_EQ(store_read(s, f, 0, sizeof(b), b, &got), 0);
	CHECK_EQ(got, 0);
	put(s, f, 0, 50);
	CHECK_EQ(store_read(s, f, 40, sizeof(b), b, &got), 0);
	CHECK_EQ(got, 10);
	CHECK_EQ(pat_mismatch(b, 40, 10), -1);
	got = 99;
	CHECK_EQ(store_read(s, f, 50, sizeof(b), b, &got), 0);
	CHECK_EQ(got, 0);
	got = 99;
	CHECK_EQ(store_read(s, f, 1000000, sizeof(b), b, &got), 0);
	CHECK_EQ(got, 0);
	got = 99;
	CHECK_EQ(store_read(s, f, 0, 0, b, &got), 0);
	CHECK_EQ(got, 0);
	store_close(s);
}

TEST(write_touch_and_types)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_MTIME | STORE_SET_CTIME,
				   .mtime = {5, 0},
				   .ctime = {6, 0}};
	uint64_t f, d, p;
	unsigned char b[8] = "abcdefg";
	struct stat st;
	size_t n;
	int64_t before;

	f = mkreg(s, GFS_ROOT_INO, "f");
	d = mkdir_(s, GFS_ROOT_INO, "d");
	p = mkfile(s, GFS_ROOT_INO, "p", S_IFIFO | 0600);
	store_setattr(s, f, &sa, &st);
	CHECK_EQ(store_write(s, f, 0, b, 8, false, &n), 0);
	st = attr(s, f);
	CHECK_EQ(st.st_mtim.tv_sec, 5);
	CHECK_EQ(st.st_ctim.tv_sec, 6);
	CHECK_EQ(st.st_size, 8);
	before = now_ns();
	CHECK_EQ(store_write(s, f, 0, b, 8, true, &n), 0);
	st = attr(s, f);
	CHECK(ts_ns_(st.st_mtim) >= before);
	CHECK(ts_ns_(st.st_ctim) >= before);
	CHECK_EQ(store_write(s, d, 0, b, 8, true, &n), -EISDIR);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_write(s, p, 0, b, 8, true, &n), -EINVAL);
	CHECK_EQ(store_read(s, d, 0, 8, b, &n), -EISDIR);
	CHECK_EQ(store_read(s, p, 0, 8, b, &n), -EINVAL);
	CHECK_EQ(store_write(s, 5555, 0, b, 8, true, &n), -ENOENT);
	CHECK_EQ(store_read(s, 5555, 0, 8, b, &n), -ENOENT);
	store_close(s);
}

TEST(max_file_size)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), max = GFS_MAX_FILESIZE;
	unsigned char *b = pat_buf(max - 10, 100);
	size_t n = 99;

	CHECK_EQ(store_write(s, f, max - 10, b, 100, true, &n), 0);
	CHECK_EQ(n, 10);
	CHECK_EQ(attr(s, f).st_size, GFS_MAX_FILESIZE);
	CHECK(reads_pat(s, f, max - 10, 10));
	CHECK(reads_zero(s, f, max - 5000, 4990));
	/* The last chunk holds zeros up to the write (a hole before data
	 * inside one chunk is stored). */
	CHECK_EQ(alloc_of(s, f, NULL), max - (max - 10) / 4096 * 4096);
	CHECK_EQ(store_write(s, f, max, b, 1, true, &n), -EFBIG);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_write(s, f, max + 4096, b, 1, true, &n), -EFBIG);
	CHECK_EQ(store_write(s, f, max, b, 0, true, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(attr(s, f).st_size, GFS_MAX_FILESIZE);
	free(b);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* fallocate, lseek, copy                                             */
/* ------------------------------------------------------------------ */

TEST(fallocate_extends)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), chunks, pos = 0;
	struct stat st;
	int64_t before;

	put(s, f, 0, 100);
	before = now_ns();
	CHECK_EQ(store_fallocate(s, f, 0, 50, 10000), 0);
	st = attr(s, f);
	CHECK_EQ(st.st_size, 10050);
	CHECK(ts_ns_(st.st_mtim) >= before);
	CHECK(ts_ns_(st.st_ctim) >= before);
	CHECK_EQ(alloc_of(s, f, &chunks), 10050);
	CHECK_EQ(chunks, 3);
	CHECK_EQ(st.st_blocks, (10050 + 511) / 512);
	CHECK(reads_pat(s, f, 0, 100));
	CHECK(reads_zero(s, f, 100, 9950));
	/* Everything is data now. */
	CHECK_EQ(store_lseek(s, f, 0, SEEK_HOLE, &pos), 0);
	CHECK_EQ(pos, 10050);
	/* Inside the size: nothing changes but the space. */
	CHECK_EQ(store_fallocate(s, f, 0, 0, 100), 0);
	CHECK_EQ(attr(s, f).st_size, 10050);
	CHECK(reads_pat(s, f, 0, 100));
	store_close(s);
}

TEST(fallocate_keep_size)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), chunks;
	struct store_setattr sa = {.valid = STORE_SET_SIZE, .size = 12288};
	struct stat st;

	store_setattr(s, f, &sa, &st);
	put(s, f, 0, 10);
	CHECK_EQ(alloc_of(s, f, NULL), 10);
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_KEEP_SIZE, 5000, 100000), 0);
	CHECK_EQ(attr(s, f).st_size, 12288);
	/* Chunks 1 and 2 are reserved, to the size and no further. */
	CHECK_EQ(alloc_of(s, f, &chunks), 10 + 8192);
	CHECK_EQ(chunks, 3);
	CHECK(reads_pat(s, f, 0, 10));
	CHECK(reads_zero(s, f, 10, 12278));
	/* Wholly past the size: nothing to do. */
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_KEEP_SIZE, 20000, 100), 0);
	CHECK_EQ(attr(s, f).st_size, 12288);
	CHECK_EQ(alloc_of(s, f, &chunks), 10 + 8192);
	store_close(s);
}

TEST(fallocate_punch_hole)
{
	struct store *s = mem_store();
	int m = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), chunks, size = 6 * 4096;
	struct stat st;

	put(s, f, 0, size);
	/* Partial chunks on both ends, two whole chunks between. */
	CHECK_EQ(store_fallocate(s, f, m, 4096 + 100, 3 * 4096), 0);
	st = attr(s, f);
	CHECK_EQ(st.st_size, size);
	CHECK(reads_pat(s, f, 0, 4196));
	CHECK(reads_zero(s, f, 4196, 3 * 4096));
	CHECK(reads_pat(s, f, 4 * 4096 + 100, 2 * 4096 - 100));
	CHECK_EQ(alloc_of(s, f, &chunks), 4 * 4096);
	CHECK_EQ(chunks, 4);
	/* Punching the rest of a partial chunk drops it. */
	CHECK_EQ(store_fallocate(s, f, m, 4096, 100), 0);
	CHECK_EQ(alloc_of(s, f, &chunks), 3 * 4096);
	CHECK_EQ(chunks, 3);
	CHECK(reads_zero(s, f, 4096, 4096));
	/* Inside one chunk. */
	CHECK_EQ(store_fallocate(s, f, m, 10, 20), 0);
	CHECK(reads_pat(s, f, 0, 10));
	CHECK(reads_zero(s, f, 10, 20));
	CHECK(reads_pat(s, f, 30, 4066));
	CHECK_EQ(alloc_of(s, f, &chunks), 3 * 4096);
	/* Past the end: clipped to the size, nothing beyond. */
	CHECK_EQ(store_fallocate(s, f, m, 5 * 4096, 1000000), 0);
	CHECK_EQ(attr(s, f).st_size, size);
	CHECK_EQ(alloc_of(s, f, &chunks), 2 * 4096);
	CHECK_EQ(chunks, 2);
	CHECK(reads_zero(s, f, 5 * 4096, 4096));
	store_close(s);
}

TEST(fallocate_punch_drops_zero_chunks)
{
	struct store *s = mem_store();
	int m = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), chunks;
	unsigned char b[100];
	size_t n;

	/* A chunk whose only data is what is punched, the rest zeros. */
	memset(b, 'x', sizeof(b));
	CHECK_EQ(store_fallocate(s, f, 0, 0, 4096), 0);
	store_write(s, f, 1000, b, sizeof(b), true, &n);
	CHECK_EQ(alloc_of(s, f, &chunks), 4096);
	CHECK_EQ(store_fallocate(s, f, m, 1000, 100), 0);
	CHECK_EQ(alloc_of(s, f, &chunks), 0);
	CHECK_EQ(chunks, 0);
	CHECK_EQ(attr(s, f).st_size, 4096);
	CHECK_EQ(attr(s, f).st_blocks, 0);
	CHECK(reads_zero(s, f, 0, 4096));
	/* A short last chunk, punched to its end. */
	put(s, f, 4096, 50);
	CHECK_EQ(store_fallocate(s, f, m, 4096 + 10, 40), 0);
	CHECK_EQ(alloc_of(s, f, &chunks), 50);
	CHECK_EQ(store_fallocate(s, f, m, 4096, 10), 0);
	CHECK_EQ(alloc_of(s, f, &chunks), 0);
	CHECK_EQ(attr(s, f).st_size, 4146);
	store_close(s);
}

TEST(fallocate_errors)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), d, max = GFS_MAX_FILESIZE;

	d = mkdir_(s, GFS_ROOT_INO, "d");
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_ZERO_RANGE, 0, 10),
		 -EOPNOTSUPP);
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_COLLAPSE_RANGE, 0, 4096),
		 -EOPNOTSUPP);
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_INSERT_RANGE, 0, 4096),
		 -EOPNOTSUPP);
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_PUNCH_HOLE, 0, 10),
		 -EOPNOTSUPP);
	CHECK_EQ(store_fallocate(s, f, 0, 0, 0), -EINVAL);
	CHECK_EQ(store_fallocate(s, f, 0, max + 1, 1), -EFBIG);
	CHECK_EQ(store_fallocate(s, f, 0, 0, max + 1), -EFBIG);
	CHECK_EQ(store_fallocate(s, f, 0, max - 10, 100), -EFBIG);
	CHECK_EQ(store_fallocate(s, f, FALLOC_FL_KEEP_SIZE, max - 10, 100),
		 -EFBIG);
	CHECK_EQ(store_fallocate(s, d, 0, 0, 10), -EISDIR);
	CHECK_EQ(store_fallocate(s, 777, 0, 0, 10), -ENOENT);
	CHECK_EQ(attr(s, f).st_size, 0);
	CHECK_EQ(alloc_of(s, f, NULL), 0);
	CHECK_EQ(store_fallocate(s, f, 0, max - 10, 10), 0);
	CHECK_EQ(attr(s, f).st_size, GFS_MAX_FILESIZE);
	store_close(s);
}

/* A file of 5 chunks of 4096 less 100 bytes: data in chunks 0, 2, 3. */
static uint64_t seek_file(struct store *s)
{
	struct store_setattr sa = {.valid = STORE_SET_SIZE,
				   .size = 5 * 4096 - 100};
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	struct stat st;

	put(s, f, 0, 4096);
	put(s, f, 2 * 4096 + 5, 2 * 4096 - 10);
	store_setattr(s, f, &sa, &st);
	return f;
}

static uint64_t seek(struct store *s, uint64_t f, uint64_t off, int whence)
{
	uint64_t pos = 12345;
	int err = store_lseek(s, f, off, whence, &pos);

	return err ? (uint64_t)err : pos;
}

TEST(lseek_data_and_holes)
{
	struct store *s = mem_store();
	uint64_t f = seek_file(s), size = 5 * 4096 - 100, e;
	uint64_t enxio = (uint64_t)-ENXIO;

	CHECK_EQ(seek(s, f, 0, SEEK_DATA), 0);
	CHECK_EQ(seek(s, f, 100, SEEK_DATA), 100);
	CHECK_EQ(seek(s, f, 0, SEEK_HOLE), 4096);
	CHECK_EQ(seek(s, f, 4095, SEEK_HOLE), 4096);
	CHECK_EQ(seek(s, f, 4096, SEEK_DATA), 8192);
	CHECK_EQ(seek(s, f, 5000, SEEK_DATA), 8192);
	CHECK_EQ(seek(s, f, 5000, SEEK_HOLE), 5000);
	CHECK_EQ(seek(s, f, 8192, SEEK_HOLE), 16384);
	CHECK_EQ(seek(s, f, 9000, SEEK_DATA), 9000);
	/* The last chunk is a hole up to the size: no data after it. */
	CHECK_EQ(seek(s, f, 16384, SEEK_DATA), enxio);
	CHECK_EQ(seek(s, f, 16384, SEEK_HOLE), 16384);
	CHECK_EQ(seek(s, f, size - 1, SEEK_HOLE), size - 1);
	CHECK_EQ(seek(s, f, size, SEEK_DATA), enxio);
	CHECK_EQ(seek(s, f, size, SEEK_HOLE), enxio);
	CHECK_EQ(seek(s, f, size + 5000, SEEK_HOLE), enxio);
	CHECK_EQ(seek(s, f, 0, SEEK_SET), (uint64_t)-EINVAL);
	CHECK_EQ(seek(s, f, 0, SEEK_END), (uint64_t)-EINVAL);
	/* Data up to the end: the hole is the end of the file. */
	put(s, f, 16384, size - 16384);
	CHECK_EQ(seek(s, f, 8192, SEEK_HOLE), size);
	CHECK_EQ(seek(s, f, size - 1, SEEK_DATA), size - 1);
	e = mkreg(s, GFS_ROOT_INO, "empty");
	CHECK_EQ(seek(s, e, 0, SEEK_DATA), enxio);
	CHECK_EQ(seek(s, e, 0, SEEK_HOLE), enxio);
	CHECK_EQ(seek(s, mkdir_(s, GFS_ROOT_INO, "d"), 0, SEEK_DATA),
		 (uint64_t)-EISDIR);
	store_close(s);
}

TEST(lseek_sparse_file_all_hole)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_SIZE, .size = 1 * MIB};
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	struct stat st;

	store_setattr(s, f, &sa, &st);
	CHECK_EQ(seek(s, f, 0, SEEK_DATA), (uint64_t)-ENXIO);
	CHECK_EQ(seek(s, f, 0, SEEK_HOLE), 0);
	CHECK_EQ(seek(s, f, 777, SEEK_HOLE), 777);
	put(s, f, MIB - 1, 1);
	CHECK_EQ(seek(s, f, 0, SEEK_DATA), MIB - 4096);
	CHECK_EQ(seek(s, f, MIB - 4096, SEEK_HOLE), MIB);
	store_close(s);
}

TEST(copy_whole_and_partial)
{
	struct store *s = mem_store();
	uint64_t a = mkreg(s, GFS_ROOT_INO, "a"),
		 b = mkreg(s, GFS_ROOT_INO, "b");
	uint64_t len = 3 * MIB + 777;
	unsigned char *x, *y;
	size_t n = 0, got;

	put(s, a, 0, len);
	CHECK_EQ(store_copy(s, a, 0, b, 0, len, true, &n), 0);
	CHECK_EQ(n, len);
	CHECK_EQ(attr(s, b).st_size, len);
	CHECK(reads_pat(s, b, 0, len));
	CHECK_EQ(alloc_of(s, b, NULL), len);
	/* Unaligned, over pieces of the copy buffer, into a new place. */
	CHECK_EQ(store_copy(s, a, 1001, b, len + 5, 2 * MIB + 3, true, &n), 0);
	CHECK_EQ(n, 2 * MIB + 3);
	CHECK_EQ(attr(s, b).st_size, len + 5 + 2 * MIB + 3);
	CHECK(reads_zero(s, b, len, 5));
	x = get(s, a, 1001, 2 * MIB + 3, &got);
	y = get(s, b, len + 5, 2 * MIB + 3, &got);
	CHECK_EQ(got, 2 * MIB + 3);
	CHECK(!memcmp(x, y, 2 * MIB + 3));
	free(x);
	free(y);
	store_close(s);
}

TEST(copy_bounds)
{
	struct store *s = mem_store();
	uint64_t a = mkreg(s, GFS_ROOT_INO, "a"),
		 b = mkreg(s, GFS_ROOT_INO, "b");
	uint64_t d = mkdir_(s, GFS_ROOT_INO, "d");
	size_t n = 99;

	put(s, a, 0, 10000);
	/* Past the source's end: nothing copied, not an error. */
	CHECK_EQ(store_copy(s, a, 10000, b, 0, 100, true, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_copy(s, a, 50000, b, 0, 100, true, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(attr(s, b).st_size, 0);
	/* Clipped at the source's end. */
	CHECK_EQ(store_copy(s, a, 9000, b, 10, 5000, true, &n), 0);
	CHECK_EQ(n, 1000);
	CHECK_EQ(attr(s, b).st_size, 1010);
	CHECK(reads_zero(s, b, 0, 10));
	CHECK(reads_pat(s, a, 9000, 1000));
	CHECK_EQ(store_copy(s, a, 0, d, 0, 10, true, &n), -EISDIR);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_copy(s, d, 0, a, 0, 10, true, &n), -EISDIR);
	CHECK_EQ(store_copy(s, 4444, 0, a, 0, 10, true, &n), -ENOENT);
	store_close(s);
}

TEST(copy_same_inode)
{
	struct store *s = mem_store();
	uint64_t a = mkreg(s, GFS_ROOT_INO, "a");
	size_t n = 99, got;
	unsigned char *b;

	put(s, a, 0, 10000);
	CHECK_EQ(store_copy(s, a, 0, a, 100, 200, true, &n), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_copy(s, a, 100, a, 0, 200, true, &n), -EINVAL);
	CHECK_EQ(store_copy(s, a, 0, a, 0, 1, true, &n), -EINVAL);
	CHECK(reads_pat(s, a, 0, 10000));
	CHECK_EQ(store_copy(s, a, 0, a, 5000, 5000, true, &n), 0);
	CHECK_EQ(n, 5000);
	CHECK_EQ(attr(s, a).st_size, 10000);
	/* Growing the file it copies from. */
	CHECK_EQ(store_copy(s, a, 0, a, 10000, 3000, true, &n), 0);
	CHECK_EQ(n, 3000);
	CHECK_EQ(attr(s, a).st_size, 13000);
	b = get(s, a, 0, 13000, &got);
	CHECK_EQ(got, 13000);
	CHECK_EQ(pat_mismatch(b, 0, 5000), -1);
	CHECK_EQ(pat_mismatch(b + 5000, 0, 5000), -1);
	CHECK_EQ(pat_mismatch(b + 10000, 0, 3000), -1);
	free(b);
	store_close(s);
}

TEST(copy_touch)
{
	struct store *s = mem_store();
	struct store_setattr sa = {.valid = STORE_SET_MTIME, .mtime = {9, 0}};
	uint64_t a = mkreg(s, GFS_ROOT_INO, "a"),
		 b = mkreg(s, GFS_ROOT_INO, "b");
	struct stat st;
	size_t n;

	put(s, a, 0, 100);
	store_setattr(s, b, &sa, &st);
	CHECK_EQ(store_copy(s, a, 0, b, 0, 100, false, &n), 0);
	CHECK_EQ(attr(s, b).st_mtim.tv_sec, 9);
	CHECK_EQ(store_copy(s, a, 0, b, 0, 100, true, &n), 0);
	CHECK(attr(s, b).st_mtim.tv_sec > 9);
	store_close(s);
}

/* Like store_write(), a copy that reaches GFS_MAX_FILESIZE is short. */
TEST(copy_at_max_file_size)
{
	struct store *s = mem_store();
	uint64_t a = mkreg(s, GFS_ROOT_INO, "a"),
		 b = mkreg(s, GFS_ROOT_INO, "b");
	uint64_t max = GFS_MAX_FILESIZE;
	size_t n = 99, got;
	unsigned char *x;

	put(s, a, 0, 100);
	CHECK_EQ(store_copy(s, a, 0, b, max - 10, 100, true, &n), 0);
	CHECK_EQ(n, 10);
	CHECK_EQ(attr(s, b).st_size, GFS_MAX_FILESIZE);
	x = get(s, b, max - 10, 10, &got);
	CHECK_EQ(got, 10);
	CHECK_EQ(pat_mismatch(x, 0, 10), -1);
	free(x);
	CHECK_EQ(store_copy(s, a, 0, b, max, 100, true, &n), -EFBIG);
	CHECK_EQ(n, 0);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Directory listings                                                 */
/* ------------------------------------------------------------------ */

TEST(readdir_dot_and_dotdot)
{
	struct store *s = mem_store();
	uint64_t d, f;
	struct dlist l;

	d = mkdir_(s, GFS_ROOT_INO, "d");
	f = mkreg(s, d, "f");
	CHECK_EQ(list_dir(s, d, 0, 64, &l), 0);
	CHECK_EQ(l.n, 3);
	CHECK(!strcmp(l.e[0].name, "."));
	CHECK_EQ(l.e[0].ino, d);
	CHECK_EQ(l.e[0].cookie, 1);
	CHECK_EQ(l.e[0].mode, S_IFDIR | 0755);
	CHECK(!strcmp(l.e[1].name, ".."));
	CHECK_EQ(l.e[1].ino, GFS_ROOT_INO);
	CHECK_EQ(l.e[1].cookie, 2);
	CHECK_EQ(l.e[1].nlink, 3);
	CHECK(!strcmp(l.e[2].name, "f"));
	CHECK_EQ(l.e[2].ino, f);
	CHECK_EQ(l.e[2].mode, S_IFREG | 0644);
	CHECK(l.e[2].cookie > 2);
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 64, &l), 0);
	CHECK_EQ(l.n, 3);
	CHECK_EQ(l.e[1].ino, GFS_ROOT_INO);
	store_close(s);
}

TEST(readdir_entry_attributes)
{
	struct store *s = mem_store();
	struct stat st;
	struct dlist l;
	uint64_t f;
	int i;

	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 1234);
	store_link(s, f, GFS_ROOT_INO, "g", &st);
	mknode(s, GFS_ROOT_INO, "c", S_IFCHR | 0600, makedev(1, 3), NULL, &st);
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 64, &l), 0);
	CHECK_EQ(l.n, 5);
	i = dl_find(&l, "g");
	CHECK(i >= 0);
	if (i < 0)
		goto out;
	CHECK_EQ(l.e[i].ino, f);
	CHECK_EQ(l.e[i].size, 1234);
	CHECK_EQ(l.e[i].nlink, 2);
	i = dl_find(&l, "c");
	CHECK(i >= 0 && l.e[i].mode == (S_IFCHR | 0600));
out:
	store_close(s);
}

static void mkmany(struct store *s, uint64_t dir, int n)
{
	char name[16];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		mkreg(s, dir, name);
	}
}

TEST(readdir_resumes_after_cookie)
{
	struct store *s = mem_store();
	char seen[16][GFS_NAME_MAX + 1];
	struct dlist l;
	uint64_t cookie = 0;
	int total = 0, calls = 0;

	mkmany(s, GFS_ROOT_INO, 10);
	/* One entry per call: the entry refused by the callback comes
	 * first in the next call. */
	do {
		CHECK_EQ(list_dir(s, GFS_ROOT_INO, cookie, 1, &l), 0);
		if (l.n == 1 && total < 16) {
			snprintf(seen[total++], sizeof(seen[0]), "%s",
				 l.e[0].name);
			CHECK(l.e[0].cookie > cookie);
			cookie = l.e[0].cookie;
		}
		calls++;
	} while (l.n && calls < 20);
	CHECK_EQ(total, 12);
	CHECK_EQ(calls, 13);
	CHECK(!strcmp(seen[0], "."));
	CHECK(!strcmp(seen[1], ".."));
	for (int i = 0; i < 10 && total == 12; i++) {
		char want[16];

		snprintf(want, sizeof(want), "e%02d", i);
		CHECK(!strcmp(seen[i + 2], want));
	}
	/* The refused entry was offered, and not consumed. */
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 3, &l), 0);
	CHECK_EQ(l.calls, 4);
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, l.e[2].cookie, 64, &l), 0);
	CHECK_EQ(l.n, 9);
	CHECK(!strcmp(l.e[0].name, "e01"));
	store_close(s);
}

TEST(readdir_stop_at_dot)
{
	struct store *s = mem_store();
	struct dlist l;

	mkmany(s, GFS_ROOT_INO, 2);
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 0, &l), 0);
	CHECK_EQ(l.n, 0);
	CHECK_EQ(l.calls, 1);
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 64, &l), 0);
	CHECK_EQ(l.n, 4);
	CHECK(!strcmp(l.e[0].name, "."));
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 1, 64, &l), 0);
	CHECK_EQ(l.n, 3);
	CHECK(!strcmp(l.e[0].name, ".."));
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 2, 64, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK(!strcmp(l.e[0].name, "e00"));
	store_close(s);
}

TEST(readdir_changes_between_calls)
{
	struct store *s = mem_store();
	struct store_gone g;
	struct dlist l;
	uint64_t cookie;

	mkmany(s, GFS_ROOT_INO, 4);
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, 0, 3, &l), 0);
	CHECK(!strcmp(l.e[2].name, "e00"));
	cookie = l.e[2].cookie;
	/* The entry the cookie names, and one not yet listed, go; two
	 * come. */
	store_unlink(s, GFS_ROOT_INO, "e00", &g);
	store_unlink(s, GFS_ROOT_INO, "e02", &g);
	mkreg(s, GFS_ROOT_INO, "new1");
	mkreg(s, GFS_ROOT_INO, "e00");
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, cookie, 64, &l), 0);
	CHECK_EQ(l.n, 4);
	if (l.n == 4) {
		CHECK(!strcmp(l.e[0].name, "e01"));
		CHECK(!strcmp(l.e[1].name, "e03"));
		CHECK(!strcmp(l.e[2].name, "new1"));
		CHECK(!strcmp(l.e[3].name, "e00"));
	}
	/* A cookie past the end gives nothing. */
	CHECK_EQ(list_dir(s, GFS_ROOT_INO, l.e[3].cookie, 64, &l), 0);
	CHECK_EQ(l.n, 0);
	store_close(s);
}

TEST(readdir_errors)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	struct dlist l;

	CHECK_EQ(list_dir(s, f, 0, 64, &l), -ENOTDIR);
	CHECK_EQ(l.calls, 0);
	CHECK_EQ(list_dir(s, 8888, 0, 64, &l), -ENOENT);
	CHECK_EQ(l.calls, 0);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Extended attributes                                                */
/* ------------------------------------------------------------------ */

TEST(xattr_set_get)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	const unsigned char bin[] = {0, 1, 2, 0, 255};
	unsigned char buf[64];
	size_t len = 99;
	int64_t before;

	before = now_ns();
	CHECK_EQ(store_setxattr(s, f, "user.a", "hello", 5, 0), 0);
	CHECK(ts_ns_(attr(s, f).st_ctim) >= before);
	CHECK_EQ(store_getxattr(s, f, "user.a", NULL, 0, &len), 0);
	CHECK_EQ(len, 5);
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ(store_getxattr(s, f, "user.a", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(buf[5], 'Z');
	CHECK_EQ(store_getxattr(s, f, "user.a", buf, 4, &len), -ERANGE);
	CHECK_EQ(store_getxattr(s, f, "user.a", buf, 5, &len), 0);
	CHECK_EQ(store_setxattr(s, f, "user.bin", bin, sizeof(bin), 0), 0);
	CHECK_EQ(store_getxattr(s, f, "user.bin", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, sizeof(bin));
	CHECK(!memcmp(buf, bin, sizeof(bin)));
	CHECK_EQ(store_setxattr(s, f, "user.empty", "", 0, 0), 0);
	len = 99;
	CHECK_EQ(store_getxattr(s, f, "user.empty", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(store_getxattr(s, f, "user.none", buf, sizeof(buf), &len),
		 -ENODATA);
	CHECK_EQ(store_getxattr(s, f, "user.A", NULL, 0, &len), -ENODATA);
	CHECK_EQ(store_getxattr(s, 9191, "user.a", NULL, 0, &len), -ENOENT);
	CHECK_EQ(store_setxattr(s, 9191, "user.a", "x", 1, 0), -ENOENT);
	store_close(s);
}

TEST(xattr_flags)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	char buf[16];
	size_t len;

	CHECK_EQ(store_setxattr(s, f, "user.x", "1", 1, XATTR_REPLACE),
		 -ENODATA);
	CHECK_EQ(store_getxattr(s, f, "user.x", NULL, 0, &len), -ENODATA);
	CHECK_EQ(store_setxattr(s, f, "user.x", "1", 1, XATTR_CREATE), 0);
	CHECK_EQ(store_setxattr(s, f, "user.x", "2", 1, XATTR_CREATE), -EEXIST);
	CHECK_EQ(store_getxattr(s, f, "user.x", buf, sizeof(buf), &len), 0);
	CHECK_EQ(buf[0], '1');
	CHECK_EQ(store_setxattr(s, f, "user.x", "33", 2, XATTR_REPLACE), 0);
	CHECK_EQ(store_getxattr(s, f, "user.x", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 2);
	CHECK(!memcmp(buf, "33", 2));
	CHECK_EQ(store_setxattr(s, f, "user.x", "4", 1, 0), 0);
	CHECK_EQ(store_getxattr(s, f, "user.x", buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 1);
	CHECK_EQ(buf[0], '4');
	CHECK_EQ(store_setxattr(s, f, "user.x", "5", 1,
				XATTR_CREATE | XATTR_REPLACE),
		 -EINVAL);
	CHECK_EQ(store_getxattr(s, f, "user.x", buf, sizeof(buf), &len), 0);
	CHECK_EQ(buf[0], '4');
	store_close(s);
}

TEST(listxattr_format)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), d;
	const char want[] = "security.z\0trusted.y\0user.a\0user.b";
	char buf[128];
	size_t len = 99;

	CHECK_EQ(store_listxattr(s, f, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 0);
	store_setxattr(s, f, "user.b", "1", 1, 0);
	store_setxattr(s, f, "trusted.y", "", 0, 0);
	store_setxattr(s, f, "user.a", "22", 2, 0);
	store_setxattr(s, f, "security.z", "333", 3, 0);
	CHECK_EQ(store_listxattr(s, f, NULL, 0, &len), 0);
	CHECK_EQ(len, sizeof(want));
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ(store_listxattr(s, f, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
	CHECK_EQ(buf[sizeof(want)], 'Z');
	CHECK_EQ(store_listxattr(s, f, buf, sizeof(want) - 1, &len), -ERANGE);
	CHECK_EQ(store_listxattr(s, f, buf, sizeof(want), &len), 0);
	/* Attributes are per inode, and directories have them too. */
	d = mkdir_(s, GFS_ROOT_INO, "d");
	store_setxattr(s, d, "user.dir", "v", 1, 0);
	CHECK_EQ(store_listxattr(s, d, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, sizeof("user.dir"));
	CHECK(!memcmp(buf, "user.dir", sizeof("user.dir")));
	CHECK_EQ(store_listxattr(s, 9090, buf, sizeof(buf), &len), -ENOENT);
	store_close(s);
}

TEST(removexattr)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f");
	struct store_setattr sa = {.valid = STORE_SET_CTIME, .ctime = {1, 0}};
	struct stat st;
	char buf[64];
	size_t len;

	store_setxattr(s, f, "user.a", "1", 1, 0);
	store_setxattr(s, f, "user.b", "2", 1, 0);
	store_setattr(s, f, &sa, &st);
	CHECK_EQ(store_removexattr(s, f, "user.a"), 0);
	CHECK(attr(s, f).st_ctim.tv_sec > 1);
	CHECK_EQ(store_getxattr(s, f, "user.a", NULL, 0, &len), -ENODATA);
	CHECK_EQ(store_removexattr(s, f, "user.a"), -ENODATA);
	CHECK_EQ(store_listxattr(s, f, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, sizeof("user.b"));
	CHECK(!memcmp(buf, "user.b", sizeof("user.b")));
	CHECK_EQ(store_removexattr(s, 9090, "user.b"), -ENOENT);
	CHECK_EQ(store_getxattr(s, f, "user.b", buf, sizeof(buf), &len), 0);
	store_close(s);
}

/* ------------------------------------------------------------------ */
/* Reclaim and whole-store figures                                    */
/* ------------------------------------------------------------------ */

/* Rows a store file holds for inode @ino in @table. */
static int64_t rows_of(const char *path, const char *table, uint64_t ino)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE ino = %llu",
		 table, (unsigned long long)ino);
	return raw_int(path, sql);
}

TEST(reclaim_only_unlinked)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct store_gone g;
	struct stat st;
	struct store *s;
	uint64_t f, l, d;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 10000);
	store_setxattr(s, f, "user.k", "v", 1, 0);
	mknode(s, GFS_ROOT_INO, "l", S_IFLNK | 0777, 0, "target", &st);
	l = st.st_ino;
	d = mkdir_(s, GFS_ROOT_INO, "d");
	/* Linked: a no-op that keeps everything. */
	CHECK_EQ(store_reclaim(s, f), 0);
	CHECK_EQ(store_reclaim(s, l), 0);
	CHECK_EQ(store_reclaim(s, d), 0);
	CHECK_EQ(attr(s, f).st_nlink, 1);
	CHECK(reads_pat(s, f, 0, 10000));
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(rows_of(path, "chunks", f), 3);
	CHECK_EQ(rows_of(path, "xattrs", f), 1);
	CHECK_EQ(rows_of(path, "symlinks", l), 1);
	store_unlink(s, GFS_ROOT_INO, "f", &g);
	store_unlink(s, GFS_ROOT_INO, "l", &g);
	store_rmdir(s, GFS_ROOT_INO, "d", &g);
	CHECK_EQ(store_reclaim(s, f), 0);
	CHECK_EQ(store_reclaim(s, l), 0);
	CHECK_EQ(store_reclaim(s, d), 0);
	CHECK_EQ(store_getattr(s, f, &st), -ENOENT);
	CHECK_EQ(store_getattr(s, l, &st), -ENOENT);
	CHECK_EQ(store_getattr(s, d, &st), -ENOENT);
	/* Reclaiming what is gone is harmless. */
	CHECK_EQ(store_reclaim(s, f), 0);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(rows_of(path, "inodes", f), 0);
	CHECK_EQ(rows_of(path, "chunks", f), 0);
	CHECK_EQ(rows_of(path, "xattrs", f), 0);
	CHECK_EQ(rows_of(path, "symlinks", l), 0);
	CHECK_EQ(rows_of(path, "inodes", d), 0);
	store_close(s);
	tmpdir_remove(dir);
}

TEST(reclaim_keeps_relinked)
{
	struct store *s = mem_store();
	struct store_gone g;
	struct stat st;
	uint64_t f;

	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 100);
	store_link(s, f, GFS_ROOT_INO, "g", &st);
	store_unlink(s, GFS_ROOT_INO, "f", &g);
	CHECK_EQ(g.nlink, 1);
	CHECK_EQ(store_reclaim(s, f), 0);
	CHECK_EQ(attr(s, f).st_nlink, 1);
	CHECK(reads_pat(s, f, 0, 100));
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "g"), f);
	store_close(s);
}

TEST(statfs_memory)
{
	struct store *s = mem_store();
	struct store_gone g;
	struct statvfs sv;
	uint64_t f;

	CHECK_EQ(store_statfs(s, &sv), 0);
	CHECK_EQ(sv.f_files, 1);
	CHECK_EQ(sv.f_bsize, 4096);
	CHECK_EQ(sv.f_namemax, GFS_NAME_MAX);
	f = mkreg(s, GFS_ROOT_INO, "f");
	mkdir_(s, GFS_ROOT_INO, "d");
	store_statfs(s, &sv);
	CHECK_EQ(sv.f_files, 3);
	store_unlink(s, GFS_ROOT_INO, "f", &g);
	store_statfs(s, &sv);
	CHECK_EQ(sv.f_files, 3);
	store_reclaim(s, f);
	store_statfs(s, &sv);
	CHECK_EQ(sv.f_files, 2);
	store_close(s);
}

TEST(statfs_file)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct statvfs sv, under;
	struct store *s;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	mkreg(s, GFS_ROOT_INO, "f");
	CHECK_EQ(store_statfs(s, &sv), 0);
	CHECK_EQ(statvfs(dir, &under), 0);
	CHECK_EQ(sv.f_namemax, GFS_NAME_MAX);
	CHECK_EQ(sv.f_bsize, under.f_bsize);
	CHECK_EQ(sv.f_blocks, under.f_blocks);
	CHECK_EQ(sv.f_ffree, sv.f_favail);
	CHECK_EQ(sv.f_files, 2 + sv.f_favail);
	store_close(s);
	tmpdir_remove(dir);
}

TEST(facts_and_sync)
{
	struct store *s = mem_store();
	struct store_facts f;
	uint64_t ino;

	CHECK_EQ(store_facts(s, &f), 0);
	CHECK_EQ(f.chunk_size, 4096);
	CHECK_EQ(f.format_version, STORE_FORMAT_VERSION);
	CHECK_EQ(f.inodes, 1);
	CHECK_EQ(f.commits, 0);
	CHECK_EQ(f.syncs, 0);
	CHECK_EQ(f.batch_bytes, 0);
	CHECK_EQ(f.file_bytes, 0);
	CHECK_EQ(f.wal_bytes, 0);
	CHECK_EQ(strlen(f.uuid), 36);
	CHECK(f.uuid[8] == '-' && f.uuid[14] == '4' && f.uuid[23] == '-');
	ino = mkreg(s, GFS_ROOT_INO, "f");
	put(s, ino, 0, 1000);
	put(s, ino, 5000, 24);
	store_facts(s, &f);
	CHECK_EQ(f.batch_bytes, 1024);
	CHECK_EQ(f.inodes, 2);
	CHECK_EQ(store_sync(s, 0), 0);
	store_facts(s, &f);
	CHECK_EQ(f.commits, 1);
	CHECK_EQ(f.syncs, 1);
	CHECK_EQ(f.batch_bytes, 0);
	/* Nothing to commit: not counted. */
	CHECK_EQ(store_sync(s, 0), 0);
	store_facts(s, &f);
	CHECK_EQ(f.commits, 1);
	CHECK_EQ(f.syncs, 1);
	store_close(s);
}

TEST(file_chunks)
{
	struct store *s = mem_store();
	uint64_t f = mkreg(s, GFS_ROOT_INO, "f"), n = 9, b = 9;

	CHECK_EQ(store_file_chunks(s, f, &n, &b), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(b, 0);
	put(s, f, 4096 * 3 + 10, 5000);
	CHECK_EQ(store_file_chunks(s, f, &n, &b), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(b, 4096 + (4096 * 3 + 10 + 5000 - 4096 * 4));
	CHECK_EQ(store_file_chunks(s, 6060, &n, &b), -ENOENT);
	store_close(s);
}

/* How many bytes a read of [off, off + len) returns. */
static size_t read_count(struct store *s, uint64_t ino, uint64_t off,
			 size_t len)
{
	size_t got;

	free(get(s, ino, off, len, &got));
	return got;
}

/* Reads of a file the open batch has not changed go to a read-only
 * connection; they must see exactly what the main one would. */
TEST(committed_reads)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct store_setattr sa = {.valid = STORE_SET_SIZE};
	struct store_facts fa;
	uint64_t f, g, before;
	struct stat st;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	struct store *s = file_store(path);

	f = mkreg(s, GFS_ROOT_INO, "f");
	g = mkreg(s, GFS_ROOT_INO, "g");
	put(s, f, 0, 20000);
	/* Uncommitted: the main connection answers. */
	CHECK(reads_pat(s, f, 0, 20000));
	store_facts(s, &fa);
	CHECK_EQ(fa.committed_reads, 0);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK(reads_pat(s, f, 0, 20000));
	store_facts(s, &fa);
	CHECK_EQ(fa.committed_reads, 1);
	before = fa.committed_reads;
	/* Another file changed in the batch: f still reads committed. */
	put(s, g, 0, 100);
	CHECK(reads_pat(s, f, 5000, 9000));
	CHECK(reads_pat(s, g, 0, 100));
	store_facts(s, &fa);
	CHECK_EQ(fa.committed_reads, before + 1);
	/* f shortened in the batch, then committed: both see the size. */
	sa.size = 6000;
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK(reads_pat(s, f, 0, 6000));
	CHECK_EQ(read_count(s, f, 5990, 100), 10);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK(reads_pat(s, f, 0, 6000));
	CHECK_EQ(read_count(s, f, 5990, 100), 10);
	store_facts(s, &fa);
	CHECK_EQ(fa.committed_reads, before + 3);
	/* Many files changed in one batch, after small ones (the set of
	 * changed inodes grows and rehashes): each still reads as changed. */
	{
		unsigned char x[100];
		uint64_t many[300];
		size_t done, got;
		char name[16];

		memset(x, 0x5a, sizeof(x));
		for (int i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "m%d", i);
			many[i] = mkreg(s, GFS_ROOT_INO, name);
			put(s, many[i], 0, 100);
			/* Small batches: the set stays small until the next. */
			if (i % 20 == 19)
				CHECK_EQ(store_sync(s, 0), 0);
		}
		for (int i = 0; i < 300; i++)
			CHECK_EQ(store_write(s, many[i], 0, x, 100, true, &done),
				 0);
		for (int i = 0; i < 300; i++) {
			unsigned char *b = get(s, many[i], 0, 100, &got);

			CHECK(got == 100 && !memcmp(b, x, 100));
			free(b);
		}
	}
	/* Not regular files: answered by the main connection, as before. */
	{
		size_t got = 0;
		unsigned char b[8];

		CHECK_EQ(store_sync(s, 0), 0);
		CHECK_EQ(store_read(s, GFS_ROOT_INO, 0, 8, b, &got), -EISDIR);
		CHECK_EQ(store_read(s, 987654, 0, 8, b, &got), -ENOENT);
	}
	store_close(s);
	tmpdir_remove(dir);
}

TEST(checkpoint)
{
	char dir[PATH_MAX], path[PATH_MAX];
	uint64_t before = 0, after = 9, f;
	struct store_facts fa;
	struct store *s;

	s = mem_store();
	CHECK_EQ(store_checkpoint(s, &before, &after), -EROFS);
	store_close(s);
	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 100000);
	CHECK_EQ(store_sync(s, 0), 0);
	store_facts(s, &fa);
	CHECK(fa.wal_bytes > 100000);
	CHECK_EQ(store_checkpoint(s, &before, &after), 0);
	CHECK_EQ(before, fa.wal_bytes);
	CHECK_EQ(after, 0);
	store_facts(s, &fa);
	CHECK_EQ(fa.wal_bytes, 0);
	CHECK(fa.file_bytes > 100000);
	CHECK_EQ(fa.file_bytes % 4096, 0);
	CHECK_EQ(fa.page_size, 4096);
	/* An open batch is committed first (not counted as a sync). */
	put(s, f, 100000, 50000);
	CHECK_EQ(store_checkpoint(s, &before, &after), 0);
	CHECK_EQ(after, 0);
	store_facts(s, &fa);
	CHECK_EQ(fa.commits, 2);
	CHECK_EQ(fa.syncs, 1);
	CHECK_EQ(fa.batch_bytes, 0);
	CHECK(reads_pat(s, f, 0, 150000));
	CHECK_EQ(rows_of(path, "chunks", f), 37);
	store_close(s);
	tmpdir_remove(dir);
}

TEST(version_and_thread_time)
{
	struct store *s = mem_store();
	uint64_t t0 = store_thread_ns(), t1;

	CHECK(!strcmp(store_sqlite_version(), sqlite3_libversion()));
	CHECK(!strncmp(store_sqlite_version(), "3.", 2));
	mkmany(s, GFS_ROOT_INO, 20);
	t1 = store_thread_ns();
	CHECK(t1 > t0);
	CHECK(store_thread_ns() >= t1);
	store_close(s);
}

TEST(commit_thread_commits_batches)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct store_params p;
	struct store_facts fa = {0};
	struct store *s = NULL;
	char why[256];
	uint64_t f;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	p = file_params(path);
	p.commit_ms = 20;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	CHECK_EQ(store_start(s), 0);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 5000);
	for (int i = 0; i < 500 && fa.commits == 0; i++) {
		usleep(10000);
		store_facts(s, &fa);
	}
	CHECK(fa.commits >= 1);
	CHECK_EQ(fa.syncs, 0);
	CHECK_EQ(fa.batch_bytes, 0);
	/* Committed: another connection sees it. */
	CHECK_EQ(rows_of(path, "chunks", f), 2);
	store_close(s);
out:
	tmpdir_remove(dir);
}

/* ------------------------------------------------------------------ */
/* Opening store files                                                */
/* ------------------------------------------------------------------ */

static int open_path(const char *path, bool readonly, struct store **s,
		     char *why, size_t whylen)
{
	struct store_params p = file_params(path);

	p.readonly = readonly;
	p.create = !readonly;
	*s = NULL;
	return store_open(&p, s, why, whylen);
}

/* A store with a little of everything, closed. */
static void make_sample(const char *path)
{
	struct store *s = file_store(path);
	struct stat st;
	uint64_t f, d;

	if (!s)
		return;
	d = mkdir_(s, GFS_ROOT_INO, "dir");
	f = mkreg(s, d, "file");
	put(s, f, 0, 3 * 4096 + 17);
	store_setxattr(s, f, "user.colour", "blue", 4, 0);
	mknode(s, GFS_ROOT_INO, "link", S_IFLNK | 0777, 0, "dir/file", &st);
	store_close(s);
}

/* Checks what make_sample() wrote. */
static void check_sample(struct store *s)
{
	uint64_t d = ino_of(s, GFS_ROOT_INO, "dir"), f = ino_of(s, d, "file");
	char buf[64];
	size_t len = 0;

	CHECK(d != 0 && f != 0);
	CHECK_EQ(attr(s, f).st_size, 3 * 4096 + 17);
	CHECK(reads_pat(s, f, 0, 3 * 4096 + 17));
	CHECK_EQ(store_getxattr(s, f, "user.colour", buf, sizeof(buf), &len),
		 0);
	CHECK(len == 4 && !memcmp(buf, "blue", 4));
	CHECK_EQ(store_readlink(s, ino_of(s, GFS_ROOT_INO, "link"), buf,
				sizeof(buf), &len),
		 0);
	CHECK(len == 8 && !memcmp(buf, "dir/file", 8));
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
}

TEST(open_creates_store)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store_params p;
	struct store_facts fa;
	struct store *s = NULL;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "new.db");
	p = file_params(path);
	p.chunk_size = 8192;
	p.page_size = 8192;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	CHECK(store_created(s));
	CHECK_EQ(store_chunk_size(s), 8192);
	store_facts(s, &fa);
	CHECK_EQ(fa.chunk_size, 8192);
	CHECK_EQ(fa.page_size, 8192);
	CHECK_EQ(fa.format_version, STORE_FORMAT_VERSION);
	CHECK_EQ(fa.file_bytes % 8192, 0);
	CHECK_EQ(strlen(fa.uuid), 36);
	CHECK_EQ(raw_int(path, "PRAGMA application_id"), 0x474c4653);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), STORE_FORMAT_VERSION);
	CHECK_EQ(raw_int(path, "PRAGMA page_size"), 8192);
	CHECK(!strcmp(raw_text(path, "PRAGMA journal_mode"), "wal"));
	CHECK_EQ(raw_int(path, "SELECT value FROM format "
			       "WHERE key = 'chunk_size'"),
		 8192);
	CHECK(!strcmp(raw_text(path, "SELECT value FROM format "
				     "WHERE key = 'uuid'"),
		      fa.uuid));
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes"), 1);
	store_close(s);
out:
	tmpdir_remove(dir);
}

struct bad_size {
	uint32_t chunk, page;
	const char *why;
};

static const struct bad_size bad_sizes[] = {
	{2048, 0,
	 "chunk size 2048 is not a power of two from 4096 to "
	 "1048576"},
	{6000, 0,
	 "chunk size 6000 is not a power of two from 4096 to "
	 "1048576"},
	{2u << 20, 0,
	 "chunk size 2097152 is not a power of two from 4096 "
	 "to 1048576"},
	{0, 256, "page size 256 is not a power of two from 512 to 65536"},
	{0, 3000, "page size 3000 is not a power of two from 512 to 65536"},
	{0, 131072,
	 "page size 131072 is not a power of two from 512 to "
	 "65536"},
};

TEST(open_refuses_bad_sizes)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store_params p;
	struct store *s;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "new.db");
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		p = file_params(path);
		p.chunk_size = bad_sizes[i].chunk;
		p.page_size = bad_sizes[i].page;
		s = NULL;
		CHECK_EQ(store_open(&p, &s, why, sizeof(why)), -EINVAL);
		CHECK(s == NULL);
		if (strcmp(why, bad_sizes[i].why))
			tap_fail(__FILE__, __LINE__, "why '%s'", why);
		/* Nothing left behind: no store, no journal. */
		CHECK_EQ(entries_in(dir), 0);
		p.path = ":memory:";
		CHECK_EQ(store_open(&p, &s, why, sizeof(why)), -EINVAL);
		CHECK(!strcmp(why, bad_sizes[i].why));
	}
	/* The limits themselves are fine. */
	p = file_params(path);
	p.chunk_size = 1u << 20;
	p.page_size = 65536;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	CHECK_EQ(store_chunk_size(s), 1u << 20);
	store_close(s);
	tmpdir_remove(dir);
}

TEST(open_missing_without_create)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store_params p;
	struct store *s = NULL;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "none.db");
	p = file_params(path);
	p.create = false;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), -ENOENT);
	CHECK(!strcmp(why, strerror(ENOENT)));
	CHECK_EQ(entries_in(dir), 0);
	tmpdir_remove(dir);
}

TEST(reopen_keeps_data)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256], uuid[37];
	struct store_params p;
	struct store_facts fa;
	struct store *s = NULL;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	snprintf(uuid, sizeof(uuid), "%s",
		 raw_text(path, "SELECT value FROM format WHERE key = 'uuid'"));
	p = file_params(path);
	p.chunk_size = 65536; /* for new stores only */
	p.page_size = 512;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	CHECK(!store_created(s));
	CHECK_EQ(store_chunk_size(s), 4096);
	store_facts(s, &fa);
	CHECK_EQ(fa.page_size, 4096);
	CHECK(!strcmp(fa.uuid, uuid));
	CHECK_EQ(fa.inodes, 4);
	check_sample(s);
	store_close(s);
out:
	tmpdir_remove(dir);
}

/*
 * Opens @path (read-write, or read-only) and expects a refusal with
 * @err and a reason starting with @why, and the file's bytes unchanged.
 */
static void expect_refusal(const char *path, bool readonly, int err,
			   const char *why_prefix)
{
	unsigned char *before, *after;
	long blen, alen;
	struct store *s;
	char why[256];
	int got;

	before = slurp(path, &blen);
	got = open_path(path, readonly, &s, why, sizeof(why));
	after = slurp(path, &alen);
	CHECK_EQ(got, err);
	CHECK(s == NULL);
	if (strncmp(why, why_prefix, strlen(why_prefix)))
		tap_fail(__FILE__, __LINE__, "why '%s', expected '%s...'", why,
			 why_prefix);
	CHECK(same_bytes(before, blen, after, alen));
	free(before);
	free(after);
	if (got == 0)
		store_close(s);
}

TEST(refuse_text_file)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char text[] = "this is not a database, just some notes\n";

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "notes.txt");
	write_file(path, text, sizeof(text) - 1);
	expect_refusal(path, false, -EINVAL, "not an SQLite database");
	expect_refusal(path, true, -EINVAL, "not an SQLite database");
	/* Longer than a header, still not SQLite. */
	write_file(path, bad_sizes, sizeof(bad_sizes));
	expect_refusal(path, false, -EINVAL, "not an SQLite database");
	CHECK_EQ(entries_in(dir), 1);
	tmpdir_remove(dir);
}

TEST(refuse_foreign_sqlite)
{
	char dir[PATH_MAX], path[PATH_MAX];

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "other.db");
	raw_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
	expect_refusal(path, false, -EINVAL,
		       "not a glassfs store (application_id 0x00000000)");
	expect_refusal(path, true, -EINVAL,
		       "not a glassfs store (application_id 0x00000000)");
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
	tmpdir_remove(dir);
}

TEST(refuse_wrong_application_id)
{
	char dir[PATH_MAX], path[PATH_MAX];

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	raw_exec(path, "PRAGMA application_id = 1234");
	expect_refusal(path, false, -EINVAL,
		       "not a glassfs store (application_id 0x000004d2)");
	raw_exec(path, "PRAGMA application_id = 1196181075;"
		       "PRAGMA user_version = 0");
	expect_refusal(path, false, -EINVAL,
		       "not a glassfs store (format version 0)");
	tmpdir_remove(dir);
}

TEST(refuse_newer_format)
{
	char dir[PATH_MAX], path[PATH_MAX];

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	raw_exec(path, "PRAGMA user_version = 99");
	expect_refusal(path, false, -EPROTONOSUPPORT,
		       "format version 99 is newer than this glassfs supports "
		       "(3)");
	expect_refusal(path, true, -EPROTONOSUPPORT, "format version 99 is");
	tmpdir_remove(dir);
}

TEST(refuse_missing_table)
{
	char dir[PATH_MAX], path[PATH_MAX];

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	raw_exec(path, "DROP TABLE symlinks");
	expect_refusal(path, false, -EUCLEAN,
		       "corrupt (table 'symlinks' is missing)");
	tmpdir_remove(dir);
}

static void truncate_to(const char *path, off_t size)
{
	if (truncate(path, size))
		tap_fail(__FILE__, __LINE__, "truncate: %s", strerror(errno));
}

TEST(refuse_truncated)
{
	char dir[PATH_MAX], path[PATH_MAX];
	long size;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	free(slurp(path, &size));
	CHECK(size >= 5 * 4096);
	CHECK_EQ(size % 4096, 0);
	truncate_to(path, size - 4096 / 2);
	expect_refusal(path, false, -EINVAL, "truncated (");
	expect_refusal(path, true, -EINVAL, "truncated (");
	truncate_to(path, size - 2 * 4096);
	expect_refusal(path, false, -EINVAL, "truncated (the header counts");
	tmpdir_remove(dir);
}

/* Overwrites page @pgno (1-based) of @path with garbage. */
static void smash_page(const char *path, int64_t pgno)
{
	unsigned char junk[4096];
	int fd = open(path, O_WRONLY);

	memset(junk, 0x5a, sizeof(junk));
	if (fd < 0 || pgno < 2 ||
	    pwrite(fd, junk, sizeof(junk), (pgno - 1) * 4096) != 4096)
		tap_fail(__FILE__, __LINE__, "cannot smash page %lld",
			 (long long)pgno);
	if (fd >= 0)
		close(fd);
}

TEST(refuse_corrupt_page)
{
	char dir[PATH_MAX], path[PATH_MAX];

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	smash_page(path, raw_int(path, "SELECT rootpage FROM sqlite_schema "
				       "WHERE name = 'inodes'"));
	expect_refusal(path, false, -EUCLEAN, "corrupt (");
	expect_refusal(path, true, -EUCLEAN, "corrupt (");
	tmpdir_remove(dir);
}

/* ------------------------------------------------------------------ */
/* Locks and read-only stores                                         */
/* ------------------------------------------------------------------ */

/* In a child process (another glassfs), opens @path and exits 0 if the
 * open fails with @err and the "already mounted" reason. */
static int open_in_child(const char *path, bool readonly, int err)
{
	struct store *s;
	char why[256];
	int status = -1, got;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		got = open_path(path, readonly, &s, why, sizeof(why));
		if (got != err)
			_exit(1);
		if (err && strcmp(why, "already mounted by another glassfs "
				       "process"))
			_exit(2);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(refuse_already_open)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store *s, *t;
	uint64_t f;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	CHECK_EQ(open_path(path, false, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	CHECK_EQ(open_in_child(path, false, -EBUSY), 0);
	CHECK_EQ(open_in_child(path, true, -EBUSY), 0);
	CHECK_EQ(open_path(path, false, &t, why, sizeof(why)), -EBUSY);
	CHECK(t == NULL);
	CHECK(!strcmp(why, "already mounted by another glassfs process"));
	/* The first store is unharmed. */
	f = mkreg(s, GFS_ROOT_INO, "after");
	put(s, f, 0, 5000);
	CHECK_EQ(store_sync(s, 0), 0);
	store_close(s);
	CHECK_EQ(open_in_child(path, false, 0), 0);
	CHECK_EQ(open_path(path, false, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	check_sample(s);
	CHECK(reads_pat(s, ino_of(s, GFS_ROOT_INO, "after"), 0, 5000));
	store_close(s);
out:
	tmpdir_remove(dir);
}

/* Every change on a read-only store fails with -EROFS. */
static void check_all_writes_refused(struct store *s)
{
	uint64_t d = ino_of(s, GFS_ROOT_INO, "dir"), f = ino_of(s, d, "file");
	struct store_setattr sa = {.valid = STORE_SET_MODE, .mode = 0600};
	uint64_t a = 0, b = 0;
	struct store_gone g;
	struct stat st;
	size_t n;

	CHECK_EQ(store_write(s, f, 0, "x", 1, true, &n), -EROFS);
	CHECK_EQ(mknode(s, GFS_ROOT_INO, "n", S_IFREG, 0, NULL, &st), -EROFS);
	CHECK_EQ(store_link(s, f, GFS_ROOT_INO, "n", &st), -EROFS);
	CHECK_EQ(store_unlink(s, d, "file", &g), -EROFS);
	CHECK_EQ(store_rmdir(s, GFS_ROOT_INO, "dir", &g), -EROFS);
	CHECK_EQ(store_rename(s, d, "file", d, "n", 0, &g), -EROFS);
	CHECK_EQ(store_setattr(s, f, &sa, &st), -EROFS);
	CHECK_EQ(store_fallocate(s, f, 0, 0, 100000), -EROFS);
	CHECK_EQ(store_copy(s, f, 0, f, 20000, 10, true, &n), -EROFS);
	CHECK_EQ(store_setxattr(s, f, "user.x", "1", 1, 0), -EROFS);
	CHECK_EQ(store_removexattr(s, f, "user.colour"), -EROFS);
	CHECK_EQ(store_reclaim(s, f), -EROFS);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(store_checkpoint(s, &a, &b), -EROFS);
	CHECK_EQ(store_start(s), 0);
	CHECK_EQ(attr(s, f).st_mode, S_IFREG | 0644);
}

TEST(readonly_open)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	unsigned char *before, *after;
	struct store *s = NULL, *t = NULL;
	long blen, alen;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	make_sample(path);
	before = slurp(path, &blen);
	CHECK_EQ(open_path(path, true, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	CHECK(!store_created(s));
	check_sample(s);
	check_all_writes_refused(s);
	/* Read-only mounts share the store; a read-write one is refused. */
	CHECK_EQ(open_path(path, true, &t, why, sizeof(why)), 0);
	CHECK_EQ(open_in_child(path, false, -EBUSY), 0);
	CHECK_EQ(open_in_child(path, true, 0), 0);
	store_close(t);
	store_close(s);
	after = slurp(path, &alen);
	CHECK(same_bytes(before, blen, after, alen));
	free(after);
out:
	free(before);
	tmpdir_remove(dir);
}

TEST(readonly_refuses_empty_file)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store *s;
	long len;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "empty.db");
	write_file(path, "", 0);
	CHECK_EQ(open_path(path, true, &s, why, sizeof(why)), -EINVAL);
	CHECK(!strcmp(why, "empty store cannot be mounted read-only"));
	free(slurp(path, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(entries_in(dir), 1);
	/* An empty file is a new store for a read-write open. */
	CHECK_EQ(open_path(path, false, &s, why, sizeof(why)), 0);
	CHECK(s != NULL);
	store_close(s);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), STORE_FORMAT_VERSION);
	tmpdir_remove(dir);
}

/* A private mount namespace, so that bind mounts vanish with us. */
static bool private_mounts(void)
{
	return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

TEST(readonly_file_system)
{
	char rw[PATH_MAX], ro[PATH_MAX], path[PATH_MAX], why[256];
	unsigned char *before, *after;
	struct store *s = NULL;
	char ro_dir[PATH_MAX];
	long blen, alen;

	tmpdir_make(ro_dir, sizeof(ro_dir));
	path_in(rw, sizeof(rw), ro_dir, "rw");
	path_in(ro, sizeof(ro), ro_dir, "ro");
	mkdir(rw, 0700);
	mkdir(ro, 0700);
	path_in(path, sizeof(path), rw, "store.db");
	make_sample(path);
	before = slurp(path, &blen);
	CHECK_EQ(mount(rw, ro, NULL, MS_BIND, NULL), 0);
	CHECK_EQ(mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL),
		 0);
	path_in(path, sizeof(path), ro, "store.db");
	CHECK_EQ(open_path(path, false, &s, why, sizeof(why)), -EROFS);
	CHECK(strstr(why, "(use -o ro to serve it read-only)") != NULL);
	CHECK_EQ(open_path(path, true, &s, why, sizeof(why)), 0);
	if (!s)
		tap_fail(__FILE__, __LINE__, "read-only open: %s", why);
	if (s) {
		check_sample(s);
		check_all_writes_refused(s);
		store_close(s);
	}
	CHECK_EQ(umount(ro), 0);
	path_in(path, sizeof(path), rw, "store.db");
	after = slurp(path, &alen);
	CHECK(same_bytes(before, blen, after, alen));
	free(before);
	free(after);
	tmpdir_remove(ro_dir);
}

/* ------------------------------------------------------------------ */
/* Orphans, commits and crashes                                       */
/* ------------------------------------------------------------------ */

TEST(orphans_reclaimed_at_open)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct store_gone g;
	struct statvfs sv;
	uint64_t f, d, l, keep;
	struct store *s;
	struct stat st;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 9000);
	store_setxattr(s, f, "user.a", "1", 1, 0);
	d = mkdir_(s, GFS_ROOT_INO, "d");
	mknode(s, GFS_ROOT_INO, "l", S_IFLNK | 0777, 0, "f", &st);
	l = st.st_ino;
	keep = mkreg(s, GFS_ROOT_INO, "keep");
	put(s, keep, 0, 100);
	store_close(s);
	/* A crash with three inodes open and unlinked: the child dies
	 * without store_close(), which would reclaim them. */
	fflush(stdout);
	if (fork() == 0) {
		s = file_store(path);
		store_unlink(s, GFS_ROOT_INO, "f", &g);
		store_rmdir(s, GFS_ROOT_INO, "d", &g);
		store_unlink(s, GFS_ROOT_INO, "l", &g);
		_exit(store_sync(s, 0) ? 1 : 0);
	}
	wait(NULL);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes WHERE nlink = 0"),
		 3);
	CHECK_EQ(rows_of(path, "chunks", f), 3);
	s = file_store(path);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes WHERE nlink = 0"),
		 0);
	CHECK_EQ(rows_of(path, "inodes", f), 0);
	CHECK_EQ(rows_of(path, "chunks", f), 0);
	CHECK_EQ(rows_of(path, "xattrs", f), 0);
	CHECK_EQ(rows_of(path, "inodes", d), 0);
	CHECK_EQ(rows_of(path, "symlinks", l), 0);
	CHECK_EQ(store_getattr(s, f, &st), -ENOENT);
	CHECK(reads_pat(s, keep, 0, 100));
	store_statfs(s, &sv);
	CHECK_EQ(sv.f_files, 2 + sv.f_favail);
	store_close(s);
	tmpdir_remove(dir);
}

TEST(close_commits_batch)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct store_facts fa;
	struct store *s;
	uint64_t f;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 70000);
	store_facts(s, &fa);
	CHECK_EQ(fa.commits, 0);
	CHECK_EQ(fa.batch_bytes, 70000);
	store_close(s);
	s = file_store(path);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "f"), f);
	CHECK(reads_pat(s, f, 0, 70000));
	store_close(s);
	CHECK(!strcmp(raw_text(path, "PRAGMA integrity_check"), "ok"));
	tmpdir_remove(dir);
}

/* A clean close reclaims inodes unlinked while open whose reclaim did not
 * happen (the kernel holds nothing once the store closes). */
TEST(orphans_reclaimed_at_close)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct store_gone g;
	struct store *s;
	uint64_t f;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 9000);
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "f", &g), 0);
	CHECK_EQ(g.nlink, 0);
	store_close(s);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes WHERE nlink = 0"),
		 0);
	CHECK_EQ(rows_of(path, "chunks", f), 0);
	tmpdir_remove(dir);
}

enum crash_mode { CRASH_AFTER_SYNC, CRASH_AFTER_THREAD, CRASH_UNCOMMITTED };

/* The child: writes "f" and dies without store_close(). */
static void crash_child(const char *path, enum crash_mode mode)
{
	struct store_params p = file_params(path);
	struct store_facts fa = {0};
	struct store *s = NULL;
	struct store_new n = {.mode = S_IFREG | 0644};
	unsigned char *b = pat_buf(0, 200000);
	struct stat st;
	char why[256];
	size_t done;

	if (mode == CRASH_AFTER_THREAD)
		p.commit_ms = 10;
	if (store_open(&p, &s, why, sizeof(why)) ||
	    (mode == CRASH_AFTER_THREAD && store_start(s)))
		_exit(1);
	if (store_mknod(s, GFS_ROOT_INO, "f", &n, &st) ||
	    store_write(s, st.st_ino, 0, b, 200000, true, &done))
		_exit(2);
	if (mode == CRASH_AFTER_SYNC && store_sync(s, 0))
		_exit(3);
	for (int i = 0; mode == CRASH_AFTER_THREAD && i < 1000; i++) {
		store_facts(s, &fa);
		if (fa.commits && !fa.batch_bytes)
			_exit(0);
		usleep(5000);
	}
	_exit(mode == CRASH_AFTER_THREAD ? 4 : 0);
}

static void crash_and_check(enum crash_mode mode)
{
	char dir[PATH_MAX], path[PATH_MAX], wal[PATH_MAX];
	struct store *s;
	int status = -1;
	long wal_len;
	uint64_t f;
	pid_t pid;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		crash_child(path, mode);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The WAL was never checkpointed away by a close. */
	free(slurp(wal, &wal_len));
	CHECK(wal_len > 0);
	s = file_store(path);
	f = ino_of(s, GFS_ROOT_INO, "f");
	if (mode == CRASH_UNCOMMITTED) {
		CHECK_EQ(f, 0);
	} else {
		CHECK(f != 0);
		CHECK_EQ(attr(s, f).st_size, 200000);
		CHECK(reads_pat(s, f, 0, 200000));
	}
	store_close(s);
	CHECK(!strcmp(raw_text(path, "PRAGMA integrity_check"), "ok"));
	tmpdir_remove(dir);
}

TEST(crash_after_sync_keeps_data)
{
	crash_and_check(CRASH_AFTER_SYNC);
}

TEST(crash_after_background_commit_keeps_data)
{
	crash_and_check(CRASH_AFTER_THREAD);
}

TEST(crash_before_commit_loses_only_the_batch)
{
	crash_and_check(CRASH_UNCOMMITTED);
}

/* ------------------------------------------------------------------ */
/* Events, changes by other connections, capabilities                 */
/* ------------------------------------------------------------------ */

struct ev_log {
	int n;
	enum store_event ev[64];
	uint64_t bytes[64];
	int result[64];
	uint64_t t0[64];
};

static void on_event(void *ctx, enum store_event ev, uint64_t bytes,
		     uint64_t t0, int result)
{
	struct ev_log *l = ctx;

	if (l->n >= 64)
		return;
	l->ev[l->n] = ev;
	l->bytes[l->n] = bytes;
	l->result[l->n] = result;
	l->t0[l->n++] = t0;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

TEST(events_of_commits)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct ev_log l = {0};
	struct store_params p;
	struct store *s = NULL;
	struct store_facts fa = {0};
	uint64_t f, t;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	p = file_params(path);
	p.commit_ms = 20;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	store_set_events(s, on_event, &l);
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 1000);
	t = mono_now();
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.ev[0], STORE_EV_SYNC);
	CHECK_EQ(l.bytes[0], 1000);
	CHECK_EQ(l.result[0], 0);
	CHECK(l.t0[0] >= t && l.t0[0] <= mono_now());
	CHECK_EQ(store_start(s), 0);
	put(s, f, 0, 700);
	for (int i = 0; i < 500 && fa.commits < 2; i++) {
		usleep(10000);
		store_facts(s, &fa);
	}
	store_set_events(s, NULL, NULL);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.ev[1], STORE_EV_COMMIT);
	CHECK_EQ(l.bytes[1], 700);
	CHECK_EQ(l.result[1], 0);
	put(s, f, 0, 10);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(l.n, 2);
	store_close(s);
out:
	tmpdir_remove(dir);
}

struct change_log {
	int n;
	struct store_change c[16];
	char names[16][GFS_NAME_MAX + 1];
};

static void on_change(void *ctx, const struct store_change *c)
{
	struct change_log *l = ctx;

	if (l->n >= 16)
		return;
	l->c[l->n] = *c;
	l->names[l->n][0] = '\0';
	if (c->name && c->namelen <= GFS_NAME_MAX) {
		memcpy(l->names[l->n], c->name, c->namelen);
		l->names[l->n][c->namelen] = '\0';
	}
	l->n++;
}

static int changes(struct store *s, struct change_log *l)
{
	l->n = 0;
	return store_changes(s, on_change, l);
}

TEST(changes_by_other_connections)
{
	char dir[PATH_MAX], path[PATH_MAX], sql[160];
	struct change_log l;
	struct store *s;
	uint64_t f;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	CHECK_EQ(changes(s, &l), -EINVAL);
	CHECK_EQ(store_start(s), 0);
	CHECK_EQ(changes(s, &l), 0);
	CHECK_EQ(l.n, 0);
	/* The store's own changes are not reported. */
	f = mkreg(s, GFS_ROOT_INO, "f");
	put(s, f, 0, 100);
	store_setxattr(s, f, "user.a", "1", 1, 0);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(changes(s, &l), 0);
	CHECK_EQ(l.n, 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE inodes SET mode = 33152 WHERE "
		 "ino = %llu; INSERT INTO dirents (parent, name, ino) VALUES "
		 "(1, CAST('x' AS BLOB), %llu)",
		 (unsigned long long)f, (unsigned long long)f);
	raw_exec(path, sql);
	CHECK_EQ(changes(s, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.c[0].ino, f);
	CHECK(l.c[0].name == NULL);
	CHECK_EQ(l.c[1].ino, f);
	CHECK_EQ(l.c[1].parent, GFS_ROOT_INO);
	CHECK_EQ(l.c[1].namelen, 1);
	CHECK(!strcmp(l.names[1], "x"));
	/* Once each. */
	CHECK_EQ(changes(s, &l), 0);
	CHECK_EQ(l.n, 0);
	CHECK_EQ(attr(s, f).st_mode, S_IFREG | 0600);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "x"), f);
	/* Reported rows go with the store's next batch. */
	put(s, f, 0, 10);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM changelog"), 0);
	store_close(s);
	tmpdir_remove(dir);
}

/* Inode numbers another connection took are never handed out again. */
TEST(inode_numbers_taken_by_others)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct change_log l;
	struct store *s;
	uint64_t a, b, c;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	a = mkreg(s, GFS_ROOT_INO, "a");
	CHECK_EQ(store_sync(s, 0), 0);
	/* Without the watcher: the next number is taken under the store. */
	raw_exec(path, "INSERT INTO inodes (ino, mode, nlink, uid, gid, "
		       "atime, mtime, ctime) VALUES (3, 33188, 0, 0, 0, 0, 0, "
		       "0)");
	b = mkreg(s, GFS_ROOT_INO, "b");
	CHECK_EQ(a, 2);
	CHECK_EQ(b, 4);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "b"), 4);
	CHECK_EQ(attr(s, 3).st_nlink, 0);
	CHECK_EQ(store_sync(s, 0), 0);
	/* With it: the watcher learns the largest number. */
	CHECK_EQ(store_start(s), 0);
	raw_exec(path, "INSERT INTO inodes (ino, mode, nlink, uid, gid, "
		       "atime, mtime, ctime) VALUES (500, 33188, 1, 0, 0, 0, "
		       "0, 0); INSERT INTO dirents (parent, name, ino) VALUES "
		       "(1, CAST('ext' AS BLOB), 500)");
	CHECK_EQ(changes(s, &l), 0);
	CHECK_EQ(l.n, 1);
	c = mkreg(s, GFS_ROOT_INO, "c");
	CHECK_EQ(c, 501);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "ext"), 500);
	store_close(s);
	tmpdir_remove(dir);
}

TEST(capability_xattr)
{
	char dir[PATH_MAX], path[PATH_MAX], sql[200], buf[32];
	const char *caps = "security.capability";
	struct change_log l;
	struct store *s;
	size_t len = 0;
	uint64_t f, g;

	s = mem_store();
	f = mkreg(s, GFS_ROOT_INO, "f");
	CHECK_EQ(store_getxattr(s, f, caps, buf, sizeof(buf), &len), -ENODATA);
	CHECK_EQ(store_setxattr(s, f, caps, "\x01\x02", 2, 0), 0);
	CHECK_EQ(store_getxattr(s, f, caps, buf, sizeof(buf), &len), 0);
	CHECK(len == 2 && !memcmp(buf, "\x01\x02", 2));
	store_close(s);
	/* Set by another connection: seen once the watcher has looked. */
	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	s = file_store(path);
	f = mkreg(s, GFS_ROOT_INO, "f");
	g = mkreg(s, GFS_ROOT_INO, "g");
	store_start(s);
	store_sync(s, 0);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO xattrs VALUES (%llu, "
		 "CAST('security.capability' AS BLOB), x'0304')",
		 (unsigned long long)f);
	raw_exec(path, sql);
	CHECK_EQ(changes(s, &l), 0);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(store_getxattr(s, f, caps, buf, sizeof(buf), &len), 0);
	CHECK(len == 2 && !memcmp(buf, "\x03\x04", 2));
	CHECK_EQ(store_getxattr(s, g, caps, buf, sizeof(buf), &len), -ENODATA);
	store_close(s);
	/* And after a reopen, at once. */
	s = file_store(path);
	CHECK_EQ(store_getxattr(s, f, caps, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 2);
	store_close(s);
	tmpdir_remove(dir);
}

/* A file system that fills up: the commit fails with -ENOSPC, the batch
 * is lost and reported once, and the store goes on working. */
/*
 * A full file system: writes the store's file system has no room for get
 * ENOSPC when they are made, so no commit fails and nothing committed or
 * batched is lost; after space is freed, writing works again.
 */
TEST(full_file_system)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store *s = NULL;
	struct store_gone gone;
	uint64_t f, g, written = 0;
	size_t done;
	int err = 0;

	tmpdir_make(dir, sizeof(dir));
	CHECK_EQ(mount("tmpfs", dir, "tmpfs", 0, "size=48m"), 0);
	path_in(path, sizeof(path), dir, "store.db");
	CHECK_EQ(open_path(path, false, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	f = mkreg(s, GFS_ROOT_INO, "big");
	for (int i = 0; i < 32 && !err; i++) {
		unsigned char *p = pat_buf(written, 4 * MIB);

		err = store_write(s, f, written, p, 4 * MIB, true, &done);
		free(p);
		if (!err)
			written += done;
		if (!err && i % 2)
			err = store_sync(s, 0);
	}
	CHECK_EQ(err, -ENOSPC);
	CHECK(written >= 4 * MIB);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK(reads_pat(s, f, 0, written));
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "big", &gone), 0);
	CHECK_EQ(store_reclaim(s, f), 0);
	CHECK_EQ(store_sync(s, 0), 0);
	CHECK_EQ(store_checkpoint(s, &(uint64_t){ 0 }, &(uint64_t){ 0 }), 0);
	g = mkreg(s, GFS_ROOT_INO, "small");
	CHECK_EQ(put(s, g, 0, 1000), 1000);
	CHECK_EQ(store_sync(s, 0), 0);
	store_close(s);
	s = file_store(path);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "big"), 0);
	CHECK(reads_pat(s, ino_of(s, GFS_ROOT_INO, "small"), 0, 1000));
	store_close(s);
	CHECK(!strcmp(raw_text(path, "PRAGMA integrity_check"), "ok"));
out:
	umount(dir);
	tmpdir_remove(dir);
}

struct worker {
	struct store *s;
	uint64_t ino;
	int errors;
};

/* Rewrites its own file in pieces and reads each piece back, then
 * writes it whole. */
static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char *b = pat_buf(0, 64 * KIB), out[8 * KIB];
	size_t n;

	for (int i = 0; i < 400; i++) {
		uint64_t off = (uint64_t)(i * 7919) % (56 * KIB);

		if (store_write(w->s, w->ino, off, b + off, 8 * KIB, true,
				&n) ||
		    n != 8 * KIB)
			w->errors++;
		if (store_read(w->s, w->ino, off, sizeof(out), out, &n) ||
		    n != sizeof(out) || memcmp(out, b + off, sizeof(out)))
			w->errors++;
		if (i % 50 == 0 && store_sync(w->s, 0))
			w->errors++;
	}
	if (store_write(w->s, w->ino, 0, b, 64 * KIB, true, &n))
		w->errors++;
	free(b);
	return NULL;
}

/* Requests from several threads while the commit thread commits. */
TEST(threads_and_commit_thread)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct worker w[3];
	pthread_t th[3];
	struct store_params p;
	struct store *s = NULL;
	struct store_facts fa;

	tmpdir_make(dir, sizeof(dir));
	path_in(path, sizeof(path), dir, "store.db");
	p = file_params(path);
	p.commit_ms = 5;
	CHECK_EQ(store_open(&p, &s, why, sizeof(why)), 0);
	if (!s || store_start(s))
		goto out;
	for (int i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "w%d", i);
		w[i] = (struct worker){.s = s, .ino = mkreg(s, 1, name)};
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(w[i].errors, 0);
	}
	/* The last writes were not synced: the commit thread commits them. */
	store_facts(s, &fa);
	for (int i = 0; i < 500 && fa.batch_bytes; i++) {
		usleep(10000);
		store_facts(s, &fa);
	}
	CHECK_EQ(fa.batch_bytes, 0);
	CHECK(fa.commits > fa.syncs);
	store_close(s);
	s = file_store(path);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(attr(s, w[i].ino).st_size, 64 * KIB);
		CHECK(reads_pat(s, w[i].ino, 0, 64 * KIB));
	}
	CHECK(!strcmp(raw_text(path, "PRAGMA integrity_check"), "ok"));
out:
	store_close(s);
	tmpdir_remove(dir);
}

/* Read-only media with a WAL left by a crash: the WAL cannot be recovered
 * there, so even a read-only open is refused, and the file is unchanged. */
TEST(readonly_media_with_wal)
{
	char dir[PATH_MAX], rw[PATH_MAX], ro[PATH_MAX], path[PATH_MAX];
	char why[256];
	struct store *s = NULL;
	int status = -1;
	pid_t pid;

	tmpdir_make(dir, sizeof(dir));
	path_in(rw, sizeof(rw), dir, "rw");
	path_in(ro, sizeof(ro), dir, "ro");
	mkdir(rw, 0700);
	mkdir(ro, 0700);
	path_in(path, sizeof(path), rw, "store.db");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		crash_child(path, CRASH_AFTER_SYNC);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(mount(rw, ro, NULL, MS_BIND, NULL), 0);
	CHECK_EQ(mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL),
		 0);
	path_in(path, sizeof(path), ro, "store.db");
	expect_refusal(path, true, -EROFS,
		       "read-only, with a WAL to recover: mount it read-write "
		       "once");
	CHECK_EQ(umount(ro), 0);
	/* Read-write, it recovers; read-only media then open. */
	path_in(path, sizeof(path), rw, "store.db");
	CHECK_EQ(open_path(path, false, &s, why, sizeof(why)), 0);
	if (s)
		CHECK(reads_pat(s, ino_of(s, GFS_ROOT_INO, "f"), 0, 200000));
	store_close(s);
	CHECK_EQ(mount(rw, ro, NULL, MS_BIND, NULL), 0);
	CHECK_EQ(mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL),
		 0);
	path_in(path, sizeof(path), ro, "store.db");
	CHECK_EQ(open_path(path, true, &s, why, sizeof(why)), 0);
	if (s)
		CHECK(reads_pat(s, ino_of(s, GFS_ROOT_INO, "f"), 0, 200000));
	store_close(s);
	umount(ro);
	tmpdir_remove(dir);
}

int main(void)
{
	RUN(root_exists);
	RUN(root_owner_from_params);
	RUN(mknod_regular);
	RUN(mknod_directory);
	RUN(mknod_fifo_and_socket);
	RUN(mknod_devices_keep_rdev);
	RUN(mknod_symlink_and_readlink);
	RUN(mknod_errors);
	RUN(lookup_exact_names);
	RUN(inode_numbers_not_reused);
	RUN(link_counts);
	RUN(link_errors);
	RUN(link_max);
	RUN(unlink_gone);
	RUN(unlink_errors);
	RUN(rmdir_cases);
	RUN(rename_plain);
	RUN(rename_directory_across_parents);
	RUN(rename_replaces_file);
	RUN(rename_replaces_empty_directory);
	RUN(rename_errors);
	RUN(rename_noreplace);
	RUN(rename_exchange_files);
	RUN(rename_exchange_directories_across_parents);
	RUN(rename_exchange_directory_with_file);
	RUN(rename_exchange_into_own_subtree);
	RUN(rename_same_inode_is_noop);
	RUN(setattr_mode_keeps_type);
	RUN(setattr_owner);
	RUN(setattr_times);
	RUN(setattr_times_out_of_range);
	RUN(setattr_size_down_and_up);
	RUN(truncate_down_then_up_exposes_zeros);
	RUN(setattr_size_errors_and_mtime);
	RUN(write_read_holes);
	RUN(read_write_small_chunks);
	RUN(read_write_default_chunks);
	RUN(short_chunks_read_as_zeros);
	RUN(read_bounds);
	RUN(write_touch_and_types);
	RUN(max_file_size);
	RUN(fallocate_extends);
	RUN(fallocate_keep_size);
	RUN(fallocate_punch_hole);
	RUN(fallocate_punch_drops_zero_chunks);
	RUN(fallocate_errors);
	RUN(lseek_data_and_holes);
	RUN(lseek_sparse_file_all_hole);
	RUN(copy_whole_and_partial);
	RUN(copy_bounds);
	RUN(copy_same_inode);
	RUN(copy_touch);
	RUN(copy_at_max_file_size);
	RUN(readdir_dot_and_dotdot);
	RUN(readdir_entry_attributes);
	RUN(readdir_resumes_after_cookie);
	RUN(readdir_stop_at_dot);
	RUN(readdir_changes_between_calls);
	RUN(readdir_errors);
	RUN(xattr_set_get);
	RUN(xattr_flags);
	RUN(listxattr_format);
	RUN(removexattr);
	RUN(reclaim_only_unlinked);
	RUN(reclaim_keeps_relinked);
	RUN(statfs_memory);
	RUN(statfs_file);
	RUN(facts_and_sync);
	RUN(file_chunks);
	RUN(committed_reads);
	RUN(checkpoint);
	RUN(version_and_thread_time);
	RUN(commit_thread_commits_batches);
	RUN(open_creates_store);
	RUN(open_refuses_bad_sizes);
	RUN(open_missing_without_create);
	RUN(reopen_keeps_data);
	RUN(refuse_text_file);
	RUN(refuse_foreign_sqlite);
	RUN(refuse_wrong_application_id);
	RUN(refuse_newer_format);
	RUN(refuse_missing_table);
	RUN(refuse_truncated);
	RUN(refuse_corrupt_page);
	RUN(refuse_already_open);
	RUN(readonly_open);
	RUN(readonly_refuses_empty_file);
	RUN(orphans_reclaimed_at_open);
	RUN(orphans_reclaimed_at_close);
	RUN(close_commits_batch);
	RUN(crash_after_sync_keeps_data);
	RUN(crash_after_background_commit_keeps_data);
	RUN(crash_before_commit_loses_only_the_batch);
	RUN(events_of_commits);
	RUN(changes_by_other_connections);
	RUN(inode_numbers_taken_by_others);
	RUN(capability_xattr);
	RUN(threads_and_commit_thread);
	/* Last: these move the process into a mount namespace of its own. */
	if (private_mounts()) {
		RUN(readonly_file_system);
		RUN(readonly_media_with_wal);
		RUN(full_file_system);
	} else {
		skip("readonly_file_system",
		     "needs root and a mount namespace");
		skip("readonly_media_with_wal",
		     "needs root and a mount namespace");
		skip("full_file_system", "needs root and a mount namespace");
	}
	return tap_done();
}
