#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The project's own bats suite, run by tests/run inside a clean container
# of the glassfs image: glassfs mounted inside the container, by root, as
# the suite does on a host.
#
# What runs: by default the suites whose subject a container changes (the
# store's durability, permissions with the container's users, bad stores,
# mount(8) and its helpers, glassfs check, fsinspect on the container's
# page cache views), without the tests tagged slow; GC_INNER_TESTS names
# other files (tests/NN-*.bats, space-separated), or "all" for the whole
# suite, unit tests included (it takes over ten minutes on 2 cores, too
# long for the 15 minutes the container suite has in CI).  The namespace,
# data and concurrency suites test the same code the host's run does.
#
# What the container gets, beyond /dev/fuse and CAP_SYS_ADMIN:
# - CAP_MKNOD: the suites create device nodes, which podman 4 no longer
#   lets root do by default;
# - /proc/sys writable (unmask): the suites drop the page cache;
# - seccomp unconfined: podman 4.3's default profile predates
#   cachestat(2) (Linux 6.5) and refuses it, so fsinspect would fall back
#   to mincore(2) and print "unknown" where the suites want numbers;
# - the host's file system as /tmp (a volume): the fsinspect suites
#   compare glassfs with ext4, and the image's /tmp is overlayfs.

load ../helpers/common
load helpers

# The inner run's own tests have 120 s each.
BATS_TEST_TIMEOUT=${GC_INNER_TIMEOUT:-600}

DEFAULT_TESTS="00-smoke 12-attrs 13-xattr 14-durability 16-permissions
17-badstore 18-mount 19-check 50-fsinspect-cache 51-fsinspect-maps"

setup() {
	gc_setup
	gfs_require_root
}

teardown() {
	gc_teardown
}

# bats test_tags=container
@test "the project's bats suite inside a container" {
	local tests=${GC_INNER_TESTS:-$DEFAULT_TESTS} args=() t log status
	local opts=(--cap-add MKNOD --security-opt unmask=/proc/sys
		--security-opt seccomp=unconfined)
	if [ "$tests" != all ]; then
		args+=(-t '!slow')
		for t in $tests; do
			[ -f "$GLASSFS_SRC/tests/${t%.bats}.bats" ] &&
				args+=("tests/${t%.bats}.bats")
		done
	fi
	mkdir -p "$BATS_TEST_TMPDIR/tmp"
	gc_start c "${GC_FUSE_OPTS[@]}" "${opts[@]}" \
		-v "$BATS_TEST_TMPDIR/tmp:/tmp" -e BATS_TEST_TIMEOUT=120 -- \
		tests/run -b /build "${args[@]}"
	run timeout $((BATS_TEST_TIMEOUT - 30)) podman --runtime runc wait "$c"
	status=$output
	log=$BATS_TEST_TMPDIR/inner.log
	gc_podman logs "$c" >"$log" 2>&1
	# The failures, in full; the last line is the inner summary.
	sed -n '/^not ok/,/^ok/p' "$log" | grep -v '^ok' || true
	run tail -n1 "$log"
	echo "# inside: $output (${args[*]:-all})" >&3
	assert_output --regexp '^[1-9][0-9]* passed, 0 failed, [0-9]+ skipped$'
	[ "$status" = 0 ]
}
