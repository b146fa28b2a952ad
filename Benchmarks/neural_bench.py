#!/usr/bin/env python3
"""clicknet forward-pass time: the Swift runtime (NeuralNet on oneDNN) next to ONNX Runtime and
PyTorch on the same network and weights, p50/p90 wall ms at each size, 1 and 2 threads.

    swift build -c release --product fewclick-benchmarks
    python3 Benchmarks/neural_bench.py                      # Models/clicknet/ if exported, else a seeded random clicknet
    python3 Benchmarks/neural_bench.py --iterations 50 --sizes 224,256,320

Threads: ONNX Runtime runs with intra_op_num_threads=N (inter_op 1, sequential), PyTorch with
torch.set_num_threads(N), the Swift runtime with threadsPerCall N: every row is one call at a time
on an N-thread team. The Swift binary also reports "2 × 1 thread" (two calls at once, one thread
each: the endpoint's two workers), not comparable to a single 2-thread call.

OMP_WAIT_POLICY defaults to PASSIVE for the OpenMP runtimes (see below; override it in the
environment). Without Models/clicknet/clicknet.{safetensors,onnx} it builds the full-size clicknet of
infra/training (EfficientNet-Lite0 + FPN decoder) with seeded random weights (BatchNorm folded),
writes it as fp32 safetensors and ONNX under /tmp/fewclick-neural, and times that: speed does not
depend on the weight values.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# OpenMP (oneDNN's and PyTorch's libgomp) waits passively at barriers: with the default spinning, a
# 2-thread team on a machine where another process holds a core stalls for hundreds of ms at a
# time (measured here: Swift 2-thread p90 592 ms, PyTorch 2.7 s). Read when libgomp loads, so set
# before torch is imported and passed to the Swift binary. ONNX Runtime has its own pool.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "infra", "training"))


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round((len(s) - 1) * q)))]


def model_files(args):
    """(safetensors, onnx, torch callable factory, label)."""
    import torch
    from safetensors.torch import load_file
    from safetensors import safe_open
    from clicknet.model import run_graph

    st = os.path.join(ROOT, "Models", "clicknet", "clicknet.safetensors")
    onnx_path = os.path.join(ROOT, "Models", "clicknet", "clicknet.onnx")
    if args.weights:
        st, onnx_path = args.weights, args.onnx
    if os.path.exists(st) and onnx_path and os.path.exists(onnx_path):
        with safe_open(st, "pt") as f:
            graph = json.loads(f.metadata()["fewclick.graph"])
        tensors = {k: v.float() for k, v in load_file(st).items()}
        return st, onnx_path, (lambda x: run_graph(graph, tensors, x)), "exported graph (run_graph)"

    from clicknet.export import write_onnx, write_safetensors
    from clicknet.fixtures import randomise
    from clicknet.model import ClickNet, NetConfig

    out = "/tmp/fewclick-neural"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    net = ClickNet(NetConfig())
    randomise(net, seed=7)
    net.eval()
    st, onnx_path = os.path.join(out, "clicknet-random.safetensors"), os.path.join(out, "clicknet-random.onnx")
    pre = {"mean": [0.5] * 3, "std": [0.5] * 3, "planes": [], "size": 256}
    write_safetensors(net, st, name="clicknet-random", version="bench", size=256, preprocess=pre, dtype=torch.float32)
    write_onnx(net, onnx_path, 256)
    return st, onnx_path, net, "nn.Module (eval, BatchNorm unfolded)"


def plausible_input(size):
    import numpy as np
    rng = np.random.default_rng(size)
    x = rng.standard_normal((1, 7, size, size)).astype(np.float32)
    x[:, 3:] = (rng.random((1, 4, size, size)) > 0.97).astype(np.float32)
    return x


def time_calls(fn, iterations, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return percentile(times, 0.5), percentile(times, 0.9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--sizes", default="224,256,320")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--weights", help="safetensors file (with --onnx)")
    ap.add_argument("--onnx", help="the same network as ONNX")
    ap.add_argument("--swift-bin", default=os.path.join(ROOT, ".build", "release", "fewclick-benchmarks"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]

    import numpy as np
    import onnxruntime as ort
    import torch

    st, onnx_path, torch_model, torch_label = model_files(args)
    print(f"weights {st}\nonnx    {onnx_path}\nPyTorch {torch.__version__}: {torch_label}; onnxruntime {ort.__version__}; "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")

    rows = {}  # (size, threads) -> {runtime: (p50, p90)}
    swift_extra = {}
    if os.path.exists(args.swift_bin):
        out = subprocess.run([args.swift_bin, "neural", st, str(args.iterations), args.sizes, "--json"],
                             capture_output=True, text=True, check=True, cwd=ROOT).stdout
        for line in out.splitlines():
            if line.startswith("NEURAL_JSON "):
                r = json.loads(line[len("NEURAL_JSON "):])
                if r["mode"] in ("1 thread", "2 threads"):
                    rows.setdefault((r["size"], int(r["mode"][0])), {})["swift"] = (r["p50"], r["p90"])
                else:
                    swift_extra[r["size"]] = (r["p50"], r["p90"])
                swift_memory = r["memory"]
                rows.setdefault((r["size"], "memory"), {})["swift"] = r["memory"]
    else:
        print(f"(no {args.swift_bin}: build it with `swift build -c release --product fewclick-benchmarks`)")

    for n in threads:
        so = ort.SessionOptions()
        so.intra_op_num_threads = n
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        torch.set_num_threads(n)
        for s in sizes:
            x = plausible_input(s)
            rows.setdefault((s, n), {})["ort"] = time_calls(lambda: session.run(None, {"input": x}), args.iterations)
            xt = torch.from_numpy(x)
            with torch.inference_mode():
                rows[(s, n)]["torch"] = time_calls(lambda: torch_model(xt), args.iterations)

    print(f"\n{args.iterations} calls per cell after 3 warm-up calls, wall ms p50 / p90")
    print("| S | threads | Swift (oneDNN) | ONNX Runtime | PyTorch | Swift / ORT p50 |")
    print("|---|---|---|---|---|---|")
    for s in sizes:
        for n in threads:
            r = rows.get((s, n), {})
            cell = lambda k: f"{r[k][0]:.1f} / {r[k][1]:.1f}" if k in r else "–"
            ratio = f"{r['swift'][0] / r['ort'][0]:.2f}×" if "swift" in r and "ort" in r else "–"
            print(f"| {s} | {n} | {cell('swift')} | {cell('ort')} | {cell('torch')} | {ratio} |")
    if swift_extra:
        print("\nSwift, two calls at once on two threads (one thread each), per-call p50 / p90:",
              ", ".join(f"S={s}: {p50:.1f} / {p90:.1f}" for s, (p50, p90) in sorted(swift_extra.items())))
    for s in sizes:
        m = rows.get((s, "memory"), {}).get("swift")
        if m:
            print(f"Swift memory per call at S={s}: {m / 1048576:.1f} MiB")


if __name__ == "__main__":
    main()
