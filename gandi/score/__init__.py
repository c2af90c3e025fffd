"""Scoring new data with a finished run's exported detector (`python -m gandi.score RUN DATA`;
see `__main__`): `exported` rebuilds the detector at its sweet spot with the threshold chosen in
training, `sources` reads tables and images in batches."""
