"""Adversarial autoencoder (Makhzani et al. 2016): an autoencoder whose codes are pushed towards
a prior by a GAN played in latent space. A latent discriminator D_z tells prior samples
z ~ N(0, I) ("real") from codes E(x) ("fake"); the encoder, in the generator's role, learns to
fool it. Each step, as in the paper:
1. reconstruction phase: E and Dec minimise the mean squared error;
2. regularisation phase: D_z learns to tell prior from codes, then E learns to fool D_z.
Both GAN losses are the non-saturating cross-entropy of the paper's GAN (the `loss` setting is
the image GANs'; a latent gradient penalty is not implemented).

    anomaly_score(x) = mean squared error of x vs Dec(E(x)) + aae_latent_weight * -D_z(E(x))

The second term (a code unlike the prior is anomalous) is off by default. The anomaly map is the
autoencoder's (the first term per pixel; the latent term has no per-pixel part).
"""
from __future__ import annotations

import tensorflow as tf

from gandi.detectors.autoencoder import AutoencoderDetector
from gandi.detectors.losses import LOSSES
from gandi.nets import DISCRIMINATORS, build
from gandi.settings.checks import SettingKey, at_least_zero

GAN_LOSS = LOSSES["nonsaturating"]


class AAEDetector(AutoencoderDetector):
    """The autoencoder plus a latent discriminator D_z; three optimisers: the autoencoder's,
    D_z's, and the encoder's in the regularisation phase (Adam's moments of one objective
    must not mix with another's)."""

    name = "aae"
    setting_keys = {
        **AutoencoderDetector.setting_keys,
        "aae_latent_weight": SettingKey(
            0.0, at_least_zero, "a number >= 0",
            "score = reconstruction error + this weight * the latent discriminator's score"),
    }
    tracked_name = "aae"
    loss_names = ("reconstruction_loss", "d_loss", "g_loss")
    scoring_networks = ("encoder", "decoder", "latent_discriminator")
    generator_network = "decoder"  # codes are pushed towards the prior, so it decodes its draws
    arch_keys = ("e_arch", "g_arch", "d_arch")

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        self.latent_weight = float(setting["aae_latent_weight"])
        self.latent_discriminator = build(DISCRIMINATORS, setting["d_arch"], (self.latent_dim,),
                                          **setting["d_params"], precision=self.precision)
        self.d_optimizer = self._optimizer(setting["lr_d"], self.latent_discriminator)
        self.e_optimizer = self._optimizer(setting["lr_g"], self.encoder)

    @property
    def networks(self) -> dict:
        return {**super().networks, "latent_discriminator": self.latent_discriminator}

    @property
    def optimizers(self) -> dict:
        return {**super().optimizers, "d_optimizer": self.d_optimizer,
                "e_optimizer": self.e_optimizer}

    def train_step_eager(self, x):
        reconstruction_loss = self._reconstruction_update(x)
        prior = self.noise.normal((tf.shape(x)[0], self.latent_dim))
        with tf.GradientTape() as tape:
            real_out = self.latent_discriminator(prior, training=True)
            fake_out = self.latent_discriminator(self.encoder(x, training=True), training=True)
            d_loss = GAN_LOSS.d_loss(real_out, fake_out)
        variables = self.latent_discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        with tf.GradientTape() as tape:
            fake_out = self.latent_discriminator(self.encoder(x, training=True), training=True)
            g_loss = GAN_LOSS.g_loss(fake_out)
        variables = self.encoder.trainable_variables
        self.e_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return {"reconstruction_loss": reconstruction_loss, "d_loss": d_loss, "g_loss": g_loss}

    def _anomaly_score(self, x):
        score = super()._anomaly_score(x)
        if self.latent_weight:  # a Python constant: the term is compiled in or left out
            logit = self.latent_discriminator(self.encoder(x, training=False), training=False)
            score += self.latent_weight * -logit
        return score
