"""SciPy-backed probability distributions: the "normal" data a GAN learns, and their anomalies.

Every distribution gives `sample(n, rng)`, `pdf(x)`, `cdf(x)` and `marginal_cdf(values, axis)`;
x has shape (n, dim). The anomaly a setting tests against is built from the normal distribution
by `make_anomaly` (shifted, wider, or a uniform box around the data), so the same names work
for every family.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


class Distribution:
    """A distribution over R^dim; subclasses give `_sample`, `pdf`, `cdf`, `marginal_cdf`."""

    dim = 1
    name = "distribution"

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self._sample(int(n), rng), dtype=np.float32).reshape(int(n), self.dim)

    def marginal_cdf(self, values: np.ndarray, axis: int) -> np.ndarray:
        if self.dim != 1:
            raise NotImplementedError
        return self.cdf(np.asarray(values).reshape(-1, 1))

    def mean(self) -> np.ndarray:
        return self.sample(20000, np.random.default_rng(0)).mean(axis=0)

    def std(self) -> np.ndarray:
        return self.sample(20000, np.random.default_rng(0)).std(axis=0)


class ScipyDistribution1D(Distribution):
    """A frozen 1-D SciPy distribution."""

    def __init__(self, name: str, frozen):
        self.name = name
        self.frozen = frozen

    def _sample(self, n, rng):
        return self.frozen.rvs(size=n, random_state=rng)

    def pdf(self, x):
        return self.frozen.pdf(np.asarray(x).reshape(-1))

    def cdf(self, x):
        return self.frozen.cdf(np.asarray(x).reshape(-1))

    def mean(self):
        return np.atleast_1d(self.frozen.mean())

    def std(self):
        return np.atleast_1d(self.frozen.std())


def normal(loc=0.0, scale=1.0):
    return ScipyDistribution1D(f"normal(loc={loc}, scale={scale})", stats.norm(loc, scale))


def uniform(low=0.0, high=1.0):
    return ScipyDistribution1D(f"uniform({low}, {high})", stats.uniform(low, high - low))


def exponential(scale=1.0):
    return ScipyDistribution1D(f"exponential(scale={scale})", stats.expon(scale=scale))


def lognormal(mu=0.0, sigma=0.5):
    return ScipyDistribution1D(f"lognormal(mu={mu}, sigma={sigma})",
                               stats.lognorm(s=sigma, scale=np.exp(mu)))


def mixture_weights(weights, k: int) -> np.ndarray:
    """The components' weights summing to 1 (equal when None); a ValueError, not numpy's
    divide warning and NaN weights, for weights that cannot be."""
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (k,) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights {w.tolist()}: expected {k} finite numbers >= 0, not all 0")
    return w / w.sum()


class Mixture1D(Distribution):
    """A mixture of 1-D normals."""

    def __init__(self, locs=(-2.0, 2.0), scales=(0.5, 0.5), weights=None):
        self.locs = np.asarray(locs, dtype=float)
        self.scales = np.asarray(scales, dtype=float)
        self.weights = mixture_weights(weights, len(self.locs))
        self.name = f"mixture(locs={list(locs)}, scales={list(scales)})"

    def _sample(self, n, rng):
        comp = rng.choice(len(self.weights), size=n, p=self.weights)
        return rng.normal(self.locs[comp], self.scales[comp])

    def pdf(self, x):
        x = np.asarray(x).reshape(-1, 1)
        return (self.weights * stats.norm.pdf(x, self.locs, self.scales)).sum(axis=1)

    def cdf(self, x):
        x = np.asarray(x).reshape(-1, 1)
        return (self.weights * stats.norm.cdf(x, self.locs, self.scales)).sum(axis=1)

    def mean(self):
        return np.atleast_1d((self.weights * self.locs).sum())

    def std(self):
        m = (self.weights * self.locs).sum()
        second = (self.weights * (self.scales ** 2 + self.locs ** 2)).sum()
        return np.atleast_1d(np.sqrt(second - m ** 2))


class Mixture2D(Distribution):
    """A mixture of 2-D normals (full covariances)."""

    dim = 2

    def __init__(self, means=((-2.0, 0.0), (2.0, 0.0)), covs=None, weights=None):
        self.means = np.asarray(means, dtype=float)
        k = len(self.means)
        self.covs = (np.stack([np.eye(2) * 0.25] * k) if covs is None
                     else np.asarray(covs, dtype=float))
        self.weights = mixture_weights(weights, k)
        self.components = [stats.multivariate_normal(m, c) for m, c in zip(self.means, self.covs)]
        self.name = f"mixture2d(means={self.means.tolist()})"

    def _sample(self, n, rng):
        comp = rng.choice(len(self.weights), size=n, p=self.weights)
        out = np.empty((n, 2))
        for i, c in enumerate(self.components):
            idx = comp == i
            out[idx] = rng.multivariate_normal(c.mean, c.cov, size=int(idx.sum()))
        return out

    def pdf(self, x):
        x = np.asarray(x).reshape(-1, 2)
        return sum(w * c.pdf(x) for w, c in zip(self.weights, self.components))

    def cdf(self, x):
        x = np.asarray(x).reshape(-1, 2)
        return np.atleast_1d(sum(w * c.cdf(x) for w, c in zip(self.weights, self.components)))

    def marginal_cdf(self, values, axis):
        values = np.asarray(values).reshape(-1, 1)
        loc = self.means[:, axis]
        scale = np.sqrt(self.covs[:, axis, axis])
        return (self.weights * stats.norm.cdf(values, loc, scale)).sum(axis=1)

    def mean(self):
        return (self.weights[:, None] * self.means).sum(axis=0)


class Affine(Distribution):
    """x -> center + factor * (x - center) + shift: the shifted and the wider anomalies."""

    def __init__(self, base: Distribution, shift, factor, center, name):
        self.base, self.dim, self.name = base, base.dim, name
        self.shift = np.broadcast_to(np.asarray(shift, dtype=float), (base.dim,))
        self.factor = float(factor)
        self.center = np.broadcast_to(np.asarray(center, dtype=float), (base.dim,))

    def _sample(self, n, rng):
        return self.center + self.factor * (self.base.sample(n, rng) - self.center) + self.shift

    def _inverse(self, x):
        x = np.asarray(x, dtype=float).reshape(-1, self.dim)
        return (x - self.shift - self.center) / self.factor + self.center

    def pdf(self, x):
        return self.base.pdf(self._inverse(x)) / self.factor ** self.dim

    def cdf(self, x):
        return self.base.cdf(self._inverse(x))

    def marginal_cdf(self, values, axis):
        values = np.asarray(values, dtype=float).reshape(-1)
        inv = (values - self.shift[axis] - self.center[axis]) / self.factor + self.center[axis]
        return self.base.marginal_cdf(inv, axis)


class UniformBox(Distribution):
    """Uniform over a box: 'anything unlike the data' (Tax & Duin's artificial outliers)."""

    def __init__(self, low, high):
        self.low, self.high = np.atleast_1d(low).astype(float), np.atleast_1d(high).astype(float)
        self.dim = len(self.low)
        self.name = f"uniform_box({self.low.tolist()}, {self.high.tolist()})"

    def _sample(self, n, rng):
        return rng.uniform(self.low, self.high, size=(n, self.dim))

    def pdf(self, x):
        x = np.asarray(x).reshape(-1, self.dim)
        inside = np.all((x >= self.low) & (x <= self.high), axis=1)
        return inside / np.prod(self.high - self.low)

    def cdf(self, x):
        x = np.asarray(x).reshape(-1, self.dim)
        return np.prod(np.clip((x - self.low) / (self.high - self.low), 0, 1), axis=1)

    def marginal_cdf(self, values, axis):
        v = np.asarray(values).reshape(-1)
        return np.clip((v - self.low[axis]) / (self.high[axis] - self.low[axis]), 0, 1)


def data_box(samples: np.ndarray, margin: float = 0.5):
    """The samples' bounding box, widened by `margin` times its size on each side."""
    low, high = samples.min(axis=0), samples.max(axis=0)
    width = np.maximum(high - low, 1e-6)
    return low - margin * width, high + margin * width


# name -> builder(**params); a setting's `distribution` is one of these keys.
DISTRIBUTIONS = {
    "normal": normal,
    "mixture": Mixture1D,
    "uniform": uniform,
    "exponential": exponential,
    "lognormal": lognormal,
    "mixture2d": Mixture2D,
}


def _shifted(base, shift=5.0):
    """Shifted by `shift` standard deviations along every axis."""
    return Affine(base, shift=shift * base.std(), factor=1.0, center=base.mean(),
                  name=f"{base.name} shifted by {shift} std")


def _wider(base, factor=3.0):
    """Spread `factor` times wider around the mean."""
    return Affine(base, shift=0.0, factor=factor, center=base.mean(),
                  name=f"{base.name} widened x{factor}")


def _uniform_box(base, margin=1.0):
    """Uniform over the normal data's box (from 10,000 samples) widened by `margin` each side."""
    low, high = data_box(base.sample(10000, np.random.default_rng(0)), margin)
    return UniformBox(low, high)


# name -> builder(normal_distribution, **params); a setting's `anomaly` is one of these keys.
ANOMALIES = {"shifted": _shifted, "wider": _wider, "uniform_box": _uniform_box}


def make_distribution(name: str, params: dict) -> Distribution:
    return DISTRIBUTIONS[name](**params)


def make_anomaly(name: str, normal_distribution: Distribution, params: dict) -> Distribution:
    return ANOMALIES[name](normal_distribution, **params)
