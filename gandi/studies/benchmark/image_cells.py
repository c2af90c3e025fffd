"""What a cell of an image benchmark is: each detector's setting on a data set, the setting a
(detector, class, seed) cell runs with (the protocol, the grid's cost cuts, --quick), and which
rows of a benchmark CSV that setting made (shared by the benchmark, the paper and the scripts in
benchmarks/)."""
from __future__ import annotations

import pandas as pd

from gandi.studies.benchmark.cells import BenchmarkError, cell_keys, stale_lines, stale_rows

# --quick: a smoke run. Without XLA: compiling takes longer than its 30 steps train (a quick
# MNIST discriminator cell 18.4 s with XLA, 13.7 s without; the autoencoder 7.3 s, 4.2 s)
QUICK = {"epochs": None, "steps": 30, "track_every": 10, "checkpoint_every": 30,
         "train_limit": 400, "test_limit": 300, "n_generated": 200, "anogan_iterations": 10,
         "anogan_batch": 300, "jit_compile": False}

# AnoGAN's latent search costs ~1 ms per image and iteration on 2 CPU cores (its settings' 50
# iterations: a minute for 1,000 images): in the grid it scores a stratified test subsample.
GRID = {"anogan": {"test_limit": 2000}}

# nine classes are normal: the local outlier factor in D's features compares with four times the
# training normals (`reference_bank_size`; benchmarks/bank_size.py rescored seed 0's runs against
# random training normals: 2,048 -> 8,192 lifts LOF by 0.04 over the digits measured, the
# distance by 0.03). Not more: its bank-to-bank distances grow with the square, and a cell costs
# ~3x (512 s of CPU against 175 s, class 0); not the distance's, which stays far below (0.84).
ANOMALY_CLASS = {"discriminator_lof": {"reference_bank_size": 8192}}


def detector_settings(dataset: str, wanted) -> dict:
    """{detector: (setting number, raw setting)}: each detector's first setting on `dataset`."""
    from gandi.settings.shipped import dataset_settings
    found = dataset_settings(dataset)
    if wanted != ["all"]:
        unknown = [d for d in wanted if d not in found]
        if unknown:
            from gandi.detectors.classical import CLASSICAL
            raise BenchmarkError(f"--detectors: no {dataset} setting for {', '.join(unknown)}; "
                                 f"available: {', '.join(found)}; classical: "
                                 f"{', '.join(CLASSICAL)}")
        found = {d: found[d] for d in wanted}
    return found


def cell_setting(raw: dict, protocol: str, cls: int, seed: int, quick: bool, data_dir=None,
                 detector=None):
    other = "anomaly_class" if protocol == "normal_class" else "normal_class"
    setting = {**raw, protocol: cls, other: None, "numpy_seed": seed, "tf_seed": seed}
    if protocol == "anomaly_class" and raw.get("epochs"):
        # nine classes are normal: nine times the images per epoch. The same images seen as
        # the one-class setting (an MNIST autoencoder cell: 320 s at its 10 epochs, ~35 s)
        setting["epochs"] = max(1, round(raw["epochs"] / 9))
    if protocol == "anomaly_class" and not quick:
        setting.update(ANOMALY_CLASS.get(detector, {}))
    if data_dir:
        setting["data_dir"] = data_dir
    return {**setting, **QUICK} if quick else {**setting, **GRID.get(detector, {})}


def current_hashes(dataset: str, protocol: str, keys, quick: bool = False,
                   data_dir=None) -> dict:
    """(detector, class, seed) -> the hash of the setting that cell runs with now, for each of
    `keys` whose detector has a setting on `dataset` (the others, classical ones included, are
    left out: nothing to compare their rows with)."""
    from gandi.settings.fingerprint import setting_hash
    from gandi.settings.validation import validate
    chosen = detector_settings(dataset, ["all"])
    return {(d, c, s): setting_hash(validate(cell_setting(
        chosen[d][1], protocol, c, s, quick, data_dir, d), str(chosen[d][0])))
        for d, c, s in keys if d in chosen}


def fresh_rows(cells: pd.DataFrame, dataset: str, protocol: str,
               quick: bool = False) -> tuple[pd.DataFrame, str]:
    """(the rows of the current settings, what a report says of the others): what the tables
    of the benchmark and the paper show."""
    keys = set(cell_keys(cells[cells["family"] != "classical"]))
    stale = stale_rows(cells, current_hashes(dataset, protocol, keys, quick))
    return cells[~stale], stale_lines(cells[stale], cells[~stale])


def rescorable(cells: pd.DataFrame) -> pd.DataFrame:
    """The gandi rows of `cells` whose run can be scored again from its export (not AnoGAN's
    latent search): the runs an ensemble over a grid can take."""
    from gandi.score.exported import NOT_SUPPORTED
    return cells[(cells["family"] == "gandi") & ~cells["detector"].isin(list(NOT_SUPPORTED))]


def ensemble_runs(cells: pd.DataFrame) -> dict:
    """(class, seed) -> the runs an ensemble of that cell is made of ("detector=signature ...",
    sorted; `rescorable`). `benchmarks/image_hybrid.py` keeps it beside each cell's scores, and
    a report shows an ensemble only while its runs are still the grid's."""
    return {(int(c), int(s)): " ".join(sorted(f"{d}={sig}" for d, sig in zip(
        group["detector"], group["signature"])))
        for (c, s), group in rescorable(cells).groupby(["class", "seed"])}
