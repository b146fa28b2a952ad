"""Smoke test of the training package on generated images: a few training steps (with simulated
clicks), resume from the checkpoint, export, and the exported graph against the PyTorch module.

    python3 -m pytest -q infra/training/tests
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL")
pytest.importorskip("scipy")
pytest.importorskip("safetensors")
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from clicknet.model import ClickNet, NetConfig, run_graph  # noqa: E402
from clicknet.simulate import next_click  # noqa: E402


def make_dataset(folder, n=6, seed=0):
    """Ellipses on noise, in the dataset folder format."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "images"))
    os.makedirs(os.path.join(folder, "masks"))
    rows = ["instance,image,mask,category,width,height"]
    for i in range(n):
        w, h = 120 + 10 * i, 90
        yy, xx = np.mgrid[0:h, 0:w]
        cx, cy, rx, ry = rng.uniform(40, w - 40), rng.uniform(30, 60), rng.uniform(15, 35), rng.uniform(12, 25)
        mask = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        img = rng.integers(0, 80, (h, w, 3), dtype=np.uint8)
        img[mask] = np.clip(img[mask].astype(int) + np.array([150, 60, 20]), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(folder, "images", f"{i}.jpg"))
        Image.fromarray(mask.astype(np.uint8) * 255).save(os.path.join(folder, "masks", f"{i}.png"))
        rows.append(f"obj{i},images/{i}.jpg,masks/{i}.png,thing,{w},{h}")
    with open(os.path.join(folder, "instances.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def run(*args, cwd=ROOT):
    out = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_train_resume_export(tmp_path):
    data = tmp_path / "train"
    make_dataset(str(data / "synthetic"))
    out = tmp_path / "run"
    common = ["clicknet.train", "--data", str(data), "--out", str(out), "--tiny", "--size", "64", "--batch", "2",
              "--threads", "1", "--max-rounds", "2", "--warmup", "2"]
    first = run(*common, "--iterations", "3")
    assert "done: 3 iterations" in first
    resumed = run(*common, "--iterations", "5")
    assert "resumed at iteration 3" in resumed and "done: 5 iterations" in resumed
    lines = [json.loads(l) for l in open(out / "log.jsonl")]
    assert [l["it"] for l in lines] == [1, 2, 3, 4, 5]
    assert all(np.isfinite(l["loss"]) for l in lines)

    models = tmp_path / "models"
    run("clicknet.export", "--checkpoint", str(out / "last.pt"), "--out", str(models), "--fp32")
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(str(models / "clicknet.safetensors"), "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    assert meta["fewclick.format"] == "fewclick-graph-v1" and meta["fewclick.input_size"] == "64"
    graph = json.loads(meta["fewclick.graph"])
    ck = torch.load(out / "last.pt", map_location="cpu", weights_only=False)
    net = ClickNet(NetConfig(**ck["config"]))
    net.load_state_dict(ck["model"])
    net.eval()
    io = load_file(str(models / "clicknet-io.safetensors"))
    with torch.no_grad():
        x = io["input_64"]
        assert (net(x) - run_graph(graph, tensors, x)).abs().max() < 1e-4
        assert (io["logits_64"] - run_graph(graph, tensors, x)).abs().max() < 1e-5


def test_dev_set_refused(tmp_path):
    dev = tmp_path / "coco128-dev"
    make_dataset(str(dev / "x"), n=1)
    out = subprocess.run([sys.executable, "-m", "clicknet.train", "--data", str(dev), "--out", str(tmp_path / "r"),
                          "--tiny", "--iterations", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "refusing to train on the dev set" in out.stderr + out.stdout


def test_click_rule():
    gt = np.zeros((20, 20), bool)
    gt[5:15, 5:15] = True
    pred = np.zeros_like(gt)
    pred[5:15, 5:10] = True
    x, y, positive = next_click(gt, pred)
    assert positive and 10 <= x < 15 and 5 <= y < 15
    assert next_click(gt, gt.copy()) is None
