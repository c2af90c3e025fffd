import numpy as np
import pytest
from scipy import integrate, stats

from gandi.data.distributions import ANOMALIES, DISTRIBUTIONS, make_anomaly, make_distribution

ONE_D = [("normal", {"loc": 1.0, "scale": 2.0}), ("mixture", {}), ("uniform", {"low": -1, "high": 2}),
         ("exponential", {"scale": 1.5}), ("lognormal", {})]


@pytest.mark.parametrize("name,params", ONE_D)
def test_one_d_samples_follow_pdf_and_cdf(name, params):
    dist = make_distribution(name, params)
    x = dist.sample(3000, np.random.default_rng(0))
    assert x.shape == (3000, 1) and x.dtype == np.float32
    assert stats.kstest(x[:, 0], dist.cdf).pvalue > 0.001
    area, _ = integrate.quad(lambda v: dist.pdf(np.array([v]))[0], -50, 50, limit=200, points=[0])
    assert area == pytest.approx(1.0, abs=1e-3)
    grid = np.linspace(x.min(), x.max(), 50)
    assert np.all(np.diff(dist.cdf(grid)) >= 0)


def test_two_d_mixture_marginals_and_density():
    dist = make_distribution("mixture2d", {})
    x = dist.sample(3000, np.random.default_rng(0))
    assert x.shape == (3000, 2)
    for axis in (0, 1):
        assert stats.kstest(x[:, axis], lambda v, a=axis: dist.marginal_cdf(v, a)).pvalue > 0.001
    # density integrates to one over a box holding the mass
    gx, gy = np.meshgrid(np.linspace(-6, 6, 241), np.linspace(-5, 5, 201))
    mass = dist.pdf(np.c_[gx.ravel(), gy.ravel()]).sum() * 0.05 * 0.05
    assert mass == pytest.approx(1.0, abs=1e-2)
    assert 0 < dist.cdf(np.array([[0.0, 0.0]]))[0] < dist.cdf(np.array([[9.0, 9.0]]))[0] <= 1


def test_all_registered_names_build():
    for name in DISTRIBUTIONS:
        base = make_distribution(name, {})
        for anomaly in ANOMALIES:
            a = make_anomaly(anomaly, base, {})
            sample = a.sample(50, np.random.default_rng(0))
            assert sample.shape == (50, base.dim) and np.all(np.isfinite(sample))


def test_shifted_and_wider_anomalies():
    base = make_distribution("normal", {"loc": 2.0, "scale": 0.5})
    shifted = make_anomaly("shifted", base, {"shift": 4.0})
    x = shifted.sample(5000, np.random.default_rng(0))[:, 0]
    assert x.mean() == pytest.approx(2.0 + 4.0 * 0.5, abs=0.05)
    assert stats.kstest(x, shifted.cdf).pvalue > 0.001
    wider = make_anomaly("wider", base, {"factor": 3.0})
    y = wider.sample(5000, np.random.default_rng(1))[:, 0]
    assert y.std() == pytest.approx(1.5, rel=0.05) and y.mean() == pytest.approx(2.0, abs=0.1)
    assert stats.kstest(y, wider.cdf).pvalue > 0.001
    assert wider.pdf(np.array([2.0]))[0] == pytest.approx(base.pdf(np.array([2.0]))[0] / 3)
