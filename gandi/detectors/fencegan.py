"""Fence GAN (Ngo et al. 2019, arXiv 1904.01209): the generator is trained to put its samples on
a fence around the normal data, not on the data, so that the discriminator's level sets enclose
the normals and D itself is the detector:

    D loss = BCE(D(x), 1) + gamma * BCE(D(G(z)), 0)
    G loss = BCE(D(G(z)), alpha)                          encirclement: D(G(z)) = alpha, not 1
           + beta / mean_i ||G(z_i) - mean_j G(z_j)||     dispersion: the fence does not collapse

D is trained alone for `fencegan_pretrain_steps` steps first (the paper's D-only pre-training).
anomaly_score(x) = -D(x) (D's logit: high = "normal"), as for the plain discriminator; its map
is the same gradient saliency. The official code picks its epoch on a validation set with
labelled anomalies; here the sweet spot is gandi's label-free one.

Defaults are those of the official code's main.py (alpha 0.5, beta 30, gamma 0.1); its MNIST
command line uses alpha 0.1 (run_params' Fence GAN settings do).
"""
from __future__ import annotations

import tensorflow as tf

from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.settings.checks import SettingKey, at_least_zero, is_int

_BCE_ALLOWED = "a number in (0, 1)"


def _bce(logits, target):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), target), logits=logits))


def dispersion(samples):
    """The mean Euclidean distance of a batch of samples to their centroid."""
    flat = tf.reshape(samples, (tf.shape(samples)[0], -1))
    centred = flat - tf.reduce_mean(flat, axis=0, keepdims=True)
    return tf.reduce_mean(tf.sqrt(tf.reduce_sum(tf.square(centred), axis=1) + 1e-12))


class FenceGANDetector(DiscriminatorDetector):
    """The plain discriminator's networks and score, trained with Fence GAN's losses."""

    name = "fencegan"
    tracked_name = "fencegan"
    reads_g_fake = False  # its own step: the paper's fresh batch for G
    setting_keys = {
        "fencegan_alpha": SettingKey(0.5, lambda v: isinstance(v, (int, float)) and 0 < v < 1,
                                     _BCE_ALLOWED, "the target of D(G(z)) in G's encirclement "
                                     "loss (the fence's level; the paper's MNIST 0.1)"),
        "fencegan_beta": SettingKey(30.0, at_least_zero, "a number >= 0",
                                    "weight of G's dispersion loss (1 / mean distance of the "
                                    "generated batch to its centroid)"),
        "fencegan_gamma": SettingKey(0.1, at_least_zero, "a number >= 0",
                                     "weight of the generated term in D's loss"),
        "fencegan_pretrain_steps": SettingKey(
            50, lambda v: is_int(v) and v >= 0, "an integer >= 0",
            "steps in which only D trains (on real and generated samples), before G starts"),
    }

    def _objective(self, setting: dict):
        """Fence GAN's losses, written out below (the `loss` key is not read)."""

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.alpha = float(setting["fencegan_alpha"])
        self.beta = float(setting["fencegan_beta"])
        self.gamma = float(setting["fencegan_gamma"])
        self.pretrain_steps = int(setting["fencegan_pretrain_steps"])
        # counted in the step itself (and checkpointed) so a resumed run pre-trains no longer
        self.steps_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="steps_done")

    def train_step_eager(self, real):
        batches = tf.split(real, self.d_steps)
        for real_batch in batches:
            d_loss = self._d_update(real_batch)
        n = tf.shape(batches[0])[0]
        g_loss = tf.cond(self.steps_done >= self.pretrain_steps,
                         lambda: self._g_update(n), lambda: tf.constant(0.0))
        self.steps_done.assign_add(1)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _d_loss(self, real, fake):
        return (_bce(self.discriminator(real, training=True), 1.0)
                + self.gamma * _bce(self.discriminator(fake, training=True), 0.0))

    def _g_update(self, n):
        z = self.noise.normal((n, self.latent_dim))
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            loss = (_bce(self.discriminator(fake, training=True), self.alpha)
                    + self.beta / dispersion(fake))
        grads = tape.gradient(loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        return loss

    def checkpoint_objects(self) -> dict:
        return {**super().checkpoint_objects(), "steps_done": self.steps_done}
