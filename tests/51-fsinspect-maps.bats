#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect maps: processes started here map a file, touch K pages and
# write J of them; the tool must report them by PID with those figures,
# from smaps and from the page flags, without opening the file.  Also the
# --open view of descriptors.

load helpers/common
load helpers/fsinspect

bats_require_minimum_version 1.5.0

setup() {
	fsi_setup
}

teardown() {
	fsi_teardown
	gfs_teardown
}

gfs_start() {
	gfs_setup
	gfs_mount "$@"
}

# 100 pages on ext4, none cached, so that a fault maps only its own page
# (fault-around maps neighbours only if they are cached).
ext4_file() {
	D=$(fsi_ext4_dir)
	F=$D/f
	fsi_write "$F" $(seq 0 99)
	fsi_drop "$F"
}

# The address range of the mapping of $F in process $1, from maps.
range_of() {
	local ino
	ino=$(stat -c %i "$F")
	awk -v ino="$ino" '$5 == ino { print $1; exit }' "/proc/$1/maps"
}

# Checks of dirty pages are functions for fsi_try (another process's
# sync(2) may write the pages back early): they return non-zero rather
# than fail, and the mapper dirties its pages again first.

# fsinspect maps, stderr apart: PID 1 of a container may be unreadable.
maps() {
	run --separate-stderr fsinspect maps "$@"
}

@test "maps --help lists the mapping and the descriptor columns" {
	run --separate-stderr fsinspect maps --help
	assert_success
	[ -z "$stderr" ]
	for col in PID COMMAND FILE ADDRESS OFFSET PERMS SHARING SIZE RSS PSS \
		DIRTY EXCL_DIRTY SHARED_DIRTY SWAP PG_PRESENT PG_COW PG_DIRTY \
		PG_WB PG_REF PG_MAPMAX FD MODE FLAGS POS; do
		assert_line --regexp "^ $col +[A-Za-z(]"
	done
	assert_line --partial "Private_Dirty: mapcount 1, not MAP_PRIVATE"
}

shared_six_two() {
	local range
	fsi_tell "$MAPPER_CTL" rewrite || return 1
	maps --bytes -o PID,COMMAND,ADDRESS,OFFSET,PERMS,SHARING,SIZE,RSS,DIRTY,EXCL_DIRTY,SHARED_DIRTY,SWAP,PG_PRESENT,PG_COW,PG_DIRTY,PG_WB,PG_REF,PG_MAPMAX,FILE "$F"
	[ "$status" = 0 ] || return 1
	range=$(range_of "$MAPPER_PID")
	[ -n "$range" ] || return 1
	assert_line --regexp "^ *$MAPPER_PID python3 +$range " || return 1
	output=${output//$D/DIR}
	output=${output//$range/ADDRESS}
	output=${output//$MAPPER_PID/PID}
	fsi_golden 51-ext4-shared.txt
}

@test "ext4: a MAP_SHARED mapping touching 6 pages and writing 2" {
	ext4_file
	fsi_mapper "$F" 6 2
	fsi_try 3 shared_six_two
}

@test "ext4: pages read with read(2) before mapping are referenced" {
	ext4_file
	# The mapper reads them just before mapping: no window for another
	# process's drop_caches to make the fault read them again.
	fsi_mapper "$F" 6 0 shared-read
	maps --raw -n -o RSS,DIRTY,PG_PRESENT,PG_DIRTY,PG_REF "$F"
	assert_output "24K 0B 6 0 6"
}

two_mappers() {
	fsi_tell "$A_CTL" rewrite || return 1
	maps --bytes -o PID,RSS,PSS,DIRTY,EXCL_DIRTY,SHARED_DIRTY,PG_PRESENT,PG_DIRTY,PG_MAPMAX "$F"
	[ "$status" = 0 ] || return 1
	output=${output//$A_PID/PID_A}
	output=${output//$MAPPER_PID/PID_B}
	fsi_golden 51-ext4-two.txt
}

@test "ext4: two processes map the same pages: shared dirty, mapcount 2" {
	ext4_file
	fsi_mapper "$F" 6 2
	A_PID=$MAPPER_PID
	A_CTL=$MAPPER_CTL
	fsi_mapper "$F" 6 0
	fsi_try 3 two_mappers
}

@test "ext4: a MAP_PRIVATE mapping: written pages are private copies" {
	ext4_file
	fsi_mapper "$F" 6 2 private
	maps --bytes --raw -n -o PERMS,SHARING,RSS,DIRTY,EXCL_DIRTY,PG_PRESENT,PG_COW,PG_DIRTY "$F"
	assert_output "rw-p private 24576 8192 8192 6 2 0"
	# The private copies are not the file's pages.
	run fsi_value cache "$F" -- DIRTY,MAPPED,MAPPED_DIRTY
	assert_output "0 4 0"
}

offset_map() {
	fsi_tell "$MAPPER_CTL" rewrite || return 1
	maps --bytes --raw -n -o OFFSET,SIZE,RSS,DIRTY,PG_PRESENT "$F"
	assert_output "32768 40960 40960 4096 10" || return 1
	# Pages 8-17 cached, page 8 dirty: cells of 10 pages.
	run fsinspect cache -n -o MAP -m10 "$F"
	assert_output "[D▓        ]"
}

@test "ext4: a mapping at an offset" {
	ext4_file
	fsi_mapper "$F" 10 1 shared 8
	fsi_try 3 offset_map
}

@test "tmpfs: PG_DIRTY is the page flag: set by write(2), not by a writable PTE" {
	D=$(fsi_tmpfs_dir)
	F=$D/f
	# Pages written with write(2) carry the dirty flag; cachestat never
	# counts tmpfs pages dirty.
	fsi_write "$F" $(seq 0 99)
	fsi_mapper "$F" 6 0
	maps --raw -n -o RSS,DIRTY,PG_PRESENT,PG_DIRTY "$F"
	assert_output "24K 24K 6 6"
	run fsi_value cache "$F" -- CACHED,DIRTY,MAPPED,MAPPED_DIRTY
	assert_output "100 0 6 6"
	# Holes faulted in through a shared mapping: tmpfs asks for no write
	# notification, so writes only dirty the page-table entries, which
	# smaps counts and the page flags do not (yet).
	fsi_sparse "$D/g" 100
	fsi_mapper "$D/g" 6 2
	maps --raw -n -o RSS,DIRTY,PG_PRESENT,PG_DIRTY "$D/g"
	assert_output "24K 8K 6 0"
}

maps_thrice() {
	local i
	fsi_tell "$MAPPER_CTL" rewrite || return 1
	for i in 1 2 3; do
		maps --raw -n -o PID,RSS,DIRTY,PG_DIRTY,PG_WB,SWAP "$F"
		assert_output "$MAPPER_PID 24K 8K 2 0 0B" || return 1
	done
	# An inspection that opens the file writes them back on close.
	run fsi_value cache "$F" -- DIRTY,FLUSHED
	assert_output "2 2"
}

@test "glassfs: mapped dirty pages stay dirty however often maps looks" {
	gfs_start
	F=$MNT/f
	fsi_write "$F" $(seq 0 99)
	fsi_drop "$F"
	fsi_mapper "$F" 6 2
	fsi_try 3 maps_thrice
	maps --raw -n -o DIRTY,PG_DIRTY "$F"
	assert_output "0B 0"
}

@test "glassfs: PG_WB counts mapped pages under writeback (daemon stopped)" {
	gfs_start -o entry_timeout=600,attr_timeout=600
	F=$MNT/f
	fsi_write "$F" $(seq 0 99)
	fsi_drop "$F"
	fsi_mapper "$F" 6 2
	fsi_stop_daemon
	fsi_tell "$MAPPER_CTL" drop
	maps --raw -n -o PG_PRESENT,PG_DIRTY,PG_WB "$F"
	fsi_cont_daemon
	assert_output "6 0 2"
}

@test "--open: descriptors by PID with access mode and position" {
	ext4_file
	fsi_holder "$D/g" 3
	sleep 1000 <"$F" 3>&- &
	FSI_PIDS+=("$!")
	local reader=$!
	maps --open "$F" "$D/g"
	assert_success
	output=${output//$D/DIR}
	output=${output//$HOLDER_PID/PID_H}
	output=${output//$reader/PID_R}
	fsi_golden 51-open.txt
	maps --open --raw -n -o PID,FD,MODE,FLAGS,POS "$D/g"
	assert_output --regexp "^$HOLDER_PID [0-9]+ rw 0[0-7]*2 12288\$"
}

maps_json() {
	fsi_tell "$MAPPER_CTL" rewrite || return 1
	maps --json --bytes "$F"
	run fsi_json
	python3 - "$output" "$MAPPER_PID" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])["maps"]
assert len(rows) == 1, rows
r = rows[0]
assert r["pid"] == int(sys.argv[2]) and r["command"] == "python3", r
assert r["rss"] == 6 * 4096 and r["dirty"] == 2 * 4096, r
assert r["pg_dirty"] == 2 and r["pg_wb"] == 0 and r["pg_mapmax"] == 1, r
assert isinstance(r["offset"], int), r
PY
}

@test "--json parses, for mappings and descriptors; no rows is an empty array" {
	ext4_file
	maps --json "$F"
	assert_success
	run fsi_json
	assert_output '{"maps": []}'
	maps --open --json "$F"
	run fsi_json
	assert_output '{"open": []}'
	fsi_mapper "$F" 6 2
	fsi_try 3 maps_json
	# The mapper holds its descriptor and mmap's duplicate of it.
	maps --open --json "$F"
	run fsi_json
	python3 - "$output" "$MAPPER_PID" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])["open"]
assert len(rows) == 2 and all(r["pid"] == int(sys.argv[2]) for r in rows), rows
assert all(r["mode"] == "rw" and isinstance(r["fd"], int) for r in rows), rows
PY
}

@test "non-root: smaps figures, present pages; page flags unknown" {
	D=$(fsi_tmpfs_dir)
	F=$D/f
	fsi_sparse "$F" 100
	chown 65534:65534 "$F"
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	# uid 65534 can reach neither $BATS_TEST_TMPDIR nor a pyenv shim.
	FSI_CTL_DIR=$D/ctl
	mkdir "$FSI_CTL_DIR"
	chown 65534:65534 "$FSI_CTL_DIR"
	cp "$FSI_HELPER" "$D/helper.py"
	fsi_start nobodymap "${nobody[@]}" /usr/bin/python3 "$D/helper.py" \
		map "$F" 6 2 shared 0
	run --separate-stderr "${nobody[@]}" fsinspect maps --raw -n \
		-o RSS,PG_PRESENT,PG_COW,PG_DIRTY,PG_WB,PG_REF,PG_MAPMAX "$F"
	assert_success
	assert_output "24K 6 0 unknown unknown unknown unknown"
	run --separate-stderr "${nobody[@]}" fsinspect maps --json "$F"
	run fsi_json
	assert_output --partial '"pg_dirty": null'
}
