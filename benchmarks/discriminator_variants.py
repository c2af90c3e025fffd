"""Detector variants on the ODDS tables (discriminator-scored detectors with and without each
stabiliser; the autoencoder family with and without `autoencoder_score: reconstruction+latent_knn`): the
label-free AUC, the oracle's, and how much the tracked test-AUC curve swings between tracked
steps (the sweet spot is only findable on a curve that does not jump).

    python benchmarks/discriminator_variants.py [--seeds 3] [--sets NAME ...]
        [--variants NAME ...] [--log-dir DIR] [--results NAME]

A variant is a detector and setting keys on top of the tabular benchmark's setting
(TABLE_SETTING, gandi.Detector's vector defaults), e.g. `discriminator+ema`: the discriminator
with d_ema 0.99. Each cell is an ordinary run (a run folder under --log-dir); rows go to
benchmarks/results/<--results: discriminator_variants>.csv (resumable: a finished cell is not
run again; one process per file)
with wall and CPU seconds; the markdown beside it has the means over seeds per variant and
table, and the mean absolute change of the test AUC between consecutive tracked steps
(`swing`) and its largest change (`max_jump`).
"""
from __future__ import annotations

import argparse
import re

import bench_env  # noqa: F401  (checkout on sys.path, data folder, quiet TensorFlow)
import numpy as np
import pandas as pd

from gandi.settings.shipped import STEPS  # the tabular benchmark's training length

RESULTS = bench_env.ROOT / "benchmarks" / "results"
PATIENCE = 5  # tracked steps: 500 of the tables' steps, a quarter of the shipped run
VARIANTS = {
    "discriminator": ("discriminator", {}),
    "discriminator+sn": ("discriminator", {"d_spectral_norm": True}),
    "discriminator+r1": ("discriminator", {"r1_weight": 1.0}),
    "discriminator+ema": ("discriminator", {"d_ema": 0.99}),
    "discriminator+all": ("discriminator", {"d_spectral_norm": True, "r1_weight": 1.0,
                                            "d_ema": 0.99}),
    "fencegan": ("fencegan", {}),
    "so_gaal": ("so_gaal", {}),
    "mo_gaal": ("mo_gaal", {}),
    "discriminator_knn": ("discriminator_knn", {}),
    **{f"{name}{suffix}": (name, keys) for name in ("autoencoder", "vae", "aae")
       for suffix, keys in (("", {}), ("+latent_knn", {"autoencoder_score": "reconstruction+latent_knn"}))},
    # train until the label-free criterion stops improving, within four times the shipped steps
    **{f"{name}+until_done": (name, {"steps": 4 * STEPS, "stop_patience": PATIENCE})
       for name in ("autoencoder", "vae", "aae", "ganomaly", "discriminator_knn")},
}
COLUMNS = ["dataset", "variant", "seed", "auc", "oracle_best_auc", "swing", "max_jump",
           "sweet_spot_step", "last_step", "wall_s", "cpu_s", "signature"]


def run_cell(path, variant: str, seed: int, log_dir: str) -> dict:
    from gandi.studies.benchmark.table_cells import table_setting
    from gandi.experiment import run_setting
    from gandi.settings.validation import validate
    detector, keys = VARIANTS[variant]
    setting = {**table_setting(path, detector, seed, quick=False), **keys}
    label = re.sub(r"\W+", "_", path.stem)
    from gandi.outputs.run_rows import clock, spent
    started = clock()
    results = run_setting(label, validate(setting, label), log_dir, progress=False)
    curve = results["measurements"]["d_auc"].to_numpy(float)
    jumps = np.abs(np.diff(curve))
    cost = spent(started)
    return {"auc": results["sweet_spot"]["test_auc"],
            "oracle_best_auc": results["best_test_auc"]["test_auc"],
            "swing": float(np.mean(jumps)), "max_jump": float(np.max(jumps)),
            "sweet_spot_step": int(results["sweet_spot"]["step"]),
            "last_step": int(results["last_step"]),
            "wall_s": cost["seconds"], "cpu_s": cost["cpu_seconds"],
            "signature": results["signature"]}


def markdown(cells: pd.DataFrame) -> str:
    means = cells.groupby(["variant", "dataset"])[["auc", "swing", "max_jump"]].mean()
    table = means["auc"].unstack("dataset")
    table["mean"] = table.mean(axis=1)
    table["min"] = table.drop(columns="mean").min(axis=1)
    swing = means[["swing", "max_jump"]].groupby("variant").mean()
    if "last_step" in cells:  # steps trained (a variant with stop_patience stops early)
        swing["steps"] = cells.groupby("variant")["last_step"].mean()
    seeds = cells.groupby("variant")["seed"].nunique().rename("seeds")
    out = pd.concat([table, swing, seeds], axis=1).sort_values("mean", ascending=False)
    from gandi.report import markdown as markdown_table
    return ("Label-free test AUC (mean over seeds) per table; swing = mean |change| of the "
            "tracked test AUC between consecutive tracked steps, max_jump its largest; steps: "
            "the mean steps trained.\n\n"
            + markdown_table(out.reset_index(names="variant").map(
                lambda v: f"{v:.3f}" if isinstance(v, float) else v)) + "\n")


def main(argv=None) -> int:
    from gandi.studies.benchmark.table_cells import TABLE_SETS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--sets", nargs="+", default=list(TABLE_SETS), choices=list(TABLE_SETS))
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--log-dir", default="log_dir/discriminator_variants")
    p.add_argument("--results", default="discriminator_variants",
                   help="name of the CSV and markdown under benchmarks/results/")
    args = p.parse_args(argv)
    cells = bench_env.run_missing_table_cells(
        RESULTS / f"{args.results}.csv", COLUMNS, "variant", args.variants, args, run_cell,
        markdown, lambda row: (f"{row['dataset']} {row['variant']} seed {row['seed']}: AUC "
                               f"{row['auc']:.3f} (oracle {row['oracle_best_auc']:.3f}), swing "
                               f"{row['swing']:.3f}, {row['wall_s']} s wall, {row['cpu_s']} s CPU"))
    print(markdown(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
