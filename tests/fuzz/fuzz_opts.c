// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_opts.c - a libFuzzer target for glassfs's command line parser
 * (fs/opts.c: opts_parse() over libfuse's fuse_opt_parse() and
 * fuse_parse_cmdline()).
 *
 * Each input is an argument vector: its bytes split at NUL into at most
 * 32 arguments after "glassfs".  The parser must not crash, leak or
 * overflow, and what it accepts must be consistent: a STORE (absolute
 * unless its directory does not exist: store_open() refuses it then), an
 * absolute MOUNTPOINT, a known cache mode, non-negative timeouts.
 * Messages it prints for bad input go to stderr (libFuzzer's
 * -close_fd_mask=2 silences them).
 *
 * Layer: test harness; links fs/opts.c and libfuse.  Built by
 * tests/fuzz/run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <fuse_opt.h>

#include "opts.h"

#define MAX_ARGS 32

static void check(const struct gfs_opts *o)
{
	if (o->show_help || o->show_version)
		return;
	if (!o->store || !o->mountpoint || o->mountpoint[0] != '/')
		abort();
	if (o->cache != GFS_CACHE_AUTO && o->cache != GFS_CACHE_ALWAYS &&
	    o->cache != GFS_CACHE_NEVER)
		abort();
	if (o->attr_timeout < 0 || o->entry_timeout < 0 ||
	    o->negative_timeout < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct fuse_args args;
	struct gfs_opts o;
	int argc = 1;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	argv[0] = "glassfs";
	for (char *p = copy; p <= copy + size && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	if (opts_parse(&args, &o) == 0)
		check(&o);
	opts_free(&o);
	fuse_opt_free_args(&args);
	free(copy);
	return 0;
}
