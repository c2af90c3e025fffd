"""Generators: build(latent_shape, output_shape, **params) -> keras.Model mapping z to a sample.

To add one: write a builder and add it to GENERATORS.
"""
import numpy as np
import keras
from keras import layers

from gandi.nets.image_sizes import base_map, crop_to, stride_stages


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


def dcgan(latent_shape, output_shape=(28, 28, 1), filters=64):
    """DCGAN generator (Radford et al. 2016): dense to a small map, stride-2 transposed
    convolutions (two up to 32x32 images, more for larger ones: gandi.nets.image_sizes), each
    halving the channels, tanh output for images scaled to [-1, 1]; cropped to the image size
    where it is not a multiple of the upsampling (14x14)."""
    height, width, channels = output_shape
    stages = stride_stages(height, width)
    base_h, base_w = base_map(height, width, stages)
    z = keras.Input(shape=latent_shape, name="z")
    h = layers.Dense(base_h * base_w * filters * 2 ** (stages - 1), use_bias=False)(z)
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Reshape((base_h, base_w, filters * 2 ** (stages - 1)))(h)
    for stage in range(stages - 1, 0, -1):
        h = layers.Conv2DTranspose(filters * 2 ** (stage - 1), 4, strides=2, padding="same",
                                   use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        h = layers.LeakyReLU(0.2)(h)
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh")(h)
    return keras.Model(z, crop_to(x, height, width), name="generator")


def cae(latent_shape, output_shape=(28, 28, 1)):
    """The reconstruction-error autoencoder's decoder: the mirror of the `cae` encoder
    (code -> small map of 64 channels -> ConvTranspose 32 -> ConvTranspose to the image; one
    more stage per doubling above 32x32, gandi.nets.image_sizes), cropped to the image size."""
    height, width, channels = output_shape
    stages = stride_stages(height, width)
    base_h, base_w = base_map(height, width, stages)
    z = keras.Input(shape=latent_shape, name="z")
    h = layers.Dense(base_h * base_w * 32 * 2 ** (stages - 1), activation="relu")(z)
    h = layers.Reshape((base_h, base_w, 32 * 2 ** (stages - 1)))(h)
    for stage in range(stages - 1, 0, -1):
        h = layers.Conv2DTranspose(32 * 2 ** (stage - 1), 3, strides=2, padding="same",
                                   activation="relu")(h)
    x = layers.Conv2DTranspose(channels, 3, strides=2, padding="same", activation="tanh")(h)
    return keras.Model(z, crop_to(x, height, width), name="decoder")


def gaal(latent_shape, output_shape=(1,)):
    """SO-/MO-GAAL's generator (Liu et al. 2019): two dense layers as wide as the data, their
    kernels initialised to the identity, so that it starts by passing its uniform noise
    through. The paper's second layer is a ReLU on data min-max scaled to [0, 1]; gandi's
    tables are standardised (values of either sign), so the output layer here is linear."""
    z = keras.Input(shape=latent_shape, name="z")
    width = int(np.prod(output_shape))
    h = layers.Dense(width, activation="relu", kernel_initializer="identity")(z)
    x = layers.Dense(width, kernel_initializer="identity")(h)
    return keras.Model(z, layers.Reshape(tuple(output_shape))(x), name="generator")


GENERATORS = {"mlp_small": mlp_small, "mlp_medium": mlp_medium, "mlp_large": mlp_large,
              "dcgan": dcgan, "cae": cae, "gaal": gaal}
