"""gandi.Detector's defaults on any data size (gandi.fit_defaults), the warning of a run whose
curve says it trained too short (gandi.tracking.selection.training_warnings), and a long-lived process
that fits many detectors: no retracing warning, no open figure, nothing of a finished fit kept."""
import gc
import logging
import warnings
import weakref

import numpy as np
import pytest
from PIL import Image

import gandi
from conftest import MNIST_DIR, TEST_SEED, needs_mnist
from gandi.detectors import DETECTORS
from gandi.estimator import TrainingWarning, data_keys, fit_setting
from gandi.experiment import resolve_steps
from gandi.fit_defaults import MIN_BATCH, STEPS, TRACKED_POINTS
from gandi.nets import IMAGE_ARCHITECTURES
from gandi.tracking.selection import MIN_TRACKED, training_warnings
from gandi.settings.validation import validate

IMAGE_DETECTORS = sorted(name for name, d in DETECTORS.items() if d.takes_images)


def _image_setting(detector, n_fit, size, channels, given=None):
    """The validated setting a fit on n_fit images of size x size would run, and its n_train."""
    given = given or {}
    images = np.zeros((n_fit, size, size, channels), np.uint8)
    setting = fit_setting(detector, given, True, n_fit)
    setting = validate({**setting, **data_keys(__import__("pathlib").Path("x"), True, images),
                        "detector": detector}, label="test")
    n_train = n_fit - int(round(setting["validation_fraction"] * n_fit))
    return resolve_steps(setting, n_train), n_train


@pytest.mark.parametrize("detector", IMAGE_DETECTORS)
@pytest.mark.parametrize("n_fit, size, channels", [(100, 8, 1), (100, 14, 1), (1000, 28, 1),
                                                   (6000, 28, 1), (40, 64, 3)])
def test_image_defaults_are_steps_whatever_the_data_size(detector, n_fit, size, channels):
    """Steps, not epochs: 100 images train as long as 6,000 (the old default, two epochs of
    the first MNIST setting, was 4-16 steps on 100 images); tracked 20 times; a batch that
    the training set holds twice."""
    setting, n_train = _image_setting(detector, n_fit, size, channels)
    assert setting["steps"] == STEPS and setting["epochs"] is None
    assert setting["steps"] // setting["track_every"] == TRACKED_POINTS
    per_step = DETECTORS[detector].samples_per_step(setting)
    assert per_step <= n_train and (2 * setting["batch_size"] <= n_train
                                    or setting["batch_size"] == MIN_BATCH)
    # the networks of the detector's MNIST setting (its generator or decoder convolutional),
    # whose depth follows the image size
    assert setting["g_arch"] in IMAGE_ARCHITECTURES


def test_given_parameters_win_and_set_what_follows_from_them():
    setting, _ = _image_setting("autoencoder", 1000, 28, 1, {"steps": 300})
    assert (setting["steps"], setting["track_every"]) == (300, 300 // TRACKED_POINTS)
    setting, _ = _image_setting("autoencoder", 1000, 28, 1, {"steps": 300, "track_every": 7,
                                                             "batch_size": 100})
    assert (setting["track_every"], setting["batch_size"]) == (7, 100)
    # epochs, given, still count passes over the data
    setting, n_train = _image_setting("autoencoder", 1000, 28, 1, {"epochs": 3})
    assert setting["steps"] == int(np.ceil(3 * n_train / setting["batch_size"]))
    # vectors: the tabular benchmark's setting; the batch halves for a small table
    assert fit_setting("vae", {}, False, 1000)["batch_size"] == 64
    assert fit_setting("vae", {}, False, 45)["batch_size"] == 16
    assert fit_setting("vae", {}, False, 5)["batch_size"] == MIN_BATCH


# ----- the warning of a run that trained too short ----------------------------------------------

def _steps(n):
    return list(range(0, 100 * n, 100))


@pytest.mark.parametrize("criteria, expected", [
    ([0.5, 0.6, 0.7, 0.8], "only 4 tracked steps"),                 # too short a curve
    ([0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95], "still rising"),        # best at the very end
    ([0.5, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0], None),                    # saturated: not rising
    ([0.5, 0.9, 0.95, 0.9, 0.85, 0.8, 0.8], None),                  # peaked, then fell
    ([0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.9], None),                   # the end is not the best
    ([np.nan] * 7, None),                                           # no criterion at all
])
def test_training_warnings_read_the_label_free_curve(criteria, expected):
    found = training_warnings(_steps(len(criteria)), criteria, 0.01, "val_vs_corrupted")
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0] and "\n" not in found[0]
    assert MIN_TRACKED == 5


@needs_mnist
def test_a_default_fit_on_100_small_images_trains_thousands_of_steps(tmp_path):
    """100 normal MNIST ones downscaled to 8x8 (the kind of set whose old default trained 16
    steps): the defaults train 2,000 steps, tracked 21 times, and separate other digits (a
    learning bound, AUC > 0.9: GANDI_TEST_SEED=0-4 gave 0.982, 0.980, 0.982, 0.981, 0.983)."""
    from gandi.data.images import read_idx
    from gandi.tracking.metrics import roc_auc
    x = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")[:3000]
    y = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")[:3000]
    small = np.stack([np.asarray(Image.fromarray(p).resize((8, 8), Image.BILINEAR)) for p in x])
    ones, others = np.flatnonzero(y == 1), np.flatnonzero(y != 1)
    test = np.concatenate([ones[100:200], others[:100]])
    detector = gandi.Detector("autoencoder", seed=TEST_SEED, log_dir=str(tmp_path), verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrainingWarning)
        detector.fit(small[ones[:100]], eval_set=(small[test], np.repeat([0, 1], 100)))
    # a default fit has a curve to read; its threshold, from the 10 normals held out of 100,
    # is said to rest on too few
    said = [str(w.message) for w in caught if issubclass(w.category, TrainingWarning)]
    assert len(said) == 1 and "95th percentile of only 10 validation normal(s)" in said[0], said
    from gandi.outputs.results import load_results
    results = load_results(f"{detector.run_}/results.pkl")
    import matplotlib.pyplot as plt
    assert plt.get_fignums() == []  # the pickle's figures are not left open in pyplot
    assert results["last_step"] == STEPS and len(results["measurements"]) == TRACKED_POINTS + 1
    assert results["setting"]["image_size"] == 8 and results["setting"]["batch_size"] == 32
    assert roc_auc(np.repeat([0, 1], 100), detector.decision_function(small[test])) > 0.9


# ----- a long-lived process ---------------------------------------------------------------------

class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_ten_fits_in_one_process_stay_flat(tmp_path):
    """A notebook or a sweep worker: 10 fits of small detectors, five of the autoencoder
    family's (its base's functions are the aae's and the autoencoder's) and five of the GAN's
    with a reference bank (the discriminator's functions and the bank's): TensorFlow warns of
    retracing at 5 traces among a function's ~10 recent calls, so five fits of a detector that
    traced anew would trip it; tracked only at their ends, as a fit with few tracked steps is,
    each fit calls its per-step functions two or three times (`generate` and the bank's
    features tripped it so before `per_detector_function`). The warning (its Python logger)
    never fires, matplotlib holds no figure, and no fit's networks outlive it (weak references
    die: memory does not grow with the fits); the only warning is every fit's short curve."""
    import matplotlib.pyplot as plt
    import tensorflow as tf
    from tensorflow.python.eager.polymorphic_function import polymorphic_function
    x = np.random.default_rng(0).normal(size=(120, 4))
    # TensorFlow counts traces per Python function for the process's life, at most two warnings
    # each: other tests of this worker (many detectors stepped once) must neither trigger nor
    # use up the warning this test watches for. A fresh count, as a new notebook has.
    polymorphic_function._frequent_tracing_detector_manager = (
        polymorphic_function._FrequentTracingDetectorManager())
    records = _Records()
    tf.get_logger().addHandler(records)
    fitted = []  # per fit, weak references to its networks
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for i in range(10):
                detector = gandi.Detector(("vae", "discriminator_lof")[i % 2],
                                          seed=i, log_dir=str(tmp_path), verbose=0, steps=10,
                                          track_every=10, n_generated=50)
                detector.fit(x)
                fitted.append([weakref.ref(n)
                               for n in detector._exported.detector.networks.values()])
                del detector
    finally:
        tf.get_logger().removeHandler(records)
    gc.collect()
    assert not [line for line in records.lines if "retracing" in line], records.lines
    assert plt.get_fignums() == []
    # gandi's and matplotlib's own warnings (numpy's deprecations inside TensorFlow aside)
    ours = [w for w in caught if issubclass(w.category, (TrainingWarning, RuntimeWarning))
            or "figure" in str(w.message).lower()]
    # but the short curve's, which these fits tracked at their ends only were given to carry
    short = [w for w in ours if "only 2 tracked steps" in str(w.message)]
    assert len(short) == 10
    # and the threshold's, which the 11 validation normals of 120 rows are too few to carry
    few = [w for w in ours if "of only 11 validation normal(s)" in str(w.message)]
    assert len(few) == 10
    assert [w for w in ours if w not in short + few] == [], [str(w.message) for w in ours]
    # each fit's networks are freed once the next fit starts (the newest may still be held by
    # TensorFlow's caches until then): nothing accumulates
    assert len(fitted) == 10 and all(len(refs) >= 2 for refs in fitted)
    assert not [ref for refs in fitted[:-1] for ref in refs if ref() is not None]


def test_runs_loaded_and_scored_once_each_do_not_warn_of_retracing(tmp_path):
    """Comparing saved runs in a notebook: each `gandi.load` builds a new detector whose compiled
    score traces on its first call; six loaded and scored once each used to trip TensorFlow's
    retracing warning (it counts one function's traces across every detector). A function made
    anew for each call outside gandi still trips it: the count this test reads is live."""
    import tensorflow as tf
    from tensorflow.python.eager.polymorphic_function import polymorphic_function
    x = np.random.default_rng(0).normal(size=(120, 4))
    fitted = gandi.Detector("discriminator_lof", log_dir=str(tmp_path), verbose=0, steps=10,
                            track_every=5, n_generated=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short curve's: not this test's subject
        fitted.fit(x)
    polymorphic_function._frequent_tracing_detector_manager = (
        polymorphic_function._FrequentTracingDetectorManager())  # a fresh count (see above)
    records = _Records()
    tf.get_logger().addHandler(records)
    try:
        scores = [gandi.load(fitted.run_, log_dir=str(tmp_path)).decision_function(x[:10])
                  for _ in range(6)]
        ours = list(records.lines)
        for i in range(6):  # the count is live: a user's function made anew for each call
            tf.function(lambda v: v * 2.0)(tf.constant(float(i)))
    finally:
        tf.get_logger().removeHandler(records)
    assert all(np.array_equal(s, scores[0]) for s in scores)
    assert not [line for line in ours if "retracing" in line], ours
    assert [line for line in records.lines if "retracing" in line]
