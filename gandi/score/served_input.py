"""What an exported model's serving signature takes as `x`, and the graph from that raw `x`
to the networks' input (gandi/export.py's docstring says it for users): images as whole pixel
values 0-255, table rows as numbers or, with one-hot columns, text; and what it refuses, as
`gandi score` refuses it, rather than scoring something else.
"""
from __future__ import annotations

import numpy as np


def served_input(exported):
    """(the raw input's per-sample shape, its dtype, the graph function from raw x to the
    networks' input). The function refuses, with an InvalidArgumentError, what `gandi score`
    refuses: another shape, pixels it never saw, a value the run cannot read; a served score
    is then never NaN or the score of something else."""
    import tensorflow as tf
    if exported.transform is None:
        setting = exported.setting
        shape = (setting["image_size"], setting["image_size"], setting["channels"])

        def scale_pixels(x):  # gandi.data.images.scaled
            # the fit saw whole pixel values 0-255 (uint8): images in [0, 1] or [-1, 1] would
            # score as near-black ones, every one normal or every one an anomaly, silently
            pixels = tf.logical_and(tf.logical_and(x >= 0.0, x <= 255.0), tf.floor(x) == x)
            return _refused_unless(tf.reduce_all(pixels), [
                "x: pixel values must be whole numbers from 0 to 255 (uint8 images as "
                "float32; floats in [0, 1] times 255, rounded), as the fit saw them; x holds "
                "values from", tf.reduce_min(x), "to", tf.reduce_max(x)], x) / 127.5 - 1.0
        return shape, tf.float32, _shape_checked(shape, scale_pixels)
    transform = exported.transform
    columns = list(transform.columns)
    # per feature (a one-hot column gives one per category): its column, what fills it
    feature_columns = [c for c in columns for _ in transform.categories.get(c, [c])]
    fill = np.array([transform.fill.get(c, np.nan) for c in feature_columns], np.float64)
    mean, std = np.asarray(transform.mean, np.float64), np.asarray(transform.std, np.float64)
    # no quotes in these: TensorFlow's message escapes them
    if transform.missing == "error":
        allowed = ("x: values must be finite: this run was trained with missing: error (no NaN, "
                   "inf or missing value; gandi score refuses them too); first in column")
    else:
        allowed = (f"x: values must be finite or missing (NaN, imputed: this run was trained "
                   f"with missing: {transform.missing}; inf is refused, as gandi score refuses "
                   f"it); first in column")

    def read(raw):
        """TabularTransform.apply from float64 values (NaN: missing): checked as
        tabular_transform.check_values checks them, imputed, standardised in float64, then
        float32."""
        usable = ~tf.math.is_inf(raw)
        if transform.missing == "error":
            usable &= ~tf.math.is_nan(raw)
        first = tf.argmin(tf.cast(tf.reduce_all(usable, axis=0), tf.int32))
        raw = _refused_unless(tf.reduce_all(usable), [
            allowed, tf.gather(tf.constant(feature_columns), first)], raw)
        raw = tf.where(tf.math.is_nan(raw), tf.constant(fill)[None, :], raw)
        return tf.cast((raw - tf.constant(mean)) / tf.constant(std), tf.float32)

    if not transform.categories:
        return ((len(columns),), tf.float32,
                _shape_checked((len(columns),), lambda x: read(tf.cast(x, tf.float64))))

    def scale_text(x):
        """Text cells, the columns in the run's order (TabularTransform._encode): a numeric
        column parsed ("" or "nan": missing), a one-hot column compared with the training
        normals' categories (an unseen or missing one: all zeros)."""
        parts = []
        for i, column in enumerate(columns):
            cell = x[:, i]
            if column in transform.categories:  # as read: a CSV's " blue" is not "blue"
                if transform.missing == "error":  # check_values refuses a missing category too
                    cell = _refused_unless(tf.reduce_all(tf.not_equal(cell, "")), [
                        allowed, column], cell)
                parts += [tf.cast(tf.equal(cell, c), tf.float64)
                          for c in transform.categories[column]]
            else:  # spaces around a number: pandas' parser skips them as well
                cell = tf.strings.strip(cell)
                missing = tf.logical_or(tf.equal(cell, ""),
                                        tf.equal(tf.strings.lower(cell), "nan"))
                number = tf.strings.to_number(tf.where(missing, "0", cell), tf.float64)
                parts.append(tf.where(missing, tf.constant(np.nan, tf.float64), number))
        return read(tf.stack(parts, axis=1))
    return (len(columns),), tf.string, _shape_checked((len(columns),), scale_text)


def _refused_unless(condition, message, x):
    """x, once `condition` holds (else an InvalidArgumentError with `message`): a data
    dependency, as a graph runs an op once its inputs are ready, the scoring ops included.
    tf2onnx drops the check (ONNX cannot raise): there a NaN score counts as an anomaly."""
    import tensorflow as tf
    with tf.control_dependencies([tf.debugging.Assert(condition, message, summarize=8)]):
        return tf.identity(x)


def _shape_checked(shape, scale):
    """`scale` on x once x has the shape (n, *shape). The signature declares that shape but a
    loaded SavedModel does not enforce it: 27x27 images gave a score (stride-2 convolutions
    give 28x28's feature map) and (n, 28, 28) aborted the process in a convolution."""
    import tensorflow as tf
    return lambda x: scale(tf.ensure_shape(x, (None, *shape)))


def input_description(exported) -> str:
    """What the serving signature's x is, in one line (gandi export prints it)."""
    shape, dtype, _ = served_input(exported)
    text = f"x: (None, {', '.join(map(str, shape))}) {dtype.name}"
    if exported.transform is not None:
        text += " with the columns " + ", ".join(map(repr, exported.transform.columns))
    return text
