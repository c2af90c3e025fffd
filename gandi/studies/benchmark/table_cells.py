"""What a cell of the tabular benchmark is: the ODDS tables, gandi's vector detectors, the names
of the ensemble rows, the CSV's columns, where the tables are, and the setting a cell runs
(shared by the benchmark, its report and the scripts in benchmarks/)."""
from __future__ import annotations

import os
from pathlib import Path

from gandi.settings.shipped import TABLE_SETTING

TABLE_SETS = ("annthyroid", "ionosphere", "letter", "mammography", "musk", "pendigits",
              "satimage-2", "shuttle")
GANDI_DETECTORS = ("discriminator", "autoencoder", "vae", "aae", "ganomaly", "egbad", "fencegan",
                   "so_gaal", "mo_gaal", "discriminator_knn")
CHECKPOINT_ENSEMBLE = "checkpoint ensemble"  # a gandi run's row: "<detector> checkpoint ensemble"
DETECTOR_ENSEMBLE = "gandi ensemble"  # the rows of several detectors' runs on one split
# gandi's runs and the classical detectors of a table and seed, chosen as gandi.Ensemble chooses
HYBRID_ENSEMBLE = "hybrid ensemble"
ENSEMBLES = (DETECTOR_ENSEMBLE, HYBRID_ENSEMBLE)  # the rows over several runs of one split
COLUMNS = ["dataset", "detector", "family", "seed", "auc", "f1", "oracle_best_auc", "signature",
           "seconds", "cpu_seconds", "setting_hash"]
QUICK = {"steps": 60, "track_every": 20, "checkpoint_every": 60, "n_generated": 200}


def tables_dir(data_dir: str | None) -> Path:
    """--data-dir, else $GANDI_DATA_DIR/tabular, else ../shared/data/tabular beside the repo."""
    if data_dir:
        return Path(data_dir)
    from gandi.data.images import ENV_DATA_DIR
    root = Path(__file__).resolve().parents[3]  # the checkout: gandi/studies/benchmark/table_cells.py
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env) / "tabular" if env else root.parent / "shared" / "data" / "tabular"


def table_setting(path: Path, detector: str, seed: int, quick: bool) -> dict:
    setting = {**TABLE_SETTING, "name": f"{path.stem}, {detector}", "data_file": str(path),
               "detector": detector, "numpy_seed": seed, "tf_seed": seed}
    return {**setting, **QUICK} if quick else setting
