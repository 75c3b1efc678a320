#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect watch: plain blocks when stdout is not a terminal, JSON
# frames, a full screen on a terminal that is given back; dirty pages of
# a file that another process keeps dirty survive every refresh (the
# files are held open) and the single close at the end is reported;
# write-back figures are unknown without fusectl and debugfs and known
# with them (mounted in a private mount namespace, so that nothing is
# left mounted).

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
	trc_ready
}

@test "watch --help and misuse" {
	run --separate-stderr fsinspect watch --help
	assert_success
	assert_line --partial "-n, --top N"
	run --separate-stderr fsinspect watch
	[ "$status" = 1 ]
	run --separate-stderr fsinspect watch -i 0 /
	[ "$status" = 1 ]
	run --separate-stderr fsinspect watch -n x /
	[ "$status" = 1 ]
	run --separate-stderr fsinspect watch "$BATS_TEST_TMPDIR"
	[ "$status" = 2 ]
	[[ $stderr == *"is not on a glassfs mount"* ]]
}

@test "not a terminal: one plain block per interval, -c blocks, exit 0" {
	gfs_start
	echo hello >"$MNT/f"
	run --separate-stderr timeout 20 fsinspect watch -i 0.2 -c 3 "$MNT"
	assert_success
	run grep -c '^glassfs at ' <<<"$output"
	assert_output 3
	run grep -c $'\033' <<<"$output"
	assert_output 0
}

# A holder keeps 8 dirty pages in a file it holds open: every frame shows
# them (watch holds the file open too, so it never closes it between
# frames); its one close at the end writes them back, and says so.  No
# cachestat oracle here: its own close would write the pages back.  The
# trace shows the write-back instead: the 8 pages, then watch's FLUSH.
dirty_survives() {
	local i pid ino
	fsi_tell "$HOLDER_CTL" rewrite || return 1
	ino=$(trc_ino "$MNT/h")
	trc_mark
	fsinspect watch --json -i 0.3 -c 3 "$MNT" >"$BATS_TEST_TMPDIR/w.json" &
	pid=$!
	wait "$pid" || return 1
	python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
frames, end = lines[:-1], lines[-1]
assert len(frames) == 3
for f in frames:
    h = [x for x in f["files"] if x["path"] == "/h"]
    assert h and h[0]["cached"] == 8 and h[0]["dirty"] == 8, f["files"]
    assert f["writeback"]["dirty_pages"] >= 8
assert end == {"closed_files": 1, "flushed": 8}, end
' "$BATS_TEST_TMPDIR/w.json" || return 1
	trc_since -e WRITE,FLUSH || return 1
	python3 - "$TRC_OUT" "$pid" "$ino" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pid, ino = int(sys.argv[2]), int(sys.argv[3])
recs = [r for r in recs if r["ino"] == ino]
flush = [i for i, r in enumerate(recs) if r["op"] == "FLUSH" and r["pid"] == pid]
assert len(flush) == 1, recs
w = [r for r in recs[:flush[0]] if r["op"] == "WRITE"]
assert sum(r["length"] for r in w) == 8 * 4096, w
assert all("writeback" in r["flags"] for r in w)
PY
}

@test "dirty pages survive every refresh; the close at the end writes them back, reported" {
	gfs_start
	fsi_holder "$MNT/h" 8
	fsi_try 4 dirty_survives
}

@test "requests per second by op, from the daemon's counters" {
	gfs_start
	trc_start l python3 "$TRC_HELPER" lookups "$MNT" 4
	trc_wait l started
	run fsinspect watch --json -i 0.5 -c 2 "$MNT"
	assert_success
	python3 -c '
import json, sys
f = json.loads(sys.argv[1].splitlines()[1])
o = {x["op"]: x for x in f["requests"]}["LOOKUP"]
assert o["count"] > 10 and abs(o["rate"] - o["count"] / f["seconds"]) < 1, o
' "$output"
	run fsinspect watch -i 0.5 -c 2 "$MNT"
	assert_line --regexp '^requests: [0-9.]+/s  LOOKUP [0-9.]+/s'
}

@test "without fusectl and debugfs the FUSE queue and bdi figures are unknown" {
	gfs_start
	[ ! -e /sys/fs/fuse/connections/"$(stat -c %d "$MNT" 2>/dev/null)" ] ||
		skip "fusectl is mounted here"
	mountpoint -q /sys/kernel/debug && skip "debugfs is mounted here"
	run fsinspect watch -c 1 "$MNT"
	assert_success
	assert_line --regexp '^  FUSE connection [0-9]+: waiting unknown \(fusectl not mounted\)$'
	assert_line --regexp '^  bdi 0:[0-9]+: unknown \(debugfs not mounted\)$'
	run fsinspect watch --json -c 1 "$MNT"
	python3 -c '
import json, sys
w = json.loads(sys.argv[1].splitlines()[0])["writeback"]
assert w["fuse_waiting"] is None and w["bdi_dirty_kb"] is None, w
assert w["meminfo_dirty_kb"] is not None
' "$output"
}

@test "with fusectl and debugfs (a private mount namespace): the queue and the bdi" {
	command -v unshare >/dev/null || skip "no unshare"
	gfs_start
	run unshare -m --propagation private sh -c '
		mountpoint -q /sys/fs/fuse/connections ||
			mount -t fusectl none /sys/fs/fuse/connections || exit 77
		mountpoint -q /sys/kernel/debug ||
			mount -t debugfs none /sys/kernel/debug || exit 77
		exec fsinspect watch --json -c 1 "$1"' sh "$MNT"
	[ "$status" != 77 ] || skip "cannot mount fusectl or debugfs"
	assert_success
	python3 -c '
import json, sys
w = json.loads(sys.argv[1].splitlines()[0])["writeback"]
assert w["fuse_waiting"] == 0, w
assert w["bdi_thresh_kb"] is not None and w["bdi_dirty_kb"] is not None, w
' "$output"
}

@test "a terminal: full screen on the alternate screen, given back; 'q' quits" {
	command -v script >/dev/null || skip "no script(1)"
	gfs_start
	run timeout 20 script -qfec "fsinspect watch -i 0.2 -c 2 $MNT" /dev/null
	assert_success
	[[ $output == *$'\033[?1049h\033[?25l'* ]]
	[[ $output == *"glassfs at $MNT"* ]]
	[[ $output == *$'\033[?25h\033[?1049l'* ]]
	# no -c: the q key ends it
	SECONDS=0
	run timeout 20 sh -c "(sleep 1; printf q) | script -qfec 'fsinspect watch -i 0.2 $MNT' /dev/null"
	assert_success
	[ "$SECONDS" -lt 10 ]
	[[ $output == *$'\033[?1049l'* ]]
}

@test "SIGINT ends a session cleanly: exit 0, the close report" {
	gfs_start
	fsi_holder "$MNT/h" 4
	fsinspect watch --json -i 0.2 "$MNT" >"$BATS_TEST_TMPDIR/w.json" 3>&- &
	local pid=$!
	FSI_PIDS+=("$pid")
	sleep 1
	kill -INT "$pid"
	wait "$pid"
	tail -n1 "$BATS_TEST_TMPDIR/w.json" | grep -q '"closed_files":1'
}

@test "the end of the mount ends the view: exit 2, after the terminal is back" {
	gfs_start
	fsinspect watch --json -i 0.2 "$MNT" >"$BATS_TEST_TMPDIR/w.json" \
		2>"$BATS_TEST_TMPDIR/w.err" 3>&- &
	local pid=$! status=0
	FSI_PIDS+=("$pid")
	sleep 0.5
	gfs_umount
	wait "$pid" || status=$?
	[ "$status" = 2 ]
	grep -q "cannot get '.*' from the daemon of '$MNT'" "$BATS_TEST_TMPDIR/w.err"
}
