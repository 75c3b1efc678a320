// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace_rec.c - see trace_rec.h.  What each op puts in a record is set by
 * the daemon's handlers: call_begin() gives every op its inode (the
 * directory for name ops), pid and uid; then READ/WRITE/READDIR/FALLOCATE
 * /LSEEK/COPY_FILE_RANGE set off and len, reply_entry() sets aux to the
 * inode found, OPEN sets aux to the open flags, SETATTR aux to the
 * attributes to set and off to the size, RENAME aux to the new parent and
 * len to its flags, UNLINK/RMDIR aux to the inode unlinked, COMMIT aux and
 * len to the bytes committed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsinspect.h"
#include "trace_rec.h"

/* FUSE protocol values (the ABI of <linux/fuse.h> and libfuse's
 * FUSE_SET_ATTR_*), which the tools do not include. */
#define SETATTR_SIZE (1u << 3)
#define RENAME_FLAG_NOREPLACE (1u << 0)
#define RENAME_FLAG_EXCHANGE (1u << 1)
#define RENAME_FLAG_WHITEOUT (1u << 2)
/* The kernel adds O_LARGEFILE to every open on 64-bit; glibc defines it
 * as 0 there.  Its value is the architecture's (asm-generic on x86). */
#if defined(__x86_64__) || defined(__i386__)
#define KERNEL_O_LARGEFILE 0100000
#else
#define KERNEL_O_LARGEFILE 0
#endif

bool trec_is_name_op(unsigned op)
{
	switch (op) {
	case GFS_OP_LOOKUP:
	case GFS_OP_MKNOD:
	case GFS_OP_MKDIR:
	case GFS_OP_SYMLINK:
	case GFS_OP_UNLINK:
	case GFS_OP_RMDIR:
	case GFS_OP_RENAME:
	case GFS_OP_CREATE:
	case GFS_OP_INVAL_ENTRY:
		return true;
	}
	return false;
}

bool trec_names_inode(unsigned op)
{
	switch (op) {
	case GFS_OP_LOOKUP:
	case GFS_OP_CREATE:
	case GFS_OP_MKNOD:
	case GFS_OP_MKDIR:
	case GFS_OP_SYMLINK:
	case GFS_OP_LINK:
	case GFS_OP_UNLINK:
	case GFS_OP_RMDIR:
		return true;
	}
	return false;
}

bool trec_moves_paths(unsigned op)
{
	return op == GFS_OP_RENAME || op == GFS_OP_INVAL_ENTRY;
}

bool trec_has_offset(unsigned op)
{
	switch (op) {
	case GFS_OP_READ:
	case GFS_OP_WRITE:
	case GFS_OP_READDIR:
	case GFS_OP_READDIRPLUS:
	case GFS_OP_FALLOCATE:
	case GFS_OP_LSEEK:
	case GFS_OP_COPY_FILE_RANGE:
		return true;
	}
	return false;
}

bool trec_has_length(unsigned op)
{
	switch (op) {
	case GFS_OP_READ:
	case GFS_OP_WRITE:
	case GFS_OP_READDIR:
	case GFS_OP_READDIRPLUS:
	case GFS_OP_FALLOCATE:
	case GFS_OP_COPY_FILE_RANGE:
	case GFS_OP_FORGET:
	case GFS_OP_BATCH_FORGET:
	case GFS_OP_SETXATTR:
	case GFS_OP_GETXATTR:
	case GFS_OP_LISTXATTR:
	case GFS_OP_COMMIT:
	case GFS_OP_CHECKPOINT:
		return true;
	}
	return false;
}

const char *trec_op_name(unsigned op)
{
	return gfs_trace_op_name(op);
}

int trec_op_by_name(const char *name, size_t len)
{
	unsigned op;

	for (op = 0; op < GFS_TRACE_OP_MAX; op++) {
		const char *n = gfs_trace_op_name(op);

		if (n && strlen(n) == len && !strncasecmp(n, name, len))
			return (int)op;
	}
	return -1;
}

const char *trec_errno(int32_t result)
{
	if (result >= 0)
		return NULL;
	return strerrorname_np(-result);
}

char *trec_result(int32_t result)
{
	const char *e = trec_errno(result);

	if (e)
		return fsi_xstrdup(e);
	if (result < 0)
		return fsi_xasprintf("E%d", -result);
	return fsi_xasprintf("%d", result);
}

static const struct {
	uint16_t bit;
	const char *name;
} flag_names[] = {
	{GFS_TF_WRITEPAGE, "writeback"},
	{GFS_TF_DIRECT, "direct"},
	{GFS_TF_SYNCED, "synced"},
	{GFS_TF_DUR_SAT, "saturated"},
};

#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

char *trec_flags(uint16_t flags)
{
	char buf[64] = "";
	size_t i;

	for (i = 0; i < NFLAGS; i++) {
		if (!(flags & flag_names[i].bit))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, flag_names[i].name);
	}
	return buf[0] ? fsi_xstrdup(buf) : NULL;
}

json_object *trec_flags_json(uint16_t flags)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		if (flags & flag_names[i].bit)
			json_object_array_add(
				a, json_object_new_string(flag_names[i].name));
	return a;
}

/* Appends "|NAME" (or "NAME" first) to @buf for each bit of @v named in
 * @names, and the bits left in octal or hex. */
struct bit_name {
	uint64_t bit;
	const char *name;
};

static void add_word(char *buf, size_t size, const char *sep, const char *w)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%s", used ? sep : "", w);
}

static void decode_bits(char *buf, size_t size, uint64_t v,
			const struct bit_name *names, size_t n, const char *sep)
{
	char rest[32];
	size_t i;

	for (i = 0; i < n; i++)
		if (v & names[i].bit) {
			add_word(buf, size, sep, names[i].name);
			v &= ~names[i].bit;
		}
	if (v) {
		snprintf(rest, sizeof(rest), "0x%llx", (unsigned long long)v);
		add_word(buf, size, sep, rest);
	}
}

static char *open_flags(uint64_t f)
{
	static const struct bit_name names[] = {
		{O_CREAT, "O_CREAT"},
		{O_EXCL, "O_EXCL"},
		{O_NOCTTY, "O_NOCTTY"},
		{O_TRUNC, "O_TRUNC"},
		{O_APPEND, "O_APPEND"},
		{O_NONBLOCK, "O_NONBLOCK"},
		{O_DSYNC, "O_DSYNC"},
		{O_DIRECT, "O_DIRECT"},
		{O_DIRECTORY, "O_DIRECTORY"},
		{O_NOFOLLOW, "O_NOFOLLOW"},
		{O_NOATIME, "O_NOATIME"},
		{O_CLOEXEC, "O_CLOEXEC"},
		{O_SYNC & ~O_DSYNC, "O_SYNC"},
		{O_PATH, "O_PATH"},
		{KERNEL_O_LARGEFILE, "O_LARGEFILE"},
	};
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",
					  "O_ACCMODE"};
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", acc[f & O_ACCMODE]);
	decode_bits(buf, sizeof(buf), f & ~(uint64_t)O_ACCMODE, names,
		    sizeof(names) / sizeof(names[0]), "|");
	return fsi_xstrdup(buf);
}

static char *setattr_detail(const struct gfs_trace_rec *r)
{
	static const struct bit_name names[] = {
		{1u << 0, "mode"},	 {1u << 1, "uid"},
		{1u << 2, "gid"},	 {1u << 4, "atime"},
		{1u << 5, "mtime"},	 {1u << 7, "atime_now"},
		{1u << 8, "mtime_now"},	 {1u << 9, "force"},
		{1u << 10, "ctime"},	 {1u << 11, "kill_suid"},
		{1u << 12, "kill_sgid"}, {1u << 13, "file"},
		{1u << 14, "kill_priv"}, {1u << 15, "open"},
		{1u << 16, "times_set"}, {1u << 17, "touch"},
	};
	char buf[256] = "";

	if (r->aux & SETATTR_SIZE)
		snprintf(buf, sizeof(buf), "size=%llu",
			 (unsigned long long)r->off);
	decode_bits(buf, sizeof(buf), r->aux & ~(uint64_t)SETATTR_SIZE, names,
		    sizeof(names) / sizeof(names[0]), ",");
	return buf[0] ? fsi_xstrdup(buf) : NULL;
}

static char *rename_detail(const struct gfs_trace_rec *r)
{
	static const struct bit_name names[] = {
		{RENAME_FLAG_NOREPLACE, "noreplace"},
		{RENAME_FLAG_EXCHANGE, "exchange"},
		{RENAME_FLAG_WHITEOUT, "whiteout"},
	};
	char buf[128];

	snprintf(buf, sizeof(buf), "newparent=%llu",
		 (unsigned long long)r->aux);
	decode_bits(buf, sizeof(buf), r->len, names,
		    sizeof(names) / sizeof(names[0]), ",");
	return fsi_xstrdup(buf);
}

static char *whence_name(uint64_t w)
{
	static const char *const names[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END",
					    "SEEK_DATA", "SEEK_HOLE"};

	if (w < sizeof(names) / sizeof(names[0]))
		return fsi_xstrdup(names[w]);
	return fsi_xasprintf("whence=%llu", (unsigned long long)w);
}

char *trec_detail(const struct gfs_trace_rec *r)
{
	switch (r->op) {
	case GFS_OP_OPEN:
		return open_flags(r->aux);
	case GFS_OP_SETATTR:
		return setattr_detail(r);
	case GFS_OP_RENAME:
		return rename_detail(r);
	case GFS_OP_LSEEK:
		return whence_name(r->aux);
	case GFS_OP_COPY_FILE_RANGE:
		return fsi_xasprintf("dest=%llu", (unsigned long long)r->aux);
	case GFS_OP_FSYNC:
		return fsi_xstrdup(r->aux ? "datasync" : "fsync");
	case GFS_OP_FALLOCATE:
		return fsi_xasprintf("mode=0x%llx", (unsigned long long)r->aux);
	case GFS_OP_SETXATTR:
		return fsi_xasprintf("flags=0x%llx",
				     (unsigned long long)r->aux);
	}
	if (trec_names_inode(r->op) && r->result >= 0 && r->aux)
		return fsi_xasprintf("ino=%llu", (unsigned long long)r->aux);
	return NULL;
}
