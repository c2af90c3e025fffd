"""One tracked step's measurements from scores: arrays in, a row out (no files, no networks).

The tracked score's columns are `d_*`: "d" for the detector (the discriminator in a GAN), kept
under that name because existing tools read `d_auc`.
"""
from __future__ import annotations

import numpy as np

from gandi.tracking.metrics import detection_metrics, separation_auc
from gandi.tracking.thresholds import mc_threshold, validation_threshold


def curve_sample(test_y: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    """Sorted indices of the test samples scored at every tracked step: all of them, or `limit`
    chosen at random with normals and anomalies keeping their shares (at least one of each). The
    curve is a trend; the final table scores the whole test set at the chosen step."""
    n = len(test_y)
    if limit is None or limit >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    anomalies = np.flatnonzero(test_y == 1)
    normals = np.flatnonzero(test_y != 1)
    n_anomalies = min(len(anomalies), max(1, round(limit * len(anomalies) / n)))
    n_normals = min(len(normals), limit - n_anomalies)
    chosen = np.concatenate([rng.choice(normals, n_normals, replace=False),
                             rng.choice(anomalies, n_anomalies, replace=False)])
    return np.sort(chosen)


def tracked_row(test_y: np.ndarray, val_scores: np.ndarray, test_scores: np.ndarray,
                uniform_scores: np.ndarray | None, percentile: float,
                corrupted_scores: np.ndarray | None = None,
                gen_scores: np.ndarray | None = None) -> dict:
    """The detector's test metrics at the label-free threshold (the `percentile` of validation
    normal scores), the separation AUCs of validation normals from each reference given (uniform,
    corrupted, both together as `synthetic`, generated: the sweet-spot criteria) and, with
    generated samples, the Monte-Carlo threshold and its F1. Raises MetricError when a metric is
    undefined (e.g. NaN scores)."""
    threshold = validation_threshold(val_scores, percentile)
    row = {f"d_{k}": v for k, v in detection_metrics(test_y, test_scores, threshold).items()}
    if uniform_scores is not None:
        row["val_vs_uniform_auc"] = separation_auc(val_scores, uniform_scores)
    if corrupted_scores is not None:
        row["val_vs_corrupted_auc"] = separation_auc(val_scores, corrupted_scores)
    if uniform_scores is not None and corrupted_scores is not None:
        # near (corrupted) and far (uniform) synthetic anomalies together: the mean of the two
        # AUCs when both references have as many samples, as the Tracker draws them
        row["val_vs_synthetic_auc"] = separation_auc(
            val_scores, np.concatenate([uniform_scores, corrupted_scores]))
    if gen_scores is not None:
        mc = mc_threshold(gen_scores, percentile)
        row.update({"mc_threshold": mc,
                    "mc_f1": detection_metrics(test_y, test_scores, mc)["f1"]})
        row["val_vs_generated_auc"] = separation_auc(val_scores, gen_scores)
    return row
