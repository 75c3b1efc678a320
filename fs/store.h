/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.h - the SQLite store: the only interface to glassfs's on-disk data.
 *
 * Everything below this header is SQL; everything above it is FUSE.  The
 * store knows inodes, directory entries, chunks, symlink targets and
 * extended attributes, and keeps them consistent inside transactions.  It
 * holds no policy about who may do what (that is the kernel's
 * default_permissions and the ops layer) and no lookup counts (itab.c).
 *
 * Conventions: every function returns 0 or a negative errno; results come
 * back through out-parameters.  Every function takes the store lock itself;
 * callers hold no store lock.  Names are NUL-terminated, at most
 * GFS_NAME_MAX bytes (the ops layer checks).
 */
#ifndef GFS_STORE_H
#define GFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define GFS_ROOT_INO 1
#define GFS_NAME_MAX 255
/* Largest file size: 2^63 - 1 bytes, the kernel's own limit for FUSE
 * (MAX_LFS_FILESIZE).  It must be the kernel's: with write-back caching the
 * kernel accepts writes up to its limit into the page cache, and a lower
 * daemon limit would lose them at write-back.  Offsets and sizes are
 * uint64_t below it, so sums of two never overflow. */
#define GFS_MAX_FILESIZE INT64_MAX
/* Hard links per non-directory inode, as ext4. */
#define GFS_LINK_MAX 65000

/* Group commit interval when none is given. */
#define STORE_DEFAULT_COMMIT_MS 100

/* On-disk format: SQLite application_id ("GLFS") and schema version. */
#define STORE_APPLICATION_ID 0x474c4653
#define STORE_FORMAT_VERSION 3

enum store_check {
	STORE_CHECK_QUICK, /* PRAGMA quick_check at open (default) */
	STORE_CHECK_NONE,  /* trust the store; for very large stores */
};

/* What the store tells its owner as it happens (for the request trace). */
enum store_event {
	STORE_EV_COMMIT,	/* a group commit: @bytes written in it */
	STORE_EV_SYNC,		/* a commit forced by fsync */
	STORE_EV_CHECKPOINT,	/* a WAL checkpoint: @bytes of WAL before */
};

/* Called under the store lock, from any thread: must be quick and must
 * not call back into the store.  @t0 is CLOCK_MONOTONIC ns at the start. */
typedef void (*store_event_fn)(void *ctx, enum store_event ev,
			       uint64_t bytes, uint64_t t0, int result);

struct store_params {
	const char *path;	/* file, or ":memory:" for unit tests */
	bool readonly;		/* open read-only, refuse nothing for it */
	bool create;		/* create the store if it does not exist */
	uint32_t chunk_size;	/* new stores: bytes per chunk, 0 = default */
	uint32_t page_size;	/* new stores: SQLite page size, 0 = default */
	int64_t cache_kib;	/* SQLite page cache per connection, KiB */
	unsigned commit_ms;	/* group commit: longest a batch stays open */
	enum store_check check;
	uid_t root_uid;		/* owner and mode of a new store's root */
	gid_t root_gid;
	mode_t root_mode;
};

struct store;

/* What a namespace operation took a link from: the caller tells itab when
 * nlink reached zero, so the inode can be reclaimed once forgotten. */
struct store_gone {
	uint64_t ino;		/* 0 when no inode lost a link */
	uint32_t nlink;		/* links left */
};

/* A new inode: final mode (type included), owner, device, symlink target. */
struct store_new {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	const char *target;	/* S_IFLNK only */
};

/* Attribute changes.  *_NOW: the store's one "now" for this request,
 * which is also the new ctime. */
enum {
	STORE_SET_MODE = 1 << 0,
	STORE_SET_UID = 1 << 1,
	STORE_SET_GID = 1 << 2,
	STORE_SET_SIZE = 1 << 3,
	STORE_SET_ATIME = 1 << 4,
	STORE_SET_MTIME = 1 << 5,
	STORE_SET_CTIME = 1 << 6,
	STORE_SET_ATIME_NOW = 1 << 7,
	STORE_SET_MTIME_NOW = 1 << 8,
};

struct store_setattr {
	unsigned valid;
	mode_t mode;		/* permission bits; the type is kept */
	uid_t uid;
	gid_t gid;
	uint64_t size;
	struct timespec atime, mtime, ctime;
};

/*
 * One directory entry for store_readdir(): @cookie resumes the listing
 * just after this entry.  Return non-zero to stop (the entry is then not
 * consumed and will be the first of the next call).
 */
typedef int (*store_dirent_fn)(void *ctx, const char *name,
			       const struct stat *st, uint64_t cookie);

/* Cumulative figures for the control interface and fsinspect stack. */
struct store_facts {
	uint32_t chunk_size;
	uint32_t page_size;
	uint32_t format_version;
	uint64_t file_bytes;	/* main database file */
	uint64_t wal_bytes;
	uint64_t inodes;
	uint64_t commits;	/* group commits since open */
	uint64_t syncs;		/* commits forced by fsync */
	uint64_t committed_reads; /* reads served by read-only connections */
	uint64_t cache_hits;	/* SQLite page cache, main connection */
	uint64_t cache_misses;
	uint64_t cache_used;	/* bytes */
	uint64_t batch_bytes;	/* in the open batch */
	bool batch_open;	/* a group commit is pending */
	uint64_t batch_age_ns;	/* since the batch began */
	char uuid[37];
};

/*
 * Open (or create) the store at p->path.  Validates before it writes
 * anything: a file that is not SQLite, is truncated or corrupt, belongs to
 * another application, has a newer format, is read-only without
 * p->readonly, is locked, or is mounted by another glassfs is refused and
 * left untouched.  On failure *why holds a lowercase reason for the user.
 * On success the store is migrated to STORE_FORMAT_VERSION, orphans left
 * by a crash are reclaimed, and *out owns a locked store.
 */
int store_open(const struct store_params *p, struct store **out, char *why,
	       size_t whylen);

/* Where store events go (@fn NULL: nowhere).  Once this returns, no call
 * to the previous @fn is running or will start. */
void store_set_events(struct store *s, store_event_fn fn, void *ctx);

/* Start the group-commit thread.  Call after any fork (daemonizing). */
int store_start(struct store *s);

/* Commit the open batch durably, stop the thread, close the store. */
void store_close(struct store *s);

/* Whether store_open() initialized a new store (missing or empty file). */
bool store_created(const struct store *s);
uint32_t store_chunk_size(const struct store *s);

int store_getattr(struct store *s, uint64_t ino, struct stat *st);
int store_lookup(struct store *s, uint64_t parent, const char *name,
		 struct stat *st);
int store_mknod(struct store *s, uint64_t parent, const char *name,
		const struct store_new *n, struct stat *st);
int store_link(struct store *s, uint64_t ino, uint64_t parent,
	       const char *name, struct stat *st);
int store_unlink(struct store *s, uint64_t parent, const char *name,
		 struct store_gone *gone);
int store_rmdir(struct store *s, uint64_t parent, const char *name,
		struct store_gone *gone);
/* @flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE. */
int store_rename(struct store *s, uint64_t parent, const char *name,
		 uint64_t newparent, const char *newname, unsigned flags,
		 struct store_gone *gone);
int store_setattr(struct store *s, uint64_t ino,
		  const struct store_setattr *sa, struct stat *st);
/* Copies at most @size bytes of the target (no NUL) and sets *len. */
int store_readlink(struct store *s, uint64_t ino, char *buf, size_t size,
		   size_t *len);

/* Reads up to @size bytes at @off; *got is short only at end of file. */
int store_read(struct store *s, uint64_t ino, uint64_t off, size_t size,
	       void *buf, size_t *got);
/* Writes @len bytes at @off; *done is short only at GFS_MAX_FILESIZE.
 * @touch: set mtime and ctime (not when the kernel owns them). */
int store_write(struct store *s, uint64_t ino, uint64_t off,
		const void *buf, size_t len, bool touch, size_t *done);
/* @mode: 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE */
int store_fallocate(struct store *s, uint64_t ino, int mode, uint64_t off,
		    uint64_t len);
/* @whence: SEEK_DATA or SEEK_HOLE.  -ENXIO past the data or the end. */
int store_lseek(struct store *s, uint64_t ino, uint64_t off, int whence,
		uint64_t *pos);
int store_copy(struct store *s, uint64_t src, uint64_t soff, uint64_t dst,
	       uint64_t doff, size_t len, bool touch, size_t *copied);

/* Lists @dir from @cookie (0 = start), "." and ".." first. */
int store_readdir(struct store *s, uint64_t dir, uint64_t cookie,
		  store_dirent_fn fn, void *ctx);

/* @size 0 asks for the length only; -ERANGE when @size is too small. */
int store_getxattr(struct store *s, uint64_t ino, const char *name,
		   void *buf, size_t size, size_t *len);
/* @flags: 0, XATTR_CREATE or XATTR_REPLACE. */
int store_setxattr(struct store *s, uint64_t ino, const char *name,
		   const void *value, size_t size, int flags);
int store_listxattr(struct store *s, uint64_t ino, char *buf, size_t size,
		    size_t *len);
int store_removexattr(struct store *s, uint64_t ino, const char *name);

int store_statfs(struct store *s, struct statvfs *sv);

/* Deletes @ino and its data if it has no links left; a no-op otherwise. */
int store_reclaim(struct store *s, uint64_t ino);

/* Commits the open batch and makes everything committed durable (fsync,
 * fsyncdir of @ino).  Also reports, once per inode, an earlier batch that
 * could not be committed and held changes of @ino (0: none). */
int store_sync(struct store *s, uint64_t ino);

int store_facts(struct store *s, struct store_facts *f);

/* A change another connection (the sqlite3 shell, a script) made to the
 * store: the inode whose data or attributes changed, and for a directory
 * entry its parent and name (name NULL otherwise). */
struct store_change {
	uint64_t ino;
	uint64_t parent;
	const char *name;
	size_t namelen;
};
typedef void (*store_change_fn)(void *ctx, const struct store_change *c);

/*
 * Reports, once each, the changes other connections committed since the
 * last call.  Costs one PRAGMA data_version when nothing changed.  Called
 * by one watcher thread only, never from a request handler; @fn runs
 * without the store lock.  Needs store_start().
 */
int store_changes(struct store *s, store_change_fn fn, void *ctx);

/* Checkpoints the WAL into the database file and truncates it. */
int store_checkpoint(struct store *s, uint64_t *wal_before,
		     uint64_t *wal_after);
/* A path of @ino from the root ("/a/b"; one of them for a file with
 * several links).  -ENOENT when it has none (unlinked). */
int store_path(struct store *s, uint64_t ino, char *buf, size_t size);

/* How @ino is stored: its chunks and the bytes they hold. */
int store_file_chunks(struct store *s, uint64_t ino, uint64_t *chunks,
		      uint64_t *bytes);

/* The SQLite library's version, for --version. */
const char *store_sqlite_version(void);

/* Process-wide SQLite settings, before any store is opened. */
void store_library_init(void);

/* Nanoseconds the calling thread has spent inside the store so far. */
uint64_t store_thread_ns(void);

#endif
