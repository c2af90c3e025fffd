"""Settings: plain dicts from `run_params`, completed with defaults and validated once, up front.

A bad setting raises `SettingError` with one line naming the setting, the key, the value and
what is allowed. Unknown keys are errors, never silently ignored.
"""
from __future__ import annotations

import copy
import inspect
import numbers

from gandi.data.distributions import ANOMALIES, DISTRIBUTIONS
from gandi.data.images import DATASETS, dataset_classes
from gandi.detectors import DETECTORS
from gandi.losses import LOSSES
from gandi.nets import DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_DISCRIMINATORS
from gandi.optimizers import OPTIMIZERS

SWEET_SPOT_CRITERIA = ("auto", "val_vs_uniform", "val_vs_corrupted", "val_vs_generated")

DEFAULTS = {
    "name": "unnamed",
    "detector": "discriminator",
    # data: "distribution" (SciPy, below) or an image dataset
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
    # AnoGAN (Schlegl et al. 2017): latent search per test image, batched
    "anogan_iterations": 500,
    "anogan_lambda": 0.1,
    "anogan_lr": 0.01,
    "anogan_batch": 1000,
    # EGBAD (Zenati et al. 2018): A(x) = alpha * ||x - G(E(x))||_1 + (1 - alpha) * L_D(x)
    "egbad_alpha": 0.9,
    "egbad_discrimination": "feature_matching",
    # GANomaly (Akcay et al. 2018): loss weights of adversarial, contextual, encoder losses
    "ganomaly_w_adv": 1.0,
    "ganomaly_w_con": 50.0,
    "ganomaly_w_enc": 1.0,
    # VAE: score = negative ELBO, or reconstruction probability from vae_samples draws
    "vae_score": "elbo",
    "vae_samples": 10,
    "vae_beta": 1.0,
    # AAE: score = reconstruction error + aae_latent_weight * latent discriminator's score
    "aae_latent_weight": 0.0,
    # seeds
    "numpy_seed": 0,
    "tf_seed": 0,
}


class SettingError(ValueError):
    """A bad setting; the message is the one line the user sees."""


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _positive_int(v):
    return _is_int(v) and v > 0


def _positive_number(v):
    return _is_number(v) and v > 0


def _optional(check, allowed):
    return (lambda v: v is None or check(v)), f"None or {allowed}"


def _one_of(choices):
    return (lambda v: isinstance(v, str) and v in choices), "one of " + ", ".join(sorted(choices))


# key -> (check, what is allowed)
RULES = {
    "name": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "detector": _one_of(DETECTORS),
    "dataset": _one_of(("distribution",) + tuple(DATASETS)),
    "distribution": _one_of(DISTRIBUTIONS),
    "distribution_params": (lambda v: isinstance(v, dict), "a dict of the distribution's parameters"),
    "anomaly": _one_of(ANOMALIES),
    "anomaly_params": (lambda v: isinstance(v, dict), "a dict of the anomaly's parameters"),
    "n_train": (_positive_int, "an integer > 0"),
    "n_validation": (_positive_int, "an integer > 0"),
    "n_test_normal": (_positive_int, "an integer > 0"),
    "n_test_anomaly": (_positive_int, "an integer > 0"),
    "data_dir": _optional(lambda v: isinstance(v, str) and v != "", "a folder path"),
    "normal_class": _optional(lambda v: _is_int(v) and v >= 0, "a class number"),
    "anomaly_class": _optional(lambda v: _is_int(v) and v >= 0, "a class number"),
    "validation_fraction": (lambda v: _is_number(v) and 0 < v < 1, "a number in (0, 1)"),
    "train_limit": _optional(_positive_int, "an integer > 0"),
    "test_limit": _optional(lambda v: _is_int(v) and v >= 2, "an integer >= 2"),
    "g_arch": _one_of(GENERATORS),
    "d_arch": _one_of(DISCRIMINATORS),
    "g_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "d_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "latent_dim": (_positive_int, "an integer > 0"),
    "e_arch": _one_of(ENCODERS),
    "e_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "jd_arch": (lambda v: isinstance(v, str) and v in JOINT_DISCRIMINATORS,
                "a key of JOINT_DISCRIMINATORS"),
    "jd_params": (lambda v: isinstance(v, dict), "a dict of builder keyword arguments"),
    "loss": _one_of(LOSSES),
    "gp_weight": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "optimizer": _one_of(OPTIMIZERS),
    "lr_d": (_positive_number, "a number > 0"),
    "lr_g": (_positive_number, "a number > 0"),
    "beta_1": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "beta_2": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "batch_size": (_positive_int, "an integer > 0"),
    "steps": (_positive_int, "an integer > 0"),
    "epochs": _optional(_positive_int, "an integer > 0 (overrides steps)"),
    "d_steps": (_positive_int, "an integer > 0"),
    "jit_compile": (lambda v: isinstance(v, bool), "true or false"),
    "deterministic": (lambda v: isinstance(v, bool), "true or false (TF deterministic ops)"),
    "divergence_restarts": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "divergence_lr_factor": (lambda v: _is_number(v) and 0 < v < 1, "a number in (0, 1)"),
    "track_every": (_positive_int, "an integer > 0"),
    "checkpoint_every": (_positive_int, "an integer > 0"),
    "max_checkpoints": (_positive_int, "an integer > 0"),
    "n_generated": (lambda v: _is_int(v) and v >= 10, "an integer >= 10"),
    "threshold_percentile": (lambda v: _is_number(v) and 0 < v < 100, "a number in (0, 100)"),
    "sweet_spot_criterion": _one_of(SWEET_SPOT_CRITERIA),
    "snapshots": (lambda v: _is_int(v) and v >= 2, "an integer >= 2"),
    "anogan_iterations": (_positive_int, "an integer > 0"),
    "anogan_lambda": (lambda v: _is_number(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "anogan_lr": (_positive_number, "a number > 0"),
    "anogan_batch": (_positive_int, "an integer > 0"),
    "egbad_alpha": (lambda v: _is_number(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "egbad_discrimination": _one_of(("cross_entropy", "feature_matching")),
    "ganomaly_w_adv": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "ganomaly_w_con": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "ganomaly_w_enc": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "vae_score": _one_of(("elbo", "reconstruction_probability")),
    "vae_samples": (_positive_int, "an integer > 0"),
    "vae_beta": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "aae_latent_weight": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "numpy_seed": (lambda v: _is_int(v) and 0 <= v < 2 ** 32, "an integer in [0, 2**32)"),
    "tf_seed": (lambda v: _is_int(v) and 0 <= v < 2 ** 32, "an integer in [0, 2**32)"),
}
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
    images = setting["dataset"] != "distribution"
    if setting["sweet_spot_criterion"] == "auto":
        setting["sweet_spot_criterion"] = "val_vs_corrupted" if images else "val_vs_uniform"
    elif setting["sweet_spot_criterion"] == "val_vs_corrupted" and not images:
        _fail(label, "sweet_spot_criterion", "val_vs_corrupted",
              "val_vs_uniform or val_vs_generated on vectors (corruptions are made for images)")
    if images:
        _check_classes(setting, label)
    elif setting["batch_size"] > setting["n_train"]:
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
