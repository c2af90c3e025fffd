"""Detectors by name. Each gives `networks`, `checkpoint_objects()`, a compiled `train_step`,
and `score(x) -> np.ndarray` (higher = more anomalous)."""
from gandi.detectors.discriminator import DiscriminatorDetector

DETECTORS = {"discriminator": DiscriminatorDetector}
