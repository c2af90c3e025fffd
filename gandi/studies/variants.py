"""What one setting key's value does to a shipped setting's AUC: whole runs that differ in that
key only (same setting, class and seed; one-class, or the anomaly_class protocol's cell), and
their summary. `benchmarks/variant_auc.py` is the command line over it.
"""
from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd

# a study's row columns besides its key (`benchmarks/variant_auc.py` writes them in this order)
ROW_COLUMNS = ["setting", "class", "seed", "detector", "auc", "steps", "seconds", "cpu_seconds",
               "tracking_cpu_seconds"]
# columns added later: older studies' rows lack them
NEWER_COLUMNS = ("tracking_cpu_seconds",)


def columns(key: str) -> list:
    """A study's CSV columns, the varied key after the seed."""
    return ROW_COLUMNS[:3] + [key] + ROW_COLUMNS[3:]


def run_variant(setting: int, cls: int, seed: int, protocol: str = "normal_class",
                **keys) -> dict:
    """A whole run of shipped setting `setting` with `keys` changed (`with_keys`: a dotted name
    changes one entry of a dict key): one-class on class `cls`, or with `protocol`
    anomaly_class the benchmark's cell of anomaly class `cls` (its epochs and detector keys,
    `image_cells.cell_setting`). Its detector, test AUC at the label-free sweet spot (its own row
    of the final table, as the benchmark's cells take it: AnoGAN's first row is the
    discriminator it trained), steps, wall and CPU seconds, and the CPU seconds of its tracked
    steps."""
    import run_params
    from gandi.experiment import run_setting
    from gandi.outputs.run_rows import clock, result_row, spent
    from gandi.settings.validation import validate
    from gandi.studies.benchmark.image_cells import cell_setting
    started = clock()
    shipped = run_params.SETTINGS[setting]
    if protocol == "anomaly_class":
        raw = cell_setting(shipped, protocol, cls, seed, quick=False,
                           detector=shipped["detector"])
    else:
        raw = {**shipped, "normal_class": cls, "anomaly_class": None, "numpy_seed": seed,
               "tf_seed": seed}
    raw = with_keys(raw, keys)
    validated = validate(raw, label=str(setting))
    with tempfile.TemporaryDirectory() as log_dir:
        results = run_setting(setting, validated, log_dir, progress=False)
    detector = validated["detector"]
    row = result_row(results, detector, cls, spent(started), validated)
    return {"detector": detector, "auc": row["auc"], "steps": int(results["last_step"]),
            "seconds": row["seconds"], "cpu_seconds": row["cpu_seconds"],
            "tracking_cpu_seconds": row["tracking_cpu_seconds"]}


def with_keys(setting: dict, keys: dict) -> dict:
    """`setting` with `keys` changed; a dotted name changes one entry of a dict key and keeps
    its others (`d_params.filters: 128` on `d_params: {dropout: 0.3}` gives both), so that a
    study can vary an architecture's size with a scalar column."""
    changed = dict(setting)
    for name, value in keys.items():
        outer, dot, inner = name.partition(".")
        if dot:
            changed[outer] = {**(changed.get(outer) or {}), inner: value}
        else:
            changed[name] = value
    return changed


def label(value):
    """A value of the studied key as the tables show and group it: None (read back from the CSV
    as NaN, which grouping would drop) as "None", a whole number read back as a float (1000.0)
    as the integer."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "None"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def by_value(cells: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per (setting, detector, class, value of `key`): seeds, mean and std AUC, mean CPU
    seconds of the whole run and, where rows kept it, the share of them its tracking took."""
    cells = cells.astype({"auc": float, "cpu_seconds": float})  # appended rows are objects
    cells = cells.assign(**{key: [label(v) for v in cells[key]]})
    tracked = "tracking_cpu_seconds" in cells and cells["tracking_cpu_seconds"].notna().any()
    if tracked:
        cells = cells.assign(tracking_share=cells["tracking_cpu_seconds"].astype(float)
                             / cells["cpu_seconds"])
    table = cells.groupby(["setting", "detector", "class", key], sort=False).agg(
        seeds=("seed", "nunique"), auc=("auc", "mean"), auc_std=("auc", "std"),
        cpu_seconds=("cpu_seconds", "mean"),
        **({"tracking_share": ("tracking_share", "mean")} if tracked else {})).reset_index()
    # in order of setting, detector, class and value, None first (it sorts with nothing)
    order = sorted(range(len(table)), key=lambda i: (
        *table.loc[i, ["setting", "detector", "class"]], table.loc[i, key] != "None",
        table.loc[i, key] if table.loc[i, key] != "None" else 0))
    return table.loc[order].reset_index(drop=True)


def paired(cells: pd.DataFrame, key: str, values: list) -> pd.DataFrame:
    """Per (setting, class) and value of `key` after the first: the AUC difference to
    `values[0]` on the same seed, its mean, std and the number of seeds both have."""
    cells = cells.assign(**{key: [label(v) for v in cells[key]]})
    values = [label(v) for v in values]
    wide = cells.astype({"auc": float}).pivot_table(
        index=["setting", "class", "seed"], columns=key, values="auc")
    tables = []
    for value in values[1:]:
        if value in wide and values[0] in wide:
            difference = (wide[value] - wide[values[0]]).dropna()
            tables.append(difference.groupby(level=["setting", "class"]).agg(
                difference="mean", difference_std="std", seeds="count").reset_index()
                .assign(**{key: value}))
    if not tables:
        return pd.DataFrame()
    return pd.concat(tables, ignore_index=True)[
        ["setting", "class", key, "seeds", "difference", "difference_std"]]


def markdown(cells: pd.DataFrame, key: str, values: list) -> str:
    from gandi.report import markdown as markdown_table
    # AnoGAN's score is computed once, on the final networks: no sweet spot chooses it
    where = ("at the label-free sweet spot (AnoGAN: on the final networks)"
             if "anogan" in set(cells["detector"]) else "at the label-free sweet spot")
    text = (f"Test AUC {where} by `{key}`, mean and std over seeds, and "
            f"CPU seconds of the whole run (`tracking_share`, where kept: the share of them "
            f"its tracked steps took).\n\n"
            + markdown_table(by_value(cells, key).round(4)) + "\n")
    differences = paired(cells, key, values)
    if not differences.empty:
        text += (f"\nPaired by seed: AUC with the value minus AUC with `{key}: {values[0]}`."
                 f"\n\n" + markdown_table(differences.round(4)) + "\n")
    return text
