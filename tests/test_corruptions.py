"""Synthetic anomalies for the label-free sweet spot on images (gandi.data.corruptions), on a
real MNIST slice: they change the digit, stay in the pixel range, are seeded, and are farther from
the normals than held-out normals are."""
import numpy as np
import pytest

from conftest import MNIST_DIR, TEST_SEED, needs_mnist
from gandi.data.corruptions import corrupt
from gandi.data.images import read_idx
from gandi.metrics import separation_auc


@pytest.fixture(scope="module")
def sevens():
    x = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")[:6000]
    y = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")[:6000]
    return (x[y == 7].astype(np.float32) / 127.5 - 1.0)[..., None]  # the suite's scaling


@needs_mnist
def test_corruptions_change_the_digit_within_range_and_are_seeded(sevens, record_property):
    """Share of the images changed over seeds 0-4 (GANDI_TEST_SEED): 0.997, 1.0, 0.993, 1.0,
    1.0 (bound: > 0.95)."""
    images = sevens[:300]
    before = images.copy()
    out = corrupt(images, np.random.default_rng(TEST_SEED))
    np.testing.assert_array_equal(images, before)  # the input is left alone
    assert out.shape == images.shape and out.dtype == images.dtype
    assert out.min() >= images.min() and out.max() <= images.max()
    changed = np.abs(out - images).reshape(len(images), -1).max(axis=1) > 0.5
    record_property("changed_share", changed.mean())
    assert changed.mean() > 0.95, f"only {changed.mean():.0%} of the images changed"
    np.testing.assert_array_equal(out, corrupt(images, np.random.default_rng(TEST_SEED)))
    assert not np.array_equal(out, corrupt(images, np.random.default_rng(TEST_SEED + 1)))


@needs_mnist
def test_corrupted_normals_are_farther_from_normals_than_held_out_normals(sevens,
                                                                          record_property):
    """A plain nearest-neighbour distance to training sevens separates corrupted sevens from
    held-out sevens: the corruptions make near-normal images that are not normal. AUC over seeds
    0-4 (GANDI_TEST_SEED): 0.871, 0.869, 0.868, 0.865, 0.854 (bound: > 0.8)."""
    train, held_out = sevens[:400].reshape(400, -1), sevens[400:600]
    corrupted = corrupt(held_out, np.random.default_rng(TEST_SEED))

    def distance(x):
        x = x.reshape(len(x), -1)
        d2 = (x ** 2).sum(1)[:, None] - 2 * x @ train.T + (train ** 2).sum(1)[None, :]
        return np.sqrt(np.maximum(d2.min(axis=1), 0))

    auc = separation_auc(distance(held_out), distance(corrupted))
    record_property("separation_auc", auc)
    assert auc > 0.8


def test_corrupt_rejects_vectors():
    with pytest.raises(ValueError, match="images"):
        corrupt(np.zeros((5, 3)), np.random.default_rng(0))
