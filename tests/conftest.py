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
