"""Tracking a run: the Tracker of the training loop (when to test and save, the sweet spot) and
the end of a run (the final results, a new value computed from the Tracker's state)."""
