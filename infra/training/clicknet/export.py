"""Export a trained clicknet checkpoint: fp16 (or fp32) safetensors for the Swift runtime, ONNX for
the runtime benchmark, and a reference input/output pair for the Swift parity test.

    python3 -m clicknet.export --checkpoint runs/main/last.pt --out ../../Models/clicknet
"""

from __future__ import annotations

import argparse
import json
import os

import torch
from safetensors.torch import save_file

from .model import ClickNet, NetConfig, run_graph

FORMAT = "fewclick-graph-v1"


def preprocess_meta(size: int, sim) -> dict:
    return {
        "mean": list(sim.mean), "std": list(sim.std),
        "planes": ["red", "green", "blue", "extreme_heatmap", "positive_clicks", "negative_clicks", "previous_mask"],
        "heatmap_sigma": sim.sigma_fraction, "click_radius": sim.radius_fraction,
        "size": size,
    }


def write_safetensors(net: ClickNet, path: str, *, name: str, version: str, size: int, preprocess: dict,
                      dtype=torch.float16, extra: dict | None = None) -> dict:
    """Writes the folded graph; returns the fp32 tensors as stored (after dtype rounding)."""
    graph, tensors = net.export_graph()
    stored = {k: v.to(dtype).contiguous() for k, v in tensors.items()}
    meta = {
        "fewclick.format": FORMAT,
        "fewclick.graph": json.dumps(graph, separators=(",", ":")),
        "fewclick.model": name,
        "fewclick.version": version,
        "fewclick.input_size": str(size),
        "fewclick.preprocess": json.dumps(preprocess, separators=(",", ":")),
    }
    if extra:
        meta.update({f"fewclick.{k}": str(v) for k, v in extra.items()})
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_file(stored, path, metadata=meta)
    return graph, {k: v.float() for k, v in stored.items()}


def write_onnx(net: ClickNet, path: str, size: int) -> None:
    net = net.eval()
    x = torch.zeros(1, 7, size, size)
    torch.onnx.export(net, (x,), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {2: "h", 3: "w"}, "logits": {2: "h", 3: "w"}}, opset_version=17,
                      dynamo=False)


def reference_input(size: int, seed: int) -> torch.Tensor:
    """A plausible input: smooth random colour planes and sparse guidance planes."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 7, size, size, generator=g)
    x[:, 3:] = (torch.rand(1, 4, size, size, generator=g) > 0.97).float()
    x[:, 6] = (torch.rand(1, 1, (size + 7) // 8, (size + 7) // 8, generator=g) > 0.5).float().repeat_interleave(8, -1).repeat_interleave(8, -2)[:, 0, :size, :size]
    return x


def main():
    from .simulate import Simulation
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True, help="folder for clicknet.safetensors, clicknet.onnx, clicknet-io.safetensors")
    ap.add_argument("--name", default="clicknet")
    ap.add_argument("--version", default=None)
    ap.add_argument("--fp32", action="store_true", help="store fp32 instead of fp16")
    ap.add_argument("--onnx", action="store_true", help="also write clicknet.onnx (for Benchmarks/neural_bench.py)")
    args = ap.parse_args()
    ck = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    cfg = NetConfig(**ck["config"])
    net = ClickNet(cfg)
    net.load_state_dict(ck["model"])
    net.eval()
    size = ck["args"]["size"]
    sim = Simulation(size=size)
    version = args.version or ck.get("version", "1.0")
    extra = {"train_iterations": ck["iteration"], "train_seconds": int(ck.get("train_seconds", 0))}
    st = os.path.join(args.out, f"{args.name}.safetensors")
    graph, stored = write_safetensors(net, st, name=args.name, version=version, size=size,
                                      preprocess=preprocess_meta(size, sim),
                                      dtype=torch.float32 if args.fp32 else torch.float16, extra=extra)
    # Reference outputs from the stored (rounded) weights, so the Swift test compares like with like.
    io = {}
    with torch.no_grad():
        for s in (size, 128):
            x = reference_input(s, seed=s)
            y = run_graph(graph, stored, x)
            io[f"input_{s}"] = x.contiguous()
            io[f"logits_{s}"] = y.contiguous()
    save_file(io, os.path.join(args.out, f"{args.name}-io.safetensors"))
    print(f"wrote {st} ({os.path.getsize(st)} bytes) and {args.name}-io.safetensors")
    if args.onnx:
        onnx_path = os.path.join(args.out, f"{args.name}.onnx")
        write_onnx(net, onnx_path, size)
        print(f"wrote {onnx_path}")


if __name__ == "__main__":
    main()
