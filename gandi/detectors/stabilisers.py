"""What keeps a discriminator that is itself the detector from swinging between tracked steps,
as setting keys of the detectors scored by D (discriminator, fencegan, so_gaal, mo_gaal):

- `d_spectral_norm`: every dense and convolutional layer of D spectrally normalised (Miyato et
  al. 2018; keras.layers.SpectralNormalization, one power iteration per training call), so D is
  roughly 1-Lipschitz and cannot sharpen without bound;
- `r1_weight`: the R1 penalty (Mescheder et al. 2018), r1_weight / 2 * E ||grad_x D(x)||^2 on
  real samples, added to D's loss: D is flat on the data;
- `d_ema`: scores come from an exponential moving average of D's weights (decay d_ema per D
  update; 0: off), which averages out the last updates' swings (as EMA generators do).
"""
from __future__ import annotations

import keras
import tensorflow as tf

from gandi.nets import DISCRIMINATORS, build, precision_of

_NORMALISED = (keras.layers.Dense, keras.layers.Conv2D)


def build_discriminator(setting: dict, input_shape: tuple):
    """setting's d_arch with d_params, spectrally normalised if d_spectral_norm."""
    discriminator = build(DISCRIMINATORS, setting["d_arch"], input_shape,
                          precision=precision_of(setting), **setting["d_params"])
    return spectrally_normalised(discriminator) if setting["d_spectral_norm"] else discriminator


def spectrally_normalised(model):
    """A copy of `model` whose dense and convolutional layers are wrapped in spectral
    normalisation; each wrapper keeps its layer's name, so "features" is still found."""
    def wrapped(layer):
        config = layer.get_config()
        if not isinstance(layer, _NORMALISED):
            return layer.__class__.from_config(config)
        inner = layer.__class__.from_config({**config, "name": f"{layer.name}_normalised"})
        return keras.layers.SpectralNormalization(inner, name=layer.name)
    from gandi.training.device import compute_device
    with compute_device():
        return keras.models.clone_model(model, clone_function=wrapped)


def r1_penalty(discriminator, real):
    """E ||grad_x D(x)||^2 over the real batch (its weight is applied by the caller)."""
    with tf.GradientTape() as tape:
        tape.watch(real)
        total = tf.reduce_sum(discriminator(real, training=True))  # each sample's own gradient
    grads = tf.reshape(tape.gradient(total, real), (tf.shape(real)[0], -1))
    return tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=1))


def averaged_copy(model):
    """A copy of `model` with the same weights: the moving average's network."""
    from gandi.training.device import compute_device
    with compute_device():
        copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def update_average(average, model, decay: float):
    """average <- decay * average + (1 - decay) * model, weight by weight (the non-trainable
    ones too: a spectral normaliser's vector)."""
    for a, w in zip(average.weights, model.weights):
        a.assign(decay * a + (1.0 - decay) * tf.cast(w, a.dtype))
