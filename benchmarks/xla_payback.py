"""What XLA costs and what it saves, per image detector: the first compiled train step (the
compile) and the steps after it, with `jit_compile` true and false, on the same networks and batch;
the number of steps after which XLA's faster step has paid for its longer compile.

    .venv/bin/python benchmarks/xla_payback.py [--steps 30] [--settings 10 20 22 30]

Prints one line per setting and writes benchmarks/results/xla_payback.csv (wall and CPU seconds,
the machine's CPU model and whether it has AVX-512). Measured in one process, one setting after
another; a ratio is only comparable within one run.
"""
import argparse

import bench_env  # noqa: F401  (sys.path, quiet TensorFlow)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

import run_params  # noqa: E402
from gandi.settings.validation import validate  # noqa: E402
from gandi.studies.benchmark.cells import write_atomic  # noqa: E402
from gandi.training import compiled_step, machine  # noqa: E402
from gandi.training.loop import set_seeds  # noqa: E402

# the shipped MNIST settings of a DCGAN, EGBAD, GANomaly and the autoencoder; EGBAD at the
# suite's batch of 32, GANomaly with the decoder the suite uses
OVERRIDES = {20: {"batch_size": 32}, 22: {"g_arch": "cae"}}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--settings", type=int, nargs="+", default=[10, 20, 22, 30])
    args = p.parse_args()
    cpu = machine.describe()
    batch = np.random.default_rng(0).uniform(-1, 1, (256, 28, 28, 1)).astype(np.float32)
    rows = []
    for number in args.settings:
        raw = {**run_params.SETTINGS[number], **OVERRIDES.get(number, {})}
        setting = validate(raw, number)
        times = {}
        for jit in (True, False):  # the run's own measurement (gandi.training.compiled_step)
            set_seeds(0, 0)
            times[jit] = compiled_step.timed_steps(validate({**raw, "jit_compile": jit}, number),
                                                   (28, 28, 1), batch, rounds=1,
                                                   steps=args.steps)
        xla, plain = times[True], times[False]
        payback = compiled_step.payback_steps({"xla": xla, "plain": plain})
        payback = None if payback is None else int(np.ceil(payback))
        rows.append({"setting": number, "detector": setting["detector"],
                     "batch_size": setting["batch_size"],
                     **{f"xla_{k}": v for k, v in xla.items()},
                     **{f"plain_{k}": v for k, v in plain.items()},
                     "payback_steps": payback, "cpu": cpu["cpu"],
                     "avx512": "avx512f" in cpu["flags"], "tf": tf.__version__})
        print(f"setting {number} ({setting['detector']}): XLA first step {xla['first_s']} s then "
              f"{xla['ms_per_step']} ms/step; plain {plain['first_s']} s then "
              f"{plain['ms_per_step']} ms/step; XLA pays back after "
              + (f"{payback} steps" if payback else "never (its step is not faster)"),
              flush=True)
    out = bench_env.ROOT / "benchmarks" / "results" / "xla_payback.csv"
    write_atomic(out, pd.DataFrame(rows).to_csv(index=False))


if __name__ == "__main__":
    main()
