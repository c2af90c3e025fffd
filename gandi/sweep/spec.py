"""A sweep specification, and the trials it expands to.

A spec is a YAML file (or a Python file defining a dict `SWEEP`) such as

    settings: [12, 13]          # numbers from run_params, or JSON setting files (mine.json,
                                # named after the file, as --setting-file does)
    seeds: [0, 1, 2]            # numpy and TF seed of each trial
    normal_class: 0-9           # "a-b" is the range a..b
    lr: [1.0e-4, 2.0e-4]        # lr is short for both lr_d and lr_g
    steps: 200                  # a single value is the same for every trial

Every other key is a setting key of `gandi.settings.validation` (see the table in docs/settings.md); a list
is an axis of the grid, anything else a fixed override. The trials are the product of
settings x seeds x every axis, in that order. Setting normal_class clears the setting's
anomaly_class (and the other way round), as the benchmark does. Each trial's setting is validated
here, before anything runs, so that a bad spec gets one line and nothing is started.
"""
from __future__ import annotations

import itertools
import json
import runpy
from dataclasses import dataclass
from pathlib import Path

RESERVED = ("settings", "seeds")
ALIASES = {"lr": ("lr_d", "lr_g")}
CLASS_KEYS = ("normal_class", "anomaly_class")


class SpecError(ValueError):
    """A bad sweep spec; the message is the one line the user sees."""


@dataclass(frozen=True)
class Trial:
    setting_id: int | str  # a run_params number, or a setting file's name
    seed: int
    overrides: tuple  # ((key, value), ...) in spec order: the grid point and the fixed values
    axes: tuple = ()  # the keys the spec sweeps (given as lists)

    @property
    def name(self) -> str:
        """A readable id: setting, seed and the swept values (the fixed ones are in the
        `overrides` column; the table keys a trial by both)."""
        point = "".join(f" {k}={_text(v)}" for k, v in self.overrides if k in self.axes)
        return f"setting {self.setting_id} seed {self.seed}{point}"

    def raw_setting(self, base: dict) -> dict:
        setting = {**base, "numpy_seed": self.seed, "tf_seed": self.seed}
        for key, value in self.overrides:
            for target in ALIASES.get(key, (key,)):
                setting[target] = value
            if key in CLASS_KEYS:  # one-class protocol: exactly one of the two
                setting[CLASS_KEYS[1 - CLASS_KEYS.index(key)]] = None
        return setting

    def overrides_json(self) -> str:
        return json.dumps(dict(self.overrides), sort_keys=True)


def _text(value) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def load(path) -> dict:
    """The spec file as a dict: YAML (.yaml/.yml) or Python (.py defining SWEEP)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file")
    if path.suffix == ".py":
        try:
            spec = runpy.run_path(str(path)).get("SWEEP")
        except Exception as err:  # the user's file: any error is theirs to see, in one line
            raise SpecError(f"{path}: {type(err).__name__}: {err}") from None
        if spec is None:
            raise SpecError(f"{path}: a Python spec must define a dict named SWEEP")
    elif path.suffix in (".yaml", ".yml"):
        import yaml
        try:
            spec = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise SpecError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    else:
        raise SpecError(f"{path}: a spec is a .yaml, .yml or .py file")
    if not isinstance(spec, dict):
        raise SpecError(f"{path}: the spec must be a mapping of keys to values, "
                        f"got {type(spec).__name__}")
    return spec


def _axis(key, value) -> list:
    """A spec value as the list of values it sweeps."""
    if key in CLASS_KEYS and isinstance(value, str):
        from gandi.cli import BadInput, parse_classes
        try:
            return parse_classes(value, what=f"{key} =")
        except BadInput as err:
            raise SpecError(str(err)) from None
    if isinstance(value, list):
        if not value:
            raise SpecError(f"{key} = []: a list needs at least one value")
        return value
    return [value]


def expand(spec: dict, available: dict) -> list[tuple[Trial, dict]]:
    """Every trial of the spec with its validated setting, or SpecError on the first bad one."""
    from gandi.settings.checks import did_you_mean
    from gandi.settings.keys import DEFAULTS
    from gandi.settings.validation import SettingError, validate
    if "settings" not in spec:
        raise SpecError("the spec needs 'settings': a list of setting numbers from run_params "
                        "or .json setting files")
    settings = _axis("settings", spec["settings"])
    available = dict(available)
    named = {}  # a JSON setting file (a user's own table), named after it as the playground does
    for entry in settings:
        if isinstance(entry, str) and entry.lower().endswith(".json"):
            from gandi.cli import BadInput
            from gandi.playground import setting_from_file
            try:
                named[entry], available[entry] = setting_from_file(entry)
            except BadInput as err:
                raise SpecError(f"settings: {str(err).replace('--setting-file ', '')}") from None
    unknown = [s for s in settings if s not in available]
    if unknown:
        raise SpecError(f"settings: no setting {unknown[0]!r} in run_params (or a .json setting "
                        f"file); available: "
                        + ", ".join(str(n) for n in sorted(available, key=str)))
    seeds = _axis("seeds", spec.get("seeds", [0]))
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise SpecError(f"seeds = {spec.get('seeds')!r}: expected integers >= 0")
    axes = {k: _axis(k, v) for k, v in spec.items() if k not in RESERVED}
    for key in axes:
        if not isinstance(key, str) or (key not in DEFAULTS and key not in ALIASES):
            raise SpecError(f"unknown key {key!r}"
                            f"{did_you_mean(key, [*RESERVED, *ALIASES, *DEFAULTS])} (a spec "
                            "has settings, seeds, lr for both learning rates, and the setting "
                            "keys that python -m gandi.playground --list --keys lists)")
    trials = []
    for entry, seed, point in itertools.product(settings, seeds,
                                                itertools.product(*axes.values())):
        setting_id = named.get(entry, entry)
        trial = Trial(setting_id, seed, tuple(zip(axes, point)),
                      tuple(k for k, v in spec.items() if k in axes and isinstance(v, (list, str))
                            and len(axes[k]) > 1))
        try:
            setting = validate(trial.raw_setting(available[entry]), label=trial.name)
        except SettingError as err:
            raise SpecError(str(err)) from None
        trials.append((trial, setting))
    names = [t.name for t, _ in trials]
    if len(set(names)) != len(names):  # only a repeated value in a list can do this
        raise SpecError("two trials are the same grid point (a value repeated in a list?)")
    return trials
