"""What a run is, before anything runs: a plain dict of setting keys, completed and checked.

    validation.py  validate(): defaults, value checks, cross-key rules; raises SettingError
    keys.py        the key table (defaults, checks, docs); the README's and --list's copies
    checks.py      how a key is declared and checked; did_you_mean; SettingError (leaf: imports
                   no gandi)
    shipped.py     the settings gandi ships beyond run_params' numbers (benchmark, Detector)

Nothing is imported here: `checks` is imported by the detectors and by every command's parser,
and `validation` imports the detectors and TensorFlow, so an import of `gandi.settings.checks`
must not run `validation` (a circle through gandi.detectors, and TensorFlow for `gandi --help`).
"""
