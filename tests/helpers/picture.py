#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# picture.py - check fsinspect's pictures (tests/57-fsinspect-svg.bats):
# the SVG as a document (marks found by class and data-* attributes) and
# a browser's screenshot of it as pixels (a small PNG reader, since the
# test machine has no imaging library).
#
#   picture.py parse FILE             FILE is well-formed (SVG, or HTML
#                                     with one inline <svg>): prints
#                                     "WIDTH HEIGHT" of the svg element
#   picture.py marks FILE CLASSES     one line per element whose class
#                                     list holds all of CLASSES ("ev
#                                     read"): "x y w h first pages"
#                                     (first, pages "-" if absent)
#   picture.py texts FILE             every <text>, one per line
#   picture.py size PNG               "WIDTH HEIGHT"
#   picture.py pixel PNG X Y          "#rrggbb"
#   picture.py inside PNG FILE CLASSES COLOR
#                                     of the pixels inside the marks of
#                                     CLASSES (1 px in from their edges),
#                                     how many are within 40 of COLOR per
#                                     channel: "MATCHED TOTAL"
#   picture.py nonwhite PNG           pixels that are not white
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_root(path):
    data = open(path, "rb").read().decode("utf-8")
    if data.lstrip().lower().startswith("<!doctype html"):
        # The page must hold exactly one inline SVG, itself well-formed.
        m = re.search(r"<svg\b.*</svg>", data, re.S)
        if not m or data.count("<svg") != 1:
            sys.exit("no single inline <svg> in the HTML page")
        data = m.group(0)
    return ET.fromstring(data)


def classes(el):
    return (el.get("class") or "").split()


def marks(path, cls):
    out, want = [], cls.split()
    for el in svg_root(path).iter():
        if not all(c in classes(el) for c in want):
            continue
        if el.tag == SVG_NS + "line":
            x1, y1 = float(el.get("x1")), float(el.get("y1"))
            x2, y2 = float(el.get("x2")), float(el.get("y2"))
            box = (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
        else:
            box = tuple(float(el.get(k)) for k in ("x", "y", "width", "height"))
        out.append(box + (el.get("data-first", "-"), el.get("data-pages", "-")))
    return out


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit("unsupported PNG: depth %d type %d" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def pixel(img, x, y):
    w, h, bpp, rows = img
    return tuple(rows[y][x * bpp:x * bpp + 3])


def hexcolor(c):
    return "#%02x%02x%02x" % c


def near(c, want, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(c, want))


def inside(png, svg, cls, color):
    img = read_png(png)
    want = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    matched = total = 0
    for x, y, w, h, _, _ in marks(svg, cls):
        for py in range(int(y) + 1, int(y + h) - 1 + 1):
            for px in range(int(x) + 1, int(x + w) - 1 + 1):
                if px >= img[0] or py >= img[1] or px < 0 or py < 0:
                    continue
                total += 1
                matched += near(pixel(img, px, py), want)
    return matched, total


def main(argv):
    cmd = argv[1]
    if cmd == "parse":
        root = svg_root(argv[2])
        if root.tag != SVG_NS + "svg":
            sys.exit("the root is not an svg element")
        print(root.get("width"), root.get("height"))
    elif cmd == "marks":
        for m in marks(argv[2], argv[3]):
            print("%.2f %.2f %.2f %.2f %s %s" % m)
    elif cmd == "texts":
        for el in svg_root(argv[2]).iter(SVG_NS + "text"):
            print("".join(el.itertext()))
    elif cmd == "size":
        w, h, _, _ = read_png(argv[2])
        print(w, h)
    elif cmd == "pixel":
        print(hexcolor(pixel(read_png(argv[2]), int(argv[3]), int(argv[4]))))
    elif cmd == "inside":
        print(*inside(argv[2], argv[3], argv[4], argv[5]))
    elif cmd == "nonwhite":
        w, h, bpp, rows = read_png(argv[2])
        print(sum(1 for y in range(h) for x in range(w)
                  if pixel((w, h, bpp, rows), x, y) != (255, 255, 255)))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
