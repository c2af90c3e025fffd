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

Rows of `<out>/tabular.csv`: dataset, detector, family (`gandi`, `classical`, or `hybrid`: the
`hybrid ensemble (top 5)` of gandi's runs and the classical detectors, gandi.Ensemble's choice),
seed, auc, f1 (gandi's and the ensembles', at their label-free threshold; empty for classical rows), oracle_best_auc (the best test
AUC over training, which uses test labels: only reported; empty for a classical detector, which
has no training curve), signature (the gandi run), seconds and cpu_seconds (wall, and the
process's CPU time: comparable when the machine did other work too), setting_hash (a gandi
row's validated setting, `gandi.settings.fingerprint`). Finished cells are skipped, so an
interrupted benchmark resumes; a row made by another setting of its detector (its hash) is
run again. `<out>/tabular.md` has the tables (`table_report`).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.run_rows import clock, final_rows, result_row, spent
from gandi.studies.benchmark.cells import (QUICK_NOTE, BenchmarkError, announce, cell_keys,
                                          read_cells, run_items, stale_rows, without_replaced,
                                          write_atomic)
from gandi.studies.benchmark.table_cells import (CHECKPOINT_ENSEMBLE, COLUMNS,
                                                DETECTOR_ENSEMBLE, ENSEMBLES, GANDI_DETECTORS,
                                                HYBRID_ENSEMBLE, TABLE_SETS, table_setting,
                                                tables_dir)
from gandi.studies.benchmark.table_report import (current_hashes, fresh_rows, markdown,
                                                  stale_table_rows)

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
                           log_dir, detectors, classical=()) -> list[dict]:
    """The ensembles of a table and seed over the gandi runs of `detectors` (each run's
    sweet-spot detector scored again from its exported networks on the same split), members
    standardised on the validation normals and averaged (`gandi.tracking.selection`):
    `gandi ensemble (all)`, every one of them (two or more); with four or more, `gandi ensemble
    (top 3)`, the three whose label-free criterion at their sweet spot is highest; with
    `classical` detectors, `hybrid ensemble (top 5)`: the runs and those detectors as
    gandi.Ensemble chooses (`Ensemble.choose`: the same criterion, one code path)."""
    from gandi.data import load_splits
    from gandi.tracking.metrics import detection_metrics, roc_auc
    from gandi.outputs.results import load_results
    from gandi.score.exported import load_exported
    from gandi.tracking.selection import ensemble_scores
    from gandi.settings.validation import validate
    from gandi.tracking.thresholds import validation_threshold
    mine = cells[(cells["dataset"] == path.stem) & (cells["seed"].astype(int) == seed)
                 & cells["detector"].isin(detectors)]
    if not detectors or set(mine["detector"]) != set(detectors):
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
    kinds = [(f"{DETECTOR_ENSEMBLE} (all)", list(members))] if len(members) > 1 else []
    if len(members) > 3:
        kinds.append((f"{DETECTOR_ENSEMBLE} (top 3)", top))
    place = {"dataset": path.stem, "seed": seed, "oracle_best_auc": np.nan}
    rows = []
    for name, chosen in kinds:
        validation, test, _ = ensemble_scores([members[d][1:] for d in chosen])
        threshold = validation_threshold(validation, setting["threshold_percentile"])
        rows.append({**place, "detector": name, "family": "gandi",
                     "auc": roc_auc(data.test_y, test),
                     "f1": detection_metrics(data.test_y, test, threshold)["f1"],
                     "signature": " ".join(mine.set_index("detector").loc[chosen, "signature"]),
                     **spent(started)})
    if classical:
        started = clock()
        ensemble = hybrid_ensemble(mine, classical, seed, log_dir)
        rows.append({**place, "detector": hybrid_name(), "family": "hybrid",
                     "auc": float(ensemble.report_.set_index("member").loc["ensemble", "auc"]),
                     "f1": detection_metrics(data.test_y, ensemble.test_scores_,
                                             ensemble.threshold_)["f1"],
                     "signature": " ".join(mine["signature"]), **spent(started)})
    return rows


def hybrid_name() -> str:
    from gandi.ensemble import DEFAULT_TOP
    return f"{HYBRID_ENSEMBLE} (top {DEFAULT_TOP})"


def hybrid_ensemble(runs: pd.DataFrame, classical, seed: int, log_dir):
    """gandi.Ensemble over the benchmark's gandi runs of a table and seed (rows of `runs`) and
    fresh `classical` detectors, fitted on the runs' split and chosen without labels."""
    from gandi.ensemble import Ensemble
    from gandi.estimator import load
    ensemble = Ensemble(seed=seed, log_dir=str(log_dir), verbose=0)
    candidates = {d: load(sig, log_dir, verbose=0)
                  for d, sig in zip(runs["detector"], runs["signature"])}
    candidates.update({name: ensemble.classical(name) for name in classical})
    return ensemble.choose(candidates, labelled=True)


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
    # a row made by another setting than its cell's current one is run again; the detector
    # ensembles over a stale run go (made again below from the new runs)
    places = pd.DataFrame({"dataset": [n for n in sets for _ in seeds],
                           "seed": [s for _ in sets for s in seeds]})
    current = current_hashes(places, args.quick)
    stale = stale_table_rows(cells, current)
    cells = cells[~(stale & cells["detector"].str.startswith(ENSEMBLES))]
    stale = stale_rows(cells, current, "dataset")
    done = set(cell_keys(cells[~stale], "dataset"))
    # a gandi cell is one run; a table's classical detectors share one split, so they are one
    # item per (table, seed): the detectors of it not yet in the CSV
    todo = []
    for name in sets:
        for seed in seeds:
            todo += [(name, seed, [d]) for d in wanted
                     if d in GANDI_DETECTORS and (d, name, seed) not in done]
            classical = [d for d in wanted if d in CLASSICAL and (d, name, seed) not in done]
            todo += [(name, seed, classical)] if classical else []
    announce([(d, f"on {name} seed {seed}") for name, seed, d in todo], cells, len(done),
             csv_path, "table", args.dry_run, stale)
    if args.dry_run:
        return 0

    def run_item(item) -> list[dict]:
        name, seed, detectors = item
        path = folder / f"{name}.npz"
        return (classical_rows(path, seed, detectors, args.quick) if detectors[0] in CLASSICAL
                else gandi_rows(path, detectors[0], seed, args.quick, args.log_dir))

    cells = run_items(todo, run_item, cells, csv_path, COLUMNS,
                      lambda item, row: f"{item[0]} {row['detector']} seed {item[1]}")
    if cells is None:
        return 2
    cells = without_replaced(cells, current, "dataset")
    write_atomic(csv_path, cells[COLUMNS].to_csv(index=False))
    # the ensembles of each table and seed whose gandi runs are all there and current
    done = set(cell_keys(cells, "dataset"))
    members = [d for d in wanted if d in GANDI_DETECTORS]
    classical = [d for d in wanted if d in CLASSICAL]
    expected = ([f"{DETECTOR_ENSEMBLE} (all)"] if len(members) > 1 else []) + (
        [hybrid_name()] if members and classical else [])
    if expected:
        fresh = cells[~stale_rows(cells, current, "dataset")]  # the members an ensemble takes
        for name in sets:
            for seed in seeds:
                if all((e, name, seed) in done for e in expected):
                    continue
                rows = [r for r in detector_ensemble_rows(
                            folder / f"{name}.npz", seed, args.quick, fresh, args.log_dir,
                            members, classical if hybrid_name() in expected else ())
                        if (r["detector"], name, seed) not in done]
                if rows:
                    cells = pd.concat([cells, pd.DataFrame(rows)], ignore_index=True)
                    write_atomic(csv_path, cells[COLUMNS].to_csv(index=False))
                for r in rows:
                    print(f"{name} {r['detector']} seed {seed}: AUC {r['auc']:.3f}", flush=True)
    shown = cells[cells["dataset"].isin(sets) & (cells["detector"].isin(wanted)
                                                  | cells["detector"].str.contains("ensemble"))]
    shown, left_out = fresh_rows(shown, args.quick)
    write_atomic(md_path, (QUICK_NOTE if args.quick else "") + markdown(shown) + left_out)
    print(f"wrote {csv_path} and {md_path}")
    return 0
