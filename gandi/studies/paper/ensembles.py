"""The paper's line on label-free ensembles over an image grid (`benchmarks/image_hybrid.py`):
the grid's runs and the classical detectors on the same splits, members chosen by the label-free
criterion, against the best single detector (the issue "Above the classical detectors": a
hybrid ensemble in the benchmark)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from gandi.outputs.run_rows import mean_std
from gandi.studies.benchmark.image_cells import ensemble_runs

SHOWN = ("hybrid (top 5)", "hybrid (top 3)", "gandi (top 3)", "classical (top 3)")


def ensemble_line(results: Path, dataset: str, protocol: str, cells: pd.DataFrame,
                  classes: list) -> str:
    """One line from `<results>/<dataset>_<protocol>_hybrid.csv` ('' without it): each shown
    ensemble's mean over classes, mean ± std over the seeds with every class, beside the best
    single candidate; only rows made of the runs that are the grid's now (`cells`: its rows of
    the current settings), the others counted as left out."""
    path = results / f"{dataset}_{protocol}_hybrid.csv"
    if not path.is_file():
        return ""
    rows = pd.read_csv(path)
    current = ensemble_runs(cells)
    now = [current.get((int(c), int(s))) == r
           for c, s, r in zip(rows["class"], rows["seed"], rows["runs"])]
    stale = rows.loc[[not n for n in now], ["class", "seed"]].drop_duplicates()
    rows = rows[now]
    rows = rows[rows["class"].isin(classes)]  # before counting: a class outside is no class
    full = rows.groupby("seed")["class"].nunique()
    seeds = full.index[full == len(classes)]
    rows = rows[rows["seed"].isin(seeds)]
    if rows.empty:
        return ""
    per_seed = rows.groupby(["method", "seed"])["auc"].mean()
    mean = per_seed.groupby("method").mean()
    singles = mean[~mean.index.str.contains(r"\(")]
    best = singles.idxmax()
    shown = [m for m in SHOWN if m in mean.index]
    line = (f"- **Label-free ensembles** (`benchmarks/image_hybrid.py`: the grid's runs but "
            f"AnoGAN's and the classical detectors, on the same splits, members chosen by the "
            f"label-free criterion; {len(seeds)} seed(s) with every class): "
            + ", ".join(f"{m} {mean_std(per_seed[m])}" for m in shown)
            + f"; the best single candidate, {best}, {mean_std(per_seed[best])}")
    if len(stale):
        line += (f" ({len(stale)} class-seed cell(s) left out: made of runs the grid has "
                 f"replaced since)")
    return line + ".\n"
