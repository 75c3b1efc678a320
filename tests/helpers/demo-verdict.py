#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""demo-verdict.py FILE.json - recompute each verdict of `fsinspect demo
--json` from the figures it printed, by the rule it states (the "rule"
field, fsinspect-demo(1)), independently of the C code that computed it.

A figure that is unknown or n/a is None; a comparison with None is false,
as the rules say.  Prints one line per demonstration; exits 1 if any
verdict differs from the one recomputed, or a demonstration is missing a
figure its rule names, or could not run.
"""
import json
import sys

PAGE = 4096


class Figures:
    def __init__(self, demo):
        self.f = {x["key"]: x for x in demo["figures"]}

    def measured(self, key):
        return key in self.f and self.f[key]["state"] == "measured"

    def __call__(self, key):
        if key not in self.f:
            raise KeyError(key)
        return self.f[key]["value"] if self.measured(key) else None

    def either(self, first, second):
        """first when measured, else second."""
        return self(first) if self.measured(first) else self(second)


def eq(a, b):
    return a is not None and b is not None and a == b


def gt(a, b):
    return a is not None and b is not None and a > b


def ge(a, b):
    return a is not None and b is not None and a >= b


def lt(a, b):
    return a is not None and b is not None and a < b


def le(a, b):
    return a is not None and b is not None and a <= b


def sub(a, b):
    return None if a is None or b is None else a - b


def reread(v):
    size = v("size")
    s1 = v.either("read1_read_bytes", "read1_inblock")
    s2 = v.either("read2_read_bytes", "read2_inblock")
    pages = size // PAGE
    if eq(v("cached_before"), 0) and ge(s1, size) and \
            eq(v("cached_after1"), pages) and eq(s2, 0):
        return "reproduced"
    if eq(v("cached_after1"), pages) and gt(s2, 0):
        return "refuted"
    if gt(v("cached_before"), 0) and eq(s2, 0):
        return "partly"
    return "unknown"


def readahead(v):
    if not (eq(v("cached_before"), 0) and eq(v("cached_before_rand"), 0)):
        return "unknown"
    if None in (v("first_cached"), v("seq_cached"), v("rand_cached")):
        return "unknown"
    seq = sub(v("seq_cached"), v("seq_pages"))
    rnd = sub(v("rand_cached"), v("rand_pages"))
    big = gt(v("first_read_max"), 4096) if v.measured("first_read_max") \
        else True
    if gt(v("first_cached"), 1) and big and gt(seq, rnd):
        return "reproduced"
    if le(v("first_cached"), 1) and le(seq, 0):
        return "refuted"
    return "partly"


def evict(v):
    tried = gone = both = 0
    for w in ("fadvise", "drop", "pressure"):
        before, after = v(w + "_cached_before"), v(w + "_cached_after")
        if before is None or after is None:
            continue
        tried += 1
        left = after < before
        back = gt(v.either(w + "_reread_read_bytes", w + "_reread_inblock"),
                  0)
        gone += left
        both += left and back
    if not tried:
        return "unknown"
    if both == 3:
        return "reproduced"
    if not gone:
        return "refuted"
    return "partly"


def copy(v):
    first = v.either("cold_read_bytes", "cold_inblock")
    quiet = eq(v.either("warm_read_bytes", "warm_inblock"), 0)
    ratio = v("size_ratio")
    if ge(first, v("size")) and quiet and ge(ratio, 2):
        return "reproduced"
    if quiet and lt(ratio, 1.5):
        return "refuted"
    if quiet and ge(ratio, 2):
        return "partly"
    return "unknown"


def mmap_syscalls(v):
    def calls(x):
        return v.either(x + "_syscalls", x + "_rwcalls")
    mr, mw, rd = calls("mmap_read"), calls("mmap_write"), calls("read")
    if eq(mr, 0) and eq(mw, 0) and ge(rd, v("pages")):
        return "reproduced"
    if gt(mr, 0) or gt(mw, 0):
        return "refuted"
    return "unknown"


def mmap_pagecache(v):
    if v("map_present") is None or v("cached_mapped") is None:
        return "unknown"
    file = sub(v("map_present"), v("map_cow"))
    back = v.either("read_after_read_bytes", "read_after_inblock")
    pages = v("pages")
    if ge(v("cached_mapped"), pages) and ge(file, pages) and eq(back, 0):
        return "refuted"
    if gt(v("map_present"), 0) and eq(v("cached_mapped"), 0):
        return "reproduced"
    return "partly"


def mmap_tail(v):
    size = v("size")
    if None in (v("map_size"), v("size_after"), v("z_after")):
        return "unknown"
    sent = gt(v("wb_end"), size) if v.measured("wb_end") else False
    if eq(v("map_size"), 8192) and eq(v("tail_nonzero"), 0) and \
            eq(v("tail_written"), v("tail")) and \
            eq(v("size_after"), size) and eq(v("z_after"), 0) and not sent:
        return "reproduced"
    if v("size_after") != size or gt(v("z_after"), 0) or sent or \
            gt(v("tail_nonzero"), 0):
        return "refuted"
    return "partly"


def mmap_writeback(v):
    seen = v("dirty_at_write")
    written = gt(v("wb_writes"), 0) if v.measured("wb_writes") else True
    if seen is None or seen == 0:
        return "unknown"
    if eq(v("dirty_end"), 0) and written:
        return "reproduced"
    if gt(v("dirty_end"), 0) and not gt(v("wb_writes"), 0):
        return "refuted"
    return "partly"


def mmap_coherence(v):
    if v("map_sees_write") is None:
        return "unknown"
    ok = eq(v("map_sees_write"), 1) and eq(v("read_sees_map"), 1)
    if v.measured("nowbc_map_sees_write"):
        ok = ok and eq(v("nowbc_map_sees_write"), 1) and \
            eq(v("nowbc_read_sees_map"), 1)
    return "reproduced" if ok else "refuted"


def mmap_shared(v):
    def storage(x):
        if v.measured(x + "_read_bytes"):
            return gt(v(x + "_read_bytes"), 0)
        return gt(v(x + "_majflt"), 0)
    if v("b_rss") is None or v("a_cached") is None:
        return "unknown"
    if v.measured("same_frames"):
        shared = eq(v("same_frames"), v("pages"))
    else:
        shared = gt(v("b_rss"), 0) and v("b_pss") is not None and \
            v("b_pss") * 2 == v("b_rss")
    if storage("b") or lt(v("same_frames"), v("pages")):
        return "refuted"
    faulted = gt(v("b_minflt") + v("b_majflt"), 0)
    if storage("a") and faulted and shared:
        return "reproduced"
    return "partly"


def msync(v):
    def cleaned(dirty, writes):
        done = gt(v(writes), 0) if v.measured(writes) else True
        return eq(v(dirty), 0) and done
    by_munmap = cleaned("dirty_unmapped", "munmap_writes")
    by_msync = cleaned("dirty_msync", "msync_writes") and \
        eq(v("msync_errno"), 0)
    kfs_kept = gt(v("kfs_dirty_mapped"), 0) and \
        gt(v("kfs_dirty_unmapped"), 0)
    if not gt(v("dirty_mapped"), 0) or not gt(v("dirty_again"), 0):
        return "unknown"
    if not by_msync:
        return "refuted"
    if by_munmap and not kfs_kept:
        return "reproduced"
    return "partly"


def crash_app(v):
    if v("survived") is None:
        return "unknown"
    return "reproduced" if eq(v("survived"), v("written")) else "refuted"


def writeback_periodic(v):
    seen = v("dirty_at_write")
    written = gt(v("wb_writes"), 0) if v.measured("wb_writes") else True
    if seen is None or seen == 0:
        return "unknown"
    if lt(v("clean_s"), 0.5):
        return "refuted"
    if gt(v("dirty_end"), 0) and not gt(v("wb_writes"), 0):
        return "refuted"
    if eq(v("dirty_end"), 0) and written and eq(v("dirty_fsync"), 0):
        return "reproduced"
    return "partly"


def small_mapping(v):
    if None in (v("map_size"), v("read_cached"), v("map_extra")):
        return "unknown"
    if lt(v("map_min"), PAGE):
        return "refuted"
    if ge(v("map_extra"), v("files")):
        return "reproduced"
    if ge(v("read_cached"), v("files")):
        return "partly"
    return "unknown"


def exec_maps(v):
    if not eq(v("loaded"), 1) or v("maps") is None:
        return "unknown"
    reads = gt(v("exec_reads"), 0) if v.measured("exec_reads") else True
    if gt(v("maps"), 0) and gt(v("xmaps"), 0) and \
            eq(v("exe_is_prog"), 1) and gt(v("cached_running"), 0) and reads:
        return "reproduced"
    if eq(v("maps"), 0):
        return "refuted"
    return "partly"


def mmap_speed(v):
    seq, rnd = v("seq_ratio"), v("rand_ratio")
    wr, mem = v("write_ratio"), v("mem_ratio")
    if None in (seq, rnd, wr, mem):
        return "unknown"
    reads = seq > 1.1 and rnd > 1.1
    writes = wr > 1.1
    as_mem = mem <= 1.5
    if reads and writes and as_mem:
        return "reproduced"
    if seq <= 1.1 and rnd <= 1.1 and wr <= 1.1 and not as_mem:
        return "refuted"
    return "partly"


def anon_mapping(v):
    if v("private_ino") is None:
        return "unknown"
    no_file = eq(v("private_ino"), 0) and not eq(v("out_by_name_sees"), 1)
    shared = eq(v("shared_seen"), 1) and \
        not eq(v("shared_same_after"), 0)
    if not no_file:
        return "refuted"
    if not shared:
        return "reproduced"
    return "partly"


RULES = {
    "reread": reread,
    "readahead": readahead,
    "evict": evict,
    "copy": copy,
    "mmap-syscalls": mmap_syscalls,
    "mmap-pagecache": mmap_pagecache,
    "mmap-tail": mmap_tail,
    "mmap-writeback": mmap_writeback,
    "mmap-coherence": mmap_coherence,
    "mmap-shared": mmap_shared,
    "msync": msync,
    "crash-app": crash_app,
    "writeback-periodic": writeback_periodic,
    "small-mapping": small_mapping,
    "exec-maps": exec_maps,
    "mmap-speed": mmap_speed,
    "anon-mapping": anon_mapping,
}


def check(demo):
    name, printed = demo["name"], demo["verdict"]
    if printed == "error":
        return f"{name}: could not run: {demo['reason']}"
    if name not in RULES:
        return f"{name}: no rule here: add it to {sys.argv[0]}"
    try:
        want = RULES[name](Figures(demo))
    except KeyError as e:
        return f"{name}: the rule's figure {e} is missing"
    if want != printed:
        return f"{name}: printed {printed}, the figures give {want}"
    return None


def main():
    demos = json.load(open(sys.argv[1]))["demos"]
    bad = 0
    for d in demos:
        err = check(d)
        print(err or f"{d['name']}: {d['verdict']} (rule agrees)")
        bad += err is not None
    sys.exit(1 if bad or not demos else 0)


main()
