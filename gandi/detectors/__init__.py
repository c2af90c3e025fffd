"""Detectors by name. Each is a `gandi.detectors.base.Detector`: it supplies its `networks`,
`optimizers`, `train_step_eager` and `_anomaly_score`; the base gives the compiled `train_step`,
`score(x) -> np.ndarray` (higher = more anomalous, tracked over training), the fitted
`threshold_` with `predict(x)`, and `generate`; `final_scorers()` gives the costly scores
computed once after training (e.g. AnoGAN's latent search); on images, `anomaly_map(x) ->
(n, h, w)`, where in the image the score comes from (`map_name` says what it is), and
`final_maps()`. tests/test_detector_contract.py checks every entry.

Beside them: the GAN objectives (losses.py), one optimiser per network (optimizers.py), and the
classical detectors every benchmark sets gandi's beside (classical.py, not in DETECTORS)."""
from gandi.detectors.aae import AAEDetector
from gandi.detectors.anogan import AnoGANDetector
from gandi.detectors.autoencoder import AutoencoderDetector
from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.detectors.discriminator_knn import DiscriminatorKNNDetector, DiscriminatorLOFDetector
from gandi.detectors.egbad import EGBADDetector
from gandi.detectors.fencegan import FenceGANDetector
from gandi.detectors.gaal import MOGAALDetector, SOGAALDetector
from gandi.detectors.ganomaly import GANomalyDetector
from gandi.detectors.vae import VAEDetector

DETECTORS = {"discriminator": DiscriminatorDetector, "anogan": AnoGANDetector,
             "egbad": EGBADDetector, "ganomaly": GANomalyDetector,
             "autoencoder": AutoencoderDetector, "vae": VAEDetector, "aae": AAEDetector,
             "fencegan": FenceGANDetector, "discriminator_knn": DiscriminatorKNNDetector,
             "discriminator_lof": DiscriminatorLOFDetector, "so_gaal": SOGAALDetector,
             "mo_gaal": MOGAALDetector}
