"""scikit-learn's estimator checks on gandi.Detector (a tiny setting, so each fit takes
seconds). The suite runs the checks that need no training or one fit; `python
benchmarks/sklearn_checks.py` runs all 46 and prints each outcome (README, "Use gandi from
Python", lists them). The ones that do not apply, and why, are NOT_APPLICABLE."""
import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

import gandi

TINY = {"steps": 6, "track_every": 2, "checkpoint_every": 6, "n_generated": 20, "verbose": 0}

# gandi's conventions where scikit-learn's differ (each said in the README)
NOT_APPLICABLE = {
    "check_outliers_fit_predict": "predict gives 1 for an anomaly and 0 for a normal sample "
                                  "(PyOD's convention, gandi's label 1 = anomaly), not -1/1",
    "check_outliers_train": "the same, and decision_function is higher = more anomalous "
                            "(PyOD's polarity), not negative for outliers",
    "check_methods_sample_order_invariance": "scores are float32 network outputs: another "
                                             "sample order changes their round-off (1 ulp), "
                                             "above the check's rtol of 1e-7",
    "check_array_api_input": "skipped by scikit-learn without SCIPY_ARRAY_API",
}
# run by the suite: no training, or one tiny fit
IN_THE_SUITE = (
    "check_estimator_cloneable", "check_estimator_repr", "check_no_attributes_set_in_init",
    "check_estimators_unfitted", "check_do_not_raise_errors_in_init_or_set_params",
    "check_parameters_default_constructible", "check_get_params_invariance",
    "check_set_params", "check_complex_data", "check_estimators_empty_data_messages",
    "check_estimator_sparse_array", "check_estimator_sparse_matrix", "check_fit2d_1sample",
    "check_fit1d", "check_n_features_in_after_fitting", "check_fit2d_predict1d",
    "check_estimators_pickle")


def _checks(log_dir):
    seen = set()
    for estimator, check in estimator_checks_generator(
            gandi.Detector("autoencoder", log_dir=str(log_dir), **TINY), legacy=True,
            mark=None):
        name = getattr(check, "func", check).__name__
        if name in IN_THE_SUITE and name not in seen:  # pickle comes twice (memmap or not)
            seen.add(name)
            yield name, estimator, check


def test_the_listed_checks_exist_and_none_is_both_run_and_excused():
    names = {getattr(c, "func", c).__name__ for _, c in estimator_checks_generator(
        gandi.Detector("autoencoder"), legacy=True, mark=None)}
    assert set(IN_THE_SUITE) <= names and set(NOT_APPLICABLE) <= names
    assert not set(IN_THE_SUITE) & set(NOT_APPLICABLE)


def test_scikit_learns_checks_pass(tmp_path):
    ran = []
    for name, estimator, check in _checks(tmp_path):
        check(estimator)  # raises on failure, naming the check in its traceback
        ran.append(name)
    assert sorted(ran) == sorted(IN_THE_SUITE)
