"""Reconstruction-error autoencoder: an encoder E squeezes an image into a small code z, a
decoder Dec rebuilds the image from it. Trained on normals only, it rebuilds what it has seen
and fails on the rest:

    anomaly_score(x) = mean over pixels of (x - Dec(E(x)))^2

Its anomaly map is that squared error per pixel (averaged over channels): the score is the
map's mean.

With the "cae" encoder and decoder and latent_dim 2 this is the convolutional autoencoder of the
reconstruction-error approach, and the whole latent space can be drawn.

`autoencoder_score: reconstruction+latent_knn` (this detector, the VAE and the AAE) adds how
far the sample's code lies from the training normals' codes:

    score(x) = (s(x) - mean s(bank)) / std s(bank) + (knn(x) - mean knn(bank)) / std knn(bank)

with s the family's own score, knn(x) the distance from E(x) to its 5th nearest code among the
training normals kept in a reference bank (`gandi.detectors.reference_bank`), and each part
standardised on the bank itself (512 of its rows; for knn each row's distance to the others,
leaving out itself and its copies): a run keeps every constant the score needs inside its
networks, so checkpoints and exports score the same.
A sample the decoder rebuilds well can still have a code unlike any normal's. Measured as
shipped (`benchmarks/discriminator_variants.py --results ae_scores`: the 8 ODDS tables, the
tabular benchmark's splits, label-free; mean ± std over 3 seeds of the 8-table mean AUC):
autoencoder 0.933 ± 0.009 -> 0.952 ± 0.002, VAE 0.927 ± 0.005 -> 0.947 ± 0.002, AAE
0.930 ± 0.007 -> 0.947 ± 0.002; each higher on 6 tables, equal to 3 decimals on 2 (kNN on
the raw features: 0.959). So `auto` (the default) takes it on vectors. On images it can be
asked for (the bank then holds 2,048 training images) but does not help: on one-class MNIST
(`benchmarks/latent_knn_images.py`, the grid's runs scored both ways, 10 digits, 3 seeds;
paired, combined minus reconstruction) autoencoder -0.0260 ± 0.0055, VAE +0.0006 ± 0.0017,
AAE +0.0024 ± 0.0053, so `auto` keeps the reconstruction there.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import tensorflow as tf

from gandi.detectors.base import Detector, batched
from gandi.detectors.compiled import per_detector_function
from gandi.detectors.reference_bank import bank_network, kth_distance, kth_distance_to_the_others
from gandi.nets import ENCODERS, GENERATORS, build
from gandi.settings.checks import SettingKey, one_of

AE_SCORES = ("reconstruction", "reconstruction+latent_knn")
LATENT_K = 5  # the neighbour whose distance counts (PyOD's kNN default)
SCALE_ROWS = 512  # bank rows the standardisation is estimated on (its std to ~3%)


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
    setting_keys = {
        "autoencoder_score": SettingKey("auto", *one_of(("auto", *AE_SCORES)),
                                        "the autoencoder family's score: its own "
                                        "(reconstruction), or that plus the distance between "
                                        "latent codes (reconstruction+latent_knn); auto: the "
                                        "second on vectors, the first on images (where the "
                                        "second was measured not to help)"),
    }

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.encoder = build(ENCODERS, setting["e_arch"], self.sample_shape,
                             latent_dim=self._code_size(),
                             precision=self.precision, **setting["e_params"])
        self.decoder = build(GENERATORS, setting["g_arch"], (self.latent_dim,),
                             output_shape=self.sample_shape,
                             precision=self.precision, **setting["g_params"])
        self.autoencoder = joined(self.encoder, self.decoder)
        self.ae_optimizer = self._optimizer(setting["lr_g"], self.autoencoder)
        self.latent_knn = setting["autoencoder_score"] == AE_SCORES[1]
        if self.latent_knn:
            self.reference_bank, self.bank = bank_network(self.sample_shape,
                                                         setting["reference_bank_size"])
            self.scoring_networks = self.scoring_networks_for(setting)
            self._train_step = per_detector_function(self._train_and_keep,
                                                     jit_compile=self.xla,
                                                     reduce_retracing=True)
            # the bank's scale once per score() call, then the batches on it
            self._scale = per_detector_function(self._bank_scale)
            self._score = per_detector_function(self._standardised_sum, input_signature=[
                tf.TensorSpec((None, *self.sample_shape), tf.float32),
                tf.TensorSpec((None, self.latent_dim), tf.float32),
                tf.TensorSpec((4,), tf.float32)])

    @classmethod
    def scoring_networks_for(cls, setting: dict) -> tuple:
        extra = ("reference_bank",) if setting["autoencoder_score"] == AE_SCORES[1] else ()
        return (*cls.scoring_networks, *extra)

    def _code_size(self) -> int:
        return self.latent_dim

    @property
    def networks(self) -> dict:
        bank = {"reference_bank": self.reference_bank} if self.latent_knn else {}
        return {"encoder": self.encoder, "decoder": self.decoder, **bank}

    def _train_and_keep(self, batch) -> dict:
        losses = self.train_step_eager(batch)
        self.bank.keep(batch)
        return losses

    def _code(self, x):
        return self.encoder(x, training=False)[:, :self.latent_dim]  # a VAE's: the mean

    def score(self, x) -> np.ndarray:
        if not self.latent_knn:
            return super().score(x)
        codes, scale = self._scale()
        return batched(lambda b: self._score(b, codes, scale), np.asarray(x, np.float32))

    def graph_score(self):
        if not self.latent_knn:
            return super().graph_score()
        codes, scale = self._scale()  # the bank's, fixed once training is over
        return lambda x: self._standardised_sum(x, codes, scale)

    def _bank_scale(self):
        """The bank's codes, and (mean, std) of the family's score and of the latent-kNN
        distance over the bank (each row's distance to the other rows)."""
        bank = self.bank.kept()
        codes = self._code(bank)
        own = self._anomaly_score(bank[:SCALE_ROWS])
        near = kth_distance_to_the_others(codes, LATENT_K, SCALE_ROWS)
        return codes, tf.concat([_mean_std(own), _mean_std(near)], 0)

    def _standardised_sum(self, x, codes, scale):
        """The family's score plus the latent-kNN distance, each on the bank's scale."""
        near = kth_distance(self._code(x), codes, LATENT_K)
        return ((self._anomaly_score(x) - scale[0]) / scale[1]
                + (near - scale[2]) / scale[3])

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
    # called once or twice a run, for figures: eager (a trace per detector would cost more than
    # those calls save)
    def codes(self, x) -> np.ndarray:
        """The latent code of each sample (the posterior mean for a VAE)."""
        return batched(self._code, np.asarray(x, np.float32))

    def reconstruct(self, x) -> np.ndarray:
        return batched(self._mean_reconstruction, np.asarray(x, np.float32))


def _mean_std(values):
    """[mean, std] of `values`; a constant (std 0) gets std 1: it then only shifts."""
    mean, var = tf.nn.moments(values, axes=[0])
    std = tf.sqrt(var)
    return tf.stack([mean, tf.where(std > 0, std, 1.0)])
