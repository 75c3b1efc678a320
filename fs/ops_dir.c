// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops_dir.c - requests on directories and names: creating and removing
 * entries, links, renames, listing.
 *
 * Layer: FUSE glue (like the kernel's fs/fuse/dir.c).  Ownership of new
 * inodes is decided here (requester's uid and gid, the parent's group
 * for setgid directories); storage is the store's.  Every inode that
 * loses its last link is handed to inode_gone() with itab's verdict.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"

/* Whether the requester is a member of @gid. */
static bool in_group(fuse_req_t req, gid_t gid)
{
	gid_t groups[64];
	int n;

	if (fuse_req_ctx(req)->gid == gid)
		return true;
	n = fuse_req_getgroups(req, 64, groups);
	for (int i = 0; i < n && i < 64; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

int make_node(struct gfs_call *c, uint64_t parent, const char *name,
	      mode_t mode, dev_t rdev, const char *target, struct stat *st)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(c->req);
	struct store_new n = {
		.mode = mode, .uid = ctx->uid, .gid = ctx->gid, .rdev = rdev,
		.target = target,
	};
	struct stat pst;
	int err;

	err = check_name(name);
	if (!err && target && strlen(target) >= PATH_MAX)
		err = -ENAMETOOLONG;
	if (!err)
		err = store_getattr(c->g->store, parent, &pst);
	if (err)
		return err;
	if (pst.st_mode & S_ISGID) {
		/* BSD group semantics below a setgid directory. */
		n.gid = pst.st_gid;
		if (S_ISDIR(mode))
			n.mode |= S_ISGID;
	}
	if (!S_ISDIR(mode) && (n.mode & S_ISGID) && (n.mode & S_IXGRP) &&
	    ctx->uid != 0 && !in_group(c->req, n.gid))
		n.mode &= ~(mode_t)S_ISGID;
	return store_mknod(c->g->store, parent, name, &n, st);
}

static void new_node(fuse_req_t req, unsigned op, fuse_ino_t parent,
		     const char *name, mode_t mode, dev_t rdev,
		     const char *target)
{
	struct gfs_call c;
	struct stat st;
	int err;

	call_begin(&c, req, op, parent);
	c.tc.name = name;
	err = make_node(&c, parent, name, mode, rdev, target, &st);
	reply_entry(&c, err, &st);
}

void gfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, dev_t rdev)
{
	new_node(req, GFS_OP_MKNOD, parent, name, mode, rdev, NULL);
}

void gfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode)
{
	new_node(req, GFS_OP_MKDIR, parent, name, S_IFDIR | (mode & 07777), 0,
		 NULL);
}

void gfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		 const char *name)
{
	new_node(req, GFS_OP_SYMLINK, parent, name, S_IFLNK | 0777, 0, link);
}

void gfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname)
{
	struct gfs_call c;
	struct stat st;
	int err;

	call_begin(&c, req, GFS_OP_LINK, ino);
	c.tc.name = newname;
	c.tc.aux = newparent;
	err = check_name(newname);
	if (!err)
		err = store_link(c.g->store, ino, newparent, newname, &st);
	reply_entry(&c, err, &st);
}

/* The inode an unlink, rmdir or rename took the last link from. */
static void unlinked(struct gfs *g, const struct store_gone *gone)
{
	if (gone->ino && gone->nlink == 0)
		inode_gone(g, gone->ino, itab_unlinked(&g->itab, gone->ino));
}

static void remove_name(fuse_req_t req, unsigned op, fuse_ino_t parent,
			const char *name)
{
	struct store_gone gone;
	struct gfs_call c;
	int err;

	call_begin(&c, req, op, parent);
	c.tc.name = name;
	err = check_name(name);
	if (!err && op == GFS_OP_RMDIR)
		err = store_rmdir(c.g->store, parent, name, &gone);
	else if (!err)
		err = store_unlink(c.g->store, parent, name, &gone);
	if (!err) {
		c.tc.aux = gone.ino;
		unlinked(c.g, &gone);
	}
	reply_err(&c, err);
}

void gfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, GFS_OP_UNLINK, parent, name);
}

void gfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, GFS_OP_RMDIR, parent, name);
}

void gfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct store_gone gone;
	struct gfs_call c;
	int err;

	call_begin(&c, req, GFS_OP_RENAME, parent);
	c.tc.name = name;
	c.tc.aux = newparent;
	c.tc.len = flags;
	err = check_name(name);
	if (!err)
		err = check_name(newname);
	if (!err)
		err = store_rename(c.g->store, parent, name, newparent, newname,
				   flags, &gone);
	if (!err)
		unlinked(c.g, &gone);
	reply_err(&c, err);
}

void gfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct gfs_call c;
	struct stat st;
	int err;

	call_begin(&c, req, GFS_OP_OPENDIR, ino);
	err = store_getattr(c.g->store, ino, &st);
	if (!err && !S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	if (err) {
		reply_err(&c, err);
		return;
	}
	/* The kernel may keep a listing in the directory's page cache
	 * across opens.  It drops it when the directory changes through
	 * this mount, when an attribute refresh shows another mtime (after
	 * attr_timeout: the bound of cache=auto), and when the watcher
	 * invalidates the directory after a change made behind its back. */
	fi->cache_readdir = c.g->opts->cache != GFS_CACHE_NEVER;
	fi->keep_cache = fi->cache_readdir;
	call_end(&c, 0);
	fuse_reply_open(req, fi);
}

/* A reply buffer being filled by store_readdir(). */
struct dirbuf {
	fuse_req_t req;
	struct gfs *g;
	char *buf;
	size_t size, used;
	bool plus;
	uint64_t *refs;		/* readdirplus: inodes to count */
	size_t nrefs, maxrefs;
	uint32_t entries;
};

static bool is_dot(const char *name)
{
	return name[0] == '.' &&
	       (!name[1] || (name[1] == '.' && !name[2]));
}

static int dirbuf_add(void *ctx, const char *name, const struct stat *st,
		      uint64_t cookie)
{
	struct dirbuf *d = ctx;
	size_t room = d->size - d->used, n;

	if (d->plus) {
		struct fuse_entry_param e;

		fill_entry(d->g, &e, st);
		/* The kernel takes no reference for "." and "..". */
		if (is_dot(name))
			e.attr_timeout = e.entry_timeout = 0;
		if (!is_dot(name) && d->nrefs == d->maxrefs)
			return 1;
		n = fuse_add_direntry_plus(d->req, d->buf + d->used, room,
					   name, &e, (off_t)cookie);
		if (n > room)
			return 1;
		if (!is_dot(name))
			d->refs[d->nrefs++] = st->st_ino;
	} else {
		n = fuse_add_direntry(d->req, d->buf + d->used, room, name, st,
				      (off_t)cookie);
		if (n > room)
			return 1;
	}
	d->used += n;
	d->entries++;
	return 0;
}

static void list(fuse_req_t req, unsigned op, fuse_ino_t ino, size_t size,
		 off_t off, bool plus)
{
	struct dirbuf d = { .req = req, .size = size, .plus = plus };
	struct gfs_call c;
	int err = -ENOMEM;

	call_begin(&c, req, op, ino);
	c.tc.off = (uint64_t)off;
	c.tc.len = (uint32_t)size;
	d.g = c.g;
	d.buf = malloc(size);
	/* The smallest readdirplus entry is well over 64 bytes. */
	d.maxrefs = size / 64 + 1;
	if (plus)
		d.refs = malloc(d.maxrefs * sizeof(*d.refs));
	if (d.buf && (!plus || d.refs))
		err = store_readdir(c.g->store, ino, (uint64_t)off, dirbuf_add,
				    &d);
	/* References are counted before the reply, after the store lock is
	 * dropped (the store lock is innermost). */
	for (size_t i = 0; !err && i < d.nrefs; i++)
		err = itab_ref(&c.g->itab, d.refs[i], 1);
	if (err) {
		reply_err(&c, err);
	} else {
		call_end(&c, d.entries);
		fuse_reply_buf(req, d.buf, d.used);
	}
	free(d.refs);
	free(d.buf);
}

void gfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	list(req, GFS_OP_READDIR, ino, size, off, false);
}

void gfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	list(req, GFS_OP_READDIRPLUS, ino, size, off, true);
}

void gfs_releasedir(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi)
{
	struct gfs_call c;

	call_begin(&c, req, GFS_OP_RELEASEDIR, ino);
	reply_err(&c, 0);
}

void gfs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi)
{
	struct gfs_call c;

	call_begin(&c, req, GFS_OP_FSYNCDIR, ino);
	reply_err(&c, store_sync(c.g->store, ino));
}
