"""One command for the comparison users pick a detector by:

    python -m gandi.benchmark --dataset mnist --protocol normal_class --detectors all \
        --classes 0-9 --seeds 3 [--quick]

runs every (detector, class, seed) cell with the detector's setting from `run_params` (its first
setting on that dataset), and writes `<out>/<dataset>_<protocol>.csv` (one row per finished cell)
and `<out>/<dataset>_<protocol>.md`: per class and mean, our test AUC (mean ± std over seeds, the
model chosen without test labels) beside the published numbers of `benchmarks/published.csv`,
and, in a separate table labelled as such, the oracle-best AUC over training. Cells already in the
CSV are skipped, so an interrupted benchmark resumes where it stopped. `--quick` is a smoke run:
2 classes, 1 seed, small slices, few steps. `--dataset tabular` runs the ODDS tables instead,
gandi's vector detectors beside the classical ones: see `gandi/studies/benchmark/tables.py`.

Where the gandi runs go (image benchmarks): one after another in this process (`--executor
here`, the default), or as trials of the sweep's executors (`gandi.sweep.executors`, one code path
for both): `--executor local` a pool of fresh processes on this machine, `--executor ray
[--address auto|HOST:PORT]` a Ray cluster, each trial with `--cpus-per-trial` CPUs, `--jobs` at
once. With `--no-shared-fs` the cluster's nodes need not see `--log-dir`: each run goes to a
temporary folder of its node and comes back through Ray (its files but the resume checkpoints,
`gandi.sweep.shipping`), so `--log-dir` ends up complete on the driver. The data must be
readable on every node (`--data-dir`). The classical detectors run here in any case.

After the grid, unless `--no-speed`, the speed of the benchmarked detectors on the same dataset is
measured in the same process (`gandi.studies.speed`; about 2-3 minutes for every detector on 2 CPU cores,
seconds with `--quick`, which times tiny sizes) and re-measured on every invocation: it is the
machine's state, not a cell. It is written to `<out>/<dataset>_<protocol>_speed.csv`, one row per
measured number, columns

    what      train, score (images/s); train_compiled, train_eager (steps/s), compiled_speedup
              (x); anogan_batched, anogan_one_at_a_time, anogan_reference_style (ms/image),
              anogan_speedup_one_at_a_time, anogan_speedup_reference_style (x)
    detector  the detector measured (AnoGAN batched vs one image at a time is always measured,
              with the dataset's AnoGAN setting, benchmarked or not)
    value     the number, rounded as the report shows it (whole numbers from 100 on, else 3
              significant digits)
    unit      images/s, steps/s, ms/image or x
    note      what was timed: setting, images, steps, iterations, batch

and the markdown gets a section "Speed (measured in this run)" with the same numbers. With
`--no-speed` nothing is measured and no speed CSV is written (an earlier one is left as it is).
"""
from __future__ import annotations

import sys
from pathlib import Path

from gandi.cli import BadInput, ExitingParser, import_tensorflow_quietly
from gandi.studies.benchmark import images, tables
from gandi.studies.benchmark.cells import BenchmarkError
from gandi.studies.benchmark.images import PUBLISHED, ROOT


def main(argv=None) -> int:
    p = ExitingParser(prog="python -m gandi.benchmark", name="gandi.benchmark",
                       description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", choices=("mnist", "fashion_mnist", "tabular"),
                   help="tabular: the ODDS tables, gandi's vector detectors beside the classical "
                        "ones (gandi/studies/benchmark/tables.py)")
    p.add_argument("--sets", nargs="+", default=None, metavar="NAME",
                   help="tabular: which tables (default: all 8)")
    p.add_argument("--protocol", default="normal_class", choices=("normal_class", "anomaly_class"))
    p.add_argument("--detectors", nargs="+", default=["all"])
    p.add_argument("--classes", default=None, help="e.g. 0-9 or 1,3 (default 0-9; quick: 0,1)")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 3; quick: 1)")
    p.add_argument("--quick", action="store_true", help="smoke run: small slices, few steps")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--log-dir", default="log_dir/benchmark")
    p.add_argument("--data-dir", default=None, help="folder of the IDX files (else as for runs)")
    p.add_argument("--published", default=str(PUBLISHED))
    p.add_argument("--report-only", action="store_true",
                   help="rebuild the markdown from the CSVs: run no cell, measure nothing (the "
                        "speed section of the existing report is kept)")
    p.add_argument("--dry-run", action="store_true",
                   help="say which items are left and what they will cost (by the CPU seconds "
                        "the CSV's rows recorded); run and write nothing")
    p.add_argument("--no-speed", action="store_true",
                   help="skip the speed measurement (training/scoring images/s, AnoGAN batched "
                        "vs one at a time, compiled vs eager) and its table")
    p.add_argument("--executor", default="here", choices=("here", "local", "ray"),
                   help="where the gandi runs go: this process in turn, a local process pool, "
                        "or Ray (image benchmarks)")
    p.add_argument("--address", default=None,
                   help="Ray: 'auto' or HOST:PORT of a running cluster (default: start Ray here)")
    p.add_argument("--no-shared-fs", action="store_true",
                   help="Ray: the nodes do not share --log-dir; runs come back through Ray")
    p.add_argument("--jobs", type=int, default=None,
                   help="local/ray: most runs at once (default: CPUs / --cpus-per-trial)")
    p.add_argument("--cpus-per-trial", type=int, default=1)
    args = p.parse_args(argv)
    import_tensorflow_quietly()
    if args.dataset != "tabular" and args.sets:
        print("gandi.benchmark: error: --sets goes with --dataset tabular", file=sys.stderr)
        return 2
    misplaced = ("--executor local/ray" if args.dataset == "tabular" and args.executor != "here"
                 else "--address and --no-shared-fs" if args.executor != "ray"
                 and (args.address or args.no_shared_fs) else None)
    if misplaced:
        print(f"gandi.benchmark: error: {misplaced} go(es) with "
              + ("an image dataset (mnist, fashion_mnist)" if "executor" in misplaced
                 else "--executor ray"), file=sys.stderr)
        return 2
    if args.cpus_per_trial < 1 or (args.jobs is not None and args.jobs < 1):
        print("gandi.benchmark: error: --cpus-per-trial and --jobs must be >= 1", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        if args.dataset == "tabular":
            out.mkdir(parents=True, exist_ok=True)
            return tables.run(args, out)
        return images.run(args, out)
    except (BenchmarkError, BadInput) as err:
        print(f"gandi.benchmark: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
