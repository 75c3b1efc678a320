#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon starts, mounts, serves a file and unmounts cleanly.

load helpers/common

@test "mount a new store, write, read back, unmount" {
	gfs_mount
	assert_file_exists "$STORE"
	grep -q "created new store" "$LOG"
	echo hello >"$MNT/hello"
	run cat "$MNT/hello"
	assert_output hello
	gfs_umount
	gfs_mount
	run cat "$MNT/hello"
	assert_output hello
}

@test "--version and --help exit 0" {
	run "$GLASSFS" --version
	assert_success
	assert_line --partial "glassfs "
	run "$GLASSFS" --help
	assert_success
	assert_line --partial "usage: "
}

@test "misuse exits 1 with a hint" {
	run "$GLASSFS"
	assert_failure 1
	assert_line --partial "Try 'glassfs --help'"
	run "$GLASSFS" -o cache=sometimes "$STORE" "$MNT"
	assert_failure 1
	assert_line --partial "invalid cache mode 'sometimes'"
}
