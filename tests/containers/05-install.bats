#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# glassfs installed like any Debian tool: what "meson install" put in the
# image (tests/containers/Containerfile runs it with the default prefix,
# /usr/local) is enough for mount(8), fstab and a systemd mount unit, with
# nothing but Debian's fuse3 (mount.fuse3) beside it.  mount(8) gives its
# helpers no PATH: mount.fuse3 finds glassfs only in the shell's default
# one, which has /usr/local/bin (and /usr/bin for prefix=/usr).

load ../helpers/common
load helpers

UNIT=$BATS_TEST_DIRNAME/systemd/srv-glassfs.mount

setup() {
	gc_setup
}

teardown() {
	gc_teardown
}

# A container that mounts FUSE, with a main process that reaps the
# daemons mount.fuse3 leaves it.
start() {
	gc_start c "${GC_FUSE_OPTS[@]}" -- "${GC_IDLE[@]}"
}

in_c() {
	gc_podman exec "$c" sh -c "$1"
}

# unit_key KEY: its value in the example unit.
unit_key() {
	sed -n "s/^$1=//p" "$UNIT"
}

# daemons_gone: no glassfs left in the container after an unmount.
daemons_gone() {
	in_c 'for i in $(seq 50); do pgrep -x glassfs >/dev/null || exit 0; sleep 0.1; done; exit 1'
}

# bats test_tags=container
@test "meson install: glassfs and fsinspect on mount(8)'s PATH, man pages, mount.fuse3" {
	start
	# The environment mount(8) gives mount.fuse3: none.
	run in_c 'env -i /bin/sh -c "command -v glassfs && command -v fsinspect"'
	assert_success
	assert_output "/usr/local/bin/glassfs
/usr/local/bin/fsinspect"
	run in_c 'ls /usr/local/share/man/man8/glassfs.8 /usr/local/share/man/man1/fsinspect.1'
	assert_success
	# mount -t fuse.glassfs runs /sbin/mount.fuse (fuse3's link to
	# mount.fuse3): there is no mount.fuse.glassfs to install.
	run in_c 'readlink /sbin/mount.fuse; ls /sbin/mount.fuse.glassfs'
	assert_failure
	assert_line --index 0 mount.fuse3
	run in_c 'glassfs --version'
	assert_success
	assert_output --partial glassfs
}

# bats test_tags=container
@test "installed glassfs: mount -t fuse.glassfs, then an fstab line, umount" {
	start
	run in_c 'mkdir -p /srv/a && mount -t fuse.glassfs -o noatime /var/tmp/a.db /srv/a'
	assert_success
	assert_output "glassfs: created new store '/var/tmp/a.db'"
	run in_c 'findmnt -n -o FSTYPE,SOURCE /srv/a && echo one >/srv/a/f && cat /srv/a/f'
	assert_output "fuse.glassfs /var/tmp/a.db
one"
	run in_c 'umount /srv/a'
	assert_success
	daemons_gone

	# fstab noise (_netdev, nofail, noauto) and glassfs's own options.
	in_c 'echo "/var/tmp/a.db /srv/a fuse.glassfs defaults,_netdev,nofail,noauto,cache=never,commit_ms=50 0 0" >>/etc/fstab'
	run in_c 'mount /srv/a && cat /srv/a/f && findmnt -n -o FSTYPE /srv/a'
	assert_success
	assert_output "one
fuse.glassfs"
	run in_c 'umount /srv/a'
	assert_success
	daemons_gone
}

# bats test_tags=container
@test "the example systemd mount unit passes systemd-analyze verify" {
	command -v systemd-analyze >/dev/null ||
		skip "systemd-analyze is not installed (Debian package systemd)"
	local man=$BATS_TEST_TMPDIR/man args=()
	# Documentation=man:glassfs(8) is checked with man(1): the built page.
	if command -v man >/dev/null && [ -f "$GLASSFS_BUILD/man/glassfs.8" ]; then
		mkdir -p "$man/man8"
		ln -s "$GLASSFS_BUILD/man/glassfs.8" "$man/man8/glassfs.8"
	else
		args+=(--man=no)
	fi
	# Its name must match Where=, or systemd refuses it.
	run systemd-escape -p --suffix=mount "$(unit_key Where)"
	assert_output "$(basename "$UNIT")"
	MANPATH=$man run systemd-analyze verify "${args[@]}" "$UNIT"
	assert_success
	assert_output ""
}

# bats test_tags=container
@test "the example systemd mount unit, mounted as systemd does, in a container" {
	local what where type opts
	what=$(unit_key What)
	where=$(unit_key Where)
	type=$(unit_key Type)
	opts=$(unit_key Options)
	start
	# systemd runs: mount WHAT WHERE -t TYPE -o OPTIONS (no PATH either).
	run in_c "mkdir -p '${what%/*}' '$where' && env -i /bin/mount '$what' '$where' -t '$type' -o '$opts'"
	assert_success
	run in_c "findmnt -n -o FSTYPE,SOURCE,OPTIONS '$where'"
	assert_output --regexp "^fuse\.glassfs +$what +rw,.*allow_other"
	run in_c "echo unit >'$where/f' && cat '$where/f'"
	assert_output unit
	# Another user gets in (allow_other).
	run gc_podman exec --user 65534 "$c" cat "$where/f"
	assert_success
	assert_output unit
	run in_c "umount '$where'"
	assert_success
	daemons_gone
}
