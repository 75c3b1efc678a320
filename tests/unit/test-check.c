// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-check.c - unit tests of the store's fsck (fs/store_check.c).
 *
 * Each test builds a small store through the store API in a temporary
 * directory, damages it with SQL on a connection of its own (as a user
 * with the sqlite3 shell would), and runs every step of the check three
 * times: a check, which must report exactly the expected lines and change
 * no byte of the file; a repair, which must report the same problems and
 * a repair for each; and a second check, which must find nothing.  The
 * repaired store must then open with store_open() and read back.
 *
 * The store (chunk size 4096):
 *   /            ino 1, nlink 3
 *   /d           ino 2, nlink 3
 *   /d/e         ino 3
 *   /d/f, /g     ino 4, "hello\n", xattr user.colour = "blue"
 *   /s           ino 5, symlink to "d/f"
 *   /big         ino 6, 10000 bytes of a pattern: chunks of 4096, 4096,
 *                1808 bytes
 *   /empty       ino 7
 * so that a new inode (lost+found) gets number 8.
 *
 * No FUSE.  Log lines of the store (tap.c prints them as comments) are
 * expected only where a test damages what the store reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_check.h"
#include "tap.h"

#define BIG_SIZE 10000
#define STR_(x) #x
#define STR(x) STR_(x)
#define FORMAT STR(STORE_FORMAT_VERSION)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char dir[PATH_MAX], path[PATH_MAX + 16];

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static void tmp_make(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/gfs-check.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		tap_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/store.db", dir);
}

static void tmp_remove(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void str_eq(const char *file, int line, const char *got,
		   const char *want)
{
	if (strcmp(got, want))
		tap_fail(file, line, "got:\n%s# wanted:\n%s", got, want);
}

#define CHECK_STR(got, want) str_eq(__FILE__, __LINE__, got, want)

static unsigned char pat(uint64_t off)
{
	return (unsigned char)(off * 131 % 251 + 1);
}

static int raw_exec(const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		tap_fail(__FILE__, __LINE__, "raw '%.60s': %s", sql,
			 sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static int64_t raw_int(const char *sql)
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

/* The whole file, for comparisons; *len gets its size. */
static char *slurp(const char *p, long *len)
{
	FILE *f = fopen(p, "rb");
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
	fclose(f);
	return b;
}

static struct store *open_store(void)
{
	struct store_params p = {
		.path = path,
		.create = true,
		.chunk_size = 4096,
		.commit_ms = 100000,
		.root_mode = 0755,
	};
	struct store *s = NULL;
	char why[256];

	if (store_open(&p, &s, why, sizeof(why)))
		tap_fail(__FILE__, __LINE__, "store_open: %s", why);
	return s;
}

static uint64_t mk(struct store *s, uint64_t parent, const char *name,
		   mode_t mode, const char *target)
{
	struct store_new n = {.mode = mode, .target = target};
	struct stat st = {0};

	CHECK_EQ(store_mknod(s, parent, name, &n, &st), 0);
	return st.st_ino;
}

static void make_base(void)
{
	unsigned char big[BIG_SIZE];
	struct store *s;
	struct stat st;
	size_t done;

	tmp_make();
	s = open_store();
	if (!s)
		return;
	CHECK_EQ(mk(s, 1, "d", S_IFDIR | 0755, NULL), 2);
	CHECK_EQ(mk(s, 2, "e", S_IFDIR | 0755, NULL), 3);
	CHECK_EQ(mk(s, 2, "f", S_IFREG | 0644, NULL), 4);
	CHECK_EQ(store_write(s, 4, 0, "hello\n", 6, true, &done), 0);
	CHECK_EQ(store_setxattr(s, 4, "user.colour", "blue", 4, 0), 0);
	CHECK_EQ(store_link(s, 4, 1, "g", &st), 0);
	CHECK_EQ(mk(s, 1, "s", S_IFLNK | 0777, "d/f"), 5);
	CHECK_EQ(mk(s, 1, "big", S_IFREG | 0644, NULL), 6);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = pat(i);
	CHECK_EQ(store_write(s, 6, 0, big, sizeof(big), true, &done), 0);
	CHECK_EQ(mk(s, 1, "empty", S_IFREG | 0644, NULL), 7);
	store_close(s);
}

/* What one run of the check said. */
struct result {
	char out[16384];
	size_t len;
	unsigned long found, repaired;
	int err;
};

static void collect(void *ctx, enum store_check_line kind, const char *line)
{
	struct result *r = ctx;

	r->len += (size_t)snprintf(
		r->out + r->len, sizeof(r->out) - r->len, "%s%s\n",
		kind == STORE_CHECK_FAILED ? "failed: " : "", line);
	if (r->len >= sizeof(r->out))
		r->len = sizeof(r->out) - 1;
}

/* Runs every step, as glassfs check does. */
static void check_store(bool repair, struct result *r)
{
	struct store_checker *c = NULL;
	char why[256];
	int err;

	memset(r, 0, sizeof(*r));
	r->err = store_check_open(path, repair, collect, r, &c, why,
				  sizeof(why));
	if (r->err) {
		collect(r, STORE_CHECK_FAILED, why);
		return;
	}
	for (int i = 0; i < STORE_CHECK_STEPS && !r->err; i++)
		r->err = store_check_step(c, i);
	err = store_check_finish(c);
	if (!r->err)
		r->err = err;
	store_check_counts(c, &r->found, &r->repaired);
	store_check_close(c);
}

static unsigned long lines(const char *s)
{
	unsigned long n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static uint64_t ino_of(struct store *s, uint64_t parent, const char *name)
{
	struct stat st;

	return store_lookup(s, parent, name, &st) ? 0 : st.st_ino;
}

static struct stat attr(struct store *s, uint64_t ino)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (store_getattr(s, ino, &st))
		st.st_ino = 0;
	return st;
}

/* The files that are still there read back. */
static void read_back(struct store *s)
{
	unsigned char buf[BIG_SIZE];
	size_t got = 0, i;

	if (attr(s, 4).st_ino) {
		CHECK_EQ(store_read(s, 4, 0, sizeof(buf), buf, &got), 0);
		CHECK(got == 6 && !memcmp(buf, "hello\n", 6));
		CHECK_EQ(store_getxattr(s, 4, "user.colour", buf, sizeof(buf),
					&got),
			 0);
		CHECK(got == 4 && !memcmp(buf, "blue", 4));
	}
	if (attr(s, 6).st_ino) {
		CHECK_EQ(store_read(s, 6, 0, sizeof(buf), buf, &got), 0);
		CHECK_EQ(got, BIG_SIZE);
		for (i = 0; i < got && buf[i] == pat(i); i++)
			;
		CHECK_EQ(i, BIG_SIZE);
		CHECK_EQ(attr(s, 6).st_blocks, (BIG_SIZE + 511) / 512);
	}
}

/* ------------------------------------------------------------------ */
/* Damages: check, repair, check again                                */
/* ------------------------------------------------------------------ */

struct damage {
	const char *name;
	const char *sql;
	const char *found; /* the check's lines */
	const char *fixed; /* the repair's */
	void (*verify)(struct store *s);
	int check_err;	      /* the check's result, when not 0 */
	void (*damage)(void); /* more damage, after @sql */
};

static void v_nlink(struct store *s)
{
	CHECK_EQ(attr(s, 4).st_nlink, 2);
	CHECK_EQ(attr(s, 2).st_nlink, 3);
	CHECK_EQ(attr(s, 1).st_nlink, 3);
}

static void v_no_ghost(struct store *s)
{
	CHECK_EQ(ino_of(s, 1, "ghost"), 0);
	CHECK_EQ(ino_of(s, 1, "empty"), 7);
}

static void v_text(struct store *s)
{
	CHECK_EQ(ino_of(s, 1, "txt"), 7);
}

/* Inode @ino is /lost+found/#INO, lost+found (inode 8) holds @subdirs. */
static void in_lost_found(struct store *s, uint64_t ino, int subdirs)
{
	char name[32];

	snprintf(name, sizeof(name), "#%llu", (unsigned long long)ino);
	CHECK_EQ(ino_of(s, 1, "lost+found"), 8);
	CHECK_EQ(ino_of(s, 8, name), ino);
	CHECK_EQ(attr(s, 8).st_mode, S_IFDIR | 0700);
	CHECK_EQ(attr(s, 8).st_nlink, 2 + subdirs);
}

static void v_several(struct store *s)
{
	in_lost_found(s, 7, 0);
	CHECK_EQ(attr(s, 4).st_nlink, 2);
	CHECK_EQ(attr(s, 1).st_nlink, 4);
	CHECK_EQ(ino_of(s, 1, "ghost"), 0);
}

static void v_cycle(struct store *s)
{
	in_lost_found(s, 2, 1);
	CHECK_EQ(ino_of(s, 2, "e"), 3);
	CHECK_EQ(attr(s, 3).st_nlink, 2);
	CHECK_EQ(attr(s, 2).st_nlink, 3);
	CHECK_EQ(attr(s, 1).st_nlink, 3);
}

static void v_self_cycle(struct store *s)
{
	in_lost_found(s, 3, 1);
	CHECK_EQ(attr(s, 3).st_nlink, 2);
	CHECK_EQ(ino_of(s, 3, "me"), 0);
}

static void v_detached(struct store *s)
{
	in_lost_found(s, 2, 1);
	CHECK_EQ(ino_of(s, 2, "f"), 4);
	CHECK_EQ(attr(s, 4).st_nlink, 2);
}

static void v_orphan(struct store *s)
{
	in_lost_found(s, 4, 0);
	CHECK_EQ(attr(s, 4).st_nlink, 1);
}

static void v_reclaimed(struct store *s)
{
	CHECK_EQ(attr(s, 6).st_ino, 0);
	CHECK_EQ(raw_int("SELECT count(*) FROM chunks WHERE ino = 6"), 0);
}

static void v_lf_reused(struct store *s)
{
	CHECK_EQ(ino_of(s, 1, "lost+found"), 9);
	CHECK_EQ(ino_of(s, 9, "#7"), 7);
}

static void v_dir_alloc(struct store *s)
{
	CHECK_EQ(attr(s, 2).st_blocks, 0);
}

static void v_no_symlink(struct store *s)
{
	CHECK_EQ(ino_of(s, 1, "s"), 0);
	CHECK_EQ(attr(s, 5).st_ino, 0);
}

static void v_symlink_size(struct store *s)
{
	CHECK_EQ(attr(s, 5).st_size, 3);
}

static void v_root(struct store *s)
{
	CHECK_EQ(attr(s, 1).st_nlink, 3);
	CHECK_EQ(attr(s, 1).st_mode, S_IFDIR | 0755);
	CHECK_EQ(ino_of(s, 2, "f"), 4);
}

#define DROP_LOG                                                               \
	"DROP TABLE changelog; DROP TRIGGER changelog_chunks_ins;"             \
	"DROP TRIGGER changelog_chunks_upd; DROP TRIGGER "                     \
	"changelog_chunks_del;"                                                \
	"DROP TRIGGER changelog_inodes_upd; DROP TRIGGER "                     \
	"changelog_inodes_del;"                                                \
	"DROP TRIGGER changelog_symlinks; DROP TRIGGER changelog_xattrs_ins;"  \
	"DROP TRIGGER changelog_xattrs_upd; DROP TRIGGER "                     \
	"changelog_xattrs_del;"                                                \
	"DROP TRIGGER changelog_dirents_ins;"                                  \
	"DROP TRIGGER changelog_dirents_del;"                                  \
	"DROP TRIGGER changelog_dirents_upd;"
#define NEW_ENTRY "INSERT INTO dirents (parent, name, ino) VALUES "

/* Drops the indexes format 1 did not have (formats after 2 add some). */
static void drop_indexes(void)
{
	char sql[300] = "";
	sqlite3_stmt *q = NULL;
	sqlite3 *db = NULL;

	sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (sqlite3_prepare_v2(
		    db,
		    "SELECT group_concat('DROP INDEX ' || name, ';') "
		    "FROM sqlite_schema WHERE type = 'index' AND "
		    "sql IS NOT NULL AND name <> 'dirents_by_parent'",
		    -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(sql, sizeof(sql), "%s",
			 (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (sql[0])
		raw_exec(sql);
}
#define LF_MADE "created /lost+found (inode 8)\n"
/* 100 zeros more: || makes text, whose length() stops at a NUL. */
#define APPEND_100 "CAST(data || zeroblob(100) AS BLOB)"

static const struct damage damages[] = {
	{"file_nlink", "UPDATE inodes SET nlink = 3 WHERE ino = 4",
	 "inode 4: nlink is 3, 2 entries name it\n",
	 "inode 4: nlink is 3, 2 entries name it\n"
	 "inode 4: nlink set to 2\n",
	 v_nlink},
	{"dir_nlink", "UPDATE inodes SET nlink = 5 WHERE ino = 2",
	 "inode 2: nlink is 5, should be 3 (directory with 1 subdirectory)\n",
	 "inode 2: nlink is 5, should be 3 (directory with 1 subdirectory)\n"
	 "inode 2: nlink set to 3\n",
	 v_nlink},
	{"entry_missing_inode", NEW_ENTRY "(1, CAST('ghost' AS BLOB), 99)",
	 "entry 'ghost' in inode 1: names missing inode 99\n",
	 "entry 'ghost' in inode 1: names missing inode 99\n"
	 "entry 'ghost' in inode 1: deleted\n",
	 v_no_ghost},
	{"entry_in_file", NEW_ENTRY "(4, CAST('x' AS BLOB), 7)",
	 "entry 'x' in inode 4: parent is not a directory\n",
	 "entry 'x' in inode 4: parent is not a directory\n"
	 "entry 'x' in inode 4: deleted\n",
	 NULL},
	{"entry_in_missing_dir", NEW_ENTRY "(99, CAST('x' AS BLOB), 7)",
	 "entry 'x' in inode 99: parent does not exist\n",
	 "entry 'x' in inode 99: parent does not exist\n"
	 "entry 'x' in inode 99: deleted\n",
	 NULL},
	{"entry_names_root", NEW_ENTRY "(2, CAST('up' AS BLOB), 1)",
	 "entry 'up' in inode 2: names the root directory\n",
	 "entry 'up' in inode 2: names the root directory\n"
	 "entry 'up' in inode 2: deleted\n",
	 v_nlink},
	{"name_empty", NEW_ENTRY "(1, X'', 7)",
	 "entry '' in inode 1: name is empty\n",
	 "entry '' in inode 1: name is empty\n"
	 "entry '' in inode 1: deleted\n",
	 NULL},
	{"name_slash", NEW_ENTRY "(1, X'612F62', 7)",
	 "entry 'a/b' in inode 1: name contains '/'\n",
	 "entry 'a/b' in inode 1: name contains '/'\n"
	 "entry 'a/b' in inode 1: deleted\n",
	 NULL},
	{"name_nul", NEW_ENTRY "(1, X'610062', 7)",
	 "entry 'a\\x00b' in inode 1: name contains a NUL byte\n",
	 "entry 'a\\x00b' in inode 1: name contains a NUL byte\n"
	 "entry 'a\\x00b' in inode 1: deleted\n",
	 NULL},
	{"name_dotdot", NEW_ENTRY "(1, X'2E2E', 7)",
	 "entry '..' in inode 1: name is reserved\n",
	 "entry '..' in inode 1: name is reserved\n"
	 "entry '..' in inode 1: deleted\n",
	 NULL},
	{"name_long", NEW_ENTRY "(1, CAST(printf('%.256c', 'n') AS BLOB), 7)",
	 "entry "
	 "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	 "...' in inode 1: name is longer than 255 bytes\n",
	 "entry "
	 "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	 "...' in inode 1: name is longer than 255 bytes\n"
	 "entry "
	 "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	 "...' in inode 1: deleted\n",
	 NULL},
	{"name_text",
	 NEW_ENTRY "(1, 'txt', 7);"
		   "DELETE FROM dirents WHERE name = CAST('empty' AS BLOB)",
	 "entry 'txt' in inode 1: name is stored as text\n",
	 "entry 'txt' in inode 1: name is stored as text\n"
	 "entry 'txt' in inode 1: name stored as a blob\n",
	 v_text},
	{"name_text_twice", NEW_ENTRY "(1, 'empty', 7)",
	 "entry 'empty' in inode 1: name is stored as text and another "
	 "entry has it\n",
	 "entry 'empty' in inode 1: name is stored as text and another "
	 "entry has it\n"
	 "entry 'empty' in inode 1: deleted\n",
	 v_no_ghost},
	{"dir_parent", "UPDATE inodes SET parent = 1 WHERE ino = 3",
	 "inode 3: parent is 1, its entry is in inode 2\n",
	 "inode 3: parent is 1, its entry is in inode 2\n"
	 "inode 3: parent set to 2\n",
	 NULL},
	{"dir_two_entries", NEW_ENTRY "(1, CAST('e2' AS BLOB), 3)",
	 "inode 3: directory has 2 entries\n",
	 "inode 3: directory has 2 entries\n"
	 "inode 3: kept entry 'e' in inode 2, deleted 1 other\n",
	 v_nlink},
	{"dir_cycle",
	 "UPDATE dirents SET parent = 3 WHERE ino = 2;"
	 "UPDATE inodes SET parent = 3 WHERE ino = 2;"
	 "UPDATE inodes SET nlink = 2 WHERE ino = 1;"
	 "UPDATE inodes SET nlink = 3 WHERE ino = 3",
	 "inode 2: in a cycle of 2 directories detached from the root\n",
	 "inode 2: in a cycle of 2 directories detached from the root\n" LF_MADE
	 "inode 2: moved to /lost+found/#2\n",
	 v_cycle},
	{"dir_self_cycle",
	 NEW_ENTRY "(3, CAST('me' AS BLOB), 3);"
		   "DELETE FROM dirents WHERE ino = 3 AND parent = 2;"
		   "UPDATE inodes SET parent = 3, nlink = 3 WHERE ino = 3;"
		   "UPDATE inodes SET nlink = 2 WHERE ino = 2",
	 "inode 3: in a cycle of 1 directory detached from the root\n",
	 "inode 3: in a cycle of 1 directory detached from the root\n" LF_MADE
	 "inode 3: moved to /lost+found/#3\n",
	 v_self_cycle},
	{"dir_detached",
	 "DELETE FROM dirents WHERE ino = 2;"
	 "UPDATE inodes SET nlink = 2 WHERE ino = 1",
	 "inode 2: nlink is 3, no entry names it\n",
	 "inode 2: nlink is 3, no entry names it\n" LF_MADE
	 "inode 2: moved to /lost+found/#2\n",
	 v_detached},
	{"orphan_linked", "DELETE FROM dirents WHERE ino = 4",
	 "inode 4: nlink is 2, no entry names it\n",
	 "inode 4: nlink is 2, no entry names it\n" LF_MADE
	 "inode 4: moved to /lost+found/#4\n",
	 v_orphan},
	{"orphan_unlinked",
	 "DELETE FROM dirents WHERE ino = 6;"
	 "UPDATE inodes SET nlink = 0 WHERE ino = 6",
	 "inode 6: nlink is 0, no entry names it\n",
	 "inode 6: nlink is 0, no entry names it\n"
	 "inode 6: reclaimed\n",
	 v_reclaimed},
	{"lost_found_reused",
	 "INSERT INTO inodes (ino, mode, nlink, uid, gid, parent, atime,"
	 " mtime, ctime) VALUES (9, 16832, 2, 0, 0, 1, 0, 0, 0);" NEW_ENTRY
	 "(1, CAST('lost+found' AS BLOB), 9);"
	 "UPDATE inodes SET nlink = 4 WHERE ino = 1;"
	 "DELETE FROM dirents WHERE ino = 7",
	 "inode 7: nlink is 1, no entry names it\n",
	 "inode 7: nlink is 1, no entry names it\n"
	 "inode 7: moved to /lost+found/#7\n",
	 v_lf_reused},
	{"chunk_past_size",
	 "INSERT INTO chunks VALUES (6, 5, zeroblob(100));"
	 "UPDATE inodes SET alloc = alloc + 100 WHERE ino = 6",
	 "inode 6: chunk 5 holds bytes past the file size 10000\n",
	 "inode 6: chunk 5 holds bytes past the file size 10000\n"
	 "inode 6: chunk 5 deleted\n",
	 NULL},
	{"chunk_partly_past_size",
	 "UPDATE chunks SET data = " APPEND_100 " WHERE ino = 6 AND idx = 2;"
	 "UPDATE inodes SET alloc = alloc + 100 WHERE ino = 6",
	 "inode 6: chunk 2 holds bytes past the file size 10000\n",
	 "inode 6: chunk 2 holds bytes past the file size 10000\n"
	 "inode 6: chunk 2 trimmed to 1808 bytes\n",
	 NULL},
	{"chunk_too_long",
	 "UPDATE chunks SET data = " APPEND_100 " WHERE ino = 6 AND idx = 0;"
	 "UPDATE inodes SET alloc = alloc + 100 WHERE ino = 6",
	 "inode 6: chunk 0 is 4196 bytes, more than the chunk size 4096\n",
	 "inode 6: chunk 0 is 4196 bytes, more than the chunk size 4096\n"
	 "inode 6: chunk 0 trimmed to 4096 bytes\n",
	 NULL},
	{"chunk_negative",
	 "INSERT INTO chunks VALUES (6, -1, X'01');"
	 "UPDATE inodes SET alloc = alloc + 1 WHERE ino = 6",
	 "inode 6: chunk -1 has a negative index\n",
	 "inode 6: chunk -1 has a negative index\n"
	 "inode 6: chunk -1 deleted\n",
	 NULL},
	{"chunk_past_size_alloc_too",
	 "INSERT INTO chunks VALUES (6, 5, zeroblob(100))",
	 "inode 6: alloc is 10000, its chunks hold 10100 bytes\n"
	 "inode 6: chunk 5 holds bytes past the file size 10000\n",
	 "inode 6: alloc is 10000, its chunks hold 10100 bytes\n"
	 "inode 6: alloc set to 10100\n"
	 "inode 6: chunk 5 holds bytes past the file size 10000\n"
	 "inode 6: chunk 5 deleted\n",
	 NULL},
	{"alloc", "UPDATE inodes SET alloc = 5 WHERE ino = 6",
	 "inode 6: alloc is 5, its chunks hold 10000 bytes\n",
	 "inode 6: alloc is 5, its chunks hold 10000 bytes\n"
	 "inode 6: alloc set to 10000\n",
	 NULL},
	{"chunks_of_missing_inode",
	 "INSERT INTO chunks VALUES (99, 0, X'0102'), (99, 1, X'03')",
	 "inode 99: does not exist but has 2 chunks\n",
	 "inode 99: does not exist but has 2 chunks\n"
	 "inode 99: 2 chunks deleted\n",
	 NULL},
	{"chunks_of_dir",
	 "INSERT INTO chunks VALUES (2, 0, X'0102');"
	 "UPDATE inodes SET alloc = 2 WHERE ino = 2",
	 "inode 2: is not a regular file but has 1 chunk\n",
	 "inode 2: is not a regular file but has 1 chunk\n"
	 "inode 2: 1 chunk deleted\n",
	 v_dir_alloc},
	{"symlink_no_target", "DELETE FROM symlinks WHERE ino = 5",
	 "inode 5: symlink has no target\n",
	 "inode 5: symlink has no target\n"
	 "inode 5: deleted with 1 entry\n",
	 v_no_symlink},
	{"symlink_empty_target",
	 "UPDATE symlinks SET target = X'' WHERE ino = 5",
	 "inode 5: symlink target is empty\n",
	 "inode 5: symlink target is empty\n"
	 "inode 5: deleted with 1 entry\n",
	 v_no_symlink},
	{"symlink_size", "UPDATE inodes SET size = 10 WHERE ino = 5",
	 "inode 5: size is 10, its target is 3 bytes\n",
	 "inode 5: size is 10, its target is 3 bytes\n"
	 "inode 5: size set to 3\n",
	 v_symlink_size},
	{"target_of_file", "INSERT INTO symlinks VALUES (7, CAST('x' AS BLOB))",
	 "inode 7: is not a symlink but has a symlink target\n",
	 "inode 7: is not a symlink but has a symlink target\n"
	 "inode 7: symlink target deleted\n",
	 NULL},
	{"target_of_missing_inode",
	 "INSERT INTO symlinks VALUES (99, CAST('x' AS BLOB))",
	 "inode 99: does not exist but has a symlink target\n",
	 "inode 99: does not exist but has a symlink target\n"
	 "inode 99: symlink target deleted\n",
	 NULL},
	{"xattrs_of_missing_inode",
	 "INSERT INTO xattrs VALUES (99, CAST('user.a' AS BLOB), X''),"
	 " (99, CAST('user.b' AS BLOB), X'00')",
	 "inode 99: does not exist but has 2 xattrs\n",
	 "inode 99: does not exist but has 2 xattrs\n"
	 "inode 99: 2 xattrs deleted\n",
	 NULL},
	{"root_missing", "DELETE FROM inodes WHERE ino = 1",
	 "inode 1: root directory does not exist\n",
	 "inode 1: root directory does not exist\n"
	 "inode 1: root directory created\n",
	 v_root},
	{"root_parent", "UPDATE inodes SET parent = 7 WHERE ino = 1",
	 "inode 1: parent is 7, should be 1\n",
	 "inode 1: parent is 7, should be 1\n"
	 "inode 1: parent set to 1\n",
	 NULL},
	{"format_1", DROP_LOG "PRAGMA user_version = 1",
	 "format version 1 is older than " FORMAT "\n",
	 "format version 1 is older than " FORMAT "\n"
	 "upgraded to format version " FORMAT "\n",
	 NULL, 0, drop_indexes},
	{"trigger_missing", "DROP TRIGGER changelog_inodes_upd",
	 "schema: trigger 'changelog_inodes_upd' is missing\n",
	 "schema: trigger 'changelog_inodes_upd' is missing\n"
	 "schema: trigger 'changelog_inodes_upd' created\n",
	 NULL},
	{"changelog_missing", "DROP TABLE changelog",
	 "schema: table 'changelog' is missing\n",
	 "schema: table 'changelog' is missing\n"
	 "schema: table 'changelog' created\n",
	 NULL},
	{"index_broken",
	 "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql ="
	 " 'CREATE INDEX dirents_by_parent ON dirents (ino)'"
	 " WHERE name = 'dirents_by_parent'",
	 "sqlite: row 1 missing from index dirents_by_parent\n"
	 "sqlite: row 2 missing from index dirents_by_parent\n"
	 "sqlite: row 3 missing from index dirents_by_parent\n"
	 "sqlite: row 4 missing from index dirents_by_parent\n"
	 "sqlite: row 5 missing from index dirents_by_parent\n"
	 "sqlite: row 6 missing from index dirents_by_parent\n"
	 "sqlite: row 7 missing from index dirents_by_parent\n",
	 "sqlite: row 1 missing from index dirents_by_parent\n"
	 "sqlite: row 2 missing from index dirents_by_parent\n"
	 "sqlite: row 3 missing from index dirents_by_parent\n"
	 "sqlite: row 4 missing from index dirents_by_parent\n"
	 "sqlite: row 5 missing from index dirents_by_parent\n"
	 "sqlite: row 6 missing from index dirents_by_parent\n"
	 "sqlite: row 7 missing from index dirents_by_parent\n"
	 "sqlite: row 1 missing from index dirents_by_parent: index rebuilt\n"
	 "sqlite: row 2 missing from index dirents_by_parent: index rebuilt\n"
	 "sqlite: row 3 missing from index dirents_by_parent: index rebuilt\n"
	 "sqlite: row 4 missing from index dirents_by_parent: index rebuilt\n"
	 "sqlite: row 5 missing from index dirents_by_parent: index rebuilt\n"
	 "sqlite: row 6 missing from index dirents_by_parent: index rebuilt\n"
	 "sqlite: row 7 missing from index dirents_by_parent: index rebuilt\n",
	 NULL, -EUCLEAN},
	{"several",
	 "UPDATE inodes SET nlink = 3 WHERE ino = 4;" NEW_ENTRY
	 "(1, CAST('ghost' AS BLOB), 99);"
	 "DELETE FROM dirents WHERE ino = 7;"
	 "INSERT INTO chunks VALUES (6, 5, zeroblob(100));"
	 "UPDATE inodes SET alloc = alloc + 100 WHERE ino = 6;"
	 "INSERT INTO xattrs VALUES (99, CAST('user.a' AS BLOB), X'')",
	 "entry 'ghost' in inode 1: names missing inode 99\n"
	 "inode 4: nlink is 3, 2 entries name it\n"
	 "inode 7: nlink is 1, no entry names it\n"
	 "inode 6: chunk 5 holds bytes past the file size 10000\n"
	 "inode 99: does not exist but has 1 xattr\n",
	 "entry 'ghost' in inode 1: names missing inode 99\n"
	 "entry 'ghost' in inode 1: deleted\n"
	 "inode 4: nlink is 3, 2 entries name it\n"
	 "inode 4: nlink set to 2\n"
	 "inode 7: nlink is 1, no entry names it\n" LF_MADE
	 "inode 7: moved to /lost+found/#7\n"
	 "inode 6: chunk 5 holds bytes past the file size 10000\n"
	 "inode 6: chunk 5 deleted\n"
	 "inode 99: does not exist but has 1 xattr\n"
	 "inode 99: 1 xattr deleted\n",
	 v_several},
};

static const struct damage *cur;

static void run_damage(void)
{
	const struct damage *d = cur;
	long len0, len1;
	char *before, *after;
	struct result r;
	struct store *s;

	make_base();
	raw_exec(d->sql);
	if (d->damage)
		d->damage();
	before = slurp(path, &len0);
	check_store(false, &r);
	after = slurp(path, &len1);
	CHECK_EQ(r.err, d->check_err);
	CHECK_STR(r.out, d->found);
	CHECK_EQ(r.found, lines(d->found));
	CHECK_EQ(r.repaired, 0);
	CHECK(len0 > 0 && len0 == len1 && !memcmp(before, after, len0));
	free(before);
	free(after);
	check_store(true, &r);
	CHECK_EQ(r.err, 0);
	CHECK_STR(r.out, d->fixed);
	CHECK_EQ(r.found, lines(d->found));
	CHECK_EQ(r.repaired, r.found);
	check_store(false, &r);
	CHECK_EQ(r.err, 0);
	CHECK_STR(r.out, "");
	s = open_store();
	if (s) {
		read_back(s);
		if (d->verify)
			d->verify(s);
		store_close(s);
	}
	tmp_remove();
}

/* ------------------------------------------------------------------ */
/* Other tests                                                        */
/* ------------------------------------------------------------------ */

TEST(clean_store)
{
	struct result r;

	make_base();
	check_store(false, &r);
	CHECK_EQ(r.err, 0);
	CHECK_STR(r.out, "");
	CHECK_EQ(r.found, 0);
	check_store(true, &r);
	CHECK_EQ(r.err, 0);
	CHECK_STR(r.out, "");
	for (int i = 0; i < STORE_CHECK_STEPS; i++)
		CHECK(strcmp(store_check_step_name(i), "?"));
	tmp_remove();
}

/* The store's own operations, as the daemon makes them, leave nothing
 * for the check to find: unlink, rename, rmdir, truncate, punch. */
TEST(store_operations_stay_clean)
{
	struct store_gone gone;
	struct result r;
	struct store *s;

	make_base();
	s = open_store();
	if (!s)
		return;
	CHECK_EQ(store_rename(s, 2, "e", 1, "e", 0, &gone), 0);
	CHECK_EQ(store_unlink(s, 1, "g", &gone), 0);
	CHECK_EQ(store_rmdir(s, 1, "e", &gone), 0);
	/* What the daemon does once the kernel forgets the inode. */
	CHECK_EQ(store_reclaim(s, gone.ino), 0);
	CHECK_EQ(store_fallocate(s, 6, 3, 100, 5000), 0);
	CHECK_EQ(store_setattr(s, 6,
			       &(struct store_setattr){.valid = STORE_SET_SIZE,
						       .size = 5000},
			       &(struct stat){0}),
		 0);
	store_close(s);
	check_store(false, &r);
	CHECK_STR(r.out, "");
	tmp_remove();
}

TEST(repairs_leave_the_change_log_alone)
{
	struct result r;
	int64_t before;

	make_base();
	raw_exec("UPDATE inodes SET nlink = 3 WHERE ino = 4;"
		 "INSERT INTO xattrs VALUES (99, CAST('user.a' AS BLOB), X'')");
	before = raw_int("SELECT count(*) FROM changelog");
	CHECK(before > 0);
	check_store(true, &r);
	CHECK_EQ(r.repaired, 2);
	CHECK_EQ(raw_int("SELECT count(*) FROM changelog"), before);
	tmp_remove();
}

TEST(lost_found_not_a_directory)
{
	struct result r;

	make_base();
	raw_exec("INSERT INTO inodes (ino, mode, nlink, uid, gid, atime, mtime,"
		 " ctime) VALUES (9, 33188, 1, 0, 0, 0, 0, 0);" NEW_ENTRY
		 "(1, CAST('lost+found' AS BLOB), 9);"
		 "DELETE FROM dirents WHERE ino = 7");
	check_store(true, &r);
	CHECK_EQ(r.err, 0);
	CHECK_STR(r.out, "inode 7: nlink is 1, no entry names it\n"
			 "failed: inode 7: moved to /lost+found/#7: not done "
			 "(Not a directory)\n");
	CHECK_EQ(r.found, 1);
	CHECK_EQ(r.repaired, 0);
	check_store(false, &r);
	CHECK_EQ(r.found, 1);
	tmp_remove();
}

/* Damage the later steps cannot work with: reported, nothing more. */
static void fatal(const char *sql, const char *want)
{
	struct result r;
	int i;

	make_base();
	raw_exec(sql);
	for (i = 0; i < 2; i++) {
		check_store(i == 1, &r);
		CHECK_EQ(r.err, -EUCLEAN);
		CHECK_STR(r.out, want);
		CHECK_EQ(r.found, 1);
		CHECK_EQ(r.repaired, 0);
	}
	tmp_remove();
}

TEST(fatal_damage)
{
	fatal("UPDATE inodes SET mode = 33188 WHERE ino = 1",
	      "inode 1: root is not a directory (mode 0100644)\n");
	fatal("DROP TABLE xattrs", "schema: table 'xattrs' is missing\n");
	fatal("UPDATE format SET value = 1000 WHERE key = 'chunk_size'",
	      "format: chunk_size 1000 is not a power of two from 4096 to "
	      "1048576\n");
	fatal("DELETE FROM format WHERE key = 'chunk_size'",
	      "format: chunk_size is missing\n");
}

TEST(corrupt_page)
{
	struct result r;
	int64_t root;
	int fd;

	make_base();
	root = raw_int("SELECT rootpage FROM sqlite_schema "
		       "WHERE name = 'inodes'");
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	/* A b-tree page header claiming 65535 cells. */
	CHECK_EQ(pwrite(fd, "\x0d\xff\xff\xff\xff", 5,
			(root - 1) * raw_int("PRAGMA page_size")),
		 5);
	close(fd);
	check_store(true, &r);
	CHECK_EQ(r.err, -EUCLEAN);
	CHECK(r.found >= 1);
	CHECK_EQ(r.repaired, 0);
	CHECK(!strncmp(r.out, "sqlite: ", 8));
	tmp_remove();
}

static int open_err(char *why, size_t whylen)
{
	struct store_checker *c = NULL;
	int err;

	err = store_check_open(path, false, NULL, NULL, &c, why, whylen);
	store_check_close(c);
	return err;
}

TEST(refusals)
{
	struct store *s;
	char why[256];

	make_base();
	s = open_store();
	CHECK_EQ(open_err(why, sizeof(why)), -EBUSY);
	CHECK(strstr(why, "mounted") != NULL);
	store_close(s);
	CHECK_EQ(open_err(why, sizeof(why)), 0);
	raw_exec("PRAGMA user_version = 99");
	CHECK_EQ(open_err(why, sizeof(why)), -EPROTONOSUPPORT);
	CHECK_STR(why, "format version 99 is newer than this glassfs supports "
		       "(" FORMAT ")");
	raw_exec("PRAGMA user_version = " FORMAT "; PRAGMA application_id = 7");
	CHECK_EQ(open_err(why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "not a glassfs store (application_id 0x00000007)");
	CHECK_EQ(truncate(path, 0), 0);
	CHECK_EQ(open_err(why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "empty file, not a glassfs store");
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(open_err(why, sizeof(why)), -ENOENT);
	CHECK_EQ(access(path, F_OK), -1);
	tmp_remove();
}

TEST(not_sqlite)
{
	char why[256];
	FILE *f;

	tmp_make();
	f = fopen(path, "w");
	for (int i = 0; f && i < 100; i++)
		fputs("not a database at all\n", f);
	if (f)
		fclose(f);
	CHECK_EQ(open_err(why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "not an SQLite database");
	tmp_remove();
}

TEST(steps_stop_after_fatal_damage)
{
	struct store_checker *c = NULL;
	char why[256];

	make_base();
	raw_exec("DROP TABLE symlinks");
	CHECK_EQ(
		store_check_open(path, false, NULL, NULL, &c, why, sizeof(why)),
		0);
	if (!c)
		return;
	CHECK_EQ(store_check_step(c, STORE_CHECK_SQLITE), 0);
	CHECK_EQ(store_check_step(c, STORE_CHECK_SCHEMA), -EUCLEAN);
	CHECK_EQ(store_check_step(c, STORE_CHECK_ROOT), -EUCLEAN);
	CHECK_EQ(store_check_finish(c), 0);
	store_check_close(c);
	tmp_remove();
}

int main(void)
{
	RUN(clean_store);
	RUN(store_operations_stay_clean);
	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		cur = &damages[i];
		tap_run(damages[i].name, run_damage);
	}
	RUN(repairs_leave_the_change_log_alone);
	RUN(lost_found_not_a_directory);
	RUN(fatal_damage);
	RUN(corrupt_page);
	RUN(refusals);
	RUN(not_sqlite);
	RUN(steps_stop_after_fatal_damage);
	return tap_done();
}
