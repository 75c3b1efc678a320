#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The pictures: fsinspect kernel --svg (the timeline) and fsinspect cache
# --svg (the residency map).  The documents are checked as XML against
# the state the test made (which pages were read, cached, dirty), then,
# in the tests tagged "browser", as pixels: headless Chromium renders
# them and the screenshot must show the marks' colours where the SVG put
# them (helpers/picture.py reads both).

load helpers/common
load helpers/fsinspect

bats_require_minimum_version 1.5.0

PIC="python3 $BATS_TEST_DIRNAME/helpers/picture.py"

setup() {
	fsi_setup
}

teardown() {
	fsi_teardown
	gfs_teardown
}

gfs_start() {
	gfs_setup
	gfs_mount "$@"
}

kernel_require_tracing() {
	gfs_require_root
	grep -qw tracefs /proc/filesystems || skip "the kernel has no tracefs"
}

# Drop the kernel's pages of $1 through the daemon (no global drop).
inval() {
	python3 - "$(gfs_rundir)/ctl" "inval $(stat -c %i "$1")" <<'PY' >/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
s.recv(4096)
PY
}

# A 64-page tmpfs file whose pages 0-15 only are cached.
tmpfs_sixteen() {
	D=$(fsi_tmpfs_dir)
	F=$D/f
	fsi_sparse "$F" 64
	fsi_write "$F" $(seq 0 15)
}

# Every mark with the classes $2 in $1 as "first pages", sorted.
marks_pages() {
	$PIC marks "$1" "$2" | awk '{ print $5, $6 }' | sort -n
}

# A cold read of pages 32-47 of a 1 MiB glassfs file, drawn to $1.
kernel_picture() {
	gfs_start
	dd if=/dev/urandom of="$MNT/f" bs=1M count=1 status=none
	inval "$MNT/f"
	run --separate-stderr fsinspect kernel -f "$MNT/f" --svg "$1" "$MNT" \
		-- dd if="$MNT/f" of=/dev/null bs=64k count=1 skip=2
	assert_success
}

# Chromium's screenshot of $1 (1200x800) into $2.
screenshot() {
	local profile
	profile=$(mktemp -d "$BATS_TEST_TMPDIR/chromium.XXXXXX")
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$profile" --screenshot="$2" \
		--window-size=1200,800 "file://$1" </dev/null >/dev/null 2>&1 3>&-
	rm -rf "$profile"
	[ -s "$2" ]
}

# The marks with the classes $3 in $2 are drawn in colour $4 in screenshot $1:
# at least half the pixels inside them.
assert_drawn() {
	local m t
	read -r m t < <($PIC inside "$1" "$2" "$3" "$4")
	[ "$t" -gt 0 ] || fail "no pixel inside the marks of class '$3'"
	[ $((m * 2)) -ge "$t" ] ||
		fail "marks '$3': $m of $t pixels are $4"
}

# --- the timeline ----------------------------------------------------

@test "svg: kernel --svg draws the READ over the pages read, cache additions beside" {
	kernel_require_tracing
	kernel_picture "$BATS_TEST_TMPDIR/k.svg"
	ino=$(stat -c %i "$MNT/f")
	run $PIC parse "$BATS_TEST_TMPDIR/k.svg"
	assert_output "1200 332"
	# One panel, of this file, titled with its path.
	run $PIC texts "$BATS_TEST_TMPDIR/k.svg"
	assert_line "$MNT/f (inode $ino)"
	assert_line "READ request"
	assert_line "page cache add"
	# The READ bars cover the pages dd read (32-47); the pages added to
	# the cache are the pages the READs brought.
	run marks_pages "$BATS_TEST_TMPDIR/k.svg" "ev read"
	assert_success
	[ -n "$output" ]
	python3 - "$output" <<'PY'
import sys
bars = [tuple(map(int, l.split())) for l in sys.argv[1].splitlines()]
covered = set(p for f, n in bars for p in range(f, f + n))
assert set(range(32, 48)) <= covered, covered
PY
	read_pages=$(marks_pages "$BATS_TEST_TMPDIR/k.svg" "ev read" | awk '{ s += $2 } END { print s }')
	added=$(marks_pages "$BATS_TEST_TMPDIR/k.svg" "ev cache-add" | awk '{ s += $2 } END { print s }')
	[ "$added" = "$read_pages" ]
	# Every mark lies inside the panel's plot.
	run $PIC marks "$BATS_TEST_TMPDIR/k.svg" plot
	read -r px py pw ph _ <<<"$output"
	$PIC marks "$BATS_TEST_TMPDIR/k.svg" "ev read" | while read -r x y w h _; do
		python3 -c "import sys; x,y,w,h,px,py,pw,ph = map(float, sys.argv[1:]); assert px <= x and x + w <= px + pw + 2 and py <= y and y + h <= py + ph + 0.01" \
			"$x" "$y" "$w" "$h" "$px" "$py" "$pw" "$ph"
	done
}

@test "svg: an .html FILE is a self-contained page with the SVG inline" {
	kernel_require_tracing
	kernel_picture "$BATS_TEST_TMPDIR/k.html"
	run head -c 15 "$BATS_TEST_TMPDIR/k.html"
	assert_output "<!DOCTYPE html>"
	run $PIC parse "$BATS_TEST_TMPDIR/k.html"
	assert_success
	# Nothing fetched from elsewhere: no script, link, image, font or URL
	# but the SVG namespace name.
	run grep -Eio '<script|<link|<img|href=|url\(|@import|https?://[^"]*' \
		"$BATS_TEST_TMPDIR/k.html"
	assert_output "http://www.w3.org/2000/svg"
}

@test "svg: names are escaped: markup characters and bad UTF-8 stay text" {
	kernel_require_tracing
	gfs_start
	name=$'a<b>&"c\'d\xffe'
	echo data >"$MNT/$name"
	inval "$MNT/$name"
	run --separate-stderr fsinspect kernel --svg "$BATS_TEST_TMPDIR/e.svg" \
		-f "$MNT/$name" "$MNT" -- cat "$MNT/$name"
	assert_success
	run $PIC texts "$BATS_TEST_TMPDIR/e.svg"
	assert_success
	assert_line --partial "a<b>&\"c'd?e (inode "
}

@test "svg: trace --svg draws the daemon's READs over the pages read" {
	fsinspect trace --help 2>/dev/null | grep -q -- '--svg' ||
		skip "fsinspect trace has no --svg yet"
	gfs_start
	dd if=/dev/urandom of="$MNT/f" bs=64k count=4 status=none
	inval "$MNT/f"
	fsinspect trace --svg "$BATS_TEST_TMPDIR/t.svg" "$MNT" \
		>/dev/null 2>&1 3>&- &
	pid=$!
	FSI_PIDS+=("$pid")
	sleep 0.5
	cat "$MNT/f" >/dev/null
	sleep 0.5
	kill -INT "$pid"
	wait "$pid"
	run $PIC parse "$BATS_TEST_TMPDIR/t.svg"
	assert_success
	# The READs of the cold read cover the file's 64 pages.
	run marks_pages "$BATS_TEST_TMPDIR/t.svg" "ev read"
	python3 - "$output" <<'PY'
import sys
bars = [tuple(map(int, l.split())) for l in sys.argv[1].splitlines()]
assert set(range(64)) <= set(p for f, n in bars for p in range(f, f + n))
PY
	run $PIC texts "$BATS_TEST_TMPDIR/t.svg"
	assert_line "/f (inode $(stat -c %i "$MNT/f"))"
}

# --- the residency map -----------------------------------------------

@test "svg: cache --svg draws cached and uncached ranges where they are" {
	tmpfs_sixteen
	run --separate-stderr fsinspect cache --svg "$BATS_TEST_TMPDIR/c.svg" "$F"
	assert_success
	run $PIC parse "$BATS_TEST_TMPDIR/c.svg"
	assert_output "1000 168"
	run marks_pages "$BATS_TEST_TMPDIR/c.svg" "cell all"
	assert_output "0 16"
	run marks_pages "$BATS_TEST_TMPDIR/c.svg" "cell none"
	assert_output "16 48"
	run $PIC texts "$BATS_TEST_TMPDIR/c.svg"
	assert_line "$F: 16 of 64 pages cached"
	assert_line "page 64"
	# The bars are proportional: 16 of 64 pages is a quarter of 960 px.
	run $PIC marks "$BATS_TEST_TMPDIR/c.svg" "cell all"
	assert_output "20.00 112.00 240.00 26.00 0 16"
}

# Pages 0-3 dirty, 4-7 cached clean; retried, since another process's
# sync(2) or drop_caches may change that state (FACTS.md).
map_dirty() {
	fsi_read "$F" 4 5 6 7
	fsi_write "$F" 0 1 2 3
	run --separate-stderr fsinspect cache --svg "$BATS_TEST_TMPDIR/d.svg" "$F"
	[ "$status" -eq 0 ] &&
		[ "$(marks_pages "$BATS_TEST_TMPDIR/d.svg" "cell dirty")" = "0 4" ] &&
		[ "$(marks_pages "$BATS_TEST_TMPDIR/d.svg" "cell all")" = "4 4" ]
}

@test "svg: cache --svg marks dirty pages" {
	D=$(fsi_ext4_dir)
	F=$D/f
	fsi_write "$F" $(seq 0 7)
	fsi_drop "$F"
	fsi_try 5 map_dirty
	run $PIC texts "$BATS_TEST_TMPDIR/d.svg"
	assert_line "$F: 8 of 8 pages cached, some dirty"
}

# --- in a browser ----------------------------------------------------

require_chromium() {
	command -v chromium >/dev/null ||
		skip "chromium is not installed (apt-get install chromium)"
}

# bats test_tags=browser
@test "browser: Chromium shows the residency map as drawn" {
	require_chromium
	tmpfs_sixteen
	run --separate-stderr fsinspect cache --svg "$BATS_TEST_TMPDIR/c.html" "$F"
	assert_success
	screenshot "$BATS_TEST_TMPDIR/c.html" "$BATS_TEST_TMPDIR/c.png"
	run $PIC size "$BATS_TEST_TMPDIR/c.png"
	assert_output "1200 800"
	assert_drawn "$BATS_TEST_TMPDIR/c.png" "$BATS_TEST_TMPDIR/c.html" "cell all" '#006d2c'
	assert_drawn "$BATS_TEST_TMPDIR/c.png" "$BATS_TEST_TMPDIR/c.html" "cell none" '#eeeeee'
	# Left of the bar is the white page; text and legend are drawn.
	run $PIC pixel "$BATS_TEST_TMPDIR/c.png" 5 125
	assert_output "#ffffff"
	[ "$($PIC nonwhite "$BATS_TEST_TMPDIR/c.png")" -gt 20000 ]
}

# bats test_tags=browser
@test "browser: Chromium shows the timeline's READ bars and cache additions" {
	require_chromium
	kernel_require_tracing
	kernel_picture "$BATS_TEST_TMPDIR/k.html"
	screenshot "$BATS_TEST_TMPDIR/k.html" "$BATS_TEST_TMPDIR/k.png"
	run $PIC size "$BATS_TEST_TMPDIR/k.png"
	assert_output "1200 800"
	assert_drawn "$BATS_TEST_TMPDIR/k.png" "$BATS_TEST_TMPDIR/k.html" "ev read" '#1f77b4'
	# The plot's frame and axis are there; below the picture is white.
	run $PIC pixel "$BATS_TEST_TMPDIR/k.png" 600 700
	assert_output "#ffffff"
	[ "$($PIC nonwhite "$BATS_TEST_TMPDIR/k.png")" -gt 5000 ]
}
