"""A finished run as table rows, and the one way a table shows a number over seeds.

`final_rows` is the one builder of "run -> rows" (a row per detector of the run's final table);
`result_row` is its benchmark / sweep cell (COLUMNS), the report's rows are its columns, the
tabular benchmark adds the checkpoint ensemble's. `mean_std` is every table's "mean ± std".
"""
from __future__ import annotations

import resource
import time

import numpy as np

COLUMNS = ["detector", "family", "class", "seed", "auc", "auprc", "f1", "oracle_best_auc",
           "signature", "seconds", "cpu_seconds", "tracking_cpu_seconds",
           "setting_hash"]  # family: gandi or classical
# seconds: wall; cpu_seconds: the process's user + system time (every thread's), which stays
# comparable when a cell ran beside other work on the machine; tracking_cpu_seconds: the part of
# it the run's tracked steps took (the results' tracking_seconds; empty for classical rows and
# rows from before it was kept)
# auprc: average precision, anomaly = positive (EGBAD's MNIST table reports it)
# setting_hash: gandi.settings.fingerprint.setting_hash of the validated setting that made a
# gandi row (empty for classical rows and rows from before it was kept)


def final_rows(results: dict) -> list[dict]:
    """One row per detector of a finished run's final table (as exported: the label-free choice):
    its test AUC, AUPRC, F1 and threshold; for the score tracked over training (`tracked`) also
    the AUC at the last tracked step and the oracle-best test AUC (chosen with test labels:
    shown, never used), NaN for the others (a score computed once has no curve)."""
    best = results["best_test_auc"] or {}
    rows = []
    for final in results["final"].to_dict("records"):
        tracked = bool(final.get("tracked", False))
        rows.append({"signature": results["signature"], "seed": results["seeds"]["numpy"],
                     "tf_seed": results["seeds"]["tf"], "detector": final["detector"],
                     "auc": final["auc"], "auprc": final.get("ap", np.nan), "f1": final["f1"],
                     "threshold_source": final.get("threshold_source"), "tracked": tracked,
                     "last_step_auc": (results["measurements"]["d_auc"].iloc[-1] if tracked
                                       else np.nan),
                     "oracle_best_auc": best.get("test_auc", np.nan) if tracked else np.nan})
    return rows


def clock() -> tuple[float, float]:
    """Now, as (wall seconds, this process's CPU seconds): `spent(clock())` later."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.time(), usage.ru_utime + usage.ru_stime


def spent(since: tuple[float, float]) -> dict:
    """The wall and CPU seconds since `since` (a `clock()`), as a row's two columns."""
    wall, cpu = clock()
    return {"seconds": round(wall - since[0], 1), "cpu_seconds": round(cpu - since[1], 1)}


def result_row(results: dict, detector: str, cls, cost: dict, setting: dict) -> dict:
    """A finished run as one row of COLUMNS (a benchmark cell, a sweep trial): its `detector`'s
    row of the final table (else its first), the oracle-best AUC when that score was tracked,
    its `cost` (`spent`: seconds and cpu_seconds) and the CPU seconds its tracking took, and the
    hash of the validated `setting` the run was given (before the run resolved its epochs into
    steps)."""
    from gandi.settings.fingerprint import setting_hash
    rows = final_rows(results)
    row = next((r for r in rows if r["detector"] == detector), rows[0])
    tracking = results.get("tracking_seconds") or {}  # a run from before it was kept: none
    return {"detector": detector, "family": "gandi", "class": cls, "seed": row["seed"],
            "auc": float(row["auc"]), "auprc": float(row["auprc"]), "f1": float(row["f1"]),
            "oracle_best_auc": float(row["oracle_best_auc"]),
            "signature": row["signature"], **cost,
            "tracking_cpu_seconds": round(float(tracking.get("cpu_seconds", np.nan)), 1),
            "setting_hash": setting_hash(setting)}


def mean_std(values, show_n: bool = False) -> str:
    """Mean ± standard deviation over seeds, to 3 decimals, as every table shows it.

    The std is the sample standard deviation (ddof=1): the seeds are a sample of the seeds one
    could have run, and it is pandas' and the papers' usual "± std over seeds". One value is
    shown alone (a "± 0.000" would claim a spread that one run cannot show); no finite value:
    "". `show_n`: "(n=k)" after a spread, for tables with no column of seeds."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return ""
    if len(v) == 1:
        return f"{v[0]:.3f}"
    return f"{v.mean():.3f} ± {v.std(ddof=1):.3f}" + (f" (n={len(v)})" if show_n else "")
