"""What a finished run's numbers may not show, one line each (the results' warnings, which the
playground logs and `gandi.Detector` raises as TrainingWarning): too short a curve or a criterion
still rising at the end (`selection.training_warnings`), a D-scored detector on a table
(`orientation.table_caveats`), a reference bank holding few of the training normals
(`reference_bank.bank_caveats`), a threshold from too few validation normals
(`thresholds.threshold_caveats`), and what the data's loader noticed (`DataSplits.caveats`: a
table's id-like column).
"""
from __future__ import annotations

from gandi.detectors.reference_bank import bank_caveats
from gandi.tracking.orientation import table_caveats
from gandi.tracking.selection import training_warnings
from gandi.tracking.thresholds import threshold_caveats


def run_warnings(tracker, status: str) -> list[str]:
    """The warnings of `tracker`'s run (none before it has finished)."""
    if status != "finished":
        return []
    steps = [r["step"] for r in tracker.state.rows]
    return (training_warnings(steps, tracker.state.criteria, tracker.references.tie_tolerance,
                              tracker.criterion)
            + table_caveats(tracker.detector, tracker.setting)
            + bank_caveats(tracker.detector, len(tracker.data.train))
            + threshold_caveats(len(tracker.data.validation), tracker.percentile)
            + tracker.data.caveats)
