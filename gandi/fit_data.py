"""The data of a gandi.Detector fit as the files the table and image-folder paths read: arrays
as NPZ, a DataFrame as Parquet (its names and dtypes kept), images as PNG files; the run named
after them (a fingerprint)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gandi.api_input import is_frame

LABEL = "label"


def label_column(train) -> str:
    """The test table's label column: LABEL, unless a DataFrame's feature is called so."""
    taken = set(train.columns) if is_frame(train) else set()
    name = LABEL
    while name in taken:
        name += "_"
    return name


def array_fingerprint(*arrays) -> str:
    """8 hex digits naming the arrays (or DataFrames) a fit ran on: their shapes, types and
    values (a DataFrame's column names too)."""
    from gandi.settings.validation import fingerprint
    parts = []
    for array in arrays:
        if is_frame(array):  # object columns hold pointers: pandas' own hash of the values
            parts += [[list(map(str, array.columns)), list(map(str, array.dtypes))],
                      pd.util.hash_pandas_object(array, index=False).to_numpy().tobytes()]
            continue
        array = np.ascontiguousarray(array)
        parts += [[list(array.shape), array.dtype.str], array.tobytes()]
    return fingerprint(*parts)


def data_keys(folder: Path, images: bool, train) -> dict:
    """The setting's data keys for the files `write_data` puts in `folder`: a DataFrame as
    Parquet (its column names and dtypes kept), arrays as NPZ, images as PNG files."""
    if images:
        return {"dataset": "folder", "image_dir": str(folder),
                "image_size": int(train.shape[1]), "channels": int(train.shape[3])}
    suffix = ".parquet" if is_frame(train) else ".npz"
    return {"dataset": "table", "label_column": label_column(train), "normal_values": [0],
            "anomaly_values": [1], "train_file": str(folder / f"train{suffix}"),
            "test_file": str(folder / f"test{suffix}")}


def write_data(folder: Path, images: bool, train, test_x, test_y) -> None:
    """A DataFrame as Parquet (test: with the label column), arrays as NPZ tables (train: the
    block `x`; test: `x` and the label), images as PNG files under train/normal, test/normal
    and test/abnormal (the image folder layout)."""
    if is_frame(train):
        train.to_parquet(folder / "train.parquet", index=False)
        test_x.assign(**{label_column(train): test_y}).to_parquet(folder / "test.parquet",
                                                                   index=False)
        return
    if not images:
        np.savez(folder / "train.npz", x=np.asarray(train, np.float64))
        np.savez(folder / "test.npz", x=np.asarray(test_x, np.float64), **{LABEL: test_y})
        return
    from PIL import Image
    for images_, sub in ((train, "train/normal"), (test_x[test_y == 0], "test/normal"),
                         (test_x[test_y == 1], "test/abnormal")):
        (folder / sub).mkdir(parents=True)
        for i, pixels in enumerate(images_):
            Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(
                folder / sub / f"{i:06d}.png")


def as_the_users(message: str, folder: Path) -> str:
    """A table-path message about the files fit wrote, said of the user's X / eval_set X."""
    for name, what in (("train", "X"), ("test", "X and eval_set X")):
        for suffix in (".parquet", ".npz"):
            for key in ("train_file", "test_file"):
                message = message.replace(f"{key} {folder / (name + suffix)}", what)
            message = message.replace(str(folder / (name + suffix)), what)
    return message
