"""Discriminators: build(input_shape, **params) -> keras.Model giving one raw output per sample
(a logit, or a critic value for WGAN). Higher = "more like the real data".

To add one: write a builder and add it to DISCRIMINATORS.
"""
import keras
from keras import layers

from gandi.nets.image_sizes import stride_stages


def _mlp(input_shape, units, activation="leaky_relu", dropout=0.0, name="discriminator"):
    x = keras.Input(shape=input_shape, name="x")
    h = layers.Flatten()(x)
    for i, u in enumerate(units):
        # the last hidden layer is "features": what AnoGAN's feature matching compares
        h = layers.Dense(u, activation=activation,
                         name="features" if i == len(units) - 1 else None)(h)
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


def dcgan(input_shape=(28, 28, 1), filters=64, dropout=0.3):
    """DCGAN discriminator: stride-2 convolutions doubling the filters (two up to 32x32 images,
    more for larger ones: gandi.nets.image_sizes) with LeakyReLU (no BatchNorm, so a score
    never depends on which images share a batch). Its last hidden layer, named "features", is
    what AnoGAN's feature matching compares."""
    x = keras.Input(shape=input_shape, name="x")
    h = _strided(x, filters, dropout)
    h = layers.Flatten(name="features")(h)
    out = layers.Dense(1, name="logit")(h)
    out = layers.Reshape(())(out)
    return keras.Model(x, out, name="discriminator")


def _strided(x, filters, dropout):
    """The DCGAN discriminator's convolutions: each stride 2, LeakyReLU, dropout."""
    h = x
    for stage in range(stride_stages(*x.shape[1:3])):
        h = layers.Conv2D(filters * 2 ** stage, 4, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
        h = layers.Dropout(dropout)(h)
    return h


def gaal(input_shape, units=32):
    """SO-/MO-GAAL's discriminator (Liu et al. 2019): one ReLU layer ("features"), then the
    logit. The paper makes the layer ceil(sqrt(n)) wide for n samples (32 at n = 1,000)."""
    x = keras.Input(shape=input_shape, name="x")
    h = layers.Dense(units, activation="relu", name="features",
                     kernel_initializer=keras.initializers.VarianceScaling(
                         1.0, mode="fan_in", distribution="truncated_normal"))(
        layers.Flatten()(x))
    out = layers.Reshape(())(layers.Dense(1, name="logit")(h))
    return keras.Model(x, out, name="discriminator")


DISCRIMINATORS = {"mlp_small": mlp_small, "mlp_medium": mlp_medium, "mlp_dropout": mlp_dropout,
                  "dcgan": dcgan, "gaal": gaal}


# Discriminators on joint pairs (x, z), for BiGAN/EGBAD:
# build(input_shape, latent_dim=..., **params) -> keras.Model([x, z]) -> one logit per pair,
# with a "features" layer for feature matching.

def mlp_joint(input_shape, latent_dim=8, units=(64, 64), activation="leaky_relu", dropout=0.0):
    """x and z each through a dense layer, concatenated, then a joint MLP."""
    x = keras.Input(shape=input_shape, name="x")
    z = keras.Input(shape=(latent_dim,), name="z")
    hx = layers.Dense(units[0], activation=activation)(layers.Flatten()(x))
    hz = layers.Dense(units[0], activation=activation)(z)
    h = layers.Concatenate()([hx, hz])
    for i, u in enumerate(units[1:] or units[:1]):
        h = layers.Dense(u, activation=activation,
                         name="features" if i == len(units[1:] or units[:1]) - 1 else None)(h)
        if dropout:
            h = layers.Dropout(dropout)(h)
    out = layers.Reshape(())(layers.Dense(1, name="logit")(h))
    return keras.Model([x, z], out, name="joint_discriminator")


def dcgan_joint(input_shape=(28, 28, 1), latent_dim=64, filters=64, z_units=256, units=512,
                dropout=0.3):
    """EGBAD's joint discriminator (after Zenati et al.'s MNIST one, with half their dense
    widths: twice as fast on a CPU, as good on MNIST): x through the DCGAN discriminator's
    stride-2 convolutions, z through a dense layer, then a joint dense layer ("features", what
    EGBAD's feature matching compares) and the logit. No BatchNorm, so a score never depends on
    which images share a batch."""
    x = keras.Input(shape=input_shape, name="x")
    z = keras.Input(shape=(latent_dim,), name="z")
    hx = layers.Flatten()(_strided(x, filters, dropout))
    hz = layers.Dropout(dropout)(layers.Dense(z_units, activation="leaky_relu")(z))
    h = layers.Dense(units, activation="leaky_relu", name="features")(
        layers.Concatenate()([hx, hz]))
    out = layers.Dense(1, name="logit")(layers.Dropout(dropout)(h))
    return keras.Model([x, z], layers.Reshape(())(out), name="joint_discriminator")


JOINT_DISCRIMINATORS = {"mlp_joint": mlp_joint, "dcgan_joint": dcgan_joint}
