# SPDX-License-Identifier: GPL-2.0-or-later
#
# lib.bash - what the container scripts and suites share: how podman is
# called on this kind of machine, the names of the two cached images, and
# unique names for everything a run creates.  Sourced, never run.
#
# Machine facts this encodes: crun fails here, so every podman command
# takes --runtime runc; the default rlimits are too high for runc, so
# every container gets nofile and nproc lowered to 4096; a container that
# mounts FUSE needs /dev/fuse and CAP_SYS_ADMIN, nothing more.

GC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The two images are cached between runs: build-base and build-image
# reuse them unless told --force.
GC_BASE_IMAGE=${GC_BASE_IMAGE:-localhost/glassfs-base:bookworm}
GC_IMAGE=${GC_IMAGE:-localhost/glassfs:dev}

# Image builds of concurrent runs (other engineers on this machine) take
# turns; running containers need no lock, their names are unique.
GC_LOCK=${GC_LOCK:-/var/lock/glassfs-containers.lock}

gc_podman() {
	podman --runtime runc "$@"
}

# Options of every "podman run" / "podman create".
GC_RUN_OPTS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
# ... and of those that mount FUSE inside.
GC_FUSE_OPTS=(--device /dev/fuse --cap-add SYS_ADMIN)

# gc_unique PREFIX: PREFIX-<8 random hex digits>, for container names.
gc_unique() {
	printf '%s-%s\n' "$1" "$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
}

# gc_usable: succeed if podman can run containers with FUSE here, else
# print why not on stdout and fail.
gc_usable() {
	if ! command -v podman >/dev/null; then
		echo "podman is not installed"
		return 1
	fi
	if ! command -v runc >/dev/null; then
		echo "runc is not installed (crun does not work on this machine)"
		return 1
	fi
	if [ ! -c /dev/fuse ]; then
		echo "no /dev/fuse on the host"
		return 1
	fi
	if ! { exec 9<>/dev/fuse; } 2>/dev/null; then
		echo "cannot open /dev/fuse on the host"
		return 1
	fi
	exec 9>&-
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root (the suite uses rootful podman)"
		return 1
	fi
	return 0
}

gc_image_exists() {
	gc_podman image exists "$1"
}

# gc_locked COMMAND...: COMMAND under the image build lock.
gc_locked() {
	(
		flock -w 1800 9 || { echo "cannot take $GC_LOCK" >&2; exit 1; }
		"$@"
	) 9>>"$GC_LOCK"
}
