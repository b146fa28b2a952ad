#!/usr/bin/env python3
"""Times OpenCV's GrabCut on the calls `fewclick-benchmarks graphcut ... <export-dir>` wrote, seeded
as the dev-set baseline (../shared/BASELINES.md, beside the repository; the seeding is below), so its per-call time compares with the graph-cut model's on exactly
the same crops and clicks:

- first mask (`<instance>_0.*`): rectangle = bbox of the extreme points + 5 px; GC_BGD outside,
  GC_PR_FGD inside, GC_FGD disks of radius 3 at the extreme points; 5 iterations.
- corrective click k > 0 (`<instance>_<k>.*`, previous mask in `_prev.png`): rectangle = bbox of the
  extreme points and positive clicks + 5 px; the previous mask's object -> GC_PR_FGD, its background
  inside the rectangle -> GC_PR_BGD, GC_BGD outside; extreme disks r 3 GC_FGD, click disks r 5
  GC_FGD / GC_BGD; 2 iterations.

`cv2.setRNGSeed(0)` before each call, one thread, process CPU time around `cv2.grabCut` only. With
`fewclick_times.json` in the folder, also prints fewclick's p50/p90 and the ratios.

usage: python3 Benchmarks/grabcut_opencv.py <export-dir>   (pip install opencv-python-headless)
"""
import glob, json, os, sys, time

import cv2
import numpy as np

cv2.setNumThreads(1)


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round((len(xs) - 1) * q))]


first, click = [], []
skipped = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    name = path[:-5]
    if os.path.basename(name) == "fewclick_times":
        continue
    k = int(name.rsplit("_", 1)[1])
    img = cv2.imread(name + ".png", cv2.IMREAD_COLOR)
    spec = json.load(open(path))
    pts = [(int(x), int(y)) for x, y in spec["extremePoints"]]
    clicks = [(int(x), int(y), kind) for x, y, kind in spec.get("clicks", [])]
    h, w = img.shape[:2]
    box = pts + [(x, y) for x, y, kind in clicks if kind == "positive"]
    xs = [p[0] for p in box]; ys = [p[1] for p in box]
    x0, y0 = max(0, min(xs) - 5), max(0, min(ys) - 5)
    x1, y1 = min(w - 1, max(xs) + 5), min(h - 1, max(ys) + 5)
    mask = np.full((h, w), cv2.GC_BGD, np.uint8)
    if k == 0:
        mask[y0:y1 + 1, x0:x1 + 1] = cv2.GC_PR_FGD
        iterations = 5
    else:
        prev = cv2.imread(name + "_prev.png", cv2.IMREAD_GRAYSCALE)
        inside = np.where(prev >= 128, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        mask[y0:y1 + 1, x0:x1 + 1] = inside[y0:y1 + 1, x0:x1 + 1]
        iterations = 2
    for x, y in pts:
        cv2.circle(mask, (x, y), 3, cv2.GC_FGD, -1)
    for x, y, kind in clicks:
        cv2.circle(mask, (x, y), 5, cv2.GC_FGD if kind == "positive" else cv2.GC_BGD, -1)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    t0 = time.process_time()
    try:
        cv2.grabCut(img, mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # no background sample (the rectangle covers the crop) or no object sample
        skipped += 1
        continue
    (first if k == 0 else click).append((time.process_time() - t0) * 1000)

print(f"OpenCV GrabCut, {len(first)} first masks and {len(click)} corrective clicks ({skipped} calls skipped: "
      "a colour model without samples)")
ours_path = os.path.join(sys.argv[1], "fewclick_times.json")
ours = json.load(open(ours_path)) if os.path.exists(ours_path) else None
for label, times, key in (("first mask", first, "first"), ("click", click, "click")):
    if not times:
        continue
    line = f"  {label:10}  opencv cpu p50 {pct(times, 0.5):.1f} ms  p90 {pct(times, 0.9):.1f} ms"
    if ours and ours.get(key):
        o50, o90 = pct(ours[key], 0.5), pct(ours[key], 0.9)
        line += (f"   fewclick p50 {o50:.1f} ms  p90 {o90:.1f} ms   ratio p50 {pct(times, 0.5) / o50:.1f}x"
                 f"  p90 {pct(times, 0.9) / o90:.1f}x")
    print(line)
