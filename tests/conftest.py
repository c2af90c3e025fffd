import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist/")
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
                                 reason=f"shared MNIST copy not found at {MNIST_DIR}")
needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST not installed at {FASHION_DIR} (apt-get install dataset-fashion-mnist)")

SMOKE_SETTINGS = ("1", "7", "8")  # 1-D non-saturating, 2-D mixture, 1-D WGAN-GP
SMOKE_STEPS = 60


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory):
    """Run several settings briefly through the real driver; return {setting: results dict}."""
    from gandi.outputs.results import load_results
    from gandi.playground import main

    log_dir = tmp_path_factory.mktemp("log_dir")
    code = main(["--settings", *SMOKE_SETTINGS, "--steps", str(SMOKE_STEPS),
                 "--log-dir", str(log_dir), "--seed", "3", "--no-progress"])
    assert code == 0
    runs = {}
    for results_file in sorted((log_dir / "results").glob("*/results.pkl")):
        results = load_results(results_file)
        runs[str(results["setting_id"])] = (results, results_file.parent.name)
    return log_dir, runs


# ----- your own data: a table and an image folder (test_tables, test_image_folders, test_score) --

@pytest.fixture(scope="session")
def cancer():
    """scikit-learn's breast-cancer table as a user would have it: 30 feature columns, then a
    text label column `target` (357 benign = normal, 212 malignant = anomaly)."""
    from sklearn.datasets import load_breast_cancer
    frame = load_breast_cancer(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    return frame


@pytest.fixture(scope="session")
def cancer_files(tmp_path_factory, cancer) -> dict:
    """The same rows as CSV, NPZ (one 2-D block of features + the label array) and Parquet."""
    import numpy as np
    folder = tmp_path_factory.mktemp("tables")
    paths = {"csv": folder / "cancer.csv", "npz": folder / "cancer.npz",
             "parquet": folder / "cancer.parquet"}
    cancer.to_csv(paths["csv"], index=False)
    np.savez(paths["npz"], x=cancer.drop(columns="target").to_numpy(),
             target=cancer["target"].to_numpy().astype(str))
    cancer.to_parquet(paths["parquet"])
    return paths


DIGIT_NORMALS, DIGIT_ANOMALIES = 300, 100


def write_digit(pixels, path, i: int):
    """An MNIST digit as a user's file: every 3rd one enlarged to 32x32, the next one saved as
    RGB, every 10th as JPEG (lossy) instead of PNG: the reader must resize and convert."""
    from PIL import Image
    image = Image.fromarray(pixels)
    if i % 3 == 1:
        image = image.resize((32, 32), Image.Resampling.BILINEAR)
    elif i % 3 == 2:
        image = image.convert("RGB")
    path = path.with_suffix(".jpg" if i % 10 == 9 else ".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture(scope="session")
def digit_folder(tmp_path_factory):
    """An image folder from the real MNIST training set: 300 ones in normal/, the first 100
    other digits in abnormal/."""
    import numpy as np
    from gandi.data.images import read_idx
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"shared MNIST copy not found at {MNIST_DIR}")
    x = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")[:5000]
    y = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")[:5000]
    root = tmp_path_factory.mktemp("digits")
    for i, k in enumerate(np.flatnonzero(y == 1)[:DIGIT_NORMALS]):
        write_digit(x[k], root / "normal" / f"one_{i:03d}", i)
    for i, k in enumerate(np.flatnonzero(y != 1)[:DIGIT_ANOMALIES]):
        write_digit(x[k], root / "abnormal" / f"digit{y[k]}_{i:03d}", i)
    return root


DIGIT_STEPS = 200


@pytest.fixture(scope="session")
def digit_run(tmp_path_factory, digit_folder):
    """Shipped setting 42 (convolutional autoencoder on an image folder) on the digit folder,
    200 steps: the results dict (with "run")."""
    import run_params
    from gandi.experiment import run_setting
    from gandi.settings import validate
    setting = validate({**run_params.SETTINGS[42], "image_dir": str(digit_folder),
                        "steps": DIGIT_STEPS, "epochs": None}, label="42")
    return run_setting(42, setting, tmp_path_factory.mktemp("digit_log"), progress=False)
