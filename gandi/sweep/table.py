"""The sweep's one table: a row per trial (the benchmark's columns, and the trial's name, setting,
grid point, status and error), rewritten atomically after every trial so that a killed sweep
resumes from it. Finished and diverged trials are outcomes and are skipped when the sweep runs
again; failed ones (an exception) are run again, and their row replaced.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.run_rows import COLUMNS as BENCHMARK_COLUMNS

COLUMNS = ["trial", "setting", "overrides", "status", "error"] + BENCHMARK_COLUMNS
DONE = ("finished", "diverged")


def read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    table = pd.read_csv(path, keep_default_na=False, na_values=[""],
                        dtype={"setting_hash": str})  # hex digits, never a number
    if "cpu_seconds" not in table and "seconds" in table:  # a table from before CPU time
        table["cpu_seconds"] = np.nan
    if "tracking_cpu_seconds" not in table and "seconds" in table:  # from before it was kept
        table["tracking_cpu_seconds"] = np.nan
    if "setting_hash" not in table and "seconds" in table:  # from before setting hashes
        table["setting_hash"] = np.nan
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: not a sweep table (missing columns {', '.join(missing)}); "
                         "choose another --out")
    return table[COLUMNS]


def finished(table: pd.DataFrame) -> set:
    """(trial, overrides) of the trials done: a changed fixed value makes a new trial."""
    done = table[table["status"].isin(DONE)]
    return set(zip(done["trial"], done["overrides"]))


def record(table: pd.DataFrame, row: dict) -> pd.DataFrame:
    """The table with this trial's row added, or replacing its earlier row (failed, or made with
    other fixed values)."""
    new = pd.DataFrame([{c: row.get(c, np.nan) for c in COLUMNS}])
    kept = table[table["trial"] != row["trial"]]
    return new if kept.empty else pd.concat([kept, new], ignore_index=True)


def write(path: Path, table: pd.DataFrame, order: list):
    """Rows in the spec's trial order (whatever order they finished in), atomically."""
    from gandi.outputs.run_folder import atomic_write_bytes
    rank = {name: i for i, name in enumerate(order)}
    table = table.sort_values("trial", key=lambda s: s.map(lambda n: rank.get(n, len(rank))),
                              kind="stable")
    atomic_write_bytes(path, table[COLUMNS].to_csv(index=False).encode())


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std of the test AUC over seeds, per setting and grid point (finished trials)."""
    done = table[table["status"] == "finished"]
    if done.empty:
        return pd.DataFrame()
    done = done.assign(grid_point=done["trial"].str.replace(r" seed \d+", "", regex=True))
    grouped = done.groupby(["grid_point", "detector"], sort=False)["auc"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out.rename(columns={"mean": "auc_mean", "std": "auc_std", "count": "trials"})
