"""The sweet spot: which tracked step's networks a run keeps, chosen WITHOUT test labels.

Sweet-spot criteria (setting `sweet_spot_criterion`), each an AUC computed at every tracked step
(`gandi.evaluation.tracked_row`, column `<criterion>_auc`):
- `val_vs_uniform` (default): AUC of telling validation normals from points drawn uniformly over
  the training data's bounding box widened by 50% each side (Tax & Duin's "artificial
  outliers"). It asks "does the detector score everything unlike the data as anomalous?"
  without any real anomaly.
- `val_vs_corrupted` (default on images): AUC of telling validation normals from corrupted copies
  of them (patches moved or erased, images overlaid or rotated; `gandi.data.corruptions`). On
  images uniform noise is rejected from the first steps on, so `val_vs_uniform` sits at 1.0;
  corrupted normals are near-normal, and a detector that starts to accept everything (an
  autoencoder that reconstructs any image, a discriminator the generator has beaten) accepts
  them too.
- `val_vs_generated`: AUC of telling validation normals from generated samples; high while the
  generator is poor, so it tends to pick early steps.

Values within one validation sample's worth (1 / number of validation normals) of the best so far
are ties, and ties go to the later step: an AUC cannot resolve finer, the criterion can saturate
(float noise near 1.0, 0.99985 after 1.0, must not pin an early step), and the later networks
have trained longer.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def tie_tolerance(n_validation: int) -> float:
    """One validation sample's worth of AUC: differences below it are ties."""
    return 1.0 / n_validation


def takes_the_sweet_spot(criteria: Sequence[float], tolerance: float) -> bool:
    """Whether the newest tracked step (the last of `criteria`, every tracked step's criterion
    so far in order) becomes the sweet spot: its criterion is finite and within `tolerance` of
    the best so far, itself included."""
    value = criteria[-1]
    if not np.isfinite(value):
        return False
    return value >= max(v for v in criteria if np.isfinite(v)) - tolerance


def sweet_spot_index(criteria: Sequence[float], tolerance: float) -> int | None:
    """The tracked step a whole curve of criteria ends with as its sweet spot (its index), or
    None when no criterion is finite: the Tracker's choice, replayed."""
    chosen = None
    for i in range(len(criteria)):
        if takes_the_sweet_spot(criteria[:i + 1], tolerance):
            chosen = i
    return chosen
