"""The results pickle: plain data only (DataFrames, dicts, matplotlib figures), never Keras objects.

A pickle can run code when loaded: load only pickles from your own run folders.
"""
from __future__ import annotations

import pickle
import platform
from importlib import metadata

from gandi.outputs.run_folder import atomic_write_bytes

PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas", "scipy", "statsmodels",
            "scikit-learn", "matplotlib")


def library_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def write_results(path, results: dict):
    atomic_write_bytes(path, pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))


def load_results(path) -> dict:
    with open(path, "rb") as f:
        return pickle.load(f)
