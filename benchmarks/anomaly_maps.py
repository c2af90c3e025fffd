"""Where the anomaly maps point: each image detector's map on MNIST test normals with a patch of
another digit pasted in (`gandi.studies.map_quality`), pixel AUROC and the map's mass inside the patch,
beside two maps made without a detector (random, and the residual to the mean training image).

    python benchmarks/anomaly_maps.py [--seeds 3] [--log-dir DIR] [--quick]

Each detector's first shipped MNIST setting (normal digit 1) trains as shipped, with the seed
set, on 4,500 test images; AnoGAN's latent search runs 100 iterations (as in the benchmark
grid), its cells last. Its run (setting 11: setting 10's GAN) also gives the discriminator's
saliency map (at the sweet spot); where it ran, setting 10 does not run again. Resumable: a (setting, seed) in
the CSV is not run again. Writes benchmarks/results/anomaly_maps.{csv,md}; the paper shows the
table. --quick: 30 training steps on slices, into a scratch CSV (a smoke run).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import bench_env  # noqa: F401  (checkout on sys.path, data folder, quiet TensorFlow)
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from gandi.studies.benchmark.image_cells import QUICK
from gandi.studies.benchmark.cells import write_atomic
from gandi.data import load_splits
from gandi.experiment import run_setting
from gandi.studies.map_quality import COLUMNS, markdown, measure_run, reference_rows
from gandi.settings.validation import validate

RESULTS = bench_env.ROOT / "benchmarks" / "results"
# discriminator, egbad, ganomaly, autoencoder, vae, aae; then AnoGAN (setting 10's GAN, its
# latent search 5-10x the cost of any other cell): last, so that the rest has every seed first.
# AnoGAN's run gives the discriminator's map too: a seed with it needs no setting-10 run.
SETTINGS = (10, 20, 22, 30, 32, 34)
LAST = (11,)
# 4,500 of the 10,000 test images (stratified: ~510 ones, the pasted set's 500 normals): AnoGAN
# searches every test image once at the end (100 iterations, as in the benchmark grid)
GRID = {"anogan_iterations": 100, "test_limit": 4500}


def _done(cells: pd.DataFrame, number: int, seed: int) -> bool:
    """Whether (setting, seed) has run, or its detector's map has come from another run of
    the same seed (the discriminator's from AnoGAN's)."""
    if not len(cells):
        return False
    mine = cells[cells["seed"] == seed]
    ran = mine["signature"].str.rsplit("_", n=1).str[-1] == str(number)
    return bool(ran.any() or (number == 10 and (mine["detector"] == "discriminator").any()))


def main(argv=None) -> int:
    import run_params
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--log-dir", default="log_dir/anomaly_maps")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    csv = (Path(args.log_dir) / "anomaly_maps_quick.csv" if args.quick
           else RESULTS / "anomaly_maps.csv")
    Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    cells = pd.read_csv(csv) if csv.is_file() else pd.DataFrame(columns=COLUMNS)
    todo = [(n, seed) for seed in range(args.seeds) for n in SETTINGS] + [
        (n, seed) for n in LAST for seed in range(args.seeds)]
    for number, seed in tqdm(todo, desc="anomaly-map cells", unit="run"):
        if _done(cells, number, seed):
            continue
        raw = {**run_params.SETTINGS[number], "numpy_seed": seed, "tf_seed": seed,
               **(QUICK if args.quick else GRID)}
        setting = validate(raw, label=str(number))
        started = time.time()
        results = run_setting(number, setting, args.log_dir, progress=False)
        data = load_splits(results["setting"], np.random.default_rng(seed))
        have = set(cells.loc[cells["seed"] == seed, "detector"])
        rows = [row for row in measure_run(results["run"], results["setting"], data, seed)
                if row["detector"] not in have]
        if not ((cells["family"] == "reference") & (cells["seed"] == seed)).any():
            rows += reference_rows(data, seed)
        for row in rows:
            row.update(signature=results["signature"], seconds=round(time.time() - started, 1))
        cells = pd.concat([cells, pd.DataFrame(rows, columns=COLUMNS)], ignore_index=True)
        write_atomic(csv, cells.to_csv(index=False))
    title = ("Anomaly maps on pasted patches, MNIST normal digit 1 (500 test normals per seed, "
             "a patch of another test digit pasted over each)")
    text = markdown(cells, title)
    write_atomic(csv.with_suffix(".md"), text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
