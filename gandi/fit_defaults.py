"""What `gandi.Detector` trains with where a parameter is not given: a setting for the data's
kind and size, counted in steps, never in epochs (two epochs of 100 images are four steps).

- Vectors: the tabular benchmark's setting (gandi's MLPs), STEPS steps.
- Images: the detector's networks and rates from its first MNIST setting in `run_params` (where
  they were measured), STEPS steps too, whatever the number of images; the convolutional
  networks take their depth from the image size (`gandi.nets.image_sizes`).
- Every run is tracked TRACKED_POINTS times (a curve the sweet spot can be chosen on), also when
  only `steps` is given.
- The batch (64 in those settings) halves, down to MIN_BATCH, until the training set holds two
  batches: 100 images minus the validation tenth train in batches of 32, not refused.
"""
from __future__ import annotations

from gandi.settings.shipped import STEPS, TRACKED_POINTS, VECTOR_SETTING
from gandi.settings.shipped import dataset_settings

MIN_BATCH = 8
# keys of a run_params setting that say what data it reads or how long it trains: not taken
NOT_TAKEN = ("name", "dataset", "normal_class", "anomaly_class", "epochs", "steps",
             "track_every", "checkpoint_every")


def first_mnist_setting(detector: str) -> dict:
    """The detector's first MNIST setting in run_params ({} when it has none)."""
    return dict(dataset_settings("mnist").get(detector, (None, {}))[1])


def default_setting(detector: str, images: bool) -> dict:
    """The setting a Detector's parameters override, before the data's size is known."""
    if not images:
        return dict(VECTOR_SETTING)
    taken = {k: v for k, v in first_mnist_setting(detector).items() if k not in NOT_TAKEN}
    return {**taken, "epochs": None, "steps": STEPS, "track_every": STEPS // TRACKED_POINTS,
            "checkpoint_every": STEPS // 4}


def completed(setting: dict, given: dict, n_train: int) -> dict:
    """`setting` (defaults overridden by the `given` parameters) with what follows from them and
    from the `n_train` training samples: the tracking and checkpoint intervals of a given
    `steps`, and a batch that fits the data, where those were not given themselves."""
    out = dict(setting)
    if "steps" in given and given.get("epochs") is None:
        if "track_every" not in given:
            out["track_every"] = max(1, out["steps"] // TRACKED_POINTS)
        if "checkpoint_every" not in given:
            out["checkpoint_every"] = min(out["steps"], setting["checkpoint_every"])
    if "batch_size" not in given:
        from gandi.settings.keys import DEFAULTS
        out["batch_size"] = fitting_batch(out.get("batch_size", DEFAULTS["batch_size"]), n_train)
    return out


def fitting_batch(batch: int, n_train: int) -> int:
    """`batch` halved (not below MIN_BATCH) until n_train samples hold two batches."""
    while batch > MIN_BATCH and 2 * batch > n_train:
        batch //= 2
    return batch


# setting keys `fit` sets from the arrays (or `seed`): not parameters
FIT_KEYS = ("dataset", "data_file", "train_file", "test_file", "image_dir", "normal_class",
            "anomaly_class", "label_column", "normal_values", "anomaly_values", "drop_columns",
            "image_size", "channels", "numpy_seed", "tf_seed", "name", "data_dir",
            "test_fraction", "test_limit", "train_limit")


def _check_fixed(setting: dict) -> None:
    from gandi.settings.validation import SettingError
    if "ensemble_members" in setting or "ensemble_top" in setting:
        raise SettingError("gandi.Detector: ensemble_members and ensemble_top are the "
                           "playground's; from Python, gandi.Ensemble(members=[...], top=...) "
                           "fits an ensemble")
    fixed = [k for k in setting if k in FIT_KEYS]
    if fixed:
        raise SettingError(f"gandi.Detector: {fixed[0]!r} is set by fit() from the arrays (or by "
                           f"seed); parameters are setting keys other than "
                           f"{', '.join(FIT_KEYS)}")


def fit_setting(detector: str, given: dict, images: bool, n_fit: int) -> dict:
    """The run's setting before its data keys: the defaults for the data's kind
    (gandi.fit_defaults) overridden by the `given` parameters, completed for the `n_fit`
    samples fit() trains and validates on."""
    from gandi.settings.keys import DEFAULTS
    _check_fixed(given)
    setting = {**default_setting(detector, images), **given}
    held_out = setting.get("validation_fraction", DEFAULTS["validation_fraction"])
    n_train = n_fit - int(round(held_out * n_fit)) if isinstance(held_out, float) else n_fit
    return completed(setting, given, n_train)
