"""Parity fixtures for the Swift runtime: a seeded random tiny clicknet and PyTorch's outputs.

    cd infra/training && python3 -m clicknet.fixtures   # writes Tests/NeuralNetTests/Fixtures/
"""

from __future__ import annotations

import os

import torch
from safetensors.torch import save_file

from .export import reference_input, write_safetensors
from .model import ClickNet, NetConfig, run_graph

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "NeuralNetTests", "Fixtures")
SIZES = (64, 96, 160)  # divisible by 32 ...
ODD_SIZES = (72, 100)  # ... and not (padding and resize rounding at odd feature sizes)


def randomise(net: ClickNet, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=g)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=g)
            m.running_mean.data = 0.2 * torch.randn(m.running_mean.shape, generator=g)
            m.running_var.data = 0.5 + torch.rand(m.running_var.shape, generator=g)
        elif isinstance(m, torch.nn.Conv2d):
            fan_in = m.weight[0].numel()
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5
            if m.bias is not None:
                m.bias.data = 0.1 * torch.randn(m.bias.shape, generator=g)


def main():
    torch.manual_seed(0)
    net = ClickNet(NetConfig.tiny())
    randomise(net, seed=1234)
    net.eval()
    os.makedirs(OUT, exist_ok=True)
    pre = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "planes": [], "size": 96}
    graph, w32 = write_safetensors(net, os.path.join(OUT, "tiny.safetensors"), name="tiny", version="test",
                                   size=96, preprocess=pre, dtype=torch.float32)
    _, w16 = write_safetensors(net, os.path.join(OUT, "tiny-f16.safetensors"), name="tiny", version="test",
                               size=96, preprocess=pre, dtype=torch.float16)
    io = {}
    with torch.no_grad():
        for s in SIZES + ODD_SIZES:
            x = reference_input(s, seed=s)
            ref = net(x)
            y32 = run_graph(graph, w32, x)
            err = (ref - y32).abs().max().item()
            assert err < 1e-4, f"exported graph differs from the PyTorch module by {err} at {s}"
            io[f"input_{s}"] = x.contiguous()
            io[f"logits_{s}"] = ref.contiguous()
            io[f"logits_f16_{s}"] = run_graph(graph, w16, x).contiguous()
            print(f"S={s}: module vs graph max abs diff {err:.2e}, logits range [{ref.min():.2f}, {ref.max():.2f}]")
    save_file(io, os.path.join(OUT, "tiny-io.safetensors"))
    print("wrote", os.path.abspath(OUT))


def planes_fixture(out_dir: str) -> None:
    """Input planes drawn by the training code for a small crop, for the Swift wrapper's test."""
    from .simulate import Simulation
    g = torch.Generator().manual_seed(99)
    w, h, S = 50, 40, 96
    crop = (torch.rand(h, w, 3, generator=g) * 255).round()
    prev = (torch.rand(h, w, generator=g) > 0.5).float()
    # (x, y, kind) in crop coordinates (pixel i covers [i, i + 1)); kind 0 negative, 1 positive, 2 extreme.
    clicks = torch.tensor([[0.5, 20.5, 2], [25.5, 0.5, 2], [49.5, 18.5, 2], [22.5, 39.5, 2],
                           [30.5, 12.5, 1], [10.5, 30.5, 0], [40.2, 33.7, 1]])
    sim = Simulation(size=S)
    rgb = torch.nn.functional.interpolate(crop.permute(2, 0, 1)[None] / 255, size=(S, S), mode="bilinear",
                                          align_corners=False)
    to_s = lambda x, y: (x * S / w - 0.5, y * S / h - 0.5)
    ext = torch.tensor([[to_s(float(c[0]), float(c[1])) for c in clicks if c[2] == 2]])
    pos, neg = torch.zeros(1, S, S), torch.zeros(1, S, S)
    for c in clicks:
        if c[2] != 2:
            sim.disk(pos if c[2] == 1 else neg, 0, *to_s(float(c[0]), float(c[1])))
    prevS = torch.nn.functional.interpolate(prev[None, None], size=(S, S), mode="bilinear", align_corners=False)[0]
    planes = sim.planes(rgb, ext, pos, neg, prevS)
    meta = {"size": str(S), "mean": ",".join(map(str, sim.mean)), "std": ",".join(map(str, sim.std)),
            "heatmap_sigma": str(sim.sigma_fraction), "click_radius": str(sim.radius_fraction)}
    os.makedirs(out_dir, exist_ok=True)
    save_file({"crop": crop.contiguous(), "previous": prev.contiguous(), "clicks": clicks.contiguous(),
               "planes": planes.contiguous()}, os.path.join(out_dir, "clicknet-planes.safetensors"), metadata=meta)
    print("wrote", os.path.join(out_dir, "clicknet-planes.safetensors"))


if __name__ == "__main__":
    main()
    planes_fixture(os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "SegmentationTests", "Fixtures"))
