"""The training loop: seeds, a tf.data pipeline, compiled steps on the compute device, a progress
bar, and a clean stop on Ctrl-C. The Tracker is called after every step."""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from gandi.device import compute_device


def set_seeds(numpy_seed: int, tf_seed: int):
    """Seed TensorFlow/Keras with tf_seed and NumPy with numpy_seed.

    Keras 3 draws unseeded initialiser seeds from Python's `random`, so Python's generator
    belongs to the TensorFlow side; `set_random_seed` seeds all three, then NumPy is reset.
    """
    keras.utils.set_random_seed(tf_seed)
    np.random.seed(numpy_seed)


def real_batches(train: np.ndarray, batch_size: int, d_steps: int, seed: int) -> tf.data.Dataset:
    """Endless shuffled batches; each holds one real batch per discriminator update."""
    return (tf.data.Dataset.from_tensor_slices(train.astype(np.float32))
            .shuffle(len(train), seed=seed, reshuffle_each_iteration=True)
            .repeat()
            .batch(batch_size * d_steps, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


def train(detector, data, setting: dict, tracker, progress: bool = True, start_step: int = 0,
          description: str = "") -> tuple[int, str]:
    """Run steps start_step+1 .. setting['steps']; return (last finished step, status).

    status is 'finished', or 'interrupted' after Ctrl-C (the step in flight is dropped).
    """
    steps = setting["steps"]
    batches = iter(real_batches(data.train, setting["batch_size"], setting["d_steps"],
                                setting["numpy_seed"]))
    step = start_step
    bar = tqdm(total=steps, initial=start_step, desc=description, disable=not progress,
               unit="step", dynamic_ncols=True, leave=True)
    try:
        with compute_device():
            for step_to_run in range(start_step + 1, steps + 1):
                losses = detector.train_step(next(batches))
                step = step_to_run
                row = tracker.on_step(step, losses)
                bar.update(1)
                if row is not None:
                    bar.set_postfix(d_loss=f"{row['d_loss']:.3f}", g_loss=f"{row['g_loss']:.3f}",
                                    auc=f"{row.get('d_auc', float('nan')):.3f}", refresh=False)
    except KeyboardInterrupt:
        bar.close()
        return step, "interrupted"
    bar.close()
    return step, "finished"
