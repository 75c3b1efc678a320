#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect kernel: the kernel's tracepoint events of a glassfs mount,
# joined with the daemon's records.  Each figure is checked against a
# state the test produced: N pages read cold give N page cache additions
# and N daemon READs joined to N FUSE_READs; M pages written and fsync'ed
# give M dirtied pages, a write-back and WRITEs; an invalidation removes
# what was cached.  Tracing needs root; without it the tests skip, and
# the "unavailable" paths are checked with FSINSPECT_TRACEFS.

load helpers/common
load helpers/fsinspect

bats_require_minimum_version 1.5.0

setup() {
	fsi_setup
	TRACEFS_WAS_MOUNTED=$(tracefs_mounted)
}

teardown() {
	fsi_teardown
	gfs_teardown
}

tracefs_mounted() {
	awk '$3 == "tracefs" { n++ } END { print n + 0 }' /proc/self/mounts
}

# Tracing needs root and a kernel with tracefs.
kernel_require_tracing() {
	gfs_require_root
	grep -qw tracefs /proc/filesystems || skip "the kernel has no tracefs"
}

gfs_start() {
	gfs_setup
	gfs_mount "$@"
}

# A command that talks to the control socket (the COMMAND of a trace
# must be a program, not a shell function).
ctl_script() {
	cat >"$BATS_TEST_TMPDIR/ctl.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    buf += s.recv(65536)
sys.stdout.write(buf.decode())
PY
	echo "$BATS_TEST_TMPDIR/ctl.py"
}

# kq EXPR: evaluate a Python expression over the rows of $output (JSON):
# R is the list of rows, rows(event, ino) those of an event and inode.
kq() {
	printf '%s' "$output" | python3 -c '
import json, sys
R = json.load(sys.stdin)["kernel"]
def rows(ev=None, ino=None, src=None):
    return [r for r in R if (ev is None or r["event"] == ev)
            and (ino is None or r["ino"] == ino)
            and (src is None or r["source"] == src)]
print(eval(sys.argv[1]))' "$1"
}

# No instance of ours left, and tracefs mounted only if it was before
# (or if someone else is using it now).
assert_no_leftovers() {
	local d
	for d in /sys/kernel/tracing/instances/fsinspect-*; do
		[ -e "$d" ] || continue
		kill -0 "${d##*-}" 2>/dev/null ||
			fail "tracefs instance left behind: $d"
	done
	if [ "$TRACEFS_WAS_MOUNTED" -eq 0 ] && [ "$(tracefs_mounted)" -gt 0 ] &&
		[ -z "$(ls /sys/kernel/tracing/instances 2>/dev/null)" ]; then
		fail "fsinspect left tracefs mounted"
	fi
}

COLS=TIME,SOURCE,EVENT,OP,INO,FIRST,PAGES,OFFSET,LENGTH,MATCH,COUNT,RESULT,DETAIL

# --- command line ----------------------------------------------------

@test "kernel --help lists every column and the tracepoints, exit 0" {
	run --separate-stderr fsinspect kernel --help
	assert_success
	[ -z "$stderr" ]
	assert_line " fsinspect kernel [options] MOUNTPOINT [-- COMMAND [ARG...]]"
	for col in TIME TIME_NS SOURCE EVENT OP INO PATH RANGE FIRST PAGES \
		OFFSET LENGTH PID COMM RESULT LATENCY UNIQUE SEQ MATCH COUNT \
		DETAIL; do
		assert_line --regexp "^ $col +[A-Za-z(]"
	done
	assert_line " filemap:mm_filemap_add_to_page_cache"
	assert_line " fuse:fuse_request_send"
	assert_line " writeback:writeback_dirty_folio"
	run fsinspect -h
	assert_line --regexp '^ kernel +the kernel'
	assert_line --regexp '^ stack +every cache'
}

@test "kernel: usage errors exit 1 with one hint" {
	run --separate-stderr fsinspect kernel
	assert_failure 1
	[[ $stderr == *"no mountpoint given"* ]]
	[[ $stderr == *"Try 'fsinspect kernel --help'"* ]]
	run --separate-stderr fsinspect kernel -d abc /
	assert_failure 1
	[[ $stderr == *"invalid duration 'abc'"* ]]
	run --separate-stderr fsinspect kernel / extra
	assert_failure 1
	[[ $stderr == *"a COMMAND goes after '--'"* ]]
	run --separate-stderr fsinspect kernel -o NOPE /
	assert_failure 1
}

@test "kernel: a path not on FUSE is refused (exit 2)" {
	run --separate-stderr fsinspect kernel -d 0.1 "$BATS_TEST_TMPDIR"
	assert_failure 2
	[[ $stderr == *"not on a FUSE mount"* ]]
}

# --- tracefs unavailable ---------------------------------------------

@test "kernel: without tracefs, says what is missing; --daemon-only still works" {
	gfs_start
	fsi_write "$MNT/f" 0 1
	export FSINSPECT_TRACEFS=$BATS_TEST_TMPDIR
	run --separate-stderr fsinspect kernel -d 0.2 "$MNT"
	assert_failure 2
	[[ $stderr == *"'$BATS_TEST_TMPDIR' (FSINSPECT_TRACEFS) is not a tracefs"* ]]
	[[ $stderr == *"--daemon-only"* ]]
	# Only the daemon's side: its READ records of this read.
	run --separate-stderr fsinspect kernel --daemon-only -J -o $COLS \
		"$MNT" -- cat "$MNT/f"
	assert_success
	[ "$(kq 'len(R) > 0 and all(r["source"] == "daemon" for r in R)')" = True ]
	[ "$(kq 'len(rows("OPEN"))')" -ge 1 ]
	unset FSINSPECT_TRACEFS
}

@test "kernel: as a user who may not trace, says root is needed (exit 2)" {
	gfs_require_root
	gfs_start
	fsi_world_reachable "$MNT"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 \
		--clear-groups -- "$(command -v fsinspect)" kernel -d 0.1 "$MNT"
	assert_failure 2
	[[ $stderr == *"cannot trace the kernel's events"* ]]
	[[ $stderr == *"root"* ]]
	assert_no_leftovers
}

# --- figures against known states ------------------------------------

@test "kernel: N pages read cold: N cache additions, N READs joined to N FUSE_READs" {
	kernel_require_tracing
	gfs_start
	fsi_write "$MNT/f" $(seq 0 31)
	ino=$(stat -c %i "$MNT/f")
	ctl=$(ctl_script)
	python3 "$ctl" "$(gfs_rundir)/ctl" "inval $ino" >/dev/null
	run fsi_oracle "$MNT/f"
	assert_output "0 0 0 0 0"
	run --separate-stderr fsinspect kernel --no-merge -J -o $COLS \
		-f "$MNT/f" "$MNT" -- python3 "$FSI_HELPER" read "$MNT/f" 3 7 8 9 20
	assert_success
	# Page cache: exactly these five pages were added, once each.
	[ "$(kq "sorted(r['first'] for r in rows('cache-add', $ino))")" = "[3, 7, 8, 9, 20]" ]
	[ "$(kq "sum(r['pages'] for r in rows('cache-add', $ino))")" = 5 ]
	# The daemon served five one-page READs at those offsets ...
	[ "$(kq "sorted(r['offset'] // 4096 for r in rows('READ', $ino, 'daemon'))")" = "[3, 7, 8, 9, 20]" ]
	[ "$(kq "set(r['result'] for r in rows('READ', $ino, 'daemon'))")" = "{4096}" ]
	# ... each joined to the kernel's FUSE_READ sent for the same page.
	[ "$(kq "sorted(r['first'] for r in rows('fuse-send', $ino) if r['op'] == 'READ')")" = "[3, 7, 8, 9, 20]" ]
	[ "$(kq "set(r['match'] for r in rows('fuse-send', $ino) + rows('fuse-end', $ino))")" = "{'daemon'}" ]
	[ "$(kq "len([r for r in rows('fuse-end', $ino) if r['op'] == 'READ'])")" = 5 ]
	assert_no_leftovers
}

@test "kernel: merged rows: the pages added equal the pages the READs brought" {
	kernel_require_tracing
	gfs_start
	dd if=/dev/urandom of="$MNT/big" bs=1M count=16 status=none
	ino=$(stat -c %i "$MNT/big")
	python3 "$(ctl_script)" "$(gfs_rundir)/ctl" "inval $ino" >/dev/null
	run --separate-stderr fsinspect kernel -J -o $COLS -f "$MNT/big" \
		"$MNT" -- dd if="$MNT/big" of=/dev/null bs=64k count=1 skip=128
	assert_success
	added=$(kq "sum(r['pages'] for r in rows('cache-add', $ino))")
	events=$(kq "sum(r['count'] for r in rows('cache-add', $ino))")
	read=$(kq "sum(r['result'] for r in rows('READ', $ino, 'daemon'))")
	[ "$added" -ge 16 ]
	[ "$added" = "$events" ]
	[ "$((read / 4096))" = "$added" ]
	# Readahead was asked at the page dd read, 8 MiB in.
	[ "$(kq "[r['first'] for r in rows('readahead-sync', $ino)]")" = "[2048]" ]
}

@test "kernel: M pages written and fsync'ed: M dirtied, written back, WRITE joined" {
	kernel_require_tracing
	gfs_start
	: >"$MNT/w"
	ino=$(stat -c %i "$MNT/w")
	run --separate-stderr fsinspect kernel -J -o $COLS -f "$MNT/w" "$MNT" \
		-- python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"w" * 8 * 4096)
os.fsync(fd)
os.close(fd)' "$MNT/w"
	assert_success
	[ "$(kq "sum(r['pages'] for r in rows('dirty', $ino))")" = 8 ]
	[ "$(kq "len(rows('writeback', $ino)) >= 1")" = True ]
	[ "$(kq "sum(r['length'] for r in rows('WRITE', $ino, 'daemon'))")" = 32768 ]
	[ "$(kq "all('(write-back)' in r['detail'] for r in rows('WRITE', $ino, 'daemon'))")" = True ]
	[ "$(kq "[r['match'] for r in rows('fuse-send', $ino) if r['op'] == 'WRITE']")" = "['daemon']" ]
}

@test "kernel: a big write is throttled (FUSE's strict bdi limit), charged to its file" {
	kernel_require_tracing
	gfs_start
	: >"$MNT/big"
	ino=$(stat -c %i "$MNT/big")
	run --separate-stderr fsinspect kernel -J -o $COLS,COMM "$MNT" \
		-- dd if=/dev/zero of="$MNT/big" bs=1M count=64
	assert_success
	# 64 MiB dirtied, far over 1 % of the dirty threshold.
	[ "$(kq "sum(r['pages'] for r in rows('dirty', $ino))")" = 16384 ]
	[ "$(kq "len(rows('throttle')) > 0")" = True ]
	[ "$(kq "set((r['ino'], r['match'], r['comm']) for r in rows('throttle'))")" = "{($ino, 'pid', 'dd')}" ]
}

# bats test_tags=slow
@test "kernel: reclaim in a small memory cgroup shows as evictions of the file" {
	kernel_require_tracing
	local cg=/sys/fs/cgroup/memory
	[ -w "$cg/cgroup.procs" ] || skip "no cgroup v1 memory controller"
	gfs_start
	dd if=/dev/zero of="$MNT/big" bs=1M count=48 status=none
	ino=$(stat -c %i "$MNT/big")
	python3 "$(ctl_script)" "$(gfs_rundir)/ctl" "inval $ino" >/dev/null
	CG=$(mktemp -d "$cg/fsinspect-test.XXXXXX")
	echo 16M >"$CG/memory.limit_in_bytes"
	run --separate-stderr fsinspect kernel -J -o $COLS -f "$MNT/big" "$MNT" \
		-- sh -c 'echo $$ >"$1/cgroup.procs"; cat "$2" >/dev/null' \
		sh "$CG" "$MNT/big"
	rmdir "$CG"
	assert_success
	# Reading 48 MiB in 16 MiB: most pages added were evicted again,
	# by the reader itself in its cgroup's reclaim.
	evicted=$(kq "sum(r['pages'] for r in rows('evict', $ino))")
	[ "$evicted" -ge 4096 ]
	[ "$(kq "set(r['detail'] for r in rows('evict', $ino))")" = "{'evicted by direct reclaim'}" ]
	[ "$(kq "sum(r['pages'] for r in rows('cache-add', $ino))")" -ge 12288 ]
}

@test "kernel: a mount without a trace gives kernel events only, unjoined" {
	kernel_require_tracing
	gfs_start -o notrace
	fsi_write "$MNT/f" 0 1
	run --separate-stderr fsinspect kernel -J -o $COLS "$MNT" -- cat "$MNT/f"
	assert_success
	[[ $stderr == *"mounted with -o notrace: kernel events only"* ]]
	[ "$(kq 'set(r["source"] for r in R)')" = "{'kernel'}" ]
	[ "$(kq "set(r['match'] for r in rows('fuse-send'))")" = "{'none'}" ]
}

@test "kernel: an invalidation removes every cached page, named as the daemon's" {
	kernel_require_tracing
	gfs_start
	fsi_write "$MNT/f" $(seq 0 15)
	ino=$(stat -c %i "$MNT/f")
	run fsi_oracle "$MNT/f"
	cached=${output%% *}
	[ "$cached" -gt 0 ] || skip "the written pages were not kept cached"
	run --separate-stderr fsinspect kernel -J -o $COLS -f "$MNT/f" "$MNT" \
		-- python3 "$(ctl_script)" "$(gfs_rundir)/ctl" "inval $ino"
	assert_success
	[ "$(kq "sum(r['pages'] for r in rows('cache-remove', $ino))")" = "$cached" ]
	[ "$(kq "set(r['detail'] for r in rows('cache-remove', $ino))")" = "{'invalidated by the daemon'}" ]
	[ "$(kq "len(rows('INVAL_INODE', $ino, 'daemon'))")" = 1 ]
}

@test "kernel: --file keeps one file's events; paths come from the daemon" {
	kernel_require_tracing
	gfs_start
	fsi_write "$MNT/a" 0 1
	fsi_write "$MNT/b" 0 1
	a=$(stat -c %i "$MNT/a")
	run --separate-stderr fsinspect kernel -J -o INO,PATH,EVENT "$MNT" \
		-- sh -c "cat '$MNT/a' '$MNT/b' >/dev/null"
	assert_success
	[ "$(kq "'/a' in set(r['path'] for r in R) and '/b' in set(r['path'] for r in R)")" = True ]
	run --separate-stderr fsinspect kernel -J -o INO,PATH,EVENT \
		-f "$MNT/a" "$MNT" -- sh -c "cat '$MNT/a' '$MNT/b' >/dev/null"
	assert_success
	[ "$(kq "set(r['ino'] for r in R)")" = "{$a}" ]
}

@test "kernel: a failing COMMAND is reported and gives exit 2" {
	kernel_require_tracing
	gfs_start
	run --separate-stderr fsinspect kernel "$MNT" -- false
	assert_failure 2
	[[ $stderr == *"'false' exited with status 1"* ]]
	assert_no_leftovers
}

@test "kernel: SIGINT ends the recording cleanly: timeline printed, instance gone" {
	kernel_require_tracing
	gfs_start
	fsi_write "$MNT/f" 0 1 2 3
	fsinspect kernel -o SOURCE,EVENT "$MNT" >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	FSI_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		[ -d /sys/kernel/tracing/instances/fsinspect-$pid ] && break
		sleep 0.05
	done
	[ -d /sys/kernel/tracing/instances/fsinspect-$pid ]
	sleep 0.3
	cat "$MNT/f" >/dev/null
	sleep 0.3
	kill -INT "$pid"
	wait "$pid"
	[ ! -e /sys/kernel/tracing/instances/fsinspect-$pid ]
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --regexp '^daemon +OPEN'
	assert_line --regexp '^kernel +fuse-send'
	assert_no_leftovers
}

@test "kernel: --duration stops by itself; the JSON is one document" {
	kernel_require_tracing
	gfs_start
	SECONDS=0
	run --separate-stderr fsinspect kernel -J -d 0.5 "$MNT"
	assert_success
	[ "$SECONDS" -lt 10 ]
	run fsi_json
	assert_success
	assert_no_leftovers
}
