#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect stack: each layer's figures against a state the test made.
# Written M bytes and fsync'ed: the chunks are ceil(M / chunk size); after
# a checkpoint the store's pages holding them are cached below while the
# file's pages are cached above (the same data twice); after dropping
# caches both are empty.  The pages found in the store are checked with
# SQLite's own dbstat on a store holding that one file, and the view must
# leave the store's page cache as it found it.

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

COLS=FILE,LAYER,SIZE,CACHED,PAGES,DIRTY,SQLITE_PAGES,CHUNKS,CHUNK_SIZE,HITS,MISSES,FLUSHED

# sq LAYER FIELD: one figure of $output (JSON).
sq() {
	printf '%s' "$output" | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin)["stack"] if r["layer"] == sys.argv[1]]
assert len(rows) == 1, rows
print(rows[0][sys.argv[2]])' "$1" "$2"
}

# Write $1 bytes to $MNT/$2 and fsync it.
write_sync() {
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
data = os.urandom(int(sys.argv[2]))
os.write(fd, data)
os.fsync(fd)
os.close(fd)' "$MNT/$2" "$1"
}

# The store's pages of table chunks, by SQLite's dbstat (reads them).
dbstat_pages() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT count(*) FROM dbstat WHERE name = ?",
                 ("chunks",)).fetchone()[0])' "$STORE"
}

@test "stack --help lists every column, exit 0; usage errors exit 1" {
	run --separate-stderr fsinspect stack --help
	assert_success
	[ -z "$stderr" ]
	for col in FILE LAYER OBJECT SIZE CACHED PAGES PERCENT DIRTY \
		SQLITE_PAGES CHUNKS CHUNK_SIZE HITS MISSES FLUSHED DETAIL; do
		assert_line --regexp "^ $col +[A-Za-z(]"
	done
	run --separate-stderr fsinspect stack
	assert_failure 1
	[[ $stderr == *"no file given"* ]]
	run --separate-stderr fsinspect stack -o NOPE /etc/hostname
	assert_failure 1
}

@test "stack: a file not on glassfs is refused (exit 2), others still shown" {
	gfs_require_root
	gfs_start
	write_sync 4096 f
	D=$(fsi_tmpfs_dir)
	echo x >"$D/t"
	run --separate-stderr fsinspect stack -J "$D/t" "$MNT/f"
	assert_failure 2
	[[ $stderr == *"'$D/t' is not on a glassfs mount"* ]]
	[ "$(sq fuse file)" = "$MNT/f" ]
}

# warm_stack, and the text view has $note.
warm_stack_note() {
	warm_stack && grep -qxF "$note" <<<"$text"
}

# Everything cached: the file above (read through FUSE), the store below.
# Other processes drop caches (FACTS.md): the checks are retried.
warm_stack() {
	cat "$MNT/f" "$STORE" >/dev/null
	run --separate-stderr fsinspect stack "$MNT/f"
	text=$output
	run --separate-stderr fsinspect stack -J "$MNT/f"
	[ "$status" -eq 0 ] &&
		[ "$(sq fuse pages)" = $(((m + 4095) / 4096)) ] &&
		[ "$(sq store cached)" = "$(sq store size)" ]
}

@test "stack: M bytes written and fsync'ed: ceil(M / chunk) chunks, cached above and below" {
	gfs_require_root
	gfs_start
	m=$((3 * 1048576 + 5000))
	write_sync $m f
	gfs_ctl checkpoint >/dev/null
	# The text view's note is retried with the figures, since another
	# process's drop of caches between the two views changes it too.
	note="note: '$MNT/f': 3M of it cached above FUSE, and 3.5M of the store pages holding it cached below: the same data cached twice"
	fsi_try 5 warm_stack_note
	# The chunks: ceil(M / 65536) of them, M bytes.
	[ "$(sq chunks chunk_size)" = 65536 ]
	[ "$(sq chunks chunks)" = $(((m + 65535) / 65536)) ]
	[ "$(sq chunks size)" = $m ]
	# Above FUSE: every page of the file (warm_stack), clean after fsync.
	[ "$(sq fuse size)" = $m ]
	[ "$(sq fuse cached)" = $(((m + 4095) / 4096 * 4096)) ]
	[ "$(sq fuse dirty)" = 0 ]
	# Below: after the checkpoint every store page holding the data is
	# in the store file (none newer in the WAL), and all are cached.
	pages=$(sq store sqlite_pages)
	[ "$pages" -gt "$(sq chunks chunks)" ]
	[ "$(sq wal sqlite_pages)" = 0 ]
	[ "$(sq store size)" = $((pages * 65536)) ]
	# The daemon keeps nothing; SQLite's cache is the whole store's.
	[ "$(sq daemon cached)" = 0 ]
	[ "$(sq sqlite cached)" -gt 0 ]
	# One file in the store: its pages are all the pages of the table.
	[ "$pages" = "$(dbstat_pages)" ]
}

@test "stack: before a checkpoint the file's pages are newer in the WAL" {
	gfs_require_root
	gfs_start
	write_sync $((1048576)) f
	run --separate-stderr fsinspect stack -J "$MNT/f"
	assert_success
	wal=$(sq wal sqlite_pages)
	store=$(sq store sqlite_pages)
	[ "$wal" -gt 0 ]
	[ "$((wal + store))" = "$(dbstat_pages)" ]
	[ "$(sq wal size)" = $((wal * 65536)) ]
}

@test "stack: after dropping caches both layers are empty" {
	gfs_require_root
	gfs_start
	write_sync $((2 * 1048576)) f
	gfs_ctl checkpoint >/dev/null
	gfs_drop_caches
	run --separate-stderr fsinspect stack -J "$MNT/f"
	assert_success
	[ "$(sq fuse pages)" = 0 ]
	[ "$(sq store pages)" = 0 ]
	[ "$(sq store cached)" = 0 ]
	[ "$(sq wal pages)" = 0 ]
	[ "$(sq chunks chunks)" = 32 ]
	# Measuring read the b-tree, and dropped what it read: a second look
	# still finds nothing of the file cached below.
	run --separate-stderr fsinspect stack -J "$MNT/f"
	assert_success
	[ "$(sq store pages)" = 0 ]
	[ "$(sq fuse pages)" = 0 ]
}

@test "stack: two files share no overflow page; chunk size from the store" {
	gfs_require_root
	gfs_start -o chunk_size=16384 -o page_size=4096
	write_sync 100000 a
	write_sync 50000 b
	gfs_ctl checkpoint >/dev/null
	run --separate-stderr fsinspect stack -J "$MNT/a"
	assert_success
	[ "$(sq chunks chunk_size)" = 16384 ]
	[ "$(sq chunks chunks)" = 7 ]
	a=$(sq store sqlite_pages)
	run --separate-stderr fsinspect stack -J "$MNT/b"
	assert_success
	[ "$(sq chunks chunks)" = 4 ]
	b=$(sq store sqlite_pages)
	[ "$(sq store size)" = $((b * 4096)) ]
	# A full 16 KiB chunk on 4 KiB pages spills into 4 overflow pages,
	# a last chunk of 1696 bytes into one, one of 848 bytes into none
	# (SQLite's local payload limits); and a leaf page at least.
	[ "$a" -ge $((6 * 4 + 1 + 1)) ]
	[ "$b" -ge $((3 * 4 + 1)) ]
	# Leaf pages may be shared, overflow pages never: together at least
	# the whole table but for a few shared b-tree pages.
	total=$(dbstat_pages)
	[ "$((a + b))" -ge "$total" ]
	[ "$((a + b - total))" -le 4 ]
}

# With the write-back cache, written pages stay dirty while a process
# holds the file open; the stack view's own close writes them back.
stack_dirty() {
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	run --separate-stderr fsinspect stack -J "$MNT/h"
	[ "$status" -eq 0 ] && [ "$(sq fuse dirty)" = 8 ] &&
		[ "$(sq fuse flushed)" = 8 ]
}

@test "stack: dirty pages above FUSE are reported, and flushed by its close" {
	gfs_require_root
	gfs_start
	fsi_holder "$MNT/h" 8
	fsi_try 5 stack_dirty
	run fsi_oracle "$MNT/h"
	assert_output --regexp '^8 0 '
	fsi_tell "$HOLDER_CTL" rewrite
	run fsinspect stack "$MNT/h"
	assert_line "note: closing '$MNT/h' after measuring wrote back its 8 dirty pages (FUSE writes back at every close)"
}
