"""Gzipped IDX files of unsigned bytes (MNIST's and Fashion-MNIST's format), read as hostile
input: the header's declared size is capped before any payload is read, and the payload is read
in chunks up to that size, so no file makes the reader allocate more than MAX_IDX_BYTES.
"""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from gandi.data.errors import DataError, one_line as _one_line

# magic number -> what the file holds. Bytes: 0, 0, 0x08 (unsigned byte), number of dims.
IDX_MAGIC = {0x00000801: "labels (1 dim)", 0x00000803: "images (3 dims)"}
IDX_UBYTE = 0x08
# The most bytes an IDX header may declare: 256 MiB, about 5.7x the largest file we read (the
# 60000 training images of MNIST or Fashion-MNIST). A bigger declared size is a corrupt or hostile
# header (a 2 MB gzip of zeros can declare 2 GiB): it is refused before any payload is read, and
# the payload is read only up to the declared size, so no file makes us allocate more than this.
LARGEST_IDX_BYTES = 60000 * 28 * 28  # 47,040,000
MAX_IDX_BYTES = 256 * 2 ** 20
READ_CHUNK = 4 * 2 ** 20  # read in chunks: memory grows with the bytes the file really holds


def _read_at_most(stream, limit: int) -> bytearray:
    """Up to `limit` bytes of a stream; a chunked read never reserves memory the data lack."""
    data = bytearray()
    while len(data) < limit:
        chunk = stream.read(min(READ_CHUNK, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def read_idx(path) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes as an array of the shape its header declares."""
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        with gzip.open(path, "rb") as stream:
            magic_bytes = stream.read(4)
            if len(magic_bytes) < 4:
                raise DataError(f"{path}: no IDX header (file holds {len(magic_bytes)} bytes)")
            magic = int.from_bytes(magic_bytes, "big")
            if magic not in IDX_MAGIC:
                expected = ", ".join(f"0x{m:08x} = {what}" for m, what in IDX_MAGIC.items())
                raise DataError(f"{path}: magic number 0x{magic:08x} is not an IDX file of "
                                f"unsigned bytes we read (expected {expected})")
            n_dims = magic_bytes[3]
            header = stream.read(4 * n_dims)
            if len(header) < 4 * n_dims:
                raise DataError(f"{path}: header declares {n_dims} dims but ends after "
                                f"{4 + len(header)} of {4 + 4 * n_dims} bytes")
            dims = tuple(int.from_bytes(header[4 * i:4 * i + 4], "big") for i in range(n_dims))
            declared = math.prod(dims)
            # a zero dim makes the product small whatever the others claim: bound each dim too
            if declared > MAX_IDX_BYTES or max(dims, default=0) > MAX_IDX_BYTES:
                size = (f"{declared} bytes" if declared > MAX_IDX_BYTES
                        else f"{declared} bytes but a dim of {max(dims)}")
                raise DataError(f"{path}: header declares dims {dims} = {size}, over the cap "
                                f"of {MAX_IDX_BYTES} bytes "
                                f"({MAX_IDX_BYTES / LARGEST_IDX_BYTES:.1f}x the largest "
                                f"MNIST-like file; corrupt header)")
            # one byte more than declared tells "exact" from "trailing bytes" without reading on
            payload = _read_at_most(stream, declared + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzip file (truncated or corrupt: "
                        f"{_one_line(exc) or type(exc).__name__})") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({_one_line(exc)})") from exc
    if len(payload) < declared:
        raise DataError(f"{path}: payload has {len(payload)} bytes but the header's dims "
                        f"{dims} need {declared} (file truncated)")
    if len(payload) > declared:
        raise DataError(f"{path}: trailing bytes after the {declared} bytes the header's dims "
                        f"{dims} declare")
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)
