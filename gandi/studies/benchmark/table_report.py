"""The tabular benchmark's report: which rows are of the current settings (setting hashes,
`gandi.settings.fingerprint`), and the tables of mean ± std per table and detector, what the
label-free choice costs, ensembles against their members, and the best gandi detector against
the best classical one."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from gandi.outputs.run_rows import mean_std
from gandi.studies.benchmark.cells import cell_keys, stale_lines, stale_rows
from gandi.studies.benchmark.table_cells import (CHECKPOINT_ENSEMBLE, DETECTOR_ENSEMBLE,
                                                ENSEMBLES, GANDI_DETECTORS, HYBRID_ENSEMBLE,
                                                table_setting)


def current_hashes(cells: pd.DataFrame, quick: bool = False) -> dict:
    """(detector, table, seed) -> the hash of the setting a gandi cell of `cells` runs with now
    (one per detector: the table and the seeds are the cell's place, not its method); a run's
    checkpoint-ensemble row shares its run's."""
    from gandi.settings.fingerprint import setting_hash
    from gandi.settings.validation import validate
    hashes = {d: setting_hash(validate(table_setting(Path("table.npz"), d, 0, quick), d))
              for d in GANDI_DETECTORS}
    current = {}
    for t, s in set(zip(cells["dataset"], cells["seed"].astype(int))):
        for d, h in hashes.items():
            current[(d, t, s)] = current[(f"{d} {CHECKPOINT_ENSEMBLE}", t, s)] = h
    return current


def stale_table_rows(cells: pd.DataFrame, current: dict) -> pd.Series:
    """Rows made by another setting than the current one: a gandi run's rows by their hash, and
    the detector ensembles of a table and seed one of whose runs is stale."""
    stale = stale_rows(cells, current, "dataset")
    redo = {(t, s) for _, t, s in cell_keys(cells[stale], "dataset")}
    places = pd.Series(list(zip(cells["dataset"], cells["seed"].astype(int))), index=cells.index,
                       dtype=object)
    return stale | (cells["detector"].str.startswith(ENSEMBLES)
                    & places.map(lambda place: place in redo))


def fresh_rows(cells: pd.DataFrame, quick: bool = False) -> tuple[pd.DataFrame, str]:
    """(the rows of the current settings, what a report says of the others): what the tables
    of the benchmark and the paper show."""
    stale = stale_table_rows(cells, current_hashes(cells, quick))
    return cells[~stale], stale_lines(cells[stale], cells[~stale], "dataset", ENSEMBLES)


def markdown(cells: pd.DataFrame) -> str:
    """Mean ± std over seeds per table and detector, gandi's detectors first, then the classical
    ones; the mean over tables; and what the label-free choice costs each gandi detector."""
    sets = sorted(cells["dataset"].unique())
    order = (cells.assign(g=cells["family"] != "gandi")
             .drop_duplicates("detector").sort_values("g", kind="stable")["detector"].tolist())
    family = dict(zip(cells["detector"], cells["family"]))
    out = io.StringIO()
    seeds = cells.groupby(["dataset", "detector"])["seed"].nunique().max()
    out.write(f"# Tables (ODDS), semi-supervised: test AUC\n\nUp to {seeds} seed(s) per cell: "
              "mean ± std (n = seeds). gandi's detectors: the step chosen without test labels. "
              "Classical detectors: fitted on the same training normals with the same scaling "
              "(`gandi.detectors.classical`).\n\n")
    # a detector per row (gandi's, with their ensembles, then the classical ones), a table per
    # column, then the mean over the tables every detector ran on
    per_set = cells.groupby(["dataset", "detector"])["auc"].mean().unstack()
    complete = per_set[order].dropna()
    header = ["detector", "family"] + sets + ["mean"]
    out.write("| " + " | ".join(header) + " |\n|" + " --- |" * len(header) + "\n")
    for d in order:
        row = [d, family[d]] + [
            mean_std(cells[(cells["dataset"] == s) & (cells["detector"] == d)]["auc"], show_n=True)
            for s in sets] + [f"{complete[d].mean():.3f}"]
        out.write("| " + " | ".join(row) + " |\n")
    gandi = cells[cells["family"] == "gandi"]
    curves = gandi[gandi["oracle_best_auc"].notna()]  # an ensemble has no training curve
    if len(curves):
        cost = (curves["oracle_best_auc"] - curves["auc"]).groupby(curves["detector"]).mean()
        out.write("\nWhat the label-free choice costs (mean over cells of the oracle-best test "
                  "AUC, chosen WITH test labels, minus the AUC at the chosen step): "
                  + ", ".join(f"{d} {c:.3f}" for d, c in cost.items()) + ".\n")
        out.write(ensemble_lines(complete))
        best_classical = complete[[d for d in order if family[d] == "classical"]].mean()
        best_gandi = complete[[d for d in order if family[d] == "gandi"]].mean()
        if len(best_classical) and len(best_gandi):
            g, c = best_gandi.idxmax(), best_classical.idxmax()
            out.write(f"\nBest gandi detector {g} {best_gandi[g]:.3f} against the best classical "
                      f"{c} {best_classical[c]:.3f} (mean over {len(complete)} tables): "
                      f"{best_gandi[g] - best_classical[c]:+.3f}.\n")
    return out.getvalue()


def ensemble_lines(per_set: pd.DataFrame) -> str:
    """Each ensemble against its best member (mean AUC over the tables, columns = detectors):
    a checkpoint ensemble against its detector, a detector ensemble against the best single
    gandi detector."""
    means = per_set.mean()
    singles = [d for d in GANDI_DETECTORS if d in means]
    lines = []
    for name in [d for d in means.index if CHECKPOINT_ENSEMBLE in d]:
        member = name.replace(f" {CHECKPOINT_ENSEMBLE}", "")
        if member in means:
            lines.append(f"{name} {means[name]:.3f} vs {member} {means[member]:.3f} "
                         f"({means[name] - means[member]:+.3f})")
    best = max(singles, key=lambda d: means[d]) if singles else None
    for name in [d for d in means.index if d.startswith(DETECTOR_ENSEMBLE)]:
        if best:
            lines.append(f"{name} {means[name]:.3f} vs the best single detector {best} "
                         f"{means[best]:.3f} ({means[name] - means[best]:+.3f})")
    # gandi's and the classical detectors together: against the best single one of either
    alone = [d for d in means.index
             if not d.startswith(ENSEMBLES) and CHECKPOINT_ENSEMBLE not in d]
    for name in [d for d in means.index if d.startswith(HYBRID_ENSEMBLE)]:
        if alone:
            top = max(alone, key=lambda d: means[d])
            lines.append(f"{name} {means[name]:.3f} vs the best single detector of either family "
                         f"{top} {means[top]:.3f} ({means[name] - means[top]:+.3f})")
    return ("\nEnsembles against their best member (mean AUC over the tables): "
            + "; ".join(lines) + ".\n") if lines else ""
