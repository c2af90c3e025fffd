"""GAN objectives, as functions of the discriminator's raw outputs (logits / critic values).

Each entry gives `d_loss(real_out, fake_out)` and `g_loss(fake_out)`; `gradient_penalty` says
whether the trainer adds the WGAN-GP penalty on interpolates.
"""
from dataclasses import dataclass
from typing import Callable

import tensorflow as tf


@dataclass(frozen=True)
class GanLoss:
    d_loss: Callable
    g_loss: Callable
    gradient_penalty: bool = False


def _bce(labels_like, logits, value):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), value), logits=logits))


def _ns_d(real, fake):
    return _bce(real, real, 1.0) + _bce(fake, fake, 0.0)


def _ns_g(fake):
    # non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z)))
    return _bce(fake, fake, 1.0)


def _wgan_d(real, fake):
    return tf.reduce_mean(fake) - tf.reduce_mean(real)


def _wgan_g(fake):
    return -tf.reduce_mean(fake)


def _ls_d(real, fake):
    return 0.5 * (tf.reduce_mean(tf.square(real - 1.0)) + tf.reduce_mean(tf.square(fake)))


def _ls_g(fake):
    return 0.5 * tf.reduce_mean(tf.square(fake - 1.0))


LOSSES = {
    "nonsaturating": GanLoss(_ns_d, _ns_g),
    "wgan_gp": GanLoss(_wgan_d, _wgan_g, gradient_penalty=True),
    "least_squares": GanLoss(_ls_d, _ls_g),
}
