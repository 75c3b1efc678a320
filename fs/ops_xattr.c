// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops_xattr.c - extended attributes.
 *
 * Layer: FUSE glue (like the kernel's fs/fuse/xattr.c).  Names in the
 * "system." namespace are refused with EOPNOTSUPP: they are POSIX ACLs
 * and capabilities the kernel would have to enforce, and storing them
 * without enforcement would mislead (see glassfs(8), Non-features).  The
 * kernel itself limits names to 255 bytes and values to 64 KiB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

static int check_xattr_name(const char *name)
{
	if (!strncmp(name, "system.", 7))
		return -EOPNOTSUPP;
	return name[0] ? 0 : -EINVAL;
}

void gfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  const char *value, size_t size, int flags)
{
	struct gfs_call c;
	int err;

	call_begin(&c, req, GFS_OP_SETXATTR, ino);
	c.tc.name = name;
	c.tc.len = (uint32_t)size;
	c.tc.aux = (uint64_t)flags;
	err = check_xattr_name(name);
	if (!err)
		err = store_setxattr(c.g->store, ino, name, value, size, flags);
	reply_err(&c, err);
}

/* Replies to a get or list that asked for the size (@size 0) or data. */
static void reply_xattr(struct gfs_call *c, int err, size_t size,
			const void *buf, size_t len)
{
	if (err) {
		reply_err(c, err);
		return;
	}
	call_end(c, (int64_t)len);
	if (size)
		fuse_reply_buf(c->req, buf, len);
	else
		fuse_reply_xattr(c->req, len);
}

void gfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  size_t size)
{
	struct gfs_call c;
	void *buf = NULL;
	size_t len = 0;
	int err;

	call_begin(&c, req, GFS_OP_GETXATTR, ino);
	c.tc.name = name;
	c.tc.len = (uint32_t)size;
	err = check_xattr_name(name);
	if (!err && size && !(buf = malloc(size)))
		err = -ENOMEM;
	if (!err)
		err = store_getxattr(c.g->store, ino, name, buf, size, &len);
	reply_xattr(&c, err, size, buf, len);
	free(buf);
}

void gfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct gfs_call c;
	char *buf = NULL;
	size_t len = 0;
	int err = 0;

	call_begin(&c, req, GFS_OP_LISTXATTR, ino);
	c.tc.len = (uint32_t)size;
	if (size && !(buf = malloc(size)))
		err = -ENOMEM;
	if (!err)
		err = store_listxattr(c.g->store, ino, buf, size, &len);
	reply_xattr(&c, err, size, buf, len);
	free(buf);
}

void gfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct gfs_call c;
	int err;

	call_begin(&c, req, GFS_OP_REMOVEXATTR, ino);
	c.tc.name = name;
	err = check_xattr_name(name);
	if (!err)
		err = store_removexattr(c.g->store, ino, name);
	reply_err(&c, err);
}
