"""Image runs on slices of the real MNIST / Fashion-MNIST: the discriminator, the Monte-Carlo
threshold and AnoGAN through the suite's trainer, Tracker and outputs."""
import numpy as np
import pytest
import tensorflow as tf

import run_params
from conftest import (MNIST_DIR, SEEDS, assert_float32_close, assert_galleries, needs_fashion,
                      needs_mnist, reduction_terms)
from gandi.data import load_splits
from gandi.detectors import DETECTORS
from gandi.detectors.latent_search import LatentSearch
from gandi.experiment import run_setting
from gandi.cli import EXIT_BAD_INPUT
from gandi.playground import main
from gandi.settings.validation import SettingError, validate
from gandi.training.loop import set_seeds


TEST_IMAGES = 400


@pytest.fixture(scope="module")
def digit_1_gan(tmp_path_factory):
    """Setting 11 as shipped but trained two epochs of its ~6,000 training images (it ships 20:
    ten times this test's training), setting 10's DCGAN tracked like setting 10, with AnoGAN
    scoring once on the final networks (a short latent search: 10 iterations). Scored on a
    stratified slice of the test set to stay fast."""
    setting = validate({**run_params.SETTINGS[11], "epochs": 2, "data_dir": str(MNIST_DIR),
                        "test_limit": TEST_IMAGES, "track_every": 40, "n_generated": 200,
                        "anogan_iterations": 10, "anogan_batch": 256, **SEEDS}, label="11")
    # the same GAN as setting 10 but for the generator's batch: setting 10 reuses D's
    # (g_fake), AnoGAN keeps fresh ones (its AUC with reused batches not measured); and
    # AnoGAN's own search step (setting 11's anogan_lr)
    assert {**setting, "detector": "discriminator"} == {**validate(
        {**run_params.SETTINGS[10], "data_dir": str(MNIST_DIR), "test_limit": TEST_IMAGES,
         "track_every": 40, "n_generated": 200, "anogan_iterations": 10, "anogan_batch": 256,
         "anogan_lr": run_params.SETTINGS[11]["anogan_lr"], "g_fake": "fresh", **SEEDS}),
        "name": setting["name"]}
    return run_setting(11, setting, tmp_path_factory.mktemp("digit_1"), progress=False)


@needs_mnist
def test_mnist_digit_1_two_epochs_auc_above_0_9_at_the_sweet_spot(digit_1_gan, record_property):
    """Sweet-spot test AUC over seeds 0-4 (GANDI_TEST_SEED): 0.999, 0.994, 0.999, 0.991, 0.997:
    margin >= 0.09 over the bound."""
    results = digit_1_gan
    assert results["setting"]["steps"] == int(np.ceil(2 * 6068 / 64))  # 2 epochs
    sweet = results["sweet_spot"]
    record_property("sweet_spot_auc", sweet["test_auc"])
    assert sweet["test_auc"] > 0.9, results["measurements"][["step", "d_auc", "criterion"]]
    # uniform noise is scored on images only as the criterion: it sits at 1.0 there
    assert "val_vs_corrupted_auc" in results["measurements"]
    assert "val_vs_uniform_auc" not in results["measurements"]
    final = results["final"].set_index("detector")
    assert final.loc["mc_threshold", "threshold_source"] == "generated_samples_p95"
    assert final.loc["discriminator", "tp"] + final.loc["discriminator", "fn"] == int(
        0.8865 * TEST_IMAGES + 0.5)  # every test anomaly is counted once
    run = results["run"]
    for name in ("generated_images", "roc_pr_curves", "score_histograms",
                 "examples_mc_threshold", "detector_auc"):
        assert (run.plots / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert results["snapshots"][max(results["snapshots"])].shape == (64, 28, 28, 1)
    # TensorBoard's Images: 16 of the generator's images at every tracked step
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(run.tensorboard), size_guidance={"tensors": 0})
    events.Reload()
    shown = events.Tensors("images/generated")
    assert [e.step for e in shown] == results["measurements"]["step"].tolist()
    width, height, *pngs = tf.make_ndarray(shown[-1].tensor_proto)
    assert (int(width), int(height), len(pngs)) == (28, 28, 16)
    assert tf.io.decode_png(pngs[0]).shape == (28, 28, 1)


@needs_mnist
def test_galleries_of_the_discriminators_saliency_and_anogans_residual(digit_1_gan):
    """Both rows of the run (the discriminator at the sweet spot, AnoGAN on the final networks)
    draw galleries with their maps; the discriminator's are its saliency, recomputed here."""
    from gandi.score.exported import rebuild_detector
    results = digit_1_gan
    setting = results["setting"]
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    at_sweet_spot = rebuild_detector(results["run"], setting, DETECTORS["anogan"], data.sample_shape)
    assert_galleries(results, data, at_sweet_spot)
    assert "saliency" in results["galleries"]["discriminator"]["map_name"]
    assert "G(z*)" in results["galleries"]["anogan"]["map_name"]


@needs_mnist
def test_anogan_scores_batched_finite_and_higher_for_anomalies(digit_1_gan, record_property):
    """AnoGAN's test AUC over seeds 0-4 (GANDI_TEST_SEED), 10 search iterations: 0.987, 0.973,
    0.991, 0.964, 0.977: margin >= 0.064 over the bound."""
    results = digit_1_gan
    final = results["final"].set_index("detector")
    assert list(final.index) == ["discriminator", "mc_threshold", "anogan"]
    assert final.loc["anogan", "step"] == results["setting"]["steps"]  # the final G and D
    assert final.loc["anogan", "threshold_source"] == "validation_normals_p95"
    # (an immature generator, e.g. after 60 steps, gives AnoGAN an AUC far below 0.5)
    record_property("anogan_auc", final.loc["anogan", "auc"])
    assert final.loc["anogan", "auc"] > 0.9
    assert (results["run"].plots / "examples_anogan.png").is_file()


@needs_mnist
def test_anogan_latent_search_does_not_depend_on_the_batch(record_property):
    """The mean loss after 40 iterations over that after 10, seeds 0-4 (GANDI_TEST_SEED):
    0.9983, 0.9984, 0.9978, 0.9979, 0.9983 (bound: < 1)."""
    setting = validate({**run_params.SETTINGS[11], "data_dir": str(MNIST_DIR),
                        "train_limit": 100, "test_limit": 40, **SEEDS})
    set_seeds(setting["numpy_seed"], setting["tf_seed"])  # the untrained G and D's weights
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    detector = DETECTORS["anogan"](setting, data.sample_shape)
    search = LatentSearch(detector.generator, detector.discriminator, setting["latent_dim"],
                          iterations=10, lam=0.1, lr=0.01)
    together = search.score(data.test_x, batch_size=40)
    one_by_one = search.score(data.test_x, batch_size=1)
    in_sevens = search.score(data.test_x, batch_size=7)
    assert together.shape == (40,) and np.all(np.isfinite(together))
    # ten Adam steps on z, each a forward and two backward passes through G and D
    terms = 10 * 3 * reduction_terms(detector.generator, detector.discriminator)
    assert_float32_close(one_by_one, together, terms)
    assert_float32_close(in_sevens, together, terms)
    # the search lowers the loss: more iterations, lower scores
    longer = LatentSearch(detector.generator, detector.discriminator, setting["latent_dim"],
                          iterations=40, lam=0.1, lr=0.01).score(data.test_x, 40)
    record_property("loss_ratio_40_to_10_iterations", np.mean(longer) / np.mean(together))
    assert np.mean(longer) < np.mean(together)
    # anogan_tolerance: an image stops when its loss fell by less than that fraction over 10
    # iterations; 0 searches every iteration, 1 (no image halves its loss) stops every image at
    # the first check, its score then the 10-iteration search's
    def stopping(tolerance):
        return LatentSearch(detector.generator, detector.discriminator, setting["latent_dim"],
                            iterations=40, lam=0.1, lr=0.01, tolerance=tolerance)
    search = stopping(0.0)
    assert_float32_close(search.score(data.test_x, 40), longer, 4 * terms)
    assert (search.iterations_used == 40).all() and len(search.iterations_used) == 40
    search = stopping(1.0)
    assert_float32_close(search.score(data.test_x, 40), together, terms)
    assert (search.iterations_used == 10).all()
    # whatever the tolerance, an image's stop is its own: batching changes speed, not scores
    search = stopping(1e-3)
    scores, used = search.score(data.test_x, 40), search.iterations_used
    assert_float32_close(search.score(data.test_x, 7), scores, 4 * terms)
    assert (search.iterations_used == used).all() and (used % 10 == 0).all()
    assert ((10 <= used) & (used <= 40)).all()


@needs_fashion
def test_fashion_mnist_run_from_the_debian_package(tmp_path):
    setting = validate({**run_params.SETTINGS[13], "epochs": None, "steps": 20,
                        "train_limit": 300, "test_limit": 300, "n_generated": 100})
    results = run_setting(13, setting, tmp_path, progress=False)
    assert results["status"] == "finished"
    assert results["measurements"]["step"].tolist() == [0, 20]
    assert np.isfinite(results["measurements"]["d_auc"]).all()


def test_image_settings_are_checked_up_front():
    with pytest.raises(SettingError, match="exactly one of normal_class .* got neither"):
        validate({"dataset": "mnist"})
    with pytest.raises(SettingError, match="got normal_class, anomaly_class"):
        validate({"dataset": "mnist", "normal_class": 1, "anomaly_class": 2})
    with pytest.raises(SettingError) as err:
        validate({"dataset": "fashion_mnist", "normal_class": 12}, label="13")
    assert str(err.value).startswith("setting 13: normal_class = 12 is not allowed; expected a "
                                     "class of fashion_mnist: 0 (T-shirt/top), 1 (Trouser)")
    assert "9 (Ankle boot)" in str(err.value)


def test_a_wrong_data_folder_is_bad_input_with_no_run_folder(tmp_path, capsys, monkeypatch):
    settings = {**run_params.SETTINGS, 60: {**run_params.SETTINGS[10],
                                            "data_dir": str(tmp_path / "nowhere")}}
    monkeypatch.setattr(run_params, "SETTINGS", settings)
    log_dir = tmp_path / "log"
    assert main(["--settings", "60", "--log-dir", str(log_dir), "--no-progress"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere" in err[0], err
    assert not (log_dir / "results").exists()
