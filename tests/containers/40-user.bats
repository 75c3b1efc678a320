#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A user who is not root, inside a container: glassfs mounts through the
# setuid fusermount3 (Debian's fuse3), the user reads and writes, others
# (the container's root included) are kept out without allow_other, and
# "fusermount3 -u" unmounts and ends the daemon.  The container gets the
# usual /dev/fuse and CAP_SYS_ADMIN: fusermount3 runs with the
# capabilities of the container's root, which must allow mount(2).

load ../helpers/common
load helpers

setup() {
	gc_setup
	gc_start c "${GC_FUSE_OPTS[@]}" -- "${GC_IDLE[@]}"
	run gc_podman exec "$c" useradd -m -u 1500 tester
	assert_success
}

teardown() {
	gc_teardown
}

# as_user COMMAND: a shell command as "tester" in the container.
as_user() {
	gc_podman exec --user tester --workdir /home/tester "$c" sh -c "$1"
}

# bats test_tags=container
@test "a non-root user mounts with fusermount3, writes, reads, unmounts" {
	as_user 'mkdir mnt'
	# Not allowed to mount(2) itself: glassfs goes through fusermount3.
	run as_user 'glassfs store.db mnt'
	assert_success
	assert_output "glassfs: created new store '/home/tester/store.db'"
	run gc_podman exec "$c" awk '$5 == "/home/tester/mnt"' /proc/self/mountinfo
	assert_output --regexp ' - fuse\.glassfs /home/tester/store\.db rw,.*user_id=1500,'

	run as_user 'echo "written by $(id -un)" >mnt/f && mkdir mnt/d && cat mnt/f && stat -c "%U %a" mnt/f mnt/d'
	assert_success
	assert_output "written by tester
tester 644
tester 755"
	run as_user 'pgrep -u tester -x glassfs'
	assert_success

	# Without allow_other, FUSE lets no one else in, not even root.
	run gc_podman exec "$c" stat /home/tester/mnt/f
	assert_failure
	assert_output --partial 'Permission denied'

	run as_user 'fusermount3 -u mnt'
	assert_success
	run as_user 'for i in $(seq 50); do pgrep -u tester -x glassfs || exit 0; sleep 0.1; done; exit 1'
	assert_success
	run as_user 'mountpoint -q mnt'
	assert_failure

	# What the user wrote is in the store, owned by the user.
	run as_user 'glassfs store.db mnt && cat mnt/f && fusermount3 -u mnt'
	assert_success
	assert_output "written by tester"
	run as_user 'stat -c %U store.db'
	assert_output tester
}
