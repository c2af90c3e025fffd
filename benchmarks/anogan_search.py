"""What AnoGAN's latent search costs and what its early stop (anogan_tolerance) changes: on the
DCGAN of setting 11 (MNIST, normal digit 1, 2 epochs), the test AUC, the iterations each image
used (mean) and the wall and CPU seconds of the search, at 500 iterations (the paper's) and 100
(the grid's), every image searched to the end (tolerance 0) or stopped when converged.

    .venv/bin/python benchmarks/anogan_search.py [--seeds 3] [--images 1000]
        [--tolerances 0 0.01] [--iterations 500 100]

Resumable: a row per (seed, iterations, tolerance) in benchmarks/results/anogan_search.csv
(with .md); the GAN of a seed is trained again by a process that needs it (~1 minute).
"""
import argparse
from pathlib import Path

import bench_env

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import run_params  # noqa: E402
from gandi.outputs.run_rows import clock, spent  # noqa: E402

COLUMNS = ["seed", "iterations", "tolerance", "images", "auc", "mean_iterations", "seconds",
           "cpu_seconds", "batch"]
OUT = bench_env.ROOT / "benchmarks" / "results" / "anogan_search.csv"
trained = {}  # seed -> (detector, data): one training per seed and process


def gan(seed: int, images: int):
    if seed not in trained:
        from gandi.data import load_splits
        from gandi.detectors import DETECTORS
        from gandi.settings.validation import validate
        from gandi.training.loop import real_batches, set_seeds
        setting = validate({**run_params.SETTINGS[11], "test_limit": images, "numpy_seed": seed,
                            "tf_seed": seed, "jit_compile": True}, "11")
        set_seeds(seed, seed)
        data = load_splits(setting, np.random.default_rng(seed))
        detector = DETECTORS["anogan"](setting, data.sample_shape)
        steps = int(np.ceil(setting["epochs"] * len(data.train) / detector.batch_per_step))
        for step, batch in enumerate(real_batches(data.train, detector.batch_per_step, seed), 1):
            detector.train_step(batch)
            if step == steps:
                break
        trained[seed] = detector, data
    return trained[seed]


def run_cell(seed, iterations, tolerance, images):
    from gandi.detectors.latent_search import LatentSearch
    from gandi.tracking.metrics import roc_auc
    detector, data = gan(seed, images)
    s = detector.setting
    search = LatentSearch(detector.generator, detector.discriminator, detector.latent_dim,
                          iterations, s["anogan_lambda"], s["anogan_lr"], True, tolerance)
    search.score(data.test_x[:8], s["anogan_batch"])  # the compile, not timed
    started = clock()
    scores = search.score(data.test_x, s["anogan_batch"])
    return {"images": len(scores), "auc": roc_auc(data.test_y, scores),
            "mean_iterations": float(search.iterations_used.mean()), **spent(started),
            "batch": s["anogan_batch"]}


def markdown(cells: pd.DataFrame) -> str:
    out = ["AnoGAN's latent search on setting 11's DCGAN (MNIST digit 1): mean ± std over seeds.",
           "", "| iterations | tolerance | seeds | AUC | mean iterations | CPU s |",
           "| --- | --- | --- | --- | --- | --- |"]
    for (iterations, tolerance), g in cells.groupby(["iterations", "tolerance"]):
        def ms(c, f):
            return f"{g[c].mean():{f}} ± {g[c].std(ddof=1):{f}}" if len(g) > 1 else \
                f"{g[c].mean():{f}}"
        out.append(f"| {iterations} | {tolerance:g} | {len(g)} | {ms('auc', '.4f')} | "
                   f"{ms('mean_iterations', '.1f')} | {ms('cpu_seconds', '.0f')} |")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--images", type=int, default=1000, help="stratified test images")
    p.add_argument("--tolerances", type=float, nargs="+", default=[0.0, 0.01])
    p.add_argument("--iterations", type=int, nargs="+", default=[500, 100])
    p.add_argument("--csv", type=Path, default=OUT)
    args = p.parse_args()
    todo = ({"seed": seed, "iterations": n, "tolerance": tol} for seed in range(args.seeds)
            for n in args.iterations for tol in args.tolerances)
    bench_env.run_missing_cells(
        args.csv, COLUMNS, todo, lambda **key: run_cell(**key, images=args.images), markdown,
        lambda r: f"seed {r['seed']}, {r['iterations']} iterations, tolerance {r['tolerance']:g}:"
                  f" AUC {r['auc']:.4f}, {r['mean_iterations']:.1f} iterations per image, "
                  f"{r['seconds']} s ({r['cpu_seconds']} s CPU)")


if __name__ == "__main__":
    main()
