"""Write the training sets' 5% validation splits as dataset folders `fewclick eval` reads.

    python3 -m clicknet.valsplits --out /tmp/clicknet-val
    .build/release/fewclick eval --dataset /tmp/clicknet-val/duts_tr --model clicknet-graphcut

Each folder gets an instances.csv of the held-out instances (`data.is_val`) and symlinks to the
set's images/ and masks/ folders: nothing is copied.
"""

from __future__ import annotations

import argparse
import csv
import os

from .data import is_val, read_instances


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "datasets", "train"))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    for name in sorted(os.listdir(args.data)):
        folder = os.path.abspath(os.path.join(args.data, name))
        if not os.path.isfile(os.path.join(folder, "instances.csv")):
            continue
        rows = [r for r in read_instances(folder) if is_val(r["instance"])]
        dest = os.path.join(args.out, name)
        os.makedirs(dest, exist_ok=True)
        for sub in ("images", "masks"):
            link = os.path.join(dest, sub)
            if not os.path.lexists(link):
                os.symlink(os.path.join(folder, sub), link)
        with open(os.path.join(dest, "instances.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["instance", "image", "mask"])
            for r in rows:
                w.writerow([r["instance"], r["image"], r["mask"]])
        print(f"{name}: {len(rows)} validation instances -> {dest}")


if __name__ == "__main__":
    main()
