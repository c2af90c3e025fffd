"""The table formats gandi reads, each named once (suffixes, whole and batch readers), and the
one error for any other suffix.

Training reads a table whole (`gandi.data.tables`), `gandi.score` in batches
(`gandi.data.table_batches`); both find the format here:

- `.csv`: a header row of column names; in batches, pandas' `chunksize`, and the columns one-hot
  encoded in training are read as text, so that a chunk of only digit-like categories is not
  parsed as numbers (training saw the whole column);
- `.parquet` / `.pq`: needs pyarrow; in batches, `ParquetFile.iter_batches`;
- `.npz`: NumPy's `savez` (`gandi.data.npz_tables`).
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import pandas as pd

from gandi.data.errors import DataError
from gandi.data.npz_tables import npz_batches, read_npz
from gandi.settings.checks import did_you_mean


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def _csv_batches(path: Path, batch_size: int, text_columns) -> Iterator[pd.DataFrame]:
    yield from pd.read_csv(path, chunksize=batch_size,
                           dtype={column: str for column in text_columns})


def _need_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    _need_pyarrow(path)
    return pd.read_parquet(path, engine="pyarrow")


def _parquet_batches(path: Path, batch_size: int, text_columns) -> Iterator[pd.DataFrame]:
    _need_pyarrow(path)
    import pyarrow.parquet as pq
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        yield batch.to_pandas()


class TableFormat(NamedTuple):
    """A table format: its suffixes (lower case), `read(path)` -> the whole DataFrame, and
    `batches(path, batch_size, text_columns)` -> DataFrames of at most `batch_size` rows."""
    suffixes: tuple
    read: Callable[[Path], pd.DataFrame]
    batches: Callable[..., Iterator[pd.DataFrame]]


FORMATS = (TableFormat((".csv",), _read_csv, _csv_batches),
           TableFormat((".parquet", ".pq"), _read_parquet, _parquet_batches),
           TableFormat((".npz",), read_npz, npz_batches))
SUFFIXES = tuple(suffix for table_format in FORMATS for suffix in table_format.suffixes)

# what a reader raises on a bad file (pyarrow's errors are ValueError or OSError too)
READ_ERRORS = (ValueError, OSError, UnicodeDecodeError, zipfile.BadZipFile, EOFError,
               pd.errors.ParserError)


def format_of(path: Path, source: str) -> TableFormat:
    """The format of a table file by its suffix (any case); for any other suffix a one-line
    DataError starting with `source` that says what is read, and the near suffix if any."""
    suffix = path.suffix.lower()
    for table_format in FORMATS:
        if suffix in table_format.suffixes:
            return table_format
    got = repr(path.suffix) if path.suffix else "(a file without a suffix)"
    raise DataError(f"{source}: unsupported table format {got}; expected a "
                    f"{', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]} file"
                    f"{did_you_mean(suffix, SUFFIXES)}")
