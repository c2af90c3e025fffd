"""The benchmarks users pick a detector by: images (images.py) and the ODDS tables (tables.py),
sharing the resumable CSV of cells (cells.py); `python -m gandi.benchmark` (__main__.py)."""
