"""How well gandi uses the machine: its GAN train step beside a plain Keras step on the same
networks, the FLOPs of a step and the share of the CPU's peak they reach, and the share of a
run's wall time that tracking takes. Functions return numbers; `benchmarks/efficiency.py` prints
them with the machine (`gandi.training.machine`).
"""
from __future__ import annotations

import itertools
import tempfile

import keras
import tensorflow as tf

from gandi.training.device import compute_device
from gandi.nets import DISCRIMINATORS, GENERATORS, build
from gandi.detectors.optimizers import make_optimizer
from gandi.studies.speed import steps_per_second, timed


def plain_keras_step(setting: dict, sample_shape: tuple, jit_compile: bool = False):
    """A GAN step written the usual way (Keras' DCGAN example, as a tf.function) on networks
    from gandi's own builders and optimisers: the yardstick for gandi's step. Non-saturating
    loss, one D and one G update on a batch of real samples."""
    s = setting
    with compute_device():
        generator = build(GENERATORS, s["g_arch"], (s["latent_dim"],),
                          output_shape=sample_shape, **s["g_params"])
        discriminator = build(DISCRIMINATORS, s["d_arch"], sample_shape, **s["d_params"])
        g_opt = make_optimizer(s["optimizer"], s["lr_g"], s["beta_1"], s["beta_2"])
        d_opt = make_optimizer(s["optimizer"], s["lr_d"], s["beta_1"], s["beta_2"])
        seed = keras.random.SeedGenerator(s["tf_seed"])
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def step(real):
        n = tf.shape(real)[0]
        fake = generator(keras.random.normal((n, s["latent_dim"]), seed=seed), training=True)
        with tf.GradientTape() as tape:
            real_out = discriminator(real, training=True)
            fake_out = discriminator(fake, training=True)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_opt.apply_gradients(zip(grads, discriminator.trainable_variables))
        with tf.GradientTape() as tape:
            out = discriminator(generator(keras.random.normal((n, s["latent_dim"]), seed=seed),
                                          training=True), training=True)
            g_loss = bce(tf.ones_like(out), out)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply_gradients(zip(grads, generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}

    return tf.function(step, jit_compile=jit_compile)


def side_by_side(steps: dict, batch: tf.Tensor, timed_steps: int, rounds: int) -> dict:
    """{name: [training images/s per round]} of each step on a constant batch, the steps
    measured in turn, `rounds` times, so that a machine's drift (a noisy neighbour, the clock)
    falls on all of them alike."""
    rates = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            per_second = steps_per_second(step, itertools.repeat(batch), timed_steps, warmup=2)
            rates[name].append(per_second * int(batch.shape[0]))
    return rates


def flops_per_image(step, batch: tf.Tensor) -> float:
    """FLOPs of one call of the tf.function `step` on `batch` (TensorFlow's profiler: the ops
    with a registered FLOP count, i.e. convolutions, matrix products and their gradients), per
    training image."""
    from tensorflow.python.profiler import model_analyzer, option_builder
    graph = step.get_concrete_function(batch).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    level = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")  # the v1 profiler's deprecation notes are not results
    try:
        profile = model_analyzer.profile(graph, options=options)
    finally:
        tf.get_logger().setLevel(level)
    return profile.total_float_ops / int(batch.shape[0])


def run_seconds(setting_id, setting: dict) -> tuple[float, float]:
    """(wall seconds of a whole run of a validated setting: data, training, tracking, the end;
    the wall seconds its tracked steps took, as the run kept them), in a temporary log dir."""
    from gandi.experiment import run_setting
    with tempfile.TemporaryDirectory() as log_dir:
        results, seconds = timed(lambda: run_setting(setting_id, setting, log_dir,
                                                     progress=False))
    return seconds, results["tracking_seconds"]["seconds"]


def tracking_share(setting_id, setting: dict, rounds: int = 2) -> dict:
    """The share of a run's wall time that tracking takes: the run as set (tracked every
    track_every steps) against the same run tracked only at its first and last step, in turn,
    `rounds` times, after an untimed short run that holds the process's warm-up. `setting` has
    its steps resolved (`experiment.resolve_steps`). Returns {'tracked': [s], 'ends_only': [s],
    'share': 1 - min(ends_only) / min(tracked)}: the fastest of each, as timeit does, since
    whatever else the machine does only ever slows a run down; and 'in_run': [share], each
    tracked run's own record of its tracked steps' time over its whole time (one run suffices,
    and other work on the machine slows both alike)."""
    run_seconds(setting_id, {**setting, "steps": min(setting["steps"], 2 * setting["track_every"])})
    ends_only = {**setting, "track_every": setting["steps"]}
    seconds = {"tracked": [], "ends_only": [], "in_run": []}
    for _ in range(rounds):
        whole, tracking = run_seconds(setting_id, setting)
        seconds["tracked"].append(whole)
        seconds["in_run"].append(tracking / whole)
        seconds["ends_only"].append(run_seconds(setting_id, ends_only)[0])
    seconds["share"] = 1 - min(seconds["ends_only"]) / min(seconds["tracked"])
    return seconds


def loop_seconds_per_step(data, per_step: int, steps: int = 300) -> float:
    """Host seconds per step of gandi's training loop itself (`training.train`): the batch from
    the pipeline, the loss check, the Tracker's call and the progress bar, around a compiled step
    that only reads its batch. On a GPU the step shrinks by orders of magnitude; this does not."""
    from types import SimpleNamespace

    from gandi.training.loop import train

    @tf.function
    def step(batch):
        return {"loss": tf.reduce_mean(batch)}

    class Recorder:  # the Tracker's per-step work between tracked steps: keep the losses
        def __init__(self):
            self.losses = []

        def on_step(self, step_number, losses):
            self.losses.append(losses)

    detector = SimpleNamespace(batch_per_step=per_step, train_step=step, loss_names=["loss"])
    setting = {"steps": 20, "numpy_seed": 0}
    train(detector, data, setting, Recorder(), progress=False)  # trace, start the pipeline
    seconds = timed(lambda: train(detector, data, {**setting, "steps": steps}, Recorder(),
                                  progress=False))[1]
    return seconds / steps


def host_seconds_per_evaluation(n_validation: int, n_test: int, n_generated: int,
                                repeats: int = 5) -> float:
    """Host seconds of one tracked step's work that stays on the CPU whatever computes the
    scores: the row's metrics (`evaluation.tracked_row`: AUC, AP, F1, the criteria) and the
    TensorBoard histograms, on scores of a tracked DCGAN step's sizes (validation normals,
    the curve's test sample with one normal in ten, corrupted copies, generated samples),
    written as the Tracker writes them (`outputs.tensorboard.write_tracked_step`)."""
    import numpy as np

    from gandi.tracking.evaluation import tracked_row
    from gandi.outputs.tensorboard import write_tracked_step
    rng = np.random.default_rng(0)
    val, corrupted = rng.normal(size=n_validation), rng.normal(1, 1, size=n_validation)
    test, gen = rng.normal(size=n_test), rng.normal(size=n_generated)
    test_y = (np.arange(n_test) % 10 != 0).astype(int)
    with tempfile.TemporaryDirectory() as log_dir:
        writer = tf.summary.create_file_writer(log_dir)

        def one(step):
            row = tracked_row(test_y, val, test, None, 95.0, corrupted, gen)
            write_tracked_step(writer, step, row, test_y, val, test, gen)

        one(0)
        seconds = min(timed(lambda: one(i + 1))[1] for i in range(repeats))
        writer.close()
    return seconds


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of one large float32 matrix product (2 n^3 FLOPs) on the compute device: what
    oneDNN reaches on this CPU in its best case, the practical ceiling for a train step."""
    with compute_device():
        a = tf.random.normal((n, n))
        product = tf.function(lambda x: tf.matmul(x, x))
        product(a).numpy()
        seconds = min(timed(lambda: product(a).numpy())[1] for _ in range(repeats))
    return 2 * n ** 3 / seconds / 1e9


def layer_rates(model: keras.Model, batch: tf.Tensor, timed_steps: int = 20,
                rounds: int = 3) -> list[dict]:
    """Op by op, for a network whose layers form one chain (gandi's DCGAN generator and
    discriminator): each layer's forward and backward pass (gradients of its input and its
    weights, as a train step takes them) on the input it gets from the layer before, compiled
    alone, timed (the fastest of `rounds`), with its FLOPs (`flops_per_image`): which layers
    reach the peak and which take time without counted FLOPs."""
    rows, x = [], batch
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        y = layer(x, training=True)
        weights = layer.trainable_variables
        # gradients of random values, captured as an input (a constant could be folded)
        dy = tf.random.normal(tf.shape(y), seed=len(rows))

        def fwd_bwd(inputs, layer=layer, weights=weights, dy=dy):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                out = layer(inputs, training=True)
            grads = tape.gradient(out, [inputs, *weights], output_gradients=dy)
            return {"sum": tf.add_n([tf.reduce_sum(g) for g in grads if g is not None])}

        step = tf.function(fwd_bwd)
        per_second = max(steps_per_second(step, itertools.repeat(x), timed_steps, warmup=2)
                         for _ in range(rounds))
        rows.append({"layer": layer.name, "kind": type(layer).__name__,
                     "output": "x".join(str(d) for d in y.shape[1:]),
                     "mflop_per_image": flops_per_image(step, x) / 1e6,
                     "ms_per_batch": 1e3 / per_second})
        x = y
    return rows


HEAVY_MFLOP = 1.0  # a layer's FLOPs per image from which it counts as arithmetic


def layer_split(rows: list[dict]) -> tuple[list[dict], float, float]:
    """(the arithmetic layers of `layer_rates`' rows, their ms per batch, the other layers' ms
    per batch)."""
    heavy = [r for r in rows if r["mflop_per_image"] >= HEAVY_MFLOP]
    heavy_ms = sum(r["ms_per_batch"] for r in heavy)
    return heavy, heavy_ms, sum(r["ms_per_batch"] for r in rows) - heavy_ms
