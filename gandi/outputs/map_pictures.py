"""Anomaly maps as pictures: a map in colour on a fixed scale, laid over its image, and the
input | map | overlay strip that `gandi score --maps` writes per image.

A map's colours run from 0 to a scale chosen without labels: `map_scale`, a high percentile of
the maps of validation normals (what a normal image's map reaches), saved with the run's
thresholds, so that every picture of a run uses one scale and a bright map means more than
"brightest in this image". Values above it saturate.
"""
from __future__ import annotations

import io

import numpy as np

MAP_SCALE_PERCENTILE = 99.5  # of all pixels of the validation normals' maps
MAP_SCALE_IMAGES = 64        # validation normals mapped to choose the scale
OVERLAY_ALPHA = 0.65         # the map's weight where it reaches the scale (0 where it is 0)
COLORMAP = "inferno"


def map_scale(maps: np.ndarray) -> float:
    """The colour scale of a run's maps: MAP_SCALE_PERCENTILE of the validation normals' map
    values (`maps`), or their maximum when that is 0 (a map that is 0 almost everywhere)."""
    maps = np.asarray(maps, np.float64)
    if not maps.size or not np.all(np.isfinite(maps)):
        return 1.0
    scale = float(np.percentile(maps, MAP_SCALE_PERCENTILE))
    return scale if scale > 0 else (float(maps.max()) or 1.0)


def unit_range(images: np.ndarray) -> np.ndarray:
    """Images in the networks' range [-1, 1] -> [0, 1] (what pictures and tf.summary.image
    take), float32."""
    return np.clip((np.asarray(images, np.float32) + 1.0) / 2.0, 0.0, 1.0)


def grey_rgb(images: np.ndarray) -> np.ndarray:
    """Images in the networks' range [-1, 1], (n, h, w, c), as RGB in [0, 1], (n, h, w, 3)."""
    unit = unit_range(images)
    return np.repeat(unit, 3, axis=-1) if unit.shape[-1] == 1 else unit[..., :3]


def heat(maps: np.ndarray, scale: float) -> np.ndarray:
    """(n, h, w) maps coloured on [0, scale]: (n, h, w, 3) in [0, 1]."""
    import matplotlib
    level = np.clip(np.asarray(maps, np.float32) / scale, 0.0, 1.0)
    return matplotlib.colormaps[COLORMAP](level)[..., :3].astype(np.float32)


def overlay(images: np.ndarray, maps: np.ndarray, scale: float) -> np.ndarray:
    """Each image with its map laid over it, opaque where the map is high: (n, h, w, 3)."""
    alpha = OVERLAY_ALPHA * np.clip(np.asarray(maps, np.float32) / scale, 0.0, 1.0)[..., None]
    return (1.0 - alpha) * grey_rgb(images) + alpha * heat(maps, scale)


def strips(images: np.ndarray, maps: np.ndarray, scale: float, gap: int = 2) -> np.ndarray:
    """Per image: input | map | overlay side by side, white gaps: (n, h, 3w + 2 gap, 3)."""
    n, h, w = np.shape(maps)
    white = np.ones((n, h, gap, 3), np.float32)
    return np.concatenate([grey_rgb(images), white, heat(maps, scale), white,
                           overlay(images, maps, scale)], axis=2)


def png_bytes(rgb: np.ndarray, zoom: int = 1) -> bytes:
    """An RGB picture in [0, 1] as PNG bytes, each pixel repeated `zoom` times per side."""
    from PIL import Image
    pixels = np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)
    if zoom > 1:
        pixels = pixels.repeat(zoom, axis=0).repeat(zoom, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()
