#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A container stopped while a writer runs on a glassfs mounted inside it,
# its store on a host volume: what survives.  "podman kill" takes the
# daemon down with everything else (SIGKILL, as a crash); "podman stop"
# sends SIGTERM to the container's main process, here glassfs itself,
# which must stop cleanly (exit 0) within the grace period.  Either way
# the store passes PRAGMA integrity_check and "glassfs check", and every
# file whose fsync(2) returned is in it, whole.

load ../helpers/common
load helpers

setup() {
	gc_setup
	gfs_require_root
	VOL=$BATS_TEST_TMPDIR/vol
	SYNCED=$BATS_TEST_TMPDIR/log/synced
	mkdir -p "$VOL" "${SYNCED%/*}" "$BATS_TEST_TMPDIR/t"
	# The store the container writes is the one gfs_mount mounts later.
	STORE=$VOL/store.db
	write_writer "$BATS_TEST_TMPDIR/t/writer.py"
	CVOLS=(-v "$VOL:/vol" -v "${SYNCED%/*}:/log" -v "$BATS_TEST_TMPDIR/t:/t:ro")
}

teardown() {
	gc_teardown
}

# writer.py DIR LOG: forever, write DIR/f<i> (64 KiB from i), fsync it
# and DIR, then add "f<i> <sha256>" to LOG (fsync'd: it is on the host);
# between them, append to DIR/big without fsync, so that the stop comes
# in the middle of writes.
write_writer() {
	cat >"$1" <<'PY'
import hashlib, os, sys
top, log = sys.argv[1], open(sys.argv[2], "a")
os.makedirs(top + "/d", exist_ok=True)
dfd = os.open(top + "/d", os.O_RDONLY | os.O_DIRECTORY)
big = os.open(top + "/big", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
i = 0
while True:
    data = hashlib.sha256(b"%d" % i).digest() * 2048
    fd = os.open(top + "/d/f%d" % i, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for k in range(0, len(data), 16384):
        os.write(fd, data[k:k + 16384])
    os.fsync(fd)
    os.close(fd)
    os.fsync(dfd)
    log.write("f%d %s\n" % (i, hashlib.sha256(data).hexdigest()))
    log.flush()
    os.fsync(log.fileno())
    for k in range(8):
        os.write(big, data[:65536])
    i += 1
PY
}

synced_count() {
	[ -f "$SYNCED" ] && wc -l <"$SYNCED" || echo 0
}

# wait_synced N: until the writer has fsync'd N files (60 s at most).
wait_synced() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(synced_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "the writer fsync'd only $(synced_count) files" >&2
	gc_podman logs "$c" >&2
	return 1
}

# The store as the stop left it: SQLite's check, then glassfs's own, then
# every fsync'd file, mounted on the host.
check_store() {
	run sqlite3 "$STORE" 'PRAGMA integrity_check'
	assert_success
	assert_output ok
	run "$GLASSFS" check "$STORE"
	if [[ $output == *"not implemented"* ]]; then
		echo "# glassfs check: not implemented, not checked" >&3
	else
		assert_success
	fi
	gfs_mount
	run python3 - "$MNT/d" "$SYNCED" <<'PY'
import hashlib, sys
bad = n = 0
for line in open(sys.argv[2]):
    name, sha = line.split()
    n += 1
    try:
        got = hashlib.sha256(open(sys.argv[1] + "/" + name, "rb").read()).hexdigest()
    except OSError as e:
        got = str(e)
    if got != sha:
        bad += 1
        print(name, "lost:", got)
print(n, "fsync'd files,", bad, "lost")
PY
	assert_success
	assert_output --regexp "^[0-9]+ fsync'd files, 0 lost$"
}

# bats test_tags=container
@test "podman kill during writes: store intact, every fsync'd file in it" {
	gc_start c "${GC_FUSE_OPTS[@]}" "${CVOLS[@]}" -- sh -c '
		glassfs -f /vol/store.db /mnt &
		for i in $(seq 100); do mountpoint -q /mnt && break; sleep 0.1; done
		exec python3 /t/writer.py /mnt /log/synced'
	wait_synced 30
	run gc_podman kill "$c"
	assert_success
	run gc_podman wait "$c"
	assert_output 137
	# The daemon died with the container: nothing mounts the store.
	run pgrep -f "glassfs -f /vol/store.db"
	assert_failure
	check_store
}

# bats test_tags=container
@test "podman stop of a container whose main process is glassfs: exit 0, store intact" {
	gc_start c "${GC_FUSE_OPTS[@]}" "${CVOLS[@]}" -- \
		glassfs -f /vol/store.db /mnt
	run gc_podman exec "$c" sh -c \
		'for i in $(seq 100); do mountpoint -q /mnt && exit 0; sleep 0.1; done; exit 1'
	assert_success
	gc_podman exec -d "$c" python3 /t/writer.py /mnt /log/synced
	wait_synced 30
	local t0=$SECONDS
	run gc_podman stop -t 20 "$c"
	assert_success
	# SIGTERM was enough: no SIGKILL after the grace period.
	[ $((SECONDS - t0)) -lt 20 ]
	run gc_exit_code "$c"
	assert_output 0
	run gc_podman logs "$c"
	refute_output --regexp 'error:|AddressSanitizer|runtime error'
	check_store
}
