/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mounts.h - the mount table: which file system a device number or a
 * path belongs to.
 *
 * Layer: identity.  The only reader of /proc/self/mountinfo in fsinspect;
 * tells the callers whether a file lives on FUSE, where closing any
 * descriptor writes back the file's dirty pages (the observer effect
 * fsinspect must report), and finds a mount from a path without sending
 * its file system a request when the path is the mountpoint itself.
 */
#ifndef FSI_MOUNTS_H
#define FSI_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

/* One line of mountinfo, unescaped. */
struct mnt_entry {
	char *mountpoint;
	char *source; /* the store, for glassfs */
	char *fstype; /* "ext4", "fuse.glassfs" */
	dev_t dev;    /* st_dev of files below; FUSE: minor = connection */
	uid_t owner;  /* user_id= of a FUSE mount, else 0 */
};

/* The type of the file system on @dev ("ext4", "fuse.glassfs"), or
 * "unknown" when no mount of it is visible to us. */
const char *mnt_fstype(dev_t dev);

/* FUSE: type "fuse", "fuse.*" or "fuseblk". */
bool mnt_is_fuse(dev_t dev);

/*
 * The mount of device @dev (of bind mounts of one device, the first
 * line).  0, or -ENOENT.
 */
int mnt_by_dev(dev_t dev, const struct mnt_entry **out);

/*
 * The mount @path is a mountpoint of or lies on.  A @path naming a
 * mountpoint (after making it absolute and dropping "." and repeated
 * slashes) is matched by name, touching no file system; any other @path
 * is resolved with statx(2) AT_STATX_DONT_SYNC, which on FUSE may send
 * LOOKUPs for names the kernel does not cache, but no GETATTR.  Of
 * mounts stacked on one mountpoint, the top one.  0, -ENOENT or -errno
 * of the statx.
 */
int mnt_find(const char *path, const struct mnt_entry **out);

#endif
