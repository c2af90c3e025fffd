"""A trial's run folders carried back to the driver, for clusters without a shared filesystem.

With `--no-shared-fs` a trial runs into a temporary log dir of its own on whichever node runs it;
when it ends, its run's files travel back with its row (through Ray's object store: a dict of
bytes) and the driver writes them under its own `--log-dir`, at the same relative paths. The
driver's log dir then holds every run as if it had run there: results pickle, final table,
thresholds, plots, TensorBoard events, the log, the sweet spot's networks (what `gandi score`,
`gandi.load`, `gandi.report` and the paper read).

Left behind on the node, with the temporary folder: the TF checkpoints and the Tracker's state
beside them (`ckpt-*`, `checkpoint`, `tracker-*.pkl`: both networks and both optimisers, tens of
MB per run for a DCGAN, needed only to resume a run that did not finish).
"""
from __future__ import annotations

import re
from pathlib import Path

from gandi.outputs.run_folder import KINDS, atomic_write_bytes

# resume points only: a finished run's other files do not need them
LEFT_BEHIND = re.compile(r"^(ckpt-\d+\..+|checkpoint|tracker-\d+\.pkl)$")


class ShippingError(RuntimeError):
    """A shipped run that cannot be written at the driver; the message is one line."""


def packed(log_dir, signature: str) -> dict[str, bytes]:
    """The run's files under `log_dir` by path relative to it (posix), resume points left out."""
    root = Path(log_dir)
    files = {}
    for kind in KINDS:
        folder = root / kind / signature
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not LEFT_BEHIND.match(path.name):
                    files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def unpacked(files: dict[str, bytes], log_dir) -> int:
    """Write shipped files under `log_dir` (each atomically: a reader sees a whole file or
    none); the results folder's last, so a run whose results exist is complete. Refuses a run
    whose signature the driver already holds. Returns the bytes written."""
    root = Path(log_dir).resolve()
    targets = {}
    for name, data in files.items():
        target = (root / name).resolve()
        if root not in target.parents or Path(name).parts[0] not in KINDS:
            raise ShippingError(f"a shipped file lies outside a run folder: {name!r}")
        targets[target] = data
    runs = {Path(name).parts[1] for name in files}
    for run in runs:
        if (root / "results" / run).exists():
            raise ShippingError(f"run {run} is already under {root}; its shipped files were "
                                f"not written")
    results_last = sorted(targets, key=lambda t: t.relative_to(root).parts[0] == "results")
    for target in results_last:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, targets[target])
    return sum(len(d) for d in files.values())
