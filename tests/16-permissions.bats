#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Permissions (issue #3): default_permissions enforced for other users,
# ownership of new inodes, the umask, setgid directories, sticky
# directories, chown/chmod rules and set-id clearing, trusted.* xattrs,
# and allow_other.  Every check runs the same command as the same user
# on a reference directory of a kernel file system (ext4, the scratch
# directory's) and on glassfs: both must give the expected result.
#
# Other users reach the mount through the run's scratch directories:
# setup() makes them searchable (o+x, not readable) up to $TMPDIR, the
# directory tests/run creates for the run and removes afterwards.

load helpers/common

setup() {
	gfs_setup
	gfs_require_root
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
	umask 022
	export LC_ALL=C
	open_for_others
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF"
	chmod 0755 "$REF"
}

open_for_others() {
	local d=$BATS_TEST_TMPDIR top=${TMPDIR%/}
	case $d/ in
	"$top"/*) ;;
	*) skip "scratch directory is outside \$TMPDIR: run through tests/run" ;;
	esac
	while :; do
		chmod o+x "$d"
		[ "$d" = "$top" ] && break
		d=$(dirname "$d")
	done
	as A test -x "$BATS_TEST_TMPDIR" ||
		skip "uid 65534 cannot reach the scratch directory"
}

# as WHO CMD...: CMD as A (uid and gid 65534), B (65533), A+100 (A with
# supplementary group 100) or A/100 (A with primary group 100).
as() {
	local who=$1
	shift
	case $who in
	A) setpriv --reuid=65534 --regid=65534 --clear-groups "$@" ;;
	B) setpriv --reuid=65533 --regid=65533 --clear-groups "$@" ;;
	A+100) setpriv --reuid=65534 --regid=65534 --groups=100 "$@" ;;
	A/100) setpriv --reuid=65534 --regid=100 --clear-groups "$@" ;;
	root) "$@" ;;
	*) fail "unknown user '$who'" ;;
	esac
}

# check WHO WANT CMD...: CMD, with each "@" replaced by the tree's root,
# run as WHO on the reference tree and on glassfs; the first line of
# output must be WANT ("@" replaced likewise) on both.
check() {
	local who=$1 want=$2 root out a where
	shift 2
	local -a args
	for root in "$REF" "$MNT"; do
		args=()
		for a in "$@"; do
			args+=("${a//@/$root}")
		done
		out=$(as "$who" "${args[@]}" 2>&1 | head -n 1)
		if [ "$out" != "${want//@/$root}" ]; then
			where=glassfs
			[ "$root" = "$REF" ] && where="ext4 (the reference: the test is wrong)"
			fail "as $who: $*: $where gave '$out', expected '$want'"
		fi
	done
}

# same WHO CMD...: like check, but the expected line is whatever the
# reference tree gives.
same() {
	local who=$1 root a
	shift
	local -a args outs=()
	for root in "$REF" "$MNT"; do
		args=()
		for a in "$@"; do
			args+=("${a//@/$root}")
		done
		outs+=("$(as "$who" "${args[@]}" 2>&1)")
	done
	[ "${outs[0]}" = "${outs[1]}" ] ||
		fail "as $who: $*: ext4 gave '${outs[0]}', glassfs '${outs[1]}'"
}

# on_both CMD...: CMD as root on both trees ("@" is the root).
on_both() {
	local root a
	local -a args
	for root in "$REF" "$MNT"; do
		args=()
		for a in "$@"; do
			args+=("${a//@/$root}")
		done
		"${args[@]}"
	done
}

# Root's tree: files and directories of common modes.
make_tree() {
	local r
	for r in "$REF" "$MNT"; do
		echo secret >"$r/f600"
		echo public >"$r/f644"
		echo shared >"$r/f666"
		chmod 0600 "$r/f600"
		chmod 0666 "$r/f666"
		mkdir "$r/d755" "$r/d700" "$r/d711" "$r/d1777" "$r/d777"
		chmod 0700 "$r/d700"
		chmod 0711 "$r/d711"
		chmod 1777 "$r/d1777"
		chmod 0777 "$r/d777"
		for d in d755 d700 d711; do
			echo child >"$r/$d/c"
			mkdir "$r/$d/sub"
		done
	done
}

@test "another user: root's 0600 file is EACCES, 0644 read-only, 0666 writable" {
	gfs_mount -o allow_other
	make_tree
	check A EACCES gfs-sys open @/f600 O_RDONLY
	check A EACCES gfs-sys open @/f600 O_WRONLY
	check A EACCES gfs-sys open @/f600 O_RDWR
	check A failed sh -c 'cat @/f600 2>/dev/null || echo failed'
	check A public cat @/f644
	check A EACCES gfs-sys open @/f644 O_WRONLY
	check A EACCES gfs-sys open @/f644 O_WRONLY\|O_TRUNC
	check A EACCES gfs-sys truncate @/f644 0
	check A OK gfs-sys open @/f666 O_RDWR
	check A "OK 3" gfs-sys pwrite @/f666 0 SHA
	check A SHAred cat @/f666
	# stat needs only search permission on the directory.
	check A "OK 100600 1 0 0 7" sh -c 'gfs-sys stat @/f600 | cut -d" " -f1-6'
	# access(2) agrees.
	check A no sh -c 'test -r @/f600 && echo yes || echo no'
	check A yes sh -c 'test -r @/f644 && echo yes || echo no'
	check A no sh -c 'test -w @/f644 && echo yes || echo no'
	check A yes sh -c 'test -w @/f666 && echo yes || echo no'
	# Unchanged by all that.
	run cat "$MNT/f600" "$MNT/f644"
	assert_output $'secret\npublic'
}

@test "another user: root's 0755 directory can be listed, not written" {
	gfs_mount -o allow_other
	make_tree
	echo mine >"$REF/d1777/own"
	echo mine >"$MNT/d1777/own"
	on_both chown 65534:65534 @/d1777/own
	check A $'c' sh -c 'ls @/d755 | head -n 1'
	check A EACCES gfs-sys open @/d755/new O_WRONLY\|O_CREAT
	check A EACCES gfs-sys mkdir @/d755/new 0755
	check A EACCES gfs-sys mknod @/d755/new fifo 0644
	check A EACCES gfs-sys symlink x @/d755/new
	check A EACCES gfs-sys link @/d1777/own @/d755/new
	check A EACCES gfs-sys unlink @/d755/c
	check A EACCES gfs-sys rmdir @/d755/sub
	check A EACCES gfs-sys rename @/d755/c @/d755/c2
	check A EACCES gfs-sys rename @/d1777/own @/d755/own
	check A EACCES gfs-sys rename @/d755/c @/d1777/c
	check A child cat @/d755/c
	run ls "$MNT/d755"
	assert_output $'c\nsub'
}

@test "another user: 0700 and 0711 directories" {
	gfs_mount -o allow_other
	make_tree
	check A "ls: cannot open directory '@/d700': Permission denied" ls @/d700
	check A EACCES gfs-sys stat @/d700/c
	check A EACCES gfs-sys open @/d700/c O_RDONLY
	check A "ls: cannot open directory '@/d711': Permission denied" ls @/d711
	check A child cat @/d711/c
	check A ENOENT gfs-sys stat @/d711/missing
	check A EACCES gfs-sys open @/d711/new O_WRONLY\|O_CREAT
}

@test "new inodes belong to the requesting uid and gid" {
	gfs_mount -o allow_other
	make_tree
	local who want
	for who in A A+100 A/100; do
		want="65534 65534"
		[ "$who" = A/100 ] && want="65534 100"
		on_both rm -rf @/d1777/t
		check "$who" OK gfs-sys mkdir @/d1777/t 0755
		check "$who" OK gfs-sys open @/d1777/t/file O_WRONLY\|O_CREAT 0644
		check "$who" OK gfs-sys mknod @/d1777/t/fifo fifo 0644
		check "$who" OK gfs-sys symlink target @/d1777/t/link
		check "$who" OK gfs-sys link @/d1777/t/file @/d1777/t/hard
		run stat -c '%n %u %g' "$MNT/d1777/t" "$MNT"/d1777/t/{file,fifo,link,hard}
		assert_output - <<EOF
$MNT/d1777/t $want
$MNT/d1777/t/file $want
$MNT/d1777/t/fifo $want
$MNT/d1777/t/link $want
$MNT/d1777/t/hard $want
EOF
	done
	# Root creating inside another user's directory: root's.
	mkdir "$MNT/d1777/t/by-root"
	run stat -c '%u %g' "$MNT/d1777/t/by-root"
	assert_output "0 0"
	gfs_remount -o allow_other
	run stat -c '%u %g' "$MNT/d1777/t/file" "$MNT/d1777/t/by-root"
	assert_output $'65534 100\n0 0'
}

@test "the umask is applied: 027 gives 0640 files and 0750 directories" {
	gfs_mount -o allow_other
	make_tree
	local who mask
	for who in root A; do
		on_both rm -rf @/d1777/u
		on_both mkdir @/d1777/u
		on_both chmod 1777 @/d1777/u
		check "$who" done sh -c 'umask 027 && : >@/d1777/u/f && mkdir @/d1777/u/d &&
			mkfifo @/d1777/u/p && ln -s x @/d1777/u/l &&
			gfs-sys open @/d1777/u/o O_WRONLY\|O_CREAT 0777 >/dev/null &&
			gfs-sys mknod @/d1777/u/n reg 0666 >/dev/null && echo done'
		run stat -c '%n %a' "$MNT"/d1777/u/{f,d,p,l,o,n}
		assert_output - <<EOF
$MNT/d1777/u/f 640
$MNT/d1777/u/d 750
$MNT/d1777/u/p 640
$MNT/d1777/u/l 777
$MNT/d1777/u/o 750
$MNT/d1777/u/n 640
EOF
		same "$who" stat -c '%a' @/d1777/u/f @/d1777/u/d @/d1777/u/p @/d1777/u/o @/d1777/u/n
	done
	for mask in 000 077 0777 0002; do
		on_both rm -rf @/d1777/m
		check root OK sh -c "umask $mask && gfs-sys mkdir @/d1777/m 0777"
		check root OK sh -c "umask $mask && gfs-sys open @/d1777/m/f O_WRONLY\\|O_CREAT 0666"
		same root stat -c '%a' @/d1777/m @/d1777/m/f
	done
}

@test "setgid directories: the directory's group, and setgid on subdirectories" {
	gfs_mount -o allow_other
	on_both mkdir @/sg
	on_both chgrp 100 @/sg
	on_both chmod 2777 @/sg
	local who
	for who in root A; do
		on_both rm -rf @/sg/$who
		check "$who" OK gfs-sys mkdir @/sg/$who 0755
		check "$who" OK gfs-sys open @/sg/$who/file O_WRONLY\|O_CREAT 0644
		check "$who" OK gfs-sys mkdir @/sg/$who/sub 0755
		check "$who" OK gfs-sys mkdir @/sg/$who/sub/deeper 0700
		check "$who" OK gfs-sys mknod @/sg/$who/sub/fifo fifo 0640
		check "$who" OK gfs-sys symlink t @/sg/$who/sub/link
		local u=0
		[ "$who" = A ] && u=65534
		run stat -c '%n %u %g %a' "$MNT/sg/$who" "$MNT/sg/$who/file" \
			"$MNT/sg/$who/sub" "$MNT/sg/$who/sub/deeper" "$MNT/sg/$who/sub/fifo" \
			"$MNT/sg/$who/sub/link"
		assert_output - <<EOF
$MNT/sg/$who $u 100 2755
$MNT/sg/$who/file $u 100 644
$MNT/sg/$who/sub $u 100 2755
$MNT/sg/$who/sub/deeper $u 100 2700
$MNT/sg/$who/sub/fifo $u 100 640
$MNT/sg/$who/sub/link $u 100 777
EOF
		same "$who" stat -c '%u %g %a' @/sg/$who @/sg/$who/file @/sg/$who/sub \
			@/sg/$who/sub/deeper @/sg/$who/sub/fifo
	done
	# A file asking for setgid (with group execute) keeps it only if
	# the creator is in the directory's group.
	check A OK gfs-sys open @/sg/A/sgid-notmember O_WRONLY\|O_CREAT 02755
	check A+100 OK gfs-sys open @/sg/A/sgid-member O_WRONLY\|O_CREAT 02755
	check root OK gfs-sys open @/sg/A/sgid-root O_WRONLY\|O_CREAT 02755
	run stat -c '%a %g' "$MNT/sg/A/sgid-notmember" "$MNT/sg/A/sgid-member" "$MNT/sg/A/sgid-root"
	assert_output $'755 100\n2755 100\n2755 100'
	same A stat -c '%a %g' @/sg/A/sgid-notmember @/sg/A/sgid-member @/sg/A/sgid-root
	# mkdir never takes setgid from its mode argument, only from the parent.
	on_both mkdir @/plain
	check root OK gfs-sys mkdir @/plain/x 02755
	run stat -c '%a' "$MNT/plain/x"
	assert_output 755
	gfs_remount -o allow_other
	run stat -c '%g %a' "$MNT/sg/A/sub/deeper"
	assert_output "100 2700"
}

@test "sticky directories: others cannot remove or rename your files" {
	gfs_mount -o allow_other
	make_tree
	check A OK gfs-sys open @/d1777/a-file O_WRONLY\|O_CREAT 0666
	check A OK gfs-sys chmod @/d1777/a-file 0666
	check A OK gfs-sys mkdir @/d1777/a-dir 0777
	check B OK gfs-sys open @/d1777/b-file O_WRONLY\|O_CREAT 0666
	check B EPERM gfs-sys unlink @/d1777/a-file
	check B EPERM gfs-sys rmdir @/d1777/a-dir
	check B EPERM gfs-sys rename @/d1777/a-file @/d1777/stolen
	check B EPERM gfs-sys rename @/d1777/b-file @/d1777/a-file
	check B EPERM gfs-sys rename @/d1777/a-file @/d1777/b-file exchange
	# Writing into it is a matter of the file's mode, not the sticky bit.
	check B "OK 1" gfs-sys pwrite @/d1777/a-file 0 x
	# Without the sticky bit the same removal works.
	check A OK gfs-sys open @/d777/a-file O_WRONLY\|O_CREAT 0666
	check B OK gfs-sys unlink @/d777/a-file
	# The owner and root may.
	check A OK gfs-sys rename @/d1777/a-file @/d1777/a-renamed
	check A OK gfs-sys unlink @/d1777/a-renamed
	check root OK gfs-sys unlink @/d1777/b-file
	check root OK gfs-sys rmdir @/d1777/a-dir
	run ls -A "$MNT/d1777"
	assert_output ""
	# user.* attributes of a sticky directory: only its owner (root).
	check A EPERM gfs-sys setxattr @/d1777 user.x v
}

@test "chown and chmod by a non-owner are EPERM; chgrp only to own groups" {
	gfs_mount -o allow_other
	make_tree
	check A OK gfs-sys open @/d1777/mine O_WRONLY\|O_CREAT 0644
	check A EPERM gfs-sys chown @/f644 65534 -1
	check A EPERM gfs-sys chown @/f666 -1 65534
	check A EPERM gfs-sys chmod @/f666 0777
	check A EPERM gfs-sys utimens @/f666 1.000000000 1.000000000
	check A OK gfs-sys utimens @/f666 now now
	check A EACCES gfs-sys utimens @/f644 now now
	# Own file: no giving away, no foreign groups.
	check A EPERM gfs-sys chown @/d1777/mine 65533 -1
	check A EPERM gfs-sys chown @/d1777/mine -1 100
	check A OK gfs-sys chown @/d1777/mine 65534 65534
	check A+100 OK gfs-sys chown @/d1777/mine -1 100
	check A OK gfs-sys chmod @/d1777/mine 0600
	run stat -c '%u %g %a' "$MNT/d1777/mine" "$MNT/f644" "$MNT/f666"
	assert_output $'65534 100 600\n0 0 644\n0 0 666'
	same root stat -c '%u %g %a' @/d1777/mine @/f644 @/f666
}

@test "chmod by the owner clears setgid when not in the file's group" {
	gfs_mount -o allow_other
	on_both touch @/f
	on_both chown 65534:100 @/f
	on_both chmod 0644 @/f
	check A OK gfs-sys chmod @/f 02755
	run stat -c %a "$MNT/f"
	assert_output 755
	check A OK gfs-sys chmod @/f 06755
	run stat -c %a "$MNT/f"
	assert_output 4755
	check A+100 OK gfs-sys chmod @/f 02755
	run stat -c %a "$MNT/f"
	assert_output 2755
	same root stat -c %a @/f
	# Directories likewise.
	on_both mkdir @/d
	on_both chown 65534:100 @/d
	check A OK gfs-sys chmod @/d 02755
	same root stat -c %a @/d
	gfs_remount -o allow_other
	run stat -c %a "$MNT/f" "$MNT/d"
	assert_output $'2755\n'"$(stat -c %a "$REF/d")"
}

@test "writes and truncation by another user clear set-id bits" {
	gfs_mount -o allow_other
	local m
	for m in 6777 4777 2777 6757; do
		on_both rm -f @/f
		on_both sh -c 'echo data >@/f'
		on_both chmod "$m" @/f
		check A "OK 1" gfs-sys pwrite @/f 0 X
		same root stat -c %a @/f
		on_both chmod "$m" @/f
		check A OK gfs-sys truncate @/f 2
		same root stat -c %a @/f
	done
	# Root's own writes keep them.
	on_both chmod 6777 @/f
	on_both sh -c 'echo more >>@/f'
	run stat -c %a "$MNT/f"
	assert_output 6777
	gfs_remount -o allow_other
	run stat -c '%a %s' "$MNT/f"
	assert_output "6777 7"
}

@test "setgid without group execute survives a non-member's write (documented)" {
	# glassfs(8) NON-FEATURES: set-id clearing is left to the kernel's
	# FUSE code, which keeps the rule from before Linux 6.2; libfuse 3.14
	# cannot negotiate FUSE_HANDLE_KILLPRIV_V2.  ext4 and tmpfs follow
	# setattr_should_drop_sgid() and clear S_ISGID.  This test fails if
	# either side changes, so that the man page can follow.
	gfs_mount -o allow_other
	on_both sh -c 'echo data >@/w && echo data >@/t'
	on_both chmod 2767 @/w @/t
	check A "OK 1" gfs-sys pwrite @/w 0 X
	check A OK gfs-sys truncate @/t 2
	run stat -c '%n %a' "$REF/w" "$REF/t"
	assert_output "$REF/w 767"$'\n'"$REF/t 767"
	run stat -c '%n %a' "$MNT/w" "$MNT/t"
	assert_output "$MNT/w 2767"$'\n'"$MNT/t 2767"
	gfs_remount -o allow_other
	run stat -c '%n %a' "$MNT/w" "$MNT/t"
	assert_output "$MNT/w 2767"$'\n'"$MNT/t 2767"
	# A writer in the group keeps it on both.
	on_both chmod 2767 @/w
	on_both chgrp 100 @/w
	on_both chmod 2767 @/w
	check A+100 "OK 1" gfs-sys pwrite @/w 0 Z
	check root 2767 stat -c %a @/w
}

@test "trusted.* attributes are hidden from and refused to other users" {
	gfs_mount -o allow_other
	make_tree
	on_both gfs-sys setxattr @/f644 trusted.secret s >/dev/null
	on_both gfs-sys setxattr @/f644 user.public p >/dev/null
	on_both gfs-sys setxattr @/f644 security.label l >/dev/null
	check A ENODATA gfs-sys getxattr @/f644 trusted.secret
	check A EPERM gfs-sys setxattr @/f666 trusted.x v
	check A EPERM gfs-sys removexattr @/f644 trusted.secret
	check A "OK p" gfs-sys getxattr @/f644 user.public
	check A EACCES gfs-sys setxattr @/f644 user.x v
	check A OK gfs-sys setxattr @/f666 user.x v
	check A EACCES gfs-sys getxattr @/f600 user.x
	# listxattr shows other users no trusted.* names.
	check A "security.label,user.public" sh -c \
		'gfs-sys listxattr @/f644 | head -n 1 | sed "s/^OK //" | tr , "\n" | sort | paste -sd,'
	run sh -c "gfs-sys listxattr '$MNT/f644' | head -n 1"
	assert_output --partial trusted.secret
}

@test "without allow_other another user gets EACCES on the mount" {
	gfs_mount
	echo x >"$MNT/f"
	chmod 0777 "$MNT"
	run as A gfs-sys stat "$MNT"
	assert_output EACCES
	run as A gfs-sys stat "$MNT/f"
	assert_output EACCES
	run as A gfs-sys open "$MNT/f" O_RDONLY
	assert_output EACCES
	run as A ls "$MNT"
	assert_failure
	# Root, the mounter, is not affected.
	run gfs-sys open "$MNT/f" O_RDONLY
	assert_output OK
	gfs_remount -o allow_other
	run as A cat "$MNT/f"
	assert_output x
}
