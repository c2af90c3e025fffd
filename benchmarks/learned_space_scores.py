"""Scores in learned spaces, measured before they are built into the detectors: the autoencoder
family's reconstruction score beside a kNN distance in its encoder's codes, their sum, and
hybrids with kNN on the raw features, on the ODDS tables (the issue "Above the classical
detectors", item 2).

    python benchmarks/learned_space_scores.py [--seeds 3] [--sets NAME ...]
        [--detectors autoencoder vae aae] [--log-dir DIR]

Each cell is an ordinary run of the tabular benchmark's setting (TABLE_SETTING, gandi.Detector's
vector defaults); the detector is rebuilt at its label-free sweet spot (the exported networks)
and scores the run's own split:

- `reconstruction`: the detector's own score (its row in the tabular benchmark);
- `latent_knn`: distance to the k-th (5th) nearest training normal in the encoder's codes
  (the VAE's posterior mean);
- `raw_knn`: the same in the scaled features (a kNN detector on the same split);
- sums of those, each z-scored on the validation normals (median and standard deviation):
  no test label chooses anything.

Rows of benchmarks/results/learned_space_scores.csv: dataset, detector, seed, one AUC column per
score, wall and CPU seconds (resumable: a finished cell is not run again); the markdown beside
it has the means over tables and seeds (mean +- std over seeds).
"""
from __future__ import annotations

import argparse
import re

import bench_env  # noqa: F401  (checkout on sys.path, data folder, quiet TensorFlow)
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
DETECTORS = ("autoencoder", "vae", "aae")
SCORES = ["reconstruction", "latent_knn", "reconstruction+latent_knn", "raw_knn",
          "reconstruction+raw_knn", "all_three"]
COLUMNS = ["dataset", "detector", "seed", *SCORES, "wall_s", "cpu_s", "signature"]
K = 5  # PyOD's kNN default


def knn_distance(reference: np.ndarray, x: np.ndarray, k: int = K) -> np.ndarray:
    """Distance from each row of x to its k-th nearest row of reference."""
    from sklearn.neighbors import NearestNeighbors
    return NearestNeighbors(n_neighbors=k).fit(reference).kneighbors(x)[0][:, -1]


def z_scored(validation: np.ndarray, test: np.ndarray) -> np.ndarray:
    """The test scores in units of the validation normals' spread, from their median."""
    return (test - np.median(validation)) / (np.std(validation) + 1e-12)


def run_cell(path, detector_name: str, seed: int, log_dir: str) -> dict:
    from gandi.data import load_splits
    from gandi.detectors import DETECTORS as ALL
    from gandi.experiment import run_setting
    from gandi.score.exported import rebuild_detector
    from gandi.settings.validation import validate
    from gandi.studies.benchmark.table_cells import table_setting
    from gandi.tracking.metrics import roc_auc
    setting = validate(table_setting(path, detector_name, seed, quick=False), path.stem)
    from gandi.outputs.run_rows import clock, spent
    started = clock()
    results = run_setting(re.sub(r"\W+", "_", path.stem), setting, log_dir, progress=False)
    data = load_splits(setting, np.random.default_rng(seed))  # the run's split, drawn again
    detector = rebuild_detector(results["run"], setting, ALL[detector_name], data.sample_shape)
    train, validation, test, y = data.train, data.validation, data.test_x, data.test_y
    parts = {"reconstruction": (detector.score(validation), detector.score(test))}
    codes = detector.codes(train)
    parts["latent_knn"] = (knn_distance(codes, detector.codes(validation)),
                           knn_distance(codes, detector.codes(test)))
    parts["raw_knn"] = (knn_distance(train, validation), knn_distance(train, test))
    z = {name: z_scored(*pair) for name, pair in parts.items()}
    scores = {name: pair[1] for name, pair in parts.items()}
    scores["reconstruction+latent_knn"] = z["reconstruction"] + z["latent_knn"]
    scores["reconstruction+raw_knn"] = z["reconstruction"] + z["raw_knn"]
    scores["all_three"] = z["reconstruction"] + z["latent_knn"] + z["raw_knn"]
    cost = spent(started)
    return {**{name: roc_auc(y, scores[name]) for name in SCORES},
            "wall_s": cost["seconds"], "cpu_s": cost["cpu_seconds"],
            "signature": results["signature"]}


def markdown(cells: pd.DataFrame) -> str:
    from gandi.report import markdown as markdown_table
    per_seed = cells.groupby(["detector", "seed"])[SCORES].mean()  # over tables
    summary = per_seed.groupby("detector").agg(lambda s: f"{s.mean():.3f} ± {s.std():.3f}")
    tables = cells.groupby(["detector", "dataset"])[SCORES].mean().map(lambda v: f"{v:.3f}")
    counts = cells.groupby("detector").agg(tables=("dataset", "nunique"), seeds=("seed", "nunique"))
    return ("Test AUC, mean over the tables (mean ± std over seeds); each score z-scored on the "
            "validation normals before a sum.\n\n"
            + markdown_table(pd.concat([summary, counts], axis=1).reset_index())
            + "\n\nPer table (mean over seeds):\n\n"
            + markdown_table(tables.reset_index()) + "\n")


def main(argv=None) -> int:
    from gandi.studies.benchmark.table_cells import TABLE_SETS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--sets", nargs="+", default=list(TABLE_SETS), choices=list(TABLE_SETS))
    p.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=list(DETECTORS))
    p.add_argument("--log-dir", default="log_dir/learned_space_scores")
    args = p.parse_args(argv)
    cells = bench_env.run_missing_table_cells(
        RESULTS / "learned_space_scores.csv", COLUMNS, "detector", args.detectors, args, run_cell,
        markdown, lambda row: (f"{row['dataset']} {row['detector']} seed {row['seed']}: "
                               + ", ".join(f"{s} {row[s]:.3f}" for s in SCORES)
                               + f" ({row['wall_s']} s wall, {row['cpu_s']} s CPU)"))
    print(markdown(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
