"""The results pickle: plain data only (DataFrames, dicts, matplotlib figures), never Keras objects.

A pickle can run code when it is loaded: a pickle from elsewhere is code. `load_results` opens
only files that sit where gandi writes them (log_dir/results/<signature>/results.pkl, or a
Tracker state in log_dir/checkpoints/<signature>/); anything else needs trusted=True.
"""
from __future__ import annotations

import pickle
import platform
import re
from pathlib import Path
from importlib import metadata

from gandi.outputs.run_folder import SIGNATURE, atomic_write_bytes

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


def results_dict(*, signature: str, setting_id, setting: dict, status: str, error, last_step: int,
                 measurements, final, sweet_spot, tie_tolerance: float, checkpoint_ensemble,
                 galleries: dict, best_test_auc, test_anomalies, snapshots: dict, restarts: list,
                 figures: dict, warnings: list, stopped_early: dict | None = None,
                 tracking_seconds: dict | None = None) -> dict:
    """The results pickle's content, in this key order: plain data only."""
    return {
        "signature": signature,
        "setting_id": setting_id,
        "setting": setting,
        "status": status,
        "error": error,
        "last_step": last_step,
        "measurements": measurements,
        "final": final,
        "sweet_spot": sweet_spot,
        "tie_tolerance": tie_tolerance,  # the sweet-spot rule's, to replay it
        "checkpoint_ensemble": checkpoint_ensemble,  # members (step, scale), threshold, scores
        "galleries": galleries,  # per row: step, threshold, map, shown test indices
        "best_test_auc": best_test_auc,
        # "synthetic": every test AUC above is against corrupted normals (normal-only data)
        "test_anomalies": test_anomalies,
        "snapshots": snapshots,
        "restarts": restarts,
        # stop_patience ended training before `steps`: the step, the budget, the sweet spot
        "stopped_early": stopped_early,
        # wall and process-CPU seconds of the tracked steps (the run's whole time: status.json)
        "tracking_seconds": tracking_seconds,
        "figures": figures,
        "warnings": warnings,
        "seeds": {"numpy": setting["numpy_seed"], "tf": setting["tf_seed"]},
        "versions": library_versions(),
    }


def write_results(path, results: dict):
    atomic_write_bytes(path, pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))


def load_results(path, trusted: bool = False) -> dict:
    path = Path(path)
    if not (trusted or _in_run_folder(path)):
        raise ValueError(f"refusing to unpickle {str(path)!r}: it is not in a gandi run folder "
                         f"(log_dir/results/<signature>/results.pkl) and a pickle can run code; "
                         f"pass trusted=True only for a file you made")
    with open(path, "rb") as f:
        results = pickle.load(f)
    _release_figures(results)
    return results


def _release_figures(results) -> None:
    """Unpickled pyplot figures join pyplot's list of open figures, where they stay for the
    process's life (a notebook that loads many runs would warn of "More than 20 figures"): they
    are let go of at once, and stay usable (savefig, display)."""
    figures = results.get("figures") if isinstance(results, dict) else None
    if figures:
        import matplotlib.pyplot as plt
        for figure in figures.values():
            plt.close(figure)


def _in_run_folder(path: Path) -> bool:
    kind, folder = path.parent.parent.name, path.parent.name
    if not SIGNATURE.fullmatch(folder):
        return False
    return ((kind == "results" and path.name == "results.pkl")
            or (kind == "checkpoints" and re.fullmatch(r"tracker-\d+\.pkl", path.name) is not None))
