"""What fewer scoring draws do to the VAE (`vae_samples`, 10 by default): its tracked steps decode
every scored image once per draw, 29% of setting 32's run on an Intel Xeon (the speed issue's
bound: 15%). The same setting and seeds, one-class MNIST:

    python benchmarks/vae_samples_auc.py [--setting 32] [--samples 10 3 1] [--classes 1 7]
        [--seeds 3]

A cell is (class, seed, vae_samples): a whole run; its row holds the test AUC at the label-free
sweet spot, wall and CPU seconds. benchmarks/results/vae_samples_auc.{csv,md}, resumable.
"""
from __future__ import annotations

import argparse

import bench_env
import pandas as pd

from precision_auc import run_variant

RESULTS = bench_env.ROOT / "benchmarks" / "results"
COLUMNS = ["setting", "class", "seed", "vae_samples", "detector", "auc", "steps", "seconds",
           "cpu_seconds"]


def markdown(cells: pd.DataFrame) -> str:
    from gandi.report import markdown as markdown_table
    cells = cells.astype({"auc": float, "cpu_seconds": float})
    summary = cells.groupby(["setting", "class", "vae_samples"]).agg(
        seeds=("seed", "nunique"), auc=("auc", "mean"), auc_std=("auc", "std"),
        cpu_seconds=("cpu_seconds", "mean")).reset_index()
    return ("Test AUC at the label-free sweet spot by scoring draws (`vae_samples`), mean and std "
            "over seeds, and CPU seconds of the whole run.\n\n"
            + markdown_table(summary.round(4)) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--setting", type=int, default=32)
    p.add_argument("--samples", type=int, nargs="+", default=[10, 3, 1])
    p.add_argument("--classes", type=int, nargs="+", default=[1, 7])
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args(argv)
    todo = ({"setting": args.setting, "class": c, "seed": s, "vae_samples": n}
            for s in range(args.seeds) for c in args.classes for n in args.samples)
    bench_env.run_missing_cells(
        RESULTS / "vae_samples_auc.csv", COLUMNS, todo,
        lambda setting, seed, vae_samples, **key: run_variant(
            setting, key["class"], seed, vae_samples=vae_samples),
        markdown, lambda r: (f"class {r['class']} seed {r['seed']} vae_samples "
                             f"{r['vae_samples']}: AUC {r['auc']:.4f}, {r['seconds']} s "
                             f"({r['cpu_seconds']} s CPU)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
