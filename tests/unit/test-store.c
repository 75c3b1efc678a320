// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-store.c - unit tests of the store layer (fs/store*.c) on
 * ":memory:", without FUSE.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tap.h"

static struct store *mem_store(void)
{
	struct store_params p = {
		.path = ":memory:",
		.create = true,
		.chunk_size = 4096,
		.root_mode = 0755,
	};
	struct store *s = NULL;
	char why[256];

	if (store_open(&p, &s, why, sizeof(why)))
		tap_fail(__FILE__, __LINE__, "store_open: %s", why);
	return s;
}

static uint64_t mkfile(struct store *s, uint64_t dir, const char *name,
		       mode_t mode)
{
	struct store_new n = { .mode = mode };
	struct stat st;

	CHECK_EQ(store_mknod(s, dir, name, &n, &st), 0);
	return st.st_ino;
}

TEST(root_exists)
{
	struct store *s = mem_store();
	struct stat st;

	CHECK_EQ(store_getattr(s, GFS_ROOT_INO, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_nlink, 2);
	store_close(s);
}

TEST(write_read_holes)
{
	struct store *s = mem_store();
	uint64_t ino = mkfile(s, GFS_ROOT_INO, "f", S_IFREG | 0644);
	char buf[20000], out[20000];
	size_t n;

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(store_write(s, ino, 10000, buf, 100, true, &n), 0);
	CHECK_EQ(n, 100);
	CHECK_EQ(store_read(s, ino, 0, sizeof(out), out, &n), 0);
	CHECK_EQ(n, 10100);
	for (int i = 0; i < 10000; i++)
		if (out[i]) {
			CHECK_EQ(out[i], 0);
			break;
		}
	CHECK(!memcmp(out + 10000, buf, 100));
	store_close(s);
}

int main(void)
{
	RUN(root_exists);
	RUN(write_read_holes);
	return tap_done();
}
