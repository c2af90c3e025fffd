"""gandi: GAN-based anomaly detection. From Python: `gandi.Detector` (PyOD's interface) and
`gandi.load(run)`, see gandi/estimator.py; `gandi.Ensemble`, gandi's detectors and the classical
ones in one label-free ensemble (gandi/ensemble.py). Imported on first use, so `import gandi`
(and the command line's start) does not load TensorFlow."""


def __getattr__(name):
    if name in ("Detector", "load"):
        from gandi import estimator
        return getattr(estimator, name)
    if name == "Ensemble":
        from gandi.ensemble import Ensemble
        return Ensemble
    raise AttributeError(f"module 'gandi' has no attribute {name!r}")
