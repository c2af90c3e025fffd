"""Reconstruction-error autoencoder: an encoder E squeezes an image into a small code z, a
decoder Dec rebuilds the image from it. Trained on normals only, it rebuilds what it has seen
and fails on the rest:

    anomaly_score(x) = mean over pixels of (x - Dec(E(x)))^2

Its anomaly map is that squared error per pixel (averaged over channels): the score is the
map's mean.

With the "cae" encoder and decoder and latent_dim 2 this is the convolutional autoencoder of the
reconstruction-error approach, and the whole latent space can be drawn.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import tensorflow as tf

from gandi.detectors.base import Detector, batched
from gandi.nets import ENCODERS, GENERATORS, build


def squared_error(x, reconstruction):
    """Squared error of every pixel (feature), flattened: (n, ...) -> (n, pixels)."""
    return tf.square(tf.reshape(x - reconstruction, (tf.shape(x)[0], -1)))


def joined(*networks) -> SimpleNamespace:
    """Several networks' trainable variables as one network's, for `Detector._optimizer` (which
    builds the optimiser's slots on `.trainable_variables`): one Adam for E and Dec together."""
    return SimpleNamespace(trainable_variables=[v for net in networks
                                                for v in net.trainable_variables])


class AutoencoderDetector(Detector):
    """Encoder E, decoder Dec, one optimiser on both, mean-squared-error training and score."""

    name = "autoencoder"
    tracked_name = "autoencoder"
    loss_names = ("reconstruction_loss",)
    scoring_networks = ("encoder", "decoder")
    arch_keys = ("e_arch", "g_arch")
    map_name = "squared reconstruction error (x - x_hat)^2"

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.encoder = build(ENCODERS, setting["e_arch"], self.sample_shape,
                             latent_dim=self._code_size(), **setting["e_params"])
        self.decoder = build(GENERATORS, setting["g_arch"], (self.latent_dim,),
                             output_shape=self.sample_shape, **setting["g_params"])
        self.autoencoder = joined(self.encoder, self.decoder)
        self.ae_optimizer = self._optimizer(setting["lr_g"], self.autoencoder)

    def _code_size(self) -> int:
        return self.latent_dim

    @property
    def networks(self) -> dict:
        return {"encoder": self.encoder, "decoder": self.decoder}

    @property
    def optimizers(self) -> dict:
        return {"ae_optimizer": self.ae_optimizer}

    def train_step_eager(self, x):
        return {"reconstruction_loss": self._reconstruction_update(x)}

    def _reconstruction_update(self, x):
        variables = self.autoencoder.trainable_variables
        with tf.GradientTape() as tape:
            reconstruction = self.decoder(self.encoder(x, training=True), training=True)
            loss = tf.reduce_mean(squared_error(x, reconstruction))
        self.ae_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def _mean_reconstruction(self, x):
        return self.decoder(self.encoder(x, training=False), training=False)

    def _anomaly_score(self, x):
        return tf.reduce_mean(squared_error(x, self._mean_reconstruction(x)), axis=1)

    def _anomaly_map(self, x):
        return tf.reduce_mean(tf.square(x - self._mean_reconstruction(x)), axis=-1)

    # -- codes and reconstructions (figures: gandi.outputs.reconstruction_plots) -----------
    # called once or twice a run, for figures: eager (a tf.function per detector would trace
    # at each of those calls, and TensorFlow warns of retracing in a process of many fits)
    def codes(self, x) -> np.ndarray:
        """The latent code of each sample (the posterior mean for a VAE)."""
        return batched(lambda x: self.encoder(x, training=False),
                       np.asarray(x, np.float32))[:, :self.latent_dim]

    def reconstruct(self, x) -> np.ndarray:
        return batched(self._mean_reconstruction, np.asarray(x, np.float32))
