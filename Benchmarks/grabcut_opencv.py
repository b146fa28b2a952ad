#!/usr/bin/env python3
"""Times OpenCV's GrabCut on the crops `fewclick-benchmarks graphcut ... <export-dir>` wrote, seeded
as in /work/shared/BASELINES.md (rectangle = bbox of the extreme points + 5 px, GC_BGD outside,
GC_PR_FGD inside, GC_FGD disks of radius 3 at the extreme points, 5 iterations, cv2.setRNGSeed(0)),
so its per-call time compares with the graph-cut model's on exactly the same pixels.

usage: python3 Benchmarks/grabcut_opencv.py <export-dir>   (pip install opencv-python-headless)
"""
import glob, json, os, sys, time

import cv2
import numpy as np

cv2.setNumThreads(1)
times = []
skipped = 0
for png in sorted(glob.glob(os.path.join(sys.argv[1], "*.png"))):
    img = cv2.imread(png, cv2.IMREAD_COLOR)
    pts = json.load(open(png[:-4] + ".json"))["extremePoints"]
    h, w = img.shape[:2]
    xs = [int(p[0]) for p in pts]; ys = [int(p[1]) for p in pts]
    x0, y0 = max(0, min(xs) - 5), max(0, min(ys) - 5)
    x1, y1 = min(w - 1, max(xs) + 5), min(h - 1, max(ys) + 5)
    mask = np.full((h, w), cv2.GC_BGD, np.uint8)
    mask[y0:y1 + 1, x0:x1 + 1] = cv2.GC_PR_FGD
    for x, y in zip(xs, ys):
        cv2.circle(mask, (x, y), 3, cv2.GC_FGD, -1)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    t0 = time.process_time()
    try:
        cv2.grabCut(img, mask, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # the rectangle covers the whole crop (object at the image border): no background
        skipped += 1
        continue
    times.append((time.process_time() - t0) * 1000)
times.sort()
if times:
    p = lambda q: times[min(len(times) - 1, round((len(times) - 1) * q))]
    print(f"OpenCV GrabCut on {len(times)} crops ({skipped} skipped: no background): cpu p50 {p(0.5):.1f} ms, p90 {p(0.9):.1f} ms")
