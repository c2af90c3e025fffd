"""AnoGAN (Schlegl et al. 2017): find the latent z whose G(z) best matches an image; the image is
anomalous when no z does.

    loss(z) = (1 - lambda) * ||x - G(z)||_1 + lambda * ||f_D(x) - f_D(G(z))||_1

f_D is the discriminator's "features" layer (feature matching). The search
(`gandi.detectors.latent_search`) runs for many images at once; each image's loss depends only on
its own z, so batching changes speed, not scores. The score is the loss where the search ends
(higher = more anomalous); its anomaly map is the residual |x - G(z*)| at the searched z*
(summed over channels).
"""
from __future__ import annotations

from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.detectors.latent_search import CHECK_EVERY, LatentSearch
from gandi.settings.checks import (SettingKey, at_least_zero, in_unit_interval, positive_int,
                                   positive_number)

ANOGAN_MAP = "residual |x - G(z*)| at the searched latent z*"


class AnoGANDetector(DiscriminatorDetector):
    """Trains the GAN like the discriminator detector (so the discriminator is tracked too);
    after training, scores with the AnoGAN latent search on the final G and D."""

    name = "anogan"
    setting_keys = {  # Schlegl et al. 2017: a latent search per test image, batched
        "anogan_iterations": SettingKey(500, positive_int, "an integer > 0",
                                        "Adam steps of the latent search per image"),
        "anogan_lambda": SettingKey(0.1, in_unit_interval, "a number in [0, 1]",
                                    "weight of the discrimination (feature-matching) loss"),
        "anogan_lr": SettingKey(0.01, positive_number, "a number > 0",
                                "step size of the latent search"),
        "anogan_batch": SettingKey(1000, positive_int, "an integer > 0",
                                   "images searched together"),
        "anogan_tolerance": SettingKey(0.01, at_least_zero, "a number >= 0",
                                       "an image's search stops when its loss fell by less "
                                       f"than this fraction over {CHECK_EVERY} iterations "
                                       "(0: every image searches anogan_iterations)"),
    }
    # tracked_name stays "discriminator": what is tracked over training, given threshold_ and
    # scored by `score` is the discriminator; the AnoGAN score is a final scorer

    def final_scorers(self) -> dict:
        search = self._latent_search()
        return {"anogan": lambda x, progress=False: search.score(
            x, self.setting["anogan_batch"], progress=progress)}

    def final_maps(self) -> dict:
        if len(self.sample_shape) != 3:
            return {}
        search = self._latent_search()
        return {"anogan": (ANOGAN_MAP, lambda x, progress=False: search.maps(
            x, self.setting["anogan_batch"], progress=progress))}

    def _latent_search(self) -> LatentSearch:
        """One search for the scores and the maps: its compiled loop is traced (and with XLA
        compiled) once, not once per use."""
        if getattr(self, "_latent", None) is None:
            s = self.setting
            self._latent = LatentSearch(self.generator, self.discriminator, self.latent_dim,
                                        s["anogan_iterations"], s["anogan_lambda"],
                                        s["anogan_lr"], self.xla, s["anogan_tolerance"])
        return self._latent
