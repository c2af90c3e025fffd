"""The data of a run, from a setting: SciPy distributions, one-class image datasets, or the
user's own table or image folder."""
from __future__ import annotations

import numpy as np

from gandi.data.splits import DataSplits, distribution_splits


def load_splits(setting: dict, rng: np.random.Generator) -> DataSplits:
    if setting["dataset"] == "distribution":
        return distribution_splits(setting, rng)
    if setting["dataset"] == "table":
        from gandi.data.tables import table_splits
        return table_splits(setting, rng)
    if setting["dataset"] == "folder":
        from gandi.data.image_folders import folder_splits
        return folder_splits(setting, rng)
    from gandi.data.images import one_class_splits
    splits = one_class_splits(setting, rng)
    if setting["normal_class"] is not None:
        protocol = f"normal class {setting['normal_class']}, every other class is an anomaly"
    else:
        protocol = f"all classes but {setting['anomaly_class']} are normal, it is the anomaly"
    splits.description = f"{setting['dataset']}: {protocol}; {splits.description}"
    return splits
