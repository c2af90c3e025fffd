"""Training and scoring speed of every image detector on MNIST.

    .venv/bin/python benchmarks/detector_speed.py [--images 10000] [--train-steps 50]
        [--anogan-images 1000] [--dataset mnist] [--detectors NAME ...]

For each detector's MNIST setting: training images/s (compiled step, after warm-up) and scoring
throughput in images/s on `--images` test images. AnoGAN runs its default iterations on
`--anogan-images` images only (its per-image time is the mean over those; the line says so).
Then the per-image speed-up of EGBAD and GANomaly over AnoGAN (target: at least 100x).
Networks are untrained: speed does not depend on the weights. Data: GANDI_DATA_DIR, or
../shared/data next to the checkout. The measuring is `gandi.studies.speed.detector_speeds`.
"""
import argparse

import bench_env  # noqa: F401  (sys.path, data folder, quiet TensorFlow)

from gandi.studies import speed  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--train-steps", type=int, default=50)
    p.add_argument("--anogan-images", type=int, default=1000)
    p.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    p.add_argument("--detectors", nargs="+", default=None, help="default: every detector")
    args = p.parse_args()
    rows = {}
    for r in speed.detector_speeds(args.dataset, args.detectors, args.images, args.train_steps,
                                   args.anogan_images):
        rows[r["detector"]] = r["score"]
        print(f"{r['detector']:14s} (setting {r['setting']:2d}): train {r['train']:8.0f} images/s"
              f"   score {r['score']:10.1f} images/s  ({r['score_note']})", flush=True)
    if "anogan" in rows:
        for name in ("egbad", "ganomaly"):
            if name in rows:
                print(f"{name} scores {rows[name] / rows['anogan']:.0f}x faster per image than "
                      f"AnoGAN with its default iterations (target >= 100x)")


if __name__ == "__main__":
    main()
