"""Label-free ensembles of gandi's detectors and the classical ones on the one-class image grid:
does one beat the best classical detector (LOF on MNIST)?

    python benchmarks/image_hybrid.py --log-dir LOG_DIR [--dataset mnist] [--classes 0-9]
        [--seeds 3] [--protocol normal_class] [--classical NAME ...] [--scores-dir DIR]

Per class and seed, the runs the grid made (`benchmarks/results/<dataset>_<protocol>.csv`, rows
of the current settings, LOG_DIR their log dir), each scored again from its exported sweet
spot, and the classical detectors (default: all) fitted on the same split's training normals
(the grid's classical cells). AnoGAN is left out: its score is a latent search per image (not
exported; 38% of the grid's CPU). Candidates and ensembles as `benchmarks/hybrid_ensembles.py`
makes them on the tables: each candidate's label-free criterion is the AUC of the validation
normals against the runs' synthetic reference (corrupted validation normals); `hybrid (top k)`
averages the k candidates with the highest criterion, each standardised on its validation
scores; `gandi (top 3)` and `classical (top 3)` choose within one family. No test label
chooses anything; test AUC is only reported.

A cell's scores are kept in --scores-dir (`<dataset>_<protocol>_<class>_<seed>.npz`:
resumable, with the runs they were made of: a cell whose grid runs were replaced since is made
again); benchmarks/results/<dataset>_<protocol>_hybrid.{csv,md} are rebuilt from all of them
after each cell (column `runs`: the paper shows only rows of the grid's current runs).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bench_env  # noqa: F401  (checkout on sys.path, data folder, quiet TensorFlow)
import numpy as np
import pandas as pd

from hybrid_ensembles import cell_rows, kept_scores, markdown

RESULTS = bench_env.ROOT / "benchmarks" / "results"


def grid_runs(dataset: str, protocol: str) -> pd.DataFrame:
    """The grid's gandi rows of the current settings whose runs can be scored again (signature
    per detector, class, seed)."""
    from gandi.studies.benchmark.cells import read_cells
    from gandi.studies.benchmark.image_cells import fresh_rows, rescorable
    cells, _ = fresh_rows(read_cells(RESULTS / f"{dataset}_{protocol}.csv"), dataset, protocol)
    return rescorable(cells)


def runs_of(cell: pd.DataFrame) -> str:
    """Which runs a cell's ensembles are made of (`ensemble_runs`): a cell whose grid runs
    changed since (a new setting run again) is made again, and a report can tell."""
    from gandi.studies.benchmark.image_cells import ensemble_runs
    return next(iter(ensemble_runs(cell).values()), "")


def cell_scores(runs: pd.DataFrame, log_dir: str, classical) -> dict:
    """Validation, test and reference scores of every candidate on one class and seed's split
    (arrays by name): the runs' split and references, drawn again as the runs drew them."""
    from gandi.data import load_splits
    from gandi.detectors.classical import CLASSICAL
    from gandi.outputs.run_rows import clock
    from gandi.score.exported import load_exported
    from gandi.tracking.references import draw_references
    started = clock()
    scorers = {d: load_exported(sig, log_dir) for d, sig in zip(runs["detector"],
                                                                runs["signature"])}
    first = next(iter(scorers.values()))
    setting = first.setting
    for name, exported in scorers.items():  # one split: the same data keys and seed
        if exported.setting["numpy_seed"] != setting["numpy_seed"] or any(
                exported.setting.get(k) != setting.get(k)
                for k in ("normal_class", "anomaly_class", "validation_fraction", "test_limit",
                          "train_limit")):
            raise ValueError(f"{name}'s run does not share the split of "
                             f"{runs['detector'].iloc[0]}'s: it cannot join its ensemble")
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    references = draw_references(setting, data)
    synthetic = [r for r in (references.uniform, references.corrupted) if r is not None]
    scores = {name: exported.score for name, exported in scorers.items()}
    seed = int(setting["numpy_seed"])
    for name in classical:
        scores[name] = CLASSICAL[name](seed=seed).fit(data.train).score
    return {**kept_scores(scores, data, synthetic, started), "runs": runs_of(runs)}


def main(argv=None) -> int:
    from gandi.cli import parse_classes
    from gandi.detectors.classical import CLASSICAL
    from gandi.studies.benchmark.cells import write_atomic
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    p.add_argument("--classes", default="0-9")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--protocol", default="normal_class", choices=("normal_class", "anomaly_class"))
    p.add_argument("--classical", nargs="+", default=list(CLASSICAL), choices=list(CLASSICAL),
                   help="the classical candidates (default: all)")
    p.add_argument("--log-dir", required=True, help="the grid's log dir (its run folders)")
    p.add_argument("--scores-dir", default="log_dir/image_hybrid")
    args = p.parse_args(argv)
    runs = grid_runs(args.dataset, args.protocol)
    scores = Path(args.scores_dir)
    scores.mkdir(parents=True, exist_ok=True)
    stem = f"{args.dataset}_{args.protocol}"
    gandi = tuple(runs["detector"].unique())

    def write_tables():  # the rows of every kept cell, rebuilt
        kept = sorted(scores.glob(f"{stem}_*.npz"))
        rows = pd.DataFrame([{**r, "runs": str(a["runs"])} for f in kept
                             for a in [np.load(f)] for r in cell_rows(
            int(f.stem.split("_")[-2]), int(f.stem.split("_")[-1]), a, "class", gandi, {})])
        if len(rows):
            write_atomic(RESULTS / f"{stem}_hybrid.csv", rows.to_csv(index=False))
            write_atomic(RESULTS / f"{stem}_hybrid.md", markdown(rows, "class", "classes"))

    for seed in range(args.seeds):
        for cls in parse_classes(args.classes):
            cell = scores / f"{stem}_{cls}_{seed}.npz"
            mine = runs[(runs["class"] == cls) & (runs["seed"] == seed)]
            if cell.is_file() and str(np.load(cell).get("runs", "")) != runs_of(mine):
                cell.unlink()  # made of runs the grid has since replaced: made again
            if not cell.is_file():
                if mine.empty:
                    print(f"class {cls} seed {seed}: no grid runs yet", flush=True)
                    continue
                try:
                    arrays = cell_scores(mine, args.log_dir, args.classical)
                except (ValueError, LookupError) as err:  # a run missing or of another split
                    print(f"image_hybrid.py: class {cls} seed {seed}: {err}", file=sys.stderr)
                    return 2
                with open(cell.with_suffix(".tmp"), "wb") as f:
                    np.savez(f, **arrays)
                cell.with_suffix(".tmp").replace(cell)
                print(f"class {cls} seed {seed}: {arrays['seconds']} s wall, "
                      f"{arrays['cpu_seconds']} s CPU ({len(mine)} runs)", flush=True)
                write_tables()  # after each new cell: a killed script keeps what it made
    write_tables()  # once more: the kept cells of an earlier run
    done = RESULTS / f"{stem}_hybrid.md"
    print(done.read_text() if done.is_file() else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
