"""Quick Python evaluation of a checkpoint (for choosing settings while training; the reported
figures come from `fewclick eval` through the Swift runtime).

    python3 -m clicknet.evaluate --checkpoint runs/main/last.pt --data ../../../shared/datasets/coco128-dev --clicks 5
    python3 -m clicknet.evaluate --checkpoint runs/main/last.pt --val    # the training sets' 5% validation splits

Follows the evaluation protocol of README "Evaluation and load tests": extreme points from the ground truth (seeded, optional --pert), the
proxy's crop (box of extreme + positive clicks, margin max(16 px, 0.15 x longer side), clipped,
area-averaged to at most 256 px), the network at S, probability pasted back bilinearly and
thresholded at 0.5, the standard corrective-click rule on the full image.
"""

from __future__ import annotations

import argparse
import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .data import area_resize, crop_plan, extreme_points, load_items, read_instances
from .model import ClickNet, NetConfig
from .simulate import Simulation, next_click


class Predictor:
    def __init__(self, net, size, max_side=256, margin=0.15, min_margin=16):
        self.net, self.sim = net, Simulation(size=size)
        self.max_side, self.margin, self.min_margin = max_side, margin, min_margin

    @torch.no_grad()
    def __call__(self, image: np.ndarray, clicks, prev: np.ndarray | None):
        H, W = image.shape[:2]
        seeds = [(min(max(x, 0), W - 1), min(max(y, 0), H - 1)) for x, y, k in clicks if k != "neg"]
        x0, y0, x1, y1, cw, ch = crop_plan(seeds, W, H, self.margin, self.min_margin, self.max_side)
        bw, bh = x1 - x0, y1 - y0
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        pm = None if prev is None else prev[y0:y1, x0:x1].astype(np.float32)
        if (cw, ch) != (bw, bh):
            crop = area_resize(crop, cw, ch)
            pm = None if pm is None else area_resize(pm, cw, ch)
        S = self.sim.size
        rgb = F.interpolate(torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float()[None] / 255,
                            size=(S, S), mode="bilinear", align_corners=False)
        prevS = torch.zeros(1, S, S) if pm is None else F.interpolate(
            torch.from_numpy(np.ascontiguousarray(pm))[None, None], size=(S, S), mode="bilinear", align_corners=False)[0]
        to_s = lambda x, y: ((x - x0) * S / bw - 0.5, (y - y0) * S / bh - 0.5)
        ext = torch.tensor([[to_s(x, y) for x, y, k in clicks if k == "ext"]])
        pos, neg = torch.zeros(1, S, S), torch.zeros(1, S, S)
        for x, y, k in clicks:
            if k in ("pos", "neg"):
                self.sim.disk(pos if k == "pos" else neg, 0, *to_s(x, y))
        logits = self.net(self.sim.planes(rgb, ext, pos, neg, prevS))
        prob = torch.sigmoid(F.interpolate(logits, size=(ch, cw), mode="bilinear", align_corners=False))
        prob = F.interpolate(prob, size=(bh, bw), mode="bilinear", align_corners=False)[0, 0].numpy()
        out = np.zeros((H, W), dtype=bool)
        out[y0:y1, x0:x1] = prob >= 0.5
        return out


def iou(a, b, ignore=None):
    if ignore is not None:
        a, b = a & ~ignore, b & ~ignore
    u = (a | b).sum()
    return 1.0 if u == 0 else (a & b).sum() / u


def evaluate(pred: Predictor, rows, clicks: int, pert: int, seed: int = 0):
    rng = random.Random(seed)
    curves = []
    for image_path, mask_path, ignore_path in rows:
        image = np.asarray(Image.open(image_path).convert("RGB"))
        gt = np.asarray(Image.open(mask_path).convert("L")) >= 128
        ignore = np.asarray(Image.open(ignore_path).convert("L")) >= 128 if ignore_path else None
        if not gt.any():
            continue
        cl = [(x + 0.5, y + 0.5, "ext") for x, y in extreme_points(gt, rng, pert)]
        clicked = np.zeros_like(gt)
        mask = pred(image, cl, None)
        curve = [iou(mask, gt, ignore)]
        for _ in range(clicks):
            c = next_click(gt, mask, clicked, ignore)
            if c is None:
                curve.append(curve[-1])
                continue
            x, y, positive = c
            clicked[y, x] = True
            cl.append((x + 0.5, y + 0.5, "pos" if positive else "neg"))
            mask = pred(image, cl, mask)
            curve.append(iou(mask, gt, ignore))
        curves.append(curve)
    return np.array(curves)


def report(name, curves):
    m = curves.mean(0) * 100
    noc = lambda t: np.mean([next((i for i, v in enumerate(c) if v >= t), len(c) + 5) for c in curves])
    print(f"{name:14s} n={len(curves):4d} " + " ".join(f"@{i}:{v:.1f}" for i, v in enumerate(m)) +
          f"  first≥85 {noc(0.85):.2f} first≥90 {noc(0.90):.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", action="append", default=[])
    ap.add_argument("--val", action="store_true", help="the training sets' validation splits")
    ap.add_argument("--train-root", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "datasets", "train"))
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--clicks", type=int, default=5)
    ap.add_argument("--pert", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    net = ClickNet(NetConfig(**ck["config"]))
    net.load_state_dict(ck["model"])
    net.eval()
    pred = Predictor(net, args.size or ck["args"]["size"])
    print(f"checkpoint {args.checkpoint}: iteration {ck['iteration']}, {ck['train_seconds'] / 60:.0f} min", flush=True)
    for folder in args.data:
        rows = []
        for r in read_instances(folder):
            ig = r.get("ignore") or ""
            rows.append((os.path.join(folder, r["image"]), os.path.join(folder, r["mask"]),
                         os.path.join(folder, ig) if ig else None))
        if args.limit:
            rows = rows[: args.limit]
        report(os.path.basename(os.path.normpath(folder)), evaluate(pred, rows, args.clicks, args.pert))
    if args.val:
        for name, items in load_items(args.train_root, "val").items():
            rows = [(i.image, i.mask, None) for i in items][: args.limit or None]
            report(name, evaluate(pred, rows, args.clicks, args.pert))


if __name__ == "__main__":
    main()
