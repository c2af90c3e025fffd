"""The arrays and DataFrames a user passes to gandi.Detector, checked (and, to score, checked
against the fit and scaled as its networks take them): one-line errors naming what was wrong
(a ValueError: InputError), scikit-learn's phrases where its checks look for them.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from gandi.data.errors import DataError


class InputTypeError(TypeError, ValueError):
    """Values of a kind gandi cannot read (text in an object array): a TypeError, as numpy's
    and scikit-learn's are, and a ValueError, as gandi's other input errors are."""


class ScoringWarning(UserWarning):
    """Scores that rest on made-up values: missing values imputed, unseen categories."""


class InputError(ValueError):
    """Bad arrays or an unfitted detector; the message is the one line the user sees."""


def checked_array(X, what: str = "X") -> np.ndarray:
    """X as a numeric array of vectors (n, d) or images (n, h, w[, c]); one-line InputError."""
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise InputError(f"{what}: sparse input is not supported; pass a dense array "
                         f"({what}.toarray())")
    try:
        array = np.asarray(X)
    except (ValueError, TypeError) as err:
        raise InputError(f"{what}: not an array ({err})") from None
    if array.dtype == object:  # numbers in an object array (a DataFrame of mixed columns)
        try:
            array = array.astype(np.float64)
        except (ValueError, TypeError) as err:
            raise InputTypeError(f"{what}: dtype object holding values that are not numbers "
                                 f"({err}); expected numbers") from None
    if array.dtype.kind == "c":
        raise InputError(f"{what}: Complex data not supported (dtype {array.dtype}); expected "
                         f"real numbers")
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise InputError(f"{what}: dtype {array.dtype}; expected numbers (uint8 or float "
                         f"images, numeric vectors)")
    if array.ndim not in (2, 3, 4):
        raise InputError(f"{what}: shape {array.shape}; expected vectors (n, d) or images "
                         f"(n, h, w) / (n, h, w, c)" + (f". Reshape your data: "
                         f"{what}.reshape(-1, 1) for one feature, {what}.reshape(1, -1) for "
                         f"one sample" if array.ndim == 1 else ""))
    if array.ndim == 2 and array.shape[1] == 0:
        raise InputError(f"{what}: 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
                         f"required.")
    if len(array) == 0 or array[0].size == 0:
        raise InputError(f"{what}: shape {array.shape} holds no data")
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
        if bad.any():
            raise InputError(f"{what}: {int(bad.sum())} sample(s) hold NaN or inf (first: "
                             f"index {int(np.flatnonzero(bad)[0])}); remove or impute them")
    return array


def is_frame(X) -> bool:
    return type(X).__name__ == "DataFrame" and hasattr(X, "columns")


def checked_frame(X, what: str = "X"):
    """A pandas DataFrame of rows: its columns by name (text), any dtypes (text columns and
    missing values go through the `categorical` and `missing` parameters, as on the command
    line); one-line InputError."""
    frame = X.copy()
    frame.columns = [str(c) for c in frame.columns]
    if frame.shape[1] == 0:
        raise InputError(f"{what}: 0 feature(s) (shape={frame.shape}) while a minimum of 1 is "
                         f"required.")
    if len(frame) == 0:
        raise InputError(f"{what}: shape {frame.shape} holds no data")
    twice = frame.columns[frame.columns.duplicated()]
    if len(twice):
        raise InputError(f"{what}: column {twice[0]!r} appears twice; columns are features by "
                         f"name")
    return frame.reset_index(drop=True)


def named_columns(frame, columns: list, what: str = "X"):
    """`frame`'s columns in the fit's order, by name; a missing or unknown name is one line."""
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise InputError(f"{what}: no column {absent[0]!r} ({len(absent)} missing); the "
                         f"detector was fitted on columns {', '.join(map(repr, columns))}")
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise InputError(f"{what}: column {extra[0]!r} was not a feature in fit (fitted on "
                         f"{', '.join(map(repr, columns))}); drop it")
    return frame[columns]


def image_pixels(images: np.ndarray, what: str = "X") -> np.ndarray:
    """Images as uint8 (n, h, w, c): uint8 as they are, floats in [0, 1] times 255, rounded
    (what the PNG files of a fit hold, so training and scoring see the same pixels)."""
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[1] != images.shape[2] or images.shape[3] not in (1, 3):
        raise InputError(f"{what}: images of shape {images.shape[1:]}; expected square images "
                         f"(h == w) with 1 or 3 channels")
    low, high = float(images.min()), float(images.max())
    if images.dtype.kind in "iu" and high == 1:  # binary masks as integers: 0-255 near black
        raise InputError(f"{what}: integer pixel values from {low:g} to 1; as pixels 0-255 "
                         f"they are all near black: give binary images as floats (0.0, 1.0) "
                         f"or as uint8 0 and 255")
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind == "f" and low >= 0 and high <= 1:
        return np.round(images * 255).astype(np.uint8)
    if images.dtype.kind in "iu" and low >= 0 and high <= 255:
        return images.astype(np.uint8)
    raise InputError(f"{what}: pixel values from {low:g} to {high:g}; expected uint8 0-255 or "
                     f"floats in [0, 1]")


def checked_eval_set(eval_set, X, images: bool):
    """fit's eval_set=(X_eval, y_eval) checked against X (a DataFrame's columns by name), its
    labels 0/1 with both present; returned normals first, as every test set."""
    try:
        X_eval, y_eval = eval_set
    except (TypeError, ValueError):
        raise InputError("eval_set: expected a pair (X_eval, y_eval)") from None
    if is_frame(X):
        X_eval = (named_columns(checked_frame(X_eval, "eval_set X"), list(X.columns),
                                "eval_set X") if is_frame(X_eval)
                  else pd.DataFrame(checked_array(X_eval, "eval_set X"), columns=X.columns)
                  if np.ndim(X_eval) == 2 and np.shape(X_eval)[1] == X.shape[1]
                  else None)
        if X_eval is None:
            raise InputError(f"eval_set X: expected a DataFrame with X's columns (or rows "
                             f"of {X.shape[1]} values in their order)")
    else:
        X_eval = checked_array(X_eval, "eval_set X")
    # grey images may come without their channel axis, (n, h, w): as (n, h, w, 1), but no
    # other size (a 14 x 14 eval set was resized to X's 28 x 28 and tested on without a word)
    def sample_shape(x):
        return x.shape[1:] + ((1,) if images and x.ndim == 3 else ())

    if sample_shape(X_eval) != sample_shape(X):
        raise InputError(f"eval_set X: samples of shape {X_eval.shape[1:]}, X's are "
                         f"{X.shape[1:]}")
    if images:
        X_eval = image_pixels(X_eval, "eval_set X")
    y_eval = np.asarray(y_eval).ravel()
    if len(y_eval) != len(X_eval) or not np.isin(y_eval, (0, 1)).all():
        raise InputError(f"eval_set y: expected {len(X_eval)} labels, 0 (normal) or 1 "
                         f"(anomaly); got {len(y_eval)} with values "
                         f"{sorted(set(y_eval.tolist()))[:5]}")
    if len(set(y_eval.tolist())) < 2:
        raise InputError("eval_set y: needs normal (0) and anomalous (1) samples for an AUC")
    order = np.argsort(y_eval, kind="stable")  # normals first, as every test set
    if is_frame(X_eval):
        return X_eval.iloc[order].reset_index(drop=True), y_eval[order].astype(np.int64)
    return X_eval[order], y_eval[order].astype(np.int64)


# -- X against the fitted detector ---------------------------------------------------------
def rows_as_fitted(exported, X, named: bool):
    """X as a DataFrame in the fit's column order: a DataFrame by its names when the fit
    had names, or when they are the run's columns (an NPZ table's: `gandi score` matches them
    by name too), else by position (scikit-learn's convention, with its warning)."""
    columns = exported.transform.columns
    if is_frame(X):
        frame = checked_frame(X)
        if named or set(frame.columns) == set(columns):
            return named_columns(frame, columns)
        warnings.warn("X has feature names, but Detector was fitted without feature names: "
                      "its columns are taken in order", UserWarning, stacklevel=4)
        X = frame
    else:
        X = checked_array(X)
        if named:
            warnings.warn("X does not have valid feature names, but Detector was fitted "
                          "with feature names: its columns are taken in the fit's order",
                          UserWarning, stacklevel=4)
    if X.ndim != 2 or X.shape[1] != len(columns):
        has = f"has {X.shape[1]} features" if X.ndim == 2 else f"of shape {X.shape}"
        raise InputError(f"X {has}, but Detector is expecting {len(columns)} features "
                         f"as input (the detector was fitted on vectors of "
                         f"{len(columns)} features)")
    return (X.set_axis(columns, axis=1) if is_frame(X)
            else pd.DataFrame(X, columns=columns))

def said_changes(exported, frame, strict: bool) -> None:
    """What scoring makes up (missing values imputed, categories never seen in training):
    a ScoringWarning, or with strict=True an InputError; both one line."""
    changes = exported.transform.changes(frame)
    said = []
    for column, what in (("imputed", "missing value(s) imputed"),
                         ("unseen", "category(ies) unseen in training, encoded as zeros")):
        counts = changes[column].to_numpy()
        if counts.any():
            said.append(f"{int((counts > 0).sum())} row(s) with {int(counts.sum())} {what} "
                        f"(first: row {int(counts.nonzero()[0][0])})")
    if not said:
        return
    if strict:
        raise InputError("X: " + "; ".join(said) + "; strict=True refuses rows that scoring "
                         "would change")
    warnings.warn("X: " + "; ".join(said) + ": their scores rest on made-up values "
                  "(strict=True refuses them)", ScoringWarning, stacklevel=4)

def model_input(exported, X, named: bool, strict: bool, say_changes: bool = True) -> np.ndarray:
    """X checked against the fit and scaled as the networks take it; on a table, what the
    scaling made up is said (`say_changes`) or refused (strict)."""
    if exported.is_table:
        frame = rows_as_fitted(exported, X, named)
        try:
            x = exported.transform.apply(frame, "X")
        except DataError as err:
            raise InputError(str(err)) from None
        if say_changes:
            said_changes(exported, frame, strict)
    else:
        X = checked_array(X)
        from gandi.data.images import scaled
        size, channels = exported.setting["image_size"], exported.setting["channels"]
        if X.ndim == 2 or X.shape[1:3] != (size, size):
            raise InputError(f"X: shape {X.shape}; the detector was fitted on {size}x{size} "
                             f"images with {channels} channel(s)")
        pixels = image_pixels(X)
        if pixels.shape[3] != channels:
            raise InputError(f"X: {pixels.shape[3]} channel(s); the detector was fitted on "
                             f"{channels}")
        x = scaled(pixels)
    return x
