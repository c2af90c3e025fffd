"""What XLA costs and what it saves, per image detector: the first compiled train step (the
compile) and the steps after it, with `jit_compile` true and false, on the same networks and batch;
the number of steps after which XLA's faster step has paid for its longer compile.

    .venv/bin/python benchmarks/xla_payback.py [--steps 30] [--settings 10 20 22 30]

Prints one line per setting and writes benchmarks/results/xla_payback.csv (wall and CPU seconds,
the machine's CPU model and whether it has AVX-512). Measured in one process, one setting after
another; a ratio is only comparable within one run.
"""
import argparse
import platform

import bench_env  # noqa: F401  (sys.path, quiet TensorFlow)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

import run_params  # noqa: E402
from gandi.detectors import DETECTORS  # noqa: E402
from gandi.outputs.run_rows import clock, spent  # noqa: E402
from gandi.settings.validation import validate  # noqa: E402
from gandi.studies.benchmark.cells import write_atomic  # noqa: E402
from gandi.training.loop import set_seeds  # noqa: E402

# the shipped MNIST settings of a DCGAN, EGBAD, GANomaly and the autoencoder; EGBAD at the
# suite's batch of 32, GANomaly with the decoder the suite uses
OVERRIDES = {20: {"batch_size": 32}, 22: {"g_arch": "cae"}}


def cpu_name() -> str:
    for line in open("/proc/cpuinfo") if platform.system() == "Linux" else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def timed_steps(setting: dict, steps: int) -> dict:
    set_seeds(0, 0)
    detector = DETECTORS[setting["detector"]](setting, (28, 28, 1))
    batch = np.random.default_rng(0).uniform(-1, 1, (detector.batch_per_step, 28, 28, 1))
    batch = tf.constant(batch.astype(np.float32))
    started = clock()
    detector.train_step(batch)
    first = spent(started)
    started = clock()
    for _ in range(steps):
        detector.train_step(batch)
    rest = spent(started)
    return {"first_s": first["seconds"], "first_cpu_s": first["cpu_seconds"],
            "ms_per_step": round(1000 * rest["seconds"] / steps, 1),
            "cpu_ms_per_step": round(1000 * rest["cpu_seconds"] / steps, 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--settings", type=int, nargs="+", default=[10, 20, 22, 30])
    args = p.parse_args()
    flags = open("/proc/cpuinfo").read() if platform.system() == "Linux" else ""
    rows = []
    for number in args.settings:
        raw = {**run_params.SETTINGS[number], **OVERRIDES.get(number, {})}
        setting = validate(raw, number)
        times = {jit: timed_steps(validate({**raw, "jit_compile": jit}, number), args.steps)
                 for jit in (True, False)}
        xla, plain = times[True], times[False]
        saved = plain["ms_per_step"] - xla["ms_per_step"]
        extra = xla["first_s"] - plain["first_s"]
        payback = int(np.ceil(1000 * extra / saved)) if saved > 0 else None
        rows.append({"setting": number, "detector": setting["detector"],
                     "batch_size": setting["batch_size"],
                     **{f"xla_{k}": v for k, v in xla.items()},
                     **{f"plain_{k}": v for k, v in plain.items()},
                     "payback_steps": payback, "cpu": cpu_name(),
                     "avx512": " avx512f " in flags, "tf": tf.__version__})
        print(f"setting {number} ({setting['detector']}): XLA first step {xla['first_s']} s then "
              f"{xla['ms_per_step']} ms/step; plain {plain['first_s']} s then "
              f"{plain['ms_per_step']} ms/step; XLA pays back after "
              + (f"{payback} steps" if payback else "never (its step is not faster)"),
              flush=True)
    out = bench_env.ROOT / "benchmarks" / "results" / "xla_payback.csv"
    write_atomic(out, pd.DataFrame(rows).to_csv(index=False))


if __name__ == "__main__":
    main()
