"""Your own data as a table: a CSV, Parquet or NPZ file of rows, one column of labels.

A setting with `dataset: "table"` names its rows one of two ways:
- `data_file`: one labelled file of normal and anomalous rows, split semi-supervised: seeded by
  `numpy_seed`, the normal rows are shuffled and split into test normals (`test_fraction`),
  validation normals (`validation_fraction`) and training normals (the rest); every anomalous
  row goes to the test set. Training and validation see normal rows only.
- `train_file` + `test_file`: normal rows to train on (a label column is optional; if there is
  one, every row must be normal) and labelled rows to test on; `validation_fraction` of the
  training rows, chosen by `numpy_seed`, is held out as validation normals.
- Normal rows only (a `data_file` without anomalous rows, or a `train_file` without
  `test_file`): a tenth of the normal rows (at most 1,000; `gandi.data.splits.report_size`) is
  held out as test normals, and one corrupted copy of each (`gandi.data.corruptions`) is a test
  anomaly, as `gandi.Detector.fit` does without an eval_set. The run's AUC then measures
  separation from corrupted normals, not real anomalies: its log, results
  (`test_anomalies: "synthetic"`) and the playground's summary say so.

Labels: a `label_column` value in `normal_values` is normal (0), in `anomaly_values` an anomaly
(1); any other value is an error. Test labels only report; nothing chooses with them.
`drop_columns` are removed; every other column is a feature, turned into numbers by the
`TabularTransform` fitted on the training normals only.

File formats, by suffix: `.csv`, `.parquet` / `.pq` (needs pyarrow), `.npz` (NumPy's `savez`);
see `gandi.data.table_formats`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.data.errors import DataError, one_line
from gandi.data.splits import (LABELLED, SYNTHETIC, DataSplits, holdout_split, report_holdout,
                                semi_supervised_split, with_synthetic_anomalies)
from gandi.data.contents import files_hash
from gandi.data.table_formats import READ_ERRORS, format_of
from gandi.data.tabular_transform import (TabularTransform, check_one_hot, check_values,
                                          id_like_columns, non_numeric_columns, shorten)

TABLE_FILE_KEYS = ("data_file", "train_file", "test_file")


# ---------------------------------------------------------------------------------------------
# Reading a file
# ---------------------------------------------------------------------------------------------

def table_file(key: str, value) -> Path:
    """The existing file a setting's `key` names (relative to the current folder)."""
    path = Path(value).expanduser()
    if not path.is_file():
        where = " (it is a folder)" if path.is_dir() else (
            "" if path.is_absolute() else f" (looked for {path.absolute()})")
        raise DataError(f"{key} = {str(value)!r}: file not found{where}")
    return path


def read_table(key: str, value) -> pd.DataFrame:
    """The rows of the file a setting's `key` names; a one-line DataError when it cannot be."""
    path = table_file(key, value)
    source = f"{key} = {str(value)!r}"
    table_format = format_of(path, source)
    try:
        frame = table_format.read(path)
    except DataError:
        raise
    except READ_ERRORS as err:
        raise DataError(f"{source}: cannot read it as {path.suffix.lower()[1:]} "
                        f"({type(err).__name__}: {one_line(err)})") from None
    if not len(frame):
        raise DataError(f"{source}: no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


# ---------------------------------------------------------------------------------------------
# Labels and feature columns
# ---------------------------------------------------------------------------------------------

def labels_of(frame: pd.DataFrame, setting: dict, source: str) -> np.ndarray:
    """0 (normal) / 1 (anomaly) per row, from the label column and the declared values."""
    column = setting["label_column"]
    if column not in frame.columns:
        # a file of normal rows has no labels to give: train_file reads it without any
        unlabelled = ("; a file of normal rows only needs none: name it train_file instead"
                      if source.startswith("data_file") else "")
        raise DataError(f"{source}: no label column {column!r} (set label_column); its columns: "
                        f"{shorten(frame.columns)}{unlabelled}")
    values = frame[column]
    normal = values.isin(list(setting["normal_values"])).to_numpy()
    anomaly = values.isin(list(setting["anomaly_values"])).to_numpy()
    neither = ~(normal | anomaly)
    if neither.any():
        counts = values[neither].value_counts(dropna=False)
        value = counts.index[0]
        value = value.item() if isinstance(value, np.generic) else value  # 2, not np.int64(2)
        more = f", and {len(counts) - 1} more such values" if len(counts) > 1 else ""
        raise DataError(f"{source}: label column {column!r} holds {value!r} ({counts.iloc[0]} "
                        f"rows{more}), which is in neither normal_values "
                        f"{list(setting['normal_values'])!r} nor anomaly_values "
                        f"{list(setting['anomaly_values'])!r}")
    return anomaly.astype(np.int64)


def features_of(frame: pd.DataFrame, setting: dict, source: str) -> pd.DataFrame:
    """The feature columns: all but the label column and `drop_columns`."""
    absent = [c for c in setting["drop_columns"] if c not in frame.columns]
    if absent:
        raise DataError(f"{source}: drop_columns names {absent[0]!r}, which is not a column; "
                        f"its columns: {shorten(frame.columns)}")
    dropped = set(setting["drop_columns"]) | {setting["label_column"]}
    features = frame[[c for c in frame.columns if c not in dropped]]
    if features.shape[1] == 0:
        raise DataError(f"{source}: no feature column is left once the label column and "
                        f"drop_columns are removed")
    return features


def _source(setting: dict, key: str) -> str:
    return f"{key} {setting[key]}"


# ---------------------------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------------------------

def _need_normal_rows(y: np.ndarray, setting: dict, source: str) -> None:
    if not np.any(y == 0):
        raise DataError(f"{source}: no normal rows ({setting['label_column']} in normal_values "
                        f"{list(setting['normal_values'])!r}); gandi trains on normal rows: set "
                        f"normal_values to the label of the normal ones")


def _need_both_classes(y: np.ndarray, setting: dict, source: str) -> None:
    """A test_file reports AUC against its own labels: it needs both kinds of row."""
    _need_normal_rows(y, setting, source)
    if not np.any(y == 1):
        raise DataError(f"{source}: no anomalous rows ({setting['label_column']} in "
                        f"anomaly_values {list(setting['anomaly_values'])!r}); leave test_file "
                        f"out to test against synthetic anomalies (corrupted held-out normals)")


@dataclass
class _Rows:
    """Which rows of which file go where (indices), before any transform."""
    features: pd.DataFrame          # the training file's feature columns
    source: str
    train: np.ndarray
    validation: np.ndarray
    test_features: pd.DataFrame     # the same frame as `features` for one file
    test_source: str
    test: np.ndarray                # normals first, then anomalies
    test_y: np.ndarray
    split: str                      # how, for the run's log
    # no anomalous row: `test` holds the test normals; their corrupted copies are made once
    # the features are numbers (table_splits)
    synthetic: bool = False


def _one_file(setting: dict, rng: np.random.Generator) -> _Rows:
    """data_file: normals split three ways by the seed, every anomaly to the test set."""
    source = _source(setting, "data_file")
    frame = read_table("data_file", setting["data_file"])
    y = labels_of(frame, setting, source)
    features = features_of(frame, setting, source)
    _need_normal_rows(y, setting, source)
    if not np.any(y == 1):
        return _normal_rows(features, source, setting, rng, "data_file")
    train, validation, test = semi_supervised_split(y, setting, source, rng)
    return _Rows(features, source, train=train, validation=validation,
                 test_features=features, test_source=source, test=test, test_y=y[test],
                 split=f"one file split by numpy_seed {setting['numpy_seed']}: test_fraction "
                       f"{setting['test_fraction']:g} of the normal rows and every anomalous "
                       f"row for testing")


def _two_files(setting: dict, rng: np.random.Generator) -> _Rows:
    """train_file (normal rows; validation held out by the seed) and a labelled test_file."""
    source = _source(setting, "train_file")
    frame = read_table("train_file", setting["train_file"])
    if setting["label_column"] in frame.columns:
        anomalous = labels_of(frame, setting, source) == 1
        if anomalous.any():
            raise DataError(f"{source}: {int(anomalous.sum())} rows are labelled as anomalies "
                            f"(first in data row {int(np.flatnonzero(anomalous)[0]) + 1}); the "
                            f"train file holds normal rows only (put them in test_file)")
    features = features_of(frame, setting, source)
    if setting["test_file"] is None:
        return _normal_rows(features, source, setting, rng, "train_file")
    train, validation = holdout_split(len(frame), setting, source, rng)
    test_source = _source(setting, "test_file")
    test_frame = read_table("test_file", setting["test_file"])
    y = labels_of(test_frame, setting, test_source)
    test_features = features_of(test_frame, setting, test_source)
    _need_both_classes(y, setting, test_source)
    _same_columns(features, test_features, test_source)
    test = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)])
    return _Rows(features, source, train=train, validation=validation,
                 test_features=test_features,
                 test_source=test_source, test=test, test_y=y[test],
                 split="train_file for training and validation, test_file for testing")


def _normal_rows(features: pd.DataFrame, source: str, setting: dict,
                 rng: np.random.Generator, key: str) -> _Rows:
    """Every row normal: test normals held out (report_holdout, as gandi.Detector.fit without
    an eval_set), then validation normals from the rest."""
    rest, test = report_holdout(len(features), rng)
    train, validation = holdout_split(len(rest), setting, source, rng)
    return _Rows(features, source, train=rest[train], validation=rest[validation],
                 test_features=features, test_source=source, test=test,
                 test_y=np.zeros(len(test), np.int64), synthetic=True,
                 split=f"{key} of normal rows only, split by numpy_seed {setting['numpy_seed']}: "
                       f"{len(test)} test normals and as many synthetic anomalies (corrupted "
                       f"copies of them)")


def table_splits(setting: dict, rng: np.random.Generator) -> DataSplits:
    """Training and validation normals, and a test set with normals first, then anomalies."""
    rows = _one_file(setting, rng) if setting["data_file"] is not None else _two_files(setting, rng)
    one_hot = non_numeric_columns(rows.features) if setting["categorical"] == "one_hot" else []
    check_one_hot(rows.features, one_hot, rows.source)
    check_values(rows.features, rows.source, one_hot, setting["missing"])
    transform = TabularTransform.fit(rows.features.iloc[rows.train], one_hot, setting["missing"],
                                     f"{rows.source} (training rows)")
    x = transform.apply(rows.features, rows.source)
    test_x = (x if rows.test_features is rows.features
              else transform.apply(rows.test_features, rows.test_source))
    test_x, test_y = test_x[rows.test], rows.test_y
    if rows.synthetic:  # corrupted in the detector's feature space: what it is asked to reject
        test_x, test_y = with_synthetic_anomalies(test_x, rng)
    anomalies = ("synthetic" if rows.synthetic
                 else f"{setting['label_column']} in {list(setting['anomaly_values'])}")
    return DataSplits(
        train=x[rows.train], validation=x[rows.validation], test_x=test_x,
        test_y=test_y, transform=transform.to_dict(),
        test_anomalies=SYNTHETIC if rows.synthetic else LABELLED,
        caveats=id_like_columns(rows.features),
        # a file rewritten at the same path is other data (the path alone named it)
        contents=files_hash(Path("/"), [table_file(k, setting[k]).absolute()
                                        for k in TABLE_FILE_KEYS if setting.get(k)]),
        description=(f"table: {len(rows.train)} training and {len(rows.validation)} validation "
                     f"normals, {int((test_y == 0).sum())} test normals and {int(test_y.sum())} "
                     f"test anomalies ({anomalies}); {x.shape[1]} features from "
                     f"{len(transform.columns)} columns; {rows.split}"))


def _same_columns(train: pd.DataFrame, test: pd.DataFrame, test_source: str) -> None:
    """The test file's features are the train file's: a column in one only is a mistake."""
    missing = [c for c in train.columns if c not in test.columns]
    if missing:
        raise DataError(f"{test_source}: no column {missing[0]!r}, which the train file has")
    extra = [c for c in test.columns if c not in train.columns]
    if extra:
        raise DataError(f"{test_source}: column {extra[0]!r} is not in the train file (list it "
                        f"in drop_columns if it is no feature)")
