// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops_xattr.c - extended attributes.
 *
 * Layer: FUSE glue (like the kernel's fs/fuse/xattr.c).  FUSE hands the
 * daemon every name, so the namespace rules of Linux file systems are
 * applied here: "user.", "trusted." and "security." are stored; "system."
 * (POSIX ACLs, which the kernel would have to enforce: storing them
 * without enforcement would mislead, see glassfs(8) Non-features) and
 * unknown namespaces are refused.  The VFS checks who may read or write
 * trusted.* values, but not who may list their names: that filter is
 * here.  The kernel itself limits names to 255 bytes and values to
 * 64 KiB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

/* The namespaces Linux file systems store; "system." is refused (see the
 * header), and a name without a known namespace gets EOPNOTSUPP, a bare
 * prefix EINVAL, as on ext4. */
static const char *const namespaces[] = { "user.", "trusted.", "security." };

static int check_xattr_name(const char *name)
{
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]);
	     i++) {
		size_t n = strlen(namespaces[i]);

		if (!strncmp(name, namespaces[i], n))
			return name[n] ? 0 : -EINVAL;
	}
	return -EOPNOTSUPP;
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

/* Drops trusted.* names from a list, as the VFS does for callers without
 * CAP_SYS_ADMIN on other file systems; uid 0 is all the daemon knows. */
static size_t hide_trusted(char *list, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		size_t n = strnlen(list + in, len - in) + 1;

		if (strncmp(list + in, "trusted.", 8)) {
			memmove(list + out, list + in, n);
			out += n;
		}
		in += n;
	}
	return out;
}

static int list_names(struct gfs_call *c, fuse_ino_t ino, size_t size,
		      char **buf, size_t *len)
{
	bool filter = fuse_req_ctx(c->req)->uid != 0;
	size_t want = size;
	int err;

	if (filter) {
		/* The whole list is needed to know the filtered size. */
		err = store_listxattr(c->g->store, ino, NULL, 0, &want);
		if (err)
			return err;
	}
	if (want && !(*buf = malloc(want)))
		return -ENOMEM;
	err = store_listxattr(c->g->store, ino, *buf, want, len);
	if (err || !filter)
		return err;
	*len = hide_trusted(*buf, *len);
	return size && *len > size ? -ERANGE : 0;
}

void gfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct gfs_call c;
	char *buf = NULL;
	size_t len = 0;
	int err;

	call_begin(&c, req, GFS_OP_LISTXATTR, ino);
	c.tc.len = (uint32_t)size;
	err = list_names(&c, ino, size, &buf, &len);
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
