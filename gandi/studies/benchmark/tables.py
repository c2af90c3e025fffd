"""The tabular benchmark: gandi's vector detectors and the classical ones on the ODDS tables.

    python -m gandi.benchmark --dataset tabular [--sets NAME ...] [--detectors NAME ...]
        [--seeds 3] [--quick] [--data-dir DIR]

Each table (`<name>.npz` with `x` and `y`, 1 = anomaly) is split the semi-supervised way by
gandi's table reader with the cell's seed: `test_fraction` of the normal rows and every anomalous
row are the test set, `validation_fraction` of the other normals are held out (thresholds, the
label-free sweet spot), the rest are the training normals; features are scaled on the training
normals. A gandi cell is an ordinary run of that setting (a run folder under `--log-dir`). The
classical detectors (`gandi.detectors.classical`) are fitted on **the same training normals, scaled the
same way** (the run's own split, drawn again from the seed) and score the same test rows.

Rows of `<out>/tabular.csv`: dataset, detector, family (`gandi` or `classical`), seed, auc, f1
(gandi's, at its label-free threshold; empty for classical rows), oracle_best_auc (the best test
AUC over training, which uses test labels: only reported; empty for a classical detector, which
has no training curve), signature (the gandi run), seconds and cpu_seconds (wall, and the
process's CPU time: comparable when the machine did other work too), setting_hash (a gandi
row's validated setting, `gandi.settings.fingerprint`). Finished cells are skipped, so an
interrupted benchmark resumes. `<out>/tabular.md` has the tables.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.run_rows import clock, final_rows, mean_std, result_row, spent
from gandi.settings.shipped import TABLE_SETTING
from gandi.studies.benchmark.cells import BenchmarkError, read_cells, run_items, write_atomic

TABLE_SETS = ("annthyroid", "ionosphere", "letter", "mammography", "musk", "pendigits",
              "satimage-2", "shuttle")
GANDI_DETECTORS = ("discriminator", "autoencoder", "vae", "aae", "ganomaly", "egbad", "fencegan",
                   "so_gaal", "mo_gaal", "discriminator_knn")
CHECKPOINT_ENSEMBLE = "checkpoint ensemble"  # a gandi run's row: "<detector> checkpoint ensemble"
DETECTOR_ENSEMBLE = "gandi ensemble"  # the rows of several detectors' runs on one split
COLUMNS = ["dataset", "detector", "family", "seed", "auc", "f1", "oracle_best_auc", "signature",
           "seconds", "cpu_seconds", "setting_hash"]
QUICK = {"steps": 60, "track_every": 20, "checkpoint_every": 60, "n_generated": 200}


def tables_dir(data_dir: str | None) -> Path:
    """--data-dir, else $GANDI_DATA_DIR/tabular, else ../shared/data/tabular beside the repo."""
    if data_dir:
        return Path(data_dir)
    from gandi.data.images import ENV_DATA_DIR
    root = Path(__file__).resolve().parents[3]  # the checkout: gandi/studies/benchmark/tables.py
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) / "tabular" if env else root.parent / "shared" / "data" / "tabular"


def table_setting(path: Path, detector: str, seed: int, quick: bool) -> dict:
    setting = {**TABLE_SETTING, "name": f"{path.stem}, {detector}", "data_file": str(path),
               "detector": detector, "numpy_seed": seed, "tf_seed": seed}
    return {**setting, **QUICK} if quick else setting


def classical_rows(path: Path, seed: int, detectors, quick: bool) -> list[dict]:
    """One row per classical detector: fitted on the gandi split's training normals (scaled as
    gandi scales them), AUC on its test rows."""
    from gandi.detectors.classical import CLASSICAL
    from gandi.data import load_splits
    from gandi.tracking.metrics import roc_auc
    from gandi.settings.validation import validate
    setting = validate(table_setting(path, "discriminator", seed, quick), label=path.stem)
    data = load_splits(setting, np.random.default_rng(seed))
    rows = []
    for name in detectors:
        started = clock()
        scores = CLASSICAL[name](seed=seed).fit(data.train).score(data.test_x)
        rows.append({"dataset": path.stem, "detector": name, "family": "classical",
                     "seed": seed, "auc": roc_auc(data.test_y, scores), "f1": np.nan,
                     "oracle_best_auc": np.nan, "signature": "",
                     **spent(started)})
    return rows


def gandi_rows(path: Path, detector: str, seed: int, quick: bool, log_dir) -> list[dict]:
    """A gandi run's rows: the detector at its label-free sweet spot and, when the run made one,
    its checkpoint ensemble (no training curve: no oracle)."""
    from gandi.experiment import run_setting
    from gandi.settings.validation import validate
    label = re.sub(r"\W+", "_", path.stem)  # the run's setting id, as for a --setting-file
    started = clock()
    setting = validate(table_setting(path, detector, seed, quick), label)
    results = run_setting(label, setting, log_dir, progress=False)
    row = result_row(results, detector, None, spent(started), setting)
    row.pop("class")
    rows = [{**row, "dataset": path.stem, "family": "gandi"}]
    ensemble = [r for r in final_rows(results) if r["detector"].endswith(CHECKPOINT_ENSEMBLE)]
    if ensemble:
        rows.append({**rows[0], "detector": f"{detector} {CHECKPOINT_ENSEMBLE}",
                     "auc": float(ensemble[0]["auc"]), "f1": float(ensemble[0]["f1"]),
                     "oracle_best_auc": np.nan})
    return rows


def detector_ensemble_rows(path: Path, seed: int, quick: bool, cells: pd.DataFrame,
                           log_dir, detectors) -> list[dict]:
    """The detector ensembles of a table and seed, from the gandi runs of `detectors` (two or
    more; each run's sweet-spot detector scored again from its exported networks on the same
    split): `gandi ensemble (all)`, every one of them; with four or more, `gandi ensemble
    (top 3)`, the three whose label-free criterion at their sweet spot is highest. Members are
    standardised on the validation normals and averaged (`gandi.tracking.selection`)."""
    from gandi.data import load_splits
    from gandi.tracking.metrics import detection_metrics, roc_auc
    from gandi.outputs.results import load_results
    from gandi.score.exported import load_exported
    from gandi.tracking.selection import ensemble_scores
    from gandi.settings.validation import validate
    from gandi.tracking.thresholds import validation_threshold
    mine = cells[(cells["dataset"] == path.stem) & (cells["seed"].astype(int) == seed)
                 & cells["detector"].isin(detectors)]
    if len(detectors) < 2 or set(mine["detector"]) != set(detectors):
        return []  # an ensemble of every detector needs every detector's run
    started = clock()
    setting = validate(table_setting(path, "discriminator", seed, quick), label=path.stem)
    data = load_splits(setting, np.random.default_rng(seed))
    members = {}
    for detector, signature in zip(mine["detector"], mine["signature"]):
        exported = load_exported(signature, log_dir)
        criterion = load_results(exported.run.results_file)["sweet_spot"]["criterion_value"]
        members[detector] = (criterion, exported.score(data.validation),
                             exported.score(data.test_x))
    top = sorted(members, key=lambda d: members[d][0], reverse=True)[:3]
    rows = []
    kinds = [(f"{DETECTOR_ENSEMBLE} (all)", list(members))]
    if len(members) > 3:
        kinds.append((f"{DETECTOR_ENSEMBLE} (top 3)", top))
    for name, chosen in kinds:
        validation, test, _ = ensemble_scores([members[d][1:] for d in chosen])
        threshold = validation_threshold(validation, setting["threshold_percentile"])
        rows.append({"dataset": path.stem, "detector": name, "family": "gandi", "seed": seed,
                     "auc": roc_auc(data.test_y, test),
                     "f1": detection_metrics(data.test_y, test, threshold)["f1"],
                     "oracle_best_auc": np.nan, "signature": " ".join(
                         mine.set_index("detector").loc[chosen, "signature"]),
                     **spent(started)})
    return rows


def markdown(cells: pd.DataFrame) -> str:
    """Mean ± std over seeds per table and detector, gandi's detectors first, then the classical
    ones; the mean over tables; and what the label-free choice costs each gandi detector."""
    sets = sorted(cells["dataset"].unique())
    order = (cells.assign(g=cells["family"] != "gandi")
             .drop_duplicates("detector").sort_values("g", kind="stable")["detector"].tolist())
    family = dict(zip(cells["detector"], cells["family"]))
    out = io.StringIO()
    seeds = cells.groupby(["dataset", "detector"])["seed"].nunique().max()
    out.write(f"# Tables (ODDS), semi-supervised: test AUC\n\nUp to {seeds} seed(s) per cell: "
              "mean ± std (n = seeds). gandi's detectors: the step chosen without test labels. "
              "Classical detectors: fitted on the same training normals with the same scaling "
              "(`gandi.detectors.classical`).\n\n")
    # a detector per row (gandi's, with their ensembles, then the classical ones), a table per
    # column, then the mean over the tables every detector ran on
    per_set = cells.groupby(["dataset", "detector"])["auc"].mean().unstack()
    complete = per_set[order].dropna()
    header = ["detector", "family"] + sets + ["mean"]
    out.write("| " + " | ".join(header) + " |\n|" + " --- |" * len(header) + "\n")
    for d in order:
        row = [d, family[d]] + [
            mean_std(cells[(cells["dataset"] == s) & (cells["detector"] == d)]["auc"], show_n=True)
            for s in sets] + [f"{complete[d].mean():.3f}"]
        out.write("| " + " | ".join(row) + " |\n")
    gandi = cells[cells["family"] == "gandi"]
    curves = gandi[gandi["oracle_best_auc"].notna()]  # an ensemble has no training curve
    if len(curves):
        cost = (curves["oracle_best_auc"] - curves["auc"]).groupby(curves["detector"]).mean()
        out.write("\nWhat the label-free choice costs (mean over cells of the oracle-best test "
                  "AUC, chosen WITH test labels, minus the AUC at the chosen step): "
                  + ", ".join(f"{d} {c:.3f}" for d, c in cost.items()) + ".\n")
        out.write(ensemble_lines(complete))
        best_classical = complete[[d for d in order if family[d] == "classical"]].mean()
        best_gandi = complete[[d for d in order if family[d] == "gandi"]].mean()
        if len(best_classical) and len(best_gandi):
            g, c = best_gandi.idxmax(), best_classical.idxmax()
            out.write(f"\nBest gandi detector {g} {best_gandi[g]:.3f} against the best classical "
                      f"{c} {best_classical[c]:.3f} (mean over {len(complete)} tables): "
                      f"{best_gandi[g] - best_classical[c]:+.3f}.\n")
    return out.getvalue()


def ensemble_lines(per_set: pd.DataFrame) -> str:
    """Each ensemble against its best member (mean AUC over the tables, columns = detectors):
    a checkpoint ensemble against its detector, a detector ensemble against the best single
    gandi detector."""
    means = per_set.mean()
    singles = [d for d in GANDI_DETECTORS if d in means]
    lines = []
    for name in [d for d in means.index if CHECKPOINT_ENSEMBLE in d]:
        member = name.replace(f" {CHECKPOINT_ENSEMBLE}", "")
        if member in means:
            lines.append(f"{name} {means[name]:.3f} vs {member} {means[member]:.3f} "
                         f"({means[name] - means[member]:+.3f})")
    best = max(singles, key=lambda d: means[d]) if singles else None
    for name in [d for d in means.index if d.startswith(DETECTOR_ENSEMBLE)]:
        if best:
            lines.append(f"{name} {means[name]:.3f} vs the best single detector {best} "
                         f"{means[best]:.3f} ({means[name] - means[best]:+.3f})")
    return ("\nEnsembles against their best member (mean AUC over the tables): "
            + "; ".join(lines) + ".\n") if lines else ""


def run(args, out: Path) -> int:
    """The tabular benchmark's part of `python -m gandi.benchmark`; returns the exit status."""
    from gandi.detectors.classical import CLASSICAL
    folder = tables_dir(args.data_dir)
    sets = args.sets or list(TABLE_SETS)
    wanted = list(GANDI_DETECTORS) + list(CLASSICAL) if args.detectors == ["all"] else args.detectors
    unknown = [d for d in wanted if d not in GANDI_DETECTORS and d not in CLASSICAL]
    missing = [s for s in sets if not (folder / f"{s}.npz").is_file()]
    if unknown or missing:
        raise BenchmarkError(
            f"--detectors: {', '.join(unknown)} not a tabular detector; available: "
            f"{', '.join(GANDI_DETECTORS + tuple(CLASSICAL))}" if unknown else
            f"no {', '.join(f'{s}.npz' for s in missing)} in {folder} (set --data-dir or "
            f"GANDI_DATA_DIR to the folder that holds tabular/)")
    seeds = range(args.seeds if args.seeds is not None else (1 if args.quick else 3))
    csv_path, md_path = out / "tabular.csv", out / "tabular.md"
    cells = read_cells(csv_path, COLUMNS)
    done = set(zip(cells["dataset"], cells["detector"], cells["seed"].astype(int)))
    # a gandi cell is one run; a table's classical detectors share one split, so they are one
    # item per (table, seed): the detectors of it not yet in the CSV
    todo = []
    for name in sets:
        for seed in seeds:
            todo += [(name, seed, [d]) for d in wanted
                     if d in GANDI_DETECTORS and (name, d, seed) not in done]
            classical = [d for d in wanted if d in CLASSICAL and (name, d, seed) not in done]
            todo += [(name, seed, classical)] if classical else []
    print(f"{len(todo)} item(s) to run (a gandi run, or a table's classical detectors), "
          f"{len(done)} cell(s) already finished in {csv_path}", flush=True)

    def run_item(item) -> list[dict]:
        name, seed, detectors = item
        path = folder / f"{name}.npz"
        return (classical_rows(path, seed, detectors, args.quick) if detectors[0] in CLASSICAL
                else gandi_rows(path, detectors[0], seed, args.quick, args.log_dir))

    cells = run_items(todo, run_item, cells, csv_path, COLUMNS,
                      lambda item, row: f"{item[0]} {row['detector']} seed {item[1]}")
    if cells is None:
        return 2
    # the detector ensembles of each table and seed whose gandi runs are all there
    done = set(zip(cells["dataset"], cells["detector"], cells["seed"].astype(int)))
    members = [d for d in wanted if d in GANDI_DETECTORS]
    if len(members) > 1:
        for name in sets:
            for seed in seeds:
                if (name, f"{DETECTOR_ENSEMBLE} (all)", seed) in done:
                    continue
                rows = detector_ensemble_rows(folder / f"{name}.npz", seed, args.quick, cells,
                                              args.log_dir, members)
                if rows:
                    cells = pd.concat([cells, pd.DataFrame(rows)], ignore_index=True)
                    write_atomic(csv_path, cells[COLUMNS].to_csv(index=False))
                for r in rows:
                    print(f"{name} {r['detector']} seed {seed}: AUC {r['auc']:.3f}", flush=True)
    shown = cells[cells["dataset"].isin(sets) & (cells["detector"].isin(wanted)
                                                  | cells["detector"].str.contains("ensemble"))]
    write_atomic(md_path, markdown(shown))
    print(f"wrote {csv_path} and {md_path}")
    return 0
