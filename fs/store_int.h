/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store_int.h - the store's private parts, shared by store.c (open, schema,
 * transactions), store_ns.c (inodes and names) and store_data.c (chunks).
 * Nothing outside store*.c includes this file.
 */
#ifndef GFS_STORE_INT_H
#define GFS_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store.h"
#include "store_sql.h"

enum stmt_id {
#define X(id, sql) STMT_##id,
	STORE_STMTS(X)
#undef X
	STMT_COUNT
};

/* What a batch changed: inodes saved and names added or removed. */
struct blog {
	uint64_t *inos;
	size_t ninos, maxinos;
	char *names;
	size_t nnames, maxnames;
	bool overflow;		/* out of memory: something was not logged */
};

/* A set of inode numbers: open addressing, 0 marks a free slot.  Its own
 * lock guards it (rule 5 below). */
struct inoset {
	pthread_mutex_t lock;
	uint64_t *slot;
	size_t mask;		/* slots - 1; 0 before the first add */
	size_t n;
	bool overflow;		/* out of memory: taken to hold every number */
};

enum rq_id {
#define X(id, sql) RQ_##id,
	READER_STMTS(X)
#undef X
	RQ_COUNT
};

/*
 * A read-only connection to the store, for READ requests of files that the
 * open batch has not changed (store_data.c): their committed state is
 * their state, so they need neither s->db nor s->lock, and such reads run
 * side by side with each other and with everything on s->db.
 */
struct store_reader {
	pthread_mutex_t lock;
	sqlite3 *db;			/* (rd lock) opened on first use */
	sqlite3_stmt *q[RQ_COUNT];	/* (rd lock) */
	bool broken;			/* (rd lock) could not be opened */
};
/* As many as reads the kernel keeps in flight on 2 cores, and some. */
#define STORE_READERS 4

/*
 * Locking rules for struct store:
 *  1. s->lock serialises every use of s->db and every field marked (lock).
 *     Nothing but rule 5's lock is taken while it is held, and no FUSE
 *     reply is sent under it.
 *  2. s->ckpt_db is used only by the commit thread, without s->lock;
 *     s->watch_db and its fields only by the store_changes() caller.
 *  3. Fields marked (const) are set by store_open() and never change.
 *  4. A reader's lock guards the reader; it is only ever tried
 *     (trylock), and released before s->lock is taken.
 *  5. s->batch_inos has its own lock, the innermost of all: requests
 *     take it under s->lock, readers alone, so that a READ never waits
 *     for the main connection's requests and commits.
 *
 * Why one writing connection and one lock: a group commit keeps a write
 * transaction open across many requests, and only the connection that
 * holds it can read what it wrote.  Reads of files the open batch has not
 * changed go to the readers instead (rule 4).  Page-cache hits never reach
 * the daemon, so the lock is taken only for misses and write-back.
 */
struct store {
	pthread_mutex_t lock;
	sqlite3 *db;			/* (lock) */
	sqlite3_stmt *stmt[STMT_COUNT];	/* (lock) */
	bool in_batch;			/* (lock) a BEGIN is open */
	int64_t batch_start;		/* (lock) when it began, ns */
	int64_t wop_changes;		/* (lock) SQLite's change count when
					 * the current request began */
	uint64_t batch_bytes;		/* (lock) bytes written in it */
	int lost_err;			/* (lock) a batch failed to commit */
	struct blog batch_log;		/* (lock) what the open batch changed */
	struct inoset batch_inos;	/* (rule 5) inodes it changed */
	struct blog lost_inos;		/* (lock) sorted: fsync must report */
	struct blog lost_inval;		/* (lock) the kernel must forget */
	bool lost_all;			/* (lock) every fsync must report */
	int sync_err;			/* (lock) an fdatasync of the WAL failed:
					 * nothing is durable any more */
	uint64_t next_ino;		/* (lock) never reused while mounted */
	uint64_t ninodes;		/* (lock) for statfs */
	unsigned char *scratch;		/* (lock) one chunk, for merges */
	uint64_t commits, syncs;	/* (lock) */
	bool unsynced;			/* (lock) commits not yet fdatasync'd */
	bool caps_possible;		/* (atomic) a security.capability
					 * xattr may exist */
	int wal_fd;			/* (lock) the WAL, for store_sync() */
	uint64_t free_bytes;		/* (lock) of the store's file system */
	int64_t free_at;		/* (lock) when free_bytes was read */
	int wal_frames;			/* (lock) set by the WAL hook */
	int wal_ckpt;			/* (lock) of which checkpointed */

	pthread_t thread;		/* commit thread, once started */
	pthread_cond_t wake;		/* (lock) batch begun, or stopping */
	bool started, stopping;		/* (lock) */
	sqlite3 *ckpt_db;		/* commit thread only */
	sqlite3 *watch_db;		/* store_changes() only */
	sqlite3_stmt *watch_version, *watch_list, *watch_max, *watch_caps;
	int64_t data_version;		/* watch: last PRAGMA data_version */
	int64_t clog_seen;		/* (lock) changelog rows reported */
	int64_t clog_trimmed;		/* (lock) rows deleted by the batch */
	store_event_fn on_event;	/* (lock) */
	void *event_ctx;		/* (lock) */

	struct store_reader readers[STORE_READERS];
	unsigned nreaders;		/* (const) 0: every read on s->db */
	uint64_t committed_reads;	/* (atomic) reads the readers served */

	char *path;			/* (const) */
	char *dir;			/* (const) directory holding the store */
	int lock_fd;			/* (const) flock against other mounts */
	bool readonly, created;		/* (const) created: the file, by us */
	bool fresh;			/* (const) a new store was initialized */
	bool sweep_at_close;		/* (const) opened by store_open, rw */
	bool immutable;			/* (const) opened ?immutable=1 */
	uint32_t chunk_size;		/* (const) */
	uint32_t page_size;		/* (const) */
	unsigned commit_ms;		/* (const) */
	char uuid[37];			/* (const) */
};

/* An inode row. */
struct inode_rec {
	uint64_t ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t size, alloc, rdev, parent;
	int64_t atime, mtime, ctime;
};

/* The xattr holding file capabilities. */
#define XATTR_CAPS "security.capability"

/* The batch is committed once it holds this much, whatever its age. */
#define STORE_BATCH_MAX_BYTES (64u << 20)

/* store.c */
int store_err(struct store *s, int rc, const char *what);
void batch_changed(struct store *s, uint64_t ino);
int64_t store_now(void);
sqlite3_stmt *stmt(struct store *s, enum stmt_id id);
int run(struct store *s, sqlite3_stmt *q, const char *what);
void store_lock(struct store *s);
void store_unlock(struct store *s);
/* What a request adds to the store, for the free-space check: WOP_FREES
 * (it can only free space: always allowed, using the reserve), WOP_META
 * (a few rows), or the bytes of data it writes. */
#define WOP_FREES (-1)
#define WOP_META 0
int wop_begin(struct store *s, int64_t adds);
int wop_end(struct store *s, int err);

/* A table, index or trigger of the schema; @sql re-creates it, for those
 * that hold no file system data (the change log, indexes). */
struct store_object {
	const char *type;	/* "table", "index" or "trigger" */
	const char *name;
	int since;		/* the format that introduced it */
	const char *sql;
};
extern const struct store_object store_schema[]; /* NULL name ends it */

/*
 * store.c, for glassfs check (store_check.c): store_open()'s validation
 * without its changes.  store_open_check() takes the mount lock
 * exclusively even for p->readonly (no mount of any kind while checking),
 * refuses what store_open() refuses (not SQLite, truncated, another
 * application, newer format, mounted) and an empty file, and neither
 * creates, quick-checks, migrates, sweeps nor prepares statements;
 * *version gets the store's format.  store_migrate() brings it to
 * STORE_FORMAT_VERSION, in its own transactions.  store_prepare() loads
 * the format facts and prepares the statements (current format only).
 */
int store_open_check(const struct store_params *p, struct store **out,
		     int *version, char *why, size_t whylen);
int store_migrate(struct store *s, int from, char *why, size_t whylen);
int store_prepare(struct store *s, char *why, size_t whylen);

/* store_lost.c */
void blog_ino(struct blog *b, uint64_t ino);
void blog_name(struct blog *b, uint64_t parent, const char *name);
void blog_reset(struct blog *b);
void blog_free(struct blog *b);
void blog_lose(struct store *s, int err);
bool inoset_add(struct inoset *set, uint64_t ino);
bool inoset_has(struct inoset *set, uint64_t ino);
void inoset_clear(struct inoset *set);
void inoset_free(struct inoset *set);
int lost_take(struct store *s, uint64_t ino);
void lost_drain(struct store *s, store_change_fn fn, void *ctx);

/* store_ns.c */
int inode_load(struct store *s, uint64_t ino, struct inode_rec *r);
int inode_save(struct store *s, const struct inode_rec *r);
void rec_to_stat(const struct inode_rec *r, struct stat *st);
void rec_from_row(sqlite3_stmt *q, int col, struct inode_rec *r);
int inode_purge(struct store *s, uint64_t ino);

/* store_data.c */
int data_truncate(struct store *s, struct inode_rec *r, uint64_t size);

static inline void bind_name(sqlite3_stmt *q, int col, const char *name)
{
	sqlite3_bind_blob(q, col, name, (int)strlen(name), SQLITE_STATIC);
}

/* Times are int64 nanoseconds: from 1677-09-21 to 2262-04-11.  Times
 * outside are clamped, as file systems clamp to their s_time_min/max. */
#define TS_SEC_MAX (INT64_MAX / 1000000000 - 1)
#define TS_SEC_MIN (INT64_MIN / 1000000000 + 1)

static inline int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec > TS_SEC_MAX)
		return TS_SEC_MAX * 1000000000 + 999999999;
	if (ts->tv_sec < TS_SEC_MIN)
		return TS_SEC_MIN * 1000000000;
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

#endif
