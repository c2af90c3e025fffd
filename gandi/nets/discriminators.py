"""Discriminators: build(input_shape, **params) -> keras.Model giving one raw output per sample
(a logit, or a critic value for WGAN). Higher = "more like the real data".

To add one: write a builder and add it to DISCRIMINATORS.
"""
import keras
from keras import layers


def _mlp(input_shape, units, activation="leaky_relu", dropout=0.0, name="discriminator"):
    x = keras.Input(shape=input_shape, name="x")
    h = layers.Flatten()(x)
    for u in units:
        h = layers.Dense(u, activation=activation)(h)
        if dropout:
            h = layers.Dropout(dropout)(h)
    out = layers.Dense(1, name="logit")(h)
    out = layers.Reshape(())(out)
    return keras.Model(x, out, name=name)


def mlp_small(input_shape, units=(32, 32), activation="leaky_relu", dropout=0.0):
    return _mlp(input_shape, units, activation, dropout)


def mlp_medium(input_shape, units=(64, 64, 64), activation="leaky_relu", dropout=0.0):
    return _mlp(input_shape, units, activation, dropout)


def mlp_dropout(input_shape, units=(64, 64), activation="leaky_relu", dropout=0.3):
    return _mlp(input_shape, units, activation, dropout)


DISCRIMINATORS = {"mlp_small": mlp_small, "mlp_medium": mlp_medium, "mlp_dropout": mlp_dropout}
