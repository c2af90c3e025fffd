"""Training speed: the compiled (tf.function) GAN step against the same step run eagerly.

    .venv/bin/python benchmarks/compiled_vs_eager.py [--setting 1] [--steps 300]

Prints steps/s both ways, measured in one run on the same networks and data, and the ratio
(target: compiled at least 3x faster). Tracking is left out: this times the train step alone.
The measuring is `gandi.studies.speed.compiled_vs_eager`.
"""
import argparse

import bench_env  # noqa: F401  (sys.path, quiet TensorFlow)

import run_params  # noqa: E402
from gandi.studies import speed  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setting", type=int, default=run_params.DEFAULT_SETTING)
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    setting = speed.validated(args.setting, run_params.SETTINGS[args.setting])
    detector, data = speed.build(setting)
    rate = speed.compiled_vs_eager(detector, data, args.steps, warmup=5)
    print(f"setting {args.setting} ({setting['name']}), batch {setting['batch_size']}, "
          f"d_steps {setting['d_steps']}, {args.steps} timed steps each")
    print(f"compiled (tf.function): {rate['compiled']:9.1f} steps/s")
    print(f"eager:                  {rate['eager']:9.1f} steps/s")
    print(f"speed-up: {rate['compiled'] / rate['eager']:.1f}x (target >= 3x)")


if __name__ == "__main__":
    main()
