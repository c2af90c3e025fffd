"""The training loop: seeds, a tf.data pipeline, compiled steps on the compute device, a progress
bar, and a clean stop on Ctrl-C. The Tracker is called after every step."""
from __future__ import annotations

import signal
import threading

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from gandi.training.device import compute_device


def set_seeds(numpy_seed: int, tf_seed: int):
    """Seed TensorFlow/Keras with tf_seed and NumPy with numpy_seed.

    Keras 3 draws unseeded initialiser seeds from Python's `random`, so Python's generator
    belongs to the TensorFlow side; `set_random_seed` seeds all three, then NumPy is reset.
    """
    keras.utils.set_random_seed(tf_seed)
    np.random.seed(numpy_seed)


def real_batches(train: np.ndarray, per_step: int, seed: int, first_step: int = 1,
                 last_step: int | None = None) -> tf.data.Dataset:
    """Shuffled batches of `per_step` samples for steps first_step .. last_step (None: no end)
    (a GAN step takes one real batch per discriminator update: batch_size * d_steps).

    The batch of a step is a pure function of (seed, step): epoch e uses the stateless
    permutation seeded by (seed, e). So a resumed run draws exactly the batches an
    uninterrupted run would, with no iterator state to checkpoint.
    """
    n = len(train)
    steps_per_epoch = n // per_step  # the remainder of each epoch is dropped
    images = tf.constant(train.astype(np.float32))

    def batch_of(step):
        index = step - 1
        epoch, position = index // steps_per_epoch, index % steps_per_epoch
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.gather(images, order[position * per_step:(position + 1) * per_step])

    # No autotuning: with it, deleting the iterator at the end of training waited 27-37 s with
    # both cores idle in half of the runs of setting 10 (TF 2.21, 2 cores; its optimisation
    # thread sleeps up to a minute between rounds). One batch at a time, one ready ahead: a batch
    # is a shuffle of n indices and a gather, microseconds beside a train step.
    options = tf.data.Options()
    options.autotune.enabled = False
    end = 2 ** 62 if last_step is None else last_step + 1
    return (tf.data.Dataset.range(first_step, end).map(batch_of).prefetch(1)
            .with_options(options))


class Diverged(Exception):
    """A loss or weight became NaN or infinite."""


class StopOnCtrlC:
    """While active, the first Ctrl-C only asks the loop to stop after the step in flight; a
    second one interrupts at once. A KeyboardInterrupt raised at an arbitrary point can land
    inside a lock held by TensorFlow's summary writer or a checkpoint save, and the saving that
    follows then waits on that lock for ever (seen under load); a flag checked between steps
    cannot. Outside the main thread (signals cannot be caught there) it does nothing."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:  # the second Ctrl-C: the user means now
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def train(detector, data, setting: dict, tracker, progress: bool = True, start_step: int = 0,
          description: str = "") -> tuple[int, str, str | None]:
    """Run steps start_step+1 .. setting['steps']; return (last good step, status, message).

    status is 'finished' (also when the tracker says training has stalled, `stop_patience`:
    then before setting['steps']); 'interrupted' after Ctrl-C (the step in flight is completed
    and tracked; a second Ctrl-C drops it); or 'diverged' when a loss became NaN/Inf (that step
    is dropped: the networks are not saved).
    """
    steps = setting["steps"]
    batches = iter(real_batches(data.train, detector.batch_per_step, setting["numpy_seed"],
                                first_step=start_step + 1, last_step=steps))
    step = start_step
    bar = tqdm(total=steps, initial=start_step, desc=description, disable=not progress,
               unit="step", dynamic_ncols=True, leave=True)
    try:
        with compute_device(), StopOnCtrlC() as ctrl_c:
            for step_to_run in range(start_step + 1, steps + 1):
                if ctrl_c.requested:
                    return step, "interrupted", None
                losses = detector.train_step(next(batches))
                bad = [k for k, v in losses.items() if not np.isfinite(float(v))]
                if bad:
                    raise Diverged(f"diverged at step {step_to_run}: {bad[0]} = "
                                   f"{float(losses[bad[0]])}")
                step = step_to_run
                row = tracker.on_step(step, losses)
                bar.update(1)
                if row is not None:
                    shown = {k: f"{row[k]:.3f}" for k in detector.loss_names}
                    bar.set_postfix(**shown, auc=f"{row.get('d_auc', float('nan')):.3f}",
                                    refresh=False)
                    if tracker.stalled():  # stop_patience: the criterion stopped improving
                        return step, "finished", None
    except KeyboardInterrupt:
        return step, "interrupted", None
    except Diverged as err:
        return step, "diverged", str(err)
    finally:
        bar.close()
    return step, "finished", None
