"""What every tracked step is measured against, drawn once when a run starts: the label-free
references (uniform noise in the data's box, corrupted validation normals), the curve's samples
of the test set and of the validation normals, and the steps whose generated samples are kept as
snapshots.

The draws are the run's: their order in the random streams is part of what a seed means (a
resumed run draws them again and must get the same arrays)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gandi.data.corruptions import corrupt
from gandi.data.distributions import data_box
from gandi.tracking.evaluation import curve_sample
from gandi.tracking.selection import tie_tolerance

# which references each sweet-spot criterion scores (on images; vectors score both)
CRITERION_USES = {"val_vs_uniform": {"uniform"}, "val_vs_corrupted": {"corrupted"},
                  "val_vs_synthetic": {"uniform", "corrupted"}}


@dataclass(frozen=True)
class References:
    uniform: np.ndarray | None    # uniform noise in the training data's box; None: not scored
    corrupted: np.ndarray | None  # one corrupted copy of each validation normal; None: idem
    curve: np.ndarray             # sorted indices of the test samples scored at every step
    curve_x: np.ndarray
    curve_y: np.ndarray
    validation: np.ndarray        # the validation normals scored at every step (all, or a sample)
    snapshot_steps: frozenset     # tracked steps whose generated samples are kept
    tie_tolerance: float          # the sweet-spot rule's, for that many validation normals


def draw_references(setting: dict, data) -> References:
    rng = np.random.default_rng(setting["numpy_seed"] + 1)
    low, high = data_box(data.train)  # per feature (per pixel for images)
    uniform = rng.uniform(low, high, size=data.validation.shape).astype(np.float32)
    # drawn in every run (the corrupted reference comes next from the same stream); scored
    # on images only as the criterion: noise is told from digits from the first steps on,
    # so its AUC sits at 1.0 and costs a fifth of each evaluation for nothing. On vectors
    # both references are scored (cheap there): each criterion's curve is in the results.
    images = data.validation.ndim > 2
    uses = CRITERION_USES.get(setting["sweet_spot_criterion"], set())
    uniform = uniform if "uniform" in uses or not images else None
    corrupted = (corrupt(data.validation, rng) if "corrupted" in uses or not images else None)
    # the test samples of the curve (its own seed: the data and references stay as drawn)
    curve = curve_sample(data.test_y, setting["track_test_limit"], setting["numpy_seed"] + 2)
    # the validation normals of every step (a seed of their own again): the references above
    # were drawn for all of them, so a sample keeps each normal's own corrupted copy
    kept = curve_sample(np.zeros(len(data.validation)), setting["track_validation_limit"],
                        setting["numpy_seed"] + 3)  # all normals: a plain random sample
    validation = data.validation
    if len(kept) < len(validation):
        uniform = None if uniform is None else uniform[kept]
        corrupted = None if corrupted is None else corrupted[kept]
        validation = validation[kept]
    return References(uniform, corrupted, curve, data.test_x[curve], data.test_y[curve],
                      validation, snapshot_steps(setting), tie_tolerance(len(validation)))


def snapshot_steps(setting: dict) -> frozenset:
    """`snapshots` of the tracked steps, spread evenly over them (step 0 first)."""
    every = setting["track_every"]
    tracked = sorted(set(range(0, setting["steps"] + 1, every)) | {setting["steps"]})
    picks = np.linspace(0, len(tracked) - 1, min(setting["snapshots"], len(tracked)))
    return frozenset(tracked[i] for i in picks.round().astype(int))
