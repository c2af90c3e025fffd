import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.diagnostic import anderson_statistic

from gandi.data.distributions import normal
from gandi.tracking.metrics import (MetricError, anderson_darling, detection_metrics,
                                    goodness_of_fit, roc_auc, separation_auc)
from gandi.tracking.thresholds import mc_threshold, percentile_threshold, validation_threshold

LABELS = np.array([0, 0, 0, 1, 1])


def test_auc_of_perfect_and_reversed_detector():
    assert roc_auc(LABELS, [0.1, 0.2, 0.3, 0.8, 0.9]) == 1.0
    # a reversed detector is reported as it is, never flipped to 1
    assert roc_auc(LABELS, [0.9, 0.8, 0.7, 0.2, 0.1]) == 0.0


def test_auc_with_ties_is_one_half():
    assert roc_auc(LABELS, np.ones(5)) == 0.5


def test_separation_auc_labels_second_group_as_anomalies():
    assert separation_auc([0, 1, 2], [5, 6]) == 1.0
    assert separation_auc([5, 6], [0, 1, 2]) == 0.0


def test_nan_scores_and_one_class_sets_fail_clearly():
    with pytest.raises(MetricError, match="NaN or infinite"):
        roc_auc(LABELS, [0.1, np.nan, 0.3, 0.8, 0.9])
    with pytest.raises(MetricError, match="only one class"):
        roc_auc(np.zeros(5), np.arange(5.0))
    with pytest.raises(MetricError, match="4 scores for 5 labels"):
        roc_auc(LABELS, np.arange(4.0))


def test_detection_metrics_at_a_threshold():
    scores = np.array([0.1, 0.2, 0.6, 0.8, 0.4])
    m = detection_metrics(LABELS, scores, threshold=0.5)
    # predicted anomalies: 0.6 (a normal) and 0.8 (an anomaly); 0.4 (an anomaly) is missed
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(0.5)
    assert m["auc"] == pytest.approx(5 / 6)
    assert m["threshold"] == 0.5


def test_ks_and_wasserstein_of_identical_samples():
    x = np.random.default_rng(0).normal(size=(500, 1))
    fit = goodness_of_fit(x, x.copy(), normal())
    assert fit["ks2_stat"] == 0.0 and fit["ks2_pvalue"] == 1.0
    assert fit["wasserstein"] == 0.0 and fit["mean_err"] == 0.0 and fit["std_err"] == 0.0


def test_goodness_of_fit_sees_a_shift():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(4000, 1))
    good = goodness_of_fit(rng.normal(size=(4000, 1)), reference, normal())
    shifted = goodness_of_fit(rng.normal(size=(4000, 1)) + 1.0, reference, normal())
    assert good["ks_pvalue"] > 0.01 and shifted["ks_pvalue"] < 1e-10
    assert shifted["wasserstein"] == pytest.approx(1.0, abs=0.08)
    assert shifted["mean_err"] == pytest.approx(1.0, abs=0.08)
    assert good["ad_stat"] < 3 < shifted["ad_stat"]


def test_anderson_darling_matches_statsmodels():
    x = np.random.default_rng(2).normal(0.3, 1.2, size=300)
    expected = anderson_statistic(x, dist=stats.norm, fit=False)
    assert anderson_darling(x, stats.norm.cdf) == pytest.approx(expected, rel=1e-9)


def test_thresholds_from_normals_only():
    normals = np.arange(101.0)  # validation may hold no anomaly at all
    assert percentile_threshold(normals, 95) == 95.0
    assert validation_threshold(normals, 90) == 90.0
    assert mc_threshold(normals, 50) == 50.0
    with pytest.raises(MetricError):
        percentile_threshold([1.0, np.nan], 95)
    with pytest.raises(MetricError):
        percentile_threshold([], 95)
