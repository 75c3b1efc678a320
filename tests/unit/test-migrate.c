// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-migrate.c - unit tests of the store's format migrations (fs/store.c)
 * and of the format-2 change log.
 *
 * A real format-1 store is made from tests/unit/fixtures/format1.sql in a
 * temporary directory and opened with store_open(): it must be upgraded
 * to the current format with all its data, refused read-only until then, upgraded
 * only once, and atomically.  The change-log triggers must record changes
 * made by other SQLite connections, and none made through the store.
 *
 * No FUSE.  Log lines (tap.c's gfs_log() prints them on stdout) are
 * captured where a test expects one.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

#ifndef GFS_FIXTURES
#error "GFS_FIXTURES must name tests/unit/fixtures (see meson.build)"
#endif

static const char *const triggers[] = {
	"changelog_chunks_del",	 "changelog_chunks_ins",
	"changelog_chunks_upd",	 "changelog_dirents_del",
	"changelog_dirents_ins", "changelog_dirents_upd",
	"changelog_inodes_del",	 "changelog_inodes_upd",
	"changelog_symlinks",	 "changelog_xattrs_del",
	"changelog_xattrs_ins",	 "changelog_xattrs_upd",
};
#define NTRIGGERS (sizeof(triggers) / sizeof(triggers[0]))

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char captured[8192];
static FILE *cap_file;
static int cap_saved = -1;

/* Sends stdout, where tap.c's gfs_log() writes, to a temporary file. */
static void capture_begin(void)
{
	fflush(stdout);
	cap_file = tmpfile();
	if (!cap_file) {
		tap_fail(__FILE__, __LINE__, "tmpfile failed");
		return;
	}
	cap_saved = dup(STDOUT_FILENO);
	dup2(fileno(cap_file), STDOUT_FILENO);
}

/* Restores stdout and returns what was printed meanwhile. */
static const char *capture_end(void)
{
	size_t n;

	captured[0] = '\0';
	if (!cap_file)
		return captured;
	fflush(stdout);
	dup2(cap_saved, STDOUT_FILENO);
	close(cap_saved);
	rewind(cap_file);
	n = fread(captured, 1, sizeof(captured) - 1, cap_file);
	captured[n] = '\0';
	fclose(cap_file);
	cap_file = NULL;
	return captured;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

/* A temporary directory holding "store.db"; @path gets the store path. */
static void tmp_store_path(char *dir, char *path)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, PATH_MAX, "%s/gfs-migrate.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		tap_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	if (snprintf(path, PATH_MAX, "%s/store.db", dir) >= PATH_MAX)
		tap_fail(__FILE__, __LINE__, "path too long");
}

static void tmp_remove(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole content of @path, or NULL; *len gets its size. */
static char *slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	char *b;

	*len = -1;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	b = malloc((size_t)*len + 1);
	if (fread(b, 1, (size_t)*len, f) != (size_t)*len)
		*len = -1;
	b[*len > 0 ? *len : 0] = '\0';
	fclose(f);
	return b;
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
		tap_fail(__FILE__, __LINE__, "raw '%.60s': %s", sql,
			 sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
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

/* Makes a format-1 store at @path from the fixture. */
static void make_format1(const char *path)
{
	char *sql;
	long len;

	sql = slurp(GFS_FIXTURES "/format1.sql", &len);
	if (!sql || len <= 0) {
		tap_fail(__FILE__, __LINE__, "cannot read the fixture in '%s'",
			 GFS_FIXTURES);
		free(sql);
		return;
	}
	raw_exec(path, sql);
	free(sql);
}

static int open_store(const char *path, bool readonly, struct store **s,
		      char *why, size_t whylen)
{
	struct store_params p = {
		.path = path,
		.readonly = readonly,
		.create = !readonly,
		.chunk_size = 65536, /* ignored: the store says 4096 */
		.commit_ms = 100000,
	};

	*s = NULL;
	return store_open(&p, s, why, whylen);
}

static int64_t changelog_rows(const char *path)
{
	return raw_int(path, "SELECT count(*) FROM changelog");
}

/* How many of the format-2 triggers @path has (and no others). */
static int64_t trigger_count(const char *path)
{
	int64_t all = raw_int(path, "SELECT count(*) FROM sqlite_schema "
				    "WHERE type = 'trigger'");
	char sql[160];
	int64_t n = 0;

	for (size_t i = 0; i < NTRIGGERS; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM sqlite_schema WHERE "
			 "type = 'trigger' AND name = '%s'",
			 triggers[i]);
		n += raw_int(path, sql);
	}
	return n == all ? n : -1;
}

static uint64_t ino_of(struct store *s, uint64_t dir, const char *name)
{
	struct stat st;

	return store_lookup(s, dir, name, &st) ? 0 : st.st_ino;
}

static struct stat attr(struct store *s, uint64_t ino)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	store_getattr(s, ino, &st);
	return st;
}

/* Whether [off, off + len) of @ino reads completely as byte @c. */
static bool reads_as(struct store *s, uint64_t ino, uint64_t off, size_t len,
		     unsigned char c)
{
	unsigned char *b = malloc(len);
	size_t got = 0, i = 0;

	if (store_read(s, ino, off, len, b, &got) == 0 && got == len)
		for (i = 0; i < len && b[i] == c; i++)
			;
	free(b);
	return got == len && i == len;
}

/* ------------------------------------------------------------------ */
/* Checking the fixture's tree through the store                      */
/* ------------------------------------------------------------------ */

static void check_big(struct store *s)
{
	uint64_t docs = ino_of(s, GFS_ROOT_INO, "docs");
	uint64_t big = ino_of(s, docs, "big");
	char buf[16];
	struct stat st;
	size_t len = 0;

	CHECK_EQ(docs, 2);
	CHECK_EQ(big, 3);
	CHECK_EQ(ino_of(s, GFS_ROOT_INO, "big-link"), 3);
	st = attr(s, big);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_size, 10000);
	CHECK_EQ(st.st_blocks, (10000 + 511) / 512);
	CHECK_EQ(st.st_mtim.tv_sec, 1700000002);
	CHECK_EQ(st.st_mtim.tv_nsec, 1);
	CHECK_EQ(st.st_ctim.tv_nsec, 2);
	CHECK(reads_as(s, big, 0, 4096, 'a'));
	CHECK(reads_as(s, big, 4096, 4096, 'b'));
	CHECK(reads_as(s, big, 8192, 1808, 'c'));
	CHECK_EQ(store_getxattr(s, big, "user.colour", buf, sizeof(buf), &len),
		 0);
	CHECK(len == 4 && !memcmp(buf, "blue", 4));
	len = 9;
	CHECK_EQ(store_getxattr(s, big, "user.empty", buf, sizeof(buf), &len),
		 0);
	CHECK_EQ(len, 0);
}

static void check_others(struct store *s)
{
	uint64_t sparse = ino_of(s, GFS_ROOT_INO, "sparse");
	uint64_t link = ino_of(s, GFS_ROOT_INO, "link");
	uint64_t chunks = 0, bytes = 0;
	struct statvfs sv;
	char buf[32];
	size_t len = 0;

	CHECK_EQ(sparse, 4);
	CHECK_EQ(attr(s, sparse).st_size, 9000);
	CHECK(reads_as(s, sparse, 0, 4096, 0));
	CHECK(reads_as(s, sparse, 4096, 1000, 'x'));
	CHECK(reads_as(s, sparse, 5096, 3904, 0));
	CHECK_EQ(store_file_chunks(s, sparse, &chunks, &bytes), 0);
	CHECK_EQ(chunks, 1);
	CHECK_EQ(bytes, 1000);
	CHECK_EQ(link, 5);
	CHECK_EQ(store_readlink(s, link, buf, sizeof(buf), &len), 0);
	CHECK(len == 8 && !memcmp(buf, "docs/big", 8));
	CHECK_EQ(attr(s, 2).st_mode, S_IFDIR | 0750);
	CHECK_EQ(store_getxattr(s, 2, "user.dir", buf, sizeof(buf), &len), 0);
	CHECK(len == 3 && !memcmp(buf, "yes", 3));
	CHECK_EQ(attr(s, GFS_ROOT_INO).st_nlink, 3);
	CHECK_EQ(store_chunk_size(s), 4096);
	/* Root, docs, big, sparse, link: the orphan was reclaimed. */
	store_statfs(s, &sv);
	CHECK_EQ(sv.f_files - sv.f_favail, 5);
}

static int count_entry(void *ctx, const char *name, const struct stat *st,
		       uint64_t cookie)
{
	int *n = ctx;

	(*n)++;
	return 0;
}

static void check_tree(struct store *s)
{
	int n = 0;

	check_big(s);
	check_others(s);
	CHECK_EQ(store_readdir(s, GFS_ROOT_INO, 0, count_entry, &n), 0);
	CHECK_EQ(n, 6);
	n = 0;
	CHECK_EQ(store_readdir(s, 2, 0, count_entry, &n), 0);
	CHECK_EQ(n, 3);
}

/* ------------------------------------------------------------------ */
/* Migrations                                                         */
/* ------------------------------------------------------------------ */

TEST(fixture_is_format1)
{
	char dir[PATH_MAX], path[PATH_MAX];

	tmp_store_path(dir, path);
	make_format1(path);
	CHECK_EQ(raw_int(path, "PRAGMA application_id"), STORE_APPLICATION_ID);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), 1);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE "
			       "name = 'changelog'"),
		 0);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE "
			       "type = 'trigger'"),
		 0);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes"), 6);
	tmp_remove(dir);
}

TEST(upgrade_to_format2)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256], want[PATH_MAX + 64];
	struct store_facts fa;
	const char *log;
	struct store *s;
	int err;

	tmp_store_path(dir, path);
	make_format1(path);
	capture_begin();
	err = open_store(path, false, &s, why, sizeof(why));
	log = capture_end();
	CHECK_EQ(err, 0);
	if (err) {
		tap_fail(__FILE__, __LINE__, "why: %s", why);
		goto out;
	}
	for (int v = 2; v <= STORE_FORMAT_VERSION; v++) {
		snprintf(want, sizeof(want), "store '%s' upgraded to format %d",
			 path, v);
		CHECK(strstr(log, want) != NULL);
	}
	CHECK(strstr(log, "upgraded to format 1") == NULL);
	CHECK(!store_created(s));
	store_facts(s, &fa);
	CHECK_EQ(fa.format_version, STORE_FORMAT_VERSION);
	CHECK(!strcmp(fa.uuid, "6c0ffee0-1234-4abc-8def-0123456789ab"));
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), STORE_FORMAT_VERSION);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE "
			       "type = 'index' AND name = 'dirents_by_ino'"),
		 1);
	CHECK_EQ(raw_int(path, "PRAGMA application_id"), STORE_APPLICATION_ID);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE "
			       "type = 'table' AND name = 'changelog'"),
		 1);
	CHECK_EQ(trigger_count(path), NTRIGGERS);
	CHECK_EQ(changelog_rows(path), 0);
	store_close(s);
out:
	tmp_remove(dir);
}

TEST(upgrade_keeps_data)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store *s;

	tmp_store_path(dir, path);
	make_format1(path);
	CHECK_EQ(open_store(path, false, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	check_tree(s);
	store_close(s);
	/* The orphan's rows went with it. */
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes"), 5);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM chunks WHERE ino = 6"), 0);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM xattrs WHERE ino = 6"), 0);
	CHECK_EQ(raw_int(path, "SELECT value FROM format "
			       "WHERE key = 'created_ns'"),
		 1700000000000000000LL);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM dirents"), 5);
	CHECK_EQ(raw_int(path, "SELECT integrity_check = 'ok' "
			       "FROM pragma_integrity_check"),
		 1);
out:
	tmp_remove(dir);
}

TEST(readonly_refused_until_upgraded)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	char *before, *after;
	long blen, alen;
	struct store *s;

	tmp_store_path(dir, path);
	make_format1(path);
	before = slurp(path, &blen);
	CHECK_EQ(open_store(path, true, &s, why, sizeof(why)), -EROFS);
	CHECK(s == NULL);
	CHECK(!strcmp(why, "format version 1 must be upgraded to 3 first: "
			   "mount it once without -o ro"));
	after = slurp(path, &alen);
	CHECK(blen > 0 && blen == alen && !memcmp(before, after, blen));
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), 1);
	free(before);
	free(after);
	/* Once upgraded, read-only opens work. */
	CHECK_EQ(open_store(path, false, &s, why, sizeof(why)), 0);
	store_close(s);
	CHECK_EQ(open_store(path, true, &s, why, sizeof(why)), 0);
	if (s)
		check_tree(s);
	store_close(s);
	tmp_remove(dir);
}

TEST(migration_is_idempotent)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	const char *log;
	struct store *s;
	int err;

	tmp_store_path(dir, path);
	make_format1(path);
	CHECK_EQ(open_store(path, false, &s, why, sizeof(why)), 0);
	store_close(s);
	for (int i = 0; i < 2; i++) {
		capture_begin();
		err = open_store(path, false, &s, why, sizeof(why));
		log = capture_end();
		CHECK_EQ(err, 0);
		CHECK(strstr(log, "upgraded") == NULL);
		if (!s)
			break;
		CHECK(!store_created(s));
		check_tree(s);
		store_close(s);
		CHECK_EQ(raw_int(path, "PRAGMA user_version"),
			 STORE_FORMAT_VERSION);
		CHECK_EQ(trigger_count(path), NTRIGGERS);
		CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema "
				       "WHERE name = 'changelog'"),
			 1);
	}
	tmp_remove(dir);
}

/* A step that fails leaves the store at the format it had. */
TEST(migration_is_atomic)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store *s;
	int err;

	tmp_store_path(dir, path);
	make_format1(path);
	/* A table in the way of format 2's. */
	raw_exec(path, "CREATE TABLE changelog (x)");
	err = open_store(path, false, &s, why, sizeof(why));
	CHECK(err < 0);
	CHECK(s == NULL);
	CHECK(strstr(why, "changelog") != NULL);
	CHECK_EQ(raw_int(path, "PRAGMA user_version"), 1);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE "
			       "type = 'trigger'"),
		 0);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM inodes"), 6);
	tmp_remove(dir);
}

/* ------------------------------------------------------------------ */
/* The change log                                                     */
/* ------------------------------------------------------------------ */

/* Runs @sql on another connection: it must add exactly @rows rows. */
static void foreign_change(const char *path, const char *sql, int64_t rows)
{
	int64_t before = changelog_rows(path);

	raw_exec(path, sql);
	if (changelog_rows(path) - before != rows)
		tap_fail(__FILE__, __LINE__, "'%s' logged %lld rows, not %lld",
			 sql, (long long)(changelog_rows(path) - before),
			 (long long)rows);
}

static void foreign_changes(const char *path)
{
	foreign_change(path, "UPDATE inodes SET uid = 7 WHERE ino = 4", 1);
	foreign_change(path, "INSERT INTO chunks VALUES (4, 0, x'01')", 1);
	foreign_change(path,
		       "UPDATE chunks SET data = x'02' "
		       "WHERE ino = 4 AND idx = 0",
		       1);
	foreign_change(path, "DELETE FROM chunks WHERE ino = 4 AND idx = 0", 1);
	foreign_change(path, "INSERT INTO xattrs VALUES (4, x'61', x'62')", 1);
	foreign_change(path,
		       "UPDATE xattrs SET value = x'63' "
		       "WHERE ino = 4",
		       1);
	foreign_change(path, "DELETE FROM xattrs WHERE ino = 4", 1);
	foreign_change(path,
		       "INSERT INTO dirents (parent, name, ino) "
		       "VALUES (1, CAST('n' AS BLOB), 4)",
		       1);
	foreign_change(path,
		       "UPDATE dirents SET name = CAST('m' AS BLOB) "
		       "WHERE name = CAST('n' AS BLOB)",
		       2);
	foreign_change(path,
		       "DELETE FROM dirents "
		       "WHERE name = CAST('m' AS BLOB)",
		       1);
	foreign_change(path,
		       "UPDATE symlinks SET target = x'2f' "
		       "WHERE ino = 5",
		       1);
	foreign_change(path, "UPDATE inodes SET size = size", 5);
}

TEST(changelog_records_foreign_changes)
{
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	struct store *s;

	tmp_store_path(dir, path);
	make_format1(path);
	CHECK_EQ(open_store(path, false, &s, why, sizeof(why)), 0);
	if (!s)
		goto out;
	CHECK_EQ(changelog_rows(path), 0);
	foreign_changes(path);
	/* What a dirent row change records: inode, parent and name. */
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM changelog WHERE "
			       "ino = 4 AND parent = 1 AND "
			       "name = CAST('m' AS BLOB)"),
		 2);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM changelog WHERE "
			       "ino = 4 AND parent = 1 AND "
			       "name = CAST('n' AS BLOB)"),
		 2);
	CHECK_EQ(raw_int(path, "SELECT count(*) FROM changelog "
			       "WHERE ino = 5"),
		 2);
	store_close(s);
	/* The log is emptied when a store is opened read-write. */
	CHECK_EQ(changelog_rows(path), 17);
	CHECK_EQ(open_store(path, false, &s, why, sizeof(why)), 0);
	CHECK_EQ(changelog_rows(path), 0);
	store_close(s);
out:
	tmp_remove(dir);
}

/* Changes of every kind through the store API. */
static void api_changes(struct store *s)
{
	struct store_new n = {.mode = S_IFREG | 0644};
	struct store_new l = {.mode = S_IFLNK | 0777, .target = "x"};
	struct store_setattr sa = {.valid = STORE_SET_SIZE, .size = 3};
	struct store_gone g;
	struct stat st;
	size_t done;
	uint64_t f;

	CHECK_EQ(store_mknod(s, GFS_ROOT_INO, "new", &n, &st), 0);
	f = st.st_ino;
	CHECK_EQ(store_write(s, f, 0, "hello world", 11, true, &done), 0);
	CHECK_EQ(store_write(s, f, 2, "L", 1, true, &done), 0);
	CHECK_EQ(store_setxattr(s, f, "user.k", "v", 1, 0), 0);
	CHECK_EQ(store_setxattr(s, f, "user.k", "w", 1, XATTR_REPLACE), 0);
	CHECK_EQ(store_removexattr(s, f, "user.k"), 0);
	CHECK_EQ(store_fallocate(s, f,
				 FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				 4),
		 0);
	CHECK_EQ(store_setattr(s, f, &sa, &st), 0);
	CHECK_EQ(store_link(s, f, GFS_ROOT_INO, "new2", &st), 0);
	CHECK_EQ(store_rename(s, GFS_ROOT_INO, "new", GFS_ROOT_INO, "sparse", 0,
			      &g),
		 0);
	CHECK_EQ(store_reclaim(s, g.ino), 0);
	CHECK_EQ(store_mknod(s, GFS_ROOT_INO, "sl", &l, &st), 0);
	CHECK_EQ(store_unlink(s, GFS_ROOT_INO, "sl", &g), 0);
	CHECK_EQ(store_reclaim(s, g.ino), 0);
	CHECK_EQ(store_sync(s, 0), 0);
}

TEST(store_changes_are_not_logged)
{
	char dir[PATH_MAX], path[PATH_MAX], fresh[PATH_MAX + 16], why[256];
	struct store *s;

	tmp_store_path(dir, path);
	make_format1(path);
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", dir);
	/* A migrated store, and a store made at format 2. */
	for (int i = 0; i < 2; i++) {
		const char *p = i ? fresh : path;

		CHECK_EQ(open_store(p, false, &s, why, sizeof(why)), 0);
		if (!s)
			break;
		api_changes(s);
		CHECK_EQ(trigger_count(p), NTRIGGERS);
		CHECK_EQ(changelog_rows(p), 0);
		store_close(s);
		CHECK_EQ(changelog_rows(p), 0);
	}
	tmp_remove(dir);
}

int main(void)
{
	RUN(fixture_is_format1);
	RUN(upgrade_to_format2);
	RUN(upgrade_keeps_data);
	RUN(readonly_refused_until_upgraded);
	RUN(migration_is_idempotent);
	RUN(migration_is_atomic);
	RUN(changelog_records_foreign_changes);
	RUN(store_changes_are_not_logged);
	return tap_done();
}
