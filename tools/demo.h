/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * demo.h - the demonstrations of the article's claims (fsinspect demo):
 * what a demonstration is, and the kit it measures with.
 *
 * Layer: a subcommand and its parts.  demo.c is the command (options,
 * running, printing); demo_scratch.c owns the processes and mounts a
 * demonstration starts and everything that must be undone; demo_kit.c
 * measures (daemon requests, page cache, smaps, fault and syscall counts
 * of a measuring child).  Each demo_NAME.c is one demonstration: it sets
 * up a state, acts, records figures and computes its verdict from them,
 * and must never write a verdict it did not measure.
 *
 * Adding a demonstration: write tools/demo_NAME.c defining
 * `const struct demo NAME_demo`, and add NAME to the `demos` list in
 * tools/meson.build, which generates the table (demo_list.h).
 */
#ifndef FSI_DEMO_H
#define FSI_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gmount.h"
#include "pagecache.h"
#include "procmaps.h"
#include "ring.h"

/* ------------------------------------------------------------------ */
/* A demonstration                                                    */
/* ------------------------------------------------------------------ */

enum demo_verdict {
	DEMO_UNKNOWN,	 /* nothing measured decides it */
	DEMO_REPRODUCED, /* the measurements agree with the claim */
	DEMO_REFUTED,	 /* the measurements contradict it */
	DEMO_PARTLY,	 /* part holds, part does not (or was not measured) */
};

/* struct demo.flags */
enum {
	DEMO_SLOW = 1 << 0, /* may take more than a few seconds */
};

struct demo_ctx;

struct demo {
	const char *name;      /* command-line name, "reread" */
	const char *claim;     /* "C1" */
	const char *summary;   /* one line for the list */
	const char *statement; /* the article's claim, in English */
	const char *rule;      /* how the verdict follows from the figures,
				* naming them by key */
	const char *keys;      /* figures for the summary table, "a,b" */
	const char *opts;      /* glassfs -o of its scratch mount, or NULL */
	unsigned flags;
	/* 0 after recording figures and a verdict; -EAGAIN when the state
	 * was disturbed by another process (run again, at most 3 times);
	 * other -errno: it could not run (printed as its verdict "error"). */
	int (*run)(struct demo_ctx *ctx);
};

/* The table, generated from tools/meson.build's `demos` list. */
#define DEMO_DECLARE(n) extern const struct demo n##_demo;
#include "demo_list.h"
DEMO_LIST(DEMO_DECLARE)
#undef DEMO_DECLARE

/* Where a figure comes from: printed in SOURCE, and in the JSON. */
enum demo_src {
	SRC_DAEMON,	/* the daemon's request ring: what the kernel asked */
	SRC_CACHESTAT,	/* cachestat(2) of the file */
	SRC_MINCORE,	/* mincore(2) of a mapping */
	SRC_SMAPS,	/* /proc/PID/smaps of the measuring child */
	SRC_PAGEMAP,	/* /proc/PID/pagemap: present, file or copy, frame */
	SRC_KPAGEFLAGS, /* /proc/kpageflags of a mapped page's frame */
	SRC_RUSAGE,	/* getrusage(2) of the measuring child */
	SRC_PERF,	/* raw_syscalls:sys_enter counted by perf_event */
	SRC_PROCIO,	/* /proc/PID/io of the measuring child */
	SRC_MEMINFO,	/* /proc/meminfo */
	SRC_VMSTAT,	/* /proc/vmstat */
	SRC_MEMCG,	/* the memory cgroup's own files */
	SRC_CLOCK,	/* CLOCK_MONOTONIC */
	SRC_PROGRAM,	/* what the program saw: bytes, errno, signal */
	SRC_STAT,	/* stat(2) */
	SRC_SYSCTL,	/* /proc/sys */
	SRC_STATUS,	/* /proc/PID/status, /proc/PID/maps */
};

/* Where the demonstration runs. */
struct demo_ctx {
	const struct demo *demo;
	char dir[4096];		/* private directory for its files */
	int dirfd;		/* of dir */
	const char *fstype;	/* of dir: "fuse.glassfs", "tmpfs", ... */
	struct demo_mount *mnt; /* the glassfs daemon, or NULL (--on) */
	bool scratch;		/* mnt is ours: may remount, mount others */
	bool fast;		/* --fast: may lower write-back sysctls */
	bool root;		/* effective uid 0 */
	bool last_attempt;	/* -EAGAIN will not be retried */
	unsigned own_drops;	/* drop_caches it wrote itself */
	struct demo_result *res;
};

/* Say what was done (one line each, in order). */
void demo_did(struct demo_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A remark: where the article is wrong or imprecise, a FUSE detail. */
void demo_note(struct demo_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The verdict and the measurement that decided it. */
void demo_verdict(struct demo_ctx *c, enum demo_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Figures.  @key names it in the rule and the JSON; @unit is "pages",
 * "bytes", "requests", "s" ...; @what says what it is in a few words.
 * A count of FSI_UNKNOWN, a NaN real or a NULL text is printed
 * "unknown" (JSON null, "state": "unknown"); demo_fig_na() is a figure
 * that does not exist here ("n/a": no daemon on --on).
 */
void demo_fig(struct demo_ctx *c, const char *key, uint64_t v, const char *unit,
	      enum demo_src src, const char *what);
void demo_fig_real(struct demo_ctx *c, const char *key, double v,
		   const char *unit, enum demo_src src, const char *what);
void demo_fig_text(struct demo_ctx *c, const char *key, const char *v,
		   enum demo_src src, const char *what);
void demo_fig_na(struct demo_ctx *c, const char *key, const char *unit,
		 enum demo_src src, const char *what);

/* True once SIGINT, SIGTERM or SIGHUP arrived: stop and return -EINTR. */
bool demo_interrupted(void);

/* A line on stderr while waiting (only on a terminal). */
void demo_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ */
/* Undo: everything a demonstration changes is undone on every path    */
/* (normal end, error, signal, exit).  demo_scratch.c                  */
/* ------------------------------------------------------------------ */

/* Register @fn(@arg), run at the latest at exit, last in first out.
 * Returns a handle for demo_undo_now(). */
int demo_undo_push(void (*fn)(void *arg), void *arg);
/* Run the undo @handle now (once). */
void demo_undo_now(int handle);
/* Forget the undo @handle without running it (the job was done). */
void demo_undo_drop(int handle);
/* Run every pending undo (also from atexit, in the owning process only). */
void demo_undo_all(void);
/* Remove the files and empty directories in @dir, then @dir. */
void demo_rmdir(const char *dir);

/* A sysctl (/proc/sys path) set to @value until undone; the old value
 * goes to @old (64 bytes).  0 or -errno. */
int demo_sysctl_set(const char *path, const char *value, char *old,
		    int *handle);

/* ------------------------------------------------------------------ */
/* glassfs mounts (demo_scratch.c)                                    */
/* ------------------------------------------------------------------ */

struct demo_mount {
	char mnt[4096];	  /* mountpoint */
	char store[4096]; /* store file (scratch) */
	char tmp[4000];	  /* private temporary directory (scratch) */
	char log[4096];	  /* the daemon's stderr (scratch) */
	char opts[256];
	pid_t pid; /* daemon we started, or 0 */
	int undo;  /* handle of our stop */
	struct gmount gm;
	struct ring ring;
	bool ring_ok;
	bool heap; /* demo_extra_mount's: dm_stop() frees it */
};

/* A scratch mount in a new private directory, glassfs started with -f
 * and -o @opts (may be NULL), ready when this returns.  0 or -errno
 * after a warning. */
int dm_start(struct demo_mount *m, const char *opts);
/* The glassfs mount holding @path (not ours: never unmounted); warns
 * and returns -errno if it is none or its daemon cannot be reached. */
int dm_attach(struct demo_mount *m, const char *path);
/* Unmount and reap (scratch; removes the store), or detach. */
void dm_stop(struct demo_mount *m);
/* Unmount and mount the same store again (scratch only). */
int dm_remount(struct demo_mount *m);
/* Kill the scratch daemon of @m with @sig and reap it, as a crash
 * would, and remove what it left in its runtime directory: the mount is
 * left dead (ENOTCONN) until dm_remount() or dm_stop().  *status as
 * waitpid's.  0 or -errno (-EOPNOTSUPP if the daemon is not ours). */
int dm_kill(struct demo_mount *m, int sig, int *status);

/* @c on the glassfs mount @m instead: a copy whose directory is @m's
 * root (its files go with the mount); demo_subctx_close() when done. */
int demo_subctx(const struct demo_ctx *c, struct demo_mount *m,
		struct demo_ctx *sub);
void demo_subctx_close(struct demo_ctx *sub);

/* A further scratch mount with other options; dm_stop() unmounts and
 * frees it (or the end of the demonstration does).  -EOPNOTSUPP unless
 * the context is a scratch one. */
int demo_extra_mount(struct demo_ctx *c, const char *opts,
		     struct demo_mount **m);

/* ------------------------------------------------------------------ */
/* Measuring (demo_kit.c)                                             */
/* ------------------------------------------------------------------ */

/* Requests the daemon received for one inode in a window. */
struct demo_reqs {
	bool known; /* the ring was read completely */
	uint64_t reads, read_bytes, read_max;
	uint64_t writes, write_bytes, write_end; /* max off + len */
	uint64_t writepages;			 /* WRITEs flagged write-back */
	uint64_t flushes, fsyncs, setattrs;
	uint64_t first_write_ns; /* t_ns of the first WRITE, 0 if none */
	uint32_t write_pid;	 /* requesting thread of that WRITE */
};

/* The daemon's ring position now (0 without a daemon). */
uint64_t dm_mark(struct demo_mount *m);
/* Requests for @ino (0: every inode) after @mark. */
void dm_requests(struct demo_mount *m, uint64_t mark, uint64_t ino,
		 struct demo_reqs *r);
/* Wait (at most 2 s) until the daemon has received nothing for 60 ms:
 * async readahead and write-back are answered before we count. */
void dm_settle(struct demo_mount *m);
/* Drop the kernel's pages and attributes of @ino (control "inval"). */
int dm_inval(struct demo_mount *m, uint64_t ino);

/* The store's side of durability, from the daemon's "stats": what is
 * committed, what was made durable, what is still in the open batch. */
struct demo_store {
	bool known;
	uint64_t commits;      /* group commits so far */
	uint64_t syncs;	       /* of which forced by fsync (WAL synced) */
	uint64_t batch_bytes;  /* written into the open batch: uncommitted */
	bool batch_open;       /* a batch is open */
	uint64_t batch_age_ns; /* how long it has been open */
	uint64_t wal_bytes;    /* size of the store's WAL file */
};

/* The store facts of @m now; 0, or -errno with st->known false. */
int dm_store(struct demo_mount *m, struct demo_store *st);

/* The store's group commits recorded in the trace after @mark. */
struct demo_commits {
	bool known;
	uint64_t n;	   /* COMMIT records */
	uint64_t synced;   /* of which forced by fsync */
	uint64_t first_ns; /* CLOCK_MONOTONIC of the first, 0 if none */
	uint64_t bytes;	   /* bytes they committed */
};

/* The COMMIT records after @mark that began at or after @after_ns. */
void dm_commits(struct demo_mount *m, uint64_t mark, uint64_t after_ns,
		struct demo_commits *out);

/* Publish the request figures @prefix_reads, _read_bytes ... (n/a
 * without a daemon). */
void demo_fig_reads(struct demo_ctx *c, const char *key,
		    const struct demo_reqs *r, const char *what);
void demo_fig_writes(struct demo_ctx *c, const char *key,
		     const struct demo_reqs *r, const char *what);

/* Open @name in the demonstration's directory (mode 0644 if created):
 * a descriptor or -errno. */
int demo_open(struct demo_ctx *c, const char *name, int flags);
/* Create @name with @size bytes of @fill (byte value), written with
 * write(2), fsync'd and closed: clean in the cache, on the store. */
int demo_file(struct demo_ctx *c, const char *name, uint64_t size, int fill);
/* Inode of @fd (from the kernel's cached attributes: no request). */
uint64_t demo_ino(int fd);

/*
 * Make the next access to @name come from storage, not the page cache:
 * on a scratch mount, unmount and mount the store again (every
 * descriptor into the mount must be closed: the context's own is
 * reopened); on another glassfs mount, ask the daemon to invalidate the
 * inode; elsewhere, fsync and POSIX_FADV_DONTNEED (a no-op on tmpfs).
 * *how says which ("remount", "inval", "fadvise").  0 or -errno.
 */
int demo_reload(struct demo_ctx *c, const char *name, const char **how);

/* cachestat of @fd's pages; FSI_UNKNOWN fields if it cannot tell. */
void demo_cache(int fd, struct pc_stat *st);
/* Open @name, fsync, drop its clean pages (POSIX_FADV_DONTNEED), close;
 * *left gets the pages still cached (tmpfs keeps them all). */
int demo_evict(struct demo_ctx *c, const char *name, uint64_t *left);

/* A field of /proc/meminfo in bytes, or of /proc/vmstat; FSI_UNKNOWN. */
uint64_t demo_meminfo(const char *field);
uint64_t demo_vmstat(const char *field);
/* The number in the /proc/sys file @path; FSI_UNKNOWN. */
uint64_t demo_sysctl_get(const char *path);

/*
 * --fast: lower vm.dirty_expire_centisecs and vm.dirty_writeback_centisecs
 * to 100 (1 s) until the demonstration ends (root; otherwise a note
 * says so).  True when lowered.
 */
bool demo_fast_writeback(struct demo_ctx *c);

/* What the kernel's write-back did while demo_wait_clean() watched. */
struct demo_wb {
	uint64_t clean_ns;	 /* t0 -> first seen without dirty pages, 0 */
	uint64_t first_write_ns; /* t0 -> first WRITE request, 0 if none */
	uint64_t dirty_end;	 /* dirty pages when it stopped watching */
	uint64_t waited_ns;	 /* t0 -> when it stopped */
	struct demo_reqs reqs;	 /* the daemon's requests meanwhile */
	char sender[64];	 /* who sent the first WRITE: a command
				  * name, "kernel" (pid 0) or "exited" */
};

/*
 * Watch @fd's file every 0.1 s until it has no dirty page and, with a
 * daemon, WRITE requests for @ino arrived after @mark; or until @limit_ns
 * after @t0 (CLOCK_MONOTONIC, when the pages were dirtied).  Holds no
 * descriptor of its own: on FUSE a close would write back.  0, or -EINTR.
 */
int demo_wait_clean(struct demo_ctx *c, int fd, uint64_t ino, uint64_t mark,
		    uint64_t t0, uint64_t limit_ns, struct demo_wb *w);

/* The longest the kernel's flusher should take to write back pages
 * dirtied now, from the sysctls in effect: expire + period + 5 s. */
uint64_t demo_wb_limit_ns(void);

/* The physical frame of each of @n pages from @addr in process @pid
 * (/proc/PID/pagemap): 0 for a page not present, or when the kernel
 * hides frames (not root).  0 or -errno. */
int demo_pfns(pid_t pid, uint64_t addr, uint64_t n, uint64_t *pfn);

/* /proc/kpageflags and /proc/kpagecount (mapcount) of frame @pfn (root
 * only); FSI_UNKNOWN each when unreadable. */
void demo_kpage(uint64_t pfn, uint64_t *flags, uint64_t *count);

/* The mapping of @fd's file in process @pid, with its pagemap summary
 * (pages.*); -ENOENT if none. */
int demo_smaps(pid_t pid, int fd, struct pm_mapping *out);

/* ------------------------------------------------------------------ */
/* The measuring child (demo_kit.c)                                   */
/* ------------------------------------------------------------------ */

/* What the child measured over one step of its own (demo_step_*). */
struct demo_step {
	uint64_t wall_ns, cpu_ns, sys_ns;
	uint64_t minflt, majflt;
	uint64_t inblock;  /* bytes the kernel read from storage for it */
	uint64_t syscalls; /* FSI_UNKNOWN without perf tracepoints */
	uint64_t rwcalls;  /* read- and write-family calls (/proc/self/io
			    * syscr + syscw); FSI_UNKNOWN */
	int64_t result;	   /* step-specific: bytes, value, -errno */
	uint64_t v[4];	   /* step-specific */
};

#define DEMO_STEPS 16

/* Shared with the child: a MAP_SHARED anonymous page. */
struct demo_shared {
	struct demo_step step[DEMO_STEPS];
	uint64_t syscall_base; /* a null step's count, subtracted */
	uint64_t rwcall_base;  /* the same for rwcalls */
	int perf_errno;	       /* why syscalls are unknown */
};

struct demo_child {
	pid_t pid;
	int go, ack; /* parent -> child, child -> parent */
	int undo;
	int perf_fd;		/* the child's own counter */
	int io_fd;		/* the child's /proc/self/io */
	struct demo_shared *sh; /* shared page; after demo_child_end(), res */
	struct demo_shared res;
};

typedef int (*demo_child_fn)(struct demo_child *ch, void *arg);

/* Fork a child running @fn(@arg), which exits with its return value
 * (negated errno: 0..255).  It starts paused: demo_child_run() starts
 * it. */
int demo_child_start(struct demo_child *ch, demo_child_fn fn, void *arg);
/* Let it run to its next demo_child_pause(); 0, or -ECHILD if it exited
 * instead (then demo_child_end()). */
int demo_child_run(struct demo_child *ch);
/* Reap it; *status as waitpid's.  0 or -errno. */
int demo_child_end(struct demo_child *ch, int *status);

/* In the child: wait for the parent's next demo_child_run(). */
void demo_child_pause(struct demo_child *ch);
/* In the child: measure step @i around an action. */
void demo_step_begin(struct demo_child *ch, int i);
void demo_step_end(struct demo_child *ch, int i, int64_t result);

/* Read @fd to its end (or @len bytes from @off) with @bufsize reads;
 * bytes read or -errno. */
int64_t demo_read_all(int fd, uint64_t off, uint64_t len, size_t bufsize);

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t demo_now_ns(void);

#endif
