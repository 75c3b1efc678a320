#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Stores glassfs must not use: each is refused before anything is mounted,
# with exit status 2 and one line
#     glassfs: cannot open store 'PATH': REASON
# and is left byte for byte as it was, with no -wal or -shm file created
# beside it.  Also: a missing or empty STORE becomes a new store, and a
# read-only store is served with -o ro.

load helpers/common

setup() {
	gfs_setup
	IMMUTABLE=()
	BINDS=()
	HOLDER=
}

teardown() {
	local f status=0
	if [ -n "$HOLDER" ]; then
		kill -KILL "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
	fi
	if [ -n "${MNT2:-}" ] && mountpoint -q "$MNT2"; then
		fusermount3 -uz "$MNT2"
		status=1
	fi
	gfs_teardown || status=1
	for f in "${IMMUTABLE[@]}"; do
		chattr -i "$f" 2>/dev/null
	done
	for f in "${BINDS[@]}"; do
		mountpoint -q "$f" && umount "$f"
	done
	return $status
}

# A store with a directory and 1 MiB of data, cleanly unmounted.
make_store() {
	gfs_mount "$@"
	mkdir "$MNT/dir"
	head -c 1048576 /dev/urandom >"$MNT/dir/data"
	printf 'hello\n' >"$MNT/hello"
	DATA_SHA=$(sha256sum <"$MNT/dir/data")
	gfs_umount
	[ ! -e "$STORE-wal" ]
	[ ! -e "$STORE-shm" ]
}

re_escape() {
	printf '%s' "$1" | sed 's/[][\.*^$(){}?+|/]/\\&/g'
}

# refused FILE REGEX [glassfs args]: glassfs -f refuses FILE with status 2
# and the one line "glassfs: cannot open store 'FILE': " + REGEX, mounts
# nothing and changes nothing.
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
}

@test "a text file and a file of random bytes: not an SQLite database" {
	printf 'these are not the pages you are looking for\n' >"$STORE"
	refused "$STORE" "not an SQLite database"
	head -c 200000 /dev/urandom >"$STORE"
	refused "$STORE" "not an SQLite database"
	# Short, with the right magic.
	printf 'SQLite format 3\0' >"$STORE"
	refused "$STORE" "not an SQLite database"
}

@test "another program's SQLite database: not a glassfs store" {
	sqlite3 "$STORE" 'CREATE TABLE t (x); INSERT INTO t VALUES (42)'
	refused "$STORE" "not a glassfs store \(application_id 0x00000000\)"
	run sqlite3 "$STORE" 'SELECT x FROM t'
	assert_output 42
}

@test "a store with another application_id: not a glassfs store" {
	make_store
	sqlite3 "$STORE" 'PRAGMA application_id = 1234'
	refused "$STORE" "not a glassfs store \(application_id 0x000004d2\)"
	sqlite3 "$STORE" 'PRAGMA application_id = -1'
	refused "$STORE" "not a glassfs store \(application_id 0xffffffff\)"
}

@test "a store of a newer format: newer than this glassfs supports" {
	make_store
	sqlite3 "$STORE" 'PRAGMA user_version = 99'
	refused "$STORE" "format version 99 is newer than this glassfs supports \([0-9]+\)"
	# Also with -o ro.
	refused "$STORE" "format version 99 is newer than this glassfs supports \([0-9]+\)" -o ro
}

@test "a store truncated mid-page is refused" {
	make_store
	local size
	size=$(stat -c %s "$STORE")
	truncate -s $((size - 1000)) "$STORE"
	refused "$STORE" "truncated \($((size - 1000)) bytes is not a whole number of 65536-byte pages\)"
	truncate -s 100 "$STORE"
	refused "$STORE" "truncated \(100 bytes is not a whole number of 65536-byte pages\)"
}

@test "a store of 4 KiB pages truncated mid-page is refused" {
	make_store -o page_size=4096
	local size
	size=$(stat -c %s "$STORE")
	truncate -s $((size - 4096 + 1)) "$STORE"
	refused "$STORE" "truncated \($((size - 4096 + 1)) bytes is not a whole number of 4096-byte pages\)"
}

@test "a store truncated to fewer pages than its header counts is refused" {
	make_store
	local pages
	pages=$(sqlite3 "$STORE" 'PRAGMA page_count')
	[ "$pages" -gt 4 ]
	truncate -s $((2 * 65536)) "$STORE"
	refused "$STORE" "truncated \(the header counts $pages pages, the file holds 2\)"
	truncate -s 65536 "$STORE"
	refused "$STORE" "truncated \(the header counts $pages pages, the file holds 1\)"
}

@test "a store with a page of random bytes is refused: corrupt, one line" {
	make_store
	cp "$STORE" "$BATS_TEST_TMPDIR/good.db"
	local pages page
	pages=$(sqlite3 "$STORE" 'PRAGMA page_count')
	for page in 2 $((pages / 2)) $((pages - 1)); do
		cp "$BATS_TEST_TMPDIR/good.db" "$STORE"
		# dd's seek counts from 0: block N is page N + 1.
		dd if=/dev/urandom of="$STORE" bs=65536 seek=$((page - 1)) \
			count=1 conv=notrunc status=none
		# SQLite agrees it is corrupt (asked on a copy).
		cp "$STORE" "$BATS_TEST_TMPDIR/check.db"
		run sqlite3 "$BATS_TEST_TMPDIR/check.db" 'PRAGMA quick_check'
		refute_output ok
		refused "$STORE" "corrupt \([^()]*(\([^()]*\)[^()]*)*\)"
	done
}

@test "a store missing one of its tables is refused as corrupt" {
	make_store
	sqlite3 "$STORE" 'DROP TABLE xattrs'
	refused "$STORE" "corrupt \(table 'xattrs' is missing\)"
}

@test "a store already mounted is refused; the first mount is unaffected" {
	make_store
	gfs_mount
	MNT2=$BATS_TEST_TMPDIR/mnt2
	mkdir "$MNT2"
	run "$GLASSFS" -f "$STORE" "$MNT2"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': already mounted by another glassfs process"
	run "$GLASSFS" -f -o ro "$STORE" "$MNT2"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': already mounted by another glassfs process"
	run mountpoint -q "$MNT2"
	assert_failure
	# The first mount still reads and writes.
	[ "$(sha256sum <"$MNT/dir/data")" = "$DATA_SHA" ]
	printf 'still here\n' >"$MNT/new"
	gfs_remount
	run cat "$MNT/new"
	assert_output "still here"
	[ "$(sha256sum <"$MNT/dir/data")" = "$DATA_SHA" ]
}

@test "a read-only mount keeps read-write mounts out" {
	make_store
	gfs_mount -o ro
	MNT2=$BATS_TEST_TMPDIR/mnt2
	mkdir "$MNT2"
	run "$GLASSFS" -f "$STORE" "$MNT2"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': already mounted by another glassfs process"
	run cat "$MNT/hello"
	assert_output hello
}

# hold_lock FILE: a python3 sqlite3 connection holding BEGIN EXCLUSIVE.
hold_lock() {
	local ready=$BATS_TEST_TMPDIR/locked
	rm -f "$ready"
	python3 - "$1" "$ready" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(600)
PY
	HOLDER=$!
	local i
	for ((i = 0; i < 400; i++)); do
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

@test "a store locked by another process (rollback journal) is refused" {
	make_store
	sqlite3 "$STORE" 'PRAGMA journal_mode = DELETE' >/dev/null
	hold_lock "$STORE"
	refused "$STORE" "locked by another process"
	release_lock
	# Unlocked, it mounts.
	gfs_mount
	[ "$(sha256sum <"$MNT/dir/data")" = "$DATA_SHA" ]
}

@test "a store locked by another process (WAL) is refused" {
	make_store
	hold_lock "$STORE"
	# The holder has its own -wal and -shm: only the store is compared.
	local before
	before=$(sha256sum <"$STORE")
	run "$GLASSFS" -f "$STORE" "$MNT"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': locked by another process"
	assert_equal "$(sha256sum <"$STORE")" "$before"
	release_lock
	gfs_mount
	[ "$(sha256sum <"$MNT/dir/data")" = "$DATA_SHA" ]
}

# Reads work, every kind of write gives EROFS, the store is unchanged.
check_served_ro() {
	[ "$(sha256sum <"$MNT/dir/data")" = "$DATA_SHA" ]
	run cat "$MNT/hello"
	assert_output hello
	run gfs-sys open "$MNT/new" 'O_WRONLY|O_CREAT'
	assert_output EROFS
	run gfs-sys open "$MNT/hello" O_WRONLY
	assert_output EROFS
	run gfs-sys mkdir "$MNT/d2" 0755
	assert_output EROFS
	run gfs-sys unlink "$MNT/hello"
	assert_output EROFS
	run gfs-sys rename "$MNT/hello" "$MNT/bye"
	assert_output EROFS
	run gfs-sys truncate "$MNT/hello" 0
	assert_output EROFS
	run gfs-sys chmod "$MNT/hello" 0600
	assert_output EROFS
	run gfs-sys setxattr "$MNT/hello" user.x y
	assert_output EROFS
	run grep -F " $MNT fuse.glassfs ro," /proc/mounts
	assert_success
}

@test "a read-only store (chattr +i) is refused without -o ro, served with it" {
	gfs_require_root
	make_store
	chattr +i "$STORE" 2>/dev/null || skip "chattr +i is not supported here"
	IMMUTABLE+=("$STORE")
	refused "$STORE" "Operation not permitted \(use -o ro to serve it read-only\)"
	local before
	before=$(sha256sum <"$STORE")
	gfs_mount -o ro
	check_served_ro
	gfs_umount
	assert_equal "$(sha256sum <"$STORE")" "$before"
}

@test "a store on a read-only bind mount is refused without -o ro, served with it" {
	gfs_require_root
	make_store
	# The store alone in a directory, seen read-only through a bind.
	local media=$BATS_TEST_TMPDIR/media ro=$BATS_TEST_TMPDIR/ro
	mkdir "$media" "$ro"
	mv "$STORE" "$media/store.db"
	mount --bind "$media" "$ro"
	BINDS+=("$ro")
	mount -o remount,ro,bind "$ro"
	run touch "$ro/probe"
	assert_failure
	STORE=$ro/store.db
	refused "$STORE" "Read-only file system \(use -o ro to serve it read-only\)"
	local before
	before=$(sha256sum <"$STORE")
	gfs_mount -o ro
	check_served_ro
	gfs_umount
	assert_equal "$(sha256sum <"$STORE")" "$before"
	assert_file_not_exist "$STORE-wal"
	assert_file_not_exist "$STORE-shm"
}

@test "a store in a directory that does not exist is refused" {
	local missing=$BATS_TEST_TMPDIR/no-such-dir/store.db
	run "$GLASSFS" -f "$missing" "$MNT"
	assert_failure 2
	assert_output "glassfs: cannot open store '$missing': No such file or directory"
	assert_file_not_exist "$BATS_TEST_TMPDIR/no-such-dir"
	run mountpoint -q "$MNT"
	assert_failure
}

@test "a directory given as the store is refused" {
	mkdir "$BATS_TEST_TMPDIR/adir"
	run "$GLASSFS" -f "$BATS_TEST_TMPDIR/adir" "$MNT"
	assert_failure 2
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 1
	assert_output --regexp "^glassfs: cannot open store '$(re_escape "$BATS_TEST_TMPDIR/adir")': "
	run ls -A "$BATS_TEST_TMPDIR/adir"
	assert_output ""
}

@test "a missing store is created, and says so" {
	gfs_mount
	run grep -c "created new store" "$LOG"
	assert_output 1
	grep -qxF "glassfs: created new store '$STORE'" "$LOG"
	printf 'x\n' >"$MNT/x"
	gfs_umount
	run sqlite3 "$STORE" 'PRAGMA application_id; PRAGMA integrity_check'
	assert_output "$(printf '%s\nok' $((0x474c4653)))"
	# Not "created" a second time.
	gfs_mount
	run grep -c "created new store" "$LOG"
	assert_output 1
	run cat "$MNT/x"
	assert_output x
}

@test "a zero-length file is initialized as a new store" {
	: >"$STORE"
	gfs_mount
	grep -qxF "glassfs: created new store '$STORE'" "$LOG"
	printf 'x\n' >"$MNT/x"
	gfs_remount
	run cat "$MNT/x"
	assert_output x
	gfs_umount
	run sqlite3 "$STORE" 'PRAGMA application_id; SELECT user_version > 0 FROM pragma_user_version; PRAGMA integrity_check'
	assert_output "$(printf '%s\n1\nok' $((0x474c4653)))"
}

@test "a zero-length file cannot be mounted read-only, and stays empty" {
	: >"$STORE"
	refused "$STORE" "empty store cannot be mounted read-only" -o ro
	[ ! -s "$STORE" ]
}

@test "a new store refused for bad options leaves no file behind" {
	run "$GLASSFS" -f -o chunk_size=1000 "$STORE" "$MNT"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': chunk size 1000 is not a power of two from 4096 to 1048576"
	assert_file_not_exist "$STORE"
	run "$GLASSFS" -f -o page_size=3000 "$STORE" "$MNT"
	assert_failure 2
	assert_output "glassfs: cannot open store '$STORE': page size 3000 is not a power of two from 512 to 65536"
	assert_file_not_exist "$STORE"
	assert_file_not_exist "$STORE-wal"
	assert_file_not_exist "$STORE-journal"
	# An existing empty file is kept (it was not ours to delete).
	: >"$STORE"
	run "$GLASSFS" -f -o chunk_size=1000 "$STORE" "$MNT"
	assert_failure 2
	assert_file_exist "$STORE"
	[ ! -s "$STORE" ]
}
