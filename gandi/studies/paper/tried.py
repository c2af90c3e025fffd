"""What was tried for a detector that trails its published number: the variant studies' rows
(`benchmarks/variant_auc.py`: `<key>_auc*.csv` with columns setting, class, seed, the key,
detector, auc, ...) on its settings for the same data set, one value's mean AUC each; the paper
puts the line under the gap, so that a reader sees how large it is and what did not close it.
Studies of what a saving costs (bfloat16, XLA, tracking fewer validation normals or bank
rows) are not attempts at a gap: left out. A study of the anomaly_class protocol's cells
(`variant_auc.py --protocol anomaly_class`, `anomaly_class_<key>_auc...csv`) goes under that
protocol's gaps only."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from gandi.studies.variants import NEWER_COLUMNS, ROW_COLUMNS

# keys whose studies asked what a saving costs (the same AUC, cheaper), not how to close a gap
COST_KEYS = {"precision", "jit_compile", "track_validation_limit", "track_bank_limit"}
PROTOCOL_RUNS = {"normal_class": "one-class runs", "anomaly_class": "the anomaly_class cells"}
# studies of a detector on a data set kept in a table of their own shape (not variant_auc.py's):
# the file, and what each of its columns varies; a column is named only where its rows vary it
OTHER_STUDIES = {("anogan", "mnist"): ("anogan_search.csv", {
    "iterations": "length", "tolerance": "early stop", "lr": "step size",
    "lambda": "weight of its discrimination loss"}, "the latent search's")}


def study_means(cells: pd.DataFrame, key: str) -> tuple[pd.Series, list, int]:
    """(mean AUC per value of `key` over the classes every value has, those classes, the fewest
    seeds of a (class, value)): values compared on the same classes only."""
    per_class = cells.groupby(["class", key])["auc"].mean().unstack(key)
    shared = per_class.dropna()
    kept = cells[cells["class"].isin(shared.index)]
    seeds = int(kept.groupby(["class", key])["seed"].nunique().min()) if len(kept) else 0
    return shared.mean(), sorted(shared.index), seeds


def other_study(results: Path, name: str, varied: dict, whose: str) -> list[str]:
    """[what the study of its own shape varied, its markdown], or [] without its rows."""
    path = results / name
    if not path.is_file():
        return []
    cells = pd.read_csv(path)
    words = [w for column, w in varied.items()
             if column in cells and cells[column].nunique() > 1]
    if not words:
        return []
    what = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
    return [f"{whose} {what} (`benchmarks/results/{path.with_suffix('.md').name}`)"]


def tried_line(results: Path, detector: str, dataset: str,
               protocol: str = "normal_class") -> str:
    """One line naming each variant study of `detector` on `dataset` under `protocol`: the key,
    each value's mean AUC, the classes and seeds, the file; '' when there is none."""
    import run_params
    found = []
    needed = set(ROW_COLUMNS) - set(NEWER_COLUMNS)
    for path in sorted(results.glob("*_auc*.csv")):
        if path.stem.startswith("anomaly_class_") != (protocol == "anomaly_class"):
            continue
        cells = pd.read_csv(path)
        keys = [c for c in cells.columns if c not in ROW_COLUMNS]
        if not needed <= set(cells.columns) or len(keys) != 1 or keys[0] in COST_KEYS:
            continue
        key = keys[0]
        on = cells["setting"].map(lambda n: run_params.SETTINGS.get(int(n), {}).get("dataset"))
        rows = cells[(cells["detector"] == detector) & (on == dataset)]
        means, classes, seeds = study_means(rows, key) if len(rows) else (None, [], 0)
        if not classes:
            continue
        found.append(f"`{key}` " + ", ".join(f"{v}: {m:.3f}" for v, m in means.items())
                     + f" (classes {', '.join(map(str, classes))}, {seeds} seed(s) each; "
                       f"`benchmarks/results/{path.stem}.md`)")
    if protocol == "normal_class" and (detector, dataset) in OTHER_STUDIES:
        found += other_study(results, *OTHER_STUDIES[detector, dataset])
    if not found:
        return ""
    return (f"- **What was tried for {detector}** ({PROTOCOL_RUNS[protocol]} of its settings "
            f"on this data set with one key changed; mean test AUC per value): "
            + "; ".join(found) + ".\n")
