"""What one setting key's value does to a detector's AUC: the same shipped settings and seeds on
one-class MNIST (or its anomaly_class cells), one whole run per (setting, class, seed, value):

    python benchmarks/variant_auc.py --key g_fake --values fresh reused [--settings 10]
        [--classes 1 7] [--seeds 3] [--with KEY=VALUE ...] [--protocol anomaly_class]

Values are read as YAML scalars (`3` an integer, `reused` a string). A dotted key changes one
entry of a dict key (`--key d_params.filters --values 64 128 --settings 24`: the discriminator's
width, its other parameters kept). `--with` changes other keys in every cell alike (e.g. `--key
stop_patience --values 0 5 --with epochs=30`: three times the training, with and without
stopping early); its rows go to a file of their own, named after them. `--protocol
anomaly_class` runs the benchmark's anomaly_class cells instead (`--classes`: the anomaly
digits; e.g. `--key track_validation_limit --values null 1000 --settings 25`), into a file named
after it too (`anomaly_class_<key>_auc...`). A row holds the test AUC at the label-free sweet
spot, the steps, wall and CPU seconds; the markdown beside it gives each value's mean and std
over seeds and its paired difference to the first value.
benchmarks/results/<key>_auc.{csv,md}, resumable (e.g. vae_samples_auc: `--key vae_samples
--values 10 3 1 --settings 32`; precision_auc: `--key precision --values float32
mixed_bfloat16 --settings 30 10 20`).
"""
from __future__ import annotations

import argparse

import bench_env
import yaml

from gandi.settings.checks import did_you_mean
from gandi.settings.keys import KEYS
from gandi.studies.variants import columns, markdown, run_variant

RESULTS = bench_env.ROOT / "benchmarks" / "results"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--key", required=True, help="the setting key varied")
    p.add_argument("--values", nargs="+", required=True, help="its values, the first the base")
    p.add_argument("--settings", type=int, nargs="+", default=[10])
    p.add_argument("--classes", type=int, nargs="+", default=[1, 7])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--protocol", choices=["normal_class", "anomaly_class"],
                   default="normal_class", help="one-class runs, or the anomaly_class cells")
    p.add_argument("--with", dest="fixed", nargs="+", default=[], metavar="KEY=VALUE",
                   help="keys changed alike in every cell")
    args = p.parse_args(argv)
    key, values = args.key, [yaml.safe_load(v) for v in args.values]
    fixed = {}
    for item in args.fixed:
        name, _, value = item.partition("=")
        if not _:
            p.error(f"--with {item!r} is not KEY=VALUE")
        fixed[name] = yaml.safe_load(value)
    for name in (key, *fixed):
        outer, dot, _ = name.partition(".")
        if outer not in KEYS:
            p.error(f"{outer!r} is not a setting key{did_you_mean(outer, KEYS)} "
                    f"(docs/settings.md)")
        if dot and not isinstance(KEYS[outer].default, dict):
            p.error(f"{name!r}: only a dict key (e.g. d_params) takes a dotted entry; "
                    f"{outer!r} is not one")
    # the protocol in front: a name ending in _anomaly_class is a benchmark grid's CSV
    stem = "_".join([*([args.protocol] if args.protocol != "normal_class" else []),
                     f"{key}_auc", *(f"{k}{v}" for k, v in fixed.items())])
    todo = ({"setting": n, "class": c, "seed": s, key: v} for s in range(args.seeds)
            for n in args.settings for c in args.classes for v in values)
    bench_env.run_missing_cells(
        RESULTS / f"{stem}.csv", columns(key), todo,
        lambda setting, seed, **cell: run_variant(setting, cell["class"], seed, args.protocol,
                                                  **{**fixed, key: cell[key]}),
        lambda cells: ("The anomaly_class protocol's cells: the class is the anomaly digit.\n\n"
                       if args.protocol == "anomaly_class" else "")
        + "".join(f"Every run with `{k}: {v}`.\n\n" for k, v in fixed.items())
        + markdown(cells, key, values),
        lambda r: (f"setting {r['setting']} class {r['class']} seed {r['seed']} {key} "
                   f"{r[key]}: AUC {r['auc']:.4f}, {r['seconds']} s ({r['cpu_seconds']} s CPU)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
