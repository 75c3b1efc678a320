// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops.c - the FUSE operation table and what every handler shares: the
 * trace prologue and epilogue, entry and attribute replies, and the
 * reclaim of inodes nothing holds any more.
 *
 * Layer: FUSE glue.  Read the table below to find where any request goes.
 */
#include <errno.h>
#include <string.h>

#include "fs.h"
#include "log.h"

const struct fuse_lowlevel_ops gfs_oper = {
	.init = gfs_init,
	.destroy = gfs_destroy,
	.lookup = gfs_lookup,
	.forget = gfs_forget,
	.forget_multi = gfs_forget_multi,
	.getattr = gfs_getattr,
	.setattr = gfs_setattr,
	.readlink = gfs_readlink,
	.mknod = gfs_mknod,
	.mkdir = gfs_mkdir,
	.unlink = gfs_unlink,
	.rmdir = gfs_rmdir,
	.symlink = gfs_symlink,
	.rename = gfs_rename,
	.link = gfs_link,
	.open = gfs_open,
	.read = gfs_read,
	.write_buf = gfs_write_buf,
	.flush = gfs_flush,
	.release = gfs_release,
	.fsync = gfs_fsync,
	.opendir = gfs_opendir,
	.readdir = gfs_readdir,
	.readdirplus = gfs_readdirplus,
	.releasedir = gfs_releasedir,
	.fsyncdir = gfs_fsyncdir,
	.statfs = gfs_statfs,
	.setxattr = gfs_setxattr,
	.getxattr = gfs_getxattr,
	.listxattr = gfs_listxattr,
	.removexattr = gfs_removexattr,
	.create = gfs_create,
	.fallocate = gfs_fallocate,
	.lseek = gfs_lseek,
	.copy_file_range = gfs_copy_file_range,
};

void call_begin(struct gfs_call *c, fuse_req_t req, unsigned op,
		uint64_t ino)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	memset(&c->tc, 0, sizeof(c->tc));
	c->g = gfs_of(req);
	c->req = req;
	c->tc.op = (uint16_t)op;
	c->tc.ino = ino;
	c->tc.pid = (uint32_t)ctx->pid;
	c->tc.uid = (uint32_t)ctx->uid;
	if (c->g->trace) {
		c->tc.t0 = trace_now();
		c->sql0 = store_thread_ns();
	}
}

void call_end(struct gfs_call *c, int64_t result)
{
	if (c->g->trace)
		trace_end(c->g->trace, &c->tc, result,
			  store_thread_ns() - c->sql0);
}

void fill_entry(struct gfs *g, struct fuse_entry_param *e,
		const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = st->st_ino;
	e->attr = *st;
	e->attr_timeout = g->attr_timeout;
	e->entry_timeout = g->entry_timeout;
}

void inode_gone(struct gfs *g, uint64_t ino, bool reclaim)
{
	int err;

	if (!reclaim)
		return;
	err = store_reclaim(g->store, ino);
	if (err)
		gfs_log(GFS_LOG_ERR, "cannot reclaim inode %llu: %s; it will "
			"be reclaimed at the next mount",
			(unsigned long long)ino, strerror(-err));
}

void reply_err(struct gfs_call *c, int err)
{
	call_end(c, err);
	fuse_reply_err(c->req, -err);
}

void reply_entry(struct gfs_call *c, int err, const struct stat *st)
{
	struct fuse_entry_param e;

	if (err == -ENOENT && c->g->negative_timeout > 0) {
		/* A negative entry: the kernel caches the absence. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = c->g->negative_timeout;
		call_end(c, err);
		fuse_reply_entry(c->req, &e);
		return;
	}
	if (!err)
		err = itab_ref(&c->g->itab, st->st_ino, 1);
	if (err) {
		reply_err(c, err);
		return;
	}
	fill_entry(c->g, &e, st);
	if (!c->tc.aux)
		c->tc.aux = st->st_ino; /* LINK keeps its new parent */
	call_end(c, 0);
	if (fuse_reply_entry(c->req, &e) == -ENOENT) {
		/* The request was interrupted: the kernel never got the
		 * entry, so it will never forget it. */
		inode_gone(c->g, st->st_ino,
			   itab_forget(&c->g->itab, st->st_ino, 1));
	}
}

void reply_attr(struct gfs_call *c, int err, const struct stat *st)
{
	if (err) {
		reply_err(c, err);
		return;
	}
	call_end(c, 0);
	fuse_reply_attr(c->req, st, c->g->attr_timeout);
}

int check_name(const char *name)
{
	return strnlen(name, GFS_NAME_MAX + 1) > GFS_NAME_MAX ? -ENAMETOOLONG
							     : 0;
}
