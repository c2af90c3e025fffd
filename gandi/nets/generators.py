"""Generators: build(latent_shape, output_shape, **params) -> keras.Model mapping z to a sample.

To add one: write a builder and add it to GENERATORS.
"""
import numpy as np
import keras
from keras import layers


def _mlp(latent_shape, output_shape, units, activation="leaky_relu", name="generator"):
    z = keras.Input(shape=latent_shape, name="z")
    h = z
    for u in units:
        h = layers.Dense(u, activation=activation)(h)
    x = layers.Dense(int(np.prod(output_shape)))(h)  # linear: samples live on the real line
    x = layers.Reshape(tuple(output_shape))(x)
    return keras.Model(z, x, name=name)


def mlp_small(latent_shape, output_shape=(1,), units=(32, 32), activation="leaky_relu"):
    return _mlp(latent_shape, output_shape, units, activation)


def mlp_medium(latent_shape, output_shape=(1,), units=(64, 64, 64), activation="leaky_relu"):
    return _mlp(latent_shape, output_shape, units, activation)


def mlp_large(latent_shape, output_shape=(1,), units=(128, 128, 128), activation="leaky_relu"):
    return _mlp(latent_shape, output_shape, units, activation)


GENERATORS = {"mlp_small": mlp_small, "mlp_medium": mlp_medium, "mlp_large": mlp_large}
