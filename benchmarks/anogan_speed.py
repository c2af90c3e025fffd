"""AnoGAN scoring speed, batched against one image at a time, and DCGAN training speed.

    .venv/bin/python benchmarks/anogan_speed.py [--images 1000] [--iterations 50]
        [--per-image-limit N] [--reference-limit N] [--train-steps 100] [--dataset mnist]

Scores the same MNIST test images three ways with the same iterations and the same start z:
- batched: gandi's compiled latent search, `anogan_batch` images optimised together;
- per image, compiled: the same compiled search called with one image at a time;
- per image, reference style: what a per-sample reference implementation does (a z variable
  and a Keras Adam per image, an eager GradientTape loop).
Prints the time per image of each and the ratios (target: batched >= 50x faster per image than
one image at a time). `--per-image-limit N` times the per-image ways on the first N images only and
says so (the per-image time is then the mean over those N); `--reference-limit N` does the same
for the reference style alone. Data: GANDI_DATA_DIR, or ../shared/data next to the checkout.
The measuring is `gandi.studies.speed.anogan_batched_vs_single`.
"""
import argparse

import bench_env  # noqa: F401  (sys.path, data folder, quiet TensorFlow)

from gandi.studies import speed  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--iterations", type=int, default=50)
    p.add_argument("--per-image-limit", type=int, default=None)
    p.add_argument("--reference-limit", type=int, default=None)
    p.add_argument("--train-steps", type=int, default=100)
    p.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist"))
    args = p.parse_args()
    number, raw = speed.dataset_settings(args.dataset)["anogan"]
    setting = speed.validated(number, raw, {"test_limit": args.images,
                                            "anogan_iterations": args.iterations})
    detector, data = speed.build(setting)
    train = speed.train_images_per_second(detector, data, args.train_steps)
    a = speed.anogan_batched_vs_single(detector, data.test_x[:args.images], args.iterations,
                                       args.per_image_limit, args.reference_limit)
    print(f"DCGAN training (setting {number}, batch {setting['batch_size']}): "
          f"{train:.0f} images/s")
    print(f"AnoGAN on {a['images']} {args.dataset} test images, {args.iterations} iterations, "
          f"batch {a['batch']}:")

    def limit_note(n):
        return f" (timed on the first {n} images)" if n < a["images"] else ""

    print(f"  batched:                     {a['batched'] * a['images']:8.2f} s  "
          f"{1e3 * a['batched']:8.2f} ms/image")
    print(f"  one image at a time, compiled:          {1e3 * a['single']:8.2f} ms/image"
          f"{limit_note(a['single_images'])}")
    print(f"  one image at a time, reference style:   {1e3 * a['reference']:8.2f} ms/image"
          f"{limit_note(a['reference_images'])}")
    print(f"  speed-up per image: {a['single'] / a['batched']:.1f}x vs compiled one-by-one, "
          f"{a['reference'] / a['batched']:.1f}x vs reference style (target >= 50x)")
    print(f"  max relative score difference: batched vs one-by-one {a['single_difference']:.2e},"
          f" vs reference style {a['reference_difference']:.2e}")


if __name__ == "__main__":
    main()
