#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Mounting the ways users do: mount(8) with -t fuse.glassfs and an fstab
# line (through mount.fuse3), umount(8), fstab noise options, and glassfs
# without -f, which must detach and exit only once the mount is ready (or
# with the store's refusal status).
#
# mount(8) drops PATH from the environment of its helpers, so mount.fuse3
# finds "glassfs" only in the shell's default PATH.  Rather than install
# it system-wide, the mount(8) tests run in a private mount namespace
# where a directory holding a glassfs link is bind-mounted over
# /usr/local/sbin; everything those tests mount lives and dies in there.
# Only daemons whose command line names this test's $STORE are ever
# killed.

load helpers/common

setup() {
	gfs_setup
	NSPID=
}

teardown() {
	local failed=0 pid i
	if [ -n "$NSPID" ] && ns mountpoint -q "$MNT"; then
		ns umount "$MNT" || { ns umount -l "$MNT"; failed=1; }
	fi
	if [ -z "${GFS_PID:-}" ] && mountpoint -q "$MNT"; then
		fusermount3 -u "$MNT" || { fusermount3 -uz "$MNT"; failed=1; }
	fi
	# Daemons of this test (not the helper's foreground one) must go.
	for ((i = 0; i < 200; i++)); do
		[ -z "$(our_daemons)" ] && break
		sleep 0.1
	done
	for pid in $(our_daemons); do
		echo "glassfs $pid still running: killed" >&2
		kill -KILL "$pid"
		failed=1
	done
	if [ -n "$NSPID" ]; then
		kill -KILL "$NSPID" 2>/dev/null
		wait "$NSPID" 2>/dev/null
	fi
	gfs_teardown || failed=1
	return $failed
}

# PIDs of glassfs processes started for this test's store, except the
# foreground daemon of gfs_mount.
our_daemons() {
	local p
	for p in $(pgrep -x glassfs); do
		[ "$p" = "${GFS_PID:-}" ] && continue
		tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" |
			grep -qxF -- "$STORE" && echo "$p"
	done
	return 0
}

# A private mount namespace where mount.fuse3 finds glassfs.
ns_start() {
	local bin=$BATS_TEST_TMPDIR/bin ready=$BATS_TEST_TMPDIR/ns-ready
	command -v unshare >/dev/null || skip "no unshare(1)"
	mkdir -p "$bin"
	ln -s "$GLASSFS" "$bin/glassfs"
	unshare -m --propagation private bash -c \
		'mount --bind "$1" /usr/local/sbin && touch "$2" && exec sleep 3600' \
		ns "$bin" "$ready" &
	NSPID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "$ready" ] && break
		kill -0 "$NSPID" 2>/dev/null || skip "cannot make a mount namespace"
		sleep 0.05
	done
	[ -e "$ready" ]
	# mount(8)'s view of PATH in there.
	run ns env -i sh -c 'command -v glassfs'
	assert_output /usr/local/sbin/glassfs
}

ns() {
	nsenter -t "$NSPID" -m -- "$@"
}

# The /proc/mounts line of $MNT in the namespace.
ns_mount_line() {
	ns awk -v m="$MNT" '$2 == m' /proc/mounts
}

# Wait until no daemon of this test is left (after an unmount).
daemons_gone() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -z "$(our_daemons)" ] && return 0
		sleep 0.1
	done
	echo "glassfs still running after unmount: $(our_daemons)" >&2
	return 1
}

@test "mount -t fuse.glassfs STORE MNT and umount" {
	gfs_require_root
	ns_start
	run ns mount -t fuse.glassfs "$STORE" "$MNT"
	assert_success
	run ns_mount_line
	assert_output --regexp "^$STORE $MNT fuse\.glassfs rw,"
	ns sh -c "printf 'via mount(8)\n' >'$MNT/f'"
	run ns cat "$MNT/f"
	assert_output "via mount(8)"
	[ -n "$(our_daemons)" ]
	run ns umount "$MNT"
	assert_success
	daemons_gone
	# What it wrote is in the store.
	gfs_mount
	run cat "$MNT/f"
	assert_output "via mount(8)"
}

@test "mount -t fuse.glassfs -o rw,noatime" {
	gfs_require_root
	ns_start
	run ns mount -t fuse.glassfs -o rw,noatime "$STORE" "$MNT"
	assert_success
	run ns_mount_line
	assert_output --regexp "^$STORE $MNT fuse\.glassfs rw,([a-z]+,)*noatime,"
	ns mkdir "$MNT/d"
	ns umount "$MNT"
	daemons_gone
}

@test "mount -T FSTAB MNT: an fstab line with noise and glassfs options" {
	gfs_require_root
	ns_start
	local fstab=$BATS_TEST_TMPDIR/fstab
	printf '# test fstab\n%s %s fuse.glassfs %s 0 0\n' "$STORE" "$MNT" \
		'defaults,_netdev,nofail,noauto,user,cache=never,commit_ms=50' \
		>"$fstab"
	run ns mount -T "$fstab" "$MNT"
	assert_success
	assert_output "glassfs: created new store '$STORE'"
	run ns_mount_line
	assert_output --regexp "^$STORE $MNT fuse\.glassfs rw,"
	# cache=never reached glassfs: a shared mapping gives ENODEV.
	ns sh -c "printf 'data\n' >'$MNT/f'"
	run ns python3 -c '
import errno, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    mmap.mmap(fd, 0)
    print("mapped")
except OSError as e:
    print(errno.errorcode[e.errno])' "$MNT/f"
	assert_output ENODEV
	run ns umount "$MNT"
	assert_success
	daemons_gone
}

# bats test_tags=slow
@test "fstab noise options are accepted, through mount(8) and by glassfs itself" {
	gfs_require_root
	ns_start
	local opt
	for opt in _netdev nofail noauto auto defaults user users nouser \
		comment=systemd.automount; do
		run ns mount -t fuse.glassfs -o "$opt" "$STORE" "$MNT"
		assert_success
		run ns mountpoint -q "$MNT"
		assert_success
		ns umount "$MNT"
		daemons_gone
		# Directly, without mount.fuse3 in between.
		gfs_mount -o "$opt"
		gfs_umount
	done
	run grep -iE "unknown|invalid|fuse: " "$LOG"
	assert_output ""
}

@test "mount -t fuse.glassfs -o ro: a read-only mount" {
	gfs_require_root
	gfs_mount
	printf 'before\n' >"$MNT/f"
	gfs_umount
	ns_start
	run ns mount -t fuse.glassfs -o ro "$STORE" "$MNT"
	assert_success
	run ns_mount_line
	assert_output --regexp "^$STORE $MNT fuse\.glassfs ro,"
	run ns cat "$MNT/f"
	assert_output before
	run ns gfs-sys open "$MNT/g" 'O_WRONLY|O_CREAT'
	assert_output EROFS
	run ns gfs-sys open "$MNT/f" O_WRONLY
	assert_output EROFS
	run ns gfs-sys mkdir "$MNT/d" 0755
	assert_output EROFS
	ns umount "$MNT"
	daemons_gone
}

@test "glassfs without -f detaches and returns once the mount is ready" {
	local i pid
	for i in 1 2 3; do
		run "$GLASSFS" "$STORE" "$MNT"
		assert_success
		if [ "$i" -eq 1 ]; then
			assert_output "glassfs: created new store '$STORE'"
		else
			assert_output ""
		fi
		# Ready when the parent returned: no polling.
		mountpoint -q "$MNT"
		printf '%s\n' "$i" >"$MNT/f$i"
		pid=$(our_daemons)
		[ -n "$pid" ]
		# Detached: its own session, no terminal or our pipes, cwd /.
		[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
		[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" != "$$" ]
		[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
		[ "$(readlink "/proc/$pid/fd/1")" = /dev/null ]
		[ "$(readlink "/proc/$pid/fd/2")" = /dev/null ]
		[ "$(readlink "/proc/$pid/cwd")" = / ]
		fusermount3 -u "$MNT"
		daemons_gone
	done
	gfs_mount
	run cat "$MNT/f1" "$MNT/f2" "$MNT/f3"
	assert_output "$(printf '1\n2\n3')"
}

@test "glassfs without -f exits 2, mounting nothing, when the store is refused" {
	printf 'not a store\n' >"$STORE"
	run "$GLASSFS" "$STORE" "$MNT"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': not an SQLite database"
	run mountpoint -q "$MNT"
	assert_failure
	daemons_gone
	# Also when another glassfs has it.
	rm "$STORE"
	gfs_mount
	local m2=$BATS_TEST_TMPDIR/mnt2
	mkdir "$m2"
	run "$GLASSFS" "$STORE" "$m2"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': already mounted by another glassfs process"
	run mountpoint -q "$m2"
	assert_failure
	[ -z "$(our_daemons)" ]
}

@test "glassfs without -f: SIGTERM unmounts and ends the daemon" {
	run "$GLASSFS" -o commit_ms=600000 "$STORE" "$MNT"
	assert_success
	printf 'kept\n' >"$MNT/f"
	local pid
	pid=$(our_daemons)
	[ -n "$pid" ]
	kill -TERM "$pid"
	daemons_gone
	run mountpoint -q "$MNT"
	assert_failure
	gfs_mount
	run cat "$MNT/f"
	assert_output kept
}

@test "a mountpoint that is not a directory fails with status 3" {
	local file=$BATS_TEST_TMPDIR/afile
	touch "$file"
	# Without -f, so that a daemon that did mount does not block the test.
	run "$GLASSFS" "$STORE" "$file"
	# Do not leave it mounted if it was (mountpoint(1) cannot tell: the
	# root of such a mount gives EIO).
	local mounted
	mounted=$(awk -v m="$file" '$2 == m' /proc/mounts)
	if [ -n "$mounted" ]; then
		fusermount3 -u "$file" || fusermount3 -uz "$file"
	fi
	assert_failure 3
	assert_equal "$mounted" ""
	daemons_gone
}

# read_ahead_kb of the mount's bdi, once glassfs has set it (it does so
# from its watcher, within 100 ms of INIT; checked again 1 s later).
bdi_ra() {
	local f=/sys/class/bdi/$(mountpoint -d "$MNT")/read_ahead_kb i
	for ((i = 0; i < 20; i++)); do
		[ "$(cat "$f")" = "$1" ] && break
		sleep 0.05
	done
	cat "$f"
}

@test "readahead: 1 MiB by default, max_readahead= narrows or widens it, none with cache=never" {
	gfs_require_root
	gfs_mount
	local f=/sys/class/bdi/$(mountpoint -d "$MNT")/read_ahead_kb
	if ! [ -w "$f" ]; then
		# sysfs read-only (a container): the window stays, and the
		# log says why.
		sleep 0.3
		[ "$(cat "$f")" = 128 ]
		grep -q "readahead stays at the kernel's 128 KiB" "$LOG"
		skip "$f is not writable here: only the fallback was checked"
	fi
	[ "$(bdi_ra 1024)" = 1024 ]
	grep -q "readahead window 1024 KiB" "$LOG"
	gfs_remount -o max_readahead=65536
	[ "$(bdi_ra 64)" = 64 ]
	gfs_remount -o max_readahead=4194304
	[ "$(bdi_ra 4096)" = 4096 ]
	gfs_remount -o cache=never
	[ "$(bdi_ra 128)" = 128 ]
}
