"""gandi's efficiency on this machine, with the machine named: its train step beside a plain
Keras step on the same networks, FLOPs per training image and the share of the FP32 peak, the
share of a run that tracking takes, and the grids' recorded minutes.

    .venv/bin/python benchmarks/efficiency.py [--setting 10] [--steps 30] [--rounds 5]
        [--run-rounds 2] [--no-runs]

Targets (issue 14): gandi / plain >= 1.0; tracking <= 15% of a run at the shipped cadence.
Steps are timed in turn, `--rounds` times, and the medians compared: on a shared 2-core machine a
single timing drifts by 10-20%. The run timings (`--run-rounds` pairs of whole runs of the
setting, about a minute each on 2 cores) come after an untimed warm-up run. The measuring is
`gandi.efficiency`; the machine's description is `gandi.machine`.
"""
import argparse
from pathlib import Path

import bench_env  # noqa: F401  (sys.path, data folder, quiet TensorFlow)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

import run_params  # noqa: E402
from gandi import efficiency, machine, speed  # noqa: E402
from gandi.experiment import resolve_steps  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def grid_minutes() -> list[str]:
    """Minutes per dataset and seed of the one-class grids, as recorded in benchmarks/results."""
    lines = []
    for path in sorted(RESULTS.glob("*_normal_class.csv")):
        cells = pd.read_csv(path)
        if "seconds" not in cells:
            continue
        for seed, group in cells.groupby("seed"):
            lines.append(f"  {path.stem}, seed {seed}: {group['seconds'].sum() / 60:.1f} min "
                         f"over {len(group)} cells (recorded in {path.name})")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setting", type=int, default=10, help="a discriminator setting (default 10)")
    p.add_argument("--steps", type=int, default=30, help="timed train steps per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--run-rounds", type=int, default=2, help="pairs of whole runs timed")
    p.add_argument("--no-runs", action="store_true", help="skip the tracking share")
    args = p.parse_args()
    m = machine.describe()
    print("machine:", machine.describe_text(m), flush=True)

    setting = speed.validated(args.setting, run_params.SETTINGS[args.setting])
    detector, data = speed.build(setting)
    setting = resolve_steps(setting, len(data.train), args.setting)  # epochs -> steps
    batch = tf.constant(data.train[:detector.batch_per_step].astype(np.float32))
    steps = {"gandi": detector.train_step,
             "plain": efficiency.plain_keras_step(setting, data.sample_shape),
             "plain_xla": efficiency.plain_keras_step(setting, data.sample_shape, True)}
    rates = efficiency.side_by_side(steps, batch, args.steps, args.rounds)
    median = {name: float(np.median(r)) for name, r in rates.items()}
    print(f"\ntrain step, setting {args.setting} ({setting['name']}), batch "
          f"{detector.batch_per_step}, gandi's jit_compile = {setting['jit_compile']}; "
          f"{args.rounds} rounds of {args.steps} steps, median images/s:")
    for name, r in rates.items():
        print(f"  {name:10s} {median[name]:7.1f}   (rounds: {', '.join(f'{x:.0f}' for x in r)})")
    print(f"  gandi / plain Keras step (tf.function):      {median['gandi'] / median['plain']:.2f}"
          f" (target >= 1.0)")
    print(f"  gandi / plain Keras step (tf.function, XLA): "
          f"{median['gandi'] / median['plain_xla']:.2f}")

    flops = efficiency.flops_per_image(detector._train_step, batch)
    achieved = flops * median["gandi"] / 1e9
    peak = m["peak_gflops"]
    share = f", {100 * achieved / peak:.0f}% of the FP32 peak {peak:.0f} GFLOP/s" if peak else ""
    print(f"\nFLOPs per training image (TensorFlow profiler): {flops / 1e6:.1f} MFLOP; gandi "
          f"reaches {achieved:.1f} GFLOP/s{share}", flush=True)

    if not args.no_runs:
        seconds = efficiency.tracking_share(args.setting, setting, args.run_rounds)
        print(f"\ntracking, setting {args.setting} as shipped ({setting['steps']} steps, tracked "
              f"every {setting['track_every']}), whole runs in turn after a warm-up run:")
        print(f"  tracked as shipped:        {', '.join(f'{s:.1f}' for s in seconds['tracked'])} s")
        print(f"  first and last step only:  {', '.join(f'{s:.1f}' for s in seconds['ends_only'])} s")
        print(f"  tracking share of the run: {100 * seconds['share']:.0f}% (fastest of each; "
              f"target <= 15%)")

    print("\ngrids (one-class benchmark, one seed):")
    print("\n".join(grid_minutes()) or "  no recorded grid")


if __name__ == "__main__":
    main()
