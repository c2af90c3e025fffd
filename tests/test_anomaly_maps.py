"""The pieces of anomaly maps and galleries that need no training: which test images a gallery
shows, the pasted-patch set and its measures, and the map pictures (gandi.outputs.galleries,
gandi.data.corruptions.paste_patches, gandi.studies.map_quality, gandi.outputs.map_pictures)."""
import io

import numpy as np
import pytest
from PIL import Image

from conftest import MNIST_DIR, needs_mnist
from gandi.data.corruptions import CHANGED, paste_patches
from gandi.studies.map_quality import mass_inside, pixel_auroc, quality, reference_maps
from gandi.outputs import galleries
from gandi.outputs.map_pictures import grey_rgb, heat, map_scale, overlay, png_bytes, strips


def test_galleries_show_the_extremes_and_the_surest_mistakes():
    rng = np.random.default_rng(0)
    scores = rng.permutation(200).astype(float)  # distinct scores
    labels = (rng.uniform(size=200) < 0.3).astype(int)
    threshold = 120.0
    picked = galleries.picks(scores, labels, threshold)
    order = np.argsort(-scores)
    np.testing.assert_array_equal(picked["most_anomalous"], order[:16])
    np.testing.assert_array_equal(picked["most_normal"], order[::-1][:16])
    fp = [i for i in order if labels[i] == 0 and scores[i] > threshold][:16]
    fn = [i for i in order[::-1] if labels[i] == 1 and scores[i] <= threshold][:16]
    np.testing.assert_array_equal(picked["false_positives"], fp)
    np.testing.assert_array_equal(picked["false_negatives"], fn)
    assert len(fp) == len(fn) == 16
    # a perfect detector with a threshold between the classes makes no mistake to show
    clean = galleries.picks(labels + rng.uniform(0, 0.5, 200), labels, 0.75)
    assert len(clean["false_positives"]) == len(clean["false_negatives"]) == 0


def test_a_gallery_tiles_its_images_in_rows_of_four():
    images = np.linspace(-1, 1, 6 * 5 * 7).reshape(6, 5, 7, 1).astype(np.float32)
    canvas = galleries.tiled(grey_rgb(images))
    gap = galleries.GAP
    assert canvas.shape == (2 * 5 + gap, 4 * 7 + 3 * gap, 3)
    second_row_first = canvas[5 + gap:5 + gap + 5, :7, 0]
    np.testing.assert_allclose(second_row_first, (images[4, ..., 0] + 1) / 2, atol=1e-6)
    assert np.all(canvas[5 + gap:, 2 * (7 + gap):] == 1.0)  # no image 7 or 8: white


def test_a_map_of_zero_leaves_the_image_and_a_strip_holds_input_map_overlay():
    images = np.random.default_rng(1).uniform(-1, 1, (3, 8, 8, 1)).astype(np.float32)
    maps = np.zeros((3, 8, 8), np.float32)
    maps[:, 2:4, 2:4] = 5.0
    out = overlay(images, maps, scale=2.0)
    grey = grey_rgb(images)
    np.testing.assert_allclose(out[:, 5:, 5:], grey[:, 5:, 5:])
    assert not np.allclose(out[:, 2:4, 2:4], grey[:, 2:4, 2:4])  # saturated: mostly colour
    strip = strips(images, maps, 2.0)
    assert strip.shape == (3, 8, 3 * 8 + 4, 3)
    np.testing.assert_allclose(strip[:, :, 10:18], heat(maps, 2.0))
    picture = np.asarray(Image.open(io.BytesIO(png_bytes(strip[0], zoom=3))))
    assert picture.shape == (24, 84, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture[::3, ::3], np.round(strip[0] * 255).astype(np.uint8))


def test_the_colour_scale_is_a_high_percentile_of_normal_maps():
    maps = np.zeros((4, 10, 10))
    maps[0, 0, 0] = 7.0  # 1 pixel of 400: above the 99.5th percentile
    assert map_scale(maps) == 7.0  # the percentile is 0: the maximum instead
    maps = np.random.default_rng(2).uniform(0, 1, (4, 10, 10))
    assert map_scale(maps) == pytest.approx(np.percentile(maps, 99.5))


@needs_mnist
def test_pasted_patches_change_only_their_square_and_maps_are_measured_against_it():
    from gandi.data.images import load_dataset, scaled
    x, y = load_dataset("mnist", data_dir=str(MNIST_DIR))[:2]
    normals = scaled(x[y == 1][:100])[..., None]
    donors = scaled(x[y != 1][:100])[..., None]
    before = normals.copy()
    pasted, masks, boxes = paste_patches(normals, donors, np.random.default_rng(3))
    np.testing.assert_array_equal(normals, before)  # inputs untouched
    assert pasted.shape == normals.shape and masks.shape == normals.shape[:3]
    for i, (y0, x0, h, w) in enumerate(boxes):
        outside = np.ones(masks.shape[1:], bool)
        outside[y0:y0 + h, x0:x0 + w] = False
        np.testing.assert_array_equal(pasted[i][outside], normals[i][outside])
        assert not masks[i][outside].any()
        changed = np.abs(pasted[i] - normals[i]).sum(-1) > CHANGED
        np.testing.assert_array_equal(masks[i], changed)
        assert 8 <= h <= 14  # 0.3-0.5 of 28 pixels
    assert masks.any(axis=(1, 2)).mean() > 0.95  # a patch cut around a donor's strokes
    # the truth as a map is perfect; noise knows nothing; the mean-image residual is between
    assert pixel_auroc(masks.astype(float), masks) == 1.0
    assert mass_inside(masks.astype(float), boxes) == 1.0
    reference = {k: quality(m, masks, boxes) for k, m in
                 reference_maps(pasted, normals, 0).items()}
    assert abs(reference["random map"]["pixel_auroc"] - 0.5) < 0.02
    area = np.mean([h * w / 784 for _, _, h, w in boxes])
    assert abs(reference["random map"]["mass_inside"] - area) < 0.02
    assert reference["mean-image residual"]["pixel_auroc"] > 0.7
