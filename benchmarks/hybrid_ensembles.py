"""Label-free ensembles of gandi's detectors and the classical ones on the ODDS tables: do they
beat the best single classical detector?

    python benchmarks/hybrid_ensembles.py [--seeds 3] [--sets NAME ...] [--scores-dir DIR]

Per table and seed (the tabular benchmark's split and setting): gandi runs of GANDI_MEMBERS,
scored from their exported sweet spot, and every classical detector fitted on the same training
normals. Each candidate's label-free criterion is the run's own (`val_vs_synthetic`): the AUC of
the validation normals against the synthetic references (uniform noise in the widened box and
corrupted validation normals), which every candidate scores. Ensembles standardise each member
on its validation-normal scores and average (`gandi.tracking.selection.ensemble_scores`):
  - `hybrid (top k)`: the k candidates, gandi's or classical, with the highest criterion;
  - `classical (top 3)`, `gandi (all)`, `hybrid (all)`, and fixed sets named by their members.
No test label chooses anything; test AUC is only reported.

A cell's scores are kept in --scores-dir (`<table>_<seed>.npz`: resumable, and the ensembles can
be recomputed without training); benchmarks/results/hybrid_ensembles.{csv,md} are rebuilt from
all of them after each cell, with wall and CPU seconds of each cell's training and fitting.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import bench_env  # noqa: F401  (checkout on sys.path, data folder, quiet TensorFlow)
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
GANDI_MEMBERS = ("autoencoder", "vae", "discriminator_knn")
FIXED = {"knn+kde": ("knn", "kde"),
         "discriminator_knn+knn+kde": ("discriminator_knn", "knn", "kde"),
         "gandi (all)": GANDI_MEMBERS}


def cell_scores(path: Path, seed: int, log_dir: str) -> dict:
    """Validation, test and reference scores of every candidate on one split (arrays by name)."""
    from gandi.data import load_splits
    from gandi.detectors.classical import CLASSICAL
    from gandi.experiment import run_setting
    from gandi.outputs.run_rows import clock
    from gandi.score.exported import load_exported
    from gandi.settings.validation import validate
    from gandi.studies.benchmark.table_cells import table_setting
    from gandi.tracking.references import draw_references
    started = clock()
    setting = validate(table_setting(path, "discriminator", seed, False), label=path.stem)
    data = load_splits(setting, np.random.default_rng(seed))
    references = draw_references(setting, data)  # the runs' own: same seed, same split
    synthetic = [references.uniform, references.corrupted]
    scorers = {}
    for name in GANDI_MEMBERS:
        label = re.sub(r"\W+", "_", path.stem)
        run = run_setting(label, validate(table_setting(path, name, seed, False), label),
                          log_dir, progress=False)
        scorers[name] = load_exported(run["signature"], log_dir).score
    for name, detector in CLASSICAL.items():
        scorers[name] = detector(seed=seed).fit(data.train).score
    return kept_scores(scorers, data, synthetic, started)


def kept_scores(scorers: dict, data, synthetic: list, started) -> dict:
    """What a cell keeps (arrays by name): each candidate's scores of the validation normals,
    the test set and the synthetic references, the test labels, and the cell's wall and CPU
    seconds since `started` (`gandi.outputs.run_rows.clock`)."""
    from gandi.outputs.run_rows import spent
    arrays = {"test_y": data.test_y}
    for name, score in scorers.items():
        arrays[f"{name}__val"] = score(data.validation)
        arrays[f"{name}__test"] = score(data.test_x)
        arrays[f"{name}__ref"] = np.concatenate([score(x) for x in synthetic])
    cost = spent(started)
    arrays["seconds"], arrays["cpu_seconds"] = cost["seconds"], cost["cpu_seconds"]
    return arrays


def cell_rows(table, seed: int, a, place: str = "dataset", gandi=GANDI_MEMBERS,
              fixed=FIXED) -> list[dict]:
    """One row per candidate and per ensemble of a cell's kept scores `a` (of `table`: a table,
    or a class when `place` is "class"; `gandi`: the candidates that are gandi's runs)."""
    from gandi.tracking.metrics import roc_auc
    from gandi.tracking.selection import ensemble_scores
    y = a["test_y"]
    names = sorted({k.split("__")[0] for k in a.files if "__" in k})
    criterion = {}
    rows = []
    for name in names:
        v, r = a[f"{name}__val"], a[f"{name}__ref"]
        criterion[name] = roc_auc(np.r_[np.zeros(len(v)), np.ones(len(r))], np.r_[v, r])
        rows.append({place: table, "seed": seed, "method": name,
                     "auc": roc_auc(y, a[f"{name}__test"]), "criterion": criterion[name],
                     "members": name})

    def top(pool, k):
        return sorted(pool, key=lambda n: criterion[n], reverse=True)[:k]

    classical = [n for n in names if n not in gandi]
    ours = [n for n in names if n in gandi]
    ensembles = {"hybrid (top 3)": top(names, 3), "hybrid (top 5)": top(names, 5),
                 "hybrid (all)": names, "classical (top 3)": top(classical, 3),
                 "gandi (top 3)": top(ours, 3), **fixed}
    for method, members in ensembles.items():
        _, test, _ = ensemble_scores([(a[f"{m}__val"], a[f"{m}__test"]) for m in members])
        rows.append({place: table, "seed": seed, "method": method, "auc": roc_auc(y, test),
                     "criterion": np.nan, "members": " ".join(members)})
    cost = {k: float(a[k]) if k in a.files else np.nan for k in ("seconds", "cpu_seconds")}
    for row in rows:
        row.update(cost)
    return rows


def markdown(rows: pd.DataFrame, place: str = "dataset", places: str = "tables") -> str:
    from gandi.report import markdown as markdown_table
    tables = rows.groupby("seed")[place].nunique()
    whole = tables.index[tables == rows[place].nunique()]  # seeds with every table done
    per_seed = rows[rows["seed"].isin(whole)].groupby(["method", "seed"])["auc"].mean()
    summary = per_seed.groupby("method").agg(["mean", "std"]).sort_values("mean", ascending=False)
    summary = summary.map(lambda v: f"{v:.4f}").reset_index()
    per_table = rows.pivot_table(index="method", columns=place, values="auc").map(
        lambda v: f"{v:.3f}").rename(columns=str).reset_index()
    one = {"tables": "table", "classes": "class"}.get(places, places)
    return (f"Test AUC, mean over the {rows[place].nunique()} {places} of each seed, then "
            f"mean and std over the {len(whole)} seed(s) with every {one} done (members "
            f"chosen without labels).\n\n"
            + markdown_table(summary) + f"\n\nPer {one} (mean over seeds):\n\n"
            + markdown_table(per_table) + "\n")


def main(argv=None) -> int:
    from gandi.studies.benchmark.cells import write_atomic
    from gandi.studies.benchmark.table_cells import TABLE_SETS, tables_dir
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--sets", nargs="+", default=list(TABLE_SETS), choices=list(TABLE_SETS))
    p.add_argument("--scores-dir", default="log_dir/hybrid_ensembles")
    args = p.parse_args(argv)
    scores = Path(args.scores_dir)
    scores.mkdir(parents=True, exist_ok=True)
    for seed in range(args.seeds):
        for table in args.sets:
            cell = scores / f"{table}_{seed}.npz"
            if not cell.is_file():
                arrays = cell_scores(tables_dir(None) / f"{table}.npz", seed, str(scores))
                with open(cell.with_suffix(".tmp"), "wb") as f:
                    np.savez(f, **arrays)
                cell.with_suffix(".tmp").replace(cell)
                print(f"{table} seed {seed}: {arrays['seconds']} s wall, "
                      f"{arrays['cpu_seconds']} s CPU", flush=True)
            rows = pd.DataFrame([r for f in sorted(scores.glob("*.npz"))
                                 for r in cell_rows(f.stem.rsplit("_", 1)[0],
                                                    int(f.stem.rsplit("_", 1)[1]), np.load(f))])
            write_atomic(RESULTS / "hybrid_ensembles.csv", rows.to_csv(index=False))
            write_atomic(RESULTS / "hybrid_ensembles.md", markdown(rows))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
