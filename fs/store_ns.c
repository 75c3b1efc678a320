// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_ns.c - inodes, directory entries, symlinks and extended
 * attributes in the store: the namespace half of store.h.
 *
 * Layer: store (see store.c for the transaction model).  Each public
 * function is one request: wop_begin() .. wop_end() for changes, the bare
 * lock for reads.  Link counts follow the Linux rules: a directory has
 * 2 + its subdirectories, a file one per entry; an inode whose count
 * reaches zero stays until store_reclaim() (the ops layer calls it once
 * the kernel has forgotten the inode and closed it).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "log.h"
#include "store_int.h"

/* Steps that walk the directory tree stop here: a loop in a corrupt store
 * must not hang the daemon. */
#define TREE_DEPTH_MAX (1 << 20)

/* ------------------------------------------------------------------ */
/* Inode rows                                                         */
/* ------------------------------------------------------------------ */

void rec_from_row(sqlite3_stmt *q, int col, struct inode_rec *r)
{
	r->ino = (uint64_t)sqlite3_column_int64(q, col);
	r->mode = (uint32_t)sqlite3_column_int64(q, col + 1);
	r->nlink = (uint32_t)sqlite3_column_int64(q, col + 2);
	r->uid = (uint32_t)sqlite3_column_int64(q, col + 3);
	r->gid = (uint32_t)sqlite3_column_int64(q, col + 4);
	r->size = (uint64_t)sqlite3_column_int64(q, col + 5);
	r->alloc = (uint64_t)sqlite3_column_int64(q, col + 6);
	r->rdev = (uint64_t)sqlite3_column_int64(q, col + 7);
	r->parent = (uint64_t)sqlite3_column_int64(q, col + 8);
	r->atime = sqlite3_column_int64(q, col + 9);
	r->mtime = sqlite3_column_int64(q, col + 10);
	r->ctime = sqlite3_column_int64(q, col + 11);
}

int inode_load(struct store *s, uint64_t ino, struct inode_rec *r)
{
	sqlite3_stmt *q = stmt(s, STMT_INODE_GET);
	int rc;

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		rec_from_row(q, 0, r);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return store_err(s, rc, "load inode");
}

static void bind_rec(sqlite3_stmt *q, const struct inode_rec *r)
{
	sqlite3_bind_int64(q, 1, (int64_t)r->ino);
	sqlite3_bind_int64(q, 2, r->mode);
	sqlite3_bind_int64(q, 3, r->nlink);
	sqlite3_bind_int64(q, 4, r->uid);
	sqlite3_bind_int64(q, 5, r->gid);
	sqlite3_bind_int64(q, 6, (int64_t)r->size);
	sqlite3_bind_int64(q, 7, (int64_t)r->alloc);
	sqlite3_bind_int64(q, 8, (int64_t)r->rdev);
	if (r->parent)
		sqlite3_bind_int64(q, 9, (int64_t)r->parent);
	else
		sqlite3_bind_null(q, 9);
	sqlite3_bind_int64(q, 10, r->atime);
	sqlite3_bind_int64(q, 11, r->mtime);
	sqlite3_bind_int64(q, 12, r->ctime);
}

int inode_save(struct store *s, const struct inode_rec *r)
{
	sqlite3_stmt *q = stmt(s, STMT_INODE_UPDATE);

	batch_changed(s, r->ino);
	bind_rec(q, r);
	return run(s, q, "update inode");
}

static int inode_insert(struct store *s, const struct inode_rec *r)
{
	sqlite3_stmt *q = stmt(s, STMT_INODE_INSERT);

	batch_changed(s, r->ino);
	bind_rec(q, r);
	return run(s, q, "insert inode");
}

static void ns_to_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += 1000000000;
	}
}

void rec_to_stat(const struct inode_rec *r, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = r->ino;
	st->st_mode = r->mode;
	st->st_nlink = r->nlink;
	st->st_uid = r->uid;
	st->st_gid = r->gid;
	st->st_size = (off_t)r->size;
	st->st_rdev = (dev_t)r->rdev;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((r->alloc + 511) / 512);
	ns_to_ts(r->atime, &st->st_atim);
	ns_to_ts(r->mtime, &st->st_mtim);
	ns_to_ts(r->ctime, &st->st_ctim);
}

/* Deletes an unlinked inode and everything it owns.  In a transaction. */
int inode_purge(struct store *s, uint64_t ino)
{
	sqlite3_stmt *q = stmt(s, STMT_INODE_DELETE);
	int err;

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	err = run(s, q, "delete inode");
	if (err)
		return err;
	if (sqlite3_changes(s->db) == 0)
		return 0; /* linked again, or already gone: keep its data */
	batch_changed(s, ino);
	s->ninodes--;
	for (enum stmt_id id = STMT_CHUNK_DELETE_ALL; !err;) {
		q = stmt(s, id);
		sqlite3_bind_int64(q, 1, (int64_t)ino);
		err = run(s, q, "delete inode data");
		if (id == STMT_CHUNK_DELETE_ALL)
			id = STMT_XATTR_DELETE_ALL;
		else if (id == STMT_XATTR_DELETE_ALL)
			id = STMT_SYMLINK_DELETE;
		else
			break;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Directory entries                                                  */
/* ------------------------------------------------------------------ */

/* The inode an entry names, or -ENOENT. */
static int dirent_ino(struct store *s, uint64_t parent, const char *name,
		      uint64_t *ino)
{
	sqlite3_stmt *q = stmt(s, STMT_DIRENT_LOOKUP);
	int rc;

	sqlite3_bind_int64(q, 1, (int64_t)parent);
	bind_name(q, 2, name);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*ino = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : store_err(s, rc, "lookup");
}

static int entry_load(struct store *s, uint64_t parent, const char *name,
		      struct inode_rec *r)
{
	uint64_t ino = 0;
	int err = dirent_ino(s, parent, name, &ino);

	if (!err)
		err = inode_load(s, ino, r);
	if (err == -ENOENT && ino)
		gfs_log(GFS_LOG_ERR, "store: entry '%s' in %llu names missing "
			"inode %llu", name, (unsigned long long)parent,
			(unsigned long long)ino);
	return err;
}

/* A directory that can take new entries. */
static int dir_load(struct store *s, uint64_t ino, struct inode_rec *r)
{
	int err = inode_load(s, ino, r);

	if (err)
		return err;
	if (!S_ISDIR(r->mode))
		return -ENOTDIR;
	return r->nlink ? 0 : -ENOENT;
}

static int dirent_op(struct store *s, enum stmt_id id, uint64_t parent,
		     const char *name, uint64_t arg, const char *name2,
		     const char *what)
{
	sqlite3_stmt *q = stmt(s, id);

	blog_name(&s->batch_log, parent, name);
	if (name2)
		blog_name(&s->batch_log, arg, name2);
	sqlite3_bind_int64(q, 1, (int64_t)parent);
	bind_name(q, 2, name);
	if (id != STMT_DIRENT_DELETE)
		sqlite3_bind_int64(q, 3, (int64_t)arg);
	if (name2)
		bind_name(q, 4, name2);
	return run(s, q, what);
}

static int dirent_insert(struct store *s, uint64_t parent, const char *name,
			 uint64_t ino)
{
	sqlite3_stmt *q = stmt(s, STMT_DIRENT_INSERT);

	blog_name(&s->batch_log, parent, name);
	sqlite3_bind_int64(q, 1, (int64_t)parent);
	bind_name(q, 2, name);
	sqlite3_bind_int64(q, 3, (int64_t)ino);
	return run(s, q, "insert entry");
}

static int dir_is_empty(struct store *s, uint64_t ino)
{
	sqlite3_stmt *q = stmt(s, STMT_DIR_ANY);
	int rc;

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_ROW ? -ENOTEMPTY : store_err(s, rc, "list");
}

/* A directory gained or lost an entry (and @dlinks subdirectories). */
static int dir_changed(struct store *s, struct inode_rec *dir, int dlinks,
		       int64_t now)
{
	dir->nlink = (uint32_t)((int64_t)dir->nlink + dlinks);
	dir->mtime = dir->ctime = now;
	return inode_save(s, dir);
}

/* ------------------------------------------------------------------ */
/* Queries                                                            */
/* ------------------------------------------------------------------ */

int store_getattr(struct store *s, uint64_t ino, struct stat *st)
{
	struct inode_rec r;
	int err;

	store_lock(s);
	err = inode_load(s, ino, &r);
	store_unlock(s);
	if (!err)
		rec_to_stat(&r, st);
	return err;
}

int store_lookup(struct store *s, uint64_t parent, const char *name,
		 struct stat *st)
{
	struct inode_rec r;
	int err;

	store_lock(s);
	err = entry_load(s, parent, name, &r);
	store_unlock(s);
	if (!err)
		rec_to_stat(&r, st);
	return err;
}

int store_readlink(struct store *s, uint64_t ino, char *buf, size_t size,
		   size_t *len)
{
	sqlite3_stmt *q;
	int rc, err = 0;

	store_lock(s);
	q = stmt(s, STMT_SYMLINK_GET);
	sqlite3_bind_int64(q, 1, (int64_t)ino);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(q, 0);

		*len = n < size ? n : size;
		if (*len)
			memcpy(buf, sqlite3_column_blob(q, 0), *len);
	} else {
		err = rc == SQLITE_DONE ? -EINVAL : store_err(s, rc, "readlink");
	}
	sqlite3_reset(q);
	store_unlock(s);
	return err;
}

/* Emits "." and "..", then the entries, from @cookie on. */
int store_readdir(struct store *s, uint64_t dir, uint64_t cookie,
		  store_dirent_fn fn, void *ctx)
{
	struct inode_rec d, r;
	char name[GFS_NAME_MAX + 1];
	struct stat st;
	sqlite3_stmt *q;
	int rc, err;

	store_lock(s);
	err = inode_load(s, dir, &d);
	if (!err && !S_ISDIR(d.mode))
		err = -ENOTDIR;
	if (err)
		goto out_unlock;
	rec_to_stat(&d, &st);
	if (cookie < 1 && fn(ctx, ".", &st, 1))
		goto out_unlock;
	if (cookie < 2) {
		err = inode_load(s, d.parent ? d.parent : dir, &r);
		if (err)
			goto out_unlock;
		rec_to_stat(&r, &st);
		if (fn(ctx, "..", &st, 2))
			goto out_unlock;
	}
	q = stmt(s, STMT_DIR_LIST);
	sqlite3_bind_int64(q, 1, (int64_t)dir);
	sqlite3_bind_int64(q, 2, cookie > 2 ? (int64_t)(cookie - 2) : 0);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		int n = sqlite3_column_bytes(q, 1);

		if (n < 1 || n > GFS_NAME_MAX) {
			gfs_log(GFS_LOG_ERR, "store: directory %llu: entry "
				"%lld has a bad name length %d; skipped",
				(unsigned long long)dir, (long long)id, n);
			continue;
		}
		memcpy(name, sqlite3_column_blob(q, 1), (size_t)n);
		name[n] = '\0';
		rec_from_row(q, 2, &r);
		rec_to_stat(&r, &st);
		if (fn(ctx, name, &st, (uint64_t)id + 2))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = store_err(s, rc, "readdir");
	sqlite3_reset(q);
out_unlock:
	store_unlock(s);
	return err;
}

/* ------------------------------------------------------------------ */
/* Namespace changes                                                  */
/* ------------------------------------------------------------------ */

static int do_mknod(struct store *s, uint64_t parent, const char *name,
		    const struct store_new *n, struct inode_rec *r)
{
	struct inode_rec dir;
	int64_t now = store_now();
	uint64_t ino;
	int err;

	err = dir_load(s, parent, &dir);
	if (err)
		return err;
	err = dirent_ino(s, parent, name, &ino);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	memset(r, 0, sizeof(*r));
	r->ino = s->next_ino++;
	r->mode = n->mode;
	r->nlink = S_ISDIR(n->mode) ? 2 : 1;
	r->uid = n->uid;
	r->gid = n->gid;
	r->rdev = (S_ISCHR(n->mode) || S_ISBLK(n->mode)) ? n->rdev : 0;
	r->parent = S_ISDIR(n->mode) ? parent : 0;
	r->atime = r->mtime = r->ctime = now;
	if (S_ISLNK(n->mode))
		r->size = strlen(n->target);
	err = inode_insert(s, r);
	if (err == -EEXIST) {
		/* Another connection took the number since the watcher last
		 * looked: take one past the largest. */
		sqlite3_stmt *q = stmt(s, STMT_INODE_MAX);

		if (sqlite3_step(q) == SQLITE_ROW)
			s->next_ino = (uint64_t)sqlite3_column_int64(q, 0) + 1;
		sqlite3_reset(q);
		r->ino = s->next_ino++;
		err = inode_insert(s, r);
	}
	if (!err)
		err = dirent_insert(s, parent, name, r->ino);
	if (!err && S_ISLNK(n->mode)) {
		sqlite3_stmt *q = stmt(s, STMT_SYMLINK_INSERT);

		sqlite3_bind_int64(q, 1, (int64_t)r->ino);
		sqlite3_bind_blob(q, 2, n->target, (int)r->size,
				  SQLITE_STATIC);
		err = run(s, q, "insert symlink");
	}
	if (!err)
		err = dir_changed(s, &dir, S_ISDIR(n->mode) ? 1 : 0, now);
	if (!err)
		s->ninodes++;
	return err;
}

int store_mknod(struct store *s, uint64_t parent, const char *name,
		const struct store_new *n, struct stat *st)
{
	struct inode_rec r;
	int err;

	err = wop_begin(s, WOP_META);
	if (err)
		return err;
	err = wop_end(s, do_mknod(s, parent, name, n, &r));
	if (!err)
		rec_to_stat(&r, st);
	return err;
}

static int do_link(struct store *s, uint64_t ino, uint64_t parent,
		   const char *name, struct inode_rec *r)
{
	struct inode_rec dir;
	int64_t now = store_now();
	uint64_t other;
	int err;

	err = inode_load(s, ino, r);
	if (err)
		return err;
	if (S_ISDIR(r->mode))
		return -EPERM;
	if (r->nlink == 0)
		return -ENOENT;
	if (r->nlink >= GFS_LINK_MAX)
		return -EMLINK;
	err = dir_load(s, parent, &dir);
	if (err)
		return err;
	err = dirent_ino(s, parent, name, &other);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	err = dirent_insert(s, parent, name, ino);
	if (err)
		return err;
	r->nlink++;
	r->ctime = now;
	err = inode_save(s, r);
	return err ? err : dir_changed(s, &dir, 0, now);
}

int store_link(struct store *s, uint64_t ino, uint64_t parent,
	       const char *name, struct stat *st)
{
	struct inode_rec r;
	int err;

	err = wop_begin(s, WOP_META);
	if (err)
		return err;
	err = wop_end(s, do_link(s, ino, parent, name, &r));
	if (!err)
		rec_to_stat(&r, st);
	return err;
}

/* Removes the entry @name of @dir (loaded), whose inode is @r. */
static int remove_entry(struct store *s, struct inode_rec *dir,
			const char *name, struct inode_rec *r,
			struct store_gone *gone, int64_t now)
{
	bool isdir = S_ISDIR(r->mode);
	int err;

	err = dirent_op(s, STMT_DIRENT_DELETE, dir->ino, name, 0, NULL,
			"delete entry");
	if (err)
		return err;
	r->nlink = isdir || r->nlink == 0 ? 0 : r->nlink - 1;
	r->ctime = now;
	err = inode_save(s, r);
	if (err)
		return err;
	gone->ino = r->ino;
	gone->nlink = r->nlink;
	return dir_changed(s, dir, isdir ? -1 : 0, now);
}

static int do_remove(struct store *s, uint64_t parent, const char *name,
		     bool rmdir, struct store_gone *gone)
{
	struct inode_rec dir, r;
	int err;

	err = dir_load(s, parent, &dir);
	if (!err)
		err = entry_load(s, parent, name, &r);
	if (err)
		return err;
	if (rmdir && !S_ISDIR(r.mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(r.mode))
		return -EISDIR;
	if (rmdir) {
		err = dir_is_empty(s, r.ino);
		if (err)
			return err;
	}
	return remove_entry(s, &dir, name, &r, gone, store_now());
}

int store_unlink(struct store *s, uint64_t parent, const char *name,
		 struct store_gone *gone)
{
	int err;

	memset(gone, 0, sizeof(*gone));
	err = wop_begin(s, WOP_FREES);
	if (err)
		return err;
	return wop_end(s, do_remove(s, parent, name, false, gone));
}

int store_rmdir(struct store *s, uint64_t parent, const char *name,
		struct store_gone *gone)
{
	int err;

	memset(gone, 0, sizeof(*gone));
	err = wop_begin(s, WOP_FREES);
	if (err)
		return err;
	return wop_end(s, do_remove(s, parent, name, true, gone));
}

/* Whether directory @a is @d or one of its ancestors. */
static int is_ancestor(struct store *s, uint64_t a, uint64_t d, bool *res)
{
	struct inode_rec r;

	for (int depth = 0; depth < TREE_DEPTH_MAX; depth++) {
		int err;

		if (d == a) {
			*res = true;
			return 0;
		}
		if (d == GFS_ROOT_INO) {
			*res = false;
			return 0;
		}
		err = inode_load(s, d, &r);
		if (err)
			return err;
		d = r.parent;
	}
	gfs_log(GFS_LOG_ERR, "store: directory tree deeper than %d or "
		"looping", TREE_DEPTH_MAX);
	return -EIO;
}

/* Moving directory @r from @from to @to: its ".." and the link counts. */
static int move_dir(struct store *s, struct inode_rec *r,
		    struct inode_rec *from, struct inode_rec *to)
{
	if (!S_ISDIR(r->mode) || from->ino == to->ino)
		return 0;
	r->parent = to->ino;
	from->nlink--;
	to->nlink++;
	return 0;
}

/*
 * The state of one rename: both directories (the same record twice when
 * they are one directory, kept in step), both entries' inodes.
 */
struct rename_ctx {
	struct inode_rec dir, newdir_own, *newdir;
	struct inode_rec src, dst;
	bool have_dst;
	int64_t now;
};

static int rename_check(struct store *s, struct rename_ctx *c, unsigned flags)
{
	bool bad;
	int err;

	if (S_ISDIR(c->src.mode)) {
		err = is_ancestor(s, c->src.ino, c->newdir->ino, &bad);
		if (err)
			return err;
		if (bad)
			return -EINVAL;
	}
	if (!c->have_dst)
		return 0;
	if (flags & RENAME_EXCHANGE) {
		if (!S_ISDIR(c->dst.mode))
			return 0;
		err = is_ancestor(s, c->dst.ino, c->dir.ino, &bad);
		return err ? err : bad ? -EINVAL : 0;
	}
	if (S_ISDIR(c->src.mode) && !S_ISDIR(c->dst.mode))
		return -ENOTDIR;
	if (!S_ISDIR(c->src.mode) && S_ISDIR(c->dst.mode))
		return -EISDIR;
	return S_ISDIR(c->dst.mode) ? dir_is_empty(s, c->dst.ino) : 0;
}

static int rename_exchange(struct store *s, struct rename_ctx *c,
			   const char *name, const char *newname)
{
	int err;

	err = dirent_op(s, STMT_DIRENT_SET_INO, c->dir.ino, name, c->dst.ino,
			NULL, "exchange");
	if (!err)
		err = dirent_op(s, STMT_DIRENT_SET_INO, c->newdir->ino,
				newname, c->src.ino, NULL, "exchange");
	if (err)
		return err;
	move_dir(s, &c->src, &c->dir, c->newdir);
	move_dir(s, &c->dst, c->newdir, &c->dir);
	c->dst.ctime = c->now;
	return inode_save(s, &c->dst);
}

static int do_rename(struct store *s, uint64_t parent, const char *name,
		     uint64_t newparent, const char *newname, unsigned flags,
		     struct store_gone *gone)
{
	struct rename_ctx c = { .now = store_now() };
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		return -EINVAL;
	err = dir_load(s, parent, &c.dir);
	if (err)
		return err;
	c.newdir = &c.dir;
	if (newparent != parent) {
		c.newdir = &c.newdir_own;
		err = dir_load(s, newparent, c.newdir);
		if (err)
			return err;
	}
	err = entry_load(s, parent, name, &c.src);
	if (err)
		return err;
	err = entry_load(s, newparent, newname, &c.dst);
	if (err && err != -ENOENT)
		return err;
	c.have_dst = !err;
	if (!c.have_dst && flags & RENAME_EXCHANGE)
		return -ENOENT;
	if (c.have_dst && flags & RENAME_NOREPLACE)
		return -EEXIST;
	if (c.have_dst && c.dst.ino == c.src.ino)
		return 0; /* two links to one inode: POSIX says do nothing */
	err = rename_check(s, &c, flags);
	if (err)
		return err;
	if (flags & RENAME_EXCHANGE) {
		err = rename_exchange(s, &c, name, newname);
	} else {
		if (c.have_dst) {
			err = remove_entry(s, c.newdir, newname, &c.dst, gone,
					   c.now);
			if (err)
				return err;
		}
		err = dirent_op(s, STMT_DIRENT_MOVE, parent, name, newparent,
				newname, "move entry");
		if (!err)
			err = move_dir(s, &c.src, &c.dir, c.newdir);
	}
	if (err)
		return err;
	c.src.ctime = c.now;
	err = inode_save(s, &c.src);
	if (!err)
		err = dir_changed(s, &c.dir, 0, c.now);
	if (!err && c.newdir != &c.dir)
		err = dir_changed(s, c.newdir, 0, c.now);
	return err;
}

int store_rename(struct store *s, uint64_t parent, const char *name,
		 uint64_t newparent, const char *newname, unsigned flags,
		 struct store_gone *gone)
{
	int err;

	memset(gone, 0, sizeof(*gone));
	err = wop_begin(s, WOP_FREES);
	if (err)
		return err;
	return wop_end(s, do_rename(s, parent, name, newparent, newname, flags,
				    gone));
}

static int do_setattr(struct store *s, uint64_t ino,
		      const struct store_setattr *sa, struct inode_rec *r)
{
	/* With the write-back cache the kernel sends its own "now" as the
	 * ctime: use it for *_NOW too, so that one touch gives one time. */
	int64_t now = sa->valid & STORE_SET_CTIME ? ts_ns(&sa->ctime)
						  : store_now();
	int err;

	err = inode_load(s, ino, r);
	if (err)
		return err;
	if (sa->valid & STORE_SET_SIZE) {
		if (S_ISDIR(r->mode))
			return -EISDIR;
		if (!S_ISREG(r->mode))
			return -EINVAL;
		if (sa->size > (uint64_t)GFS_MAX_FILESIZE)
			return -EFBIG;
		/* Even to the same size, as ext4: truncate(2) is a write. */
		r->mtime = now;
		err = data_truncate(s, r, sa->size);
		if (err)
			return err;
	}
	if (sa->valid & STORE_SET_MODE)
		r->mode = (r->mode & S_IFMT) | (sa->mode & 07777);
	if (sa->valid & STORE_SET_UID)
		r->uid = sa->uid;
	if (sa->valid & STORE_SET_GID)
		r->gid = sa->gid;
	if (sa->valid & STORE_SET_ATIME_NOW)
		r->atime = now;
	else if (sa->valid & STORE_SET_ATIME)
		r->atime = ts_ns(&sa->atime);
	if (sa->valid & STORE_SET_MTIME_NOW)
		r->mtime = now;
	else if (sa->valid & STORE_SET_MTIME)
		r->mtime = ts_ns(&sa->mtime);
	r->ctime = sa->valid & STORE_SET_CTIME ? ts_ns(&sa->ctime) : now;
	return inode_save(s, r);
}

int store_setattr(struct store *s, uint64_t ino,
		  const struct store_setattr *sa, struct stat *st)
{
	struct inode_rec r;
	int err;

	err = wop_begin(s, WOP_FREES);
	if (err)
		return err;
	err = wop_end(s, do_setattr(s, ino, sa, &r));
	if (!err)
		rec_to_stat(&r, st);
	return err;
}

int store_reclaim(struct store *s, uint64_t ino)
{
	int err;

	err = wop_begin(s, WOP_FREES);
	if (err)
		return err;
	return wop_end(s, inode_purge(s, ino));
}

/* ------------------------------------------------------------------ */
/* Extended attributes                                                */
/* ------------------------------------------------------------------ */

static sqlite3_stmt *xattr_stmt(struct store *s, enum stmt_id id,
				uint64_t ino, const char *name)
{
	sqlite3_stmt *q = stmt(s, id);

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	if (name)
		sqlite3_bind_blob(q, 2, name, (int)strlen(name),
				  SQLITE_STATIC);
	return q;
}

int store_getxattr(struct store *s, uint64_t ino, const char *name,
		   void *buf, size_t size, size_t *len)
{
	struct inode_rec r;
	sqlite3_stmt *q;
	int rc, err;

	/* The kernel asks for this one before every write(2) that could
	 * clear set-id bits (file_remove_privs): answer from memory while no
	 * file has capabilities, instead of queueing behind a commit. */
	if (!strcmp(name, XATTR_CAPS) &&
	    !__atomic_load_n(&s->caps_possible, __ATOMIC_RELAXED))
		return -ENODATA;
	store_lock(s);
	err = inode_load(s, ino, &r);
	if (err)
		goto out_unlock;
	q = xattr_stmt(s, STMT_XATTR_GET, ino, name);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(q, 0);
		if (size && *len > size)
			err = -ERANGE;
		else if (size && *len)
			memcpy(buf, sqlite3_column_blob(q, 0), *len);
	} else {
		err = rc == SQLITE_DONE ? -ENODATA
					: store_err(s, rc, "getxattr");
	}
	sqlite3_reset(q);
out_unlock:
	store_unlock(s);
	return err;
}

static int do_setxattr(struct store *s, uint64_t ino, const char *name,
		       const void *value, size_t size, int flags)
{
	struct inode_rec r;
	sqlite3_stmt *q;
	int err;

	if (!strcmp(name, XATTR_CAPS))
		__atomic_store_n(&s->caps_possible, true, __ATOMIC_RELAXED);
	err = inode_load(s, ino, &r);
	if (err)
		return err;
	q = xattr_stmt(s, flags & XATTR_CREATE ? STMT_XATTR_INSERT
					       : STMT_XATTR_UPDATE,
		       ino, name);
	/* A zero-length value is still a value: bind a non-NULL blob. */
	sqlite3_bind_blob(q, 3, size ? value : "", (int)size, SQLITE_STATIC);
	err = run(s, q, "setxattr");
	if (err)
		return err;
	if (!(flags & XATTR_CREATE) && sqlite3_changes(s->db) == 0) {
		if (flags & XATTR_REPLACE)
			return -ENODATA;
		q = xattr_stmt(s, STMT_XATTR_INSERT, ino, name);
		sqlite3_bind_blob(q, 3, size ? value : "", (int)size,
				  SQLITE_STATIC);
		err = run(s, q, "setxattr");
		if (err)
			return err;
	}
	r.ctime = store_now();
	return inode_save(s, &r);
}

int store_setxattr(struct store *s, uint64_t ino, const char *name,
		   const void *value, size_t size, int flags)
{
	int err;

	if ((flags & XATTR_CREATE) && (flags & XATTR_REPLACE))
		return -EINVAL;
	err = wop_begin(s, (int64_t)size);
	if (err)
		return err;
	return wop_end(s, do_setxattr(s, ino, name, value, size, flags));
}

int store_listxattr(struct store *s, uint64_t ino, char *buf, size_t size,
		    size_t *len)
{
	struct inode_rec r;
	sqlite3_stmt *q;
	size_t total = 0;
	int rc, err;

	store_lock(s);
	err = inode_load(s, ino, &r);
	if (err)
		goto out_unlock;
	q = xattr_stmt(s, STMT_XATTR_LIST, ino, NULL);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(q, 0);

		if (size && total + n + 1 > size) {
			err = -ERANGE;
			break;
		}
		if (size) {
			memcpy(buf + total, sqlite3_column_blob(q, 0), n);
			buf[total + n] = '\0';
		}
		total += n + 1;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_err(s, rc, "listxattr");
	sqlite3_reset(q);
	*len = total;
out_unlock:
	store_unlock(s);
	return err;
}

static int do_removexattr(struct store *s, uint64_t ino, const char *name)
{
	struct inode_rec r;
	int err;

	err = inode_load(s, ino, &r);
	if (!err)
		err = run(s, xattr_stmt(s, STMT_XATTR_DELETE, ino, name),
			  "removexattr");
	if (err)
		return err;
	if (sqlite3_changes(s->db) == 0)
		return -ENODATA;
	r.ctime = store_now();
	return inode_save(s, &r);
}

int store_removexattr(struct store *s, uint64_t ino, const char *name)
{
	int err;

	err = wop_begin(s, WOP_FREES);
	if (err)
		return err;
	return wop_end(s, do_removexattr(s, ino, name));
}

/* Prepends "/" @name to the path being built backwards at buf[*pos..]. */
static int prepend(char *buf, size_t *pos, const void *name, size_t n)
{
	if (n + 1 > *pos)
		return -ENAMETOOLONG;
	*pos -= n;
	memcpy(buf + *pos, name, n);
	buf[--*pos] = '/';
	return 0;
}

static int do_path(struct store *s, uint64_t ino, char *buf, size_t size)
{
	sqlite3_stmt *q = stmt(s, STMT_DIRENT_OF_INO);
	size_t pos = size - 1;
	int depth, rc, err = 0;

	buf[pos] = '\0';
	for (depth = 0; ino != GFS_ROOT_INO && !err; depth++) {
		if (depth == TREE_DEPTH_MAX)
			return -ELOOP;
		sqlite3_bind_int64(q, 1, (int64_t)ino);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			ino = (uint64_t)sqlite3_column_int64(q, 0);
			err = prepend(buf, &pos, sqlite3_column_blob(q, 1),
				      (size_t)sqlite3_column_bytes(q, 1));
		} else {
			err = rc == SQLITE_DONE ? -ENOENT
						: store_err(s, rc, "path");
		}
		sqlite3_reset(q);
	}
	if (err)
		return err;
	if (pos == size - 1 && prepend(buf, &pos, "", 0))
		return -ENAMETOOLONG;
	memmove(buf, buf + pos, size - pos);
	return 0;
}

int store_path(struct store *s, uint64_t ino, char *buf, size_t size)
{
	int err;

	if (size < 2)
		return -ENAMETOOLONG;
	store_lock(s);
	err = do_path(s, ino, buf, size);
	store_unlock(s);
	return err;
}
