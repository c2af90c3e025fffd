"""What every detector gives the shared trainer, Tracker and checkpoints.

A detector owns its networks and one optimiser per network, a compiled `train_step(batch)`
returning named losses, and `score(x)` (higher = more anomalous) that the Tracker follows over
training. Optional: `generate(n)` (detectors with a generator: Monte-Carlo threshold and the
generator's goodness of fit), `final_scorers()` (costly scores computed once after training),
and `extra_figures(data, test_scores)` (its own plots).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from gandi.device import compute_device
from gandi.optimizers import make_optimizer

SCORE_BATCH = 4096


class Detector:
    name = "detector"
    tracked_name = "detector"    # the name of the tracked score's row in the final table
    loss_names: tuple = ()       # keys of the dict train_step returns
    networks: dict = {}          # every network: checkpoints, divergence checks
    scoring_networks: tuple = ()  # names of the networks score(x) uses: kept at the sweet spot
    arch_keys: tuple = ()        # the setting keys naming its architectures (for --list)
    optimizers: dict = {}

    def __init__(self, setting: dict, sample_shape: tuple):
        self.setting = setting
        self.sample_shape = tuple(sample_shape)
        # All training noise comes from this seeded, checkpointable generator.
        self.noise = tf.random.Generator.from_seed(setting["tf_seed"])

    def _optimizer(self, lr, network):
        """A fresh optimiser for one network, its slots built now: Keras 3 creates them lazily,
        and a checkpoint must restore into existing variables."""
        s = self.setting
        optimizer = make_optimizer(s["optimizer"], lr, s["beta_1"], s["beta_2"])
        optimizer.build(network.trainable_variables)
        return optimizer

    def _compile(self):
        """Compile the train step once the networks exist."""
        self.train_step = tf.function(self.train_step_eager,
                                      jit_compile=self.setting["jit_compile"],
                                      reduce_retracing=True)

    uses_d_steps = False  # GANs: d_steps discriminator updates, one real batch each

    @classmethod
    def samples_per_step(cls, setting: dict) -> int:
        """Real samples one train step consumes; known before the detector is built, so that
        epochs can be turned into steps."""
        return setting["batch_size"] * (setting["d_steps"] if cls.uses_d_steps else 1)

    @property
    def batch_per_step(self) -> int:
        return self.samples_per_step(self.setting)

    def train_step_eager(self, batch) -> dict:
        raise NotImplementedError

    def score(self, x) -> np.ndarray:
        raise NotImplementedError

    def generate(self, n: int, seed: int = 0):
        """n samples of the model's generator, or None when it has none."""
        return None

    def final_scorers(self) -> dict:
        """Costly scores computed once after training: {detector name: score(x, progress)}."""
        return {}

    def extra_figures(self, data, test_scores) -> dict:
        return {}

    def checkpoint_objects(self) -> dict:
        # Keras keeps dropout's random state in seed-generator variables that a TF checkpoint
        # of the model skips; saved too, so that a resumed run draws the same dropout masks.
        seed_states = [v for net in self.networks.values() for v in net.non_trainable_variables
                       if "seed_generator" in v.path]
        return {**self.networks, **self.optimizers, "noise": self.noise,
                "seed_states": seed_states}

    def weights_are_finite(self) -> bool:
        return all(bool(np.all(np.isfinite(w))) for net in self.networks.values()
                   for w in net.get_weights())

    def scoring_weights(self) -> dict:
        return {name: self.networks[name].get_weights() for name in self.scoring_networks}


def batched(fn, x: np.ndarray, batch: int = SCORE_BATCH) -> np.ndarray:
    """Apply a compiled function in batches on the compute device; concatenate the results."""
    with compute_device():
        parts = [np.asarray(fn(tf.constant(x[i:i + batch]))) for i in range(0, len(x), batch)]
    return np.concatenate(parts) if parts else np.empty((0,), np.float32)
