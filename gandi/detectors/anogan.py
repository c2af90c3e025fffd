"""AnoGAN (Schlegl et al. 2017): find the latent z whose G(z) best matches an image; the image is
anomalous when no z does.

    loss(z) = (1 - lambda) * ||x - G(z)||_1 + lambda * ||f_D(x) - f_D(G(z))||_1

f_D is the discriminator's "features" layer (feature matching). The search runs for all images
of a batch at once, in one compiled loop with a fixed input signature (no retracing per batch);
each image's loss depends only on its own z, so batching changes speed, not scores. The score is
the loss at the last iteration (higher = more anomalous); its anomaly map is the residual
|x - G(z*)| at the searched z* (summed over channels).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from gandi.detectors.base import latent_draws
from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.training.device import compute_device
from gandi.nets import features_of
from gandi.settings.checks import (SettingKey, at_least_zero, in_unit_interval, positive_int,
                                   positive_number)

ANOGAN_MAP = "residual |x - G(z*)| at the searched latent z*"
CHECK_EVERY = 10  # iterations between the search's convergence checks (anogan_tolerance)


class LatentSearch:
    """The batched AnoGAN latent search on a trained generator and discriminator."""

    def __init__(self, generator, discriminator, latent_dim: int, iterations: int,
                 lam: float, lr: float, jit_compile: bool = False, tolerance: float = 0.0):
        self.generator, self.latent_dim = generator, latent_dim
        self.features = features_of(discriminator)
        self.iterations, self.lam, self.lr = iterations, lam, lr
        self.tolerance = tolerance
        self.iterations_used = np.empty((0,), np.int32)  # per image, of the last score/maps
        sample_shape = tuple(generator.output_shape[1:])
        # XLA (the setting's jit_compile): 1.2-1.35x faster on a 2-core AMD EPYC, the same
        # scores to 2e-6 relative (one compile per batch shape: the full batch and the rest)
        self.search = tf.function(self._search, jit_compile=jit_compile, input_signature=[
            tf.TensorSpec((None, *sample_shape), tf.float32),
            tf.TensorSpec((None, latent_dim), tf.float32),
            tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.float32)])

    def _losses(self, x, z, x_features):
        fake = self.generator(z, training=False)
        axes = list(range(1, len(x.shape)))
        residual = tf.reduce_sum(tf.abs(x - fake), axis=axes)
        f = self.features(fake, training=False)
        discrimination = tf.reduce_sum(tf.abs(tf.reshape(x_features - f, (tf.shape(x)[0], -1))), 1)
        return (1.0 - self.lam) * residual + self.lam * discrimination

    def _search(self, x, z, iterations, tolerance):
        """Adam on z, written out so that the loop holds no Keras optimiser state. With a
        tolerance > 0, an image whose loss fell by less than that fraction over the last
        CHECK_EVERY iterations stops there (its z, and so its score, frozen); the loop ends when
        every image has stopped. Each image's stop depends on its own losses only: batching
        still changes speed, not scores. Returns (scores, z, iterations each image used)."""
        x_features = self.features(x, training=False)
        m, v = tf.zeros_like(z), tf.zeros_like(z)
        beta_1, beta_2, eps = 0.9, 0.999, 1e-7
        active = tf.ones(tf.shape(z)[:1], tf.bool)
        used = tf.zeros(tf.shape(z)[:1], tf.int32)
        checked = tf.fill(tf.shape(z)[:1], np.float32(np.inf))  # the loss at the last check
        t = tf.constant(1)
        while t <= iterations and tf.reduce_any(active):
            with tf.GradientTape() as tape:
                tape.watch(z)
                losses = self._losses(x, z, x_features)
                loss = tf.reduce_sum(losses)
            g = tape.gradient(loss, z)
            if t % CHECK_EVERY == 1:  # `losses`: after t - 1 updates; stop before the t-th
                improved = checked - losses > tolerance * tf.abs(losses)
                active = tf.logical_and(active, tf.logical_or(improved, tolerance <= 0))
                checked = losses
            tf_t = tf.cast(t, tf.float32)
            m_new = beta_1 * m + (1 - beta_1) * g
            v_new = beta_2 * v + (1 - beta_2) * tf.square(g)
            m_hat = m_new / (1 - tf.pow(beta_1, tf_t))
            v_hat = v_new / (1 - tf.pow(beta_2, tf_t))
            moving = active[:, None]
            m, v = tf.where(moving, m_new, m), tf.where(moving, v_new, v)
            z = tf.where(moving, z - self.lr * m_hat / (tf.sqrt(v_hat) + eps), z)
            used += tf.cast(active, tf.int32)
            t += 1
        return self._losses(x, z, x_features), z, used

    def initial_latents(self, n: int, seed: int = 0) -> np.ndarray:
        return latent_draws(n, self.latent_dim, seed)

    def score(self, x, batch_size: int, progress: bool = False, seed: int = 0) -> np.ndarray:
        """AnoGAN score of every image, `batch_size` images optimised together."""
        out = [scores.numpy() for _, scores, _ in self._searched(x, batch_size, progress, seed)]
        return np.concatenate(out) if out else np.empty((0,), np.float32)

    def maps(self, x, batch_size: int, progress: bool = False, seed: int = 0) -> np.ndarray:
        """AnoGAN's anomaly map of every image (n, h, w): the residual |x - G(z*)| at the
        searched z*, summed over channels (the score's residual term per pixel)."""
        out = []
        for batch, _, z in self._searched(x, batch_size, progress, seed):
            with compute_device():
                fake = self.generator(z, training=False)
            out.append(np.abs(batch - np.asarray(fake)).sum(axis=-1))
        x = np.asarray(x)
        return np.concatenate(out) if out else np.empty((0, *x.shape[1:3]), np.float32)

    def _searched(self, x, batch_size: int, progress: bool, seed: int):
        """(images, scores, z*) per batch of `batch_size` images searched together."""
        x = np.asarray(x, np.float32)
        z0 = self.initial_latents(len(x), seed)
        starts = range(0, len(x), batch_size)
        used = []
        for i in tqdm(starts, desc="AnoGAN latent search", unit="batch", disable=not progress,
                      leave=False):
            with compute_device():
                scores, z, iterations = self.search(
                    x[i:i + batch_size], z0[i:i + batch_size],
                    tf.constant(self.iterations, tf.int32),
                    tf.constant(self.tolerance, tf.float32))
            used.append(iterations.numpy())
            self.iterations_used = np.concatenate(used)
            yield x[i:i + batch_size], scores, z


class AnoGANDetector(DiscriminatorDetector):
    """Trains the GAN like the discriminator detector (so the discriminator is tracked too);
    after training, scores with the AnoGAN latent search on the final G and D."""

    name = "anogan"
    setting_keys = {  # Schlegl et al. 2017: a latent search per test image, batched
        "anogan_iterations": SettingKey(500, positive_int, "an integer > 0",
                                        "Adam steps of the latent search per image"),
        "anogan_lambda": SettingKey(0.1, in_unit_interval, "a number in [0, 1]",
                                    "weight of the discrimination (feature-matching) loss"),
        "anogan_lr": SettingKey(0.01, positive_number, "a number > 0",
                                "step size of the latent search"),
        "anogan_batch": SettingKey(1000, positive_int, "an integer > 0",
                                   "images searched together"),
        "anogan_tolerance": SettingKey(0.0, at_least_zero, "a number >= 0",
                                       "an image's search stops when its loss fell by less "
                                       f"than this fraction over {CHECK_EVERY} iterations "
                                       "(0: every image searches anogan_iterations)"),
    }
    # tracked_name stays "discriminator": what is tracked over training, given threshold_ and
    # scored by `score` is the discriminator; the AnoGAN score is a final scorer

    def final_scorers(self) -> dict:
        search = self._latent_search()
        return {"anogan": lambda x, progress=False: search.score(
            x, self.setting["anogan_batch"], progress=progress)}

    def final_maps(self) -> dict:
        if len(self.sample_shape) != 3:
            return {}
        search = self._latent_search()
        return {"anogan": (ANOGAN_MAP, lambda x, progress=False: search.maps(
            x, self.setting["anogan_batch"], progress=progress))}

    def _latent_search(self) -> LatentSearch:
        """One search for the scores and the maps: its compiled loop (with XLA, compiled once
        per batch shape) is traced and compiled once, not once per use."""
        if getattr(self, "_latent", None) is None:
            s = self.setting
            self._latent = LatentSearch(self.generator, self.discriminator, self.latent_dim,
                                        s["anogan_iterations"], s["anogan_lambda"],
                                        s["anogan_lr"], self.xla, s["anogan_tolerance"])
        return self._latent
