"""Discriminators trained to be detectors (issue 30): Fence GAN, SO-/MO-GAAL, the stabilisers
(spectral normalisation, R1, a moving average of D) and the k-NN score in D's features, each
checked against what its paper or its definition says, on small vectors (seconds each)."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.spatial.distance import cdist
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors

from conftest import EPS32, SEEDS, assert_float32_close, reduction_terms
from gandi.detectors import DETECTORS
from gandi.detectors.base import gaussian_smoothed
from gandi.detectors.reference_bank import BANK, local_outlier_factor, lof_reference
from gandi.detectors.fencegan import dispersion
from gandi.detectors.stabilisers import r1_penalty
from gandi.settings.keys import DEFAULTS
from gandi.settings.validation import SettingError, validate
from gandi.training.loop import set_seeds

D = 5  # features


def built(name: str, **keys):
    setting = {**DEFAULTS, **SEEDS, **DETECTORS[name].recipe, "detector": name,
               "dataset": "table", "batch_size": 16, "steps": 30, **keys}
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    return DETECTORS[name](setting, (D,))


def batches(n: int, size: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(size, D)).astype(np.float32) for _ in range(n)]


def weights(model):
    return [w.copy() for w in model.get_weights()]


def changed(before, model) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_dispersion_is_the_mean_distance_to_the_centroid():
    x = np.random.default_rng(1).normal(size=(50, 7)).astype(np.float32)
    expected = np.mean(np.linalg.norm(x - x.mean(0), axis=1))
    assert_float32_close(float(dispersion(tf.constant(x))), expected, terms=50 * 7)


def test_fencegan_trains_only_d_during_its_pre_training():
    det = built("fencegan", fencegan_pretrain_steps=3)
    g0, d0 = weights(det.generator), weights(det.discriminator)
    for batch in batches(3):
        losses = det.train_step(batch)
        assert float(losses["g_loss"]) == 0.0
    assert not changed(g0, det.generator) and changed(d0, det.discriminator)
    losses = det.train_step(batches(1, seed=9)[0])
    assert float(losses["g_loss"]) > 0.0 and changed(g0, det.generator)


def test_gaal_generators_stop_after_their_share_and_d_trains_on():
    det = built("so_gaal", steps=12, gaal_generator_share=0.25)  # G trains 3 steps
    assert det.generator_steps == 3
    for batch in batches(3):
        det.train_step(batch)
    g3, d3 = weights(det.generators[0]), weights(det.discriminator)
    for batch in batches(4, seed=1):
        assert float(det.train_step(batch)["g_loss"]) == 0.0
    assert not changed(g3, det.generators[0]) and changed(d3, det.discriminator)


def test_gaal_takes_its_published_recipe_where_a_setting_is_silent():
    setting = validate({"detector": "so_gaal", "distribution": "normal"})
    assert (setting["optimizer"], setting["lr_d"], setting["lr_g"], setting["beta_1"]) == (
        "sgd", 0.01, 1e-4, 0.9)
    assert setting["g_arch"] == setting["d_arch"] == "gaal"
    assert validate({"detector": "so_gaal", "lr_d": 0.5})["lr_d"] == 0.5  # the user's wins
    assert validate({"detector": "discriminator"})["optimizer"] == DEFAULTS["optimizer"]


def test_gaal_is_refused_on_images_in_one_line():
    with pytest.raises(SettingError, match="mo_gaal is published for vectors only"):
        validate({"detector": "mo_gaal", "dataset": "mnist", "normal_class": 1})


def test_mo_gaal_splits_its_batch_k_to_1_and_aims_at_d_s_quantiles():
    det = built("mo_gaal", mo_gaal_k=4, batch_size=20)
    assert det.shares == [8, 6, 4, 2] and len(det.generators) == 4
    real = batches(1, size=20)[0]
    p = np.sort(tf.sigmoid(det.discriminator(real, training=False)).numpy())
    targets = [float(t) for t in det._targets(tf.constant(real))]
    assert targets == [float(p[int(np.floor(19 * i / 4))]) for i in range(4)]
    assert targets == sorted(targets)


def test_gaal_noise_spans_the_data_s_box():
    det = built("mo_gaal", mo_gaal_k=3)
    data = batches(2, seed=3)
    for batch in data:
        det.train_step(batch)
    seen = np.concatenate(data)
    np.testing.assert_array_equal(det.box_low.numpy(), seen.min(0))
    np.testing.assert_array_equal(det.box_high.numpy(), seen.max(0))
    u = det._uniform(tf.constant(np.random.default_rng(0).normal(size=(500, D)), tf.float32))
    assert np.all(u.numpy() >= seen.min(0)) and np.all(u.numpy() <= seen.max(0))


def test_spectral_normalisation_keeps_every_kernel_near_norm_one():
    det = built("discriminator", d_spectral_norm=True, d_params={"units": [32, 32]})
    assert det.discriminator.get_layer("features") is not None  # feature matching finds it
    for batch in batches(20):
        det.train_step(batch)
    kernels = [layer.layer.kernel.numpy() for layer in det.discriminator.layers
               if hasattr(layer, "power_iterations")]
    assert len(kernels) == 3  # two hidden layers and the logit
    # one power iteration per call converges over the steps; each step's update then moves
    # sigma by at most the learning rate's order (Adam 2e-4 per weight)
    sigmas = [np.linalg.norm(k.reshape(-1, k.shape[-1]), 2) for k in kernels]
    assert all(0.9 < s < 1.1 for s in sigmas), sigmas


def test_the_moving_average_of_d_is_what_scores():
    det = built("discriminator", d_ema=0.75)
    assert det.networks["discriminator"] is det.scorer
    assert det.networks["discriminator_trained"] is det.discriminator
    start = weights(det.discriminator)
    det.train_step(batches(1)[0])
    for a, w0, w1 in zip(det.scorer.get_weights(), start, det.discriminator.get_weights()):
        assert_float32_close(a, 0.75 * w0 + 0.25 * w1, terms=2)
    x = batches(1, seed=5)[0]
    assert_float32_close(det.score(x), -det.scorer(x, training=False).numpy(),
                         terms=reduction_terms(det.scorer))


def test_r1_adds_its_weighted_penalty_to_d_s_loss():
    real = batches(1)[0]
    plain, penalised = built("fencegan"), built("fencegan", r1_weight=4.0)
    penalty = float(r1_penalty(penalised.discriminator, tf.constant(real)))
    assert penalty > 0
    set_seeds(0, 0)
    a = float(plain.train_step(real)["d_loss"])
    b = float(penalised.train_step(real)["d_loss"])
    assert abs((b - a) - 2.0 * penalty) <= 1e-5 * max(1.0, abs(b))


def test_a_reused_fake_batch_is_the_one_d_saw_scored_by_the_updated_d():
    """g_fake: reused (PyTorch's DCGAN recipe): one draw of z per step; D updates on G(z), then
    G's loss is D's output on that same G(z) after D's update. The step against the same
    arithmetic by hand on a twin (same seeds, same weights); fresh draws a second z, so its G
    loss differs by far more than rounding."""
    real = tf.constant(batches(1)[0])
    det, twin = built("discriminator", g_fake="reused"), built("discriminator", g_fake="reused")
    losses = {k: float(v) for k, v in det.train_step(real).items()}
    z = twin.noise.normal((16, twin.latent_dim))
    d_loss = twin._d_update(real, twin.generator(z, training=True))
    g_loss = twin.loss.g_loss(twin.discriminator(twin.generator(z, training=True)))
    terms = reduction_terms(twin.generator, twin.discriminator)
    assert_float32_close(losses["d_loss"], float(d_loss), terms)
    assert_float32_close(losses["g_loss"], float(g_loss), terms)
    fresh = float(built("discriminator").train_step(real)["g_loss"])
    assert abs(fresh - losses["g_loss"]) > 100 * terms * EPS32 * abs(losses["g_loss"])


def test_fresh_fake_batches_keep_the_hashes_of_the_rows_made_before_the_key():
    """g_fake's default is what the step did before the key existed: a setting's hash with it
    is the hash it had before (so rows made then stay current); reused is another method."""
    import run_params
    from gandi.settings.fingerprint import setting_hash
    for number in (10, 11, 19):
        setting = validate({**run_params.SETTINGS[number], "g_fake": "fresh"}, label=str(number))
        without = {k: v for k, v in setting.items() if k != "g_fake"}
        assert setting_hash(setting) == setting_hash(without)
        assert setting_hash({**setting, "g_fake": "reused"}) != setting_hash(setting)


def test_discriminator_knn_scores_the_k_th_neighbour_distance_in_d_s_features():
    det = built("discriminator_knn", discriminator_knn_k=3)
    data = batches(5)
    for batch in data:
        det.train_step(batch)
    bank = np.concatenate(data)
    assert int(det.bank.filled.numpy()) == len(bank)
    np.testing.assert_array_equal(det.bank.samples.numpy()[:len(bank)], bank)
    assert_the_k_th_distance_among(det, bank, 3)


def assert_the_k_th_distance_among(det, reference, k: int):
    """det's score of 40 new rows is the k-th neighbour distance among `reference` in D's
    features (scikit-learn's, float64)."""
    x = batches(1, size=40, seed=7)[0]
    f = lambda a: det.features(a, training=False).numpy()  # noqa: E731
    expected = NearestNeighbors(n_neighbors=k).fit(f(reference)).kneighbors(f(x))[0][:, -1]
    # distances from expanded squares: the features' sums, then a difference of squares
    terms = reduction_terms(det.features) + 2 * f(x).shape[1]
    scale = float(np.max(np.abs(f(reference)))) ** 2 * terms * EPS32
    np.testing.assert_allclose(det.score(x) ** 2, expected ** 2, atol=4 * scale, rtol=0)


def test_reference_bank_size_keeps_that_many_of_the_last_training_normals():
    """A bank of 24 after five batches of 16 holds the last 24 rows trained on (a ring: the
    fourth batch's last 8 and the fifth), and the score is the neighbour distance among them."""
    det = built("discriminator_knn", discriminator_knn_k=2, reference_bank_size=24)
    data = batches(5)
    for batch in data:
        det.train_step(batch)
    assert det.bank.size == 24 and int(det.bank.filled.numpy()) == 24
    last = np.concatenate(data)[-24:]
    assert sorted(map(tuple, det.bank.kept().numpy())) == sorted(map(tuple, last))
    assert_the_k_th_distance_among(det, last, 2)
    assert built("autoencoder", autoencoder_score="reconstruction+latent_knn",
                 reference_bank_size=24).bank.size == 24


def test_the_default_bank_size_keeps_the_hashes_of_rows_made_before_the_key():
    """reference_bank_size at its default is what the bank kept before the key existed: a
    setting's hash with it is the hash without it (rows made then stay current); the
    anomaly_class protocol's larger bank is another setting, for the neighbour detectors only."""
    import run_params
    from gandi.settings.fingerprint import setting_hash
    from gandi.studies.benchmark.image_cells import cell_setting
    for number in (19, 25):
        setting = validate(run_params.SETTINGS[number], label=str(number))
        assert setting["reference_bank_size"] == BANK
        without = {k: v for k, v in setting.items() if k != "reference_bank_size"}
        assert setting_hash(setting) == setting_hash(without)
        raw, name = run_params.SETTINGS[number], setting["detector"]
        one_class = validate(cell_setting(raw, "normal_class", 3, 0, False, detector=name), "x")
        nine = validate(cell_setting(raw, "anomaly_class", 3, 0, False, detector=name), "x")
        assert one_class["reference_bank_size"] == BANK
        assert (nine["reference_bank_size"] > BANK) == (name == "discriminator_lof")
    nine = validate(cell_setting(run_params.SETTINGS[25], "anomaly_class", 3, 0, False,
                                 detector="discriminator_lof"), "25")
    assert setting_hash(nine) != setting_hash({**nine, "reference_bank_size": BANK})
    with pytest.raises(SettingError, match="reference_bank_size.*an integer >= 2"):
        validate({**run_params.SETTINGS[25], "reference_bank_size": 1}, label="25")


def sklearn_lof(reference, queries, k: int):
    """scikit-learn's local outlier factor of `queries` against `reference`, in float64."""
    model = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(reference.astype(np.float64))
    return -model.score_samples(queries.astype(np.float64))


def lof_rtol(reference, queries, k: int, squared_error: float) -> float:
    """The relative error of a float32 local outlier factor whose squared distances are each
    within `squared_error` of the float64 ones. A distance d is then within squared_error /
    (2 d^2) relative (d_min: the smallest neighbour distance anywhere); the reach distances, their
    means and the densities each keep that, and the factor, a ratio of densities, twice it (4 for
    the second-order terms). Valid only while no neighbour set is within the error of changing
    (a neighbour swapped for another changes the factor by a jump): asserted on the float64
    distances of these rows, so a failure means other test rows, not another CPU."""
    r, q = (np.asarray(a, np.float64) for a in (reference, queries))
    between = cdist(r, r)
    np.fill_diagonal(between, np.inf)
    nearest = np.sort(np.vstack([between, cdist(q, r)]), 1)[:, :k + 1] ** 2
    assert (nearest[:, k] - nearest[:, k - 1]).min() > 2 * squared_error
    return 4 * squared_error / (2 * nearest[:, 0].min())


def test_the_local_outlier_factor_is_scikit_learns():
    """LOF against the reference rows as scikit-learn's LocalOutlierFactor(novelty=True)
    computes it (k-distances, reachability, densities), within float32 rounding: the squared
    distances' expansion sums d + 2 terms of at most 2(|a|^2 + |b|^2) (Higham 4.2, u = EPS32/2)."""
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(150, 4)).astype(np.float32)
    queries = np.vstack([rng.normal(size=(40, 4)), 2.5 + rng.normal(size=(10, 4))])
    queries = queries.astype(np.float32)
    k = 10
    statistics = lof_reference(tf.constant(reference), k)
    assert statistics[0].numpy().all()  # no two rows are copies
    actual = local_outlier_factor(tf.constant(queries), tf.constant(reference), statistics, k)
    norms = 2 * max(float((a.astype(np.float64) ** 2).sum(1).max()) for a in (reference, queries))
    rtol = lof_rtol(reference, queries, k, (4 + 2) * EPS32 * norms)
    expected = sklearn_lof(reference, queries, k)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=rtol, atol=0)
    assert actual.numpy()[40:].mean() > 1.5 > actual.numpy()[:40].mean()  # far rows: above 1


def test_the_local_outlier_factor_counts_copies_in_the_bank_once():
    """A bank holding each of 30 training rows four times (a table smaller than the bank, kept
    epoch after epoch) gives the factor of the 30 rows; without that, a row's neighbours would
    be its own copies at distance 0 (scikit-learn warns and returns densities of 1e10)."""
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(30, 4)).astype(np.float32)
    bank = rows[rng.permutation(np.repeat(np.arange(30), 4))]
    queries = rng.normal(size=(20, 4)).astype(np.float32)
    k = 5
    statistics = lof_reference(tf.constant(bank), k)
    assert int(statistics[0].numpy().sum()) == 30
    actual = local_outlier_factor(tf.constant(queries), tf.constant(bank), statistics, k)
    norms = 2 * max(float((a.astype(np.float64) ** 2).sum(1).max()) for a in (rows, queries))
    rtol = lof_rtol(rows, queries, k, (4 + 2) * EPS32 * norms)
    np.testing.assert_allclose(actual.numpy(), sklearn_lof(rows, queries, k), rtol=rtol, atol=0)
    one = local_outlier_factor(tf.constant(queries), tf.constant(bank[:1]),
                               lof_reference(tf.constant(bank[:1]), k), k)
    assert np.isfinite(one.numpy()).all()  # an empty bank's one row: finite, no NaN


def test_discriminator_lof_is_the_factor_in_d_s_features():
    det = built("discriminator_knn", discriminator_knn_score="lof", discriminator_knn_k=5)
    data = batches(5)
    for batch in data:
        det.train_step(batch)
    bank = np.concatenate(data)
    x = batches(1, size=40, seed=7)[0]
    f = lambda a: det.features(a, training=False).numpy()  # noqa: E731
    # the features' own sums and the distances' expansion, as the distance test bounds them
    terms = reduction_terms(det.features) + 2 * f(x).shape[1]
    scale = float(np.max(np.abs(np.vstack([f(bank), f(x)])))) ** 2 * terms * EPS32
    rtol = lof_rtol(f(bank), f(x), 5, 4 * scale)
    np.testing.assert_allclose(det.score(x), sklearn_lof(f(bank), f(x), 5), rtol=rtol, atol=0)
    whole = det.graph_score()(tf.constant(x)).numpy()  # exports and maps: the same score
    np.testing.assert_allclose(whole, det.score(x), rtol=2 * rtol, atol=0)
    images = {"dataset": "mnist", "g_arch": "dcgan", "d_arch": "dcgan", "normal_class": 0}
    for name, score, k in (("discriminator_lof", "lof", 20), ("discriminator_knn", "distance", 5)):
        for data in (images, {"dataset": "distribution"}):
            setting = validate({"detector": name, **data})
            assert (setting["discriminator_knn_score"], setting["discriminator_knn_k"]) == (
                score, k)
    lof = DETECTORS["discriminator_lof"]({**DEFAULTS, **SEEDS, "detector": "discriminator_lof",
                                          "dataset": "table", "discriminator_knn_score": "lof"},
                                         (D,))
    assert lof.lof and lof.k == 20 and lof.tracked_name == "discriminator_lof"


def test_discriminator_knn_scores_many_batches_as_the_whole_score_scores_one():
    """score() takes the bank's features once per call, not once per batch of 512: over 1,100
    samples (three batches) it gives what the whole graph score (exports, maps) gives, and one
    call of the bank features runs per score() however many batches."""
    det = built("discriminator_knn", discriminator_knn_k=3)
    for batch in batches(5):
        det.train_step(batch)
    x = batches(1, size=1100, seed=3)[0]
    whole = np.concatenate([det.graph_score()(tf.constant(x[i:i + 512])).numpy()
                            for i in range(0, len(x), 512)])
    # the same ops on the same rows: only the kernels' blocking may differ (float32 rounding of
    # the distances' sums)
    terms = reduction_terms(det.features) + 2 * D
    scale = float(np.max(whole)) ** 2 * terms * EPS32
    np.testing.assert_allclose(det.score(x) ** 2, whole ** 2, atol=4 * scale, rtol=0)
    calls = []
    reference = det._reference_features
    det._reference_features = lambda rows: calls.append(1) or reference(rows)
    det.score(x)
    assert len(calls) == 1


def test_discriminator_knn_takes_the_bank_once_per_block_of_fixed_weights_or_of_scores_with():
    """Inside `fixed_weights` (a tracked step's four scores) the bank's features and densities
    are computed once and give the scores a fresh computation gives; weights set inside the
    block (the sweet spot's) are scored with their own bank features; after the block, and
    outside any, each call computes them again (a train step changes D)."""
    det = built("discriminator_knn", discriminator_knn_score="lof", discriminator_knn_k=3)
    before = det.scoring_weights()
    for batch in batches(4):
        det.train_step(batch)
    x = batches(1, size=40, seed=5)[0]
    fresh = det.score(x)
    with det.weights_set(before):
        earlier = det.score(x)
    calls = []
    reference = det._reference_features
    det._reference_features = lambda rows: calls.append(1) or reference(rows)
    with det.fixed_weights():
        inside = [det.score(x) for _ in range(3)]
        assert len(calls) == 1
        with det.weights_set(before):
            np.testing.assert_array_equal(det.score(x), earlier)
        assert len(calls) == 2
        np.testing.assert_array_equal(det.score(x), fresh)  # the block's, kept
        assert len(calls) == 2
    for scores in inside:
        np.testing.assert_array_equal(scores, fresh)
    assert not np.allclose(earlier, fresh)
    det.score(x)
    det.score(x)
    assert len(calls) == 4
    # the final results and the checkpoint ensemble: several sets with the same weights, the
    # bank once, each set scored as alone
    again = det.scores_with(before, {"a": x, "b": x[:7]})
    assert len(calls) == 5
    np.testing.assert_array_equal(again["a"], earlier)
    # 7 rows take other kernels than 40: float32 rounding of D's and the distances' sums
    assert_float32_close(again["b"], earlier[:7], reduction_terms(det.features) + 2 * D)
    np.testing.assert_array_equal(det.score(x), fresh)  # the weights set back


def test_a_neighbour_scores_map_is_the_gradient_of_its_whole_score():
    """The saliency map takes the bank's part outside the gradient's tape (x does not feed
    it): the same map as the gradient of the whole score, bank inside, smoothed."""
    setting = {**DEFAULTS, **SEEDS, **DETECTORS["discriminator_lof"].recipe,
               "detector": "discriminator_lof", "dataset": "mnist", "batch_size": 16,
               "g_arch": "dcgan", "d_arch": "dcgan", "discriminator_knn_k": 3,
               "g_params": {"filters": 8}, "d_params": {"filters": 8}, "reference_bank_size": 40}
    set_seeds(0, 0)
    det = DETECTORS["discriminator_lof"](setting, (28, 28, 1))
    rng = np.random.default_rng(0)
    for _ in range(3):
        det.train_step(rng.uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32))
    x = tf.constant(rng.uniform(-1, 1, (6, 28, 28, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(det._anomaly_score(x))
    whole = gaussian_smoothed(tf.reduce_sum(tf.abs(tape.gradient(total, x)), axis=-1))
    maps = det.anomaly_map(x.numpy(), compiled=False)
    assert maps.shape == (6, 28, 28) and maps.sum() > 0
    # backprop through D and the factor: twice D's float32 reductions
    assert_float32_close(maps, whole.numpy(), 2 * reduction_terms(det.scorer))
    assert_float32_close(det.anomaly_map(x.numpy()), whole.numpy(),
                         2 * reduction_terms(det.scorer))


def test_discriminator_knn_takes_every_hidden_layer_on_vectors_the_last_on_images():
    """auto: D's dense hidden layers side by side on vectors (mlp_medium: three of 64), only
    the last ("features") when asked, and on images."""
    x = batches(1, size=8)[0]
    hidden = built("discriminator_knn", d_arch="mlp_medium")
    outputs = [layer.output for layer in hidden.scorer.layers
               if isinstance(layer, keras.layers.Dense) and layer.name != "logit"]
    assert len(outputs) == 3
    expected = np.concatenate([a.numpy() for a in keras.Model(hidden.scorer.input, outputs)(x)],
                              axis=1)
    np.testing.assert_array_equal(hidden.features(x, training=False).numpy(), expected)
    last = built("discriminator_knn", d_arch="mlp_medium", discriminator_knn_layers="features")
    assert last.features(x, training=False).shape == (8, 64)
    setting = {**DEFAULTS, **SEEDS, "detector": "discriminator_knn", "dataset": "mnist",
               "g_arch": "dcgan", "d_arch": "dcgan", "batch_size": 4, "steps": 2}
    images = DETECTORS["discriminator_knn"](setting, (28, 28, 1))
    assert images.features.output.shape == images.scorer.get_layer("features").output.shape


def test_the_reference_bank_keeps_the_last_bank_samples_as_a_ring():
    from gandi.detectors.reference_bank import ReferenceBank
    bank = ReferenceBank(8, (2,))
    rows = np.arange(26, dtype=np.float32).reshape(13, 2)
    bank.keep(tf.constant(rows[:5]))
    bank.keep(tf.constant(rows[5:]))
    assert int(bank.filled.numpy()) == 8 and int(bank.next_row.numpy()) == 13 % 8
    assert sorted(map(tuple, bank.samples.numpy())) == sorted(map(tuple, rows[-8:]))
    assert BANK >= 1024


# ----- the score's direction, chosen without labels -----------------------------------------

class _Oriented:
    """A detector stand-in: oriented, its direction a real score_direction network."""
    oriented = True

    def __init__(self):
        from gandi.detectors.score_direction import direction_network
        self.networks = {"score_direction": direction_network()}


def test_a_step_whose_references_look_more_normal_turns_the_direction_round():
    from gandi.detectors.score_direction import sign_of
    from gandi.tracking.evaluation import tracked_row
    from gandi.tracking.orientation import oriented
    rng = np.random.default_rng(0)
    # validation normals score HIGH, the synthetic references low: the wrong way round
    scores = {"validation": rng.normal(2, 1, 200), "test": rng.normal(0, 1, 60),
              "uniform": rng.normal(-2, 1, 100), "corrupted": rng.normal(-1, 1, 100),
              "generated": None}
    labels = np.r_[np.zeros(30), np.ones(30)]

    def row_of(s):
        return tracked_row(labels, s["validation"], s["test"], s["uniform"], 95.0,
                           s["corrupted"], s["generated"])

    detector = _Oriented()
    raw = row_of(scores)
    turned, row = oriented(detector, "val_vs_synthetic", scores, row_of)
    assert raw["val_vs_synthetic_auc"] < 0.5 and row["direction"] == -1.0
    assert sign_of(detector.networks["score_direction"]) == -1.0
    assert row["val_vs_synthetic_auc"] == pytest.approx(1 - raw["val_vs_synthetic_auc"])
    assert row["d_auc"] == pytest.approx(1 - raw["d_auc"])
    np.testing.assert_array_equal(turned["validation"], -scores["validation"])
    # the next step, measured in the turned direction, already prefers it: no second turn
    again, row2 = oriented(detector, "val_vs_synthetic", turned, row_of)
    assert row2["direction"] == -1.0 and again is turned


def test_a_detector_without_a_direction_is_measured_as_it_is():
    from gandi.tracking.orientation import oriented

    class Plain:
        oriented = False
    scores = {"validation": np.ones(3)}
    assert oriented(Plain(), "val_vs_synthetic", scores, lambda s: {"x": 1}) == (scores, {"x": 1})


def test_a_bank_holding_few_of_the_training_normals_is_said():
    """Above SPARSE_BANK training normals per bank row a detector with a bank says how many it
    compared with; at that share or without a bank (the plain reconstruction score) nothing."""
    from gandi.detectors.reference_bank import SPARSE_BANK, bank_caveats
    det = built("discriminator_lof", reference_bank_size=24)
    assert bank_caveats(det, SPARSE_BANK * 24) == []
    [line] = bank_caveats(det, SPARSE_BANK * 24 + 1)
    assert line.startswith(f"discriminator_lof compared with 24 of its {SPARSE_BANK * 24 + 1} ")
    assert "reference_bank_size" in line
    assert bank_caveats(built("autoencoder", reference_bank_size=24), 10_000) == []
    assert bank_caveats(built("autoencoder", reference_bank_size=24,
                              autoencoder_score="reconstruction+latent_knn"), 10_000)


def test_a_run_whose_bank_held_few_training_normals_warns(tmp_path, cancer_files):
    """The run's results carry the line, with the size of its own training set."""
    from gandi.data import load_splits
    from gandi.detectors.reference_bank import SPARSE_BANK
    from gandi.experiment import run_setting
    setting = validate({"dataset": "table", "data_file": str(cancer_files["csv"]),
                        "label_column": "target", "normal_values": ["benign"],
                        "anomaly_values": ["malignant"], "detector": "discriminator_knn",
                        "reference_bank_size": 16, "steps": 40, "track_every": 10,
                        "checkpoint_every": 40, **SEEDS}, "cancer")
    n_train = len(load_splits(setting, np.random.default_rng(setting["numpy_seed"])).train)
    assert n_train > SPARSE_BANK * 16  # the table is large enough for the warning
    results = run_setting("cancer_bank", setting, str(tmp_path), progress=False)
    [line] = [w for w in results["warnings"] if "reference_bank_size" in w]
    assert line.startswith(f"discriminator_knn compared with 16 of its {n_train} training ")


def test_an_inverted_discriminator_run_is_turned_round_and_exported_so(tmp_path, cancer_files):
    """The plain discriminator on the breast-cancer table ranks the synthetic references as
    more normal than the validation normals (setting 40's runs: criterion 0.36 at its sweet
    spot before the rule): each tracked step is measured in its better direction (criterion
    >= 0.5), the exported detector scores in the sweet spot's direction, and the results warn
    that a D-scored detector's ranking on a table is unreliable."""
    from gandi.experiment import run_setting
    from gandi.score.exported import load_exported
    setting = validate({"dataset": "table", "data_file": str(cancer_files["csv"]),
                        "label_column": "target", "normal_values": ["benign"],
                        "anomaly_values": ["malignant"], "steps": 300,
                        "track_every": 50, "checkpoint_every": 300, **SEEDS}, "cancer")
    results = run_setting("cancer", setting, str(tmp_path), progress=False)
    m = results["measurements"]
    assert set(m["direction"]) <= {1.0, -1.0} and (m["criterion"].dropna() >= 0.5).all()
    direction = results["sweet_spot"].get("direction")
    assert direction in (1.0, -1.0)
    # and the run says what its AUC cannot show: D-scored detectors' record on tables
    [caveat] = [w for w in results["warnings"] if "unreliable" in w]
    assert caveat.startswith("discriminator scores with") and "discriminator_knn" in caveat
    exported = load_exported(results["signature"], log_dir=str(tmp_path))
    x = np.random.default_rng(0).normal(size=(20, 30)).astype(np.float32)
    d = exported.detector
    raw = -d.networks["discriminator"](x, training=False).numpy()
    np.testing.assert_allclose(exported.score(x), direction * raw, rtol=1e-6, atol=1e-6)


def test_the_fashion_mnist_d_feature_settings_build_a_wider_discriminator():
    """Settings 24 and 26 (Fashion-MNIST) train D at 128 filters, 19 and 25 (MNIST) at the
    builder's 64: the network each run builds, not only the setting's text."""
    import run_params
    from gandi.nets.discriminators import DISCRIMINATORS

    def first_filters(number):
        setting = validate(run_params.SETTINGS[number], label=str(number))
        net = DISCRIMINATORS[setting["d_arch"]]((28, 28, 1), **setting["d_params"])
        convs = [layer for layer in net.layers if layer.__class__.__name__ == "Conv2D"]
        return [c.filters for c in convs]
    assert first_filters(24) == first_filters(26) == [128, 256]
    assert first_filters(19) == first_filters(25) == [64, 128]
