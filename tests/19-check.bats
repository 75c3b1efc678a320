#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# glassfs check: the store's fsck, end to end.  A store is made through a
# mount, unmounted, then damaged in one known way with the sqlite3 shell.
# For each damage: `glassfs check` reports exactly the expected lines and
# exits 4 without changing the file; `--repair` reports the same problems
# and a repair for each and exits 1; a second check exits 0; SQLite's
# integrity_check is ok; and the store mounts with its files intact.
# Also: refusals (mounted, not SQLite, newer format), usage errors, and
# what a crash leaves behind.

load helpers/common

sq() {
	sqlite3 "$STORE" "$@"
}

sha() {
	local out
	out=$(sha256sum <"$1") || return 1
	echo "${out%% *}"
}

# The store, made through a mount:
#   /d, /d/e          directories
#   /d/f, /g          one file, "hello", xattr user.colour = blue
#   /s                symlink to d/f
#   /big              200000 random bytes (4 chunks of 64 KiB)
#   /empty            an empty file
make_store() {
	gfs_mount
	mkdir -p "$MNT/d/e"
	echo hello >"$MNT/d/f"
	ln "$MNT/d/f" "$MNT/g"
	ln -s d/f "$MNT/s"
	gfs-sys setxattr "$MNT/d/f" user.colour blue
	head -c 200000 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	cp "$BATS_TEST_TMPDIR/big" "$MNT/big"
	: >"$MNT/empty"
	gfs_umount
}

# The store's inode for /PATH, looked up in the dirents table.
ino() {
	local ino=1 part parts
	IFS=/ read -ra parts <<<"${1#/}"
	for part in "${parts[@]}"; do
		ino=$(sq "SELECT ino FROM dirents WHERE parent = $ino AND name = CAST('$part' AS BLOB)")
	done
	echo "$ino"
}

summary() {
	local s=s
	[ "$1" -eq 1 ] && s=
	echo "$1 problem$s found, $2 repaired"
}

# damaged PROBLEM... -- REPAIR...: the check reports exactly the PROBLEM
# lines; the repair reports them and the REPAIR lines, in that order.
damaged() {
	local problems=() repairs=() before n
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		problems+=("$1")
		shift
	done
	shift
	repairs=("$@")
	n=${#problems[@]}
	before=$(sha "$STORE")
	run "$GLASSFS" check "$STORE"
	assert_failure 4
	assert_output "$(printf '%s\n' "${problems[@]}"; summary "$n" 0)"
	assert_equal "$(sha "$STORE")" "$before"
	run "$GLASSFS" check --repair "$STORE"
	assert_failure 1
	assert_output "$(printf '%s\n' "${repairs[@]}"; summary "$n" "$n")"
	run "$GLASSFS" check "$STORE"
	assert_success
	assert_output "$(summary 0 0)"
	run sqlite3 "$STORE" 'PRAGMA integrity_check'
	assert_output ok
}

# The files the damage did not touch read back.
assert_intact() {
	run cat "$MNT/d/f"
	assert_output hello
	run gfs-sys getxattr "$MNT/d/f" user.colour
	assert_line --index 0 "OK blue"
	cmp "$BATS_TEST_TMPDIR/big" "$MNT/big"
	assert_equal "$(readlink "$MNT/s")" d/f
}

# ------------------------------------------------------------------
# A clean store, and the command line
# ------------------------------------------------------------------

@test "a clean store: exit 0, nothing but the summary" {
	make_store
	run "$GLASSFS" check "$STORE"
	assert_success
	assert_output "0 problems found, 0 repaired"
	run "$GLASSFS" check -n "$STORE"
	assert_success
	run "$GLASSFS" check --repair "$STORE"
	assert_success
	assert_output "0 problems found, 0 repaired"
	run "$GLASSFS" check -v "$STORE"
	assert_success
	assert_output "$(printf 'checking %s\n' 'sqlite integrity' schema \
		'root directory' 'directory entries' 'link counts' \
		'directory tree' 'orphaned inodes' 'file data' \
		'symlinks and xattrs'; summary 0 0)"
}

@test "usage errors exit 16 with a hint; --help exits 0" {
	local args
	for args in "" "-x $STORE" "--bogus $STORE" "--repair -n $STORE" \
		"$STORE $STORE" "--repair=yes $STORE"; do
		# shellcheck disable=SC2086
		run "$GLASSFS" check $args
		assert_failure 16
		assert_line "Try 'glassfs check --help' for more information."
	done
	run "$GLASSFS" check --help
	assert_success
	assert_line --partial "usage: glassfs check [--repair] [-n] [-v] STORE"
	run "$GLASSFS" check -h
	assert_success
}

@test "refuses a mounted store, exit 8" {
	make_store
	gfs_mount
	run "$GLASSFS" check "$STORE"
	assert_failure 8
	assert_output --partial "mounted"
	run "$GLASSFS" check --repair "$STORE"
	assert_failure 8
	gfs_umount
	gfs_mount -o ro
	run "$GLASSFS" check "$STORE"
	assert_failure 8
	assert_output --partial "mounted"
}

@test "refuses what is not a store: exit 8, the file untouched" {
	local before
	head -c 100000 /dev/urandom >"$STORE"
	before=$(sha "$STORE")
	run "$GLASSFS" check --repair "$STORE"
	assert_failure 8
	assert_output "glassfs check: cannot check store '$STORE': not an SQLite database"
	assert_equal "$(sha "$STORE")" "$before"
	run "$GLASSFS" check "$BATS_TEST_TMPDIR/none.db"
	assert_failure 8
	assert_output --partial "No such file or directory"
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
	sqlite3 "$BATS_TEST_TMPDIR/other.db" 'CREATE TABLE t (x)'
	run "$GLASSFS" check "$BATS_TEST_TMPDIR/other.db"
	assert_failure 8
	assert_output --partial "not a glassfs store (application_id 0x00000000)"
}

@test "refuses a newer format, exit 8" {
	make_store
	sq 'PRAGMA user_version = 99'
	run "$GLASSFS" check --repair "$STORE"
	assert_failure 8
	assert_output --partial "format version 99 is newer than this glassfs supports"
}

# ------------------------------------------------------------------
# One damage each
# ------------------------------------------------------------------

@test "wrong nlink" {
	make_store
	local f
	f=$(ino /d/f)
	sq "UPDATE inodes SET nlink = 3 WHERE ino = $f"
	damaged "inode $f: nlink is 3, 2 entries name it" -- \
		"inode $f: nlink is 3, 2 entries name it" \
		"inode $f: nlink set to 2"
	gfs_mount
	assert_equal "$(stat -c %h "$MNT/g")" 2
	assert_intact
}

@test "wrong directory nlink" {
	make_store
	local d
	d=$(ino /d)
	sq "UPDATE inodes SET nlink = 7 WHERE ino = $d"
	damaged "inode $d: nlink is 7, should be 3 (directory with 1 subdirectory)" -- \
		"inode $d: nlink is 7, should be 3 (directory with 1 subdirectory)" \
		"inode $d: nlink set to 3"
	gfs_mount
	assert_equal "$(stat -c %h "$MNT/d")" 3
	assert_intact
}

@test "entry naming a missing inode" {
	make_store
	sq "INSERT INTO dirents (parent, name, ino) VALUES (1, CAST('ghost' AS BLOB), 999)"
	damaged "entry 'ghost' in inode 1: names missing inode 999" -- \
		"entry 'ghost' in inode 1: names missing inode 999" \
		"entry 'ghost' in inode 1: deleted"
	gfs_mount
	[ ! -e "$MNT/ghost" ]
	run ls "$MNT"
	refute_line ghost
	assert_intact
}

@test "entry whose parent is a file" {
	make_store
	local f e
	f=$(ino /d/f)
	e=$(ino /empty)
	sq "INSERT INTO dirents (parent, name, ino) VALUES ($f, CAST('x' AS BLOB), $e)"
	damaged "entry 'x' in inode $f: parent is not a directory" -- \
		"entry 'x' in inode $f: parent is not a directory" \
		"entry 'x' in inode $f: deleted"
	gfs_mount
	assert_equal "$(stat -c %h "$MNT/empty")" 1
	assert_intact
}

@test "directory with a wrong parent column" {
	make_store
	local d e
	d=$(ino /d)
	e=$(ino /d/e)
	sq "UPDATE inodes SET parent = 1 WHERE ino = $e"
	damaged "inode $e: parent is 1, its entry is in inode $d" -- \
		"inode $e: parent is 1, its entry is in inode $d" \
		"inode $e: parent set to $d"
	gfs_mount
	run ls "$MNT/d/e/.."
	assert_line f
	assert_intact
}

@test "a cycle of two directories detached from the root" {
	make_store
	local d e lf
	d=$(ino /d)
	e=$(ino /d/e)
	lf=$(($(sq 'SELECT max(ino) FROM inodes') + 1))
	# /d moved into its own subdirectory, every count kept right.
	sq "UPDATE dirents SET parent = $e WHERE ino = $d;
	    UPDATE inodes SET parent = $e WHERE ino = $d;
	    UPDATE inodes SET nlink = nlink - 1 WHERE ino = 1;
	    UPDATE inodes SET nlink = nlink + 1 WHERE ino = $e"
	damaged "inode $d: in a cycle of 2 directories detached from the root" -- \
		"inode $d: in a cycle of 2 directories detached from the root" \
		"created /lost+found (inode $lf)" \
		"inode $d: moved to /lost+found/#$d"
	gfs_mount
	assert_equal "$(stat -c %a "$MNT/lost+found")" 700
	run cat "$MNT/lost+found/#$d/f"
	assert_output hello
	[ -d "$MNT/lost+found/#$d/e" ]
	run ls "$MNT/lost+found/#$d/e"
	assert_output ""
	assert_equal "$(stat -c %h "$MNT")" 3
	assert_equal "$(stat -c %h "$MNT/lost+found")" 3
	cmp "$BATS_TEST_TMPDIR/big" "$MNT/big"
}

@test "an inode with links but no entry goes to lost+found" {
	make_store
	local big lf
	big=$(ino /big)
	lf=$(($(sq 'SELECT max(ino) FROM inodes') + 1))
	sq "DELETE FROM dirents WHERE ino = $big"
	damaged "inode $big: nlink is 1, no entry names it" -- \
		"inode $big: nlink is 1, no entry names it" \
		"created /lost+found (inode $lf)" \
		"inode $big: moved to /lost+found/#$big"
	gfs_mount
	[ ! -e "$MNT/big" ]
	cmp "$BATS_TEST_TMPDIR/big" "$MNT/lost+found/#$big"
	run cat "$MNT/d/f"
	assert_output hello
}

@test "an nlink-0 orphan is reclaimed" {
	make_store
	local big
	big=$(ino /big)
	sq "DELETE FROM dirents WHERE ino = $big; UPDATE inodes SET nlink = 0 WHERE ino = $big"
	damaged "inode $big: nlink is 0, no entry names it" -- \
		"inode $big: nlink is 0, no entry names it" \
		"inode $big: reclaimed"
	assert_equal "$(sq "SELECT count(*) FROM chunks WHERE ino = $big")" 0
	assert_equal "$(sq "SELECT count(*) FROM inodes WHERE ino = $big")" 0
	gfs_mount
	[ ! -e "$MNT/big" ]
	[ ! -e "$MNT/lost+found" ]
	run cat "$MNT/d/f"
	assert_output hello
}

@test "a chunk past the file size" {
	make_store
	local f
	f=$(ino /d/f)
	sq "INSERT INTO chunks VALUES ($f, 5, zeroblob(100));
	    UPDATE inodes SET alloc = alloc + 100 WHERE ino = $f"
	damaged "inode $f: chunk 5 holds bytes past the file size 6" -- \
		"inode $f: chunk 5 holds bytes past the file size 6" \
		"inode $f: chunk 5 deleted"
	gfs_mount
	# Growing the file must expose zeros, not the stale chunk.
	truncate -s 400000 "$MNT/d/f"
	assert_equal "$(tail -c +7 "$MNT/d/f" | tr -d '\0' | wc -c)" 0
	truncate -s 6 "$MNT/d/f"
	assert_intact
}

@test "a chunk longer than the chunk size" {
	make_store
	local big
	big=$(ino /big)
	sq "UPDATE chunks SET data = CAST(data || zeroblob(100) AS BLOB) WHERE ino = $big AND idx = 1;
	    UPDATE inodes SET alloc = alloc + 100 WHERE ino = $big"
	damaged "inode $big: chunk 1 is 65636 bytes, more than the chunk size 65536" -- \
		"inode $big: chunk 1 is 65636 bytes, more than the chunk size 65536" \
		"inode $big: chunk 1 trimmed to 65536 bytes"
	gfs_mount
	assert_intact
	assert_equal "$(stat -c %b "$MNT/big")" $(((200000 + 511) / 512))
}

@test "wrong alloc" {
	make_store
	local big
	big=$(ino /big)
	sq "UPDATE inodes SET alloc = 12345 WHERE ino = $big"
	damaged "inode $big: alloc is 12345, its chunks hold 200000 bytes" -- \
		"inode $big: alloc is 12345, its chunks hold 200000 bytes" \
		"inode $big: alloc set to 200000"
	gfs_mount
	assert_equal "$(stat -c %b "$MNT/big")" $(((200000 + 511) / 512))
	assert_intact
}

@test "a chunk of a missing inode" {
	make_store
	sq "INSERT INTO chunks VALUES (999, 0, zeroblob(10))"
	damaged "inode 999: does not exist but has 1 chunk" -- \
		"inode 999: does not exist but has 1 chunk" \
		"inode 999: 1 chunk deleted"
	assert_equal "$(sq 'SELECT count(*) FROM chunks WHERE ino = 999')" 0
	gfs_mount
	assert_intact
}

@test "a symlink without target is deleted" {
	make_store
	local s
	s=$(ino /s)
	sq "DELETE FROM symlinks WHERE ino = $s"
	damaged "inode $s: symlink has no target" -- \
		"inode $s: symlink has no target" \
		"inode $s: deleted with 1 entry"
	gfs_mount
	[ ! -L "$MNT/s" ]
	run cat "$MNT/d/f"
	assert_output hello
	cmp "$BATS_TEST_TMPDIR/big" "$MNT/big"
}

@test "a stray xattr" {
	make_store
	sq "INSERT INTO xattrs VALUES (999, CAST('user.x' AS BLOB), CAST('v' AS BLOB))"
	damaged "inode 999: does not exist but has 1 xattr" -- \
		"inode 999: does not exist but has 1 xattr" \
		"inode 999: 1 xattr deleted"
	gfs_mount
	assert_intact
}

@test "a format-1 store is upgraded" {
	make_store
	local t v
	v=$(sq 'PRAGMA user_version')
	# What format 1 did not have: the change log, its triggers, and the
	# indexes later formats added.
	sq 'DROP TABLE changelog'
	for t in $(sq "SELECT type || ':' || name FROM sqlite_schema
		       WHERE type = 'trigger' OR (type = 'index' AND
		       sql IS NOT NULL AND name <> 'dirents_by_parent')"); do
		sq "DROP ${t%%:*} ${t#*:}"
	done
	sq 'PRAGMA user_version = 1'
	damaged "format version 1 is older than $v" -- \
		"format version 1 is older than $v" \
		"upgraded to format version $v"
	assert_equal "$(sq 'PRAGMA user_version')" "$v"
	assert_equal "$(sq "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")" 12
	gfs_mount
	assert_intact
}

@test "several damages at once" {
	make_store
	local f big s lf
	f=$(ino /d/f)
	big=$(ino /big)
	s=$(ino /s)
	lf=$(($(sq 'SELECT max(ino) FROM inodes') + 1))
	sq "UPDATE inodes SET nlink = 5 WHERE ino = $f;
	    INSERT INTO dirents (parent, name, ino) VALUES (1, CAST('ghost' AS BLOB), 999);
	    DELETE FROM dirents WHERE ino = $big;
	    INSERT INTO chunks VALUES ($f, 3, zeroblob(10));
	    UPDATE inodes SET alloc = alloc + 10 WHERE ino = $f;
	    UPDATE inodes SET size = 99 WHERE ino = $s;
	    INSERT INTO xattrs VALUES (999, CAST('user.x' AS BLOB), X'')"
	damaged \
		"entry 'ghost' in inode 1: names missing inode 999" \
		"inode $f: nlink is 5, 2 entries name it" \
		"inode $big: nlink is 1, no entry names it" \
		"inode $f: chunk 3 holds bytes past the file size 6" \
		"inode $s: size is 99, its target is 3 bytes" \
		"inode 999: does not exist but has 1 xattr" -- \
		"entry 'ghost' in inode 1: names missing inode 999" \
		"entry 'ghost' in inode 1: deleted" \
		"inode $f: nlink is 5, 2 entries name it" \
		"inode $f: nlink set to 2" \
		"inode $big: nlink is 1, no entry names it" \
		"created /lost+found (inode $lf)" \
		"inode $big: moved to /lost+found/#$big" \
		"inode $f: chunk 3 holds bytes past the file size 6" \
		"inode $f: chunk 3 deleted" \
		"inode $s: size is 99, its target is 3 bytes" \
		"inode $s: size set to 3" \
		"inode 999: does not exist but has 1 xattr" \
		"inode 999: 1 xattr deleted"
	gfs_mount
	run cat "$MNT/d/f"
	assert_output hello
	assert_equal "$(stat -c %h "$MNT/g")" 2
	assert_equal "$(stat -c %s "$MNT/s")" 3
	cmp "$BATS_TEST_TMPDIR/big" "$MNT/lost+found/#$big"
	[ ! -e "$MNT/ghost" ]
}

# ------------------------------------------------------------------
# Crashes and corruption
# ------------------------------------------------------------------

@test "after a crash: the orphan is found, the WAL is read, nothing written" {
	make_store
	gfs_mount -o commit_ms=10
	exec 8>"$MNT/unlinked"
	echo data >&8
	rm "$MNT/unlinked"
	echo new >"$MNT/new"
	sync "$MNT/new"
	# gfs_kill's own wait returns the signal status (see 14-durability).
	gfs_kill KILL || true
	exec 8>&-
	[ -s "$STORE-wal" ]
	local before wal orphan
	before=$(sha "$STORE")
	wal=$(sha "$STORE-wal")
	run "$GLASSFS" check "$STORE"
	assert_failure 4
	assert_line --regexp '^inode [0-9]+: nlink is 0, no entry names it$'
	assert_line "1 problem found, 0 repaired"
	orphan=${lines[0]%%:*}
	assert_equal "$(sha "$STORE")" "$before"
	assert_equal "$(sha "$STORE-wal")" "$wal"
	run "$GLASSFS" check --repair "$STORE"
	assert_failure 1
	assert_line "$orphan: reclaimed"
	run "$GLASSFS" check "$STORE"
	assert_success
	gfs_mount
	run cat "$MNT/new"
	assert_output new
	assert_intact
}

@test "a corrupt b-tree page: reported, exit 4" {
	make_store
	local root psz before
	root=$(sq "SELECT rootpage FROM sqlite_schema WHERE name = 'inodes'")
	psz=$(sq 'PRAGMA page_size')
	# A leaf page header that claims 65535 cells.
	printf '\x0d\xff\xff\xff\xff' |
		dd of="$STORE" bs=1 seek=$(((root - 1) * psz)) conv=notrunc status=none
	before=$(sha "$STORE")
	run "$GLASSFS" check "$STORE"
	assert_failure 4
	assert_line --regexp '^sqlite: '
	assert_line "the store is too damaged to check further"
	assert_equal "$(sha "$STORE")" "$before"
	run "$GLASSFS" check --repair "$STORE"
	assert_failure 4
}
