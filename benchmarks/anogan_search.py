"""What AnoGAN's latent search costs and what its early stop (anogan_tolerance), step size
(anogan_lr) and the weight of its discrimination loss (anogan_lambda) change: on the DCGAN of
setting 11 (MNIST; normal digit 1 unless --classes says
otherwise; its shipped epochs unless --epochs), the test AUC, the iterations each image used
(mean) and the wall and CPU seconds of the search, at 500 iterations (the paper's) and 100 (the
grid's until stop 49; settings 11 and 14 now search 50 steps of 0.05), every image searched to
the end (tolerance 0) or stopped when converged.

    .venv/bin/python benchmarks/anogan_search.py [--classes 1] [--epochs 20] [--seeds 3]
        [--images 1000] [--tolerances 0 0.01] [--iterations 500 100] [--lrs 0.01]
        [--lambdas 0.1]

Resumable: a row per (class, epochs, seed, iterations, tolerance, lr, lambda) in
benchmarks/results/anogan_search.csv (with .md); the GAN of a (class, epochs, seed) is trained
again by a process that needs it (~1 minute at 2 epochs, ~3 at 20). The rows of stop 44 are
digit 1's 2-epoch GAN, when setting 11 trained 2 epochs; rows from before the lambda column
searched with the paper's (and the settings') 0.1.
"""
import argparse
from pathlib import Path

import bench_env

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import run_params  # noqa: E402
from gandi.outputs.run_rows import clock, spent  # noqa: E402

COLUMNS = ["class", "epochs", "seed", "iterations", "tolerance", "lr", "lambda", "images", "auc",
           "mean_iterations", "seconds", "cpu_seconds", "batch"]
BEFORE_LAMBDA = 0.1  # what the rows from before the lambda column searched with
OUT = bench_env.ROOT / "benchmarks" / "results" / "anogan_search.csv"
trained = {}  # (class, epochs, seed) -> (detector, data): one training each per process


def gan(cls: int, epochs: int, seed: int, images: int):
    if (cls, epochs, seed) not in trained:
        from gandi.data import load_splits
        from gandi.detectors import DETECTORS
        from gandi.settings.validation import validate
        from gandi.training.loop import real_batches, set_seeds
        setting = validate({**run_params.SETTINGS[11], "normal_class": cls, "epochs": epochs,
                            "test_limit": images, "numpy_seed": seed, "tf_seed": seed,
                            "jit_compile": True}, "11")
        set_seeds(seed, seed)
        data = load_splits(setting, np.random.default_rng(seed))
        detector = DETECTORS["anogan"](setting, data.sample_shape)
        steps = int(np.ceil(setting["epochs"] * len(data.train) / detector.batch_per_step))
        for step, batch in enumerate(real_batches(data.train, detector.batch_per_step, seed), 1):
            detector.train_step(batch)
            if step == steps:
                break
        trained[cls, epochs, seed] = detector, data
    return trained[cls, epochs, seed]


def run_cell(images, iterations, tolerance, lr, seed, epochs, **cell):
    """One search of the (class, epochs, seed) GAN's test images; `cell["lambda"]` the weight
    of the discrimination loss (a keyword Python reserves, so it comes in `cell`)."""
    from gandi.detectors.latent_search import LatentSearch
    from gandi.tracking.metrics import roc_auc
    detector, data = gan(cell["class"], epochs, seed, images)
    s = detector.setting
    search = LatentSearch(detector.generator, detector.discriminator, detector.latent_dim,
                          iterations, cell["lambda"], lr, True, tolerance)
    search.score(data.test_x[:8], s["anogan_batch"])  # the compile, not timed
    started = clock()
    scores = search.score(data.test_x, s["anogan_batch"])
    return {"images": len(scores), "auc": roc_auc(data.test_y, scores),
            "mean_iterations": float(search.iterations_used.mean()), **spent(started),
            "batch": s["anogan_batch"]}


def markdown(cells: pd.DataFrame) -> str:
    out = ["AnoGAN's latent search on setting 11's DCGAN (MNIST, normal digit `class`, trained "
           "`epochs`), the search's step size `lr` and the weight `lambda` of its "
           "discrimination loss: mean ± std over seeds.",
           "", "| class | epochs | iterations | tolerance | lr | lambda | seeds | AUC | "
           "mean iterations | CPU s |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- "
           "| --- |"]
    keys = ["class", "epochs", "iterations", "tolerance", "lr", "lambda"]
    for (cls, epochs, iterations, tolerance, lr, lam), g in cells.groupby(keys):
        def ms(c, f):
            return f"{g[c].mean():{f}} ± {g[c].std(ddof=1):{f}}" if len(g) > 1 else \
                f"{g[c].mean():{f}}"
        out.append(f"| {cls} | {epochs} | {iterations} | {tolerance:g} | {lr:g} | {lam:g} | "
                   f"{len(g)} | "
                   f"{ms('auc', '.4f')} | "
                   f"{ms('mean_iterations', '.1f')} | {ms('cpu_seconds', '.0f')} |")
    return "\n".join(out) + "\n"


def with_lambda_column(csv: Path) -> None:
    """A CSV from before the lambda column gets it (those rows searched with 0.1), so that its
    rows are found as cells and not run again."""
    if csv.is_file():
        cells = pd.read_csv(csv)
        if "lambda" not in cells:
            from gandi.studies.benchmark.cells import write_atomic
            cells.insert(list(cells).index("lr") + 1, "lambda", BEFORE_LAMBDA)
            write_atomic(csv, cells[COLUMNS].to_csv(index=False))
            write_atomic(csv.with_suffix(".md"), markdown(cells))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--classes", type=int, nargs="+", default=[1], help="normal digits")
    p.add_argument("--epochs", type=int, default=run_params.SETTINGS[11]["epochs"],
                   help="the GAN's training (default: setting 11's)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--images", type=int, default=1000, help="stratified test images")
    p.add_argument("--tolerances", type=float, nargs="+", default=[0.0, 0.01])
    p.add_argument("--iterations", type=int, nargs="+", default=[500, 100])
    p.add_argument("--lrs", type=float, nargs="+", default=[0.01], help="the search's steps")
    p.add_argument("--lambdas", type=float, nargs="+", default=[0.1],
                   help="weights of the discrimination loss (the paper's 0.1)")
    p.add_argument("--csv", type=Path, default=OUT)
    args = p.parse_args()
    with_lambda_column(args.csv)
    # class and seed outermost: one GAN trained per (class, seed) in this process
    todo = ({"class": c, "epochs": args.epochs, "seed": seed, "iterations": n,
             "tolerance": tol, "lr": lr} for c in args.classes for seed in range(args.seeds)
            for n in args.iterations for tol in args.tolerances for lr in args.lrs)
    todo = ({**cell, "lambda": lam} for cell in todo for lam in args.lambdas)
    bench_env.run_missing_cells(
        args.csv, COLUMNS, todo, lambda **key: run_cell(**key, images=args.images), markdown,
        lambda r: f"digit {r['class']}, {r['epochs']} epochs, seed {r['seed']}, "
                  f"{r['iterations']} iterations, tolerance {r['tolerance']:g}, lr {r['lr']:g},"
                  f" lambda {r['lambda']:g}:"
                  f" AUC {r['auc']:.4f}, {r['mean_iterations']:.1f} iterations per image, "
                  f"{r['seconds']} s ({r['cpu_seconds']} s CPU)")


if __name__ == "__main__":
    main()
