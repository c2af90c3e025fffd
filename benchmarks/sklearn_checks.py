"""Every scikit-learn estimator check on gandi.Detector, each outcome printed (a tiny setting:
each fit takes seconds; a few minutes in all). The suite runs the cheap ones
(tests/test_sklearn_checks.py, which also says why the rest that fail do not apply).

    python benchmarks/sklearn_checks.py
"""
import sys
import tempfile
import time
from pathlib import Path

import bench_env  # noqa: F401  (checkout on sys.path, quiet TensorFlow)
from sklearn.utils.estimator_checks import check_estimator

import gandi

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_sklearn_checks import NOT_APPLICABLE, TINY  # noqa: E402


def main() -> int:
    started = time.time()
    with tempfile.TemporaryDirectory() as log_dir:
        results = check_estimator(gandi.Detector("autoencoder", log_dir=log_dir, **TINY),
                                  on_fail=None)
    failed_unexpectedly = 0
    for r in results:
        name, status = r["check_name"], r["status"]
        why = NOT_APPLICABLE.get(name, "")
        if status == "failed" and not why:
            failed_unexpectedly += 1
        error = f" ({type(r['exception']).__name__})" if r["exception"] else ""
        print(f"{name}: {status}{error}" + (f" -- does not apply: {why}" if why else ""))
    print(f"{len(results)} checks, {sum(r['status'] == 'passed' for r in results)} passed, "
          f"{failed_unexpectedly} failed unexpectedly, in {time.time() - started:.0f} s")
    return 1 if failed_unexpectedly else 0


if __name__ == "__main__":
    raise SystemExit(main())
