"""The paper's family comparison on an image grid: the best discriminator-based detector against
the best of the autoencoder family, class by class (the discriminator issue's goal: at or above
the autoencoder family's best, or the gap stated per class)."""
from __future__ import annotations

import pandas as pd

# scored by D or in D's features
D_BASED = ("discriminator", "discriminator_knn", "discriminator_lof", "fencegan")
AUTOENCODERS = ("autoencoder", "vae", "aae")


def family_gap_line(cells: pd.DataFrame, classes: list) -> str:
    """One line: each family's best detector (by its mean over classes of the mean over seeds,
    among detectors with every class), then per class the first's AUC minus the second's and
    the mean of those; '' when either family has no complete detector."""
    per_class = cells.groupby(["detector", "class"])["auc"].mean().unstack("class")
    complete = per_class[per_class.reindex(columns=classes).notna().all(axis=1)]
    means = complete.reindex(columns=classes).mean(axis=1)
    best = {}
    for family in (D_BASED, AUTOENCODERS):
        found = means[means.index.isin(family)]
        if found.empty:
            return ""
        best[family] = found.idxmax()
    d, a = best[D_BASED], best[AUTOENCODERS]
    gap = complete.loc[d, classes] - complete.loc[a, classes]
    seeds = cells[cells["detector"].isin([d, a])].groupby(["detector", "class"])["seed"].nunique()

    def counted(detector):  # seeds per class: one number, or the range when they differ
        low, high = seeds[detector].min(), seeds[detector].max()
        return f"{low}" if low == high else f"{low}-{high}"
    return (f"- **Discriminator-based against the autoencoder family** (the best of each by "
            f"mean AUC: {d} {means[d]:.3f}, {a} {means[a]:.3f}; seeds per class: {d} "
            f"{counted(d)}, {a} {counted(a)}): {d} minus {a} per class "
            + ", ".join(f"{c} {g:+.3f}" for c, g in gap.items())
            + f"; mean {gap.mean():+.3f}.\n")
