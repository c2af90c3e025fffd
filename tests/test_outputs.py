"""Smoke runs of several settings through the driver; every output is read back."""
import json

import keras
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import (EPS32, SMOKE_SETTINGS, SMOKE_STEPS, assert_auc_close, reduction_terms,
                      score_terms)
from gandi.data.splits import distribution_splits
from gandi.detectors import DETECTORS
from gandi.tracking.evaluation import curve_sample
from gandi.outputs.checkpoints import Checkpoints

COLUMNS = {"step", "d_loss", "g_loss", "d_auc", "d_ap", "d_f1", "d_precision", "d_recall",
           "d_threshold", "ks_stat", "ks_pvalue", "ks2_stat", "ad_stat", "wasserstein",
           "mean_err", "std_err", "skew_err", "kurtosis_err", "criterion"}


def test_every_setting_wrote_a_complete_results_pickle(smoke_runs):
    log_dir, runs = smoke_runs
    assert sorted(runs) == sorted(SMOKE_SETTINGS)
    for setting_id, (results, sig) in runs.items():
        assert sig.startswith("GAN_") and sig.endswith(f"_3-3_{setting_id}")
        m = results["measurements"]
        assert isinstance(m, pd.DataFrame) and COLUMNS <= set(m.columns)
        assert m["step"].tolist() == [0, SMOKE_STEPS]
        assert m["d_auc"].between(0, 1).all() and np.isfinite(m["ks_stat"]).all()
        assert np.isnan(m["d_loss"].iloc[0]) and np.isfinite(m["d_loss"].iloc[1])
        assert results["setting"]["steps"] == SMOKE_STEPS and results["setting"]["numpy_seed"] == 3
        assert results["status"] == "finished" and results["last_step"] == SMOKE_STEPS
        assert results["sweet_spot"]["step"] in (0, SMOKE_STEPS)
        assert results["best_test_auc"]["uses_test_labels"] is True
        assert results["best_test_auc"]["test_auc"] == pytest.approx(m["d_auc"].max())
        assert all(isinstance(f, matplotlib.figure.Figure) for f in results["figures"].values())
        assert {"detector_auc", "losses", "generator_fit", "score_histograms"} <= set(
            results["figures"])
        final = results["final"]
        # the checkpoint ensemble (auto: 5 on vectors) of the two tracked steps, 0 and the last
        assert final["detector"].tolist() == ["discriminator", "mc_threshold",
                                              "discriminator checkpoint ensemble"]
        assert [m["step"] for m in results["checkpoint_ensemble"]["members"]] == [0, SMOKE_STEPS]
        assert {"auc", "ap", "f1", "precision", "recall", "threshold",
                "threshold_source"} <= set(final.columns)
        assert "tensorflow-cpu" in results["versions"] or "tensorflow" in results["versions"]


def test_plots_logs_and_status(smoke_runs):
    log_dir, runs = smoke_runs
    for setting_id, (results, sig) in runs.items():
        for name in results["figures"]:
            png = log_dir / "plots" / sig / f"{name}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        log = (log_dir / "logs" / sig / "run.log").read_text()
        assert f"step {SMOKE_STEPS}: d_loss=" in log and "finished" in log
        status = json.loads((log_dir / "results" / sig / "status.json").read_text())
        assert status["status"] == "finished" and status["step"] == SMOKE_STEPS
        assert status["sweet_spot"]["step"] == results["sweet_spot"]["step"]
        assert status["last_checkpoint"] == SMOKE_STEPS and "pid" not in status  # ended
        leftovers = [p for p in log_dir.rglob("*") if ".tmp" in p.name]
        assert leftovers == []


def test_event_file_holds_the_scalars_and_histograms(smoke_runs):
    log_dir, runs = smoke_runs
    results, sig = runs["1"]
    events = EventAccumulator(str(log_dir / "tensorboard" / sig), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    assert {"d_auc", "ks_stat", "wasserstein", "d_loss", "scores/test_anomaly"} <= tags
    auc = events.Tensors("d_auc")
    assert [e.step for e in auc] == [0, SMOKE_STEPS]
    logged = [float(tf.make_ndarray(e.tensor_proto)) for e in auc]
    # TensorBoard keeps float32: an AUC in [0, 1] loses at most EPS32 / 2 = 6e-8
    assert logged == pytest.approx(results["measurements"]["d_auc"].tolist(), abs=EPS32)


def hparams_of(events) -> dict:
    """The HParams plugin's session start info of a run's event file: {key: value}."""
    from tensorboard.plugins.hparams import plugin_data_pb2
    content = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
            for k, v in info.hparams.items()}


def test_event_file_holds_pr_curves_and_hparams(smoke_runs):
    """The PR curves plugin's tensor at each tracked step (counts of the curve's test sample), and
    the HParams dashboard's row: the setting's keys and the sweet spot's outcome."""
    log_dir, runs = smoke_runs
    results, sig = runs["1"]
    events = EventAccumulator(str(log_dir / "tensorboard" / sig), size_guidance={"tensors": 0})
    events.Reload()
    assert events.SummaryMetadata("pr_curve/test").plugin_data.plugin_name == "pr_curves"
    curves = events.Tensors("pr_curve/test")
    assert [e.step for e in curves] == [0, SMOKE_STEPS]
    setting = results["setting"]
    data = distribution_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    curve_y = data.test_y[curve_sample(data.test_y, setting["track_test_limit"],
                                       setting["numpy_seed"] + 2)]
    n_anomaly, n_normal = int(curve_y.sum()), int((curve_y == 0).sum())
    for event in curves:
        tp, fp, tn, fn, precision, recall = tf.make_ndarray(event.tensor_proto)
        assert (tp[0], fp[0], tn[0], fn[0]) == (n_anomaly, n_normal, 0, 0)  # lowest threshold
        assert np.all(tp + fn == n_anomaly) and np.all(fp + tn == n_normal)
        assert np.all(np.diff(tp) <= 0) and np.all(np.diff(fp) <= 0)  # rising thresholds
        assert recall[0] == 1 and precision[0] == pytest.approx(n_anomaly / (n_anomaly + n_normal))
    hparams = hparams_of(events)
    assert hparams["steps"] == SMOKE_STEPS and hparams["distribution"] == setting["distribution"]
    assert hparams["numpy_seed"] == 3 and hparams["detector"] == "discriminator"
    outcome = float(tf.make_ndarray(events.Tensors("hparams/sweet_spot_test_auc")[0].tensor_proto))
    assert outcome == pytest.approx(results["sweet_spot"]["test_auc"], abs=EPS32)
    cost = float(tf.make_ndarray(events.Tensors("hparams/label_free_cost")[0].tensor_proto))
    m = results["measurements"].set_index("step")["d_auc"]
    assert cost == pytest.approx(m.max() - m[results["sweet_spot"]["step"]], abs=2 * EPS32)


def test_checkpoint_restores_the_final_networks(smoke_runs):
    """A fresh detector restored from the last checkpoint scores the curve's test sample exactly
    as the tracked final step did."""
    log_dir, runs = smoke_runs
    results, sig = runs["1"]
    setting = results["setting"]
    data = distribution_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    detector = DETECTORS["discriminator"](setting, data.sample_shape)
    checkpoints = Checkpoints(log_dir / "checkpoints" / sig, detector.checkpoint_objects(), 3)
    assert checkpoints.restore_latest() == SMOKE_STEPS
    final_auc = results["measurements"]["d_auc"].iloc[-1]
    curve = curve_sample(data.test_y, setting["track_test_limit"], setting["numpy_seed"] + 2)
    assert results["best_test_auc"]["test_samples"] == len(curve)
    assert_auc_close(data.test_y[curve], detector.score(data.test_x[curve]), final_auc,
                     score_terms(detector))
    assert int(detector.g_optimizer.iterations.numpy()) == SMOKE_STEPS


def test_exported_sweet_spot_model_gives_the_sweet_spot_auc(smoke_runs):
    log_dir, runs = smoke_runs
    for setting_id in ("1", "7"):
        results, sig = runs[setting_id]
        setting = results["setting"]
        data = distribution_splits(setting, np.random.default_rng(setting["numpy_seed"]))
        model = keras.models.load_model(log_dir / "checkpoints" / sig /
                                        "sweet_spot_discriminator.keras")
        # in batches of 32: other sums; in the direction the run chose without labels
        scores = (-model.predict(data.test_x, verbose=0)
                  * results["sweet_spot"].get("direction", 1.0))
        assert_auc_close(data.test_y, scores, results["sweet_spot"]["test_auc"],
                         reduction_terms(model) + data.test_x.shape[1])


def test_final_rows_say_which_score_was_tracked(smoke_runs):
    log_dir, runs = smoke_runs
    results, sig = runs["1"]
    final = results["final"].set_index("detector")
    # the discriminator and the Monte-Carlo threshold follow the curve; the checkpoint
    # ensemble is scored once, at the end (no curve, no oracle)
    assert final["tracked"].tolist() == [True, True, False]
    assert (final["step"] == results["sweet_spot"]["step"]).all()
