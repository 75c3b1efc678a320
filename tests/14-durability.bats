#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Durability: what a clean unmount, fsync(2), msync(2), fsync on a
# directory and the group commit promise survives, and what a SIGKILL of
# the daemon may take (at most the last commit_ms of writes that were not
# fsync'd).  After every crash the store passes PRAGMA integrity_check, and
# files unlinked while open are reclaimed at the next mount.

load helpers/common

setup() {
	gfs_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	BG_PIDS=()
	TMPFS=
}

teardown() {
	local pid
	# Background writers and holders this test started.
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	gfs_teardown
	local status=$?
	if [ -n "$TMPFS" ] && mountpoint -q "$TMPFS"; then
		umount "$TMPFS"
	fi
	return $status
}

# crash [SIGNAL]: gfs_kill, then check the mount is gone.  (The "|| true"
# keeps helpers from before 9c9fba2, whose final wait failed under bats'
# errexit, working to the end.)
crash() {
	gfs_kill "${1:-KILL}" || true
	run mountpoint -q "$MNT"
	assert_failure
}

sha() {
	local out
	out=$(sha256sum <"$1") || return 1
	echo "${out%% *}"
}

sq() {
	sqlite3 "$STORE" "$@"
}

assert_integrity() {
	run sqlite3 "$STORE" 'PRAGMA integrity_check'
	assert_success
	assert_output ok
}

# A listing of the whole tree: names, types, modes, links, sizes, symlink
# targets, mtimes, and the content of every file.
manifest() {
	(
		cd "$MNT" || exit 1
		find . -printf '%p %y %m %n %s %l %T@\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	)
}

@test "data and namespace survive a clean unmount and remount" {
	gfs_mount
	mkdir -p "$MNT/d1/d2/d3" "$MNT/empty-dir"
	local n
	for n in 0 1 4096 65537 300000; do
		head -c $n /dev/urandom >"$MNT/d1/f$n"
	done
	head -c 2000000 /dev/urandom >"$MNT/d1/d2/d3/big"
	printf 'hello\n' >"$MNT/d1/d2/small"
	ln -s d1/d2/small "$MNT/link"
	ln -s /nowhere/at/all "$MNT/dangling"
	ln "$MNT/d1/f1" "$MNT/hardlink"
	chmod 0600 "$MNT/d1/f0"
	chmod 1777 "$MNT/d1/d2"
	truncate -s 20M "$MNT/sparse"
	mkfifo "$MNT/fifo"
	gfs-sys setxattr "$MNT/d1/f1" user.colour blue
	touch -d '2001-02-03 04:05:06.123456789' "$MNT/d1/f4096"
	local before
	before=$(manifest)
	gfs_remount
	run manifest
	assert_output "$before"
	run gfs-sys getxattr "$MNT/d1/f1" user.colour
	assert_line --index 0 "OK blue"
	run readlink "$MNT/link"
	assert_output d1/d2/small
	run cat "$MNT/link"
	assert_output hello
	run stat -c %y "$MNT/d1/f4096"
	assert_output "2001-02-03 04:05:06.123456789 +0000"
	# And once more, with the caches of a new mount dropped.
	gfs_remount -o cache=never
	run manifest
	assert_output "$before"
	gfs_umount
	assert_integrity
}

@test "fsync'd data survives SIGKILL of the daemon" {
	# A commit interval longer than the test: only fsync commits.
	gfs_mount -o commit_ms=600000
	local i
	for i in $(seq 1 12); do
		head -c $((i * 17011)) /dev/urandom >"$SRC/f$i"
	done
	# dd conv=fsync, python fsync and fdatasync, sync(1) on one file.
	for i in 1 2 3 4; do
		dd if="$SRC/f$i" of="$MNT/f$i" bs=64k conv=fsync status=none
	done
	python3 - "$SRC" "$MNT" <<'PY'
import os, sys
src, mnt = sys.argv[1], sys.argv[2]
for i in range(5, 11):
    data = open(f"{src}/f{i}", "rb").read()
    fd = os.open(f"{mnt}/f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data)
    (os.fsync if i % 2 else os.fdatasync)(fd)
    os.close(fd)
PY
	cp "$SRC/f11" "$MNT/f11"
	sync "$MNT/f11"
	# An overwrite in the middle of a synced file, synced again.
	head -c 5000 /dev/urandom >"$SRC/patch"
	dd if="$SRC/patch" of="$SRC/f12" bs=1 seek=60000 conv=notrunc status=none
	cp "$SRC/f1" "$MNT/f12"
	cp "$SRC/f12" "$MNT/f12"
	python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$MNT/f12"
	crash KILL
	gfs_mount
	for i in $(seq 1 12); do
		[ -f "$MNT/f$i" ]
		[ "$(sha "$MNT/f$i")" = "$(sha "$SRC/f$i")" ]
	done
	gfs_umount
	assert_integrity
}

@test "msync(MS_SYNC) makes mmap writes survive SIGKILL" {
	gfs_mount -o commit_ms=600000
	head -c 200000 /dev/urandom >"$SRC/m"
	dd if="$SRC/m" of="$MNT/m" bs=64k conv=fsync status=none
	python3 - "$MNT/m" "$SRC/m" <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
m[65530:65546] = b"through-the-map!"
m.flush()                               # msync(MS_SYNC)
want = bytearray(open(sys.argv[2], "rb").read())
want[65530:65546] = b"through-the-map!"
open(sys.argv[2], "wb").write(want)
m.close()
PY
	crash KILL
	gfs_mount
	[ "$(sha "$MNT/m")" = "$(sha "$SRC/m")" ]
}

@test "fsync on a directory makes a rename durable; unsynced changes are lost" {
	gfs_mount -o commit_ms=600000
	printf 'content\n' >"$MNT/old"
	mkdir "$MNT/dir"
	python3 - "$MNT" <<'PY'
import os, sys
mnt = sys.argv[1]
fd = os.open(mnt + "/old", os.O_RDONLY)
os.fsync(fd)
os.close(fd)
os.rename(mnt + "/old", mnt + "/dir/new")
d = os.open(mnt + "/dir", os.O_RDONLY | os.O_DIRECTORY)
os.fsync(d)
os.close(d)
PY
	# Not synced, and younger than commit_ms: a crash may take these.
	mkdir "$MNT/unsynced-dir"
	printf 'x' >"$MNT/unsynced-file"
	mv "$MNT/dir/new" "$MNT/moved-unsynced"
	crash KILL
	gfs_mount
	run cat "$MNT/dir/new"
	assert_output content
	[ ! -e "$MNT/old" ]
	[ ! -e "$MNT/unsynced-dir" ]
	[ ! -e "$MNT/unsynced-file" ]
	[ ! -e "$MNT/moved-unsynced" ]
	gfs_umount
	assert_integrity
}

@test "group commit: unsynced writes are committed within commit_ms (default 100)" {
	gfs_mount
	head -c 300000 /dev/urandom >"$SRC/f"
	cp "$SRC/f" "$MNT/f"
	mkdir "$MNT/d"
	printf 'moved\n' >"$MNT/d/a"
	mv "$MNT/d/a" "$MNT/d/b"
	sleep 1
	crash KILL
	gfs_mount
	[ "$(sha "$MNT/f")" = "$(sha "$SRC/f")" ]
	run cat "$MNT/d/b"
	assert_output moved
	[ ! -e "$MNT/d/a" ]
	gfs_umount
	assert_integrity
}

@test "-o commit_ms= is honoured: younger writes lost by a kill, older kept" {
	# commit_ms=4000: a write 0.5 s old is not committed yet ...
	gfs_mount -o commit_ms=4000
	head -c 100000 /dev/urandom >"$SRC/young"
	cp "$SRC/young" "$MNT/young"
	sleep 0.5
	crash KILL
	gfs_mount -o commit_ms=4000
	[ ! -e "$MNT/young" ]
	# ... one 6 s old is.
	head -c 100000 /dev/urandom >"$SRC/old"
	cp "$SRC/old" "$MNT/old"
	sleep 6
	crash KILL
	gfs_mount
	[ "$(sha "$MNT/old")" = "$(sha "$SRC/old")" ]
	[ ! -e "$MNT/young" ]
	gfs_umount
	assert_integrity
}

@test "SIGTERM is a clean shutdown: unsynced data is committed, exit 0" {
	gfs_mount -o commit_ms=600000
	head -c 300000 /dev/urandom >"$SRC/f"
	cp "$SRC/f" "$MNT/f"
	mkdir "$MNT/d"
	kill -TERM "$GFS_PID"
	local status=0
	wait "$GFS_PID" || status=$?
	GFS_PID=
	[ "$status" -eq 0 ]
	# The daemon unmounted itself.
	run mountpoint -q "$MNT"
	assert_failure
	assert_integrity
	gfs_mount
	[ "$(sha "$MNT/f")" = "$(sha "$SRC/f")" ]
	[ -d "$MNT/d" ]
}

# bats test_tags=slow
@test "SIGKILL under a continuous write load: store intact, fsync'd files kept" {
	gfs_mount
	local manifest=$BATS_TEST_TMPDIR/synced out=$BATS_TEST_TMPDIR/writers
	: >"$manifest"
	# Writers work through a descriptor of the mount's root, so that after
	# the mount is detached they fail instead of writing underneath it.
	local w
	for w in 1 2 3; do
		python3 - "$MNT" "$manifest" "$w" >"$out.$w" 2>&1 <<'PY' &
import errno, hashlib, os, random, sys
mnt, manifest, w = sys.argv[1], sys.argv[2], sys.argv[3]
root = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
os.mkdir(f"w{w}", dir_fd=root)
d = os.open(f"w{w}", os.O_RDONLY | os.O_DIRECTORY, dir_fd=root)
mf = open(manifest, "a")
i = 0
try:
    while True:
        i += 1
        data = os.urandom(random.randint(0, 300000))
        fd = os.open(f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644,
                     dir_fd=d)
        os.write(fd, data)
        synced = i % 3 == 0
        if synced:
            os.fsync(fd)
        os.close(fd)
        if i % 5 == 0:
            os.rename(f"f{i - 1}", f"renamed{i - 1}", src_dir_fd=d,
                      dst_dir_fd=d)
        if synced:
            # Only now is the file promised to survive.
            mf.write(f"w{w}/f{i} {hashlib.sha256(data).hexdigest()}\n")
            mf.flush()
except OSError as e:
    print("stopped by", errno.errorcode.get(e.errno, e.errno), "after", i)
    sys.exit(0)
PY
		BG_PIDS+=($!)
	done
	# An overwriter of one file, never synced.
	python3 - "$MNT" >"$out.ow" 2>&1 <<'PY' &
import errno, os, sys
root = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
try:
    fd = os.open("overwritten", os.O_RDWR | os.O_CREAT, 0o644, dir_fd=root)
    n = 0
    while True:
        n += 1
        os.pwrite(fd, os.urandom(70000), (n * 4099) % 1000000)
except OSError as e:
    print("stopped by", errno.errorcode.get(e.errno, e.errno))
PY
	BG_PIDS+=($!)
	# Kill once a few files are synced, a few hundred ms into the load.
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(wc -l <"$manifest")" -ge 6 ] && break
		sleep 0.05
	done
	[ "$(wc -l <"$manifest")" -ge 6 ]
	sleep 0.3
	crash KILL
	# Every writer notices (ENOTCONN, ECONNABORTED, or EIO from a failed
	# write-back) and stops.
	local pid
	for pid in "${BG_PIDS[@]}"; do
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		run kill -0 "$pid"
		assert_failure
	done
	for w in 1 2 3 ow; do
		run cat "$out.$w"
		assert_output --regexp '^stopped by (ENOTCONN|ECONNABORTED|EIO)'
	done
	assert_integrity
	gfs_mount
	local name sum n=0
	while read -r name sum; do
		[ -f "$MNT/$name" ] || [ -f "$MNT/${name%/*}/renamed${name##*/f}" ]
		if [ -f "$MNT/$name" ]; then
			[ "$(sha "$MNT/$name")" = "$sum" ]
		else
			[ "$(sha "$MNT/${name%/*}/renamed${name##*/f}")" = "$sum" ]
		fi
		n=$((n + 1))
	done <"$manifest"
	[ "$n" -ge 6 ]
	# Still writable after the crash.
	head -c 100000 /dev/urandom >"$SRC/after"
	cp "$SRC/after" "$MNT/after"
	gfs_remount
	[ "$(sha "$MNT/after")" = "$(sha "$SRC/after")" ]
	gfs_umount
	assert_integrity
}

@test "files unlinked while open when the daemon is killed are reclaimed at the next mount" {
	gfs_mount
	local ready=$BATS_TEST_TMPDIR/ready
	python3 - "$MNT" "$ready" <<'PY' &
import os, sys, time
mnt, ready = sys.argv[1], sys.argv[2]
fds, inos = [], []
for i in range(3):
    fd = os.open(f"{mnt}/orphan{i}", os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, os.urandom(150000))
    os.unlink(f"{mnt}/orphan{i}")
    fds.append(fd)
    inos.append(str(os.fstat(fd).st_ino))
os.fsync(fds[0])                 # commits the writes and the unlinks
with open(ready + ".tmp", "w") as f:
    f.write(" ".join(inos) + "\n")
os.rename(ready + ".tmp", ready)
time.sleep(600)
PY
	BG_PIDS+=($!)
	local i
	for ((i = 0; i < 300; i++)); do
		[ -f "$ready" ] && break
		sleep 0.1
	done
	[ -f "$ready" ]
	local inos
	inos=$(tr ' ' , <"$ready")
	# The orphans are in the store, with no links, and keep their data.
	run sq "SELECT count(*) FROM inodes WHERE nlink = 0 AND ino IN ($inos)"
	assert_output 3
	run sq "SELECT count(*) > 0 FROM chunks WHERE ino IN ($inos)"
	assert_output 1
	crash KILL
	kill -KILL "${BG_PIDS[@]}"
	gfs_mount
	run grep -c "reclaimed 3 orphaned inodes" "$LOG"
	assert_output 1
	grep -q "glassfs: store '$STORE': reclaimed 3 orphaned inodes" "$LOG"
	gfs_remount
	# Only once.
	run grep -c "reclaimed .* orphaned inodes" "$LOG"
	assert_output 1
	gfs_umount
	run sq "SELECT count(*) FROM inodes WHERE nlink = 0"
	assert_output 0
	run sq "SELECT count(*) FROM inodes WHERE ino IN ($inos)"
	assert_output 0
	run sq "SELECT count(*) FROM chunks WHERE ino IN ($inos)"
	assert_output 0
	run sq "SELECT count(*) FROM xattrs WHERE ino IN ($inos)"
	assert_output 0
	assert_integrity
}

@test "a full file system under the store: an error, never silent loss of synced data" {
	gfs_require_root
	TMPFS=$BATS_TEST_TMPDIR/small
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=24m tmpfs "$TMPFS"
	STORE=$TMPFS/store.db
	gfs_mount -o commit_ms=600000
	head -c 4000000 /dev/urandom >"$SRC/keep"
	dd if="$SRC/keep" of="$MNT/keep" bs=64k conv=fsync status=none
	# Far more than fits.  The writer must get an error from write,
	# fsync or close, never success.  glassfs refuses each WRITE the
	# store's file system has no room for with ENOSPC (glassfs(8)
	# DURABILITY), so no group commit fails and nothing is lost.
	run python3 - "$MNT/huge" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
try:
    for i in range(64):
        os.write(fd, os.urandom(1 << 20))
    os.fsync(fd)
    os.close(fd)
    print("no error")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
	assert_output ENOSPC
	run grep -c 'could not be committed' "$LOG"
	assert_output 0
	rm -f "$MNT/huge"
	# The mount still works and the synced data is intact.
	[ "$(sha "$MNT/keep")" = "$(sha "$SRC/keep")" ]
	printf 'after\n' >"$MNT/after"
	# Nothing was lost, so nothing is reported: the first fsync succeeds.
	run python3 - "$MNT/after" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for attempt in range(2):
    try:
        os.fsync(fd)
        print("synced")
        break
    except OSError as e:
        print(errno.errorcode.get(e.errno, e.errno))
PY
	assert_output synced
	crash KILL
	gfs_mount
	[ "$(sha "$MNT/keep")" = "$(sha "$SRC/keep")" ]
	run cat "$MNT/after"
	assert_output after
	gfs_umount
	assert_integrity
}
