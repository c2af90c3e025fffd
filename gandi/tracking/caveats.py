"""What a finished run's numbers may not show, one line each (the results' warnings, which the
playground logs and `gandi.Detector` raises as TrainingWarning): too short a curve or a criterion
still rising at the end (`selection.training_warnings`), a D-scored detector on a table
(`orientation.table_caveats`), a reference bank holding few of the training normals
(`reference_bank.bank_caveats`), a threshold from too few validation normals
(`thresholds.threshold_caveats`), a test set too small for its AUC to mean much
(`test_set_caveats`), and what the data's loader noticed (`DataSplits.caveats`: a table's
id-like column).
"""
from __future__ import annotations

from gandi.detectors.reference_bank import bank_caveats
from gandi.tracking.orientation import table_caveats
from gandi.tracking.selection import training_warnings
from gandi.tracking.thresholds import threshold_caveats

# fewer test normals or anomalies than this and a test AUC moves by 0.1 with one sample (a
# 12-row fit reported AUC 1.000 and F1 1.000 from 2 test rows)
MIN_TEST_CLASS = 10


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
            + test_set_caveats(tracker.data.test_y) + tracker.data.caveats)


def test_set_caveats(test_y) -> list[str]:
    """A line when the test set holds fewer than MIN_TEST_CLASS normals or anomalies: its AUC
    and F1 are then a few samples' verdict."""
    normals, anomalies = int((test_y == 0).sum()), int((test_y == 1).sum())
    if min(normals, anomalies) >= MIN_TEST_CLASS:
        return []
    return [f"the test metrics rest on {normals} normal(s) and {anomalies} anomal(ies) "
            f"(fewer than {MIN_TEST_CLASS} of either): its AUC and F1 are a few samples' "
            f"verdict, not a measurement"]
