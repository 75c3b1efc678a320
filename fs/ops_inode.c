// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops_inode.c - requests about inodes as such: the session's init and
 * destroy, lookup and forget, attributes, symlink targets, statfs.
 *
 * Layer: FUSE glue (like the kernel's fs/fuse/inode.c and parts of
 * dir.c).  Each gfs_<op> traces, calls the store, replies once.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "fs.h"
#include "log.h"

/* Default timeouts per cache mode: explicit invalidation keeps long ones
 * safe in "always"; "never" sends every stat to the daemon. */
static const struct {
	double attr, entry, negative;
} timeouts[] = {
	[GFS_CACHE_AUTO] = { 1.0, 1.0, 0.0 },
	[GFS_CACHE_ALWAYS] = { 3600.0, 3600.0, 10.0 },
	[GFS_CACHE_NEVER] = { 0.0, 0.0, 0.0 },
};

static void want(struct fuse_conn_info *conn, unsigned cap, bool on)
{
	if (on && (conn->capable & cap))
		conn->want |= cap;
	else
		conn->want &= ~cap;
}

void gfs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct gfs *g = userdata;
	const struct gfs_opts *o = g->opts;
	bool cached = o->cache != GFS_CACHE_NEVER;

	want(conn, FUSE_CAP_WRITEBACK_CACHE,
	     o->writeback < 0 ? cached : o->writeback);
	want(conn, FUSE_CAP_AUTO_INVAL_DATA, o->cache == GFS_CACHE_AUTO);
	want(conn, FUSE_CAP_READDIRPLUS, true);
	want(conn, FUSE_CAP_READDIRPLUS_AUTO, true);
	want(conn, FUSE_CAP_PARALLEL_DIROPS, true);
	want(conn, FUSE_CAP_ASYNC_READ, true);
	want(conn, FUSE_CAP_CACHE_SYMLINKS, cached);
	/* The kernel clears set-id bits on write and chown itself. */
	want(conn, FUSE_CAP_HANDLE_KILLPRIV, false);
	/* The kernel applies the umask; no POSIX ACLs (see Non-features). */
	want(conn, FUSE_CAP_DONT_MASK, false);
	want(conn, FUSE_CAP_POSIX_ACL, false);
	want(conn, FUSE_CAP_ATOMIC_O_TRUNC, false);
	if (o->max_write)
		conn->max_write = o->max_write;
	/* The kernel offers its bdi's window (128 KiB) and takes the
	 * smaller of that and ours; a wider one is set through sysfs by the
	 * watcher once this reply is out (watch.c). */
	if (o->max_readahead && o->max_readahead < conn->max_readahead)
		conn->max_readahead = o->max_readahead;
	if (o->max_background)
		conn->max_background = o->max_background;
	conn->time_gran = 1;
	g->writeback = conn->want & FUSE_CAP_WRITEBACK_CACHE;
	g->attr_timeout = isnan(o->attr_timeout) ? timeouts[o->cache].attr
						 : o->attr_timeout;
	g->entry_timeout = isnan(o->entry_timeout) ? timeouts[o->cache].entry
						   : o->entry_timeout;
	g->negative_timeout = isnan(o->negative_timeout)
				      ? timeouts[o->cache].negative
				      : o->negative_timeout;
	__atomic_store_n(&g->inited, true, __ATOMIC_RELEASE);
	gfs_log(GFS_LOG_INFO,
		"init: protocol 7.%u, writeback_cache %s, max_write %u, "
		"max_readahead %u",
		conn->proto_minor, g->writeback ? "on" : "off",
		conn->max_write, conn->max_readahead);
}

void gfs_destroy(void *userdata)
{
	struct gfs *g = userdata;
	int err = store_sync(g->store, 0);

	if (err)
		gfs_log(GFS_LOG_ERR, "final commit failed: %s",
			strerror(-err));
}

void gfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct gfs_call c;
	struct stat st;
	int err;

	call_begin(&c, req, GFS_OP_LOOKUP, parent);
	c.tc.name = name;
	err = check_name(name);
	if (!err)
		err = store_lookup(c.g->store, parent, name, &st);
	reply_entry(&c, err, &st);
}

static void forget_one(struct gfs *g, uint64_t ino, uint64_t n)
{
	inode_gone(g, ino, itab_forget(&g->itab, ino, n));
}

void gfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct gfs_call c;

	call_begin(&c, req, GFS_OP_FORGET, ino);
	c.tc.len = (uint32_t)nlookup;
	forget_one(c.g, ino, nlookup);
	call_end(&c, 0);
	fuse_reply_none(req);
}

void gfs_forget_multi(fuse_req_t req, size_t count,
		      struct fuse_forget_data *forgets)
{
	struct gfs_call c;

	call_begin(&c, req, GFS_OP_BATCH_FORGET, 0);
	c.tc.len = (uint32_t)count;
	for (size_t i = 0; i < count; i++)
		forget_one(c.g, forgets[i].ino, forgets[i].nlookup);
	call_end(&c, 0);
	fuse_reply_none(req);
}

void gfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct gfs_call c;
	struct stat st;

	call_begin(&c, req, GFS_OP_GETATTR, ino);
	reply_attr(&c, store_getattr(c.g->store, ino, &st), &st);
}

/* FUSE_SET_ATTR_* to the store's form; *_NOW is resolved by the store,
 * with one clock reading for the whole request. */
static void to_store_setattr(const struct stat *attr, int to_set,
			     struct store_setattr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (to_set & FUSE_SET_ATTR_MODE) {
		sa->valid |= STORE_SET_MODE;
		sa->mode = attr->st_mode;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		sa->valid |= STORE_SET_UID;
		sa->uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		sa->valid |= STORE_SET_GID;
		sa->gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		sa->valid |= STORE_SET_SIZE;
		sa->size = (uint64_t)attr->st_size;
	}
	if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
		sa->valid |= STORE_SET_ATIME_NOW;
	} else if (to_set & FUSE_SET_ATTR_ATIME) {
		sa->valid |= STORE_SET_ATIME;
		sa->atime = attr->st_atim;
	}
	if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
		sa->valid |= STORE_SET_MTIME_NOW;
	} else if (to_set & FUSE_SET_ATTR_MTIME) {
		sa->valid |= STORE_SET_MTIME;
		sa->mtime = attr->st_mtim;
	}
	if (to_set & FUSE_SET_ATTR_CTIME) {
		sa->valid |= STORE_SET_CTIME;
		sa->ctime = attr->st_ctim;
	}
}

void gfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		 int to_set, struct fuse_file_info *fi)
{
	struct store_setattr sa;
	struct gfs_call c;
	struct stat st;

	call_begin(&c, req, GFS_OP_SETATTR, ino);
	c.tc.aux = (uint64_t)to_set;
	if (to_set & FUSE_SET_ATTR_SIZE)
		c.tc.off = (uint64_t)attr->st_size;
	to_store_setattr(attr, to_set, &sa);
	reply_attr(&c, store_setattr(c.g->store, ino, &sa, &st), &st);
}

void gfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	struct gfs_call c;
	size_t len = 0;
	int err;

	call_begin(&c, req, GFS_OP_READLINK, ino);
	err = store_readlink(c.g->store, ino, buf, sizeof(buf) - 1, &len);
	if (err) {
		reply_err(&c, err);
		return;
	}
	buf[len] = '\0';
	call_end(&c, (int64_t)len);
	fuse_reply_readlink(req, buf);
}

void gfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	struct gfs_call c;
	int err;

	call_begin(&c, req, GFS_OP_STATFS, ino);
	err = store_statfs(c.g->store, &sv);
	if (err) {
		reply_err(&c, err);
		return;
	}
	call_end(&c, 0);
	fuse_reply_statfs(req, &sv);
}
