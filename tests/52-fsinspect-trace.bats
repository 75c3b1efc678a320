#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect trace: the command line, following the ring live, the
# columns (paths, command names, decoded details), the filters, the
# ways a session ends, and that the tracer itself sends the mount no
# request.  What the records say about the kernel is tests/20-glass.

load helpers/common
load helpers/fsinspect
load helpers/trace

bats_require_minimum_version 1.5.0

setup() {
	fsi_setup
	trc_setup
}

teardown() {
	fsi_teardown
	gfs_teardown
}

gfs_start() {
	gfs_setup
	gfs_mount "$@"
}

# --- command line ---------------------------------------------------------

@test "trace --help: stdout, exit 0, every column with its meaning" {
	run --separate-stderr fsinspect trace --help
	assert_success
	[ -z "$stderr" ]
	for col in SEQ TIME PID COMMAND UID OP INO OFFSET LENGTH RESULT ERRNO \
		LATENCY SQL FLAGS AUX DETAIL NAME PATH; do
		assert_line --regexp "^ $col +[A-Za-z(]"
	done
	assert_line --partial "--since-start"
}

@test "trace misuse: exit 1, one Try line, nothing on stdout" {
	local args
	for args in "" "a b" "-e NOSUCHOP ." "-c 0 ." "-d -1 ." "-o BOGUS ." \
		"-p x ." "--bogus ."; do
		run --separate-stderr fsinspect trace $args
		[ "$status" = 1 ] || { echo "args '$args': $status"; false; }
		[ -z "$output" ]
		[[ $stderr == *"Try 'fsinspect trace --help'"* ]]
	done
}

@test "trace on a path that is not glassfs: exit 2 and why" {
	local d
	d=$(fsi_tmpfs_dir)
	run --separate-stderr fsinspect trace "$d"
	[ "$status" = 2 ]
	[[ $stderr == *"'$d' is not on a glassfs mount (it is on tmpfs"* ]]
	run --separate-stderr fsinspect trace "$BATS_TEST_TMPDIR"
	[ "$status" = 2 ]
	[[ $stderr == *"is not on a glassfs mount"* ]]
	run --separate-stderr fsinspect trace /nonexistent/x
	[ "$status" = 2 ]
	[[ $stderr == *"cannot find the mount of '/nonexistent/x'"* ]]
}

# --- following the ring ---------------------------------------------------

@test "follow: a process's requests as they happen, with paths and its name; SIGINT ends it, exit 0" {
	local pid ino
	gfs_start
	mkdir "$MNT/d"
	trc_follow
	trc_start w python3 "$TRC_HELPER" write-hold "$MNT/d/f" 4 4096 close
	trc_wait w written
	pid=$(eval echo \$TRC_PID_w)
	ino=$(trc_ino "$MNT/d/f")
	trc_until '"op":"CREATE"'
	trc_go w close
	trc_wait w closed
	trc_reap w
	trc_until '"writeback"'
	trc_follow_end
	[ "$TRC_STATUS" = 0 ]
	TRC_OUT=$TRC_FOLLOW
	python3 - "$TRC_FOLLOW" "$pid" "$ino" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pid, ino = int(sys.argv[2]), int(sys.argv[3])
create = [r for r in recs if r["op"] == "CREATE"]
assert len(create) == 1, create
c = create[0]
# the name op's path is its directory's and its name; the inode found
assert c["path"] == "/d/f" and c["name"] == "f", c
assert c["pid"] == pid and c["command"] == "python3", c
assert c["detail"] == "ino=%d" % ino and c["aux"] == ino, c
# the write-back at close: the kernel's, flagged, on the file's path
w = [r for r in recs if r["op"] == "WRITE" and r["ino"] == ino]
assert w and all("writeback" in r["flags"] for r in w), w
assert all(r["path"] == "/d/f" for r in w), w
assert sum(r["result"] for r in w) == 4 * 4096
# keys are the columns, in lower case
assert set(c) == {"seq", "time", "pid", "command", "uid", "op", "ino",
                  "offset", "length", "result", "errno", "latency", "sql",
                  "flags", "aux", "detail", "name", "path"}, sorted(c)
PY
}

@test "text output: the heading at once, fixed columns, '-' for what an op lacks" {
	gfs_start
	echo hello >"$MNT/f"
	cat "$MNT/f" >/dev/null
	run fsinspect trace --all --no-follow -e READ,LOOKUP,OPEN "$MNT"
	assert_success
	assert_line --index 0 --regexp '^ +TIME +PID COMMAND +OP +INO +OFFSET +LENGTH +RESULT LATENCY +SQL FLAGS +PATH$'
	assert_line --regexp ' LOOKUP +1 +- +- +ENOENT +[0-9.]+[mun]?s +[0-9.]+[mun]?s - +/f$'
	assert_line --regexp '^ +[0-9]+\.[0-9]{6} +[0-9]+ [^ ]+ +OPEN +2 +- +- +0 .* /f$'
	# a live session with nothing to show prints its heading and ends
	run timeout 10 fsinspect trace --duration 0.3 -e MKNOD "$MNT"
	assert_success
	assert_output --regexp '^ +TIME +PID COMMAND'
	[ "${#lines[@]}" = 1 ]
}

@test "DETAIL decodes the op-specific field; PATH is the path when the record was made" {
	gfs_start
	echo hello >"$MNT/f"
	truncate -s 3 "$MNT/f"
	mv "$MNT/f" "$MNT/g"
	gfs-sys open "$MNT/g" "O_RDWR|O_APPEND"
	run fsinspect trace -a -N -o OP,NAME,DETAIL,PATH -e CREATE,SETATTR,RENAME,OPEN "$MNT"
	assert_success
	assert_line --regexp '^CREATE +f +ino=2 +/f$'
	# the path a record established (CREATE named it /f) holds until a
	# rename; after it the daemon's current path
	assert_line --regexp '^SETATTR +- +size=3(,[a-z_]+)* +/f$'
	assert_line --regexp '^RENAME +f +newparent=1(,noreplace)? +/f$'
	assert_line --regexp '^SETATTR +- +[a-z_,]+ +/g$'
	assert_line --regexp '^OPEN +- +O_RDWR\|O_APPEND'
}

@test "missed records: '# missed N records' in the text" {
	gfs_start -o trace_records=1024
	fsinspect trace "$MNT" >"$BATS_TEST_TMPDIR/text" 2>&1 3>&- &
	TRC_PID=$!
	FSI_PIDS+=("$TRC_PID")
	sleep 0.5
	kill -STOP "$TRC_PID"
	python3 -c '
import os, sys
for i in range(1500):
    try:
        os.stat(sys.argv[1] + "/nx%d" % i)
    except FileNotFoundError:
        pass
' "$MNT"
	kill -CONT "$TRC_PID"
	run ! stat "$MNT/the-end"
	TRC_FOLLOW=$BATS_TEST_TMPDIR/text
	trc_until the-end
	trc_follow_end
	[ "$TRC_STATUS" = 0 ]
	run grep -E '^# missed [0-9]+ records$' "$BATS_TEST_TMPDIR/text"
	assert_success
	[ "${#lines[@]}" = 1 ]
}

# --- filters --------------------------------------------------------------

@test "--pid, --comm, --op, --errors select records" {
	local p1 p2
	gfs_start
	trc_start a python3 "$TRC_HELPER" writes "$MNT/a" 10
	trc_start b python3 "$TRC_HELPER" writes "$MNT/b" 10
	trc_wait a written
	trc_wait b written
	p1=$(eval echo \$TRC_PID_a)
	p2=$(eval echo \$TRC_PID_b)
	run ! stat "$MNT/missing"
	TRC_MARK=0
	trc_since --pid "$p1"
	python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs and all(r["pid"] == int(sys.argv[2]) for r in recs), recs
assert any(r["name"] == "a" for r in recs)
' "$TRC_OUT" "$p1"
	# both helpers are alive: their records carry their name
	trc_since --comm nosuch,python3
	python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pids = {int(p) for p in sys.argv[2:]}
assert recs and {r["pid"] for r in recs} == pids, recs
assert all(r["command"] == "python3" for r in recs)
' "$TRC_OUT" "$p1" "$p2"
	trc_since --comm nosuch
	[ ! -s "$TRC_OUT" ]
	trc_since --op create,lookup --errors
	python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs and all(r["op"] == "LOOKUP" and r["result"] < 0 for r in recs), recs
assert "missing" in [r["name"] for r in recs]
' "$TRC_OUT"
	trc_go a close
	trc_go b close
	trc_reap a
	trc_reap b
}

@test "--file: a file's own requests and the name ops naming it; a directory's entries" {
	local ino dino
	gfs_start
	mkdir "$MNT/d" "$MNT/e"
	echo x >"$MNT/d/f"
	echo y >"$MNT/e/g"
	run ! stat "$MNT/d/nothing"
	cat "$MNT/d/f" "$MNT/e/g" >/dev/null
	ino=$(trc_ino "$MNT/d/f")
	dino=$(trc_ino "$MNT/d")
	TRC_MARK=0
	trc_since --file "$MNT/d/f"
	python3 - "$TRC_OUT" "$ino" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ino = int(sys.argv[2])
assert recs, "records"
for r in recs:
    assert r["ino"] == ino or r["aux"] == ino, r
ops = {r["op"] for r in recs}
assert {"CREATE", "WRITE", "OPEN"} <= ops, ops
PY
	trc_since --file "$MNT/d"
	python3 - "$TRC_OUT" "$dino" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dino = int(sys.argv[2])
names = {r["name"] for r in recs if r["name"]}
assert {"f", "nothing"} <= names and "g" not in names, names
assert all(r["ino"] == dino or r["aux"] == dino for r in recs)
PY
	run --separate-stderr fsinspect trace --file /etc/passwd "$MNT"
	[ "$status" = 2 ]
	[[ $stderr == *"'/etc/passwd' is not on the mount"* ]]
}

# --- how a session ends ---------------------------------------------------

@test "--count N prints N records and ends; --duration ends on time" {
	gfs_start
	for i in 1 2 3 4 5 6; do run ! stat "$MNT/m$i"; done
	run fsinspect trace --all --count 4 --json "$MNT"
	assert_success
	[ "${#lines[@]}" = 4 ]
	SECONDS=0
	run timeout 10 fsinspect trace --duration 0.5 --json "$MNT"
	assert_success
	[ "$SECONDS" -lt 3 ]
}

@test "the end of the mount ends a follow session, exit 0" {
	gfs_start
	trc_follow
	gfs_umount
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TRC_PID" 2>/dev/null || break
		sleep 0.05
	done
	trc_follow_end
	[ "$TRC_STATUS" = 0 ]
	grep -q "the mount '$MNT' ended" "$BATS_TEST_TMPDIR/follow.err"
}

@test "--wall: TIME is the time of day (JSON: seconds since the epoch)" {
	gfs_start
	run ! stat "$MNT/x"
	run fsinspect trace -a -N --wall --json -e LOOKUP "$MNT"
	assert_success
	python3 -c '
import json, sys, time
r = json.loads(sys.argv[1].splitlines()[-1])
assert abs(r["time"] - time.time()) < 30, r["time"]
' "$output"
	run fsinspect trace -a -N --wall -o TIME -e LOOKUP "$MNT"
	assert_line --regexp '^ *[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6}$'
}

# --- paths --------------------------------------------------------------

@test "paths follow renames; unusual names are escaped in text, exact in JSON" {
	gfs_start
	mkdir "$MNT/d"
	echo x >"$MNT/d/f"
	trc_follow
	mv "$MNT/d" "$MNT/e"
	cat "$MNT/e/f" >/dev/null
	printf 'z' >"$MNT/e/$(printf 'a b\tc')"
	trc_until '"op":"CREATE"'
	trc_follow_end
	python3 - "$TRC_FOLLOW" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
opens = [r for r in recs if r["op"] == "OPEN"]
assert opens[0]["path"] == "/e/f", opens
c = [r for r in recs if r["op"] == "CREATE"][0]
assert c["path"] == "/e/a b\tc", c
PY
	run fsinspect trace -a -N -e CREATE -o PATH "$MNT"
	assert_line '/e/a b\x09c'
	run fsinspect trace -a -N --raw -e CREATE -o PATH "$MNT"
	assert_line '/e/a\x20b\x09c'
}

# --- what it perturbs -----------------------------------------------------

@test "trace and stats send the mount no request of their own" {
	local pids=() pid
	gfs_start
	echo x >"$MNT/f"
	sleep 1.1 # past the attribute timeout: a stat would need GETATTR
	fsinspect trace -a -N "$MNT" >/dev/null &
	pids+=($!)
	fsinspect trace -a -N "$MNT/" >/dev/null &
	pids+=($!)
	fsinspect stats --inodes "$MNT" >/dev/null &
	pids+=($!)
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	TRC_MARK=0
	trc_since
	for pid in "${pids[@]}"; do
		run grep -c "\"pid\":$pid," "$TRC_OUT"
		assert_output 0
	done
}
