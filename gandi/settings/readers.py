"""What reads a setting key, for the key table's "read by" (None in a SettingKey: every detector
/ every kind of data): groups of detectors and kinds of data, and the data's names in the docs."""
from __future__ import annotations

from gandi.data.images import DATASETS
from gandi.detectors import DETECTORS

IMAGE_DATASETS = tuple(DATASETS)
SPLIT_DATA = IMAGE_DATASETS + ("table", "folder")  # data gandi splits into train/validation/test
# a discriminator built from d_arch
WITH_D = ("discriminator", "anogan", "ganomaly", "aae", "fencegan", "so_gaal", "mo_gaal",
          "discriminator_knn", "discriminator_lof")
# scored by their discriminator D: the stabilisers' keys (gandi.detectors.stabilisers)
D_SCORED = ("discriminator", "anogan", "fencegan", "so_gaal", "mo_gaal", "discriminator_knn",
            "discriminator_lof")
# the plain GAN's objective (loss, gp_weight, g_fake): scored by D, a latent search or D's features
PLAIN_GAN = ("discriminator", "anogan", "discriminator_knn", "discriminator_lof")
# GAAL's noise is as wide as the data (the paper's); every other detector's is latent_dim wide
WITH_LATENT = tuple(name for name in DETECTORS if name not in ("so_gaal", "mo_gaal"))
WITH_ENCODER = ("egbad", "ganomaly", "autoencoder", "vae", "aae")
# keep training normals in a reference bank (gandi.detectors.reference_bank): the discriminator's
# features always, the autoencoder family's latent codes under autoencoder_score latent_knn
WITH_BANK = ("autoencoder", "vae", "aae", "discriminator_knn", "discriminator_lof")
WITH_D_STEPS = ("discriminator", "anogan", "egbad", "ganomaly", "fencegan", "discriminator_knn",
                "discriminator_lof")
GENERATING = ("discriminator", "anogan", "egbad", "vae", "aae", "fencegan", "so_gaal",
              "mo_gaal", "discriminator_knn", "discriminator_lof")  # generate() draws samples
DATA_NAMES = {"distribution": "distributions", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST",
              "table": "tables", "folder": "image folders"}
