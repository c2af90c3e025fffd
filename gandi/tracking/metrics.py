"""Metrics: the detector's quality (AUC, AP, F1 at a label-free threshold) and the generator's
goodness of fit to the true distribution (KS, Anderson-Darling, Wasserstein, moments).

Scores: higher = more anomalous. Labels: 1 = anomaly. An AUC below 0.5 is reported as it is,
never flipped.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import stats
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score


class MetricError(ValueError):
    """Scores or labels that no metric can be computed from."""


def _check(labels, scores):
    labels, scores = np.asarray(labels).reshape(-1), np.asarray(scores, dtype=float).reshape(-1)
    if labels.shape != scores.shape:
        raise MetricError(f"{len(scores)} scores for {len(labels)} labels")
    bad = ~np.isfinite(scores)
    if bad.any():
        raise MetricError(f"{int(bad.sum())} of {len(scores)} anomaly scores are NaN or infinite")
    classes = set(np.unique(labels).tolist())
    if not classes <= {0, 1}:
        raise MetricError(f"labels must be 0 (normal) or 1 (anomaly), got {sorted(classes)}")
    if len(classes) < 2:
        raise MetricError("the test set holds only one class; AUC needs normals and anomalies")
    return labels.astype(int), scores


def roc_auc(labels, scores) -> float:
    labels, scores = _check(labels, scores)
    return float(roc_auc_score(labels, scores))


def separation_auc(normal_scores, other_scores) -> float:
    """AUC of telling `other` (label 1) from `normal` (label 0) by score."""
    labels = np.r_[np.zeros(len(normal_scores)), np.ones(len(other_scores))]
    return roc_auc(labels, np.r_[normal_scores, other_scores])


def detection_metrics(labels, scores, threshold: float) -> dict:
    """AUC and AP (threshold-free) and precision/recall/F1 of `score > threshold`."""
    labels, scores = _check(labels, scores)
    predicted = (scores > threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", zero_division=0)
    return {"auc": float(roc_auc_score(labels, scores)),
            "ap": float(average_precision_score(labels, scores)),
            "precision": float(precision), "recall": float(recall), "f1": float(f1),
            "threshold": float(threshold),
            # the confusion matrix, anomaly = positive
            "tp": int(np.sum((predicted == 1) & (labels == 1))),
            "fp": int(np.sum((predicted == 1) & (labels == 0))),
            "tn": int(np.sum((predicted == 0) & (labels == 0))),
            "fn": int(np.sum((predicted == 0) & (labels == 1)))}


def anderson_darling(samples, cdf) -> float:
    """One-sample Anderson-Darling statistic A^2 of `samples` against the continuous `cdf`."""
    x = np.sort(np.asarray(samples, dtype=float).reshape(-1))
    n = len(x)
    u = np.clip(cdf(x), 1e-12, 1 - 1e-12)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))))


def goodness_of_fit(generated, reference, distribution) -> dict:
    """How well generated samples match the truth, per marginal (worst marginal for dim > 1).

    generated, reference: (n, dim) arrays; reference is held-out real data (two-sample tests),
    `distribution` gives the true marginal CDFs (one-sample tests) and moments.
    """
    generated = np.asarray(generated, dtype=float).reshape(len(generated), -1)
    reference = np.asarray(reference, dtype=float).reshape(len(reference), -1)
    dim = generated.shape[1]
    rows = []
    for axis in range(dim):
        g, r = generated[:, axis], reference[:, axis]
        cdf = lambda v, a=axis: distribution.marginal_cdf(v, a)  # noqa: E731
        ks1 = stats.kstest(g, cdf)
        ks2 = stats.ks_2samp(g, r)
        with warnings.catch_warnings():  # p-values outside [0.001, 0.25] are clipped: fine
            warnings.simplefilter("ignore")
            ad2 = stats.anderson_ksamp([g, r])
        rows.append({
            "ks_stat": ks1.statistic, "ks_pvalue": ks1.pvalue,
            "ks2_stat": ks2.statistic, "ks2_pvalue": ks2.pvalue,
            "ad_stat": anderson_darling(g, cdf),
            "ad2_stat": ad2.statistic, "ad2_pvalue": ad2.pvalue,
            "wasserstein": stats.wasserstein_distance(g, r),
            "mean_err": abs(g.mean() - r.mean()),
            "std_err": abs(g.std() - r.std()),
            "skew_err": abs(stats.skew(g) - stats.skew(r)),
            "kurtosis_err": abs(stats.kurtosis(g) - stats.kurtosis(r)),
        })
    worst = {}
    for key in rows[0]:
        values = [row[key] for row in rows]
        if key.endswith("pvalue"):  # Bonferroni over marginals
            worst[key] = float(min(1.0, min(values) * dim))
        else:
            worst[key] = float(max(values))
    return worst
