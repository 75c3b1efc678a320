#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# File data: what is written reads back, byte for byte, through every path
# the kernel may take (page cache with write-back, write-through, direct
# I/O), across chunk boundaries, after the caches are dropped and after a
# remount; holes, truncation, fallocate, SEEK_DATA/SEEK_HOLE,
# copy_file_range, the 2^63-1 size limit, unlinked-but-open files and mmap.
#
# Most bodies run in three mounts:
#   wb      the default: cache=auto with the kernel's write-back cache
#   wt      -o no_writeback_cache: each write(2) reaches the daemon
#   direct  -o cache=never: direct I/O, no page cache

load helpers/common

# The default chunk size of a new store.
CHUNK=65536

setup() {
	gfs_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	MODE_OPTS=()
}

# mount_mode wb|wt|direct [more glassfs args]: mount in that mode; the
# mode is kept for remount_mode.
mount_mode() {
	local mode=$1
	shift
	case $mode in
	wb) MODE_OPTS=() ;;
	wt) MODE_OPTS=(-o no_writeback_cache) ;;
	direct) MODE_OPTS=(-o cache=never) ;;
	*) echo "unknown mode '$mode'" >&2; return 1 ;;
	esac
	MODE_OPTS+=("$@")
	gfs_mount "${MODE_OPTS[@]}"
}

remount_mode() {
	gfs_remount "${MODE_OPTS[@]}"
}

sha() {
	local out
	out=$(sha256sum <"$1") || return 1
	echo "${out%% *}"
}

# assert_same FILE EXPECTED: same size and SHA-256.
assert_same() {
	local got want gsz wsz
	gsz=$(stat -c %s "$1") || return 1
	wsz=$(stat -c %s "$2") || return 1
	got=$(sha "$1") || return 1
	want=$(sha "$2") || return 1
	if [ "$gsz" != "$wsz" ] || [ "$got" != "$want" ]; then
		echo "'$1' ($gsz bytes, $got) differs from '$2' ($wsz bytes, $want)" >&2
		cmp "$1" "$2" 2>&1 | head -n 3 >&2
		return 1
	fi
}

# rand FILE BYTES: a local file of random bytes.
rand() {
	head -c "$2" /dev/urandom >"$1"
}

# patch FILE OFFSET SOURCE: write SOURCE over FILE at OFFSET (no truncate).
patch_at() {
	dd if="$3" of="$1" bs=1M seek="$2" oflag=seek_bytes conv=notrunc \
		status=none
}

# st FIELD FILE: one field of gfs-sys stat (1 mode, 2 nlink, 5 size,
# 6 blocks).
st() {
	local field=$1 out
	out=$(gfs-sys stat "$2") || { echo "stat '$2': $out" >&2; return 1; }
	set -- $out
	case $field in
	nlink) echo "$3" ;;
	size) echo "$6" ;;
	blocks) echo "$7" ;;
	*) return 1 ;;
	esac
}

sq() {
	sqlite3 "$STORE" "$@"
}

ino_of() {
	stat -c %i "$1"
}

# ------------------------------------------------------------------
# Round trips
# ------------------------------------------------------------------

SIZES="0 1 4095 4096 65535 65536 65537 131072 200001"

verify_sizes() {
	local n
	for n in $SIZES; do
		assert_same "$MNT/f.$n" "$SRC/f.$n"
	done
}

round_trip() {
	local n inos=()
	mount_mode "$1"
	for n in $SIZES; do
		rand "$SRC/f.$n" "$n"
		cp "$SRC/f.$n" "$MNT/f.$n"
	done
	verify_sizes
	gfs_drop_caches
	verify_sizes
	remount_mode
	verify_sizes
	for n in $SIZES; do
		inos+=("$(ino_of "$MNT/f.$n")")
	done
	gfs_umount
	# The store holds exactly the bytes written, cut at chunk boundaries.
	local i=0
	for n in $SIZES; do
		run sq "SELECT count(*), coalesce(sum(length(data)), 0),
			coalesce(max(length(data)), 0)
			FROM chunks WHERE ino = ${inos[i]};
			SELECT size, alloc FROM inodes WHERE ino = ${inos[i]}"
		assert_success
		local max=$((n < CHUNK ? n : CHUNK))
		assert_output "$(((n + CHUNK - 1) / CHUNK))|$n|$max
$n|$n"
		i=$((i + 1))
	done
}

@test "round trip of sizes around the chunk size (write-back)" {
	round_trip wb
}

@test "round trip of sizes around the chunk size (write-through)" {
	round_trip wt
}

@test "round trip of sizes around the chunk size (direct I/O)" {
	round_trip direct
}

big_round_trip() {
	mount_mode "$1"
	rand "$SRC/big" $((50 << 20))
	cp "$SRC/big" "$MNT/big"
	assert_same "$MNT/big" "$SRC/big"
	gfs_drop_caches
	assert_same "$MNT/big" "$SRC/big"
	remount_mode
	assert_same "$MNT/big" "$SRC/big"
	local ino
	ino=$(ino_of "$MNT/big")
	gfs_umount
	run sq "SELECT count(*), sum(length(data)) FROM chunks WHERE ino = $ino"
	assert_output "800|52428800"
}

@test "50 MiB of random data round trip (write-back)" {
	big_round_trip wb
}

@test "50 MiB of random data round trip (write-through)" {
	big_round_trip wt
}

@test "50 MiB of random data round trip (direct I/O)" {
	big_round_trip direct
}

@test "unaligned small writes (777-byte dd blocks) read back intact" {
	local m
	for m in wb wt direct; do
		mount_mode "$m"
		rand "$SRC/u.$m" 300001
		dd if="$SRC/u.$m" of="$MNT/u.$m" bs=777 status=none
		assert_same "$MNT/u.$m" "$SRC/u.$m"
		gfs_drop_caches
		assert_same "$MNT/u.$m" "$SRC/u.$m"
		gfs_umount
	done
	gfs_mount
	for m in wb wt direct; do
		assert_same "$MNT/u.$m" "$SRC/u.$m"
	done
}

@test "a store made with -o chunk_size=4096 keeps 4 KiB chunks" {
	local n sizes="1 4095 4096 4097 8192 12289 1048576" inos=()
	gfs_mount -o chunk_size=4096
	for n in $sizes; do
		rand "$SRC/f.$n" "$n"
		cp "$SRC/f.$n" "$MNT/f.$n"
	done
	# An overwrite across three small chunks.
	rand "$SRC/patch" 9000
	patch_at "$SRC/f.1048576" 4000 "$SRC/patch"
	patch_at "$MNT/f.1048576" 4000 "$SRC/patch"
	for n in $sizes; do
		assert_same "$MNT/f.$n" "$SRC/f.$n"
		inos+=("$(ino_of "$MNT/f.$n")")
	done
	gfs_umount
	run sq "SELECT value FROM format WHERE key = 'chunk_size'"
	assert_output 4096
	local i=0
	for n in $sizes; do
		run sq "SELECT count(*), sum(length(data)), max(length(data))
			FROM chunks WHERE ino = ${inos[i]}"
		assert_output "$(((n + 4095) / 4096))|$n|$((n < 4096 ? n : 4096))"
		i=$((i + 1))
	done
	# The chunk size is the store's: a later option does not change it.
	gfs_mount -o chunk_size=65536
	for n in $sizes; do
		assert_same "$MNT/f.$n" "$SRC/f.$n"
	done
	rand "$SRC/later" 10000
	cp "$SRC/later" "$MNT/later"
	local later
	later=$(ino_of "$MNT/later")
	gfs_umount
	run sq "SELECT count(*), max(length(data)) FROM chunks WHERE ino = $later"
	assert_output "3|4096"
	run sq "SELECT value FROM format WHERE key = 'chunk_size'"
	assert_output 4096
}

@test "direct I/O on a 4 KiB-chunk store: writes that straddle chunks" {
	gfs_mount -o chunk_size=4096,cache=never
	rand "$SRC/f" 50000
	dd if="$SRC/f" of="$MNT/f" bs=3001 status=none
	assert_same "$MNT/f" "$SRC/f"
	gfs_remount -o cache=never
	assert_same "$MNT/f" "$SRC/f"
}

# ------------------------------------------------------------------
# Overwrites and appends
# ------------------------------------------------------------------

overwrite_middle() {
	mount_mode "$1"
	rand "$SRC/f" 300000
	cp "$SRC/f" "$MNT/f"
	local spec off len
	# Across a chunk boundary, one byte, one whole aligned chunk, up to
	# the end exactly, and past the end.
	for spec in 65530:20 100:1 131072:65536 250000:50000 299990:100; do
		off=${spec%:*}
		len=${spec#*:}
		rand "$SRC/p" "$len"
		patch_at "$SRC/f" "$off" "$SRC/p"
		patch_at "$MNT/f" "$off" "$SRC/p"
	done
	[ "$(stat -c %s "$SRC/f")" -eq 300090 ]
	assert_same "$MNT/f" "$SRC/f"
	gfs_drop_caches
	assert_same "$MNT/f" "$SRC/f"
	remount_mode
	assert_same "$MNT/f" "$SRC/f"
}

@test "overwrite in the middle (write-back)" {
	overwrite_middle wb
}

@test "overwrite in the middle (write-through)" {
	overwrite_middle wt
}

@test "overwrite in the middle (direct I/O)" {
	overwrite_middle direct
}

appends() {
	mount_mode "$1"
	: >"$SRC/a"
	: >"$MNT/a"
	local n
	for n in 1 4095 60000 10000 70000 3 65536; do
		rand "$SRC/p" "$n"
		cat "$SRC/p" >>"$SRC/a"
		cat "$SRC/p" >>"$MNT/a"
	done
	assert_same "$MNT/a" "$SRC/a"
	# Two O_APPEND descriptors and one plain one, interleaved: every
	# append lands at the end as it is at the time of the write.
	# (bats owns descriptor 3)
	exec 6>>"$MNT/b" 7>>"$MNT/b" 8<>"$MNT/b"
	printf 'one\n' >&6
	printf 'two\n' >&7
	printf 'ONE' >&8
	printf 'three\n' >&6
	printf 'four\n' >&7
	exec 6>&- 7>&- 8>&-
	run cat "$MNT/b"
	assert_output "$(printf 'ONE\ntwo\nthree\nfour')"
	remount_mode
	assert_same "$MNT/a" "$SRC/a"
	run cat "$MNT/b"
	assert_output "$(printf 'ONE\ntwo\nthree\nfour')"
}

@test "O_APPEND appends (write-back)" {
	appends wb
}

@test "O_APPEND appends (write-through)" {
	appends wt
}

@test "O_APPEND appends (direct I/O)" {
	appends direct
}

@test "O_TRUNC empties a file before it is rewritten" {
	local m
	for m in wb wt direct; do
		mount_mode "$m"
		rand "$SRC/f" 200000
		cp "$SRC/f" "$MNT/f.$m"
		printf 'short' >"$MNT/f.$m"
		run cat "$MNT/f.$m"
		assert_output short
		gfs_drop_caches
		run cat "$MNT/f.$m"
		assert_output short
		local ino
		ino=$(ino_of "$MNT/f.$m")
		gfs_umount
		run sq "SELECT count(*), sum(length(data)) FROM chunks WHERE ino = $ino"
		assert_output "1|5"
	done
}

# ------------------------------------------------------------------
# Sparse files and truncation
# ------------------------------------------------------------------

sparse() {
	mount_mode "$1"
	local g=$((1 << 30)) blocks
	touch "$MNT/s"
	run gfs-sys pwrite "$MNT/s" $g hello
	assert_output "OK 5"
	[ "$(st size "$MNT/s")" -eq $((g + 5)) ]
	# Zeros in the hole: at the start, in the middle, just before the data.
	cmp -n 4194304 "$MNT/s" /dev/zero
	cmp -n 1048576 -i $((512 << 20)):0 "$MNT/s" /dev/zero
	cmp -n $CHUNK -i $((g - CHUNK)):0 "$MNT/s" /dev/zero
	run sh -c "tail -c 8 '$MNT/s' | od -An -tx1 | tr -d ' \\n'"
	assert_output 00000068656c6c6f
	# cp --sparse=always keeps the hole, inside the mount and out of it;
	# the whole gigabyte reads as zeros and "hello".
	cp --sparse=always "$MNT/s" "$MNT/copy"
	cp --sparse=always "$MNT/s" "$BATS_TEST_TMPDIR/copy"
	[ "$(stat -c %b "$BATS_TEST_TMPDIR/copy")" -le 256 ]
	run sha "$BATS_TEST_TMPDIR/copy"
	assert_output "$GIG_HELLO_SHA"
	[ "$(st size "$MNT/copy")" -eq $((g + 5)) ]
	run sh -c "tail -c 8 '$MNT/copy' | od -An -tx1 | tr -d ' \\n'"
	assert_output 00000068656c6c6f
	remount_mode
	# A gigabyte of hole costs at most one chunk of store.
	blocks=$(st blocks "$MNT/s")
	[ "$blocks" -gt 0 ]
	[ "$blocks" -le $((CHUNK / 512)) ]
	blocks=$(st blocks "$MNT/copy")
	[ "$blocks" -gt 0 ]
	[ "$blocks" -le $((CHUNK / 512)) ]
	cmp "$MNT/copy" "$BATS_TEST_TMPDIR/copy"
	local ino
	ino=$(ino_of "$MNT/s")
	gfs_umount
	run sq "SELECT count(*), sum(length(data)) FROM chunks WHERE ino = $ino"
	assert_output "1|5"
}

# bats test_tags=slow
@test "sparse file: 5 bytes at 1 GiB (write-back)" {
	sparse wb
}

# bats test_tags=slow
@test "sparse file: 5 bytes at 1 GiB (write-through)" {
	sparse wt
}

# bats test_tags=slow
@test "sparse file: 5 bytes at 1 GiB (direct I/O)" {
	sparse direct
}

# SHA-256 of 1 GiB of zeros followed by "hello".
GIG_HELLO_SHA=ebfae1b32af9d164b1a2ca979e4ac0308a6c417aabfeaceb41860d9a77f399a5

truncate_exposes_zeros() {
	mount_mode "$1"
	rand "$SRC/f" 300000
	cp "$SRC/f" "$MNT/f"
	# Down into the middle of chunk 1, then up again.
	truncate -s 70000 "$MNT/f"
	[ "$(st size "$MNT/f")" -eq 70000 ]
	truncate -s 300000 "$MNT/f"
	{ head -c 70000 "$SRC/f"; head -c 230000 /dev/zero; } >"$SRC/want"
	assert_same "$MNT/f" "$SRC/want"
	# Down to a few bytes of chunk 0 and up past the old end.
	truncate -s 100 "$MNT/f"
	truncate -s 400000 "$MNT/f"
	{ head -c 100 "$SRC/f"; head -c 399900 /dev/zero; } >"$SRC/want2"
	assert_same "$MNT/f" "$SRC/want2"
	gfs_drop_caches
	assert_same "$MNT/f" "$SRC/want2"
	# Through one descriptor: write, shrink, write past the gap.
	python3 - "$MNT/g" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
data = bytes(range(256)) * 1200          # 307200 bytes, no zeros runs
os.write(fd, data)
os.ftruncate(fd, 70000)
os.pwrite(fd, b"X", 200000)
got = os.pread(fd, 300000, 0)
want = data[:70000] + bytes(130000) + b"X"
assert got == want, "through the descriptor: zeros expected after truncate"
os.close(fd)
PY
	python3 -c 'import sys; sys.stdout.buffer.write((bytes(range(256)) * 1200)[:70000] + bytes(130000) + b"X")' >"$SRC/wantg"
	assert_same "$MNT/g" "$SRC/wantg"
	remount_mode
	assert_same "$MNT/f" "$SRC/want2"
	assert_same "$MNT/g" "$SRC/wantg"
	local fi gi
	fi=$(ino_of "$MNT/f")
	gi=$(ino_of "$MNT/g")
	gfs_umount
	# No chunk keeps bytes past a size the file once shrank to.
	run sq "SELECT count(*), sum(length(data)) FROM chunks WHERE ino = $fi"
	assert_output "1|100"
	run sq "SELECT idx, length(data) FROM chunks WHERE ino = $gi ORDER BY idx"
	assert_line --index 0 "0|65536"
	assert_line --index 1 "1|4464"
	assert_line --index 2 "3|$((200001 - 3 * CHUNK))"
	[ "${#lines[@]}" -eq 3 ]
}

@test "truncate down then up exposes zeros, never old data (write-back)" {
	truncate_exposes_zeros wb
}

@test "truncate down then up exposes zeros, never old data (write-through)" {
	truncate_exposes_zeros wt
}

@test "truncate down then up exposes zeros, never old data (direct I/O)" {
	truncate_exposes_zeros direct
}

# ------------------------------------------------------------------
# fallocate
# ------------------------------------------------------------------

falloc_default() {
	mount_mode "$1"
	# A new file: size grows, zeros, space counted.
	touch "$MNT/fa"
	run gfs-sys fallocate "$MNT/fa" 0 0 300000
	assert_success
	assert_output ""
	[ "$(st size "$MNT/fa")" -eq 300000 ]
	head -c 300000 /dev/zero >"$SRC/zeros"
	assert_same "$MNT/fa" "$SRC/zeros"
	# Past the end of a file with data: data kept, zeros after.
	rand "$SRC/d" 100
	cp "$SRC/d" "$MNT/d"
	run gfs-sys fallocate "$MNT/d" 0 50 200000
	assert_success
	assert_output ""
	{ cat "$SRC/d"; head -c 199950 /dev/zero; } >"$SRC/dwant"
	assert_same "$MNT/d" "$SRC/dwant"
	# Inside the size: nothing changes.
	run gfs-sys fallocate "$MNT/d" 0 10 1000
	assert_success
	assert_output ""
	assert_same "$MNT/d" "$SRC/dwant"
	remount_mode
	assert_same "$MNT/fa" "$SRC/zeros"
	assert_same "$MNT/d" "$SRC/dwant"
	[ "$(st blocks "$MNT/fa")" -ge $(((300000 + 511) / 512)) ]
	[ "$(st blocks "$MNT/d")" -ge $(((200050 + 511) / 512)) ]
}

@test "fallocate mode 0 grows the file with zeros (write-back)" {
	falloc_default wb
}

@test "fallocate mode 0 grows the file with zeros (write-through)" {
	falloc_default wt
}

@test "fallocate mode 0 grows the file with zeros (direct I/O)" {
	falloc_default direct
}

falloc_keep() {
	mount_mode "$1"
	rand "$SRC/k" 1000
	cp "$SRC/k" "$MNT/k"
	run gfs-sys fallocate "$MNT/k" keep 0 1048576
	assert_success
	assert_output ""
	[ "$(st size "$MNT/k")" -eq 1000 ]
	assert_same "$MNT/k" "$SRC/k"
	# A hole inside the size is materialized: space, still zeros.
	truncate -s 1048576 "$MNT/h"
	[ "$(st blocks "$MNT/h")" -eq 0 ]
	run gfs-sys fallocate "$MNT/h" keep 0 1048576
	assert_success
	assert_output ""
	head -c 1048576 /dev/zero >"$SRC/zeros"
	assert_same "$MNT/h" "$SRC/zeros"
	remount_mode
	[ "$(st size "$MNT/k")" -eq 1000 ]
	assert_same "$MNT/k" "$SRC/k"
	[ "$(st size "$MNT/h")" -eq 1048576 ]
	[ "$(st blocks "$MNT/h")" -ge 2048 ]
	assert_same "$MNT/h" "$SRC/zeros"
}

@test "fallocate KEEP_SIZE keeps the size and the data (write-back)" {
	falloc_keep wb
}

@test "fallocate KEEP_SIZE keeps the size and the data (write-through)" {
	falloc_keep wt
}

@test "fallocate KEEP_SIZE keeps the size and the data (direct I/O)" {
	falloc_keep direct
}

falloc_punch() {
	mount_mode "$1"
	rand "$SRC/p" 300000
	cp "$SRC/p" "$MNT/p"
	cp "$SRC/p" "$MNT/q"
	remount_mode
	local before after
	before=$(st blocks "$MNT/p")
	[ "$before" -ge 586 ]
	run gfs-sys fallocate "$MNT/p" punch 70000 140000
	assert_success
	assert_output ""
	{ head -c 70000 "$SRC/p"; head -c 140000 /dev/zero
	  tail -c 90000 "$SRC/p"; } >"$SRC/pwant"
	[ "$(st size "$MNT/p")" -eq 300000 ]
	assert_same "$MNT/p" "$SRC/pwant"
	gfs_drop_caches
	assert_same "$MNT/p" "$SRC/pwant"
	# Past the end: nothing happens.
	run gfs-sys fallocate "$MNT/p" punch 300000 100000
	assert_success
	assert_output ""
	[ "$(st size "$MNT/p")" -eq 300000 ]
	# The whole file: all space returned, all zeros.
	run gfs-sys fallocate "$MNT/q" punch 0 300000
	assert_success
	assert_output ""
	head -c 300000 /dev/zero >"$SRC/zeros"
	assert_same "$MNT/q" "$SRC/zeros"
	remount_mode
	assert_same "$MNT/p" "$SRC/pwant"
	assert_same "$MNT/q" "$SRC/zeros"
	after=$(st blocks "$MNT/p")
	# Chunk 2 (128..192 KiB) lay wholly in the hole and is gone.
	[ "$after" -lt "$before" ]
	[ "$after" -le $(((300000 - CHUNK + 511) / 512)) ]
	[ "$(st blocks "$MNT/q")" -eq 0 ]
	local pi qi
	pi=$(ino_of "$MNT/p")
	qi=$(ino_of "$MNT/q")
	gfs_umount
	run sq "SELECT group_concat(idx) FROM chunks WHERE ino = $pi"
	assert_output "0,1,3,4"
	run sq "SELECT count(*) FROM chunks WHERE ino = $qi"
	assert_output 0
	run sq "SELECT alloc FROM inodes WHERE ino = $qi"
	assert_output 0
}

@test "fallocate PUNCH_HOLE zeros the range and frees space (write-back)" {
	falloc_punch wb
}

@test "fallocate PUNCH_HOLE zeros the range and frees space (write-through)" {
	falloc_punch wt
}

@test "fallocate PUNCH_HOLE zeros the range and frees space (direct I/O)" {
	falloc_punch direct
}

@test "fallocate ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE: EOPNOTSUPP" {
	gfs_mount
	rand "$SRC/f" 300000
	cp "$SRC/f" "$MNT/f"
	local mode
	# ZERO_RANGE 0x10, COLLAPSE_RANGE 0x08, INSERT_RANGE 0x20,
	# ZERO_RANGE|KEEP_SIZE 0x11.
	for mode in 16 8 32 17; do
		run gfs-sys fallocate "$MNT/f" "$mode" 0 $CHUNK
		assert_output EOPNOTSUPP
	done
	run fallocate -z -o 0 -l 4096 "$MNT/f"
	assert_failure
	assert_output --partial "Operation not supported"
	run fallocate -c -o 0 -l $CHUNK "$MNT/f"
	assert_failure
	assert_output --partial "Operation not supported"
	# PUNCH_HOLE needs KEEP_SIZE; a zero length is invalid.
	run gfs-sys fallocate "$MNT/f" 2 0 4096
	assert_output EOPNOTSUPP
	run gfs-sys fallocate "$MNT/f" 0 0 0
	assert_output EINVAL
	assert_same "$MNT/f" "$SRC/f"
	gfs_remount
	assert_same "$MNT/f" "$SRC/f"
}

# ------------------------------------------------------------------
# SEEK_DATA and SEEK_HOLE
# ------------------------------------------------------------------

# lseek_table FILE "WHENCE OFFSET EXPECTED" ...: EXPECTED an offset or ENXIO.
lseek_table() {
	local f=$1 spec
	shift
	for spec in "$@"; do
		set -- $spec
		run gfs-sys lseek "$f" "$1" "$2"
		if [ "$3" = ENXIO ]; then
			assert_output ENXIO
		else
			assert_output "OK $3"
		fi
	done
}

# glassfs(8): with cache=never the store answers at chunk granularity;
# with a page cache the kernel answers (all data, one hole at EOF),
# because the store cannot see dirty pages.
lseeks() {
	mount_mode "$1"
	local M=$((1 << 20))
	# Data in chunk 0 and chunk 4; 1 MiB long.
	touch "$MNT/s"
	run gfs-sys pwrite "$MNT/s" 0 head
	assert_output "OK 4"
	run gfs-sys pwrite "$MNT/s" $((4 * CHUNK + 100)) middle
	assert_output "OK 6"
	truncate -s $M "$MNT/s"
	if [ "$1" = direct ]; then
		lseek_table "$MNT/s" "data 0 0" "hole 0 $CHUNK" "data 1 1" \
			"hole 3 $CHUNK" "data $CHUNK $((4 * CHUNK))" \
			"data $((4 * CHUNK + 50)) $((4 * CHUNK + 50))" \
			"hole $((4 * CHUNK)) $((5 * CHUNK))" \
			"hole $((2 * CHUNK)) $((2 * CHUNK))" \
			"data $((5 * CHUNK)) ENXIO" \
			"hole $((5 * CHUNK)) $((5 * CHUNK))" \
			"hole $((M - 1)) $((M - 1))" "data $((M - 1)) ENXIO"
	else
		lseek_table "$MNT/s" "data 0 0" "hole 0 $M" "data 1 1" \
			"data $CHUNK $CHUNK" "hole $((4 * CHUNK)) $M" \
			"data $((M - 1)) $((M - 1))" "hole $((M - 1)) $M"
	fi
	lseek_table "$MNT/s" "data $M ENXIO" "hole $M ENXIO" \
		"hole $((M + 12345)) ENXIO" "data $((M + 12345)) ENXIO"
	# Data up to the end: the only hole is the virtual one at EOF.
	rand "$SRC/full" 100000
	cp "$SRC/full" "$MNT/full"
	lseek_table "$MNT/full" "hole 0 100000" "data 99999 99999" \
		"data 100000 ENXIO"
	# An empty file has neither.
	touch "$MNT/empty"
	lseek_table "$MNT/empty" "data 0 ENXIO" "hole 0 ENXIO"
	# All hole (or, from the kernel, all data).
	truncate -s $M "$MNT/hole"
	if [ "$1" = direct ]; then
		lseek_table "$MNT/hole" "data 0 ENXIO" "hole 0 0"
	else
		lseek_table "$MNT/hole" "data 0 0" "hole 0 $M"
	fi
	# cp --sparse=always copies right either way.
	cp --sparse=always "$MNT/s" "$MNT/s.copy"
	cmp "$MNT/s" "$MNT/s.copy"
}

@test "SEEK_DATA and SEEK_HOLE: answered by the kernel (write-back)" {
	lseeks wb
}

@test "SEEK_DATA and SEEK_HOLE: answered by the kernel (write-through)" {
	lseeks wt
}

@test "SEEK_DATA and SEEK_HOLE at chunk granularity (direct I/O)" {
	lseeks direct
}

# Holes may be reported as data, never data as a hole.
never_data_as_hole() {
	mount_mode "$1"
	python3 - "$MNT/s" "$1" <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 1 << 20)
os.pwrite(fd, b"x" * 10, 3 * 65536 + 7)      # maybe dirty, not closed
d = os.lseek(fd, 0, os.SEEK_DATA)
assert d <= 3 * 65536 + 7, f"SEEK_DATA from 0 skipped the data: {d}"
assert os.lseek(fd, 3 * 65536 + 7, os.SEEK_DATA) == 3 * 65536 + 7
h = os.lseek(fd, 3 * 65536 + 7, os.SEEK_HOLE)
assert h >= 3 * 65536 + 17, f"SEEK_HOLE inside the data: {h}"
if sys.argv[2] != "direct":
    # Pages dirtied through a shared mapping, not written back yet.
    m = mmap.mmap(fd, 0)
    m[9 * 65536 + 5:9 * 65536 + 9] = b"mmap"
    d = os.lseek(fd, 5 * 65536, os.SEEK_DATA)
    assert d <= 9 * 65536 + 5, f"SEEK_DATA skipped mmap data: {d}"
    h = os.lseek(fd, 9 * 65536 + 5, os.SEEK_HOLE)
    assert h >= 9 * 65536 + 9, f"SEEK_HOLE inside mmap data: {h}"
    m.close()
os.close(fd)
PY
}

@test "SEEK_DATA never skips data still dirty in the page cache (write-back)" {
	never_data_as_hole wb
}

@test "SEEK_DATA never skips data dirtied through mmap (write-through)" {
	never_data_as_hole wt
}

# ------------------------------------------------------------------
# copy_file_range
# ------------------------------------------------------------------

copies() {
	mount_mode "$1"
	rand "$SRC/src" 300000
	cp "$SRC/src" "$MNT/src"
	# Whole file.
	touch "$MNT/whole"
	run gfs-sys copy "$MNT/src" 0 "$MNT/whole" 0 300000
	assert_output "OK 300000"
	assert_same "$MNT/whole" "$SRC/src"
	# Part of it, across chunk boundaries, to the start of a new file.
	touch "$MNT/part"
	run gfs-sys copy "$MNT/src" 1000 "$MNT/part" 0 140000
	assert_output "OK 140000"
	dd if="$SRC/src" of="$SRC/part" bs=1M iflag=skip_bytes,count_bytes \
		skip=1000 count=140000 status=none
	assert_same "$MNT/part" "$SRC/part"
	# Into the middle of another file.
	rand "$SRC/dst" 200000
	cp "$SRC/dst" "$MNT/dst"
	run gfs-sys copy "$MNT/src" 5000 "$MNT/dst" 65000 100000
	assert_output "OK 100000"
	dd if="$SRC/src" of="$SRC/piece" bs=1M iflag=skip_bytes,count_bytes \
		skip=5000 count=100000 status=none
	patch_at "$SRC/dst" 65000 "$SRC/piece"
	assert_same "$MNT/dst" "$SRC/dst"
	# Past the end of the destination: a hole in between.
	touch "$MNT/far"
	run gfs-sys copy "$MNT/src" 0 "$MNT/far" 1000000 10
	assert_output "OK 10"
	{ head -c 1000000 /dev/zero; head -c 10 "$SRC/src"; } >"$SRC/far"
	assert_same "$MNT/far" "$SRC/far"
	# At or beyond the source's end: nothing; across it: what is there.
	touch "$MNT/none"
	run gfs-sys copy "$MNT/src" 300000 "$MNT/none" 0 100
	assert_output "OK 0"
	run gfs-sys copy "$MNT/src" 400000 "$MNT/none" 0 100
	assert_output "OK 0"
	[ "$(st size "$MNT/none")" -eq 0 ]
	run gfs-sys copy "$MNT/src" 299000 "$MNT/none" 0 5000
	assert_output "OK 1000"
	tail -c 1000 "$SRC/src" >"$SRC/tail"
	assert_same "$MNT/none" "$SRC/tail"
	# Within one file, ranges apart.
	cp "$SRC/src" "$MNT/self"
	cp "$SRC/src" "$SRC/self"
	run gfs-sys copy "$MNT/self" 0 "$MNT/self" 200000 70000
	assert_output "OK 70000"
	head -c 70000 "$SRC/src" >"$SRC/head"
	patch_at "$SRC/self" 200000 "$SRC/head"
	assert_same "$MNT/self" "$SRC/self"
	remount_mode
	assert_same "$MNT/src" "$SRC/src"
	assert_same "$MNT/whole" "$SRC/src"
	assert_same "$MNT/part" "$SRC/part"
	assert_same "$MNT/dst" "$SRC/dst"
	assert_same "$MNT/far" "$SRC/far"
	assert_same "$MNT/none" "$SRC/tail"
	assert_same "$MNT/self" "$SRC/self"
}

@test "copy_file_range: whole, partial, into the middle, past EOF (write-back)" {
	copies wb
}

@test "copy_file_range: whole, partial, into the middle, past EOF (write-through)" {
	copies wt
}

@test "copy_file_range: whole, partial, into the middle, past EOF (direct I/O)" {
	copies direct
}

@test "copy_file_range copies data still dirty in the page cache" {
	gfs_mount
	python3 - "$MNT" <<'PY'
import os, sys
d = sys.argv[1]
data = os.urandom(200000)
src = os.open(d + "/src", os.O_RDWR | os.O_CREAT, 0o644)
dst = os.open(d + "/dst", os.O_RDWR | os.O_CREAT, 0o644)
os.write(src, data)                      # not closed: maybe still dirty
n = os.copy_file_range(src, dst, 200000, 0, 0)
assert n == 200000, n
assert os.pread(dst, 300000, 0) == data, "copy differs from the source"
os.close(src)
os.close(dst)
PY
	cmp "$MNT/src" "$MNT/dst"
	gfs_remount
	cmp "$MNT/src" "$MNT/dst"
}

# ------------------------------------------------------------------
# The size limit
# ------------------------------------------------------------------

# glassfs(8): "The largest file is 2^63 - 1 bytes, the kernel's limit for
# FUSE (larger sizes give EFBIG)".  (Until 1c3c055 the limit was 2^60,
# which the write-back cache could not enforce.)
max_size() {
	mount_mode "$1"
	local max=9223372036854775807
	touch "$MNT/f"
	run gfs-sys truncate "$MNT/f" $max
	assert_output OK
	[ "$(st size "$MNT/f")" = $max ]
	# The last bytes below the limit are ordinary data.
	run gfs-sys pwrite "$MNT/f" $((max - 3)) abc
	assert_output "OK 3"
	[ "$(st size "$MNT/f")" = $max ]
	run gfs-sys pread "$MNT/f" $((max - 3)) 3
	assert_output "OK abc"
	# Past it, offset + length overflows off_t: the kernel refuses
	# (EINVAL) before glassfs is asked.
	run gfs-sys pwrite "$MNT/f" $max abc
	assert_output EINVAL
	run gfs-sys pwrite "$MNT/f" $((max - 2)) abc
	assert_output EINVAL
	# From below the limit: it is still just data.
	run gfs-sys pwrite "$MNT/f" $((max - CHUNK - 1)) xyz
	assert_output "OK 3"
	run gfs-sys pread "$MNT/f" $((max - CHUNK - 1)) 3
	assert_output "OK xyz"
	# copy_file_range stops at the limit too.
	printf '0123456789abcdef' >"$MNT/src"
	touch "$MNT/c"
	run gfs-sys copy "$MNT/src" 0 "$MNT/c" $((max - 10)) 16
	assert_output "OK 10"
	[ "$(st size "$MNT/c")" = $max ]
	run gfs-sys pread "$MNT/c" $((max - 10)) 10
	assert_output "OK 0123456789"
	touch "$MNT/g"
	run gfs-sys fallocate "$MNT/g" 0 $((max - 10)) 100
	assert_output EFBIG
	run gfs-sys fallocate "$MNT/g" 0 $((max - 10)) 10
	assert_success
	[ "$(st size "$MNT/g")" = $max ]
	remount_mode
	[ "$(st size "$MNT/f")" = $max ]
	[ "$(st size "$MNT/g")" = $max ]
	[ "$(st size "$MNT/c")" = $max ]
	run gfs-sys pread "$MNT/f" $((max - 3)) 3
	assert_output "OK abc"
	run gfs-sys pread "$MNT/c" $((max - 10)) 10
	assert_output "OK 0123456789"
	# The store holds a few bytes, not exabytes.
	local fi
	fi=$(ino_of "$MNT/f")
	gfs_umount
	run sq "SELECT size, alloc <= 2 * $CHUNK FROM inodes WHERE ino = $fi"
	assert_output "$max|1"
}

@test "files end at 2^63-1 bytes: EFBIG beyond (write-back)" {
	max_size wb
}

@test "files end at 2^63-1 bytes: EFBIG beyond (write-through)" {
	max_size wt
}

@test "files end at 2^63-1 bytes: EFBIG beyond (direct I/O)" {
	max_size direct
}

# ------------------------------------------------------------------
# Unlinked while open
# ------------------------------------------------------------------

unlinked_open() {
	mount_mode "$1"
	local ino
	ino=$(python3 - "$MNT/u" <<'PY'
import os, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
data = os.urandom(200000)
os.write(fd, data)
os.fsync(fd)
os.unlink(p)
assert not os.path.exists(p), "name still there after unlink"
assert os.fstat(fd).st_nlink == 0, os.fstat(fd).st_nlink
assert os.pread(fd, 300000, 0) == data, "data changed by unlink"
# Still writable: across a chunk boundary and past the end.
os.pwrite(fd, b"X" * 70000, 100000)
os.pwrite(fd, b"tail", 250000)
want = data[:100000] + b"X" * 70000 + data[170000:] + bytes(50000) + b"tail"
assert os.fstat(fd).st_size == 250004, os.fstat(fd).st_size
assert os.pread(fd, 300000, 0) == want, "unlinked file reads wrong"
os.fsync(fd)
print(os.fstat(fd).st_ino)
os.close(fd)
PY
)
	[ -n "$ino" ]
	[ ! -e "$MNT/u" ]
	run ls -A "$MNT"
	assert_output ""
	gfs_umount
	# The inode was reclaimed when the kernel forgot it: no mount since.
	run sq "SELECT count(*) FROM inodes WHERE ino = $ino"
	assert_output 0
	run sq "SELECT count(*) FROM chunks WHERE ino = $ino"
	assert_output 0
	run sq "SELECT count(*) FROM inodes WHERE nlink = 0"
	assert_output 0
}

@test "unlinked while open: readable and writable until closed (write-back)" {
	unlinked_open wb
}

@test "unlinked while open: readable and writable until closed (write-through)" {
	unlinked_open wt
}

@test "unlinked while open: readable and writable until closed (direct I/O)" {
	unlinked_open direct
}

@test "unlinked while open through a shell descriptor (exec 7<>)" {
	gfs_mount
	rand "$SRC/f" 100000
	cp "$SRC/f" "$MNT/f"
	local ino
	ino=$(ino_of "$MNT/f")
	# (bats owns descriptor 3)
	exec 7<>"$MNT/f"
	rm "$MNT/f"
	[ ! -e "$MNT/f" ]
	cmp /dev/fd/7 "$SRC/f"
	# /dev/fd/7 in a child opens the same unlinked inode again.
	printf 'NEW' | dd of=/dev/fd/7 bs=3 seek=65535 oflag=seek_bytes \
		conv=notrunc status=none
	printf 'NEW' | patch_at "$SRC/f" 65535 /dev/stdin
	cmp /dev/fd/7 "$SRC/f"
	exec 7>&-
	gfs_umount
	run sq "SELECT count(*) FROM inodes WHERE ino = $ino"
	assert_output 0
	run sq "SELECT count(*) FROM chunks WHERE ino = $ino"
	assert_output 0
}

# ------------------------------------------------------------------
# mmap
# ------------------------------------------------------------------

mmap_rw() {
	mount_mode "$1"
	rand "$SRC/m" 200000
	cp "$SRC/m" "$MNT/m"
	python3 - "$MNT/m" "$SRC/m" <<'PY'
import mmap, os, sys
path, local = sys.argv[1], sys.argv[2]
want = bytearray(open(local, "rb").read())
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, 0)                     # MAP_SHARED, read-write
assert m[:] == want, "mmap read differs"
for off, b in ((0, b"HELLO"), (65530, b"Y" * 20), (len(want) - 3, b"END")):
    m[off:off + len(b)] = b
    want[off:off + len(b)] = b
m.flush()                                # msync(MS_SYNC)
fd2 = os.open(path, os.O_RDONLY)
assert os.pread(fd2, 300000, 0) == want, "read() after msync differs"
os.close(fd2)
# A private mapping's writes stay private.
p = mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE)
p[0:5] = b"PRIVA"
p.close()
m.close()
os.close(fd)
open(local, "wb").write(want)
PY
	assert_same "$MNT/m" "$SRC/m"
	gfs_drop_caches
	assert_same "$MNT/m" "$SRC/m"
	remount_mode
	assert_same "$MNT/m" "$SRC/m"
	run head -c 5 "$MNT/m"
	assert_output HELLO
}

@test "mmap: read, MAP_SHARED write and msync (write-back)" {
	mmap_rw wb
}

@test "mmap: read, MAP_SHARED write and msync (write-through)" {
	mmap_rw wt
}

@test "mmap with direct I/O: MAP_PRIVATE reads, MAP_SHARED gives ENODEV" {
	mount_mode direct
	rand "$SRC/m" 200000
	cp "$SRC/m" "$MNT/m"
	python3 - "$MNT/m" "$SRC/m" <<'PY'
import errno, mmap, os, sys
path, local = sys.argv[1], sys.argv[2]
want = open(local, "rb").read()
fd = os.open(path, os.O_RDWR)
p = mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE)
assert p[:] == want, "MAP_PRIVATE read differs"
p[0:4] = b"PRIV"
p.close()
try:
    mmap.mmap(fd, 0)
    raise SystemExit("MAP_SHARED on a direct_io file unexpectedly worked")
except OSError as e:
    assert e.errno == errno.ENODEV, errno.errorcode[e.errno]
os.close(fd)
PY
	assert_same "$MNT/m" "$SRC/m"
}

@test "a file written through mmap alone, without write(2)" {
	gfs_mount
	python3 - "$MNT/m" <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 3 * 65536 + 1)
m = mmap.mmap(fd, 0)
for i in range(0, len(m), 4096):
    m[i:i + 1] = bytes([i // 4096 % 251 + 1])
m.flush()
m.close()
os.close(fd)
PY
	python3 -c '
import sys
b = bytearray(3 * 65536 + 1)
for i in range(0, len(b), 4096):
    b[i] = i // 4096 % 251 + 1
sys.stdout.buffer.write(b)' >"$SRC/want"
	assert_same "$MNT/m" "$SRC/want"
	gfs_remount
	assert_same "$MNT/m" "$SRC/want"
}
