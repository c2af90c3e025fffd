"""The discriminator's features as the score: a GAN trained as for `discriminator`, and

    anomaly_score(x) = distance from f(x) to its k-th nearest neighbour among f(training normals)

with f D's hidden layers ("discriminator_knn_layers": on tables every dense hidden layer's output
side by side, on images the last, "features"). D's logit says how real a sample looks against
the *current* generator, which keeps changing (the swings of the plain discriminator's curve);
the geometry of its features changes more slowly, and a neighbour distance in them needs no
direction: far from every training normal is anomalous whatever D's sign.

`discriminator_lof` is the same GAN scored by the local outlier factor of f(x) among the same
neighbours (`discriminator_knn_score: lof`, k 20): the neighbours' density over its own. Neither
score is better everywhere, so neither replaces the other; measured on the grids' runs, each
scored both ways at its sweet spot (benchmarks/dknn_lof.py, benchmarks/dknn_spaces.py):
one-class MNIST, seed 0: 0.959 the distance, 0.979 LOF against each run's bank (LOF on the
pixels, the best classical detector there: 0.973); MNIST anomaly_class, seed 0: 0.783 and 0.838
(the pixels' LOF 0.921; LOF's runs against 8,192 training normals instead of the bank's 2,048:
docs/detectors.md, "The bank's size"); one-class Fashion-MNIST, classes 0 and 1 of LOF's
runs: 0.839-0.866 LOF against 0.931-0.941 the distance on class 0 (0.924 against 0.990 on class
1); the 8 ODDS tables, 3 seeds: 0.914 LOF against 0.952 the distance. Nothing a run sees
without labels tells the two apart: the label-free criterion ranks LOF at or above the distance
on all four Fashion-MNIST runs where LOF was 0.07-0.10 worse. Hence two detectors, each with its
own rows in the benchmarks, and the distance for `discriminator_knn`.

The training normals are a reference bank (`gandi.detectors.reference_bank`): the last
`reference_bank_size` (2,048) training samples seen by the train steps, kept as a network's
weights.
Every hidden layer rather than the last on tables, measured (8 ODDS tables, 3 seeds, one trained
GAN per cell, both scored at its sweet spot): mean AUC 0.952 +- 0.002 against 0.946 +- 0.003,
higher on six tables (letter 0.867 against 0.839). On images the first convolutions alone are
~12,500 numbers per image: only the last layer.

The score is compiled whole (bank features and distances in one call), so `gandi score`,
exports and the gradient-saliency map work unchanged.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gandi.detectors.base import batched
from gandi.detectors.compiled import per_detector_function
from gandi.detectors.discriminator import DiscriminatorDetector, saliency_map
from gandi.training.device import compute_device
from gandi.detectors.reference_bank import (bank_network, kth_distance, local_outlier_factor,
                                            lof_reference)
from gandi.settings.checks import SettingKey, is_int, one_of


KNN_SCORES = ("distance", "lof")


class DiscriminatorKNNDetector(DiscriminatorDetector):
    """The plain GAN; the score is a k-nearest-neighbour distance in D's features."""

    name = "discriminator_knn"
    tracked_name = "discriminator_knn"
    scoring_networks = ("discriminator", "reference_bank")
    oriented = False  # a distance has one direction: far is anomalous
    setting_keys = {
        "discriminator_knn_score": SettingKey("distance", *one_of(KNN_SCORES),
                                              "the distance to the k-th neighbour, or the local "
                                              "outlier factor over the k neighbours (lof: "
                                              "discriminator_lof's)"),
        "discriminator_knn_k": SettingKey("auto", lambda v: v == "auto" or (is_int(v) and v >= 1),
                                          '"auto" or an integer >= 1',
                                          "the neighbours the score takes; auto: 5 for the "
                                          "distance (PyOD's kNN default), 20 for lof "
                                          "(scikit-learn's LocalOutlierFactor default)"),
        "discriminator_knn_layers": SettingKey("auto", *one_of(("auto", "hidden", "features")),
                                               "D's layers the distance is taken in: every dense "
                                               "hidden layer (a convolutional D has none: its "
                                               "last), the last (features), or auto (hidden on "
                                               "vectors, features on images)"),
    }

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        score, self.k = knn_score_and_k(setting)
        self.lof = score == "lof"
        self.reference_bank, self.bank = bank_network(self.sample_shape,
                                                     setting["reference_bank_size"])
        self.track_bank_limit = setting["track_bank_limit"]
        # one input tensor (not features_of's list of one): called on a tensor, without
        # Keras' input-structure warning
        self.features = keras.Model(self.scorer.input, feature_layers(
            self.scorer, setting["discriminator_knn_layers"], len(self.sample_shape) == 1))
        # `score`'s two parts, each traced once per detector (any number of samples and of
        # bank rows: the bank fills over the first steps; the rows taken are a tensor)
        self._reference_features = per_detector_function(self._bank_features, input_signature=[
            tf.TensorSpec((), tf.int32)])
        dtype = self.features.outputs[0].dtype
        self._score_against = per_detector_function(self._scores, input_signature=[
            tf.TensorSpec((None, *self.sample_shape), tf.float32),
            tf.TensorSpec((None, None), dtype)] + ([
                tf.TensorSpec((None,), tf.bool), tf.TensorSpec((None,), dtype),
                tf.TensorSpec((None,), dtype)] if self.lof else []))

    @property
    def networks(self) -> dict:
        return {**super().networks, "reference_bank": self.reference_bank}

    def train_step_eager(self, real):
        losses = super().train_step_eager(real)
        self.bank.keep(tf.split(real, self.d_steps)[0])
        return losses

    def _anomaly_score(self, x):
        return self._scores(x, *self._bank_features(self.bank.size))

    def _anomaly_map(self, x):
        # the bank's part holds for every image and x does not feed it: made before the
        # saliency's tape, compiled (eager it costs more than the gradient of 64 images)
        reference = self._reference_features(tf.constant(self.bank.size, tf.int32))
        return saliency_map(lambda x: self._scores(x, *reference), x)

    def _bank_features(self, rows):
        """The bank's first `rows` rows in D's features, and for lof what the factor needs of
        them (their densities): what every score of one call shares."""
        reference = self.features(self.bank.kept()[:rows], training=False)
        reference = tf.reshape(reference, (tf.shape(reference)[0], -1))
        return (reference, *lof_reference(reference, self.k)) if self.lof else (reference,)

    def _scores(self, x, reference, *statistics):
        f = tf.reshape(self.features(x, training=False), (tf.shape(x)[0], -1))
        if self.lof:
            return local_outlier_factor(f, reference, statistics, self.k)
        return kth_distance(f, reference, self.k)

    def score(self, x) -> np.ndarray:
        """`_anomaly_score` batched, with the bank's features (and lof's densities) computed
        once per call instead of once per batch, and once per tracked step for its four calls:
        on images they were most of a tracked step's scoring (2,048 bank images through D for
        every 512 scored; lof adds the bank's 2,048 x 2,048 distances). The same arithmetic;
        exports and maps keep the whole `_anomaly_score`. A tracked step compares with the
        bank's first `track_bank_limit` rows (`tracked_bank_rows`)."""
        rows = (self.in_tracked_step() and self.tracked_bank_rows()) or self.bank.size
        with compute_device():  # once per tracked step (the tracker's fixed_weights block)
            reference = self.kept("reference", lambda: self._reference_features(
                tf.constant(rows, tf.int32)))
        return batched(lambda batch: self._score_against(batch, *reference),
                       np.asarray(x, np.float32))

    def tracked_bank_rows(self) -> int | None:
        """The bank rows a tracked step compares with when fewer than the bank's
        (`track_bank_limit`); None: all."""
        limit = self.track_bank_limit
        return limit if limit is not None and limit < self.bank.size else None


def knn_score_and_k(setting: dict) -> tuple:
    """(score, k) of a setting, k `auto` resolved: 20 for lof (scikit-learn's
    LocalOutlierFactor default, gandi's classical `lof`), 5 for the distance (PyOD's kNN)."""
    score, k = setting["discriminator_knn_score"], setting["discriminator_knn_k"]
    return score, ((20 if score == "lof" else 5) if k == "auto" else int(k))


class DiscriminatorLOFDetector(DiscriminatorKNNDetector):
    """The plain GAN; the score is the local outlier factor in D's features (the module's
    docstring: where it does better than the distance, and where worse)."""

    name = "discriminator_lof"
    tracked_name = "discriminator_lof"
    recipe = {"discriminator_knn_score": "lof"}


def feature_layers(discriminator: keras.Model, layers: str, vectors: bool):
    """The outputs the distance is taken in, side by side: every dense hidden layer (the
    spectrally normalised ones included, whose wrapper keeps the layer's name) before the logit,
    or the last hidden layer alone (also what `hidden` means for a D without dense hidden
    layers, e.g. the convolutional ones of images; the key's doc says so)."""
    if layers == "features" or (layers == "auto" and not vectors):
        return discriminator.get_layer("features").output
    dense = [layer.output for layer in discriminator.layers
             if isinstance(layer, (keras.layers.Dense, keras.layers.SpectralNormalization))
             and layer.name != "logit"]
    return keras.layers.Concatenate()(dense) if len(dense) > 1 else (
        dense[0] if dense else discriminator.get_layer("features").output)
