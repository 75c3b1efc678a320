/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mounts.h - which file system a device number belongs to.
 *
 * Layer: identity.  Reads /proc/self/mountinfo once; tells the callers
 * whether a file lives on FUSE, where closing any descriptor writes back
 * the file's dirty pages (the observer effect fsinspect must report).
 */
#ifndef FSI_MOUNTS_H
#define FSI_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

/* The type of the file system on @dev ("ext4", "fuse.glassfs"), or
 * "unknown" when no mount of it is visible to us. */
const char *mnt_fstype(dev_t dev);

/* FUSE: type "fuse", "fuse.*" or "fuseblk". */
bool mnt_is_fuse(dev_t dev);

#endif
