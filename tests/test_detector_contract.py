"""The detector contract (gandi/detectors/base.py), checked on every entry of DETECTORS, on
vectors and on small images: a detector that leaves out part of the surface fails here.

Each (detector, data kind) is built once (a module fixture) with small networks: on images the
architectures of the shipped MNIST setting for that detector, narrowed to 8 filters (the same
layers, fewer channels: fast). One compiled train step, then every part of the surface.
"""
import re
from dataclasses import dataclass

import keras
import numpy as np
import pytest
import tensorflow as tf

import run_params
from conftest import SEEDS, assert_float32_close, score_terms
from gandi.data.tabular_transform import TabularTransform
from gandi.detectors import DETECTORS
from gandi.detectors.base import Detector, NoAnomalyMap
from gandi.outputs.checkpoints import Checkpoints
from gandi.outputs.exports import export_sweet_spot
from gandi.outputs.run_folder import RunFolders
from gandi.score.exported import NOT_SUPPORTED, RunError, load_exported
from gandi.settings.checks import SettingKey
from gandi.settings.keys import DEFAULTS, KEYS
from gandi.settings.validation import SettingError, validate
from gandi.training.loop import set_seeds

SHAPES = {"vectors": (6,), "images": (28, 28, 1)}
N = 24           # samples scored
FILTERS = 8      # of the convolutional networks (the shipped settings use 32-64)
SUPPLIED = {"networks", "optimizers", "train_step_eager", "_anomaly_score"}


def image_architectures(name: str) -> dict:
    """The architectures of the first shipped MNIST setting of `name`, FILTERS filters wide."""
    setting = next((s for s in ({**DEFAULTS, **raw} for raw in run_params.SETTINGS.values())
                    if s["detector"] == name and s["dataset"] == "mnist"), None)
    assert setting is not None, f"no shipped MNIST setting in run_params uses detector {name!r}"
    chosen = {}
    for arch_key in DETECTORS[name].arch_keys:
        params_key = arch_key.replace("_arch", "_params")
        params = setting[params_key]
        if setting[arch_key] in ("dcgan", "dcgan_joint"):  # cae and the MLPs take no filters
            params = {**params, "filters": FILTERS}
        chosen.update({arch_key: setting[arch_key], params_key: params})
    return chosen


def setting_for(name: str, kind: str) -> dict:
    setting = {**DEFAULTS, **SEEDS, "detector": name, "batch_size": 8, "latent_dim": 4,
               "anogan_iterations": 2, "anogan_batch": 16, "vae_samples": 2,
               "aae_latent_weight": 0.1,  # the AAE's latent term too
               "mo_gaal_k": 3}  # several sub-generators, not the recipe's ten (a third the time)
    if kind == "images":
        setting.update(dataset="mnist", image_size=28, channels=1,
                       **image_architectures(name))
    else:
        setting["dataset"] = "table"
    setting["jit_compile"] = False  # what "auto" makes of a short run (XLA: its own test)
    return setting


class ReadKeys(dict):
    """A setting that remembers which keys were read: checks the key table's "read by"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


@dataclass
class Built:
    name: str
    kind: str
    setting: dict
    detector: Detector
    x: np.ndarray      # N samples to score
    losses: dict       # of the first compiled train step


CASES = [(name, kind) for name in DETECTORS for kind in SHAPES
         if kind == "vectors" or DETECTORS[name].takes_images]


@pytest.fixture(scope="module", params=CASES, ids=[f"{n}-{k}" for n, k in CASES])
def built(request) -> Built:
    name, kind = request.param
    setting = ReadKeys(setting_for(name, kind))
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    detector = DETECTORS[name](setting, SHAPES[kind])
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (N, *SHAPES[kind])).astype(np.float32)
    batch = rng.uniform(-1, 1, (detector.batch_per_step, *SHAPES[kind])).astype(np.float32)
    return Built(name, kind, setting, detector, x, detector.train_step(tf.constant(batch)))


# ----- what each detector supplies, and the metadata the trainer, Tracker and CLI read ---------

def test_the_base_is_abstract_in_exactly_what_each_detector_supplies():
    assert Detector.__abstractmethods__ == SUPPLIED
    with pytest.raises(TypeError, match="abstract"):
        type("Forgetful", (Detector,), {"networks": {}, "optimizers": {},
                                        "train_step_eager": lambda self, batch: {}})(
            DEFAULTS, (1,))


@pytest.mark.parametrize("name", list(DETECTORS))
def test_every_registered_detector_is_complete_and_named_as_registered(name):
    cls = DETECTORS[name]
    assert issubclass(cls, Detector) and not cls.__abstractmethods__
    assert cls.name == name
    assert cls.loss_names and cls.scoring_networks and cls.arch_keys
    assert set(cls.arch_keys) <= set(DEFAULTS)
    # the keys only it reads: declared next to it, named after it, with a default that passes
    # its own check, a doc, and in the schema that validate() applies
    for key, spec in cls.setting_keys.items():
        # (or after its family, shared by the detectors in it: gaal_ for so_gaal and mo_gaal,
        # autoencoder_ for the autoencoder and its subclasses, the VAE and the AAE)
        family = key.split("_")[0]
        parents = [base.name for base in cls.__mro__[1:] if issubclass(base, Detector)]
        assert (key.startswith(f"{name}_") or name.endswith(f"_{family}")
                or any(key.startswith(f"{parent}_") for parent in parents)) and isinstance(
            spec, SettingKey), key
        assert spec.check(spec.default) and spec.allowed and spec.doc, key
        assert KEYS[key]._replace(detectors=None) == spec and name in KEYS[key].detectors, key
        with pytest.raises(SettingError, match=f"{key} = .* expected {re.escape(spec.allowed)}"):
            validate({key: object()})


def test_the_detector_keys_the_settings_once_listed_are_declared_by_their_detectors():
    declared = {key for cls in DETECTORS.values() for key in cls.setting_keys}
    prefixes = ("anogan_", "egbad_", "ganomaly_", "vae_", "aae_", "fencegan_", "gaal_",
                "mo_gaal_", "discriminator_knn_", "autoencoder_")
    assert declared == {key for key in DEFAULTS if key.startswith(prefixes)}
    assert len(declared) == 24


def test_a_detector_reads_only_the_keys_the_key_table_says_it_reads(built):
    # its build and first step read the setting (and any test that ran before this one)
    assert {"lr_g", "g_arch"} <= built.setting.read
    assert ("latent_dim" in built.setting.read) == (built.name in KEYS["latent_dim"].detectors)
    not_for_it = {key for key in built.setting.read
                  if KEYS[key].detectors is not None and built.name not in KEYS[key].detectors}
    assert not not_for_it, f"gandi/settings/keys.py: add {built.name} to these keys' detectors"


def test_scoring_and_generator_networks_are_among_the_networks(built):
    d = built.detector
    assert set(d.scoring_networks) <= set(d.networks)
    assert d.generator_network is None or d.generator_network in d.networks
    assert all(isinstance(net, keras.Model) for net in d.networks.values())
    objects = d.checkpoint_objects()
    assert {**d.networks, **d.optimizers}.items() <= objects.items()
    optimizers = list(d.optimizers.values())  # one optimiser per network: never a shared Adam
    assert len({id(o) for o in optimizers}) == len(optimizers)


# ----- training and scoring ----------------------------------------------------------------------

def test_one_compiled_train_step_returns_the_named_finite_losses(built):
    assert set(built.losses) == set(built.detector.loss_names)
    for name, loss in built.losses.items():
        assert np.shape(loss) == () and np.isfinite(float(loss)), (name, loss)


IMAGE_DETECTORS = [name for name in DETECTORS if DETECTORS[name].takes_images]


@pytest.mark.parametrize("name", IMAGE_DETECTORS)
def test_every_image_detectors_compiled_functions_lower_to_xla(name):
    """A long run may choose XLA (`jit_compile: auto`, measured): every function compiled with
    the setting's jit_compile must lower to XLA's HLO (an op XLA cannot compile fails here).
    Lowering only, not XLA's code generation: a third of the full compile's cost."""
    setting = {**setting_for(name, "images"), "jit_compile": True}
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    detector = DETECTORS[name](setting, SHAPES["images"])
    assert detector.xla
    x = np.random.default_rng(0).uniform(-1, 1, (detector.batch_per_step, *SHAPES["images"]))
    lowered = [detector._train_step.experimental_get_compiler_ir(
        tf.constant(x.astype(np.float32)))(stage="hlo")]
    if detector.generator_network is not None:
        z = tf.zeros((3, detector.latent_dim))
        lowered.append(detector._generate.experimental_get_compiler_ir(z)(stage="hlo"))
    if name == "anogan":
        search = detector._latent_search()
        images = tf.constant(x[:3].astype(np.float32))
        z = tf.zeros((3, detector.latent_dim))
        features, _ = search.start(images, z)
        lowered.append(search.advance.experimental_get_compiler_ir(
            images, features, z, z, z, tf.zeros((3,), tf.int32), tf.constant(2))(stage="hlo"))
    assert all(text.startswith("HloModule") for text in lowered), [t[:40] for t in lowered]


def test_score_is_one_finite_float_per_sample_whatever_the_batch(built):
    d, x = built.detector, built.x
    scores = d.score(x)
    assert scores.shape == (N,) and scores.dtype == np.float32
    assert np.all(np.isfinite(scores))
    assert d.score(x[:0]).shape == (0,)
    split = np.concatenate([d.score(x[:1]), d.score(x[1:9]), d.score(x[9:])])
    assert_float32_close(split, scores, score_terms(d))
    order = np.random.default_rng(1).permutation(N)
    assert_float32_close(d.score(x[order]), scores[order], score_terms(d))


def test_final_scorers_give_one_finite_score_per_sample(built):
    """AnoGAN's latent search (2 iterations here); the others have none."""
    for name, scorer in built.detector.final_scorers().items():
        scores = scorer(built.x[:5])
        assert scores.shape == (5,) and np.all(np.isfinite(scores)), name


def test_anomaly_maps_are_per_pixel_on_images_and_refused_on_vectors(built):
    """Every detector has a map on images (its score's per-pixel part, or the discriminator's
    saliency), one (h, w) array per image, independent of the batch; on vectors it says why
    not, in one line."""
    d, x = built.detector, built.x
    if built.kind == "vectors":
        why = (r"anomaly maps are for images \(h, w, channels\)" if type(d).takes_images
               else "has no anomaly map")  # a detector for vectors only has none at all
        with pytest.raises(NoAnomalyMap, match=why):
            d.anomaly_map(x)
        assert d.final_maps() == {}
        return
    assert d.map_name
    maps = d.anomaly_map(x)
    assert maps.shape == (N, 28, 28) and maps.dtype == np.float32
    assert np.all(np.isfinite(maps)) and np.all(maps >= 0) and maps.sum() > 0
    assert d.anomaly_map(x[:0]).shape == (0, 28, 28)
    terms = score_terms(d) * (2 if built.name in ("discriminator", "anogan") else 1)  # + backprop
    split = np.concatenate([d.anomaly_map(x[:1]), d.anomaly_map(x[1:9]), d.anomaly_map(x[9:])])
    assert_float32_close(split, maps, terms)
    # a run's figures map eagerly: the same maps, and no trace that a process fitting many
    # detectors would count towards TensorFlow's retracing warning
    compiled, d._map = d._map, None  # calling it would fail
    try:
        assert_float32_close(d.map_with(d.scoring_weights(), x), maps, terms)
    finally:
        d._map = compiled


ADDING_UP = [("autoencoder", "images"), ("vae", "images"), ("egbad", "images"),
             ("anogan", "images")]


@pytest.mark.parametrize("built", ADDING_UP, ids=[f"{n}-{k}" for n, k in ADDING_UP],
                         indirect=True)
def test_a_residual_map_adds_up_to_its_score(built):
    """Where the score is a sum or mean of per-pixel terms, the map holds those terms."""
    d, x = built.detector, built.x
    terms = score_terms(d)
    if built.name == "autoencoder":  # score = mean over pixels (one channel) of the map
        assert_float32_close(d.anomaly_map(x).mean(axis=(1, 2)), d.score(x), terms)
    elif built.name == "vae":  # score = reconstruction term (the map's sum) + beta * KL
        mu, logvar = np.split(d.encoder(x, training=False).numpy(), 2, axis=-1)
        kl = 0.5 * np.sum(np.exp(logvar) + mu ** 2 - 1.0 - logvar, axis=1)
        assert_float32_close(d.anomaly_map(x).sum(axis=(1, 2)) + d.beta * kl, d.score(x),
                             terms)
    elif built.name == "egbad":  # map = |x - G(E(x))|: the score's alpha-weighted term
        rebuilt = d.generator(d.encoder(x, training=False), training=False).numpy()
        assert_float32_close(d.anomaly_map(x), np.abs(x - rebuilt).sum(axis=-1), terms)
    else:  # AnoGAN: score = (1 - lambda) * the map's sum + lambda * a feature distance >= 0
        name, maps = d.final_maps()["anogan"]
        residual = maps(x[:5]).sum(axis=(1, 2))
        scores = d.final_scorers()["anogan"](x[:5])
        assert "G(z*)" in name and residual.shape == (5,) and np.all(residual > 0)
        assert np.all((1 - d.setting["anogan_lambda"]) * residual <= scores * (1 + 1e-5))


def test_generate_draws_from_a_fixed_seed(built):
    d = built.detector
    samples = d.generate(5, seed=3)
    if d.generator_network is None:
        assert samples is None
        return
    assert samples.shape == (5, *SHAPES[built.kind]) and np.all(np.isfinite(samples))
    np.testing.assert_array_equal(d.generate(5, seed=3), samples)
    assert not np.array_equal(d.generate(5, seed=4), samples)


def test_predict_is_score_above_threshold_(built):
    d, x = built.detector, built.x
    assert d.threshold_ is None  # until training chooses it
    with pytest.raises(RuntimeError, match="threshold_ is not set"):
        d.predict(x)
    scores = d.score(x)
    d.threshold_ = float(np.median(scores))
    try:
        flags = d.predict(x)
    finally:
        d.threshold_ = None
    assert flags.shape == (N,) and set(np.unique(flags)) == {0, 1}
    np.testing.assert_array_equal(flags, (scores > float(np.median(scores))).astype(int))


# ----- persistence: checkpoints (resume) and the exported detector (gandi score) -------------

def test_a_checkpoint_restores_the_same_scores_and_next_step(built, tmp_path):
    """Networks, optimisers and noise: a detector built from other seeds, restored, scores the
    same and takes the same next train step."""
    d = built.detector
    setting = dict(built.setting)
    Checkpoints(tmp_path, d.checkpoint_objects(), 1).save(1)
    set_seeds(1, 1)
    other = DETECTORS[built.name]({**setting, "tf_seed": 1}, SHAPES[built.kind])
    assert Checkpoints(tmp_path, other.checkpoint_objects(), 1).restore_latest() == 1
    np.testing.assert_array_equal(other.score(built.x), d.score(built.x))
    batch = tf.constant(built.x[:d.batch_per_step])
    after = {k: float(v) for k, v in other.train_step(batch).items()}
    assert after == {k: float(v) for k, v in d.train_step(batch).items()}
    np.testing.assert_array_equal(other.score(built.x), d.score(built.x))


def finished_run(log_dir, built: Built, threshold: float, mc_threshold) -> RunFolders:
    """What a finished run leaves for gandi score: setting, status, (tables) the feature
    transform, and the sweet-spot networks and thresholds as the end of a run exports them
    (gandi.tracking.finish)."""
    d = built.detector
    run = RunFolders.create(log_dir, "contract", 0, 0)
    run.write_setting("contract", built.setting)
    if built.kind == "vectors":
        features = [f"feature_{i}" for i in range(SHAPES["vectors"][0])]
        run.write_transform(TabularTransform(features, {}, {}, "error", [0.0] * len(features),
                                             [1.0] * len(features)).to_dict())
    export_sweet_spot(run, d.networks, d.scoring_weights())
    run.write_thresholds(7, threshold, mc_threshold)
    run.write_status("finished")
    return run


def test_the_exported_detector_scores_and_predicts_as_the_trained_one(built, tmp_path):
    """The path `gandi score` takes (gandi.score.exported.load_exported); AnoGAN is refused."""
    d, x = built.detector, built.x
    scores = d.score(x)
    threshold = float(np.median(scores))
    mc = None if d.generator_network is None else threshold + 1.0
    run = finished_run(tmp_path, built, threshold, mc)
    if built.name in NOT_SUPPORTED:
        with pytest.raises(RunError, match=f"does not score detector '{built.name}'"):
            load_exported(run.signature, tmp_path)
        return
    exported = load_exported(run.signature, tmp_path)
    assert exported.step == 7
    assert (exported.detector.threshold_, exported.detector.mc_threshold_) == (threshold, mc)
    np.testing.assert_array_equal(exported.score(x), scores)
    np.testing.assert_array_equal(exported.detector.predict(x),
                                  (scores > threshold).astype(int))
