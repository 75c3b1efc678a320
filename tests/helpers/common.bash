# SPDX-License-Identifier: GPL-2.0-or-later
#
# common.bash - what every glassfs bats suite loads.
#
# Each test gets its own store, mountpoint and daemon log under
# $BATS_TEST_TMPDIR.  The daemon runs in the foreground (-f) as a job this
# helper started; teardown unmounts it, requires it to exit 0, and scans
# its log for errors and sanitizer reports.  Only PIDs started here are
# ever killed.
#
#   gfs_mount [-o OPTS ...]   mount $STORE at $MNT, wait until ready
#   gfs_umount                unmount, wait for the daemon, check exit 0
#   gfs_remount [-o OPTS]     both
#   gfs_kill [SIGNAL]         kill the daemon (default KILL), clean the mount
#   gfs_log_allow REGEX       an error line this test expects
#   gfs_require_root          skip unless root
#   gfs_trace_on              skip unless tracefs is usable

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

GLASSFS=${GLASSFS_BUILD:?run the tests through tests/run}/fs/glassfs

gfs_setup() {
	if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
		skip "FUSE is not usable here: no /dev/fuse or fusermount3"
	fi
	if ! { exec 9<>/dev/fuse; } 2>/dev/null; then
		skip "FUSE is not usable here: cannot open /dev/fuse"
	fi
	exec 9>&-
	STORE=$BATS_TEST_TMPDIR/store.db
	MNT=$BATS_TEST_TMPDIR/mnt
	LOG=$BATS_TEST_TMPDIR/glassfs.log
	GFS_PID=
	GFS_ALLOW=()
	mkdir -p "$MNT"
	: >"$LOG"
}

setup() {
	gfs_setup
}

teardown() {
	gfs_teardown
}

gfs_log_allow() {
	GFS_ALLOW+=("$1")
}

gfs_require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

gfs_mounted() {
	mountpoint -q "$MNT" 2>/dev/null
}

# gfs_mount [glassfs args...]: the store and mountpoint are added.
gfs_mount() {
	"$GLASSFS" -f "$@" "$STORE" "$MNT" >>"$LOG" 2>&1 &
	GFS_PID=$!
	local i
	local up=0
	for ((i = 0; i < 200; i++)); do
		# Ready once mounted and its control socket is up (made just
		# after the mount: it needs the connection number); a daemon
		# that could not make one still serves, after 2 s.
		if gfs_mounted; then
			up=$((up + 1))
			if [ -S "$(gfs_rundir)/ctl" ] || [ "$up" -gt 40 ]; then
				return 0
			fi
		fi
		if ! kill -0 "$GFS_PID" 2>/dev/null; then
			wait "$GFS_PID"
			echo "glassfs exited with status $? before mounting:" >&2
			cat "$LOG" >&2
			GFS_PID=
			return 1
		fi
		sleep 0.05
	done
	echo "glassfs did not mount within 10 s" >&2
	cat "$LOG" >&2
	return 1
}

gfs_umount() {
	local i status
	[ -n "$GFS_PID" ] || return 0
	for ((i = 0; i < 50; i++)); do
		fusermount3 -u "$MNT" 2>/dev/null && break
		sleep 0.1
	done
	if gfs_mounted; then
		echo "cannot unmount $MNT: busy" >&2
		fuser -vm "$MNT" >&2 2>/dev/null
		fusermount3 -uz "$MNT"
	fi
	wait "$GFS_PID"
	status=$?
	GFS_PID=
	if [ "$status" -ne 0 ]; then
		echo "glassfs exited with status $status" >&2
		cat "$LOG" >&2
		return 1
	fi
}

gfs_remount() {
	gfs_umount && gfs_mount "$@"
}

gfs_kill() {
	local sig=${1:-KILL}
	[ -n "$GFS_PID" ] || return 0
	kill -s "$sig" "$GFS_PID" 2>/dev/null || true
	# Its status is the signal's (137 for KILL): not a failure here.
	wait "$GFS_PID" 2>/dev/null || true
	GFS_PID=
	# A dead daemon leaves the mount in place ("Transport endpoint is
	# not connected"): detach it.
	fusermount3 -uz "$MNT" 2>/dev/null || true
}

gfs_teardown() {
	local failed=0 line allowed pat
	if [ -n "${GFS_PID:-}" ]; then
		gfs_umount || failed=1
	fi
	if gfs_mounted; then
		fusermount3 -uz "$MNT" 2>/dev/null || umount -l "$MNT"
		failed=1
	fi
	[ -f "${LOG:-/nonexistent}" ] || return $failed
	while IFS= read -r line; do
		allowed=0
		for pat in "${GFS_ALLOW[@]}"; do
			if [[ $line =~ $pat ]]; then
				allowed=1
				break
			fi
		done
		if [ $allowed -eq 0 ]; then
			echo "daemon log: $line" >&2
			failed=1
		fi
	done < <(grep -E 'error:|AddressSanitizer|LeakSanitizer|runtime error' "$LOG")
	return $failed
}

# The daemon's control socket, found from the mountpoint.
gfs_rundir() {
	local conn
	conn=$(awk -v m="$MNT" '$5 == m { split($3, d, ":"); print d[2] }' /proc/self/mountinfo | tail -n1)
	if [ "$(id -u)" -eq 0 ]; then
		echo "/run/glassfs/$conn"
	else
		echo "${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/glassfs/$conn"
	fi
}

# gfs_ctl COMMAND: one request on the control socket, its JSON reply.
gfs_ctl() {
	python3 - "$(gfs_rundir)/ctl" "$*" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode())
PY
}

# Drop every clean page cache page, so the next read reaches the daemon.
gfs_drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}
