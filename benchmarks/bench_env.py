"""Shared start of the benchmark scripts: quiet TensorFlow, the checkout on sys.path, and the
shared data folder as GANDI_DATA_DIR when the user set none. Import it before gandi."""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "GANDI_DATA_DIR" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["GANDI_DATA_DIR"] = str(ROOT.parent / "shared" / "data")
