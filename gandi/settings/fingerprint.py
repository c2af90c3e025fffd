"""A setting's fingerprint: which rows of a benchmark table were made by the same method.

A benchmark row (a cell: a detector on one class or table, one seed) keeps the hash of the
validated setting that made it. The cell's own coordinates (its class, seeds, the data's path on
the machine that ran it, its display name) are left out, and so are the keys its detector does
not read (the key table's "read by": a new default of the autoencoder's score is no change of
the discriminator's setting): two cells of one grid share the hash, and a change of anything
else the detector reads (a default, a learning rate, the number of steps) gives a new hash, so
the benchmark re-runs exactly the cells whose setting changed and its tables leave out (and
list) the rows a previous setting made.
"""
from __future__ import annotations

import hashlib
import json

# what places a cell in the grid or on a machine, not what the method does
CELL_KEYS = frozenset({"name", "numpy_seed", "tf_seed", "normal_class", "anomaly_class",
                       "data_dir", "data_file", "image_dir",
                       # what the playground does after the run: the run is the same
                       "ensemble_members", "ensemble_top"})

# Keys added after benchmark rows were made, each with the value that does what gandi did before
# the key existed: at that value a key is left out of the hash, so adding a key (with such a
# default) re-runs no cell. A key belongs here only from the day it is added: keys already in
# the hashes of committed rows stay in them (taking one out would make those rows stale).
NEUTRAL: dict = {"g_fake": "fresh", "stop_patience": 0, "discriminator_knn_score": "distance",
                 "reference_bank_size": 2048, "track_validation_limit": None,
                 "track_bank_limit": None}


def setting_hash(setting: dict) -> str:
    """12 hex digits of SHA-256 over the keys and values its detector reads, but the cell's
    (sorted; tuples and lists alike, as JSON has them)."""
    from gandi.settings.keys import KEYS
    detector = setting.get("detector")

    def read(key) -> bool:  # unknown keys count: nothing says they do not matter
        spec = KEYS.get(key)
        return spec is None or spec.detectors is None or detector in spec.detectors

    method = {str(k): v for k, v in setting.items() if k not in CELL_KEYS and read(k)
              and not (k in NEUTRAL and v == NEUTRAL[k])}
    text = json.dumps(method, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# Where a run's files lie, which the data fingerprint (gandi.settings.validation.data_record)
# already tells apart: a gandi.Detector fit writes its data to a new folder every time, so with
# them every fit would be a setting of its own. Benchmark rows keep them (a row's hash is
# setting_hash, unchanged), runs' own hashes leave them out.
RUN_DATA_PATHS = frozenset({"train_file", "test_file"})


def run_setting_hash(setting: dict) -> str:
    """The hash a run records beside its setting (setting.json): gandi.report averages runs of
    one setting id only if they share it (another step count or learning rate is another
    setting, however the id names it). setting_hash without RUN_DATA_PATHS."""
    return setting_hash({k: v for k, v in setting.items() if k not in RUN_DATA_PATHS})
