"""Settings: plain dicts from `run_params`, completed with defaults and validated once, up front,
against the key table in `gandi.settings.keys` and the rules that tie keys together.

A bad setting raises `SettingError` with one line naming the setting, the key, the value and
what is allowed; a misspelt key or name gets "did you mean" the nearest ones. Unknown keys are
errors, never silently ignored.
"""
from __future__ import annotations

import copy
import inspect

from gandi.data.distributions import DISTRIBUTIONS
from gandi.data.images import DATASETS, dataset_classes
from gandi.data.tables import TABLE_FILE_KEYS
from gandi.detectors import DETECTORS
from gandi.detectors.discriminator_knn import knn_score_and_k
from gandi.nets import (DISCRIMINATORS, ENCODERS, GENERATORS, IMAGE_ARCHITECTURES,
                        JOINT_DISCRIMINATORS)
from gandi.outputs.run_folder import REAL, SYNTHETIC  # noqa: F401 (data_record's values)
from gandi.settings.checks import SettingError, did_you_mean  # noqa: F401 (its home for callers)
from gandi.settings.keys import DEFAULTS, KEYS, defaults_for

# where an unknown key's error points to: every key would not make one readable line
EVERY_KEY = "python -m gandi.playground --list --keys lists every key"


def _fail(label, key, value, allowed, hint=""):
    """`hint`: what did_you_mean says about a value misspelt from a fixed set of names."""
    raise SettingError(f"setting {label}: {key} = {value!r} is not allowed; expected "
                       f"{allowed}{hint}")


def validate(raw: dict, label="?") -> dict:
    """Return the complete, checked setting (defaults filled in); raise SettingError."""
    if not isinstance(raw, dict):
        raise SettingError(f"setting {label}: must be a dict of keys to values, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(DEFAULTS), key=repr)  # keys may be of any type
    if unknown:
        raise SettingError(f"setting {label}: unknown key {unknown[0]!r}"
                           f"{did_you_mean(unknown[0], DEFAULTS)} ({EVERY_KEY})")
    # a method's published recipe (e.g. GAAL's optimiser) over the shared defaults
    setting = copy.deepcopy(defaults_for(raw.get("detector", DEFAULTS["detector"])))
    setting.update(copy.deepcopy(raw))
    for key, spec in KEYS.items():
        if not spec.check(setting[key]):
            _fail(label, key, setting[key], spec.allowed, did_you_mean(setting[key], spec.choices))
    # cross-key rules
    images = setting["dataset"] in DATASETS or setting["dataset"] == "folder"
    if setting["checkpoint_ensemble"] == "auto":
        setting["checkpoint_ensemble"] = 1 if images else 5
    if setting["sweet_spot_criterion"] == "auto":
        setting["sweet_spot_criterion"] = "val_vs_corrupted" if images else "val_vs_synthetic"
    if setting["autoencoder_score"] == "auto":  # the codes' distances help on tables (module
        # docstring of gandi/detectors/autoencoder.py); on images they were measured not to
        # help (the same docstring): there the latent part is there when asked for
        setting["autoencoder_score"] = "reconstruction" if images else "reconstruction+latent_knn"
    setting["discriminator_knn_score"], setting["discriminator_knn_k"] = knn_score_and_k(setting)
    if images and not DETECTORS[setting["detector"]].takes_images:
        _fail(label, "detector", setting["detector"], "a detector for images (dataset "
              f"{setting['dataset']!r}): {setting['detector']} is published for vectors only")
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
    if setting["ensemble_members"] is not None:
        _check_ensemble(setting, label, images)
    return setting


def _check_ensemble(setting, label, images):
    """The playground's ensemble: members that are detectors it can score with (a near match
    for a misspelt name), other than the setting's own, each gandi member's setting valid."""
    from gandi.detectors.classical import CLASSICAL
    from gandi.score.exported import NOT_SUPPORTED
    if setting["detector"] in NOT_SUPPORTED:
        _fail(label, "detector", setting["detector"], "a detector gandi can score new data with "
              "when ensemble_members is set (the ensemble scores with every member; "
              f"{setting['detector']}: {NOT_SUPPORTED[setting['detector']]})")
    allowed = [d for d in DETECTORS if d not in NOT_SUPPORTED
               and (DETECTORS[d].takes_images or not images)] + list(CLASSICAL)
    for member in setting["ensemble_members"]:
        if member not in allowed:
            _fail(label, "ensemble_members", member, "detector names among " + ", ".join(allowed)
                  + (" (for images)" if images else ""), did_you_mean(member, allowed))
        if member == setting["detector"]:
            _fail(label, "ensemble_members", member, f"detectors other than the setting's own "
                  f"({setting['detector']!r}), which is a member already")
        if member in DETECTORS:
            ensemble_member_setting(setting, member, label)


def ensemble_member_setting(setting: dict, member: str, label="?") -> dict:
    """The validated setting a gandi ensemble member runs with: the keys `setting` sets (those
    other than its detector's defaults) with the member's detector, its own defaults for the
    rest (a method's recipe, gandi.settings.keys.defaults_for), and no ensemble of its own."""
    own = defaults_for(setting["detector"])
    given = {k: v for k, v in setting.items() if v != own[k] and not k.startswith("ensemble_")}
    return validate({**given, "detector": member}, label=f"{label} (ensemble member {member})")


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
    """One data_file, or train_file (+ test_file); labels and columns that can work."""
    named = [key for key in TABLE_FILE_KEYS if setting[key] is not None]
    if setting["data_file"] is not None and len(named) > 1:
        _fail(label, named[1], setting[named[1]],
              "None when data_file is set (either one data_file, or train_file and an optional "
              "test_file)")
    if setting["data_file"] is None and setting["train_file"] is None:
        got = f"only {named[0]}" if named else "none"
        raise SettingError(f"setting {label}: dataset 'table' needs data_file (one file: "
                           f"labelled, or normal rows only) or train_file (normal rows; "
                           f"test_file, labelled, is optional); got {got}")
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
        _fail(label, key, params, f"keyword arguments of {builder.__name__}: "
              + ", ".join(accepted), did_you_mean(unknown[0], accepted))


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


# ---------------------------------------------------------------------------------------------
# What a run ran on: reports average runs of one setting only over the same data
# ---------------------------------------------------------------------------------------------

def fingerprint(*parts) -> str:
    """A short stable hash of `parts` (bytes, or anything json can write): 8 hex digits, a word
    character string so that it may end a setting id (run_folder.SIGNATURE's \\w+)."""
    import hashlib
    import json
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes)
                      else json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")  # ("ab", "c") and ("a", "bc") differ
    return digest.hexdigest()[:8]


def data_record(setting: dict, test_anomalies: str = REAL, data_fingerprint: str | None = None,
                label: str | None = None, contents: str | None = None) -> dict:
    """What setting.json records of a run's data: a fingerprint (by default a hash of the
    setting's data keys, those the key table marks as read by its dataset: two runs of one
    setting id with another class, file or distribution differ; with `contents`, a hash of the
    files read (an image folder's, DataSplits.contents), also of them: other images at the same
    path are other data), a short label (the dataset and its class or distribution) and whether
    the test anomalies are the data's own (`real`) or made from held-out normals (`synthetic`:
    gandi.Detector.fit without eval_set)."""
    dataset = setting.get("dataset")
    keys = {k: setting[k] for k, spec in KEYS.items()
            if k in setting and spec.data is not None and dataset in spec.data}
    if label is None:
        label = str(dataset)
        if dataset == "distribution":
            label = f"{setting.get('distribution')} vs {setting.get('anomaly')}"
        for key in ("normal_class", "anomaly_class"):
            if setting.get(key) is not None:
                label += f" {key}={setting[key]}"
    # without contents the parts are those of the runs before them: their fingerprints stay
    parts = [{"dataset": dataset, **keys}] + ([contents] if contents is not None else [])
    return {"fingerprint": data_fingerprint or fingerprint(*parts),
            "label": label, "test_anomalies": test_anomalies}
