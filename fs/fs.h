/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.h - the daemon's shared state and what the FUSE request handlers
 * (ops_*.c) share: the handler table, reply helpers and the tracing
 * prologue and epilogue every handler uses.
 *
 * Handler shape (STYLE 4): gfs_<op>() starts a trace call, runs do_<op>()
 * which returns 0 or -errno, ends the call and sends exactly one reply.
 * No handler holds a lock while replying: the store and itab take and
 * drop their own.
 */
#ifndef GFS_FS_H
#define GFS_FS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "itab.h"
#include "opts.h"
#include "store.h"
#include "trace.h"

/* The mount: one per process, reached through fuse_req_userdata(). */
struct gfs {
	struct store *store;
	struct itab itab;
	struct trace *trace;		/* NULL with -o notrace */
	struct fuse_session *se;
	const struct gfs_opts *opts;
	/* Settled in init, read-only afterwards. */
	double attr_timeout, entry_timeout, negative_timeout;
	bool writeback;			/* the kernel owns mtime and size */
	/* The INIT reply is (about to be) sent: set once by init, read by
	 * the watcher, which then widens the readahead window. */
	bool inited;
	/* The FUSE connection number (minor of st_dev), found once after
	 * the mount (control_conn()); conn_err is 0 or why it is unknown. */
	uint32_t conn;
	int conn_err;
};

/* The readahead window glassfs asks for unless -o max_readahead says
 * otherwise: 1 MiB, one READ request of the largest size (max_pages). */
#define GFS_DEFAULT_READAHEAD (1024u * 1024u)

extern const struct fuse_lowlevel_ops gfs_oper;

static inline struct gfs *gfs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* One request being served. */
struct gfs_call {
	struct trace_call tc;
	struct gfs *g;
	fuse_req_t req;
	uint64_t sql0;		/* store_thread_ns() at the start */
};

void call_begin(struct gfs_call *c, fuse_req_t req, unsigned op,
		uint64_t ino);
/* Records the result: bytes done, 0, or -errno. */
void call_end(struct gfs_call *c, int64_t result);

/* Replies with an entry for @st, counting the kernel's new reference;
 * -errno replies with the error (ENOENT with negative caching). */
void reply_entry(struct gfs_call *c, int err, const struct stat *st);
void reply_attr(struct gfs_call *c, int err, const struct stat *st);
void reply_err(struct gfs_call *c, int err);

/* Fills @e for @st; counts nothing. */
void fill_entry(struct gfs *g, struct fuse_entry_param *e,
		const struct stat *st);
/* An inode lost its last link or reference: reclaim it if nothing holds
 * it (never under a lock). */
void inode_gone(struct gfs *g, uint64_t ino, bool reclaim);

/* Names longer than GFS_NAME_MAX: -ENAMETOOLONG. */
int check_name(const char *name);

/* ops_inode.c */
void gfs_init(void *userdata, struct fuse_conn_info *conn);
void gfs_destroy(void *userdata);
void gfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void gfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void gfs_forget_multi(fuse_req_t req, size_t count,
		      struct fuse_forget_data *forgets);
void gfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		 int to_set, struct fuse_file_info *fi);
void gfs_readlink(fuse_req_t req, fuse_ino_t ino);
void gfs_statfs(fuse_req_t req, fuse_ino_t ino);

/* ops_dir.c */
void gfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, dev_t rdev);
void gfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode);
void gfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		 const char *name);
void gfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname);
void gfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void gfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void gfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags);
void gfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void gfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi);
void gfs_releasedir(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi);
void gfs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi);
/* Creates an inode under @parent for the requester (ops_dir.c, also used
 * by create). */
int make_node(struct gfs_call *c, uint64_t parent, const char *name,
	      mode_t mode, dev_t rdev, const char *target, struct stat *st);

/* ops_file.c */
void gfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi);
void gfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	      struct fuse_file_info *fi);
void gfs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in,
		   off_t off, struct fuse_file_info *fi);
void gfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
	       struct fuse_file_info *fi);
void gfs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		   off_t length, struct fuse_file_info *fi);
void gfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	       struct fuse_file_info *fi);
void gfs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			 struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			 off_t off_out, struct fuse_file_info *fi_out,
			 size_t len, int flags);

/* ops_xattr.c */
void gfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  const char *value, size_t size, int flags);
void gfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  size_t size);
void gfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void gfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
