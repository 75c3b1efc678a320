#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report.py - the statistics half of tests/bench/run.

Layer: benchmark tooling, Debian's python3 only (no pip).  tests/bench/run
measures; this file turns what it measured into records, and records into
the tables, the verdicts on the targets of issue #8 and the JSON file.

    report.py record OPTIONS METRIC=WORKLOAD...   append records (JSON lines)
    report.py gstat MOUNTPOINT                    a glassfs mount's counters
    report.py report RESULTS META [--json FILE] [--compare OLD.json]

A record is one figure of one repetition: target, workload, rep, value,
unit, and the noise readings taken around the measurement.
"""
import argparse
import json
import math
import os
import socket
import statistics
import sys

# ---------------------------------------------------------------------------
# Workloads, units and targets: the one table everything below reads.
# ---------------------------------------------------------------------------

# (workload, unit, higher_is_better, description)
WORKLOADS = [
    ("seqwrite", "MB/s", True, "sequential write, 1 MiB blocks, final fsync"),
    ("seqread-cold", "MB/s", True, "sequential read after remount/drop"),
    ("seqread-warm", "MB/s", True, "sequential read from the page cache"),
    ("randread-4k", "IOPS", True, "random 4 KiB reads, warm"),
    ("mmapread", "MB/s", True, "mmap sequential read, warm"),
    ("randwrite-4k", "IOPS", True, "random 4 KiB writes, fsync every 64"),
    ("par4-write", "MB/s", True, "4 parallel writers, final fsync"),
    ("par4-read", "MB/s", True, "4 parallel readers, cold"),
    ("scale-write", "x", True, "par4-write / seqwrite"),
    ("scale-read", "x", True, "par4-read / seqread-cold"),
]
META_PHASES = ["create", "stat", "readdir", "rename", "unlink"]
LATER = [
    ("dirrename-tree", "us", False, "move of a directory with descendants"),
    ("dirrename-empty", "us", False, "move of an empty directory"),
    ("dirrename-ratio", "x", False, "dirrename-tree / dirrename-empty"),
    ("rss-peak", "MiB", False, "daemon VmHWM while writing"),
    ("rss-write", "MB/s", True, "sequential write of the RSS run"),
]
PEERS = ["tmpfs", "disk", "bindfs", "sqlite"]
MODES = ["gfs:always", "gfs:never", "gfs:nowbc"]
GFS = "glassfs"
NOTRACE = "gfs:notrace"


def fmt_count(n):
    return "%dk" % (n // 1000) if n % 1000 == 0 else str(n)


def workload_table(meta):
    """All workloads of this run, in display order, with unit and sense."""
    rows = list(WORKLOADS)
    for n in meta["files"]:
        for p in META_PHASES:
            rows.append(("%s-%s" % (p, fmt_count(n)), "ops/s", True,
                         "%s of %d files in one directory" % (p, n)))
    rows += LATER
    return rows


# ---------------------------------------------------------------------------
# record
# ---------------------------------------------------------------------------

def fio_metric(path, metric):
    with open(path) as f:
        text = f.read()
    # fio prints notes before the JSON when a job has trouble.
    j = json.loads(text[text.index("{"):])
    job = j["jobs"][0]
    if job.get("error"):
        raise ValueError("fio error %d" % job["error"])
    side, what = metric.split("_")
    if what == "bw":
        return job[side]["bw_bytes"] / 1e6
    return job[side]["iops"]


def json_metric(path, key):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                j = json.loads(line)
                if key.endswith("bytes_per_sec"):
                    return j[key] / 1e6
                return j[key]
    raise ValueError("no JSON in %s" % path)


def last_line(path):
    try:
        with open(path, errors="replace") as f:
            lines = [x.strip() for x in f if x.strip()]
    except OSError:
        return "no output"
    return lines[-1][:200] if lines else "no output"


def req_delta(before, after):
    """Per-opcode counter deltas between two 'stats' answers."""
    try:
        with open(before) as f:
            a = json.load(f)
        with open(after) as f:
            b = json.load(f)
    except (OSError, ValueError):
        return None
    ops = {}
    for op, v in b.get("ops", {}).items():
        u = a.get("ops", {}).get(op, {})
        d = {k: v[k] - u.get(k, 0)
             for k in ("count", "errors", "bytes", "dur_ns", "sql_ns")}
        if d["count"] > 0:
            ops[op] = d
    store = {k: b["store"][k] - a["store"].get(k, 0)
             for k in ("commits", "syncs", "cache_hits", "cache_misses")
             if k in b.get("store", {})}
    return {"ops": ops, "store": store}


def cmd_record(args):
    s0 = [float(x) for x in args.snap0.split()]
    s1 = [float(x) for x in args.snap1.split()]
    # snapshot: time_us busy_jiffies ours_jiffies psi_total_us psi_avg10
    dt = max((s1[0] - s0[0]) / 1e6, 1e-6)
    busy = (s1[1] - s0[1]) / args.hz
    ours = (s1[2] - s0[2]) / args.hz
    foreign = max(0.0, busy - ours) / (dt * args.ncpu) * 100
    psi_during = (s1[3] - s0[3]) / 1e6 / dt * 100
    noisy = args.psi_idle >= args.psi_threshold or \
        foreign >= args.foreign_threshold or args.foreign_drops > 0
    req = None
    if args.req0 and args.req1:
        req = req_delta(args.req0, args.req1)
    out = []
    for spec in args.metrics:
        metric, workload = spec.split("=", 1)
        value, error = None, None
        if args.rc != 0:
            error = "exit %d: %s" % (args.rc, last_line(args.errfile))
        else:
            try:
                if args.kind == "fio":
                    value = fio_metric(args.src, metric)
                else:
                    value = json_metric(args.src, metric)
            except (OSError, ValueError, KeyError, IndexError) as e:
                error = "unreadable result: %s (%s)" % (
                    e, last_line(args.errfile))
        rec = {
            "target": args.target, "workload": workload, "rep": args.rep,
            "value": value, "error": error, "seconds": round(dt, 3),
            "psi_avg10_before": s0[4], "psi_avg10_after": s1[4],
            "psi_idle": round(args.psi_idle, 2),
            "psi_during": round(psi_during, 2),
            "foreign_cpu": round(foreign, 2),
            "foreign_drops": args.foreign_drops,
            "reclaim_scanned": args.reclaim_scanned, "noisy": noisy,
        }
        if req:
            rec["requests"] = req
        out.append(rec)
    with open(args.out, "a") as f:
        for rec in out:
            f.write(json.dumps(rec) + "\n")
    for rec in out:
        v = rec["value"]
        print("%-12s %-16s rep %d: %s%s" % (
            rec["target"], rec["workload"], rec["rep"],
            "%.6g" % v if v is not None else "ERROR " + rec["error"],
            "  (noisy: idle psi %.0f%%, foreign cpu %.0f%%%s)" % (
                rec["psi_idle"], rec["foreign_cpu"],
                ", caches dropped by another process"
                if args.foreign_drops else "") if noisy else ""))


# ---------------------------------------------------------------------------
# gstat
# ---------------------------------------------------------------------------

def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def control_path(mnt):
    mnt = os.path.realpath(mnt)
    conn = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fs = line.split()
            rest = line.split(" - ", 1)[1].split()
            if unescape(fs[4]) == mnt and rest[0].startswith("fuse"):
                conn = fs[2].split(":")[1]
    if conn is None:
        raise OSError("'%s' is not a FUSE mount" % mnt)
    base = "/run/glassfs" if os.geteuid() == 0 else os.environ.get(
        "XDG_RUNTIME_DIR", "/run/user/%d" % os.geteuid()) + "/glassfs"
    return "%s/%s/ctl" % (base, conn)


def cmd_gstat(args):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(control_path(args.mountpoint))
    s.sendall(b"stats\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    sys.stdout.write(data.decode())


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    return recs


def summarize(recs):
    """(workload, target) -> summary of its repetitions."""
    groups = {}
    for r in recs:
        groups.setdefault((r["workload"], r["target"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        vals = [r["value"] for r in rs if r["value"] is not None]
        s = {"n": len(vals), "values": vals,
             "errors": [r["error"] for r in rs if r["error"]],
             "noisy_reps": sum(1 for r in rs if r["noisy"])}
        if vals:
            med = statistics.median(vals)
            s.update(median=med, min=min(vals), max=max(vals),
                     range_pct=(max(vals) - min(vals)) / med * 100
                     if med else 0.0)
        # Too noisy to trust: most of its repetitions were noisy.
        s["noisy"] = s["noisy_reps"] * 2 > len(rs)
        out[key] = s
    return out


def derive(summ, targets):
    """Figures computed from others: scaling and the rename ratio."""
    pairs = [("scale-write", "par4-write", "seqwrite"),
             ("scale-read", "par4-read", "seqread-cold")]
    for name, num, den in pairs:
        for t in targets:
            a, b = summ.get((num, t)), summ.get((den, t))
            if a and b and "median" in a and "median" in b and b["median"]:
                v = a["median"] / b["median"]
                summ[(name, t)] = {"n": 1, "values": [v], "errors": [],
                                   "noisy_reps": 0, "median": v, "min": v,
                                   "max": v, "range_pct": None,
                                   "noisy": a["noisy"] or b["noisy"]}


def fmt_num(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def cell(s):
    if s is None:
        return ""
    if "median" not in s:
        return "error"
    txt = fmt_num(s["median"])
    if s.get("range_pct") is not None and s["n"] > 1:
        txt += " ±%.0f%%" % (s["range_pct"] / 2)
    return txt + ("*" if s["noisy"] else "")


def table(rows, header, left=1):
    """Plain aligned text; the first @left columns flush left."""
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    lines = []
    for k, r in enumerate([header] + rows):
        parts = [str(c).ljust(w) if i < left else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio(summ, wl, num, den, higher):
    a, b = summ.get((wl, num)), summ.get((wl, den))
    if not a or not b or "median" not in a or "median" not in b:
        return None
    if not a["median"] or not b["median"]:
        return None
    r = a["median"] / b["median"] if higher else b["median"] / a["median"]
    return {"ratio": r, "noisy": a["noisy"] or b["noisy"]}


def fmt_ratio(r):
    if r is None:
        return ""
    return "%.2fx%s" % (r["ratio"], "*" if r["noisy"] else "")


def pick_files(meta, n):
    """The file count standing for "n files": n if measured, else the
    nearest one measured."""
    return min(meta["files"], key=lambda x: abs(x - n))


def trace_cost(summ, wls):
    """1 - geometric mean of glassfs / glassfs-notrace over workloads."""
    logs, noisy = [], False
    for wl, unit, higher, _ in wls:
        if wl.startswith(("scale-", "rss-", "dirrename-ratio")):
            continue
        r = ratio(summ, wl, GFS, NOTRACE, higher)
        if r:
            logs.append(math.log(r["ratio"]))
            noisy = noisy or r["noisy"]
    if not logs:
        return None
    g = math.exp(sum(logs) / len(logs))
    return {"ratio": g, "noisy": noisy, "workloads": len(logs)}


def targets(summ, meta, wls):
    """The targets of issue #8 for glassfs in its default mode."""
    out = []

    def need(name, r, op, limit, detail=""):
        if r is None:
            out.append({"target": name, "ratio": None, "limit": limit,
                        "op": op, "met": None, "noisy": False,
                        "detail": "not measured"})
            return
        met = r["ratio"] >= limit if op == ">=" else r["ratio"] <= limit
        out.append({"target": name, "ratio": r["ratio"], "limit": limit,
                    "op": op, "met": met, "noisy": r["noisy"],
                    "detail": detail})

    def vs(wl, peer, op, limit, label):
        need(label, ratio(summ, wl, GFS, peer, True), op, limit)

    vs("seqread-warm", "tmpfs", ">=", 0.9, "warm seq read >= 0.9x tmpfs")
    vs("randread-4k", "tmpfs", ">=", 0.9, "warm random 4k read >= 0.9x tmpfs")
    vs("mmapread", "tmpfs", ">=", 0.9, "warm mmap read >= 0.9x tmpfs")
    vs("seqwrite", "sqlite", ">=", 0.7, "seq write >= 0.7x raw SQLite")
    vs("seqwrite", "bindfs", ">=", 2.0, "seq write >= 2x bindfs")
    vs("seqread-cold", "sqlite", ">=", 0.6,
       "cold seq read >= 0.6x raw SQLite read")
    vs("seqread-cold", "bindfs", ">=", 0.8, "cold seq read >= 0.8x bindfs")
    vs("randwrite-4k", "disk", ">=", 0.8,
       "random 4k write, fsync/64 >= 0.8x disk fs")
    n10 = fmt_count(pick_files(meta, 10000))
    for p, lim in (("create", 1.0), ("rename", 1.0), ("unlink", 1.0),
                   ("stat", 0.5)):
        vs("%s-%s" % (p, n10), "bindfs", ">=", lim,
           "%s (%s) >= %gx bindfs" % (p, n10, lim))
    vs("readdir-" + n10, "tmpfs", ">=", 0.5,
       "readdir of %s entries >= 0.5x tmpfs" % n10)
    small, large = min(meta["files"]), max(meta["files"])
    a = summ.get(("create-" + fmt_count(small), GFS))
    b = summ.get(("create-" + fmt_count(large), GFS))
    if small != large and a and b and "median" in a and "median" in b:
        # per-file time grows by create_small / create_large
        need("per-file create time %s -> %s within 1.5x" % (
            fmt_count(small), fmt_count(large)),
            {"ratio": a["median"] / b["median"],
             "noisy": a["noisy"] or b["noisy"]}, "<=", 1.5)
    else:
        need("per-file create time within 1.5x", None, "<=", 1.5)
    d = summ.get(("dirrename-ratio", GFS))
    need("dir rename with %d descendants within 2x of empty" % meta["tree"],
         {"ratio": d["median"], "noisy": d["noisy"]}
         if d and "median" in d else None, "<=", 2.0)
    tc = trace_cost(summ, wls)
    if tc:
        need("trace+counters cost <= 3%% (glassfs/notrace, geomean of %d)"
             % tc["workloads"], tc, ">=", 0.97,
             "cost %.1f%%" % ((1 - tc["ratio"]) * 100))
    else:
        need("trace+counters cost <= 3%", None, ">=", 0.97)
    r = summ.get(("rss-peak", GFS))
    limit = 64 + meta["sqlite_cache_mib"]
    need("daemon RSS < %d MiB writing %s" % (limit, meta["rss_size"]),
         {"ratio": r["median"], "noisy": False}
         if r and "median" in r else None, "<=", limit,
         "(limit: 64 + sqlite_cache %d)" % meta["sqlite_cache_mib"])
    return out


def verdict_line(t):
    if t["met"] is None:
        state = "n/a"
    else:
        state = "met" if t["met"] else "NOT MET"
    if t["noisy"]:
        state += "*"
    if t["ratio"] is None:
        return state, t["target"], "not measured"
    if "RSS" in t["target"]:
        val = "%.1f MiB" % t["ratio"]
    else:
        val = "%.2fx (%s %g)" % (t["ratio"], t["op"], t["limit"])
    if t.get("detail"):
        val += "  " + t["detail"]
    return state, t["target"], val


def requests_table(recs, wls, target):
    """What the daemon did in each workload (last repetition)."""
    last = {}
    for r in recs:
        if r["target"] == target and r.get("requests"):
            last[r["workload"]] = r
    rows = []
    seen = set()
    for wl, _, _, _ in wls:
        r = last.get(wl)
        if not r:
            continue
        req = r["requests"]
        key = json.dumps(req, sort_keys=True)
        if key in seen:  # metabench phases share one measurement
            continue
        seen.add(key)
        ops = sorted(req["ops"].items(), key=lambda kv: -kv[1]["dur_ns"])
        desc = []
        for op, v in ops[:4]:
            desc.append("%s %dx%s/%s" % (
                op, v["count"], fmt_us(v["dur_ns"] / v["count"]),
                fmt_us(v["sql_ns"] / v["count"])))
        st = req.get("store", {})
        if wl.startswith("dirrename-"):
            wl = "dirrename"
        rows.append((wl, "%d/%d" % (st.get("commits", 0),
                                     st.get("syncs", 0)),
                     "; ".join(desc)))
    return rows


def fmt_us(ns):
    us = ns / 1000
    if us >= 1000:
        return "%.1fms" % (us / 1000)
    return "%.0fus" % us


def compare_table(old_path, new_targets):
    with open(old_path) as f:
        old = {t["target"]: t for t in json.load(f).get("targets", [])}
    rows = []
    for t in new_targets:
        o = old.get(t["target"])
        if not o or o["ratio"] is None or t["ratio"] is None:
            continue
        rows.append((t["target"], "%.2f" % o["ratio"], "%.2f" % t["ratio"],
                     "%+.0f%%" % ((t["ratio"] / o["ratio"] - 1) * 100)
                     if o["ratio"] else ""))
    return rows


def cmd_report(args):
    recs = load(args.results)
    with open(args.meta) as f:
        meta = json.load(f)
    wls = workload_table(meta)
    order = [t for t in meta["targets"]]
    summ = summarize(recs)
    derive(summ, order)
    out = []
    p = out.append
    p("glassfs benchmark (issue #8)  %s  %s" % (meta["started"], meta["host"]))
    p("glassfs %s, fio %s, SQLite %s, kernel %s" % (
        meta["glassfs_version"], meta["fio_version"], meta["sqlite_version"],
        meta["kernel"]))
    p("files %s, metadata %s files, dir tree %d, RSS run %s, %d reps, "
      "time-based runs %ss%s" % (
          meta["size"], "/".join(str(x) for x in meta["files"]),
          meta["tree"], meta["rss_size"], meta["reps"], meta["runtime"],
          ", quick" if meta["quick"] else ""))
    p("scratch on %s (%s); took %s" % (
        meta["disk_fs"], meta["scratch_parent"], meta.get("duration", "?")))
    nrec = len(recs)
    nnoisy = sum(1 for r in recs if r["noisy"])
    ndrops = sum(1 for r in recs if r.get("foreign_drops"))
    p("noise: %d of %d figures taken under foreign load (idle CPU pressure "
      ">= %g%% or foreign CPU >= %g%%)," % (
          nnoisy, nrec, meta["psi_threshold"], meta["foreign_threshold"]))
    p("       %d of them while another process dropped the page cache" %
      ndrops)
    p("")
    p("1. Absolute figures: median of %d, ±half the min-max range in %% of "
      "the median;" % meta["reps"])
    p("   * = too noisy to trust (most repetitions under foreign load); "
      "us = microseconds")
    rows = []
    for wl, unit, higher, _ in wls:
        row = [wl, unit] + [cell(summ.get((wl, t))) for t in order]
        if any(row[2:]):
            rows.append(row)
    p(table(rows, ["workload", "unit"] + order))
    p("")
    p("2. Ratios (medians of this run): glassfs (default) / each peer, "
      "each mode / glassfs,")
    p("   glassfs / glassfs-notrace; > 1 means glassfs (or the mode) is "
      "better, for times too")
    cols = [("/tmpfs", GFS, "tmpfs"), ("/disk", GFS, "disk"),
            ("/bindfs", GFS, "bindfs"), ("/sqlite", GFS, "sqlite")]
    cols += [(m.split(":")[1] + "/gfs", m, GFS) for m in MODES]
    cols += [("gfs/notrace", GFS, NOTRACE)]
    rows = []
    ratios = {}
    for wl, unit, higher, _ in wls:
        if wl in ("dirrename-ratio", "rss-peak", "rss-write"):
            continue
        row = [wl]
        for name, a, b in cols:
            r = ratio(summ, wl, a, b, higher)
            row.append(fmt_ratio(r))
        if any(row[1:]):
            rows.append(row)
        for t in order:
            for peer in order:
                if t != peer:
                    r = ratio(summ, wl, t, peer, higher)
                    if r:
                        ratios.setdefault(wl, {})["%s/%s" % (t, peer)] = \
                            round(r["ratio"], 4)
    p(table(rows, ["workload"] + [c[0] for c in cols]))
    p("")
    tg = targets(summ, meta, wls)
    met = sum(1 for t in tg if t["met"])
    p("3. Targets of issue #8 (glassfs, default mode): %d of %d met; "
      "* = too noisy to trust" % (met, len(tg)))
    p(table([verdict_line(t) for t in tg], ["verdict", "target", "measured"],
            left=3))
    rq = requests_table(recs, wls, GFS)
    if rq:
        p("")
        p("4. glassfs (default) daemon requests in the last repetition of "
          "each workload:")
        p("   commits/syncs of the store; the four request types with the "
          "most time:")
        p("   TYPE COUNTxMEAN/SQL: mean time in the daemon / of it, mean time "
          "holding the store lock")
        p(table(rq, ["workload", "commit/sync", "requests"], left=3))
    if meta.get("problems"):
        p("")
        p("5. Problems seen")
        for x in meta["problems"]:
            p("   " + x)
    if args.compare:
        p("")
        p("Compared with %s (target ratios; only ratios compare across "
          "runs):" % args.compare)
        p(table(compare_table(args.compare, tg),
                ["target", "old", "new", "change"]))
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.text:
        with open(args.text, "w") as f:
            f.write(text)
    if args.json:
        summary = {}
        for (wl, t), s in summ.items():
            summary.setdefault(wl, {})[t] = s
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "summary": summary, "ratios": ratios,
                       "targets": tg, "records": recs}, f, indent=1)
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(prog="report.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--out", required=True)
    r.add_argument("--target", required=True)
    r.add_argument("--rep", type=int, required=True)
    r.add_argument("--rc", type=int, required=True)
    r.add_argument("--kind", choices=["fio", "json"], required=True)
    r.add_argument("--src", required=True)
    r.add_argument("--errfile", required=True)
    r.add_argument("--snap0", required=True)
    r.add_argument("--snap1", required=True)
    r.add_argument("--psi-idle", type=float, required=True)
    r.add_argument("--psi-threshold", type=float, required=True)
    r.add_argument("--foreign-threshold", type=float, required=True)
    r.add_argument("--foreign-drops", type=int, default=0)
    r.add_argument("--reclaim-scanned", type=int, default=0)
    r.add_argument("--hz", type=float, default=100)
    r.add_argument("--ncpu", type=int, default=os.cpu_count())
    r.add_argument("--req0")
    r.add_argument("--req1")
    r.add_argument("metrics", nargs="+")
    g = sub.add_parser("gstat")
    g.add_argument("mountpoint")
    p = sub.add_parser("report")
    p.add_argument("results")
    p.add_argument("meta")
    p.add_argument("--json")
    p.add_argument("--text")
    p.add_argument("--compare")
    args = ap.parse_args()
    try:
        {"record": cmd_record, "gstat": cmd_gstat,
         "report": cmd_report}[args.cmd](args)
    except OSError as e:
        print("report.py: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
