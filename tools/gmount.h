/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gmount.h - a running glassfs mount as the tools see it: found from a
 * path through the mount table (mounts.h), its runtime directory
 * (fs/control.h says where), and its control socket (one JSON line per
 * command, the protocol in fs/control.c).
 *
 * Finding a mount and talking to its socket send no request to its file
 * system: looking up a mountpoint reads /proc/self/mountinfo, and the
 * socket is served by a daemon thread that is not a FUSE worker.
 */
#ifndef FSI_GMOUNT_H
#define FSI_GMOUNT_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct gmount {
	char mountpoint[PATH_MAX];
	char source[PATH_MAX]; /* the store, as mounted */
	char fstype[64];
	unsigned major, minor; /* st_dev of the mount; minor = connection */
	uid_t owner;	       /* user_id= of the FUSE mount */
	bool glassfs;	       /* fstype fuse.glassfs */
	char rundir[PATH_MAX]; /* runtime directory, if found */
};

/* The mount @path is the mountpoint of or lies on (mnt_find()).
 * -ENOENT if none. */
int gmount_find(const char *path, struct gmount *m);
/* The mount with device @major:@minor. */
int gmount_by_dev(unsigned major, unsigned minor, struct gmount *m);
/* Locates the runtime directory of a glassfs mount: -ENOENT when the
 * daemon publishes none (or runs for a user we cannot see). */
int gmount_rundir(struct gmount *m);

/*
 * gmount_find() and gmount_rundir() for a subcommand's operand, then a
 * "hello" to check that the socket is this mount's: on failure, one
 * warning saying why (no such path, not glassfs, no socket, refused) and
 * -errno.  *hello (if @hello) gets the reply, for json_object_put().
 */
int gmount_attach(const char *path, struct gmount *m, json_object **hello);

/*
 * One command on the control socket; *reply is the parsed JSON object,
 * to be released with json_object_put().  -EPROTO on a reply with
 * "error" (then *reply holds it); -ETIMEDOUT when the daemon does not
 * answer within 5 seconds (it serves one client at a time).
 */
int gmount_ctl(const struct gmount *m, const char *cmd, json_object **reply);

/* A member of a reply: an integer (0 when absent), a string (NULL). */
uint64_t gmount_u64(json_object *o, const char *key);
const char *gmount_str(json_object *o, const char *key);

#endif
