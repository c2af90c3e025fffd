"""Variational autoencoder (Kingma & Welling 2014) as an anomaly detector (An & Cho 2015).

The encoder gives the posterior q(z|x) = N(mu, diag(exp(logvar))) as its 2 * latent_dim outputs;
the decoder gives the mean of p(x|z), a Gaussian of fixed variance 1/2 per pixel, so that

    -log p(x|z) = ||x - Dec(z)||^2 + D/2 log(pi)      (the constant is dropped everywhere)

Training minimises ||x - Dec(z)||^2 + vae_beta * KL(q(z|x) || N(0, I)) per image (the negative
ELBO when vae_beta = 1), with z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) from self.noise.

Scores (setting `vae_score`), higher = more anomalous, over `vae_samples` draws of z per image:
- "elbo": that training loss, its reconstruction term averaged over the draws;
- "reconstruction_probability" (An & Cho 2015): -mean_l log p(x | z_l), the mean reconstruction
  error over the draws (with a fixed decoder variance, "elbo" minus the KL term).
The scoring draws are fixed (stateless, from a constant seed) and the same for every image, so
a score is reproducible and does not depend on which images share a batch. The anomaly map is
the reconstruction term per pixel, -log p(x|z) averaged over the same draws (summed over
channels): its sum over pixels is the score's reconstruction term.
"""
from __future__ import annotations

import tensorflow as tf

from gandi.detectors.autoencoder import AutoencoderDetector, squared_error
from gandi.settings.checks import SettingKey, at_least_zero, one_of, positive_int

SCORE_SEED = (2015, 1)  # of the fixed eps draws that every score uses


def kl_divergence(mu, logvar):
    """KL(N(mu, diag(exp(logvar))) || N(0, I)), one number per sample."""
    return 0.5 * tf.reduce_sum(tf.exp(logvar) + tf.square(mu) - 1.0 - logvar, axis=1)


class VAEDetector(AutoencoderDetector):
    """The autoencoder's networks and optimiser; a sampled code, a KL term and ELBO scores."""

    name = "vae"
    setting_keys = {
        **AutoencoderDetector.setting_keys,
        "vae_score": SettingKey("elbo", *one_of(("elbo", "reconstruction_probability")),
                                "the score: negative ELBO, or reconstruction probability"),
        "vae_samples": SettingKey(10, positive_int, "an integer > 0",
                                  "draws of z per score (reconstruction probability)"),
        "vae_beta": SettingKey(1.0, at_least_zero, "a number >= 0", "weight of the KL term"),
    }
    tracked_name = "vae"
    loss_names = ("reconstruction_loss", "kl_loss")
    generator_network = "decoder"  # p(x|z) decodes prior draws z ~ N(0, I)
    map_name = "reconstruction term -log p(x|z) per pixel, over the scoring draws"

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.beta = float(setting["vae_beta"])
        self.score_kind = setting["vae_score"]
        self.score_eps = tf.random.stateless_normal(
            (setting["vae_samples"], 1, self.latent_dim), seed=SCORE_SEED)

    def _code_size(self) -> int:
        return 2 * self.latent_dim  # mean and log-variance

    def _posterior(self, x, training: bool):
        mu, logvar = tf.split(self.encoder(x, training=training), 2, axis=-1)
        return mu, logvar

    def train_step_eager(self, x):
        variables = self.autoencoder.trainable_variables
        with tf.GradientTape() as tape:
            mu, logvar = self._posterior(x, training=True)
            z = mu + tf.exp(logvar / 2) * self.noise.normal(tf.shape(mu))
            reconstruction = self.decoder(z, training=True)
            reconstruction_loss = tf.reduce_mean(tf.reduce_sum(squared_error(x, reconstruction), 1))
            kl_loss = tf.reduce_mean(kl_divergence(mu, logvar))
            loss = reconstruction_loss + self.beta * kl_loss
        self.ae_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"reconstruction_loss": reconstruction_loss, "kl_loss": kl_loss}

    def _mean_reconstruction(self, x):
        mu, _ = self._posterior(x, training=False)
        return self.decoder(mu, training=False)

    def _reconstruction_error(self, x, mu, logvar):
        """(x - Dec(z))^2 per pixel (feature), averaged over the fixed draws z = mu + sigma *
        eps: x's shape."""
        sigma = tf.exp(logvar / 2)
        error = tf.zeros_like(x)
        for eps in self.score_eps:  # a graph loop over the fixed draws, one decoder pass each
            error += tf.square(x - self.decoder(mu + sigma * eps, training=False))
        return error / self.score_eps.shape[0]

    def _anomaly_score(self, x):
        mu, logvar = self._posterior(x, training=False)
        error = tf.reduce_sum(tf.reshape(self._reconstruction_error(x, mu, logvar),
                                         (tf.shape(x)[0], -1)), axis=1)
        if self.score_kind == "elbo":
            return error + self.beta * kl_divergence(mu, logvar)
        return error

    def _anomaly_map(self, x):
        return tf.reduce_sum(self._reconstruction_error(x, *self._posterior(x, training=False)),
                             axis=-1)
