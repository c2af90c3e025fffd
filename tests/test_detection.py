"""The discriminator as an anomaly detector, trained for real on 1-D data."""
import numpy as np
import pandas as pd
import pytest

import run_params
from conftest import SEEDS, assert_float32_close, reduction_terms, score_terms
from gandi.data.splits import distribution_splits
from gandi.detectors import DETECTORS
from gandi.experiment import run_setting
from gandi.outputs.results import load_results
from gandi.settings.validation import SettingError, validate
from gandi.training.loop import real_batches, set_seeds


def test_easy_setting_reaches_auc_above_0_9_at_the_label_free_sweet_spot(tmp_path, record_property):
    """Normal vs a normal shifted by 5 std: after a short run the discriminator, at the sweet
    spot chosen WITHOUT test labels, separates them. Sweet-spot test AUC over seeds 0-4
    (GANDI_TEST_SEED): 0.998, 0.998, 0.998, 1.000, 1.000: margin >= 0.098 over the bound."""
    setting = validate({**run_params.SETTINGS[1], "steps": 600, "track_every": 50,
                        "n_train": 4000, "n_validation": 1000, "n_test_normal": 1000,
                        "n_test_anomaly": 1000, "n_generated": 1000, **SEEDS}, label="1")
    results = run_setting(1, setting, tmp_path, progress=False)
    sweet = results["sweet_spot"]
    record_property("sweet_spot_auc", sweet["test_auc"])
    assert sweet["criterion"] == "val_vs_synthetic"
    assert sweet["test_auc"] > 0.9, results["measurements"][["step", "d_auc", "criterion"]]
    # the sweet spot is where the label-free criterion peaks, whatever the test AUC does
    m = results["measurements"]
    # (the latest step within one validation sample's worth of the best: an AUC resolves no finer)
    tolerance = 1 / setting["n_validation"]
    assert sweet["criterion_value"] >= m["criterion"].max() - tolerance
    later = m[m["step"] > sweet["step"]]
    assert (later["criterion"] < m["criterion"].max() - tolerance).all()
    assert results["final"].set_index("detector").loc["discriminator", "auc"] == pytest.approx(
        sweet["test_auc"])


def test_a_curve_on_a_test_sample_chooses_and_reports_as_the_whole_test_set(tmp_path):
    """track_test_limit scores a sample of the test set at each tracked step (speed); the chosen
    step needs no test label and the final table scores the whole test set with the sweet spot's
    networks: both are exactly those of a run whose curve scores every test sample."""
    base = {**run_params.SETTINGS[1], "steps": 120, "track_every": 20, "n_train": 2000,
            "n_validation": 500, "n_test_normal": 1000, "n_test_anomaly": 1000,
            "n_generated": 500, **SEEDS}
    whole, sampled = (run_setting(1, validate({**base, "track_test_limit": limit}, label="1"),
                                  tmp_path / str(limit), progress=False) for limit in (None, 300))
    assert whole["best_test_auc"]["test_samples"] == 2000
    assert sampled["best_test_auc"]["test_samples"] == 300
    assert sampled["sweet_spot"] == whole["sweet_spot"]  # step, criterion and whole-test AUC
    pd.testing.assert_frame_equal(sampled["final"], whole["final"])
    label_free = [c for c in whole["measurements"] if not c.startswith(("d_", "mc_f1"))]
    pd.testing.assert_frame_equal(sampled["measurements"][label_free],
                                  whole["measurements"][label_free])
    # the curve itself is the sample's: close to the whole set's, not equal to it
    assert not sampled["measurements"]["d_auc"].equals(whole["measurements"]["d_auc"])


def test_tracked_samples_of_validation_and_bank_report_as_the_whole_run(tmp_path):
    """track_validation_limit scores a sample of the validation normals at each tracked step (the
    criterion, the curve's threshold: speed where they are many), and track_bank_limit makes a
    neighbour score compare with a sample of its bank (whose statistics grow with its square).
    Training is untouched; the final table takes every validation normal and the whole bank,
    scored with the sweet spot's networks, the generated samples' Monte-Carlo threshold too: its
    rows equal the rows a run tracking everything measured at that step. The curve is the
    samples', and the spot says so."""
    base = {**run_params.SETTINGS[4], "detector": "discriminator_lof", "steps": 120,
            "track_every": 20, "n_train": 2000, "n_validation": 500, "n_test_normal": 500,
            "n_test_anomaly": 500, "n_generated": 500, "track_test_limit": None,
            "reference_bank_size": 600, **SEEDS}
    whole, sampled = (run_setting(4, validate({**base, **limits}, label="4"),
                                  tmp_path / str(len(limits)), progress=False)
                      for limits in ({}, {"track_validation_limit": 150,
                                          "track_bank_limit": 150}))
    assert (whole["tie_tolerance"], sampled["tie_tolerance"]) == (1 / 500, 1 / 150)
    losses = ["step", "d_loss", "g_loss"]
    pd.testing.assert_frame_equal(sampled["measurements"][losses], whole["measurements"][losses])
    for column in ("criterion", "d_auc"):  # the samples': close to the whole's, not equal
        assert not sampled["measurements"][column].equals(whole["measurements"][column])
    step = sampled["sweet_spot"]["step"]
    assert step > 0  # at step 0 the bank is empty: its sample is all of it
    tracked = whole["measurements"].set_index("step").loc[step]
    final = sampled["final"].set_index("detector")
    assert final.loc["discriminator_lof", "step"] == step
    for metric in ("auc", "f1"):  # all 500 normals' threshold, the whole bank, as tracked then
        assert final.loc["discriminator_lof", metric] == pytest.approx(tracked[f"d_{metric}"],
                                                                       abs=1e-12), metric
    assert sampled["sweet_spot"]["test_auc"] == pytest.approx(tracked["d_auc"], abs=1e-12)
    assert final.loc["mc_threshold", "threshold"] == pytest.approx(tracked["mc_threshold"],
                                                                   abs=1e-12)
    assert final.loc["mc_threshold", "f1"] == pytest.approx(tracked["mc_f1"], abs=1e-12)
    assert sampled["sweet_spot"]["curve_bank_rows"] == 150
    assert "curve_bank_rows" not in whole["sweet_spot"]
    # what its tracked steps took, kept in the results pickle: less with fewer normals scored
    # is not asserted (a timing); within the run's own time is
    saved = load_results(sampled["run"].results_file)["tracking_seconds"]
    assert saved == sampled["tracking_seconds"]
    assert 0 < saved["seconds"] < sampled["run"].read_status()["seconds"]
    assert saved["cpu_seconds"] > 0


def _detector(overrides=None):
    setting = validate({"n_train": 512, "batch_size": 32, **(overrides or {})})
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    data = distribution_splits(setting, np.random.default_rng(0))
    return setting, data, DETECTORS["discriminator"](setting, data.sample_shape)


@pytest.mark.parametrize("loss,d_steps", [("nonsaturating", 1), ("wgan_gp", 3),
                                          ("least_squares", 2)])
def test_compiled_step_equals_eager_step(loss, d_steps):
    """tf.function changes speed, not results: same start, same batches, same losses."""
    runs = []
    for compiled in (True, False):
        setting, data, detector = _detector({"loss": loss, "d_steps": d_steps})
        step = detector.train_step if compiled else detector.train_step_eager
        batches = iter(real_batches(data.train, 32 * d_steps, seed=0))
        losses = [step(next(batches)) for _ in range(5)]
        runs.append(([float(l["d_loss"]) for l in losses], detector.score(data.test_x[:50])))
    # five steps, each a forward and two backward passes through G and D: their rounding adds up
    terms = 5 * 3 * reduction_terms(detector.generator, detector.discriminator)
    assert_float32_close(runs[0][0], runs[1][0], terms)
    assert_float32_close(runs[0][1], runs[1][1], terms)


def test_k_discriminator_steps_per_generator_step():
    setting, data, detector = _detector({"d_steps": 3})
    batch = next(iter(real_batches(data.train, 32 * 3, seed=0)))
    assert batch.shape[0] == 96
    detector.train_step(batch)
    assert int(detector.d_optimizer.iterations.numpy()) == 3
    assert int(detector.g_optimizer.iterations.numpy()) == 1


def test_scores_do_not_depend_on_the_batch():
    setting, data, detector = _detector({"d_arch": "mlp_dropout"})
    x = data.test_x[:300]
    whole = detector.score(x)
    alone = np.concatenate([detector.score(x[i:i + 7]) for i in range(0, 300, 7)])
    assert whole.shape == (300,)
    assert_float32_close(alone, whole, score_terms(detector))
    np.testing.assert_allclose(whole, detector.score(x), rtol=0, atol=0)  # dropout is off


def test_seeds_make_runs_repeatable():
    a = _detector()[2].score(np.linspace(-3, 3, 20).reshape(-1, 1))
    b = _detector()[2].score(np.linspace(-3, 3, 20).reshape(-1, 1))
    c = _detector({"tf_seed": 1})[2].score(np.linspace(-3, 3, 20).reshape(-1, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_epochs_count_the_samples_each_detector_really_consumes():
    from gandi.experiment import resolve_steps
    gan = validate({"epochs": 2, "batch_size": 50, "d_steps": 3, "n_train": 1000})
    ae = validate({**gan, "detector": "autoencoder"})  # one batch per step, d_steps unused
    assert resolve_steps(gan, 1000)["steps"] == 14  # ceil(2 * 1000 / 150)
    assert resolve_steps(ae, 1000)["steps"] == 40   # 2 * 1000 / 50
    with pytest.raises(SettingError, match="batch_size \\* d_steps = 150 is larger than the 100 "
                                           "training samples; lower batch_size or d_steps"):
        resolve_steps(gan, 100, label="1")
