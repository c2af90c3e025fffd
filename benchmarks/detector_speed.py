"""Training and scoring speed of every image detector on MNIST.

    .venv/bin/python benchmarks/detector_speed.py [--images 10000] [--train-steps 50]
        [--anogan-images 1000]

For each detector's MNIST setting: training images/s (compiled step, after warm-up) and scoring
throughput in images/s on `--images` test images. AnoGAN runs its default iterations on
`--anogan-images` images only (its per-image time is the mean over those; the line says so).
Then the per-image speed-up of EGBAD and GANomaly over AnoGAN (target: at least 100x).
Networks are untrained: speed does not depend on the weights. Data: GANDI_DATA_DIR, or
../shared/data next to the checkout.
"""
import argparse
import time

import bench_env  # noqa: F401  (sys.path, data folder)

import numpy as np  # noqa: E402

import run_params  # noqa: E402
from gandi.data import load_splits  # noqa: E402
from gandi.detectors import DETECTORS  # noqa: E402
from gandi.device import compute_device  # noqa: E402
from gandi.settings import validate  # noqa: E402
from gandi.training import real_batches, set_seeds  # noqa: E402


def mnist_settings() -> dict:
    """The first MNIST setting of each detector in run_params: {detector: (number, setting)}."""
    found = {}
    for number, raw in sorted(run_params.SETTINGS.items()):
        detector = raw.get("detector", "discriminator")
        if raw.get("dataset") == "mnist" and raw.get("normal_class") is not None:
            found.setdefault(detector, (number, raw))
    return found


def train_speed(detector, data, steps: int) -> float:
    batches = iter(real_batches(data.train, detector.batch_per_step, 0))
    for _ in range(3):
        out = detector.train_step(next(batches))
    float(next(iter(out.values())))
    start = time.perf_counter()
    for _ in range(steps):
        out = detector.train_step(next(batches))
    float(next(iter(out.values())))
    return steps * detector.batch_per_step / (time.perf_counter() - start)


def score_speed(score, x) -> float:
    score(x[:8])  # trace outside the timing
    start = time.perf_counter()
    scores = score(x)
    elapsed = time.perf_counter() - start
    assert scores.shape == (len(x),) and np.all(np.isfinite(scores))
    return len(x) / elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--train-steps", type=int, default=50)
    p.add_argument("--anogan-images", type=int, default=1000)
    args = p.parse_args()
    rows = {}
    for name, (number, raw) in mnist_settings().items():
        setting = validate(raw, label=str(number))
        set_seeds(0, 0)
        data = load_splits(setting, np.random.default_rng(0))
        with compute_device():
            detector = DETECTORS[name](setting, data.sample_shape)
            train = train_speed(detector, data, args.train_steps)
            if name == "anogan":
                [anogan] = detector.final_scorers().values()
                n = min(args.anogan_images, len(data.test_x))
                score = score_speed(anogan, data.test_x[:n])
                note = (f"{n} images, {setting['anogan_iterations']} iterations, "
                        f"batch {setting['anogan_batch']}")
            else:
                n = min(args.images, len(data.test_x))
                score = score_speed(detector.score, data.test_x[:n])
                note = f"{n} images"
        rows[name] = score
        print(f"{name:14s} (setting {number:2d}): train {train:8.0f} images/s   "
              f"score {score:10.1f} images/s  ({note})", flush=True)
    if "anogan" in rows:
        for name in ("egbad", "ganomaly"):
            if name in rows:
                print(f"{name} scores {rows[name] / rows['anogan']:.0f}x faster per image than "
                      f"AnoGAN with its default iterations (target >= 100x)")


if __name__ == "__main__":
    main()
