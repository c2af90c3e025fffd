"""Figures of detectors that encode and reconstruct (the autoencoder, VAE and AAE): the test
set's latent codes and input/reconstruction pairs. The detector supplies the data (`codes(x)`,
`reconstruct(x)`); drawing stays with the outputs, so detectors import no plotting code."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from gandi.outputs.plots import show_image, tile

PAIRS = 6  # test images per class in the reconstruction figure


def reconstruction_figures(detector, data, test_scores) -> dict:
    """The test set's latent codes and a few input/reconstruction pairs, for a detector that
    encodes and reconstructs ({} for any other). The networks are those of the last step (the
    Tracker keeps the sweet spot's weights, not the detector)."""
    if not (hasattr(detector, "codes") and hasattr(detector, "reconstruct")):
        return {}
    figures = {}
    if detector.latent_dim >= 2:
        figures["latent_codes"] = latent_codes(detector.codes(data.test_x), data.test_y,
                                               detector.latent_dim, detector.name)
    if data.test_x.ndim == 4:
        figures["reconstructions"] = reconstructions(data.test_x, data.test_y, test_scores,
                                                     detector.reconstruct, detector.name)
    for fig in figures.values():
        fig.tight_layout()
    return figures


def latent_codes(codes, labels, latent_dim: int, detector: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 5.5))
    for label, name, color in ((0, "test normals", "tab:blue"), (1, "test anomalies", "tab:red")):
        ax.scatter(*codes[labels == label, :2].T, s=3, alpha=0.4, color=color, label=name)
    dims = "" if latent_dim == 2 else f" (the first 2 of {latent_dim} dimensions)"
    ax.set(title=f"{detector}: latent codes of the test images{dims}\n"
                 "(colours use test labels: reporting)", xlabel="z[0]", ylabel="z[1]")
    ax.legend(markerscale=4)
    return fig


def reconstructions(test_x, labels, scores, reconstruct, detector: str) -> plt.Figure:
    """PAIRS normal and PAIRS anomalous test images, from the lowest to the highest anomaly
    score of their class: inputs on the top row, reconstructions below."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3))
    for ax, label, name in ((axes[0], 0, "test normals"), (axes[1], 1, "test anomalies")):
        idx = np.flatnonzero(labels == label)
        if not len(idx):  # a test slice without this class: an empty panel, not a crash
            ax.set_axis_off()
            continue
        idx = idx[np.argsort(scores[idx])][np.linspace(0, len(idx) - 1, PAIRS).astype(int)]
        pairs = np.concatenate([test_x[idx], reconstruct(test_x[idx])])
        show_image(ax, tile(pairs, PAIRS))
        ax.set(title=f"{name}, anomaly score rising to the right", xticks=[], yticks=[])
    fig.suptitle(f"{detector}: inputs (top) and reconstructions (bottom) by the last step's "
                 "networks")
    return fig
