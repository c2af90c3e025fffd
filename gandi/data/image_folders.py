"""Your own images: a folder of PNG or JPEG files sorted into `normal/` and `abnormal/`.

A setting with `dataset: "folder"` names the folder as `image_dir`, in one of two layouts:
- `normal/` and `abnormal/`: one labelled collection, split semi-supervised exactly like a
  table's `data_file` (`gandi.data.splits.semi_supervised_split`, seeded by `numpy_seed`):
  `test_fraction` of the normal images and every abnormal one form the test set,
  `validation_fraction` are validation normals, the rest are trained on.
- `train/normal/`, `test/normal/` and `test/abnormal/`: normal images to train on
  (`validation_fraction` of them held out by the seed) and a labelled test set.

Files: `.png`, `.jpg`, `.jpeg` (any case), also in nested folders, read in sorted order of their
paths; hidden files and folders (`.DS_Store`, `.ipynb_checkpoints/`) are skipped, any other file
is an error naming it: an image in a format we do not read must not go silently unused. Every
image, whatever its size and mode, is turned upright by its EXIF orientation, converted to grey
(`channels` 1) or RGB (3), resized (stretched, bilinear) to `image_size` x `image_size` and
scaled to [-1, 1] like MNIST (`gandi.data.images.scaled`). The same reading serves training and
`gandi.score`, so an image is scored as it was trained on.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gandi.data.errors import DataError, one_line
from gandi.data.contents import files_hash
from gandi.data.images import scaled
from gandi.data.splits import DataSplits, holdout_split, semi_supervised_split

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
NORMAL, ABNORMAL = "normal", "abnormal"
LAYOUTS = ("normal/ and abnormal/", "train/normal/, test/normal/ and test/abnormal/")


# ---------------------------------------------------------------------------------------------
# Finding the images
# ---------------------------------------------------------------------------------------------

def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def list_images(folder: Path) -> list[Path]:
    """Every image file under `folder`, sorted by path; a one-line DataError for a folder without
    images or with a file that is not one."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
    for path in files:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{path}: not a PNG or JPEG file (by its suffix); image folders hold "
                            f"{', '.join(IMAGE_SUFFIXES)} files only (hidden files are skipped)")
    if not files:
        raise DataError(f"{folder}: no PNG or JPEG images ({', '.join(IMAGE_SUFFIXES)}) in it "
                        f"or its sub-folders")
    return files


@dataclass
class FolderLayout:
    root: Path
    train: Path | None         # train/normal (None: one labelled collection)
    normal: Path               # normal/ or test/normal
    abnormal: Path             # abnormal/ or test/abnormal


def folder_layout(image_dir) -> FolderLayout:
    """Which layout `image_dir` has, its sub-folders checked (the images are not read yet)."""
    root = Path(image_dir).expanduser()
    if not root.is_dir():
        where = "" if root.is_absolute() else f" (looked for {root.absolute()})"
        what = "is a file, not a folder" if root.is_file() else "folder not found"
        raise DataError(f"image_dir = {str(image_dir)!r}: {what}{where}")
    split = [name for name in ("train", "test") if (root / name).is_dir()]
    flat = [name for name in (NORMAL, ABNORMAL) if (root / name).is_dir()]
    if split and flat:
        raise DataError(f"image_dir {root}: holds both {split[0]}/ and {flat[0]}/; use one "
                        f"layout: {LAYOUTS[0]}, or {LAYOUTS[1]}")
    needed = ([NORMAL, ABNORMAL] if not split else
              ["train/normal", "test/normal", "test/abnormal"])
    for name in needed:
        if not (root / name).is_dir():
            raise DataError(f"image_dir {root}: no sub-folder {name}/; an image folder holds "
                            f"{LAYOUTS[0]}, or {LAYOUTS[1]}")
    if split and (root / "train" / ABNORMAL).exists():
        raise DataError(f"image_dir {root}: train/abnormal/ is not read; train/ holds normal "
                        f"images only (move them to test/abnormal/)")
    layout = (FolderLayout(root, None, root / NORMAL, root / ABNORMAL) if not split else
              FolderLayout(root, root / "train" / NORMAL, root / "test" / NORMAL,
                           root / "test" / ABNORMAL))
    _no_nested_label(layout)
    return layout


def _no_nested_label(layout: FolderLayout) -> None:
    """A DataError for an abnormal/ inside a normal folder (or a normal/ inside abnormal/):
    its images would be read as the outer folder's, while gandi score labels an image by its
    nearest such folder: one image, two labels."""
    for folder, inner in ((layout.train, ABNORMAL), (layout.normal, ABNORMAL),
                          (layout.abnormal, NORMAL)):
        nested = (None if folder is None else
                  next((p for p in sorted(folder.rglob(inner)) if p.is_dir()), None))
        if nested is not None:
            raise DataError(f"image_dir {layout.root}: {nested.relative_to(layout.root)}/ sits "
                            f"inside {folder.relative_to(layout.root)}/, whose images are all "
                            f"read as {'abnormal' if inner == NORMAL else 'normal'}; move it "
                            f"out (gandi score would label its images {inner})")


def folder_label(relative: Path) -> int | None:
    """0 or 1 when the image sits in a folder named normal/ or abnormal/ (the nearest one
    counts), else None: how `gandi.score` reports labels of a folder it scores."""
    for part in reversed(relative.parent.parts):
        if part in (NORMAL, ABNORMAL):
            return int(part == ABNORMAL)
    return None


# ---------------------------------------------------------------------------------------------
# Reading them
# ---------------------------------------------------------------------------------------------

def _eight_bit(image):
    """16-bit grey PNGs (mode I;16 or I) to 8 bits by their full range: Pillow's own conversion
    would clip every value above 255 to white."""
    from PIL import Image
    if image.mode.startswith("I;16") or image.mode == "I":
        values = np.asarray(image, dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8))
    return image


def _transparent(image) -> bool:
    """Whether any pixel is less than opaque (an alpha channel, or a palette's or grey image's
    transparent colour): converting to grey or RGB drops it without compositing, so a digit
    drawn black on transparent read as a blank image and scored like every other one."""
    if image.mode not in ("RGBA", "LA", "PA", "La", "RGBa") and "transparency" not in image.info:
        return False
    return image.convert("RGBA").getchannel("A").getextrema()[0] < 255


def read_image(path: Path, size: int, channels: int) -> np.ndarray:
    """One image as uint8 pixels (size, size, channels); a DataError naming the file when
    Pillow cannot decode it (not an image, truncated, a decompression bomb)."""
    from PIL import Image, ImageOps
    try:
        with Image.open(path) as image:
            image = _eight_bit(ImageOps.exif_transpose(image))
            if _transparent(image):
                raise DataError(f"{path}: has transparent pixels; gandi reads grey or RGB "
                                f"pixels and would drop the transparency (a shape drawn in it "
                                f"alone would vanish): flatten the image onto its background "
                                f"first")
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (size, size):
                image = image.resize((size, size), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        # UnidentifiedImageError and "image file is truncated" are OSErrors
        raise DataError(f"{path}: cannot read it as an image ({type(err).__name__}: "
                        f"{one_line(err)})") from None
    return pixels.reshape(size, size, channels)


def read_images(paths, size: int, channels: int) -> np.ndarray:
    """float32 (N, size, size, channels) in [-1, 1]; files are read one by one, so memory holds
    the decoded batch, never a folder's worth of undecoded files."""
    pixels = np.empty((len(paths), size, size, channels), np.uint8)
    for i, path in enumerate(paths):
        pixels[i] = read_image(path, size, channels)
    return scaled(pixels)


# ---------------------------------------------------------------------------------------------
# The splits of a run
# ---------------------------------------------------------------------------------------------

def folder_splits(setting: dict, rng: np.random.Generator) -> DataSplits:
    """Training and validation normals, and a test set with normals first, then anomalies."""
    layout = folder_layout(setting["image_dir"])
    source = f"image_dir {layout.root}"
    normals, anomalies = list_images(layout.normal), list_images(layout.abnormal)
    labelled = normals + anomalies
    y = np.array([0] * len(normals) + [1] * len(anomalies), np.int64)
    if layout.train is None:  # one collection: train, validation and test all index it
        train_pool = labelled
        train, validation, test = semi_supervised_split(y, setting, source, rng, unit="image")
        how = (f"one folder split by numpy_seed {setting['numpy_seed']}: test_fraction "
               f"{setting['test_fraction']:g} of normal/ and every image of abnormal/ for testing")
    else:
        train_pool = list_images(layout.train)
        train, validation = holdout_split(len(train_pool), setting, source, rng, unit="image")
        test = np.arange(len(labelled))
        how = "train/normal/ for training and validation, test/ for testing"
    size, channels = setting["image_size"], setting["channels"]
    test_y = y[test]
    return DataSplits(
        train=read_images([train_pool[i] for i in train], size, channels),
        validation=read_images([train_pool[i] for i in validation], size, channels),
        test_x=read_images([labelled[i] for i in test], size, channels), test_y=test_y,
        test_ids=[labelled[i].relative_to(layout.root).as_posix() for i in test],
        contents=files_hash(layout.root, set(train_pool) | set(labelled)),
        description=(f"image folder: {len(train)} training and {len(validation)} validation "
                     f"normals, {int((test_y == 0).sum())} test normals and {int(test_y.sum())} "
                     f"test anomalies, as {size}x{size}x{channels} images; {how}"))
