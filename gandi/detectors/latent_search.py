"""AnoGAN's latent search (Schlegl et al. 2017) on a trained generator G and discriminator D:
for each image x, Adam on z from a fixed start to lower

    loss(z) = (1 - lambda) * ||x - G(z)||_1 + lambda * ||f_D(x) - f_D(G(z))||_1

(f_D: D's "features" layer); the image's score is its loss where the search ends.

`batch_size` slots are searched together in one compiled function (a fixed input signature, no
retracing), each slot one image with its own Adam state. Every CHECK_EVERY iterations a slot
whose image is done gives its score and takes the next image: done after `iterations` updates,
or, with a tolerance > 0, when its loss fell by less than that fraction over the last
CHECK_EVERY. An image's search depends only on itself, so batching changes speed, not scores;
and a converged image's slot goes on with another image instead of idling until the slowest of
its batch ends; once no image waits, the slots still searching move into a smaller batch
(measured on MNIST digit 1, 2,000 test images, 500 iterations: a tolerance of 0.01 stops 94% of
them early, 168 iterations on average).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from gandi.detectors.base import latent_draws
from gandi.detectors.compiled import per_detector_function
from gandi.nets import features_of
from gandi.training.device import compute_device

CHECK_EVERY = 10  # iterations between the checks (a slot's image done, its next one started)
MIN_SLOTS = 16  # the smallest batch the slots shrink to: a smaller one saves less than a compile
BETA_1, BETA_2, EPS = 0.9, 0.999, 1e-7  # Adam's defaults, written out: no optimiser state


class LatentSearch:
    """The batched AnoGAN latent search (module docstring)."""

    def __init__(self, generator, discriminator, latent_dim: int, iterations: int,
                 lam: float, lr: float, jit_compile: bool = False, tolerance: float = 0.0):
        self.generator, self.latent_dim = generator, latent_dim
        self.features = features_of(discriminator)
        self.iterations, self.lam, self.lr = iterations, lam, lr
        self.tolerance = tolerance
        self.iterations_used = np.empty((0,), np.int32)  # per image, of the last score/maps
        sample_shape = tuple(generator.output_shape[1:])
        images = tf.TensorSpec((None, *sample_shape), tf.float32)
        latents = tf.TensorSpec((None, latent_dim), tf.float32)
        features = tf.TensorSpec((None, *self.features.output_shape[1:]), tf.float32)
        # XLA (the setting's jit_compile): 1.2-1.35x faster on a 2-core AMD EPYC, the same
        # scores to 2e-6 relative
        # eager: called once per batch of new images, where a trace would serve a single call
        self.start = self._start
        self.advance = per_detector_function(
            self._advance, jit_compile=jit_compile, input_signature=[
                images, features, latents, latents, latents, tf.TensorSpec((None,), tf.int32),
                tf.TensorSpec((), tf.int32)])

    def _losses(self, x, z, x_features):
        fake = self.generator(z, training=False)
        axes = list(range(1, len(x.shape)))
        residual = tf.reduce_sum(tf.abs(x - fake), axis=axes)
        f = self.features(fake, training=False)
        discrimination = tf.reduce_sum(tf.abs(tf.reshape(x_features - f, (tf.shape(x)[0], -1))), 1)
        return (1.0 - self.lam) * residual + self.lam * discrimination

    def _start(self, x, z):
        """The images' features and their loss at the start z."""
        x_features = self.features(x, training=False)
        return x_features, self._losses(x, z, x_features)

    def _advance(self, x, x_features, z, m, v, t, cap):
        """CHECK_EVERY Adam iterations of every slot that has had fewer than `cap` (t: the
        updates each slot's image has had). Returns (z, m, v, t, loss at the new z)."""
        for _ in tf.range(CHECK_EVERY):
            with tf.GradientTape() as tape:
                tape.watch(z)
                loss = tf.reduce_sum(self._losses(x, z, x_features))
            g = tape.gradient(loss, z)
            moving = (t < cap)[:, None]
            step = tf.cast(t + 1, tf.float32)[:, None]
            m_new = BETA_1 * m + (1 - BETA_1) * g
            v_new = BETA_2 * v + (1 - BETA_2) * tf.square(g)
            m_hat = m_new / (1 - tf.pow(BETA_1, step))
            v_hat = v_new / (1 - tf.pow(BETA_2, step))
            z = tf.where(moving, z - self.lr * m_hat / (tf.sqrt(v_hat) + EPS), z)
            m, v = tf.where(moving, m_new, m), tf.where(moving, v_new, v)
            t = t + tf.cast(moving[:, 0], tf.int32)
        return z, m, v, t, self._losses(x, z, x_features)

    def initial_latents(self, n: int, seed: int = 0) -> np.ndarray:
        return latent_draws(n, self.latent_dim, seed)

    def score(self, x, batch_size: int, progress: bool = False, seed: int = 0) -> np.ndarray:
        """AnoGAN score of every image, `batch_size` images searched together."""
        return self.searched(x, batch_size, progress, seed)[0]

    def maps(self, x, batch_size: int, progress: bool = False, seed: int = 0) -> np.ndarray:
        """AnoGAN's anomaly map of every image (n, h, w): the residual |x - G(z*)| at the
        searched z*, summed over channels (the score's residual term per pixel)."""
        x = np.asarray(x, np.float32)
        _, z = self.searched(x, batch_size, progress, seed)
        out = []
        for i in range(0, len(x), batch_size):
            with compute_device():
                fake = np.asarray(self.generator(z[i:i + batch_size], training=False))
            out.append(np.abs(x[i:i + batch_size] - fake).sum(axis=-1))
        return np.concatenate(out) if out else np.empty((0, *x.shape[1:3]), np.float32)

    def searched(self, x, batch_size: int, progress: bool = False, seed: int = 0):
        """(scores, z*) of every image; the iterations each used in `iterations_used`."""
        x = np.asarray(x, np.float32)
        n = len(x)
        z0 = self.initial_latents(n, seed)
        scores, found = np.empty(n, np.float32), np.empty_like(z0)
        used = np.zeros(n, np.int32)
        self.iterations_used = used
        if n == 0:
            return scores, found
        slots = min(batch_size, n)
        owner = np.arange(slots)  # the image in each slot; -1: none left to search
        state = _Slots(x[:slots].copy(), z0[:slots].copy(), slots, self.latent_dim)
        state.features, state.checked = self._started(state.x, state.z)
        waiting = slots  # the next image to take a slot
        with tqdm(total=n, desc="AnoGAN latent search", unit="image", disable=not progress,
                  leave=False) as bar:
            while (owner >= 0).any():
                with compute_device():
                    out = self.advance(state.x, state.features, state.z, state.m, state.v,
                                       state.t, tf.constant(self.iterations, tf.int32))
                state.z, state.m, state.v, state.t, losses = (np.array(o) for o in out)
                converged = (self.tolerance > 0) & (
                    state.checked - losses <= self.tolerance * np.abs(losses))
                done = np.flatnonzero((owner >= 0) & ((state.t >= self.iterations) | converged))
                state.checked = losses
                images = owner[done]
                scores[images], found[images] = losses[done], state.z[done]
                used[images] = state.t[done]
                bar.update(len(done))
                owner[done] = -1
                refill = done[:n - waiting]
                owner[refill] = np.arange(waiting, waiting + len(refill))
                waiting += len(refill)
                state.park(np.setdiff1d(done, refill), self.iterations)
                if len(refill):
                    state.take(refill, x[owner[refill]], z0[owner[refill]])
                    state.features[refill], state.checked[refill] = self._started(
                        state.x[refill], state.z[refill])
                owner = self._compacted(owner, state, waiting == n)
        return scores, found

    @staticmethod
    def _compacted(owner, state, none_waiting: bool):
        """With no image left to start, the slots still searching, moved into a batch of the
        next power of two once that is fewer slots: parked slots cost as much as searching
        ones. Powers of two: XLA compiles once per batch size, at most log2(batch) times more."""
        live = np.flatnonzero(owner >= 0)
        size = max(MIN_SLOTS, 1 << max(0, int(len(live) - 1).bit_length()))
        if not none_waiting or len(live) == 0 or size >= len(owner):
            return owner
        keep = np.concatenate([live, np.flatnonzero(owner < 0)[:size - len(live)]])
        state.select(keep)
        return owner[keep]

    def _started(self, x, z):
        with compute_device():
            features, losses = self.start(tf.constant(x), tf.constant(z))
        return np.array(features), np.array(losses)


class _Slots:
    """The search state of each slot: its image, features, z, Adam moments, updates so far and
    loss at the last check."""

    def __init__(self, x, z, slots: int, latent_dim: int):
        self.x, self.z = x, z
        self.m = np.zeros((slots, latent_dim), np.float32)
        self.v = np.zeros_like(self.m)
        self.t = np.zeros(slots, np.int32)
        self.features = self.checked = None

    def take(self, slots, x, z):
        """New images in `slots`: their start z, fresh Adam state."""
        self.x[slots], self.z[slots] = x, z
        self.m[slots], self.v[slots], self.t[slots] = 0.0, 0.0, 0

    def park(self, slots, cap: int):
        """Slots with no image left: at `cap` updates, so they no longer move."""
        self.t[slots] = cap

    def select(self, slots):
        """Only `slots`, in that order."""
        for name in ("x", "z", "m", "v", "t", "features", "checked"):
            setattr(self, name, getattr(self, name)[slots])
