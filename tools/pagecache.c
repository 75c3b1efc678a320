// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pagecache.c - cachestat(2), the mincore(2) fallback, evict and load.
 *
 * Layer: measurement, on descriptors the caller owns (see pagecache.h for
 * why this module never closes one).  No output, no options.
 *
 * Behaviour relied on (seen on 6.18, see FACTS.md):
 *  - cachestat works on FUSE files and agrees with mincore;
 *  - cachestat fails with EPERM for a caller that could not write the
 *    file, while mincore succeeds for such a caller and reports every
 *    page resident: so mincore is used only by a writer, and only when
 *    cachestat is missing (ENOSYS);
 *  - cachestat's evicted counts come from reclaim's shadow entries only;
 *    fadvise(DONTNEED) leaves none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fsinspect.h"
#include "pagecache.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* the same number on every architecture */
#endif

/* linux/mman.h of Debian 12 predates cachestat (6.5): the kernel ABI. */
struct fsi_cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct fsi_cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

/* Set at the first ENOSYS, or by FSINSPECT_NO_CACHESTAT for the tests. */
static int cachestat_missing = -1;

static bool no_cachestat(void)
{
	if (cachestat_missing < 0)
		cachestat_missing = getenv("FSINSPECT_NO_CACHESTAT") != NULL;
	return cachestat_missing;
}

const char *pc_source_name(enum pc_source src)
{
	switch (src) {
	case PC_CACHESTAT:
		return "cachestat";
	case PC_MINCORE:
		return "mincore";
	case PC_DENIED:
		return "denied";
	case PC_NOMAP:
		return "nomap";
	case PC_NONE:
		break;
	}
	return "none";
}

static void set_unknown(struct pc_stat *st)
{
	st->cached = st->dirty = st->writeback = FSI_UNKNOWN;
	st->evicted = st->recently_evicted = FSI_UNKNOWN;
}

static int do_cachestat(int fd, uint64_t first, uint64_t count,
			struct pc_stat *st)
{
	struct fsi_cachestat_range r = {
		.off = first * fsi_page_size,
		.len = count * fsi_page_size,
	};
	struct fsi_cachestat cs;

	if (syscall(__NR_cachestat, fd, &r, &cs, 0) < 0)
		return -errno;
	st->cached = cs.nr_cache;
	st->dirty = cs.nr_dirty;
	st->writeback = cs.nr_writeback;
	st->evicted = cs.nr_evicted;
	st->recently_evicted = cs.nr_recently_evicted;
	return 0;
}

/*
 * mincore reports honestly only to a process that may write the file
 * (the kernel's can_do_mincore): the owner, a capable caller, or one
 * with write permission.
 */
static bool may_write(int fd, const struct stat *sb)
{
	if (geteuid() == 0 || geteuid() == sb->st_uid)
		return true;
	return faccessat(fd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) == 0;
}

/* Resident pages among @n pages from @first, by a temporary mapping. */
static int mincore_window(int fd, uint64_t first, uint64_t n, uint64_t *cached)
{
	size_t len = n * fsi_page_size;
	unsigned char *vec;
	void *map;
	uint64_t i;
	int rc = 0;

	vec = fsi_xcalloc(n, 1);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd,
		   (off_t)(first * fsi_page_size));
	if (map == MAP_FAILED) {
		rc = -errno;
		goto out_free;
	}
	if (mincore(map, len, vec) < 0)
		rc = -errno;
	munmap(map, len);
	for (i = 0; !rc && i < n; i++)
		*cached += vec[i] & 1;
out_free:
	free(vec);
	return rc;
}

/* Windows of 64 MiB keep the vector and the address space small. */
#define MINCORE_WINDOW_PAGES 16384u

static int do_mincore(int fd, uint64_t first, uint64_t count,
		      struct pc_stat *st)
{
	uint64_t end, n;
	struct stat sb;
	int rc;

	rc = fsi_fstat_cached(fd, &sb);
	if (rc)
		return rc;
	if (!may_write(fd, &sb))
		return -EPERM;
	end = fsi_pages((uint64_t)sb.st_size);
	if (count && first + count < end)
		end = first + count;
	set_unknown(st);
	st->cached = 0;
	for (; first < end; first += n) {
		n = end - first;
		if (n > MINCORE_WINDOW_PAGES)
			n = MINCORE_WINDOW_PAGES;
		rc = mincore_window(fd, first, n, &st->cached);
		if (rc)
			return rc;
	}
	return 0;
}

static int measure_mincore(int fd, uint64_t first, uint64_t count,
			   struct pc_stat *st, enum pc_source *src)
{
	int rc = do_mincore(fd, first, count, st);

	*src = PC_MINCORE;
	if (rc == -EPERM)
		*src = PC_DENIED;
	else if (rc == -ENODEV || rc == -EACCES)
		*src = PC_NOMAP; /* FUSE direct_io, or not mappable */
	else if (rc)
		return rc;
	if (rc)
		set_unknown(st);
	return 0;
}

int pc_measure(int fd, uint64_t first, uint64_t count, struct pc_stat *st,
	       enum pc_source *src)
{
	int rc;

	if (no_cachestat())
		return measure_mincore(fd, first, count, st, src);
	rc = do_cachestat(fd, first, count, st);
	if (rc == -ENOSYS) {
		cachestat_missing = 1;
		return measure_mincore(fd, first, count, st, src);
	}
	*src = PC_CACHESTAT;
	if (rc == -EPERM) {
		/* Not a writer.  mincore would answer, with a lie. */
		*src = PC_DENIED;
		set_unknown(st);
		return 0;
	}
	return rc;
}

int pc_evict(int fd)
{
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

int pc_load(int fd, uint64_t *done)
{
	static char buf[1 << 20];
	ssize_t n;
	off_t off = 0;

	/*
	 * Plain reads, as any reader's: what they leave cached is what the
	 * kernel caches for readers.  (POSIX_FADV_WILLNEED was rejected: on
	 * a FUSE direct_io file it fills the page cache with pages no read
	 * ever uses.)
	 */
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0)
		off += n;
	*done = (uint64_t)off;
	return n < 0 ? -errno : 0;
}
