/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model.h - what the crash loop's workload has made durable on glassfs,
 * and the check of a remounted tree against it.
 *
 * The namespace is MODEL_SLOTS names (f0..f7 in the root, in a/ and in
 * b/), each naming an object (a regular file, an inode) or nothing.
 * Each object keeps its current content, the content as of the last
 * operation that covered it (made it durable), and which bytes may have
 * changed since: bytes not touched since the cover must come back as
 * covered, touched ones may hold any value ever written there.
 *
 * What covers what, from POSIX and glassfs(8):
 *  - fsync(2)/fdatasync(2) of a file covers its data and size (POSIX);
 *    msync(MS_SYNC) of a mapping of the whole file covers its data.
 *  - fsync(2) of anything (file or directory) commits every request the
 *    daemon has answered (glassfs(8) DURABILITY): that is every
 *    namespace change made so far (FUSE sends those synchronously), and
 *    with write-through (no_writeback_cache, cache=never) every write(2),
 *    truncate and hole punched, but not pages dirtied through mmap.
 *  - With the write-back cache, a file's data reaches the daemon on
 *    fsync of that file or on close(2) of a descriptor (glassfs(8) CACHE
 *    MODES), so a later fsync of anything covers data closed before it.
 * Nothing else is claimed: a kill may keep or lose anything uncovered.
 *
 * No FUSE or glassfs code here.
 */
#ifndef GFS_MODEL_H
#define GFS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MODEL_DIRS 3
#define MODEL_PER_DIR 8
#define MODEL_SLOTS (MODEL_DIRS * MODEL_PER_DIR)
#define MODEL_MAX_FILE (512u * 1024)

struct mobj {
	uint64_t ino;	 /* 0: unknown (its create was not answered) */
	int fd;		 /* our one O_RDWR descriptor, or -1 */
	bool used;	 /* the slot holds an object */
	bool dirty;	 /* changed since its last cover */
	bool flushed;	 /* closed since its last change */
	size_t size;	 /* current size */
	size_t dur_size; /* size as of the last cover */
	size_t min_size; /* smallest and largest since then */
	size_t max_size;
	unsigned char *cur; /* MODEL_MAX_FILE bytes each */
	unsigned char *dur;
	unsigned char *touched; /* bitmap: changed since the cover */
	unsigned char *mapped;	/* bitmap: written through mmap since */
};

enum nsop_type { NS_CREATE, NS_LINK, NS_UNLINK, NS_RENAME };

struct nsop {
	enum nsop_type type;
	int src, dst; /* slots */
	int obj;      /* created or linked object */
};

struct model {
	struct mobj *obj;
	int nobj;
	int name[MODEL_SLOTS]; /* object named, or -1 */
	int snap[MODEL_SLOTS]; /* as of the last fsync */
	struct nsop *log;      /* namespace changes since then */
	int nlog, caplog;
	bool wt;   /* write(2) answered by the daemon */
	FILE *out; /* where losses are described */
	unsigned long checks, losses, inconsistent;
};

void model_init(struct model *m, FILE *out);
void model_free(struct model *m);

/* The mount's cache mode, for what fsync covers (see above). */
void model_set_wt(struct model *m, bool wt);

/* A new object (-1 when the table is full). */
int model_obj_new(struct model *m, uint64_t ino, int fd);

/*
 * Data changes.  Call with @done false when the system call failed
 * because the daemon was killed: the change may or may not have been
 * made, so its bytes count as touched but the content is not changed.
 */
void model_write(struct model *m, int o, size_t off, const void *buf,
		 size_t len, bool done, bool via_mmap);
void model_truncate(struct model *m, int o, size_t size, bool done);
void model_punch(struct model *m, int o, size_t off, size_t len, bool done);
void model_closed(struct model *m, int o);

/* Namespace changes; @done as above (a failed change is the last). */
void model_create(struct model *m, int slot, int o, bool done);
void model_link(struct model *m, int src, int dst, bool done);
void model_unlink(struct model *m, int slot, bool done);
void model_rename(struct model *m, int src, int dst, bool done);

/* A successful fsync of object @o's file (-1: of a directory). */
void model_fsync(struct model *m, int o);
/* A successful msync(MS_SYNC) of a mapping of all of @o. */
void model_msync(struct model *m, int o);

/* Compares @len bytes read live at @off with the current content;
 * returns false (and describes it) on a mismatch. */
bool model_live_read(struct model *m, int o, size_t off, const void *buf,
		     size_t len);

/* Compares a size seen live (fstat) with the current one. */
bool model_live_size(struct model *m, int o, size_t size);

/* The slot's directory index and name ("f3"). */
int model_slot_dir(int slot);
void model_slot_name(int slot, char *buf, size_t size);

/* After a crash and a remount: checks the tree under @dirfd[] against the
 * model, counting checks, losses and inconsistencies, then makes the
 * model what was found (all of it durable).  -errno if the tree cannot
 * be read. */
int model_check_reload(struct model *m, const int dirfd[MODEL_DIRS]);

#endif
