"""gandi.Ensemble on the one-class image benchmarks: do gandi's image detectors and the classical
ones, chosen and combined without labels, beat the best classical detector alone?

    python benchmarks/image_ensembles.py [--datasets mnist fashion_mnist] [--classes 0-9]
        [--seeds 3] [--log-dir log_dir/image_ensembles]

A cell is (dataset, normal class, seed): `gandi.Ensemble` of GANDI_MEMBERS (gandi.Detector with
its defaults: 2,000 steps) and every classical detector, fitted on the training images of the
class, with the whole test set as eval_set (the other classes anomalous: the one-class protocol
of `gandi.benchmark`; it only reports). One row per cell: each candidate's label-free criterion
and test AUC, and the test AUC of the ensembles of the top 1, 3 and 5 candidates by the criterion
and of all of them (`Ensemble.reselected`: no refit), with wall and CPU seconds.
benchmarks/results/image_ensembles.{csv,md}; resumable (a finished cell is not run again).
"""
from __future__ import annotations

import argparse

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
GANDI_MEMBERS = ("autoencoder", "vae")
CLASSICAL = ("knn", "kde", "lof", "pca", "iforest", "ocsvm", "ecod")
TOPS = {"top 1": 1, "top 3": 3, "top 5": 5, "all": None}
KEYS = ["dataset", "class", "seed"]
COLUMNS = (KEYS + [f"{m} {what}" for m in GANDI_MEMBERS + CLASSICAL
                   for what in ("criterion", "auc")]
           + [f"ensemble {t} {what}" for t in TOPS for what in ("auc", "members")]
           + ["seconds", "cpu_seconds"])


def run_cell(dataset: str, cls: int, seed: int, log_dir: str) -> dict:
    import gandi
    from gandi.data.images import load_dataset
    from gandi.outputs.run_rows import clock, spent
    started = clock()
    x_train, y_train, x_test, y_test = load_dataset(dataset)
    ensemble = gandi.Ensemble(members=GANDI_MEMBERS + CLASSICAL, top=None, seed=seed,
                              log_dir=log_dir, verbose=0)
    ensemble.fit(x_train[y_train == cls], eval_set=(x_test, (y_test != cls).astype(int)))
    report = ensemble.report_.set_index("member")
    row = {}
    for member in GANDI_MEMBERS + CLASSICAL:
        row[f"{member} criterion"] = report.loc[member, "criterion"]
        row[f"{member} auc"] = report.loc[member, "auc"]
    for name, top in TOPS.items():
        chosen = ensemble.reselected(top)
        row[f"ensemble {name} auc"] = chosen.report_.set_index("member").loc["ensemble", "auc"]
        row[f"ensemble {name} members"] = " ".join(chosen.members_)
    return {**row, **spent(started)}


def markdown(cells: pd.DataFrame) -> str:
    from gandi.report import markdown as markdown_table
    methods = [c[:-4] for c in cells.columns if c.endswith(" auc")]
    lines = []
    for dataset, part in cells.groupby("dataset"):
        classes = part.groupby("seed")["class"].nunique()
        whole = classes.index[classes == part["class"].nunique()]  # seeds with every class
        per_seed = part[part["seed"].isin(whole)].groupby("seed")[[f"{m} auc" for m in methods]]
        means = per_seed.mean()
        summary = pd.DataFrame({"method": methods,
                                "mean": [means[f"{m} auc"].mean() for m in methods],
                                "std": [means[f"{m} auc"].std(ddof=1) for m in methods]})
        summary = summary.sort_values("mean", ascending=False)
        summary[["mean", "std"]] = summary[["mean", "std"]].map(lambda v: f"{v:.4f}")
        per_class = part.groupby("class")[[f"{m} auc" for m in methods]].mean().T
        per_class.index = methods
        per_class = per_class.map(lambda v: f"{v:.3f}").reset_index(names="method")
        per_class.columns = [str(c) for c in per_class.columns]
        lines += [f"## {dataset}, one class normal: test AUC", "",
                  f"Mean over the {part['class'].nunique()} classes of each seed, then mean and "
                  f"std over the {len(whole)} seed(s) with every class done (members chosen "
                  f"without labels; std blank for one seed).", "",
                  markdown_table(summary), "", "Per class (mean over seeds):", "",
                  markdown_table(per_class), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from gandi.cli import parse_classes
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"],
                   choices=["mnist", "fashion_mnist"])
    p.add_argument("--classes", default="0-9")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--log-dir", default="log_dir/image_ensembles")
    args = p.parse_args(argv)
    todo = ({"dataset": d, "class": c, "seed": s} for s in range(args.seeds)
            for d in args.datasets for c in parse_classes(args.classes))
    bench_env.run_missing_cells(
        RESULTS / "image_ensembles.csv", COLUMNS, todo,
        lambda dataset, seed, **key: run_cell(dataset, key["class"], seed, args.log_dir),
        markdown, lambda r: (f"{r['dataset']} class {r['class']} seed {r['seed']}: ensemble "
                             f"top 3 {r['ensemble top 3 auc']:.4f}, knn {r['knn auc']:.4f}, "
                             f"{r['seconds']} s ({r['cpu_seconds']} s CPU)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
