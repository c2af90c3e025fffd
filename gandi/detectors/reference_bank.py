"""Training normals kept inside a detector, for scores that compare a sample with them: the
last BANK samples the train steps saw (on a table smaller than that, each row several times
over: whole batches are kept, epoch after epoch), held as the
weights of a small network ("reference_bank"), so that checkpoints, the sweet spot and exports
keep them like any network; and what those scores take of them: the k-th nearest neighbour
distance, or the local outlier factor.

Used by `discriminator_knn` (distances in D's features, or the local outlier factor over the
same neighbours) and by the autoencoder family's `autoencoder_score: reconstruction+latent_knn`
(distances between latent codes).
"""
from __future__ import annotations

import keras
import tensorflow as tf

BANK = 2048  # training normals kept: kNN among 2,048 is within noise of all on ODDS tables


@keras.saving.register_keras_serializable(package="gandi")
class ReferenceBank(keras.layers.Layer):
    """Holds up to `size` samples (a ring buffer) and how many are filled; passes its input
    through (a layer needs a call)."""

    def __init__(self, size: int, sample_shape, **kwargs):
        super().__init__(**kwargs)
        self.size, self.sample_shape = int(size), tuple(sample_shape)
        self.samples = self.add_weight(shape=(self.size, *self.sample_shape), initializer="zeros",
                                       trainable=False, name="samples")
        # floats (Keras weights are), exact below 2^24: the next row to write, rows filled
        self.next_row = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name="next_row")
        self.filled = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                      name="filled")

    def keep(self, batch):
        """Write `batch` over the oldest rows."""
        n = tf.shape(batch)[0]
        rows = (tf.cast(self.next_row, tf.int32) + tf.range(n)) % self.size
        self.samples.assign(tf.tensor_scatter_nd_update(self.samples.value, rows[:, None],
                                                        batch))
        self.next_row.assign(tf.cast((rows[-1] + 1) % self.size, tf.float32))
        self.filled.assign(tf.minimum(self.filled + tf.cast(n, tf.float32), float(self.size)))

    def kept(self):
        """The samples kept so far; before the first step the bank is empty and its first
        (zero) row stands in."""
        return self.samples[:tf.maximum(tf.cast(self.filled, tf.int32), 1)]

    def call(self, x):
        return x

    def get_config(self):
        return {**super().get_config(), "size": self.size, "sample_shape": self.sample_shape}


# training normals per bank row above which a run says that its bank may be too small: one-class
# MNIST (about 2.6 per row at the default) gained nothing from more; MNIST's nine normal digits
# (23 per row) gained 0.047 AUC from 8,192 (benchmarks/results/mnist_anomaly_class_bank_size.md)
SPARSE_BANK = 8


def bank_caveats(detector, n_train: int) -> list[str]:
    """The warning of a finished run whose neighbour score compared with few of its training
    normals (none for a detector without a bank)."""
    bank = getattr(detector, "bank", None)
    if bank is None or n_train <= SPARSE_BANK * bank.size:
        return []
    sample = ("; track_bank_limit keeps the tracked steps to a sample of it"
              if hasattr(detector, "track_bank_limit") else "")
    return [f"{detector.name} compared with {bank.size:,} of its {n_train:,} training normals "
            f"(reference_bank_size): where the normals have many modes more help (MNIST with "
            f"nine normal digits: AUC 0.840 at 2,048, 0.886 at 8,192); raise it if the time "
            f"allows (it grows with its square{sample})"]


def bank_network(sample_shape, size: int = BANK):
    """(the "reference_bank" network, its ReferenceBank layer)."""
    x = keras.Input(shape=tuple(sample_shape))
    bank = ReferenceBank(size, sample_shape, name="bank")
    return keras.Model(x, bank(x), name="reference_bank"), bank


def _squared_distances(f, reference):
    return (tf.reduce_sum(tf.square(f), 1, keepdims=True)
            - 2.0 * tf.matmul(f, reference, transpose_b=True)
            + tf.reduce_sum(tf.square(reference), 1)[None, :])


def kth_distance(f, reference, k: int):
    """Distance from each row of `f` to its k-th nearest row of `reference` (both (n, d))."""
    k = tf.minimum(k, tf.shape(reference)[0])
    nearest = -tf.math.top_k(-_squared_distances(f, reference), k=k).values  # the k smallest
    return tf.sqrt(tf.maximum(nearest[:, -1], 0.0))


COPY = 1e-10  # squared distance, relative to the rows' squared sizes, below which a row is a copy


def kth_distance_to_the_others(reference, k: int, rows: int):
    """The first `rows` reference rows' distances to their k-th nearest *other* row
    (leave-one-out), as a scale: the distances a new normal sample would have. On a table
    smaller than the bank, the bank holds each training row many times over (it keeps whole
    batches, epoch after epoch); a row's copies (closer than float32 rounding could make them
    differ) are not its neighbours either, or every distance would be 0. Differences are taken
    directly, not by the |a|^2 - 2ab + |b|^2 expansion, whose rounding is larger than that.
    A row without k others (an empty bank) gets 0. The bank's rows are random training
    batches: its first rows are as good a sample of it as any, and cheaper than all of it."""
    head = reference[:rows]
    d2 = tf.reduce_sum(tf.square(head[:, None, :] - reference[None, :, :]), -1)
    size = (tf.reduce_sum(tf.square(head), 1)[:, None]
            + tf.reduce_sum(tf.square(reference), 1)[None, :])
    d2 = tf.where(d2 <= COPY * size, float("inf"), d2)
    k = tf.minimum(k, tf.shape(reference)[0])
    return _finite(tf.sqrt(-tf.math.top_k(-d2, k=k).values[:, -1]))


def lof_reference(reference, k: int):
    """What the local outlier factor (Breunig et al. 2000, as scikit-learn's LocalOutlierFactor
    computes it) needs of the reference rows, once per reference: (counted, k_distance, lrd).

    `counted` keeps one row of each set of copies: the bank holds a small training set many
    times over (whole batches, epoch after epoch), and a row whose k nearest are its own
    copies has a k-distance of 0 and an infinite density (scikit-learn warns of it and
    returns such numbers). Rows are copies when their squared distance is within the float32
    rounding of the |a|^2 - 2ab + |b|^2 expansion (reduction length d: d * 2^-24 of
    |a|^2 + |b|^2): closer than that no distance can tell them apart. Each counted row's
    k-distance (to its k-th nearest other counted row; k at most the counted rows but one) and
    local reachability density 1 / mean(max(k_distance(o), d(row, o))) over those neighbours o.
    """
    norms = tf.reduce_sum(tf.square(reference), 1)
    d2 = tf.maximum(_squared_distances(reference, reference), 0.0)
    rounding = tf.cast(tf.shape(reference)[1], reference.dtype) * 2.0 ** -24
    close = d2 <= rounding * (norms[:, None] + norms[None, :])
    n = tf.shape(reference)[0]
    earlier = tf.linalg.band_part(tf.ones((n, n), tf.bool), 0, -1) & ~tf.eye(n, dtype=tf.bool)
    counted = ~tf.reduce_any(close & earlier, axis=0)  # no earlier row is its copy
    others = counted[None, :] & ~tf.eye(n, dtype=tf.bool)
    k = _neighbours(k, tf.reduce_sum(tf.cast(counted, tf.int32)) - 1)
    nearest, index = tf.math.top_k(-tf.where(others, d2, float("inf")), k=k)
    distance = tf.sqrt(-nearest)
    k_distance = _finite(distance[:, -1])
    reach = tf.maximum(tf.gather(k_distance, index), _finite(distance))
    return counted, k_distance, 1.0 / (tf.reduce_mean(reach, 1) + 1e-10)


def local_outlier_factor(f, reference, statistics, k: int):
    """The local outlier factor of each row of `f` against the reference rows (`statistics`
    from `lof_reference`): the mean density of its k nearest counted rows over its own, about 1
    inside a cluster of the normals, larger away from them whatever the cluster's spread."""
    counted, k_distance, lrd = statistics
    d2 = tf.where(counted[None, :], tf.maximum(_squared_distances(f, reference), 0.0),
                  float("inf"))
    nearest, index = tf.math.top_k(-d2, k=_neighbours(
        k, tf.reduce_sum(tf.cast(counted, tf.int32))))
    reach = tf.maximum(tf.gather(k_distance, index), tf.sqrt(-nearest))
    own = 1.0 / (tf.reduce_mean(reach, 1) + 1e-10)
    return tf.reduce_mean(tf.gather(lrd, index), 1) / own


def _neighbours(k: int, available):
    """k, at most the rows available and at least 1 (an empty bank has one zero row)."""
    return tf.maximum(tf.minimum(k, available), 1)


def _finite(distance):
    """A distance to a row that is not there (fewer rows than neighbours asked for) as 0."""
    return tf.where(tf.math.is_finite(distance), distance, 0.0)
