"""Synthetic anomalies made from normal data (images or vectors), for choosing a checkpoint
without any label.

On images, uniform noise is told apart from normals by every detector from the first steps on, so
the `val_vs_uniform` criterion sits at 1.0 and cannot rank checkpoints. What goes wrong late in
training is subtler: an autoencoder learns to reconstruct everything, a discriminator stops
rejecting near-normal images. Corrupted normals are near-normal images that are NOT normal; how
well a detector tells validation normals from them is a label-free proxy for how well it tells
normals from real anomalies (the idea behind CutPaste, Li et al. 2021, and Tax & Duin's
artificial outliers). Only held-out normal images go in: no anomaly and no test label.

Each corrupted image gets one of four corruptions, drawn with the setting's seed:
- `cutpaste`: a patch of the image pasted elsewhere in it;
- `overlay`: the pixel-wise maximum of the image and another normal image;
- `rotate`: the image turned by 90 or 270 degrees;
- `erase`: a patch set to the image's background (its minimum value).

On vectors (tables, distributions) the bounding-box noise of `val_vs_uniform` saturates the same
way: in 20+ dimensions a detector rejects the widened box almost at once, so the criterion sits at
1.0 and ties go to the latest step. Corrupted vectors stay near the data instead. Each validation
normal gets one of two corruptions on a random subset of its features:
- `swap`: the subset's values taken from another normal (each feature's marginal distribution is
  kept; only the dependence between features is broken), on 2 or more features;
- `jitter`: the subset moved by Gaussian noise scaled by each feature's spread (on 1-D data, the
  only corruption).
The strength is drawn per vector over a wide range (1 feature up to half of them; noise from
0.1 to 2 standard deviations), so that the criterion neither starts at 0.5 nor reaches 1.0 for a
detector that is merely reasonable: the weakest corruptions are nearly normal, and only a detector
that is still improving keeps catching more of them.

`paste_patches` makes anomalies whose place is known (a patch of another class's image pasted
over the object, with the mask of the pixels it changed): not a criterion, the ground truth
against which `gandi.studies.map_quality` measures anomaly maps.
"""
from __future__ import annotations

import numpy as np

CORRUPTIONS = ("cutpaste", "overlay", "rotate", "erase")
PATCH_FRACTION = (0.25, 0.45)  # patch side as a fraction of the image side


# paste_patches: anomalies at a known place, for scoring anomaly maps (gandi.studies.map_quality)
PASTED_FRACTION = (0.3, 0.5)  # the pasted patch's side, as a fraction of the image side
CHANGED = 0.1  # a pixel the paste changed by more (summed over channels, of the range [-1, 1])

VECTOR_CORRUPTIONS = ("swap", "jitter")
JITTER_SCALE = (0.1, 2.0)  # the noise's standard deviation, in each feature's own (drawn log-uniform)


def corrupt(data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One corrupted copy of each row of `data`: images (N, H, W, C) or vectors (N, D); the input
    is not changed."""
    if data.ndim == 4:
        return corrupt_images(data, rng)
    if data.ndim == 2:
        return corrupt_vectors(data, rng)
    raise ValueError(f"corrupt() takes images (N, H, W, C) or vectors (N, D), got shape "
                     f"{data.shape}")


def corrupt_vectors(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One corrupted copy of each vector of `vectors` (N, D): a random subset of its features
    swapped with another vector's or jittered (module docstring)."""
    n, dims = vectors.shape
    out = vectors.copy()
    # a constant feature (every value the same: its float deviation may be ~1e-16, not 0)
    # still moves when jittered
    spread = np.where(np.ptp(vectors, axis=0) > 0, vectors.std(axis=0), 1.0)
    kinds = rng.integers(len(VECTOR_CORRUPTIONS), size=n) if dims > 1 else np.ones(n, int)
    partners = (np.arange(n) + rng.integers(1, max(n, 2), size=n)) % n
    for i, kind in enumerate(kinds):
        subset = rng.choice(dims, size=rng.integers(1, max(1, dims // 2) + 1), replace=False)
        if VECTOR_CORRUPTIONS[kind] == "swap" and n > 1:
            out[i, subset] = vectors[partners[i], subset]
        else:
            scale = np.exp(rng.uniform(*np.log(JITTER_SCALE)))
            out[i, subset] += (rng.normal(size=len(subset)) * scale * spread[subset]).astype(
                vectors.dtype)
    return out


def corrupt_images(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One corrupted copy of each image of `images` (N, H, W, C); the input is not changed."""
    out = images.copy()
    n, height, width, _ = images.shape
    kinds = rng.integers(len(CORRUPTIONS), size=n)
    partners = (np.arange(n) + rng.integers(1, max(n, 2), size=n)) % n  # another image
    for i, kind in enumerate(kinds):
        name = CORRUPTIONS[kind]
        if name == "overlay" and n > 1:
            out[i] = np.maximum(images[i], images[partners[i]])
        elif name == "rotate" and height == width:
            out[i] = np.rot90(images[i], k=rng.choice((1, 3)), axes=(0, 1))
        else:  # a patch: pasted from elsewhere (cutpaste) or erased (and the fall-backs)
            ph, pw = (max(1, int(round(side * rng.uniform(*PATCH_FRACTION))))
                      for side in (height, width))
            y, x = _over_foreground(images[i], ph, pw, rng)
            if name == "erase":
                out[i, y:y + ph, x:x + pw] = images[i].min()
            else:
                sy, sx = rng.integers(height - ph + 1), rng.integers(width - pw + 1)
                out[i, y:y + ph, x:x + pw] = images[i, sy:sy + ph, sx:sx + pw]
    return out


def paste_patches(images: np.ndarray, donors: np.ndarray, rng: np.random.Generator,
                  fraction=PASTED_FRACTION) -> tuple:
    """Anomalies whose place is known, for measuring anomaly maps: each image (N, H, W, C) with a
    square patch of a donor image (e.g. one of another class) pasted over its object. The patch
    (a side `fraction` of the image's, drawn per image) is cut around a foreground pixel of a
    random donor, so it carries strokes, and pasted around one of the image's. Returns (pasted
    images, masks (N, H, W) of the pixels the paste changed by more than CHANGED, boxes (N, 4)
    as (y, x, height, width)); the inputs are not changed."""
    out = images.copy()
    n, height, width, _ = images.shape
    boxes = np.zeros((n, 4), int)
    for i in range(n):
        side = max(1, int(round(min(height, width) * rng.uniform(*fraction))))
        donor = donors[rng.integers(len(donors))]
        dy, dx = _over_foreground(donor, side, side, rng)
        y, x = _over_foreground(images[i], side, side, rng)
        out[i, y:y + side, x:x + side] = donor[dy:dy + side, dx:dx + side]
        boxes[i] = y, x, side, side
    masks = np.abs(out - images).sum(axis=-1) > CHANGED
    return out, masks, boxes


def _over_foreground(image: np.ndarray, ph: int, pw: int, rng: np.random.Generator):
    """Top-left corner of a ph x pw patch centred on a random foreground pixel (brighter than
    the image's mean), so that pasting or erasing changes the object, not an empty border."""
    height, width = image.shape[:2]
    ys, xs = np.nonzero(image.mean(axis=-1) > image.mean())
    if len(ys) == 0:  # a flat image: anywhere
        return rng.integers(height - ph + 1), rng.integers(width - pw + 1)
    k = rng.integers(len(ys))
    return (int(np.clip(ys[k] - ph // 2, 0, height - ph)),
            int(np.clip(xs[k] - pw // 2, 0, width - pw)))
