"""Shared start of the benchmark scripts: the checkout on sys.path, the shared data folder as
GANDI_DATA_DIR when the user set none, and TensorFlow imported with its start-up chatter held
back (as the playground does). Import it before gandi."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "GANDI_DATA_DIR" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["GANDI_DATA_DIR"] = str(ROOT.parent / "shared" / "data")

from gandi.cli import import_tensorflow_quietly  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL)

import_tensorflow_quietly()
