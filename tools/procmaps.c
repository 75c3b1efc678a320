// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * procmaps.c - mappings and descriptors of files, found through /proc.
 *
 * Layer: measurement.  Never opens a target file: a FUSE file's dirty
 * pages are written back by any close(), so this module works only on
 * /proc files.  Behaviour relied on (seen on 6.18, see FACTS.md):
 *  - maps and smaps print the device as hex "major:minor" and the inode
 *    in decimal; FUSE files show as 00:NN with NN the connection number;
 *  - smaps' Private_Dirty counts pages mapped by one process only, so a
 *    MAP_SHARED mapping's dirty pages are "private" until a second
 *    process maps them;
 *  - pagemap (bit 63 present, bit 61 file page or shared anonymous,
 *    bits 0-54 PFN, zero unless CAP_SYS_ADMIN) indexed by virtual page,
 *    kpageflags and kpagecount indexed by PFN, 8 bytes each;
 *  - fault-around maps up to 16 neighbouring cached pages on a fault, so
 *    a mapping's present pages may exceed the pages its owner touched.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kernel-page-flags.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsinspect.h"
#include "procmaps.h"

#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* The targets sorted by (dev, ino) for bsearch. */
struct tindex {
	struct pm_target *v;
	size_t n;
};

static int cmp_target(const void *a, const void *b)
{
	const struct pm_target *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void tindex_init(struct tindex *ti, const struct pm_target *t, size_t n)
{
	ti->v = fsi_xcalloc(n ? n : 1, sizeof(*t));
	memcpy(ti->v, t, n * sizeof(*t));
	ti->n = n;
	qsort(ti->v, n, sizeof(*t), cmp_target);
}

static const struct pm_target *tindex_find(const struct tindex *ti, dev_t dev,
					   ino_t ino)
{
	struct pm_target key = {.dev = dev, .ino = ino};

	return bsearch(&key, ti->v, ti->n, sizeof(key), cmp_target);
}

/* 0 and a pid for /proc/NNN, -1 for other entries. */
static int entry_pid(const struct dirent *d, pid_t *pid)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)d->d_name[0]))
		return -1;
	v = strtol(d->d_name, &end, 10);
	if (*end || v <= 0)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* A maps/smaps header line: "start-end perms offset maj:min inode ...". */
static int parse_header(const char *line, struct pm_mapping *m, dev_t *dev,
			ino_t *ino)
{
	unsigned long long start, end, off, inode;
	unsigned maj, min;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu", &start, &end,
		   m->perms, &off, &maj, &min, &inode) != 7)
		return -1;
	m->start = start;
	m->end = end;
	m->offset = off;
	*dev = makedev(maj, min);
	*ino = (ino_t)inode;
	return 0;
}

/* Does /proc/PID/maps mention a target?  1, 0, or -errno. */
static int maps_match(pid_t pid, const struct tindex *ti)
{
	char path[64], *line = NULL;
	struct pm_mapping m;
	size_t len = 0;
	int found = 0;
	dev_t dev;
	ino_t ino;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!found && getline(&line, &len, f) > 0)
		found = !parse_header(line, &m, &dev, &ino) && ino &&
			tindex_find(ti, dev, ino);
	if (!found && ferror(f))
		found = -EIO;
	free(line);
	fclose(f);
	return found;
}

/* "Rss:   64 kB" into m (bytes). */
static void parse_field(const char *line, struct pm_mapping *m)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{"Rss:", offsetof(struct pm_mapping, rss)},
		{"Pss:", offsetof(struct pm_mapping, pss)},
		{"Shared_Dirty:", offsetof(struct pm_mapping, shared_dirty)},
		{"Private_Dirty:", offsetof(struct pm_mapping, private_dirty)},
		{"Swap:", offsetof(struct pm_mapping, swap)},
	};
	unsigned long long kb;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t n = strlen(fields[i].name);

		if (strncmp(line, fields[i].name, n) ||
		    sscanf(line + n, "%llu", &kb) != 1)
			continue;
		*(uint64_t *)((char *)m + fields[i].off) = kb * 1024;
		return;
	}
}

static void add_mapping(struct pm_scan *out, const struct pm_mapping *m)
{
	out->maps = fsi_xrealloc(out->maps, out->nmaps + 1, sizeof(*out->maps));
	out->maps[out->nmaps++] = *m;
}

/* Every mapping of a target in /proc/PID/smaps.  0 or -errno. */
static int read_smaps(pid_t pid, const char *comm, const struct tindex *ti,
		      struct pm_scan *out)
{
	char path[64], *line = NULL;
	struct pm_mapping cur;
	const struct pm_target *t;
	bool in = false;
	size_t len = 0;
	dev_t dev;
	ino_t ino;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &len, f) > 0) {
		struct pm_mapping m = {.pid = pid};

		if (parse_header(line, &m, &dev, &ino) == 0) {
			if (in)
				add_mapping(out, &cur);
			t = ino ? tindex_find(ti, dev, ino) : NULL;
			in = t != NULL;
			if (!in)
				continue;
			cur = m;
			cur.target = t->index;
			snprintf(cur.comm, sizeof(cur.comm), "%s", comm);
		} else if (in) {
			parse_field(line, &cur);
		}
	}
	if (in)
		add_mapping(out, &cur);
	free(line);
	fclose(f);
	return 0;
}

/* The kpage files, opened once; -errno if they cannot be (not root). */
static int kpage_fd(int which)
{
	static int fds[2] = {-2, -2};
	static const char *const names[2] = {"/proc/kpageflags",
					     "/proc/kpagecount"};

	if (fds[which] == -2) {
		fds[which] = open(names[which], O_RDONLY | O_CLOEXEC);
		if (fds[which] < 0)
			fds[which] = -errno;
	}
	return fds[which];
}

/* The 8-byte word for @pfn in kpageflags (0) or kpagecount (1). */
static uint64_t kpage_word(int which, uint64_t pfn)
{
	int fd = kpage_fd(which);
	uint64_t v;

	if (fd < 0 || !pfn ||
	    pread(fd, &v, sizeof(v), (off_t)(pfn * sizeof(v))) != sizeof(v))
		return FSI_UNKNOWN;
	return v;
}

static void walk_chunk(const struct pm_mapping *m, const uint64_t *pme,
		       size_t n, uint64_t first, pm_page_fn fn, void *arg)
{
	uint64_t pgoff0 = m->offset / fsi_page_size;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t pfn = pme[i] & PM_PFN_MASK;

		if (!(pme[i] & PM_PRESENT))
			continue;
		fn(pgoff0 + first + i, kpage_word(0, pfn), kpage_word(1, pfn),
		   !!(pme[i] & PM_FILE), arg);
	}
}

#define PAGEMAP_CHUNK 4096

int pm_walk_pages(const struct pm_mapping *m, pm_page_fn fn, void *arg)
{
	uint64_t pme[PAGEMAP_CHUNK], first, total;
	char path[64];
	ssize_t got;
	size_t n;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", m->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	total = (m->end - m->start) / fsi_page_size;
	for (first = 0; first < total; first += n) {
		n = total - first < PAGEMAP_CHUNK ? total - first
						  : PAGEMAP_CHUNK;
		got = pread(fd, pme, n * sizeof(*pme),
			    (off_t)((m->start / fsi_page_size + first) *
				    sizeof(*pme)));
		if (got < 0) {
			rc = -errno;
			break;
		}
		n = (size_t)got / sizeof(*pme);
		if (!n)
			break;
		walk_chunk(m, pme, n, first, fn, arg);
	}
	close(fd);
	return rc;
}

static void count_page(uint64_t pgoff, uint64_t kflags, uint64_t count,
		       bool filepage, void *arg)
{
	struct pm_pages *p = arg;

	p->present++;
	if (!filepage)
		p->cow++;
	if (kflags == FSI_UNKNOWN) {
		p->dirty = p->writeback = p->referenced = FSI_UNKNOWN;
	} else {
		fsi_add(&p->dirty, !!(kflags & (1ULL << KPF_DIRTY)));
		fsi_add(&p->writeback, !!(kflags & (1ULL << KPF_WRITEBACK)));
		fsi_add(&p->referenced, !!(kflags & (1ULL << KPF_REFERENCED)));
	}
	if (count == FSI_UNKNOWN)
		p->mapmax = FSI_UNKNOWN;
	else if (p->mapmax != FSI_UNKNOWN && count > p->mapmax)
		p->mapmax = count;
}

struct mark_arg {
	uint8_t *pages;
	uint64_t npages;
};

static void mark_page(uint64_t pgoff, uint64_t kflags, uint64_t count,
		      bool filepage, void *arg)
{
	struct mark_arg *a = arg;

	/* A private copy is not the file's page; a page past the size we
	 * know (stale on FUSE) has no place in the caller's array. */
	if (!filepage || pgoff >= a->npages)
		return;
	a->pages[pgoff] |= PM_PG_MAPPED;
	if (kflags == FSI_UNKNOWN)
		a->pages[pgoff] |= PM_PG_NOFLAGS;
	else if (kflags & (1ULL << KPF_DIRTY))
		a->pages[pgoff] |= PM_PG_DIRTY;
	if (kflags != FSI_UNKNOWN && (kflags & (1ULL << KPF_WRITEBACK)))
		a->pages[pgoff] |= PM_PG_WRITEBACK;
}

int pm_mark_pages(const struct pm_mapping *m, uint8_t *pages, uint64_t npages)
{
	struct mark_arg a = {pages, npages};

	return pm_walk_pages(m, mark_page, &a);
}

static void summarise_pages(struct pm_mapping *m)
{
	memset(&m->pages, 0, sizeof(m->pages));
	if (pm_walk_pages(m, count_page, &m->pages) < 0) {
		m->pages.present = m->pages.cow = FSI_UNKNOWN;
		m->pages.dirty = m->pages.writeback = FSI_UNKNOWN;
		m->pages.referenced = m->pages.mapmax = FSI_UNKNOWN;
	}
}

/* Mappings of one process; a process that vanished is not an error. */
static void scan_pid_maps(pid_t pid, const struct tindex *ti, bool pages,
			  struct pm_scan *out)
{
	size_t i, before = out->nmaps;
	char comm[32];
	int rc;

	rc = maps_match(pid, ti);
	if (rc > 0) {
		read_comm(pid, comm, sizeof(comm));
		rc = read_smaps(pid, comm, ti, out);
	}
	if (rc == -EACCES || rc == -EPERM)
		out->denied++;
	for (i = before; pages && i < out->nmaps; i++)
		summarise_pages(&out->maps[i]);
}

typedef void (*pid_fn)(pid_t pid, const struct tindex *ti, bool opt,
		       struct pm_scan *out);

static int for_each_pid(const struct pm_target *t, size_t nt, bool opt,
			pid_fn fn, struct pm_scan *out)
{
	struct tindex ti;
	struct dirent *d;
	pid_t pid;
	DIR *proc;

	memset(out, 0, sizeof(*out));
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	tindex_init(&ti, t, nt);
	while ((d = readdir(proc)))
		if (entry_pid(d, &pid) == 0)
			fn(pid, &ti, opt, out);
	closedir(proc);
	free(ti.v);
	return 0;
}

int pm_scan_maps(const struct pm_target *targets, size_t nt, bool pages,
		 struct pm_scan *out)
{
	return for_each_pid(targets, nt, pages, scan_pid_maps, out);
}

/* flags and pos from /proc/PID/fdinfo/FD. */
static void read_fdinfo(pid_t pid, int fd, struct pm_openfd *o)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "pos: %llu", &v) == 1)
			o->pos = v;
		else if (sscanf(line, "flags: %llo", &v) == 1)
			o->flags = (unsigned)v;
	}
	fclose(f);
}

/* Is /proc/PID/fd/NAME open on a target?  stat() of the magic link
 * reaches the inode without opening it. */
static const struct pm_target *fd_target(pid_t pid, const char *name,
					 const struct tindex *ti)
{
	char path[64 + sizeof(((struct dirent *)0)->d_name)], link[8];
	struct statx sx;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, name);
	/* Sockets, pipes and anon inodes ("socket:[N]") are not files. */
	n = readlink(path, link, sizeof(link));
	if (n <= 0 || link[0] != '/')
		return NULL;
	/* No FUSE_GETATTR either: the kernel's attributes will do. */
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &sx) < 0)
		return NULL;
	return tindex_find(ti, makedev(sx.stx_dev_major, sx.stx_dev_minor),
			   (ino_t)sx.stx_ino);
}

static void scan_pid_fds(pid_t pid, const struct tindex *ti, bool unused,
			 struct pm_scan *out)
{
	const struct pm_target *t;
	struct pm_openfd o;
	char path[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		if (errno == EACCES || errno == EPERM)
			out->denied++;
		return;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || !(t = fd_target(pid, d->d_name, ti)))
			continue;
		memset(&o, 0, sizeof(o));
		o.pid = pid;
		o.target = t->index;
		o.fd = atoi(d->d_name);
		read_comm(pid, o.comm, sizeof(o.comm));
		read_fdinfo(pid, o.fd, &o);
		out->fds = fsi_xrealloc(out->fds, out->nfds + 1,
					sizeof(*out->fds));
		out->fds[out->nfds++] = o;
	}
	closedir(dir);
}

int pm_scan_fds(const struct pm_target *targets, size_t nt, struct pm_scan *out)
{
	return for_each_pid(targets, nt, false, scan_pid_fds, out);
}

void pm_scan_free(struct pm_scan *s)
{
	free(s->maps);
	free(s->fds);
	memset(s, 0, sizeof(*s));
}
