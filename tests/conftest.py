import atexit
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if "PYTEST_XDIST_WORKER" in os.environ:  # `make test`: one pytest worker per core
    # each worker's TensorFlow on one thread: two workers of two threads each on two cores
    # spend their time waiting on each other (set before TensorFlow is imported)
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
# jit_compile "auto" caches its timings (gandi/training/compiled_step.py): in a folder of the
# suite's (one per process, removed at its end), not in the user's ~/.cache
if "GANDI_CACHE_DIR" not in os.environ:
    os.environ["GANDI_CACHE_DIR"] = tempfile.mkdtemp(prefix="gandi-test-cache-")
    atexit.register(shutil.rmtree, os.environ["GANDI_CACHE_DIR"], True)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist/")
TABULAR_DIR = ROOT.parent / "shared" / "data" / "tabular"
needs_tabular = pytest.mark.skipif(not (TABULAR_DIR / "satimage-2.npz").is_file(),
                                   reason=f"shared ODDS tables not found at {TABULAR_DIR}")
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
                                 reason=f"shared MNIST copy not found at {MNIST_DIR}")
needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST not installed at {FASHION_DIR} (apt-get install dataset-fashion-mnist)")

# ----- a subprocess's stderr: gandi's own lines only ---------------------------------------------
# What TensorFlow prints depends on the CPU, the build and the environment (on AVX-512 CPUs its
# oneDNN lines ignore TF_CPP_MIN_LOG_LEVEL), so no test may depend on it: a test that reads a
# subprocess's stderr reads it through gandi_stderr (test_suite_rules.py enforces this).
TENSORFLOW_LINES = re.compile("|".join((
    # absl/glog (TensorFlow's and XLA's C++ logs): "I1204 09:50:25.606438  5205 port.cc:153] ...";
    # before absl::InitializeLog the date is 0000 and the time "00:00:<seconds since 1970>"
    r"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ",
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] ",  # TensorFlow's older C++ log format
    r"WARNING: All log messages before absl::InitializeLog\(\) is called",  # absl's, once
    r"To enable the following instructions: ",  # cpu_feature_guard's message, its 2nd line
    r"(INFO|WARNING|ERROR):(tensorflow|absl):",  # TensorFlow's Python logger (e.g. retracing)
)))


def gandi_stderr(stderr: str) -> list[str]:
    """A subprocess's stderr as gandi's own non-blank lines: TensorFlow's, absl's and XLA's log
    lines dropped (TENSORFLOW_LINES, matched at a line's start)."""
    return [line for line in stderr.splitlines()
            if line.strip() and not TENSORFLOW_LINES.match(line)]


# ----- seeds and float tolerances, shared by every test ------------------------------------------

# A learning bound (an AUC above some value after a short run) must hold for seeds 0-4, not only
# for the seed the suite runs with: `GANDI_TEST_SEED=k make test` (or pytest on the learning
# tests) runs them with seed k; each such test's docstring gives the margins measured so.
TEST_SEED = int(os.environ.get("GANDI_TEST_SEED", "0"))
SEEDS = {"numpy_seed": TEST_SEED, "tf_seed": TEST_SEED}

EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7: twice the unit roundoff of float32


def reduction_terms(*models) -> int:
    """The number of terms a score's float32 sums add up through `models`: each Dense or
    convolution kernel sums fan-in = prod(kernel.shape[:-1]) products per output."""
    return sum(int(np.prod(layer.kernel.shape[:-1]))
               for model in models for layer in model._flatten_layers()
               if getattr(layer, "kernel", None) is not None)


def assert_float32_close(actual, expected, terms: int):
    """actual == expected but for float32 rounding in sums of at most `terms` terms, e.g. the
    same network on other batch shapes (oneDNN blocks its reductions by the batch) or on another
    CPU. The first-order bound for a reassociated sum of n terms is n * u * sum|terms| (Higham,
    Accuracy and Stability of Numerical Algorithms, 4.2), u = EPS32 / 2; layers add their
    bounds. It is relative to the magnitude the sums handle, not to each result, which can be
    small by cancellation (a residual, a logit near 0): hence atol = rtol * max|expected|. A
    real dependence on the batch (BatchNorm in training mode, a shared draw) differs by orders
    of magnitude more."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    rtol = terms * EPS32
    np.testing.assert_allclose(actual, expected, rtol=rtol,
                               atol=rtol * float(np.max(np.abs(expected), initial=0.0)))


def score_terms(detector) -> int:
    """The float32 sums behind detector.score(x)."""
    return networks_terms([detector.networks[name] for name in detector.scoring_networks])


def networks_terms(networks) -> int:
    """The float32 sums of a score computed by `networks`: every layer of each, and the score's
    reduction over the largest input (pixels or features, latent units)."""
    widest = max(int(np.prod(i.shape[1:])) for n in networks for i in n.inputs)
    return reduction_terms(*networks) + widest


def assert_auc_close(labels, scores, expected_auc: float, terms: int):
    """AUC(labels, scores) == expected_auc, where `scores` are float32-rounding copies (see
    assert_float32_close) of the scores that gave expected_auc: only an (anomaly, normal) pair
    whose scores lie within twice that rounding bound of each other can change order, and each
    such pair moves the AUC by 1 / (n_anomaly * n_normal)."""
    from gandi.tracking.metrics import roc_auc
    scores, labels = np.asarray(scores, np.float64).ravel(), np.asarray(labels).ravel()
    bound = 2 * terms * EPS32 * 2 * float(np.max(np.abs(scores)))
    gaps = np.abs(scores[labels == 1][:, None] - scores[labels == 0][None, :])
    assert abs(roc_auc(labels, scores) - expected_auc) <= np.mean(gaps <= bound) + 1e-12


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


# gandi.Detector (and gandi.Ensemble) on the breast-cancer table: N_FIT benign rows to fit on,
# the other rows to report on; setting 41's autoencoder (the shipped table template) at a
# test's length, and image fits at a test's length
N_FIT = 250
API_VECTOR_PARAMS = {"steps": 150, "track_every": 50, "checkpoint_every": 150, "latent_dim": 4,
                     "lr_g": 1e-3, "beta_1": 0.9, "checkpoint_ensemble": 1}
# 120 steps: at 60, seed 4's criterion chose the untrained step 0 (AUC 0.0 on real digits)
API_IMAGE_PARAMS = {"epochs": None, "steps": 120, "track_every": 40, "checkpoint_every": 120}


@pytest.fixture(scope="session")
def vectors(cancer):
    x = cancer.drop(columns="target").to_numpy()
    malignant = (cancer["target"] == "malignant").to_numpy()
    benign = np.flatnonzero(~malignant)
    rest = np.setdiff1d(np.arange(len(x)), benign[:N_FIT])
    return {"fit": x[benign[:N_FIT]], "eval": x[rest], "eval_y": malignant[rest].astype(int)}


def assert_exports_its_scores(fitted, path, x) -> None:
    """`fitted.export(path)` (a gandi.Detector or gandi.Ensemble) serves what
    `fitted.decision_function(x)` gives: the same float32 input, the same ops in the saved
    graph (float64 ones stay float64; the served score is cast to float32): equal to 1e-5."""
    import tensorflow as tf
    fitted.export(path)
    served = tf.saved_model.load(str(path)).signatures["serving_default"](
        x=tf.constant(np.asarray(x, np.float32)))  # images: pixel values 0-255 as float32
    expected = fitted.decision_function(x)
    np.testing.assert_allclose(served["score"].numpy(), expected, rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())
    np.testing.assert_array_equal(served["is_anomaly"].numpy(), expected > fitted.threshold_)


N_ONES = 600


@pytest.fixture(scope="session")
def ones(tmp_path_factory):
    """Real MNIST: N_ONES training ones to fit on, and 100 test ones and 100 other test digits."""
    from gandi.data.images import read_idx
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"shared MNIST copy not found at {MNIST_DIR}")
    x = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")[:10000]
    y = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")[:10000]
    test_x = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:2000]
    test_y = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")[:2000]
    other = np.concatenate([test_x[test_y == 1][:100], test_x[test_y != 1][:100]])
    return {"fit": x[y == 1][:N_ONES], "test": other, "test_y": np.repeat([0, 1], 100)}


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
    from gandi.settings.validation import validate
    setting = validate({**run_params.SETTINGS[42], "image_dir": str(digit_folder),
                        "steps": DIGIT_STEPS, "epochs": None, **SEEDS}, label="42")
    return run_setting(42, setting, tmp_path_factory.mktemp("digit_log"), progress=False)


@pytest.fixture
def record_property(record_property):
    """pytest's record_property, numbers as Python numbers: the suite runs in two pytest-xdist
    workers, which send recorded properties to the controller and cannot send numpy scalars."""
    def record(name, value):
        record_property(name, value.item() if isinstance(value, np.generic) else value)
    return record


# ----- scheduling: the heaviest files first --------------------------------------------------------
# `make test` hands whole files to two xdist workers (--dist loadfile) in collection order (with
# --no-loadscope-reorder; xdist's default orders files by their number of tests, which put the
# few-test, long-fixture files last and left one worker idle at the end). Longest first, the short
# files fill in behind them. Ranked by their time alone on a 2-core AMD EPYC (2026-12-02).
HEAVY_FIRST = ("test_sweep.py", "test_encoder_gans.py", "test_image_runs.py", "test_score.py",
               "test_run_status.py", "test_detector_contract.py", "test_benchmark.py",
               "test_autoencoders.py", "test_image_folders.py", "test_estimator.py",
               "test_selection.py", "test_detection.py", "test_paper.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's order kept


# ----- galleries (gandi.outputs.galleries), read back from a finished image run ------------------

def assert_galleries(results, data, tracked=None):
    """The run's galleries, read back: a figure (PNG) per final-table row but the Monte-Carlo
    threshold's (the discriminator's scores again); each non-empty gallery in TensorBoard at the
    row's step, tiled 4 wide; the errors shown are errors by the test labels; a row with a map
    draws colour. With `tracked` (the run's detector restored at the sweet spot, as gandi.score
    has it) the tracked row's pictures are exactly its maps laid over the test images shown, on
    the run's saved colour scale, and they rank above the most normal ones."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from gandi.outputs.galleries import GAP, tiled
    from gandi.outputs.map_pictures import overlay
    run, final = results["run"], results["final"]
    rows = [row for row in final["detector"] if row != "mc_threshold"]
    assert rows and sorted(results["galleries"]) == sorted(rows)
    events = EventAccumulator(str(run.tensorboard), size_guidance={"tensors": 0})
    events.Reload()
    side = data.test_x.shape[1]
    for row in rows:
        info, name = results["galleries"][row], row.replace(" ", "_")
        assert (run.plots / f"gallery_{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert f"gallery_{name}" in results["figures"]
        shown = info["test_indices"]
        assert len(shown["most_anomalous"]) == len(shown["most_normal"]) == 16
        assert all(data.test_y[i] == 0 for i in shown["false_positives"])
        assert all(data.test_y[i] == 1 for i in shown["false_negatives"])
        for gallery, idx in shown.items():
            tag = f"galleries/{name}/{gallery}"
            if not idx:
                assert tag not in events.Tags()["tensors"]
                continue
            (event,) = events.Tensors(tag)
            assert event.step == info["step"]
            picture = tf.io.decode_png(tf.make_ndarray(event.tensor_proto)[2]).numpy()
            tile_rows = -(-len(idx) // 4)
            assert picture.shape == (tile_rows * (side + GAP) - GAP, 4 * (side + GAP) - GAP, 3)
            if info["map_name"]:
                assert np.any(picture[..., 0] != picture[..., 2]), "no map colour"
            if tracked is not None and row == tracked.tracked_name:
                x = data.test_x[idx]
                expected = tiled(overlay(x, tracked.anomaly_map(x), info["map_scale"]))
                # the same maps to float32 rounding: at most one step of 255 apart
                assert np.abs(picture.astype(int) - np.round(expected * 255)).max() <= 1
    if tracked is not None:
        info = results["galleries"][tracked.tracked_name]
        assert run.read_thresholds()["map_scale"] == info["map_scale"] > 0
        scores = tracked.score(data.test_x[info["test_indices"]["most_anomalous"]
                                          + info["test_indices"]["most_normal"]])
        assert scores[:16].min() > scores[16:].max()
