"""The direction of a discriminator's score, chosen without labels.

D is trained to say "real" on the training data and "generated" on G's samples; nothing makes
it say "real" less on anomalies than on normals. When G's samples surround the data from one
side, D can rank whole regions of unseen (anomalous) data as *more* real than the normals:
AUCs of 0.1-0.4 on tables are a ranking turned upside down (PyOD's GAAL, which returns D(x)
itself, shows the same: its issues #119 and #237).

So a D-scored detector carries its score's direction, +1 or -1, as the one weight of a small
network ("score_direction"), kept like any scoring network: by checkpoints, at the sweet spot,
in the checkpoint ensemble and in exports. At every tracked step the Tracker compares, on the
detector's current scores, validation normals with the synthetic references of the label-free
criterion; when the references look more normal than the normals (the criterion's AUC below
0.5), it turns the direction round (`orient`). The criterion, and the sweet spot, then always
see the better of the two directions; test labels are never used.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="gandi")
class Direction(keras.layers.Layer):
    """Multiplies its input by the direction, a weight that is +1 or -1."""

    def build(self, input_shape):
        self.sign = self.add_weight(shape=(), initializer="ones", trainable=False, name="sign")

    def call(self, scores):
        return scores * tf.cast(self.sign, scores.dtype)


def direction_network():
    """scores (n,) -> direction * scores: the network named "score_direction"."""
    scores = keras.Input(shape=(), name="scores")
    return keras.Model(scores, Direction(name="direction")(scores), name="score_direction")


def sign_of(network) -> float:
    return float(network.get_layer("direction").sign.numpy())


def turn_round(network):
    """The direction negated (+1 <-> -1)."""
    sign = network.get_layer("direction").sign
    sign.assign(-sign)
