#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The lockstep exerciser (tests/crash/exercise.c): one seeded random
# sequence of opens, reads, writes, truncates, holes punched, MAP_SHARED
# reads and writes with msync, fsyncs, stats, renames, links and unlinks
# runs on glassfs and on tmpfs; every return value, errno, byte read and
# size must be the same, and so must the two trees at the end.  Under
# each cache mode; cache=never without mmap (MAP_SHARED gives ENODEV
# there, see glassfs(8)).
#
# Seeds are random unless GLASSFS_EXERCISE_SEED is set; a mismatch
# prints the operations that led to it, replayable with --seed.

load helpers/common

setup() {
	gfs_setup
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF"
	REF_MOUNTED=0
	RUNS=0
	if [ "$(id -u)" -eq 0 ]; then
		mount -t tmpfs -o size=4g,mode=0755 tmpfs "$REF"
		REF_MOUNTED=1
	elif [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
		REF=$(mktemp -d /dev/shm/glassfs-ref.XXXXXX)
	else
		skip "needs root or a tmpfs at /dev/shm for the reference"
	fi
}

teardown() {
	if [ "$REF_MOUNTED" = 1 ]; then
		umount "$REF"
	elif [ -n "${REF:-}" ] && [ "${REF#/dev/shm/}" != "$REF" ]; then
		rm -rf "$REF"
	fi
	gfs_teardown
}

# exercise COUNT OPS [glassfs -o options] [--no-mmap]: COUNT seeds of OPS
# operations each, in fresh directories of one mount.
exercise() {
	local runs=$1 ops=$2 i seed dir mopts=() xargs=()
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--no-mmap) xargs+=("$1") ;;
		*) mopts+=(-o "$1") ;;
		esac
		shift
	done
	gfs_mount "${mopts[@]}"
	for ((i = 0; i < runs; i++)); do
		seed=${GLASSFS_EXERCISE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
		# Fresh directories on both sides, also across mounts.
		dir=run$((RUNS++))
		mkdir "$MNT/$dir" "$REF/$dir"
		run "$GLASSFS_BUILD/tests/crash/exercise" --gfs "$MNT/$dir" \
			--ref "$REF/$dir" --seed "$seed" --ops "$ops" \
			"${xargs[@]}"
		printf '# %s\n' "${lines[@]}" | grep -E '^# exercise: seed [0-9]+:' >&3
		assert_success
		assert_line --regexp "^exercise: seed $seed: [0-9]+ operations, [0-9]+ checks, 0 mismatches$"
	done
	gfs_umount
}

@test "glassfs and tmpfs agree: cache=auto (write-back)" {
	exercise 1 5000 cache=auto
}

@test "glassfs and tmpfs agree: cache=always" {
	exercise 1 5000 cache=always
}

@test "glassfs and tmpfs agree: cache=never (no mmap)" {
	exercise 1 5000 cache=never --no-mmap
}

@test "glassfs and tmpfs agree: no_writeback_cache" {
	exercise 1 5000 no_writeback_cache
}

# bats test_tags=slow
@test "glassfs and tmpfs agree: 3 x 10000 operations in each cache mode" {
	exercise 3 10000 cache=auto
	exercise 3 10000 cache=always
	exercise 3 10000 cache=never --no-mmap
	exercise 3 10000 no_writeback_cache
}
