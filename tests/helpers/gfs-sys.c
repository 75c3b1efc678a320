// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gfs-sys - run one system call and print its errno by name.
 *
 * The tests check exact error numbers through this helper instead of
 * matching strerror() text.  On success it prints "OK" (followed by a
 * value for calls that return one) and exits 0; on failure it prints the
 * errno name ("ENOENT") and exits 1; on misuse it exits 2.
 *
 *   gfs-sys open PATH FLAGS [MODE]      FLAGS like O_RDWR|O_CREAT|O_EXCL
 *   gfs-sys mkdir PATH MODE             gfs-sys rmdir PATH
 *   gfs-sys unlink PATH                 gfs-sys link OLD NEW
 *   gfs-sys symlink TARGET PATH         gfs-sys readlink PATH
 *   gfs-sys rename OLD NEW [noreplace|exchange|whiteout]
 *   gfs-sys mknod PATH reg|fifo|sock|chr|blk MODE [MAJOR MINOR]
 *   gfs-sys truncate PATH SIZE          gfs-sys chmod PATH MODE
 *   gfs-sys chown PATH UID GID
 *   gfs-sys utimens PATH ATIME MTIME    each now, omit or SEC[.NSEC]
 *   gfs-sys setxattr PATH NAME VALUE [create|replace]
 *   gfs-sys getxattr PATH NAME [SIZE]   prints the value (or its size)
 *   gfs-sys listxattr PATH [SIZE]       prints names separated by ','
 *   gfs-sys removexattr PATH NAME
 *   gfs-sys fallocate PATH MODE OFF LEN MODE: 0, keep, punch
 *   gfs-sys lseek PATH data|hole OFF    prints the offset
 *   gfs-sys copy SRC SOFF DST DOFF LEN  prints bytes copied
 *   gfs-sys pwrite PATH OFF TEXT        prints bytes written
 *   gfs-sys pread PATH OFF LEN          prints the bytes read
 *   gfs-sys stat PATH                   prints mode nlink uid gid size
 *                                       blocks atime mtime ctime (ns)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static int fail(void)
{
	const char *name = strerrorname_np(errno);

	if (name)
		printf("%s\n", name);
	else
		printf("E%d\n", errno);
	return 1;
}

static long long num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 0);

	if (*end) {
		fprintf(stderr, "gfs-sys: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int open_flags(const char *s)
{
	static const struct {
		const char *name;
		int flag;
	} t[] = {
		{ "O_RDONLY", O_RDONLY }, { "O_WRONLY", O_WRONLY },
		{ "O_RDWR", O_RDWR }, { "O_CREAT", O_CREAT },
		{ "O_EXCL", O_EXCL }, { "O_TRUNC", O_TRUNC },
		{ "O_APPEND", O_APPEND }, { "O_DIRECTORY", O_DIRECTORY },
		{ "O_NOFOLLOW", O_NOFOLLOW }, { "O_DIRECT", O_DIRECT },
		{ "O_PATH", O_PATH }, { "O_TMPFILE", O_TMPFILE },
	};
	char *copy = strdup(s), *tok, *save = NULL;
	int flags = 0;

	for (tok = strtok_r(copy, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (!strcmp(tok, t[i].name))
				break;
		if (i == sizeof(t) / sizeof(t[0])) {
			fprintf(stderr, "gfs-sys: unknown flag '%s'\n", tok);
			exit(2);
		}
		flags |= t[i].flag;
	}
	free(copy);
	return flags;
}

static struct timespec ts_arg(const char *s)
{
	struct timespec ts = { 0, 0 };
	const char *dot;

	if (!strcmp(s, "now")) {
		ts.tv_nsec = UTIME_NOW;
	} else if (!strcmp(s, "omit")) {
		ts.tv_nsec = UTIME_OMIT;
	} else {
		ts.tv_sec = (time_t)strtoll(s, NULL, 10);
		dot = strchr(s, '.');
		if (dot)
			ts.tv_nsec = strtol(dot + 1, NULL, 10);
	}
	return ts;
}

static int do_mknod(int argc, char **argv)
{
	mode_t type;

	if (argc < 5)
		return 2;
	if (!strcmp(argv[3], "reg"))
		type = S_IFREG;
	else if (!strcmp(argv[3], "fifo"))
		type = S_IFIFO;
	else if (!strcmp(argv[3], "sock"))
		type = S_IFSOCK;
	else if (!strcmp(argv[3], "chr"))
		type = S_IFCHR;
	else if (!strcmp(argv[3], "blk"))
		type = S_IFBLK;
	else
		return 2;
	if (mknod(argv[2], type | (mode_t)num(argv[4]),
		  argc > 6 ? makedev(num(argv[5]), num(argv[6])) : 0))
		return fail();
	return 0;
}

static int do_xattr(const char *op, int argc, char **argv)
{
	char buf[70000];
	ssize_t n;

	if (!strcmp(op, "setxattr")) {
		int flags = 0;

		if (argc < 5)
			return 2;
		if (argc > 5)
			flags = !strcmp(argv[5], "create") ? XATTR_CREATE
							   : XATTR_REPLACE;
		return setxattr(argv[2], argv[3], argv[4], strlen(argv[4]),
				flags)
			       ? fail()
			       : 0;
	}
	if (!strcmp(op, "removexattr"))
		return argc < 4 ? 2 : removexattr(argv[2], argv[3]) ? fail() : 0;
	if (!strcmp(op, "getxattr")) {
		size_t size = argc > 4 ? (size_t)num(argv[4]) : sizeof(buf);

		if (argc < 4)
			return 2;
		n = getxattr(argv[2], argv[3], size ? buf : NULL, size);
		if (n < 0)
			return fail();
		if (size)
			printf("OK %.*s\n", (int)n, buf);
		else
			printf("OK %zd\n", n);
		return 0;
	}
	/* listxattr */
	{
		size_t size = argc > 3 ? (size_t)num(argv[3]) : sizeof(buf);

		n = listxattr(argv[2], size ? buf : NULL, size);
		if (n < 0)
			return fail();
		if (!size) {
			printf("OK %zd\n", n);
			return 0;
		}
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i] && i != n - 1)
				buf[i] = ',';
		printf("OK %.*s\n", n ? (int)n - 1 : 0, buf);
		return 0;
	}
}

static int with_fd(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0) {
		fail();
		exit(1);
	}
	return fd;
}

static int do_data(const char *op, int argc, char **argv)
{
	int fd;

	if (!strcmp(op, "fallocate")) {
		int mode = !strcmp(argv[3], "keep") ? FALLOC_FL_KEEP_SIZE
			   : !strcmp(argv[3], "punch")
				   ? FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
				   : (int)num(argv[3]);

		fd = with_fd(argv[2], O_RDWR);
		if (fallocate(fd, mode, num(argv[4]), num(argv[5])))
			return fail();
		return 0;
	}
	if (!strcmp(op, "lseek")) {
		off_t r;

		fd = with_fd(argv[2], O_RDONLY);
		r = lseek(fd, num(argv[4]),
			  !strcmp(argv[3], "data") ? SEEK_DATA : SEEK_HOLE);
		if (r < 0)
			return fail();
		printf("OK %lld\n", (long long)r);
		return 0;
	}
	if (!strcmp(op, "copy")) {
		loff_t so = num(argv[3]), dof = num(argv[5]);
		int in = with_fd(argv[2], O_RDONLY);
		int out = with_fd(argv[4], O_WRONLY);
		ssize_t n = copy_file_range(in, &so, out, &dof,
					    (size_t)num(argv[6]), 0);

		if (n < 0)
			return fail();
		printf("OK %zd\n", n);
		return 0;
	}
	if (!strcmp(op, "pwrite")) {
		ssize_t n;

		fd = with_fd(argv[2], O_WRONLY);
		n = pwrite(fd, argv[4], strlen(argv[4]), num(argv[3]));
		if (n < 0)
			return fail();
		printf("OK %zd\n", n);
		return close(fd) ? fail() : 0;
	}
	/* pread */
	{
		size_t len = (size_t)num(argv[4]);
		char *buf = malloc(len + 1);
		ssize_t n;

		fd = with_fd(argv[2], O_RDONLY);
		n = pread(fd, buf, len, num(argv[3]));
		if (n < 0)
			return fail();
		printf("OK %.*s\n", (int)n, buf);
		free(buf);
		return 0;
	}
}

static int do_stat(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return fail();
	printf("OK %o %lu %u %u %lld %lld %lld%09ld %lld%09ld %lld%09ld\n",
	       st.st_mode, (unsigned long)st.st_nlink, st.st_uid, st.st_gid,
	       (long long)st.st_size, (long long)st.st_blocks,
	       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	       (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	return 0;
}

static int do_rename(int argc, char **argv)
{
	unsigned flags = 0;

	if (argc > 4) {
		if (!strcmp(argv[4], "noreplace"))
			flags = RENAME_NOREPLACE;
		else if (!strcmp(argv[4], "exchange"))
			flags = RENAME_EXCHANGE;
		else if (!strcmp(argv[4], "whiteout"))
			flags = RENAME_WHITEOUT;
		else
			return 2;
	}
	return renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], flags) ? fail()
								      : 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	int r = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: gfs-sys OP PATH [ARGS]\n");
		return 2;
	}
	if (!strcmp(op, "open")) {
		int fd = open(argv[2], open_flags(argc > 3 ? argv[3] : "O_RDONLY"),
			      argc > 4 ? (mode_t)num(argv[4]) : 0644);

		r = fd < 0 ? fail() : close(fd) ? fail() : 0;
	} else if (!strcmp(op, "mkdir") && argc > 3) {
		r = mkdir(argv[2], (mode_t)num(argv[3])) ? fail() : 0;
	} else if (!strcmp(op, "rmdir")) {
		r = rmdir(argv[2]) ? fail() : 0;
	} else if (!strcmp(op, "unlink")) {
		r = unlink(argv[2]) ? fail() : 0;
	} else if (!strcmp(op, "link") && argc > 3) {
		r = link(argv[2], argv[3]) ? fail() : 0;
	} else if (!strcmp(op, "symlink") && argc > 3) {
		r = symlink(argv[2], argv[3]) ? fail() : 0;
	} else if (!strcmp(op, "readlink")) {
		char buf[8192];
		ssize_t n = readlink(argv[2], buf, sizeof(buf));

		if (n < 0)
			return fail();
		printf("OK %.*s\n", (int)n, buf);
		return 0;
	} else if (!strcmp(op, "rename") && argc > 3) {
		r = do_rename(argc, argv);
	} else if (!strcmp(op, "mknod")) {
		r = do_mknod(argc, argv);
	} else if (!strcmp(op, "truncate") && argc > 3) {
		r = truncate(argv[2], num(argv[3])) ? fail() : 0;
	} else if (!strcmp(op, "chmod") && argc > 3) {
		r = chmod(argv[2], (mode_t)num(argv[3])) ? fail() : 0;
	} else if (!strcmp(op, "chown") && argc > 4) {
		r = lchown(argv[2], (uid_t)num(argv[3]), (gid_t)num(argv[4]))
			    ? fail()
			    : 0;
	} else if (!strcmp(op, "utimens") && argc > 4) {
		struct timespec t[2] = { ts_arg(argv[3]), ts_arg(argv[4]) };

		r = utimensat(AT_FDCWD, argv[2], t, AT_SYMLINK_NOFOLLOW)
			    ? fail()
			    : 0;
	} else if (strstr(op, "xattr")) {
		r = do_xattr(op, argc, argv);
	} else if ((!strcmp(op, "fallocate") && argc > 5) ||
		   (!strcmp(op, "lseek") && argc > 4) ||
		   (!strcmp(op, "copy") && argc > 6) ||
		   (!strcmp(op, "pwrite") && argc > 4) ||
		   (!strcmp(op, "pread") && argc > 4)) {
		return do_data(op, argc, argv);
	} else if (!strcmp(op, "stat")) {
		return do_stat(argv[2]);
	}
	if (r == 0)
		printf("OK\n");
	else if (r == 2)
		fprintf(stderr, "gfs-sys: bad arguments for '%s'\n", op);
	return r;
}
