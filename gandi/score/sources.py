"""What `gandi.score` reads, in batches: (ids, samples, labels or None) in the data's order.

- A table file (a run on a table): its rows through the run's saved `TabularTransform`, columns
  matched by name. The id of a row is its data row number (1 = the first row after a CSV's
  header) or, with `id_column`, that column's value. The label column, when the file has one, is
  not scored: it is passed through as it is. A column that was no feature in training (and is
  not the label, a dropped column or the id column) is an error: most often the file is not the
  one the detector was trained for.
- Images (a run on images): a folder (every PNG/JPEG in it and its sub-folders, sorted; the id
  is the path relative to the folder, and the label is 0/1 for an image under a `normal/` or
  `abnormal/` folder), a `.txt` list of image paths (one a line, relative to the list's
  folder; the id is the line), or one image file. Images are read like the training images:
  resized to the run's `image_size` and `channels`.
Everything that can be checked before scoring (columns, that every listed file exists) is
checked on the first batch or up front; a bad image in a later batch still stops the whole run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from gandi.data.errors import DataError
from gandi.data.image_folders import IMAGE_SUFFIXES, folder_label, list_images, read_images
from gandi.data.table_batches import table_batches
from gandi.data.table_formats import SUFFIXES
from gandi.data.tabular_transform import shorten

LIST_SUFFIX = ".txt"


def kind_of(data: Path) -> str:
    """'table' or 'images' by what DATA is; a DataError for anything else."""
    if data.is_dir():
        return "images"
    if not data.exists():
        raise DataError(f"{data}: no such file or folder")
    suffix = data.suffix.lower()
    if suffix in SUFFIXES:
        return "table"
    if suffix in IMAGE_SUFFIXES or suffix == LIST_SUFFIX:
        return "images"
    raise DataError(f"{data}: unsupported data {suffix or 'without a suffix'!r}; expected a "
                    f"table ({', '.join(SUFFIXES)}), an image folder, an image "
                    f"({', '.join(IMAGE_SUFFIXES)}) or a {LIST_SUFFIX} list of images")


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

def _check_columns(columns, path: Path, transform, setting: dict, id_column) -> None:
    if id_column is not None and id_column not in columns:
        raise DataError(f"{path}: no column {id_column!r} for --id-column; its columns: "
                        f"{shorten(columns)}")
    others = {setting["label_column"], *setting["drop_columns"], id_column}
    features = [c for c in columns if c not in others]
    extra = [c for c in features if c not in transform.columns]
    if extra:
        raise DataError(f"{path}: {len(features)} feature columns where the detector was trained "
                        f"on {len(transform.columns)} ({shorten(transform.columns)}); column "
                        f"{extra[0]!r} was no feature in training (remove it, or name it with "
                        f"--id-column)")


def table_rows(path: Path, transform, setting: dict, batch_size: int,
               id_column: str | None = None) -> Iterator[tuple]:
    """(ids, features, labels or None, changes) per batch of rows of a table file; changes:
    per row, the values scoring imputes and the categories it never saw
    (TabularTransform.changes)."""
    label = setting["label_column"]
    first_row = 0
    for frame in table_batches(path, batch_size, text_columns=transform.categories):
        if first_row == 0:
            _check_columns(list(frame.columns), path, transform, setting, id_column)
        x = transform.apply(frame, str(path), first_row=first_row)
        ids = (frame[id_column].tolist() if id_column is not None
               else list(range(first_row + 1, first_row + len(frame) + 1)))
        labels = frame[label].tolist() if label in frame.columns else None
        yield ids, x, labels, transform.changes(frame[transform.columns])
        first_row += len(frame)


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------

def _listed_images(list_file: Path) -> list[tuple[str, Path]]:
    entries = []
    for number, line in enumerate(list_file.read_text(encoding="utf-8").splitlines(), 1):
        name = line.strip()
        if not name:
            continue
        path = (list_file.parent / name).expanduser()
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{list_file} line {number}: {name!r} is not a PNG or JPEG file "
                            f"(by its suffix)")
        if not path.is_file():
            raise DataError(f"{list_file} line {number}: {name!r}: file not found")
        entries.append((name, path))
    if not entries:
        raise DataError(f"{list_file}: lists no image")
    return entries


def image_files(data: Path) -> list[tuple[str, Path]]:
    """(id, path) of every image DATA names, in order; checked before any is read."""
    if data.is_dir():
        return [(path.relative_to(data).as_posix(), path) for path in list_images(data)]
    if data.suffix.lower() == LIST_SUFFIX:
        try:
            return _listed_images(data)
        except (OSError, UnicodeDecodeError) as err:
            raise DataError(f"{data}: cannot read the list ({type(err).__name__}: {err})") from None
    return [(str(data), data)]


def image_batches(data: Path, size: int, channels: int, batch_size: int) -> Iterator[tuple]:
    """(ids, images, labels or None, None) per batch of images, file by file (an image is
    read as it is: nothing imputed)."""
    files = image_files(data)
    labels = [folder_label(Path(image_id)) for image_id, _ in files]
    labelled = any(label is not None for label in labels)
    for start in range(0, len(files), batch_size):
        batch = files[start:start + batch_size]
        x = read_images([path for _, path in batch], size, channels)
        yield ([image_id for image_id, _ in batch], x,
               ["" if v is None else v for v in labels[start:start + len(batch)]]
               if labelled else None, None)
