"""How well an anomaly map points at the anomaly, measured where the truth is known without new
data: normal test images with a patch of another class's image pasted over them at a known
place (`gandi.data.corruptions.paste_patches`).

- pixel AUROC: the map's values as scores of "this pixel was changed by the paste", pooled
  over every pixel of every image (anomalib's pixel AUROC); 0.5 for a map that knows nothing;
- mass inside: the share of each map's total inside the pasted square, averaged over images;
  a map spread evenly gets the square's share of the image.

Two maps made without a detector are measured on the same images: a random map (uniform noise:
AUROC 0.5 up to sampling) and the residual to the mean training normal, |x - mean(train)| (the
simplest map that knows what normal looks like). The pasted images are test normals and test
images of the other classes, so no label is used to choose anything: labels pick the donors.
"""
from __future__ import annotations

import numpy as np

from gandi.data.corruptions import paste_patches
from gandi.outputs.run_rows import mean_std
from gandi.tracking.metrics import roc_auc

PASTED_IMAGES = 500  # test normals with a pasted patch per measurement


def pasted_patch_set(normals: np.ndarray, donors: np.ndarray, seed: int,
                     n: int = PASTED_IMAGES) -> tuple:
    """(pasted images, changed-pixel masks, boxes) for up to n of `normals` (the first n), each
    with a patch of one of `donors` (images of other classes)."""
    rng = np.random.default_rng(seed)
    return paste_patches(normals[:n], donors, rng)


def pixel_auroc(maps, masks) -> float:
    """AUROC of the map values against the changed pixels, pooled over all pixels of all
    images."""
    return roc_auc(np.asarray(masks).ravel().astype(int), np.asarray(maps, np.float64).ravel())


def mass_inside(maps, boxes) -> float:
    """Mean over images of the share of the map's total inside the pasted square (the images
    whose map is 0 everywhere count as 0)."""
    maps = np.asarray(maps, np.float64)
    shares = []
    for m, (y, x, h, w) in zip(maps, boxes):
        total = m.sum()
        shares.append(m[y:y + h, x:x + w].sum() / total if total > 0 else 0.0)
    return float(np.mean(shares))


def quality(maps, masks, boxes) -> dict:
    """{"pixel_auroc", "mass_inside"} of maps (n, h, w) on a pasted-patch set."""
    return {"pixel_auroc": pixel_auroc(maps, masks), "mass_inside": mass_inside(maps, boxes)}


def reference_maps(pasted: np.ndarray, train: np.ndarray, seed: int) -> dict:
    """The maps made without a detector: {"random map", "mean-image residual"} (n, h, w)."""
    rng = np.random.default_rng(seed)
    mean = np.asarray(train, np.float64).mean(axis=0)
    return {"random map": rng.uniform(size=pasted.shape[:3]),
            "mean-image residual": np.abs(pasted - mean).sum(axis=-1)}


# ----- a finished run's maps on a pasted-patch set (benchmarks/anomaly_maps.py) ----------------

COLUMNS = ["detector", "family", "seed", "pixel_auroc", "mass_inside", "image_auroc",
           "signature", "seconds"]  # family: gandi (a run's map) or reference (no detector)


def run_maps(run, setting: dict) -> dict:
    """{detector row: maps(x)} of a finished run on images: its tracked detector at the sweet
    spot (the exported networks), and its final scorers' maps on the final networks (the last
    checkpoint), e.g. AnoGAN's."""
    from gandi.detectors import DETECTORS
    from gandi.detectors.base import Detector
    from gandi.training.device import compute_device
    from gandi.outputs.checkpoints import Checkpoints
    from gandi.score.exported import rebuild_detector
    cls = DETECTORS[setting["detector"]]
    shape = (setting["image_size"], setting["image_size"], setting["channels"])
    sweet = rebuild_detector(run, setting, cls, shape)
    out = {cls.tracked_name: (sweet.anomaly_map, sweet.score)}
    if cls.final_maps is not Detector.final_maps:  # costly maps on the final networks
        with compute_device():
            final = cls(setting, shape)
        Checkpoints(run.checkpoints, final.checkpoint_objects(), 1).restore_latest()
        scorers = final.final_scorers()
        for name, (_, maps) in final.final_maps().items():
            out[name] = (maps, scorers[name])
    return out


def measure_run(run, setting: dict, data, seed: int) -> list[dict]:
    """Rows of COLUMNS (without signature and seconds) for each map of a finished run, measured
    on the pasted-patch set of `data`'s test normals and anomalies (the donors); image_auroc is
    the detector's score telling the pasted images from the same normals unpasted."""
    from gandi.tracking.metrics import separation_auc
    normals, (pasted, masks, boxes) = _test_pasted_set(data, seed)
    rows = []
    for name, (maps, score) in run_maps(run, setting).items():
        rows.append({"detector": name, "family": "gandi", "seed": seed,
                     **quality(maps(pasted), masks, boxes),
                     "image_auroc": separation_auc(score(normals), score(pasted))})
    return rows


def _test_pasted_set(data, seed: int) -> tuple:
    """(the test normals used, their pasted-patch set), the donors being the test anomalies."""
    normals = data.test_x[data.test_y == 0][:PASTED_IMAGES]
    return normals, pasted_patch_set(normals, data.test_x[data.test_y == 1], seed)


def reference_rows(data, seed: int) -> list[dict]:
    """The maps made without a detector, on the same pasted-patch set as `measure_run`."""
    _, (pasted, masks, boxes) = _test_pasted_set(data, seed)
    return [{"detector": name, "family": "reference", "seed": seed,
             **quality(maps, masks, boxes), "image_auroc": np.nan}
            for name, maps in reference_maps(pasted, data.train, seed).items()]


def markdown(cells, title: str) -> str:
    """The per-detector table (mean ± std over seeds) of a map-quality CSV."""
    def cell(values):
        return mean_std(values) or "-"
    lines = [f"### {title}", "",
             "| map | family | seeds | pixel AUROC | mass inside the patch | image AUROC |",
             "|---|---|---|---|---|---|"]
    order = cells.groupby("detector")["pixel_auroc"].mean().sort_values(ascending=False).index
    for name in order:
        rows = cells[cells["detector"] == name]
        lines.append(f"| {name} | {rows['family'].iloc[0]} | {rows['seed'].nunique()} | "
                     f"{cell(rows['pixel_auroc'])} | {cell(rows['mass_inside'])} | "
                     f"{cell(rows['image_auroc'])} |")
    return "\n".join(lines) + "\n"
