"""Which space the discriminator kNN's distances are best taken in, on the committed tabular runs:
the kNN distance (k = 5) to the training normals in D's features at each run's sweet spot (the
exported networks), in variants of that space, beside kNN on the inputs themselves (the
classical `knn` on the same split). Test labels only score the variants; nothing is chosen here.

    python benchmarks/dknn_spaces.py [--log-dir log_dir/tabular]

Rows per discriminator_knn run of benchmarks/results/tabular.csv whose run folder is under
--log-dir: `shipped` (the row's AUC: the run's 2,048-sample bank), `features` (every training
normal), `standardised` (each feature scaled by its training std), `input_and_features` (the
input beside the features, each block scaled to unit mean squared norm), `input` (classical
kNN), `lof` (the local outlier factor, k 20, against the run's own bank: what
`discriminator_knn_score: lof` scores, the images' default, here on vectors).
benchmarks/results/dknn_spaces.{csv,md}.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
SPACES = ("shipped", "features", "standardised", "input_and_features", "input", "lof")


def kth(train, test, k: int = 5):
    from sklearn.neighbors import NearestNeighbors
    return NearestNeighbors(n_neighbors=k).fit(train).kneighbors(test)[0][:, -1]


def spaces_of(run: pd.Series, log_dir: str) -> dict:
    from gandi.data import load_splits
    from gandi.score.exported import load_exported
    from gandi.settings.validation import validate
    from gandi.studies.benchmark.table_cells import table_setting, tables_dir
    from gandi.tracking.metrics import roc_auc
    from gandi.detectors.reference_bank import local_outlier_factor, lof_reference
    import tensorflow as tf
    seed = int(run["seed"])
    setting = validate(table_setting(tables_dir(None) / f"{run['dataset']}.npz",
                                     "discriminator_knn", seed, False), label=run["dataset"])
    data = load_splits(setting, np.random.default_rng(seed))
    detector = load_exported(run["signature"], log_dir=log_dir).detector
    x_train, x_test = (np.asarray(x, np.float32) for x in (data.train, data.test_x))
    f_train, f_test = (detector.features(x, training=False).numpy() for x in (x_train, x_test))
    mean, std = f_train.mean(0), f_train.std(0) + 1e-6
    size_x, size_f = (np.sqrt((a ** 2).sum(1).mean()) for a in (x_train, f_train))
    bank = tf.reshape(detector.features(detector.bank.kept(), training=False),
                      (-1, f_train.shape[1]))
    scores = {"lof": local_outlier_factor(tf.constant(f_test), bank, lof_reference(bank, 20),
                                          20).numpy(),
              "features": kth(f_train, f_test),
              "standardised": kth((f_train - mean) / std, (f_test - mean) / std),
              "input_and_features": kth(np.hstack([x_train / size_x, f_train / size_f]),
                                        np.hstack([x_test / size_x, f_test / size_f])),
              "input": kth(x_train, x_test)}
    return {"shipped": float(run["auc"]),
            **{name: roc_auc(data.test_y, s) for name, s in scores.items()}}


def markdown(cells: pd.DataFrame) -> str:
    from gandi.report import markdown as markdown_table
    table = cells.groupby("dataset")[list(SPACES)].mean()
    table.loc["mean"] = table.mean()
    return ("Discriminator kNN: test AUC (mean over seeds) of the k = 5 distance in each space, at "
            f"the sweet spot of the tabular benchmark's runs ({cells['seed'].nunique()} seeds; "
            "`input` is the classical kNN on the same split; `lof` the local outlier factor, "
            "k 20, in D's features against the run's bank).\n\n"
            + markdown_table(table.round(4).reset_index()) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log-dir", default="log_dir/tabular", help="the tabular runs' folders")
    args = p.parse_args(argv)
    cells = pd.read_csv(RESULTS / "tabular.csv")
    runs = cells[cells["detector"] == "discriminator_knn"]
    rows = [{"dataset": r["dataset"], "seed": int(r["seed"]), "signature": r["signature"],
             **spaces_of(r, args.log_dir)} for _, r in runs.iterrows()
            if (Path(args.log_dir) / "results" / r["signature"]).is_dir()]
    if not rows:
        p.error(f"no discriminator_knn run of tabular.csv under {args.log_dir}")
    out = pd.DataFrame(rows)
    from gandi.studies.benchmark.cells import write_atomic
    write_atomic(RESULTS / "dknn_spaces.csv", out.to_csv(index=False))
    text = markdown(out)
    write_atomic(RESULTS / "dknn_spaces.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
