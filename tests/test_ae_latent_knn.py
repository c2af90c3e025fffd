"""`autoencoder_score: reconstruction+latent_knn`, the autoencoder family's score in its latent space: the
formula by hand, what a run keeps of it (checkpoints, the exported detector), on vectors and,
when asked for, on images."""
import numpy as np
import pytest
import tensorflow as tf

import gandi
from conftest import EPS32, SEEDS, networks_terms
from gandi.detectors import DETECTORS
from gandi.detectors.autoencoder import LATENT_K, SCALE_ROWS
from gandi.settings.keys import DEFAULTS, KEYS
from gandi.settings.validation import SettingError, validate
from gandi.training.loop import set_seeds

COMBINED = "reconstruction+latent_knn"
FEATURES = 5


def trained(name: str, steps: int = 12, distinct: int | None = None):
    """A small detector of `name` with the combined score, trained `steps` steps on normals
    (the bank then holds 12 * 32 = 384 of them: fewer than SCALE_ROWS, so every row counts);
    with `distinct`, batches drawn from that many rows, as epochs of a small table give."""
    setting = {**DEFAULTS, **SEEDS, "detector": name, "dataset": "table", "batch_size": 32,
               "latent_dim": 3, "vae_samples": 2, "autoencoder_score": COMBINED, "jit_compile": False}
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    detector = DETECTORS[name](setting, (FEATURES,))
    rng = np.random.default_rng(0)
    pool = None if distinct is None else rng.normal(size=(distinct, FEATURES))
    for _ in range(steps):
        batch = (rng.normal(size=(32, FEATURES)) if pool is None
                 else pool[rng.integers(0, distinct, 32)])
        detector.train_step(tf.constant(batch, tf.float32))
    return detector, rng


def kth_other(codes: np.ndarray, bank: np.ndarray, k: int) -> np.ndarray:
    """Each bank row's distance to its k-th nearest row that is not a copy of it (the same
    training row kept again)."""
    d = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(-1))
    d[(bank[:, None, :] == bank[None, :, :]).all(-1)] = np.inf
    return np.sort(d, axis=1)[:, k - 1]


@pytest.mark.parametrize("distinct", [None, 40], ids=["fresh rows", "a 40-row table"])
@pytest.mark.parametrize("name", ["autoencoder", "vae", "aae"])
def test_the_score_is_both_parts_on_the_banks_scale(name, distinct):
    """score(x) = z(own score) + z(distance of E(x) to its 5th nearest bank code), each z on
    the bank's rows (the distance leaving the row and its copies out): computed here in float64
    from the detector's own parts (its score and codes, float32 networks)."""
    detector, rng = trained(name, distinct=distinct)
    bank = detector.bank.kept().numpy()
    assert len(bank) == 12 * 32 and len(bank) < SCALE_ROWS
    x = np.r_[rng.normal(size=(40, FEATURES)), 4 * rng.normal(size=(10, FEATURES))]
    x = x.astype(np.float32)
    own_x = detector._anomaly_score(tf.constant(x)).numpy().astype(np.float64)
    own_bank = detector._anomaly_score(tf.constant(bank)).numpy().astype(np.float64)
    codes_x = detector.codes(x).astype(np.float64)
    codes = detector.codes(bank).astype(np.float64)
    near_x = np.sort(np.sqrt(((codes_x[:, None] - codes[None]) ** 2).sum(-1)), 1)[:, LATENT_K - 1]
    near_bank = kth_other(codes, bank.astype(np.float64), LATENT_K)
    assert np.all(near_bank > 0)  # copies left out: a 40-row table's bank holds each ~10 times
    expected = ((own_x - own_bank.mean()) / own_bank.std()
                + (near_x - near_bank.mean()) / near_bank.std())
    actual = detector.score(x)
    # float32: the networks' sums (as for any score), and the squared distances taken as
    # |a|^2 - 2ab + |b|^2 over latent_dim terms, whose rounding (relative to (|a| + |b|)^2)
    # survives the square root at worst as its square root, then divided by the kNN scale
    u = EPS32 / 2
    reach = np.abs(np.r_[codes_x, codes]).sum(1).max()
    distance = np.sqrt(4 * (3 + 2) * u) * reach
    network = networks_terms([detector.encoder, detector.decoder]) * EPS32 * (
        np.abs(own_x).max() / own_bank.std())
    bound = network + 2 * distance / near_bank.std()
    assert np.max(np.abs(actual - expected)) <= bound, (np.max(np.abs(actual - expected)), bound)
    # the outlying rows (4x the spread) score higher: both parts see them
    assert actual[40:].mean() > actual[:40].mean()


def test_the_bank_is_kept_by_checkpoints_and_exports(tmp_path):
    """A fitted detector's export (the reference bank among its scoring networks) scores as
    the fitted one, in a fresh load."""
    x = np.random.default_rng(0).normal(size=(300, FEATURES))
    detector = gandi.Detector("autoencoder", seed=0, log_dir=str(tmp_path), verbose=0,
                              steps=40, track_every=10, autoencoder_score=COMBINED).fit(x)
    assert "reference_bank" in detector._exported.detector.scoring_networks
    run = detector._exported.run
    assert run.sweet_spot_model("reference_bank").is_file()
    test = np.random.default_rng(1).normal(size=(30, FEATURES)) * np.r_[[1] * 20, [3] * 10][:, None]
    loaded = gandi.load(detector.run_)
    np.testing.assert_array_equal(loaded.decision_function(test),
                                  detector.decision_function(test))
    # the bank at the sweet spot: every training batch up to that step, at most the bank's size
    exported = loaded._exported
    batch, sweet = exported.setting["batch_size"], exported.step
    assert exported.detector.bank.filled.numpy() == min(sweet * batch, 2048)


def test_images_take_it_when_asked_the_same_formula_kept_by_the_export(ones, tmp_path):
    """On images `auto` keeps the reconstruction (below); asked for, the combined score is the
    same formula on image codes (the bank holds training images), and the export serves it."""
    from conftest import API_IMAGE_PARAMS
    from gandi.data.images import scaled
    mnist = {"dataset": "mnist", "normal_class": 1, "detector": "autoencoder", "e_arch": "cae",
             "g_arch": "cae"}
    assert validate({**mnist, "autoencoder_score": COMBINED})["autoencoder_score"] == COMBINED
    fitted = gandi.Detector("autoencoder", seed=0, log_dir=str(tmp_path), verbose=0,
                            autoencoder_score=COMBINED,
                            **{**API_IMAGE_PARAMS, "track_every": 30}).fit(ones["fit"])
    detector = fitted._exported.detector
    bank = detector.bank.kept().numpy()
    assert bank.shape[1:] == (28, 28, 1) and 0 < len(bank) <= 2048
    x = scaled(ones["test"])[..., None]
    own_x = detector._anomaly_score(tf.constant(x)).numpy().astype(np.float64)
    own_bank = detector._anomaly_score(tf.constant(bank[:SCALE_ROWS])).numpy().astype(np.float64)
    codes_x = detector.codes(x).astype(np.float64)
    codes = detector.codes(bank).astype(np.float64)
    near_x = np.sort(np.sqrt(((codes_x[:, None] - codes[None]) ** 2).sum(-1)), 1)[:, LATENT_K - 1]
    # the scale: the first SCALE_ROWS bank rows' distances to their k-th nearest other row of
    # the whole bank, copies of the row (the same training image kept again) left out
    flat = bank.reshape(len(bank), -1).astype(np.float64)
    rows = flat[:SCALE_ROWS]
    pixels = (rows ** 2).sum(1)[:, None] - 2 * rows @ flat.T + (flat ** 2).sum(1)[None]
    d = np.sqrt(((codes[:SCALE_ROWS, None] - codes[None]) ** 2).sum(-1))
    d[pixels <= 1e-9 * ((rows ** 2).sum(1)[:, None] + (flat ** 2).sum(1)[None])] = np.inf
    near_bank = np.sort(d, axis=1)[:, LATENT_K - 1]
    expected = ((own_x - own_bank.mean()) / own_bank.std()
                + (near_x - near_bank.mean()) / near_bank.std())
    actual = detector.score(x)
    # the bound of the vector test above, with the image code's latent_dim terms
    u = EPS32 / 2
    reach = np.abs(np.r_[codes_x, codes]).sum(1).max()
    distance = np.sqrt(4 * (detector.latent_dim + 2) * u) * reach
    network = networks_terms([detector.encoder, detector.decoder]) * EPS32 * (
        np.abs(own_x).max() / own_bank.std())
    bound = network + 2 * distance / near_bank.std()
    assert np.max(np.abs(actual - expected)) <= bound, (np.max(np.abs(actual - expected)), bound)
    # the export: the same formula within the same bound (its batches are not the fitted
    # detector's, so the distances' float32 rounding differs within it; image codes are large
    # enough for that to show beyond a fixed 1e-5)
    fitted.export(tmp_path / "export")
    served = tf.saved_model.load(str(tmp_path / "export")).signatures["serving_default"](
        x=tf.constant(ones["test"][..., None].astype(np.float32)))
    score = served["score"].numpy().astype(np.float64)
    assert np.max(np.abs(score - expected)) <= bound, (np.max(np.abs(score - expected)), bound)
    np.testing.assert_array_equal(served["is_anomaly"].numpy(), score > fitted.threshold_)


def test_the_family_reads_the_key_and_no_other_detector_does():
    assert set(KEYS["autoencoder_score"].detectors) == {"autoencoder", "vae", "aae"}
    # auto: the latent part on vectors (measured to help on the ODDS tables), not on images
    assert validate({"detector": "vae"})["autoencoder_score"] == COMBINED
    assert validate({"detector": "vae", "dataset": "mnist", "normal_class": 1, "e_arch": "cae",
                     "g_arch": "cae"})["autoencoder_score"] == "reconstruction"
    assert validate({"detector": "vae", "autoencoder_score": "reconstruction"})[
        "autoencoder_score"] == "reconstruction"
