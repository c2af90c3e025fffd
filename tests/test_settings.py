import os
from pathlib import Path

import pytest

import run_params
from gandi.settings.checks import did_you_mean
from gandi.settings.keys import DEFAULTS, KEYS
from gandi.settings.validation import SettingError, validate

EVERY_KEY = "(python -m gandi.playground --list --keys lists every key)"


def test_every_shipped_setting_is_valid():
    for number, raw in run_params.SETTINGS.items():
        setting = validate(raw, label=str(number))
        assert set(setting) == set(DEFAULTS)
    assert run_params.DEFAULT_SETTING in run_params.SETTINGS


def test_defaults_fill_in_and_input_is_not_modified():
    raw = {"steps": 10}
    setting = validate(raw)
    assert setting["steps"] == 10 and setting["batch_size"] == DEFAULTS["batch_size"]
    assert raw == {"steps": 10}


@pytest.mark.parametrize("raw,key,allowed", [
    ({"stepz": 10}, "'stepz'", "--list --keys lists every key"),
    ({"steps": -5}, "steps = -5", "an integer > 0"),
    ({"steps": 2.5}, "steps = 2.5", "an integer > 0"),
    ({"steps": True}, "steps = True", "an integer > 0"),
    ({"lr_d": 0}, "lr_d = 0", "a number > 0"),
    ({"lr_g": "fast"}, "lr_g = 'fast'", "a number > 0"),
    ({"d_arch": "resnet"}, "d_arch = 'resnet'", "one of dcgan, gaal, mlp_dropout, mlp_medium, mlp_small"),
    ({"g_arch": "nope"}, "g_arch = 'nope'", "one of cae, dcgan, gaal, mlp_large"),
    ({"loss": "hinge"}, "loss = 'hinge'", "least_squares, nonsaturating, wgan_gp"),
    ({"distribution": "cauchy"}, "distribution = 'cauchy'", "one of exponential"),
    ({"batch_size": 500, "n_train": 100}, "batch_size = 500", "at most n_train = 100"),
    ({"threshold_percentile": 100}, "threshold_percentile = 100", "(0, 100)"),
    ({"d_params": {"width": 3}}, "d_params = {'width': 3}", "keyword arguments of mlp_small"),
    ({"distribution_params": {"mean": 3}}, "distribution_params", "loc, scale"),
    ({"anomaly_params": {"shift": 1, "x": 2}}, "anomaly_params", "shift"),
])
def test_bad_values_name_key_value_and_what_is_allowed(raw, key, allowed):
    with pytest.raises(SettingError) as err:
        validate(raw, label="7")
    message = str(err.value)
    assert message.startswith("setting 7: ")
    assert key in message and allowed in message
    assert "\n" not in message


def test_not_a_dict():
    with pytest.raises(SettingError, match="must be a dict"):
        validate([1, 2])


def test_auto_criterion_and_ensemble_resolve_by_data_kind():
    assert validate({})["sweet_spot_criterion"] == "val_vs_synthetic"
    assert validate({})["checkpoint_ensemble"] == 5
    images = {"dataset": "mnist", "normal_class": 1, "g_arch": "dcgan", "d_arch": "dcgan"}
    assert validate(images)["sweet_spot_criterion"] == "val_vs_corrupted"
    assert validate(images)["checkpoint_ensemble"] == 1
    # corruptions are made for vectors too
    assert validate({"sweet_spot_criterion": "val_vs_corrupted"})["sweet_spot_criterion"] == \
        "val_vs_corrupted"
    with pytest.raises(SettingError, match="checkpoint_ensemble = 0 is not allowed; expected "
                                           '"auto" or an integer >= 1'):
        validate({"checkpoint_ensemble": 0})


def test_jit_compile_auto_stays_auto_for_the_run_to_decide():
    # the machine decides at run time (tests/test_compiled_step.py); the setting, and so its
    # hash, says only "auto"
    assert validate({})["jit_compile"] == "auto"
    assert validate({"dataset": "mnist", "normal_class": 1})["jit_compile"] == "auto"
    assert validate({"dataset": "mnist", "normal_class": 1, "jit_compile": False})[
        "jit_compile"] is False
    assert validate({"jit_compile": True})["jit_compile"] is True
    with pytest.raises(SettingError, match="jit_compile = 'yes' .* expected true, false or auto"):
        validate({"jit_compile": "yes"})


def _error(raw) -> str:
    with pytest.raises(SettingError) as err:
        validate(raw, label="7")
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("raw,expected", [
    ({"lattent_dim": 4}, "setting 7: unknown key 'lattent_dim'; did you mean 'latent_dim'? "
                         + EVERY_KEY),
    ({"Batch_Size": 4}, "unknown key 'Batch_Size'; did you mean 'batch_size'? "),  # only the case
    ({"lr": 1e-3}, "unknown key 'lr'; did you mean 'lr_g' or 'lr_d'? "),
    ({"vae_scor": "elbo"}, "unknown key 'vae_scor'; did you mean 'vae_score'? "),  # a detector's
])
def test_a_misspelt_key_gets_the_nearest_keys_not_all_of_them(raw, expected):
    message = _error(raw)
    assert expected in message and message.endswith(EVERY_KEY)
    assert "allowed keys" not in message and "track_test_limit" not in message


def test_a_far_off_key_gets_no_suggestion_but_where_the_keys_are():
    assert _error({"zzzz": 1}) == f"setting 7: unknown key 'zzzz' {EVERY_KEY}"
    assert _error({3: 1}) == f"setting 7: unknown key 3 {EVERY_KEY}"  # keys of any type


@pytest.mark.parametrize("raw,expected", [
    ({"detector": "autoencodr"}, "detector = 'autoencodr' is not allowed; expected one of aae, "
     "anogan, autoencoder, discriminator, discriminator_knn, discriminator_lof, egbad, fencegan, ganomaly, mo_gaal, "
     "so_gaal, vae; did you mean 'autoencoder'?"),
    ({"optimizer": "SGD"}, "expected one of adam, rmsprop, sgd; did you mean 'sgd'?"),
    ({"dataset": "minst"}, "; did you mean 'mnist'?"),
    ({"loss": "wgan-gp"}, "; did you mean 'wgan_gp'?"),
    ({"d_arch": "dcgann"}, "; did you mean 'dcgan'?"),
    ({"jd_arch": "mlp_jont"}, "expected one of dcgan_joint, mlp_joint; did you mean 'mlp_joint'?"),
    ({"dataset": "table", "data_file": "t.csv", "categorical": "onehot"},
     "; did you mean 'one_hot'?"),
    ({"sweet_spot_criterion": "val_vs_corupted"}, "; did you mean 'val_vs_corrupted'?"),
    ({"vae_score": "elbo_"}, "; did you mean 'elbo'?"),  # a key a detector declares
    ({"g_params": {"unit": [8]}}, "keyword arguments of mlp_small: units, activation; did you "
                                  "mean 'units'?"),  # a builder's keyword argument
])
def test_a_misspelt_name_value_gets_the_nearest_in_the_one_line(raw, expected):
    message = _error(raw)
    assert message.startswith("setting 7: ") and message.endswith(expected), message


@pytest.mark.parametrize("raw", [{"detector": "isolation_forest"}, {"d_arch": "resnet"},
                                 {"loss": "hinge"}, {"steps": -5}, {"detector": 3},
                                 {"g_params": {"width": 3}}])
def test_a_far_off_or_not_a_name_value_gets_no_suggestion(raw):
    message = _error(raw)
    assert "is not allowed; expected" in message and "did you mean" not in message, message


def test_did_you_mean():
    assert did_you_mean("lattent_dim", DEFAULTS) == "; did you mean 'latent_dim'?"
    assert did_you_mean("ab", ["abc", "abd", "abe", "abf", "xyz"]) == \
        "; did you mean 'abf', 'abe' or 'abd'?"  # at most three equally near
    # only those about as near as the nearest (not also e_params, d_params)
    assert did_you_mean("g_param", ["g_params", "e_params", "d_params"]) == \
        "; did you mean 'g_params'?"
    assert did_you_mean("--Seed", ["--seed", "--steps"]) == "; did you mean '--seed'?"
    for far_off in ("zzzz", "", None, 3, ("steps",)):
        assert did_you_mean(far_off, DEFAULTS) == ""
    assert did_you_mean("steps", []) == ""


def test_the_choices_of_a_key_are_its_one_of_names():
    assert set(KEYS["detector"].choices) == set(KEYS["detector"].allowed[len("one of "):]
                                                .split(", "))
    assert KEYS["steps"].choices == () and KEYS["vae_score"].choices == (
        "elbo", "reconstruction_probability")


def test_the_readme_examples_of_did_you_mean_are_true():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for raw in ({"lattent_dim": 4}, {"detector": "autoencodr"}):
        with pytest.raises(SettingError) as err:
            validate(raw, label="7")
        assert f"\ngandi.playground: error: {err.value}\n" in readme


def test_a_key_added_at_its_neutral_value_leaves_every_hash_as_it_was(monkeypatch):
    """A key new to gandi, at the value that does what gandi did without it (fingerprint's
    NEUTRAL), adds nothing to the hash: the committed rows stay current; any other value of it
    is a new method."""
    from gandi.settings import fingerprint
    base = validate({"dataset": "mnist", "normal_class": 1, "detector": "autoencoder"})
    before = fingerprint.setting_hash(base)
    monkeypatch.setattr(fingerprint, "NEUTRAL", {**fingerprint.NEUTRAL, "new_key": "as before"})
    assert fingerprint.setting_hash({**base, "new_key": "as before"}) == before
    assert fingerprint.setting_hash({**base, "new_key": "changed"}) != before


def test_a_settings_hash_names_the_method_not_the_cell():
    """gandi.settings.fingerprint: the class, seeds, name and data paths of a cell do not
    change it; any other key does; it is the same in another process (no Python hash seed)."""
    import subprocess
    import sys
    from gandi.settings.fingerprint import setting_hash
    base = validate({"dataset": "mnist", "normal_class": 1, "detector": "autoencoder"})
    same = validate({**base, "normal_class": 7, "numpy_seed": 3, "tf_seed": 3, "name": "x",
                     "data_dir": "/elsewhere"})
    assert setting_hash(base) == setting_hash(same)
    assert len(setting_hash(base)) == 12 and int(setting_hash(base), 16) >= 0
    assert setting_hash(validate({**base, "lr_g": base["lr_g"] * 2})) != setting_hash(base)
    assert setting_hash(validate({**base, "steps": 100, "epochs": None})) != setting_hash(base)
    # a key only other detectors read is not part of this detector's method
    gan = validate({**base, "detector": "discriminator"})
    assert setting_hash({**gan, "autoencoder_score": "reconstruction+latent_knn"}) == \
        setting_hash(gan)
    assert setting_hash({**base, "d_steps": 5}) == setting_hash(base)  # no D to step
    assert setting_hash({**gan, "d_steps": 5}) != setting_hash(gan)
    code = ("from gandi.settings.validation import validate; from gandi.settings.fingerprint "
            "import setting_hash; print(setting_hash(validate({'dataset': 'mnist', "
            "'normal_class': 1, 'detector': 'autoencoder'})))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert other.stdout.split()[-1] == setting_hash(base)


@pytest.mark.parametrize("raw, recorded", [
    ({"dataset": "mnist", "normal_class": 1}, "b1d372a8"),
    ({"dataset": "fashion_mnist", "anomaly_class": 3}, "fe4631ca"),
    ({"dataset": "distribution"}, "e62a6a6f"),
    ({"dataset": "table", "data_file": "satimage-2.npz"}, "024bfc56")])
def test_data_fingerprints_of_runs_before_image_folder_contents_stay(raw, recorded):
    """An image folder's fingerprint hashes its files too (data_record's `contents`); every other
    dataset's stays the hash of its data keys, as recorded by the runs and rows made before."""
    from gandi.settings.validation import data_record
    assert data_record(validate(raw))["fingerprint"] == recorded


def test_a_validation_sample_too_small_to_resolve_the_criterion_is_refused():
    """Ties of the sweet-spot rule are 1/n wide for n validation normals scored: a sample of a
    few normals would make every step a tie, and the latest step the sweet spot, silently."""
    with pytest.raises(SettingError, match=r"track_validation_limit = 50 is not allowed; "
                                           r"expected None or an integer >= 100"):
        validate({"track_validation_limit": 50})
    assert validate({"track_validation_limit": 100})["track_validation_limit"] == 100
    assert validate({})["track_validation_limit"] is None
