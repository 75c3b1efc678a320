# SPDX-License-Identifier: GPL-2.0-or-later
#
# fsinspect.bash - what the fsinspect suites (5x-fsinspect-*.bats) share:
# producing known page cache states, processes that hold or map files,
# an independent cachestat(2) oracle, and golden output comparison.
#
# Load after helpers/common.  Every process started here is remembered
# and killed by PID in fsi_teardown; nothing else is ever killed.
#
#   fsi_setup / fsi_teardown     call from setup() / teardown()
#   fsi_tmpfs_dir                a scratch dir on tmpfs (/dev/shm), echoed
#   fsi_ext4_dir                 a scratch dir on ext4, echoed (or skip)
#   fsi_write FILE PAGE...       write these pages (4 KiB) with pwrite
#   fsi_sparse FILE PAGES        a hole of PAGES pages (nothing cached)
#   fsi_read FILE PAGE...        read these pages, without readahead
#   fsi_drop FILE                POSIX_FADV_DONTNEED (after fsync)
#   fsi_oracle FILE              "cached dirty writeback evicted recent"
#   fsi_holder FILE PAGES        a process that writes PAGES pages and
#                                keeps the file open: sets HOLDER_PID
#   fsi_tell CTL CMD             tell a holder or mapper: "drop"
#                                (POSIX_FADV_DONTNEED on its descriptor),
#                                "rewrite" (write its pages again), "quit"
#   fsi_try N FUNC ARGS...       FUNC until it succeeds, at most N times
#   fsi_mapper FILE K J [shared|private|shared-read] [OFFSET_PAGES]
#                                a process mapping K pages of the file
#                                that touches them and writes J of them
#                                (shared-read: read(2) them first):
#                                MAPPER_PID, MAPPER_CTL
#   fsi_steady SETUP FILE BEFORE AFTER -- CMD...
#                                `run` CMD in a state the oracle confirms
#                                before and after (retried if disturbed)
#   fsi_value CMD... -- COLUMN   one cell: fsinspect CMD --raw -n -o COLUMN
#   fsi_golden NAME              $output (placeholders already put in by
#                                the test) against tests/expected/NAME,
#                                runs of spaces normalised

FSI_PIDS=()
FSI_STOPPED=

fsi_setup() {
	command -v fsinspect >/dev/null ||
		skip "fsinspect is not built (run through tests/run)"
	[ "$(getconf PAGESIZE)" = 4096 ] || skip "the figures assume 4 KiB pages"
	FSI_HELPER=$BATS_TEST_TMPDIR/fsi-helper.py
	fsi_write_python "$FSI_HELPER"
	export LC_ALL=C.UTF-8
}

fsi_teardown() {
	local pid
	# A stopped daemon cannot answer the closes below.
	[ -n "$FSI_STOPPED" ] && kill -CONT "$FSI_STOPPED" 2>/dev/null
	for pid in "${FSI_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	FSI_PIDS=()
	# fsi_tmpfs_dir runs in $(...): its directories are listed in a file.
	if [ -f "$BATS_TEST_TMPDIR/fsi-dirs" ]; then
		while IFS= read -r pid; do
			case $pid in
			/dev/shm/fsinspect-test.*) rm -rf "$pid" ;;
			esac
		done <"$BATS_TEST_TMPDIR/fsi-dirs"
		rm -f "$BATS_TEST_TMPDIR/fsi-dirs"
	fi
}

fsi_tmpfs_dir() {
	local d
	d=$(mktemp -d /dev/shm/fsinspect-test.XXXXXX) || return 1
	echo "$d" >>"$BATS_TEST_TMPDIR/fsi-dirs"
	chmod 755 "$d"
	echo "$d"
}

# $BATS_TEST_TMPDIR, if it is on ext4 (it is under /tmp here).
fsi_ext4_dir() {
	local d=$BATS_TEST_TMPDIR/ext4
	mkdir -p "$d"
	case $(stat -f -c %T "$d") in
	ext2/ext3) echo "$d" ;;
	*) skip "$BATS_TEST_TMPDIR is not on ext4" ;;
	esac
}

# Let uid 65534 reach $1 (a test's scratch directories are 0700).
fsi_world_reachable() {
	local d=$1
	while [ "$d" != / ] && [ "$d" != "${TMPDIR:-/tmp}" ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	chmod o+x "$d"
}

fsi_write_python() {
	cat >"$1" <<'PY'
import ctypes, mmap, os, struct, sys, time

PAGE = 4096
libc = ctypes.CDLL(None, use_errno=True)

def cachestat(path):
    fd = os.open(path, os.O_RDONLY)
    r = (ctypes.c_uint64 * 2)(0, 0)
    cs = (ctypes.c_uint64 * 5)()
    rc = libc.syscall(451, fd, r, cs, 0)
    e = ctypes.get_errno()
    os.close(fd)
    if rc:
        sys.exit(os.strerror(e))
    print(*cs)

def wait_commands(fd, ctl, rewrite):
    # Commands come one per line on the fifo; each is acknowledged by a
    # line in CTL.done.  The descriptor stays open: no close, no flush.
    while True:
        with open(ctl) as f:
            for cmd in f.read().split():
                if cmd == "quit":
                    return
                if cmd == "drop":
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                if cmd == "rewrite":
                    rewrite()
                with open(ctl + ".done", "a") as done:
                    done.write(cmd + "\n")

cmd, path = sys.argv[1], sys.argv[2]
if cmd == "write":
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    for p in sys.argv[3:]:
        os.pwrite(fd, b"w" * PAGE, int(p) * PAGE)
    os.close(fd)
elif cmd == "sparse":
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.ftruncate(fd, int(sys.argv[3]) * PAGE)
    os.close(fd)
elif cmd == "read":
    fd = os.open(path, os.O_RDONLY)
    # No readahead: exactly the pages asked for enter the cache.
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    for p in sys.argv[3:]:
        os.pread(fd, PAGE, int(p) * PAGE)
    os.close(fd)
elif cmd == "drop":
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
elif cmd == "oracle":
    cachestat(path)
elif cmd == "hold":
    pages, ctl = int(sys.argv[3]), sys.argv[4]
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"h" * PAGE * pages)
    open(ctl + ".ready", "w").close()
    wait_commands(fd, ctl, lambda: os.pwrite(fd, b"r" * PAGE * pages, 0))
elif cmd == "map":
    k, j, kind, off, ctl = (int(sys.argv[3]), int(sys.argv[4]),
                            sys.argv[5], int(sys.argv[6]), sys.argv[7])
    fd = os.open(path, os.O_RDWR)
    if kind == "shared-read":
        for i in range(k):
            os.pread(fd, PAGE, (off + i) * PAGE)
    flags = mmap.MAP_PRIVATE if kind == "private" else mmap.MAP_SHARED
    m = mmap.mmap(fd, k * PAGE, flags=flags, offset=off * PAGE)
    m.madvise(mmap.MADV_RANDOM)
    for i in range(k):
        m[i * PAGE]
    def write_j():
        for i in range(j):
            m[i * PAGE] = 0x4d
    write_j()
    open(ctl + ".ready", "w").close()
    wait_commands(fd, ctl, write_j)
PY
}

fsi_py() {
	python3 "$FSI_HELPER" "$@"
}

fsi_write() {
	local f=$1
	shift
	fsi_py write "$f" "$@"
}

fsi_sparse() {
	fsi_py sparse "$1" "$2"
}

fsi_read() {
	local f=$1
	shift
	fsi_py read "$f" "$@"
}

fsi_drop() {
	fsi_py drop "$1"
}

fsi_oracle() {
	fsi_py oracle "$1"
}

# Wait (bounded) for a file to appear; fail if process $2 died first.
fsi_wait_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -e "$1" ] && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
			echo "process $2 died before '$1' appeared" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "'$1' did not appear within 10 s" >&2
	return 1
}

# fsi_start NAME CMD...: a helper process with a control fifo.
# The control files live in $FSI_CTL_DIR (default $BATS_TEST_TMPDIR),
# which the process must be able to write.
fsi_start() {
	local name=$1 ctl
	shift
	ctl=${FSI_CTL_DIR:-$BATS_TEST_TMPDIR}/$name.ctl
	rm -f "$ctl" "$ctl.ready" "$ctl.done"
	mkfifo "$ctl"
	# An external command, so that $! is its own PID (a function would
	# run in a subshell, and killing that would leave the child).  fd 3
	# is bats' own: a background process must not hold it.
	"$@" "$ctl" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	FSI_LAST_PID=$!
	FSI_PIDS+=("$FSI_LAST_PID")
	fsi_wait_file "$ctl.ready" "$FSI_LAST_PID"
}

fsi_holder() {
	fsi_start holder python3 "$FSI_HELPER" hold "$1" "$2" || return 1
	HOLDER_PID=$FSI_LAST_PID
	HOLDER_CTL=${FSI_CTL_DIR:-$BATS_TEST_TMPDIR}/holder.ctl
}

fsi_mapper() {
	local name=mapper${#FSI_PIDS[@]}
	fsi_start "$name" python3 "$FSI_HELPER" map "$1" "$2" "$3" \
		"${4:-shared}" \
		"${5:-0}" || return 1
	MAPPER_PID=$FSI_LAST_PID
	MAPPER_CTL=${FSI_CTL_DIR:-$BATS_TEST_TMPDIR}/$name.ctl
}

# fsi_tell CTL CMD: send a command and wait for its acknowledgement.
fsi_tell() {
	local ctl=$1 cmd=$2 n
	n=$(cat "$ctl.done" 2>/dev/null | wc -l)
	echo "$cmd" >"$ctl"
	[ "$cmd" = quit ] && return 0
	for ((i = 0; i < 200; i++)); do
		[ "$(cat "$ctl.done" 2>/dev/null | wc -l)" -gt "$n" ] && return 0
		sleep 0.05
	done
	echo "no acknowledgement of '$cmd' on $ctl" >&2
	return 1
}

# fsi_stop_daemon / fsi_cont_daemon: SIGSTOP/SIGCONT the glassfs we started.
fsi_stop_daemon() {
	kill -STOP "$GFS_PID"
	FSI_STOPPED=$GFS_PID
}

fsi_cont_daemon() {
	kill -CONT "$GFS_PID"
	FSI_STOPPED=
}

# fsi_steady SETUP FILE BEFORE AFTER -- CMD...: produce a state with the
# function SETUP, check it with the oracle (BEFORE), `run` CMD, check the
# oracle again (AFTER).  Other processes on a shared machine drop caches
# (FACTS.md): a state so disturbed is produced again, up to 8 times.  If
# it never even held until CMD, the machine cannot run the test: skip.
fsi_steady() {
	local setup=$1 file=$2 before=$3 after=$4 i held=0 got
	shift 5
	for ((i = 0; i < 8; i++)); do
		$setup
		got=$(fsi_oracle "$file")
		[ "$got" = "$before" ] || continue
		held=$((held + 1))
		run "$@"
		got=$(fsi_oracle "$file")
		[ "$got" = "$after" ] && return 0
	done
	[ "$held" -gt 0 ] ||
		skip "cannot hold a page cache state: caches keep being dropped"
	echo "the page cache of '$file' was '$got' after the command, not '$after'" >&2
	return 1
}

# fsi_try N FUNC ARGS...: a dirty page state can be written back early
# by another process's sync(2) (a global sync writes FUSE files back
# too); FUNC re-dirties, measures and checks (returning non-zero rather
# than failing: bats' set -e is off inside &&), and is tried again.
fsi_try() {
	local n=$1 i
	shift
	for ((i = 1; i < n; i++)); do
		"$@" && return 0
		echo "# attempt $i of $* failed; again" >&2
	done
	"$@"
}

# fsi_value SUBCOMMAND [ARGS...] -- COLUMN: the one cell of a one-row
# output (stderr dropped).
fsi_value() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	fsinspect "${args[@]}" --raw -n -o "$2" 2>/dev/null
}

# Compare $output, placeholders applied by the caller, with a golden
# file; runs of spaces are one space so that column widths do not matter.
# FSI_UPDATE_GOLDEN=1 writes the file instead.
fsi_golden() {
	local want=$GLASSFS_SRC/tests/expected/$1
	if [ -n "${FSI_UPDATE_GOLDEN:-}" ]; then
		printf '%s\n' "$output" >"$want"
	fi
	diff -u <(sed -E 's/ +/ /g; s/^ //; s/ $//' "$want") \
		<(printf '%s\n' "$output" | sed -E 's/ +/ /g; s/^ //; s/ $//')
}

# fsi_json: check that $output is one JSON document, print it compact.
fsi_json() {
	printf '%s' "$output" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
}
