#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fsinspect stats: counters per op after known requests, the store's
# facts against the files themselves, sampling with rates, and the
# inodes the kernel holds.  That the counters agree with the records is
# tests/20-glass.

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

# One field of one op of `fsinspect stats --json`, from $output.
op_field() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1].splitlines()[int(sys.argv[4])])
ops = {o["op"]: o for o in d["ops"]}
print(ops[sys.argv[2]][sys.argv[3]] if sys.argv[2] in ops else 0)
' "$output" "$1" "$2" "${3:-0}"
}

store_field() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1].splitlines()[int(sys.argv[3])])
print(d["store"][sys.argv[2]])
' "$output" "$1" "${2:-0}"
}

@test "stats --help: the op, store and inode columns" {
	run --separate-stderr fsinspect stats --help
	assert_success
	for col in OP COUNT RATE ERRORS BYTES BW MEAN P50 P99 SQL TIME SIZE WAL \
		HIT CACHE COMMITS SYNCS RO_READS INODES KERNEL INO READS \
		READ_BYTES \
		WRITES WRITE_BYTES NLOOKUP NOPEN PATH; do
		assert_line --regexp "^ $col +[A-Za-z(]"
	done
}

@test "stats misuse exits 1; a path off glassfs exits 2" {
	run --separate-stderr fsinspect stats
	[ "$status" = 1 ]
	run --separate-stderr fsinspect stats -c 2 /
	[ "$status" = 1 ]
	[[ $stderr == *"--count needs --interval"* ]]
	run --separate-stderr fsinspect stats -i 0 /
	[ "$status" = 1 ]
	run --separate-stderr fsinspect stats "$BATS_TEST_TMPDIR"
	[ "$status" = 2 ]
	[[ $stderr == *"is not on a glassfs mount"* ]]
}

@test "counts, errors and bytes of known requests on a fresh mount" {
	gfs_start -o cache=never
	head -c 100000 /dev/urandom >"$MNT/f"
	for i in 1 2 3; do run ! stat "$MNT/no$i"; done
	trc_start r python3 "$TRC_HELPER" reads "$MNT/f" 40000 40000 40000
	trc_wait r done
	trc_reap r
	run fsinspect stats --json "$MNT"
	assert_success
	# direct I/O: three read(2)s, three READs, the file's bytes
	[ "$(op_field READ count)" = 3 ]
	[ "$(op_field READ bytes)" = 100000 ]
	[ "$(op_field READ errors)" = 0 ]
	[ "$(op_field WRITE bytes)" = 100000 ]
	[ "$(op_field LOOKUP errors)" -ge 3 ]
	[ "$(op_field CREATE count)" = 1 ]
	# the text table has a row per op, the sizes in bytes with -b
	run fsinspect stats -b --raw -o OP,COUNT,BYTES "$MNT"
	assert_line "READ 3 100000"
	assert_line --regexp '^CREATE 1 0$'
}

@test "latency figures: MEAN from the totals, P50 <= P99, SQL a percentage" {
	gfs_start
	for i in $(seq 1 20); do run ! stat "$MNT/no$i"; done
	run fsinspect stats --json "$MNT"
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
o = {x["op"]: x for x in d["ops"]}["LOOKUP"]
assert o["mean"] == o["time"] // o["count"], o
# log2 buckets: upper bounds are 2^k microseconds
for q in ("p50", "p99"):
    us = o[q] // 1000
    assert o[q] % 1000 == 0 and us & (us - 1) == 0, o
assert o["p50"] <= o["p99"]
assert 0 <= o["sql"] <= 100
' "$output"
}

@test "store facts: file and WAL sizes as on disk, commits and syncs move" {
	local size wal c0 s0
	gfs_start
	echo x >"$MNT/f"
	sleep 0.3
	run fsinspect stats --json "$MNT"
	c0=$(store_field commits)
	s0=$(store_field syncs)
	[ "$(store_field size)" = "$(stat -c %s "$STORE")" ]
	[ "$(store_field wal)" = "$(stat -c %s "$STORE-wal")" ]
	[ "$(store_field inodes)" = 2 ]
	python3 -c 'import sys; h = sys.argv[1]; assert h == "None" or 0 <= float(h) <= 100' "$(store_field hit)"
	trc_start w python3 "$TRC_HELPER" write-fsync "$MNT/f"
	trc_wait w done
	trc_reap w
	run fsinspect stats --json "$MNT"
	[ "$(store_field commits)" -gt "$c0" ]
	[ "$(store_field syncs)" -gt "$s0" ]
}

@test "store facts: READs of a committed file go to read-only connections (RO_READS)" {
	local r0 sum
	gfs_start
	head -c 2000000 /dev/urandom >"$MNT/f"
	sum=$(sha1sum <"$MNT/f")
	python3 -c 'import os, sys; os.fsync(os.open(sys.argv[1], os.O_RDONLY))' "$MNT/f"
	run fsinspect stats --json "$MNT"
	r0=$(store_field ro_reads)
	# Evicted, the file is read again through READ requests; committed
	# and not changed since, it is read beside the main connection.
	fsinspect evict "$MNT/f" >/dev/null
	[ "$(sha1sum <"$MNT/f")" = "$sum" ]
	run fsinspect stats --json "$MNT"
	[ "$(store_field ro_reads)" -gt "$r0" ]
}

@test "-i/-c: one sample per interval, counts and rates since the last one" {
	gfs_start
	trc_start l python3 "$TRC_HELPER" lookups "$MNT" 4
	trc_wait l started
	run fsinspect stats --json -i 0.5 -c 3 "$MNT"
	assert_success
	[ "${#lines[@]}" = 3 ]
	python3 -c '
import json, sys
s = [json.loads(l) for l in sys.argv[1].splitlines()]
# the first counts from the mount, the others cover the interval
assert abs(s[0]["seconds"] - s[0]["uptime"]) < 0.01
for d in s[1:]:
    assert 0.4 < d["seconds"] < 1.5, d["seconds"]
    o = {x["op"]: x for x in d["ops"]}["LOOKUP"]
    assert o["count"] > 10, o
    assert abs(o["rate"] - o["count"] / d["seconds"]) <= 1, o
' "$output"
	# the text form: a heading per sample
	run fsinspect stats -i 0.2 -c 2 "$MNT"
	assert_success
	assert_line --index 0 --regexp '^# [0-9.]+ s since the mount$'
	assert_line --regexp '^# 0\.[0-9]+ s since the last sample$'
}

@test "--inodes: a held file with its reads, read bytes, lookups, opens, path" {
	local ino
	gfs_start
	mkdir "$MNT/d"
	head -c 300000 /dev/urandom >"$MNT/d/f"
	gfs_remount
	trc_ready
	trc_start h python3 "$TRC_HELPER" hold-open "$MNT/d/f"
	trc_wait h open
	cat "$MNT/d/f" >/dev/null
	ino=$(trc_ino "$MNT/d/f")
	run fsinspect stats --inodes -b --raw -n "$MNT"
	assert_success
	# INO READS READ_BYTES WRITES WRITE_BYTES NLOOKUP NOPEN PATH
	assert_line --regexp "^$ino [1-9][0-9]* 300000 0 0 [1-9][0-9]* 1 /d/f$"
	run fsinspect stats --inodes --json "$MNT"
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
f = [i for i in d["inodes"] if i["ino"] == int(sys.argv[2])][0]
assert f["read_bytes"] == 300000 and f["nopen"] == 1 and f["path"] == "/d/f", f
' "$output" "$ino"
	trc_go h close
	trc_reap h
}
