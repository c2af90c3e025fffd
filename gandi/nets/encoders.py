"""Encoders: build(input_shape, latent_dim=..., **params) -> keras.Model mapping a sample x to a
code z of `latent_dim` numbers (linear output). A VAE asks for 2 * latent_dim (mean, log-variance).

To add one: write a builder and add it to ENCODERS.
"""
import keras
from keras import layers

from gandi.nets.image_sizes import stride_stages


def _mlp(input_shape, latent_dim, units, activation="leaky_relu"):
    x = keras.Input(shape=input_shape, name="x")
    h = layers.Flatten()(x)
    for u in units:
        h = layers.Dense(u, activation=activation)(h)
    z = layers.Dense(latent_dim, name="z")(h)
    return keras.Model(x, z, name="encoder")


def mlp_small(input_shape, latent_dim=8, units=(32, 32), activation="leaky_relu"):
    return _mlp(input_shape, latent_dim, units, activation)


def mlp_medium(input_shape, latent_dim=8, units=(64, 64, 64), activation="leaky_relu"):
    return _mlp(input_shape, latent_dim, units, activation)


def dcgan(input_shape=(28, 28, 1), latent_dim=64, filters=64):
    """Mirror of the DCGAN discriminator (stride-2 convolutions doubling the filters: two up to
    32x32 images, more for larger ones, gandi.nets.image_sizes), ending in the code.
    BatchNorm-free so that a code never depends on which images share a batch."""
    x = keras.Input(shape=input_shape, name="x")
    h = x
    for stage in range(stride_stages(*input_shape[:2])):
        h = layers.Conv2D(filters * 2 ** stage, 4, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.Flatten()(h)
    z = layers.Dense(latent_dim, name="z")(h)
    return keras.Model(x, z, name="encoder")


def cae(input_shape=(28, 28, 1), latent_dim=2):
    """The reconstruction-error autoencoder's encoder: Conv 32 -> Conv 64 (one more stage per
    doubling above 32x32) -> a small code (2 numbers by default, so that the latent space can
    be drawn)."""
    x = keras.Input(shape=input_shape, name="x")
    h = x
    for stage in range(stride_stages(*input_shape[:2])):
        h = layers.Conv2D(32 * 2 ** stage, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    z = layers.Dense(latent_dim, name="z")(h)
    return keras.Model(x, z, name="encoder")


ENCODERS = {"mlp_small": mlp_small, "mlp_medium": mlp_medium, "dcgan": dcgan, "cae": cae}
