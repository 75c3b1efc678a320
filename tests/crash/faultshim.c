// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * faultshim.so - make the glassfs daemon's writes and syncs of its store
 * fail on demand, for tests/23-faults.bats.  Preloaded into the daemon:
 *
 *   LD_PRELOAD=faultshim.so GFS_FAULT_PATH=STORE GFS_FAULT_CTL=FILE \
 *   GFS_FAULT_LOG=FILE glassfs -f STORE MNT
 *
 * Only descriptors whose path starts with GFS_FAULT_PATH are touched: the
 * store, its -wal, -shm and -journal.  Before each pwrite, write,
 * ftruncate, fsync and fdatasync on one of them the shim reads FILE
 * GFS_FAULT_CTL; absent or empty, the call goes through.  Otherwise it
 * holds "ERRNO WHAT [SKIP]": ERRNO is EIO or ENOSPC, WHAT is write (the
 * writes and truncates), sync (fsync, fdatasync) or all, and SKIP calls
 * of that kind pass before the faults begin (counted from when the file's
 * content last changed).  Each fault injected is one line in
 * GFS_FAULT_LOG, so the test counts them.
 *
 * Layer: test harness, no glassfs code.  SQLite reaches the C library
 * through the dynamic linker (pwrite64, fdatasync, ftruncate64), so
 * interposing those symbols is enough; no root, no device mapper.
 */
/* Both pwrite and pwrite64 are defined here: no redirection of one to
 * the other (meson passes -D_FILE_OFFSET_BITS=64; off_t is 64-bit on
 * every 64-bit target anyway). */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum kind { K_WRITE, K_SYNC };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char last_ctl[128];   /* (lock) the control content last seen */
static unsigned long passed; /* (lock) calls let through since then */

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f)
		abort();
	return f;
}

static bool is_store(int fd)
{
	const char *want = getenv("GFS_FAULT_PATH");
	char link[64], path[4096];
	ssize_t n;

	if (!want || fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = 0;
	return !strncmp(path, want, strlen(want));
}

static void read_ctl(char *buf, size_t size)
{
	ssize_t (*rd)(int, void *, size_t) = real("read");
	const char *ctl = getenv("GFS_FAULT_CTL");
	int fd = ctl ? open(ctl, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd < 0 ? 0 : rd(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
}

static void log_fault(const char *call, int fd, int err)
{
	ssize_t (*wr)(int, const void *, size_t) = real("write");
	const char *log = getenv("GFS_FAULT_LOG");
	char line[256], link[64], path[128] = "?";
	int lfd, n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = (int)readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	n = snprintf(line, sizeof(line), "faultshim: %s on '%s': %s\n", call,
		     path, strerrorname_np(err));
	lfd = log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
		  : -1;
	if (lfd >= 0) {
		if (wr(lfd, line, (size_t)n) < 0)
			n = 0;
		close(lfd);
	}
}

/* The errno this call must fail with, or 0. */
static int fault(const char *call, int fd, enum kind k)
{
	char ctl[128], errname[16] = "", what[16] = "";
	unsigned long skip = 0;
	int err = 0;

	if (!is_store(fd))
		return 0;
	read_ctl(ctl, sizeof(ctl));
	if (sscanf(ctl, "%15s %15s %lu", errname, what, &skip) < 2)
		return 0;
	if (strcmp(what, "all") &&
	    strcmp(what, k == K_WRITE ? "write" : "sync"))
		return 0;
	pthread_mutex_lock(&lock);
	if (strcmp(ctl, last_ctl)) {
		snprintf(last_ctl, sizeof(last_ctl), "%s", ctl);
		passed = 0;
	}
	if (passed < skip)
		passed++;
	else
		err = strcmp(errname, "ENOSPC") ? EIO : ENOSPC;
	pthread_mutex_unlock(&lock);
	if (err)
		log_fault(call, fd, err);
	return err;
}

#define FAIL_IF(call, fd, kind)                                                \
	do {                                                                   \
		int err_ = fault(call, fd, kind);                              \
		if (err_) {                                                    \
			errno = err_;                                          \
			return -1;                                             \
		}                                                              \
	} while (0)

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	ssize_t (*f)(int, const void *, size_t, off64_t) = real("pwrite64");

	FAIL_IF("pwrite64", fd, K_WRITE);
	return f(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t (*f)(int, const void *, size_t, off_t) = real("pwrite");

	FAIL_IF("pwrite", fd, K_WRITE);
	return f(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t (*f)(int, const void *, size_t) = real("write");

	FAIL_IF("write", fd, K_WRITE);
	return f(fd, buf, n);
}

int ftruncate64(int fd, off64_t len)
{
	int (*f)(int, off64_t) = real("ftruncate64");

	FAIL_IF("ftruncate64", fd, K_WRITE);
	return f(fd, len);
}

int ftruncate(int fd, off_t len)
{
	int (*f)(int, off_t) = real("ftruncate");

	FAIL_IF("ftruncate", fd, K_WRITE);
	return f(fd, len);
}

int fdatasync(int fd)
{
	int (*f)(int) = real("fdatasync");

	FAIL_IF("fdatasync", fd, K_SYNC);
	return f(fd);
}

int fsync(int fd)
{
	int (*f)(int) = real("fsync");

	FAIL_IF("fsync", fd, K_SYNC);
	return f(fd);
}
