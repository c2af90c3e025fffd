"""SO-GAAL and MO-GAAL (Liu et al., "Generative Adversarial Active Learning for Unsupervised
Outlier Detection", TKDE 2019; recipe from the official code, leibinghe/GAAL-based-outlier-
detection): a GAN whose generator is stopped early, while its samples still lie scattered around
the data (potential outliers), and whose discriminator then keeps training against them alone.
D separates the data from that cloud, so a low D(x) marks an outlier:

    anomaly_score(x) = -D(x)   (D's logit; the paper's 1 - D(x) ranks the same)

PyOD returns D(x) itself (its issues #119 and #237): the direction flipped, AUCs of 0.0-0.3.

- SO-GAAL: one generator, trained as in a GAN (target 1) for the first `gaal_generator_share`
  of the steps (the paper's stop_epochs of 3 x stop_epochs), then frozen.
- MO-GAAL: `mo_gaal_k` sub-generators sharing one D. The generated batch is split among them in
  proportions k, k-1, ..., 1; sub-generator i is trained towards target T_i, the i/k quantile of
  D's outputs on the data (the paper takes them over the whole data set after each D step; here
  over the step's real batch, which a compiled step has at hand), so the sub-generators spread
  over D's levels instead of onto the data.
D learns from each real batch (1) and a generated batch as large (0) with cross-entropy.

Noise is uniform over the data's bounding box, d-dimensional for d features (latent_dim is not
read): the paper's U(0, 1)^d on data min-max scaled to [0, 1]^d, where gandi's tables are
standardised instead. The box is the training batches' minimum and maximum seen so far (one
epoch in, the training set's); seeded latent draws N(0, I) (gandi.detectors.base.latent_draws,
the Monte-Carlo threshold) are mapped into it through the normal CDF. Networks and optimisers
are the paper's (`recipe`: SGD with momentum 0.9, D 1e-2, G 1e-4) where a setting does not
choose them. Vectors only, as published.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from gandi.detectors.base import Detector
from gandi.detectors.score_direction import direction_network
from gandi.detectors.stabilisers import (averaged_copy, build_discriminator, r1_penalty,
                                         update_average)
from gandi.nets import GENERATORS, build
from gandi.settings.checks import SettingKey, in_unit_interval, is_int


def _bce(logits, target):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.broadcast_to(target, tf.shape(logits)), logits=logits))


def _unit(z):
    """N(0, 1) draws mapped to U(0, 1) (the normal CDF)."""
    return 0.5 * (1.0 + tf.math.erf(z / np.sqrt(2.0)))


class SOGAALDetector(Detector):
    """One generator, stopped early; one discriminator trained on to the end."""

    name = "so_gaal"
    tracked_name = "so_gaal"
    loss_names = ("d_loss", "g_loss")
    scoring_networks = ("discriminator", "score_direction")
    generator_network = "generator_0"
    arch_keys = ("g_arch", "d_arch")
    takes_images = False
    oriented = True
    map_name = None
    recipe = {"g_arch": "gaal", "d_arch": "gaal", "optimizer": "sgd", "beta_1": 0.9,
              "lr_d": 0.01, "lr_g": 1e-4}
    setting_keys = {
        "gaal_generator_share": SettingKey(
            1 / 3, lambda v: in_unit_interval(v) and v > 0, "a number in (0, 1]",
            "share of the steps in which the generator(s) train; D trains alone after (GAAL: "
            "stop_epochs of 3 x stop_epochs)"),
    }
    k = 1

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.generator_steps = max(1, int(round(setting["steps"]
                                                * float(setting["gaal_generator_share"]))))
        self.shares = self._shares(setting["batch_size"])
        self.generators = [build(GENERATORS, setting["g_arch"], (self.latent_dim,),
                                 output_shape=self.sample_shape,
                                 precision=self.precision, **setting["g_params"])
                           for _ in range(self.k)]
        for i, g in enumerate(self.generators):
            g.name = f"generator_{i}"  # distinct names in checkpoints and exports
        self.discriminator = build_discriminator(setting, self.sample_shape)
        self.r1_weight = float(setting["r1_weight"])
        self.d_ema = float(setting["d_ema"])
        self.scorer = self.discriminator
        if self.d_ema:
            self.scorer = averaged_copy(self.discriminator)
        self.direction = direction_network()
        self.g_optimizers = [self._optimizer(setting["lr_g"], g) for g in self.generators]
        self.d_optimizer = self._optimizer(setting["lr_d"], self.discriminator)
        self.steps_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="steps_done")
        # the data's box (flattened), [0, 1] until the first training batch sets it
        self.box_low = tf.Variable(tf.zeros(self.latent_dim), trainable=False, name="box_low")
        self.box_high = tf.Variable(tf.ones(self.latent_dim), trainable=False, name="box_high")

    def _uniform(self, z):
        """N(0, 1) draws mapped to uniform draws in the data's box."""
        return self.box_low + _unit(z) * (self.box_high - self.box_low)

    def _widen_box(self, real):
        flat = tf.reshape(real, (tf.shape(real)[0], -1))
        first = self.steps_done == 0
        low, high = tf.reduce_min(flat, axis=0), tf.reduce_max(flat, axis=0)
        self.box_low.assign(tf.where(first, low, tf.minimum(self.box_low, low)))
        self.box_high.assign(tf.where(first, high, tf.maximum(self.box_high, high)))

    def _latent_dim(self, setting: dict, sample_shape: tuple) -> int:
        return int(np.prod(sample_shape))

    def _shares(self, batch: int) -> list:
        """Samples of a generated batch per sub-generator: proportional to k, k-1, ..., 1."""
        weights = np.arange(self.k, 0, -1, dtype=float)
        shares = np.floor(batch * weights / weights.sum()).astype(int)
        shares[0] += batch - shares.sum()
        return [int(s) for s in shares]

    @property
    def networks(self) -> dict:
        trained = {"discriminator_trained": self.discriminator} if self.d_ema else {}
        return {**{f"generator_{i}": g for i, g in enumerate(self.generators)},
                "discriminator": self.scorer, **trained, "score_direction": self.direction}

    @property
    def optimizers(self) -> dict:
        return {**{f"g_optimizer_{i}": o for i, o in enumerate(self.g_optimizers)},
                "d_optimizer": self.d_optimizer}

    def _fakes(self, training: bool):
        parts = [g(self._uniform(self.noise.normal((n, self.latent_dim))), training=training)
                 for g, n in zip(self.generators, self.shares) if n > 0]
        return tf.concat(parts, 0)

    def train_step_eager(self, real):
        self._widen_box(real)
        fake = self._fakes(training=True)
        with tf.GradientTape() as tape:
            real_out = self.discriminator(real, training=True)
            fake_out = self.discriminator(fake, training=True)
            d_loss = _bce(tf.concat([real_out, fake_out], 0),
                          tf.concat([tf.ones_like(real_out), tf.zeros_like(fake_out)], 0))
            if self.r1_weight:
                d_loss += 0.5 * self.r1_weight * r1_penalty(self.discriminator, real)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        if self.d_ema:
            update_average(self.scorer, self.discriminator, self.d_ema)
        g_loss = tf.cond(self.steps_done < self.generator_steps,
                         lambda: self._g_updates(real), lambda: tf.constant(0.0))
        self.steps_done.assign_add(1)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _targets(self, real):
        """The target of D(G_i(z)) per generator: 1 (an ordinary GAN step) for SO-GAAL."""
        return [tf.constant(1.0)]

    def _g_updates(self, real):
        n = tf.shape(real)[0]
        losses = []
        for g, optimizer, target in zip(self.generators, self.g_optimizers, self._targets(real)):
            z = self._uniform(self.noise.normal((n, self.latent_dim)))
            with tf.GradientTape() as tape:
                loss = _bce(self.discriminator(g(z, training=True), training=True), target)
            grads = tape.gradient(loss, g.trainable_variables)
            optimizer.apply_gradients(zip(grads, g.trainable_variables))
            losses.append(loss)
        return tf.add_n(losses) / len(losses)

    def _anomaly_score(self, x):
        return self.direction(-self.scorer(x, training=False))

    def _generated(self, z):
        # the generated batch as in training: every sub-generator its share, from uniform noise
        u = self._uniform(z)
        n = tf.shape(z)[0]
        weights = tf.constant(np.arange(self.k, 0, -1) / (self.k * (self.k + 1) / 2), tf.float32)
        place = tf.range(n, dtype=tf.float32) / tf.cast(n, tf.float32)
        index = tf.reduce_sum(tf.cast(place[:, None] >= tf.cumsum(weights)[None, :-1], tf.int32),
                              axis=1)
        outs = tf.stack([g(u, training=False) for g in self.generators], axis=1)
        return tf.gather(outs, index, axis=1, batch_dims=1)

    def checkpoint_objects(self) -> dict:
        return {**super().checkpoint_objects(), "steps_done": self.steps_done,
                "box_low": self.box_low, "box_high": self.box_high}


class MOGAALDetector(SOGAALDetector):
    """k sub-generators aimed at the quantiles of D's outputs on the data."""

    name = "mo_gaal"
    tracked_name = "mo_gaal"
    setting_keys = {
        **SOGAALDetector.setting_keys,
        "mo_gaal_k": SettingKey(10, lambda v: is_int(v) and 2 <= v <= 50,
                                "an integer from 2 to 50", "MO-GAAL's number of sub-generators"),
    }

    def __init__(self, setting: dict, sample_shape: tuple):
        self.k = int(setting["mo_gaal_k"])
        super().__init__(setting, sample_shape)

    def _targets(self, real):
        p = tf.sort(tf.sigmoid(self.discriminator(real, training=False)))
        last = tf.cast(tf.shape(p)[0] - 1, tf.float32)
        return [tf.stop_gradient(p[tf.cast(tf.math.floor(last * i / self.k), tf.int32)])
                for i in range(self.k)]
