#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The crash loop (tests/crash/crashloop.c): a seeded random workload of
# writes, truncates, holes, creates, renames, links, unlinks, fsyncs of
# files and directories and mmap writes with msync runs through a mount
# while the daemon is SIGKILLed at a random moment; after each crash the
# tree is checked against the model of what was fsync'd, the store with
# glassfs check, PRAGMA integrity_check and orphan queries.  Each crash
# draws its cache mode (auto, always, never, no_writeback_cache) and
# commit_ms (5, 100, 1000) from the seed.
#
# The seed is random unless GLASSFS_CRASH_SEED is set, and is printed
# with the figures: `crashloop --seed N` replays a run.

load helpers/common

# The full loop (300 crashes) takes about five minutes, more under the
# sanitizers: this file's tests get longer than the suite's default.
BATS_TEST_TIMEOUT=2400

setup() {
	gfs_setup
	WORK=$BATS_TEST_TMPDIR/crash
	mkdir -p "$WORK"
	# crashloop runs its own daemons; their log is scanned at teardown.
	LOG=$WORK/glassfs.log
	: >"$LOG"
}

teardown() {
	local pid
	# A loop stopped half-way kills its daemon; if it could not, the
	# daemon it started is named in glassfs.pid.
	pid=$(cat "$WORK/glassfs.pid" 2>/dev/null)
	if [ -n "$pid" ] && grep -qF "$WORK" "/proc/$pid/cmdline" 2>/dev/null; then
		kill -KILL "$pid"
	fi
	if mountpoint -q "$WORK/mnt"; then
		fusermount3 -uz "$WORK/mnt"
	fi
	gfs_teardown
}

# crash_loop CRASHES MAX_DELAY_MS: run the loop, show its figures, require
# no loss, no inconsistency, no error.
crash_loop() {
	local seed=${GLASSFS_CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	run "$GLASSFS_BUILD/tests/crash/crashloop" --dir "$WORK" \
		--glassfs "$GLASSFS" --seed "$seed" --crashes "$1" \
		--max-delay "$2"
	printf '# %s\n' "${lines[@]}" | grep -E '^# crashloop: ' >&3
	assert_success
	assert_line --regexp "^crashloop: seed $seed: $1 crashes, [0-9]+ operations \([0-9]+ covering fsyncs\), [0-9]+ checks, 0 losses, 0 inconsistencies, 0 errors, 0 daemon log errors"
}

@test "crash loop, short: 20 SIGKILLs, nothing fsync'd lost, store consistent" {
	crash_loop 20 500
}

# bats test_tags=slow
@test "crash loop, full: 300 SIGKILLs, nothing fsync'd lost, store consistent" {
	crash_loop 300 1000
}
