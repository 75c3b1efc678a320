#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A glassfs mount on the host handed to two containers as a volume, as a
# test engineer hands a scratch file system to the containers under test:
# one container writes through a MAP_SHARED mapping, the other sees the
# bytes through its own mapping, and fsinspect on the host shows that both
# processes map the same device and inode and the same page cache pages.
#
# The host mount is made with -o allow_other: the reader runs as nobody,
# as a container started with --user does, and FUSE lets only the
# mounting user in without it.  The volume is bound with rslave
# propagation, so that an unmount on the host reaches the containers; for
# that to work the host mount must be in a shared peer group (systemd
# makes / shared; this machine's / is private), so the test mounts
# glassfs under a bind mount of its own made shared.

load ../helpers/common
load helpers

setup() {
	gc_setup
	VOL=$BATS_TEST_TMPDIR/vol
	mkdir -p "$VOL"
	mount --bind "$VOL" "$VOL"
	mount --make-shared "$VOL"
	MNT=$VOL/mnt
	mkdir -p "$MNT"
	MAPPER=$BATS_TEST_TMPDIR/t/mapper.py
	mkdir -p "${MAPPER%/*}"
	write_mapper "$MAPPER"
}

teardown() {
	local failed=0
	# Containers first: their processes hold the mount.
	gc_teardown || failed=1
	if mountpoint -q "$VOL"; then
		umount "$VOL" || { umount -l "$VOL"; failed=1; }
	fi
	return $failed
}

# mapper.py writer|reader FILE MESSAGE PAGES: map PAGES pages of FILE
# shared; the writer puts MESSAGE at the start of each page, the reader
# (read-only mapping, faulted in before the writer starts) waits until it
# sees MESSAGE there.  Both then hold their mappings until killed.
write_mapper() {
	cat >"$1" <<'PY'
import mmap, os, sys, time
role, path, msg, pages = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
ps = mmap.PAGESIZE
if role == "writer":
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, pages * ps, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    for p in range(pages):
        m[p * ps:p * ps + len(msg)] = msg
    print("written", flush=True)
else:
    fd = os.open(path, os.O_RDONLY)
    m = mmap.mmap(fd, pages * ps, mmap.MAP_SHARED, mmap.PROT_READ)
    # Every page is faulted in now: the writer's bytes must appear in
    # these pages, not be read afresh.
    zeros = sum(m[p * ps] for p in range(pages))
    print("mapped", zeros, flush=True)
    deadline = time.monotonic() + 30
    while any(m[p * ps:p * ps + len(msg)] != msg for p in range(pages)):
        if time.monotonic() > deadline:
            print("not seen:", m[:len(msg)], flush=True)
            sys.exit(1)
        time.sleep(0.01)
    print("seen", m[:len(msg)].decode(), "in", pages, "pages", flush=True)
while True:
    time.sleep(3600)
PY
}

# check_maps JSON PID_WRITER PID_READER DEV_INO: both processes listed
# for the file, with the right protections, their pages mapped twice.
check_maps() {
	python3 - "$@" <<'PY'
import json, sys
doc, writer, reader, devino = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = {r["pid"]: r for r in doc["maps"]}
bad = []
for pid, perms in ((writer, "rw-s"), (reader, "r--s")):
    r = rows.get(pid)
    if r is None:
        bad.append(f"pid {pid} not listed")
        continue
    if r["perms"] != perms:
        bad.append(f"pid {pid}: perms {r['perms']}, want {perms}")
    if r["pg_mapmax"] is None or int(r["pg_mapmax"]) < 2:
        bad.append(f"pid {pid}: pg_mapmax {r['pg_mapmax']}, want >= 2")
    # /proc/PID/maps of each: the same device and inode as the host's.
    with open(f"/proc/{pid}/maps") as f:
        ids = {" ".join(l.split()[3:5]) for l in f if l.rstrip().endswith("/data/shared")}
    if ids != {devino}:
        bad.append(f"pid {pid}: maps {ids}, host file {devino}")
print("\n".join(bad) or "ok")
PY
}

# check_cache JSON PAGES: all pages of the file cached and mapped.
check_cache() {
	python3 - "$@" <<'PY'
import json, sys
doc, pages = json.loads(sys.argv[1]), int(sys.argv[2])
r = [r for r in doc["cache"] if r["type"] == "file"][0]
bad = [f"{k} {r[k]}, want {pages}" for k in ("pages", "cached", "mapped") if r[k] != pages]
if r["fstype"] != "fuse.glassfs":
    bad.append(f"fstype {r['fstype']}")
print("\n".join(bad) or "ok")
PY
}

# The device and inode as /proc/PID/maps prints them ("00:2f 12").
devino() {
	python3 -c 'import os, sys
st = os.stat(sys.argv[1])
print("%02x:%02x %d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))' "$1"
}

# bats test_tags=container
@test "a host mount in two containers: a MAP_SHARED write seen through the other mapping, same pages" {
	local pages=4 msg="written in container A" a b pa pb json
	gfs_mount -o allow_other
	head -c $((pages * 4096)) /dev/zero >"$MNT/shared"

	gc_start b --user 65534:65534 -v "$MNT:/data:rslave" \
		-v "${MAPPER%/*}:/t:ro" -- \
		python3 /t/mapper.py reader /data/shared "$msg" $pages
	gc_wait_log "$b" '^mapped 0$'
	# Its view of /data is the host's glassfs mount, a slave of it.
	run gc_podman exec "$b" awk '$5 == "/data"' /proc/self/mountinfo
	assert_success
	assert_output --regexp ' master:[0-9]+ (.* )?- fuse\.glassfs '

	gc_start a -v "$MNT:/data:rslave" -v "${MAPPER%/*}:/t:ro" -- \
		python3 /t/mapper.py writer /data/shared "$msg" $pages
	gc_wait_log "$a" '^written$'
	gc_wait_log "$b" "^seen $msg in $pages pages$"

	pa=$(gc_host_pid "$a")
	pb=$(gc_host_pid "$b")
	# Both are processes on the host, in their own PID namespaces.
	[ "$(readlink "/proc/$pa/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(readlink "/proc/$pa/ns/pid")" != "$(readlink "/proc/$pb/ns/pid")" ]

	# The host reads what A wrote: the same page cache.
	run head -c ${#msg} "$MNT/shared"
	assert_output "$msg"

	json=$(fsinspect maps --json "$MNT/shared" 2>/dev/null)
	echo "$json"
	run check_maps "$json" "$pa" "$pb" "$(devino "$MNT/shared")"
	assert_output ok

	json=$(fsinspect cache --json -o +MAPPED,FSTYPE "$MNT/shared" 2>/dev/null)
	echo "$json"
	run check_cache "$json" $pages
	assert_output ok

	# Containers gone, the host unmounts and the daemon exits 0
	# (gfs_teardown checks).
	gc_rm "$a"
	gc_rm "$b"
	gfs_umount
	# What A wrote through its mapping reached the store.
	gfs_mount
	run head -c ${#msg} "$MNT/shared"
	assert_output "$msg"
}
