"""Galleries of test images at the chosen step: what a detector flags most and least, and what
it gets wrong at its label-free threshold, each image with its score and, where the detector has
an anomaly map, the map laid over it (`map_pictures`, on the run's one colour scale).

The two galleries ranked by score use no label. The false positives (test normals above the
threshold) and false negatives (test anomalies at or below it) need test labels: they are drawn
to show the detector's errors, never to choose anything, and their titles say so.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from gandi.outputs.map_pictures import grey_rgb, overlay

SHOWN = 16       # images per gallery
COLUMNS = 4
GAP = 2          # pixels between tiles
GALLERIES = {
    "most_anomalous": "the {n} most anomalous test images (ranked by score; no label used)",
    "most_normal": "the {n} most normal test images (ranked by score; no label used)",
    "false_positives": "false positives: test normals scored above the threshold\n"
                       "(test labels used to show, never to choose)",
    "false_negatives": "false negatives: test anomalies at or below the threshold\n"
                       "(test labels used to show, never to choose)",
}


def picks(scores, labels, threshold: float) -> dict:
    """{gallery: indices of its test images, most telling first}: the highest and lowest
    scores; the normals scored highest above the threshold; the anomalies scored lowest at or
    below it (the detector's surest mistakes)."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    order = np.argsort(-scores, kind="stable")  # most anomalous first
    flagged = scores[order] > threshold
    return {"most_anomalous": order[:SHOWN],
            "most_normal": order[::-1][:SHOWN],
            "false_positives": order[flagged & (labels[order] == 0)][:SHOWN],
            "false_negatives": order[::-1][~flagged[::-1] & (labels[order][::-1] == 1)][:SHOWN]}


def tiled(pictures: np.ndarray, columns: int = COLUMNS) -> np.ndarray:
    """(n, h, w, 3) pictures in rows of `columns`, white gaps: one (H, W, 3) picture."""
    n, h, w, _ = pictures.shape
    rows = max(1, int(np.ceil(n / columns)))
    canvas = np.ones((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP, 3), np.float32)
    for i, picture in enumerate(pictures):
        r, c = divmod(i, columns)
        canvas[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = picture
    return canvas


def gallery_pictures(test_x, scores, labels, threshold: float, maps_of=None,
                     scale: float | None = None) -> dict:
    """{gallery: (indices, tiled picture or None when empty)}; with `maps_of(x) -> (n, h, w)`
    and its colour `scale`, each image carries its map, computed for the shown images only."""
    chosen = picks(scores, labels, threshold)
    shown = np.unique(np.concatenate(list(chosen.values()))).astype(int)
    maps = ({} if maps_of is None or not len(shown) else  # a diverged network: no colour
            dict(zip(shown, np.nan_to_num(maps_of(test_x[shown]), nan=0.0, posinf=0.0))))
    out = {}
    for gallery, idx in chosen.items():
        if not len(idx):
            out[gallery] = (idx, None)
            continue
        images = test_x[idx]
        pictures = (overlay(images, np.stack([maps[i] for i in idx]), scale) if maps
                    else grey_rgb(images))
        out[gallery] = (idx, tiled(pictures))
    return out


def gallery_figure(pictures: dict, scores, threshold: float, detector: str, step,
                   map_name: str | None, scale: float | None) -> plt.Figure:
    """The four galleries of one detector in one figure, each image titled with its score."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 11))
    for ax, (gallery, (idx, canvas)) in zip(axes.flat, pictures.items()):
        ax.set_title(GALLERIES[gallery].format(n=SHOWN), fontsize=9)
        ax.set(xticks=[], yticks=[])
        if canvas is None:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
            continue
        ax.imshow(canvas, interpolation="nearest")
        rows = -(-len(idx) // COLUMNS)  # the tile size, from the canvas `tiled` made
        h, w = (canvas.shape[0] + GAP) // rows - GAP, (canvas.shape[1] + GAP) // COLUMNS - GAP
        for k, i in enumerate(idx):
            r, c = divmod(k, COLUMNS)
            ax.text(c * (w + GAP) + 1, r * (h + GAP) + 1, f"{scores[i]:.3g}", fontsize=7,
                    color="white", va="top", ha="left",
                    bbox=dict(facecolor="black", alpha=0.6, pad=0.5, lw=0))
    shown = (f"map: {map_name}, colour 0 to {scale:.3g} (a validation normal's 99.5th "
             "percentile)" if map_name else "no anomaly map")
    fig.suptitle(f"{detector} at step {step}: scores (top left of each image), threshold "
                 f"{threshold:.4g} (label-free)\n{shown}", fontsize=10)
    fig.tight_layout()
    return fig


def run_galleries(final, final_scores: dict, maps: dict, test_x, test_y, board) -> tuple:
    """(figures, summary): a gallery figure per detector row of the `final` table (not the
    Monte-Carlo threshold's: the discriminator's scores), on images, and per row what it shows
    (step, threshold, map, the test indices of each gallery); the same pictures go to
    TensorBoard (`board.galleries`) at the row's step. `maps`: {row: (map name, maps(x),
    colour scale)} for the rows that have anomaly maps."""
    if test_x.ndim != 4 or not len(final):
        return {}, {}
    figures, summary = {}, {}
    rows = final.set_index("detector")
    for name, s in final_scores.items():
        if name == "mc_threshold":
            continue
        map_name, maps_of, scale = maps.get(name, (None, None, None))
        threshold, step = float(rows.loc[name, "threshold"]), int(rows.loc[name, "step"])
        pictures = gallery_pictures(test_x, s["test"], test_y, threshold, maps_of, scale)
        figures[f"gallery_{name.replace(' ', '_')}"] = gallery_figure(
            pictures, s["test"], threshold, name, step, map_name, scale)
        summary[name] = {"step": step, "threshold": threshold, "map_name": map_name,
                         "map_scale": scale, "test_indices": {
                             gallery: idx.tolist() for gallery, (idx, _) in pictures.items()}}
        board.galleries(name, step, pictures, map_name)
    return figures, summary
