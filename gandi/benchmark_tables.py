"""The tabular benchmark: gandi's vector detectors and the classical ones on the ODDS tables.

    python -m gandi.benchmark --dataset tabular [--sets NAME ...] [--detectors NAME ...]
        [--seeds 3] [--quick] [--data-dir DIR]

Each table (`<name>.npz` with `x` and `y`, 1 = anomaly) is split the semi-supervised way by
gandi's table reader with the cell's seed: `test_fraction` of the normal rows and every anomalous
row are the test set, `validation_fraction` of the other normals are held out (thresholds, the
label-free sweet spot), the rest are the training normals; features are scaled on the training
normals. A gandi cell is an ordinary run of that setting (a run folder under `--log-dir`). The
classical detectors (`gandi.classical`) are fitted on **the same training normals, scaled the
same way** (the run's own split, drawn again from the seed) and score the same test rows.

Rows of `<out>/tabular.csv`: dataset, detector, family (`gandi` or `classical`), seed, auc, f1
(gandi's, at its label-free threshold; empty for classical rows), oracle_best_auc (the best test
AUC over training, which uses test labels: only reported; empty for a classical detector, which
has no training curve), signature (the gandi run), seconds. Finished cells are skipped, so an
interrupted benchmark resumes. `<out>/tabular.md` has the tables.
"""
from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

TABLE_SETS = ("annthyroid", "ionosphere", "letter", "mammography", "musk", "pendigits",
              "satimage-2", "shuttle")
GANDI_DETECTORS = ("discriminator", "autoencoder", "vae", "aae", "ganomaly", "egbad")
COLUMNS = ["dataset", "detector", "family", "seed", "auc", "f1", "oracle_best_auc", "signature",
           "seconds"]
# one setting for every table, as a user without labelled anomalies would choose it: gandi's
# defaults (MLPs, latent 8, Adam 2e-4) with a training length that fits a 2-core benchmark
TABLE_SETTING = {"dataset": "table", "label_column": "y_0", "steps": 2000, "track_every": 100,
                 "checkpoint_every": 2000, "n_generated": 1000}
QUICK = {"steps": 60, "track_every": 20, "checkpoint_every": 60, "n_generated": 200}


def tables_dir(data_dir: str | None) -> Path:
    """--data-dir, else $GANDI_DATA_DIR/tabular, else ../shared/data/tabular beside the repo."""
    if data_dir:
        return Path(data_dir)
    from gandi.data.images import ENV_DATA_DIR
    root = Path(__file__).resolve().parents[1]
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) / "tabular" if env else root.parent / "shared" / "data" / "tabular"


def table_setting(path: Path, detector: str, seed: int, quick: bool) -> dict:
    setting = {**TABLE_SETTING, "name": f"{path.stem}, {detector}", "data_file": str(path),
               "detector": detector, "numpy_seed": seed, "tf_seed": seed}
    return {**setting, **QUICK} if quick else setting


def classical_rows(path: Path, seed: int, detectors, quick: bool) -> list[dict]:
    """One row per classical detector: fitted on the gandi split's training normals (scaled as
    gandi scales them), AUC on its test rows."""
    from gandi.classical import CLASSICAL
    from gandi.data import load_splits
    from gandi.metrics import roc_auc
    from gandi.settings import validate
    setting = validate(table_setting(path, "discriminator", seed, quick), label=path.stem)
    data = load_splits(setting, np.random.default_rng(seed))
    rows = []
    for name in detectors:
        started = time.time()
        scores = CLASSICAL[name](seed=seed).fit(data.train).score(data.test_x)
        rows.append({"dataset": path.stem, "detector": name, "family": "classical",
                     "seed": seed, "auc": roc_auc(data.test_y, scores), "f1": np.nan,
                     "oracle_best_auc": np.nan, "signature": "",
                     "seconds": round(time.time() - started, 2)})
    return rows


def gandi_row(path: Path, detector: str, seed: int, quick: bool, log_dir) -> dict:
    from gandi.benchmark import run_cell
    label = re.sub(r"\W+", "_", path.stem)  # the run's setting id, as for a --setting-file
    row = run_cell(detector, None, label, table_setting(path, detector, seed, quick), log_dir)
    row.pop("class")
    return {**row, "dataset": path.stem, "family": "gandi"}


def markdown(cells: pd.DataFrame) -> str:
    """Mean ± std over seeds per table and detector, gandi's detectors first, then the classical
    ones; the mean over tables; and what the label-free choice costs each gandi detector."""
    from gandi.benchmark import _mean_std
    sets = sorted(cells["dataset"].unique())
    order = (cells.assign(g=cells["family"] != "gandi")
             .drop_duplicates("detector").sort_values("g", kind="stable")["detector"].tolist())
    family = dict(zip(cells["detector"], cells["family"]))
    out = io.StringIO()
    seeds = cells.groupby(["dataset", "detector"])["seed"].nunique().max()
    out.write(f"# Tables (ODDS), semi-supervised: test AUC\n\nUp to {seeds} seed(s) per cell: "
              "mean ± std (n = seeds). gandi's detectors: the step chosen without test labels. "
              "Classical detectors: fitted on the same training normals with the same scaling "
              "(`gandi.classical`).\n\n")
    header = ["table"] + [f"{d} ({family[d]})" for d in order]
    out.write("| " + " | ".join(header) + " |\n|" + " --- |" * len(header) + "\n")
    per_set = cells.groupby(["dataset", "detector"])["auc"].mean().unstack()
    for s in sets:
        row = [s] + [_mean_std(cells[(cells["dataset"] == s) & (cells["detector"] == d)]["auc"])
                     for d in order]
        out.write("| " + " | ".join(row) + " |\n")
    complete = per_set[order].dropna()  # the mean over the tables every detector ran on
    out.write("| mean | " + " | ".join(f"{complete[d].mean():.3f}" for d in order) + " |\n")
    gandi = cells[cells["family"] == "gandi"]
    if len(gandi):
        cost = (gandi["oracle_best_auc"] - gandi["auc"]).groupby(gandi["detector"]).mean()
        out.write("\nWhat the label-free choice costs (mean over cells of the oracle-best test "
                  "AUC, chosen WITH test labels, minus the AUC at the chosen step): "
                  + ", ".join(f"{d} {c:.3f}" for d, c in cost.items()) + ".\n")
        best_classical = complete[[d for d in order if family[d] == "classical"]].mean()
        best_gandi = complete[[d for d in order if family[d] == "gandi"]].mean()
        if len(best_classical) and len(best_gandi):
            g, c = best_gandi.idxmax(), best_classical.idxmax()
            out.write(f"\nBest gandi detector {g} {best_gandi[g]:.3f} against the best classical "
                      f"{c} {best_classical[c]:.3f} (mean over {len(complete)} tables): "
                      f"{best_gandi[g] - best_classical[c]:+.3f}.\n")
    return out.getvalue()


def run(args, out: Path) -> int:
    """The tabular benchmark's part of `gandi.benchmark.main`; returns the exit status."""
    from gandi.benchmark import BenchmarkError, read_cells, write_atomic
    from gandi.classical import CLASSICAL
    from gandi.data.errors import DataError
    from gandi.settings import SettingError
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
    for i, (name, seed, detectors) in enumerate(todo, 1):
        path = folder / f"{name}.npz"
        try:
            rows = (classical_rows(path, seed, detectors, args.quick)
                    if detectors[0] in CLASSICAL else
                    [gandi_row(path, detectors[0], seed, args.quick, args.log_dir)])
        except (SettingError, DataError) as err:
            print(f"gandi.benchmark: error: {err}", file=sys.stderr)
            return 2
        cells = pd.concat([cells, pd.DataFrame(rows)], ignore_index=True)
        write_atomic(csv_path, cells[COLUMNS].to_csv(index=False))  # resumable after each item
        for r in rows:
            print(f"[{i}/{len(todo)}] {name} {r['detector']} seed {seed}: AUC {r['auc']:.3f} "
                  f"({r['seconds']} s)", flush=True)
    shown = cells[cells["dataset"].isin(sets) & cells["detector"].isin(wanted)]
    write_atomic(md_path, markdown(shown))
    print(f"wrote {csv_path} and {md_path}")
    return 0
