/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - `glassfs check [--repair] STORE`: the store's fsck.
 */
#ifndef GFS_CHECK_H
#define GFS_CHECK_H

/* Exit codes as fsck(8): 0 clean, 1 errors corrected, 4 errors left
 * uncorrected, 8 operational error, 16 usage error. */
int check_main(int argc, char *argv[]);

#endif
