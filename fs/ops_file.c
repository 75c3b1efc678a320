// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops_file.c - requests on open files: open and create, read and write,
 * flush, release, fsync, fallocate, lseek, copy_file_range.
 *
 * Layer: FUSE glue (like the kernel's fs/fuse/file.c).  The cache mode
 * is applied here, per open: keep_cache keeps the kernel's pages across
 * opens (auto, always), direct_io bypasses the page cache (never).
 * File handles carry nothing: every request names its inode.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "log.h"

/*
 * A per-thread buffer for READ replies and spliced WRITE payloads:
 * requests are up to max_write (1 MiB), and a malloc of that size per
 * request would be an mmap and a page fault per page.  A thread-specific
 * key frees it when libfuse ends an idle worker thread.
 */
struct tbuf {
	size_t size;
	unsigned char data[];
};

static pthread_key_t tbuf_key;
static pthread_once_t tbuf_once = PTHREAD_ONCE_INIT;
static int tbuf_key_err;

static void tbuf_key_create(void)
{
	tbuf_key_err = pthread_key_create(&tbuf_key, free);
}

/* NULL when out of memory (the request then fails with ENOMEM). */
static void *thread_buf(size_t size)
{
	struct tbuf *b, *n;

	pthread_once(&tbuf_once, tbuf_key_create);
	if (tbuf_key_err)
		return NULL;
	b = pthread_getspecific(tbuf_key);
	if (b && size <= b->size)
		return b->data;
	n = realloc(b, sizeof(*b) + size);
	if (!n)
		return NULL;
	n->size = size;
	pthread_setspecific(tbuf_key, n);
	return n->data;
}

/* Open-time policy, the same for open and create. */
static int open_file(struct gfs_call *c, uint64_t ino,
		     struct fuse_file_info *fi)
{
	fi->fh = 0;
	fi->direct_io = c->g->opts->cache == GFS_CACHE_NEVER;
	fi->keep_cache = !fi->direct_io;
	if (fi->direct_io)
		c->tc.flags |= GFS_TF_DIRECT;
	c->tc.aux = (uint64_t)fi->flags;
	return itab_open(&c->g->itab, ino);
}

void gfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct gfs_call c;
	struct stat st;
	int err;

	call_begin(&c, req, GFS_OP_OPEN, ino);
	err = store_getattr(c.g->store, ino, &st);
	if (!err && S_ISDIR(st.st_mode))
		err = -EISDIR;
	if (!err)
		err = open_file(&c, ino, fi);
	if (err) {
		reply_err(&c, err);
		return;
	}
	call_end(&c, 0);
	if (fuse_reply_open(req, fi) == -ENOENT)
		inode_gone(c.g, ino, itab_release(&c.g->itab, ino));
}

void gfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct gfs_call c;
	struct stat st;
	int err;

	call_begin(&c, req, GFS_OP_CREATE, parent);
	c.tc.name = name;
	err = make_node(&c, parent, name, S_IFREG | (mode & 07777), 0, NULL,
			&st);
	if (!err)
		err = itab_ref(&c.g->itab, st.st_ino, 1);
	if (!err) {
		err = open_file(&c, st.st_ino, fi);
		if (err)
			itab_forget(&c.g->itab, st.st_ino, 1);
	}
	if (err) {
		reply_err(&c, err);
		return;
	}
	fill_entry(c.g, &e, &st);
	c.tc.aux = st.st_ino;
	call_end(&c, 0);
	if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		itab_release(&c.g->itab, st.st_ino);
		itab_forget(&c.g->itab, st.st_ino, 1);
	}
}

void gfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct gfs_call c;
	size_t got = 0;
	void *buf;
	int err;

	call_begin(&c, req, GFS_OP_READ, ino);
	c.tc.off = (uint64_t)off;
	c.tc.len = (uint32_t)size;
	buf = thread_buf(size);
	err = buf ? store_read(c.g->store, ino, (uint64_t)off, size, buf, &got)
		  : -ENOMEM;
	if (err) {
		reply_err(&c, err);
		return;
	}
	itab_account(&c.g->itab, ino, false, got);
	call_end(&c, (int64_t)got);
	fuse_reply_buf(req, buf, got);
}

void gfs_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in,
		   off_t off, struct fuse_file_info *fi)
{
	size_t len = fuse_buf_size(in), done = 0;
	const void *data = NULL;
	struct gfs_call c;
	int err = 0;

	call_begin(&c, req, GFS_OP_WRITE, ino);
	c.tc.off = (uint64_t)off;
	c.tc.len = (uint32_t)len;
	if (fi->writepage)
		c.tc.flags |= GFS_TF_WRITEPAGE;
	if (in->count == 1 && !(in->buf[0].flags & FUSE_BUF_IS_FD)) {
		data = in->buf[0].mem;
	} else {
		struct fuse_bufvec dst = FUSE_BUFVEC_INIT(len);
		ssize_t n;

		dst.buf[0].mem = thread_buf(len);
		n = dst.buf[0].mem ? fuse_buf_copy(&dst, in, 0) : -ENOMEM;
		if (n < 0)
			err = (int)n;
		else if ((size_t)n != len)
			err = -EIO;
		data = dst.buf[0].mem;
	}
	if (!err)
		err = store_write(c.g->store, ino, (uint64_t)off, data, len,
				  !c.g->writeback, &done);
	if (err) {
		reply_err(&c, err);
		return;
	}
	itab_account(&c.g->itab, ino, true, done);
	call_end(&c, (int64_t)done);
	fuse_reply_write(req, done);
}

void gfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct gfs_call c;

	/* Data is in the store's batch as soon as WRITE returns: close(2)
	 * promises no durability, so flush has nothing to do. */
	call_begin(&c, req, GFS_OP_FLUSH, ino);
	reply_err(&c, 0);
}

void gfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct gfs_call c;

	call_begin(&c, req, GFS_OP_RELEASE, ino);
	inode_gone(c.g, ino, itab_release(&c.g->itab, ino));
	reply_err(&c, 0);
}

void gfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
	       struct fuse_file_info *fi)
{
	struct gfs_call c;

	call_begin(&c, req, GFS_OP_FSYNC, ino);
	c.tc.aux = (uint64_t)datasync;
	reply_err(&c, store_sync(c.g->store, ino));
}

void gfs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		   off_t length, struct fuse_file_info *fi)
{
	struct gfs_call c;
	int err = -EINVAL;

	call_begin(&c, req, GFS_OP_FALLOCATE, ino);
	c.tc.off = (uint64_t)offset;
	c.tc.len = length > UINT32_MAX ? UINT32_MAX : (uint32_t)length;
	c.tc.aux = (uint64_t)mode;
	if (offset >= 0 && length > 0)
		err = store_fallocate(c.g->store, ino, mode, (uint64_t)offset,
				      (uint64_t)length);
	reply_err(&c, err);
}

void gfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	       struct fuse_file_info *fi)
{
	struct gfs_call c;
	uint64_t pos = 0;
	int err = -EINVAL;

	call_begin(&c, req, GFS_OP_LSEEK, ino);
	c.tc.off = (uint64_t)off;
	c.tc.aux = (uint64_t)whence;
	/* The store knows only data written back to it: pages still dirty
	 * in the kernel (write-back cache, shared mmap) would be reported as
	 * holes, and the kernel does not write them back before LSEEK.  So
	 * the store answers only without a page cache; otherwise ENOSYS makes
	 * the kernel answer for the whole mount (all data, a hole at EOF). */
	if (c.g->opts->cache != GFS_CACHE_NEVER)
		err = -ENOSYS;
	else if (off >= 0)
		err = store_lseek(c.g->store, ino, (uint64_t)off, whence, &pos);
	if (err) {
		reply_err(&c, err);
		return;
	}
	call_end(&c, 0);
	fuse_reply_lseek(req, (off_t)pos);
}

void gfs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			 struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			 off_t off_out, struct fuse_file_info *fi_out,
			 size_t len, int flags)
{
	struct gfs_call c;
	size_t copied = 0;
	int err = -EINVAL;

	call_begin(&c, req, GFS_OP_COPY_FILE_RANGE, ino_in);
	c.tc.off = (uint64_t)off_in;
	c.tc.aux = ino_out;
	c.tc.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	if (!flags && off_in >= 0 && off_out >= 0)
		err = store_copy(c.g->store, ino_in, (uint64_t)off_in, ino_out,
				 (uint64_t)off_out, len, !c.g->writeback,
				 &copied);
	if (err) {
		reply_err(&c, err);
		return;
	}
	itab_account(&c.g->itab, ino_out, true, copied);
	call_end(&c, (int64_t)copied);
	fuse_reply_write(req, copied);
}
