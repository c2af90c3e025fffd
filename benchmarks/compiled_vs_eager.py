"""Training speed: the compiled (tf.function) GAN step against the same step run eagerly.

    .venv/bin/python benchmarks/compiled_vs_eager.py [--setting 1] [--steps 300]

Prints steps/s both ways, measured in one run on the same networks and data, and the ratio
(target: compiled at least 3x faster). Tracking is left out: this times the train step alone.
"""
import argparse
import time

import bench_env  # noqa: F401  (sys.path)

import numpy as np  # noqa: E402

import run_params  # noqa: E402
from gandi.data.splits import distribution_splits  # noqa: E402
from gandi.detectors import DETECTORS  # noqa: E402
from gandi.device import compute_device  # noqa: E402
from gandi.settings import validate  # noqa: E402
from gandi.training import real_batches, set_seeds  # noqa: E402


def steps_per_second(step_fn, batches, steps: int, warmup: int) -> float:
    for _ in range(warmup):  # tracing / first-call costs are not training speed
        out = step_fn(next(batches))
    float(out["d_loss"])
    start = time.perf_counter()
    for _ in range(steps):
        out = step_fn(next(batches))
    float(out["d_loss"])  # wait for the last step to finish
    return steps / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setting", type=int, default=run_params.DEFAULT_SETTING)
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    setting = validate(run_params.SETTINGS[args.setting], label=str(args.setting))
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    data = distribution_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    with compute_device():
        detector = DETECTORS[setting["detector"]](setting, data.sample_shape)
        batches = iter(real_batches(data.train, detector.batch_per_step, 0))
        compiled = steps_per_second(detector.train_step, batches, args.steps, warmup=5)
        eager = steps_per_second(detector.train_step_eager, batches, args.steps, warmup=5)
    print(f"setting {args.setting} ({setting['name']}), batch {setting['batch_size']}, "
          f"d_steps {setting['d_steps']}, {args.steps} timed steps each")
    print(f"compiled (tf.function): {compiled:9.1f} steps/s")
    print(f"eager:                  {eager:9.1f} steps/s")
    print(f"speed-up: {compiled / eager:.1f}x (target >= 3x)")


if __name__ == "__main__":
    main()
