#!/usr/bin/env python3
"""Runs OpenCV's GrabCut through fewclick's evaluation protocol (README "Evaluation and load tests"), seeded as the
dev-set baseline (../shared/BASELINES.md, beside the repository, not in it; the seeding is spelled
out below), so its accuracy can be compared with `fewclick eval` in one table.

The extreme points are taken from a `fewclick eval --json` file (the first 4 clicks of each object),
so both methods start from exactly the same points; the corrective clicks then follow the standard
rule on each method's own predictions (FN/FP padded by 1 px, exact Euclidean distance transform,
clicked pixels zeroed, positive iff max FN distance > max FP distance, first maximum in row-major
order; no click when both are 0).

OpenCV seeding (as BASELINES.md): ROI = rectangle + 50 px of context, clipped to the image; rectangle =
bounding box of the extreme points and positive clicks + 5 px; GC_BGD outside it. First mask:
GC_PR_FGD inside, GC_FGD disks r 3 at the extreme points, 5 iterations. Corrections: previous
mask's object -> GC_PR_FGD, its background inside the rectangle -> GC_PR_BGD, seeds re-applied
(extreme r 3, clicks r 5 GC_FGD / GC_BGD), 2 iterations. cv2.setRNGSeed(0) before every call.
When GrabCut refuses a call (a colour model without samples: the rectangle covers the whole ROI),
the prediction is the seeding's object labels (GC_FGD | GC_PR_FGD); such calls are counted.

usage: python3 Benchmarks/grabcut_eval.py <dataset-dir> <fewclick-eval.json> [jobs] [curves.json]
       (pip install opencv-python-headless scipy)

Prints the summary row, the mean IoU after every click count 0…20 for both methods (the fewclick
figures from the same JSON file) and, with curves.json, writes OpenCV's per-object IoU curves.
"""
import csv, json, os, sys
from multiprocessing import Pool

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

MAX_CLICKS = 20


def farthest(region, clicked):
    if not region.any():
        return 0.0, -1
    padded = np.pad(region, 1)
    dt = distance_transform_edt(padded)[1:-1, 1:-1]
    for x, y in clicked:
        dt[y, x] = 0
    i = int(np.argmax(dt))
    return float(dt.flat[i]), i


def next_click(gt, pred, clicked):
    d_fn, i_fn = farthest(gt & ~pred, clicked)
    d_fp, i_fp = farthest(~gt & pred, clicked)
    if d_fn == 0 and d_fp == 0:
        return None
    positive = d_fn > d_fp
    i = i_fn if positive else i_fp
    w = gt.shape[1]
    return (i % w, i // w, "positive" if positive else "negative")


def grabcut(img, extremes, clicks, prev):
    h, w = img.shape[:2]
    box = extremes + [(x, y) for x, y, k in clicks if k == "positive"]
    xs = [p[0] for p in box]; ys = [p[1] for p in box]
    rx0, ry0 = max(0, min(xs) - 5), max(0, min(ys) - 5)
    rx1, ry1 = min(w - 1, max(xs) + 5), min(h - 1, max(ys) + 5)
    ox0, oy0 = max(0, rx0 - 50), max(0, ry0 - 50)
    ox1, oy1 = min(w - 1, rx1 + 50), min(h - 1, ry1 + 50)
    roi = np.ascontiguousarray(img[oy0:oy1 + 1, ox0:ox1 + 1])
    mask = np.full(roi.shape[:2], cv2.GC_BGD, np.uint8)
    r = (slice(ry0 - oy0, ry1 - oy0 + 1), slice(rx0 - ox0, rx1 - ox0 + 1))
    if prev is None:
        mask[r] = cv2.GC_PR_FGD
        iterations = 5
    else:
        p = prev[oy0:oy1 + 1, ox0:ox1 + 1][r]
        mask[r] = np.where(p, cv2.GC_PR_FGD, cv2.GC_PR_BGD)
        iterations = 2
    for x, y in extremes:
        cv2.circle(mask, (x - ox0, y - oy0), 3, cv2.GC_FGD, -1)
    for x, y, k in clicks:
        cv2.circle(mask, (x - ox0, y - oy0), 5, cv2.GC_FGD if k == "positive" else cv2.GC_BGD, -1)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    refused = 0
    try:
        cv2.grabCut(roi, mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        refused = 1
    out = np.zeros((h, w), bool)
    out[oy0:oy1 + 1, ox0:ox1 + 1] = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    return out, refused


def iou(a, b):
    union = (a | b).sum()
    return 1.0 if union == 0 else float((a & b).sum()) / float(union)


def run_object(job):
    dataset, row, extremes = job
    cv2.setNumThreads(1)
    img = cv2.imread(os.path.join(dataset, row["image"]), cv2.IMREAD_COLOR)
    gt = cv2.imread(os.path.join(dataset, row["mask"]), cv2.IMREAD_GRAYSCALE) >= 128
    pred, refused = grabcut(img, extremes, [], None)
    curve = [iou(pred, gt)]
    clicks = []
    exhausted = False
    for _ in range(MAX_CLICKS):
        c = None if exhausted else next_click(gt, pred, extremes + [(x, y) for x, y, _ in clicks])
        if c is None:
            exhausted = True
            curve.append(curve[-1])
            continue
        clicks.append(c)
        pred, r = grabcut(img, extremes, clicks, pred)
        refused += r
        curve.append(iou(pred, gt))
    return row["instance"], curve, refused


def main():
    dataset, eval_json = sys.argv[1], sys.argv[2]
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else os.cpu_count()
    report = json.load(open(eval_json))
    report = report[0] if isinstance(report, list) else report
    if "reports" in report:
        report = report["reports"][0]
    extremes = {o["instance"]: [(int(c["x"]), int(c["y"])) for c in o["clicks"][:4]] for o in report["instances"]}
    rows = [r for r in csv.DictReader(open(os.path.join(dataset, "instances.csv"))) if r["instance"] in extremes]
    with Pool(jobs) as pool:
        results = pool.map(run_object, [(dataset, r, extremes[r["instance"]]) for r in rows], chunksize=1)
    curves = np.array([c for _, c, _ in results])
    refused = sum(r for _, _, r in results)

    def noc(t):
        hits = [next((k for k, v in enumerate(c) if v >= t), MAX_CLICKS) for c in curves]
        return sum(hits) / len(hits)

    nof90 = sum(1 for c in curves if max(c) < 0.9)
    ks = [0, 1, 2, 3, 4, 5, 10, 20]
    print("| method | " + " | ".join(f"mIoU@{k}" for k in ks) + " | NoC@85 | NoC@90 | NoF@90 |")
    print("|---" * (len(ks) + 4) + "|")
    print("| OpenCV grabCut (this run) | " + " | ".join(f"{100 * curves[:, k].mean():.1f}" for k in ks)
          + f" | {noc(0.85):.2f} | {noc(0.9):.2f} | {nof90} |")
    print(f"{len(curves)} objects; {refused} GrabCut calls refused (no background sample), seeding labels used")
    ours = {o["instance"]: o["iou"] for o in report["instances"]}
    mine = np.array([ours[name] for name, _, _ in results])
    print("k | fewclick mIoU | OpenCV mIoU")
    for k in range(MAX_CLICKS + 1):
        print(f"{k} | {100 * mine[:, k].mean():.2f} | {100 * curves[:, k].mean():.2f}")
    if len(sys.argv) > 4:
        json.dump({name: list(c) for name, c, _ in results}, open(sys.argv[4], "w"))


if __name__ == "__main__":
    main()
