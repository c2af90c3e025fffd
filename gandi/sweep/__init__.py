"""Sweeps: settings x seeds x grids of overrides, run as ordinary playground runs on a local
process pool or on Ray (`python -m gandi.sweep SPEC`; see `__main__`)."""
