"""Training data: the public sets under ../shared/datasets/train, cropped as the proxy crops.

Each sample mimics one request: extreme points picked from the ground truth as the evaluation
protocol does (random pixel on the extreme row/column, or within `pert` pixels of it), jittered; the
box of the points plus a margin, clipped to the image; area-averaged to at most `max_side` pixels
(CropPlan.crop in Swift); bilinearly resized to S x S (the clicknet wrapper in Swift).
The dev set (coco128-dev) is refused: it is for evaluation only.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

# Sampling weight per training set (by folder name); ccp_clothing is one domain, weighted down.
DEFAULT_WEIGHTS = {"duts_tr": 0.40, "ecssd": 0.17, "ccp_clothing": 0.18, "horses": 0.12, "human_seg": 0.13}
MIN_AREA = 48  # pixels: smaller masks (tiny garment parts) are skipped


def is_val(instance: str) -> bool:
    """Deterministic 5% validation split by instance name."""
    return int(hashlib.sha1(instance.encode()).hexdigest(), 16) % 20 == 0


def read_instances(folder: str):
    rows = []
    with open(os.path.join(folder, "instances.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.append(r)
    return rows


def check_not_dev(folder: str) -> None:
    if "coco128-dev" in os.path.abspath(folder):
        raise SystemExit(f"refusing to train on the dev set: {folder}")


@dataclass
class Item:
    dataset: str
    instance: str
    image: str
    mask: str


def load_items(root: str, split: str, names=None):
    """Items of every set under `root` (split 'train' or 'val')."""
    items = {}
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isfile(os.path.join(folder, "instances.csv")) or (names and name not in names):
            continue
        check_not_dev(folder)
        sel = []
        for r in read_instances(folder):
            if is_val(r["instance"]) != (split == "val"):
                continue
            sel.append(Item(name, r["instance"], os.path.join(folder, r["image"]), os.path.join(folder, r["mask"])))
        if sel:
            items[name] = sel
    return items


def extreme_points(mask: np.ndarray, rng: random.Random, pert: int = 0):
    """Left, right, top, bottom points (x, y) as the evaluation protocol picks them."""
    ys, xs = np.nonzero(mask)
    pts = []
    for key, coord, sign in ((xs, "x", -1), (xs, "x", 1), (ys, "y", -1), (ys, "y", 1)):
        ext = key.max() if sign > 0 else key.min()
        sel = np.abs(key - ext) <= pert
        cand = np.flatnonzero(sel)
        i = cand[rng.randrange(len(cand))]
        pts.append((int(xs[i]), int(ys[i])))
    return pts


def crop_plan(points, width: int, height: int, margin_fraction: float, min_margin: int = 16, max_side: int = 256):
    """Swift's CropPlan: the box of the points' pixels grown by max(min_margin, fraction x longer
    side), clipped to the image, and the crop size (longer side at most max_side, never enlarged).

    Returns (x0, y0, x1, y1, crop_width, crop_height)."""
    xs = [int(p[0]) for p in points]
    ys = [int(p[1]) for p in points]
    bx0, bx1, by0, by1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
    margin = max(min_margin, int(round(margin_fraction * max(bx1 - bx0, by1 - by0))))
    x0, y0 = max(0, bx0 - margin), max(0, by0 - margin)
    x1, y1 = min(width, bx1 + margin), min(height, by1 + margin)
    bw, bh = x1 - x0, y1 - y0
    scale = min(1.0, max_side / max(bw, bh))
    return x0, y0, x1, y1, min(bw, max(1, round(bw * scale))), min(bh, max(1, round(bh * scale)))


def area_resize(arr: np.ndarray, w: int, h: int) -> np.ndarray:
    """Area-average (box filter) resize, as Swift's Resample.areaAverage; uint8 RGB or float planes."""
    img = Image.fromarray(arr if arr.ndim == 3 else arr.astype(np.float32))
    return np.asarray(img.resize((w, h), Image.BOX))


class CropSampler:
    """Draws augmented training crops."""

    def __init__(self, root: str, size: int, seed: int, weights=None, max_side: int = 256):
        self.items = load_items(root, "train")
        w = weights or DEFAULT_WEIGHTS
        self.names = list(self.items)
        self.weights = [w.get(n, 0.1) for n in self.names]
        self.size = size
        self.max_side = max_side
        self.rng = random.Random(seed)

    def counts(self):
        return {n: len(v) for n, v in self.items.items()}

    def state(self):
        return self.rng.getstate()

    def set_state(self, s):
        self.rng.setstate(s)

    def sample(self):
        rng = self.rng
        while True:
            name = rng.choices(self.names, self.weights)[0]
            item = rng.choice(self.items[name])
            out = self.make(item)
            if out is not None:
                return out

    def make(self, item: Item):
        rng = self.rng
        img = Image.open(item.image).convert("RGB")
        m = Image.open(item.mask).convert("L")
        if m.size != img.size:
            return None
        # Small-object simulation: COCO objects are often a few dozen pixels; shrink the whole image.
        if rng.random() < 0.5:
            f = rng.uniform(0.2, 0.9)
            nw, nh = max(8, int(img.width * f)), max(8, int(img.height * f))
            img = img.resize((nw, nh), Image.BOX)
            m = m.resize((nw, nh), Image.BOX)
        im = np.asarray(img)
        mask = np.asarray(m) >= 128
        if rng.random() < 0.5:
            im = im[:, ::-1]
            mask = mask[:, ::-1]
        if mask.sum() < MIN_AREA:
            return None
        H, W = mask.shape
        pert = 0 if rng.random() < 0.35 else rng.randint(1, 12)
        pts = extreme_points(mask, rng, pert)
        jit = rng.choice([0, 0, 1, 2, 3, 4, 5])
        pts = [(min(max(x + rng.randint(-jit, jit), 0), W - 1), min(max(y + rng.randint(-jit, jit), 0), H - 1)) for x, y in pts]
        x0, y0, x1, y1, cw, ch = crop_plan(pts, W, H, rng.uniform(0.08, 0.25), max_side=self.max_side)
        bw, bh = x1 - x0, y1 - y0
        crop = np.ascontiguousarray(im[y0:y1, x0:x1])
        cm = mask[y0:y1, x0:x1].astype(np.float32)
        if (cw, ch) != (bw, bh):
            crop = area_resize(crop, cw, ch)
            cm = area_resize(cm, cw, ch)
        S = self.size
        rgb = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float().unsqueeze(0) / 255
        rgb = F.interpolate(rgb, size=(S, S), mode="bilinear", align_corners=False)[0]
        gt = F.interpolate(torch.from_numpy(np.ascontiguousarray(cm))[None, None], size=(S, S), mode="bilinear",
                           align_corners=False)[0, 0] >= 0.5
        # Colour: brightness, contrast, saturation.
        b = rng.uniform(-0.15, 0.15)
        c = rng.uniform(0.8, 1.2)
        s = rng.uniform(0.7, 1.3)
        gray = rgb.mean(0, keepdim=True)
        rgb = ((gray + (rgb - gray) * s - 0.5) * c + 0.5 + b).clamp(0, 1)
        # Points: image pixel centres -> S-space pixel coordinates.
        ext = torch.tensor([[(x + 0.5 - x0) * S / bw - 0.5, (y + 0.5 - y0) * S / bh - 0.5] for x, y in pts])
        if not gt.any():
            return None
        return rgb, gt, ext
