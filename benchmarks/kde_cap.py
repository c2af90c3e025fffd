"""What capping KDE's training normals would change on the anomaly_class protocol (nine digits
normal: ~54,000 training normals, ~510 s per cell): the classical KDE fitted on all of them
against the same KDE fitted on a random subset of `--cap` of them (its bandwidth chosen on that
subset, as on all), on the grid's split of each digit and seed. Test labels only score.

    python benchmarks/kde_cap.py [--classes 0 1] [--seeds 1] [--cap 10000]

Rows: benchmarks/results/kde_cap.{csv,md}, with wall and CPU seconds of each fit and score.
"""
from __future__ import annotations

import argparse

import bench_env
import numpy as np
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"


def cell(cls: int, seed: int, cap: int) -> list[dict]:
    import run_params
    from gandi.data import load_splits
    from gandi.detectors.classical import KDE
    from gandi.outputs.run_rows import clock, spent
    from gandi.settings.validation import validate
    from gandi.studies.benchmark.image_cells import cell_setting
    from gandi.tracking.metrics import roc_auc
    setting = validate(cell_setting(run_params.SETTINGS[10], "anomaly_class", cls, seed, False),
                       "10")  # the split every classical cell of the grid takes
    data = load_splits(setting, np.random.default_rng(seed))
    rows = []
    keep = np.random.default_rng(seed).permutation(len(data.train))[:cap]
    for name, train in (("all", data.train), (f"cap {cap}", data.train[keep])):
        started = clock()
        test = KDE(seed=seed).fit(train).score(data.test_x)
        rows.append({"class": cls, "seed": seed, "fit": name, "n_train": len(train),
                     "auc": roc_auc(data.test_y, test), **spent(started)})
        print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    from gandi.report import markdown
    from gandi.studies.benchmark.cells import write_atomic
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--classes", type=int, nargs="+", default=[0, 1])
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--cap", type=int, default=10000)
    args = p.parse_args(argv)
    rows = pd.DataFrame([r for s in range(args.seeds) for c in args.classes
                         for r in cell(c, s, args.cap)])
    write_atomic(RESULTS / "kde_cap.csv", rows.to_csv(index=False))
    write_atomic(RESULTS / "kde_cap.md", "KDE on the anomaly_class protocol: all training "
                 "normals against a capped random subset (test AUC; wall and CPU seconds of "
                 "fit and score).\n\n" + markdown(rows) + "\n")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
