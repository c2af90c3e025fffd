"""What each label-free criterion would have chosen, replayed on finished runs.

A run's results hold, per tracked step, the test AUC on the curve's test sample and the AUC of
every criterion that was scored (on vectors: val_vs_uniform and val_vs_corrupted, and
val_vs_generated for generating detectors). The Tracker's rule (`gandi.tracking.selection`) replayed on
each criterion's curve gives the step it would have chosen; its cost is the best test AUC over
the curve (chosen WITH test labels: the oracle) minus the test AUC at that step. The same runs
compare the criteria, so a difference is the criterion's, not the seed's. Test labels only
report here: nothing is chosen by them. `benchmarks/selection_study.py` is the command.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from gandi.tracking.selection import sweet_spot_index

COLUMNS = ["data", "detector", "seed", "criterion", "chosen", "step", "auc", "cost"]


def run_costs(results: dict) -> list[dict]:
    """One row per criterion scored in a finished run: the step it picks, the curve's test AUC
    there, its cost, and whether it was the run's own criterion (`chosen`)."""
    m, setting = results["measurements"], results["setting"]
    if "d_auc" not in m or m["d_auc"].isna().all():
        return []
    tolerance = results.get("tie_tolerance", 1e-3)  # runs before it was recorded: 1/1000
    rows = []
    for column in [c for c in m.columns if c.startswith("val_vs_") and c.endswith("_auc")]:
        i = sweet_spot_index(m[column].tolist(), tolerance)
        if i is None:
            continue
        data = setting["data_file"] or setting.get("distribution") or setting["dataset"]
        rows.append({"data": Path(str(data)).stem, "detector": setting["detector"],
                     "seed": setting["numpy_seed"], "criterion": column[:-len("_auc")],
                     "chosen": column[:-len("_auc")] == setting["sweet_spot_criterion"],
                     "step": int(m["step"].iloc[i]), "auc": float(m["d_auc"].iloc[i]),
                     "cost": float(m["d_auc"].max() - m["d_auc"].iloc[i])})
    return rows


def markdown(study: pd.DataFrame) -> str:
    """Mean cost per detector and criterion (runs per cell given), and per data set."""
    runs = study.groupby(["detector", "criterion"]).size()
    out = [f"Mean label-free cost per criterion, replayed on the same runs ({runs.min()}-"
           f"{runs.max()} runs per cell; cost = the curve's best test AUC, chosen WITH test "
           "labels, minus the test AUC at the step the criterion picks):\n"]
    for by in ("detector", "data"):
        table = study.pivot_table(index=by, columns="criterion", values="cost", aggfunc="mean")
        out.append("| " + by + " | " + " | ".join(table.columns) + " |\n|"
                   + " --- |" * (len(table.columns) + 1) + "\n" + "".join(
                       f"| {i} | " + " | ".join("" if pd.isna(v) else f"{v:.3f}" for v in r)
                       + " |\n" for i, r in zip(table.index, table.values)))
    return "\n".join(out)
