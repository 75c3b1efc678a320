# SPDX-License-Identifier: GPL-2.0-or-later
#
# trace.bash - what the suites of the request trace and the counters
# share (20-glass, 52-fsinspect-trace, 53-fsinspect-stats,
# 54-fsinspect-watch): reading what the daemon recorded since a mark,
# a tracer running in the background, processes that write, map and
# read in known patterns and wait to be told to go on, and checks of the
# records in python.
#
# Load after helpers/common and helpers/fsinspect (whose fsi_teardown
# kills every process started here, by PID).
#
#   trc_ready                wait until the mount's control socket exists
#   trc_mark                 TRC_MARK: the ring's last sequence number now
#   trc_since [ARGS]         the records after the mark, as JSON lines, in
#                            $TRC_OUT (fsinspect trace --all --no-follow
#                            --json ARGS); fails if fsinspect does
#   trc_py CHECK ARGS...     a check of $TRC_OUT (see the python below);
#                            prints what it found, non-zero when wrong
#   trc_follow ARGS...       fsinspect trace --json ARGS $MNT in the
#                            background, once it reads the ring:
#                            TRC_PID, output in $TRC_FOLLOW
#   trc_follow_end           SIGINT it, wait; TRC_STATUS its exit status
#   trc_until PATTERN        wait (10 s) until $TRC_FOLLOW holds PATTERN
#   trc_ino PATH             the inode number of PATH
#   trc_start NAME CMD...    a helper process (python3 $TRC_HELPER ...),
#                            whose step files live in $BATS_TEST_TMPDIR/NAME
#   trc_wait NAME STEP       wait (10 s) until it reached STEP
#   trc_go NAME STEP         let it take STEP
#   trc_reap NAME            wait for it to exit 0

trc_setup() {
	TRC_HELPER=$BATS_TEST_TMPDIR/trc-helper.py
	TRC_CHECK=$BATS_TEST_TMPDIR/trc-check.py
	TRC_OUT=$BATS_TEST_TMPDIR/records.json
	TRC_FOLLOW=$BATS_TEST_TMPDIR/follow.json
	trc_write_helper "$TRC_HELPER"
	trc_write_check "$TRC_CHECK"
}

# The daemon opens its socket just after the mount appears.
trc_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$(gfs_rundir)/ctl" ] && return 0
		sleep 0.05
	done
	echo "no control socket for $MNT" >&2
	return 1
}

trc_mark() {
	trc_ready || return 1
	TRC_MARK=$(gfs_ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["trace_head"])')
}

trc_since() {
	fsinspect trace --all --no-follow --json "$@" "$MNT" >"$TRC_OUT.all" ||
		return 1
	python3 -c '
import json, sys
mark = int(sys.argv[1])
for line in open(sys.argv[2]):
    r = json.loads(line)
    if "seq" in r and r["seq"] > mark:
        sys.stdout.write(line)
' "$TRC_MARK" "$TRC_OUT.all" >"$TRC_OUT"
}

trc_py() {
	python3 "$TRC_CHECK" "$TRC_OUT" "$@"
}

trc_ino() {
	stat -c %i "$1"
}

# The tracer is ready once the trace file is in its address space: it
# maps the ring, then takes the head as its starting point at once.
trc_follow() {
	local trace i
	trc_ready || return 1
	trace=$(gfs_rundir)/trace
	fsinspect trace --json "$@" "$MNT" >"$TRC_FOLLOW" \
		2>"$BATS_TEST_TMPDIR/follow.err" </dev/null 3>&- &
	TRC_PID=$!
	FSI_PIDS+=("$TRC_PID")
	for ((i = 0; i < 200; i++)); do
		grep -qF "$trace" "/proc/$TRC_PID/maps" 2>/dev/null && {
			sleep 0.05
			return 0
		}
		kill -0 "$TRC_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "fsinspect trace did not start:" >&2
	cat "$BATS_TEST_TMPDIR/follow.err" >&2
	return 1
}

trc_follow_end() {
	kill -INT "$TRC_PID" 2>/dev/null || true
	TRC_STATUS=0
	wait "$TRC_PID" || TRC_STATUS=$?
}

trc_until() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "$1" "$TRC_FOLLOW" && return 0
		sleep 0.05
	done
	echo "'$1' did not appear in the trace within 10 s" >&2
	return 1
}

trc_start() {
	local name=$1
	shift
	rm -rf "${BATS_TEST_TMPDIR:?}/$name"
	mkdir -p "$BATS_TEST_TMPDIR/$name"
	"$@" "$BATS_TEST_TMPDIR/$name" </dev/null \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	FSI_PIDS+=("$!")
	eval "TRC_PID_$name=$!"
}

trc_wait() {
	local dir=$BATS_TEST_TMPDIR/$1 pid i
	eval "pid=\$TRC_PID_$1"
	for ((i = 0; i < 200; i++)); do
		[ -e "$dir/$2" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "helper '$1' died before '$2':" >&2
			cat "$BATS_TEST_TMPDIR/$1.err" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "helper '$1' did not reach '$2' within 10 s" >&2
	return 1
}

trc_go() {
	: >"$BATS_TEST_TMPDIR/$1/go-$2"
}

trc_reap() {
	local pid
	eval "pid=\$TRC_PID_$1"
	wait "$pid" || {
		echo "helper '$1' failed:" >&2
		cat "$BATS_TEST_TMPDIR/$1.err" >&2
		return 1
	}
}

# The processes: each announces a step by creating a file in its
# directory and, where it must wait, waits for go-STEP (at most 20 s).
trc_write_helper() {
	cat >"$1" <<'PY'
import mmap, os, sys, time

PAGE = 4096

def step(d, name):
    open(os.path.join(d, name), "w").close()

def wait(d, name):
    p = os.path.join(d, "go-" + name)
    for _ in range(400):
        if os.path.exists(p):
            return
        time.sleep(0.05)
    sys.exit("no go-" + name)

cmd = sys.argv[1]
if cmd == "write-hold":
    # N writes of SIZE bytes; "written"; [fsync: "fsynced"]; wait
    # go-close; close; "closed".
    path, n, size, mode, d = (sys.argv[2], int(sys.argv[3]),
                              int(sys.argv[4]), sys.argv[5], sys.argv[6])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for i in range(n):
        os.write(fd, bytes([65 + i % 26]) * size)
    step(d, "written")
    if mode == "fsync":
        wait(d, "fsync")
        os.fsync(fd)
        step(d, "fsynced")
    wait(d, "close")
    os.close(fd)
    step(d, "closed")
elif cmd == "writes":
    # One write(2) per SIZE, as given; "written"; wait go-close.
    path, d = sys.argv[2], sys.argv[-1]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for s in sys.argv[3:-1]:
        os.write(fd, b"w" * int(s))
    step(d, "written")
    wait(d, "close")
    os.close(fd)
    step(d, "closed")
elif cmd == "mmap-hold":
    # Map the file shared, write one byte in each page listed;
    # "written"; wait go-msync; msync; "synced"; wait go-close.
    path, pages, d = sys.argv[2], sys.argv[3:-1], sys.argv[-1]
    fd = os.open(path, os.O_RDWR)
    size = os.fstat(fd).st_size
    m = mmap.mmap(fd, size, flags=mmap.MAP_SHARED)
    for p in pages:
        m[int(p) * PAGE] = 0x4d
    step(d, "written")
    wait(d, "msync")
    m.flush()
    step(d, "synced")
    wait(d, "close")
    m.close()
    os.close(fd)
    step(d, "closed")
elif cmd == "reads":
    # read(2) of each SIZE in turn, printing what each returned.
    path, d = sys.argv[2], sys.argv[-1]
    fd = os.open(path, os.O_RDONLY)
    for s in sys.argv[3:-1]:
        print(len(os.read(fd, int(s))))
    os.close(fd)
    step(d, "done")
elif cmd == "hold-open":
    # Open PATH read-only and keep it open until go-close.
    path, d = sys.argv[2], sys.argv[3]
    fd = os.open(path, os.O_RDONLY)
    step(d, "open")
    wait(d, "close")
    os.close(fd)
elif cmd == "lookups":
    # stat(2) names that do not exist, for SECONDS: LOOKUPs that fail.
    mnt, secs, d = sys.argv[2], float(sys.argv[3]), sys.argv[4]
    step(d, "started")
    end, i = time.time() + secs, 0
    while time.time() < end:
        try:
            os.stat("%s/x%d" % (mnt, i))
        except FileNotFoundError:
            pass
        i += 1
        time.sleep(0.002)
elif cmd == "write-fsync":
    # One write and an fsync, in one process.
    fd = os.open(sys.argv[2], os.O_WRONLY)
    os.write(fd, b"y")
    os.fsync(fd)
    os.close(fd)
    step(sys.argv[3], "done")
elif cmd == "stale":
    # Read PATH's first byte through one descriptor (the page cache)
    # until it is not OLD, up to 5 s after go-read: print the seconds it
    # took after the step "changed" (sqlite3 committed), or "never".
    path, old, d = sys.argv[2], sys.argv[3].encode(), sys.argv[4]
    fd = os.open(path, os.O_RDONLY)
    assert os.pread(fd, 1, 0) == old
    step(d, "cached")
    wait(d, "changed")
    t0 = os.path.getmtime(os.path.join(d, "go-changed"))
    while time.time() - t0 < 5:
        if os.pread(fd, 1, 0) != old:
            print("%.3f" % (time.time() - t0))
            break
        time.sleep(0.01)
    else:
        print("never")
    os.close(fd)
PY
}

# Checks of the records in $TRC_OUT (JSON lines of fsinspect trace).
trc_write_check() {
	cat >"$1" <<'PY'
import json, sys

PAGE = 4096
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cmd, args = sys.argv[2], sys.argv[3:]

def of(op, ino=None):
    return [r for r in recs if "seq" in r and r["op"] == op and
            (ino is None or r["ino"] == int(ino))]

def fail(msg):
    sys.exit(msg)

def coverage(rs, size, what):
    # Requests cover [0, size rounded up to pages) once, and the bytes
    # they returned add up to size.
    spans = sorted((r["offset"], r["length"]) for r in rs)
    end = 0
    for off, n in spans:
        if off != end:
            fail("%s: gap or overlap at %d (spans %s)" % (what, end, spans))
        end = off + n
    want = (size + PAGE - 1) // PAGE * PAGE
    if end != want:
        fail("%s: spans end at %d, not %d (%s)" % (what, end, want, spans))
    got = sum(r["result"] for r in rs)
    if got != size:
        fail("%s: %d bytes returned, not %d" % (what, got, size))

if cmd == "count":            # OP INO -> how many records
    print(len(of(args[0], args[1])))
elif cmd == "spans":          # OP INO -> "offset length result [flags]"
    for r in of(args[0], args[1]):
        print(r["offset"], r["length"], r["result"], *r["flags"])
elif cmd == "cover":          # OP INO SIZE: READ/WRITE cover it exactly
    rs = of(args[0], args[1])
    if not rs:
        fail("no %s record for inode %s" % (args[0], args[1]))
    coverage(rs, int(args[2]), args[0])
    print(len(rs), "requests:", " ".join(str(r["length"]) for r in rs))
elif cmd == "flagged":        # OP INO FLAG: every record has FLAG
    rs = of(args[0], args[1])
    bad = [r for r in rs if args[2] not in r["flags"]]
    if not rs or bad:
        fail("%d of %d %s records lack '%s'" % (len(bad), len(rs),
                                               args[0], args[2]))
elif cmd == "pages":          # OP INO PAGE...: exactly these pages, once
    got = []
    for r in of(args[0], args[1]):
        got += range(r["offset"] // PAGE,
                     (r["offset"] + r["length"] + PAGE - 1) // PAGE)
    want = sorted(int(p) for p in args[2:])
    if sorted(got) != want:
        fail("pages written %s, not %s" % (sorted(got), want))
elif cmd == "seqs":           # the sequence numbers are consecutive
    s = [r["seq"] for r in recs if "seq" in r]
    if any(b != a + 1 for a, b in zip(s, s[1:])):
        fail("sequence numbers not consecutive")
    print(len(s))
else:
    fail("unknown check " + cmd)
PY
}
