# SPDX-License-Identifier: GPL-2.0-or-later
#
# helpers.bash - what every container suite (tests/containers/NN-*.bats)
# loads, after ../helpers/common (the host's glassfs helpers: gfs_mount and
# friends, for tests that mount on the host).
#
# Every container a test starts is named here (glassfs-test-<random>),
# labelled with the run's label, remembered, and removed by name in
# teardown even when the test failed; nothing else is ever removed.
#
#   gc_setup / gc_teardown         call from setup() / teardown()
#   gc_start VAR [RUN ARGS...] -- IMAGE_CMD...
#                                  start a detached container; its name in VAR
#   gc_wait_log NAME REGEX [SECS]  wait until the container's log matches
#   gc_host_pid NAME               host PID of the container's main process
#   gc_rm NAME                     remove it now (SIGKILL, no grace)
#   GC_IDLE                        a main process that only waits: it
#                                  reaps the daemons that glassfs without
#                                  -f leaves it (sleep would keep zombies)

. "$BATS_TEST_DIRNAME/lib.bash"

GC_IDLE=(sh -c 'trap "exit 0" TERM; while :; do sleep 1 & wait; done')

gc_setup() {
	local reason
	reason=$(gc_usable) || skip "containers are not usable here: $reason"
	[ -n "${GC_IMAGE_ID:-}" ] ||
		skip "no glassfs image: run through tests/containers/run"
	GC_CONTAINERS=()
	gfs_setup
}

gc_teardown() {
	local name failed=0
	for name in "${GC_CONTAINERS[@]}"; do
		gc_rm "$name" || failed=1
	done
	GC_CONTAINERS=()
	gfs_teardown || failed=1
	return $failed
}

# gc_start VAR [podman run options...] -- COMMAND...: the glassfs image,
# detached, with this machine's rlimits.
gc_start() {
	local var=$1 name opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	name=$(gc_unique glassfs-test)
	# Remembered before it exists: a failed start may still leave it.
	GC_CONTAINERS+=("$name")
	printf -v "$var" %s "$name"
	gc_podman run -d --name "$name" "${GC_RUN_OPTS[@]}" \
		--label "${GC_RUN_LABEL:-glassfs.test=1}" \
		"${opts[@]}" "$GC_IMAGE_ID" "$@" >/dev/null
}

gc_rm() {
	gc_podman container exists "$1" || return 0
	gc_podman rm -f -t 0 "$1" >/dev/null
}

gc_wait_log() {
	local name=$1 re=$2 secs=${3:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		if gc_podman logs "$name" 2>&1 | grep -Eq -- "$re"; then
			return 0
		fi
		if [ "$(gc_podman inspect --format '{{.State.Running}}' "$name")" != true ]; then
			# It may have printed it on the way out.
			gc_podman logs "$name" 2>&1 | grep -Eq -- "$re" && return 0
			echo "container $name exited before printing '$re':" >&2
			gc_podman logs "$name" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "container $name did not print '$re' within $secs s:" >&2
	gc_podman logs "$name" >&2
	return 1
}

gc_host_pid() {
	gc_podman inspect --format '{{.State.Pid}}' "$1"
}

# gc_exit_code NAME: the exit status of a stopped container.
gc_exit_code() {
	gc_podman inspect --format '{{.State.ExitCode}}' "$1"
}
