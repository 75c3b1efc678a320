/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace_rec.h - what the fields of a request record mean, op by op: which
 * ops carry an offset, a length, a name, an inode found; how to write a
 * result, flags and the op-specific detail.  The meanings are the ones
 * the daemon's handlers give them (fs/ops_*.c, fs/watch.c).
 *
 * Layer: interpretation of fs/glassfs_trace.h records; no I/O, no output.
 */
#ifndef FSI_TRACE_REC_H
#define FSI_TRACE_REC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "glassfs_trace.h"

/* An op whose record names an entry: @ino is the directory, name the
 * entry (LOOKUP, MKNOD, MKDIR, SYMLINK, UNLINK, RMDIR, RENAME, CREATE,
 * INVAL_ENTRY). */
bool trec_is_name_op(unsigned op);
/* An op whose aux is the inode of the entry named, when it succeeded
 * (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR). */
bool trec_names_inode(unsigned op);
/* A name-space change after which known paths may be wrong. */
bool trec_moves_paths(unsigned op);
bool trec_has_offset(unsigned op);
bool trec_has_length(unsigned op);

/* Op name by number (NULL if unknown) and number by name (any case;
 * -1 if unknown). */
const char *trec_op_name(unsigned op);
int trec_op_by_name(const char *name, size_t len);

/* "ENOENT" for -2, or the byte count / 0 (malloc'd). */
char *trec_result(int32_t result);
/* The errno name of a negative result, else NULL (static). */
const char *trec_errno(int32_t result);
/* "writeback,direct" or NULL; a JSON array of the same names. */
char *trec_flags(uint16_t flags);
json_object *trec_flags_json(uint16_t flags);
/* The op-specific meaning of aux (and len, off), e.g. "ino=5",
 * "O_RDWR|O_TRUNC", "SEEK_DATA", "size=4096,mtime"; NULL if none. */
char *trec_detail(const struct gfs_trace_rec *r);

#endif
