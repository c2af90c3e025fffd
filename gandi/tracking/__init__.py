"""Tracking a run: the Tracker of the training loop (when to test and save, the sweet spot), what
is measured at a tracked step (evaluation.py), the label-free choice of the sweet spot and the
checkpoint ensemble's maths (selection.py), the metrics and the label-free thresholds, and the end
of a run (the final results, a new value computed from the Tracker's state)."""
