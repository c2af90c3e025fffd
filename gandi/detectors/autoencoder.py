"""Reconstruction-error autoencoder: an encoder E squeezes an image into a small code z, a
decoder Dec rebuilds the image from it. Trained on normals only, it rebuilds what it has seen
and fails on the rest:

    anomaly_score(x) = mean over pixels of (x - Dec(E(x)))^2

With the "cae" encoder and decoder and latent_dim 2 this is the convolutional autoencoder of the
reconstruction-error approach, and the whole latent space can be drawn.
"""
from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from gandi.detectors.base import Detector, batched
from gandi.nets import ENCODERS, GENERATORS, build
from gandi.outputs.plots import show_image, tile

PAIRS = 6  # test images per class in the reconstruction figure


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

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.encoder = build(ENCODERS, setting["e_arch"], self.sample_shape,
                             latent_dim=self._code_size(), **setting["e_params"])
        self.decoder = build(GENERATORS, setting["g_arch"], (self.latent_dim,),
                             output_shape=self.sample_shape, **setting["g_params"])
        self.autoencoder = joined(self.encoder, self.decoder)
        self.ae_optimizer = self._optimizer(setting["lr_g"], self.autoencoder)
        self._encode = tf.function(lambda x: self.encoder(x, training=False),
                                   reduce_retracing=True)
        self._reconstruct = tf.function(self._mean_reconstruction, reduce_retracing=True)

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

    # -- codes, reconstructions and their figures ------------------------------------
    def codes(self, x) -> np.ndarray:
        """The latent code of each sample (the posterior mean for a VAE)."""
        return batched(self._encode, np.asarray(x, np.float32))[:, :self.latent_dim]

    def reconstruct(self, x) -> np.ndarray:
        return batched(self._reconstruct, np.asarray(x, np.float32))

    def extra_figures(self, data, test_scores) -> dict:
        """The test set's latent codes and a few input/reconstruction pairs. The networks are
        those of the last step (the Tracker keeps the sweet spot's weights, not the detector)."""
        figures = {}
        if self.latent_dim >= 2:
            figures["latent_codes"] = latent_codes(self.codes(data.test_x), data.test_y,
                                                   self.latent_dim, self.name)
        if data.test_x.ndim == 4:
            figures["reconstructions"] = reconstructions(data.test_x, data.test_y, test_scores,
                                                         self.reconstruct, self.name)
        return figures


def latent_codes(codes, labels, latent_dim: int, detector: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 5.5))
    for label, name, color in ((0, "test normals", "tab:blue"), (1, "test anomalies", "tab:red")):
        ax.scatter(*codes[labels == label, :2].T, s=3, alpha=0.4, color=color, label=name)
    dims = "" if latent_dim == 2 else f" (the first 2 of {latent_dim} dimensions)"
    ax.set(title=f"{detector}: latent codes of the test images{dims}\n"
                 "(colours use test labels: reporting)", xlabel="z[0]", ylabel="z[1]")
    ax.legend(markerscale=4)
    return fig


def reconstructions(test_x, labels, scores, reconstruct, detector: str) -> plt.Figure:
    """PAIRS normal and PAIRS anomalous test images, from the lowest to the highest anomaly
    score of their class: inputs on the top row, reconstructions below."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3))
    for ax, label, name in ((axes[0], 0, "test normals"), (axes[1], 1, "test anomalies")):
        idx = np.flatnonzero(labels == label)
        if not len(idx):  # a test slice without this class: an empty panel, not a crash
            ax.set_axis_off()
            continue
        idx = idx[np.argsort(scores[idx])][np.linspace(0, len(idx) - 1, PAIRS).astype(int)]
        pairs = np.concatenate([test_x[idx], reconstruct(test_x[idx])])
        show_image(ax, tile(pairs, PAIRS))
        ax.set(title=f"{name}, anomaly score rising to the right", xticks=[], yticks=[])
    fig.suptitle(f"{detector}: inputs (top) and reconstructions (bottom) by the last step's "
                 "networks")
    return fig
