// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store.c - the SQLite store: opening and validating a store file, the
 * schema and its migrations, prepared statements, group-commit
 * transactions and the mapping of SQLite errors to errno.
 *
 * Layer: below the FUSE handlers, above SQLite.  No FUSE header here; the
 * unit tests run this file on ":memory:".  SQLite result codes never leave
 * the store*.c files: store_err() is the one place they become errno.
 *
 * Durability model.  Every mutating request runs inside one long write
 * transaction, the batch.  The batch is committed by the commit
 * thread once it is commit_ms old or holds STORE_BATCH_MAX_BYTES, and at
 * once by store_sync() (fsync, fsyncdir) and store_close().  The store runs
 * in WAL mode with synchronous=NORMAL: a commit writes the WAL but does not
 * sync it, so what was committed survives a crash of the daemon; then
 * store_sync() makes it survive power loss with one fdatasync of the WAL,
 * done without the store lock so that other requests go on meanwhile.
 * (synchronous=FULL would sync at every group commit, which holds the
 * lock: measured, it stalled every request for the sync's duration.)
 * Checkpoints run on a second connection in the commit thread, off the
 * request path; SQLite syncs the WAL before and the database after each.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store_int.h"

#define DEFAULT_CHUNK_SIZE (64u << 10)
#define DEFAULT_PAGE_SIZE 65536u
#define BUSY_TIMEOUT_MS 2000
#define CAPS_COUNT_SQL \
	"SELECT count(*) FROM xattrs WHERE name = CAST('" XATTR_CAPS "' AS BLOB)"
/* WAL size that makes the commit thread checkpoint in the background, and
 * the size at which it checkpoints under the lock to bound the file. */
#define CKPT_SOFT_BYTES (64LL << 20)
#define CKPT_HARD_BYTES (512LL << 20)

static void checkpointed(struct store *s, int nlog, int nckpt);
static int open_sweep(struct store *s, bool trim, char *why, size_t whylen);

/* ------------------------------------------------------------------ */
/* Schema and migrations                                              */
/* ------------------------------------------------------------------ */

/*
 * Format 1: the tables.  Directories record their parent (for ".." and the
 * rename cycle check); dirents get a rowid so readdir can resume from a
 * cookie; chunks are keyed by (ino, idx) and may be shorter than the chunk
 * size: missing bytes and missing chunks read as zeros.  alloc is the sum
 * of the inode's chunk lengths, for st_blocks.
 */
static const char schema_v1[] =
	"CREATE TABLE format (key TEXT PRIMARY KEY NOT NULL, value NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE inodes ("
	" ino INTEGER PRIMARY KEY,"
	" mode INTEGER NOT NULL,"
	" nlink INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" gid INTEGER NOT NULL,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" alloc INTEGER NOT NULL DEFAULT 0,"
	" rdev INTEGER NOT NULL DEFAULT 0,"
	" parent INTEGER,"
	" atime INTEGER NOT NULL,"
	" mtime INTEGER NOT NULL,"
	" ctime INTEGER NOT NULL);"
	"CREATE TABLE dirents ("
	" id INTEGER PRIMARY KEY,"
	" parent INTEGER NOT NULL,"
	" name BLOB NOT NULL,"
	" ino INTEGER NOT NULL,"
	" UNIQUE (parent, name));"
	"CREATE INDEX dirents_by_parent ON dirents (parent);"
	"CREATE TABLE chunks ("
	" ino INTEGER NOT NULL,"
	" idx INTEGER NOT NULL,"
	" data BLOB NOT NULL,"
	" PRIMARY KEY (ino, idx)) WITHOUT ROWID;"
	"CREATE TABLE symlinks ("
	" ino INTEGER PRIMARY KEY,"
	" target BLOB NOT NULL);"
	"CREATE TABLE xattrs ("
	" ino INTEGER NOT NULL,"
	" name BLOB NOT NULL,"
	" value BLOB NOT NULL,"
	" PRIMARY KEY (ino, name)) WITHOUT ROWID;";

/*
 * Format 2: a change log written by triggers, so that a running daemon
 * learns what another connection (the sqlite3 shell, a script) changed
 * and can invalidate the kernel's caches.  The daemon's own connections
 * run with triggers disabled (SQLITE_DBCONFIG_ENABLE_TRIGGER), so the log
 * costs nothing on the request path.
 */
#define CHANGELOG_TABLE_SQL \
	"CREATE TABLE changelog (" \
	" seq INTEGER PRIMARY KEY AUTOINCREMENT," \
	" ino INTEGER," \
	" parent INTEGER," \
	" name BLOB);"
#define LOG_INO(row) " INSERT INTO changelog (ino) VALUES (" row ".ino);"
#define LOG_ENTRY(row) \
	" INSERT INTO changelog (ino, parent, name)" \
	" VALUES (" row ".ino, " row ".parent, " row ".name);"
/* X(name, event, table, body): one trigger, "changelog_" name.  Each is
 * also in store_schema[], for glassfs check to re-create. */
#define CHANGELOG_TRIGGERS(X) \
	X(chunks_ins, "INSERT", "chunks", LOG_INO("NEW")) \
	X(chunks_upd, "UPDATE", "chunks", LOG_INO("NEW")) \
	X(chunks_del, "DELETE", "chunks", LOG_INO("OLD")) \
	X(inodes_upd, "UPDATE", "inodes", LOG_INO("NEW")) \
	X(inodes_del, "DELETE", "inodes", LOG_INO("OLD")) \
	X(symlinks, "UPDATE", "symlinks", LOG_INO("NEW")) \
	X(xattrs_ins, "INSERT", "xattrs", LOG_INO("NEW")) \
	X(xattrs_upd, "UPDATE", "xattrs", LOG_INO("NEW")) \
	X(xattrs_del, "DELETE", "xattrs", LOG_INO("OLD")) \
	X(dirents_ins, "INSERT", "dirents", LOG_ENTRY("NEW")) \
	X(dirents_del, "DELETE", "dirents", LOG_ENTRY("OLD")) \
	X(dirents_upd, "UPDATE", "dirents", LOG_ENTRY("OLD") LOG_ENTRY("NEW"))
#define TRIGGER_SQL(name, event, table, body) \
	"CREATE TRIGGER changelog_" #name " AFTER " event " ON " table \
	" BEGIN" body " END;"

static const char schema_v2[] =
	CHANGELOG_TABLE_SQL CHANGELOG_TRIGGERS(TRIGGER_SQL);

/*
 * Format 3: directory entries by inode, so that an inode's path can be
 * found (the request trace names files by inode: fsinspect asks the
 * daemon for paths) without scanning every entry.
 */
#define DIRENTS_BY_INO_SQL "CREATE INDEX dirents_by_ino ON dirents (ino);"
static const char schema_v3[] = DIRENTS_BY_INO_SQL;

/* migrations[i] takes a store from format i to format i + 1. */
static const char *const migrations[] = {
	schema_v1,
	schema_v2,
	schema_v3,
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       STORE_FORMAT_VERSION,
	       "one migration per format version");

#define TRIGGER_OBJECT(name, event, table, body) \
	{ "trigger", "changelog_" #name, 2, \
	  TRIGGER_SQL(name, event, table, body) },

/* The tables and triggers a store of the current format must have, each
 * with the format that introduced it, and the SQL that re-creates those
 * that hold no file system data; NULL-terminated. */
const struct store_object store_schema[] = {
	{ "table", "format", 1, NULL },
	{ "table", "inodes", 1, NULL },
	{ "table", "dirents", 1, NULL },
	{ "table", "chunks", 1, NULL },
	{ "table", "symlinks", 1, NULL },
	{ "table", "xattrs", 1, NULL },
	{ "table", "changelog", 2, CHANGELOG_TABLE_SQL },
	CHANGELOG_TRIGGERS(TRIGGER_OBJECT)
	{ "index", "dirents_by_ino", 3, DIRENTS_BY_INO_SQL },
	{ NULL, NULL, 0, NULL },
};

/* ------------------------------------------------------------------ */
/* Errors, time, statements                                           */
/* ------------------------------------------------------------------ */

int store_err(struct store *s, int rc, const char *what)
{
	int err;

	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		err = -EIO;
		break;
	case SQLITE_FULL:
		err = -ENOSPC;
		break;
	case SQLITE_READONLY:
		err = -EROFS;
		break;
	case SQLITE_NOMEM:
		err = -ENOMEM;
		break;
	case SQLITE_TOOBIG:
		err = -EFBIG;
		break;
	default:
		err = -EIO;
		break;
	}
	gfs_log(GFS_LOG_ERR, "store: %s: %s (%s)", what,
		sqlite3_errmsg(s->db), strerror(-err));
	return err;
}

/* The kernel stamps files with its coarse clock (current_time()); with
 * the write-back cache it sends those times itself.  Reading the same
 * clock keeps the daemon's and the kernel's stamps in order. */
int64_t store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts_ns(&ts);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
	return s->stmt[id];
}

/* Steps @q to completion and resets it. */
int run(struct store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return store_err(s, rc, what);
}

/* Time each thread spends holding the store lock, that is, in SQLite:
 * the request trace reports it per request (store_thread_ns()). */
static __thread uint64_t tls_sql_ns;
static __thread int64_t tls_locked_at;

void store_lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	tls_locked_at = mono_ns();
}

void store_unlock(struct store *s)
{
	tls_sql_ns += (uint64_t)(mono_ns() - tls_locked_at);
	pthread_mutex_unlock(&s->lock);
}

uint64_t store_thread_ns(void)
{
	return tls_sql_ns;
}

static const char *const stmt_sql[STMT_COUNT] = {
#define X(id, sql) [STMT_##id] = sql,
	STORE_STMTS(X)
#undef X
};

static int prepare_all(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return store_err(s, rc, stmt_sql[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Batches: one write transaction for the requests of commit_ms      */
/* ------------------------------------------------------------------ */

static void batch_lost(struct store *s, int err)
{
	gfs_log(GFS_LOG_ERR,
		"store: a batch of %" PRIu64 " bytes could not be committed "
		"(%s); changes since the last commit are lost",
		s->batch_bytes, strerror(-err));
	blog_lose(s, err);
	inoset_clear(&s->batch_inos);
	s->in_batch = false;
	s->batch_bytes = 0;
}

/* @ino was changed by the open batch: kept for the read path
 * (store_data.c), which must not read it committed, and logged once for
 * the day the batch is lost. */
void batch_changed(struct store *s, uint64_t ino)
{
	if (inoset_add(&s->batch_inos, ino))
		blog_ino(&s->batch_log, ino);
}

static void event(struct store *s, enum store_event ev, uint64_t bytes,
		  int64_t t0, int result)
{
	if (s->on_event)
		s->on_event(s->event_ctx, ev, bytes, (uint64_t)t0, result);
}

void store_set_events(struct store *s, store_event_fn fn, void *ctx)
{
	store_lock(s);
	s->on_event = fn;
	s->event_ctx = ctx;
	store_unlock(s);
}

/* Rows of the change log already reported by store_changes() go with the
 * batch: the watcher's own connection never writes. */
static int changelog_trim(struct store *s)
{
	sqlite3_stmt *q = stmt(s, STMT_CHANGELOG_TRIM);
	int err;

	if (s->clog_seen <= s->clog_trimmed)
		return 0;
	sqlite3_bind_int64(q, 1, s->clog_seen);
	err = run(s, q, "trim change log");
	if (!err)
		s->clog_trimmed = s->clog_seen;
	return err;
}

/* Commits the open batch.  Caller holds s->lock. */
static int batch_commit(struct store *s, bool forced)
{
	int64_t t0 = mono_ns();
	uint64_t bytes = s->batch_bytes;
	int err;

	if (!s->in_batch)
		return 0;
	err = changelog_trim(s);
	if (!err)
		err = run(s, stmt(s, STMT_COMMIT), "commit");
	event(s, forced ? STORE_EV_SYNC : STORE_EV_COMMIT, bytes, t0, err);
	if (err) {
		if (!sqlite3_get_autocommit(s->db))
			run(s, stmt(s, STMT_ROLLBACK), "rollback");
		batch_lost(s, err);
		return err;
	}
	s->in_batch = false;
	s->batch_bytes = 0;
	blog_reset(&s->batch_log);
	inoset_clear(&s->batch_inos);
	s->commits++;
	s->unsynced = true;
	if (forced)
		s->syncs++;
	return 0;
}

/*
 * Makes every committed transaction durable: fdatasync of the WAL file,
 * which holds each committed frame since the last checkpoint (SQLite
 * synced the WAL before checkpointing the others).  The WAL keeps its
 * inode while any connection is open, so the descriptor stays valid;
 * closing it drops no lock (SQLite locks the -shm file and the database).
 * Called without s->lock.
 */
static int wal_sync(struct store *s)
{
	char wal[PATH_MAX];
	int fd, err = 0;

	store_lock(s);
	if (!s->unsynced || !s->dir) {
		store_unlock(s);
		return 0;
	}
	s->unsynced = false;
	if (s->wal_fd < 0) {
		snprintf(wal, sizeof(wal), "%s-wal", s->path);
		s->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
		if (s->wal_fd < 0)
			err = -errno;
	}
	fd = s->wal_fd;
	store_unlock(s);
	if (!err && fdatasync(fd) < 0)
		err = -errno;
	if (err) {
		/* After a failed fdatasync the kernel may have marked the
		 * pages clean: a retry that succeeds would prove nothing
		 * ("fsyncgate").  Every later fsync fails until the daemon
		 * restarts and SQLite re-reads the WAL from the disk. */
		gfs_log(GFS_LOG_ERR, "store: cannot sync the WAL of '%s': %s; "
			"fsync will fail until glassfs is restarted",
			s->path, strerror(-err));
		store_lock(s);
		s->sync_err = err;
		store_unlock(s);
	}
	return err;
}

/* Room kept free on the store's file system for commits, checkpoints and
 * the requests that free space (a delete needs a few pages of WAL). */
#define SPACE_RESERVE (8ull << 20)

/* What a request adding @adds bytes may come to need on disk: the WAL
 * frames not yet copied into the database (a checkpoint will grow the
 * database by up to that much), the open batch (its commit goes to the
 * WAL), the new bytes twice (WAL, then database), and the reserve. */
static uint64_t space_need(const struct store *s, int64_t adds)
{
	uint64_t pending = (uint64_t)(s->wal_frames - s->wal_ckpt) *
			   s->page_size;

	return pending + s->batch_bytes + 2 * (uint64_t)adds +
	       (adds ? SPACE_RESERVE : SPACE_RESERVE / 2);
}

/* Room for new data: the store's file system's free space, and the free
 * pages inside the database (deleted files), which SQLite reuses first. */
static int read_free(struct store *s, int64_t now)
{
	sqlite3_stmt *q = stmt(s, STMT_FREELIST);
	struct statvfs v;
	int64_t pages = 0;

	if (statvfs(s->dir, &v) < 0)
		return -errno;
	if (sqlite3_step(q) == SQLITE_ROW)
		pages = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	s->free_bytes = (uint64_t)(geteuid() ? v.f_bavail : v.f_bfree) *
				v.f_frsize +
			(uint64_t)pages * s->page_size;
	s->free_at = now;
	return 0;
}

/* Near full: commit, copy the whole WAL into the database and truncate
 * it, so that what is pending no longer counts twice.  Lock held. */
static void make_room(struct store *s)
{
	int64_t t0 = mono_ns();
	int rc, nlog = 0, nckpt = 0;

	if (batch_commit(s, false))
		return;
	rc = sqlite3_wal_checkpoint_v2(s->db, "main",
				       SQLITE_CHECKPOINT_TRUNCATE, &nlog,
				       &nckpt);
	if (rc == SQLITE_OK)
		checkpointed(s, nlog, nckpt);
	event(s, STORE_EV_CHECKPOINT, 0, t0, rc == SQLITE_OK ? 0 : -ENOSPC);
}

/*
 * Refuses, with ENOSPC, a request the store's file system has no room for.
 * SQLite finds a full disk only when the batch is committed, and a failed
 * commit loses the whole batch, every file's; so space is checked up front,
 * like a kernel file system reserving blocks at write(2) time.  Lock held.
 */
static int space_check(struct store *s, int64_t adds)
{
	int64_t now = mono_ns();

	if (adds == WOP_FREES || !s->dir)
		return 0;
	/* Metadata requests come by the thousand: look every 50 ms, or at
	 * once when the last figure was close. */
	if ((adds || now - s->free_at > 50000000 ||
	     s->free_bytes < 4 * space_need(s, adds)) &&
	    read_free(s, now))
		return 0; /* nothing known: let SQLite tell */
	if (s->free_bytes >= space_need(s, adds))
		return 0;
	make_room(s);
	if (read_free(s, now))
		return 0;
	return s->free_bytes >= space_need(s, adds) ? 0 : -ENOSPC;
}

/*
 * Starts a mutating request: takes the lock, checks the room it needs and
 * opens the batch if none is open.  Every wop_begin() is paired with one
 * wop_end(), which drops the lock.
 *
 * A request has no savepoint of its own.  SQLite copies every page a
 * savepoint's request touches into a sub-journal, 64 KiB each: measured,
 * that was half of the daemon's CPU time for create, rename and unlink
 * (10,000 of each, 5.9 s -> 3.0 s without).  Instead, invariant: a request
 * finds every error it answers (EEXIST, ENOTEMPTY, ENODATA ...) before its
 * first change; what can fail after a change is the storage itself (full
 * disk or I/O error while SQLite spills its cache, out of memory).  SQLite
 * undoes a failing statement alone, or the whole transaction; wop_end()
 * undoes the whole batch when a request fails after it changed rows, so
 * that no request is ever left half done.
 */
int wop_begin(struct store *s, int64_t adds)
{
	int err;

	store_lock(s);
	if (s->readonly) {
		err = -EROFS;
		goto out_unlock;
	}
	err = space_check(s, adds);
	if (err)
		goto out_unlock;
	if (!s->in_batch) {
		err = run(s, stmt(s, STMT_BEGIN), "begin");
		if (err)
			goto out_unlock;
		s->in_batch = true;
		s->batch_start = mono_ns();
		pthread_cond_signal(&s->wake);
	}
	s->wop_changes = sqlite3_total_changes64(s->db);
	return 0;

out_unlock:
	store_unlock(s);
	return err;
}

int wop_end(struct store *s, int err)
{
	if (err && !sqlite3_get_autocommit(s->db) &&
	    sqlite3_total_changes64(s->db) != s->wop_changes) {
		gfs_log(GFS_LOG_ERR, "store: a request failed after it "
			"changed the store (%s); the batch is rolled back",
			strerror(-err));
		run(s, stmt(s, STMT_ROLLBACK), "rollback");
	}
	if (sqlite3_get_autocommit(s->db)) {
		/* SQLite rolled the whole transaction back (I/O error, full
		 * disk while spilling the cache), or the lines above did:
		 * the batch is gone. */
		batch_lost(s, err ? err : -EIO);
	} else if (s->batch_bytes >= STORE_BATCH_MAX_BYTES) {
		int cerr = batch_commit(s, false);

		if (!err)
			err = cerr;
	}
	store_unlock(s);
	return err;
}

int store_sync(struct store *s, uint64_t ino)
{
	int err, lost;

	store_lock(s);
	err = batch_commit(s, true);
	/* A batch lost now or earlier that held @ino: reported once. */
	lost = lost_take(s, ino);
	if (!err)
		err = lost ? lost : s->sync_err;
	store_unlock(s);
	return err ? err : wal_sync(s);
}

/* ------------------------------------------------------------------ */
/* The commit thread                                                  */
/* ------------------------------------------------------------------ */

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	/* Called under s->lock, from COMMIT.  Fewer frames than before: the
	 * WAL was restarted from its beginning after a full checkpoint. */
	if (frames < s->wal_frames)
		s->wal_ckpt = 0;
	s->wal_frames = frames;
	return SQLITE_OK;
}

/* After a checkpoint reported @nckpt of @nlog frames copied.  Lock held. */
static void checkpointed(struct store *s, int nlog, int nckpt)
{
	if (nlog == 0 && nckpt == 0)
		s->wal_frames = s->wal_ckpt = 0; /* truncated */
	else if (nckpt > s->wal_ckpt && nckpt <= s->wal_frames)
		s->wal_ckpt = nckpt;
}

static void checkpoint(struct store *s)
{
	int64_t wal = (int64_t)s->wal_frames * s->page_size, t0 = mono_ns();
	int rc, nlog = 0, nckpt = 0;

	if (wal < CKPT_SOFT_BYTES)
		return;
	if (wal >= CKPT_HARD_BYTES) {
		/* Writers outran the background checkpoints: bound the WAL
		 * now, with requests waiting on the lock. */
		rc = sqlite3_wal_checkpoint_v2(s->db, "main",
					       SQLITE_CHECKPOINT_RESTART,
					       &nlog, &nckpt);
		if (rc == SQLITE_OK)
			checkpointed(s, nlog, nckpt);
		else if (rc != SQLITE_BUSY)
			store_err(s, rc, "checkpoint");
		event(s, STORE_EV_CHECKPOINT, (uint64_t)wal, t0,
		      rc == SQLITE_OK ? 0 : -EBUSY);
		return;
	}
	store_unlock(s);
	rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, "main",
				       SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		gfs_log(GFS_LOG_WARNING, "store: background checkpoint: %s",
			sqlite3_errmsg(s->ckpt_db));
	store_lock(s);
	if (rc == SQLITE_OK)
		checkpointed(s, nlog, nckpt);
	event(s, STORE_EV_CHECKPOINT, (uint64_t)wal, t0,
	      rc == SQLITE_OK ? 0 : -EBUSY);
}

static void *commit_main(void *arg)
{
	struct store *s = arg;

	store_lock(s);
	while (!s->stopping) {
		int64_t due = s->batch_start + (int64_t)s->commit_ms * 1000000;
		struct timespec ts;

		if (!s->in_batch) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		if (mono_ns() < due) {
			ts.tv_sec = due / 1000000000;
			ts.tv_nsec = due % 1000000000;
			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
			continue;
		}
		batch_commit(s, false);
		checkpoint(s);
	}
	store_unlock(s);
	return NULL;
}

static int64_t query_int(sqlite3 *db, const char *sql, int *rcp);
static int64_t step_int(sqlite3_stmt *q, int *rc);
static uint64_t file_size(const char *path);

/* The watcher's connection: reads only, so it works on read-only mounts
 * too; triggers off like every connection of ours. */
static int watch_open(struct store *s)
{
	int flags = SQLITE_OPEN_NOMUTEX |
		    (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	int rc;

	rc = sqlite3_open_v2(s->path, &s->watch_db, flags, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->watch_db, "PRAGMA data_version", -1,
					SQLITE_PREPARE_PERSISTENT,
					&s->watch_version, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->watch_db,
					"SELECT seq, ino, parent, name FROM "
					"changelog WHERE seq > ?1 ORDER BY seq "
					"LIMIT 4096",
					-1, SQLITE_PREPARE_PERSISTENT,
					&s->watch_list, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->watch_db,
					"SELECT max(ino) FROM inodes", -1,
					SQLITE_PREPARE_PERSISTENT,
					&s->watch_max, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(s->watch_db, CAPS_COUNT_SQL, -1,
					SQLITE_PREPARE_PERSISTENT,
					&s->watch_caps, NULL);
	if (rc != SQLITE_OK) {
		gfs_log(GFS_LOG_ERR, "store: watcher connection: %s",
			s->watch_db ? sqlite3_errmsg(s->watch_db)
				    : sqlite3_errstr(rc));
		return -EIO;
	}
	sqlite3_busy_timeout(s->watch_db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(s->watch_db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0,
			  NULL);
	/* Rows from before this mount (left by a read-only mount, which
	 * cannot trim) concern no cached state. */
	s->clog_seen = query_int(s->watch_db,
				 "SELECT coalesce(max(seq), 0) FROM changelog",
				 &rc);
	s->data_version = step_int(s->watch_version, &rc);
	return 0;
}

int store_start(struct store *s)
{
	pthread_condattr_t ca;
	int rc, err;

	/* Immutable (read-only media): nobody can change it, no watcher. */
	if (!s->dir || s->immutable)
		return 0;
	err = watch_open(s);
	if (err || s->readonly)
		return err;
	rc = sqlite3_open_v2(s->path, &s->ckpt_db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		gfs_log(GFS_LOG_ERR, "store: checkpoint connection: %s",
			sqlite3_errstr(rc));
		return -EIO;
	}
	sqlite3_busy_timeout(s->ckpt_db, BUSY_TIMEOUT_MS);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&s->wake);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&s->thread, NULL, commit_main, s);
	if (rc)
		return -rc;
	s->started = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Changes made by other connections                                  */
/* ------------------------------------------------------------------ */

static int64_t step_int(sqlite3_stmt *q, int *rc)
{
	int64_t v = 0;

	*rc = sqlite3_step(q);
	if (*rc == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return v;
}

/* Another connection may have created inodes (never hand out theirs)
 * or given files capabilities. */
static void refresh_counts(struct store *s)
{
	int rc;
	int64_t max = step_int(s->watch_max, &rc);

	if (rc == SQLITE_ROW) {
		store_lock(s);
		if ((uint64_t)max >= s->next_ino)
			s->next_ino = (uint64_t)max + 1;
		store_unlock(s);
	}
	if (step_int(s->watch_caps, &rc) > 0 || rc != SQLITE_ROW)
		__atomic_store_n(&s->caps_possible, true, __ATOMIC_RELAXED);
}

int store_changes(struct store *s, store_change_fn fn, void *ctx)
{
	struct store_change c;
	int64_t version, seen;
	int rc, rows = 0;

	lost_drain(s, fn, ctx);
	if (!s->watch_db)
		return -EINVAL;
	version = step_int(s->watch_version, &rc);
	if (rc != SQLITE_ROW)
		return -EIO;
	if (version == s->data_version)
		return 0;
	s->data_version = version;
	store_lock(s);
	seen = s->clog_seen;
	store_unlock(s);
	sqlite3_bind_int64(s->watch_list, 1, seen);
	while ((rc = sqlite3_step(s->watch_list)) == SQLITE_ROW) {
		seen = sqlite3_column_int64(s->watch_list, 0);
		c.ino = (uint64_t)sqlite3_column_int64(s->watch_list, 1);
		c.parent = (uint64_t)sqlite3_column_int64(s->watch_list, 2);
		c.name = sqlite3_column_blob(s->watch_list, 3);
		c.namelen = (size_t)sqlite3_column_bytes(s->watch_list, 3);
		if (!c.name || !c.namelen || c.namelen > GFS_NAME_MAX)
			c.name = NULL;
		fn(ctx, &c);
		rows++;
	}
	sqlite3_reset(s->watch_list);
	store_lock(s);
	s->clog_seen = seen;
	store_unlock(s);
	if (rc != SQLITE_DONE)
		return -EIO;
	/* A full page of rows: more may wait, look again next time. */
	if (rows == 4096)
		s->data_version = -1;
	if (rows)
		refresh_counts(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Opening: validate before writing anything                          */
/* ------------------------------------------------------------------ */

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Checks the raw SQLite header, which SQLite itself would only reject
 * lazily or not at all: a truncated file opens fine and fails on the
 * first read of a missing page.  *fresh is set for an empty file.
 */
static int check_header(const struct store_params *p, int fd, bool *fresh,
			char *why, size_t whylen)
{
	unsigned char h[100];
	struct stat st, wst;
	uint32_t psz, pages;
	char wal[PATH_MAX];
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return WHY("not a regular file"), -EINVAL;
	*fresh = st.st_size == 0;
	if (*fresh)
		return 0;
	n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		return -errno;
	if (n < (ssize_t)sizeof(h) || memcmp(h, "SQLite format 3", 16))
		return WHY("not an SQLite database"), -EINVAL;
	psz = (uint32_t)h[16] << 8 | h[17];
	if (psz == 1)
		psz = 65536;
	if (psz < 512 || (psz & (psz - 1)))
		return WHY("corrupt SQLite header (page size %u)", psz),
		       -EINVAL;
	if (st.st_size % psz)
		return WHY("truncated (%lld bytes is not a whole number of "
			   "%u-byte pages)", (long long)st.st_size, psz),
		       -EINVAL;
	/* The size in the header is valid when "version-valid-for" equals
	 * the change counter.  A WAL with frames may still complete an
	 * interrupted checkpoint, so the size is checked only without one. */
	pages = be32(h + 28);
	snprintf(wal, sizeof(wal), "%s-wal", p->path);
	if (be32(h + 92) == be32(h + 24) && pages &&
	    (stat(wal, &wst) < 0 || wst.st_size == 0) &&
	    (uint64_t)pages * psz > (uint64_t)st.st_size)
		return WHY("truncated (the header counts %u pages, the file "
			   "holds %lld)", pages, (long long)(st.st_size / psz)),
		       -EINVAL;
	return 0;
}

/* Returns an integer from a one-value query, or -1. */
static int64_t query_int(sqlite3 *db, const char *sql, int *rcp)
{
	sqlite3_stmt *q;
	int64_t v = -1;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			v = sqlite3_column_int64(q, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
		sqlite3_finalize(q);
	}
	if (rcp)
		*rcp = rc;
	return v;
}

/* A reason for a failed SQLite call, in the user's terms. */
static int sql_why(sqlite3 *db, int rc, char *why, size_t whylen)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		WHY("not an SQLite database");
		return -EINVAL;
	case SQLITE_CORRUPT:
		WHY("corrupt (%s)", sqlite3_errmsg(db));
		return -EUCLEAN;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		WHY("locked by another process");
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		WHY("%s", sqlite3_errmsg(db));
		return -EACCES;
	case SQLITE_FULL:
		WHY("no space left on the store's file system");
		return -ENOSPC;
	default:
		WHY("%s", sqlite3_errmsg(db));
		return -EIO;
	}
}

static int exec_sql(sqlite3 *db, const char *sql, char *why, size_t whylen)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_why(db, rc, why, whylen);
}

static int schema_has_tables(sqlite3 *db, char *why, size_t whylen)
{
	for (const struct store_object *o = store_schema; o->name; o++) {
		sqlite3_stmt *q;
		int rc, found;

		if (strcmp(o->type, "table"))
			continue;

		rc = sqlite3_prepare_v2(db,
					"SELECT 1 FROM sqlite_schema WHERE "
					"type = 'table' AND name = ?1",
					-1, &q, NULL);
		if (rc != SQLITE_OK)
			return sql_why(db, rc, why, whylen);
		sqlite3_bind_text(q, 1, o->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		found = rc == SQLITE_ROW;
		sqlite3_finalize(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sql_why(db, rc, why, whylen);
		if (!found)
			return WHY("corrupt (table '%s' is missing)", o->name),
			       -EUCLEAN;
	}
	return 0;
}

/* SQLite's integrity messages start "*** in database main ***\n" and may
 * span lines: the reason given to the user is one line. */
static void one_line_why(char *why, size_t whylen, const char *res)
{
	static const char prefix[] = "*** in database main ***";
	size_t n;

	if (!res)
		res = "quick_check failed";
	if (!strncmp(res, prefix, sizeof(prefix) - 1))
		res += sizeof(prefix) - 1;
	while (*res == '\n' || *res == ' ')
		res++;
	n = (size_t)snprintf(why, whylen, "corrupt (%s", res);
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = ';';
	if (n + 2 < whylen)
		strcat(why, ")");
}

static int quick_check(sqlite3 *db, char *why, size_t whylen)
{
	sqlite3_stmt *q;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_why(db, rc, why, whylen);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(q, 0);

		if (!res || strcmp(res, "ok")) {
			one_line_why(why, whylen, res);
			err = -EUCLEAN;
		}
	} else {
		err = sql_why(db, rc, why, whylen);
	}
	sqlite3_finalize(q);
	return err;
}

static int format_get(sqlite3 *db, const char *key, int64_t *v)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT value FROM format WHERE key = ?1",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER)
		*v = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_NOTFOUND;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int format_put(sqlite3 *db, const char *key, int64_t iv,
		      const char *sv)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(db,
				"INSERT OR REPLACE INTO format (key, value) "
				"VALUES (?1, ?2)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sv)
		sqlite3_bind_text(q, 2, sv, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 2, iv);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void make_uuid(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		uint64_t t = (uint64_t)mono_ns() ^ (uint64_t)getpid() << 32;

		memcpy(b, &t, 8);
		memcpy(b + 8, &t, 8);
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Format facts and the root directory of a new store (format 1). */
static int init_root(sqlite3 *db, const struct store_params *p,
		     uint32_t chunk)
{
	int64_t now = store_now();
	char uuid[37];
	sqlite3_stmt *q;
	int rc;

	make_uuid(uuid);
	rc = format_put(db, "chunk_size", chunk, NULL);
	if (rc == SQLITE_OK)
		rc = format_put(db, "created_ns", now, NULL);
	if (rc == SQLITE_OK)
		rc = format_put(db, "creator", 0, "glassfs " GLASSFS_VERSION);
	if (rc == SQLITE_OK)
		rc = format_put(db, "uuid", 0, uuid);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(db,
				"INSERT INTO inodes (ino, mode, nlink, uid, gid,"
				" parent, atime, mtime, ctime) VALUES "
				"(1, ?1, 2, ?2, ?3, 1, ?4, ?4, ?4)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(q, 1, S_IFDIR | (p->root_mode & 07777));
	sqlite3_bind_int64(q, 2, p->root_uid);
	sqlite3_bind_int64(q, 3, p->root_gid);
	sqlite3_bind_int64(q, 4, now);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Brings the store from format @from to @to, each step in the same
 * transaction as the new user_version.  user_version is set through
 * PRAGMA, which takes no bound parameter; the number comes from this
 * table, not from input.
 */
static int migrate(sqlite3 *db, const struct store_params *p, int from,
		   int to, char *why, size_t whylen)
{
	static const char *const set_version[] = {
		"PRAGMA user_version = 0", "PRAGMA user_version = 1",
		"PRAGMA user_version = 2", "PRAGMA user_version = 3",
	};
	_Static_assert(sizeof(set_version) / sizeof(set_version[0]) ==
			       STORE_FORMAT_VERSION + 1,
		       "a user_version statement per format");
	char appid[48];
	int err;

	for (int v = from; v < to; v++) {
		err = exec_sql(db, "BEGIN IMMEDIATE", why, whylen);
		if (err)
			return err;
		err = exec_sql(db, migrations[v], why, whylen);
		if (!err && v == 0) {
			int rc = init_root(db, p,
					   p->chunk_size ? p->chunk_size
							 : DEFAULT_CHUNK_SIZE);
			if (rc != SQLITE_OK)
				err = sql_why(db, rc, why, whylen);
			snprintf(appid, sizeof(appid),
				 "PRAGMA application_id = %d",
				 STORE_APPLICATION_ID);
			if (!err)
				err = exec_sql(db, appid, why, whylen);
		}
		if (!err)
			err = exec_sql(db, set_version[v + 1], why, whylen);
		if (!err)
			err = exec_sql(db, "COMMIT", why, whylen);
		if (err) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return err;
		}
		if (from > 0)
			gfs_log(GFS_LOG_NOTICE,
				"store '%s' upgraded to format %d", p->path,
				v + 1);
	}
	return 0;
}

/* Identity of a store: application id and format version. */
static int check_identity(sqlite3 *db, bool fresh, int *version, char *why,
			  size_t whylen)
{
	int64_t appid, ver;
	int rc;

	appid = query_int(db, "PRAGMA application_id", &rc);
	if (rc != SQLITE_OK)
		return sql_why(db, rc, why, whylen);
	ver = query_int(db, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK)
		return sql_why(db, rc, why, whylen);
	if (fresh && appid == 0 && ver == 0) {
		*version = 0;
		return 0;
	}
	if ((uint32_t)appid != STORE_APPLICATION_ID)
		return WHY("not a glassfs store (application_id 0x%08x)",
			   (unsigned)appid),
		       -EINVAL;
	if (ver > STORE_FORMAT_VERSION)
		return WHY("format version %" PRId64 " is newer than this "
			   "glassfs supports (%d)",
			   ver, STORE_FORMAT_VERSION),
		       -EPROTONOSUPPORT;
	if (ver < 1)
		return WHY("not a glassfs store (format version %" PRId64 ")",
			   ver),
		       -EINVAL;
	*version = (int)ver;
	return 0;
}

/* Takes the mount lock, @lock: LOCK_EX for a read-write mount (and for
 * glassfs check), LOCK_SH for read-only.  SQLite uses POSIX locks, which
 * do not conflict with flock on Linux, so the sqlite3 shell can still
 * open the store. */
static int take_mount_lock(struct store *s, const struct store_params *p,
			   int lock, bool *fresh, char *why, size_t whylen)
{
	int flags = O_CLOEXEC | (p->readonly ? O_RDONLY : O_RDWR);
	int err;

	s->lock_fd = open(p->path, flags);
	if (s->lock_fd < 0 && errno == ENOENT && p->create && !p->readonly) {
		s->lock_fd = open(p->path, flags | O_CREAT | O_EXCL, 0600);
		if (s->lock_fd >= 0)
			s->created = true;
	}
	if (s->lock_fd < 0) {
		err = -errno;
		if (err == -EROFS || err == -EPERM ||
		    (err == -EACCES && !p->readonly))
			WHY("%s (use -o ro to serve it read-only)",
			    strerror(-err));
		else
			WHY("%s", strerror(-err));
		return err;
	}
	/* A daemon whose mount was just unmounted still closes its store
	 * for a moment: wait up to 2 s before calling the store busy. */
	for (int i = 0; flock(s->lock_fd, lock | LOCK_NB); i++) {
		err = -errno;
		if (err == -EWOULDBLOCK && i < 40) {
			usleep(50000);
			continue;
		}
		if (err == -EWOULDBLOCK)
			WHY("already mounted by another glassfs process");
		else
			WHY("cannot lock: %s", strerror(-err));
		return err == -EWOULDBLOCK ? -EBUSY : err;
	}
	return check_header(p, s->lock_fd, fresh, why, whylen);
}

static int set_pragmas(struct store *s, const struct store_params *p,
		       char *why, size_t whylen)
{
	char sql[64];
	int err;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %" PRId64,
		 -(p->cache_kib > 0 ? p->cache_kib : 8192));
	err = exec_sql(s->db, sql, why, whylen);
	if (!err)
		err = exec_sql(s->db, "PRAGMA temp_store = MEMORY", why,
			       whylen);
	/* Debian builds SQLite with SECURE_DELETE on: every freed page is
	 * overwritten with zeros, so deleting or rewriting a file writes its
	 * whole size again to the WAL (and a full disk cannot free space).
	 * FAST zeros deleted content only on pages written anyway, like a
	 * kernel file system, which does not zero freed blocks either. */
	if (!err)
		err = exec_sql(s->db, "PRAGMA secure_delete = FAST", why,
			       whylen);
	if (err || s->readonly || !s->dir)
		return err;
	err = exec_sql(s->db, "PRAGMA synchronous = NORMAL", why, whylen);
	if (!err)
		err = exec_sql(s->db, "PRAGMA journal_size_limit = 67108864",
			       why, whylen);
	if (!err)
		sqlite3_wal_hook(s->db, wal_hook, s);
	return err;
}

static int new_store_layout(struct store *s, const struct store_params *p,
			    char *why, size_t whylen)
{
	uint32_t psz = p->page_size ? p->page_size : DEFAULT_PAGE_SIZE;
	uint32_t chunk = p->chunk_size ? p->chunk_size : DEFAULT_CHUNK_SIZE;
	char sql[64];
	int err;

	if (psz < 512 || psz > 65536 || (psz & (psz - 1)))
		return WHY("page size %u is not a power of two from 512 to "
			   "65536", psz),
		       -EINVAL;
	if (chunk < 4096 || chunk > (1u << 20) || (chunk & (chunk - 1)))
		return WHY("chunk size %u is not a power of two from 4096 to "
			   "1048576", chunk),
		       -EINVAL;
	snprintf(sql, sizeof(sql), "PRAGMA page_size = %u", psz);
	err = exec_sql(s->db, sql, why, whylen);
	if (!err && s->dir)
		err = exec_sql(s->db, "PRAGMA journal_mode = WAL", why, whylen);
	return err;
}

static int load_facts(struct store *s, char *why, size_t whylen)
{
	int64_t chunk = 0, v;
	sqlite3_stmt *q;
	int rc;

	rc = format_get(s->db, "chunk_size", &chunk);
	if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND)
		return sql_why(s->db, rc, why, whylen);
	if (rc == SQLITE_NOTFOUND || chunk < 4096 || chunk > (1 << 20) ||
	    (chunk & (chunk - 1)))
		return WHY("corrupt (chunk_size %" PRId64 " in table format)",
			   chunk),
		       -EUCLEAN;
	s->chunk_size = (uint32_t)chunk;
	v = query_int(s->db, "PRAGMA page_size", &rc);
	s->page_size = v > 0 ? (uint32_t)v : 4096;
	rc = sqlite3_prepare_v2(s->db,
				"SELECT value FROM format WHERE key = 'uuid'",
				-1, &q, NULL);
	if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_text(q, 0))
		snprintf(s->uuid, sizeof(s->uuid), "%s",
			 (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return 0;
}

/*
 * Work done once per read-write open, in one transaction: inodes left with
 * no links by a crash (unlinked while open) are reclaimed, and the change
 * log is emptied (the kernel caches nothing of this store yet).  This is
 * also where a store that cannot be written, or is locked, is refused.
 */
static int open_sweep(struct store *s, bool trim, char *why, size_t whylen)
{
	sqlite3_stmt *q = stmt(s, STMT_INODE_ORPHANS);
	uint64_t *orphans = NULL, n = 0, cap = 0;
	int rc, err = 0;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_why(s->db, rc, why, whylen);
	/* Collect first: rows are not deleted under a running SELECT. */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			uint64_t *m = realloc(orphans, (cap * 2 + 16) *
							       sizeof(*m));
			if (!m) {
				err = -ENOMEM;
				break;
			}
			orphans = m;
			cap = cap * 2 + 16;
		}
		orphans[n++] = (uint64_t)sqlite3_column_int64(q, 0);
	}
	sqlite3_reset(q);
	if (!err && rc != SQLITE_DONE)
		err = sql_why(s->db, rc, why, whylen);
	for (uint64_t i = 0; !err && i < n; i++)
		err = inode_purge(s, orphans[i]);
	free(orphans);
	if (!err) {
		rc = trim ? sqlite3_exec(s->db, "DELETE FROM changelog", NULL,
					 NULL, NULL)
			  : SQLITE_OK;
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			err = sql_why(s->db, rc, why, whylen);
	}
	if (err) {
		if (!why[0])
			WHY("%s", strerror(-err));
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	if (n)
		gfs_log(GFS_LOG_NOTICE,
			"store '%s': reclaimed %" PRIu64 " orphaned inodes",
			s->path, n);
	return 0;
}

/* Whether SQLite can create its -shm next to the store. */
static bool dir_writable(const char *dir)
{
	struct statvfs v;

	return access(dir, W_OK) == 0 && statvfs(dir, &v) == 0 &&
	       !(v.f_flag & ST_RDONLY);
}

/*
 * A read-only open of a store with no WAL to recover is an immutable open:
 * a plain read-only connection to a WAL database would create -wal and
 * -shm files beside it and, being read-only, leave them there; and on
 * read-only media it cannot create the -shm at all.  The shared mount
 * lock keeps read-write glassfs mounts out; other programs must not change
 * a store while it is mounted read-only (glassfs(8)).
 */
static int immutable_uri(const char *path, char *uri, size_t size)
{
	size_t n = (size_t)snprintf(uri, size, "file:");

	for (; *path && n + 4 < size; path++) {
		if (*path == '%' || *path == '?' || *path == '#')
			n += (size_t)snprintf(uri + n, size - n, "%%%02X",
					      (unsigned char)*path);
		else
			uri[n++] = *path;
	}
	if (*path || n + 13 >= size)
		return -ENAMETOOLONG;
	snprintf(uri + n, size - n, "?immutable=1");
	return 0;
}

static int open_db(struct store *s, const struct store_params *p,
		   char *why, size_t whylen)
{
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	char wal[PATH_MAX], uri[PATH_MAX * 3 + 32];
	const char *name = p->path;
	int rc;

	flags |= p->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (!s->dir)
		flags |= SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;
	snprintf(wal, sizeof(wal), "%s-wal", p->path);
	if (p->readonly && s->dir && file_size(wal) > 0 &&
	    !dir_writable(s->dir))
		return WHY("read-only, with a WAL to recover: mount it "
			   "read-write once"),
		       -EROFS;
	if (p->readonly && s->dir && file_size(wal) == 0) {
		if (immutable_uri(p->path, uri, sizeof(uri)))
			return WHY("path too long"), -ENAMETOOLONG;
		name = uri;
		flags |= SQLITE_OPEN_URI;
		s->immutable = true;
	}
	rc = sqlite3_open_v2(name, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return sql_why(s->db, rc, why, whylen);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (!p->readonly && sqlite3_db_readonly(s->db, "main") == 1)
		return WHY("read-only (use -o ro to serve it read-only)"),
		       -EROFS;
	return 0;
}

/* Validation, creation and migration, in that order. */
static int open_schema(struct store *s, const struct store_params *p,
		       bool fresh, char *why, size_t whylen)
{
	int version = 0, err;

	err = check_identity(s->db, fresh, &version, why, whylen);
	if (err)
		return err;
	if (version > 0 && version < STORE_FORMAT_VERSION && p->readonly)
		return WHY("format version %d must be upgraded to %d first: "
			   "mount it once without -o ro",
			   version, STORE_FORMAT_VERSION),
		       -EROFS;
	if (version > 0 && p->check == STORE_CHECK_QUICK) {
		err = quick_check(s->db, why, whylen);
		if (err)
			return err;
	}
	if (version == 0) {
		err = new_store_layout(s, p, why, whylen);
		if (err)
			return err;
	}
	if (version > 0) {
		/* Tables of the version the store claims, checked before a
		 * migration touches them. */
		err = version == STORE_FORMAT_VERSION
			      ? schema_has_tables(s->db, why, whylen)
			      : 0;
		if (err)
			return err;
	}
	if (!p->readonly && s->dir && version > 0) {
		err = exec_sql(s->db, "PRAGMA journal_mode = WAL", why, whylen);
		if (err)
			return err;
	}
	if (version < STORE_FORMAT_VERSION) {
		err = migrate(s->db, p, version, STORE_FORMAT_VERSION, why,
			      whylen);
		if (err)
			return err;
		err = schema_has_tables(s->db, why, whylen);
	}
	return err;
}

static int counts_load(struct store *s, char *why, size_t whylen)
{
	int64_t max, n;
	int rc;

	max = query_int(s->db, "SELECT max(ino) FROM inodes", &rc);
	if (rc == SQLITE_OK)
		n = query_int(s->db, "SELECT count(*) FROM inodes", &rc);
	if (rc != SQLITE_OK)
		return sql_why(s->db, rc, why, whylen);
	s->next_ino = (uint64_t)(max > 0 ? max : 1) + 1;
	s->ninodes = (uint64_t)n;
	s->caps_possible = query_int(s->db, CAPS_COUNT_SQL, &rc) != 0;
	return 0;
}

static int store_alloc(const struct store_params *p, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	const char *slash;

	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	s->wal_fd = -1;
	s->readonly = p->readonly;
	s->commit_ms = p->commit_ms ? p->commit_ms : STORE_DEFAULT_COMMIT_MS;
	s->path = strdup(p->path);
	if (strcmp(p->path, ":memory:")) {
		slash = strrchr(p->path, '/');
		s->dir = slash ? strndup(p->path, (size_t)(slash - p->path) + 1)
			       : strdup(".");
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_mutex_init(&s->batch_inos.lock, NULL);
	for (int i = 0; i < STORE_READERS; i++)
		pthread_mutex_init(&s->readers[i].lock, NULL);
	*out = s;
	return s->path ? 0 : -ENOMEM;
}

int store_open(const struct store_params *p, struct store **out, char *why,
	       size_t whylen)
{
	struct store *s = NULL;
	bool fresh = true;
	int err;

	why[0] = '\0';
	err = store_alloc(p, &s);
	if (err)
		goto out_close;
	if (s->dir) {
		err = take_mount_lock(s, p, p->readonly ? LOCK_SH : LOCK_EX,
				      &fresh, why, whylen);
		if (err)
			goto out_close;
		if (fresh && p->readonly) {
			WHY("empty store cannot be mounted read-only");
			err = -EINVAL;
			goto out_close;
		}
	}
	err = open_db(s, p, why, whylen);
	if (!err)
		err = open_schema(s, p, fresh, why, whylen);
	s->fresh = fresh;
	if (!err)
		err = set_pragmas(s, p, why, whylen);
	if (!err)
		err = load_facts(s, why, whylen);
	if (!err)
		err = prepare_all(s) ? (WHY("%s", sqlite3_errmsg(s->db)), -EIO)
				     : 0;
	if (!err && !p->readonly)
		err = open_sweep(s, true, why, whylen);
	s->sweep_at_close = !err && !p->readonly;
	if (!err)
		err = counts_load(s, why, whylen);
	if (!err) {
		s->scratch = malloc(s->chunk_size);
		if (!s->scratch)
			err = -ENOMEM;
	}
	if (err)
		goto out_close;
	/* Readers open the file by its name; an immutable store is opened
	 * by URI, and ":memory:" is one connection's alone. */
	s->nreaders = s->dir && !s->immutable ? STORE_READERS : 0;
	*out = s;
	return 0;

out_close:
	if (!why[0])
		WHY("%s", strerror(-err));
	if (s && s->created) {
		/* Created by us and not usable: leave nothing behind. */
		unlink(p->path);
		s->created = false;
	}
	store_close(s);
	return err;
}

/* ------------------------------------------------------------------ */
/* Opening for glassfs check (store_check.c)                          */
/* ------------------------------------------------------------------ */

int store_open_check(const struct store_params *p, struct store **out,
		     int *version, char *why, size_t whylen)
{
	struct store_params cp = *p;
	struct store *s = NULL;
	bool fresh = false;
	int err;

	why[0] = '\0';
	*out = NULL;
	cp.create = false;
	err = store_alloc(&cp, &s);
	if (!err && s->dir)
		err = take_mount_lock(s, &cp, LOCK_EX, &fresh, why, whylen);
	if (!err && fresh)
		err = (WHY("empty file, not a glassfs store"), -EINVAL);
	if (!err)
		err = open_db(s, &cp, why, whylen);
	if (!err)
		err = check_identity(s->db, false, version, why, whylen);
	if (!err)
		err = set_pragmas(s, &cp, why, whylen);
	if (err) {
		if (!why[0])
			WHY("%s", strerror(-err));
		store_close(s);
		return err;
	}
	*out = s;
	return 0;
}

int store_migrate(struct store *s, int from, char *why, size_t whylen)
{
	struct store_params p = { .path = s->path };

	why[0] = '\0';
	return migrate(s->db, &p, from, STORE_FORMAT_VERSION, why, whylen);
}

int store_prepare(struct store *s, char *why, size_t whylen)
{
	int err;

	why[0] = '\0';
	err = load_facts(s, why, whylen);
	if (!err && prepare_all(s))
		err = (WHY("%s", sqlite3_errmsg(s->db)), -EIO);
	if (!err)
		err = counts_load(s, why, whylen);
	return err;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db && !s->readonly) {
		char why[256];

		store_sync(s, 0);
		/* The kernel holds nothing now: inodes unlinked while open
		 * whose reclaim failed go now rather than at the next mount. */
		if (s->sweep_at_close && !s->lost_err)
			open_sweep(s, false, why, sizeof(why));
	}
	store_lock(s);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	store_unlock(s);
	if (s->started)
		pthread_join(s->thread, NULL);
	/* Read-only connections first: the last connection closed, s->db,
	 * checkpoints the WAL and removes it. */
	for (int i = 0; i < STORE_READERS; i++) {
		struct store_reader *rd = &s->readers[i];

		for (int j = 0; j < RQ_COUNT; j++)
			sqlite3_finalize(rd->q[j]);
		sqlite3_close(rd->db);
		pthread_mutex_destroy(&rd->lock);
	}
	sqlite3_close(s->ckpt_db);
	sqlite3_finalize(s->watch_version);
	sqlite3_finalize(s->watch_list);
	sqlite3_finalize(s->watch_max);
	sqlite3_finalize(s->watch_caps);
	sqlite3_close(s->watch_db);
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	/* Only now: closing any descriptor of the file drops the process's
	 * POSIX locks, which SQLite held until sqlite3_close(). */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	blog_free(&s->batch_log);
	inoset_free(&s->batch_inos);
	blog_free(&s->lost_inos);
	blog_free(&s->lost_inval);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s->scratch);
	free(s->dir);
	free(s->path);
	free(s);
}

bool store_created(const struct store *s)
{
	return s->fresh;
}

uint32_t store_chunk_size(const struct store *s)
{
	return s->chunk_size;
}

/* ------------------------------------------------------------------ */
/* Whole-store figures                                                */
/* ------------------------------------------------------------------ */

int store_statfs(struct store *s, struct statvfs *sv)
{
	struct statvfs under;
	uint64_t n;

	store_lock(s);
	n = s->ninodes;
	store_unlock(s);
	memset(sv, 0, sizeof(*sv));
	if (s->dir && statvfs(s->dir, &under) == 0) {
		*sv = under;
		sv->f_files = n + under.f_favail;
		sv->f_ffree = under.f_favail;
		sv->f_favail = under.f_favail;
	} else {
		sv->f_bsize = sv->f_frsize = 4096;
		sv->f_files = n;
	}
	sv->f_namemax = GFS_NAME_MAX;
	return 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int store_facts(struct store *s, struct store_facts *f)
{
	char wal[PATH_MAX];
	int cur, hi;

	memset(f, 0, sizeof(*f));
	store_lock(s);
	f->chunk_size = s->chunk_size;
	f->page_size = s->page_size;
	f->format_version = STORE_FORMAT_VERSION;
	f->inodes = s->ninodes;
	f->commits = s->commits;
	f->syncs = s->syncs;
	f->committed_reads = __atomic_load_n(&s->committed_reads,
					     __ATOMIC_RELAXED);
	f->batch_bytes = s->batch_bytes;
	f->batch_open = s->in_batch;
	f->batch_age_ns = s->in_batch ? (uint64_t)(mono_ns() - s->batch_start)
				      : 0;
	sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_HIT, &cur, &hi, 0);
	f->cache_hits = (uint64_t)cur;
	sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0);
	f->cache_misses = (uint64_t)cur;
	sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0);
	f->cache_used = (uint64_t)cur;
	store_unlock(s);
	memcpy(f->uuid, s->uuid, sizeof(f->uuid));
	if (s->dir) {
		f->file_bytes = file_size(s->path);
		snprintf(wal, sizeof(wal), "%s-wal", s->path);
		f->wal_bytes = file_size(wal);
	}
	return 0;
}

int store_checkpoint(struct store *s, uint64_t *wal_before,
		     uint64_t *wal_after)
{
	char wal[PATH_MAX];
	int rc, err = 0;

	if (!s->dir || s->readonly)
		return -EROFS;
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	*wal_before = file_size(wal);
	store_lock(s);
	err = batch_commit(s, false);
	if (!err) {
		rc = sqlite3_wal_checkpoint_v2(s->db, "main",
					       SQLITE_CHECKPOINT_TRUNCATE,
					       NULL, NULL);
		if (rc != SQLITE_OK)
			err = store_err(s, rc, "checkpoint");
	}
	store_unlock(s);
	*wal_after = file_size(wal);
	return err;
}

int store_file_chunks(struct store *s, uint64_t ino, uint64_t *chunks,
		      uint64_t *bytes)
{
	struct inode_rec r;
	sqlite3_stmt *q;
	int rc, err;

	store_lock(s);
	err = inode_load(s, ino, &r);
	if (!err) {
		q = stmt(s, STMT_CHUNK_COUNT);
		sqlite3_bind_int64(q, 1, (int64_t)ino);
		rc = sqlite3_step(q);
		*chunks = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(q, 0)
					   : 0;
		sqlite3_reset(q);
		if (rc != SQLITE_ROW)
			err = store_err(s, rc, "count chunks");
		*bytes = r.alloc;
	}
	store_unlock(s);
	return err;
}

const char *store_sqlite_version(void)
{
	return sqlite3_libversion();
}

/*
 * No memory statistics: with them every sqlite3_malloc() and free takes
 * a process-wide mutex (SQLite's own advice for speed); glassfs reads
 * only per-connection figures (sqlite3_db_status), which stay.
 */
void store_library_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
