"""Tracking a run: what is measured at a tracked step (evaluation.py), the label-free choice of the
sweet spot and the checkpoint ensemble's maths (selection.py), the metrics (metrics.py) and the
label-free thresholds (thresholds.py). The Tracker itself is gandi/tracker.py for now."""
