"""gandi.Detector with its defaults on small and mid-sized image sets, beside raw-pixel kNN on
the same split: do the defaults train on any data size?

    python benchmarks/image_defaults.py [--seeds 3] [--classes 1 7 0] [--sets ...] [--quick]

The sets (MNIST, made here, never downloaded): `mnist8_100` and `mnist14_100` (100 normal training
digits downscaled to 8x8 / 14x14, bilinear), `mnist28_100`, `mnist28_1000`, `mnist28_6000` (100,
1,000, 6,000 normal training digits at 28x28). Each is fitted with `gandi.Detector(detector,
seed=seed)` and nothing else: the defaults (gandi.fit_defaults), the step chosen without labels.
The eval set: 250 MNIST test digits of the normal class and 250 others, at the same size; it
only reports. kNN (k = 5, gandi.detectors.classical) is fitted on the same training digits.

Cells run cheapest first (small sets, then the autoencoder family before the GANs), every
detector of a (seed, class, set) before the next; resumable: a cell in the CSV is not run again.
Each row records wall and CPU seconds (this process's, so a cell run beside other work stays
comparable) and the steps trained. Writes benchmarks/results/image_defaults.{csv,md}; --quick:
60 steps on two sets into a scratch CSV (a smoke run).
"""
from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import bench_env  # noqa: F401  (checkout on sys.path, data folder, quiet TensorFlow)
import numpy as np
import pandas as pd


RESULTS = bench_env.ROOT / "benchmarks" / "results"
SETS = {"mnist8_100": (8, 100), "mnist14_100": (14, 100), "mnist28_100": (28, 100),
        "mnist28_1000": (28, 1000), "mnist28_6000": (28, 6000)}
# every detector gandi.Detector fits (not AnoGAN: its score is a latent search on networks a
# run does not export, so the Python API refuses it)
DETECTORS = ("autoencoder", "vae", "aae", "discriminator", "ganomaly", "egbad")
EVAL_PER_SIDE = 250
COLUMNS = ["set", "normal_class", "seed", "detector", "auc", "knn_auc", "gap", "steps",
           "batch_size", "tracked", "warnings", "wall_s", "cpu_s", "signature"]


def mnist_split(size: int, n_normal: int, normal_class: int, seed: int):
    """(training normals, eval images, eval labels) at size x size, uint8."""
    from PIL import Image
    from gandi.data.images import load_dataset
    x, y, test_x, test_y = load_dataset("mnist")[:4]
    rng = np.random.default_rng(seed)
    train = x[rng.permutation(np.flatnonzero(y == normal_class))[:n_normal]]
    normals = rng.permutation(np.flatnonzero(test_y == normal_class))[:EVAL_PER_SIDE]
    others = rng.permutation(np.flatnonzero(test_y != normal_class))[:EVAL_PER_SIDE]
    eval_x = test_x[np.concatenate([normals, others])]
    eval_y = np.repeat([0, 1], EVAL_PER_SIDE)
    if size != 28:
        def shrink(images):
            return np.stack([np.asarray(Image.fromarray(p).resize((size, size),
                                                                  Image.BILINEAR))
                             for p in images])
        train, eval_x = shrink(train), shrink(eval_x)
    return train, eval_x, eval_y


def knn_auc(train, eval_x, eval_y) -> float:
    from gandi.detectors.classical import CLASSICAL
    from gandi.tracking.metrics import roc_auc
    knn = CLASSICAL["knn"]()
    knn.fit(train.reshape(len(train), -1) / 255.0)
    return float(roc_auc(eval_y, knn.score(eval_x.reshape(len(eval_x), -1) / 255.0)))


def run_cell(detector: str, seed: int, train, eval_x, eval_y, log_dir: str, quick: bool):
    import gandi
    from gandi.estimator import TrainingWarning
    from gandi.tracking.metrics import roc_auc
    from gandi.outputs.results import load_results
    params = {"steps": 60} if quick else {}
    from gandi.outputs.run_rows import clock, spent
    started = clock()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrainingWarning)
        det = gandi.Detector(detector, seed=seed, log_dir=log_dir, verbose=0, **params)
        det.fit(train, eval_set=(eval_x, eval_y))
    results = load_results(Path(det.run_) / "results.pkl")
    said = [str(w.message) for w in caught if issubclass(w.category, TrainingWarning)]
    auc = float(roc_auc(eval_y, det.decision_function(eval_x)))
    cost = spent(started)  # the fit and its scoring, as before the columns were shared
    return {"auc": auc,
            "steps": int(results["last_step"]),
            "batch_size": int(results["setting"]["batch_size"]),
            "tracked": len(results["measurements"]), "warnings": " | ".join(said),
            "wall_s": cost["seconds"], "cpu_s": cost["cpu_seconds"],
            "signature": det.signature_}


def markdown(cells: pd.DataFrame) -> str:
    if not len(cells):
        return "(no cells yet)\n"
    rows = []
    for (name, detector), group in cells.groupby(["set", "detector"], sort=False):
        knn = group.drop_duplicates(["normal_class", "seed"])["knn_auc"]
        rows.append({"set": name, "detector": detector, "cells": len(group),
                     "AUC": _mean_std(group["auc"]), "kNN (raw pixels)": _mean_std(knn),
                     "gap (detector - kNN)": _mean_std(group["gap"]),
                     "within 0.03": f"{int((group['gap'] >= -0.03).sum())}/{len(group)}",
                     "steps": int(group["steps"].min()),
                     "wall s (mean)": f"{group['wall_s'].mean():.0f}",
                     "CPU s (mean)": f"{group['cpu_s'].mean():.0f}"})
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _mean_std(values) -> str:
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.3f} (1 cell)"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--classes", type=int, nargs="+", default=[1, 7, 0])
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=list(DETECTORS))
    p.add_argument("--log-dir", default="log_dir/image_defaults")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    csv = (Path(args.log_dir) / "image_defaults_quick.csv" if args.quick
           else RESULTS / "image_defaults.csv")
    sets = args.sets[:2] if args.quick else args.sets
    splits = {}  # the split and its kNN AUC, drawn once for all detectors of a cell

    def cell(set, normal_class, seed, detector):
        if (set, normal_class, seed) not in splits:
            size, n_normal = SETS[set]
            data = mnist_split(size, n_normal, normal_class, seed)
            splits.clear()
            splits[set, normal_class, seed] = data, knn_auc(*data)
        data, knn = splits[set, normal_class, seed]
        row = run_cell(detector, seed, *data, args.log_dir, args.quick)
        auc = round(row["auc"], 4)
        knn = round(knn, 4)
        return {"knn_auc": knn, **row, "auc": auc, "gap": round(auc - knn, 4)}

    todo = ({"set": name, "normal_class": normal_class, "seed": seed, "detector": detector}
            for seed in range(args.seeds) for normal_class in args.classes for name in sets
            for detector in args.detectors)
    cells = bench_env.run_missing_cells(
        csv, COLUMNS, todo, cell, None if args.quick else markdown,
        lambda row: (f"{row['set']} class {row['normal_class']} seed {row['seed']} "
                     f"{row['detector']}: AUC {row['auc']:.3f} (kNN {row['knn_auc']:.3f}), "
                     f"{row['steps']} steps, {row['wall_s']} s wall, {row['cpu_s']} s CPU"
                     + (f"; warned: {row['warnings']}" if row["warnings"] else "")))
    print(markdown(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
