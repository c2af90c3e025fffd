"""Detectors by name. Each gives `networks`, `checkpoint_objects()`, a compiled `train_step`,
and `score(x) -> np.ndarray` (higher = more anomalous), tracked over training; `final_scorers()`
gives the costly scores computed once after training (e.g. AnoGAN's latent search)."""
from gandi.detectors.aae import AAEDetector
from gandi.detectors.anogan import AnoGANDetector
from gandi.detectors.autoencoder import AutoencoderDetector
from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.detectors.egbad import EGBADDetector
from gandi.detectors.ganomaly import GANomalyDetector
from gandi.detectors.vae import VAEDetector

DETECTORS = {"discriminator": DiscriminatorDetector, "anogan": AnoGANDetector,
             "egbad": EGBADDetector, "ganomaly": GANomalyDetector,
             "autoencoder": AutoencoderDetector, "vae": VAEDetector, "aae": AAEDetector}
