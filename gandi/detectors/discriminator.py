"""The gandi idea: train a GAN and use its discriminator D as the anomaly detector.

anomaly_score(x) = -D(x): D's raw output says "real" (high) vs "generated" (low), so its
negation is higher for samples unlike the training data.

D's score has no per-pixel part; its anomaly map is a gradient saliency, |d score / d x| summed
over channels and Gaussian-smoothed (sigma 1 pixel): where a small change of the image moves the
score most, not where the anomaly is measured.
"""
from __future__ import annotations

import tensorflow as tf

from gandi.detectors.base import Detector, gaussian_smoothed
from gandi.detectors.score_direction import direction_network
from gandi.detectors.stabilisers import (averaged_copy, build_discriminator, r1_penalty,
                                         update_average)
from gandi.detectors.losses import LOSSES
from gandi.nets import GENERATORS, build


class DiscriminatorDetector(Detector):
    """Generator G, discriminator D, one optimiser each, and a compiled GAN train step."""

    name = "discriminator"
    tracked_name = "discriminator"
    loss_names = ("d_loss", "g_loss")
    scoring_networks = ("discriminator", "score_direction")
    generator_network = "generator"
    arch_keys = ("g_arch", "d_arch")
    uses_d_steps = True
    oriented = True
    reads_g_fake = True  # its train step can reuse D's batch (Fence GAN's own step does not)
    map_name = "gradient saliency |d score / d x|, smoothed (not a residual)"

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.d_steps = setting["d_steps"]
        self.reuse_fake = self.reads_g_fake and setting["g_fake"] == "reused"
        self._objective(setting)
        self.generator = build(GENERATORS, setting["g_arch"], (self.latent_dim,),
                               output_shape=self.sample_shape,
                               precision=self.precision, **setting["g_params"])
        self.discriminator = build_discriminator(setting, self.sample_shape)
        self.g_optimizer = self._optimizer(setting["lr_g"], self.generator)
        self.d_optimizer = self._optimizer(setting["lr_d"], self.discriminator)
        self.r1_weight = float(setting["r1_weight"])
        self.d_ema = float(setting["d_ema"])
        # D scores; with d_ema, its moving average does: that is then the network named
        # "discriminator" (kept at the sweet spot, exported), the trained one is
        # "discriminator_trained"
        self.scorer = self.discriminator
        if self.d_ema:
            self.scorer = averaged_copy(self.discriminator)
        if self.oriented:
            self.direction = direction_network()

    def _objective(self, setting: dict):
        """The GAN loss of `loss` (Fence GAN has its own and does not read it)."""
        self.loss = LOSSES[setting["loss"]]
        self.gp_weight = float(setting["gp_weight"])

    @property
    def networks(self) -> dict:
        trained = {"discriminator_trained": self.discriminator} if self.d_ema else {}
        direction = {"score_direction": self.direction} if self.oriented else {}
        return {"generator": self.generator, "discriminator": self.scorer, **trained,
                **direction}

    @property
    def optimizers(self) -> dict:
        return {"g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}

    def train_step_eager(self, real):
        """One generator update after `d_steps` discriminator updates.

        `real` holds d_steps * batch_size real samples: one batch per discriminator update.
        With `g_fake: reused` the generator's update scores the batch D's last update saw
        (generated once, under the generator's tape) instead of a fresh one.
        """
        batches = tf.split(real, self.d_steps)
        for real_batch in batches[:-1]:  # unrolled: d_steps is a Python constant
            self._d_update(real_batch)
        n = tf.shape(batches[0])[0]
        if not self.reuse_fake:
            d_loss = self._d_update(batches[-1])
            return {"d_loss": d_loss, "g_loss": self._g_update(n)}
        with tf.GradientTape() as tape:
            fake = self.generator(self.noise.normal((n, self.latent_dim)), training=True)
            with tape.stop_recording():  # D's update is no part of G's gradient
                d_loss = self._d_update(batches[-1], tf.stop_gradient(fake))
            g_loss = self.loss.g_loss(self.discriminator(fake, training=True))
        self._g_apply(tape, g_loss)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _d_update(self, real, fake=None):
        """One D update on `real` and `fake` (a fresh generated batch when None)."""
        n = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            if fake is None:
                fake = self.generator(self.noise.normal((n, self.latent_dim)), training=True)
            loss = self._d_loss(real, fake)
            if self.r1_weight:
                loss += 0.5 * self.r1_weight * r1_penalty(self.discriminator, real)
        grads = tape.gradient(loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        if self.d_ema:
            update_average(self.scorer, self.discriminator, self.d_ema)
        return loss

    def _d_loss(self, real, fake):
        """D's loss on a real and a generated batch (the stabilisers' terms are added to it)."""
        loss = self.loss.d_loss(self.discriminator(real, training=True),
                                self.discriminator(fake, training=True))
        if self.loss.gradient_penalty:
            loss += self.gp_weight * self._gradient_penalty(real, fake)
        return loss

    def _gradient_penalty(self, real, fake):
        """WGAN-GP: (||grad D(x_hat)|| - 1)^2 on random interpolates x_hat."""
        shape = tf.concat([[tf.shape(real)[0]], tf.ones(tf.rank(real) - 1, tf.int32)], 0)
        eps = self.noise.uniform(shape)
        x_hat = eps * real + (1.0 - eps) * fake
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            out = self.discriminator(x_hat, training=True)
        grads = tf.reshape(tape.gradient(out, x_hat), (tf.shape(real)[0], -1))
        return tf.reduce_mean(tf.square(tf.norm(grads + 1e-12, axis=1) - 1.0))

    def _g_update(self, n):
        z = self.noise.normal((n, self.latent_dim))
        with tf.GradientTape() as tape:
            fake_out = self.discriminator(self.generator(z, training=True), training=True)
            loss = self.loss.g_loss(fake_out)
        self._g_apply(tape, loss)
        return loss

    def _g_apply(self, tape, loss):
        grads = tape.gradient(loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))

    def _anomaly_score(self, x):
        return self.direction(-self.scorer(x, training=False))

    def _anomaly_map(self, x):
        return saliency_map(self._anomaly_score, x)


def saliency_map(score, x):
    """|d score(x) / d x| summed over channels, smoothed: (n, h, w). In inference mode each
    sample's score depends on its own pixels only, so the gradient of the batch's sum is every
    sample's own gradient. Only x is watched: the tape records no op that x does not feed (D's
    weights, a reference bank's features)."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        total = tf.reduce_sum(score(x))
    return gaussian_smoothed(tf.reduce_sum(tf.abs(tape.gradient(total, x)), axis=-1))
