"""A table file's rows in batches, so that a file larger than memory streams (`gandi.score`).

The formats, their batch readers and column names are those of training
(`gandi.data.table_formats`); an NPZ file's stored arrays are memory-mapped
(`gandi.data.npz_tables`), so only the rows of a batch are read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

from gandi.data.errors import DataError, one_line
from gandi.data.table_formats import READ_ERRORS, format_of


def table_batches(path, batch_size: int, text_columns=()) -> Iterator[pd.DataFrame]:
    """DataFrames of at most `batch_size` rows, in file order, with text column names; a
    one-line DataError naming the file for anything unreadable, also in a later batch."""
    path = Path(path)
    batches = format_of(path, str(path)).batches(path, batch_size, tuple(text_columns))
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
