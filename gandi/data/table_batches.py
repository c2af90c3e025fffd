"""A table file's rows in batches, so that a file larger than memory streams (`gandi.score`).

The formats and column names are those of `gandi.data.tables` (the training reader):
- `.csv`: pandas' `chunksize`; columns one-hot encoded in training are read as text, so that a
  chunk of only digit-like categories is not parsed as numbers (training saw the whole column);
- `.parquet` / `.pq`: pyarrow's `ParquetFile.iter_batches`;
- `.npz`: arrays that `numpy.savez` stored uncompressed are memory-mapped (only the rows of a
  batch are read); a `savez_compressed` array is one deflate stream, which cannot be mapped, so
  it is read whole. Object arrays are refused (they would unpickle code).
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from gandi.data.errors import DataError, one_line
from gandi.data.tables import (READ_ERRORS, READERS, check_npz_members, npy_header,
                                npz_columns)

LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip member's local header: signature ... name, extra


def _csv_batches(path: Path, batch_size: int, text_columns) -> Iterator[pd.DataFrame]:
    yield from pd.read_csv(path, chunksize=batch_size,
                           dtype={column: str for column in text_columns})


def _parquet_batches(path: Path, batch_size: int, text_columns) -> Iterator[pd.DataFrame]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        yield batch.to_pandas()


def _npz_member(raw, path: Path, info: zipfile.ZipInfo) -> np.ndarray:
    """A stored .npy member of an NPZ file as a read-only memory map."""
    raw.seek(info.header_offset)
    signature, name_length, extra_length = LOCAL_HEADER.unpack(raw.read(LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise DataError(f"{path}: member {info.filename!r} has no zip header (corrupt file)")
    raw.seek(info.header_offset + LOCAL_HEADER.size + name_length + extra_length)
    shape, fortran_order, dtype, data_offset = npy_header(raw, path, info.filename)
    if dtype.hasobject:
        raise DataError(f"{path}: array {info.filename[:-4]!r} holds Python objects; an NPZ "
                        f"table holds numbers or text (a pickled object would be code)")
    if 0 in shape:
        return np.empty(shape, dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=data_offset, shape=shape,
                     order="F" if fortran_order else "C")


def npz_arrays(path: Path) -> dict:
    """Every array of an NPZ file: memory-mapped when stored, read whole when compressed."""
    if not zipfile.is_zipfile(path):  # np.load would take anything else for a pickle
        raise DataError(f"{path}: not an NPZ file (no zip archive; write it with numpy.savez)")
    arrays = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw, \
            np.load(path, allow_pickle=False) as whole:
        if any(info.compress_type != zipfile.ZIP_STORED for info in archive.infolist()):
            check_npz_members(archive, path)  # read whole, as for training: the same caps
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            name = info.filename[:-4]
            arrays[name] = (_npz_member(raw, path, info)
                            if info.compress_type == zipfile.ZIP_STORED else whole[name])
    return arrays


def _npz_batches(path: Path, batch_size: int, text_columns) -> Iterator[pd.DataFrame]:
    columns = npz_columns(npz_arrays(path), path)
    rows = len(next(iter(columns.values()))) if columns else 0
    for start in range(0, rows, batch_size):
        yield pd.DataFrame({name: np.asarray(values[start:start + batch_size])
                            for name, values in columns.items()})


BATCH_READERS = {".csv": _csv_batches, ".parquet": _parquet_batches, ".pq": _parquet_batches,
                 ".npz": _npz_batches}
assert set(BATCH_READERS) == set(READERS)


def table_batches(path, batch_size: int, text_columns=()) -> Iterator[pd.DataFrame]:
    """DataFrames of at most `batch_size` rows, in file order, with text column names; a
    one-line DataError naming the file for anything unreadable, also in a later batch."""
    path = Path(path)
    reader = BATCH_READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: unsupported table format {path.suffix!r}; expected a "
                        f"{', '.join(BATCH_READERS)} file")
    batches = reader(path, batch_size, tuple(text_columns))
    rows = 0
    while True:
        try:
            frame = next(batches)
        except StopIteration:
            break
        except DataError:
            raise
        except READ_ERRORS as err:
            raise DataError(f"{path}: cannot read it as {path.suffix.lower()[1:]} after "
                            f"{rows} rows ({type(err).__name__}: {one_line(err)})") from None
        frame.columns = [str(c) for c in frame.columns]
        rows += len(frame)
        yield frame
    if rows == 0:
        raise DataError(f"{path}: no rows")
