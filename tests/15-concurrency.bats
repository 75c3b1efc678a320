#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Concurrency: many processes writing one file at disjoint offsets, many
# files at once, readers racing writers, and storms of mkdir, rename,
# link and unlink in one directory.  Afterwards every byte and every name
# is checked, the store passes PRAGMA integrity_check and its own
# invariants (no dangling entries, no orphaned inodes, link counts, space
# accounting), and teardown finds no error in the daemon log.

load helpers/common

setup() {
	gfs_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	BG_PIDS=()
}

teardown() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	gfs_teardown
}

mount_mode() {
	case $1 in
	wb) MODE_OPTS=() ;;
	wt) MODE_OPTS=(-o no_writeback_cache) ;;
	direct) MODE_OPTS=(-o cache=never) ;;
	esac
	gfs_mount "${MODE_OPTS[@]}"
}

sha() {
	local out
	out=$(sha256sum <"$1") || return 1
	echo "${out%% *}"
}

sq() {
	sqlite3 "$STORE" "$@"
}

# wait_all: wait for every background job in BG_PIDS; each must exit 0.
wait_all() {
	local pid failed=0
	for pid in "${BG_PIDS[@]}"; do
		if ! wait "$pid"; then
			echo "worker $pid failed" >&2
			failed=1
		fi
	done
	BG_PIDS=()
	return $failed
}

# After an unmount: the store is sound and consistent with itself.
assert_store_sound() {
	run sq 'PRAGMA integrity_check'
	assert_output ok
	local chunk
	chunk=$(sq "SELECT value FROM format WHERE key = 'chunk_size'")
	# Every entry names an inode; every inode but the root has an entry
	# (nothing is held open any more, so nothing may be orphaned).
	run sq "SELECT count(*) FROM dirents WHERE ino NOT IN (SELECT ino FROM inodes)"
	assert_output 0
	run sq "SELECT count(*) FROM inodes WHERE ino != 1 AND ino NOT IN (SELECT ino FROM dirents)"
	assert_output 0
	run sq "SELECT count(*) FROM inodes WHERE nlink = 0"
	assert_output 0
	# Link counts: a file's entries; a directory's 2 + subdirectories.
	run sq "SELECT count(*) FROM inodes i WHERE (mode & 61440) != 16384
		AND nlink != (SELECT count(*) FROM dirents d WHERE d.ino = i.ino)"
	assert_output 0
	run sq "SELECT count(*) FROM inodes i WHERE (mode & 61440) = 16384
		AND nlink != 2 + (SELECT count(*) FROM dirents d JOIN inodes c
			ON c.ino = d.ino WHERE d.parent = i.ino
			AND (c.mode & 61440) = 16384)"
	assert_output 0
	# Data: chunks belong to inodes, stay inside the size, and alloc is
	# their sum.
	run sq "SELECT count(*) FROM chunks WHERE ino NOT IN (SELECT ino FROM inodes)"
	assert_output 0
	run sq "SELECT count(*) FROM chunks c JOIN inodes i USING (ino)
		WHERE c.idx * $chunk + length(c.data) > i.size
		OR length(c.data) > $chunk"
	assert_output 0
	run sq "SELECT count(*) FROM inodes i WHERE alloc !=
		(SELECT coalesce(sum(length(data)), 0) FROM chunks c
		 WHERE c.ino = i.ino)"
	assert_output 0
}

# ------------------------------------------------------------------
# One file, many writers
# ------------------------------------------------------------------

disjoint_writers() {
	mount_mode "$1"
	local i region=200000
	: >"$MNT/shared"
	for i in 0 1 2 3 4 5 6 7; do
		head -c $region /dev/urandom >"$SRC/piece$i"
	done
	# Regions are not chunk-aligned: neighbours share chunks, and in
	# write-through and direct modes the daemon merges both into one.
	for i in 0 1 2 3 4 5 6 7; do
		dd if="$SRC/piece$i" of="$MNT/shared" bs=4000 \
			seek=$((i * region / 4000)) conv=notrunc status=none &
		BG_PIDS+=($!)
	done
	wait_all
	cat "$SRC"/piece{0..7} >"$SRC/want"
	[ "$(sha "$MNT/shared")" = "$(sha "$SRC/want")" ]
	gfs_drop_caches
	[ "$(sha "$MNT/shared")" = "$(sha "$SRC/want")" ]
	gfs_remount "${MODE_OPTS[@]}"
	[ "$(sha "$MNT/shared")" = "$(sha "$SRC/want")" ]
	gfs_umount
	assert_store_sound
}

@test "8 writers at disjoint, unaligned offsets of one file (write-back)" {
	disjoint_writers wb
}

@test "8 writers at disjoint, unaligned offsets of one file (write-through)" {
	disjoint_writers wt
}

@test "8 writers at disjoint, unaligned offsets of one file (direct I/O)" {
	disjoint_writers direct
}

# ------------------------------------------------------------------
# Many files, many writers
# ------------------------------------------------------------------

# The content of file J of process P: deterministic, 0 to 20000 bytes.
CONTENT_PY='
import random
def content(p, j):
    r = random.Random(p * 100003 + j)
    return r.randbytes(r.randint(0, 20000))
'

many_files() {
	mount_mode "$1"
	mkdir "$MNT/own" "$MNT/common"
	local p
	for p in 0 1 2 3 4 5 6 7; do
		python3 - "$MNT" "$p" <<PY &
$CONTENT_PY
import os, sys
mnt, p = sys.argv[1], int(sys.argv[2])
os.mkdir(f"{mnt}/own/p{p}")
for j in range(200):
    # Half in a directory of its own, half in one all share.
    d = f"{mnt}/own/p{p}" if j % 2 else f"{mnt}/common"
    with open(f"{d}/p{p}-f{j}", "wb") as f:
        f.write(content(p, j))
PY
		BG_PIDS+=($!)
	done
	wait_all
	local check
	check=$(cat <<PY
$CONTENT_PY
import os, sys
mnt = sys.argv[1]
bad = 0
for p in range(8):
    for j in range(200):
        d = f"{mnt}/own/p{p}" if j % 2 else f"{mnt}/common"
        with open(f"{d}/p{p}-f{j}", "rb") as f:
            if f.read() != content(p, j):
                print("wrong content:", f"{d}/p{p}-f{j}")
                bad += 1
assert len(os.listdir(f"{mnt}/common")) == 800, len(os.listdir(f"{mnt}/common"))
for p in range(8):
    assert len(os.listdir(f"{mnt}/own/p{p}")) == 100
sys.exit(1 if bad else 0)
PY
)
	python3 -c "$check" "$MNT"
	gfs_drop_caches
	python3 -c "$check" "$MNT"
	gfs_remount "${MODE_OPTS[@]}"
	python3 -c "$check" "$MNT"
	gfs_umount
	run sq "SELECT count(*) FROM inodes WHERE (mode & 61440) = 32768"
	assert_output 1600
	assert_store_sound
}

# bats test_tags=slow
@test "8 processes writing 200 files each (write-back)" {
	many_files wb
}

# bats test_tags=slow
@test "8 processes writing 200 files each (write-through)" {
	many_files wt
}

# bats test_tags=slow
@test "8 processes writing 200 files each (direct I/O)" {
	many_files direct
}

# bats test_tags=slow
@test "8 processes writing and fsyncing files at once, then SIGKILL: all kept" {
	gfs_mount -o commit_ms=600000
	local p
	for p in 0 1 2 3 4 5 6 7; do
		python3 - "$MNT" "$p" <<PY &
$CONTENT_PY
import os, sys
mnt, p = sys.argv[1], int(sys.argv[2])
for j in range(40):
    fd = os.open(f"{mnt}/p{p}-f{j}", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, content(p, j))
    os.fsync(fd)
    os.close(fd)
PY
		BG_PIDS+=($!)
	done
	wait_all
	gfs_kill KILL || true
	gfs_mount
	python3 - "$MNT" <<PY
$CONTENT_PY
import os, sys
mnt = sys.argv[1]
for p in range(8):
    for j in range(40):
        with open(f"{mnt}/p{p}-f{j}", "rb") as f:
            assert f.read() == content(p, j), f"p{p}-f{j}"
assert len(os.listdir(mnt)) == 320
PY
	gfs_umount
	assert_store_sound
}

# ------------------------------------------------------------------
# Readers racing writers
# ------------------------------------------------------------------

readers_while_writing() {
	mount_mode "$1"
	head -c 5000000 /dev/urandom >"$SRC/static"
	cp "$SRC/static" "$MNT/static"
	local want done=$BATS_TEST_TMPDIR/done i
	want=$(sha "$SRC/static")
	# The writer appends 200 blocks of 64 KiB to "grow", block k being
	# Random(k).randbytes(65536); "static" is never written.
	python3 - "$MNT/grow" "$done" <<'PY' &
import os, random, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
for k in range(200):
    b = random.Random(k).randbytes(65536)
    # In pieces, so that readers also meet half-written blocks.
    os.write(fd, b[:10000])
    os.write(fd, b[10000:])
os.close(fd)
open(sys.argv[2], "w").close()
PY
	BG_PIDS+=($!)
	# Readers of the growing file: every full block must be right, and a
	# partial last block a prefix of the right one.
	for i in 1 2 3; do
		python3 - "$MNT/grow" "$done" <<'PY' &
import os, random, sys, time
path, done = sys.argv[1], sys.argv[2]
blocks = {}
def block(k):
    if k not in blocks:
        blocks[k] = random.Random(k).randbytes(65536)
    return blocks[k]
rounds = 0
while True:
    finished = os.path.exists(done)
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        data = b""
    for k in range(0, len(data), 65536):
        piece = data[k:k + 65536]
        if piece != block(k // 65536)[:len(piece)]:
            sys.exit(f"block {k // 65536} wrong after {len(data)} bytes")
    rounds += 1
    if finished:
        break
if len(data) != 200 * 65536:
    sys.exit(f"final size {len(data)}")
print(rounds)
PY
		BG_PIDS+=($!)
	done
	# Readers of a file nobody writes.
	for i in 1 2; do
		python3 - "$MNT/static" "$done" "$want" <<'PY' &
import hashlib, os, sys
path, done, want = sys.argv[1:4]
while not os.path.exists(done):
    got = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if got != want:
        sys.exit("static file read wrong")
PY
		BG_PIDS+=($!)
	done
	wait_all
	python3 - "$MNT/grow" <<'PY'
import random, sys
data = open(sys.argv[1], "rb").read()
want = b"".join(random.Random(k).randbytes(65536) for k in range(200))
assert data == want, "grown file differs"
PY
	[ "$(sha "$MNT/static")" = "$want" ]
	gfs_umount
	assert_store_sound
}

# bats test_tags=slow
@test "readers racing an appending writer see only written data (write-back)" {
	readers_while_writing wb
}

# bats test_tags=slow
@test "readers racing an appending writer see only written data (write-through)" {
	readers_while_writing wt
}

# bats test_tags=slow
@test "readers racing an appending writer see only written data (direct I/O)" {
	readers_while_writing direct
}

# ------------------------------------------------------------------
# Namespace storms
# ------------------------------------------------------------------

# bats test_tags=slow
@test "mkdir, rename, link and unlink storms in one directory" {
	gfs_mount
	mkdir "$MNT/d"
	printf 'target\n' >"$MNT/d/target"
	local p
	for p in 0 1 2 3 4 5 6 7; do
		python3 - "$MNT/d" "$p" <<'PY' &
import errno, os, sys
d, p = sys.argv[1], int(sys.argv[2])
def quiet(f, *a, ok=(errno.ENOENT, errno.EEXIST)):
    try:
        f(*a)
    except OSError as e:
        if e.errno not in ok:
            raise
for j in range(150):
    os.mkdir(f"{d}/dir-{p}-{j}")
    with open(f"{d}/file-{p}-{j}", "w") as f:
        f.write(f"{p} {j}\n")
    os.rename(f"{d}/file-{p}-{j}", f"{d}/moved-{p}-{j}")
    os.rename(f"{d}/dir-{p}-{j}", f"{d}/mdir-{p}-{j}")
    os.mkdir(f"{d}/mdir-{p}-{j}/sub")
    if j % 2:
        os.unlink(f"{d}/moved-{p}-{j}")
    if j % 3 == 0:
        os.rmdir(f"{d}/mdir-{p}-{j}/sub")
        os.rmdir(f"{d}/mdir-{p}-{j}")
    # Everyone replaces one name; only one file may remain under it.
    with open(f"{d}/tmp-{p}", "w") as f:
        f.write(f"from {p}\n")
    os.rename(f"{d}/tmp-{p}", f"{d}/shared")
    # Links to one inode, made and removed by everyone.
    os.link(f"{d}/target", f"{d}/link-{p}-{j}")
    if j % 4:
        os.unlink(f"{d}/link-{p}-{j}")
    # Races on names another process may be touching: take a kept file
    # of the neighbour, if it is there yet.
    q = (p + 1) % 8
    if j % 2 == 0:
        quiet(os.rename, f"{d}/moved-{q}-{j}", f"{d}/stolen-{p}-{q}-{j}")
    if j % 10 == 0:
        os.listdir(d)
PY
		BG_PIDS+=($!)
	done
	wait_all
	# What must be there, whoever won the races.
	python3 - "$MNT/d" <<'PY'
import os, sys
d = sys.argv[1]
names = set(os.listdir(d))
want = {"target", "shared"}
files = 0
for p in range(8):
    for j in range(150):
        if j % 3:
            want.add(f"mdir-{p}-{j}")
        if j % 4 == 0:
            want.add(f"link-{p}-{j}")
        if j % 2 == 0:
            files += 1
moved = {n for n in names if n.startswith(("moved-", "stolen-"))}
assert len(moved) == files, (len(moved), files)
for n in moved:
    if n.startswith("moved-"):
        p, j = n.split("-")[1:]
    else:
        _, _, p, j = n.split("-")
    assert open(f"{d}/{n}").read() == f"{p} {j}\n", n
extra = names - want - moved
missing = want - names
assert not extra and not missing, (sorted(extra)[:5], sorted(missing)[:5])
for n in want:
    if n.startswith("mdir-"):
        assert os.listdir(f"{d}/{n}") == ["sub"], n
assert open(f"{d}/shared").read() in {f"from {p}\n" for p in range(8)}
links = sum(1 for n in names if n.startswith("link-"))
assert os.stat(f"{d}/target").st_nlink == 1 + links, os.stat(f"{d}/target").st_nlink
assert os.stat(d).st_nlink == 2 + sum(1 for n in names if n.startswith("mdir-"))
PY
	local before
	before=$(cd "$MNT" && find . -printf '%p %y %n %s\n' | LC_ALL=C sort)
	gfs_remount
	run bash -c "cd '$MNT' && find . -printf '%p %y %n %s\n' | LC_ALL=C sort"
	assert_output "$before"
	gfs_umount
	assert_store_sound
}

@test "concurrent truncates and writes on one file keep the store consistent" {
	gfs_mount -o no_writeback_cache
	local p
	for p in 0 1 2 3; do
		python3 - "$MNT/f" "$p" <<'PY' &
import os, random, sys
path, p = sys.argv[1], int(sys.argv[2])
r = random.Random(p)
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
for i in range(400):
    op = r.randrange(3)
    if op == 0:
        os.ftruncate(fd, r.randrange(0, 400000))
    elif op == 1:
        os.pwrite(fd, bytes([p + 1]) * r.randrange(1, 100000), r.randrange(0, 300000))
    else:
        os.pread(fd, 100000, r.randrange(0, 300000))
os.close(fd)
PY
		BG_PIDS+=($!)
	done
	wait_all
	# Whatever the interleaving, the file holds only bytes some writer
	# wrote, and zeros.
	python3 - "$MNT/f" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
assert set(data) <= {0, 1, 2, 3, 4}, set(data)
PY
	local size
	size=$(stat -c %s "$MNT/f")
	gfs_remount
	[ "$(stat -c %s "$MNT/f")" -eq "$size" ]
	gfs_umount
	assert_store_sound
}
