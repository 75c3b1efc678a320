#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect cache, evict and load.  Each figure is checked against a page
# cache state the test produced first: on tmpfs (/dev/shm), on ext4 (the
# test's scratch dir) and on glassfs, where closing a file writes back its
# dirty pages and the tool must say so.

load helpers/common
load helpers/fsinspect

bats_require_minimum_version 1.5.0

setup() {
	fsi_setup
}

teardown() {
	fsi_teardown
	gfs_teardown
	[ -z "${FSI_CGROUP:-}" ] || rmdir "$FSI_CGROUP" 2>/dev/null || true
}

# A glassfs mount at $MNT (skips without FUSE).
gfs_start() {
	gfs_setup
	gfs_mount "$@"
}

# The 12 pages of a 100-page sparse tmpfs file that tests write: cells of
# --map=20 (5 pages each) get: full, none, 1/5, ..., 2/5, none, 4/5.
TWELVE="0 1 2 3 4 10 50 51 60 61 62 63"

tmpfs_twelve() {
	D=$(fsi_tmpfs_dir)
	F=$D/f
	fsi_sparse "$F" 100
	fsi_write "$F" $TWELVE
}

# 100 pages on disk, none cached.
ext4_hundred_dropped() {
	D=$(fsi_ext4_dir)
	F=$D/f
	fsi_write "$F" $(seq 0 99)
	fsi_drop "$F"
	run fsi_oracle "$F"
	assert_output "0 0 0 0 0"
}

# Drop $F, then read the pages $PAGES (for fsi_steady).
read_pages() {
	fsi_drop "$F"
	fsi_read "$F" $PAGES
}

# --- command line ----------------------------------------------------

@test "help: fsinspect -h and cache --help go to stdout, exit 0, list every column" {
	run --separate-stderr fsinspect -h
	assert_success
	assert_line --regexp '^ cache +page cache state'
	assert_line --regexp '^ maps '
	[ -z "$stderr" ]
	run --separate-stderr fsinspect cache --help
	assert_success
	[ -z "$stderr" ]
	assert_line " fsinspect cache [options] PATH..."
	for col in FILE TYPE FSTYPE SIZE PAGES RES CACHED PERCENT DIRTY \
		WRITEBACK EVICTED REC_EVICTED MAPPED MAPPED_DIRTY MAPPED_WB \
		SOURCE FLUSHED MAP; do
		assert_line --regexp "^ $col +[A-Za-z(]"
	done
	run fsinspect evict --help
	assert_success
	assert_line --regexp '^ CACHED_AFTER +'
	run fsinspect load --help
	assert_line --regexp '^ READ +'
}

@test "version: -V and --version" {
	run fsinspect -V
	assert_success
	assert_output --regexp '^fsinspect from glassfs [0-9]+\.[0-9]+'
	run fsinspect cache --version
	assert_success
	assert_output --regexp '^fsinspect from glassfs '
}

@test "misuse: exit 1, nothing on stdout, one Try line" {
	local f=$BATS_TEST_TMPDIR/f
	: >"$f"
	for args in "" "frobnicate $f" "--bogus" "cache" "cache --bogus $f" \
		"cache -o SIZE,NOPE $f" "cache --map=0 $f" "cache --count 2 $f" \
		"cache --watch soon $f" "evict --sync" "load --sync $f" \
		"maps -o PG_NOPE $f"; do
		run --separate-stderr fsinspect $args
		assert_failure 1
		[ -z "$output" ] || fail "stdout for '$args': $output"
		[ "$(grep -c "^Try 'fsinspect" <<<"$stderr")" = 1 ] ||
			fail "no single Try line for '$args': $stderr"
		[[ ${stderr##*$'\n'} == "Try 'fsinspect"*"--help' for more information." ]]
	done
	run --separate-stderr fsinspect cache -o SIZE,NOPE "$f"
	assert_equal "${stderr%%$'\n'*}" "fsinspect: unknown column 'NOPE'"
}

@test "exit 2: a missing file and a FIFO are warned about, the others reported" {
	tmpfs_twelve
	mkfifo "$D/fifo"
	run --separate-stderr fsinspect cache -o CACHED,FILE "$F" "$D/missing" "$D/fifo"
	assert_failure 2
	assert_equal "$stderr" "fsinspect: cannot stat '$D/missing': No such file or directory
fsinspect: cannot inspect '$D/fifo': not a regular file"
	assert_line --regexp "^ +12 $F\$"
}

# --- tmpfs -----------------------------------------------------------

@test "tmpfs: cached pages, percent, map cells; never dirty, never evicted" {
	tmpfs_twelve
	run fsi_oracle "$F"
	assert_output "12 0 0 0 0"
	run fsinspect cache --map=20 "$F"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-tmpfs-twelve.txt
	run fsinspect cache -n -o MAP --map=20 "$F"
	assert_output "[█ ░       ▒ ▓       ]"
}

@test "tmpfs: one cell per page when the file has fewer pages than cells" {
	tmpfs_twelve
	local want="" p
	for ((p = 0; p < 100; p++)); do
		case " $TWELVE " in
		*" $p "*) want+="█" ;;
		*) want+=" " ;;
		esac
	done
	run fsinspect cache -n -o MAP --map=100 "$F"
	assert_output "[$want]"
	run fsinspect cache -n -o MAP --map=4000 "$F"
	assert_output "[$want]"
}

@test "tmpfs: ASCII map glyphs when the locale is not UTF-8" {
	tmpfs_twelve
	LC_ALL=C run fsinspect cache -n -o MAP --map=20 "$F"
	assert_output "[# .       o O       ]"
}

@test "tmpfs: pages written with write(2) are not counted dirty (cachestat agrees)" {
	D=$(fsi_tmpfs_dir)
	fsi_write "$D/f" $(seq 0 31)
	run fsi_oracle "$D/f"
	assert_output "32 0 0 0 0"
	run fsinspect cache --raw -n -o CACHED,DIRTY,WRITEBACK,EVICTED,REC_EVICTED "$D/f"
	assert_output "32 0 0 0 0"
}

@test "tmpfs: SIZE and RES in human units, or bytes with --bytes" {
	tmpfs_twelve
	run fsinspect cache --raw -n -o SIZE,PAGES,RES "$F"
	assert_output "400K 100 48K"
	run fsinspect cache --raw -n --bytes -o SIZE,PAGES,RES "$F"
	assert_output "409600 100 49152"
	fsi_write "$D/g" $(seq 0 383)
	run fsinspect cache --raw -n -o SIZE,RES "$D/g"
	assert_output "1.5M 1.5M"
	printf 'abc' >"$D/h"
	run fsinspect cache --raw -n -o SIZE,PAGES,CACHED,PERCENT,RES "$D/h"
	assert_output "3B 1 1 100.0 4K"
}

@test "tmpfs: directories are walked in name order, with totals" {
	D=$(fsi_tmpfs_dir)
	mkdir -p "$D/d/a" "$D/d/empty"
	fsi_sparse "$D/d/a/x" 10
	fsi_write "$D/d/a/x" 1 2 3
	fsi_write "$D/d/a/y" 0 1
	fsi_write "$D/d/b" 0
	ln -s b "$D/d/link"
	mkfifo "$D/d/fifo"
	fsi_sparse "$D/g" 4
	run fsinspect cache --bytes -o SIZE,PAGES,CACHED,PERCENT,DIRTY,TYPE,FILE "$D/d" "$D/g"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-tmpfs-tree.txt
	# One directory: its total row is the last, no grand total.
	run fsinspect cache --raw -n -o TYPE,CACHED,FILE -r "$D/d/a"
	assert_output "file 3 $D/d/a/x
file 2 $D/d/a/y
dir 5 $D/d/a/"
}

@test "tmpfs: --json parses; numbers are numbers; type and flushed always there" {
	tmpfs_twelve
	fsi_write "$D/g" 0
	run fsinspect cache --json -o CACHED,PERCENT,SIZE,MAP --map=20 "$F" "$D"
	assert_success
	run fsi_json
	assert_success
	python3 - "$output" "$F" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
rows = doc["cache"]
types = [r["type"] for r in rows]
assert types == ["file", "file", "file", "dir", "total"], rows
f = rows[0]
assert f["cached"] == 12 and f["percent"] == 12.0 and f["size"] == 409600, f
assert f["flushed"] == 0 and f["map"].startswith("["), f
# f again inside the directory: counted once, in the grand total.
assert rows[3]["cached"] == 1 and rows[4]["cached"] == 13, rows
assert rows[4]["map"] is None, rows[4]
PY
}

@test "non-writer: every figure is unknown (JSON null), mincore is never asked" {
	tmpfs_twelve
	chmod 644 "$F"
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run "${nobody[@]}" fsinspect cache -m10 -o +SOURCE "$F"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-nonwriter.txt
	run "${nobody[@]}" fsinspect cache --json "$F"
	run fsi_json
	assert_output --partial '"cached": null, "dirty": null, "evicted": null'
	# The fallback must not answer either: mincore lies to non-writers.
	FSINSPECT_NO_CACHESTAT=1 run "${nobody[@]}" fsinspect cache --raw -n -o CACHED,SOURCE "$F"
	assert_output "unknown denied"
	# The lie, re-checked: mincore says 100 of 100 pages to uid 65534.
	# (/usr/bin/python3: a root-only pyenv shim may come first in $PATH)
	run "${nobody[@]}" /usr/bin/python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
n = 100 * 4096
p = libc.mmap(None, n, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
vec = (ctypes.c_ubyte * 100)()
assert libc.mincore(ctypes.c_void_p(p), ctypes.c_size_t(n), vec) == 0
print(sum(v & 1 for v in vec))' "$F"
	assert_output 100
}

@test "mincore fallback (FSINSPECT_NO_CACHESTAT): cached pages only, the rest unknown" {
	tmpfs_twelve
	FSINSPECT_NO_CACHESTAT=1 run fsinspect cache --map=20 -o +SOURCE "$F"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-mincore.txt
}

# --- ext4 ------------------------------------------------------------

@test "ext4: evicted file, 10 pages read at known offsets: cached 10 and their cells" {
	ext4_hundred_dropped
	local want="" p
	PAGES="3 7 20 21 22 50 64 65 90 99"
	fsi_steady read_pages "$F" "10 0 0 0 0" "10 0 0 0 0" -- \
		fsinspect cache --map=10 "$F"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-ext4-ten.txt
	for ((p = 0; p < 100; p++)); do
		case " $PAGES " in
		*" $p "*) want+="█" ;;
		*) want+=" " ;;
		esac
	done
	fsi_steady read_pages "$F" "10 0 0 0 0" "10 0 0 0 0" -- \
		fsinspect cache -n -o MAP --map=100 "$F"
	assert_output "[$want]"
}

# Pages written and not synced are dirty (each check returns, rather
# than fails, for fsi_try).
ext4_dirty() {
	fsi_write "$D/f" $(seq 0 99)
	run fsinspect cache --raw -n -o DIRTY "$D/f"
	[ "$status" = 0 ] && [ "$output" -gt 0 ] && [ "$output" -le 100 ] ||
		return 1
	run fsinspect cache -n -o MAP --map=10 "$D/f"
	assert_output --partial D
}

@test "ext4: written pages are dirty until sync, then clean" {
	D=$(fsi_ext4_dir)
	fsi_try 3 ext4_dirty
	sync "$D/f"
	# (Clean pages may be dropped by another process: no CACHED here.)
	run fsinspect cache --raw -n -o DIRTY,WRITEBACK "$D/f"
	assert_output "0 0"
	run fsinspect cache -n -o MAP --map=10 "$D/f"
	refute_output --partial D
}

# Read hot (12 MiB) three times, so that it is active, then big (40 MiB)
# once, in the memory cgroup $FSI_CGROUP (32 MiB): reclaim evicts pages
# of big, leaving shadow entries.
reclaim_big() {
	fsi_drop "$D/hot"
	fsi_drop "$D/big"
	sh -c 'echo $$ >"$1/cgroup.procs"
		cat "$2" "$2" "$2" >/dev/null; cat "$3" >/dev/null' \
		sh "$FSI_CGROUP" "$D/hot" "$D/big"
}

# bats test_tags=slow,root
@test "ext4: reclaim in a small memory cgroup leaves EVICTED and REC_EVICTED" {
	gfs_require_root
	local cg=/sys/fs/cgroup/memory
	[ -w "$cg/cgroup.procs" ] || skip "no cgroup v1 memory controller"
	D=$(fsi_ext4_dir)
	dd if=/dev/zero of="$D/hot" bs=1M count=12 status=none
	dd if=/dev/zero of="$D/big" bs=1M count=40 status=none
	FSI_CGROUP=$(mktemp -d "$cg/fsinspect-test.XXXXXX")
	echo 32M >"$FSI_CGROUP/memory.limit_in_bytes"
	# drop_caches by another process also clears shadow entries: the
	# oracle must agree before and after, or the state is produced again.
	local try i before ev rec
	for ((try = 0; try < 5; try++)); do
		reclaim_big
		# The working-set statistics behind "recent" settle in a while.
		for ((i = 0; i < 15; i++)); do
			read -r _ _ _ ev rec < <(fsi_oracle "$D/big")
			[ "$rec" -gt 0 ] && break
			sleep 0.2
		done
		before=$(fsi_oracle "$D/big")
		read -r _ _ _ ev rec <<<"$before"
		[ "$ev" -gt 0 ] || continue
		run fsinspect cache --raw -n -o EVICTED,REC_EVICTED "$D/big"
		[ "$(fsi_oracle "$D/big")" = "$before" ] && break
	done
	[ "$ev" -gt 0 ] || skip "reclaim left no shadow entries that lasted"
	assert_output "$ev $rec"
	[ "$rec" -le "$ev" ]
}

@test "evict: clean pages are dropped and leave no shadow entries" {
	D=$(fsi_ext4_dir)
	F=$D/f
	fsi_write "$F" $(seq 0 99)
	sync "$F"
	PAGES=$(seq 0 99)
	fsi_steady read_pages "$F" "100 0 0 0 0" "0 0 0 0 0" -- \
		fsinspect evict "$F"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-evict.txt
	run fsinspect cache --raw -n -o CACHED,EVICTED,REC_EVICTED "$F"
	assert_output "0 0 0"
}

evict_dirty() {
	local dirty_before dirty_after cached_after wb_after
	fsi_write "$D/f" $(seq 0 99)
	run fsinspect evict -n -o DIRTY_BEFORE,DIRTY_AFTER,CACHED_AFTER,WRITEBACK_AFTER "$D/f"
	[ "$status" = 0 ] || return 1
	read -r dirty_before dirty_after cached_after wb_after <<<"${lines[0]}"
	[ "$dirty_before" -gt 0 ] || return 1
	# fadvise started the writeback of every dirty page...
	assert_equal "$dirty_after" 0 || return 1
	# ...and could not drop the pages still being written.
	[ "$cached_after" -gt 0 ] && [ "$wb_after" -le "$cached_after" ] &&
		assert_line --index 1 "note: '$D/f': $cached_after pages stay cached: dirty pages cannot be dropped before they are written back (try --sync)"
}

@test "evict without --sync: dirty pages go to writeback and stay cached" {
	D=$(fsi_ext4_dir)
	fsi_try 3 evict_dirty
}

evict_sync() {
	local dirty rest
	fsi_write "$D/f" $(seq 0 99)
	run fsinspect evict --sync --raw -n -o DIRTY_BEFORE,CACHED_AFTER,DIRTY_AFTER,WRITEBACK_AFTER,FLUSHED "$D/f"
	[ "$status" = 0 ] || return 1
	read -r dirty rest <<<"$output"
	[ "$dirty" -gt 0 ] && assert_equal "$rest" "0 0 0 0"
}

@test "evict --sync: dirty pages are written back first, then dropped" {
	D=$(fsi_ext4_dir)
	fsi_try 3 evict_sync
}

@test "load: an evicted file is read into the cache" {
	ext4_hundred_dropped
	PAGES=
	fsi_steady read_pages "$F" "0 0 0 0 0" "100 0 0 0 0" -- \
		fsinspect load "$F"
	assert_success
	output=${output//$D/DIR}
	fsi_golden 50-load.txt
	run fsinspect load --json -o CACHED_BEFORE,CACHED_AFTER,READ "$F"
	run fsi_json
	assert_output '{"load": [{"cached_after": 100, "cached_before": 100, "flushed": 0, "read": 409600}]}'
}

# --- glassfs ---------------------------------------------------------

@test "glassfs: pages read at known offsets are the cached ones" {
	gfs_start
	F=$MNT/f
	fsi_write "$F" $(seq 0 99)
	PAGES="0 9 10 11 40 41 42 43 44 99"
	fsi_steady read_pages "$F" "10 0 0 0 0" "10 0 0 0 0" -- \
		fsinspect cache --map=10 -o +FSTYPE,FLUSHED "$F"
	assert_success
	output=${output//$MNT/MNT}
	fsi_golden 50-glassfs-ten.txt
}

# The holder dirties its pages again; @check runs on them.
oneshot_flush() {
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	run fsinspect cache -m10 -o +FLUSHED "$F"
	[ "$status" = 0 ] || return 1
	output=${output//$MNT/MNT}
	fsi_golden 50-glassfs-flush.txt
}

oneshot_flush_json() {
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	run fsinspect cache --json -o DIRTY "$F"
	run fsi_json
	assert_output '{"cache": [{"dirty": 100, "flushed": 100, "type": "file"}]}'
}

@test "glassfs: a one-shot inspection reports the dirty pages its own close writes back" {
	gfs_start
	F=$MNT/f
	fsi_holder "$F" 100
	fsi_try 3 oneshot_flush
	# That close wrote them back: the next inspection finds them clean.
	run fsinspect cache --raw -n -o DIRTY,FLUSHED "$F"
	assert_output "0 0"
	fsi_try 3 oneshot_flush_json
}

named_twice() {
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	run fsinspect cache --raw -n -o DIRTY,FLUSHED,TYPE,FILE "$F" "$MNT" "$F"
	[ "$status" = 0 ] || return 1
	output=${output//$MNT/MNT}
	# Later rows repeat the first measurement, and totals count the file
	# once, where it was met first (as du(1) does with hard links).
	assert_output "100 100 file MNT/f
100 0 file MNT/f
100 0 file MNT/link
0 0 dir MNT/
100 0 file MNT/f
100 100 total total"
}

@test "glassfs: a file named twice is measured once, before its only close" {
	gfs_start
	F=$MNT/f
	fsi_holder "$F" 100
	ln "$F" "$MNT/link"
	fsi_try 3 named_twice
}

watch_dirty() {
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	run fsinspect cache --watch 0.2 --count 3 -o CACHED,DIRTY,FLUSHED,FILE "$F"
	[ "$status" = 0 ] || return 1
	output=${output//$MNT/MNT}
	fsi_golden 50-glassfs-watch.txt
}

# JSON: one document per round.
watch_dirty_json() {
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	run fsinspect cache --json --watch 0.1 -c 2 -o DIRTY "$F"
	python3 -c '
import json, sys
text, docs, i = sys.stdin.read(), [], 0
dec = json.JSONDecoder()
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    d, i = dec.raw_decode(text, i)
    docs.append([(r["dirty"], r["flushed"]) for r in d["cache"]])
assert docs == [[(100, 0)], [(100, 100)]], docs' <<<"$output"
}

@test "glassfs: --watch keeps the dirty pages through every round, closes once" {
	gfs_start
	F=$MNT/f
	fsi_holder "$F" 100
	fsi_try 3 watch_dirty
	run fsinspect cache --raw -n -o DIRTY "$F"
	assert_output 0
	fsi_try 3 watch_dirty_json
}

watch_sigint() {
	local out=$BATS_TEST_TMPDIR/watch.out pid i
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	fsinspect cache --watch 30 --raw -n -o DIRTY,FLUSHED "$F" >"$out" 3>&- &
	pid=$!
	FSI_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		[ -s "$out" ] && break
		sleep 0.05
	done
	kill -INT "$pid"
	wait "$pid" || return 1
	run cat "$out"
	# The last round's FLUSHED is the close's; --raw has no notes.
	assert_output "100 0

100 100"
}

@test "glassfs: SIGINT ends --watch with one last round, which reports the flush" {
	gfs_start
	F=$MNT/f
	fsi_holder "$F" 100
	fsi_try 3 watch_sigint
}

# One --watch session: round 1 with the holder's 100 dirty pages, then the
# daemon is stopped and the holder starts their writeback (fadvise), which
# no daemon completes before round 2; the daemon resumes before round 3.
watch_writeback() {
	local out=$BATS_TEST_TMPDIR/watch.out pid i
	fsinspect cache --watch 2 --count 3 --raw -n -o DIRTY,WRITEBACK "$F" \
		>"$out" 3>&- &
	pid=$!
	FSI_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		[ -s "$out" ] && break
		sleep 0.05
	done
	fsi_stop_daemon
	fsi_tell "$HOLDER_CTL" drop
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c . "$out")" -ge 2 ] && break
		sleep 0.05
	done
	fsi_cont_daemon
	wait "$pid"
	run grep . "$out"
}

@test "glassfs: --watch shows WRITEBACK while the daemon is stopped" {
	gfs_start
	F=$MNT/f
	fsi_holder "$F" 100
	# A sync(2) by another process on this shared machine between round
	# 1 and the stop writes the pages back early (seen once): try again.
	local try
	for try in 1 2 3; do
		watch_writeback
		[ "${lines[1]}" = "0 100" ] && break
		fsi_tell "$HOLDER_CTL" rewrite
	done
	assert_line --index 0 "100 0"
	assert_line --index 1 "0 100"
	assert_line --index 2 "0 0"
}

@test "glassfs: a non-writer gets unknown, and its close writes back too" {
	gfs_start -o allow_other
	F=$MNT/f
	fsi_world_reachable "$MNT"
	fsi_holder "$F" 100
	chmod 644 "$F"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		fsinspect cache -o DIRTY,FLUSHED,SOURCE "$F"
	assert_success
	output=${output//$MNT/MNT}
	fsi_golden 50-glassfs-nonwriter.txt
	run fsinspect cache --raw -n -o DIRTY "$F"
	assert_output 0
}

noopen_dirty() {
	fsi_tell "$MAPPER_CTL" rewrite || return 1
	run --separate-stderr fsinspect cache --no-open -m10 "$F"
	[ "$status" = 0 ] || return 1
	output=${output//$MNT/MNT}
	fsi_golden 50-glassfs-noopen.txt || return 1
	# Nothing was opened, so nothing was written back.
	run fsi_value cache --no-open "$F" -- MAPPED_DIRTY
	assert_output 2 || return 1
	run fsi_value cache "$F" -- DIRTY,FLUSHED
	assert_output "2 2"
}

@test "glassfs: --no-open sees mapped dirty pages and writes nothing back" {
	gfs_start
	F=$MNT/f
	fsi_write "$F" $(seq 0 99)
	fsi_drop "$F"
	fsi_mapper "$F" 6 2
	fsi_try 3 noopen_dirty
	run fsi_value cache --no-open "$F" -- MAPPED,MAPPED_DIRTY,SOURCE
	assert_output "6 0 pagemap"
}

@test "glassfs: MAPPED_WB while the daemon is stopped, MAPPED columns in the open view" {
	gfs_start -o entry_timeout=600,attr_timeout=600
	F=$MNT/f
	fsi_write "$F" $(seq 0 99)
	fsi_drop "$F"
	fsi_mapper "$F" 6 2
	fsi_stop_daemon
	fsi_tell "$MAPPER_CTL" drop
	run fsi_value cache --no-open "$F" -- MAPPED,MAPPED_DIRTY,MAPPED_WB
	fsi_cont_daemon
	assert_output "6 0 2"
	run fsi_value cache "$F" -- CACHED,MAPPED,MAPPED_DIRTY,MAPPED_WB
	assert_output "6 6 0 0"
}

@test "glassfs: direct_io (cache=never) files have no page cache; load says so" {
	gfs_start -o cache=never
	F=$MNT/f
	fsi_write "$F" $(seq 0 9)
	run fsinspect load "$F"
	assert_success
	output=${output//$MNT/MNT}
	fsi_golden 50-glassfs-directio.txt
}
