"""The classical detectors: gandi's polarity (higher = more anomalous), fitted on normals only,
and good where the answer is known: a shifted cluster, and a real ODDS table on which every one
of them is published well above chance."""
import numpy as np
import pytest

from conftest import TABULAR_DIR, needs_tabular
from gandi.detectors.classical import CLASSICAL, ECOD
from gandi.tracking.metrics import roc_auc


@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_points_off_the_normals_plane_score_higher_than_held_out_normals(name):
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(2, 5))
    normal = lambda n: rng.normal(size=(n, 2)) @ plane + 0.05 * rng.normal(size=(n, 5))  # noqa
    train, normals = normal(400), normal(100)
    anomalies = normal(100) + rng.choice([-5.0, 5.0], size=(100, 5))  # off the plane, far
    detector = CLASSICAL[name](seed=0).fit(train)
    scores = detector.score(np.concatenate([normals, anomalies]))
    assert scores.shape == (200,) and np.all(np.isfinite(scores))
    # 5 units per feature off a plane the normals leave by 0.05, in the marginal tails too (ECOD
    # sees features one at a time)
    assert roc_auc(np.r_[np.zeros(100), np.ones(100)], scores) > 0.97
    # images in, flattened: the same scores as their flat rows
    assert np.allclose(detector.score(normals.reshape(100, 5, 1)), scores[:100])


def test_ecod_tails_follow_the_empirical_cdf():
    """A value beyond every training value on the right gets the largest right-tail penalty,
    -log(1/(n+1)) per feature; the median gets about -log(1/2) per tail."""
    train = np.arange(1, 100, dtype=float).reshape(-1, 1)  # 1 .. 99, symmetric: no skew
    ecod = ECOD().fit(train)
    far, median = ecod.score(np.array([[1000.0], [50.0]]))
    assert far == pytest.approx(np.log(100))
    assert median == pytest.approx(-np.log(50 / 99), rel=1e-12)


@needs_tabular
@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_on_a_real_table_each_is_far_above_chance(name):
    """satimage-2 (ODDS): trained on 1,000 normal rows, tested on 500 other normals and all 71
    anomalies; published AUCs of these detectors there are above 0.9."""
    data = np.load(TABULAR_DIR / "satimage-2.npz")
    x, y = data["x"].astype(float), data["y"].ravel()
    rng = np.random.default_rng(0)
    normal = rng.permutation(np.flatnonzero(y == 0))
    train, test = x[normal[:1000]], np.concatenate([x[normal[1000:1500]], x[y == 1]])
    low, high = train.min(0), train.max(0)
    scale = lambda v: (v - low) / np.where(high > low, high - low, 1)  # noqa: E731
    scores = CLASSICAL[name](seed=0).fit(scale(train)).score(scale(test))
    assert roc_auc(np.r_[np.zeros(500), np.ones(int((y == 1).sum()))], scores) > 0.8


def test_kde_chooses_its_bandwidth_from_held_out_normals():
    """On 1,000 draws of a standard normal the likeliest bandwidth is near Silverman's rule,
    1.06 * 1000 ** -0.2 = 0.27 (the median distance between draws is ~0.95, so the grid offers
    0.19 and 0.29); a score is minus the log density: lowest at the mode."""
    from gandi.detectors.classical import KDE
    train = np.random.default_rng(0).normal(size=(1000, 1))
    kde = KDE(seed=0).fit(train)
    assert 0.15 < kde.bandwidth < 0.4, kde.bandwidth
    scores = kde.score(np.array([[0.0], [1.0], [3.0]]))
    assert scores[0] < scores[1] < scores[2]
    assert scores[0] == pytest.approx(-np.log(1 / np.sqrt(2 * np.pi)), abs=0.1)


def test_kde_log_density_is_scipys_log_sum_exp_and_stays_finite_far_away():
    """The log density written out (shifted by each row's nearest centre) is scipy's
    logsumexp formula within float64 rounding of a sum of n = 500 terms each below 1 (n * 2^-53
    relative, on log-densities of magnitude ~1e3 below), and finite where every exp(-d2 / 2h^2)
    underflows: the nearest centre's term is 1."""
    from scipy.special import logsumexp
    from gandi.detectors.classical import _log_density, _squared_distances
    rng = np.random.default_rng(2)
    d2 = _squared_distances(rng.normal(size=(40, 5)), rng.normal(size=(500, 5)))
    for h in (0.05, 0.3, 2.0):
        scipy_way = (logsumexp(-d2 / (2 * h ** 2), axis=1) - np.log(500)
                     - 5 / 2 * np.log(2 * np.pi * h ** 2))
        np.testing.assert_allclose(_log_density(d2, h, 5), scipy_way, rtol=0,
                                   atol=500 * 2 ** -53 * np.abs(scipy_way).max() * 4)
    far = _log_density(d2 + 1e6, 0.05, 5)
    assert np.all(np.isfinite(far)) and np.all(far < -1e7)
    np.testing.assert_allclose(far, _log_density(d2, 0.05, 5) - 1e6 / (2 * 0.05 ** 2),
                               rtol=1e-12)


def test_kde_chooses_the_same_bandwidth_chunk_by_chunk():
    """The held-out likelihood is summed `chunk` held rows at a time (memory: the anomaly_class
    protocol's 54,000 normals took ~20 GB at once): each bandwidth's sum equals the one over the
    whole distance matrix (float64, two summation orders of n = 240 terms: each within
    (n - 1) * 2^-53 * sum|terms| <= n^2 * 2^-53 * max|term| of the exact sum, so twice that
    apart), and a fit chunk by chunk chooses the bandwidth and gives the scores of a fit in one
    piece."""
    from gandi.detectors.classical import (KDE, KDE_BANDWIDTHS, _log_density,
                                           _squared_distances, held_out_likelihood)
    rng = np.random.default_rng(1)
    held, kept = rng.normal(size=(240, 3)), rng.normal(size=(960, 3))
    chunked = held_out_likelihood(held, kept, 1.0, 7)
    for b in KDE_BANDWIDTHS:
        terms = _log_density(_squared_distances(held, kept), b, 3)
        assert chunked[b] == pytest.approx(terms.sum(), rel=0,
                                           abs=2 * 240 ** 2 * 2 ** -53 * np.abs(terms).max())
    train = np.r_[rng.normal(size=(900, 3)), rng.normal(4, 0.5, size=(300, 3))]
    whole, pieces = KDE(seed=0), KDE(seed=0)
    whole.chunk, pieces.chunk = 10 ** 6, 7
    assert pieces.fit(train).bandwidth == whole.fit(train).bandwidth
    test = rng.normal(size=(50, 3))
    np.testing.assert_allclose(pieces.score(test), whole.score(test), rtol=1e-12)
