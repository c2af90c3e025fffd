"""Image data: the IDX reader, where data are found, and the one-class splits on real MNIST.

Nothing here may download: every test runs with the Keras loaders replaced by ones that record
the attempt and fail, and a test fails if an attempt was made that it did not expect.
"""
import gzip
import shutil
import struct
import tracemalloc
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from gandi.data import images
from gandi.data.images import (DATASETS, IDX_FILES, DataError, dataset_classes, find_dataset_dir,
                               load_dataset, one_class_splits, read_idx)

from conftest import FASHION_DIR, MNIST_DIR, needs_fashion, needs_mnist


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    """Replace the Keras loaders; a test that did not expect a download attempt fails."""
    attempts = []

    def refuse(name):
        def load_data(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"download of {name} attempted in a test")
        return load_data

    monkeypatch.setattr(keras.datasets.mnist, "load_data", refuse("mnist"))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", refuse("fashion_mnist"))
    monkeypatch.delenv(images.ENV_DATA_DIR, raising=False)
    yield attempts
    assert not attempts, f"unexpected Keras download attempt(s): {attempts}"


# ----- helpers: small IDX files written by hand ----------------------------------------------

def idx_bytes(array=None, magic=None, dims=None, payload=None) -> bytes:
    """Raw (uncompressed) IDX bytes; the defaults describe `array`, any part may be overridden."""
    array = None if array is None else np.asarray(array, dtype=np.uint8)
    dims = array.shape if dims is None else dims
    magic = 0x00000800 + len(dims) if magic is None else magic
    payload = array.tobytes() if payload is None else payload
    return struct.pack(f">I{len(dims)}I", magic, *dims) + payload


def write_gz(path: Path, raw: bytes) -> Path:
    path.write_bytes(gzip.compress(raw))
    return path


def write_dataset(folder: Path, n_train=(5, 5), n_test=(3, 3), label_value=0) -> Path:
    """A tiny dataset folder: (images, labels) counts for train and test."""
    folder.mkdir(parents=True, exist_ok=True)
    for part, (n_images, n_labels) in (("train", n_train), ("test", n_test)):
        write_gz(folder / IDX_FILES[f"{part}_images"], idx_bytes(np.zeros((n_images, 28, 28))))
        write_gz(folder / IDX_FILES[f"{part}_labels"], idx_bytes(np.full(n_labels, label_value)))
    return folder


def raw_idx(path: Path, header_bytes: int) -> np.ndarray:
    """An IDX payload read without the module under test."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def mnist_setting(**overrides):
    setting = {"dataset": "mnist", "data_dir": str(MNIST_DIR), "normal_class": None,
               "anomaly_class": None, "validation_fraction": 0.1, "train_limit": None,
               "test_limit": None}
    setting.update(overrides)
    return setting


def as_uint8(x: np.ndarray) -> np.ndarray:
    """[-1, 1] floats back to the file's bytes."""
    return np.rint((x[..., 0] + 1.0) * 127.5).astype(np.uint8)


# ----- real data --------------------------------------------------------------------------------

@needs_mnist
def test_mnist_reads_the_official_counts_and_pixel_mean():
    x_train, y_train, x_test, y_test = load_dataset("mnist", MNIST_DIR)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # from the shared README: equal to the official training set's
    assert x_train.mean(dtype=np.float64) == pytest.approx(33.318421, abs=1e-4)
    assert x_train.std(dtype=np.float64) == pytest.approx(78.567490, abs=1e-4)
    assert np.bincount(y_test, minlength=10)[1] == 1135
    assert np.bincount(y_train, minlength=10).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    # labels agree with an independent read of the file
    assert np.array_equal(y_test, raw_idx(MNIST_DIR / IDX_FILES["test_labels"], 8))


@needs_mnist
def test_loaded_arrays_are_cached_and_read_only():
    first = load_dataset("mnist", MNIST_DIR)
    assert load_dataset("mnist", MNIST_DIR)[0] is first[0]
    with pytest.raises(ValueError):
        first[0][0, 0, 0] = 255


@needs_fashion
def test_fashion_mnist_found_in_the_debian_folder():
    assert find_dataset_dir("fashion_mnist") == FASHION_DIR.resolve()
    x_train, y_train, x_test, y_test = load_dataset("fashion_mnist")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10
    assert dataset_classes("fashion_mnist")[9] == "Ankle boot"


@needs_fashion
def test_fashion_subfolder_of_data_dir_is_found(tmp_path):
    (tmp_path / "fashion-mnist").symlink_to(FASHION_DIR, target_is_directory=True)
    assert find_dataset_dir("fashion_mnist", tmp_path) == FASHION_DIR.resolve()


@needs_mnist
def test_dataset_found_in_a_subfolder_of_data_dir_or_the_environment(monkeypatch):
    assert find_dataset_dir("mnist", MNIST_DIR.parent) == MNIST_DIR.resolve()
    assert find_dataset_dir("mnist") is None  # no environment, no system folder: Keras
    monkeypatch.setenv(images.ENV_DATA_DIR, str(MNIST_DIR.parent))
    assert find_dataset_dir("mnist") == MNIST_DIR.resolve()


# ----- MNIST and Fashion-MNIST share file names: told apart by their label counts ---------------

def idx_folder_of(source: Path, folder: Path) -> Path:
    """`folder` holding source's four IDX files: the label files copied, the images linked."""
    folder.mkdir(parents=True)
    for role, name in IDX_FILES.items():
        if role.endswith("labels"):
            shutil.copy(source / name, folder / name)
        else:
            (folder / name).symlink_to(source / name)
    return folder


@needs_mnist
@needs_fashion
def test_a_folder_of_the_other_dataset_is_skipped_or_refused(tmp_path, monkeypatch):
    root = idx_folder_of(MNIST_DIR, tmp_path / "root")  # MNIST's files, Fashion in a sub-folder
    idx_folder_of(FASHION_DIR, root / "fashion_mnist")
    assert find_dataset_dir("fashion_mnist", root) == (root / "fashion_mnist").resolve()
    assert find_dataset_dir("mnist", root) == root.resolve()
    assert images.recognised_dataset(root) == "mnist"
    assert images.recognised_dataset(FASHION_DIR) == "fashion_mnist"
    assert images.recognised_dataset(write_dataset(tmp_path / "tiny")) is None  # neither: read
    # only MNIST where Fashion-MNIST was asked for: one line, no run on the wrong images
    with pytest.raises(DataError) as info:
        find_dataset_dir("fashion_mnist", MNIST_DIR)
    message = str(info.value)
    assert "\n" not in message and message.startswith("fashion_mnist expected, but ")
    assert f"{MNIST_DIR.resolve()} holds mnist's IDX files" in message
    assert "GANDI_DATA_DIR" in message and "fashion_mnist/" in message
    # GANDI_DATA_DIR at MNIST's folder: Fashion-MNIST from Debian's, else refused
    monkeypatch.setenv(images.ENV_DATA_DIR, str(MNIST_DIR))
    assert find_dataset_dir("fashion_mnist") == FASHION_DIR.resolve()
    fashion = replace(DATASETS["fashion_mnist"], system_dirs=(str(tmp_path / "absent"),))
    monkeypatch.setitem(DATASETS, "fashion_mnist", fashion)
    with pytest.raises(DataError, match="fashion_mnist expected, but .* holds mnist's"):
        load_dataset("fashion_mnist")
    monkeypatch.setenv(images.ENV_DATA_DIR, str(FASHION_DIR))
    with pytest.raises(DataError, match="mnist expected, but .* holds fashion_mnist's"):
        load_dataset("mnist")


# ----- one-class splits on real MNIST -----------------------------------------------------------

@pytest.fixture(scope="module")
def mnist_by_class():
    """Image bytes -> digit, from an independent read of the files."""
    if not (MNIST_DIR / IDX_FILES["train_images"]).is_file():
        pytest.skip(f"shared MNIST copy not found at {MNIST_DIR}")
    out = {}
    for part in ("train", "test"):
        x = raw_idx(MNIST_DIR / IDX_FILES[f"{part}_images"], 16).reshape(-1, 784)
        y = raw_idx(MNIST_DIR / IDX_FILES[f"{part}_labels"], 8)
        out[part] = {row.tobytes(): int(label) for row, label in zip(x, y)}
    return out


def digits_of(x: np.ndarray, table: dict) -> np.ndarray:
    return np.array([table[row.tobytes()] for row in as_uint8(x).reshape(len(x), -1)])


def check_common(data, n_test=10000):
    for x in (data.train, data.validation, data.test_x):
        assert x.dtype == np.float32 and x.shape[1:] == (28, 28, 1)
        assert x.min() >= -1.0 and x.max() <= 1.0
    assert data.train.min() == -1.0 and data.train.max() == 1.0
    assert data.test_y.dtype == np.int64 and len(data.test_x) == len(data.test_y) == n_test
    assert data.normal is None and data.anomaly is None
    # normals first, then anomalies
    assert np.all(np.diff(data.test_y) >= 0)
    train = {row.tobytes() for row in as_uint8(data.train).reshape(len(data.train), -1)}
    assert not any(row.tobytes() in train
                   for row in as_uint8(data.validation).reshape(len(data.validation), -1))


def test_normal_class_protocol_trains_on_that_class_only(mnist_by_class):
    data = one_class_splits(mnist_setting(normal_class=1), np.random.default_rng(0))
    check_common(data)
    assert len(data.train) + len(data.validation) == 6742
    assert len(data.validation) == 674
    assert set(digits_of(data.train, mnist_by_class["train"])) == {1}
    assert set(digits_of(data.validation, mnist_by_class["train"])) == {1}
    test_digits = digits_of(data.test_x, mnist_by_class["test"])
    assert np.array_equal(data.test_y, (test_digits != 1).astype(np.int64))
    assert data.test_y.sum() == 10000 - 1135


def test_anomaly_class_protocol_trains_on_all_other_classes(mnist_by_class):
    data = one_class_splits(mnist_setting(anomaly_class=1), np.random.default_rng(0))
    check_common(data)
    assert len(data.train) + len(data.validation) == 60000 - 6742
    assert len(data.validation) == round(0.1 * (60000 - 6742))
    train_digits = digits_of(data.train, mnist_by_class["train"])
    assert 1 not in train_digits and set(train_digits) == set(range(10)) - {1}
    test_digits = digits_of(data.test_x, mnist_by_class["test"])
    assert np.array_equal(data.test_y, (test_digits == 1).astype(np.int64))
    assert data.test_y.sum() == 1135


def test_splits_follow_the_rng():
    setting = mnist_setting(normal_class=3, train_limit=50, test_limit=40)
    a = one_class_splits(setting, np.random.default_rng(5))
    b = one_class_splits(setting, np.random.default_rng(5))
    c = one_class_splits(setting, np.random.default_rng(6))
    assert np.array_equal(a.train, b.train) and np.array_equal(a.test_x, b.test_x)
    assert not np.array_equal(a.train, c.train)


def test_limits_keep_sizes_and_strata(mnist_by_class):
    data = one_class_splits(mnist_setting(normal_class=1, train_limit=100, test_limit=200),
                            np.random.default_rng(1))
    assert len(data.train) == 100
    assert len(data.validation) == 11  # the validation keeps its 10 % of the normals used
    assert len(data.test_x) == 200
    test_digits = digits_of(data.test_x, mnist_by_class["test"])
    # 11.35 % of the test set is digit 1; every digit keeps its share (within rounding)
    assert data.test_y.tolist().count(0) == 23 and set(test_digits[data.test_y == 0]) == {1}
    full = np.bincount(list(mnist_by_class["test"].values()), minlength=10) * 200 / 10000
    assert np.all(np.abs(np.bincount(test_digits, minlength=10) - full) <= 1)

    # a tiny test set still holds both normals and anomalies
    tiny = one_class_splits(mnist_setting(anomaly_class=1, train_limit=10, test_limit=2),
                            np.random.default_rng(1))
    assert sorted(tiny.test_y.tolist()) == [0, 1] and len(tiny.train) == 10


# ----- bad input: one clear DataError naming the file --------------------------------------------

def test_missing_file_in_a_folder_names_folder_and_file(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    (folder / IDX_FILES["test_labels"]).unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz") as info:
        load_dataset("mnist", folder)
    assert str(folder) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(DataError, match="file not found"):
        read_idx(folder / IDX_FILES["test_labels"])


@needs_mnist
def test_truncated_gzip(tmp_path):
    real = (MNIST_DIR / IDX_FILES["test_labels"]).read_bytes()
    path = tmp_path / "half.gz"
    path.write_bytes(real[:len(real) // 2])
    with pytest.raises(DataError, match="truncated or corrupt") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_not_gzip(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(idx_bytes(np.arange(5)))  # a valid IDX file, but not gzipped
    with pytest.raises(DataError, match="not a readable gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_wrong_magic_number(tmp_path):
    path = write_gz(tmp_path / "x.gz", idx_bytes(np.arange(5), magic=0x00000D01))
    with pytest.raises(DataError, match="magic number 0x00000d01") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_header_shorter_than_declared(tmp_path):
    path = write_gz(tmp_path / "x.gz", struct.pack(">II", 0x00000803, 5))
    with pytest.raises(DataError, match="header declares 3 dims") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("n_images,match,bound", [
    # over the cap (2**31 images declared): refused from the header, nothing read
    (2 ** 31, "corrupt header", 2 ** 20),
    # just under it (256 MiB declared, 100 bytes held): the reader asks for one READ_CHUNK at a
    # time, so memory grows with the bytes the file holds (an unbounded read would reserve the
    # declared size)
    (images.MAX_IDX_BYTES // 784, "payload has 100 bytes", images.READ_CHUNK + 2 ** 20),
])
def test_absurd_header_fails_without_allocating(tmp_path, n_images, match, bound):
    path = write_gz(tmp_path / "x.gz", idx_bytes(dims=(n_images, 28, 28), payload=bytes(100)))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=match) as info:
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < bound, f"peak {peak} bytes"


def test_payload_too_short_or_trailing_bytes(tmp_path):
    short = write_gz(tmp_path / "short.gz", idx_bytes(dims=(5,), payload=bytes(4)))
    with pytest.raises(DataError, match="payload has 4 bytes .* need 5") as info:
        read_idx(short)
    assert str(short) in str(info.value)
    trailing = write_gz(tmp_path / "trailing.gz", idx_bytes(dims=(5,), payload=bytes(6)))
    with pytest.raises(DataError, match="trailing bytes") as info:
        read_idx(trailing)
    assert str(trailing) in str(info.value)


def test_valid_small_file_round_trips(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = write_gz(tmp_path / "ok.gz", idx_bytes(array))
    assert np.array_equal(read_idx(path), array)


def test_image_and_label_counts_must_match(tmp_path):
    folder = write_dataset(tmp_path / "d", n_train=(5, 4))
    with pytest.raises(DataError) as info:
        load_dataset("mnist", folder)
    message = str(info.value)
    assert "5 images" in message and "4 labels" in message
    assert str(folder / IDX_FILES["train_images"]) in message
    assert str(folder / IDX_FILES["train_labels"]) in message


def test_labels_outside_the_classes(tmp_path):
    folder = write_dataset(tmp_path / "d", label_value=10)
    with pytest.raises(DataError, match=r"labels \[10\] are not classes"):
        load_dataset("mnist", folder)


def test_class_outside_the_dataset_lists_the_valid_ones(tmp_path):
    setting = mnist_setting(dataset="fashion_mnist", data_dir=None, normal_class=12)
    with pytest.raises(DataError) as info:
        one_class_splits(setting, np.random.default_rng(0))
    message = str(info.value)
    assert message.startswith("normal_class = 12 is not a class of fashion_mnist; valid: ")
    assert "0 (T-shirt/top), 1 (Trouser)" in message and "9 (Ankle boot)" in message
    with pytest.raises(DataError, match="exactly one of normal_class"):
        one_class_splits(mnist_setting(normal_class=1, anomaly_class=2), np.random.default_rng(0))


def test_wrong_data_dir_is_an_error_not_a_download(tmp_path):
    partial = tmp_path / "mine"
    partial.mkdir()
    shutil.copy(write_gz(tmp_path / "l.gz", idx_bytes(np.zeros(3))),
                partial / IDX_FILES["train_labels"])
    with pytest.raises(DataError) as info:
        load_dataset("mnist", partial)
    message = str(info.value)
    assert str(partial) in message and IDX_FILES["train_images"] in message
    assert IDX_FILES["train_labels"] not in message.split("lacks")[1].split("(")[0]
    with pytest.raises(DataError, match="folder not found"):
        find_dataset_dir("mnist", tmp_path / "nowhere")


def test_no_source_at_all_names_the_three_ways(tmp_path, monkeypatch, no_download):
    monkeypatch.setenv(images.ENV_DATA_DIR, str(tmp_path))
    with pytest.raises(DataError) as info:
        load_dataset("mnist")
    message = str(info.value)
    assert no_download == ["mnist"]
    assert "\n" not in message and str(tmp_path) in message
    assert "set `data_dir` in the setting or GANDI_DATA_DIR" in message
    assert "or allow the Keras download" in message and "OSError" in message
    assert "dataset-fashion-mnist" not in message  # only Fashion-MNIST has a Debian package

    # Fashion-MNIST as if Debian's package were missing
    fashion = replace(DATASETS["fashion_mnist"], system_dirs=(str(tmp_path / "absent"),))
    monkeypatch.setitem(DATASETS, "fashion_mnist", fashion)
    with pytest.raises(DataError, match="install Debian's dataset-fashion-mnist"):
        load_dataset("fashion_mnist")
    assert no_download == ["mnist", "fashion_mnist"]
    no_download.clear()


@needs_mnist
def test_a_runs_data_say_which_folder_their_files_came_from():
    """MNIST and Fashion-MNIST share their four file names: the run's data line names the
    folder they were read from."""
    from gandi.data import load_splits
    from gandi.settings.validation import validate
    setting = validate({"dataset": "mnist", "normal_class": 1, "data_dir": str(MNIST_DIR),
                        "train_limit": 50, "test_limit": 50})
    data = load_splits(setting, np.random.default_rng(0))
    assert data.description.endswith(f"; files from {MNIST_DIR.resolve()}")
