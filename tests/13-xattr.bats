#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Extended attributes (issue #3): set, get, list and remove in the user.,
# trusted. and security. namespaces; XATTR_CREATE and XATTR_REPLACE;
# ENODATA, ERANGE and size queries; empty, binary and 64 KiB values;
# name limits; system.* refused (a documented non-feature); names outside
# the known namespaces; directories, symlinks and special files; hard
# links, renames, remounts and removal.  ext4 (the scratch directory's
# file system) is the reference where the kernel leaves the decision to
# the file system.

load helpers/common

setup() {
	gfs_setup
	umask 022
	export LC_ALL=C
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF"
}

# gfs-sys, first line only (getxattr and listxattr print a second "OK").
xa() {
	gfs-sys "$@" | head -n 1
}

# The sorted names listxattr returns for @1, one per line.
names() {
	local out
	out=$(xa listxattr "$1")
	case $out in
	"OK ") ;;
	OK\ *) printf '%s\n' "${out#OK }" | tr , '\n' | sort ;;
	*) echo "$out" ;;
	esac
}

# A value of @1 bytes of @2.
value_of() {
	head -c "$1" /dev/zero | tr '\0' "${2:-v}"
}

@test "user.* attributes: set, get, list, remove" {
	gfs_mount
	touch "$MNT/f"
	run xa listxattr "$MNT/f"
	assert_output "OK "
	run xa setxattr "$MNT/f" user.colour blue
	assert_output OK
	run xa setxattr "$MNT/f" user.shape round
	assert_output OK
	run xa getxattr "$MNT/f" user.colour
	assert_output "OK blue"
	run xa getxattr "$MNT/f" user.shape
	assert_output "OK round"
	run names "$MNT/f"
	assert_output $'user.colour\nuser.shape'
	# Overwrite without flags.
	run xa setxattr "$MNT/f" user.colour "dark green"
	assert_output OK
	run xa getxattr "$MNT/f" user.colour
	assert_output "OK dark green"
	run xa removexattr "$MNT/f" user.colour
	assert_output OK
	run xa getxattr "$MNT/f" user.colour
	assert_output ENODATA
	run names "$MNT/f"
	assert_output user.shape
	run xa removexattr "$MNT/f" user.shape
	assert_output OK
	run xa listxattr "$MNT/f" 0
	assert_output "OK 0"
	# Same name on two files: separate values.
	touch "$MNT/g"
	xa setxattr "$MNT/f" user.k one
	xa setxattr "$MNT/g" user.k two
	run xa getxattr "$MNT/f" user.k
	assert_output "OK one"
	run xa getxattr "$MNT/g" user.k
	assert_output "OK two"
}

@test "trusted.* and security.* attributes as root" {
	gfs_require_root
	gfs_mount
	touch "$MNT/f"
	run xa setxattr "$MNT/f" trusted.overlay.opaque y
	assert_output OK
	run xa setxattr "$MNT/f" security.label lbl
	assert_output OK
	run xa setxattr "$MNT/f" user.u 1
	assert_output OK
	run xa getxattr "$MNT/f" trusted.overlay.opaque
	assert_output "OK y"
	run xa getxattr "$MNT/f" security.label
	assert_output "OK lbl"
	run names "$MNT/f"
	assert_output $'security.label\ntrusted.overlay.opaque\nuser.u'
	# The namespaces are separate: the same suffix in each.
	xa setxattr "$MNT/f" trusted.u 2
	xa setxattr "$MNT/f" security.u 3
	run sh -c "for n in user.u trusted.u security.u; do gfs-sys getxattr '$MNT/f' \$n | head -n 1; done"
	assert_output $'OK 1\nOK 2\nOK 3'
	run xa removexattr "$MNT/f" trusted.overlay.opaque
	assert_output OK
	run xa getxattr "$MNT/f" trusted.overlay.opaque
	assert_output ENODATA
	gfs_remount
	run names "$MNT/f"
	assert_output $'security.label\nsecurity.u\ntrusted.u\nuser.u'
}

@test "XATTR_CREATE and XATTR_REPLACE" {
	gfs_mount
	touch "$MNT/f"
	run xa setxattr "$MNT/f" user.a first create
	assert_output OK
	run xa setxattr "$MNT/f" user.a second create
	assert_output EEXIST
	run xa getxattr "$MNT/f" user.a
	assert_output "OK first"
	run xa setxattr "$MNT/f" user.b x replace
	assert_output ENODATA
	run xa getxattr "$MNT/f" user.b
	assert_output ENODATA
	run xa setxattr "$MNT/f" user.a third replace
	assert_output OK
	run xa getxattr "$MNT/f" user.a
	assert_output "OK third"
	# Empty values count as existing.
	run xa setxattr "$MNT/f" user.e "" create
	assert_output OK
	run xa setxattr "$MNT/f" user.e x create
	assert_output EEXIST
	run xa setxattr "$MNT/f" user.e "" replace
	assert_output OK
	run names "$MNT/f"
	assert_output $'user.a\nuser.e'
	# Both flags at once.
	run python3 -c '
import os, sys
try:
    os.setxattr(sys.argv[1], "user.a", b"v", os.XATTR_CREATE | os.XATTR_REPLACE)
    print("OK")
except OSError as e:
    print(os.strerror(e.errno) if e.errno != 22 else "EINVAL")' "$MNT/f"
	assert_output EINVAL
}

@test "ENODATA, ENOENT, ERANGE and size queries" {
	gfs_mount
	touch "$MNT/f"
	xa setxattr "$MNT/f" user.five hello
	xa setxattr "$MNT/f" user.x 1
	run xa getxattr "$MNT/f" user.missing
	assert_output ENODATA
	run xa getxattr "$MNT/f" user.missing 0
	assert_output ENODATA
	run xa removexattr "$MNT/f" user.missing
	assert_output ENODATA
	run xa getxattr "$MNT/missing" user.five
	assert_output ENOENT
	run xa setxattr "$MNT/missing" user.five x
	assert_output ENOENT
	run xa listxattr "$MNT/missing"
	assert_output ENOENT
	# Values: size query, exact size, one byte short.
	run xa getxattr "$MNT/f" user.five 0
	assert_output "OK 5"
	run xa getxattr "$MNT/f" user.five 5
	assert_output "OK hello"
	run xa getxattr "$MNT/f" user.five 4
	assert_output ERANGE
	run xa getxattr "$MNT/f" user.five 1
	assert_output ERANGE
	# Lists: "user.five\0user.x\0" is 17 bytes.
	run xa listxattr "$MNT/f" 0
	assert_output "OK 17"
	run xa listxattr "$MNT/f" 17
	assert_output --regexp '^OK (user.five,user.x|user.x,user.five)$'
	run xa listxattr "$MNT/f" 16
	assert_output ERANGE
	run xa listxattr "$MNT/f" 1
	assert_output ERANGE
}

@test "empty values and binary values round-trip" {
	gfs_mount
	touch "$MNT/f"
	run xa setxattr "$MNT/f" user.empty ""
	assert_output OK
	run xa getxattr "$MNT/f" user.empty 0
	assert_output "OK 0"
	run xa getxattr "$MNT/f" user.empty
	assert_output "OK "
	run names "$MNT/f"
	assert_output user.empty
	run python3 - "$MNT/f" <<'PY'
import os, sys
p = sys.argv[1]
vals = {
    "user.nul": b"\0",
    "user.nuls": b"a\0b\0\0c",
    "user.all": bytes(range(256)),
    "user.trailing": b"x\0\0\0",
    "user.newline": b"line1\nline2\n",
}
for k, v in vals.items():
    os.setxattr(p, k, v)
bad = [k for k, v in vals.items() if os.getxattr(p, k) != v]
print("bad: %s" % bad if bad else "OK")
PY
	assert_output OK
	gfs_remount
	run python3 -c '
import os, sys
p = sys.argv[1]
ok = (os.getxattr(p, "user.all") == bytes(range(256))
      and os.getxattr(p, "user.nuls") == b"a\0b\0\0c"
      and os.getxattr(p, "user.trailing") == b"x\0\0\0"
      and os.getxattr(p, "user.empty") == b"")
print("OK" if ok else "differs")' "$MNT/f"
	assert_output OK
}

@test "values up to 64 KiB; larger is E2BIG" {
	gfs_mount
	touch "$MNT/f"
	local v
	v=$(value_of 65536 m)
	run xa setxattr "$MNT/f" user.max "$v"
	assert_output OK
	run xa getxattr "$MNT/f" user.max 0
	assert_output "OK 65536"
	assert_equal "$(xa getxattr "$MNT/f" user.max | sha256sum)" \
		"$(printf 'OK %s\n' "$v" | sha256sum)"
	run xa getxattr "$MNT/f" user.max 65535
	assert_output ERANGE
	run xa setxattr "$MNT/f" user.toobig "$(value_of 65537 m)"
	assert_output E2BIG
	run xa getxattr "$MNT/f" user.toobig
	assert_output ENODATA
	# Replacing a large value by a small one and back.
	run xa setxattr "$MNT/f" user.max small
	assert_output OK
	run xa getxattr "$MNT/f" user.max
	assert_output "OK small"
	run xa setxattr "$MNT/f" user.max "$v"
	assert_output OK
	# Several large values on one inode.
	for n in 1 2 3 4; do
		xa setxattr "$MNT/f" "user.big$n" "$(value_of 60000 "$n")" >/dev/null
	done
	gfs_remount
	assert_equal "$(xa getxattr "$MNT/f" user.max | sha256sum)" \
		"$(printf 'OK %s\n' "$v" | sha256sum)"
	for n in 1 2 3 4; do
		assert_equal "$(xa getxattr "$MNT/f" "user.big$n" 0)" "OK 60000"
		assert_equal "$(xa getxattr "$MNT/f" "user.big$n" | md5sum)" \
			"$(printf 'OK %s\n' "$(value_of 60000 "$n")" | md5sum)"
	done
}

@test "names up to 255 bytes; 256 is ERANGE; odd bytes in names" {
	gfs_mount
	touch "$MNT/f"
	local n255 n256
	n255=user.$(value_of 250 n)
	n256=user.$(value_of 251 n)
	run xa setxattr "$MNT/f" "$n255" v
	assert_output OK
	run xa getxattr "$MNT/f" "$n255"
	assert_output "OK v"
	run xa setxattr "$MNT/f" "$n256" v
	assert_output ERANGE
	run xa getxattr "$MNT/f" "$n256"
	assert_output ERANGE
	run xa removexattr "$MNT/f" "$n256"
	assert_output ERANGE
	run names "$MNT/f"
	assert_output "$n255"
	# Spaces, UTF-8, control characters, bytes above 0x7f.
	run python3 - "$MNT/f" <<'PY'
import os, sys
p = sys.argv[1]
names = [b"user.with space", "user.日本語".encode(), b"user.a\nb", b"user.\x01\x7f\xff",
         b"user.dots...", b"user.x=y", b"user.UPPER", b"user.upper"]
for i, n in enumerate(names):
    os.setxattr(p, n, b"%d" % i)
got = set(os.listxattr(os.fsencode(p)))
want = set(os.fsdecode(n) for n in names) | {"user." + "n" * 250}
ok = got == want and all(os.getxattr(p, n) == b"%d" % i for i, n in enumerate(names))
print("OK" if ok else "got %r" % sorted(got))
PY
	assert_output OK
}

@test "system.* names are refused with EOPNOTSUPP" {
	gfs_mount
	touch "$MNT/f"
	mkdir "$MNT/d"
	run xa setxattr "$MNT/f" system.foo x
	assert_output EOPNOTSUPP
	run xa getxattr "$MNT/f" system.foo
	assert_output EOPNOTSUPP
	run xa removexattr "$MNT/f" system.foo
	assert_output EOPNOTSUPP
	# POSIX ACLs: a valid minimal access ACL (user::rw-, group::r--,
	# other::r--) is refused, and none is reported.
	run python3 -c '
import os, struct, sys
acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", t, p, 0xffffffff)
                                     for t, p in ((1, 6), (4, 4), (0x20, 4)))
for path, name in ((sys.argv[1], "system.posix_acl_access"),
                   (sys.argv[2], "system.posix_acl_default")):
    try:
        os.setxattr(path, name, acl)
        print(name, "OK")
    except OSError as e:
        print(name, {95: "EOPNOTSUPP", 13: "EACCES", 22: "EINVAL"}.get(e.errno, e.errno))
' "$MNT/f" "$MNT/d"
	assert_output $'system.posix_acl_access EOPNOTSUPP\nsystem.posix_acl_default EOPNOTSUPP'
	run xa getxattr "$MNT/d" system.posix_acl_default
	assert_output --regexp '^(EOPNOTSUPP|ENODATA)$'
	run xa listxattr "$MNT/f"
	assert_output "OK "
	# The file is untouched: mode as created.
	run stat -c %a "$MNT/f"
	assert_output 644
}

@test "names outside the known namespaces are refused as on ext4" {
	gfs_mount
	touch "$MNT/f" "$REF/f"
	local name dir out=()
	for name in foo.bar user user. trusted. xattr.x os2.name; do
		for dir in "$REF" "$MNT"; do
			out+=("$name $(xa setxattr "$dir/f" "$name" v)")
		done
	done
	# Pairs of lines: ext4's result, then glassfs's.
	local i diffs=
	for ((i = 0; i < ${#out[@]}; i += 2)); do
		[ "${out[i]}" = "${out[i + 1]}" ] ||
			diffs+="setxattr ${out[i]%% *}: ext4 ${out[i]#* }, glassfs ${out[i + 1]#* }"$'\n'
	done
	[ -z "$diffs" ] || fail "$diffs"
	run xa listxattr "$MNT/f"
	assert_output "OK "
}

@test "attributes on directories, through symlinks, and on special files" {
	gfs_require_root
	gfs_mount
	mkdir "$MNT/d"
	touch "$MNT/target"
	ln -s target "$MNT/link"
	mkfifo "$MNT/fifo"
	run xa setxattr "$MNT/d" user.dir yes
	assert_output OK
	run xa getxattr "$MNT/d" user.dir
	assert_output "OK yes"
	# Through a symlink: the target gets it.
	run xa setxattr "$MNT/link" user.via link
	assert_output OK
	run xa getxattr "$MNT/target" user.via
	assert_output "OK link"
	# On the link itself (l*xattr): user.* is EPERM as on every Linux
	# file system, trusted.* works for root.
	run python3 -c '
import os, sys
p = sys.argv[1]
for name in ("user.self", "trusted.self"):
    try:
        os.setxattr(p, name, b"v", follow_symlinks=False)
        print(name, "OK")
    except OSError as e:
        print(name, {1: "EPERM", 95: "EOPNOTSUPP"}.get(e.errno, e.errno))
print(sorted(os.listxattr(p, follow_symlinks=False)))
print(sorted(os.listxattr(p)))' "$MNT/link"
	assert_output - <<'EOF'
user.self EPERM
trusted.self OK
['trusted.self']
['user.via']
EOF
	# user.* on a FIFO is EPERM; trusted.* works.
	run xa setxattr "$MNT/fifo" user.x v
	assert_output EPERM
	run xa setxattr "$MNT/fifo" trusted.x v
	assert_output OK
	gfs_remount
	run names "$MNT/d"
	assert_output user.dir
	run python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.self", follow_symlinks=False))' "$MNT/link"
	assert_output "b'v'"
	run xa getxattr "$MNT/fifo" trusted.x
	assert_output "OK v"
}

@test "many attributes on one inode" {
	gfs_mount
	touch "$MNT/f"
	run python3 - "$MNT/f" <<'PY'
import os, sys
p = sys.argv[1]
want = {"user.attr-%04d" % i: (b"value %d" % i) * (i % 7) for i in range(500)}
for k, v in want.items():
    os.setxattr(p, k, v)
got = os.listxattr(p)
ok = sorted(got) == sorted(want) and all(os.getxattr(p, k) == v for k, v in want.items())
print("OK %d" % len(got) if ok else "differs")
PY
	assert_output "OK 500"
	gfs_remount
	run python3 -c '
import os, sys
names = os.listxattr(sys.argv[1])
print(len(names), len(set(names)), os.getxattr(sys.argv[1], "user.attr-0499"))' "$MNT/f"
	assert_output "500 500 b'value 499value 499'"
}

@test "attributes follow hard links and renames, survive remounts, go with the file" {
	gfs_mount
	mkdir "$MNT/d"
	echo x >"$MNT/f"
	xa setxattr "$MNT/f" user.k v1
	ln "$MNT/f" "$MNT/d/link"
	run xa getxattr "$MNT/d/link" user.k
	assert_output "OK v1"
	xa setxattr "$MNT/d/link" user.k v2
	run xa getxattr "$MNT/f" user.k
	assert_output "OK v2"
	mv "$MNT/f" "$MNT/d/renamed"
	run xa getxattr "$MNT/d/renamed" user.k
	assert_output "OK v2"
	gfs_remount
	run xa getxattr "$MNT/d/renamed" user.k
	assert_output "OK v2"
	run xa getxattr "$MNT/d/link" user.k
	assert_output "OK v2"
	# One link removed: the attribute stays with the other.
	rm "$MNT/d/renamed"
	run xa getxattr "$MNT/d/link" user.k
	assert_output "OK v2"
	# The last link removed: a new file of the same name starts empty.
	rm "$MNT/d/link"
	echo y >"$MNT/d/link"
	run xa listxattr "$MNT/d/link"
	assert_output "OK "
	# A file replaced by rename takes its own attributes along.
	echo a >"$MNT/a"
	echo b >"$MNT/b"
	xa setxattr "$MNT/a" user.from a
	xa setxattr "$MNT/b" user.from b
	xa setxattr "$MNT/b" user.only-b b
	mv "$MNT/a" "$MNT/b"
	run names "$MNT/b"
	assert_output user.from
	run xa getxattr "$MNT/b" user.from
	assert_output "OK a"
	gfs_remount
	run names "$MNT/b"
	assert_output user.from
	run xa listxattr "$MNT/d/link"
	assert_output "OK "
}

@test "attributes of an open, unlinked file stay usable through the descriptor" {
	gfs_mount
	echo x >"$MNT/f"
	run python3 -c '
import os, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDWR)
os.setxattr(fd, "user.before", b"1")
os.unlink(p)
os.setxattr(fd, "user.after", b"2")
print(sorted(os.listxattr(fd)), os.getxattr(fd, "user.before"), os.getxattr(fd, "user.after"))
os.removexattr(fd, "user.before")
print(os.listxattr(fd))
os.close(fd)' "$MNT/f"
	assert_output $'[\'user.after\', \'user.before\'] b\'1\' b\'2\'\n[\'user.after\']'
	echo new >"$MNT/f"
	run xa listxattr "$MNT/f"
	assert_output "OK "
}
