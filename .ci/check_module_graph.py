#!/usr/bin/env python3
"""Check README.md's module graph against Package.swift.

README's "Module graph" block lists every target of Package.swift under its layer, with the
package's own targets it depends on:

    services   Proxy                → AWSSigV4, CHiredis, CurlHTTP, …
               Gateway              → CurlHTTP, FewClickCore, LambdaKit, Observability, ServerLimits

(a line without a layer name continues the layer above; a target without dependencies has no
arrow). This script reads the real graph from `swift package dump-package` and fails, naming each
difference, when

- a target of Package.swift is missing from the block, or the block names one that does not exist;
- a target's arrows in the block differ from its dependencies in Package.swift;
- an arrow points to a higher layer, or joins two services (each service stands on the layers
  below it alone; what two of them share belongs below them).

Package dependencies (Hummingbird, swift-log, …) are not part of the graph.

    python3 .ci/check_module_graph.py            # check (exit 0 when README and Package.swift agree)
    python3 .ci/check_module_graph.py --print    # print the block as Package.swift has it, keeping
                                                 # README's layers (new targets under "unplaced")
"""

import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# Bottom to top. Arrows point down (or sideways within a layer where SAME_LAYER_OK allows).
LAYERS = ["system", "kernels", "core", "models", "protocols", "services", "commands", "tests"]
# Commands: an executable cannot be a dependency, so a sideways arrow there goes to a library the
# commands share (CommandSupport).
SAME_LAYER_OK = {"kernels", "core", "protocols", "commands"}
BLOCK_HEADING = "### Module graph"
ARROW = "→"


def package_graph():
    """{target: set of the package's own targets it depends on}, from `swift package dump-package`."""
    # Its own scratch folder, so the check neither waits for nor disturbs a build using .build.
    with tempfile.TemporaryDirectory(prefix="fewclick-graph-") as scratch:
        out = subprocess.run(
            ["swift", "package", "--package-path", ROOT, "--scratch-path", scratch, "dump-package"],
            check=True, capture_output=True, text=True).stdout
    targets = json.loads(out)["targets"]
    names = {t["name"] for t in targets}
    graph = {}
    for t in targets:
        deps = set()
        for dep in t["dependencies"]:
            kind, value = next(iter(dep.items()))
            if kind in ("byName", "target") and value[0] in names:
                deps.add(value[0])
        graph[t["name"]] = deps
    return graph


def readme_block(text):
    """The lines of the last code block of the module-graph section (the first one is the picture)."""
    start = text.find("\n" + BLOCK_HEADING + "\n")
    if start < 0:
        raise SystemExit(f"README.md has no '{BLOCK_HEADING}' section")
    end = text.find("\n#", start + len(BLOCK_HEADING) + 2)
    blocks = text[start:end if end >= 0 else len(text)].split("\n```")[1::2]
    if not blocks:
        raise SystemExit(f"README.md's '{BLOCK_HEADING}' section has no code block")
    return blocks[-1].split("\n")[1:]


def readme_graph(lines):
    """({target: layer}, {target: set of deps}, [problems]) from the block's arrow lines."""
    layer_of, graph, problems = {}, {}, []
    layer = None
    for number, line in enumerate(lines, 1):
        m = re.match(r"^(\S+)?\s+([A-Za-z][A-Za-z0-9]*)\s*(?:" + ARROW + r"\s*(.*))?$", line)
        if not m or (m.group(1) and m.group(1) not in LAYERS):
            continue  # the legend or the picture, not an arrow line
        if m.group(1):
            layer = m.group(1)
        if layer is None:
            problems.append(f"README line {number} of the block: a target before any layer name")
            continue
        target = m.group(2)
        if target in graph:
            problems.append(f"README lists {target} twice")
        layer_of[target] = layer
        graph[target] = {d.strip() for d in (m.group(3) or "").split(",") if d.strip()}
    return layer_of, graph, problems


def check(real, layer_of, listed):
    problems = []
    for target in sorted(set(real) - set(listed)):
        problems.append(
            f"{target} is a target of Package.swift but not in README's module graph: add a line "
            f"'{' '.join([target, ARROW, ', '.join(sorted(real[target]))]) if real[target] else target}' "
            "under its layer")
    for target in sorted(set(listed) - set(real)):
        problems.append(f"README's module graph lists {target}, which Package.swift does not have")
    for target in sorted(set(real) & set(listed)):
        missing, extra = real[target] - listed[target], listed[target] - real[target]
        if missing:
            problems.append(f"{target}: README lacks the arrow(s) to {', '.join(sorted(missing))}")
        if extra:
            problems.append(f"{target}: README shows arrow(s) to {', '.join(sorted(extra))}, not in Package.swift")
    for target in sorted(set(real) & set(listed)):
        here = LAYERS.index(layer_of[target])
        for dep in sorted(real[target] & set(layer_of)):
            there = LAYERS.index(layer_of[dep])
            if there > here:
                problems.append(f"{target} ({layer_of[target]}) → {dep} ({layer_of[dep]}) points up")
            elif there == here and layer_of[target] not in SAME_LAYER_OK:
                problems.append(f"{target} → {dep}: one of the {layer_of[target]} depends on another")
    return problems


def print_block(real, layer_of):
    width = max(len(t) for t in real) + 2
    placed = {layer: sorted(t for t in real if layer_of.get(t) == layer) for layer in LAYERS}
    placed["unplaced"] = sorted(t for t in real if t not in layer_of)
    for layer in list(reversed(LAYERS)) + ["unplaced"]:
        for i, target in enumerate(placed[layer]):
            deps = ", ".join(sorted(real[target]))
            line = f"{layer if i == 0 else '':<11}{target:<{width}}" + (f"{ARROW} {deps}" if deps else "")
            print(line.rstrip())


def main():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        layer_of, listed, problems = readme_graph(readme_block(f.read()))
    real = package_graph()
    if "--print" in sys.argv[1:]:
        print_block(real, layer_of)
        return 0
    problems += check(real, layer_of, listed)
    if problems:
        print("README.md's module graph does not match Package.swift:", file=sys.stderr)
        for p in problems:
            print("  - " + p, file=sys.stderr)
        print("(python3 .ci/check_module_graph.py --print shows the block as Package.swift has it)", file=sys.stderr)
        return 1
    print(f"module graph: README.md matches Package.swift ({len(real)} targets, "
          f"{sum(len(d) for d in real.values())} arrows, none pointing up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
