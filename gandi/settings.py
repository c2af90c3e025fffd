"""Settings: plain dicts from `run_params`, completed with defaults and validated once, up front.

A bad setting raises `SettingError` with one line naming the setting, the key, the value and
what is allowed. Unknown keys are errors, never silently ignored.
"""
from __future__ import annotations

import copy
import inspect
import math
import numbers

from gandi.data.distributions import ANOMALIES, DISTRIBUTIONS
from gandi.data.images import DATASETS, dataset_classes
from gandi.data.tables import READERS, TABLE_FILE_KEYS
from gandi.data.tabular_transform import CATEGORICAL, MISSING
from gandi.detectors import DETECTORS
from gandi.losses import LOSSES
from gandi.nets import (DISCRIMINATORS, ENCODERS, GENERATORS, IMAGE_ARCHITECTURES,
                        JOINT_DISCRIMINATORS)
from gandi.optimizers import OPTIMIZERS
from gandi.setting_checks import (is_int, is_number, one_of, optional, positive_int,
                                  positive_number)

SWEET_SPOT_CRITERIA = ("auto", "val_vs_uniform", "val_vs_corrupted", "val_vs_generated")

DEFAULTS = {
    "name": "unnamed",
    "detector": "discriminator",
    # data: "distribution" (SciPy, below), an image dataset, "table" (the user's own file) or
    # "folder" (the user's own images)
    "dataset": "distribution",
    "distribution": "normal",
    "distribution_params": {},
    "anomaly": "shifted",
    "anomaly_params": {},
    "n_train": 10000,
    "n_validation": 2000,
    "n_test_normal": 2000,
    "n_test_anomaly": 2000,
    # image datasets: one-class protocol (exactly one of normal_class / anomaly_class)
    "data_dir": None,
    "normal_class": None,
    "anomaly_class": None,
    "validation_fraction": 0.1,
    "train_limit": None,
    "test_limit": None,
    # tables (gandi/data/tables.py): one labelled data_file, or train_file + test_file
    "data_file": None,
    "train_file": None,
    "test_file": None,
    "label_column": "label",
    "normal_values": [0],
    "anomaly_values": [1],
    "drop_columns": [],
    "categorical": "error",        # or "one_hot"
    "missing": "error",            # or "impute_median", "impute_mean"
    "test_fraction": 0.2,          # data_file, image_dir: share of the normals held out for testing
    # image folders (gandi/data/image_folders.py): normal/ + abnormal/, or train/ + test/
    "image_dir": None,
    "image_size": 28,              # every image is resized to image_size x image_size
    "channels": 1,                 # 1 grey, 3 colour (RGB)
    # networks
    "g_arch": "mlp_small",
    "d_arch": "mlp_small",
    "g_params": {},
    "d_params": {},
    "latent_dim": 8,
    "e_arch": "mlp_small",        # encoder (EGBAD, GANomaly, autoencoders)
    "e_params": {},
    "jd_arch": "mlp_joint",       # EGBAD's discriminator on (x, z) pairs
    "jd_params": {},
    # training
    "loss": "nonsaturating",
    "gp_weight": 10.0,
    "optimizer": "adam",
    "lr_d": 2e-4,
    "lr_g": 2e-4,
    "beta_1": 0.5,
    "beta_2": 0.999,
    "batch_size": 64,
    "steps": 3000,
    "epochs": None,
    "d_steps": 1,
    "jit_compile": False,
    "deterministic": False,
    "divergence_restarts": 0,
    "divergence_lr_factor": 0.5,
    # tracking
    "track_every": 100,
    "checkpoint_every": 500,
    "max_checkpoints": 3,
    "n_generated": 2000,
    "threshold_percentile": 95.0,
    "sweet_spot_criterion": "auto",  # images: val_vs_corrupted; vectors: val_vs_uniform
    "snapshots": 6,
    # keys only one detector reads (anogan_*, egbad_*, ganomaly_*, vae_*, aae_*) are declared
    # and documented next to it, in its `setting_keys`: added below
    # seeds
    "numpy_seed": 0,
    "tf_seed": 0,
}


class SettingError(ValueError):
    """A bad setting; the message is the one line the user sees."""


def _table_path(v):
    """A path with a suffix gandi reads; whether the file exists is checked when it is read, so
    that settings (--list, the shipped templates) validate without their data."""
    return isinstance(v, str) and v.strip() != "" and any(
        v.lower().endswith(suffix) for suffix in READERS)


_TABLE_FILE = "a file path ending in " + ", ".join(READERS)


def _label_values(v):
    """Label values as a table holds them: text, integers, finite numbers, booleans."""
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(
        isinstance(x, (str, bool, numbers.Integral))
        or (isinstance(x, numbers.Real) and math.isfinite(x)) for x in v)


_LABEL_VALUES = "a non-empty list of label values (text or numbers)"

# key -> (check, what is allowed)
RULES = {
    "name": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "detector": one_of(DETECTORS),
    "dataset": one_of(("distribution", "table", "folder") + tuple(DATASETS)),
    "distribution": one_of(DISTRIBUTIONS),
    "distribution_params": (lambda v: isinstance(v, dict), "a dict of the distribution's parameters"),
    "anomaly": one_of(ANOMALIES),
    "anomaly_params": (lambda v: isinstance(v, dict), "a dict of the anomaly's parameters"),
    "n_train": (positive_int, "an integer > 0"),
    "n_validation": (positive_int, "an integer > 0"),
    "n_test_normal": (positive_int, "an integer > 0"),
    "n_test_anomaly": (positive_int, "an integer > 0"),
    "data_dir": optional(lambda v: isinstance(v, str) and v != "", "a folder path"),
    "normal_class": optional(lambda v: is_int(v) and v >= 0, "a class number"),
    "anomaly_class": optional(lambda v: is_int(v) and v >= 0, "a class number"),
    "validation_fraction": (lambda v: is_number(v) and 0 < v < 1, "a number in (0, 1)"),
    "train_limit": optional(positive_int, "an integer > 0"),
    "test_limit": optional(lambda v: is_int(v) and v >= 2, "an integer >= 2"),
    "data_file": optional(_table_path, _TABLE_FILE),
    "train_file": optional(_table_path, _TABLE_FILE),
    "test_file": optional(_table_path, _TABLE_FILE),
    "label_column": (lambda v: isinstance(v, str) and v != "", "a column name"),
    "normal_values": (_label_values, _LABEL_VALUES),
    "anomaly_values": (_label_values, _LABEL_VALUES),
    "drop_columns": (lambda v: isinstance(v, (list, tuple)) and all(
        isinstance(c, str) and c != "" for c in v), "a list of column names"),
    "categorical": one_of(CATEGORICAL),
    "missing": one_of(MISSING),
    "test_fraction": (lambda v: is_number(v) and 0 < v < 1, "a number in (0, 1)"),
    "image_dir": optional(lambda v: isinstance(v, str) and v.strip() != "", "a folder path"),
    # the convolutional generators upsample twice by 2, from a map of a quarter of the side
    "image_size": (lambda v: is_int(v) and 8 <= v <= 1024 and v % 4 == 0,
                   "an integer in [8, 1024] divisible by 4"),
    "channels": (lambda v: is_int(v) and v in (1, 3), "1 (grey) or 3 (colour)"),
    "g_arch": one_of(GENERATORS),
    "d_arch": one_of(DISCRIMINATORS),
    "g_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "d_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "latent_dim": (positive_int, "an integer > 0"),
    "e_arch": one_of(ENCODERS),
    "e_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "jd_arch": (lambda v: isinstance(v, str) and v in JOINT_DISCRIMINATORS,
                "a key of JOINT_DISCRIMINATORS"),
    "jd_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "loss": one_of(LOSSES),
    "gp_weight": (lambda v: is_number(v) and v >= 0, "a number >= 0"),
    "optimizer": one_of(OPTIMIZERS),
    "lr_d": (positive_number, "a number > 0"),
    "lr_g": (positive_number, "a number > 0"),
    "beta_1": (lambda v: is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "beta_2": (lambda v: is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "batch_size": (positive_int, "an integer > 0"),
    "steps": (positive_int, "an integer > 0"),
    "epochs": optional(positive_int, "an integer > 0 (overrides steps)"),
    "d_steps": (positive_int, "an integer > 0"),
    "jit_compile": (lambda v: isinstance(v, bool), "true or false"),
    "deterministic": (lambda v: isinstance(v, bool), "true or false (TF deterministic ops)"),
    "divergence_restarts": (lambda v: is_int(v) and v >= 0, "an integer >= 0"),
    "divergence_lr_factor": (lambda v: is_number(v) and 0 < v < 1, "a number in (0, 1)"),
    "track_every": (positive_int, "an integer > 0"),
    "checkpoint_every": (positive_int, "an integer > 0"),
    "max_checkpoints": (positive_int, "an integer > 0"),
    "n_generated": (lambda v: is_int(v) and v >= 10, "an integer >= 10"),
    "threshold_percentile": (lambda v: is_number(v) and 0 < v < 100, "a number in (0, 100)"),
    "sweet_spot_criterion": one_of(SWEET_SPOT_CRITERIA),
    "snapshots": (lambda v: is_int(v) and v >= 2, "an integer >= 2"),
    "numpy_seed": (lambda v: is_int(v) and 0 <= v < 2 ** 32, "an integer in [0, 2**32)"),
    "tf_seed": (lambda v: is_int(v) and 0 <= v < 2 ** 32, "an integer in [0, 2**32)"),
}
# the keys each detector declares for itself
DETECTOR_KEYS = {key: spec for detector in DETECTORS.values()
                 for key, spec in detector.setting_keys.items()}
assert not set(DETECTOR_KEYS) & set(DEFAULTS), "a detector redeclares a shared key"
DEFAULTS.update({key: spec.default for key, spec in DETECTOR_KEYS.items()})
RULES.update({key: (spec.check, spec.allowed) for key, spec in DETECTOR_KEYS.items()})
assert set(RULES) == set(DEFAULTS)


def _fail(label, key, value, allowed):
    raise SettingError(f"setting {label}: {key} = {value!r} is not allowed; expected {allowed}")


def validate(raw: dict, label="?") -> dict:
    """Return the complete, checked setting (defaults filled in); raise SettingError."""
    if not isinstance(raw, dict):
        raise SettingError(f"setting {label}: must be a dict of keys to values, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(DEFAULTS), key=repr)  # keys may be of any type
    if unknown:
        raise SettingError(f"setting {label}: unknown key {unknown[0]!r}; allowed keys: "
                           + ", ".join(sorted(DEFAULTS)))
    setting = copy.deepcopy(DEFAULTS)
    setting.update(copy.deepcopy(raw))
    for key, (check, allowed) in RULES.items():
        if not check(setting[key]):
            _fail(label, key, setting[key], allowed)
    # cross-key rules
    images = setting["dataset"] in DATASETS or setting["dataset"] == "folder"
    if setting["sweet_spot_criterion"] == "auto":
        setting["sweet_spot_criterion"] = "val_vs_corrupted" if images else "val_vs_uniform"
    elif setting["sweet_spot_criterion"] == "val_vs_corrupted" and not images:
        _fail(label, "sweet_spot_criterion", "val_vs_corrupted",
              "val_vs_uniform or val_vs_generated on vectors (corruptions are made for images)")
    if setting["dataset"] in DATASETS:
        _check_classes(setting, label)
    elif not images:
        _check_vector_architectures(setting, label)
    if setting["dataset"] == "table":
        _check_table(setting, label)
    else:
        for key in TABLE_FILE_KEYS:  # a file named for another dataset would be silently unused
            if setting[key] is not None:
                _fail(label, key, setting[key], 'None unless dataset is "table"')
    if setting["dataset"] == "folder":
        _check_folder(setting, label)
    else:
        _check_not_a_folder(setting, label)
    if setting["dataset"] == "distribution" and setting["batch_size"] > setting["n_train"]:
        _fail(label, "batch_size", setting["batch_size"],
              f"at most n_train = {setting['n_train']} (the batch cannot be larger than the data)")
    _check_builds(setting, label)
    return setting


def _check_classes(setting, label):
    """Image data: exactly one of normal_class / anomaly_class, and a class of the dataset."""
    chosen = [k for k in ("normal_class", "anomaly_class") if setting[k] is not None]
    if len(chosen) != 1:
        raise SettingError(f"setting {label}: an image dataset needs exactly one of normal_class "
                           f"(train on that class) or anomaly_class (train on all others); "
                           f"got {', '.join(chosen) or 'neither'}")
    classes = dataset_classes(setting["dataset"])
    value = setting[chosen[0]]
    if value >= len(classes):
        _fail(label, chosen[0], value, f"a class of {setting['dataset']}: " + ", ".join(
            f"{i} ({name})" for i, name in enumerate(classes)))


def _check_vector_architectures(setting, label):
    """Convolutional networks need (height, width, channels) samples: not on vectors."""
    for key in DETECTORS[setting["detector"]].arch_keys:
        if setting[key] in IMAGE_ARCHITECTURES:
            _fail(label, key, setting[key], f"an MLP architecture on vector data (dataset "
                  f"{setting['dataset']!r}); {setting[key]!r} is for images")


def _check_table(setting, label):
    """One labelled data_file, or train_file + test_file; labels and columns that can work."""
    named = [key for key in TABLE_FILE_KEYS if setting[key] is not None]
    if setting["data_file"] is not None and len(named) > 1:
        _fail(label, named[1], setting[named[1]],
              "None when data_file is set (either one labelled data_file, or train_file and "
              "test_file)")
    if setting["data_file"] is None and named != ["train_file", "test_file"]:
        got = f"only {named[0]}" if named else "none"
        raise SettingError(f"setting {label}: dataset 'table' needs data_file (one labelled file) "
                           f"or both train_file and test_file; got {got}")
    both = [v for v in setting["anomaly_values"] if v in list(setting["normal_values"])]
    if both:
        _fail(label, "anomaly_values", setting["anomaly_values"],
              f"values that are not also in normal_values (both hold {both[0]!r})")
    if setting["label_column"] in setting["drop_columns"]:
        _fail(label, "drop_columns", setting["drop_columns"],
              f"columns other than the label column {setting['label_column']!r}")
    if (setting["data_file"] is not None
            and setting["validation_fraction"] + setting["test_fraction"] >= 1):
        _fail(label, "test_fraction", setting["test_fraction"],
              f"a number below 1 - validation_fraction = "
              f"{1 - setting['validation_fraction']:g} (training needs normal rows too)")


def _check_folder(setting, label):
    """An image folder: its path, and no key of the other image datasets."""
    if setting["image_dir"] is None:
        _fail(label, "image_dir", None, 'a folder path (dataset "folder" reads its images from '
              'image_dir: normal/ and abnormal/, or train/ and test/)')
    for key in ("normal_class", "anomaly_class"):
        if setting[key] is not None:
            _fail(label, key, setting[key], 'None for an image folder (its normal/ and '
                  'abnormal/ sub-folders say what is normal)')
    for key in ("train_limit", "test_limit"):
        if setting[key] is not None:  # would be silently unused
            _fail(label, key, setting[key], "None for an image folder (every image in it is "
                  "used: to train on fewer, give it fewer)")
    if setting["validation_fraction"] + setting["test_fraction"] >= 1:
        _fail(label, "test_fraction", setting["test_fraction"],
              f"a number below 1 - validation_fraction = "
              f"{1 - setting['validation_fraction']:g} (training needs normal images too)")


def _check_not_a_folder(setting, label):
    """Folder keys on another dataset would be silently unused: errors."""
    if setting["image_dir"] is not None:
        _fail(label, "image_dir", setting["image_dir"], 'None unless dataset is "folder"')
    for key in ("image_size", "channels"):
        if setting[key] != DEFAULTS[key]:
            _fail(label, key, setting[key], f'{DEFAULTS[key]} unless dataset is "folder" (MNIST '
                  f'and Fashion-MNIST are 28x28 grey; only image folders are resized)')


def _check_params(label, key, builder, params, fixed=()):
    """`params` must be keyword arguments that `builder` accepts (besides the `fixed` ones)."""
    accepted = [p for p in inspect.signature(builder).parameters if p not in fixed]
    unknown = sorted(set(params) - set(accepted), key=repr)
    if unknown:
        _fail(label, key, params, f"keyword arguments of {builder.__name__}: " + ", ".join(accepted))


def _check_builds(setting, label):
    """Builder parameters must be accepted by their builders."""
    from gandi.data.distributions import ANOMALIES, make_anomaly, make_distribution
    _check_params(label, "g_params", GENERATORS[setting["g_arch"]], setting["g_params"],
                  ("latent_shape", "output_shape"))
    _check_params(label, "d_params", DISCRIMINATORS[setting["d_arch"]], setting["d_params"],
                  ("input_shape",))
    _check_params(label, "e_params", ENCODERS[setting["e_arch"]], setting["e_params"],
                  ("input_shape", "latent_dim"))
    _check_params(label, "jd_params", JOINT_DISCRIMINATORS[setting["jd_arch"]],
                  setting["jd_params"], ("input_shape", "latent_dim"))
    if setting["dataset"] != "distribution":
        return
    _check_params(label, "distribution_params", DISTRIBUTIONS[setting["distribution"]],
                  setting["distribution_params"])
    _check_params(label, "anomaly_params", ANOMALIES[setting["anomaly"]],
                  setting["anomaly_params"], ("base",))
    # Build both distributions and draw from them now: SciPy accepts parameters it cannot
    # sample from (a negative scale, mismatched lengths), which would otherwise fail mid-run.
    try:
        normal = make_distribution(setting["distribution"], setting["distribution_params"])
        _check_samples(normal)
    except BUILD_ERRORS as err:
        _fail(label, "distribution_params", setting["distribution_params"],
              f"parameters of {setting['distribution']!r} that give finite samples "
              f"({_one_line(err)})")
    try:
        _check_samples(make_anomaly(setting["anomaly"], normal, setting["anomaly_params"]))
    except BUILD_ERRORS as err:
        _fail(label, "anomaly_params", setting["anomaly_params"],
              f"parameters of anomaly {setting['anomaly']!r} that give finite samples "
              f"({_one_line(err)})")


# what SciPy and NumPy raise on parameters they cannot use
BUILD_ERRORS = (TypeError, ValueError, ArithmeticError, IndexError, AttributeError, KeyError)


def _check_samples(distribution):
    import numpy as np
    sample = distribution.sample(64, np.random.default_rng(0))
    if not np.all(np.isfinite(sample)):
        raise ValueError("samples are not finite")


def _one_line(err) -> str:
    return " ".join(str(err).split()) or type(err).__name__
