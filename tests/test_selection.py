"""Evaluation and selection without a run: scores in, a row and a sweet spot out (gandi.evaluation,
gandi.selection); and the Tracker's choice in real runs is the rule replayed over its curve."""
import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from gandi.evaluation import curve_sample, tracked_row
from gandi.metrics import MetricError
from gandi.selection import sweet_spot_index, takes_the_sweet_spot, tie_tolerance

NAN = float("nan")


def test_ties_within_one_validation_sample_go_to_the_later_step():
    tol = tie_tolerance(200)
    assert tol == 1 / 200
    assert takes_the_sweet_spot([0.9, 0.95], tol)                 # better
    assert takes_the_sweet_spot([0.95, 0.95 - tol / 2], tol)      # a tie: the later step
    assert not takes_the_sweet_spot([0.95, 0.95 - 2 * tol], tol)  # worse by two samples
    assert takes_the_sweet_spot([1.0, 0.99985], tie_tolerance(2000))  # saturated: float noise
    assert not takes_the_sweet_spot([0.9, NAN], tol)              # undefined never wins
    assert takes_the_sweet_spot([NAN, 0.6], tol)                  # ... nor counts as best


def test_the_sweet_spot_of_a_curve():
    tol = 0.01
    assert sweet_spot_index([0.5, 0.8, 0.7, 0.795, 0.6], tol) == 3  # tied with step 1: later
    assert sweet_spot_index([0.5, 0.8, 0.7, 0.78, 0.6], tol) == 1
    assert sweet_spot_index([NAN, NAN], tol) is None
    # a later tie of an earlier best only: 0.795 ties 0.8 but 0.81 came between
    assert sweet_spot_index([0.8, 0.81, 0.795], tol) == 1


def test_the_trackers_choice_is_the_rule_replayed(smoke_runs):
    log_dir, runs = smoke_runs
    for results, _ in runs.values():
        m, n_validation = results["measurements"], results["setting"]["n_validation"]
        i = sweet_spot_index(m["criterion"].tolist(), tie_tolerance(n_validation))
        assert m["step"].iloc[i] == results["sweet_spot"]["step"]


def test_a_tracked_row_from_scores_alone():
    rng = np.random.default_rng(0)
    test_y = np.r_[np.zeros(300), np.ones(100)].astype(int)
    test = np.r_[rng.normal(0, 1, 300), rng.normal(1.5, 1, 100)]
    val, uniform = rng.normal(0, 1, 200), rng.normal(3, 1, 200)
    corrupted, generated = rng.normal(0.5, 1, 200), rng.normal(0.2, 1, 500)
    row = tracked_row(test_y, val, test, uniform, 95, corrupted, generated)
    assert row["d_auc"] == pytest.approx(roc_auc_score(test_y, test))
    threshold = np.percentile(val, 95)
    assert row["d_f1"] == pytest.approx(f1_score(test_y, test > threshold))
    for name, other in (("uniform", uniform), ("corrupted", corrupted), ("generated", generated)):
        expected = roc_auc_score(np.r_[np.zeros(200), np.ones(len(other))], np.r_[val, other])
        assert row[f"val_vs_{name}_auc"] == pytest.approx(expected)
    assert row["mc_threshold"] == pytest.approx(np.percentile(generated, 95))
    assert row["mc_f1"] == pytest.approx(f1_score(test_y, test > row["mc_threshold"]))
    # without the optional references, only their columns are missing
    plain = tracked_row(test_y, val, test, uniform, 95)
    assert set(row) - set(plain) == {"val_vs_corrupted_auc", "val_vs_generated_auc",
                                     "mc_threshold", "mc_f1"}
    no_uniform = tracked_row(test_y, val, test, None, 95, corrupted, generated)
    assert set(row) - set(no_uniform) == {"val_vs_uniform_auc"}
    with pytest.raises(MetricError):
        tracked_row(test_y, val, np.full(400, NAN), uniform, 95)


@pytest.mark.parametrize("anomalies", [1, 50, 900])
def test_the_curve_sample_keeps_the_anomalies_share_and_is_fixed_by_its_seed(anomalies):
    y = np.zeros(1000, np.int64)
    y[np.random.default_rng(1).choice(1000, anomalies, replace=False)] = 1
    picked = curve_sample(y, 200, seed=7)
    assert len(picked) == 200 and np.all(np.diff(picked) > 0)  # sorted, no repeats
    assert y[picked].sum() == max(1, round(200 * anomalies / 1000))
    assert np.array_equal(picked, curve_sample(y, 200, seed=7))
    assert not np.array_equal(picked, curve_sample(y, 200, seed=8))
    assert np.array_equal(curve_sample(y, None, seed=7), np.arange(1000))
    assert np.array_equal(curve_sample(y, 1000, seed=7), np.arange(1000))
