"""The data a run sees: train normals, validation normals, and a labelled test set.

Label convention: 0 = normal, 1 = anomaly. Test labels are only ever used to report.

The semi-supervised split of the user's own data (a table's rows, a folder's images) lives here,
once, so that tables and image folders split the same way for the same seed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gandi.data.corruptions import corrupt
from gandi.data.distributions import Distribution, make_anomaly, make_distribution
from gandi.data.errors import DataError

# Normal data only (a table without anomalous rows, gandi.Detector.fit without eval_set): the test
# set that reports is a share of the normals held out, and as many corrupted copies of them as
# anomalies. A tenth, at most 1,000: enough for a steady AUC, few taken from training.
REPORT_SHARE, REPORT_LIMIT = 0.1, 1000
# what a run's test anomalies are (DataSplits.test_anomalies, results["test_anomalies"])
LABELLED, SYNTHETIC = "labelled", "synthetic"
SYNTHETIC_NOTE = "against synthetic anomalies (corrupted normals), not real ones"


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
    test_ids: list | None = None   # image folders: each test image's path (same order as test_x)
    test_anomalies: str = LABELLED  # SYNTHETIC: corrupted test normals, the data had no anomaly
    caveats: list = field(default_factory=list)  # what the data may make the results miss
    contents: str | None = None    # a hash of the files read (folders, tables: their data's name)

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


# ---------------------------------------------------------------------------------------------
# The user's own data: one labelled collection, or normals to train on and a labelled test set
# ---------------------------------------------------------------------------------------------

def split_counts(n: int, fractions: dict, source: str, unit: str = "row") -> dict:
    """Normals per part: each fraction of n (rounded), the rest for training; each at least 1."""
    counts = {part: int(round(fraction * n)) for part, fraction in fractions.items()}
    counts["training"] = n - sum(counts.values())
    if min(counts.values()) < 1:
        asked = ", ".join(f"{part} {fraction:g}" for part, fraction in fractions.items())
        raise DataError(f"{source}: {n} normal {unit}s are too few for the split ({asked}): "
                        f"training, {' and '.join(fractions)} normals need at least one {unit} "
                        f"each")
    return counts


def semi_supervised_split(y: np.ndarray, setting: dict, source: str, rng: np.random.Generator,
                          unit: str = "row") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) indices of one labelled collection, seeded by `rng`: the
    normals are shuffled, `test_fraction` of them and *every* anomaly form the test set
    (normals first), `validation_fraction` are validation normals, the rest are trained on."""
    normals, anomalies = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    counts = split_counts(len(normals), {"test": setting["test_fraction"],
                                         "validation": setting["validation_fraction"]},
                          source, unit)
    shuffled = rng.permutation(normals)
    n_test, n_validation = counts["test"], counts["validation"]
    return (shuffled[n_test + n_validation:], shuffled[n_test:n_test + n_validation],
            np.concatenate([shuffled[:n_test], anomalies]))


def holdout_split(n: int, setting: dict, source: str, rng: np.random.Generator,
                  unit: str = "row") -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices of n normals: `validation_fraction` held out by `rng`."""
    counts = split_counts(n, {"validation": setting["validation_fraction"]}, source, unit)
    shuffled = rng.permutation(n)
    return shuffled[counts["validation"]:], shuffled[:counts["validation"]]


# ---------------------------------------------------------------------------------------------
# Normal data only: a test set of held-out normals and synthetic anomalies made from them
# ---------------------------------------------------------------------------------------------

def report_size(n: int) -> int:
    """Test normals held out of n normals when the data hold no anomaly."""
    return min(REPORT_LIMIT, max(1, int(round(REPORT_SHARE * n))))


def report_holdout(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(the rest, the test normals): indices of n normals, the test ones drawn by `rng`."""
    order = rng.permutation(n)
    n_report = report_size(n)
    return order[n_report:], order[:n_report]


def with_synthetic_anomalies(normals: np.ndarray,
                             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(test x, test y): the test normals, then one corrupted copy of each as an anomaly."""
    return (np.concatenate([normals, corrupt(normals, rng)]),
            np.repeat(np.array([0, 1], np.int64), len(normals)))


def report_set(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """(training x, test x, test y) of normal samples x: held-out normals and as many synthetic
    anomalies made from them."""
    rest, report = report_holdout(len(x), rng)
    return (x[rest], *with_synthetic_anomalies(x[report], rng))
