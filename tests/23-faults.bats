#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fault injection under the store: a full file system (a tmpfs of 32 MiB,
# an ext4 image of 64 MiB on a loop device) and I/O errors injected into
# the daemon's writes and syncs of its store by tests/crash/faultshim.so
# (LD_PRELOAD; no root needed for those).  In every case the application
# gets an error (ENOSPC or EIO; which call gets it is printed), the daemon
# keeps serving reads and stat, its log names the error, everything
# fsync'd before stays intact, PRAGMA integrity_check is ok, glassfs check
# exits 0 (after the next mount's orphan sweep), and once the fault is
# gone writing works again.  The faults injected are counted and printed.
#
# Why the error comes at fsync(2) and not at write(2): a write is applied
# to the open group-commit batch in memory; SQLite meets the disk when the
# batch is committed (every commit_ms, or at fsync).  A failed commit loses
# the batch (glassfs(8) DURABILITY) and the next fsync reports it once.
# A write(2) fails itself only when its request must touch the disk: when
# the store's file system has no room for it (checked up front), or when
# SQLite spills a batch larger than its cache (write-through below).

load helpers/common

setup() {
	gfs_setup
	SHIM=$GLASSFS_BUILD/tests/crash/faultshim.so
	CTL=$BATS_TEST_TMPDIR/faults.ctl
	FAULTS=$BATS_TEST_TMPDIR/faults.log
	MANIFEST=$BATS_TEST_TMPDIR/manifest
	: >"$FAULTS"
	: >"$MANIFEST"
	SMALL=
	LOOPDEV=
	BG_PIDS=()
	# Whatever the store's file system or the shim makes SQLite say.
	gfs_log_allow 'error: store: '
	gfs_log_allow 'error: final commit failed: '
}

teardown() {
	local pid status=0
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -f "$CTL"
	gfs_teardown || status=1
	if [ -n "$SMALL" ] && mountpoint -q "$SMALL"; then
		umount "$SMALL" || status=1
	fi
	if [ -n "$LOOPDEV" ]; then
		losetup -d "$LOOPDEV" || status=1
	fi
	return $status
}

# gfs_mount_shim [glassfs args]: a mount whose store I/O faults on demand.
gfs_mount_shim() {
	local status=0
	export LD_PRELOAD=$SHIM GFS_FAULT_PATH=$STORE GFS_FAULT_CTL=$CTL
	export GFS_FAULT_LOG=$FAULTS
	# An ASan daemon wants its runtime first; the shim is not instrumented
	# against it, so let the order be.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	gfs_mount "$@" || status=$?
	unset LD_PRELOAD GFS_FAULT_PATH GFS_FAULT_CTL GFS_FAULT_LOG
	return $status
}

faults() {
	wc -l <"$FAULTS"
}

figure() {
	echo "# $*" >&3
}

sha() {
	local out
	out=$(sha256sum <"$1") || return 1
	echo "${out%% *}"
}

# write_synced DIR PREFIX COUNT SIZE: files DIR/PREFIXn of SIZE random
# bytes, each fsync'd; the ones whose fsync succeeded go to the manifest.
# Prints "N synced, stopped at STAGE by ERRNO" (or "N synced").
write_synced() {
	python3 - "$@" "$MANIFEST" <<'PY'
import errno, hashlib, os, sys
d, prefix, count, size, manifest = sys.argv[1:6]
mf = open(manifest, "a")
n = 0
for i in range(int(count)):
    name = f"{d}/{prefix}{i}"
    data = os.urandom(int(size))
    stage = "open"
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        stage = "write"
        # At most max_write per write(2): an error is then the call's,
        # not a short count.
        off = 0
        while off < len(data):
            off += os.write(fd, data[off:off + (1 << 20)])
        stage = "fsync"
        os.fsync(fd)
        stage = "close"
        os.close(fd)
    except OSError as e:
        print(f"{n} synced, stopped at {stage} by "
              f"{errno.errorcode.get(e.errno, e.errno)}")
        sys.exit(0)
    mf.write(f"{name} {hashlib.sha256(data).hexdigest()}\n")
    mf.flush()
    n += 1
print(f"{n} synced")
PY
}

# Every file of the manifest reads back as written.
check_manifest() {
	local name sum n=0
	while read -r name sum; do
		[ "$sum" = - ] && continue
		[ "$(sha "$name")" = "$sum" ] || {
			echo "fsync'd file '$name' changed" >&2
			return 1
		}
		n=$((n + 1))
	done <"$MANIFEST"
	echo "$n"
}

# write_again FILE: write 1 MiB and fsync it; the first fsync may report
# a batch lost earlier (once): retry.  Prints the attempts it took.
write_again() {
	python3 - "$1" <<'PY'
import errno, os, sys
for attempt in range(1, 4):
    try:
        fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, os.urandom(1 << 20))
        os.fsync(fd)
        os.close(fd)
        print(f"written after {attempt} attempts")
        sys.exit(0)
    except OSError as e:
        print(f"attempt {attempt}: {errno.errorcode.get(e.errno, e.errno)}")
sys.exit(1)
PY
}

# The daemon is alive and answers stat, readdir and reads.
assert_serving() {
	kill -0 "$GFS_PID"
	stat "$MNT" >/dev/null
	ls "$MNT" >/dev/null
	check_manifest >/dev/null
}

# Unmount, integrity_check, remount (the orphan sweep), fsync'd files
# intact, unmount, glassfs check exits 0.
assert_consistent() {
	gfs_umount
	run sqlite3 "$STORE" 'PRAGMA integrity_check'
	assert_output ok
	gfs_mount
	run check_manifest
	assert_success
	figure "$output fsync'd files intact after remount"
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
}

# ------------------------------------------------------------------
# A full file system

# fill_until_full: 1 MiB files until an error; the daemon keeps serving.
fill_until_full() {
	run write_synced "$MNT" f 1000 1048576
	assert_output --regexp '^[0-9]+ synced, stopped at (write|fsync|close) by (ENOSPC|EIO)$'
	figure "full: $output"
	assert_serving
}

@test "a full tmpfs (32 MiB) under the store: ENOSPC, serving, consistent; grown, it takes writes again" {
	gfs_require_root
	SMALL=$BATS_TEST_TMPDIR/small
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=32m tmpfs "$SMALL"
	STORE=$SMALL/store.db
	gfs_mount -o commit_ms=100
	fill_until_full
	# Writing does not work while full (no new error is promised to be
	# the same, only an error).
	run write_again "$MNT/blocked"
	assert_failure
	mount -o remount,size=256m "$SMALL"
	run write_again "$MNT/after"
	assert_success
	figure "grown to 256 MiB: $output"
	printf '%s %s\n' "$MNT/after" "$(sha "$MNT/after")" >>"$MANIFEST"
	assert_serving
	assert_consistent
}

@test "a full ext4 (64 MiB loop device) under the store: ENOSPC, serving, consistent; files deleted, it takes writes again" {
	gfs_require_root
	command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed"
	SMALL=$BATS_TEST_TMPDIR/small
	mkdir -p "$SMALL"
	truncate -s 64M "$BATS_TEST_TMPDIR/ext4.img"
	mkfs.ext4 -q -F "$BATS_TEST_TMPDIR/ext4.img"
	LOOPDEV=$(losetup -f --show "$BATS_TEST_TMPDIR/ext4.img") ||
		skip "no loop device available"
	mount "$LOOPDEV" "$SMALL"
	STORE=$SMALL/store.db
	gfs_mount -o commit_ms=100
	fill_until_full
	# Free space through the mount: delete half of the fsync'd files.
	local half name sum i=0
	half=$(($(wc -l <"$MANIFEST") / 2))
	while read -r name sum; do
		[ $((i++)) -lt "$half" ] && rm "$name"
	done <"$MANIFEST"
	sed -i "1,${half}d" "$MANIFEST"
	run write_again "$MNT/after"
	figure "deleted $half files: $output"
	assert_success
	printf '%s %s\n' "$MNT/after" "$(sha "$MNT/after")" >>"$MANIFEST"
	assert_serving
	assert_consistent
}

# ------------------------------------------------------------------
# I/O errors injected into the daemon

# fsyncs FILE: three fsync(2) of FILE, each's result.
fsyncs() {
	python3 - "$1" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(3):
    try:
        os.fsync(fd)
        print("ok")
    except OSError as e:
        print(errno.errorcode.get(e.errno, e.errno))
PY
}

@test "EIO on the WAL during a group commit: the batch is lost, fsync of a file it changed says so once" {
	gfs_mount_shim -o commit_ms=100
	run write_synced "$MNT" keep 3 300000
	assert_output "3 synced"
	local keep2
	keep2=$(grep "/keep2 " "$MANIFEST")
	echo "EIO write" >"$CTL"
	# Written and closed without error: only the commit can fail.  Until
	# an fsync says how it went, keep2's content is not known.
	printf 'changed\n' >"$MNT/keep2"
	sed -i '\|/keep2 |d' "$MANIFEST"
	head -c 200000 /dev/urandom >"$MNT/lost"
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(faults)" -gt 0 ] && break
		sleep 0.1
	done
	[ "$(faults)" -gt 0 ]
	grep -q 'could not be committed (Input/output error)' "$LOG"
	assert_serving
	rm "$CTL"
	# A file the lost batch did not touch: fsync has nothing to report.
	run fsyncs "$MNT/keep0"
	assert_output "$(printf 'ok\nok\nok')"
	# The one it changed: the error, once.
	run fsyncs "$MNT/keep2"
	assert_output "$(printf 'EIO\nok\nok')"
	run write_again "$MNT/after"
	assert_output "written after 1 attempts"
	printf '%s %s\n' "$MNT/after" "$(sha "$MNT/after")" >>"$MANIFEST"
	# The batch was rolled back whole: keep2 as fsync'd, no 'lost'.
	echo "$keep2" >>"$MANIFEST"
	figure "faults injected: $(faults)"
	assert_consistent
	gfs_mount
	[ ! -e "$MNT/lost" ]
}

@test "EIO from the WAL's fdatasync: every fsync fails until the daemon restarts, nothing committed is lost" {
	gfs_mount_shim -o commit_ms=600000
	run write_synced "$MNT" keep 2 100000
	assert_output "2 synced"
	echo "EIO sync" >"$CTL"
	run write_synced "$MNT" failing 1 100000
	assert_output "0 synced, stopped at fsync by EIO"
	grep -q "cannot sync the WAL of '$STORE': Input/output error" "$LOG"
	assert_serving
	rm "$CTL"
	# The kernel may have marked the pages that failed clean: a later
	# fdatasync that succeeds proves nothing, so none may claim success
	# ("fsyncgate").
	run write_synced "$MNT" still 1 100000
	assert_output "0 synced, stopped at fsync by EIO"
	# A restarted daemon reads the WAL from the disk again.
	gfs_umount
	gfs_mount_shim
	run write_synced "$MNT" after 1 100000
	assert_output "1 synced"
	# What was committed is there, synced or not: failing0 and still0.
	printf '%s %s\n' "$MNT/failing0" - "$MNT/still0" - >>"$MANIFEST"
	[ -s "$MNT/failing0" ]
	figure "faults injected: $(faults)"
	assert_consistent
}

@test "EIO when SQLite spills a large batch: write(2) itself fails (write-through)" {
	# A 1 MiB SQLite cache: 8 MiB written in one batch must spill to the
	# WAL during the writes, and the write that spills gets the error.
	gfs_mount_shim -o no_writeback_cache,sqlite_cache=1,commit_ms=600000
	run write_synced "$MNT" keep 2 100000
	assert_output "2 synced"
	echo "EIO write" >"$CTL"
	run write_synced "$MNT" big 1 8388608
	assert_output "0 synced, stopped at write by EIO"
	assert_serving
	rm "$CTL"
	run write_again "$MNT/after"
	assert_success
	figure "spill: $output; faults injected: $(faults)"
	printf '%s %s\n' "$MNT/after" "$(sha "$MNT/after")" >>"$MANIFEST"
	assert_consistent
}

@test "EIO half-way through a commit's WAL frames: nothing half-committed" {
	gfs_mount_shim -o commit_ms=600000
	run write_synced "$MNT" keep 2 100000
	assert_output "2 synced"
	# 4 MiB in 64 KiB pages: dozens of WAL frames; the 5th write fails.
	echo "EIO write 4" >"$CTL"
	run write_synced "$MNT" cut 1 4194304
	assert_output "0 synced, stopped at fsync by EIO"
	assert_serving
	rm "$CTL"
	run write_again "$MNT/after"
	assert_success
	figure "cut commit: $output; faults injected: $(faults)"
	printf '%s %s\n' "$MNT/after" "$(sha "$MNT/after")" >>"$MANIFEST"
	assert_consistent
	# The cut file's batch was rolled back as a whole.
	gfs_mount
	[ ! -e "$MNT/cut0" ]
}

@test "EIO during a checkpoint: reported, the WAL is kept, and the next one works" {
	gfs_mount_shim -o commit_ms=100
	run write_synced "$MNT" keep 4 1000000
	assert_output "4 synced"
	# The batch is empty: the only writes are the checkpoint's copy of
	# the WAL into the database.
	echo "EIO write" >"$CTL"
	run gfs_ctl checkpoint
	assert_output --partial '"error"'
	[ "$(faults)" -gt 0 ]
	assert_serving
	rm "$CTL"
	run gfs_ctl checkpoint
	refute_output --partial '"error"'
	run write_again "$MNT/after"
	assert_success
	printf '%s %s\n' "$MNT/after" "$(sha "$MNT/after")" >>"$MANIFEST"
	figure "checkpoint: faults injected: $(faults)"
	assert_consistent
}

# bats test_tags=slow
@test "random I/O faults for 30 s under a write and fsync load: nothing fsync'd lost" {
	gfs_mount_shim -o commit_ms=50
	# One writer: each file written then fsync'd, so an fsync that
	# succeeds covers the file (an error is never reported to another).
	python3 - "$MNT" "$MANIFEST" "$BATS_TEST_TMPDIR/writer.out" <<'PY' &
import errno, hashlib, os, random, sys, time
d, manifest, out = sys.argv[1:4]
mf = open(manifest, "a")
ok = failed = 0
end = time.time() + 30
i = 0
while time.time() < end:
    i += 1
    name = f"{d}/w{i % 200}"
    data = os.urandom(random.choice([1, 4096, 65536, 300000, 1 << 20]))
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        mf.write(f"{name} {hashlib.sha256(data).hexdigest()}\n")
        mf.flush()
        ok += 1
    except OSError as e:
        # Its content is unknown now: no longer in the manifest.
        mf.write(f"{name} -\n")
        mf.flush()
        failed += 1
open(out, "w").write(f"{ok} fsyncs succeeded, {failed} failed\n")
PY
	BG_PIDS+=($!)
	# Write faults only: after a failed sync every fsync fails until the
	# daemon restarts (see above), which would end the test's figures.
	local kinds=("EIO write" "EIO write 3" "EIO write 20" "ENOSPC write")
	local t=0
	while kill -0 "${BG_PIDS[0]}" 2>/dev/null; do
		echo "${kinds[RANDOM % ${#kinds[@]}]}" >"$CTL"
		sleep 0.$((RANDOM % 3 + 1))
		rm -f "$CTL"
		sleep 0.$((RANDOM % 5 + 1))
		kill -0 "$GFS_PID"
		t=$((t + 1))
	done
	wait "${BG_PIDS[0]}"
	BG_PIDS=()
	figure "$t fault windows, $(faults) faults injected; $(cat "$BATS_TEST_TMPDIR/writer.out")"
	# Most windows must have been survived with fsyncs succeeding after.
	[ "$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/writer.out")" -ge 20 ]
	# Only the last version of each name counts.
	tac "$MANIFEST" | sort -s -u -k1,1 >"$MANIFEST.last"
	mv "$MANIFEST.last" "$MANIFEST"
	assert_consistent
}
