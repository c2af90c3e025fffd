"""Table rows -> the float32 vectors the networks see, fitted on the training normals only.

Validation and test rows never shape the transform: their statistics would leak into what the
detector learns as "normal". Fitted once, the transform is applied unchanged to every split and
to any later rows a user scores, so it is a small JSON-able dict (`to_dict` / `from_dict`) saved
with the run. Its steps, per feature column:

1. missing values: an error (setting `missing: "error"`), or the training normals' median or mean
   (`impute_median`, `impute_mean`);
2. non-numeric columns: an error (`categorical: "error"`), or one-hot over the categories seen in
   the training normals (`one_hot`); an unseen category, or a missing one, is all zeros;
3. standardise every resulting feature with the training normals' mean and standard deviation;
   a constant feature is only centred (its deviation is taken as 1, not 0).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from gandi.data.errors import DataError

CATEGORICAL = ("error", "one_hot")
MISSING = ("error", "impute_median", "impute_mean")
NOT_NUMERIC_HINT = 'set categorical: "one_hot" to encode it, or list it in drop_columns'


def is_numeric(values: pd.Series) -> bool:
    """Numbers or booleans: what a network can take as they are; booleans with a missing cell
    too (pandas reads them as objects: True, False, NaN)."""
    if values.dtype == object:
        present = values.dropna()
        return len(present) > 0 and present.map(lambda v: isinstance(v, (bool, np.bool_))).all()
    return (pd.api.types.is_numeric_dtype(values)
            and not pd.api.types.is_complex_dtype(values))


def non_numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns if not is_numeric(frame[column])]


def id_like_columns(frame: pd.DataFrame) -> list[str]:
    """A line per feature column that looks like a row id or a time stamp: pandas' written
    index ("Unnamed: 0"), or distinct whole numbers in increasing order or filling most of
    their range (ids of rows in any order: gandi.Detector.fit's shuffled ones). As a feature it
    makes every later row (later ids, later times) look anomalous: 600 of 600 normal rows were
    flagged when their ids started past the training rows'."""
    lines = []
    for column in frame.columns:
        values = frame[column]
        counting = (is_numeric(values) and not pd.api.types.is_bool_dtype(values)
                    and len(values) >= 10 and values.notna().all() and values.is_unique
                    and bool((values == np.round(values)).all())
                    and (values.is_monotonic_increasing
                         or values.max() - values.min() < 2 * len(values)))
        if counting or str(column).startswith("Unnamed: "):
            lines.append(f"column {column!r} looks like a row id or a time stamp (distinct "
                         f"whole numbers counting up, or pandas' written index): as a feature "
                         f"it makes rows with later values look anomalous; list it in "
                         f"drop_columns if it is no feature")
    return lines


def check_one_hot(frame: pd.DataFrame, one_hot, source: str) -> None:
    """A one-line DataError for a column to one-hot that holds numbers: mostly numbers with a
    few placeholders ("?", "n/a": a numeric column read as text), or numbers stored as text or
    objects. One-hot would make each of its values a category of its own and lose the number
    (an ODDS column with 3 "?" of 660 became 47 features, AUC 0.78 against 0.92)."""
    for column in one_hot:
        values = frame[column]
        present = values.notna().to_numpy()
        text = present & pd.to_numeric(values.astype(str), errors="coerce").isna().to_numpy()
        if not present.any() or text.sum() >= 0.5 * present.sum():
            continue  # text: categories
        if not text.any():
            raise DataError(f"{source}: column {column!r} holds only numbers, stored as text; "
                            f"one-hot would make each of its {values.nunique()} values a "
                            f"category: convert it to numbers, or list it in drop_columns")
        others = sorted(set(values[text].astype(str)))
        raise DataError(f"{source}: column {column!r} holds numbers but for {int(text.sum())} "
                        f"cell(s) ({', '.join(map(repr, others[:3]))}; first in data row "
                        f"{_first_row(text)}): one-hot would make each of its values a "
                        f"category; leave a missing value empty (missing: impute_median "
                        f"imputes it) or fix those cells")


def _first_row(mask: np.ndarray, first_row: int = 0) -> int:
    """1-based data row (the header not counted) of the first True: where a user looks.
    `first_row`: rows of the file before `mask`'s (a batch of a streamed file)."""
    return int(np.flatnonzero(mask)[0]) + 1 + first_row


def check_values(frame: pd.DataFrame, source: str, one_hot, missing: str,
                 hint: str = NOT_NUMERIC_HINT, first_row: int = 0) -> None:
    """Every cell of the feature columns is usable, or a one-line DataError naming the column.

    Columns in `one_hot` may hold anything; the others must be numeric and finite. A missing
    value anywhere is an error unless `missing` imputes it. `frame` may be a batch of a file
    that starts after `first_row` rows: messages give the row in the file.
    """
    for column in frame.columns:
        values = frame[column]
        absent = values.isna().to_numpy()
        if column not in one_hot:
            if not is_numeric(values):
                bad = ~absent & pd.to_numeric(values, errors="coerce").isna().to_numpy()
                row = _first_row(bad) if bad.any() else 1
                raise DataError(f"{source}: column {column!r} is not numeric (e.g. "
                                f"{values.iloc[row - 1]!r} in data row {row + first_row}); "
                                f"{hint}")
            infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            if infinite.any():
                raise DataError(f"{source}: column {column!r} holds {int(infinite.sum())} "
                                f"infinite values (first in data row "
                                f"{_first_row(infinite, first_row)})")
        if absent.any() and missing == "error":
            raise DataError(f"{source}: column {column!r} has {int(absent.sum())} missing values "
                            f"of {len(values)} rows (first in data row "
                            f"{_first_row(absent, first_row)}); "
                            f'set missing: "impute_median" or "impute_mean", or list it in '
                            f"drop_columns")


@dataclass
class TabularTransform:
    columns: list[str]                   # the feature columns, in order
    categories: dict[str, list[str]]     # one-hot column -> its categories, as text
    fill: dict[str, float]               # numeric column -> what replaces a missing value
    missing: str
    mean: list[float]                    # of every output feature, on the training normals
    std: list[float]

    @property
    def features(self) -> list[str]:
        """The names of the output features: a numeric column, or `column=category`."""
        return [name for column in self.columns for name in (
            [f"{column}={c}" for c in self.categories[column]] if column in self.categories
            else [column])]

    @classmethod
    def fit(cls, frame: pd.DataFrame, one_hot, missing: str,
            source: str = "training rows") -> "TabularTransform":
        """Fit on `frame`: the training normals' feature columns (cells already checked)."""
        if not len(frame):
            raise DataError(f"{source}: no rows to fit the feature scaling on")
        categories, fill = {}, {}
        for column in frame.columns:
            values = frame[column]
            if column in one_hot:
                categories[column] = sorted(set(values.dropna().astype(str)))
            elif missing != "error":  # every column: a later row may miss what these do not
                present = values.dropna().astype(float)
                if present.empty:
                    raise DataError(f"{source}: column {column!r} has no value in the "
                                    f"{len(values)} training rows to impute from")
                fill[column] = float(present.median() if missing == "impute_median"
                                     else present.mean())
        transform = cls([str(c) for c in frame.columns], categories, fill, missing,
                        mean=[], std=[])
        raw = transform._encode(frame)
        transform.mean = raw.mean(axis=0).tolist()
        # constant: every value the same, not a zero deviation, which a column of 0.1s misses
        # (its float64 deviation is ~1e-16: a later 0.11 then scored ~1e14 deviations off)
        transform.std = np.where(np.ptp(raw, axis=0) > 0, raw.std(axis=0), 1.0).tolist()
        return transform

    def apply(self, frame: pd.DataFrame, source: str, first_row: int = 0) -> np.ndarray:
        """The (rows, features) float32 array of `frame`; extra columns are ignored. `frame`
        may be a batch of a file, after `first_row` rows (for the rows that messages name)."""
        absent = [c for c in self.columns if c not in frame.columns]
        if absent:
            raise DataError(f"{source}: no column {absent[0]!r}; the detector was trained on "
                            f"{len(self.columns)} feature columns: {shorten(self.columns)}")
        frame = frame[self.columns]
        check_values(frame, source, self.categories, self.missing,
                     hint="it was numeric in the training rows", first_row=first_row)
        raw = self._encode(frame)
        return ((raw - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)

    def changes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per row of `frame` (its feature columns already checked), what `apply` makes up
        rather than reads: `imputed`, its missing values (filled with the training normals'
        median or mean; a missing category is all zeros), and `unseen`, its categories that the
        training normals never had (all zeros too). Either can move a score a long way, so
        scoring reports them."""
        imputed = np.zeros(len(frame), np.int64)
        unseen = np.zeros(len(frame), np.int64)
        for column in self.columns:
            values = frame[column]
            absent = values.isna().to_numpy()
            imputed += absent
            if column in self.categories:
                known = values.astype(str).isin(self.categories[column]).to_numpy()
                unseen += ~absent & ~known
        return pd.DataFrame({"imputed": imputed, "unseen": unseen}, index=frame.index)

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Imputed numbers and one-hot columns, before standardising."""
        parts = []
        for column in self.columns:
            values = frame[column]
            if column in self.categories:
                text = values.astype(str).to_numpy()
                present = values.notna().to_numpy()
                parts += [(present & (text == c)).astype(float) for c in self.categories[column]]
            else:
                number = values.to_numpy(dtype=float, na_value=np.nan)
                parts.append(np.where(np.isnan(number), self.fill.get(column, np.nan), number))
        return np.column_stack(parts) if parts else np.empty((len(frame), 0))

    def to_dict(self) -> dict:
        return {"kind": "tabular_transform", "version": 1, **asdict(self),
                "features": self.features}

    @classmethod
    def from_dict(cls, saved: dict) -> "TabularTransform":
        if saved.get("kind") != "tabular_transform" or saved.get("version") != 1:
            raise DataError(f"not a saved tabular transform (kind {saved.get('kind')!r}, "
                            f"version {saved.get('version')!r})")
        return cls(**{key: saved[key] for key in
                      ("columns", "categories", "fill", "missing", "mean", "std")})


def shorten(names, limit: int = 10) -> str:
    """At most `limit` names for a one-line message."""
    names = [str(n) for n in names]
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
