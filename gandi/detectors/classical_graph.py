"""The classical detectors as TensorFlow graph functions of their fitted arrays, for exporting
an ensemble that holds them (gandi.export.export_ensemble): float64, as their numpy and
scikit-learn versions in gandi/detectors/classical.py compute, and equal to them to float64
round-off (tests/test_ensemble.py).

- `knn`: distance to the k-th nearest training normal (squared distances by matrix products);
- `kde`: minus the Gaussian log density (log-sum-exp), at the bandwidth chosen in fit;
- `lof`: scikit-learn's novelty score, from the training normals' k-distances and local
  reachability densities kept by the fit;
- `pca`: the squared reconstruction error from the kept components;
- `ecod`: the tail probabilities by searching each feature's sorted training values.
`iforest` and `ocsvm` have none here (a forest of trees; an RBF machine): `NoGraph`.

The graph holds the training normals as constants (knn, kde, lof, ecod): its size grows with
them (6,000 images of 28x28: 38 MB per such member, float64).
"""
from __future__ import annotations

import numpy as np


class NoGraph(ValueError):
    """A classical detector without a graph version; the message is one line."""


GRAPHS = ("knn", "kde", "lof", "pca", "ecod")


def _squared_distances(tf, a, bank):
    d2 = (tf.reduce_sum(a * a, 1)[:, None] - 2.0 * tf.matmul(a, bank, transpose_b=True)
          + tf.reduce_sum(bank * bank, 1)[None, :])
    return tf.maximum(d2, 0.0)


def classical_graph(member):
    """x (n, ...) float32, scaled -> (n,) float64 scores of a fitted classical detector."""
    import tensorflow as tf

    def flat(x):
        return tf.reshape(tf.cast(x, tf.float64), (tf.shape(x)[0], -1))

    if member.name == "knn":
        bank = tf.constant(member.model._fit_X, tf.float64)
        k = member.model.n_neighbors

        def knn(x):
            nearest = -tf.math.top_k(-_squared_distances(tf, flat(x), bank), k=k).values
            return tf.sqrt(nearest[:, -1])
        return knn
    if member.name == "kde":
        bank = tf.constant(member.train, tf.float64)
        h, dims, n = member.bandwidth, member.train.shape[1], len(member.train)
        offset = np.log(n) + dims / 2 * np.log(2 * np.pi * h ** 2)

        def kde(x):
            d2 = _squared_distances(tf, flat(x), bank)
            return -(tf.reduce_logsumexp(-d2 / (2 * h ** 2), axis=1) - offset)
        return kde
    if member.name == "lof":
        model = member.model
        fit_x = model._fit_X
        k = model.n_neighbors_
        k_distance = model._distances_fit_X_[:, k - 1]  # sklearn's, without each point itself
        bank = tf.constant(fit_x, tf.float64)
        k_dist, lrd = tf.constant(k_distance, tf.float64), tf.constant(model._lrd, tf.float64)

        def lof(x):
            top = tf.math.top_k(-_squared_distances(tf, flat(x), bank), k=k)
            distance = tf.sqrt(-top.values)
            reach = tf.maximum(distance, tf.gather(k_dist, top.indices))
            x_lrd = 1.0 / (tf.reduce_mean(reach, 1) + 1e-10)  # sklearn's _local_reachability
            return tf.reduce_mean(tf.gather(lrd, top.indices) / x_lrd[:, None], 1)
        return lof
    if member.name == "pca":
        model = member.model
        mean = tf.constant(model.mean_, tf.float64)
        components = tf.constant(model.components_, tf.float64)

        def pca(x):
            centred = flat(x) - mean
            back = tf.matmul(tf.matmul(centred, components, transpose_b=True), components)
            return tf.reduce_sum((centred - back) ** 2, 1)
        return pca
    if member.name == "ecod":
        columns = tf.constant(member.sorted.T, tf.float64)  # (d, n), each row sorted
        n = member.sorted.shape[0]
        skew_negative = tf.constant(member.skew_sign < 0)
        floor = 1.0 / (n + 1)

        def ecod(x):
            values = tf.transpose(flat(x))  # (d, m)
            left = tf.cast(tf.searchsorted(columns, values, side="right"), tf.float64) / n
            right = (n - tf.cast(tf.searchsorted(columns, values, side="left"),
                                 tf.float64)) / n
            u_left = -tf.math.log(tf.maximum(left, floor))
            u_right = -tf.math.log(tf.maximum(right, floor))
            u_skew = tf.where(skew_negative[:, None], u_left, u_right)
            return tf.reduce_max(tf.stack([tf.reduce_sum(u_left, 0), tf.reduce_sum(u_right, 0),
                                           tf.reduce_sum(u_skew, 0)]), axis=0)
        return ecod
    raise NoGraph(f"member {member.name!r} has no graph to export (exportable classical "
                  f"members: {', '.join(GRAPHS)}; every gandi one that gandi.Detector exports); "
                  f"refit with members without it")
