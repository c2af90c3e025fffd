"""The data a run sees: train normals, validation normals, and a labelled test set.

Label convention: 0 = normal, 1 = anomaly. Test labels are only ever used to report.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gandi.data.distributions import Distribution, make_anomaly, make_distribution


@dataclass
class DataSplits:
    train: np.ndarray            # normal samples the GAN trains on
    validation: np.ndarray       # held-out normals: thresholds and the sweet-spot criterion
    test_x: np.ndarray           # held-out normals followed by anomalies
    test_y: np.ndarray           # 0 normal, 1 anomaly (reporting only)
    normal: Distribution | None = None     # the truth, for the generator's goodness of fit
    anomaly: Distribution | None = None
    description: str = ""        # what is normal and what is anomalous, for logs
    transform: dict | None = None  # tables: the fitted TabularTransform.to_dict(), for scoring

    @property
    def sample_shape(self):
        return tuple(self.train.shape[1:])


def distribution_splits(setting: dict, rng: np.random.Generator) -> DataSplits:
    normal = make_distribution(setting["distribution"], setting["distribution_params"])
    anomaly = make_anomaly(setting["anomaly"], normal, setting["anomaly_params"])
    n_normal, n_anomaly = setting["n_test_normal"], setting["n_test_anomaly"]
    test_x = np.concatenate([normal.sample(n_normal, rng), anomaly.sample(n_anomaly, rng)])
    test_y = np.concatenate([np.zeros(n_normal, np.int64), np.ones(n_anomaly, np.int64)])
    return DataSplits(
        train=normal.sample(setting["n_train"], rng),
        validation=normal.sample(setting["n_validation"], rng),
        test_x=test_x, test_y=test_y, normal=normal, anomaly=anomaly,
        description=f"normal: {normal.name}; anomaly: {anomaly.name}")
