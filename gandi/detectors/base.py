"""What every detector gives the shared trainer, Tracker, checkpoints and `gandi score`.

The contract, abstract (a detector that leaves a part out cannot be built):
- `networks` and `optimizers`: every network, and one optimiser per network (checkpoints,
  divergence checks, exports);
- `train_step_eager(batch)`: one training step written eagerly, returning the losses named by
  `loss_names`; `train_step(batch)` runs it compiled (one tf.function, made here);
- `_anomaly_score(x)`: the raw score of one batch, every network in inference mode;
  `score(x) -> np.ndarray` runs it compiled and batched (higher = more anomalous).
The base gives the rest once: `score`, `generate` (samples of `generator_network` from seeded
latent draws: the Monte-Carlo threshold and the generator's goodness of fit), the fitted
thresholds `threshold_` and `mc_threshold_`, `predict(x)` and the checkpoint objects. Optional:
`final_scorers()` (costly scores computed once after training) and `setting_keys` (the setting
keys only it reads, each with its default, check and doc). Where its score has a per-pixel
part, `_anomaly_map(x)` and `map_name` (what the map shows): `anomaly_map(x) -> (n, h, w)` runs
it compiled and batched, like `score`; `final_maps()` gives the maps of `final_scorers()`. A
detector without a map says so (`NoAnomalyMap`). A detector draws nothing: its
figures are gandi.outputs' (those of autoencoders: `reconstruction_plots`, from `codes(x)` and
`reconstruct(x)`).
"""
from __future__ import annotations

import abc
import contextlib

import numpy as np
import tensorflow as tf

from gandi.training.device import compute_device
from gandi.detectors.compiled import per_detector_function
from gandi.detectors.optimizers import make_optimizer
from gandi.nets import precision_of


# samples per compiled scoring call: 512 scored 10-30% more images/s than 4096 for every
# image detector on a 2-core AMD EPYC (Zen 3, AVX2), 2026-12-01: activations that stay in cache
SCORE_BATCH = 512


class NoAnomalyMap(ValueError):
    """A detector (or data) without a per-pixel anomaly map; the message says why."""


class Detector(abc.ABC):
    """A detector's networks, compiled train step and score; the fitted state has PyOD's trailing
    underscore (None until training has chosen it):

    threshold_: the label-free threshold chosen in training, the `threshold_percentile`
        percentile of the validation normals' scores at the sweet spot; `predict` flags the
        scores above it.
    mc_threshold_: the Monte-Carlo threshold, the same percentile of the scores of the
        generator's samples at the sweet spot (None without a generator).

    Both belong to the sweet spot's networks, which the run exports with them (gandi.score
    restores the pair); the detector that trained keeps its last step's networks and no
    threshold (a run's final results are a value of their own, gandi.tracking.final_results).
    """

    name = "detector"
    tracked_name = "detector"    # the name of the tracked score's row in the final table
    loss_names: tuple = ()       # keys of the dict train_step returns
    scoring_networks: tuple = ()  # names of the networks score(x) uses: kept at the sweet spot
    generator_network: str | None = None  # the network generate() decodes latent draws with
    arch_keys: tuple = ()        # the setting keys naming its architectures (for --list)
    # the setting keys only this detector reads: {key: SettingKey(default, check, allowed,
    # doc)}; gandi.settings.keys adds them to the key table (shared keys live there)
    setting_keys: dict = {}
    uses_d_steps = False         # GANs: d_steps discriminator updates, one real batch each
    # what anomaly_map(x) shows (figure titles, --maps); None: the score has no per-pixel part
    map_name: str | None = None
    takes_images = True          # False: vectors only (the settings refuse image data)
    # True: the score's direction is not guaranteed by training (a discriminator's); it is a
    # scoring network "score_direction" the Tracker orients without labels
    # (gandi.detectors.score_direction)
    oriented = False
    # shared keys' values of the method's published recipe, taken where a setting does not
    # give them (before the key table's defaults): e.g. GAAL's SGD and learning rates
    recipe: dict = {}

    def __init__(self, setting: dict, sample_shape: tuple):
        self.setting = setting
        self.sample_shape = tuple(sample_shape)
        self.latent_dim = self._latent_dim(setting, self.sample_shape)
        # float32, or Keras mixed bfloat16 with float32 outputs (gandi.nets.build)
        self.precision = precision_of(setting)
        # All training noise comes from this seeded, checkpointable generator.
        self.noise = tf.random.Generator.from_seed(setting["tf_seed"])
        self.threshold_: float | None = None
        self.mc_threshold_: float | None = None
        # Compiled once; each traces on its first call, when the subclass has built its networks.
        # The scoring ones take any number of samples (batch dimension None): one trace per
        # detector, not one more for a last, shorter batch; `per_detector_function` keeps
        # TensorFlow from counting one detector's trace against the next one's. What a run calls
        # once or twice (figures) is eager: a trace would cost more than it saves.
        samples = [tf.TensorSpec((None, *self.sample_shape), tf.float32)]
        # a run resolves jit_compile "auto" by measurement (training/compiled_step.py); a
        # detector built outside a run (a study, a test) with "auto" is plain
        self.xla = setting["jit_compile"] is True
        self._train_step = per_detector_function(self.train_step_eager, jit_compile=self.xla,
                                                 reduce_retracing=True)
        self._score = per_detector_function(self._anomaly_score, input_signature=samples)
        self._generate = per_detector_function(
            self._generated, jit_compile=self.xla,
            input_signature=[tf.TensorSpec((None, self.latent_dim), tf.float32)])
        self._map = per_detector_function(self._anomaly_map, input_signature=samples)

    def _latent_dim(self, setting: dict, sample_shape: tuple) -> int:
        """The latent draws' dimension: the setting's, unless the method fixes it."""
        return setting["latent_dim"]

    # -- what each detector supplies ------------------------------------------------------
    @property
    @abc.abstractmethod
    def networks(self) -> dict:
        """Every network by name: checkpoints, divergence checks, exports."""

    @property
    @abc.abstractmethod
    def optimizers(self) -> dict:
        """Every optimiser by name (one per network or objective): checkpoints."""

    @abc.abstractmethod
    def train_step_eager(self, batch) -> dict:
        """One training step on `batch_per_step` real samples: {name in loss_names: loss}."""

    @abc.abstractmethod
    def _anomaly_score(self, x):
        """The raw anomaly score of one batch (a tensor), every network in inference mode."""

    def _anomaly_map(self, x):
        """The per-pixel anomaly of one batch of images (n, h, w), every network in inference
        mode; detectors whose score has a per-pixel part supply it with `map_name`."""
        raise NoAnomalyMap(self._no_map_reason())

    # -- what the base gives every detector -----------------------------------------------
    def train_step(self, batch) -> dict:
        """`train_step_eager`, compiled (tf.function; XLA with the setting's jit_compile)."""
        return self._train_step(batch)

    def score(self, x) -> np.ndarray:
        """Anomaly score per sample, higher = more anomalous; batched, inference mode."""
        return batched(self._score, np.asarray(x, np.float32))

    def graph_score(self):
        """`score` as one graph function of a batch (x -> scores), every constant it needs fixed
        now: what a SavedModel export traces (gandi.export). `_anomaly_score` unless `score`
        adds to it."""
        return self._anomaly_score

    def anomaly_map(self, x, compiled: bool = True) -> np.ndarray:
        """Per-pixel anomaly of each image (n, h, w), higher = more anomalous (what `map_name`
        says); batched, inference mode. NoAnomalyMap for a detector without one or on vectors.
        compiled=False: eager, for what a run maps once or twice (its figures), where a trace
        would cost more than it saves."""
        reason = self._no_map_reason()
        if reason:
            raise NoAnomalyMap(reason)
        return batched(self._map if compiled else self._anomaly_map, np.asarray(x, np.float32),
                       empty=self.sample_shape[:2])

    def _no_map_reason(self) -> str:
        if self.map_name is None:
            return f"detector {self.name!r} has no anomaly map: its score has no per-pixel part"
        if len(self.sample_shape) != 3:
            return (f"detector {self.name!r} was built for vectors of shape {self.sample_shape}; "
                    f"anomaly maps are for images (h, w, channels)")
        return ""

    def predict(self, x) -> np.ndarray:
        """1 (anomaly) or 0 per sample: score(x) > threshold_."""
        return self.is_anomaly(self.score(x))

    def is_anomaly(self, scores) -> np.ndarray:
        """1 where a score of this detector is above threshold_, else 0 (scores already made)."""
        if self.threshold_ is None:
            raise RuntimeError(f"{self.name}: threshold_ is not set; training chooses it at the "
                               "end of a run (the Tracker's final table), and a run's exported "
                               "detector has it (gandi.score.exported.load_exported)")
        return (np.asarray(scores) > self.threshold_).astype(np.int64)

    def generate(self, n: int, seed: int = 0) -> np.ndarray | None:
        """n samples of `generator_network` from a fixed latent seed, so that snapshots over
        training compare; None when the detector has no generator."""
        if self.generator_network is None:
            return None
        return batched(self._generate, latent_draws(n, self.latent_dim, seed))

    def _generated(self, z):
        return self.networks[self.generator_network](z, training=False)

    def _optimizer(self, lr, network):
        """A fresh optimiser for one network, its slots built now: Keras 3 creates them lazily,
        and a checkpoint must restore into existing variables."""
        s = self.setting
        optimizer = make_optimizer(s["optimizer"], lr, s["beta_1"], s["beta_2"])
        optimizer.build(network.trainable_variables)
        return optimizer

    @classmethod
    def samples_per_step(cls, setting: dict) -> int:
        """Real samples one train step consumes; known before the detector is built, so that
        epochs can be turned into steps."""
        return setting["batch_size"] * (setting["d_steps"] if cls.uses_d_steps else 1)

    @classmethod
    def scoring_networks_for(cls, setting: dict) -> tuple:
        """`scoring_networks` of a detector of `setting` (a score setting may add one), known
        before it is built: what an export must hold."""
        return cls.scoring_networks

    @property
    def batch_per_step(self) -> int:
        return self.samples_per_step(self.setting)

    def final_scorers(self) -> dict:
        """Costly scores computed once after training: {detector name: score(x, progress)}."""
        return {}

    def final_maps(self) -> dict:
        """The anomaly maps of final_scorers' scores, where they have one: {detector name:
        (map_name, maps(x) -> (n, h, w))}."""
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

    @contextlib.contextmanager
    def weights_set(self, weights: dict):
        """The scoring networks set to `weights` (e.g. the sweet spot's) inside the block, then
        set back: the networks being trained are left as they were. What a `fixed_weights`
        block keeps is not used inside (it was computed with the other weights)."""
        now, kept, self._kept = self.scoring_weights(), getattr(self, "_kept", None), None
        try:
            for name, w in weights.items():
                self.networks[name].set_weights(w)
            yield self
        finally:
            for name, w in now.items():
                self.networks[name].set_weights(w)
            self._kept = kept

    @contextlib.contextmanager
    def fixed_weights(self, tracked: bool = True):
        """A block in which no network changes: what every score call shares (e.g. a reference
        bank's features) is computed once for the block (`kept`). `tracked`: the scores are a
        tracked step's (`in_tracked_step`); the final results score several sets with the
        sweet spot's networks in a block that is not."""
        before = getattr(self, "_kept", None), getattr(self, "_tracked", False)
        self._kept, self._tracked = {}, tracked
        try:
            yield self
        finally:
            self._kept, self._tracked = before

    def in_tracked_step(self) -> bool:
        """Inside a tracked step's `fixed_weights` block (not in a `weights_set` within it)."""
        return getattr(self, "_kept", None) is not None and self._tracked

    def tracked_bank_rows(self) -> int | None:
        """The reference bank rows a tracked step's scores compare with when fewer than all
        (`track_bank_limit`: the final results score the sweet spot again against all); None:
        a tracked step scores as the finished detector does."""
        return None

    def kept(self, name: str, compute):
        """compute(), once per `fixed_weights` block (the first result); outside one, each
        call computes it again: after a train step the networks are other networks."""
        cache = getattr(self, "_kept", None)
        if cache is None:
            return compute()
        if name not in cache:
            cache[name] = compute()
        return cache[name]

    def scores_with(self, weights: dict, sets: dict) -> dict:
        """{name: score(x)} for each of `sets` ({name: x}) with the scoring networks set to
        `weights`, in one `fixed_weights` block that is not a tracked step's: what the scores
        share (a reference bank's features and LOF statistics) is computed once, not per set."""
        with self.weights_set(weights), self.fixed_weights(tracked=False):
            return {name: self.score(x) for name, x in sets.items()}

    def map_with(self, weights: dict, x: np.ndarray) -> np.ndarray:
        """anomaly_map(x) with the scoring networks set to `weights`, then set back; eager
        (a run's figures call it once or twice)."""
        with self.weights_set(weights):
            return self.anomaly_map(x, compiled=False)


def latent_draws(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """n draws z ~ N(0, I) from a fixed seed: the same seed gives the same z."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def batched(fn, x: np.ndarray, batch: int = SCORE_BATCH, empty: tuple = ()) -> np.ndarray:
    """Apply a compiled function in batches on the compute device; concatenate the results
    (for no sample: an empty array of per-sample shape `empty`)."""
    with compute_device():
        parts = [np.asarray(fn(tf.constant(x[i:i + batch]))) for i in range(0, len(x), batch)]
    return np.concatenate(parts) if parts else np.empty((0, *empty), np.float32)


def gaussian_smoothed(maps, sigma: float = 1.0, radius: int = 2):
    """(n, h, w) maps blurred by a normalised Gaussian (2 * radius + 1 pixels wide): a gradient
    saliency is speckled pixel to pixel; smoothing shows the region it points at."""
    offsets = tf.range(-radius, radius + 1, dtype=tf.float32)
    g = tf.exp(-0.5 * tf.square(offsets / sigma))
    kernel = tf.tensordot(g, g, axes=0)
    kernel = tf.reshape(kernel / tf.reduce_sum(kernel), (2 * radius + 1, 2 * radius + 1, 1, 1))
    return tf.nn.conv2d(maps[..., None], kernel, strides=1, padding="SAME")[..., 0]
