"""The arrays and DataFrames a user passes to gandi.Detector, checked: one-line errors naming
what was wrong (a ValueError: InputError), scikit-learn's phrases where its checks look for them.
"""
from __future__ import annotations

import numpy as np


class InputTypeError(TypeError, ValueError):
    """Values of a kind gandi cannot read (text in an object array): a TypeError, as numpy's
    and scikit-learn's are, and a ValueError, as gandi's other input errors are."""


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
    if images.dtype == np.uint8:
        return images
    low, high = float(images.min()), float(images.max())
    if images.dtype.kind == "f" and low >= 0 and high <= 1:
        return np.round(images * 255).astype(np.uint8)
    if images.dtype.kind in "iu" and low >= 0 and high <= 255:
        return images.astype(np.uint8)
    raise InputError(f"{what}: pixel values from {low:g} to {high:g}; expected uint8 0-255 or "
                     f"floats in [0, 1]")
