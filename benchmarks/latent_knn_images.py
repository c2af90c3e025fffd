"""The autoencoder family's latent kNN on the one-class image grid, from the grid's own runs: each
autoencoder, VAE and AAE run's exported sweet spot scored as `autoencoder_score:
reconstruction+latent_knn` scores (its reconstruction score plus the distance from E(x) to the
5th nearest code of a bank of training normals, each standardised on the bank: the formula of
gandi/detectors/autoencoder.py), beside its reconstruction score alone (the grid's AUC) and the
latent distance alone. Test labels only score; nothing is chosen here.

    python benchmarks/latent_knn_images.py --log-dir LOG_DIR [--dataset mnist]

What differs from a run trained with the key: the bank is 2,048 training normals of the run's
split drawn with its seed (a run keeps the last 2,048 it trained on), and the sweet spot is the
one the reconstruction score chose (a run with the key chooses by the combined score:
`benchmarks/variant_auc.py --key autoencoder_score` measures that on a class subset).
Rows: benchmarks/results/<dataset>_latent_knn.{csv,md}.
"""
from __future__ import annotations

import argparse

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
FAMILY = ("autoencoder", "vae", "aae")
SCORES = ("reconstruction", "latent_knn", "reconstruction+latent_knn")


def scores_of(signature: str, log_dir: str) -> dict:
    """Test AUC of each score of one run (SCORES), and the test AUC the run's own export gives
    (a check: it is the reconstruction's)."""
    import tensorflow as tf
    from gandi.data import load_splits
    from gandi.detectors.autoencoder import LATENT_K, SCALE_ROWS
    from gandi.detectors.base import batched
    from gandi.detectors.reference_bank import BANK, kth_distance, kth_distance_to_the_others
    from gandi.score.exported import load_exported
    from gandi.tracking.metrics import roc_auc
    exported = load_exported(signature, log_dir)
    detector, setting = exported.detector, exported.setting
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    rng = np.random.default_rng(setting["numpy_seed"])
    bank = data.train[rng.choice(len(data.train), min(BANK, len(data.train)), replace=False)]

    def own(x):
        return batched(detector._anomaly_score, np.asarray(x, np.float32)).astype(np.float64)

    codes = tf.constant(detector.codes(bank))
    own_bank = own(bank[:SCALE_ROWS])
    near_bank = kth_distance_to_the_others(codes, LATENT_K, SCALE_ROWS).numpy()
    near = batched(lambda b: kth_distance(detector._code(b), codes, LATENT_K),
                   np.asarray(data.test_x, np.float32)).astype(np.float64)
    recon = own(data.test_x)
    combined = ((recon - own_bank.mean()) / own_bank.std()
                + (near - near_bank.mean()) / near_bank.std())
    y = data.test_y
    return {"reconstruction": roc_auc(y, recon), "latent_knn": roc_auc(y, near),
            "reconstruction+latent_knn": roc_auc(y, combined),
            "export": roc_auc(y, exported.score(data.test_x))}


def markdown(cells: pd.DataFrame) -> str:
    from gandi.report import markdown as markdown_table
    per_seed = cells.groupby(["detector", "seed"])[list(SCORES)].mean()
    classes = cells.groupby(["detector", "seed"])["class"].nunique()
    per_seed = per_seed[classes == cells["class"].nunique()]  # seeds with every class
    summary = per_seed.groupby("detector").agg(lambda v: f"{v.mean():.4f} ± {v.std():.4f}")
    gain = (per_seed["reconstruction+latent_knn"] - per_seed["reconstruction"]).groupby(
        "detector").agg(lambda v: f"{v.mean():+.4f} ± {v.std():.4f}")
    seeds = per_seed.groupby("detector").size()
    summary = summary.assign(paired_gain=gain, seeds=seeds).reset_index()
    per_class = cells.assign(gain=cells["reconstruction+latent_knn"] - cells["reconstruction"])
    per_class = per_class.pivot_table(index="detector", columns="class", values="gain").map(
        lambda v: f"{v:+.3f}").rename(columns=str).reset_index()
    return ("Test AUC over the classes of each seed, mean ± std over the seeds with every class; "
            "paired gain: combined minus reconstruction, the same run.\n\n"
            + markdown_table(summary) + "\n\nGain per class (mean over seeds):\n\n"
            + markdown_table(per_class) + "\n")


def main(argv=None) -> int:
    from gandi.studies.benchmark.cells import read_cells, write_atomic
    from gandi.studies.benchmark.image_cells import fresh_rows
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    p.add_argument("--log-dir", required=True, help="the grid's log dir (its run folders)")
    args = p.parse_args(argv)
    grid, _ = fresh_rows(read_cells(RESULTS / f"{args.dataset}_normal_class.csv"),
                         args.dataset, "normal_class")
    runs = grid[grid["detector"].isin(FAMILY)].sort_values(["seed", "detector", "class"])
    rows = []
    for _, run in runs.iterrows():
        aucs = scores_of(run["signature"], args.log_dir)
        rows.append({"detector": run["detector"], "class": int(run["class"]),
                     "seed": int(run["seed"]), **aucs, "grid_auc": run["auc"],
                     "signature": run["signature"]})
        print(f"{run['detector']} class {run['class']} seed {run['seed']}: " + ", ".join(
            f"{k} {v:.4f}" for k, v in aucs.items()), flush=True)
    cells = pd.DataFrame(rows)
    stem = RESULTS / f"{args.dataset}_latent_knn"
    write_atomic(stem.with_suffix(".csv"), cells.to_csv(index=False))
    write_atomic(stem.with_suffix(".md"), markdown(cells))
    print(markdown(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
