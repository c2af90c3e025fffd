"""`precision` (gandi/training/precision.py, gandi.nets.build): Keras mixed bfloat16 computes
the layers in bfloat16 while the variables, every network's outputs, losses and scores stay
float32; `auto` is float32 without measuring on a CPU without bfloat16 arithmetic, on vectors
and for short runs, and otherwise follows the measured (cached) faster step."""
import numpy as np
import pytest
import tensorflow as tf

import run_params
from conftest import SEEDS
from gandi.detectors import DETECTORS
from gandi.settings.validation import SettingError, validate
from gandi.training import precision
from gandi.training.compiled_step import CACHE_FILE
from gandi.training.loop import set_seeds

SHAPE = (28, 28, 1)
# setting 22's GANomaly: three networks and D's features (feature matching), all in bfloat16
GANOMALY = {**run_params.SETTINGS[22], "batch_size": 8, **SEEDS, "jit_compile": False,
            "image_size": 28, "channels": 1}


def built(name_setting: dict, chosen: str):
    set_seeds(0, 0)
    setting = validate({**name_setting, "precision": chosen}, label="22")
    return DETECTORS[setting["detector"]](setting, SHAPE)


def test_bfloat16_networks_compute_in_bfloat16_and_give_float32():
    if precision.bfloat16_blocked():  # oneDNN capped below AVX-512 on an AVX-512 CPU: refused
        with pytest.raises(SettingError, match="cannot run here: ONEDNN_MAX_CPU_ISA="):
            built(GANOMALY, "mixed_bfloat16")
        return
    detector = built(GANOMALY, "mixed_bfloat16")
    conv = [layer for net in detector.networks.values() for layer in net.layers
            if "conv" in type(layer).__name__.lower()]
    assert conv and all(layer.compute_dtype == "bfloat16" for layer in conv)
    assert all(v.dtype == "float32" for net in detector.networks.values()
               for v in net.trainable_variables)  # what the optimisers update and checkpoints keep
    x = np.random.default_rng(0).uniform(-1, 1, (detector.batch_per_step, *SHAPE))
    losses = detector.train_step(tf.constant(x.astype(np.float32)))
    assert all(v.dtype == tf.float32 and np.isfinite(float(v)) for v in losses.values())
    scores = detector.score(x[:5])
    assert scores.dtype == np.float32 and scores.shape == (5,) and np.isfinite(scores).all()
    # the same weights in float32 score alike to bfloat16's 8 significant bits, relatively
    exact = built(GANOMALY, "float32")
    for name, network in exact.networks.items():
        network.set_weights(detector.networks[name].get_weights())
    np.testing.assert_allclose(scores, exact.score(x[:5]), rtol=0.1)


@pytest.mark.parametrize("isa, onednn, flags, blocked", [
    ("AVX2", None, {"avx2", "avx512f", "avx512_bf16"}, True),   # an AVX-512 CPU capped
    ("avx2_vnni", None, {"avx512f"}, True),
    ("AVX2", "0", {"avx2", "avx512f", "avx512_bf16"}, False),   # oneDNN off: Eigen's bfloat16
    ("AVX2", None, {"avx2", "fma"}, False),                     # no AVX-512: emulated outside
    ("AVX512_CORE", None, {"avx512f"}, False),                  # oneDNN has bfloat16 kernels
    (None, None, {"avx512f", "amx_bf16"}, False)])
def test_bfloat16_is_blocked_only_where_onednn_has_no_kernel_for_it(monkeypatch, isa, onednn,
                                                                     flags, blocked):
    for name, value in (("ONEDNN_MAX_CPU_ISA", isa), ("TF_ENABLE_ONEDNN_OPTS", onednn)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert bool(precision.bfloat16_blocked(flags)) is blocked


def test_auto_is_float32_unmeasured_where_bfloat16_is_blocked(tmp_path, monkeypatch):
    monkeypatch.setenv("GANDI_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setattr(precision, "timed_side_by_side", lambda *a, **k: pytest.fail("measured"))
    setting = {**validate({**GANOMALY, "precision": "auto"}, label="22"), "steps": 5000}
    chosen, why = precision.choose(setting, SHAPE, np.zeros((8, *SHAPE), np.float32),
                                   flags={"avx512f", "avx512_bf16", "amx_bf16"})
    assert chosen == "float32" and "ONEDNN_MAX_CPU_ISA=AVX2" in why


def test_a_misspelt_precision_is_refused():
    with pytest.raises(SettingError, match="precision = 'bfloat16' is not allowed"):
        validate({**GANOMALY, "precision": "bfloat16"}, label="22")


def test_auto_is_float32_unmeasured_without_bfloat16_arithmetic(tmp_path, monkeypatch):
    monkeypatch.setenv("GANDI_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(precision, "timed_side_by_side", lambda *a, **k: pytest.fail("measured"))
    setting = {**validate({**GANOMALY, "precision": "auto"}, label="22"), "steps": 5000}
    batch = np.zeros((8, *SHAPE), np.float32)
    assert precision.choose(setting, SHAPE, batch, flags={"avx2", "fma"})[0] == "float32"
    bf16 = {"avx512f", "avx512_bf16"}
    assert precision.choose(setting, (30,), batch, flags=bf16)[0] == "float32"  # vectors
    assert precision.choose({**setting, "steps": 100}, SHAPE, batch, flags=bf16)[0] == "float32"
    forced = {**setting, "precision": "mixed_bfloat16"}
    assert precision.choose(forced, SHAPE, batch, flags=set()) == ("mixed_bfloat16",
                                                                    "as the setting says")
    assert not (tmp_path / CACHE_FILE).exists()


@pytest.mark.parametrize("bf16_ms, chosen", [(40.0, "mixed_bfloat16"), (60.0, "float32")])
def test_auto_follows_the_measured_faster_step_once(tmp_path, monkeypatch, bf16_ms, chosen):
    monkeypatch.setenv("GANDI_CACHE_DIR", str(tmp_path))
    calls = []

    def timed(settings, shape, batch):
        calls.extend(s["precision"] for s in settings.values())
        return {name: {"first_s": 1.0, "ms_per_step": bf16_ms if name == "mixed_bfloat16"
                       else 50.0} for name in settings}

    monkeypatch.setattr(precision, "timed_side_by_side", timed)
    setting = {**validate({**GANOMALY, "precision": "auto"}, label="22"), "steps": 5000}
    batch = np.zeros((8, *SHAPE), np.float32)
    first = precision.choose(setting, SHAPE, batch, flags={"avx512_bf16"})
    again = precision.choose(setting, SHAPE, batch, flags={"avx512_bf16"})
    assert first[0] == again[0] == chosen and "measured now" in first[1]
    assert "cached" in again[1] and sorted(calls) == ["float32", "mixed_bfloat16"]


def test_a_run_in_bfloat16_where_it_cannot_run_is_refused_before_its_folder(tmp_path,
                                                                            monkeypatch):
    """oneDNN capped at AVX2 on an AVX-512 CPU (made so here): TensorFlow would abort at the
    first bfloat16 convolution; the run stops first, with one line and no run folder."""
    from gandi.experiment import run_setting
    from gandi.training import machine
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setattr(machine, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    setting = validate({**run_params.SETTINGS[1], **SEEDS, "steps": 20, "track_every": 10,
                        "precision": "mixed_bfloat16"}, label="1")
    with pytest.raises(SettingError) as refused:
        run_setting(1, setting, tmp_path, progress=False)
    assert "\n" not in str(refused.value) and "precision = 'mixed_bfloat16'" in str(refused.value)
    assert not any(tmp_path.iterdir())
