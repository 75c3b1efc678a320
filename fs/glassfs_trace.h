/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * glassfs_trace.h - the shared-memory request trace of a glassfs mount.
 *
 * This is an ABI: the only file shared by the daemon (fs/) and its
 * readers (tools/fsinspect, anyone else).  The layout below is version
 * GFS_TRACE_VERSION; a change to any offset or meaning bumps it, and
 * readers refuse a version they do not know.  Opcode numbers never change;
 * new ones are appended.
 *
 * The trace file is a header (GFS_TRACE_HDR_SIZE bytes: identity, clocks,
 * cumulative per-opcode counters) followed by a ring of `capacity`
 * records of GFS_TRACE_REC_SIZE bytes.  The daemon is the only writer:
 *
 *   seq = atomic_fetch_add(&hdr->head, 1) + 1;     (seq starts at 1)
 *   slot = ring[(seq - 1) % capacity];
 *   slot.seq = 0 (release); fill fields; slot.seq = seq (release)
 *
 * A reader wanting record `seq` reads slot.seq (acquire), copies the
 * record, reads slot.seq again: the copy is good if both equal seq.  If
 * hdr->head - seq >= capacity the record was overwritten: the reader
 * missed (hdr->head - capacity + 1 - seq) records and resumes from there.
 * The daemon never waits for readers.  The file is created mode 0600.
 *
 * Notes for readers:
 *  - A record is written when its request completes; t_ns is its
 *    arrival.  Records are in completion order: t_ns is not monotonic in
 *    seq.
 *  - Counters are added just before the sequence number is taken: at one
 *    instant a counter may be one ahead of the records.
 *  - After the daemon is killed the file stays with `enabled` 1: check
 *    that daemon_pid still runs.
 *  - The daemon's own events (COMMIT, CHECKPOINT, INVAL_*) have pid 0.
 */
#ifndef GLASSFS_TRACE_H
#define GLASSFS_TRACE_H

#include <stdint.h>

#define GFS_TRACE_MAGIC 0x52544647u /* "GFTR" little-endian */
#define GFS_TRACE_VERSION 1
#define GFS_TRACE_HDR_SIZE 16384
#define GFS_TRACE_REC_SIZE 128
#define GFS_TRACE_NAME_MAX 55	/* bytes of a name kept in a record */
#define GFS_TRACE_HIST 20	/* latency buckets: [2^i, 2^(i+1)) us, last open */
#define GFS_TRACE_OP_MAX 64	/* room in the header's counter table */

/*
 * Opcodes: FUSE requests by their kernel names, then events the daemon
 * itself causes.  X(name, number).
 */
#define GFS_TRACE_OPS(X) \
	X(LOOKUP, 1) \
	X(FORGET, 2) \
	X(GETATTR, 3) \
	X(SETATTR, 4) \
	X(READLINK, 5) \
	X(SYMLINK, 6) \
	X(MKNOD, 8) \
	X(MKDIR, 9) \
	X(UNLINK, 10) \
	X(RMDIR, 11) \
	X(RENAME, 12) \
	X(LINK, 13) \
	X(OPEN, 14) \
	X(READ, 15) \
	X(WRITE, 16) \
	X(STATFS, 17) \
	X(RELEASE, 18) \
	X(FSYNC, 20) \
	X(SETXATTR, 21) \
	X(GETXATTR, 22) \
	X(LISTXATTR, 23) \
	X(REMOVEXATTR, 24) \
	X(FLUSH, 25) \
	X(INIT, 26) \
	X(OPENDIR, 27) \
	X(READDIR, 28) \
	X(RELEASEDIR, 29) \
	X(FSYNCDIR, 30) \
	X(ACCESS, 34) \
	X(CREATE, 35) \
	X(DESTROY, 38) \
	X(BATCH_FORGET, 42) \
	X(FALLOCATE, 43) \
	X(READDIRPLUS, 44) \
	X(LSEEK, 46) \
	X(COPY_FILE_RANGE, 47) \
	X(COMMIT, 56)           /* daemon: a group commit of the store */ \
	X(INVAL_INODE, 57)      /* daemon: told the kernel to drop pages */ \
	X(INVAL_ENTRY, 58)      /* daemon: told the kernel to drop a name */ \
	X(CHECKPOINT, 59)       /* daemon: a WAL checkpoint */

enum gfs_trace_op {
#define GFS_TRACE_OP_ENUM(name, num) GFS_OP_##name = num,
	GFS_TRACE_OPS(GFS_TRACE_OP_ENUM)
#undef GFS_TRACE_OP_ENUM
};

/* Record flags. */
#define GFS_TF_WRITEPAGE 0x0001	/* WRITE from the kernel's write-back */
#define GFS_TF_DIRECT    0x0002	/* file opened with direct I/O */
#define GFS_TF_DUR_SAT   0x0004	/* dur_ns saturated at UINT32_MAX */
#define GFS_TF_SYNCED    0x0008	/* COMMIT: forced by fsync */

struct gfs_trace_rec {
	uint64_t seq;		/* 0 while being written */
	uint64_t t_ns;		/* CLOCK_MONOTONIC at arrival */
	uint64_t ino;		/* inode (parent for name ops) */
	uint64_t off;		/* byte offset, where one applies */
	uint64_t aux;		/* op-specific: inode found or made (LOOKUP,
				 * MKNOD, MKDIR, SYMLINK, CREATE), new parent
				 * (RENAME, LINK), inode unlinked (UNLINK,
				 * RMDIR), open flags (OPEN), FUSE_SET_ATTR_*
				 * (SETATTR), whence (LSEEK), destination
				 * inode (COPY_FILE_RANGE), bytes (COMMIT) */
	uint32_t len;		/* bytes asked for, or FORGET count */
	int32_t result;		/* bytes done, 0, or -errno */
	uint32_t dur_ns;	/* time in the daemon */
	uint32_t sql_ns;	/* of which, time in SQLite */
	uint32_t pid;		/* requesting thread (0: the kernel) */
	uint32_t uid;
	uint16_t op;		/* enum gfs_trace_op */
	uint16_t flags;		/* GFS_TF_* */
	uint32_t reserved;
	char name[GFS_TRACE_NAME_MAX + 1]; /* NUL-terminated, truncated */
};

struct gfs_trace_opstat {
	uint64_t count;
	uint64_t errors;
	uint64_t bytes;		/* result bytes of READ/WRITE/COPY */
	uint64_t dur_ns;	/* total */
	uint64_t sql_ns;	/* total */
	uint64_t hist[GFS_TRACE_HIST];
};

struct gfs_trace_hdr {
	uint32_t magic;		/* GFS_TRACE_MAGIC */
	uint32_t version;	/* GFS_TRACE_VERSION */
	uint32_t hdr_size;	/* GFS_TRACE_HDR_SIZE */
	uint32_t rec_size;	/* GFS_TRACE_REC_SIZE */
	uint64_t capacity;	/* records in the ring, a power of two */
	uint64_t head;		/* last sequence number handed out */
	uint64_t mono_start_ns;	/* CLOCK_MONOTONIC at mount */
	uint64_t real_start_ns;	/* CLOCK_REALTIME at the same instant */
	uint32_t daemon_pid;
	uint32_t fuse_conn;	/* connection number (minor of st_dev) */
	uint32_t enabled;	/* 0 when the daemon stopped recording */
	uint32_t op_max;	/* GFS_TRACE_OP_MAX */
	char mountpoint[1024];
	char store[1024];
	struct gfs_trace_opstat ops[GFS_TRACE_OP_MAX];
};

_Static_assert(sizeof(struct gfs_trace_rec) == GFS_TRACE_REC_SIZE,
	       "trace record layout");
_Static_assert(sizeof(struct gfs_trace_hdr) <= GFS_TRACE_HDR_SIZE,
	       "trace header fits");

/* The name of opcode @op, or NULL. */
static inline const char *gfs_trace_op_name(unsigned op)
{
	switch (op) {
#define GFS_TRACE_OP_CASE(name, num) case num: return #name;
		GFS_TRACE_OPS(GFS_TRACE_OP_CASE)
#undef GFS_TRACE_OP_CASE
	}
	return (const char *)0;
}

#endif
