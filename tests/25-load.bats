#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Load: 16 processes create, write, read back, rename, fsync now and then
# and delete files in parallel for a bounded time, each in its own
# directory and all in one shared directory.  The daemon's resident memory
# (VmRSS) is measured after a warm-up of 5 s, half-way and at the end.
# The bound: at most 32 MiB of growth after the warm-up beyond SQLite's
# page cache (which fills as pages are touched, up to sqlite_cache: 16 MiB
# here; the trace ring, 8 MiB, is resident from the start), and at most
# 16 MiB in the second half, when every cache is full (a leak shows as
# steady growth there).  No worker may see an error, and the daemon log
# stays clean.  Afterwards glassfs check exits 0.

load helpers/common

WORKERS=16
CACHE_MIB=16
GROWTH_KIB=$(((32 + CACHE_MIB) * 1024))
HALF_KIB=$((16 * 1024))

setup() {
	gfs_setup
	BG_PIDS=()
}

teardown() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	gfs_teardown
}

figure() {
	echo "# $*" >&3
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$GFS_PID/status"
}

# worker N SECONDS: its own directory plus the shared one; prints its
# operation count, or the first error and exits 1.
worker() {
	python3 - "$MNT" "$1" "$2" <<'PY'
import errno, os, random, sys, time
mnt, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rnd = random.Random(n)
own = f"{mnt}/w{n}"
os.mkdir(own)
files, ops, i = [], 0, 0
end = time.time() + secs
try:
    while time.time() < end:
        i += 1
        d = own if rnd.random() < 0.7 else f"{mnt}/shared"
        name = f"{d}/f{n}.{i}"
        data = rnd.randbytes(rnd.choice([0, 100, 4096, 70000, 300000]))
        with open(name, "wb") as f:
            f.write(data)
            if rnd.random() < 0.1:
                os.fsync(f.fileno())
        with open(name, "rb") as f:
            if f.read() != data:
                raise RuntimeError(f"{name}: read back differs")
        if rnd.random() < 0.3:
            os.rename(name, name + ".r")
            name += ".r"
        files.append(name)
        while len(files) > 20:
            os.unlink(files.pop(rnd.randrange(len(files))))
        ops += 5
    for name in files:
        os.unlink(name)
    os.rmdir(own)
except Exception as e:
    print(f"worker {n}: {e}")
    sys.exit(1)
print(ops)
PY
}

# load_for SECONDS: warm up 5 s, then measure at the start, half-way and
# at the end; check everything.
load_for() {
	local secs=$1 i start mid end ops=0 out=$BATS_TEST_TMPDIR/worker
	gfs_mount -o sqlite_cache=$CACHE_MIB
	mkdir "$MNT/shared"
	for ((i = 0; i < WORKERS; i++)); do
		worker "$i" $((secs + 5)) >"$out.$i" 2>&1 &
		BG_PIDS+=($!)
	done
	sleep 5
	start=$(rss_kib)
	sleep $((secs / 2))
	mid=$(rss_kib)
	for i in "${!BG_PIDS[@]}"; do
		wait "${BG_PIDS[$i]}" || {
			cat "$out.$i" >&2
			return 1
		}
		ops=$((ops + $(cat "$out.$i")))
	done
	BG_PIDS=()
	end=$(rss_kib)
	figure "$WORKERS workers, $((secs + 5)) s: $ops operations; daemon VmRSS after warm-up $((start / 1024)) MiB, half-way $((mid / 1024)) MiB, end $((end / 1024)) MiB (bounds: +$((GROWTH_KIB / 1024)) MiB, +$((HALF_KIB / 1024)) MiB in the second half)"
	# ASan keeps freed memory in quarantine (256 MiB) and adds its own:
	# no bound means anything there.  Errors and leaks are still caught.
	if ldd "$GLASSFS" | grep -q libasan; then
		figure "sanitizer build: VmRSS not bounded"
	elif [ "$((end - start))" -gt "$GROWTH_KIB" ]; then
		echo "VmRSS grew by $(((end - start) / 1024)) MiB" >&2
		return 1
	elif [ "$((end - mid))" -gt "$HALF_KIB" ]; then
		echo "VmRSS grew by $(((end - mid) / 1024)) MiB in the second half" >&2
		return 1
	fi
	run ls -A "$MNT/shared"
	assert_output ""
	gfs_umount
	run "$GLASSFS" check "$STORE"
	assert_success
}

@test "16 processes creating, writing and deleting for 15 s: no error, memory bounded" {
	load_for 10
}

# bats test_tags=slow
@test "16 processes creating, writing and deleting for 60 s: no error, memory bounded" {
	load_for 55
}
