#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The namespace (issue #3): lookup, mkdir, rmdir, unlink, mknod of every
# file type, symlinks, hard links, directory link counts, rename with and
# without flags, name length limits, names with unusual bytes, readdir of
# large and changing directories, parent times, and all of it after a
# remount.  Expected results are what tmpfs and ext4 do.

load helpers/common

setup() {
	gfs_setup
	umask 022
	export LC_ALL=C
}

nlink() {
	stat -c %h "$1"
}

ino() {
	stat -c %i "$1"
}

# A name of @1 bytes, made of @2 (one ASCII character).
name_of() {
	local n=$1 c=${2:-n} s
	printf -v s '%*s' "$n" ''
	printf '%s' "${s// /$c}"
}

# The byte with code @1 (1..255), into the variable named @2.
byte_to() {
	printf -v "$2" "\\x$(printf %02x "$1")"
}

@test "lookup: existing names resolve, missing ones are ENOENT or ENOTDIR" {
	gfs_mount
	mkdir "$MNT/d"
	echo x >"$MNT/d/f"
	run gfs-sys open "$MNT/d/f" O_RDONLY
	assert_output OK
	run gfs-sys stat "$MNT/d/missing"
	assert_output ENOENT
	run gfs-sys open "$MNT/missing/f" O_RDONLY
	assert_output ENOENT
	run gfs-sys stat "$MNT/d/f/x"
	assert_output ENOTDIR
	run gfs-sys open "$MNT/d/f" O_RDONLY\|O_DIRECTORY
	assert_output ENOTDIR
	run gfs-sys open "$MNT/d/missing" O_WRONLY\|O_CREAT\|O_EXCL
	assert_output OK
	run gfs-sys open "$MNT/d/missing" O_WRONLY\|O_CREAT\|O_EXCL
	assert_output EEXIST
	# Same inode through different paths.
	assert_equal "$(ino "$MNT/d/f")" "$(ino "$MNT/d/../d/./f")"
	assert_equal "$(ino "$MNT/d/..")" "$(ino "$MNT")"
}

@test "mkdir: new directories have nlink 2; EEXIST and ENOENT" {
	gfs_mount
	run gfs-sys mkdir "$MNT/d" 0755
	assert_output OK
	run stat -c '%F %a %h %s' "$MNT/d"
	assert_output "directory 755 2 0"
	run gfs-sys mkdir "$MNT/d" 0755
	assert_output EEXIST
	touch "$MNT/f"
	run gfs-sys mkdir "$MNT/f" 0755
	assert_output EEXIST
	run gfs-sys mkdir "$MNT/nope/d" 0755
	assert_output ENOENT
	run gfs-sys mkdir "$MNT/f/d" 0755
	assert_output ENOTDIR
	run gfs-sys mkdir "$MNT/d/e" 0700
	assert_output OK
	run stat -c '%a %h' "$MNT/d/e"
	assert_output "700 2"
	run ls -A "$MNT/d/e"
	assert_output ""
}

@test "rmdir: empty directories go; ENOTEMPTY, ENOTDIR, ENOENT, EINVAL" {
	gfs_mount
	mkdir -p "$MNT/d/sub" "$MNT/e" "$MNT/g"
	touch "$MNT/f" "$MNT/g/file"
	run gfs-sys rmdir "$MNT/d"
	assert_output ENOTEMPTY
	run gfs-sys rmdir "$MNT/g"
	assert_output ENOTEMPTY
	run gfs-sys rmdir "$MNT/f"
	assert_output ENOTDIR
	run gfs-sys rmdir "$MNT/missing"
	assert_output ENOENT
	run gfs-sys rmdir "$MNT/e/."
	assert_output EINVAL
	run gfs-sys rmdir "$MNT/e"
	assert_output OK
	run gfs-sys stat "$MNT/e"
	assert_output ENOENT
	run gfs-sys rmdir "$MNT/d/sub"
	assert_output OK
	run gfs-sys rmdir "$MNT/d"
	assert_output OK
	run ls -A "$MNT"
	assert_output $'f\ng'
	# The name can be used again, for another type.
	run gfs-sys mknod "$MNT/d" reg 0644
	assert_output OK
	run stat -c %F "$MNT/d"
	assert_output "regular empty file"
}

@test "unlink: files go, EISDIR on directories, ENOENT, open files keep data" {
	gfs_mount
	mkdir "$MNT/d"
	echo data >"$MNT/f"
	echo kept >"$MNT/open"
	run gfs-sys unlink "$MNT/d"
	assert_output EISDIR
	run gfs-sys unlink "$MNT/missing"
	assert_output ENOENT
	run gfs-sys unlink "$MNT/d/missing"
	assert_output ENOENT
	run gfs-sys unlink "$MNT/f"
	assert_output OK
	run gfs-sys stat "$MNT/f"
	assert_output ENOENT
	run gfs-sys unlink "$MNT/f"
	assert_output ENOENT
	assert [ -d "$MNT/d" ]
	# An unlinked file stays readable and writable through an open fd.
	# (bats owns fd 3)
	exec 8<>"$MNT/open"
	rm "$MNT/open"
	run gfs-sys stat "$MNT/open"
	assert_output ENOENT
	run cat <&8
	assert_output kept
	echo more >&8
	run stat -L -c '%h %s' /dev/fd/8
	assert_output "0 10"
	exec 8>&-
	run ls -A "$MNT"
	assert_output d
	# A new file of the same name is a new, empty file.
	touch "$MNT/open"
	run stat -c %s "$MNT/open"
	assert_output 0
}

@test "mknod: regular files, FIFOs, sockets, char and block devices" {
	gfs_require_root
	gfs_mount
	umask 000
	run gfs-sys mknod "$MNT/reg" reg 0640
	assert_output OK
	run gfs-sys mknod "$MNT/fifo" fifo 0644
	assert_output OK
	run gfs-sys mknod "$MNT/sock" sock 0600
	assert_output OK
	run gfs-sys mknod "$MNT/chr" chr 0620 4 5
	assert_output OK
	run gfs-sys mknod "$MNT/blk" blk 0660 8 17
	assert_output OK
	# Large numbers: major 300 needs more than 8 bits, minor 70000
	# more than 16.
	run gfs-sys mknod "$MNT/big" chr 0600 300 70000
	assert_output OK
	run gfs-sys mknod "$MNT/fifo" fifo 0644
	assert_output EEXIST
	run stat -c '%n|%F|%a|%h|%s|%Hr:%Lr' "$MNT"/{reg,fifo,sock,chr,blk,big}
	assert_output - <<EOF
$MNT/reg|regular empty file|640|1|0|0:0
$MNT/fifo|fifo|644|1|0|0:0
$MNT/sock|socket|600|1|0|0:0
$MNT/chr|character special file|620|1|0|4:5
$MNT/blk|block special file|660|1|0|8:17
$MNT/big|character special file|600|1|0|300:70000
EOF
	gfs_remount
	run stat -c '%n|%F|%a|%Hr:%Lr' "$MNT"/{fifo,sock,chr,blk,big}
	assert_output - <<EOF
$MNT/fifo|fifo|644|0:0
$MNT/sock|socket|600|0:0
$MNT/chr|character special file|620|4:5
$MNT/blk|block special file|660|8:17
$MNT/big|character special file|600|300:70000
EOF
	# The FIFO works as one (data passes through the kernel only).
	(echo through >"$MNT/fifo") &
	local writer=$!
	run timeout 10 cat "$MNT/fifo"
	wait "$writer"
	assert_output through
}

@test "symlink and readlink: plain, dangling, EEXIST, EINVAL on non-links" {
	gfs_mount
	mkdir "$MNT/d"
	echo content >"$MNT/d/f"
	run gfs-sys symlink d/f "$MNT/rel"
	assert_output OK
	run gfs-sys symlink "$MNT/d" "$MNT/abs"
	assert_output OK
	run gfs-sys symlink nowhere/at/all "$MNT/dangling"
	assert_output OK
	run gfs-sys symlink x "$MNT/rel"
	assert_output EEXIST
	run gfs-sys readlink "$MNT/rel"
	assert_output "OK d/f"
	run gfs-sys readlink "$MNT/abs"
	assert_output "OK $MNT/d"
	run gfs-sys readlink "$MNT/d/f"
	assert_output EINVAL
	run gfs-sys readlink "$MNT/d"
	assert_output EINVAL
	run cat "$MNT/rel" "$MNT/abs/f"
	assert_output $'content\ncontent'
	run stat -c '%F %a %s %h' "$MNT/rel" "$MNT/dangling"
	assert_output $'symbolic link 777 3 1\nsymbolic link 777 14 1'
	run gfs-sys open "$MNT/dangling" O_RDONLY
	assert_output ENOENT
	run gfs-sys open "$MNT/rel" O_RDONLY\|O_NOFOLLOW
	assert_output ELOOP
	# Writing through a dangling link whose directory exists creates
	# the target.
	ln -s d/new "$MNT/tonew"
	echo created >"$MNT/tonew"
	run cat "$MNT/d/new"
	assert_output created
	# Removing a link leaves its target.
	rm "$MNT/rel"
	run cat "$MNT/d/f"
	assert_output content
	gfs_remount
	run gfs-sys readlink "$MNT/dangling"
	assert_output "OK nowhere/at/all"
	run gfs-sys readlink "$MNT/abs"
	assert_output "OK $MNT/d"
}

@test "symlink: targets of PATH_MAX-1 bytes work, PATH_MAX is ENAMETOOLONG" {
	gfs_mount
	local long comp
	# 4095 bytes: 15 components of 255 bytes, each with a slash, and one more.
	comp=$(name_of 255 a)
	long=
	for i in $(seq 15); do
		long+="$comp/"
	done
	long+=$(name_of 255 b)
	assert_equal "${#long}" 4095
	run gfs-sys symlink "$long" "$MNT/long"
	assert_output OK
	run gfs-sys readlink "$MNT/long"
	assert_output "OK $long"
	run stat -c %s "$MNT/long"
	assert_output 4095
	run gfs-sys symlink "${long}x" "$MNT/toolong"
	assert_output ENAMETOOLONG
	run gfs-sys stat "$MNT/toolong"
	assert_output ENOENT
	gfs_remount
	run gfs-sys readlink "$MNT/long"
	assert_output "OK $long"
}

@test "symlink: targets with odd bytes come back byte for byte" {
	gfs_mount
	local t all b i
	for t in ' lead and trail ' $'new\nline' $'tab\there' 'héllo wörld/日本語' \
		$'\xff\xfe\x80 not utf-8' '../../..//x//' '*?[]{}$`\"'"'" '-dash'; do
		rm -f "$MNT/l"
		run gfs-sys symlink "$t" "$MNT/l"
		assert_output OK
		run gfs-sys readlink "$MNT/l"
		assert_output "OK $t"
		run stat -c %s "$MNT/l"
		assert_output "$(printf '%s' "$t" | wc -c)"
	done
	# Every byte value but NUL, once.
	all=
	for i in $(seq 1 255); do
		byte_to "$i" b
		all+=$b
	done
	run gfs-sys symlink "$all" "$MNT/all"
	assert_output OK
	gfs_remount
	diff <(gfs-sys readlink "$MNT/all" | od -An -v -tx1) \
		<(printf 'OK %s\n' "$all" | od -An -v -tx1)
}

@test "hard links: nlink counts, shared inode, EPERM on directories, EEXIST" {
	gfs_mount
	mkdir "$MNT/d" "$MNT/e"
	echo data >"$MNT/f"
	run gfs-sys link "$MNT/f" "$MNT/g"
	assert_output OK
	run gfs-sys link "$MNT/f" "$MNT/d/h"
	assert_output OK
	run stat -c '%h %s' "$MNT/f" "$MNT/g" "$MNT/d/h"
	assert_output $'3 5\n3 5\n3 5'
	assert_equal "$(ino "$MNT/g")" "$(ino "$MNT/f")"
	assert_equal "$(ino "$MNT/d/h")" "$(ino "$MNT/f")"
	# A write through one name is seen through the others.
	echo more >>"$MNT/d/h"
	run cat "$MNT/g"
	assert_output $'data\nmore'
	run gfs-sys link "$MNT/d" "$MNT/dlink"
	assert_output EPERM
	run gfs-sys link "$MNT/f" "$MNT/g"
	assert_output EEXIST
	run gfs-sys link "$MNT/f" "$MNT/e"
	assert_output EEXIST
	run gfs-sys link "$MNT/missing" "$MNT/x"
	assert_output ENOENT
	run gfs-sys link "$MNT/f" "$MNT/missing/x"
	assert_output ENOENT
	run stat -c %h "$MNT/d" "$MNT/f"
	assert_output $'2\n3'
	run gfs-sys unlink "$MNT/g"
	assert_output OK
	run stat -c %h "$MNT/f" "$MNT/d/h"
	assert_output $'2\n2'
	gfs_remount
	run stat -c %h "$MNT/f" "$MNT/d/h"
	assert_output $'2\n2'
	run gfs-sys unlink "$MNT/f"
	assert_output OK
	run stat -c %h "$MNT/d/h"
	assert_output 1
}

@test "hard links: of symlinks, FIFOs and device nodes" {
	gfs_require_root
	gfs_mount
	ln -s target "$MNT/sl"
	mkfifo "$MNT/fifo"
	mknod "$MNT/chr" c 1 3
	run gfs-sys link "$MNT/sl" "$MNT/sl2"
	assert_output OK
	run gfs-sys link "$MNT/fifo" "$MNT/fifo2"
	assert_output OK
	run gfs-sys link "$MNT/chr" "$MNT/chr2"
	assert_output OK
	run stat -c '%F %h %Hr:%Lr' "$MNT/sl2" "$MNT/fifo2" "$MNT/chr2"
	assert_output $'symbolic link 2 0:0\nfifo 2 0:0\ncharacter special file 2 1:3'
	run gfs-sys readlink "$MNT/sl2"
	assert_output "OK target"
	rm "$MNT/sl"
	run gfs-sys readlink "$MNT/sl2"
	assert_output "OK target"
	run stat -c %h "$MNT/sl2"
	assert_output 1
}

@test "hard links: link, then unlink the original, keeps the data" {
	gfs_mount
	mkdir "$MNT/d"
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/ref"
	cp "$BATS_TEST_TMPDIR/ref" "$MNT/orig"
	ln "$MNT/orig" "$MNT/d/copy"
	rm "$MNT/orig"
	run stat -c '%h %s' "$MNT/d/copy"
	assert_output "1 300000"
	cmp "$BATS_TEST_TMPDIR/ref" "$MNT/d/copy"
	gfs_remount
	cmp "$BATS_TEST_TMPDIR/ref" "$MNT/d/copy"
	run stat -c '%h %s' "$MNT/d/copy"
	assert_output "1 300000"
	run gfs-sys stat "$MNT/orig"
	assert_output ENOENT
}

# bats test_tags=slow
@test "hard links: EMLINK at 65000 links, as ext4" {
	gfs_mount
	mkdir "$MNT/d"
	touch "$MNT/f"
	run python3 -c '
import os, sys
f, d = sys.argv[1], sys.argv[2]
n = 1
try:
    for i in range(70000):
        os.link(f, os.path.join(d, "l%d" % i))
        n += 1
    print("no limit")
except OSError as e:
    print(n, os.strerror(e.errno))' "$MNT/f" "$MNT/d"
	assert_output "65000 Too many links"
	assert_equal "$(nlink "$MNT/f")" 65000
	assert_equal "$(ls -f "$MNT/d" | wc -l)" 65001
	gfs_remount
	assert_equal "$(nlink "$MNT/d/l0")" 65000
	run gfs-sys link "$MNT/f" "$MNT/one-more"
	assert_output EMLINK
	rm "$MNT/d/l0"
	run gfs-sys link "$MNT/f" "$MNT/one-more"
	assert_output OK
	find "$MNT/d" -type f -delete
	assert_equal "$(nlink "$MNT/f")" 2
}

@test "directory nlink is 2 + subdirectories through mkdir, rmdir and renames" {
	gfs_mount
	assert_equal "$(nlink "$MNT")" 2
	mkdir "$MNT/p" "$MNT/q"
	assert_equal "$(nlink "$MNT")" 4
	mkdir "$MNT/p/a" "$MNT/p/b" "$MNT/p/c"
	touch "$MNT/p/file"
	ln -s a "$MNT/p/link"
	run stat -c %h "$MNT/p" "$MNT/q"
	assert_output $'5\n2'
	rmdir "$MNT/p/c"
	assert_equal "$(nlink "$MNT/p")" 4
	# Across parents: the source loses a link, the target gains one.
	mv "$MNT/p/b" "$MNT/q/b"
	run stat -c %h "$MNT/p" "$MNT/q" "$MNT"
	assert_output $'3\n3\n4'
	# Inside one parent: nothing changes.
	mv "$MNT/q/b" "$MNT/q/b2"
	assert_equal "$(nlink "$MNT/q")" 3
	# Over an empty directory in another parent: the target parent
	# keeps its count, the source parent loses one.
	mkdir "$MNT/q/empty"
	assert_equal "$(nlink "$MNT/q")" 4
	run gfs-sys rename "$MNT/p/a" "$MNT/q/empty"
	assert_output OK
	run stat -c %h "$MNT/p" "$MNT/q"
	assert_output $'2\n4'
	# Over an empty directory in the same parent: the parent loses one.
	run gfs-sys rename "$MNT/q/b2" "$MNT/q/empty"
	assert_output OK
	assert_equal "$(nlink "$MNT/q")" 3
	# A directory moved up to the root.
	mv "$MNT/q/empty" "$MNT/top"
	run stat -c %h "$MNT" "$MNT/q" "$MNT/top"
	assert_output $'5\n2\n2'
	# Files renamed over files change no directory count.
	touch "$MNT/q/x" "$MNT/top/y"
	mv "$MNT/q/x" "$MNT/top/y"
	run stat -c %h "$MNT" "$MNT/p" "$MNT/q" "$MNT/top"
	assert_output $'5\n2\n2\n2'
	gfs_remount
	run stat -c %h "$MNT" "$MNT/p" "$MNT/q" "$MNT/top"
	assert_output $'5\n2\n2\n2'
}

@test "directory nlink: deep trees agree with a count of subdirectories" {
	gfs_mount
	mkdir -p "$MNT"/t/{a,b,c}/{x,y}/{1,2,3}
	mv "$MNT/t/a/x" "$MNT/t/b/x2"
	mv "$MNT/t/c" "$MNT/t/b/x2/c"
	rmdir "$MNT/t/b/y/1"
	gfs_remount
	local d want got
	while IFS= read -r d; do
		want=$((2 + $(find "$d" -mindepth 1 -maxdepth 1 -type d | wc -l)))
		got=$(nlink "$d")
		[ "$got" -eq "$want" ] || fail "$d: nlink $got, expected $want"
	done < <(find "$MNT" -type d)
	# ".." of a moved directory is its new parent, in readdir too.
	assert_equal "$(ino "$MNT/t/b/x2/c/..")" "$(ino "$MNT/t/b/x2")"
	run sh -c "ls -fai '$MNT/t/b/x2/c' | awk '\$2 == \"..\" { print \$1 }'"
	assert_output "$(ino "$MNT/t/b/x2")"
}

@test "rename: plain, across directories, keeping inode and data" {
	gfs_mount
	mkdir "$MNT/a" "$MNT/b"
	echo one >"$MNT/a/f"
	local i
	i=$(ino "$MNT/a/f")
	run gfs-sys rename "$MNT/a/f" "$MNT/a/g"
	assert_output OK
	run gfs-sys rename "$MNT/a/g" "$MNT/b/h"
	assert_output OK
	run gfs-sys stat "$MNT/a/f"
	assert_output ENOENT
	run gfs-sys stat "$MNT/a/g"
	assert_output ENOENT
	assert_equal "$(ino "$MNT/b/h")" "$i"
	run cat "$MNT/b/h"
	assert_output one
	run ls -A "$MNT/a" "$MNT/b"
	assert_output - <<EOF
$MNT/a:

$MNT/b:
h
EOF
	# A directory with contents, renamed and moved.
	mkdir -p "$MNT/a/tree/sub"
	echo deep >"$MNT/a/tree/sub/file"
	run gfs-sys rename "$MNT/a/tree" "$MNT/b/moved"
	assert_output OK
	run cat "$MNT/b/moved/sub/file"
	assert_output deep
	# To itself: nothing happens.
	run gfs-sys rename "$MNT/b/h" "$MNT/b/h"
	assert_output OK
	run gfs-sys rename "$MNT/a/missing" "$MNT/a/x"
	assert_output ENOENT
	run gfs-sys rename "$MNT/b/h" "$MNT/missing/x"
	assert_output ENOENT
	gfs_remount
	run cat "$MNT/b/h" "$MNT/b/moved/sub/file"
	assert_output $'one\ndeep'
	run ls -A "$MNT/a"
	assert_output ""
}

@test "rename: over an existing file replaces it" {
	gfs_mount
	echo new >"$MNT/src"
	echo old >"$MNT/dst"
	ln "$MNT/dst" "$MNT/dst-link"
	local i
	i=$(ino "$MNT/src")
	run gfs-sys rename "$MNT/src" "$MNT/dst"
	assert_output OK
	run cat "$MNT/dst"
	assert_output new
	assert_equal "$(ino "$MNT/dst")" "$i"
	# The replaced inode lost one link and lives on through the other.
	run stat -c %h "$MNT/dst-link"
	assert_output 1
	run cat "$MNT/dst-link"
	assert_output old
	run ls -A "$MNT"
	assert_output $'dst\ndst-link'
	# Replaced while open: the old data stays readable through the fd.
	echo victim >"$MNT/v"
	echo winner >"$MNT/w"
	exec 8<"$MNT/v"
	mv "$MNT/w" "$MNT/v"
	run cat <&8
	assert_output victim
	exec 8<&-
	run cat "$MNT/v"
	assert_output winner
	gfs_remount
	run cat "$MNT/dst" "$MNT/dst-link" "$MNT/v"
	assert_output $'new\nold\nwinner'
}

@test "rename: directories over empty and non-empty directories" {
	gfs_mount
	mkdir -p "$MNT/src/sub" "$MNT/empty" "$MNT/full/x"
	echo s >"$MNT/src/sub/f"
	run gfs-sys rename "$MNT/src" "$MNT/full"
	assert_output ENOTEMPTY
	# Nothing moved.
	run cat "$MNT/src/sub/f"
	assert_output s
	assert [ -d "$MNT/full/x" ]
	run gfs-sys rename "$MNT/src" "$MNT/empty"
	assert_output OK
	run cat "$MNT/empty/sub/f"
	assert_output s
	run gfs-sys stat "$MNT/src"
	assert_output ENOENT
	run ls -A "$MNT"
	assert_output $'empty\nfull'
	assert_equal "$(nlink "$MNT")" 4
}

@test "rename: ENOTDIR, EISDIR, EINVAL into own subtree, ENOTEMPTY onto an ancestor" {
	gfs_mount
	mkdir -p "$MNT/d/sub/deeper" "$MNT/e"
	touch "$MNT/f"
	run gfs-sys rename "$MNT/d" "$MNT/f"
	assert_output ENOTDIR
	run gfs-sys rename "$MNT/e" "$MNT/f"
	assert_output ENOTDIR
	run gfs-sys rename "$MNT/f" "$MNT/e"
	assert_output EISDIR
	run gfs-sys rename "$MNT/d" "$MNT/d/sub/x"
	assert_output EINVAL
	run gfs-sys rename "$MNT/d" "$MNT/d/sub/deeper/x"
	assert_output EINVAL
	run gfs-sys rename "$MNT/d" "$MNT/d/x"
	assert_output EINVAL
	run gfs-sys rename "$MNT/d/sub/deeper" "$MNT/d"
	assert_output ENOTEMPTY
	run gfs-sys rename "$MNT/f" "$MNT/f/x"
	assert_output ENOTDIR
	# Everything is where it was.
	run find "$MNT" -mindepth 1
	assert_output - <<EOF
$MNT/d
$MNT/d/sub
$MNT/d/sub/deeper
$MNT/e
$MNT/f
EOF
	run stat -c '%F %h' "$MNT/d" "$MNT/e" "$MNT/f"
	assert_output $'directory 3\ndirectory 2\nregular empty file 1'
}

@test "rename: RENAME_NOREPLACE gives EEXIST and changes nothing" {
	gfs_mount
	echo a >"$MNT/a"
	echo b >"$MNT/b"
	mkdir "$MNT/d" "$MNT/e"
	run gfs-sys rename "$MNT/a" "$MNT/b" noreplace
	assert_output EEXIST
	run gfs-sys rename "$MNT/d" "$MNT/e" noreplace
	assert_output EEXIST
	run gfs-sys rename "$MNT/a" "$MNT/d" noreplace
	assert_output EEXIST
	run cat "$MNT/a" "$MNT/b"
	assert_output $'a\nb'
	run gfs-sys rename "$MNT/a" "$MNT/d/a" noreplace
	assert_output OK
	run gfs-sys rename "$MNT/e" "$MNT/d/e" noreplace
	assert_output OK
	run cat "$MNT/d/a"
	assert_output a
	run stat -c %h "$MNT" "$MNT/d"
	assert_output $'3\n3'
}

@test "rename: RENAME_EXCHANGE swaps files and directories" {
	gfs_mount
	echo one >"$MNT/f1"
	echo two >"$MNT/f2"
	local i1 i2
	i1=$(ino "$MNT/f1")
	i2=$(ino "$MNT/f2")
	run gfs-sys rename "$MNT/f1" "$MNT/f2" exchange
	assert_output OK
	run cat "$MNT/f1" "$MNT/f2"
	assert_output $'two\none'
	assert_equal "$(ino "$MNT/f1")" "$i2"
	assert_equal "$(ino "$MNT/f2")" "$i1"
	mkdir -p "$MNT/d1/x" "$MNT/d2/y/z"
	run gfs-sys rename "$MNT/d1" "$MNT/d2" exchange
	assert_output OK
	assert [ -d "$MNT/d1/y/z" ]
	assert [ -d "$MNT/d2/x" ]
	run stat -c %h "$MNT" "$MNT/d1" "$MNT/d2"
	assert_output $'4\n3\n3'
	run gfs-sys rename "$MNT/f1" "$MNT/missing" exchange
	assert_output ENOENT
	run gfs-sys rename "$MNT/missing" "$MNT/f1" exchange
	assert_output ENOENT
	run gfs-sys rename "$MNT/f1" "$MNT/f2" noreplace
	assert_output EEXIST
	gfs_remount
	run cat "$MNT/f1" "$MNT/f2"
	assert_output $'two\none'
	assert [ -d "$MNT/d1/y/z" ]
}

@test "rename: RENAME_EXCHANGE of a file and a directory across parents" {
	gfs_mount
	mkdir -p "$MNT/p/dir/sub1" "$MNT/p/dir/sub2" "$MNT/q/other"
	echo f >"$MNT/q/file"
	run stat -c %h "$MNT/p" "$MNT/q"
	assert_output $'3\n3'
	run gfs-sys rename "$MNT/p/dir" "$MNT/q/file" exchange
	assert_output OK
	run stat -c '%F %h' "$MNT/p/dir" "$MNT/q/file"
	assert_output $'regular file 1\ndirectory 4'
	run cat "$MNT/p/dir"
	assert_output f
	# p lost its subdirectory, q gained one.
	run stat -c %h "$MNT/p" "$MNT/q"
	assert_output $'2\n4'
	assert_equal "$(ino "$MNT/q/file/..")" "$(ino "$MNT/q")"
	run sh -c "ls -fai '$MNT/q/file' | awk '\$2 == \"..\" { print \$1 }'"
	assert_output "$(ino "$MNT/q")"
	# Exchanging a directory with its own descendant is refused.
	run gfs-sys rename "$MNT/q" "$MNT/q/file/sub1" exchange
	assert_output EINVAL
	run gfs-sys rename "$MNT/q/file/sub1" "$MNT/q" exchange
	assert_output EINVAL
	gfs_remount
	run stat -c '%F %h' "$MNT/p" "$MNT/q" "$MNT/p/dir" "$MNT/q/file"
	assert_output $'directory 2\ndirectory 4\nregular file 1\ndirectory 4'
	assert [ -d "$MNT/q/file/sub1" ]
}

@test "rename: RENAME_WHITEOUT is EINVAL and changes nothing" {
	gfs_require_root
	gfs_mount
	echo a >"$MNT/a"
	run gfs-sys rename "$MNT/a" "$MNT/b" whiteout
	assert_output EINVAL
	run cat "$MNT/a"
	assert_output a
	run ls -A "$MNT"
	assert_output a
}

@test "rename: onto another hard link of the same inode is a no-op" {
	gfs_mount
	mkdir "$MNT/d"
	echo x >"$MNT/a"
	ln "$MNT/a" "$MNT/b"
	ln "$MNT/a" "$MNT/d/c"
	run gfs-sys rename "$MNT/a" "$MNT/b"
	assert_output OK
	run gfs-sys rename "$MNT/d/c" "$MNT/a"
	assert_output OK
	run stat -c %h "$MNT/a" "$MNT/b" "$MNT/d/c"
	assert_output $'3\n3\n3'
	run ls -A "$MNT" "$MNT/d"
	assert_output - <<EOF
$MNT:
a
b
d

$MNT/d:
c
EOF
	gfs_remount
	run stat -c %h "$MNT/a" "$MNT/b" "$MNT/d/c"
	assert_output $'3\n3\n3'
}

@test "names: 255 bytes work everywhere" {
	gfs_mount
	local n255 u255
	n255=$(name_of 255 n)
	# 85 three-byte UTF-8 characters: 255 bytes.
	u255=$(name_of 85 '€')
	assert_equal "$(printf '%s' "$u255" | wc -c)" 255
	mkdir "$MNT/d"
	run gfs-sys open "$MNT/$n255" O_WRONLY\|O_CREAT
	assert_output OK
	run gfs-sys mkdir "$MNT/d/$n255" 0755
	assert_output OK
	run gfs-sys link "$MNT/$n255" "$MNT/d/$n255/$n255"
	assert_output OK
	run gfs-sys symlink "$n255" "$MNT/d/$u255"
	assert_output OK
	run gfs-sys mknod "$MNT/d/$n255/${u255}" fifo 0644
	assert_output OK
	run gfs-sys rename "$MNT/d/$n255/$u255" "$MNT/d/$n255/$(name_of 255 r)"
	assert_output OK
	run stat -c %F "$MNT/d/$u255" "$MNT/d/$n255/$(name_of 255 r)"
	assert_output $'symbolic link\nfifo'
	run stat -c %h "$MNT/$n255"
	assert_output 2
	gfs_remount
	run ls "$MNT/d/$n255"
	assert_output "$(printf '%s\n' "$n255" "$(name_of 255 r)")"
	run ls "$MNT/d"
	assert_output "$(printf '%s\n' "$n255" "$u255")"
	run gfs-sys readlink "$MNT/d/$u255"
	assert_output "OK $n255"
}

@test "names: 256 bytes give ENAMETOOLONG for every operation" {
	gfs_mount
	local n256
	n256=$(name_of 256 n)
	touch "$MNT/f"
	mkdir "$MNT/d"
	run gfs-sys open "$MNT/$n256" O_WRONLY\|O_CREAT
	assert_output ENAMETOOLONG
	run gfs-sys mkdir "$MNT/$n256" 0755
	assert_output ENAMETOOLONG
	run gfs-sys mknod "$MNT/$n256" fifo 0644
	assert_output ENAMETOOLONG
	run gfs-sys rename "$MNT/f" "$MNT/$n256"
	assert_output ENAMETOOLONG
	run gfs-sys rename "$MNT/d" "$MNT/$n256"
	assert_output ENAMETOOLONG
	run gfs-sys link "$MNT/f" "$MNT/$n256"
	assert_output ENAMETOOLONG
	run gfs-sys symlink f "$MNT/$n256"
	assert_output ENAMETOOLONG
	run gfs-sys stat "$MNT/$n256"
	assert_output ENAMETOOLONG
	run gfs-sys stat "$MNT/d/$n256/x"
	assert_output ENAMETOOLONG
	run gfs-sys unlink "$MNT/$n256"
	assert_output ENAMETOOLONG
	run gfs-sys rmdir "$MNT/$n256"
	assert_output ENAMETOOLONG
	run ls -A "$MNT"
	assert_output $'d\nf'
}

@test "names: every byte but NUL and '/' round-trips through readdir" {
	gfs_mount
	mkdir "$MNT/d"
	local i b name names=()
	for i in $(seq 1 255); do
		[ "$i" -eq 47 ] && continue
		byte_to "$i" b
		names+=("x${b}y" "$b$b")
	done
	names+=(' ' '  two  ' $'\n' $'line1\nline2' '-n' '...' '.hidden'
		'Abc' 'abc' 'ABC' $'caf\xc3\xa9' $'cafe\xcc\x81' '日本語のファイル'
		'emoji 😀' $'\xff\xfe' $'\xc0\xaf' '\' '*' '?' '"' "'" 'a b c')
	for name in "${names[@]}"; do
		[ "$name" = .. ] && continue
		printf '%s' "$name" >"$MNT/d/$name" || fail "cannot create '$name'"
	done
	check_names() {
		local name got
		diff <(find "$MNT/d" -mindepth 1 -printf '%f\0' | sort -z | od -An -v -c) \
			<(printf '%s\0' "${names[@]}" | grep -zvx '\.\.' | sort -z | od -An -v -c) ||
			fail "readdir differs from the names created"
		# Each name finds its own file: lookups match exactly.
		for name in "${names[@]}"; do
			[ "$name" = .. ] && continue
			got=$(cat "$MNT/d/$name"; echo .)
			[ "${got%.}" = "$name" ] || fail "lookup of '$name' found '${got%.}'"
		done
	}
	check_names
	assert_equal "$(ls -A "$MNT/d" | wc -l)" "$(find "$MNT/d" -mindepth 1 | wc -l)"
	# No case folding, no Unicode normalization.
	local nfc=$'caf\xc3\xa9' nfd=$'cafe\xcc\x81'
	[ "$(ino "$MNT/d/abc")" != "$(ino "$MNT/d/Abc")" ] || fail "abc is Abc"
	[ "$(ino "$MNT/d/$nfc")" != "$(ino "$MNT/d/$nfd")" ] || fail "NFC is NFD"
	gfs_remount
	check_names
}

# bats test_tags=slow
@test "readdir: 5000 entries, each listed exactly once by ls and find" {
	gfs_mount
	mkdir "$MNT/big"
	(cd "$MNT/big" && seq -f 'entry-%05g-with-a-name-long-enough-to-fill-pages' 1 5000 | xargs touch)
	mkdir "$MNT/big/subdir"
	seq -f 'entry-%05g-with-a-name-long-enough-to-fill-pages' 1 5000 >"$BATS_TEST_TMPDIR/want"
	echo subdir >>"$BATS_TEST_TMPDIR/want"
	sort -o "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/want"
	check_listing() {
		ls "$MNT/big" >"$BATS_TEST_TMPDIR/ls"
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/ls" || fail "ls differs"
		# Unsorted, as the daemon returns them: no duplicates.
		ls -f "$MNT/big" | sort >"$BATS_TEST_TMPDIR/lsf"
		diff <(printf '.\n..\n' | cat - "$BATS_TEST_TMPDIR/want" | sort) \
			"$BATS_TEST_TMPDIR/lsf" || fail "ls -f differs"
		find "$MNT/big" -mindepth 1 -printf '%f\n' | sort >"$BATS_TEST_TMPDIR/find"
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/find" || fail "find differs"
		run find "$MNT/big" -mindepth 1 -type d
		assert_output "$MNT/big/subdir"
	}
	check_listing
	gfs_remount
	check_listing
	# Every other entry removed: the rest are still listed once.
	(cd "$MNT/big" && seq -f 'entry-%05g-with-a-name-long-enough-to-fill-pages' 1 2 5000 | xargs rm)
	seq -f 'entry-%05g-with-a-name-long-enough-to-fill-pages' 2 2 5000 >"$BATS_TEST_TMPDIR/want"
	echo subdir >>"$BATS_TEST_TMPDIR/want"
	sort -o "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/want"
	check_listing
}

@test "readdir: entries added and removed while listing are not repeated" {
	gfs_mount
	mkdir "$MNT/d"
	run python3 - "$MNT/d" <<'PY'
import os, sys
d = sys.argv[1]
stable = ["s%04d" % i for i in range(1500)]
for n in stable:
    open(os.path.join(d, n), "w").close()
problems = []
made = 0
for rnd in range(4):
    seen = []
    transient = []
    with os.scandir(d) as it:
        for e in it:
            seen.append(e.name)
            if len(seen) % 40 == 0:
                for k in range(8):
                    name = "t%d-%d" % (rnd, made)
                    made += 1
                    open(os.path.join(d, name), "w").close()
                    transient.append(name)
                # Remove some made earlier in this round, read or not.
                for name in transient[:5]:
                    os.unlink(os.path.join(d, name))
                del transient[:5]
    dups = sorted({n for n in seen if seen.count(n) > 1})
    missing = sorted(set(stable) - set(seen))
    if dups:
        problems.append("round %d: repeated %s" % (rnd, dups[:5]))
    if missing:
        problems.append("round %d: missing %s" % (rnd, missing[:5]))
    for name in transient:
        os.unlink(os.path.join(d, name))
left = sorted(set(os.listdir(d)) - set(stable))
if left:
    problems.append("left over: %s" % left[:5])
print("\n".join(problems) if problems else "OK")
PY
	assert_output OK
}

@test "readdir: listings stay whole while another process changes the directory" {
	gfs_mount
	mkdir "$MNT/d"
	(cd "$MNT/d" && seq -f 'stable-%04g' 1 1000 | xargs touch)
	seq -f 'stable-%04g' 1 1000 >"$BATS_TEST_TMPDIR/want"
	(
		for i in $(seq 1 300); do
			touch "$MNT/d/churn-$i-a" "$MNT/d/churn-$i-b"
			mv "$MNT/d/churn-$i-a" "$MNT/d/churn-$i-c"
			rm -f "$MNT/d/churn-$((i - 1))-b" "$MNT/d/churn-$((i - 1))-c"
		done
	) &
	local churn=$! i
	for i in $(seq 1 40); do
		ls -f "$MNT/d" >"$BATS_TEST_TMPDIR/got" || fail "ls failed"
		grep '^stable-' "$BATS_TEST_TMPDIR/got" | sort >"$BATS_TEST_TMPDIR/stable"
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/stable" ||
			fail "listing $i lost or repeated stable entries"
		run sh -c "sort '$BATS_TEST_TMPDIR/got' | uniq -d"
		assert_output ""
	done
	wait "$churn"
	run sh -c "ls '$MNT/d' | grep -v '^stable-'"
	assert_output $'churn-300-b\nchurn-300-c'
}

@test "readdir: cache=always listings follow changes made through the mount" {
	gfs_mount -o cache=always
	mkdir "$MNT/d"
	touch "$MNT/d/a" "$MNT/d/b"
	run ls "$MNT/d"
	assert_output $'a\nb'
	touch "$MNT/d/c"
	rm "$MNT/d/a"
	run ls "$MNT/d"
	assert_output $'b\nc'
	mv "$MNT/d/b" "$MNT/d/z"
	mkdir "$MNT/d/sub"
	run ls "$MNT/d"
	assert_output $'c\nsub\nz'
}

@test "readdir: d_ino and d_type agree with lstat for every file type" {
	gfs_require_root
	gfs_mount
	mkdir -p "$MNT/d/sub"
	touch "$MNT/d/reg"
	ln -s reg "$MNT/d/sym"
	mkfifo "$MNT/d/fifo"
	mknod "$MNT/d/chr" c 1 3
	mknod "$MNT/d/blk" b 7 0
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$MNT/d/sock"
	ln "$MNT/d/reg" "$MNT/d/hard"
	check_dirents() {
		python3 - "$1" <<'PY'
import ctypes, os, stat, sys

class Dirent(ctypes.Structure):
    _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64),
                ("d_reclen", ctypes.c_ushort), ("d_type", ctypes.c_ubyte),
                ("d_name", ctypes.c_char * 256)]

libc = ctypes.CDLL(None, use_errno=True)
libc.opendir.restype = ctypes.c_void_p
libc.opendir.argtypes = [ctypes.c_char_p]
libc.readdir.restype = ctypes.POINTER(Dirent)
libc.readdir.argtypes = [ctypes.c_void_p]
libc.closedir.argtypes = [ctypes.c_void_p]
d = os.fsencode(sys.argv[1])
h = libc.opendir(d)
out = []
while True:
    e = libc.readdir(h)
    if not e:
        break
    name = e.contents.d_name
    st = os.lstat(os.path.join(d, name))
    ok_ino = e.contents.d_ino == st.st_ino
    ok_type = e.contents.d_type == stat.S_IFMT(st.st_mode) >> 12
    out.append("%s %s %s" % (name.decode(), "ino" if ok_ino else "BAD-INO",
                            "type" if ok_type else "BAD-TYPE(%d)" % e.contents.d_type))
libc.closedir(h)
print("\n".join(sorted(out)))
PY
	}
	run check_dirents "$MNT/d"
	assert_output - <<EOF
. ino type
.. ino type
blk ino type
chr ino type
fifo ino type
hard ino type
reg ino type
sock ino type
sub ino type
sym ino type
EOF
	gfs_remount
	run check_dirents "$MNT/d"
	refute_output --partial BAD
	assert_equal "${#lines[@]}" 10
	run check_dirents "$MNT/d/sub"
	assert_output $'. ino type\n.. ino type'
}

@test "readdir: telldir and seekdir resume at the same entry" {
	gfs_mount
	mkdir "$MNT/d"
	(cd "$MNT/d" && seq -f 'name-%04g-padding-padding-padding-padding' 1 600 | xargs touch)
	run perl -e '
		opendir(my $d, $ARGV[0]) or die "opendir: $!";
		my @head = map { scalar readdir($d) } 1 .. 250;
		my $pos = telldir($d);
		my @rest = readdir($d);
		# Remove entries already read: the position stays valid.
		unlink("$ARGV[0]/$head[100]") or die "unlink: $!";
		unlink("$ARGV[0]/$head[249]") or die "unlink: $!";
		seekdir($d, $pos);
		my @again = readdir($d);
		print "differs\n" if "@rest" ne "@again";
		my %n;
		$n{$_}++ for @head, @rest;
		print "repeated $_\n" for grep { $n{$_} > 1 } sort keys %n;
		print scalar(keys %n), "\n";
		rewinddir($d);
		my @all = readdir($d);
		print scalar(@all), "\n";
	' "$MNT/d"
	assert_output $'602\n600'
}

@test "rmdir of the working directory: creating in it gives ENOENT" {
	gfs_mount
	mkdir "$MNT/d"
	cd "$MNT/d"
	rmdir "$MNT/d"
	run gfs-sys open x O_WRONLY\|O_CREAT
	assert_output ENOENT
	run gfs-sys mkdir y 0755
	assert_output ENOENT
	run gfs-sys symlink t z
	assert_output ENOENT
	cd /
	run ls -A "$MNT"
	assert_output ""
	assert_equal "$(nlink "$MNT")" 2
}

# Inodes in use, as statfs reports them: files minus free files.
used_inodes() {
	stat -f -c '%c %d' "$MNT" | awk '{ print $1 - $2 }'
}

# Waits (up to 5 s) until used_inodes is @1.
wait_used() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(used_inodes)" -eq "$1" ] && return 0
		sleep 0.05
	done
	fail "statfs reports $(used_inodes) inodes in use, expected $1"
}

@test "unlinked inodes are reclaimed once nothing holds them" {
	gfs_mount
	local base
	base=$(used_inodes)
	mkdir "$MNT/d"
	(cd "$MNT/d" && seq -f 'f%g' 1 100 | xargs touch)
	echo x >"$MNT/keep"
	ln "$MNT/keep" "$MNT/d/keep2"
	wait_used $((base + 102))
	rm -r "$MNT/d"
	wait_used $((base + 1))
	# Open and unlinked: still there until closed.
	exec 8<"$MNT/keep"
	rm "$MNT/keep"
	wait_used $((base + 1))
	exec 8<&-
	wait_used "$base"
	# Replaced by rename: the old inode goes.
	echo a >"$MNT/a"
	echo b >"$MNT/b"
	mv "$MNT/a" "$MNT/b"
	wait_used $((base + 1))
	# Replaced by an exchange: both stay.
	echo c >"$MNT/c"
	gfs-sys rename "$MNT/b" "$MNT/c" exchange
	wait_used $((base + 2))
	gfs_remount
	wait_used $((base + 2))
	rm "$MNT/b" "$MNT/c"
	wait_used "$base"
}

@test "concurrent mkdir, rename and rmdir keep names unique and nlink exact" {
	gfs_mount
	mkdir "$MNT/p" "$MNT/q"
	# (set -e is on in the workers: every expected failure needs || :)
	local pids=() w i
	for w in 1 2 3 4; do
		(for i in $(seq 1 150); do gfs-sys mkdir "$MNT/p/n$i" 0755 || :; done) \
			>"$BATS_TEST_TMPDIR/mkdir.$w" &
		pids+=($!)
	done
	wait "${pids[@]}"
	# Each name was created exactly once.
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/mkdir.* | grep -c '^OK$')" 150
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/mkdir.* | grep -c '^EEXIST$')" 450
	assert_equal "$(nlink "$MNT/p")" 152
	# Two movers in opposite directions, racing on the same names.
	pids=()
	(for i in $(seq 1 150); do gfs-sys rename "$MNT/p/n$i" "$MNT/q/n$i" || :; done) >/dev/null &
	pids+=($!)
	(for i in $(seq 150 -1 1); do gfs-sys rename "$MNT/q/n$i" "$MNT/p/n$i" || :; done) >/dev/null &
	pids+=($!)
	(for i in $(seq 1 2 150); do gfs-sys rename "$MNT/p/n$i" "$MNT/p/m$i" || :; done) >/dev/null &
	pids+=($!)
	wait "${pids[@]}"
	local np nq
	np=$(find "$MNT/p" -mindepth 1 -maxdepth 1 -type d | wc -l)
	nq=$(find "$MNT/q" -mindepth 1 -maxdepth 1 -type d | wc -l)
	assert_equal $((np + nq)) 150
	assert_equal "$(nlink "$MNT/p")" $((2 + np))
	assert_equal "$(nlink "$MNT/q")" $((2 + nq))
	# Each number is in exactly one place, under one name.
	run sh -c "ls '$MNT/p' '$MNT/q' | grep -v : | grep . | tr -d nm | sort -n | uniq -d"
	assert_output ""
	# Two removers racing over everything.
	pids=()
	for w in 1 2; do
		(for i in $(seq 1 150); do
			gfs-sys rmdir "$MNT/p/n$i" || :; gfs-sys rmdir "$MNT/q/n$i" || :
			gfs-sys rmdir "$MNT/p/m$i" || :; gfs-sys rmdir "$MNT/q/m$i" || :
		done) >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	run ls -A "$MNT/p" "$MNT/q"
	assert_output - <<EOF
$MNT/p:

$MNT/q:
EOF
	run stat -c %h "$MNT" "$MNT/p" "$MNT/q"
	assert_output $'4\n2\n2'
	gfs_remount
	run stat -c %h "$MNT" "$MNT/p" "$MNT/q"
	assert_output $'4\n2\n2'
}

# A fixed sequence of namespace changes, and what the tree looks like
# after it, whatever the kernel caches.
ns_sequence() {
	mkdir -p "$MNT/a/b" "$MNT/c"
	echo 1 >"$MNT/a/f"
	ln "$MNT/a/f" "$MNT/c/f-link"
	ln -s ../a/f "$MNT/c/sym"
	stat "$MNT/a/f" "$MNT/c/f-link" >/dev/null
	mv "$MNT/a/b" "$MNT/c/b"
	mv "$MNT/c/f-link" "$MNT/c/b/f-moved"
	gfs-sys rename "$MNT/a" "$MNT/c/b" exchange >/dev/null
	rm "$MNT/c/b/f"
	gfs-sys stat "$MNT/a/f" || true
	touch "$MNT/a/f"
	mkdir "$MNT/c/b/new"
	rmdir "$MNT/c/b/new"
	(cd "$MNT" && find . -printf '%p %y %n %s %l\n' | sort)
}

@test "the same namespace sequence gives the same tree in every cache mode" {
	local mode
	for mode in auto always never; do
		rm -f "$STORE"
		gfs_mount -o cache=$mode
		ns_sequence >"$BATS_TEST_TMPDIR/$mode"
		gfs_remount -o cache=$mode
		(cd "$MNT" && find . -printf '%p %y %n %s %l\n' | sort) \
			>"$BATS_TEST_TMPDIR/$mode.remounted"
		gfs_umount
	done
	run cat "$BATS_TEST_TMPDIR/auto"
	assert_output - <<'EOF'
ENOENT
. d 4 0 
./a d 2 0 
./a/f f 1 0 
./a/f-moved f 1 2 
./c d 3 0 
./c/b d 2 0 
./c/sym l 1 6 ../a/f
EOF
	diff "$BATS_TEST_TMPDIR/auto" "$BATS_TEST_TMPDIR/always"
	diff "$BATS_TEST_TMPDIR/auto" "$BATS_TEST_TMPDIR/never"
	for mode in auto always never; do
		diff <(sed 1d "$BATS_TEST_TMPDIR/$mode") "$BATS_TEST_TMPDIR/$mode.remounted"
	done
}

# A tree with every kind of inode, and a description of it that leaves
# out times (12-attrs checks those).
make_tree() {
	mkdir -p "$MNT/top/a/b/c" "$MNT/top/empty" "$MNT/other"
	head -c 200000 /dev/urandom >"$MNT/top/a/big"
	echo small >"$MNT/top/a/b/small"
	: >"$MNT/top/zero"
	ln "$MNT/top/a/big" "$MNT/other/big-link"
	ln -s ../top/a/b/small "$MNT/other/sym"
	ln -s /nowhere "$MNT/other/dangling"
	mkfifo -m 0600 "$MNT/top/fifo"
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$MNT/top/sock"
	mknod "$MNT/top/chr" c 10 200
	mknod "$MNT/top/blk" b 7 3
	printf 'odd\n' >"$MNT/top/sp ace"$'\nnew\xffline'
	chmod 1777 "$MNT/top/empty"
	chmod 0604 "$MNT/top/zero"
	mv "$MNT/top/a/b/c" "$MNT/other/c-moved"
}

describe_tree() {
	(cd "$MNT" && find . -printf '%p|%y|%m|%n|%s|%U|%G|%i|%l\n' | sort)
	(cd "$MNT" && find . -type f -exec md5sum {} + | sort)
	stat -c '%n %Hr:%Lr' "$MNT/top/chr" "$MNT/top/blk"
}

@test "remount: a tree of every inode type comes back identical" {
	gfs_require_root
	gfs_mount
	make_tree
	describe_tree >"$BATS_TEST_TMPDIR/before"
	gfs_remount
	describe_tree >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	grep -q '^./top/fifo|p|600|1|0|' "$BATS_TEST_TMPDIR/after"
	grep -q '^./top/sock|s|' "$BATS_TEST_TMPDIR/after"
	grep -q '^./top/a/big|f|644|2|200000|' "$BATS_TEST_TMPDIR/after"
	grep -q '^./other/sym|l|777|1|16|0|0|[0-9]*|../top/a/b/small$' "$BATS_TEST_TMPDIR/after"
	grep -qx "$MNT/top/chr 10:200" "$BATS_TEST_TMPDIR/after"
	# A second remount after more changes.
	rm -r "$MNT/top/a/b"
	mv "$MNT/other" "$MNT/top/empty/other"
	describe_tree >"$BATS_TEST_TMPDIR/before"
	gfs_remount
	describe_tree >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

# mtime and ctime of @1, with nanoseconds.
mc() {
	stat -c '%.9Y %.9Z' "$1"
}

# Runs "$@" and checks that mtime and ctime of each directory in DIRS
# changed (both, and to the same instant as each other).
DIRS=()
changes_dirs() {
	local -a before=() after
	local d i t
	for d in "${DIRS[@]}"; do
		before+=("$(mc "$d")")
	done
	sleep 0.02
	"$@" || fail "command failed: $*"
	i=0
	for d in "${DIRS[@]}"; do
		t=$(mc "$d")
		read -r -a after <<<"$t"
		[ "$t" != "${before[$i]}" ] || fail "$*: times of $d unchanged"
		[ "${after[0]}" != "${before[$i]%% *}" ] || fail "$*: mtime of $d unchanged"
		[ "${after[1]}" != "${before[$i]##* }" ] || fail "$*: ctime of $d unchanged"
		i=$((i + 1))
	done
}

@test "parent directory mtime and ctime change on create, unlink and rename" {
	gfs_require_root
	gfs_mount
	mkdir "$MNT/p" "$MNT/q"
	DIRS=("$MNT/p")
	changes_dirs touch "$MNT/p/f"
	changes_dirs mkdir "$MNT/p/d"
	changes_dirs mknod "$MNT/p/n" c 1 3
	changes_dirs mkfifo "$MNT/p/fifo"
	changes_dirs ln -s x "$MNT/p/s"
	changes_dirs ln "$MNT/p/f" "$MNT/p/h"
	changes_dirs mv "$MNT/p/h" "$MNT/p/h2"
	changes_dirs rm "$MNT/p/h2"
	changes_dirs rmdir "$MNT/p/d"
	changes_dirs rm "$MNT/p/fifo"
	DIRS=("$MNT/p" "$MNT/q")
	changes_dirs mv "$MNT/p/f" "$MNT/q/f"
	changes_dirs mv "$MNT/q/f" "$MNT/p/f"
	mkdir "$MNT/q/d"
	changes_dirs gfs-sys rename "$MNT/q/d" "$MNT/p/d"
	touch "$MNT/q/g"
	changes_dirs gfs-sys rename "$MNT/p/f" "$MNT/q/g" exchange
	DIRS=("$MNT/q")
	changes_dirs mv "$MNT/p/f" "$MNT/q/g"
	# The linked-to file's parent does not change on link.
	local before
	before=$(mc "$MNT/q")
	sleep 0.02
	ln "$MNT/q/g" "$MNT/p/g2"
	assert_equal "$(mc "$MNT/q")" "$before"
	gfs_remount
	assert_equal "$(mc "$MNT/q")" "$before"
}

@test "parent directory times do not change on lookup, readdir or failed operations" {
	gfs_mount
	mkdir -p "$MNT/p/d"
	touch "$MNT/p/f" "$MNT/p/d/x"
	local before
	before=$(mc "$MNT/p")
	sleep 0.02
	stat "$MNT/p/f" >/dev/null
	ls -la "$MNT/p" >/dev/null
	cat "$MNT/p/f"
	run gfs-sys rmdir "$MNT/p/d"
	assert_output ENOTEMPTY
	run gfs-sys mkdir "$MNT/p/f" 0755
	assert_output EEXIST
	run gfs-sys rename "$MNT/p/f" "$MNT/p/d"
	assert_output EISDIR
	run gfs-sys unlink "$MNT/p/missing"
	assert_output ENOENT
	assert_equal "$(mc "$MNT/p")" "$before"
}

@test "renamed inodes get a new ctime, their mtime is kept" {
	gfs_mount
	mkdir "$MNT/p" "$MNT/q" "$MNT/p/d"
	touch "$MNT/p/f"
	local f d
	f=$(mc "$MNT/p/f")
	d=$(mc "$MNT/p/d")
	sleep 0.02
	mv "$MNT/p/f" "$MNT/q/f"
	mv "$MNT/p/d" "$MNT/q/d"
	run stat -c %.9Y "$MNT/q/f" "$MNT/q/d"
	assert_output "${f%% *}"$'\n'"${d%% *}"
	[ "$(stat -c %.9Z "$MNT/q/f")" != "${f##* }" ] || fail "file ctime unchanged"
	[ "$(stat -c %.9Z "$MNT/q/d")" != "${d##* }" ] || fail "dir ctime unchanged"
}
