"""Evaluation and selection without a run: scores in, a row and a sweet spot out (gandi.tracking.evaluation,
gandi.tracking.selection); and the Tracker's choice in real runs is the rule replayed over its curve."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score

import run_params
from conftest import TEST_SEED
from gandi.experiment import run_setting
from gandi.settings.validation import validate
from gandi.tracking.evaluation import curve_sample, tracked_row
from gandi.tracking.metrics import MetricError
from gandi.tracking.selection import (MIN_TRACKED, best_steps, ensemble_scores, stalled,
                                      sweet_spot_index, takes_the_sweet_spot, tie_tolerance,
                                      tracked_since_gain)

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


def test_training_stalls_after_patience_tracked_steps_without_a_real_gain():
    tol = 0.01
    assert tracked_since_gain([0.5, 0.8, 0.7, 0.805, 0.6], tol) == 3  # 0.805 only ties 0.8
    assert tracked_since_gain([0.5, 0.8, 0.7, 0.82, 0.6], tol) == 1   # 0.82 beats it
    assert tracked_since_gain([NAN, NAN], tol) is None
    assert tracked_since_gain([NAN, 0.6, NAN], tol) == 1               # NaN is no gain
    # a climb by less than the tolerance per step is a gain once it adds up to more
    assert tracked_since_gain([0.8, 0.805, 0.809], tol) == 2
    assert tracked_since_gain([0.8, 0.805, 0.809, 0.815], tol) == 0    # 0.815 > 0.8 + 0.01
    saturated = [0.6, 0.9] + [1.0] * 6
    assert stalled(saturated, tol, 4) and not stalled(saturated, tol, 7)
    assert not stalled(saturated, tol, 0)                              # 0: never
    assert not stalled([0.9] * (MIN_TRACKED - 1), tol, 1)              # too short a curve
    assert stalled([0.9] * MIN_TRACKED, tol, 1)


def test_the_trackers_choice_is_the_rule_replayed(smoke_runs):
    log_dir, runs = smoke_runs
    for results, _ in runs.values():
        m, n_validation = results["measurements"], results["setting"]["n_validation"]
        i = sweet_spot_index(m["criterion"].tolist(), tie_tolerance(n_validation))
        assert m["step"].iloc[i] == results["sweet_spot"]["step"]
        assert results["tie_tolerance"] == tie_tolerance(n_validation)


def test_every_criterion_replayed_on_the_same_runs(smoke_runs):
    """On vectors the Tracker scores every reference, so each criterion's choice can be
    replayed (gandi.studies.criterion_study): the run's own criterion replays to its sweet spot, the
    synthetic one is the mean of the near and far ones (as many samples of each), and a cost is
    never negative (the oracle is the curve's best)."""
    from gandi.studies.criterion_study import markdown, run_costs
    _, runs = smoke_runs
    rows = []
    for results, _ in runs.values():
        m = results["measurements"]
        assert {"val_vs_uniform_auc", "val_vs_corrupted_auc", "val_vs_synthetic_auc"} <= set(m)
        np.testing.assert_allclose(m["val_vs_synthetic_auc"],
                                   (m["val_vs_uniform_auc"] + m["val_vs_corrupted_auc"]) / 2,
                                   atol=1e-12)
        costs = run_costs(results)
        (own,) = [r for r in costs if r["chosen"]]
        assert own["criterion"] == results["setting"]["sweet_spot_criterion"]
        assert own["step"] == results["sweet_spot"]["step"]
        assert all(0 <= r["cost"] <= 1 for r in costs)
        rows += costs
    text = markdown(pd.DataFrame(rows))
    assert "| detector | val_vs_corrupted | val_vs_generated | val_vs_synthetic | " \
           "val_vs_uniform |" in text


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
    # near and far synthetic anomalies together: as many of each, so the mean of their AUCs
    assert row["val_vs_synthetic_auc"] == pytest.approx(
        (row["val_vs_uniform_auc"] + row["val_vs_corrupted_auc"]) / 2, abs=1e-12)
    assert row["mc_threshold"] == pytest.approx(np.percentile(generated, 95))
    assert row["mc_f1"] == pytest.approx(f1_score(test_y, test > row["mc_threshold"]))
    # without the optional references, only their columns are missing
    plain = tracked_row(test_y, val, test, uniform, 95)
    assert set(row) - set(plain) == {"val_vs_corrupted_auc", "val_vs_synthetic_auc",
                                     "val_vs_generated_auc", "mc_threshold", "mc_f1"}
    no_uniform = tracked_row(test_y, val, test, None, 95, corrupted, generated)
    assert set(row) - set(no_uniform) == {"val_vs_uniform_auc", "val_vs_synthetic_auc"}
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


# -- label-free ensembles (gandi.tracking.selection): pure functions on synthetic scores -----------------

def test_the_checkpoint_ensemble_keeps_the_best_steps_and_the_sweet_spot():
    tol = 0.01
    curve = [0.5, 0.9, 0.7, 0.895, NAN, 0.85, 0.6]
    assert sweet_spot_index(curve, tol) == 3  # ties 0.9 within tol: the later step
    assert best_steps(curve, 1, tol) == [3]
    assert best_steps(curve, 3, tol) == [1, 3, 5]      # in training order; NaN never counts
    assert best_steps(curve, 99, tol) == [0, 1, 2, 3, 5, 6]
    assert best_steps([NAN, NAN], 3, tol) == []
    # a saturated criterion: the latest of the tied steps first
    assert best_steps([0.3, 1.0, 1.0, 1.0, 1.0], 2, tol) == [3, 4]


def test_an_ensemble_does_not_depend_on_its_members_scales():
    """Each member is standardised on its own validation scores: a member rescaled and shifted
    (the scores of another detector) gives the very same ensemble, to float64 rounding."""
    rng = np.random.default_rng(TEST_SEED)
    val, test = rng.normal(size=300), rng.normal(size=500)
    val2, test2 = val + rng.normal(size=300), test + rng.normal(size=500)
    v, s, _ = ensemble_scores([(val, test), (val2, test2)])
    v_scaled, s_scaled, scales = ensemble_scores([(val * 1e4 - 7, test * 1e4 - 7), (val2, test2)])
    # float64: relative rounding ~1e-16 per operation, on values of order 1e4 after scaling
    np.testing.assert_allclose(s_scaled, s, rtol=0, atol=1e-10)
    np.testing.assert_allclose(v_scaled, v, rtol=0, atol=1e-10)
    # standardised on validation: the ensemble's validation scores have mean 0
    assert abs(v.mean()) < 1e-12
    assert scales[0] == pytest.approx((val.mean() * 1e4 - 7, val.std() * 1e4), rel=1e-12)
    assert ensemble_scores([(np.ones(5), np.arange(3.0))])[2] == [(1.0, 1.0)]  # std 0 -> 1


def test_an_ensemble_of_two_noisy_copies_beats_each_copy():
    """Two detectors that see the same signal with independent noise: averaging halves the
    independent part. A member's score is y + N(0, 0.25) + N(0, 1), AUC Phi(1 / sqrt(2 * 1.25))
    = 0.736; the ensemble's y + N(0, 0.25) + N(0, 0.5), AUC Phi(1 / sqrt(2 * 0.75)) = 0.793. With
    4,000 samples per class an AUC's standard error is ~0.005: the 0.057 gap is > 10 of them,
    and the bound (+0.02) holds far from the edge for any seed."""
    rng = np.random.default_rng(TEST_SEED)
    n = 4000
    y = np.r_[np.zeros(n), np.ones(n)]
    signal = y + rng.normal(0, 0.5, 2 * n)  # what both detectors see
    copies = [signal + rng.normal(0, 1, 2 * n) for _ in range(2)]
    validation_signal = rng.normal(0, 0.5, 1000)
    validations = [validation_signal + rng.normal(0, 1, 1000) for _ in range(2)]
    _, ensemble, _ = ensemble_scores(list(zip(validations, copies)))
    members = [roc_auc_score(y, c) for c in copies]
    assert roc_auc_score(y, ensemble) > max(members) + 0.02, (roc_auc_score(y, ensemble), members)


def test_an_ensemble_refuses_non_finite_members():
    with pytest.raises(ValueError, match="not all finite"):
        ensemble_scores([(np.ones(3), np.array([1.0, NAN]))])
    with pytest.raises(ValueError, match="at least one"):
        ensemble_scores([])


def test_a_run_with_stop_patience_stops_where_the_rule_says(tmp_path):
    """A real run: it ends at the first tracked step where `stalled` holds, not before, with
    its results (read back from the pickle) saying so. It must end before its budget: AUC
    lies in [0, 1], so a criterion cannot beat its best by more than 1 / n_validation more
    than n_validation times; with a gain at least every `patience` tracked steps the run
    would need fewer tracked steps than that budget allows."""
    from gandi.outputs.results import load_results
    every, patience, n_validation = 10, 2, 50
    budget = every * (patience * (n_validation + 1) + MIN_TRACKED)
    setting = validate({**run_params.SETTINGS[1], "n_validation": n_validation,
                        "steps": budget, "track_every": every, "stop_patience": patience})
    returned = run_setting(1, setting, tmp_path, progress=False)
    results = load_results(tmp_path / "results" / returned["signature"] / "results.pkl")
    steps, criteria = results["measurements"]["step"].tolist(), results["measurements"][
        "criterion"].tolist()
    tol = results["tie_tolerance"]
    assert results["status"] == "finished" and results["last_step"] == steps[-1] < budget
    assert results["stopped_early"]["step"] == steps[-1]
    assert results["stopped_early"]["budget"] == budget
    assert stalled(criteria, tol, patience)
    assert not any(stalled(criteria[:i], tol, patience) for i in range(1, len(criteria)))
    assert results["sweet_spot"]["step"] in steps
