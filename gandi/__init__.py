"""gandi: GAN-based anomaly detection. From Python: `gandi.Detector` (PyOD's interface) and
`gandi.load(run)`; see gandi/estimator.py. Imported on first use, so `import gandi` (and the
command line's start) does not load TensorFlow."""


def __getattr__(name):
    if name in ("Detector", "load"):
        from gandi import estimator
        return getattr(estimator, name)
    raise AttributeError(f"module 'gandi' has no attribute {name!r}")
