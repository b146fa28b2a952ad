"""Input planes and click simulation, shared by training, evaluation and export.

The Swift wrapper (Sources/Segmentation/ClickNet) builds the same planes from the metadata that
`export.preprocess_meta` writes: RGB normalised with mean/std; a Gaussian of sigma
`heatmap_sigma * S` at each extreme point (max over points); disks of radius `click_radius * S` for
positive and negative clicks; the previous mask as 0...1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt


@dataclass
class Simulation:
    size: int = 224
    sigma_fraction: float = 0.025
    radius_fraction: float = 0.022
    mean: tuple = (0.5, 0.5, 0.5)
    std: tuple = (0.5, 0.5, 0.5)

    def grid(self, device):
        s = self.size
        ys = torch.arange(s, device=device, dtype=torch.float32).view(1, s, 1)
        xs = torch.arange(s, device=device, dtype=torch.float32).view(1, 1, s)
        return ys, xs

    def heatmap(self, points: torch.Tensor) -> torch.Tensor:
        """points: B x P x 2 (x, y) in S pixel coordinates (pixel centres at integers) -> B x S x S."""
        ys, xs = self.grid(points.device)
        sigma = self.sigma_fraction * self.size
        px = points[..., 0].unsqueeze(-1).unsqueeze(-1)  # B P 1 1
        py = points[..., 1].unsqueeze(-1).unsqueeze(-1)
        d2 = (xs.unsqueeze(1) - px) ** 2 + (ys.unsqueeze(1) - py) ** 2
        return torch.exp(-d2 / (2 * sigma * sigma)).amax(1)

    def disk(self, maps: torch.Tensor, b: int, x: float, y: float) -> None:
        """Draws a click disk into maps[b] (S x S) in place."""
        ys, xs = self.grid(maps.device)
        r = self.radius_fraction * self.size
        maps[b] = torch.maximum(maps[b], (((xs[0] - x) ** 2 + (ys[0] - y) ** 2) <= r * r).float())

    def planes(self, rgb: torch.Tensor, extreme: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor,
               prev: torch.Tensor) -> torch.Tensor:
        """rgb: B x 3 x S x S in 0...1; the rest B x S x S -> B x 7 x S x S."""
        mean = torch.tensor(self.mean, device=rgb.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=rgb.device).view(1, 3, 1, 1)
        return torch.cat([(rgb - mean) / std, self.heatmap(extreme).unsqueeze(1), pos.unsqueeze(1),
                          neg.unsqueeze(1), prev.unsqueeze(1)], 1)


def next_click(gt: np.ndarray, pred: np.ndarray, clicked: np.ndarray | None = None,
               ignore: np.ndarray | None = None):
    """The evaluation protocol's corrective click (README "Evaluation and load tests"): (x, y, positive) or None when perfect.

    Error masks padded by one zero pixel, exact EDT, zero at already-clicked pixels, positive iff
    max dt(FN) > max dt(FP); location = first maximal pixel in row-major order."""
    fn = gt & ~pred
    fp = ~gt & pred
    if ignore is not None:
        fn &= ~ignore
        fp &= ~ignore
    def dt(err):
        if not err.any():
            return np.zeros(err.shape)
        d = distance_transform_edt(np.pad(err, 1))[1:-1, 1:-1]
        if clicked is not None:
            d[clicked] = 0
        return d
    dfn, dfp = dt(fn), dt(fp)
    mfn, mfp = dfn.max(), dfp.max()
    if mfn == 0 and mfp == 0:
        return None
    positive = mfn > mfp
    d = dfn if positive else dfp
    idx = int(np.argmax(d))
    y, x = divmod(idx, d.shape[1])
    return x, y, bool(positive)
