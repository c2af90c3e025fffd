"""EGBAD (Zenati et al. 2018): a BiGAN whose encoder E learns to invert the generator G while
the GAN trains, so that scoring is one forward pass instead of AnoGAN's latent search.

Training (BiGAN, Donahue et al. 2017): a discriminator D on joint pairs tells (x, E(x)) (real)
from (G(z), z) (generated); G and E together try to fool it. Score:

    A(x) = alpha * ||x - G(E(x))||_1 + (1 - alpha) * L_D(x)

with L_D "cross_entropy": the sigmoid cross-entropy of D(x, E(x)) against "real", or
"feature_matching": ||f_D(x, E(x)) - f_D(G(E(x)), E(x))||_1, f_D being D's "features" layer.
Sums per sample, every network in inference mode: a score never depends on the batch. The game
is the cross-entropy one of the paper, whatever the setting's `loss`. The anomaly map is the
reconstruction term per pixel, |x - G(E(x))| summed over channels.
"""
from __future__ import annotations

import tensorflow as tf

from gandi.detectors.base import Detector
from gandi.detectors.losses import LOSSES
from gandi.nets import ENCODERS, GENERATORS, JOINT_DISCRIMINATORS, build, features_of
from gandi.settings.checks import SettingKey, in_unit_interval, one_of


def per_sample_sum(t):
    return tf.reduce_sum(tf.reshape(t, (tf.shape(t)[0], -1)), axis=1)


class EGBADDetector(Detector):
    """Generator G, encoder E, joint discriminator D; one optimiser each."""

    name = "egbad"
    setting_keys = {  # Zenati et al. 2018: A(x) = alpha * ||x - G(E(x))||_1 + (1 - alpha) * L_D(x)
        "egbad_alpha": SettingKey(0.9, in_unit_interval, "a number in [0, 1]",
                                  "the score's weight alpha of the reconstruction term"),
        "egbad_discrimination": SettingKey(
            "feature_matching", *one_of(("cross_entropy", "feature_matching")),
            "L_D: the discriminator's cross-entropy on (x, E(x)), or the L1 distance of its "
            "features of (x, E(x)) and (G(E(x)), E(x))"),
    }
    tracked_name = "egbad"
    loss_names = ("d_loss", "g_loss")
    scoring_networks = ("generator", "encoder", "joint_discriminator")
    generator_network = "generator"
    arch_keys = ("g_arch", "e_arch", "jd_arch")
    uses_d_steps = True
    map_name = "residual |x - G(E(x))| (the score's reconstruction term)"

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.d_steps = setting["d_steps"]
        self.alpha = float(setting["egbad_alpha"])
        self.discrimination = setting["egbad_discrimination"]
        self.loss = LOSSES["nonsaturating"]
        self.generator = build(GENERATORS, setting["g_arch"], (self.latent_dim,),
                               output_shape=self.sample_shape,
                               precision=self.precision, **setting["g_params"])
        self.encoder = build(ENCODERS, setting["e_arch"], self.sample_shape,
                             latent_dim=self.latent_dim,
                             precision=self.precision, **setting["e_params"])
        self.discriminator = build(JOINT_DISCRIMINATORS, setting["jd_arch"], self.sample_shape,
                                   latent_dim=self.latent_dim,
                                   precision=self.precision, **setting["jd_params"])
        self.features = features_of(self.discriminator)
        # G and E play the same side of the game: same loss, same learning rate
        self.g_optimizer = self._optimizer(setting["lr_g"], self.generator)
        self.e_optimizer = self._optimizer(setting["lr_g"], self.encoder)
        self.d_optimizer = self._optimizer(setting["lr_d"], self.discriminator)

    @property
    def networks(self) -> dict:
        return {"generator": self.generator, "encoder": self.encoder,
                "joint_discriminator": self.discriminator}

    @property
    def optimizers(self) -> dict:
        return {"g_optimizer": self.g_optimizer, "e_optimizer": self.e_optimizer,
                "d_optimizer": self.d_optimizer}

    def train_step_eager(self, real):
        """`d_steps` discriminator updates, one batch each, then one G and E update on the last."""
        for x in tf.split(real, self.d_steps):  # unrolled: d_steps is a Python constant
            d_loss = self._d_update(x)
        return {"d_loss": d_loss, "g_loss": self._ge_update(x)}

    def _pairs_out(self, x):
        """D's logits on the real pairs (x, E(x)) and the generated pairs (G(z), z)."""
        z = self.noise.normal((tf.shape(x)[0], self.latent_dim))
        real_out = self.discriminator([x, self.encoder(x, training=True)], training=True)
        fake_out = self.discriminator([self.generator(z, training=True), z], training=True)
        return real_out, fake_out

    def _d_update(self, x):
        with tf.GradientTape() as tape:
            loss = self.loss.d_loss(*self._pairs_out(x))
        grads = tape.gradient(loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        return loss

    def _ge_update(self, x):
        """G and E minimise D's loss with the labels swapped (non-saturating): the generated
        pairs called real, the real pairs called generated."""
        with tf.GradientTape() as tape:
            real_out, fake_out = self._pairs_out(x)
            loss = self.loss.d_loss(fake_out, real_out)
        variables = [self.generator.trainable_variables, self.encoder.trainable_variables]
        g_grads, e_grads = tape.gradient(loss, variables)
        self.g_optimizer.apply_gradients(zip(g_grads, variables[0]))
        self.e_optimizer.apply_gradients(zip(e_grads, variables[1]))
        return loss

    def _anomaly_score(self, x):
        z = self.encoder(x, training=False)
        x_rec = self.generator(z, training=False)
        residual = per_sample_sum(tf.abs(x - x_rec))
        if self.discrimination == "cross_entropy":
            logits = self.discriminator([x, z], training=False)
            discrimination = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.ones_like(logits), logits=logits)
        else:  # feature matching
            discrimination = per_sample_sum(tf.abs(
                self.features([x, z], training=False) - self.features([x_rec, z], training=False)))
        return self.alpha * residual + (1.0 - self.alpha) * discrimination

    def _anomaly_map(self, x):
        x_rec = self.generator(self.encoder(x, training=False), training=False)
        return tf.reduce_sum(tf.abs(x - x_rec), axis=-1)
