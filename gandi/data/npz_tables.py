"""An NPZ file (NumPy's `savez`) as a table, read whole (training) or in batches (scoring).

Each 1-D array is a column named after it; a 2-D array `x` of k columns gives `x_0` ..
`x_{k-1}`. An NPZ file is hostile input: every .npy header is checked against the caps below
before any array is allocated, and object arrays are refused (they would unpickle code). In
batches, arrays that `savez` stored uncompressed are memory-mapped (only a batch's rows are
read); a `savez_compressed` array is one deflate stream, which cannot be mapped, so it is read
whole, under the same caps.
"""
from __future__ import annotations

import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from gandi.data.errors import DataError, one_line

LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip member's local header: signature ... name, extra


def npz_columns(arrays, path) -> dict:
    """Table columns of NPZ arrays ({name: array}): a 1-D array is a column named after it, a
    2-D array `x` of k columns gives `x_0` .. `x_{k-1}` (views: nothing is copied)."""
    columns = {}
    for name, array in arrays.items():
        if array.ndim == 1:
            columns[name] = array
        elif array.ndim == 2:
            columns.update({f"{name}_{j}": array[:, j] for j in range(array.shape[1])})
        else:
            raise DataError(f"{path}: array {name!r} has shape {array.shape}; an NPZ table "
                            f"holds 1-D columns or 2-D blocks of columns")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise DataError(f"{path}: arrays of different lengths {sorted(lengths)}; every array "
                        f"needs one value per row")
    return columns


# What an NPZ table may declare, checked from the .npy headers before any array is allocated
# (NumPy allocates the size a header declares, then reads; a 2 MB deflated member of zeros can
# declare gigabytes). The largest ODDS table (../shared/data/tabular/musk.npz: 3062 x 166
# float64) is 4.1 MB; a table of your own may be far larger, so the cap is that of the IDX files,
# 256 MiB (~60x musk, a million rows of 32 float64 features) for all arrays together: pandas
# copies it once, so the reader stays within about 1 GB. A larger table is a CSV or Parquet file.
MAX_NPZ_BYTES = 256 * 2 ** 20
# Every column costs pandas objects that no declared size counts (shape (1, 10**8) of uint8 is
# 100 MB but 10**8 columns): at most 2**14, ~100x the widest ODDS table (musk: 166 features).
MAX_NPZ_COLUMNS = 2 ** 14
NPY_VERSIONS = ((1, 0), (2, 0), (3, 0))


def npy_header(stream, path: Path, member: str) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran_order, dtype, the stream's position after the header) a .npy stream
    declares; nothing past its header is read."""
    try:
        version = np.lib.format.read_magic(stream)
        if version not in NPY_VERSIONS:
            raise ValueError(f"format version {version[0]}.{version[1]} is none of NumPy's")
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran_order, dtype = header(stream)
    except (ValueError, SyntaxError, TypeError) as err:
        raise DataError(f"{path}: member {member!r} is not a .npy array "
                        f"({type(err).__name__}: {one_line(err)})") from None
    return shape, fortran_order, dtype, stream.tell()


def check_npz_members(archive: zipfile.ZipFile, path: Path) -> dict:
    """{array name: zip member} of an NPZ file whose declared sizes are within the caps and
    agree with the members' sizes; a one-line DataError naming the file otherwise."""
    members = archive.infolist()
    if len(members) > MAX_NPZ_COLUMNS:
        raise DataError(f"{path}: {len(members)} arrays, over the cap of {MAX_NPZ_COLUMNS} "
                        f"columns (corrupt file)")
    total = columns = 0
    for info in members:
        name = info.filename
        with archive.open(info) as stream:
            shape, _, dtype, header_bytes = npy_header(stream, path, name)
        if dtype.hasobject:  # allow_pickle=False would refuse it too, after the size checks
            raise DataError(f"{path}: array {name!r} holds Python objects; an NPZ table holds "
                            f"numbers or text (a pickled object would be code)")
        if dtype.itemsize == 0:  # 'V0', 'S0': any number of values in no bytes
            raise DataError(f"{path}: array {name!r} of {dtype} holds values of 0 bytes, which "
                            f"are no data")
        if min(shape, default=0) < 0:
            raise DataError(f"{path}: member {name!r} declares shape {shape}, a negative dim "
                            f"(corrupt header)")
        declared = math.prod(shape) * dtype.itemsize
        width = shape[1] if len(shape) == 2 else 1
        total, columns = total + declared, columns + width
        for size, so_far, cap, unit in ((declared, total, MAX_NPZ_BYTES, "bytes"),
                                        (width, columns, MAX_NPZ_COLUMNS, "columns")):
            if so_far > cap:
                before = f" ({so_far} with the arrays before it)" if so_far > size else ""
                raise DataError(f"{path}: member {name!r} declares shape {shape} of {dtype} = "
                                f"{size} {unit}{before}, over the cap of {cap} {unit} (corrupt "
                                f"header, or a table to write as CSV or Parquet)")
        # a zero dim makes the product small whatever the others claim: bound each dim too
        if max(shape, default=0) > MAX_NPZ_BYTES:
            raise DataError(f"{path}: member {name!r} declares shape {shape} of {dtype} = "
                            f"{declared} bytes but a dim of {max(shape)}, over the cap of "
                            f"{MAX_NPZ_BYTES} (corrupt header)")
        if info.file_size != header_bytes + declared:
            raise DataError(f"{path}: member {name!r} holds {info.file_size} bytes but its "
                            f"header ({header_bytes} bytes) declares shape {shape} of {dtype} = "
                            f"{declared} bytes (corrupt file)")
    # the array names numpy.load gives: the member name without its .npy
    return {(info.filename[:-4] if info.filename.endswith(".npy") else info.filename): info
            for info in members}


def _check_text(array: np.ndarray, path: Path, name: str) -> None:
    """NumPy's text (UTF-32) may hold numbers that are no character: pandas takes them and fails
    later, when the column is used (a hypothesis find)."""
    if array.dtype.kind != "U" or not array.size:
        return
    codes = np.ascontiguousarray(array, array.dtype.newbyteorder("=")).view(np.uint32)
    bad = codes[(codes > 0x10FFFF) | ((codes >= 0xD800) & (codes <= 0xDFFF))]
    if bad.size:
        raise DataError(f"{path}: array {name!r} holds text that is not Unicode (code point "
                        f"0x{int(bad[0]):x}; corrupt file)")


def read_npz(path: Path) -> pd.DataFrame:
    """The whole table of an NPZ file, every member checked before it is read."""
    if not zipfile.is_zipfile(path):  # np.load would take anything else for a pickle
        raise DataError(f"{path}: not an NPZ file (no zip archive; write it with numpy.savez)")
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name, info in check_npz_members(archive, path).items():
                # zipfile ends a member at its checked size; a pickle in a data file is code
                with archive.open(info) as stream:
                    arrays[name] = np.lib.format.read_array(stream, allow_pickle=False)
                _check_text(arrays[name], path, name)
    except (RuntimeError, NotImplementedError, zlib.error) as err:  # encrypted, corrupt, ...
        raise DataError(f"{path}: cannot read it as npz ({type(err).__name__}: "
                        f"{one_line(err)})") from None
    return pd.DataFrame(npz_columns(arrays, path))


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


def npz_batches(path: Path, batch_size: int, text_columns) -> Iterator[pd.DataFrame]:
    """DataFrames of at most `batch_size` rows (`text_columns`: no use, NPZ text is text)."""
    columns = npz_columns(npz_arrays(path), path)
    rows = len(next(iter(columns.values()))) if columns else 0
    for start in range(0, rows, batch_size):
        yield pd.DataFrame({name: np.asarray(values[start:start + batch_size])
                            for name, values in columns.items()})
