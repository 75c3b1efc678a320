#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Hostile input, beyond 17-badstore.bats: stores damaged where it hurts
# most (the header page, the chunks table's root and interior pages, an
# index, an overflow page), a store on a read-only mount in a private
# mount namespace, stores held by each kind of rollback-journal lock, a
# -wal and -shm of random bytes; and hostile requests: names of every byte
# value at the 255-byte limit and past it, a tree 2,000 directories deep,
# data at 2^62 and at 2^63-2, extended attributes at their limits and
# beyond the list limit, 5,000 hard links.  A refused store gets one line,
# exit status 2 and not a byte changed; a request gets the right result or
# the right errno; the daemon log stays clean and glassfs check exits 0.
# Each test prints how many bad inputs it tried.

load helpers/common

setup() {
	gfs_setup
	HOLDER=
	TRIED=0
}

teardown() {
	if [ -n "$HOLDER" ]; then
		kill -KILL "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
	fi
	gfs_teardown
}

figure() {
	echo "# $*" >&3
}

re_escape() {
	printf '%s' "$1" | sed 's/[][\.*^$(){}?+|/]/\\&/g'
}

# refused FILE REGEX [glassfs args]: exit 2, one line naming FILE and the
# REGEX reason, nothing mounted, the file unchanged, no -wal or -shm made.
refused() {
	local file=$1 re=$2 before
	shift 2
	before=$(sha256sum <"$file")
	run "$GLASSFS" -f "$@" "$file" "$MNT"
	assert_failure 2
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 1
	assert_output --regexp "^glassfs: cannot open store '$(re_escape "$file")': $re\$"
	assert_equal "$(sha256sum <"$file")" "$before"
	assert_file_not_exist "$file-wal"
	assert_file_not_exist "$file-shm"
	run mountpoint -q "$MNT"
	assert_failure
	TRIED=$((TRIED + 1))
}

# A store of 4 KiB pages (so that the chunks table has interior pages)
# with 40 files of 100 KB under d/, cleanly unmounted.
make_store() {
	gfs_mount -o page_size=4096
	mkdir "$MNT/d"
	local i
	for ((i = 0; i < 40; i++)); do
		head -c 100000 /dev/urandom >"$MNT/d/f$i"
	done
	gfs_umount
	cp "$STORE" "$BATS_TEST_TMPDIR/good.db"
}

# random_page PAGE [SKIP]: page PAGE (from 1) of random bytes, but for
# its first SKIP bytes.
random_page() {
	cp "$BATS_TEST_TMPDIR/good.db" "$STORE"
	dd if=/dev/urandom of="$STORE" bs=1 seek=$((($1 - 1) * 4096 + ${2:-0})) \
		count=$((4096 - ${2:-0})) conv=notrunc status=none
}

# ------------------------------------------------------------------
# Bad stores

@test "a page of random bytes on the header page: whole, or all but the 100-byte header" {
	make_store
	random_page 1
	refused "$STORE" "not an SQLite database"
	random_page 1 100
	refused "$STORE" "corrupt \(.*\)"
	figure "$TRIED damaged header pages refused"
}

@test "a page of random bytes on b-tree pages: the chunks root, chunks interior pages, an index, an overflow page" {
	make_store
	local pages page n=0
	pages=$(sqlite3 "$STORE" "
		SELECT rootpage FROM sqlite_master WHERE name = 'chunks';
		SELECT pageno FROM dbstat WHERE name = 'chunks' AND pagetype = 'internal' LIMIT 3;
		SELECT rootpage FROM sqlite_master WHERE name = 'dirents_by_ino';
		SELECT pageno FROM dbstat WHERE name = 'chunks' AND pagetype = 'overflow' LIMIT 1 OFFSET 100;
		SELECT pageno FROM dbstat WHERE name = 'inodes' LIMIT 1;")
	for page in $pages; do
		random_page "$page"
		refused "$STORE" "corrupt \(.*\)"
		n=$((n + 1))
	done
	[ "$n" -ge 6 ]
	# glassfs check agrees it is damaged, and leaves it alone too.
	local before
	before=$(sha256sum <"$STORE")
	run "$GLASSFS" check "$STORE"
	assert_failure
	assert_equal "$(sha256sum <"$STORE")" "$before"
	figure "$TRIED stores with a random b-tree page refused (pages $(echo $pages))"
}

@test "a store on a read-only mount in a private mount namespace: refused without -o ro" {
	gfs_require_root
	command -v unshare >/dev/null || skip "unshare is not installed"
	make_store
	local media=$BATS_TEST_TMPDIR/media ro=$BATS_TEST_TMPDIR/ro before
	mkdir "$media" "$ro"
	mv "$STORE" "$media/store.db"
	before=$(sha256sum <"$media/store.db")
	# The bind mount lives and dies with the namespace: nothing to undo.
	run unshare -m sh -c '
		mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" || exit 99
		"$3" -f "$2/store.db" "$4"' sh "$media" "$ro" "$GLASSFS" "$MNT"
	assert_failure 2
	assert_output "glassfs: cannot open store '$ro/store.db': Read-only file system (use -o ro to serve it read-only)"
	assert_equal "$(sha256sum <"$media/store.db")" "$before"
	assert_file_not_exist "$media/store.db-wal"
	run mountpoint -q "$ro"
	assert_failure
	figure "1 store on a read-only mount refused"
}

# hold_lock SQL...: a python3 connection that runs the statements and
# keeps its transaction (and lock) open.
hold_lock() {
	local ready=$BATS_TEST_TMPDIR/locked
	rm -f "$ready"
	python3 - "$STORE" "$ready" "$@" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
for sql in sys.argv[3:]:
    c.execute(sql).fetchall()
open(sys.argv[2], "w").close()
time.sleep(600)
PY
	HOLDER=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "$ready" ] && return 0
		sleep 0.05
	done
	return 1
}

release_lock() {
	kill -TERM "$HOLDER"
	wait "$HOLDER" || true
	HOLDER=
}

@test "a rollback-journal store held with a SHARED, RESERVED or EXCLUSIVE lock: refused" {
	make_store
	sqlite3 "$STORE" 'PRAGMA journal_mode = DELETE' >/dev/null
	local lock
	for lock in "BEGIN|SELECT count(*) FROM inodes" "BEGIN IMMEDIATE" \
		"BEGIN EXCLUSIVE"; do
		IFS='|' read -ra stmts <<<"$lock"
		hold_lock "${stmts[@]}"
		refused "$STORE" "locked by another process"
		release_lock
	done
	gfs_mount
	[ "$(ls "$MNT/d" | wc -l)" -eq 40 ]
	figure "$TRIED locked stores refused"
}

@test "a -wal and a -shm of random bytes beside a store: ignored, the store intact" {
	make_store
	local sums
	sums=$(gfs_mount && cd "$MNT/d" && sha256sum f* && cd / && gfs_umount)
	head -c 200000 /dev/urandom >"$STORE-wal"
	head -c 32768 /dev/urandom >"$STORE-shm"
	gfs_mount
	assert_equal "$(cd "$MNT/d" && sha256sum f*)" "$sums"
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
	figure "1 store with a garbage -wal and -shm served intact"
}

# ------------------------------------------------------------------
# Hostile requests

@test "names: every byte value alone and 255 times; 256 bytes is ENAMETOOLONG for every call" {
	gfs_mount
	mkdir "$MNT/d"
	run python3 - "$MNT/d" <<'PY'
import errno, os, sys
d = os.fsencode(sys.argv[1])
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
names = []
for b in range(1, 256):
    if b == ord("/"):
        continue
    c = bytes([b])
    if c != b".":
        names.append(c)
    names.append(c * 255)
for i, n in enumerate(names):
    f = os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
    os.write(f, n)
    os.close(f)
# A directory, a symlink, a hard link and a rename target of 255 bytes.
os.mkdir(b"\xff" * 254 + b"D", dir_fd=fd)
os.symlink(b"\x01" * 255, b"\x02" * 254 + b"S", dir_fd=fd)
os.link(b"\x03" * 255, b"\x04" * 254 + b"L", src_dir_fd=fd, dst_dir_fd=fd)
os.rename(b"\x05" * 255, b"\x06" * 254 + b"R", src_dir_fd=fd, dst_dir_fd=fd)
names.remove(b"\x05" * 255)
long = b"x" * 256
calls = {
    "open": lambda: os.open(long, os.O_RDONLY, dir_fd=fd),
    "create": lambda: os.open(long, os.O_WRONLY | os.O_CREAT, dir_fd=fd),
    "mkdir": lambda: os.mkdir(long, dir_fd=fd),
    "mknod": lambda: os.mknod(long, 0o600, dir_fd=fd),
    "symlink": lambda: os.symlink(b"t", long, dir_fd=fd),
    "link": lambda: os.link(b"a", long, src_dir_fd=fd, dst_dir_fd=fd),
    "rename": lambda: os.rename(b"a", long, src_dir_fd=fd, dst_dir_fd=fd),
    "stat": lambda: os.stat(long, dir_fd=fd),
    "unlink": lambda: os.unlink(long, dir_fd=fd),
    "rmdir": lambda: os.rmdir(long, dir_fd=fd),
}
tried = len(names) + 4
for what, call in calls.items():
    try:
        call()
        print(f"{what}: no error")
    except OSError as e:
        if e.errno != errno.ENAMETOOLONG:
            print(f"{what}: {errno.errorcode[e.errno]}")
    tried += 1
# Each name reads back as itself, and the listing is exact.
for n in names:
    f = os.open(n, os.O_RDONLY, dir_fd=fd)
    if os.read(f, 300) != n:
        print(f"content of {n!r} differs")
    os.close(f)
want = set(names) | {b"\xff" * 254 + b"D", b"\x02" * 254 + b"S",
                     b"\x04" * 254 + b"L", b"\x06" * 254 + b"R"}
if set(os.listdir(d)) != want:
    print("listing differs")
if os.readlink(b"\x02" * 254 + b"S", dir_fd=fd) != b"\x01" * 255:
    print("symlink target differs")
print(f"{tried} names tried")
PY
	assert_success
	assert_output --regexp '^[0-9]+ names tried$'
	figure "$output"
	# The same after a remount, and the store is sound.
	local before
	before=$(cd "$MNT/d" && find . -printf '%P\0' | sort -z | sha256sum)
	gfs_remount
	assert_equal "$(cd "$MNT/d" && find . -printf '%P\0' | sort -z | sha256sum)" "$before"
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
}

@test "a tree 2,000 directories deep of 100-byte names: made, walked, survives a remount, removed" {
	gfs_mount
	local deep=$BATS_TEST_TMPDIR/deep.py
	cat >"$deep" <<'PY'
import errno, os, sys
root, what, levels = sys.argv[1], sys.argv[2], int(sys.argv[3])
name = b"n" * 99
fds = [os.open(root, os.O_RDONLY | os.O_DIRECTORY)]
def down(create):
    for i in range(levels):
        n = name + b"%d" % (i % 10)
        if create:
            os.mkdir(n, dir_fd=fds[-1])
        fds.append(os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
if what == "make":
    down(True)
    f = os.open(b"bottom", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1])
    os.write(f, b"deep\n")
    os.close(f)
    # A rename of the top into the bottom would make a cycle: EINVAL.
    try:
        os.rename(name + b"0", b"loop", src_dir_fd=fds[0], dst_dir_fd=fds[-1])
        print("rename into own subtree: no error")
    except OSError as e:
        print("rename into own subtree:", errno.errorcode[e.errno])
    print(os.fstat(fds[-1]).st_ino)
elif what == "walk":
    down(False)
    f = os.open(b"bottom", os.O_RDONLY, dir_fd=fds[-1])
    print(os.read(f, 100).decode(), end="")
    print("nlink", os.fstat(fds[len(fds) // 2]).st_nlink)
elif what == "remove":
    down(False)
    os.unlink(b"bottom", dir_fd=fds[-1])
    for i in range(levels - 1, -1, -1):
        os.close(fds.pop())
        os.rmdir(name + b"%d" % (i % 10), dir_fd=fds[-1])
    print("removed", len(os.listdir(root)))
PY
	run python3 "$deep" "$MNT" make 2000
	assert_success
	assert_line --index 0 "rename into own subtree: EINVAL"
	local ino=${lines[1]}
	# The control socket's path of the bottom: 200 KB, more than a path
	# can hold; an answer (null) and no crash.
	run gfs_ctl path "$ino"
	assert_output --regexp '"paths"'
	gfs_remount
	run python3 "$deep" "$MNT" walk 2000
	assert_output "$(printf 'deep\nnlink 3')"
	run python3 "$deep" "$MNT" remove 2000
	assert_output "removed 0"
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
	figure "a tree of 2000 levels (a path of 200,000 bytes) made, walked and removed"
}

# sparse [glassfs args]: data at 2^62 and 2^63-2 read back, holes read
# as zeros, a hole punched at 2^62 + 128 KiB, all kept across a remount.
sparse() {
	local far=$(((1 << 62) + 131072))
	gfs_mount "$@"
	run python3 - "$MNT/sparse" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
def tryit(f):
    try:
        return f()
    except OSError as e:
        return errno.errorcode[e.errno]
top = (1 << 63) - 1
print("write at 2^62:", os.pwrite(fd, b"sixty-two", 1 << 62))
print("write at 2^62+128K:", os.pwrite(fd, b"punch me", (1 << 62) + 131072))
# An end past 2^63-1 does not fit off_t: the VFS says EINVAL first.
print("write 2 at 2^63-2:", tryit(lambda: os.pwrite(fd, b"ab", top - 1)))
print("write 1 at 2^63-2:", tryit(lambda: os.pwrite(fd, b"a", top - 1)))
os.fsync(fd)
print("size is 2^63-1:", os.fstat(fd).st_size == top)
print("read at 2^62:", os.pread(fd, 9, 1 << 62))
print("read at 2^63-2:", os.pread(fd, 1, top - 1))
print("read at 2^63-1:", tryit(lambda: os.pread(fd, 1, top)))
print("hole at 2^61 is zeros:", os.pread(fd, 4096, 1 << 61) == bytes(4096))
print("hole at 0 is zeros:", os.pread(fd, 4096, 0) == bytes(4096))
PY
	assert_success
	assert_output "$(printf '%s\n' \
		'write at 2^62: 9' 'write at 2^62+128K: 8' \
		'write 2 at 2^63-2: EINVAL' 'write 1 at 2^63-2: 1' \
		'size is 2^63-1: True' "read at 2^62: b'sixty-two'" \
		"read at 2^63-2: b'a'" 'read at 2^63-1: EINVAL' \
		'hole at 2^61 is zeros: True' \
		'hole at 0 is zeros: True')"
	run gfs-sys fallocate "$MNT/sparse" punch "$far" 4096
	assert_success
	gfs_remount "$@"
	run gfs-sys pread "$MNT/sparse" $((1 << 62)) 9
	assert_output "OK sixty-two"
	run python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(os.pread(fd, 8, int(sys.argv[2])) == bytes(8))' "$MNT/sparse" "$far"
	assert_output True
	run gfs-sys stat "$MNT/sparse"
	assert_output --regexp "^OK [0-7]+ 1 [0-9]+ [0-9]+ 9223372036854775807 "
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
	rm -f "$STORE"
	TRIED=$((TRIED + 14))
}

@test "huge sparse offsets: 2^62 and 2^63-2 written and read back, in each cache mode" {
	sparse
	sparse -o cache=always
	sparse -o no_writeback_cache
	sparse -o cache=never
	figure "$TRIED huge-offset requests in 4 cache modes"
}

@test "xattrs at the limits: 64 KiB values, 255-byte names, a name list past 64 KiB" {
	gfs_mount
	: >"$MNT/f"
	run python3 - "$MNT/f" <<'PY'
import errno, os, sys
f = sys.argv[1]
def err(call):
    try:
        call()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
big = os.urandom(65536)
print("64 KiB value:", err(lambda: os.setxattr(f, "user.big", big)))
print("64 KiB + 1:", err(lambda: os.setxattr(f, "user.big2", big + b"x")))
print("255-byte name:", err(lambda: os.setxattr(f, "user." + "n" * 250, b"v")))
print("256-byte name:", err(lambda: os.setxattr(f, "user." + "n" * 251, b"v")))
# 300 names of 255 bytes: the list (76,800 bytes) is more than listxattr
# can return (XATTR_LIST_MAX, 64 KiB): E2BIG, as on any file system.
for i in range(300):
    os.setxattr(f, "user.%03d" % i + "x" * 247, b"%d" % i)
print("list of 302:", err(lambda: os.listxattr(f)))
ok = all(os.getxattr(f, "user.%03d" % i + "x" * 247) == b"%d" % i
         for i in range(300))
print("all 300 read back:", ok)
print("64 KiB value back:", os.getxattr(f, "user.big") == big)
for i in range(300):
    os.removexattr(f, "user.%03d" % i + "x" * 247)
print("list after removal:", sorted(os.listxattr(f)))
PY
	assert_success
	assert_output "$(printf '%s\n' '64 KiB value: ok' '64 KiB + 1: E2BIG' \
		'255-byte name: ok' '256-byte name: ERANGE' 'list of 302: E2BIG' \
		'all 300 read back: True' '64 KiB value back: True' \
		"list after removal: ['user.big', 'user.$(printf 'n%.0s' $(seq 250))']")"
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
	figure "305 extended attribute requests at the limits"
}

@test "5,000 hard links to one file: nlink exact, kept across a remount, unlinked back to one" {
	gfs_mount
	mkdir "$MNT/a" "$MNT/b"
	printf 'linked\n' >"$MNT/a/file"
	run python3 - "$MNT" <<'PY'
import os, sys
m = sys.argv[1]
for i in range(5000):
    os.link(f"{m}/a/file", f"{m}/{'ab'[i % 2]}/l{i}")
print(os.stat(f"{m}/a/file").st_nlink)
PY
	assert_output 5001
	gfs_remount
	run stat -c %h "$MNT/b/l4999"
	assert_output 5001
	run cat "$MNT/b/l4999"
	assert_output linked
	run python3 - "$MNT" <<'PY'
import os, sys
m = sys.argv[1]
for i in range(5000):
    os.unlink(f"{m}/{'ab'[i % 2]}/l{i}")
print(os.stat(f"{m}/a/file").st_nlink)
PY
	assert_output 1
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
	figure "10,000 link and unlink requests on one inode"
}
