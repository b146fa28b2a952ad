#!/usr/bin/env python3
"""Generates rle_vectors.json: masks and the COCO RLE pycocotools writes for them.

The Swift tests (RLETests.swift) read the JSON, so they need no Python at run time.
Regenerate with:  pip install pycocotools numpy && python3 make_rle_vectors.py
Each mask is stored row-major as a string of '0'/'1' characters (row after row).
"""
import json
import os

import numpy as np
from pycocotools import mask as mask_utils

rng = np.random.default_rng(20261126)


def blobs(h, w, n, rng):
    """Union of n random filled ellipses, with a random elliptical hole cut from some of them."""
    yy, xx = np.mgrid[0:h, 0:w]
    m = np.zeros((h, w), dtype=bool)
    for _ in range(n):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(1, h / 2.5), rng.uniform(1, w / 2.5)
        e = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        m |= e
        if rng.uniform() < 0.5:
            hole = ((yy - cy) / (ry / 3)) ** 2 + ((xx - cx) / (rx / 3)) ** 2 <= 1
            m &= ~hole
    return m.astype(np.uint8)


cases = []


def add(name, m):
    m = np.asarray(m, dtype=np.uint8)
    rle = mask_utils.encode(np.asfortranarray(m))
    counts = rle["counts"].decode("ascii")
    # Uncompressed runs (column-major, background first) for the uncompressed-form test; checked
    # against pycocotools' own conversion of them.
    flat = m.flatten(order="F")
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n); n = 0; cur = v
        n += 1
    runs.append(n)
    h, w = m.shape
    via_uncompressed = mask_utils.frPyObjects({"size": [h, w], "counts": runs}, h, w)
    assert via_uncompressed["counts"].decode("ascii") == counts, name
    assert (mask_utils.decode(rle) == m).all(), name
    cases.append({
        "name": name,
        "height": int(h),
        "width": int(w),
        "bits": "".join("1" if v else "0" for v in m.flatten(order="C")),
        "size": [int(x) for x in rle["size"]],
        "counts": counts,
        "runs": [int(r) for r in runs],
        "area": int(mask_utils.area(rle)),
        "bbox": [float(x) for x in mask_utils.toBbox(rle)],
    })


add("empty 5x7", np.zeros((5, 7)))
add("full 5x7", np.ones((5, 7)))
add("single pixel 1x1 on", np.ones((1, 1)))
add("single pixel 1x1 off", np.zeros((1, 1)))
p = np.zeros((6, 9)); p[0, 0] = 1; add("first pixel", p)
p = np.zeros((6, 9)); p[5, 8] = 1; add("last pixel", p)
p = np.zeros((6, 9)); p[2, 4] = 1; add("centre pixel", p)
add("vertical stripes", np.tile(np.array([0, 1, 1, 0, 1]), (8, 3)))
add("horizontal stripes", np.tile(np.array([[0], [1], [1], [0], [1]]), (3, 11)))
add("checkerboard 9x10", (np.add.outer(np.arange(9), np.arange(10)) % 2))
add("single row 1x40", (rng.uniform(size=(1, 40)) < 0.5))
add("single column 40x1", (rng.uniform(size=(40, 1)) < 0.5))
add("noise 17x23", (rng.uniform(size=(17, 23)) < 0.5))
add("sparse noise 31x29", (rng.uniform(size=(31, 29)) < 0.05))
for i in range(4):
    add(f"blobs {i} 48x64", blobs(48, 64, 3, rng))
add("blobs large 120x160", blobs(120, 160, 5, rng))
# Long runs: numbers that need several characters, and deltas of both signs.
p = np.zeros((160, 90)); p[:, 40:] = 1; p[80:, 20] = 1; add("long runs 160x90", p)
p = np.zeros((64, 64)); p[10:50, 5:60] = 1; p[20:30, 20:40] = 0; add("rectangle with hole", p)

here = os.path.dirname(os.path.abspath(__file__))
from importlib.metadata import version

with open(os.path.join(here, "rle_vectors.json"), "w") as f:
    # One case a line keeps diffs readable.
    f.write('{"generator": %s,\n "cases": [\n' % json.dumps("pycocotools " + version("pycocotools")))
    f.write(",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases))
    f.write("\n ]}\n")
print(f"{len(cases)} cases")
