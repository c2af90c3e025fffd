"""Run a sweep: `python -m gandi.sweep SPEC [--executor local|ray] ...`

    python -m gandi.sweep sweeps/classes.yaml --jobs 2                  # this machine
    python -m gandi.sweep sweeps/classes.yaml --executor ray --address auto   # a Ray cluster
    python -m gandi.sweep sweeps/classes.yaml --executor ray --address auto --no-shared-fs

Every trial of SPEC (see `gandi.sweep.spec`) is an ordinary playground run with its own signature
folder under `--log-dir`. The table of all trials (`--out`, default `<log-dir>/sweeps/<spec
name>.csv`) is rewritten after each trial; running the same command again skips finished trials
and retries failed ones. Limits: `--cpus-per-trial` (TensorFlow's thread pools are sized to it),
`--gpus-per-trial`, `--jobs` (most trials at once; default: the machine's CPUs / cpus per trial).
`--no-shared-fs` (Ray): the cluster's nodes do not see `--log-dir`; each trial runs into a
temporary folder of its node and its run's files (all but the resume checkpoints) come back
through Ray to `--log-dir` (gandi.sweep.shipping). Data must be readable on every node.
Exit status: 0 when every trial finished (or diverged: an outcome), 1 when some failed (they are
in the table with their error), 2 for a bad spec or argument, 130 on Ctrl-C.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from gandi.outputs.run_folder import LogDirError, check_writable
from gandi.cli import ExitingParser
from gandi.sweep import executors, spec, table


def _parser() -> argparse.ArgumentParser:
    p = ExitingParser(prog="python -m gandi.sweep", name="gandi.sweep",
                       description=__doc__.splitlines()[0])
    p.add_argument("spec", help="a .yaml/.yml file, or a .py file defining SWEEP")
    p.add_argument("--executor", choices=sorted(executors.EXECUTORS), default="local")
    p.add_argument("--address", default=None,
                   help="Ray: 'auto' or HOST:PORT of a running cluster (default: start Ray here)")
    p.add_argument("--no-shared-fs", action="store_true",
                   help="Ray: the nodes do not share --log-dir; runs come back through Ray")
    p.add_argument("--jobs", type=int, default=None, help="most trials running at once")
    p.add_argument("--cpus-per-trial", type=int, default=1)
    p.add_argument("--gpus-per-trial", type=float, default=0)
    p.add_argument("--log-dir", default="log_dir")
    p.add_argument("--out", default=None, help="the table (CSV)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from gandi.cli import import_tensorflow_quietly
    import_tensorflow_quietly()
    try:
        if args.cpus_per_trial < 1 or args.gpus_per_trial < 0:
            raise spec.SpecError("--cpus-per-trial must be >= 1 and --gpus-per-trial >= 0")
        if args.jobs is not None and args.jobs < 1:
            raise spec.SpecError("--jobs must be >= 1")
        if (args.address or args.no_shared_fs) and args.executor != "ray":
            raise spec.SpecError("--address and --no-shared-fs are for --executor ray")
        import run_params
        trials = spec.expand(spec.load(args.spec), run_params.SETTINGS)
        out = Path(args.out or Path(args.log_dir, "sweeps", Path(args.spec).stem + ".csv"))
        done_table = table.read(out)
        log_dir = check_writable(args.log_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
    except (spec.SpecError, ValueError, LogDirError, OSError) as err:
        print(f"gandi.sweep: error: {err}", file=sys.stderr)
        return 2
    jobs = executors.default_jobs(args.jobs, args.cpus_per_trial)
    order = [t.name for t, _ in trials]
    overrides = {t.name: t.overrides_json() for t, _ in trials}
    skip = table.finished(done_table)
    todo = [(t, s) for t, s in trials if (t.name, overrides[t.name]) not in skip]
    print(f"{len(trials)} trial(s): {len(trials) - len(todo)} already done, {len(todo)} to run "
          f"on {args.executor} ({jobs} at once, {args.cpus_per_trial} CPU(s) each); "
          f"table: {out}", flush=True)
    run = executors.EXECUTORS[args.executor]
    options = executors.options_of(args.executor, args.address, args.no_shared_fs)
    failed = 0
    bar = tqdm(total=len(todo), disable=args.no_progress, unit="trial")
    try:
        for row in run(todo, log_dir, args.cpus_per_trial, args.gpus_per_trial, jobs, **options):
            row["overrides"] = overrides[row["trial"]]
            done_table = table.record(done_table, row)
            table.write(out, done_table, order)
            failed += row["status"] == "failed"
            auc = row.get("auc")
            bar.write(f"{row['trial']}: {row['status']}"
                      + (f", AUC {auc:.3f}" if auc is not None and auc == auc else "")
                      + (f" - {row['error']}" if row["status"] == "failed" else ""))
            bar.update()
    except executors.ExecutorError as err:
        print(f"gandi.sweep: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the table holds every trial that ended; nothing is torn
        print(f"interrupted; {out} holds the trials that ended. Run the same command again to "
              "resume.", file=sys.stderr)
        return 130
    finally:
        bar.close()
    result = table.summary(done_table)
    if not result.empty:
        print(result.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if failed:
        print(f"{failed} trial(s) failed; their errors are in {out}. Run the same command again "
              "to retry them (finished trials are skipped).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
