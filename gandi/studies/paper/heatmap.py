"""The paper's per-class figure of an image grid: detector x class as a heatmap of the mean
test AUC over seeds, gandi's detectors, the classical ones and the published methods apart.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


# what a grid's class is: the one class of normals, or the one anomaly among nine normal ones
CLASS_AXIS = {"normal_class": "normal class (the other classes are the anomalies)",
              "anomaly_class": "anomaly class (the other classes are normal)"}


def per_class_figure(cells: pd.DataFrame, published: pd.DataFrame, title: str, path: Path,
                     protocol: str = "normal_class"):
    """Detector x class as a heatmap of the mean test AUC over seeds (label-free choice): gandi's
    detectors, then the classical ones, then the published methods, each block apart. Each
    cell says its mean and, with more than one seed, the spread (std), and how many seeds when
    fewer than the grid's others (an unfinished cell); the best of each class (published
    numbers included) is framed. Lines on a colour cycle made two families share a colour at
    ~20 detectors; a grid has room for all."""
    from gandi.outputs import plots
    family = dict(zip(cells["detector"], cells["family"])) if "family" in cells else {}
    blocks = [[d for d in cells["detector"].unique() if family.get(d, "gandi") == f]
              for f in ("gandi", "classical")]
    stats = cells.groupby(["detector", "class"])["auc"].agg(["mean", "std", "count"])
    for method, group in published.groupby("method", sort=False):
        for c, value in group.groupby("class")["value"].mean().items():
            stats.loc[(f"{method} (published)", c), :] = (value, np.nan, 0)
    blocks.append([f"{m} (published)" for m in published["method"].unique()])
    rows = [d for block in blocks for d in block]
    classes = sorted(cells["class"].unique())
    mean = stats["mean"].unstack("class").reindex(index=rows, columns=classes)
    seeds = int(stats["count"].max())  # a finished cell's
    names = 0.06 * max(map(len, rows))  # inches of the longest row name at 7 points
    fig, ax = plots.plt.subplots(figsize=(2.0 + names + 0.75 * len(classes),
                                          1.6 + 0.34 * len(rows)), layout="constrained")
    image = ax.imshow(mean.to_numpy(float), cmap="viridis", aspect="auto",
                      vmin=max(0.5, float(np.nanmin(mean.to_numpy(float)))), vmax=1.0)
    for i, d in enumerate(rows):
        for j, c in enumerate(classes):
            if (d, c) not in stats.index:
                continue
            m, sd, n = stats.loc[(d, c)]
            text = (f"{m:.3f}" + (f"\n±{sd:.3f}" if n > 1 else "")
                    + (f"\n{n:.0f} of {seeds} seeds" if 0 < n < seeds else ""))
            ax.text(j, i, text, ha="center", va="center", fontsize=5.5,
                    color="black" if m > 0.8 else "white")
    for j, c in enumerate(classes):  # the best of each class, framed
        if mean[c].notna().any():
            i = rows.index(mean[c].idxmax())
            ax.add_patch(plots.plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=1.5,
                                             ec="red"))
    edge = 0
    for block in blocks[:-1]:  # lines between gandi's, the classical and the published rows
        edge += len(block)
        if 0 < edge < len(rows):
            ax.axhline(edge - 0.5, color="white", lw=2)
    ax.set(title=title, xlabel=CLASS_AXIS[protocol], xticks=range(len(classes)),
           xticklabels=classes, yticks=range(len(rows)), yticklabels=rows)
    ax.tick_params(labelsize=7)
    fig.colorbar(image, ax=ax, label="test AUC (mean over seeds)")
    plots.save_png(fig, path)
    plots.plt.close(fig)
