"""Image data for one-class anomaly detection: MNIST and Fashion-MNIST (28x28 grey, 10 classes).

Where the data come from, in order: a folder the user names (`data_dir` in the setting, else the
environment variable GANDI_DATA_DIR), Debian's package folder (Fashion-MNIST only), and last the
Keras download. The folder holds the four gzipped IDX files with their standard names; we read
them ourselves so that the same code reads a user's download, the shared CI copy and Debian's.
Both datasets use the same four names: a folder is known to hold one or the other by its label
counts (Fashion-MNIST: exactly 6,000 training and 1,000 test images of each class), and a folder
of the other dataset is skipped (or, if nothing else is found, refused), never trained on.

Two one-class protocols (label 1 = anomaly, 0 = normal):
- `normal_class: k`  train on class k only; every other class is an anomaly (Deep SVDD, EGBAD).
- `anomaly_class: k` train on every class but k; class k is the anomaly (GANomaly).
"""
from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gandi.data.errors import DataError, one_line as _one_line
# the reader's caps, kept importable from here (tests of hostile files read them)
from gandi.data.idx_files import MAX_IDX_BYTES, READ_CHUNK, read_idx  # noqa: F401
from gandi.data.splits import DataSplits

IMAGE_SHAPE = (28, 28)
ENV_DATA_DIR = "GANDI_DATA_DIR"

# role -> standard file name (the names yann.lecun.com, Keras and Debian use)
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class ImageDataset:
    name: str
    class_names: tuple[str, ...]
    keras_loader: str                    # module whose load_data() downloads it
    subfolders: tuple[str, ...]          # names of a subfolder of data_dir that may hold it
    system_dirs: tuple[str, ...] = ()    # folders a system package installs it to
    system_package: str | None = None
    files: tuple[tuple[str, str], ...] = tuple(IDX_FILES.items())
    # images per class in the training and the test labels: how a folder's files are known to
    # be this dataset and not the other (both share the four file names)
    label_counts: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())

    @property
    def file_names(self) -> list[str]:
        return [file_name for _, file_name in self.files]


DATASETS = {
    "mnist": ImageDataset(
        name="mnist",
        class_names=tuple(str(digit) for digit in range(10)),
        keras_loader="keras.datasets.mnist",
        subfolders=("mnist",),
        label_counts=((5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
                      (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009))),
    "fashion_mnist": ImageDataset(
        name="fashion_mnist",
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        keras_loader="keras.datasets.fashion_mnist",
        subfolders=("fashion_mnist", "fashion-mnist"),
        system_dirs=("/usr/share/datasets/fashion-mnist/",),
        system_package="dataset-fashion-mnist",
        label_counts=((6000,) * 10, (1000,) * 10)),
}


def _dataset(name: str) -> ImageDataset:
    if name not in DATASETS:
        raise DataError(f"unknown image dataset {name!r}; valid: {', '.join(DATASETS)}")
    return DATASETS[name]


def dataset_classes(name: str) -> list[str]:
    """Class names of a dataset, indexed by label."""
    return list(_dataset(name).class_names)


# ---------------------------------------------------------------------------------------------
# Finding and loading a dataset
# ---------------------------------------------------------------------------------------------

def _missing_files(folder: Path, dataset: ImageDataset) -> list[str]:
    return [f for f in dataset.file_names if not (folder / f).is_file()]


def _candidates(folder: Path, dataset: ImageDataset) -> list[Path]:
    """The folder itself, then its subfolders named after the dataset."""
    return [folder] + [folder / sub for sub in dataset.subfolders]


@functools.lru_cache(maxsize=16)
def _counted_as(folder: str, stamps: tuple) -> str | None:
    """Which dataset a folder's IDX files are, by their label files alone (70 KB together, no
    image read): each dataset's exact images per class, train and test. MNIST and Fashion-MNIST
    share their file names, so a folder of one was taken for the other without a word. None:
    counts of neither (a subset, a file of other labels): the usual checks read it as named.
    `stamps` (size, mtime of each label file) make a rewritten file counted again."""
    counts = []
    for role in ("train_labels", "test_labels"):
        labels = read_idx(Path(folder) / IDX_FILES[role])
        if labels.ndim != 1:
            return None  # not labels: _check_pair says what is wrong when it is loaded
        counts.append(tuple(np.bincount(labels).tolist()))
    return next((name for name, known in DATASETS.items()
                 if tuple(counts) == known.label_counts), None)


def recognised_dataset(folder: Path) -> str | None:
    """The dataset whose exact label counts a folder's four IDX files have, else None."""
    labels = [folder / IDX_FILES[role] for role in ("train_labels", "test_labels")]
    stamps = tuple((s.st_size, s.st_mtime_ns) for s in map(os.stat, labels))
    return _counted_as(str(folder.resolve()), stamps)


def _search(candidates, dataset: ImageDataset) -> tuple[Path | None, list]:
    """The first candidate folder holding the dataset's four files, skipping folders whose
    files are the other dataset's; and those skipped, as (folder, what they hold)."""
    skipped = []
    for candidate in candidates:
        if _missing_files(candidate, dataset):
            continue
        holds = recognised_dataset(candidate)
        if holds not in (None, dataset.name):
            skipped.append((candidate.resolve(), holds))
            continue
        return candidate.resolve(), skipped
    return None, skipped


def _other_dataset(dataset: ImageDataset, skipped: list) -> DataError:
    """Only the other dataset's files were found: one line saying where, and what to do."""
    found = "; ".join(f"{folder} holds {holds}'s IDX files" for folder, holds in skipped)
    subfolders = " or ".join(f"{sub}/" for sub in dataset.subfolders)
    return DataError(
        f"{dataset.name} expected, but {found} (told apart by their label counts per class); "
        f"set `data_dir` in the setting or {ENV_DATA_DIR} to a folder holding {dataset.name}'s "
        f"four IDX files (or holding them in a sub-folder {subfolders})")


def find_dataset_dir(name: str, data_dir=None) -> Path | None:
    """The folder holding the dataset's four IDX files, or None: fall back to Keras."""
    dataset = _dataset(name)
    if data_dir is not None:
        folder = Path(data_dir).expanduser().absolute()
        found, skipped = _search(_candidates(folder, dataset), dataset)
        if found is None:
            # a user who names a folder must hear that it is wrong, not get a silent download
            if skipped:
                raise _other_dataset(dataset, skipped)
            raise DataError(f"data_dir = {folder}: {_why_not_there(folder, dataset)}")
        return found
    # GANDI_DATA_DIR may be a shared root that holds only some datasets: not finding one in it
    # is no error, the next source is tried
    candidates = []
    env_dir = os.environ.get(ENV_DATA_DIR)
    if env_dir:
        candidates += _candidates(Path(env_dir).expanduser().absolute(), dataset)
    candidates += [Path(system_dir) for system_dir in dataset.system_dirs]
    found, skipped = _search(candidates, dataset)
    if found is None and skipped:  # the other dataset, where this one was looked for
        raise _other_dataset(dataset, skipped)
    return found


def _why_not_there(folder: Path, dataset: ImageDataset) -> str:
    """Which of the searched folders came closest, and what it lacks."""
    searched = ", ".join(str(c) for c in _candidates(folder, dataset))
    existing = [c for c in _candidates(folder, dataset) if c.is_dir()]
    if not existing:
        return f"folder not found (searched {searched})"
    closest = min(existing, key=lambda c: len(_missing_files(c, dataset)))
    missing = ", ".join(_missing_files(closest, dataset))
    return (f"no {dataset.name} files: {closest} lacks {missing} "
            f"(searched {searched})")


def _freeze(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cached arrays are shared by every caller: make accidental writes fail loudly."""
    for array in arrays:
        array.flags.writeable = False
    return arrays


def _check_pair(dataset: ImageDataset, images: np.ndarray, labels: np.ndarray,
                images_file, labels_file) -> None:
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{images_file}: images of shape {images.shape[1:]}, expected "
                        f"{IMAGE_SHAPE} for {dataset.name}")
    if labels.ndim != 1:
        raise DataError(f"{labels_file}: labels with {labels.ndim} dims, expected 1")
    if len(images) != len(labels):
        raise DataError(f"{images_file} holds {len(images)} images but {labels_file} holds "
                        f"{len(labels)} labels")
    bad = np.unique(labels[labels >= len(dataset.class_names)])
    if bad.size:
        raise DataError(f"{labels_file}: labels {bad.tolist()} are not classes of "
                        f"{dataset.name} (0..{len(dataset.class_names) - 1})")


@functools.lru_cache(maxsize=4)
def _load_folder(name: str, folder: str, stamps: tuple) -> tuple[np.ndarray, ...]:
    """Read one folder once; `stamps` (size, mtime of each file) makes a rewritten file reload."""
    dataset, folder = DATASETS[name], Path(folder)
    arrays = []
    for part in ("train", "test"):
        images_file = folder / IDX_FILES[f"{part}_images"]
        labels_file = folder / IDX_FILES[f"{part}_labels"]
        images, labels = read_idx(images_file), read_idx(labels_file)
        _check_pair(dataset, images, labels, images_file, labels_file)
        arrays += [images, labels]
    return _freeze(*arrays)


def _load_from_keras(dataset: ImageDataset) -> tuple[np.ndarray, ...]:
    try:
        loader = importlib.import_module(dataset.keras_loader).load_data
        (x_train, y_train), (x_test, y_test) = loader()
    except Exception as exc:  # no internet shows up as many exception types
        raise DataError(_no_source_message(dataset, exc)) from exc
    arrays = []
    for part, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        images = np.asarray(images, dtype=np.uint8)
        labels = np.asarray(labels, dtype=np.uint8).reshape(-1)
        where = f"{dataset.keras_loader}.load_data() {part}"
        _check_pair(dataset, images, labels, f"{where} images", f"{where} labels")
        arrays += [images, labels]
    return _freeze(*arrays)


def _no_source_message(dataset: ImageDataset, exc: Exception) -> str:
    env_dir = os.environ.get(ENV_DATA_DIR)
    searched = f"{ENV_DATA_DIR}={env_dir}" if env_dir else f"{ENV_DATA_DIR} unset"
    searched += "".join(f", {d}" for d in dataset.system_dirs)
    ways = [f"set `data_dir` in the setting or {ENV_DATA_DIR} to a folder with the four IDX "
            f"files ({', '.join(dataset.file_names)})"]
    if dataset.system_package:
        ways.append(f"install Debian's {dataset.system_package} "
                    f"(apt-get install -y {dataset.system_package})")
    ways.append(f"or allow the Keras download ({dataset.keras_loader}.load_data() failed: "
                f"{type(exc).__name__}: {_one_line(exc)})")
    return (f"no {dataset.name} data found (searched {searched}); "
            f"{', '.join(ways[:-1])}, {ways[-1]}")


@functools.lru_cache(maxsize=2)
def _load_from_keras_cached(name: str) -> tuple[np.ndarray, ...]:
    return _load_from_keras(DATASETS[name])


def load_dataset(name: str, data_dir=None):
    """(x_train, y_train, x_test, y_test): uint8, images (N, 28, 28), labels (N,); read-only."""
    return load_found(name, find_dataset_dir(name, data_dir))


def load_found(name: str, folder: Path | None):
    """load_dataset's arrays from the folder find_dataset_dir found (None: Keras' download)."""
    dataset = _dataset(name)
    if folder is None:
        return _load_from_keras_cached(dataset.name)
    stamps = tuple((s.st_size, s.st_mtime_ns)
                   for s in (os.stat(folder / f) for f in dataset.file_names))
    return _load_folder(dataset.name, str(folder), stamps)


# ---------------------------------------------------------------------------------------------
# One-class splits
# ---------------------------------------------------------------------------------------------

def _check_class(setting: dict, dataset: ImageDataset) -> tuple[str, int]:
    """Which protocol the setting asks for, and its class."""
    chosen = [key for key in ("normal_class", "anomaly_class")
              if setting.get(key) is not None]
    if len(chosen) != 1:
        raise DataError(f"{dataset.name}: set exactly one of normal_class (train on that class) "
                        f"or anomaly_class (train on all others); got {chosen or 'neither'}")
    key = chosen[0]
    value = setting[key]
    n_classes = len(dataset.class_names)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < n_classes:
        valid = ", ".join(f"{i} ({c})" for i, c in enumerate(dataset.class_names))
        raise DataError(f"{key} = {value!r} is not a class of {dataset.name}; valid: {valid}")
    return key, int(value)


def scaled(pixels: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1]: the range of a tanh generator. Every image source
    (IDX files, image folders, images to score) goes through here, so all share one scale."""
    return pixels.astype(np.float32) / 127.5 - 1.0


def _scaled(images: np.ndarray) -> np.ndarray:
    """Grey (N, 28, 28) IDX images -> (N, 28, 28, 1) in [-1, 1]."""
    return scaled(images)[..., None]


def _proportional_counts(sizes: np.ndarray, n: int) -> np.ndarray:
    """n split over groups in proportion to their sizes (largest remainder), never above a size."""
    exact = sizes * n / sizes.sum()
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[:n - counts.sum()]:
        counts[i] += 1
    return np.minimum(counts, sizes)


def _stratified_choice(indices: np.ndarray, classes: np.ndarray, n: int,
                       rng: np.random.Generator) -> np.ndarray:
    """n of `indices`, each class keeping its share, chosen at random within a class."""
    labels, sizes = np.unique(classes, return_counts=True)
    counts = _proportional_counts(sizes, n)
    picked = [rng.choice(indices[classes == c], size=k, replace=False)
              for c, k in zip(labels, counts)]
    return np.sort(np.concatenate(picked))


def _test_subsample(y_test: np.ndarray, is_anomaly: np.ndarray, limit: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of test normals and anomalies; at most `limit` together, both kinds kept."""
    normals, anomalies = np.flatnonzero(~is_anomaly), np.flatnonzero(is_anomaly)
    if limit is None or limit >= len(y_test):
        return normals, anomalies
    if limit < 2:
        raise DataError(f"test_limit = {limit}: need at least 2 test images "
                        f"(one normal and one anomaly)")
    n_normal = int(np.clip(round(limit * len(normals) / len(y_test)), 1, limit - 1))
    return (_stratified_choice(normals, y_test[normals], n_normal, rng),
            _stratified_choice(anomalies, y_test[anomalies], limit - n_normal, rng))


def one_class_splits(setting: dict, rng: np.random.Generator) -> DataSplits:
    """Train and validation normals, and a test set with normals first, then anomalies.

    `validation_fraction` of the normal training images is held out and never trained on.
    With `train_limit`, at most that many normals are trained on and the validation keeps
    its fraction of the normals used (so a fast test also scores a small validation set).
    """
    dataset = _dataset(setting["dataset"])
    protocol, k = _check_class(setting, dataset)
    fraction = setting.get("validation_fraction", 0.1)
    if not 0 < fraction < 1:
        raise DataError(f"validation_fraction = {fraction!r}: must be in (0, 1)")
    # where the four files are: MNIST's and Fashion-MNIST's share their names (the description)
    folder = find_dataset_dir(dataset.name, setting.get("data_dir"))
    x_train, y_train, x_test, y_test = load_found(dataset.name, folder)

    normal_train = (y_train == k) if protocol == "normal_class" else (y_train != k)
    shuffled = rng.permutation(np.flatnonzero(normal_train))
    n_validation = int(round(fraction * len(shuffled)))
    n_train = len(shuffled) - n_validation
    train_limit = setting.get("train_limit")
    if train_limit is not None and train_limit < n_train:
        n_train = int(train_limit)
        n_validation = max(1, int(round(fraction / (1 - fraction) * n_train)))
    validation_idx = shuffled[:n_validation]
    train_idx = shuffled[n_validation:n_validation + n_train]

    is_anomaly = (y_test != k) if protocol == "normal_class" else (y_test == k)
    normal_idx, anomaly_idx = _test_subsample(y_test, is_anomaly, setting.get("test_limit"), rng)
    test_idx = np.concatenate([normal_idx, anomaly_idx])
    test_y = np.concatenate([np.zeros(len(normal_idx), np.int64),
                             np.ones(len(anomaly_idx), np.int64)])
    return DataSplits(train=_scaled(x_train[train_idx]),
                      validation=_scaled(x_train[validation_idx]),
                      test_x=_scaled(x_test[test_idx]), test_y=test_y,
                      description=f"files from {folder or 'the Keras download cache'}")
