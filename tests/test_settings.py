import pytest

import run_params
from gandi.setting_keys import DEFAULTS
from gandi.settings import SettingError, validate


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
    ({"stepz": 10}, "'stepz'", "allowed keys"),
    ({"steps": -5}, "steps = -5", "an integer > 0"),
    ({"steps": 2.5}, "steps = 2.5", "an integer > 0"),
    ({"steps": True}, "steps = True", "an integer > 0"),
    ({"lr_d": 0}, "lr_d = 0", "a number > 0"),
    ({"lr_g": "fast"}, "lr_g = 'fast'", "a number > 0"),
    ({"d_arch": "resnet"}, "d_arch = 'resnet'", "one of dcgan, mlp_dropout, mlp_medium, mlp_small"),
    ({"g_arch": "nope"}, "g_arch = 'nope'", "one of cae, dcgan, mlp_large"),
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


def test_jit_compile_auto_is_xla_on_images_and_not_on_vectors():
    assert validate({})["jit_compile"] is False
    assert validate({"dataset": "mnist", "normal_class": 1})["jit_compile"] is True
    assert validate({"dataset": "mnist", "normal_class": 1, "jit_compile": False})[
        "jit_compile"] is False
    assert validate({"jit_compile": True})["jit_compile"] is True
    with pytest.raises(SettingError, match="jit_compile = 'yes' .* expected true, false or auto"):
        validate({"jit_compile": "yes"})
