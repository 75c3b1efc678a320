#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect demo: every demonstration runs to its end on a scratch glassfs
# mount and in a tmpfs directory, leaves nothing behind (mounts, daemons,
# directories, cgroups, sysctls), and prints a verdict that its own
# figures give by the rule it states: tests/helpers/demo-verdict.py
# computes each rule again from the JSON.

load helpers/common

bats_require_minimum_version 1.5.0

setup() {
	command -v fsinspect >/dev/null ||
		skip "fsinspect is not built (run through tests/run)"
	[ "$(getconf PAGESIZE)" = 4096 ] || skip "the rules assume 4 KiB pages"
	gfs_setup
	# Scratch mounts go under the test's own directory.
	export TMPDIR=$BATS_TEST_TMPDIR
	EXPIRE0=$(cat /proc/sys/vm/dirty_expire_centisecs)
	PERIOD0=$(cat /proc/sys/vm/dirty_writeback_centisecs)
	DEMO_PID=
	SHM=
}

teardown() {
	# Only the fsinspect this test started, by its PID.
	if [ -n "$DEMO_PID" ]; then
		kill "$DEMO_PID" 2>/dev/null
		wait "$DEMO_PID" 2>/dev/null
	fi
	[ -z "$SHM" ] || rm -rf "$SHM"
	gfs_teardown
}

CHECK=$BATS_TEST_DIRNAME/helpers/demo-verdict.py

# fsinspect demo, marked so that every process it leaves (daemons, forked
# measuring children) can be found by its environment.
demo() {
	FSI_DEMO_MARK=$BATS_TEST_TMPDIR fsinspect demo "$@"
}

# Nothing of fsinspect demo is left: no scratch mount, no daemon or
# child still running on one, no scratch directory, no cgroup, no
# changed sysctl, no private tracefs.
demo_clean() {
	local left
	left=$(awk -v d="$BATS_TEST_TMPDIR/" \
		'index($5, d) == 1 && $5 ~ /fsinspect-demo\./ { print $5 }' \
		/proc/self/mountinfo) || true
	[ -z "$left" ] || { echo "still mounted: $left" >&2; return 1; }
	left=$(grep -lsF "FSI_DEMO_MARK=$BATS_TEST_TMPDIR" \
		/proc/[0-9]*/environ 2>/dev/null) || true
	[ -z "$left" ] || { echo "still running: $left" >&2; return 1; }
	left=$(compgen -G "$BATS_TEST_TMPDIR/fsinspect-demo.*") || true
	[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
	if [ -n "$SHM" ]; then
		left=$(compgen -G "$SHM/fsinspect-demo.*") || true
		[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
	fi
	left=$(find /sys/fs/cgroup/memory -maxdepth 4 -type d \
		-name "fsinspect-demo.${1:-*}" 2>/dev/null) || true
	[ -z "$left" ] || { echo "cgroup left: $left" >&2; return 1; }
	[ "$(cat /proc/sys/vm/dirty_expire_centisecs)" = "$EXPIRE0" ] ||
		{ echo "dirty_expire_centisecs not restored" >&2; return 1; }
	[ "$(cat /proc/sys/vm/dirty_writeback_centisecs)" = "$PERIOD0" ] ||
		{ echo "dirty_writeback_centisecs not restored" >&2; return 1; }
}

# demo_json ARGS...: run fsinspect demo --json ARGS, check it succeeded,
# that every verdict follows from its figures, and that nothing is left.
demo_json() {
	run --separate-stderr demo --json "$@"
	echo "$stderr" >&2
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.json"
	run python3 "$CHECK" "$BATS_TEST_TMPDIR/out.json"
	echo "$output" >&2
	assert_success
	demo_clean
}

# --fast needs root; without root mmap-writeback waits tens of seconds.
fast() {
	[ "$(id -u)" -eq 0 ] && echo --fast
}

tmpfs_dir() {
	SHM=$(mktemp -d /dev/shm/fsinspect-demo-test.XXXXXX)
}

# --- the list and the command line ------------------------------------

@test "demo: the list names every demonstration, with its claim" {
	run demo
	assert_success
	for name in reread readahead evict copy mmap-syscalls mmap-pagecache \
		mmap-tail mmap-writeback mmap-coherence; do
		assert_line --regexp "^$name +C[0-9]+ "
	done
	run demo --json
	assert_success
	run python3 -c 'import json,sys; d=json.load(sys.stdin)["demos"]; print(len(d), d[0]["name"], d[0]["claim"])' <<<"$output"
	assert_output --regexp '^[0-9]+ reread C1$'
}

@test "demo: misuse exits 1 with one hint" {
	run --separate-stderr demo nosuchdemo
	assert_failure 1
	[[ $stderr == *"unknown demonstration 'nosuchdemo'"* ]]
	run --separate-stderr demo --on /tmp --mount /tmp reread
	assert_failure 1
	run --separate-stderr demo --all reread
	assert_failure 1
	run --separate-stderr demo --mount "$BATS_TEST_TMPDIR" reread
	assert_failure 2
	demo_clean
}

@test "demo: a claim names its demonstration (C1 is reread)" {
	run --separate-stderr demo --json c1
	assert_success
	run python3 -c 'import json,sys; print(json.load(sys.stdin)["demos"][0]["name"])' <<<"$output"
	assert_output reread
	demo_clean
}

# --- every demonstration on its scratch glassfs mount ------------------

@test "demo on glassfs: reread (C1), in text, within 20 s" {
	local t0=$SECONDS
	run --separate-stderr demo reread
	assert_success
	assert_line --regexp '^  verdict +(reproduced|refuted|partly|unknown): '
	assert_line --regexp '^read2_reads +[0-9]+ requests +daemon trace'
	[ $((SECONDS - t0)) -le 20 ]
	demo_clean
}

@test "demo on glassfs: reread (C1)" {
	demo_json reread
}

@test "demo on glassfs: readahead (C2)" {
	demo_json readahead
}

@test "demo on glassfs: evict (C3)" {
	demo_json evict
}

@test "demo on glassfs: copy (C4)" {
	demo_json copy
}

@test "demo on glassfs: mmap-syscalls (C5)" {
	demo_json mmap-syscalls
}

@test "demo on glassfs: mmap-pagecache (C6)" {
	demo_json mmap-pagecache
}

@test "demo on glassfs: mmap-tail (C7)" {
	demo_json mmap-tail
}

@test "demo on glassfs: mmap-writeback (C8) with --fast" {
	gfs_require_root
	demo_json --fast mmap-writeback
}

# bats test_tags=slow
@test "demo on glassfs: mmap-writeback (C8) at the kernel's own pace" {
	demo_json mmap-writeback
}

@test "demo on glassfs: mmap-coherence (C9)" {
	demo_json mmap-coherence
}

# --- every demonstration in a tmpfs directory -------------------------

@test "demo --on tmpfs: C1 to C4" {
	tmpfs_dir
	demo_json --on "$SHM" reread readahead evict copy
}

@test "demo --on tmpfs: C5 to C9" {
	tmpfs_dir
	demo_json --on "$SHM" $(fast) mmap-syscalls mmap-pagecache mmap-tail \
		mmap-writeback mmap-coherence
}

@test "demo --on ext4: the storage reads the kernel accounts decide C1" {
	[ "$(stat -f -c %T "$BATS_TEST_TMPDIR")" = ext2/ext3 ] ||
		skip "$BATS_TEST_TMPDIR is not on ext4"
	demo_json --on "$BATS_TEST_TMPDIR" reread
	run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["demos"][0]
f = {x["key"]: x for x in d["figures"]}
assert f["read1_reads"]["state"] == "n/a", f["read1_reads"]
assert f["read1_inblock"]["value"] >= f["size"]["value"], f["read1_inblock"]
' "$BATS_TEST_TMPDIR/out.json"
	assert_success
}

# --- an existing mount, all at once, signals, privileges ---------------

@test "demo --mount: runs in a directory of its own and leaves the mount" {
	gfs_mount -o cache=always
	demo_json --mount "$MNT" reread mmap-tail
	gfs_mounted
	run ls -A "$MNT"
	assert_output ""
	run python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))["demos"]}
f = {x["key"]: x for x in d["mmap-tail"]["figures"]}
assert f["reload"]["value"] == "inval", f["reload"]
' "$BATS_TEST_TMPDIR/out.json"
	assert_success
}

# bats test_tags=slow
@test "demo --all: every demonstration, then the summary table" {
	run --separate-stderr demo --all $(fast)
	assert_success
	for c in C1 C2 C3 C4 C5 C6 C7 C8 C9 C10 C11 C12 C13 C14 C15 C16 C17; do
		assert_line --regexp "^$c +[a-z-]+ +(reproduced|refuted|partly|unknown) "
	done
	demo_clean
}

@test "demo: SIGTERM while waiting undoes everything and kills fsinspect" {
	# env execs fsinspect: $! is its PID (a function's would be a
	# subshell's).  fd 3 is bats' own.
	env FSI_DEMO_MARK="$BATS_TEST_TMPDIR" fsinspect demo mmap-writeback \
		>"$BATS_TEST_TMPDIR/demo.out" \
		2>"$BATS_TEST_TMPDIR/demo.err" 3>&- &
	DEMO_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qs "fsinspect-demo\..*/mnt fuse.glassfs" /proc/self/mounts &&
			break
		sleep 0.05
	done
	sleep 1
	kill -TERM "$DEMO_PID"
	local rc=0
	wait "$DEMO_PID" || rc=$?
	DEMO_PID=
	[ "$rc" -eq 143 ]
	grep -q "interrupted" "$BATS_TEST_TMPDIR/demo.err"
	demo_clean
}

@test "demo: SIGINT restores the sysctls --fast lowered" {
	gfs_require_root
	env FSI_DEMO_MARK="$BATS_TEST_TMPDIR" fsinspect demo --fast \
		mmap-writeback >/dev/null 2>&1 3>&- &
	DEMO_PID=$!
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(cat /proc/sys/vm/dirty_expire_centisecs)" = 100 ] && break
		sleep 0.01
	done
	kill -INT "$DEMO_PID"
	local rc=0
	wait "$DEMO_PID" || rc=$?
	DEMO_PID=
	# Interrupted (130), or it had just finished (0).
	[ "$rc" -eq 130 ] || [ "$rc" -eq 0 ]
	demo_clean
}

@test "demo: SIGKILL cannot leave the sysctls lowered: its guardian restores them" {
	gfs_require_root
	env FSI_DEMO_MARK="$BATS_TEST_TMPDIR" fsinspect demo --fast \
		mmap-writeback >/dev/null 2>"$BATS_TEST_TMPDIR/demo.err" 3>&- &
	DEMO_PID=$!
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(cat /proc/sys/vm/dirty_writeback_centisecs)" = 100 ] && break
		sleep 0.01
	done
	[ "$(cat /proc/sys/vm/dirty_writeback_centisecs)" = 100 ]
	kill -KILL "$DEMO_PID"
	wait "$DEMO_PID" || true
	DEMO_PID=
	for ((i = 0; i < 200; i++)); do
		[ "$(cat /proc/sys/vm/dirty_expire_centisecs)" = "$EXPIRE0" ] &&
			[ "$(cat /proc/sys/vm/dirty_writeback_centisecs)" = "$PERIOD0" ] &&
			break
		sleep 0.05
	done
	grep -q "restored /proc/sys/vm/dirty_expire_centisecs" \
		"$BATS_TEST_TMPDIR/demo.err"
	# The daemon got SIGTERM when fsinspect died, and unmounted itself;
	# it and the guardian exit in their own time (longer under the
	# sanitizers, whose leak check runs at exit); only the killed
	# process's scratch directory stays.
	for ((i = 0; i < 100; i++)); do
		! awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1' \
			/proc/self/mountinfo | grep -q . &&
			! grep -qsF "FSI_DEMO_MARK=$BATS_TEST_TMPDIR" \
				/proc/[0-9]*/environ && break
		sleep 0.1
	done
	rm -rf "$BATS_TEST_TMPDIR"/fsinspect-demo.*
	demo_clean
}

@test "demo as an unprivileged user: root-only figures are unknown, never invented" {
	gfs_require_root
	local d=$BATS_TEST_TMPDIR/nobody p
	mkdir -m 1777 "$d"
	p=$d
	while [ "$p" != / ]; do
		chmod o+x "$p"
		p=$(dirname "$p")
	done
	run --separate-stderr setpriv --reuid=65534 --regid=65534 \
		--clear-groups env TMPDIR="$d" FSI_DEMO_MARK="$BATS_TEST_TMPDIR" \
		"$(command -v fsinspect)" demo --json evict mmap-pagecache
	echo "$stderr" >&2
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.json"
	run python3 "$CHECK" "$BATS_TEST_TMPDIR/out.json"
	assert_success
	run python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))["demos"]}
f = {x["key"]: x for x in d["evict"]["figures"]}
assert f["drop_cached_after"]["state"] == "unknown", f["drop_cached_after"]
assert f["pressure_evicted"]["state"] == "unknown", f["pressure_evicted"]
assert d["evict"]["verdict"] in ("partly", "unknown"), d["evict"]["verdict"]
f = {x["key"]: x for x in d["mmap-pagecache"]["figures"]}
assert f["same_frames"]["state"] == "unknown", f["same_frames"]
assert f["map_lru_file"]["state"] == "unknown", f["map_lru_file"]
' "$BATS_TEST_TMPDIR/out.json"
	assert_success
	run compgen -G "$d/fsinspect-demo.*"
	assert_failure
	demo_clean
}

# --- C10 to C17 ---------------------------------------------------------

# json_check PYTHON: run PYTHON with d = {name: demo} and f(name) = {key:
# figure} of the last demo_json output.
json_check() {
	run python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))["demos"]}
def f(name):
    return {x["key"]: x for x in d[name]["figures"]}
def v(name, key):
    return f(name)[key]["value"]
def state(name, key):
    return f(name)[key]["state"]
'"$1" "$BATS_TEST_TMPDIR/out.json"
	echo "$output" >&2
	assert_success
}

@test "demo: the list names C10 to C17; writeback-periodic is slow" {
	run demo
	assert_success
	for name in mmap-shared msync crash-app writeback-periodic \
		small-mapping exec-maps mmap-speed anon-mapping; do
		assert_line --regexp "^$name +C1[0-7] "
	done
	run demo --json
	assert_success
	run python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(sys.stdin)["demos"]}
assert len(d) == 17, len(d)
assert d["writeback-periodic"]["slow"] is True, d["writeback-periodic"]
assert d["mmap-shared"]["slow"] is False, d["mmap-shared"]
' <<<"$output"
	assert_success
}

@test "demo: --quick goes with --all" {
	run --separate-stderr demo --quick reread
	assert_failure 1
	[[ $stderr == *"--quick goes with --all"* ]]
	demo_clean
}

@test "demo on glassfs: mmap-shared (C10)" {
	demo_json mmap-shared
	json_check '
assert v("mmap-shared", "b_reads") == 0, f("mmap-shared")["b_reads"]
assert v("mmap-shared", "a_reads") > 0, f("mmap-shared")["a_reads"]
'
}

@test "demo on glassfs: msync (C11)" {
	demo_json msync
	json_check '
assert v("msync", "dirty_msync") == 0, f("msync")["dirty_msync"]
assert v("msync", "msync_writes") > 0, f("msync")["msync_writes"]
'
}

@test "demo on glassfs: crash-app (C12): fsync'd and committed data survive the daemon" {
	demo_json $(fast) crash-app
	json_check '
n = v("crash-app", "dmn_written")
assert v("crash-app", "dmn_synced") == n, f("crash-app")["dmn_synced"]
assert v("crash-app", "dmn_committed") == n, f("crash-app")["dmn_committed"]
assert v("crash-app", "survived") == v("crash-app", "written")
assert state("crash-app", "pl_batch_bytes") == "measured"
'
}

@test "demo on glassfs: writeback-periodic (C13) with --fast" {
	gfs_require_root
	demo_json --fast writeback-periodic
}

# bats test_tags=slow
@test "demo on glassfs: writeback-periodic (C13) at the kernel's own pace" {
	demo_json writeback-periodic
}

@test "demo on glassfs: small-mapping (C14)" {
	demo_json small-mapping
	json_check '
assert v("small-mapping", "map_size") == 4096, f("small-mapping")["map_size"]
assert v("small-mapping", "store_bytes") == 100
'
}

@test "demo on glassfs: exec-maps (C15)" {
	demo_json exec-maps
	json_check '
assert v("exec-maps", "loaded") == 1, f("exec-maps")["loaded"]
assert "r-xp" in v("exec-maps", "perms"), f("exec-maps")["perms"]
'
}

@test "demo on glassfs: mmap-speed (C16)" {
	demo_json mmap-speed
	json_check '
assert v("mmap-speed", "cold_cached") == 0, f("mmap-speed")["cold_cached"]
assert v("mmap-speed", "cold_read_reads") > 0
'
}

@test "demo on glassfs: anon-mapping (C17)" {
	demo_json anon-mapping
	json_check '
assert v("anon-mapping", "shared_seen") == 1
assert v("anon-mapping", "private_seen") == 0
assert v("anon-mapping", "private_ino") == 0
'
}

@test "demo --on tmpfs: C10 to C17" {
	tmpfs_dir
	demo_json --on "$SHM" $(fast) mmap-shared msync crash-app \
		writeback-periodic small-mapping exec-maps mmap-speed anon-mapping
	json_check '
for name in d:
    assert d[name]["fstype"] == "tmpfs", (name, d[name]["fstype"])
assert state("crash-app", "dmn_synced") == "n/a"
assert state("msync", "munmap_writes") == "n/a"
'
}

@test "demo --mount: crash-app, small-mapping, exec-maps leave the mount as it was" {
	gfs_mount -o cache=always
	demo_json --mount "$MNT" crash-app small-mapping exec-maps
	gfs_mounted
	run ls -A "$MNT"
	assert_output ""
	json_check '
assert v("crash-app", "reload") == "inval", f("crash-app")["reload"]
assert state("crash-app", "dmn_batch") == "n/a"
'
}

@test "demo as an unprivileged user: C10, C15, C17 without frames, and exec works" {
	gfs_require_root
	local d=$BATS_TEST_TMPDIR/nobody p
	mkdir -m 1777 "$d"
	p=$d
	while [ "$p" != / ]; do
		chmod o+x "$p"
		p=$(dirname "$p")
	done
	run --separate-stderr setpriv --reuid=65534 --regid=65534 \
		--clear-groups env TMPDIR="$d" FSI_DEMO_MARK="$BATS_TEST_TMPDIR" \
		"$(command -v fsinspect)" demo --json mmap-shared exec-maps \
		anon-mapping
	echo "$stderr" >&2
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.json"
	run python3 "$CHECK" "$BATS_TEST_TMPDIR/out.json"
	assert_success
	json_check '
assert state("mmap-shared", "same_frames") == "unknown"
assert state("mmap-shared", "mapcount2") == "unknown"
assert v("exec-maps", "noexec") == 0, f("exec-maps")["noexec"]
assert v("exec-maps", "loaded") == 1, f("exec-maps")["loaded"]
assert state("anon-mapping", "shared_same_after") == "unknown"
assert v("anon-mapping", "out_map_files") != "ok"
'
	run compgen -G "$d/fsinspect-demo.*"
	assert_failure
	demo_clean
}

@test "demo: SIGTERM while writeback-periodic waits undoes everything" {
	env FSI_DEMO_MARK="$BATS_TEST_TMPDIR" fsinspect demo \
		writeback-periodic >"$BATS_TEST_TMPDIR/demo.out" \
		2>"$BATS_TEST_TMPDIR/demo.err" 3>&- &
	DEMO_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qs "fsinspect-demo\..*/mnt fuse.glassfs" /proc/self/mounts &&
			break
		sleep 0.05
	done
	sleep 2
	kill -TERM "$DEMO_PID"
	local rc=0
	wait "$DEMO_PID" || rc=$?
	DEMO_PID=
	[ "$rc" -eq 143 ]
	demo_clean
}

# bats test_tags=slow
@test "demo --all --quick: every demonstration but the slow ones" {
	local t0=$SECONDS
	demo_json --all --quick
	json_check '
names = set(d)
assert "writeback-periodic" not in names and "mmap-writeback" not in names
assert len(names) == 15, sorted(names)
'
	echo "took $((SECONDS - t0)) s" >&2
}
