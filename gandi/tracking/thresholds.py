"""Label-free thresholds on anomaly scores (higher = more anomalous).

Both work when there is no anomaly at all to look at: they only see normal (or generated) data.
"""
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
