"""`jit_compile: auto`, decided on the machine (gandi/training/compiled_step.py): plain on vectors
and short runs without measuring; otherwise the detector's step timed both ways once per machine
and step shape (cached), XLA only when it pays back within the run; a run's result does not
depend on whether the choice was measured now or read from the cache."""
import json

import numpy as np
import pytest

import run_params
from conftest import MNIST_DIR, SEEDS, needs_mnist
from gandi.experiment import run_setting
from gandi.settings.validation import validate
from gandi.training import compiled_step
from gandi.training.compiled_step import CACHE_FILE, choose, entry_key, payback_steps

SHAPE = (28, 28, 1)
# setting 30's convolutional autoencoder (the cheapest image step to compile), on a slice
AUTOENCODER = {**run_params.SETTINGS[30], "data_dir": str(MNIST_DIR), "epochs": None,
               "steps": 6, "train_limit": 256, "test_limit": 120, "track_every": 3,
               "checkpoint_every": 6, "n_generated": 64, **SEEDS}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache of this test's own; the path of its file."""
    monkeypatch.setenv("GANDI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / CACHE_FILE


def batch():
    return np.random.default_rng(0).uniform(-1, 1, (64, *SHAPE)).astype(np.float32)


def fail_if_measured(*args):
    raise AssertionError("measured, where the rule or the cache decides")


def test_forced_values_vectors_and_short_runs_are_not_measured(cache, monkeypatch):
    monkeypatch.setattr(compiled_step, "measure", fail_if_measured)
    images = validate({**AUTOENCODER, "steps": compiled_step.MEASURE_FROM - 1})
    jit, why = choose(images, SHAPE, batch())
    assert jit is False and "trains plain, unmeasured" in why
    for forced in (True, False):
        assert choose({**images, "jit_compile": forced, "steps": 10 ** 6}, SHAPE,
                      batch())[0] is forced
    vectors = {**validate({}), "steps": 10 ** 6}
    assert choose(vectors, (6,), batch()[:, 0, :6, 0])[0] is False
    assert not cache.exists()


def test_the_choice_follows_the_measured_payback_and_the_runs_length(cache, monkeypatch):
    """From a cache entry: XLA only when its step is faster and its longer first call is paid
    back within the run's steps."""
    setting = validate({**AUTOENCODER, "steps": 1000})
    key = entry_key(setting, SHAPE)

    def cached(xla_first, xla_ms, plain_first, plain_ms):
        entry = {"xla": {"first_s": xla_first, "ms_per_step": xla_ms},
                 "plain": {"first_s": plain_first, "ms_per_step": plain_ms}}
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({key: entry}))
        return entry

    monkeypatch.setattr(compiled_step, "measure", fail_if_measured)
    # 6 s more to compile, 10 ms a step saved: pays back after 600 steps
    assert payback_steps(cached(8.0, 90.0, 2.0, 100.0)) == pytest.approx(600)
    assert choose(setting, SHAPE, batch())[0] is True
    assert choose({**setting, "steps": 600}, SHAPE, batch())[0] is False
    assert "pay back its compile after 600 steps, the run has 600" in choose(
        {**setting, "steps": 600}, SHAPE, batch())[1]
    # XLA's step slower (an AVX-512 CPU's oneDNN kernels): plain however long the run
    assert payback_steps(cached(8.0, 110.0, 2.0, 100.0)) is None
    assert choose({**setting, "steps": 10 ** 7}, SHAPE, batch())[0] is False
    # another step shape or another machine is another entry: measured again
    assert entry_key({**setting, "batch_size": 32}, SHAPE) != key
    assert entry_key(setting, (32, 32, 3)) != key
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2_NOT_THIS_MACHINE")
    assert entry_key(setting, SHAPE) != key
    with pytest.raises(AssertionError, match="measured, where"):
        choose(setting, SHAPE, batch())


def test_a_long_runs_step_is_measured_once_then_read_from_the_cache(cache, monkeypatch):
    setting = validate({**AUTOENCODER, "steps": 10 ** 6})
    calls = []
    real = compiled_step.timed_side_by_side

    def timed(settings, shape, x, rounds=1, steps=2):  # fewer steps: the plumbing is checked
        calls.extend(s["jit_compile"] for s in settings.values())
        return real(settings, shape, x, rounds, steps)

    monkeypatch.setattr(compiled_step, "timed_side_by_side", timed)
    jit, why = choose(setting, SHAPE, batch())
    assert calls == [True, False] and "measured now" in why
    entry = json.loads(cache.read_text())[entry_key(setting, SHAPE)]
    for which in ("xla", "plain"):
        assert entry[which]["first_s"] > 0 and entry[which]["ms_per_step"] > 0
    assert jit is (payback_steps(entry) is not None and payback_steps(entry) < 10 ** 6)
    assert choose(setting, SHAPE, batch()) == (jit, why.replace("measured now", "cached"))
    assert calls == [True, False]  # not measured again


@needs_mnist
def test_a_run_is_the_same_whether_its_choice_was_measured_or_cached(cache, monkeypatch,
                                                                     tmp_path):
    """The measurement builds throwaway detectors; the run re-seeds after it, so the first run
    (measuring) and the second (reading the cache) train the same networks. jit_compile forced
    off in the cache, so both runs train the same (plain) step."""
    monkeypatch.setattr(compiled_step, "MEASURE_FROM", 1)
    monkeypatch.setattr(compiled_step, "payback_steps", lambda measured: None)
    monkeypatch.setattr(compiled_step, "ROUNDS", 1)
    setting = validate(AUTOENCODER, label="30")
    first = run_setting(30, setting, tmp_path / "measured", progress=False)
    assert cache.is_file()
    monkeypatch.setattr(compiled_step, "measure", fail_if_measured)
    second = run_setting(30, setting, tmp_path / "cached", progress=False)
    columns = ["step", "d_auc", "criterion"]
    assert first["measurements"][columns].equals(second["measurements"][columns])
    assert first["setting"]["jit_compile"] is False and setting["jit_compile"] == "auto"
    log = (first["run"].log_file).read_text()
    assert "jit_compile = False (auto: plain, its step is faster here: XLA" in log
    assert "measured now on this machine" in log
    assert "cached on this machine" in second["run"].log_file.read_text()


def test_the_two_steps_are_timed_in_turn_and_the_fastest_round_kept(monkeypatch):
    """A round of XLA, a round of plain, and again: a busy moment slows a round of each, not
    every round of one (the fastest of each is kept)."""
    order, seconds = [], iter([0.5, 0.4, 0.9, 0.3, 0.2, 0.8, 0.4, 0.6])  # first calls, rounds

    def timer(detector, x):
        def run(n):
            order.append((detector.xla, n))
            wall = next(seconds)
            return wall, 2 * wall
        return run

    monkeypatch.setattr(compiled_step, "_timer", timer)
    measured = compiled_step.measure(validate({**AUTOENCODER, "steps": 10 ** 6}), SHAPE, batch())
    assert order == [(True, 1), (False, 1)] + [(True, 4), (False, 4)] * 3
    assert measured["xla"] == {"first_s": 0.5, "ms_per_step": 50.0, "first_cpu_s": 1.0,
                               "cpu_ms_per_step": 100.0}
    assert measured["plain"]["ms_per_step"] == 75.0  # 0.3 s over 4 steps: its fastest round
