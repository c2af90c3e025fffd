"""What bfloat16 does to the detectors' AUC (`precision: mixed_bfloat16` against float32), the
same settings and seeds, on one-class MNIST:

    python benchmarks/precision_auc.py [--settings 30 10 20] [--classes 1 7] [--seeds 3]

A cell is (setting, normal class, seed, precision): a whole run of the shipped setting; its row
holds the test AUC at the label-free sweet spot and wall and CPU seconds. On a CPU without
bfloat16 arithmetic the arithmetic is emulated: the AUC is what bfloat16 hardware would give
(the same roundings), the seconds are not its speed (`benchmarks/efficiency.py` times that).
benchmarks/results/precision_auc.{csv,md}, resumable. `precision: auto` may choose bfloat16 only
where the AUC here stays within the seeds' spread (gandi/training/precision.py).
"""
from __future__ import annotations

import argparse
import tempfile

import bench_env
import pandas as pd

RESULTS = bench_env.ROOT / "benchmarks" / "results"
COLUMNS = ["setting", "detector", "class", "seed", "precision", "auc", "steps", "seconds",
           "cpu_seconds"]


def run_cell(setting: int, cls: int, seed: int, precision: str) -> dict:
    return run_variant(setting, cls, seed, precision=precision)


def run_variant(setting: int, cls: int, seed: int, **keys) -> dict:
    """A whole one-class run of shipped setting `setting` with `keys` changed: its detector,
    test AUC at the label-free sweet spot, steps, wall and CPU seconds."""
    import run_params
    from gandi.experiment import run_setting
    from gandi.outputs.run_rows import clock, spent
    from gandi.settings.validation import validate
    started = clock()
    raw = {**run_params.SETTINGS[setting], "normal_class": cls, "anomaly_class": None,
           "numpy_seed": seed, "tf_seed": seed, **keys}
    with tempfile.TemporaryDirectory() as log_dir:
        results = run_setting(setting, validate(raw, label=str(setting)), log_dir,
                              progress=False)
    final = results["final"].iloc[0]
    return {"detector": results["setting"]["detector"], "auc": float(final["auc"]),
            "steps": int(results["setting"]["steps"]), **spent(started)}


def markdown(cells: pd.DataFrame) -> str:
    from gandi.report import markdown as markdown_table
    # rows appended in this process are objects: as floats, or round() leaves them whole
    wide = cells.astype({"auc": float}).pivot_table(
        index=["setting", "detector", "class", "seed"], columns="precision",
        values="auc").dropna().reset_index()
    if wide.empty or "mixed_bfloat16" not in wide:
        return "No cell with both precisions yet.\n"
    wide["difference"] = wide["mixed_bfloat16"] - wide["float32"]
    summary = wide.groupby(["setting", "detector", "class"]).agg(
        seeds=("seed", "nunique"), float32=("float32", "mean"),
        float32_std=("float32", "std"), bfloat16=("mixed_bfloat16", "mean"),
        bfloat16_std=("mixed_bfloat16", "std"), difference=("difference", "mean"),
        difference_std=("difference", "std")).reset_index()
    return ("Test AUC at the label-free sweet spot, float32 against mixed bfloat16 (same "
            "setting and seed), mean and std over seeds; difference = bfloat16 - float32.\n\n"
            + markdown_table(summary.round(4)) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--settings", type=int, nargs="+", default=[30, 10, 20])
    p.add_argument("--classes", type=int, nargs="+", default=[1, 7])
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args(argv)
    todo = ({"setting": n, "class": c, "seed": s, "precision": precision}
            for s in range(args.seeds) for n in args.settings for c in args.classes
            for precision in ("float32", "mixed_bfloat16"))
    bench_env.run_missing_cells(
        RESULTS / "precision_auc.csv", COLUMNS, todo,
        lambda setting, seed, precision, **key: run_cell(setting, key["class"], seed, precision),
        markdown, lambda r: (f"setting {r['setting']} class {r['class']} seed {r['seed']} "
                             f"{r['precision']}: AUC {r['auc']:.4f}, {r['seconds']} s "
                             f"({r['cpu_seconds']} s CPU)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
