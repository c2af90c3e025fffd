"""A run's figures, built from plain data (measurements, samples, scores): PNG files and pickled.

Every figure that shows a quantity computed with test labels says so in its title.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from statsmodels.distributions.empirical_distribution import ECDF  # noqa: E402

from gandi.outputs.run_folder import atomic_save  # noqa: E402


def save_png(fig, path):
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))


def _grid(distribution, samples_list, n=400):
    lo = min(np.percentile(s, 0.5) for s in samples_list)
    hi = max(np.percentile(s, 99.5) for s in samples_list)
    pad = 0.1 * (hi - lo + 1e-6)
    return np.linspace(lo - pad, hi + pad, n)


def generator_fit(snapshots: dict, distribution, reference) -> plt.Figure:
    """Generated samples at several steps against the true PDF and CDF (1-D) or density (2-D)."""
    steps = sorted(snapshots)
    if distribution.dim == 1:
        fig, (ax_pdf, ax_cdf) = plt.subplots(1, 2, figsize=(12, 4.5))
        xs = _grid(distribution, [reference] + [snapshots[s] for s in steps])
        ax_pdf.plot(xs, distribution.pdf(xs), "k-", lw=2.5, label="true pdf")
        ax_cdf.plot(xs, distribution.cdf(xs), "k-", lw=2.5, label="true cdf")
        colors = plt.cm.viridis(np.linspace(0, 1, len(steps)))
        for color, step in zip(colors, steps):
            sample = snapshots[step].reshape(-1)
            ax_pdf.hist(sample, bins=60, range=(xs[0], xs[-1]), density=True, histtype="step",
                        color=color, label=f"G, step {step}")
            ax_cdf.plot(xs, ECDF(sample)(xs), color=color, label=f"G, step {step}")
        ax_pdf.set(title="Generator PDF over training", xlabel="x", ylabel="density")
        ax_cdf.set(title="Generator CDF over training", xlabel="x", ylabel="P(X <= x)")
        ax_pdf.legend(fontsize=7)
        ax_cdf.legend(fontsize=7)
        return fig
    fig, axes = plt.subplots(1, len(steps), figsize=(3.2 * len(steps), 3.4), squeeze=False)
    pts = np.concatenate([reference] + [snapshots[s] for s in steps])
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
    density = distribution.pdf(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    for ax, step in zip(axes[0], steps):
        ax.contour(gx, gy, density, levels=6, colors="k", linewidths=0.8)
        ax.scatter(*snapshots[step][:800].T, s=3, alpha=0.5)
        ax.set(title=f"G, step {step}", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    fig.suptitle("Generated samples (dots) against the true density (contours)")
    return fig


def detector_over_training(measurements, sweet_spot) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    m = measurements
    if "d_auc" in m:
        rows = (sweet_spot or {}).get("curve_bank_rows")
        ax.plot(m["step"], m["d_auc"], "o-", ms=3,
                label="test AUC (diagnostic: uses test labels)" + (
                    f"; the curve against {rows:,} bank rows, the final table all" if rows
                    else ""))
    if "criterion" in m and sweet_spot:
        ax.plot(m["step"], m["criterion"], "s--", ms=3,
                label=f"label-free criterion ({sweet_spot['criterion']})")
    if sweet_spot:
        ax.axvline(sweet_spot["step"], color="red", ls=":",
                   label=f"sweet spot, step {sweet_spot['step']}")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.set(title="The detector over training", xlabel="step",
           ylabel="AUC", ylim=(-0.02, 1.02))
    ax.legend(fontsize=8)
    return fig


def losses(measurements, names) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 4))
    for key in names:
        if key in measurements:
            ax.plot(measurements["step"], measurements[key], label=key)
    ax.set(title="Losses (mean over each tracking interval)", xlabel="step", ylabel="loss")
    ax.legend()
    return fig


def goodness_of_fit(measurements) -> plt.Figure:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, key, title in ((axes[0], "ks_stat", "KS statistic vs true CDF"),
                           (axes[1], "wasserstein", "Wasserstein distance"),
                           (axes[2], "ad_stat", "Anderson-Darling A^2 vs true CDF")):
        if key in measurements:
            ax.plot(measurements["step"], measurements[key])
            ax.set_yscale("log")
        ax.set(title=title, xlabel="step")
    fig.suptitle("Generator goodness of fit (lower = closer to the truth)")
    return fig


def score_histograms(scores: dict, labels, threshold, mc, step) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    test = scores["test"]
    parts = {"validation normals": scores["validation"], "generated": scores["generated"],
             "test normals": test[labels == 0], "test anomalies": test[labels == 1]}
    parts = {name: values for name, values in parts.items() if values is not None}
    allv = np.concatenate(list(parts.values()))
    bins = np.linspace(np.percentile(allv, 0.5), np.percentile(allv, 99.5), 70)
    for name, values in parts.items():
        ax.hist(np.clip(values, bins[0], bins[-1]), bins=bins, density=True, histtype="step",
                lw=1.5, label=name)
    ax.axvline(threshold, color="red", ls="--", label="threshold (validation percentile)")
    if mc is not None:
        ax.axvline(mc, color="purple", ls=":", label="Monte-Carlo threshold (generated)")
    ax.set(title=f"Anomaly scores at the sweet spot (step {step})",
           xlabel="anomaly score (higher = more anomalous)", ylabel="density")
    ax.legend(fontsize=8)
    return fig


def image_grid(snapshots: dict, columns: int = 8) -> plt.Figure:
    """Generated images over training: one panel of up to `columns`^2 images per snapshot."""
    steps = sorted(snapshots)
    fig, axes = plt.subplots(1, len(steps), figsize=(3.2 * len(steps), 3.5), squeeze=False)
    for ax, step in zip(axes[0], steps):
        show_image(ax, tile(snapshots[step], columns))
        ax.set(title=f"G, step {step}", xticks=[], yticks=[])
    fig.suptitle("Generated images over training")
    return fig


def show_image(ax, pixels: np.ndarray):
    """An image (or a tile of them) in the networks' range [-1, 1]: grey on a fixed grey scale;
    colour mapped to [0, 1], as imshow needs for RGB (it would clip [-1, 0) to black)."""
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 2:
        ax.imshow(pixels, cmap="gray", vmin=-1, vmax=1)
    else:
        ax.imshow(np.clip((pixels + 1.0) / 2.0, 0.0, 1.0))


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    images = images[: columns * columns, ..., 0] if images.shape[-1] == 1 else images[: columns ** 2]
    n, h, w = images.shape[:3]
    rows = int(np.ceil(n / columns))
    canvas = np.full((rows * h, columns * w) + images.shape[3:], -1.0)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * h:(r + 1) * h, c * w:(c + 1) * w] = image
    return canvas


def roc_and_pr_curves(labels, test_scores: dict) -> plt.Figure:
    """ROC and precision-recall curves of every detector (these use test labels: reporting)."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(12, 5))
    for name, scores in test_scores.items():
        fpr, tpr, _ = roc_curve(labels, scores)
        precision, recall, _ = precision_recall_curve(labels, scores)
        ax_roc.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
        ax_pr.plot(recall, precision, label=name)
    ax_roc.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax_roc.set(title="ROC on the test set", xlabel="false positive rate", ylabel="true positive rate")
    ax_pr.axhline(np.mean(labels), color="grey", lw=0.8, label="anomaly fraction")
    ax_pr.set(title="Precision-recall on the test set", xlabel="recall", ylabel="precision")
    ax_roc.legend(fontsize=8)
    ax_pr.legend(fontsize=8)
    return fig


def example_images(test_x, labels, scores, threshold, detector: str) -> plt.Figure:
    """The most typical normal and anomalous test image (median score of each) with scores."""
    fig, axes = plt.subplots(1, 2, figsize=(6, 3.4))
    for ax, label, title in ((axes[0], 0, "normal"), (axes[1], 1, "anomaly")):
        idx = np.flatnonzero(labels == label)
        pick = idx[np.argsort(scores[idx])[len(idx) // 2]]
        image = test_x[pick]
        show_image(ax, image)
        flagged = "flagged" if scores[pick] > threshold else "not flagged"
        ax.set(title=f"test {title}: score {scores[pick]:.3g}\n({flagged})", xticks=[], yticks=[])
    fig.suptitle(f"{detector}: a typical normal and anomalous test image (threshold {threshold:.3g})",
                 fontsize=9)
    return fig


def run_figures(m, sweet_spot: dict | None, snapshots: dict, data, loss_names,
                tracked_name: str, final, final_scores: dict) -> dict:
    """All figures of a run, by file name: from its measurements `m` (one row per tracked
    step), sweet spot, generator snapshots, data splits and final table with its scores."""
    figures = {"detector_auc": detector_over_training(m, sweet_spot),
               "losses": losses(m, loss_names)}
    if "ks_stat" in m:  # a generator fitted to a known distribution
        figures["generator_goodness_of_fit"] = goodness_of_fit(m)
    if snapshots:
        if data.test_x.ndim == 2 and data.normal is not None:
            figures["generator_fit"] = generator_fit(snapshots, data.normal, data.validation)
        elif data.test_x.ndim == 4:
            figures["generated_images"] = image_grid(snapshots)
    if len(final):
        thresholds = final.set_index("detector")["threshold"]
        if tracked_name in final_scores:
            figures["score_histograms"] = score_histograms(
                final_scores[tracked_name], data.test_y, thresholds[tracked_name],
                thresholds.get("mc_threshold"), sweet_spot["step"])
        figures["roc_pr_curves"] = roc_and_pr_curves(
            data.test_y, {name: s["test"] for name, s in final_scores.items()
                          if name != "mc_threshold"})  # same scores as the discriminator
        if data.test_x.ndim == 4:
            for name, s in final_scores.items():
                figures[f"examples_{name}"] = example_images(data.test_x, data.test_y, s["test"],
                                                             thresholds[name], name)
    for fig in figures.values():
        fig.tight_layout()
    return figures


def close(figures: dict):
    """Release pyplot's hold on figures already saved and pickled."""
    for fig in figures.values():
        plt.close(fig)
