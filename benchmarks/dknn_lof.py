"""The discriminator's features scored two ways on an image grid's runs: the k-th neighbour
distance (`discriminator_knn`) and the local outlier factor (`discriminator_lof`), each against
the run's own bank at its sweet spot, with the label-free criterion of each (validation normals
against corrupted ones: what a run sees without labels), beside LOF over every training normal
and LOF on the pixels (the classical detector):

    python benchmarks/dknn_lof.py --log-dir LOG_DIR [--dataset mnist] [--protocol normal_class]
        [--rows CSV] [--seeds 0 1 2]

Runs: the discriminator_knn and discriminator_lof rows of --rows (default
benchmarks/results/<dataset>_<protocol>.csv, any setting hash: rows a new setting replaced are in
the CSV's history, e.g. `git show 693ab27:benchmarks/results/mnist_normal_class.csv`) whose run
folder is under --log-dir. Columns: `trained_with` (the score that chose the run's sweet spot),
`shipped` (the row's AUC), `distance` (k 5) and `lof` (k 20) against the run's bank,
`criterion_distance` and `criterion_lof`, `lof_all` (k 20 against every training normal; left
out above 10,000 of them: the anomaly_class protocol's 48,000 take minutes), `lof_input`. Test
labels only score; nothing is chosen here. Resumable (a run already in the CSV is skipped):
benchmarks/results/<dataset>_<protocol>_dknn_lof.{csv,md}.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
DETECTORS = ("discriminator_knn", "discriminator_lof")
SCORES = ("distance", "lof")
ALL_ROWS = 10_000  # training normals up to which LOF over all of them is measured


def lof(train, test, k: int = 20):
    from sklearn.neighbors import LocalOutlierFactor
    return -LocalOutlierFactor(n_neighbors=k, novelty=True).fit(train).score_samples(test)


def d_features(detector, x) -> np.ndarray:
    """The rows of `x` in D's features (`detector.features`, flattened), in the score's batches
    (benchmarks/bank_size.py takes them too)."""
    import tensorflow as tf
    from gandi.detectors.base import batched
    return batched(lambda batch: tf.reshape(detector.features(batch, training=False),
                                            (tf.shape(batch)[0], -1)), np.asarray(x, np.float32))


def scored(signature: str, log_dir: str) -> dict:
    """One run's columns (the module docstring)."""
    import tensorflow as tf
    from gandi.data import load_splits
    from gandi.detectors.discriminator_knn import knn_score_and_k
    from gandi.detectors.reference_bank import kth_distance, local_outlier_factor, lof_reference
    from gandi.score.exported import load_exported
    from gandi.tracking.metrics import roc_auc
    from gandi.tracking.references import draw_references
    exported = load_exported(signature, log_dir)
    setting, detector = exported.setting, exported.detector
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    corrupted = draw_references(setting, data).corrupted

    def features(x):
        return d_features(detector, x)

    bank = tf.constant(features(detector.bank.kept()))
    statistics = lof_reference(bank, 20)

    def both(x):
        f = tf.constant(features(x))
        return {"distance": kth_distance(f, bank, 5).numpy(),
                "lof": local_outlier_factor(f, bank, statistics, 20).numpy()}

    validation, test, references = both(data.validation), both(data.test_x), both(corrupted)
    row = {"trained_with": knn_score_and_k({"discriminator_knn_score": "distance",
                                            "discriminator_knn_k": "auto", **setting})[0]}
    sides = np.r_[np.zeros(len(data.validation)), np.ones(len(corrupted))]
    for name in SCORES:
        row[name] = roc_auc(data.test_y, test[name])
        row[f"criterion_{name}"] = roc_auc(sides, np.r_[validation[name], references[name]])
    train = np.asarray(data.train, np.float32)
    row["lof_all"] = (roc_auc(data.test_y, lof(features(train), features(data.test_x)))
                      if len(train) <= ALL_ROWS else np.nan)
    row["lof_input"] = roc_auc(data.test_y, lof(train.reshape(len(train), -1),
                                                np.asarray(data.test_x).reshape(
                                                    len(data.test_x), -1)))
    return row


def markdown(cells: pd.DataFrame, dataset: str, protocol: str) -> str:
    from gandi.report import markdown as markdown_table
    columns = ["shipped", *SCORES, "lof_all", "lof_input"]
    lines = []
    for trained, runs in cells.groupby("trained_with"):
        per_seed = runs.groupby("seed")[columns].mean()
        table = pd.DataFrame({"mean over classes, then seeds": per_seed.mean().round(4)})
        if len(per_seed) > 1:
            table["std over seeds"] = per_seed.std(ddof=1).round(4)
        picked = np.where(runs["criterion_lof"] > runs["criterion_distance"], runs["lof"],
                          runs["distance"])
        better = (runs["lof"] > runs["distance"]) == (
            runs["criterion_lof"] > runs["criterion_distance"])
        lines.append(f"Runs trained with the {trained} ({len(runs)} runs, seeds "
                     f"{', '.join(map(str, sorted(runs['seed'].unique())))}):\n\n"
                     + markdown_table(table.reset_index(names="score")) + "\n\n"
                     f"The criterion ranks the two scores as their test AUCs do in {int(better.sum())}"
                     f" of {len(runs)} runs; choosing by it would score {picked.mean():.4f} "
                     f"(the distance {runs['distance'].mean():.4f}, LOF {runs['lof'].mean():.4f}).\n")
    return (f"The discriminator's features on {dataset} {protocol}, each run scored both ways "
            "at its sweet spot (`benchmarks/dknn_lof.py`; `lof_input` is the classical LOF on "
            "the same split, `lof_all` LOF over every training normal).\n\n" + "\n".join(lines))


def main(argv=None) -> int:
    from gandi.studies.benchmark.cells import read_cells, write_atomic
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log-dir", required=True, help="the grid's log dir")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--protocol", default="normal_class")
    p.add_argument("--rows", help="the rows whose runs to score (default: the grid's CSV)")
    p.add_argument("--seeds", type=int, nargs="+", help="only these seeds")
    args = p.parse_args(argv)
    rows = Path(args.rows or RESULTS / f"{args.dataset}_{args.protocol}.csv")
    runs = read_cells(rows)
    runs = runs[runs["detector"].isin(DETECTORS)]
    if args.seeds:
        runs = runs[runs["seed"].isin(args.seeds)]
    runs = runs[[(Path(args.log_dir) / "results" / s).is_dir() for s in runs["signature"]]]
    if runs.empty:
        p.error(f"no {' or '.join(DETECTORS)} row of {rows} has its run folder under "
                f"{args.log_dir}")
    out = RESULTS / f"{args.dataset}_{args.protocol}_dknn_lof"  # *_<protocol>.csv is a grid
    for _, run in runs.sort_values(["seed", "class"]).iterrows():
        done = pd.read_csv(f"{out}.csv") if Path(f"{out}.csv").exists() else pd.DataFrame()
        if len(done) and run["signature"] in set(done["signature"]):
            continue
        started = time.process_time()
        row = {"class": int(run["class"]), "seed": int(run["seed"]),
               "signature": run["signature"], "shipped": float(run["auc"]),
               **scored(run["signature"], args.log_dir),
               "cpu_seconds": round(time.process_time() - started, 1)}
        print(row, flush=True)
        done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
        write_atomic(Path(f"{out}.csv"), done.to_csv(index=False))
        write_atomic(Path(f"{out}.md"), markdown(done, args.dataset, args.protocol))
    print(Path(f"{out}.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
