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
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png"))


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
        ax.plot(m["step"], m["d_auc"], "o-", ms=3,
                label="test AUC (diagnostic: uses test labels)")
    if "criterion" in m and sweet_spot:
        ax.plot(m["step"], m["criterion"], "s--", ms=3,
                label=f"label-free criterion ({sweet_spot['criterion']})")
    if sweet_spot:
        ax.axvline(sweet_spot["step"], color="red", ls=":",
                   label=f"sweet spot, step {sweet_spot['step']}")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.set(title="Discriminator as anomaly detector over training", xlabel="step",
           ylabel="AUC", ylim=(-0.02, 1.02))
    ax.legend(fontsize=8)
    return fig


def losses(measurements) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(8, 4))
    for key in ("d_loss", "g_loss"):
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
    allv = np.concatenate(list(parts.values()))
    bins = np.linspace(np.percentile(allv, 0.5), np.percentile(allv, 99.5), 70)
    for name, values in parts.items():
        ax.hist(np.clip(values, bins[0], bins[-1]), bins=bins, density=True, histtype="step",
                lw=1.5, label=name)
    ax.axvline(threshold, color="red", ls="--", label="threshold (validation percentile)")
    ax.axvline(mc, color="purple", ls=":", label="Monte-Carlo threshold (generated)")
    ax.set(title=f"Anomaly scores at the sweet spot (step {step})",
           xlabel="anomaly score = -D(x)  (higher = more anomalous)", ylabel="density")
    ax.legend(fontsize=8)
    return fig


def run_figures(tracker) -> dict:
    """All figures of a run, by file name."""
    m = tracker.measurements
    figures = {"detector_auc": detector_over_training(m, tracker.sweet_spot),
               "losses": losses(m), "generator_goodness_of_fit": goodness_of_fit(m)}
    if tracker.snapshots and tracker.data.normal is not None:
        figures["generator_fit"] = generator_fit(tracker.snapshots, tracker.data.normal,
                                                 tracker.data.validation)
    final = tracker.final_table()
    if not final.empty:
        figures["score_histograms"] = score_histograms(
            tracker.sweet_scores, tracker.data.test_y, final["threshold"].iloc[0],
            final["threshold"].iloc[1], tracker.sweet_spot["step"])
    for fig in figures.values():
        fig.tight_layout()
    return figures


def close(figures: dict):
    """Release pyplot's hold on figures already saved and pickled."""
    for fig in figures.values():
        plt.close(fig)
