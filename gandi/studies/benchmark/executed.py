"""The image benchmark's gandi cells run elsewhere (`--executor local|ray`): as trials of
gandi.sweep's executors, the same code path as a sweep's, their rows handed back to the
benchmark's resumable loop (gandi.studies.benchmark.cells.run_items)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gandi.outputs.run_rows import COLUMNS


@dataclass(frozen=True)
class CellTrial:
    """A gandi cell as a trial of gandi.sweep's executors (they read its name and setting id)."""
    name: str
    setting_id: int


def executed(todo: list, run_item, args, setting_of):
    """(item, rows) of every item of `todo`: the classical items here, first (seconds each);
    the gandi runs as trials of `args.executor` (gandi.sweep.executors: a local process pool or
    Ray, `--no-shared-fs` shipping each run folder back to `--log-dir`), in the order they end.
    `setting_of(detector, class, seed)`: (run_params number, validated setting). A failed trial
    is a line, not a row (the next invocation runs it again)."""
    from gandi.detectors.classical import CLASSICAL
    from gandi.sweep import executors
    trials, items = [], {}
    for item in todo:
        detectors, cls, seed = item
        if detectors[0] in CLASSICAL:
            yield item, run_item(item)
            continue
        number, setting = setting_of(detectors[0], cls, seed)
        trial = CellTrial(f"{detectors[0]} class {cls} seed {seed}", number)
        trials.append((trial, setting))
        items[trial.name] = item
    options = executors.options_of(args.executor, args.address, args.no_shared_fs)
    jobs = executors.default_jobs(args.jobs, args.cpus_per_trial)
    for row in executors.EXECUTORS[args.executor](trials, Path(args.log_dir), args.cpus_per_trial,
                                                  0, jobs, **options):
        item = items[row["trial"]]
        if row["status"] != "finished":
            print(f"{row['trial']}: {row['status']} - {row['error']} (run again to retry)",
                  flush=True)
            continue
        yield item, [{**{k: row[k] for k in COLUMNS}, "detector": item[0][0]}]
