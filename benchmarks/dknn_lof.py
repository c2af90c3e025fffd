"""The discriminator kNN's score on an image grid: the k-th neighbour distance it shipped with,
or the local outlier factor (LOF) in the same features? Each discriminator_knn run of the grid
trained with the distance score (rows of --rows, default benchmarks/results/<dataset>_<protocol>.csv,
whose folders are under --log-dir; rows that LOF's runs replaced are in the CSV's history:
`git show 693ab27:benchmarks/results/mnist_normal_class.csv`) scored again at its sweet spot
from its export, in D's features:

    python benchmarks/dknn_lof.py --log-dir LOG_DIR [--dataset mnist] [--protocol normal_class]
        [--rows CSV]

Columns: `shipped` (the row's AUC), `distance_all` (the 5th neighbour's distance among every
training normal, not the 2,048 of the bank), `lof_bank` (LOF, k 20, against 2,048 training
normals drawn at random: the bank's size), `lof_all` (k 20 against every training normal),
`lof10_all` and `lof50_all` (k 10 and 50), `lof_input` (LOF on the pixels: the classical
detector). Scored at the sweet spot the run's own score chose: what LOF's own runs reach is the
grid's next rows. Test labels only score; nothing is chosen here. Resumable (a run already in
the CSV is skipped): benchmarks/results/dknn_lof_<dataset>_<protocol>.{csv,md}.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
VARIANTS = ("shipped", "distance_all", "lof_bank", "lof_all", "lof10_all", "lof50_all",
            "lof_input")


def lof(train, test, k: int):
    from sklearn.neighbors import LocalOutlierFactor
    return -LocalOutlierFactor(n_neighbors=k, novelty=True).fit(train).score_samples(test)


def variants(run: pd.Series, log_dir: str) -> dict:
    from sklearn.neighbors import NearestNeighbors
    from gandi.data import load_splits
    from gandi.detectors.reference_bank import BANK
    from gandi.score.exported import load_exported
    from gandi.tracking.metrics import roc_auc
    exported = load_exported(run["signature"], log_dir)
    setting = exported.setting
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    features = exported.detector.features

    def f(x):
        x = np.asarray(x, np.float32)
        return np.concatenate([features(x[i:i + 512], training=False).numpy().reshape(
            len(x[i:i + 512]), -1) for i in range(0, len(x), 512)])

    train, test = f(data.train), f(data.test_x)
    bank = np.random.default_rng(0).choice(len(train), min(BANK, len(train)), replace=False)
    pixels = [np.asarray(x, np.float32).reshape(len(x), -1) for x in (data.train, data.test_x)]
    scores = {"distance_all": NearestNeighbors(n_neighbors=5).fit(train).kneighbors(test)[0][:, -1],
              "lof_bank": lof(train[bank], test, 20), "lof_all": lof(train, test, 20),
              "lof10_all": lof(train, test, 10), "lof50_all": lof(train, test, 50),
              "lof_input": lof(*pixels, 20)}
    return {"shipped": float(run["auc"]),
            **{name: roc_auc(data.test_y, s) for name, s in scores.items()}}


def distance_run(signature: str, log_dir: str) -> bool:
    """Whether the run is under log_dir and scored by the distance (its setting's score, `auto`
    resolved as its run resolved it; runs from before the key are the distance's)."""
    import json
    from gandi.detectors.discriminator_knn import knn_score_and_k
    path = Path(log_dir) / "results" / signature / "setting.json"
    if not path.is_file():
        return False
    setting = {"discriminator_knn_score": "distance", "discriminator_knn_k": 5,
               **json.loads(path.read_text())}
    return knn_score_and_k(setting, True)[0] == "distance"


def markdown(cells: pd.DataFrame, dataset: str, protocol: str) -> str:
    from gandi.report import markdown as markdown_table
    per_seed = cells.groupby("seed")[list(VARIANTS)].mean()
    table = pd.DataFrame({"mean over classes, then seeds": per_seed.mean().round(4),
                          "std over seeds": per_seed.std(ddof=1).round(4)
                          if len(per_seed) > 1 else np.nan}).reset_index(names="score")
    return (f"Discriminator kNN runs of {dataset} {protocol} ({len(cells)} runs, "
            f"{cells['seed'].nunique()} seed(s)) scored again at their sweet spots in D's "
            "features (`benchmarks/dknn_lof.py`; `lof_input` is the classical LOF on the same "
            "split).\n\n" + markdown_table(table) + "\n")


def main(argv=None) -> int:
    from gandi.studies.benchmark.cells import read_cells, write_atomic
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log-dir", required=True, help="the grid's log dir")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--protocol", default="normal_class")
    p.add_argument("--rows", help="the rows whose runs to score (default: the grid's CSV)")
    args = p.parse_args(argv)
    rows = Path(args.rows or RESULTS / f"{args.dataset}_{args.protocol}.csv")
    runs = read_cells(rows)
    runs = runs[runs["detector"] == "discriminator_knn"]
    runs = runs[runs["signature"].map(lambda s: distance_run(s, args.log_dir))]
    if runs.empty:
        p.error(f"no discriminator_knn row of {rows} scored by the distance has its run "
                f"folder under {args.log_dir}")
    runs = runs.sort_values(["seed", "class"])
    out = RESULTS / f"dknn_lof_{args.dataset}_{args.protocol}"
    for _, run in runs.iterrows():
        done = pd.read_csv(f"{out}.csv") if out.with_suffix(".csv").exists() else pd.DataFrame()
        if len(done) and run["signature"] in set(done["signature"]):
            continue
        started = time.process_time()
        row = {"class": int(run["class"]), "seed": int(run["seed"]),
               "signature": run["signature"], **variants(run, args.log_dir),
               "cpu_seconds": round(time.process_time() - started, 1)}
        print(row, flush=True)
        done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
        write_atomic(out.with_suffix(".csv"), done.to_csv(index=False))
        write_atomic(out.with_suffix(".md"), markdown(done, args.dataset, args.protocol))
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
