"""The experiment list: numbered settings, each a plain dict that `gandi.settings.validation` validates.

Keys left out take their defaults (`gandi/settings/keys.py`; every key: the README or
`python -m gandi.playground --list --keys`).
To add an experiment, add a numbered entry here; `python -m gandi.playground --list` shows them.
"""

SETTINGS = {
    1: {
        "name": "normal vs shifted normal (default)",
        "distribution": "normal", "distribution_params": {"loc": 0.0, "scale": 1.0},
        "anomaly": "shifted", "anomaly_params": {"shift": 5.0},
    },
    2: {
        "name": "normal vs wider normal",
        "distribution": "normal", "distribution_params": {"loc": 0.0, "scale": 1.0},
        "anomaly": "wider", "anomaly_params": {"factor": 3.0},
    },
    3: {
        "name": "mixture of normals vs uniform box",
        "distribution": "mixture",
        "distribution_params": {"locs": [-3.0, 3.0], "scales": [0.6, 0.6]},
        "anomaly": "uniform_box", "anomaly_params": {"margin": 0.5},
        "g_arch": "mlp_medium", "d_arch": "mlp_medium", "steps": 5000,
    },
    4: {
        "name": "uniform vs shifted uniform",
        "distribution": "uniform", "distribution_params": {"low": 0.0, "high": 1.0},
        "anomaly": "shifted", "anomaly_params": {"shift": 3.0},
    },
    5: {
        "name": "exponential vs wider exponential",
        "distribution": "exponential", "distribution_params": {"scale": 1.0},
        "anomaly": "wider", "anomaly_params": {"factor": 4.0},
    },
    6: {
        "name": "log-normal vs shifted log-normal",
        "distribution": "lognormal", "distribution_params": {"mu": 0.0, "sigma": 0.5},
        "anomaly": "shifted", "anomaly_params": {"shift": 4.0},
    },
    7: {
        "name": "2-D mixture vs uniform box",
        "distribution": "mixture2d",
        "distribution_params": {"means": [[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]]},
        "anomaly": "uniform_box", "anomaly_params": {"margin": 0.5},
        "g_arch": "mlp_medium", "d_arch": "mlp_medium", "steps": 5000,
    },
    8: {
        "name": "normal vs shifted normal, WGAN-GP, 5 critic steps",
        "distribution": "normal", "distribution_params": {"loc": 0.0, "scale": 1.0},
        "anomaly": "shifted", "anomaly_params": {"shift": 5.0},
        "loss": "wgan_gp", "d_steps": 5, "lr_d": 1e-4, "lr_g": 1e-4, "beta_1": 0.0, "beta_2": 0.9,
    },
    9: {
        "name": "normal vs shifted normal, least squares",
        "distribution": "normal", "distribution_params": {"loc": 0.0, "scale": 1.0},
        "anomaly": "shifted", "anomaly_params": {"shift": 5.0},
        "loss": "least_squares",
    },
}

DEFAULT_SETTING = 1

# Images: DCGAN on MNIST / Fashion-MNIST, one-class protocols. Data come from `data_dir`,
# GANDI_DATA_DIR, Debian's dataset-fashion-mnist, or the Keras download (see the README).
# 500 generated images per tracked step: the Monte-Carlo threshold (a 95th percentile) and the
# image grids need no more, and generating 2000 took a fifth of a run (benchmarks/efficiency.py).
# Tracked every 30 steps (8 points in 2 epochs): every 20 was 13-17% of setting 10's run and
# 16-20% of Fence GAN's (Intel Xeon with AVX-512 / AMD EPYC Zen 3; the speed issue's bound: 15%).
_DCGAN = {"g_arch": "dcgan", "d_arch": "dcgan", "latent_dim": 64, "batch_size": 64,
          "lr_d": 2e-4, "lr_g": 2e-4, "beta_1": 0.5, "track_every": 30, "checkpoint_every": 200,
          "n_generated": 500}

# The plain GAN's generator update scores the batch D's update just saw (g_fake: reused,
# PyTorch's DCGAN recipe): one generator forward less per step, 8-13% more training images/s
# on an Intel Xeon, and the same AUC (3 seeds, classes 1 and 7, within 0.0014 +- 0.0014:
# benchmarks/results/g_fake_auc.md). AnoGAN keeps fresh batches: not measured there.
# Two epochs, although runs warn that the criterion was still rising: six gave no higher AUC at
# the label-free sweet spot (discriminator -0.0009 +- 0.0007 and -0.0232 +- 0.0416 on classes 1
# and 7, the kNN in D's features unchanged; 3 seeds, benchmarks/results/epochs_auc.md).
_GAN_D = {**_DCGAN, "g_fake": "reused"}
_ANOGAN_SEARCH = {"anogan_iterations": 50, "anogan_lr": 0.05}

SETTINGS.update({
    10: {"name": "MNIST, normal digit 1, discriminator", "dataset": "mnist", "normal_class": 1,
         "epochs": 2, **_GAN_D},
    # AnoGAN scores with the final generator: two epochs left it too weak (digits 2 and 8, 3
    # seeds, the grid's search: 0.617 and 0.523 at 2 epochs, 0.763 and 0.729 at 8, 0.797 and
    # 0.761 at 20; benchmarks/results/epochs_auc_anogan_iterations100_test_limit2000.md), at 1.75x
    # the CPU of a cell (356 s against 204 s). Fashion-MNIST's (14) likewise: classes 8 and 6,
    # 0.625 and 0.715 at 2 epochs, 0.782 and 0.740 at 20 (paired +0.158 +- 0.029, +0.026 +-
    # 0.039), 380 s of CPU against 191.
    # Its latent search: 50 Adam steps of 0.05. Longer searches let the generator draw the
    # anomalies too (the 20-epoch GAN, 1,000 test images, benchmarks/results/anogan_search.md):
    # digit 2, 3 seeds, 0.803 at 100 steps of 0.01 (the grid's until now), 0.828 at 50 of 0.05,
    # 0.777 at the paper's 500 of 0.01 (2 seeds); paired against 100 of 0.01, +0.022 +- 0.008 on
    # digit 2's three seeds and digit 8's first; half the search's CPU.
    11: {"name": "MNIST, normal digit 1, AnoGAN", "detector": "anogan", "dataset": "mnist",
         "normal_class": 1, "epochs": 20, **_DCGAN, **_ANOGAN_SEARCH},
    12: {"name": "MNIST, anomaly digit 0 (GANomaly protocol), discriminator", "dataset": "mnist",
         "anomaly_class": 0, "epochs": 1, **_GAN_D, "track_every": 100},
    13: {"name": "Fashion-MNIST, normal class 1 (trouser), discriminator",
         "dataset": "fashion_mnist", "normal_class": 1, "epochs": 2, **_GAN_D},
    14: {"name": "Fashion-MNIST, normal class 1 (trouser), AnoGAN", "detector": "anogan",
         "dataset": "fashion_mnist", "normal_class": 1, "epochs": 20, **_DCGAN,
         **_ANOGAN_SEARCH},
})

# Autoencoders on the same one-class protocol: reconstruction error (convolutional AE with a 2-D
# code), variational AE and adversarial AE. Adam with beta_1 0.9, as usual for autoencoders;
# the AAE's latent discriminator learns as fast as its encoder, or the codes run off.
# Tracked every 100 steps (11 points in 10 epochs), the AAE every 200 (its tracked step costs
# more): every 50 was 15-22% of the autoencoder's run and 27-29% of the AAE's (Intel Xeon with
# AVX-512 / AMD EPYC Zen 3, benchmarks/efficiency.py; the speed issue's bound: 15%).
_AE = {"batch_size": 64, "lr_g": 1e-3, "lr_d": 1e-3, "beta_1": 0.9, "track_every": 100,
       "checkpoint_every": 200}
_CAE = {"detector": "autoencoder", "e_arch": "cae", "g_arch": "cae", "latent_dim": 2,
        "epochs": 10, **_AE}
# The VAE scores with 3 draws of z per image, not the key's 10, and is tracked every 120 steps
# (5 points): each tracked step decodes every scored image once per draw (10 draws, every 100:
# 29% of setting 32's run on an Intel Xeon; 3 draws: 17%; the speed issue's bound is 15%), and
# 3 draws gave the same AUC within the seeds' spread on MNIST classes 1, 7, 8 and Fashion-MNIST
# 1, 7, 3 seeds each (benchmarks/results/vae_samples_auc.md).
_VAE = {"detector": "vae", "e_arch": "dcgan", "g_arch": "dcgan", "latent_dim": 16,
        "e_params": {"filters": 32}, "g_params": {"filters": 32}, "epochs": 5, **_AE,
        "track_every": 120, "vae_samples": 3}
_AAE = {"detector": "aae", "e_arch": "cae", "g_arch": "cae", "d_arch": "mlp_small",
        "latent_dim": 8, "epochs": 10, **_AE, "track_every": 200}

SETTINGS.update({
    30: {"name": "MNIST, normal digit 1, convolutional autoencoder", "dataset": "mnist",
         "normal_class": 1, **_CAE},
    31: {"name": "Fashion-MNIST, normal class 1 (trouser), convolutional autoencoder",
         "dataset": "fashion_mnist", "normal_class": 1, **_CAE},
    32: {"name": "MNIST, normal digit 1, VAE", "dataset": "mnist", "normal_class": 1, **_VAE},
    33: {"name": "Fashion-MNIST, normal class 1 (trouser), VAE", "dataset": "fashion_mnist",
         "normal_class": 1, **_VAE},
    34: {"name": "MNIST, normal digit 1, adversarial autoencoder", "dataset": "mnist",
         "normal_class": 1, **_AAE},
    35: {"name": "Fashion-MNIST, normal class 1 (trouser), adversarial autoencoder",
         "dataset": "fashion_mnist", "normal_class": 1, **_AAE},
})

# Discriminators trained to be detectors (../shared/published/discriminator_detectors.md).
# Fence GAN (Ngo et al. 2019) with beta 30, gamma 0.1 (its MNIST command line) and alpha 0.5 (its
# code's default and CIFAR-10 value) on the DCGAN networks and rates (the paper: 1e-5 / 2e-5
# over 100 epochs; here 2 epochs, like 10). Its MNIST alpha 0.1 was made for nine normal digits
# against one; with one normal class the fence at 0.1 sat too far out: 0.5 measured better on
# every class tried (benchmarks/results/fencegan_alpha_auc.md, 3 seeds: MNIST digits 2 and 8
# +0.23 and +0.26 AUC, 1 and 7 +0.010 and +0.075; Fashion-MNIST classes 2 and 8 +0.07 and +0.10,
# 1 and 7 +0.001 and +0.012).
_FENCEGAN = {"detector": "fencegan", "epochs": 2, **_DCGAN, "fencegan_alpha": 0.5,
             "fencegan_beta": 30.0, "fencegan_gamma": 0.1, "fencegan_pretrain_steps": 50}

# the discriminator's features as the score: setting 10's GAN, tracked every 50 (below)
_D_FEATURES = {"epochs": 2, **_GAN_D, "track_every": 50}
# On Fashion-MNIST's textures D is twice as wide (128 filters, then 256): its features score
# better there (3 seeds, benchmarks/results/d_params.filters_auc.md, 128 minus 64 paired by
# seed on classes 0, 2, 4, 6: the kNN in D's features +0.0026 +- 0.0034, 11 of 12 runs up; the
# LOF +0.0043 +- 0.0053, 10 of 12; 32 filters lower on every class, 256 no higher than 128 on
# seed 0 at 3.3x its CPU; a generator at 128 lower, -0.002 to -0.008). On MNIST's strokes the
# LOF gained +0.0020 +- 0.0050 (digits 2, 3, 5, 7; 9 of 12 up), within its seeds' spread: MNIST's
# settings (and the anomaly_class protocol, whose LOF cell is mostly bank distances, which grow
# with D's width) keep 64. A cell: ~75 s of CPU against ~33.
_D_FEATURES_FASHION = {**_D_FEATURES, "d_params": {"filters": 128}}

SETTINGS.update({
    15: {"name": "MNIST, normal digit 1, Fence GAN", "dataset": "mnist", "normal_class": 1,
         **_FENCEGAN},
    16: {"name": "Fashion-MNIST, normal class 1 (trouser), Fence GAN",
         "dataset": "fashion_mnist", "normal_class": 1, **_FENCEGAN},
    # the plain GAN of setting 10, scored by a 5-NN distance in D's features; tracked every 50
    # (5 points): each tracked step takes 2,048 bank images through D besides its ~2,850
    # scored, and every 30 was 20% of the run (Intel Xeon with AVX-512)
    19: {"name": "MNIST, normal digit 1, discriminator features kNN", "dataset": "mnist",
         "normal_class": 1, "detector": "discriminator_knn", **_D_FEATURES},
    24: {"name": "Fashion-MNIST, normal class 1 (trouser), discriminator features kNN",
         "dataset": "fashion_mnist", "normal_class": 1, "detector": "discriminator_knn",
         **_D_FEATURES_FASHION},
    # the same GAN scored by the local outlier factor in D's features (k 20); a tracked step
    # adds the bank's 2,048 x 2,048 distances (11.8% of the run at every 50 on the Intel Xeon)
    25: {"name": "MNIST, normal digit 1, discriminator features LOF", "dataset": "mnist",
         "normal_class": 1, "detector": "discriminator_lof", **_D_FEATURES},
    26: {"name": "Fashion-MNIST, normal class 1 (trouser), discriminator features LOF",
         "dataset": "fashion_mnist", "normal_class": 1, "detector": "discriminator_lof",
         **_D_FEATURES_FASHION},
    # GAAL (Liu et al. 2019) on vectors only, as published: its recipe's networks and SGD
    17: {"name": "normal vs shifted normal, SO-GAAL", "detector": "so_gaal",
         "distribution": "normal", "distribution_params": {"loc": 0.0, "scale": 1.0},
         "anomaly": "shifted", "anomaly_params": {"shift": 5.0}},
    18: {"name": "normal vs shifted normal, MO-GAAL", "detector": "mo_gaal",
         "distribution": "normal", "distribution_params": {"loc": 0.0, "scale": 1.0},
         "anomaly": "shifted", "anomaly_params": {"shift": 5.0}},
})

# Encoder GANs: EGBAD (BiGAN, Zenati et al. 2018) and GANomaly (Akcay et al. 2018) on the DCGAN
# networks. GANomaly scores through its decoder's BatchNorm in inference mode, whose moving
# statistics need ~300 steps to settle (Keras' momentum 0.99): hence 4 epochs.
# EGBAD's scorer runs its encoder and joint discriminator on every curve image: tracked every 20
# steps it was 22.6% of setting 20's run, every 40 11.1% (AMD EPYC Zen 3, 190 steps, best of 2;
# the speed issue's bound is 15%); ~5 points per epoch still find the sweet spot.
_EGBAD = {"detector": "egbad", "e_arch": "dcgan", "jd_arch": "dcgan_joint", "epochs": 2,
          **_DCGAN, "track_every": 40}
_GANOMALY = {"detector": "ganomaly", "e_arch": "dcgan", "epochs": 4, **_DCGAN,
             "track_every": 40}

SETTINGS.update({
    20: {"name": "MNIST, normal digit 1, EGBAD", "dataset": "mnist", "normal_class": 1,
         **_EGBAD},
    21: {"name": "Fashion-MNIST, normal class 1 (trouser), EGBAD", "dataset": "fashion_mnist",
         "normal_class": 1, **_EGBAD},
    22: {"name": "MNIST, normal digit 1, GANomaly", "dataset": "mnist", "normal_class": 1,
         **_GANOMALY},
    23: {"name": "Fashion-MNIST, normal class 1 (trouser), GANomaly",
         "dataset": "fashion_mnist", "normal_class": 1, **_GANOMALY},
})

# Your own data: a table (CSV, Parquet or NPZ) with a label column; see gandi/data/tables.py and
# the README's "Run gandi on your data". Setting 40 is a template over scikit-learn's
# breast-cancer table (benign = normal, malignant = anomaly), written to data/breast_cancer.csv
# by `make data/breast_cancer.csv`; for your file, change data_file, label_column and the values.
# The discriminator's generator learns 10x faster than D (lr_g 1e-3, lr_d 1e-4) and has a latent
# as wide as the 30 features: a slow G leaves D to call everything far from G's samples "real",
# anomalies included (AUCs below 0.5). Even so D depends on the seed here (sweet-spot test AUC
# 0.29-0.96 over seeds 0-4); the autoencoder (41) is the steadier detector (0.90-0.94).
_TABLE = {"dataset": "table", "data_file": "data/breast_cancer.csv", "label_column": "target",
          "normal_values": ["benign"], "anomaly_values": ["malignant"], "batch_size": 32,
          "steps": 300, "track_every": 50, "checkpoint_every": 100, "n_generated": 500}

SETTINGS.update({
    40: {"name": "your table: CSV with a label column (breast cancer), discriminator",
         **_TABLE, "latent_dim": 32, "lr_g": 1e-3, "lr_d": 1e-4},
    41: {"name": "your table: CSV with a label column (breast cancer), autoencoder", **_TABLE,
         "detector": "autoencoder", "latent_dim": 4, "lr_g": 1e-3, "beta_1": 0.9},
    # 41's autoencoder, a VAE run on the same split and five classical detectors; the four
    # best by the label-free criterion averaged (gandi.playground.run_ensemble, docs/detectors.md)
    43: {"name": "your table: CSV with a label column (breast cancer), ensemble", **_TABLE,
         "detector": "autoencoder", "latent_dim": 4, "lr_g": 1e-3, "beta_1": 0.9,
         "ensemble_members": ["vae", "knn", "kde", "lof", "pca", "ecod"], "ensemble_top": 4},
})

# Your own images: a folder with normal/ and abnormal/ sub-folders (or train/normal, test/normal,
# test/abnormal) of PNG or JPEG files of any size, resized to image_size and converted to grey
# (channels 1) or colour (3); see gandi/data/image_folders.py and the README. Setting 42 is a
# template over MNIST digits written as PNG files by `make data/digits` (1,000 ones in normal/,
# 300 other digits in abnormal/); for your folder, change image_dir, image_size and channels.
_FOLDER = {"dataset": "folder", "image_dir": "data/digits", "image_size": 28, "channels": 1}

SETTINGS.update({
    42: {"name": "your images: a folder with normal/ and abnormal/ (MNIST digits), convolutional "
                 "autoencoder", **_FOLDER, **_CAE, "batch_size": 32, "epochs": 30},
})
