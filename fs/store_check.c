// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_check.c - the store's fsck: checks a store that is not mounted,
 * step by step, and with repair fixes what it found (store_check.h).
 *
 * Layer: store.  Opening reuses store.c's validation (store_open_check());
 * everything after is SQL on that connection, with triggers disabled like
 * every connection of ours, so repairs do not fill the change log.  No
 * FUSE, no printing: each problem and each repair is one line handed to
 * the caller.
 *
 * How the steps stay consistent.  A later step must see the store as the
 * earlier repairs leave it, whether or not they are made, so that a check
 * and a repair report the same problems.  The steps therefore judge
 * through temporary tables, which a check writes as freely as a repair
 * (they live in the connection's temp database, never in the store):
 *   fsck_bad    entries an earlier step condemned (deleted by a repair);
 *   fsck_ents   a view: the entries that survive;
 *   fsck_links  per inode: surviving entries naming it, and for a
 *               directory the one entry it keeps (parent, id);
 *   fsck_kids   per directory: surviving entries in it, subdirectories;
 *   fsck_reach  directories reachable from the root;
 *   fsck_gone   inodes a repair deletes (orphans, symlinks without target).
 * Repairs keep these tables and the store's own invariants in step: a
 * chunk trimmed lowers alloc by what it lost, an entry added to
 * lost+found counts in fsck_links and in the directory's nlink.
 *
 * Each repair runs in a savepoint of the one transaction, so that one that
 * fails undoes only itself and leaves its problem counted as unrepaired.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store_check.h"
#include "store_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The SQL tests file types by number: these are Linux's. */
_Static_assert(S_IFMT == 0170000 && S_IFDIR == 0040000 && S_IFREG == 0100000 &&
		       S_IFLNK == 0120000,
	       "file type bits");
#define IS_DIR(t) "(" t ".mode & 61440) = 16384"
#define IS_REG(t) "(" t ".mode & 61440) = 32768"
#define IS_LNK(t) "(" t ".mode & 61440) = 40960"
#define NOT_GONE(col) col " NOT IN (SELECT ino FROM temp.fsck_gone)"

#define LOST_FOUND "lost+found"

static const char temp_schema[] =
	"CREATE TEMP TABLE fsck_bad (id INTEGER PRIMARY KEY, why INTEGER);"
	"CREATE TEMP TABLE fsck_gone (ino INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE fsck_links (ino INTEGER PRIMARY KEY,"
	" n INTEGER NOT NULL, parent INTEGER, id INTEGER);"
	"CREATE TEMP TABLE fsck_kids (ino INTEGER PRIMARY KEY,"
	" dirs INTEGER NOT NULL);"
	"CREATE TEMP TABLE fsck_reach (ino INTEGER PRIMARY KEY);"
	"CREATE TEMP VIEW fsck_ents AS SELECT id, parent, name, ino"
	" FROM main.dirents WHERE id NOT IN (SELECT id FROM temp.fsck_bad);";

/* Why an entry is bad; the order of the CASE in ENTRIES_BAD. */
enum entry_why {
	EW_OK,
	EW_NO_PARENT,
	EW_PARENT_NOT_DIR,
	EW_NO_TARGET,
	EW_ROOT,
	EW_EMPTY,
	EW_LONG,
	EW_SLASH,
	EW_NUL,
	EW_DOTS,
	EW_TEXT_DUP,
	EW_TEXT, /* the one kept: its name is converted to a blob */
};

static const char *const entry_why_text[] = {
	[EW_NO_PARENT] = "parent does not exist",
	[EW_PARENT_NOT_DIR] = "parent is not a directory",
	[EW_NO_TARGET] = "names missing inode",
	[EW_ROOT] = "names the root directory",
	[EW_EMPTY] = "name is empty",
	[EW_LONG] = "name is longer than 255 bytes",
	[EW_SLASH] = "name contains '/'",
	[EW_NUL] = "name contains a NUL byte",
	[EW_DOTS] = "name is reserved",
	[EW_TEXT_DUP] = "name is stored as text and another entry has it",
	[EW_TEXT] = "name is stored as text",
};

#define NAME_BLOB "CAST(d.name AS BLOB)"

/*
 * The statements of the steps after the schema step, prepared once the
 * schema is known to be usable.  Parameters are bound by position; the
 * rows of a query are collected before any repair changes its tables.
 */
/* clang-format off */
#define CHECK_STMTS(X) \
	X(SAVEPOINT, "SAVEPOINT fix") \
	X(RELEASE, "RELEASE fix") \
	X(ROLLBACK_TO, "ROLLBACK TO fix") \
	X(ROOT, "SELECT mode, parent, uid, gid FROM main.inodes WHERE ino = 1") \
	X(SET_PARENT, "UPDATE main.inodes SET parent = ?2 WHERE ino = ?1") \
	X(SET_NLINK, "UPDATE main.inodes SET nlink = ?2 WHERE ino = ?1") \
	X(SET_SIZE, "UPDATE main.inodes SET size = ?2 WHERE ino = ?1") \
	X(SET_ALLOC, "UPDATE main.inodes SET alloc = ?2 WHERE ino = ?1") \
	X(SUB_ALLOC, "UPDATE main.inodes SET alloc = alloc - ?2 " \
		"WHERE ino = ?1") \
	X(DIR_LINKS, "UPDATE main.inodes SET nlink = nlink + ?2, " \
		"mtime = ?3, ctime = ?3 WHERE ino = ?1") \
	X(NEW_DIR, "INSERT INTO main.inodes (ino, mode, nlink, uid, gid, " \
		"parent, atime, mtime, ctime) " \
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7)") \
	X(MAX_INO, "SELECT coalesce(max(ino), 1) FROM main.inodes") \
	X(ENTRY_FIND, "SELECT d.ino, i.mode FROM main.dirents AS d " \
		"LEFT JOIN main.inodes AS i ON i.ino = d.ino " \
		"WHERE d.parent = ?1 AND d.name = ?2") \
	X(ENTRY_ADD, "INSERT INTO main.dirents (parent, name, ino) " \
		"VALUES (?1, ?2, ?3)") \
	X(ENTRY_DEL, "DELETE FROM main.dirents WHERE id = ?1") \
	X(ENTRY_DEL_INO, "DELETE FROM main.dirents WHERE ino = ?1") \
	X(ENTRY_TO_BLOB, "UPDATE main.dirents SET name = CAST(name AS BLOB) " \
		"WHERE id = ?1") \
	X(ENTRIES_BAD, "SELECT * FROM (SELECT d.id, d.parent, d.ino, " \
		"CASE WHEN d.parent <> 1 AND p.ino IS NULL THEN 1 " \
		"WHEN d.parent <> 1 AND NOT " IS_DIR("p") " THEN 2 " \
		"WHEN i.ino IS NULL THEN 3 " \
		"WHEN d.ino = 1 THEN 4 " \
		"WHEN length(" NAME_BLOB ") = 0 THEN 5 " \
		"WHEN length(" NAME_BLOB ") > 255 THEN 6 " \
		"WHEN instr(" NAME_BLOB ", X'2F') THEN 7 " \
		"WHEN instr(" NAME_BLOB ", X'00') THEN 8 " \
		"WHEN " NAME_BLOB " IN (X'2E', X'2E2E') THEN 9 " \
		"WHEN typeof(d.name) <> 'blob' AND EXISTS (SELECT 1 " \
		"FROM main.dirents AS o WHERE o.parent = d.parent AND " \
		"o.id <> d.id AND CAST(o.name AS BLOB) = " NAME_BLOB ") " \
		"THEN 10 " \
		"WHEN typeof(d.name) <> 'blob' THEN 11 ELSE 0 END AS why, " \
		"d.name FROM main.dirents AS d " \
		"LEFT JOIN main.inodes AS p ON p.ino = d.parent " \
		"LEFT JOIN main.inodes AS i ON i.ino = d.ino) " \
		"WHERE why <> 0 ORDER BY id") \
	X(BAD_ADD, "INSERT OR REPLACE INTO temp.fsck_bad (id, why) " \
		"VALUES (?1, ?2)") \
	X(GONE_ADD, "INSERT OR IGNORE INTO temp.fsck_gone (ino) VALUES (?1)") \
	X(LINKS_FILL, "INSERT INTO temp.fsck_links (ino, n, parent, id) " \
		"SELECT ino, count(*), parent, min(id) FROM temp.fsck_ents " \
		"GROUP BY ino") \
	X(LINKS_SET, "INSERT OR REPLACE INTO temp.fsck_links " \
		"(ino, n, parent, id) VALUES (?1, 1, ?2, ?3)") \
	X(KIDS_FILL, "INSERT INTO temp.fsck_kids (ino, dirs) " \
		"SELECT e.parent, sum(" IS_DIR("i") ") " \
		"FROM temp.fsck_ents AS e " \
		"JOIN main.inodes AS i ON i.ino = e.ino GROUP BY e.parent") \
	X(DIRS_MULTI, "SELECT l.ino, l.n, coalesce(i.parent, 0) " \
		"FROM temp.fsck_links AS l " \
		"JOIN main.inodes AS i ON i.ino = l.ino " \
		"WHERE l.n > 1 AND " IS_DIR("i") " ORDER BY l.ino") \
	X(DIR_ENTRIES, "SELECT id, parent, ino, name FROM temp.fsck_ents " \
		"WHERE ino = ?1 ORDER BY parent IS NOT ?2, id") \
	X(DIR_PARENTS, "SELECT i.ino, coalesce(i.parent, 0), l.parent " \
		"FROM main.inodes AS i JOIN temp.fsck_links AS l " \
		"ON l.ino = i.ino WHERE " IS_DIR("i") \
		" AND i.parent IS NOT l.parent ORDER BY i.ino") \
	X(FILE_NLINKS, "SELECT i.ino, i.nlink, l.n FROM main.inodes AS i " \
		"JOIN temp.fsck_links AS l ON l.ino = i.ino " \
		"WHERE NOT " IS_DIR("i") " AND i.nlink <> l.n ORDER BY i.ino") \
	X(DIR_NLINKS, "SELECT i.ino, i.nlink, 2 + coalesce(k.dirs, 0) " \
		"FROM main.inodes AS i " \
		"LEFT JOIN temp.fsck_kids AS k ON k.ino = i.ino " \
		"WHERE " IS_DIR("i") " AND i.nlink <> 2 + coalesce(k.dirs, 0) " \
		"AND NOT (i.nlink = 0 AND i.ino <> 1 AND k.ino IS NULL AND " \
		"i.ino NOT IN (SELECT ino FROM temp.fsck_links)) " \
		"ORDER BY i.ino") \
	X(ROOT_SUBDIRS, "SELECT coalesce((SELECT dirs FROM temp.fsck_kids " \
		"WHERE ino = 1), 0)") \
	X(REACH_FILL, "INSERT INTO temp.fsck_reach (ino) WITH RECURSIVE " \
		"r(ino) AS (SELECT 1 UNION SELECT e.ino FROM temp.fsck_ents " \
		"AS e JOIN r ON e.parent = r.ino JOIN main.inodes AS i " \
		"ON i.ino = e.ino WHERE " IS_DIR("i") ") SELECT ino FROM r") \
	X(UNREACHED, "SELECT i.ino, coalesce(l.parent, 0), " \
		"coalesce(l.id, 0) FROM main.inodes AS i " \
		"LEFT JOIN temp.fsck_links AS l ON l.ino = i.ino " \
		"WHERE " IS_DIR("i") " AND i.ino <> 1 AND " \
		"i.ino NOT IN (SELECT ino FROM temp.fsck_reach) " \
		"ORDER BY i.ino") \
	X(ORPHANS, "SELECT i.ino, i.mode, i.nlink, k.ino IS NOT NULL " \
		"FROM main.inodes AS i " \
		"LEFT JOIN temp.fsck_kids AS k ON k.ino = i.ino " \
		"WHERE i.ino <> 1 AND " \
		"i.ino NOT IN (SELECT ino FROM temp.fsck_links) " \
		"ORDER BY i.ino") \
	X(CHUNKS_STRAY, "SELECT c.ino, count(*), sum(length(c.data)), " \
		"i.ino IS NULL FROM main.chunks AS c " \
		"LEFT JOIN main.inodes AS i ON i.ino = c.ino " \
		"WHERE (i.ino IS NULL OR NOT " IS_REG("i") ") AND " \
		NOT_GONE("c.ino") " GROUP BY c.ino ORDER BY c.ino") \
	X(CHUNKS_DEL_ALL, "DELETE FROM main.chunks WHERE ino = ?1") \
	X(CHUNKS_BAD, "SELECT c.ino, c.idx, length(c.data), i.size " \
		"FROM main.chunks AS c JOIN main.inodes AS i ON i.ino = c.ino " \
		"WHERE " IS_REG("i") " AND " NOT_GONE("c.ino") " AND " \
		"(c.idx < 0 OR length(c.data) > ?1 OR " \
		"c.idx * ?1 + length(c.data) > i.size) ORDER BY c.ino, c.idx") \
	X(CHUNK_DEL, "DELETE FROM main.chunks WHERE ino = ?1 AND idx = ?2") \
	X(CHUNK_TRIM, "UPDATE main.chunks " \
		"SET data = substr(CAST(data AS BLOB), 1, ?3) " \
		"WHERE ino = ?1 AND idx = ?2") \
	X(ALLOC_BAD, "SELECT i.ino, i.alloc, coalesce(c.bytes, 0) " \
		"FROM main.inodes AS i LEFT JOIN (SELECT ino, " \
		"sum(length(data)) AS bytes FROM main.chunks GROUP BY ino) " \
		"AS c ON c.ino = i.ino WHERE " NOT_GONE("i.ino") " AND " \
		"i.alloc IS NOT coalesce(c.bytes, 0) ORDER BY i.ino") \
	X(LNK_NO_TARGET, "SELECT i.ino, s.ino IS NULL FROM main.inodes AS i " \
		"LEFT JOIN main.symlinks AS s ON s.ino = i.ino " \
		"WHERE " IS_LNK("i") " AND " NOT_GONE("i.ino") " AND " \
		"(s.ino IS NULL OR length(CAST(s.target AS BLOB)) = 0) " \
		"ORDER BY i.ino") \
	X(LNK_SIZE, "SELECT i.ino, i.size, length(CAST(s.target AS BLOB)) " \
		"FROM main.inodes AS i " \
		"JOIN main.symlinks AS s ON s.ino = i.ino " \
		"WHERE " IS_LNK("i") " AND " NOT_GONE("i.ino") " AND " \
		"length(CAST(s.target AS BLOB)) > 0 AND " \
		"i.size IS NOT length(CAST(s.target AS BLOB)) ORDER BY i.ino") \
	X(LNK_STRAY, "SELECT s.ino, i.ino IS NULL FROM main.symlinks AS s " \
		"LEFT JOIN main.inodes AS i ON i.ino = s.ino " \
		"WHERE (i.ino IS NULL OR NOT " IS_LNK("i") ") AND " \
		NOT_GONE("s.ino") " ORDER BY s.ino") \
	X(LNK_DEL, "DELETE FROM main.symlinks WHERE ino = ?1") \
	X(XATTR_STRAY, "SELECT x.ino, count(*) FROM main.xattrs AS x " \
		"LEFT JOIN main.inodes AS i ON i.ino = x.ino " \
		"WHERE i.ino IS NULL AND " NOT_GONE("x.ino") \
		" GROUP BY x.ino ORDER BY x.ino") \
	X(XATTR_DEL, "DELETE FROM main.xattrs WHERE ino = ?1")
/* clang-format on */

/* clang-format off */
enum check_stmt {
#define X(id, sql) CQ_##id,
	CHECK_STMTS(X)
#undef X
	CQ_COUNT
};
/* clang-format on */

static const char *const check_sql[CQ_COUNT] = {
#define X(id, sql) [CQ_##id] = sql,
	CHECK_STMTS(X)
#undef X
};

static const char *const check_what[CQ_COUNT] = {
#define X(id, sql) [CQ_##id] = "check: " #id,
	CHECK_STMTS(X)
#undef X
};

static const char *const step_names[STORE_CHECK_STEPS] = {
	[STORE_CHECK_SQLITE] = "sqlite integrity",
	[STORE_CHECK_SCHEMA] = "schema",
	[STORE_CHECK_ROOT] = "root directory",
	[STORE_CHECK_ENTRIES] = "directory entries",
	[STORE_CHECK_LINKS] = "link counts",
	[STORE_CHECK_TREE] = "directory tree",
	[STORE_CHECK_ORPHANS] = "orphaned inodes",
	[STORE_CHECK_DATA] = "file data",
	[STORE_CHECK_EXTRAS] = "symlinks and xattrs",
};

struct store_checker {
	struct store *s;
	sqlite3_stmt *q[CQ_COUNT];
	bool repair;
	bool in_txn; /* the check's transaction is open */
	int version; /* the store's format */
	int next;    /* the step to run next */
	int dead;    /* why no further step runs, or 0 */
	uint32_t chunk_size;
	bool make_root; /* the root is missing: made by step 5 */
	int64_t lf;	/* /lost+found, once found or made */
	unsigned long found, repaired;
	store_check_fn fn;
	void *ctx;
};

/* A row of a query: up to four integers and one blob. */
struct row {
	int64_t v[4];
	unsigned char *blob;
	int len;
};

struct rows {
	struct row *r;
	size_t n, cap;
};

/* ------------------------------------------------------------------ */
/* Reporting                                                          */
/* ------------------------------------------------------------------ */

static void say(struct store_checker *c, enum store_check_line kind,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(struct store_checker *c, enum store_check_line kind,
		const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (kind == STORE_CHECK_PROBLEM)
		c->found++;
	else if (kind == STORE_CHECK_REPAIR)
		c->repaired++;
	if (c->fn)
		c->fn(c->ctx, kind, line);
}

/* An entry's name for a message: quoted, bytes outside printable ASCII
 * as \xHH, cut after 64 bytes. */
static const char *show_name(const unsigned char *b, int len, char *out,
			     size_t size)
{
	size_t n = 0;
	int i;

	assert(size >= 8);
	out[n++] = '\'';
	for (i = 0; i < len && n + 8 < size && i < 64; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\' && b[i] != '\'')
			out[n++] = (char)b[i];
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x",
					      b[i]);
	}
	if (i < len)
		n += (size_t)snprintf(out + n, size - n, "...");
	snprintf(out + n, size - n, "'");
	return out;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ------------------------------------------------------------------ */
/* Statements, rows, savepoints                                       */
/* ------------------------------------------------------------------ */

static int prepare_checks(struct store_checker *c)
{
	for (int i = 0; i < CQ_COUNT; i++) {
		int rc = sqlite3_prepare_v3(c->s->db, check_sql[i], -1,
					    SQLITE_PREPARE_PERSISTENT, &c->q[i],
					    NULL);
		if (rc != SQLITE_OK) {
			say(c, STORE_CHECK_PROBLEM, "schema: %s",
			    sqlite3_errmsg(c->s->db));
			return -EUCLEAN;
		}
	}
	return 0;
}

/* Statement @id with its integer parameters ?1.. bound from @v. */
static sqlite3_stmt *bind_v(struct store_checker *c, enum check_stmt id,
			    const int64_t *v, size_t n)
{
	sqlite3_stmt *q = c->q[id];

	sqlite3_reset(q);
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_int64(q, (int)i + 1, v[i]);
	return q;
}

#define BIND(c, id, ...)                                                       \
	bind_v(c, id, (const int64_t[]){__VA_ARGS__},                          \
	       ARRAY_SIZE(((const int64_t[]){__VA_ARGS__})))
#define RUN(c, id, ...) run((c)->s, BIND(c, id, __VA_ARGS__), check_what[id])

static int run0(struct store_checker *c, enum check_stmt id)
{
	return run(c->s, c->q[id], check_what[id]);
}

/* The first column of the one row of @q, an integer. */
static int get_int(struct store_checker *c, sqlite3_stmt *q, enum check_stmt id,
		   int64_t *v)
{
	int rc = sqlite3_step(q);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(c->s, rc, check_what[id]);
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->r[i].blob);
	free(r->r);
	memset(r, 0, sizeof(*r));
}

/* A new, zeroed row at the end of @r (not counted yet), or NULL. */
static struct row *row_new(struct rows *r)
{
	struct row *w;

	if (r->n == r->cap) {
		size_t cap = r->cap * 2 + 16;

		w = realloc(r->r, cap * sizeof(*w));
		if (!w)
			return NULL;
		r->r = w;
		r->cap = cap;
	}
	w = &r->r[r->n];
	memset(w, 0, sizeof(*w));
	return w;
}

static int row_add(struct rows *r, sqlite3_stmt *q, int blob)
{
	struct row *w = row_new(r);
	int cols = sqlite3_column_count(q);

	if (!w)
		return -ENOMEM;
	for (int i = 0; i < cols && i < 4; i++)
		w->v[i] = sqlite3_column_int64(q, i);
	if (blob >= 0) {
		w->len = sqlite3_column_bytes(q, blob);
		w->blob = malloc((size_t)w->len + 1);
		if (!w->blob)
			return -ENOMEM;
		if (w->len)
			memcpy(w->blob, sqlite3_column_blob(q, blob),
			       (size_t)w->len);
	}
	r->n++;
	return 0;
}

/* Every row of @q (bound already), the blob of column @blob (-1: none)
 * copied: collected before any repair changes what @q reads. */
static int rows_get(struct store_checker *c, sqlite3_stmt *q,
		    enum check_stmt id, int blob, struct rows *out)
{
	int rc, err = 0;

	memset(out, 0, sizeof(*out));
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = row_add(out, q, blob);
	if (!err && rc != SQLITE_DONE)
		err = store_err(c->s, rc, check_what[id]);
	sqlite3_reset(q);
	if (err)
		rows_free(out);
	return err;
}

static int query(struct store_checker *c, enum check_stmt id, int blob,
		 struct rows *out)
{
	sqlite3_reset(c->q[id]);
	return rows_get(c, c->q[id], id, blob, out);
}

/* Whether to repair: in repair mode, a savepoint is then open, which
 * fix_end() closes. */
static bool fix_begin(struct store_checker *c)
{
	return c->repair && run0(c, CQ_SAVEPOINT) == 0;
}

/* Ends a repair: kept and reported if @err is 0, undone otherwise. */
static void fix_end(struct store_checker *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fix_end(struct store_checker *c, int err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (err)
		run0(c, CQ_ROLLBACK_TO);
	run0(c, CQ_RELEASE);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (err)
		say(c, STORE_CHECK_FAILED, "%s: not done (%s)", line,
		    strerror(-err));
	else
		say(c, STORE_CHECK_REPAIR, "%s", line);
}

/* ------------------------------------------------------------------ */
/* Repairs shared by several steps                                    */
/* ------------------------------------------------------------------ */

static int entry_add(struct store_checker *c, int64_t parent, const char *name,
		     int64_t ino, int64_t *id)
{
	sqlite3_stmt *q = BIND(c, CQ_ENTRY_ADD, parent, 0, ino);
	int err;

	bind_name(q, 2, name);
	err = run(c->s, q, check_what[CQ_ENTRY_ADD]);
	*id = sqlite3_last_insert_rowid(c->s->db);
	if (!err)
		err = RUN(c, CQ_LINKS_SET, ino, parent, *id);
	return err;
}

/* A new directory @ino in @parent, of @mode, owned like the root. */
static int make_dir(struct store_checker *c, int64_t ino, int64_t parent,
		    mode_t mode, int64_t nlink)
{
	sqlite3_stmt *q = c->q[CQ_ROOT];
	int64_t uid = 0, gid = 0;
	int rc;

	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		uid = sqlite3_column_int64(q, 2);
		gid = sqlite3_column_int64(q, 3);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(c->s, rc, check_what[CQ_ROOT]);
	return RUN(c, CQ_NEW_DIR, ino, S_IFDIR | mode, nlink, uid, gid, parent,
		   store_now());
}

static int lost_found_make(struct store_checker *c, int64_t *lf)
{
	int64_t id;
	int err;

	err = get_int(c, c->q[CQ_MAX_INO], CQ_MAX_INO, lf);
	if (err)
		return err;
	++*lf;
	err = make_dir(c, *lf, GFS_ROOT_INO, 0700, 2);
	if (!err)
		err = entry_add(c, GFS_ROOT_INO, LOST_FOUND, *lf, &id);
	if (!err)
		err = RUN(c, CQ_DIR_LINKS, GFS_ROOT_INO, 1, store_now());
	return err;
}

/* /lost+found, made (mode 0700, owned like the root) at first use, in a
 * savepoint of its own: it stays even if the repair that wanted it fails. */
static int lost_found(struct store_checker *c)
{
	sqlite3_stmt *q;
	int64_t lf = 0, mode = 0;
	int rc, err;

	if (c->lf)
		return 0;
	q = BIND(c, CQ_ENTRY_FIND, GFS_ROOT_INO);
	bind_name(q, 2, LOST_FOUND);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		lf = sqlite3_column_int64(q, 0);
		mode = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(c->s, rc, check_what[CQ_ENTRY_FIND]);
	if (rc == SQLITE_ROW && !S_ISDIR(mode))
		return -ENOTDIR;
	if (rc == SQLITE_DONE) {
		err = run0(c, CQ_SAVEPOINT);
		if (err)
			return err;
		err = lost_found_make(c, &lf);
		if (err)
			run0(c, CQ_ROLLBACK_TO);
		run0(c, CQ_RELEASE);
		if (err)
			return err;
		say(c, STORE_CHECK_NOTE,
		    "created /" LOST_FOUND " (inode %" PRId64 ")", lf);
	}
	c->lf = lf;
	return 0;
}

/* Links @ino into /lost+found as "#INO": a directory gets it as parent
 * (and gives it a link), anything else is left with one link. */
static int to_lost_found(struct store_checker *c, int64_t ino, bool dir)
{
	int64_t now = store_now(), id;
	char name[32];
	int err;

	snprintf(name, sizeof(name), "#%" PRId64, ino);
	err = entry_add(c, c->lf, name, ino, &id);
	if (!err && dir)
		err = RUN(c, CQ_SET_PARENT, ino, c->lf);
	if (!err && !dir)
		err = RUN(c, CQ_SET_NLINK, ino, 1);
	if (!err)
		err = RUN(c, CQ_DIR_LINKS, c->lf, dir ? 1 : 0, now);
	return err;
}

/* Deletes @ino and what it owns, whatever its link count. */
static int inode_delete(struct store_checker *c, int64_t ino)
{
	int err = RUN(c, CQ_SET_NLINK, ino, 0);

	return err ? err : inode_purge(c->s, (uint64_t)ino);
}

/* ------------------------------------------------------------------ */
/* 1. SQLite                                                          */
/* ------------------------------------------------------------------ */

/* Adds the message @s (@len bytes) to @r, as a row's blob. */
static int msg_add(struct rows *r, const char *s, size_t len)
{
	struct row *w = row_new(r);

	if (!w)
		return -ENOMEM;
	w->blob = (unsigned char *)strndup(s, len);
	if (!w->blob)
		return -ENOMEM;
	w->len = (int)len;
	r->n++;
	return 0;
}

/* One result of integrity_check: lines, one error each, under a
 * "*** in database main ***" heading for errors of the b-trees. */
static int msg_split(struct rows *r, const char *text)
{
	int err = 0;

	while (!err && text && *text) {
		size_t len = strcspn(text, "\n");

		bool ok = len == 2 && !strncmp(text, "ok", 2);

		if (len && !ok && strncmp(text, "*** ", 4))
			err = msg_add(r, text, len);
		text += len + (text[len] == '\n');
	}
	return err;
}

/*
 * PRAGMA integrity_check: @errs gets its errors.  A store too corrupt for
 * integrity_check to finish is one more error, not a failure to check.
 */
static int integrity(struct store_checker *c, struct rows *errs)
{
	sqlite3_stmt *q;
	int rc, err = 0;

	memset(errs, 0, sizeof(*errs));
	rc = sqlite3_prepare_v2(c->s->db, "PRAGMA integrity_check", -1, &q,
				NULL);
	if (rc != SQLITE_OK)
		return store_err(c->s, rc, "integrity_check");
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = msg_split(errs, (const char *)sqlite3_column_text(q, 0));
	if (!err &&
	    ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB))
		err = msg_split(errs, sqlite3_errmsg(c->s->db));
	else if (!err && rc != SQLITE_DONE)
		err = store_err(c->s, rc, "integrity_check");
	sqlite3_finalize(q);
	if (err)
		rows_free(errs);
	return err;
}

static void integrity_report(struct store_checker *c, const struct rows *e)
{
	for (size_t i = 0; i < e->n; i++)
		say(c, STORE_CHECK_PROBLEM, "sqlite: %s", (char *)e->r[i].blob);
}

/* Whether all of @e are errors of indexes, which REINDEX rebuilds from
 * their tables. */
static bool index_errors(const struct rows *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strstr((char *)e->r[i].blob, " index "))
			return false;
	return true;
}

static int reindex(struct store_checker *c, const struct rows *e)
{
	struct rows left;
	int rc, err;

	rc = sqlite3_exec(c->s->db, "BEGIN IMMEDIATE; REINDEX; COMMIT", NULL,
			  NULL, NULL);
	if (rc != SQLITE_OK) {
		say(c, STORE_CHECK_FAILED, "sqlite: reindex: %s",
		    sqlite3_errmsg(c->s->db));
		sqlite3_exec(c->s->db, "ROLLBACK", NULL, NULL, NULL);
		return -EUCLEAN;
	}
	err = integrity(c, &left);
	if (!err && left.n) {
		say(c, STORE_CHECK_FAILED, "sqlite: errors left after reindex");
		err = -EUCLEAN;
	}
	rows_free(&left);
	for (size_t i = 0; !err && i < e->n; i++)
		say(c, STORE_CHECK_REPAIR, "sqlite: %s: index rebuilt",
		    (char *)e->r[i].blob);
	return err;
}

static int step_sqlite(struct store_checker *c)
{
	struct rows e;
	int err;

	err = integrity(c, &e);
	if (err || !e.n)
		return err;
	integrity_report(c, &e);
	err = c->repair && index_errors(&e) ? reindex(c, &e) : -EUCLEAN;
	rows_free(&e);
	return err;
}

/* ------------------------------------------------------------------ */
/* 2. Schema                                                          */
/* ------------------------------------------------------------------ */

static int begin(struct store_checker *c)
{
	int rc;

	rc = sqlite3_exec(c->s->db, c->repair ? "BEGIN IMMEDIATE" : "BEGIN",
			  NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		c->in_txn = true;
		rc = sqlite3_exec(c->s->db, temp_schema, NULL, NULL, NULL);
	}
	return rc == SQLITE_OK ? 0 : store_err(c->s, rc, "begin the check");
}

static int check_version(struct store_checker *c)
{
	char why[256];
	int err;

	if (c->version >= STORE_FORMAT_VERSION)
		return 0;
	say(c, STORE_CHECK_PROBLEM, "format version %d is older than %d",
	    c->version, STORE_FORMAT_VERSION);
	if (!c->repair)
		return 0;
	err = store_migrate(c->s, c->version, why, sizeof(why));
	if (err) {
		say(c, STORE_CHECK_FAILED, "upgrade to format version %d: %s",
		    STORE_FORMAT_VERSION, why);
		return -EUCLEAN;
	}
	c->version = STORE_FORMAT_VERSION;
	say(c, STORE_CHECK_REPAIR, "upgraded to format version %d",
	    STORE_FORMAT_VERSION);
	return 0;
}

static int object_exists(struct store_checker *c, const struct store_object *o,
			 bool *found)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(c->s->db,
				"SELECT 1 FROM main.sqlite_schema "
				"WHERE type = ?1 AND name = ?2",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_err(c->s, rc, "read the schema");
	sqlite3_bind_text(q, 1, o->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, o->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	*found = rc == SQLITE_ROW;
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(c->s, rc, "read the schema");
	return 0;
}

/* Re-creates @o; in a savepoint like every repair (the statements of
 * the steps are not prepared yet). */
static void object_make(struct store_checker *c, const struct store_object *o)
{
	int rc;

	rc = sqlite3_exec(c->s->db, "SAVEPOINT fix", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->s->db, o->sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		say(c, STORE_CHECK_FAILED,
		    "schema: %s '%s' created: not done (%s)", o->type, o->name,
		    sqlite3_errmsg(c->s->db));
		sqlite3_exec(c->s->db, "ROLLBACK TO fix", NULL, NULL, NULL);
	} else {
		say(c, STORE_CHECK_REPAIR, "schema: %s '%s' created", o->type,
		    o->name);
	}
	sqlite3_exec(c->s->db, "RELEASE fix", NULL, NULL, NULL);
}

/* The schema objects of @type ("table", "index", "trigger") the store's
 * format has; -EUCLEAN when a table of file system data is missing. */
static int check_objects(struct store_checker *c, const char *type)
{
	int err, fatal = 0;

	for (const struct store_object *o = store_schema; o->name; o++) {
		bool found = false;

		if (o->since > c->version || strcmp(o->type, type))
			continue;
		err = object_exists(c, o, &found);
		if (err)
			return err;
		if (found)
			continue;
		say(c, STORE_CHECK_PROBLEM, "schema: %s '%s' is missing",
		    o->type, o->name);
		if (!o->sql)
			fatal = -EUCLEAN;
		else if (c->repair)
			object_make(c, o);
	}
	return fatal;
}

static int check_chunk_size(struct store_checker *c)
{
	sqlite3_stmt *q;
	int64_t v = 0;
	int rc, type = SQLITE_NULL;

	rc = sqlite3_prepare_v2(c->s->db,
				"SELECT value FROM main.format "
				"WHERE key = 'chunk_size'",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_err(c->s, rc, "read the format");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		type = sqlite3_column_type(q, 0);
		v = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(c->s, rc, "read the format");
	if (type != SQLITE_INTEGER) {
		say(c, STORE_CHECK_PROBLEM, "format: chunk_size is %s",
		    type == SQLITE_NULL ? "missing" : "not an integer");
		return -EUCLEAN;
	}
	if (v < 4096 || v > (1 << 20) || (v & (v - 1))) {
		say(c, STORE_CHECK_PROBLEM,
		    "format: chunk_size %" PRId64
		    " is not a power of two from 4096 to 1048576",
		    v);
		return -EUCLEAN;
	}
	c->chunk_size = (uint32_t)v;
	return 0;
}

static int step_schema(struct store_checker *c)
{
	char why[256];
	int err;

	err = check_version(c);
	if (!err)
		err = begin(c);
	/* Tables first: a table dropped took its indexes and triggers. */
	if (!err)
		err = check_objects(c, "table");
	if (!err)
		err = check_objects(c, "index");
	if (!err)
		err = check_objects(c, "trigger");
	if (!err)
		err = check_chunk_size(c);
	if (!err)
		err = prepare_checks(c);
	if (!err && c->repair) {
		err = store_prepare(c->s, why, sizeof(why));
		if (err)
			say(c, STORE_CHECK_PROBLEM, "schema: %s", why);
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* 3. The root                                                        */
/* ------------------------------------------------------------------ */

static int step_root(struct store_checker *c)
{
	sqlite3_stmt *q = c->q[CQ_ROOT];
	int64_t mode = 0, parent = 0;
	int rc;

	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		mode = sqlite3_column_int64(q, 0);
		parent = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc == SQLITE_DONE) {
		/* Made in step 5, once its subdirectories are known. */
		say(c, STORE_CHECK_PROBLEM,
		    "inode 1: root directory does not exist");
		c->make_root = true;
		return 0;
	}
	if (rc != SQLITE_ROW)
		return store_err(c->s, rc, check_what[CQ_ROOT]);
	if (!S_ISDIR(mode)) {
		say(c, STORE_CHECK_PROBLEM,
		    "inode 1: root is not a directory (mode 0%" PRIo64 ")",
		    mode);
		return -EUCLEAN;
	}
	if (parent == GFS_ROOT_INO)
		return 0;
	say(c, STORE_CHECK_PROBLEM,
	    "inode 1: parent is %" PRId64 ", should be 1", parent);
	if (fix_begin(c))
		fix_end(c, RUN(c, CQ_SET_PARENT, GFS_ROOT_INO, GFS_ROOT_INO),
			"inode 1: parent set to 1");
	return 0;
}

/* ------------------------------------------------------------------ */
/* 4. Directory entries                                               */
/* ------------------------------------------------------------------ */

static int bad_entry(struct store_checker *c, const struct row *r)
{
	int64_t id = r->v[0], parent = r->v[1], ino = r->v[2];
	enum entry_why why = (enum entry_why)r->v[3];
	char name[300];
	int err;

	show_name(r->blob, r->len, name, sizeof(name));
	if (why == EW_NO_TARGET)
		say(c, STORE_CHECK_PROBLEM,
		    "entry %s in inode %" PRId64
		    ": names missing inode %" PRId64,
		    name, parent, ino);
	else
		say(c, STORE_CHECK_PROBLEM, "entry %s in inode %" PRId64 ": %s",
		    name, parent, entry_why_text[why]);
	err = why == EW_TEXT ? 0 : RUN(c, CQ_BAD_ADD, id, why);
	if (err || !fix_begin(c))
		return err;
	if (why == EW_TEXT)
		fix_end(c, RUN(c, CQ_ENTRY_TO_BLOB, id),
			"entry %s in inode %" PRId64 ": name stored as a blob",
			name, parent);
	else
		fix_end(c, RUN(c, CQ_ENTRY_DEL, id),
			"entry %s in inode %" PRId64 ": deleted", name, parent);
	return 0;
}

static int step_entries(struct store_checker *c)
{
	struct rows bad;
	int err;

	err = query(c, CQ_ENTRIES_BAD, 4, &bad);
	if (err)
		return err;
	/* Columns: id, parent, ino, why (from the CASE: 1 to 11), name. */
	for (size_t i = 0; !err && i < bad.n; i++) {
		assert(bad.r[i].v[3] > EW_OK && bad.r[i].v[3] <= EW_TEXT);
		err = bad_entry(c, &bad.r[i]);
	}
	rows_free(&bad);
	return err;
}

/* ------------------------------------------------------------------ */
/* 5. Link counts                                                     */
/* ------------------------------------------------------------------ */

/* Directory @ino has @n entries: it keeps the one in its parent (or the
 * oldest), the others are condemned. */
static int dir_names(struct store_checker *c, int64_t ino, int64_t n,
		     int64_t parent)
{
	struct rows e;
	char name[300];
	int err;

	say(c, STORE_CHECK_PROBLEM,
	    "inode %" PRId64 ": directory has %" PRId64 " entries", ino, n);
	err = rows_get(c, BIND(c, CQ_DIR_ENTRIES, ino, parent), CQ_DIR_ENTRIES,
		       3, &e);
	if (err || e.n < 2) {
		rows_free(&e);
		return err;
	}
	for (size_t i = 1; !err && i < e.n; i++)
		err = RUN(c, CQ_BAD_ADD, e.r[i].v[0], 0);
	if (!err)
		err = RUN(c, CQ_LINKS_SET, ino, e.r[0].v[1], e.r[0].v[0]);
	if (!err && fix_begin(c)) {
		for (size_t i = 1; !err && i < e.n; i++)
			err = RUN(c, CQ_ENTRY_DEL, e.r[i].v[0]);
		show_name(e.r[0].blob, e.r[0].len, name, sizeof(name));
		fix_end(c, err,
			"inode %" PRId64 ": kept entry %s in inode %" PRId64
			", deleted %zu other%s",
			ino, name, e.r[0].v[1], e.n - 1, e.n > 2 ? "s" : "");
		err = 0;
	}
	rows_free(&e);
	return err;
}

static int links_prepare(struct store_checker *c)
{
	struct rows m;
	int err;

	err = run0(c, CQ_LINKS_FILL);
	if (!err)
		err = query(c, CQ_DIRS_MULTI, -1, &m);
	if (err)
		return err;
	for (size_t i = 0; !err && i < m.n; i++)
		err = dir_names(c, m.r[i].v[0], m.r[i].v[1], m.r[i].v[2]);
	rows_free(&m);
	return err ? err : run0(c, CQ_KIDS_FILL);
}

static int root_make(struct store_checker *c)
{
	int64_t subdirs;
	int err;

	err = get_int(c, c->q[CQ_ROOT_SUBDIRS], CQ_ROOT_SUBDIRS, &subdirs);
	if (err || !fix_begin(c))
		return err;
	fix_end(c, make_dir(c, GFS_ROOT_INO, GFS_ROOT_INO, 0755, 2 + subdirs),
		"inode 1: root directory created");
	return 0;
}

static int dir_parents(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_DIR_PARENTS, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], was = r.r[i].v[1], is = r.r[i].v[2];

		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": parent is %" PRId64
		    ", its entry is in inode %" PRId64,
		    ino, was, is);
		if (fix_begin(c))
			fix_end(c, RUN(c, CQ_SET_PARENT, ino, is),
				"inode %" PRId64 ": parent set to %" PRId64,
				ino, is);
	}
	rows_free(&r);
	return err;
}

static int nlinks(struct store_checker *c, enum check_stmt id)
{
	struct rows r;
	int err;

	err = query(c, id, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], was = r.r[i].v[1], is = r.r[i].v[2];

		if (id == CQ_FILE_NLINKS)
			say(c, STORE_CHECK_PROBLEM,
			    "inode %" PRId64 ": nlink is %" PRId64 ", %" PRId64
			    " %s",
			    ino, was, is,
			    plural(is, "entry names it", "entries name it"));
		else
			say(c, STORE_CHECK_PROBLEM,
			    "inode %" PRId64 ": nlink is %" PRId64
			    ", should be %" PRId64 " (directory with %" PRId64
			    " %s)",
			    ino, was, is, is - 2,
			    plural(is - 2, "subdirectory", "subdirectories"));
		if (fix_begin(c))
			fix_end(c, RUN(c, CQ_SET_NLINK, ino, is),
				"inode %" PRId64 ": nlink set to %" PRId64, ino,
				is);
	}
	rows_free(&r);
	return err;
}

static int step_links(struct store_checker *c)
{
	int err;

	err = links_prepare(c);
	if (!err && c->make_root)
		err = root_make(c);
	if (!err)
		err = dir_parents(c);
	if (!err)
		err = nlinks(c, CQ_FILE_NLINKS);
	if (!err)
		err = nlinks(c, CQ_DIR_NLINKS);
	return err;
}

/* ------------------------------------------------------------------ */
/* 6. The tree                                                        */
/* ------------------------------------------------------------------ */

/* Index of directory @ino in @u (sorted by inode), or -1. */
static ssize_t find_dir(const struct rows *u, int64_t ino)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->r[mid].v[0] == ino)
			return (ssize_t)mid;
		if (u->r[mid].v[0] < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Breaks the cycle through directory @r: its entry goes, it goes to
 * lost+found, and its old parent loses a subdirectory. */
static void cycle_break(struct store_checker *c, const struct row *r,
			size_t len)
{
	int64_t ino = r->v[0], parent = r->v[1], id = r->v[2];
	int err;

	say(c, STORE_CHECK_PROBLEM,
	    "inode %" PRId64 ": in a cycle of %zu %s "
	    "detached from the root",
	    ino, len, plural((int64_t)len, "directory", "directories"));
	if (!c->repair)
		return;
	err = lost_found(c);
	if (!fix_begin(c))
		return;
	if (!err)
		err = RUN(c, CQ_ENTRY_DEL, id);
	if (!err)
		err = RUN(c, CQ_DIR_LINKS, parent, -1, store_now());
	if (!err)
		err = to_lost_found(c, ino, true);
	fix_end(c, err, "inode %" PRId64 ": moved to /" LOST_FOUND "/#%" PRId64,
		ino, ino);
}

/*
 * Unreached directories each have one parent (or none: the top of a
 * detached subtree, an orphan for step 7), so following parents from any
 * of them ends at such a top or goes round a cycle.  @state: 0 not seen,
 * 1 on the current path, 2 done.
 */
static void find_cycles(struct store_checker *c, const struct rows *u,
			unsigned char *state)
{
	for (size_t i = 0; i < u->n; i++) {
		ssize_t j = (ssize_t)i, k, low;
		size_t len = 0;

		while (j >= 0 && !state[j]) {
			state[j] = 1;
			j = find_dir(u, u->r[j].v[1]);
		}
		if (j >= 0 && state[j] == 1) {
			low = j;
			k = j;
			do {
				len++;
				if (u->r[k].v[0] < u->r[low].v[0])
					low = k;
				k = find_dir(u, u->r[k].v[1]);
			} while (k != j);
			cycle_break(c, &u->r[low], len);
		}
		for (j = (ssize_t)i; j >= 0 && state[j] == 1;
		     j = find_dir(u, u->r[j].v[1]))
			state[j] = 2;
	}
}

static int step_tree(struct store_checker *c)
{
	unsigned char *state;
	struct rows u;
	int err;

	err = run0(c, CQ_REACH_FILL);
	if (!err)
		err = query(c, CQ_UNREACHED, -1, &u);
	if (err)
		return err;
	state = calloc(u.n + 1, 1);
	if (!state)
		err = -ENOMEM;
	else
		find_cycles(c, &u, state);
	free(state);
	rows_free(&u);
	return err;
}

/* ------------------------------------------------------------------ */
/* 7. Orphans                                                         */
/* ------------------------------------------------------------------ */

static int orphan(struct store_checker *c, const struct row *r)
{
	int64_t ino = r->v[0], mode = r->v[1], nlink = r->v[2];
	bool dir = S_ISDIR(mode), kids = r->v[3];
	int err;

	say(c, STORE_CHECK_PROBLEM,
	    "inode %" PRId64 ": nlink is %" PRId64 ", no entry names it", ino,
	    nlink);
	if (nlink == 0 && !kids) {
		/* Unlinked while open, then a crash: what a mount sweeps. */
		err = RUN(c, CQ_GONE_ADD, ino);
		if (!err && fix_begin(c))
			fix_end(c, inode_delete(c, ino),
				"inode %" PRId64 ": reclaimed", ino);
		return err;
	}
	if (!c->repair)
		return 0;
	err = lost_found(c);
	if (fix_begin(c))
		fix_end(c, err ? err : to_lost_found(c, ino, dir),
			"inode %" PRId64 ": moved to /" LOST_FOUND "/#%" PRId64,
			ino, ino);
	return 0;
}

static int step_orphans(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_ORPHANS, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++)
		err = orphan(c, &r.r[i]);
	rows_free(&r);
	return err;
}

/* ------------------------------------------------------------------ */
/* 8. Data                                                            */
/* ------------------------------------------------------------------ */

static int chunks_stray(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_CHUNKS_STRAY, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], n = r.r[i].v[1], bytes = r.r[i].v[2];
		bool missing = r.r[i].v[3];

		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": %s but has %" PRId64 " %s", ino,
		    missing ? "does not exist" : "is not a regular file", n,
		    plural(n, "chunk", "chunks"));
		if (!fix_begin(c))
			continue;
		err = RUN(c, CQ_CHUNKS_DEL_ALL, ino);
		if (!err && !missing)
			err = RUN(c, CQ_SUB_ALLOC, ino, bytes);
		fix_end(c, err, "inode %" PRId64 ": %" PRId64 " %s deleted",
			ino, n, plural(n, "chunk", "chunks"));
		err = 0;
	}
	rows_free(&r);
	return err;
}

/* The bytes chunk @idx of a file of @size may hold (invariant 1). */
static int64_t chunk_room(int64_t idx, int64_t size, uint32_t cs)
{
	if (idx < 0 || size <= 0 || idx > (size - 1) / cs)
		return 0;
	return size - idx * cs < cs ? size - idx * cs : cs;
}

static void chunk_bad(struct store_checker *c, const struct row *r)
{
	int64_t ino = r->v[0], idx = r->v[1], len = r->v[2], size = r->v[3];
	int64_t room = chunk_room(idx, size, c->chunk_size);
	int err;

	if (len <= room)
		return;
	if (idx < 0)
		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": chunk %" PRId64 " has a negative index",
		    ino, idx);
	else if (len > c->chunk_size)
		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": chunk %" PRId64 " is %" PRId64
		    " bytes, more than the chunk size %" PRIu32,
		    ino, idx, len, c->chunk_size);
	else
		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": chunk %" PRId64
		    " holds bytes past the file size %" PRId64,
		    ino, idx, size);
	if (!fix_begin(c))
		return;
	err = room ? RUN(c, CQ_CHUNK_TRIM, ino, idx, room)
		   : RUN(c, CQ_CHUNK_DEL, ino, idx);
	if (!err)
		err = RUN(c, CQ_SUB_ALLOC, ino, len - room);
	if (room)
		fix_end(c, err,
			"inode %" PRId64 ": chunk %" PRId64
			" trimmed to %" PRId64 " bytes",
			ino, idx, room);
	else
		fix_end(c, err, "inode %" PRId64 ": chunk %" PRId64 " deleted",
			ino, idx);
}

static int chunks_bad(struct store_checker *c)
{
	struct rows r;
	int err;

	err = rows_get(c, BIND(c, CQ_CHUNKS_BAD, c->chunk_size), CQ_CHUNKS_BAD,
		       -1, &r);
	for (size_t i = 0; !err && i < r.n; i++)
		chunk_bad(c, &r.r[i]);
	rows_free(&r);
	return err;
}

static int allocs(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_ALLOC_BAD, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], was = r.r[i].v[1], is = r.r[i].v[2];

		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": alloc is %" PRId64
		    ", its chunks hold %" PRId64 " %s",
		    ino, was, is, plural(is, "byte", "bytes"));
		if (fix_begin(c))
			fix_end(c, RUN(c, CQ_SET_ALLOC, ino, is),
				"inode %" PRId64 ": alloc set to %" PRId64, ino,
				is);
	}
	rows_free(&r);
	return err;
}

/* alloc first: the chunk repairs then keep it equal to the chunks, so
 * that a check and a repair report the same alloc. */
static int step_data(struct store_checker *c)
{
	int err = allocs(c);

	if (!err)
		err = chunks_stray(c);
	return err ? err : chunks_bad(c);
}

/* ------------------------------------------------------------------ */
/* 9. Symlinks and xattrs                                             */
/* ------------------------------------------------------------------ */

/* A symlink without a target cannot be read: it goes, with its entries
 * (as fsck(8) clears an invalid symlink). */
static int symlinks_empty(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_LNK_NO_TARGET, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], n;

		say(c, STORE_CHECK_PROBLEM, "inode %" PRId64 ": symlink %s",
		    ino, r.r[i].v[1] ? "has no target" : "target is empty");
		err = RUN(c, CQ_GONE_ADD, ino);
		if (err || !fix_begin(c))
			continue;
		err = RUN(c, CQ_ENTRY_DEL_INO, ino);
		n = sqlite3_changes(c->s->db);
		if (!err)
			err = inode_delete(c, ino);
		fix_end(c, err,
			"inode %" PRId64 ": deleted with %" PRId64 " %s", ino,
			n, plural(n, "entry", "entries"));
		err = 0;
	}
	rows_free(&r);
	return err;
}

static int symlinks_size(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_LNK_SIZE, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], was = r.r[i].v[1], is = r.r[i].v[2];

		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": size is %" PRId64
		    ", its target is %" PRId64 " %s",
		    ino, was, is, plural(is, "byte", "bytes"));
		if (fix_begin(c))
			fix_end(c, RUN(c, CQ_SET_SIZE, ino, is),
				"inode %" PRId64 ": size set to %" PRId64, ino,
				is);
	}
	rows_free(&r);
	return err;
}

/* Symlink targets of inodes that are missing or not symlinks. */
static int targets_stray(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_LNK_STRAY, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0];
		bool missing = r.r[i].v[1];

		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": %s but has a "
		    "symlink target",
		    ino, missing ? "does not exist" : "is not a symlink");
		if (fix_begin(c))
			fix_end(c, RUN(c, CQ_LNK_DEL, ino),
				"inode %" PRId64 ": symlink target deleted",
				ino);
	}
	rows_free(&r);
	return err;
}

static int xattrs_stray(struct store_checker *c)
{
	struct rows r;
	int err;

	err = query(c, CQ_XATTR_STRAY, -1, &r);
	for (size_t i = 0; !err && i < r.n; i++) {
		int64_t ino = r.r[i].v[0], n = r.r[i].v[1];
		const char *what = plural(n, "xattr", "xattrs");

		say(c, STORE_CHECK_PROBLEM,
		    "inode %" PRId64 ": does not exist "
		    "but has %" PRId64 " %s",
		    ino, n, what);
		if (fix_begin(c))
			fix_end(c, RUN(c, CQ_XATTR_DEL, ino),
				"inode %" PRId64 ": %" PRId64 " %s deleted",
				ino, n, what);
	}
	rows_free(&r);
	return err;
}

static int step_extras(struct store_checker *c)
{
	int err = symlinks_empty(c);

	if (!err)
		err = symlinks_size(c);
	if (!err)
		err = targets_stray(c);
	return err ? err : xattrs_stray(c);
}

/* ------------------------------------------------------------------ */
/* The API                                                            */
/* ------------------------------------------------------------------ */

static void report_nowhere(void *ctx, enum store_check_line kind,
			   const char *line)
{
}

int store_check_open(const char *path, bool repair, store_check_fn fn,
		     void *ctx, struct store_checker **out, char *why,
		     size_t whylen)
{
	struct store_params p = {
		.path = path,
		.readonly = !repair,
		.cache_kib = 64 * 1024,
	};
	struct store_checker *c;
	int err;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	c->repair = repair;
	c->fn = fn ? fn : report_nowhere;
	c->ctx = ctx;
	err = store_open_check(&p, &c->s, &c->version, why, whylen);
	/* Repairs are few and rare: each commit waits for the disk. */
	if (!err && repair &&
	    sqlite3_exec(c->s->db, "PRAGMA synchronous = FULL", NULL, NULL,
			 NULL) != SQLITE_OK)
		err = (snprintf(why, whylen, "%s", sqlite3_errmsg(c->s->db)),
		       -EIO);
	if (err) {
		store_check_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int store_check_step(struct store_checker *c, enum store_check_step step)
{
	static int (*const steps[STORE_CHECK_STEPS])(struct store_checker *) = {
		[STORE_CHECK_SQLITE] = step_sqlite,
		[STORE_CHECK_SCHEMA] = step_schema,
		[STORE_CHECK_ROOT] = step_root,
		[STORE_CHECK_ENTRIES] = step_entries,
		[STORE_CHECK_LINKS] = step_links,
		[STORE_CHECK_TREE] = step_tree,
		[STORE_CHECK_ORPHANS] = step_orphans,
		[STORE_CHECK_DATA] = step_data,
		[STORE_CHECK_EXTRAS] = step_extras,
	};

	assert(step == (enum store_check_step)c->next);
	c->next++;
	if (!c->dead)
		c->dead = steps[step](c);
	return c->dead;
}

int store_check_finish(struct store_checker *c)
{
	struct rows e;
	int rc, err;

	if (!c->in_txn)
		return 0;
	c->in_txn = false;
	if (!c->repair) {
		sqlite3_exec(c->s->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	rc = sqlite3_exec(c->s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		err = store_err(c->s, rc, "commit the repairs");
		sqlite3_exec(c->s->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	if (!c->repaired)
		return 0;
	err = integrity(c, &e);
	if (!err)
		integrity_report(c, &e);
	rows_free(&e);
	return err;
}

void store_check_counts(const struct store_checker *c, unsigned long *found,
			unsigned long *repaired)
{
	*found = c->found;
	*repaired = c->repaired;
}

void store_check_close(struct store_checker *c)
{
	if (!c)
		return;
	if (c->in_txn)
		sqlite3_exec(c->s->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < CQ_COUNT; i++)
		sqlite3_finalize(c->q[i]);
	store_close(c->s);
	free(c);
}

const char *store_check_step_name(enum store_check_step step)
{
	return step < STORE_CHECK_STEPS ? step_names[step] : "?";
}
