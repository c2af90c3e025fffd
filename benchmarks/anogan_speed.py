"""AnoGAN scoring speed, batched against one image at a time, and DCGAN training speed.

    .venv/bin/python benchmarks/anogan_speed.py [--images 1000] [--iterations 50]
        [--per-image-limit N] [--train-steps 100]

Scores the same MNIST test images three ways with the same iterations and the same start z:
- batched: gandi's compiled latent search, `anogan_batch` images optimised together;
- per image, compiled: the same compiled search called with one image at a time;
- per image, reference style: what a per-sample reference implementation does (a z variable
  and a Keras Adam per image, an eager GradientTape loop).
Prints the time per image of each and the ratios (target: batched >= 50x faster per image than
one image at a time). `--per-image-limit N` times the per-image ways on the first N images only and
says so (the per-image time is then the mean over those N). Data: GANDI_DATA_DIR, or
../shared/data next to the checkout.
"""
import argparse
import time

import bench_env  # noqa: F401  (sys.path, data folder)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import run_params  # noqa: E402
from gandi.data import load_splits  # noqa: E402
from gandi.detectors import DETECTORS  # noqa: E402
from gandi.detectors.anogan import LatentSearch  # noqa: E402
from gandi.device import compute_device  # noqa: E402
from gandi.settings import validate  # noqa: E402
from gandi.training import real_batches, set_seeds  # noqa: E402

ANOGAN_SETTING = 11


def training_images_per_second(detector, data, setting, steps):
    batches = iter(real_batches(data.train, detector.batch_per_step, 0))
    for _ in range(3):
        out = detector.train_step(next(batches))
    float(out["d_loss"])
    start = time.perf_counter()
    for _ in range(steps):
        out = detector.train_step(next(batches))
    float(out["d_loss"])
    return steps * detector.batch_per_step / (time.perf_counter() - start)


def reference_style(search: LatentSearch, x, z0, iterations, lr):
    """One image at a time, eagerly, with a Keras optimiser per image (as per-sample code does)."""
    scores = []
    for image, z_start in zip(x, z0):
        image = tf.constant(image[None])
        features = search.features(image, training=False)
        z = tf.Variable(z_start[None])
        optimizer = keras.optimizers.Adam(learning_rate=lr, epsilon=1e-7)
        for _ in range(iterations):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(search._losses(image, z, features))
            optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        scores.append(float(search._losses(image, z, features)[0]))
    return np.array(scores)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--iterations", type=int, default=50)
    p.add_argument("--per-image-limit", type=int, default=None)
    p.add_argument("--train-steps", type=int, default=100)
    args = p.parse_args()
    setting = validate({**run_params.SETTINGS[ANOGAN_SETTING], "test_limit": args.images,
                        "anogan_iterations": args.iterations}, label=str(ANOGAN_SETTING))
    set_seeds(0, 0)
    data = load_splits(setting, np.random.default_rng(0))
    x = data.test_x[:args.images]
    with compute_device():
        detector = DETECTORS["anogan"](setting, data.sample_shape)
        train_speed = training_images_per_second(detector, data, setting, args.train_steps)
        search = LatentSearch(detector.generator, detector.discriminator, setting["latent_dim"],
                              args.iterations, setting["anogan_lambda"], setting["anogan_lr"])
        z0 = search.initial_latents(len(x))
        search.score(x[:2], setting["anogan_batch"])  # trace once: not part of the timing
        batched, t_batched = timed(lambda: search.score(x, setting["anogan_batch"]))
        n_single = min(len(x), args.per_image_limit or len(x))
        single, t_single = timed(lambda: search.score(x[:n_single], 1))
        reference, t_reference = timed(lambda: reference_style(
            search, x[:n_single], z0[:n_single], args.iterations, setting["anogan_lr"]))
    per = {"batched": t_batched / len(x), "single": t_single / n_single,
           "reference": t_reference / n_single}
    print(f"DCGAN training (setting {ANOGAN_SETTING}, batch {setting['batch_size']}): "
          f"{train_speed:.0f} images/s")
    print(f"AnoGAN on {len(x)} MNIST test images, {args.iterations} iterations, "
          f"batch {setting['anogan_batch']}:")
    limit_note = f" (timed on the first {n_single} images)" if n_single < len(x) else ""
    print(f"  batched:                     {t_batched:8.2f} s  {1e3 * per['batched']:8.2f} ms/image")
    print(f"  one image at a time, compiled:          {1e3 * per['single']:8.2f} ms/image"
          f"{limit_note}")
    print(f"  one image at a time, reference style:   {1e3 * per['reference']:8.2f} ms/image"
          f"{limit_note}")
    print(f"  speed-up per image: {per['single'] / per['batched']:.1f}x vs compiled one-by-one, "
          f"{per['reference'] / per['batched']:.1f}x vs reference style (target >= 50x)")
    same = np.max(np.abs(batched[:n_single] - single) / np.maximum(np.abs(single), 1e-6))
    close = np.max(np.abs(batched[:n_single] - reference) / np.maximum(np.abs(reference), 1e-6))
    print(f"  max relative score difference: batched vs one-by-one {same:.2e}, "
          f"vs reference style {close:.2e}")


if __name__ == "__main__":
    main()
