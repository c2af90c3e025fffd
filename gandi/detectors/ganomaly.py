"""GANomaly (Akcay et al. 2018): an encoder-decoder-encoder generator. G_E codes an image,
G_D reconstructs it, x_hat = G_D(G_E(x)), and a second encoder E codes the reconstruction.
Trained on normal data only, the two codes agree for normal images; an anomaly is reconstructed
as something normal-looking, whose code E(x_hat) is then far from G_E(x):

    anomaly_score(x) = mean over latent dims of (G_E(x) - E(G_D(G_E(x))))^2

Generator loss (G_E, G_D and E together), as in the paper's code:
    w_adv * mean((f(x) - f(x_hat))^2)     adversarial: feature matching on D's "features"
  + w_con * mean(|x - x_hat|)             contextual: reconstruction
  + w_enc * mean((G_E(x) - E(x_hat))^2)   encoder: the two codes agree
D tells real x from x_hat with sigmoid cross-entropy; like the paper, it is re-initialised (to
its initial weights) when its loss collapses below 1e-5. The score is not min-max scaled: that
needs the whole test set at once and is for display only. The score has no per-pixel part: the
anomaly map is the reconstruction residual |x - G_D(G_E(x))| (summed over channels), where the
generator failed to rebuild the image, and is named so.
"""
from __future__ import annotations

import tensorflow as tf

from gandi.detectors.base import Detector
from gandi.detectors.losses import LOSSES
from gandi.nets import DISCRIMINATORS, ENCODERS, GENERATORS, build, features_of
from gandi.settings.checks import SettingKey, at_least_zero

D_COLLAPSED = 1e-5  # D's loss below which the paper re-initialises D


class GANomalyDetector(Detector):
    """Generator G = (G_E, G_D), encoder E, discriminator D; one optimiser each."""

    name = "ganomaly"
    setting_keys = {  # Akcay et al. 2018: the paper's loss weights
        "ganomaly_w_adv": SettingKey(1.0, at_least_zero, "a number >= 0",
                                     "weight of the adversarial (feature-matching) loss"),
        "ganomaly_w_con": SettingKey(50.0, at_least_zero, "a number >= 0",
                                     "weight of the contextual (L1 reconstruction) loss"),
        "ganomaly_w_enc": SettingKey(1.0, at_least_zero, "a number >= 0",
                                     "weight of the encoder loss ||E(x) - E(G(E(x)))||^2"),
    }
    tracked_name = "ganomaly"
    loss_names = ("d_loss", "g_loss")
    scoring_networks = ("generator_encoder", "generator_decoder", "encoder")
    arch_keys = ("e_arch", "g_arch", "d_arch")
    uses_d_steps = True
    map_name = "reconstruction residual |x - x_hat| (the score itself compares latent codes)"

    def __init__(self, setting: dict, sample_shape: tuple):
        super().__init__(setting, sample_shape)
        s = setting
        self.d_steps = s["d_steps"]
        self.w_adv, self.w_con, self.w_enc = (
            float(s["ganomaly_w_adv"]), float(s["ganomaly_w_con"]), float(s["ganomaly_w_enc"]))
        self.loss = LOSSES["nonsaturating"]
        self.generator_encoder = build(ENCODERS, s["e_arch"], self.sample_shape,
                                       latent_dim=self.latent_dim,
                                       precision=self.precision, **s["e_params"])
        self.generator_decoder = build(GENERATORS, s["g_arch"], (self.latent_dim,),
                                       output_shape=self.sample_shape,
                                       precision=self.precision, **s["g_params"])
        self.encoder = build(ENCODERS, s["e_arch"], self.sample_shape,
                             latent_dim=self.latent_dim, **s["e_params"], precision=self.precision)
        self.discriminator = build(DISCRIMINATORS, s["d_arch"], self.sample_shape,
                                   **s["d_params"], precision=self.precision)
        self.features = features_of(self.discriminator)
        self.d_initial = [tf.Variable(tf.convert_to_tensor(v), trainable=False)
                          for v in self.discriminator.trainable_variables]
        self.g_networks = (self.generator_encoder, self.generator_decoder, self.encoder)
        self.g_optimizers = tuple(self._optimizer(s["lr_g"], net) for net in self.g_networks)
        self.d_optimizer = self._optimizer(s["lr_d"], self.discriminator)

    @property
    def networks(self) -> dict:
        return {"generator_encoder": self.generator_encoder,
                "generator_decoder": self.generator_decoder, "encoder": self.encoder,
                "discriminator": self.discriminator}

    @property
    def optimizers(self) -> dict:
        ge, gd, e = self.g_optimizers
        return {"ge_optimizer": ge, "gd_optimizer": gd, "e_optimizer": e,
                "d_optimizer": self.d_optimizer}

    def checkpoint_objects(self) -> dict:
        return {**super().checkpoint_objects(), "d_initial": self.d_initial}

    def train_step_eager(self, real):
        """One generator update (on the first batch), then `d_steps` discriminator updates, one
        batch each: the paper's order, G then D."""
        batches = tf.split(real, self.d_steps)
        g_loss = self._g_update(batches[0])
        for x in batches:  # unrolled: d_steps is a Python constant
            d_loss = self._d_update(x)
        self._reinitialise_collapsed_discriminator(d_loss)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _g_update(self, x):
        with tf.GradientTape() as tape:
            z = self.generator_encoder(x, training=True)
            x_hat = self.generator_decoder(z, training=True)
            z_hat = self.encoder(x_hat, training=True)
            # D is only a feature extractor here: inference mode, no dropout noise in f
            adversarial = tf.reduce_mean(tf.square(self.features(x, training=False)
                                                   - self.features(x_hat, training=False)))
            contextual = tf.reduce_mean(tf.abs(x - x_hat))
            encoding = tf.reduce_mean(tf.square(z - z_hat))
            loss = self.w_adv * adversarial + self.w_con * contextual + self.w_enc * encoding
        variables = [net.trainable_variables for net in self.g_networks]
        for optimizer, grads, net_vars in zip(self.g_optimizers, tape.gradient(loss, variables),
                                              variables):
            optimizer.apply_gradients(zip(grads, net_vars))
        return loss

    def _d_update(self, x):
        x_hat = self.generator_decoder(self.generator_encoder(x, training=True), training=True)
        with tf.GradientTape() as tape:
            loss = self.loss.d_loss(self.discriminator(x, training=True),
                                    self.discriminator(x_hat, training=True))
        grads = tape.gradient(loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        return loss

    def _reinitialise_collapsed_discriminator(self, d_loss):
        """A D that wins outright gives G no gradient: start it again. Branch-free, so that the
        step stays one graph (and XLA-compilable)."""
        collapsed = d_loss < D_COLLAPSED
        for variable, initial in zip(self.discriminator.trainable_variables, self.d_initial):
            variable.assign(tf.where(collapsed, initial, variable))

    def _anomaly_score(self, x):
        z = self.generator_encoder(x, training=False)
        z_hat = self.encoder(self.generator_decoder(z, training=False), training=False)
        return tf.reduce_mean(tf.square(z - z_hat), axis=1)

    def _anomaly_map(self, x):
        x_hat = self.generator_decoder(self.generator_encoder(x, training=False), training=False)
        return tf.reduce_sum(tf.abs(x - x_hat), axis=-1)
