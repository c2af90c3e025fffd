"""Every setting key in one table: its default, the check its value must pass, what is allowed, a
one-line doc and which detectors and data read it. `gandi.settings.validation` validates against it, the
key table of docs/settings.md and `python -m gandi.playground --list --keys` are generated from it.

Keys that only one detector reads (`anogan_*`, `egbad_*`, ...) are declared next to that detector
(its `setting_keys`) and added here, last.
"""
from __future__ import annotations


from gandi.data.distributions import ANOMALIES, DISTRIBUTIONS
from gandi.data.table_formats import SUFFIXES
from gandi.data.tabular_transform import CATEGORICAL, MISSING
from gandi.detectors import DETECTORS
from gandi.detectors.reference_bank import BANK
from gandi.detectors.losses import LOSSES
from gandi.nets import DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_DISCRIMINATORS
from gandi.detectors.optimizers import OPTIMIZERS
from gandi.settings.checks import (SettingKey, a_dict, a_flag, a_fraction, a_seed, at_least_zero,
                                   is_int, is_number, label_values, member_names,
                                   non_empty_text, one_of, optional, positive_int,
                                   positive_number)
from gandi.settings.readers import (D_SCORED, GENERATING, IMAGE_DATASETS, PLAIN_GAN, SPLIT_DATA,
                                    WITH_BANK, WITH_D, WITH_D_STEPS, WITH_ENCODER,
                                    WITH_LATENT)

SWEET_SPOT_CRITERIA = ("auto", "val_vs_synthetic", "val_vs_corrupted", "val_vs_uniform",
                       "val_vs_generated")


def _table_path(v):
    """A path with a suffix gandi reads; whether the file exists is checked when it is read, so
    that settings (--list, the shipped templates) validate without their data."""
    return isinstance(v, str) and v.strip() != "" and any(
        v.lower().endswith(suffix) for suffix in SUFFIXES)


_TABLE_FILE = "a file path ending in " + ", ".join(SUFFIXES)


_INT = "an integer > 0"
_KWARGS = "a dict of builder keyword arguments"
_SEED = "an integer in [0, 2**32)"
_FRACTION = "a number in (0, 1)"
_BETA = "a number in [0, 1)"

SHARED_KEYS = {
    "name": SettingKey("unnamed", non_empty_text, "a non-empty string",
                       "the setting's name, shown by --list"),
    "detector": SettingKey("discriminator", *one_of(DETECTORS),
                           "the anomaly detector trained and tracked (see Detectors)"),
    "dataset": SettingKey(
        "distribution", *one_of(("distribution", "table", "folder") + IMAGE_DATASETS),
        "the data: a SciPy distribution (the distribution keys), MNIST or Fashion-MNIST (one-"
        "class keys), your own table (data_file, or train_file [+ test_file]) or image folder "
        "(image_dir)"),
    # distributions
    "distribution": SettingKey(
        "normal", *one_of(DISTRIBUTIONS),
        "the normal data: normal (loc, scale), mixture (locs, scales, weights), uniform (low, "
        "high), exponential (scale), lognormal (mu, sigma), mixture2d (means, covs, weights)",
        data=("distribution",)),
    "distribution_params": SettingKey({}, a_dict, "a dict of the distribution's parameters",
                                      "the distribution's parameters (its defaults otherwise)",
                                      data=("distribution",)),
    "anomaly": SettingKey(
        "shifted", *one_of(ANOMALIES),
        "the anomalies: shifted (shift, in standard deviations; default 5), wider (factor; "
        "default 3), uniform_box (margin; default 1)", data=("distribution",)),
    "anomaly_params": SettingKey({}, a_dict, "a dict of the anomaly's parameters",
                                 "the anomaly's parameters (its defaults otherwise)",
                                 data=("distribution",)),
    "n_train": SettingKey(10000, positive_int, _INT, "normal training samples",
                          data=("distribution",)),
    "n_validation": SettingKey(2000, positive_int, _INT, "validation normals (thresholds, the "
                               "sweet spot; never trained on)", data=("distribution",)),
    "n_test_normal": SettingKey(2000, positive_int, _INT, "normal test samples",
                                data=("distribution",)),
    "n_test_anomaly": SettingKey(2000, positive_int, _INT, "anomalous test samples",
                                 data=("distribution",)),
    # image datasets: one-class protocol (exactly one of normal_class / anomaly_class)
    "data_dir": SettingKey(None, *optional(non_empty_text, "a folder path"),
                           "a folder with the four IDX files (see Data); None: the data folders "
                           "gandi knows", data=IMAGE_DATASETS),
    "normal_class": SettingKey(
        None, *optional(lambda v: is_int(v) and v >= 0, "a class number"),
        "train on this class, test on the whole test set with every other class an anomaly "
        "(Deep SVDD / EGBAD protocol); exactly one of normal_class, anomaly_class",
        data=IMAGE_DATASETS),
    "anomaly_class": SettingKey(
        None, *optional(lambda v: is_int(v) and v >= 0, "a class number"),
        "this class is the anomaly, train on all the others (GANomaly protocol)",
        data=IMAGE_DATASETS),
    "validation_fraction": SettingKey(
        0.1, a_fraction, _FRACTION, "share of the normal training images (rows) held out for "
        "thresholds and the sweet spot, never trained on", data=SPLIT_DATA),
    "train_limit": SettingKey(None, *optional(positive_int, _INT),
                              "keep at most this many training normals (random)",
                              data=IMAGE_DATASETS),
    "test_limit": SettingKey(None, *optional(lambda v: is_int(v) and v >= 2, "an integer >= 2"),
                             "keep at most this many test images (random; every class keeps "
                             "its share)", data=IMAGE_DATASETS),
    # tables (gandi/data/tables.py): one data_file, or train_file (+ test_file)
    "data_file": SettingKey(
        None, *optional(_table_path, _TABLE_FILE),
        "one labelled file of normal and anomalous rows, or of normal rows only (split as in "
        "\"Run gandi on your data\"); relative to the current folder; checked when the run "
        "starts", data=("table",)),
    "train_file": SettingKey(None, *optional(_table_path, _TABLE_FILE),
                             "instead of data_file: a file of normal rows (a label column is "
                             "optional; if there, every row must be normal)", data=("table",)),
    "test_file": SettingKey(None, *optional(_table_path, _TABLE_FILE),
                            "with train_file: a labelled test file with the same columns "
                            "(without one, the test set is held-out normals and synthetic "
                            "anomalies)",
                            data=("table",)),
    "label_column": SettingKey("label", non_empty_text, "a column name", "the column of labels",
                               data=("table",)),
    "normal_values": SettingKey(
        [0], label_values, "a non-empty list of label values (text or numbers)",
        "the label values meaning normal; any value in neither list is an error",
        data=("table",)),
    "anomaly_values": SettingKey(
        [1], label_values, "a non-empty list of label values (text or numbers)",
        "the label values meaning anomaly", data=("table",)),
    "drop_columns": SettingKey(
        [], lambda v: isinstance(v, (list, tuple)) and all(
            isinstance(c, str) and c != "" for c in v), "a list of column names",
        "columns that are no features (ids, timestamps)", data=("table",)),
    "categorical": SettingKey(
        "error", *one_of(CATEGORICAL),
        "error: a non-numeric column is an error naming it; one_hot: one column per category "
        "seen in the training normals (an unseen or missing category: all zeros)",
        data=("table",)),
    "missing": SettingKey(
        "error", *one_of(MISSING),
        "error: a missing value is an error naming the column and the count; impute_median, "
        "impute_mean: the training normals' median / mean of the column", data=("table",)),
    "test_fraction": SettingKey(
        0.2, a_fraction, _FRACTION, "share of the normal rows (images) held out for testing, with "
        "every anomalous one (a labelled data_file; folders with normal/ and abnormal/)",
        data=("table", "folder")),
    # image folders (gandi/data/image_folders.py): normal/ + abnormal/, or train/ + test/
    "image_dir": SettingKey(
        None, *optional(lambda v: isinstance(v, str) and v.strip() != "", "a folder path"),
        "a folder with normal/ and abnormal/, or train/normal/, test/normal/ and test/abnormal/, "
        "of PNG or JPEG files; relative to the current folder", data=("folder",)),
    # any side: the convolutional networks take their depth from it and the generators crop
    # what they upsample to it (gandi.nets.image_sizes)
    "image_size": SettingKey(
        28, lambda v: is_int(v) and 8 <= v <= 1024,
        "an integer in [8, 1024]",
        "every image is resized (stretched) to image_size x image_size (MNIST, Fashion-MNIST: "
        "28)", data=("folder",)),
    "channels": SettingKey(1, lambda v: is_int(v) and v in (1, 3), "1 (grey) or 3 (colour)",
                           "images are converted to grey or RGB (MNIST, Fashion-MNIST: 1)",
                           data=("folder",)),
    # networks; the autoencoders' decoder is the generator (g_arch, lr_g)
    "g_arch": SettingKey(
        "mlp_small", *one_of(GENERATORS),
        "the generator, or the decoder (ganomaly, autoencoder, vae, aae); on vectors not the "
        "convolutional ones"),
    "d_arch": SettingKey("mlp_small", *one_of(DISCRIMINATORS),
                         "the discriminator (aae: the latent discriminator, on codes)",
                         detectors=WITH_D),
    "g_params": SettingKey({}, a_dict, _KWARGS,
                           "keyword arguments of the g_arch builder, e.g. {\"units\": [64, 64]}"),
    "d_params": SettingKey({}, a_dict, _KWARGS, "keyword arguments of the d_arch builder",
                           detectors=WITH_D),
    "latent_dim": SettingKey(8, positive_int, _INT, "the size of the latent code z",
                             detectors=WITH_LATENT),
    "e_arch": SettingKey("mlp_small", *one_of(ENCODERS), "the encoder", detectors=WITH_ENCODER),
    "e_params": SettingKey({}, a_dict, _KWARGS, "keyword arguments of the e_arch builder",
                           detectors=WITH_ENCODER),
    "jd_arch": SettingKey("mlp_joint", *one_of(JOINT_DISCRIMINATORS),
                          "EGBAD's discriminator on (x, z) pairs", detectors=("egbad",)),
    "jd_params": SettingKey({}, a_dict, _KWARGS, "keyword arguments of the jd_arch builder",
                            detectors=("egbad",)),
    # training
    "loss": SettingKey("nonsaturating", *one_of(LOSSES), "the GAN loss",
                       detectors=PLAIN_GAN),
    "gp_weight": SettingKey(10.0, at_least_zero, "a number >= 0",
                            "weight of the gradient penalty (loss wgan_gp)",
                            detectors=PLAIN_GAN),
    "g_fake": SettingKey("fresh", *one_of(("fresh", "reused")),
                         "the generator's update on a fresh latent batch (Keras' DCGAN example) "
                         "or on the batch D's last update just saw (PyTorch's DCGAN tutorial): "
                         "one generator forward less per step",
                         detectors=PLAIN_GAN),
    "d_spectral_norm": SettingKey(False, a_flag, "true or false",
                                  "spectral normalisation of every dense and convolutional "
                                  "layer of D", detectors=D_SCORED),
    "r1_weight": SettingKey(0.0, at_least_zero, "a number >= 0",
                            "weight of the R1 penalty E||grad_x D(x)||^2 / 2 on real samples "
                            "in D's loss (0: none)", detectors=D_SCORED),
    "d_ema": SettingKey(0.0, lambda v: is_number(v) and 0 <= v < 1, "a number in [0, 1)",
                        "score with a moving average of D's weights, this decay per D update "
                        "(0: D itself)", detectors=D_SCORED),
    "optimizer": SettingKey("adam", *one_of(OPTIMIZERS), "the optimiser of every network"),
    "lr_d": SettingKey(2e-4, positive_number, "a number > 0",
                       "learning rate of the discriminator (aae: the latent discriminator)",
                       detectors=("discriminator", "anogan", "egbad", "ganomaly", "aae", "fencegan",
                                  "so_gaal", "mo_gaal", "discriminator_knn",
                                  "discriminator_lof")),
    "lr_g": SettingKey(2e-4, positive_number, "a number > 0",
                       "learning rate of the generator and encoder; the autoencoders' only rate "
                       "besides aae's lr_d"),
    "beta_1": SettingKey(0.5, lambda v: is_number(v) and 0 <= v < 1, _BETA,
                         "Adam's beta_1 (rmsprop: rho)"),
    "beta_2": SettingKey(0.999, lambda v: is_number(v) and 0 <= v < 1, _BETA, "Adam's beta_2"),
    "batch_size": SettingKey(64, positive_int, _INT,
                             "samples per step (distributions: at most n_train)"),
    "steps": SettingKey(3000, positive_int, _INT, "training steps (--steps overrides it)"),
    "epochs": SettingKey(None, *optional(positive_int, "an integer > 0 (overrides steps)"),
                         "if set, the training length in passes over the training data"),
    "d_steps": SettingKey(1, positive_int, _INT,
                          "discriminator updates per generator update, one real batch each",
                          detectors=WITH_D_STEPS),
    "jit_compile": SettingKey(
        "auto", lambda v: isinstance(v, bool) or v == "auto", "true, false or auto",
        "XLA-compile the train step and generation; auto: decided on the machine by timing "
        "the step both ways (cached), for image runs of 500 steps or more; plain on vectors "
        "and shorter runs (gandi/training/compiled_step.py)"),
    "precision": SettingKey(
        "float32", *one_of(("float32", "mixed_bfloat16", "auto")),
        "what the networks compute in: float32, or Keras mixed precision in bfloat16 "
        "(variables, losses and scores float32); auto: bfloat16 only on a CPU with bfloat16 "
        "arithmetic (AVX512_BF16, AMX) where its step measures faster (gandi/training/"
        "precision.py)"),
    "deterministic": SettingKey(False, a_flag, "true or false (TF deterministic ops)",
                                "TensorFlow deterministic ops (enable_op_determinism)"),
    "divergence_restarts": SettingKey(
        0, lambda v: is_int(v) and v >= 0, "an integer >= 0",
        "after a NaN/Inf, restart from the last good checkpoint at most this many times"),
    "divergence_lr_factor": SettingKey(0.5, a_fraction, _FRACTION,
                                       "a restart multiplies the learning rates by this"),
    # tracking
    "track_every": SettingKey(100, positive_int, _INT,
                              "steps between tracked rows (and step 0 and the last step)"),
    "reference_bank_size": SettingKey(
        BANK, lambda v: is_int(v) and v >= 2, "an integer >= 2",
        "training normals the neighbour scores compare with (the last ones trained on, kept in "
        "the run's checkpoints and exports); more helps where the normals have many modes "
        "(the anomaly_class protocol's nine digits: docs/detectors.md), at a memory and time "
        "growing with its square", detectors=WITH_BANK),
    "checkpoint_every": SettingKey(500, positive_int, _INT, "steps between checkpoints"),
    "max_checkpoints": SettingKey(3, positive_int, _INT, "checkpoints kept (the newest)"),
    "track_test_limit": SettingKey(
        1000, *optional(lambda v: is_int(v) and v >= 2, "an integer >= 2"),
        "test samples scored at each tracked step for the curve (a fixed random sample keeping "
        "the anomalies' share; None: all); the final table scores the whole test set"),
    "track_validation_limit": SettingKey(
        None, *optional(lambda v: is_int(v) and v >= 100,
                        "an integer >= 100 (the criterion's ties are 1/that wide)"),
        "validation normals scored at each tracked step for the criterion and the curve's "
        "threshold (a fixed random sample; None: all); the sweet spot's networks score them all "
        "for the final table and thresholds. Saves tracking time where the validation set is "
        "large (the anomaly_class protocol's 5,408 normals)"),
    "track_bank_limit": SettingKey(
        None, *optional(lambda v: is_int(v) and v >= 100, "an integer >= 100"),
        "reference bank rows a tracked step's neighbour scores compare with (the bank's first: "
        "random training normals; None: all); the sweet spot's networks score against the whole "
        "bank for the final table and thresholds. The bank's statistics grow with its square "
        "each tracked step; but the criterion is then the sample's and may choose another "
        "step (MNIST anomaly_class, 2,048 of 8,192: digit 8 -0.04 AUC; docs/detectors.md)",
        detectors=("discriminator_knn", "discriminator_lof")),
    "n_generated": SettingKey(
        2000, lambda v: is_int(v) and v >= 10, "an integer >= 10",
        "generated samples per tracked step (fit metrics, Monte-Carlo threshold)",
        detectors=GENERATING),
    "threshold_percentile": SettingKey(
        95.0, lambda v: is_number(v) and 0 < v < 100, "a number in (0, 100)",
        "the label-free thresholds' percentile of validation-normal (generated) scores"),
    "sweet_spot_criterion": SettingKey(
        "auto", *one_of(SWEET_SPOT_CRITERIA),
        "the label-free criterion that chooses the step; auto: val_vs_corrupted on images, "
        "val_vs_synthetic on vectors (see What is measured)"),
    "stop_patience": SettingKey(
        0, lambda v: is_int(v) and v >= 0, "an integer >= 0",
        "stop training once the label-free criterion has gone this many tracked steps without "
        "a gain (rising more than the tie tolerance above its last gain), from the 5th tracked "
        "step on; steps is then the most it trains (0: train all steps)"),
    "checkpoint_ensemble": SettingKey(
        "auto", lambda v: v == "auto" or positive_int(v), '"auto" or an integer >= 1',
        "tracked steps averaged in the checkpoint ensemble: the best by the criterion, each "
        "standardised on validation normals (a row of the final table; 1: none; auto: 5 on "
        "vectors, 1 on images, where each member scores the whole test set once more)"),
    # the playground's ensemble (gandi.playground.run_ensemble): after this setting's run, the
    # other members run with the same keys and all are combined as gandi.Ensemble does
    "ensemble_members": SettingKey(
        None, *optional(member_names, "a list of distinct detector names (gandi's or "
                        "classical: knn, kde, lof, pca, iforest, ocsvm, ecod)"),
        "the playground's ensemble: detectors run and fitted beside this setting's detector, "
        "on its data and split; the best ensemble_top of all by the label-free criterion are "
        "averaged (None: no ensemble)"),
    "ensemble_top": SettingKey(5, positive_int, _INT,
                               "members the playground's ensemble keeps (ensemble_members)"),
    "snapshots": SettingKey(6, lambda v: is_int(v) and v >= 2, "an integer >= 2",
                            "generator snapshots drawn over training (PDF/CDF plot, image grids)",
                            detectors=GENERATING),
    # seeds
    "numpy_seed": SettingKey(0, a_seed, _SEED, "NumPy seed: data, splits, references (--seed)"),
    "tf_seed": SettingKey(0, a_seed, _SEED,
                          "TensorFlow seed: weights, noise, shuffling (--seed)"),
}


def _detector_keys() -> dict:
    """The keys detectors declare for themselves, marked as read by the detectors that declare
    them (a subclass inherits its parent's)."""
    keys = {}
    for detector in DETECTORS.values():
        for key, spec in detector.setting_keys.items():
            keys[key] = spec._replace(detectors=tuple(
                name for name, other in DETECTORS.items() if key in other.setting_keys))
    return keys


DETECTOR_KEYS = _detector_keys()
assert not set(DETECTOR_KEYS) & set(SHARED_KEYS), "a detector redeclares a shared key"
KEYS: dict[str, SettingKey] = {**SHARED_KEYS, **DETECTOR_KEYS}
DEFAULTS = {key: spec.default for key, spec in KEYS.items()}


def defaults_for(detector) -> dict:
    """What a setting of `detector` takes for a key it does not give: the key table's default,
    or the value of the detector's published recipe (e.g. GAAL's SGD) where it has one."""
    cls = DETECTORS.get(detector) if isinstance(detector, str) else None
    return {**DEFAULTS, **(cls.recipe if cls is not None else {})}
