/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procmaps.h - which processes map or hold open a set of files.
 *
 * Layer: measurement, without opening the files: /proc/PID/maps and
 * smaps (matched by device and inode), /proc/PID/pagemap with
 * /proc/kpageflags and /proc/kpagecount (per-page flags of mapped pages,
 * root only), /proc/PID/fd (stat of the magic link, which does not open
 * the file) and fdinfo.  No output, no options.
 */
#ifndef FSI_PROCMAPS_H
#define FSI_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A file to look for; @index is the caller's. */
struct pm_target {
	dev_t dev;
	ino_t ino;
	int index;
};

/* Per-page figures of one mapping, in pages; FSI_UNKNOWN when the kernel
 * would not tell (kpageflags needs root; pagemap hides PFNs otherwise). */
struct pm_pages {
	uint64_t present;    /* in the page table now (pagemap bit 63) */
	uint64_t cow;	     /* present but anonymous: private copies */
	uint64_t dirty;	     /* KPF_DIRTY */
	uint64_t writeback;  /* KPF_WRITEBACK */
	uint64_t referenced; /* KPF_REFERENCED */
	uint64_t mapmax;     /* largest kpagecount among present pages */
};

struct pm_mapping {
	pid_t pid;
	char comm[32];
	int target;		     /* struct pm_target.index */
	uint64_t start, end, offset; /* addresses; offset in the file */
	char perms[5];		     /* "rw-s" */
	/* From smaps, in bytes.  "Private" in smaps means mapped by this
	 * process only (mapcount 1), not MAP_PRIVATE. */
	uint64_t rss, pss, shared_dirty, private_dirty, swap;
	struct pm_pages pages; /* only if asked for */
};

struct pm_openfd {
	pid_t pid;
	char comm[32];
	int target;
	int fd;
	unsigned flags; /* open flags from fdinfo (O_ACCMODE etc.) */
	uint64_t pos;
};

/* What a scan found; @denied counts processes we were not allowed to
 * read (not root), whose mappings or descriptors are missing. */
struct pm_scan {
	struct pm_mapping *maps;
	size_t nmaps;
	struct pm_openfd *fds;
	size_t nfds;
	unsigned denied;
};

/*
 * Find every mapping of the @nt @targets in every process; with @pages
 * also summarise their pages (pm_pages).  0 or -errno (cannot read /proc).
 */
int pm_scan_maps(const struct pm_target *targets, size_t nt, bool pages,
		 struct pm_scan *out);

/* Find every descriptor open on the @targets.  0 or -errno. */
int pm_scan_fds(const struct pm_target *targets, size_t nt,
		struct pm_scan *out);

void pm_scan_free(struct pm_scan *s);

/*
 * Call @fn for each present page of mapping @m: its page index in the
 * file, its kpageflags and kpagecount (FSI_UNKNOWN if unreadable) and
 * whether it is the file's page (false: an anonymous private copy).
 * 0 or -errno.
 */
typedef void (*pm_page_fn)(uint64_t pgoff, uint64_t kflags, uint64_t count,
			   bool filepage, void *arg);
int pm_walk_pages(const struct pm_mapping *m, pm_page_fn fn, void *arg);

/* Page states for pm_mark_pages(). */
enum {
	PM_PG_MAPPED = 1 << 0, /* present in some mapping */
	PM_PG_DIRTY = 1 << 1,
	PM_PG_WRITEBACK = 1 << 2,
	PM_PG_NOFLAGS = 1 << 3, /* mapped, but kpageflags unreadable */
};

/*
 * OR into @pages[i] (one byte per page of the file, @npages of them) the
 * PM_PG_* state of file page i as mapped by @m.  Private copies are not
 * the file's pages and are left out.  0 or -errno.
 */
int pm_mark_pages(const struct pm_mapping *m, uint8_t *pages, uint64_t npages);

#endif
