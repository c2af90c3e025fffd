"""Label-free thresholds on anomaly scores (higher = more anomalous).

Both work when there is no anomaly at all to look at: they only see normal (or generated) data.
"""
import math

import numpy as np

from gandi.tracking.metrics import MetricError


def percentile_threshold(scores, percentile: float) -> float:
    """The `percentile`-th percentile of scores: e.g. 95 flags the top 5% of normal-like data."""
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if scores.size == 0 or not np.all(np.isfinite(scores)):
        raise MetricError("a threshold needs at least one finite score")
    return float(np.percentile(scores, percentile))


def validation_threshold(validation_scores, percentile: float) -> float:
    """Percentile of held-out *normal* validation scores."""
    return percentile_threshold(validation_scores, percentile)


def mc_threshold(generated_scores, percentile: float) -> float:
    """Monte-Carlo threshold: percentile of the scores of samples drawn from the generator."""
    return percentile_threshold(generated_scores, percentile)


def threshold_caveats(n_validation: int, percentile: float) -> list[str]:
    """A line when the validation threshold rests on too few normals to mean its percentile:
    below 100 / (100 - percentile) of them (20 at 95) no validation normal lies above it, and
    the share of new normals it flags is anyone's guess (a fit on 12 images held out 1 and
    flagged 55% of unseen normals; on 400, 36 held out, 6%)."""
    needed = math.ceil(100 / (100 - percentile))  # the setting keeps it below 100
    if n_validation >= needed:
        return []
    return [f"the threshold is the {percentile:g}th percentile of only {n_validation} "
            f"validation normal(s) (at least {needed} put one above it): the share of new "
            f"normals it flags may be far from {100 - percentile:g}%; train on more normals"]
