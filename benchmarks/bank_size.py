"""How many training normals a neighbour score in D's features needs: each discriminator kNN
(distance, k 5) or LOF (k 20) run of an image grid scored at its sweet spot against its own bank
(`bank`: the last 2,048 images it trained on) and against N random training normals (`features_N`),
beside the same score on the pixels against the same N (`input_N`: the classical kNN or LOF):

    python benchmarks/bank_size.py --log-dir LOG_DIR [--dataset mnist] [--protocol anomaly_class]
        [--detector discriminator_lof] [--sizes 2048 8192 24000] [--seeds 0]

Runs: the --detector rows of benchmarks/results/<dataset>_<protocol>.csv (any setting hash) whose
run folder is under --log-dir. Test labels only score; nothing is chosen here. What it decided:
the anomaly_class protocol's `reference_bank_size` (gandi.studies.benchmark.image_cells).
Resumable (a run already in the CSV is skipped): benchmarks/results/
<dataset>_<protocol>_bank_size.{csv,md}.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
SCORES = {"discriminator_knn": ("distance", 5), "discriminator_lof": ("lof", 20)}


def neighbour_score(score: str, k: int, reference, queries) -> np.ndarray:
    """scikit-learn's k-th neighbour distance or local outlier factor (the classical kNN and
    LOF), larger for anomalies."""
    from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
    if score == "lof":
        return -LocalOutlierFactor(n_neighbors=k, novelty=True).fit(reference).score_samples(
            queries)
    return NearestNeighbors(n_neighbors=k).fit(reference).kneighbors(queries)[0][:, -1]


def scored(signature: str, log_dir: str, detector: str, sizes) -> dict:
    """One run's columns (the module docstring)."""
    from dknn_lof import d_features
    from gandi.data import load_splits
    from gandi.score.exported import load_exported
    from gandi.tracking.metrics import roc_auc
    exported = load_exported(signature, log_dir)
    setting, trained = exported.setting, exported.detector
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    score, k = SCORES[detector]

    def features(x):
        return d_features(trained, x)

    train = np.asarray(data.train, np.float32)
    test = np.asarray(data.test_x, np.float32)
    f_test = features(test)
    row = {"n_train": len(train), "bank": roc_auc(data.test_y, neighbour_score(
        score, k, features(trained.bank.kept()), f_test))}
    rng = np.random.default_rng(0)
    for n in sizes:
        kept = train[rng.choice(len(train), min(n, len(train)), replace=False)]
        row[f"features_{n}"] = roc_auc(data.test_y, neighbour_score(score, k, features(kept),
                                                                     f_test))
        row[f"input_{n}"] = roc_auc(data.test_y, neighbour_score(
            score, k, kept.reshape(len(kept), -1), test.reshape(len(test), -1)))
    return row


def markdown(cells: pd.DataFrame, dataset: str, protocol: str) -> str:
    from gandi.report import markdown as markdown_table
    lines = []
    for detector, runs in cells.groupby("detector"):
        columns = [c for c in runs.columns if c == "bank" or c.startswith(("features_", "input_"))]
        table = runs.groupby("class")[columns].mean()
        table.loc["mean"] = table.mean()
        lines.append(f"{detector} ({SCORES[detector][0]}, k {SCORES[detector][1]}), "
                     f"{len(runs)} runs, seeds "
                     f"{', '.join(map(str, sorted(runs['seed'].unique())))}:\n\n"
                     + markdown_table(table.round(4).reset_index()) + "\n")
    return (f"Neighbour scores in D's features on {dataset} {protocol} against more training "
            "normals (`benchmarks/bank_size.py`): each run at its sweet spot against its own "
            "bank (`bank`, 2,048) and against N random training normals (`features_N`); "
            "`input_N` is the same score on the pixels against the same N (blank: not "
            "measured).\n\n" + "\n".join(lines))


def main(argv=None) -> int:
    from gandi.studies.benchmark.cells import read_cells
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log-dir", required=True, help="the grid's log dir")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--protocol", default="anomaly_class")
    p.add_argument("--detector", default="discriminator_lof", choices=list(SCORES))
    p.add_argument("--sizes", type=int, nargs="+", default=[2048, 8192, 24000])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = p.parse_args(argv)
    rows = RESULTS / f"{args.dataset}_{args.protocol}.csv"
    runs = read_cells(rows)
    runs = runs[(runs["detector"] == args.detector) & runs["seed"].isin(args.seeds)]
    runs = runs[[(Path(args.log_dir) / "results" / s).is_dir() for s in runs["signature"]]]
    if runs.empty:
        p.error(f"no {args.detector} row of {rows} has its run folder under {args.log_dir}")
    out = RESULTS / f"{args.dataset}_{args.protocol}_bank_size"  # *_<protocol>.csv is a grid
    shipped = dict(zip(runs["signature"], runs["auc"]))

    def run_cell(detector, seed, signature, **_):
        started = time.process_time()
        return {"shipped": float(shipped[signature]),
                **scored(signature, args.log_dir, detector, args.sizes),
                "cpu_seconds": round(time.process_time() - started, 1)}

    columns = ["detector", "class", "seed", "signature", "shipped", "n_train", "bank",
               *(f"{side}_{n}" for n in args.sizes for side in ("features", "input")),
               "cpu_seconds"]
    todo = [{"detector": args.detector, "class": int(run["class"]), "seed": int(run["seed"]),
             "signature": run["signature"]}
            for _, run in runs.sort_values(["seed", "class"]).iterrows()]
    bench_env.run_missing_cells(Path(f"{out}.csv"), columns, todo, run_cell,
                                lambda cells: markdown(cells, args.dataset, args.protocol))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
