"""Detectors by name. Each gives `networks`, `checkpoint_objects()`, a compiled `train_step`,
and `score(x) -> np.ndarray` (higher = more anomalous), tracked over training; `final_scorers()`
gives the costly scores computed once after training (e.g. AnoGAN's latent search)."""
from gandi.detectors.anogan import AnoGANDetector
from gandi.detectors.discriminator import DiscriminatorDetector

DETECTORS = {"discriminator": DiscriminatorDetector, "anogan": AnoGANDetector}
