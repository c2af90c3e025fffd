"""gandi from Python, in PyOD's and scikit-learn's conventions.

    import gandi
    det = gandi.Detector("autoencoder", steps=500).fit(X_normal)   # normal data only
    det.decision_function(X)      # (n,) higher = more anomalous
    det.predict(X)                # 0/1 at det.threshold_ (chosen on held-out normals)
    det.run_                      # the run's results folder (det.signature_: its name)
    gandi.load(det.run_)          # the same detector, fitted, from its run folder

`fit` makes an ordinary run, as `python -m gandi.playground` does: a run folder with its
setting, checkpoints, TensorBoard logs, plots and results, the step chosen without labels on
held-out normals (`validation_fraction` of X), and the sweet spot's networks exported. So
everything the command line offers on a run (`gandi score`, `--resume`, the paper) works on it.

How the arrays become a run: vectors `(n, d)` are written as an NPZ table (columns `x_0` ..
`x_{d-1}`) and read by the table path, whose feature transform (standardised on the training
normals) is saved with the run; images `(n, h, w)` or `(n, h, w, c)` (square, c = 1 or 3;
uint8 0-255, or float in [0, 1], stored as 8 bits) are written as PNG files and read by the image
folder path (scaled to [-1, 1]). The files live under `log_dir/fit_data/`, named by the run's
setting, so the run can be resumed and re-read.

The run's test set only reports (its AUC curve, final table): with `eval_set=(X_eval, y_eval)`
(labels 0 normal, 1 anomaly) it is that set. Without one, a tenth of X (at most 1,000) is held
out as test normals and as many synthetic anomalies are made from them (`gandi.data.corruptions`;
`gandi.data.splits.report_set`, which a table of normal rows only shares on the command line):
its AUC then says how well the detector separates corrupted copies of normal data, not real
anomalies (the run's log says so, and its setting.json: `gandi.report` marks such runs and never
averages them with runs on real anomalies). Nothing is chosen with test labels either way. The
run's setting id names the data: `python_<detector>_<fingerprint of X and eval_set>`.

Parameters: any setting key (`steps`, `e_arch`, `latent_dim`, ...) except the data keys `fit`
sets. As in scikit-learn, `__init__` and `set_params` only store them; `fit` checks them against
the data, with the command line's one-line errors (`SettingError`, a ValueError). Defaults:
gandi/fit_defaults.py. Checking what users pass, and X against the fit: gandi/api_input.py.
"""
from __future__ import annotations

import shutil
import sys
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.api_input import ScoringWarning  # noqa: F401  (gandi.estimator.ScoringWarning)
from gandi.api_input import (InputError, checked_array, checked_eval_set, checked_frame,
                             image_pixels, is_frame, model_input)
from gandi.data.errors import DataError
from gandi.data.splits import report_set, report_size
from gandi.data.tabular_transform import non_numeric_columns
from gandi.fit_defaults import FIT_KEYS, fit_setting  # noqa: F401  (tests import it here)
from gandi.fit_data import array_fingerprint, as_the_users, data_keys, write_data
from gandi.cli import import_tensorflow_quietly

import_tensorflow_quietly()  # gandi's messages, not TensorFlow's start-up lines

OWN_PARAMETERS = ("detector", "seed", "log_dir", "verbose", "strict")  # not setting keys
MIN_FIT_SAMPLES = 10  # fewer leave no validation normal beside the training ones


class TrainingWarning(UserWarning):
    """A fit that finished but may have trained too short (its curve says so)."""


def sklearn_bases() -> tuple:
    """scikit-learn's OutlierMixin (fit_predict, the outlier detector's tags) and BaseEstimator
    (tags, HTML repr, clone), whose parameter protocol Detector overrides: its setting keys are
    keyword arguments, not names in __init__'s signature."""
    from sklearn.base import BaseEstimator, OutlierMixin
    return OutlierMixin, BaseEstimator


class Detector(*sklearn_bases()):
    """A gandi detector with PyOD's interface (module docstring): fit(X) on normal data,
    decision_function(X) higher = more anomalous, predict(X) 0/1 at threshold_."""

    _estimator_type = "outlier_detector"  # scikit-learn's tag for anomaly detectors

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False  # a seed fixes a fit (set_seeds, seeded data and noise)
        tags.input_tags.allow_nan = False  # refused with one line (checked_array)
        return tags

    # pickling: the fitted networks stay in the run folder; a pickled Detector reloads them
    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: Python's default is the live __dict__
        state.pop("_exported", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "run_" in state:
            from gandi.score.exported import load_exported
            self._exported = load_exported(state["run_"], self.log_dir)

    def __init__(self, detector: str = "vae", seed: int = 0, log_dir="log_dir",
                 verbose: int = 1, strict: bool = False, **setting):
        # scikit-learn's contract: stored as given, checked by fit (which knows the data's kind:
        # 'cae' is an image architecture, refused on vectors only)
        self.detector, self.seed, self.log_dir, self.verbose = detector, seed, log_dir, verbose
        self.strict = strict  # refuse rows whose scores would rest on imputed or unseen values
        self._setting = setting  # the very objects passed: sklearn.base.clone checks identity

    # scikit-learn's parameter protocol ---------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict:
        return {"detector": self.detector, "seed": self.seed, "log_dir": self.log_dir,
                "verbose": self.verbose, "strict": self.strict, **self._setting}

    def set_params(self, **params) -> "Detector":
        """Store new parameters (checked by the next fit, as scikit-learn's estimators do)."""
        for key in OWN_PARAMETERS:
            if key in params:
                setattr(self, key, params.pop(key))
        self._setting = {**self._setting, **params}
        return self

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"gandi.Detector({shown})"

    # training ----------------------------------------------------------------------------------
    def fit(self, X, y=None, eval_set=None) -> "Detector":
        """Train on normal samples X (`y` is ignored, as in PyOD); `eval_set=(X_eval, y_eval)`:
        labelled data the run reports on (never chooses with). Returns self."""
        from gandi.experiment import run_setting
        from gandi.settings.validation import REAL, SYNTHETIC, SettingError, data_record, validate
        from gandi.score.exported import NOT_SUPPORTED
        frame = is_frame(X)
        X = checked_frame(X) if frame else checked_array(X)
        images = not frame and X.ndim > 2
        if self.detector in NOT_SUPPORTED:  # found before training, not after it
            from gandi.detectors import DETECTORS  # offered: the ones that take these data
            raise SettingError(
                f"gandi.Detector: detector {self.detector!r} cannot score new data from Python "
                f"({NOT_SUPPORTED[self.detector]}); choose one of "
                + ", ".join(d for d, cls in DETECTORS.items() if d not in NOT_SUPPORTED
                            and (cls.takes_images or not images))
                + ", or run it with python -m gandi.playground")
        if len(X) < MIN_FIT_SAMPLES:
            raise InputError(f"X: n_samples = {len(X)}; fit needs at least {MIN_FIT_SAMPLES} "
                             f"normal samples (to train on, and to hold out validation normals "
                             f"that choose the step and the threshold)")
        if images:
            X = image_pixels(X)
        if eval_set is not None:
            test_x, test_y = checked_eval_set(eval_set, X, images)
        elif frame and (X.isna().any().any() or non_numeric_columns(X)):
            raise InputError("X: without eval_set the run reports on synthetic anomalies made "
                             "by corrupting numeric rows, and X has text columns or missing "
                             "values; pass eval_set=(X_eval, y_eval) with labelled rows")
        n_train = len(X) - (0 if eval_set is not None else report_size(len(X)))
        # the run is named after its data: reports average fits on the same arrays only
        fingerprint = array_fingerprint(X, *(() if eval_set is None else (test_x, test_y)))
        # the parameters, checked now that the data's kind and size are known
        folder = Path(self.log_dir) / "fit_data" / uuid.uuid4().hex[:12]
        setting = validate({**fit_setting(self.detector, self._setting, images, n_train),
                            **data_keys(folder, images, X), "detector": self.detector,
                            "numpy_seed": self.seed, "tf_seed": self.seed,
                            "name": f"gandi.Detector({self.detector})"}, label="gandi.Detector")
        if eval_set is not None:
            train = X
        elif frame:  # numeric columns only (checked above): corrupted as vectors, named again
            train, test_x, test_y = report_set(X.to_numpy(np.float64),
                                               np.random.default_rng(self.seed))
            train, test_x = (pd.DataFrame(part, columns=X.columns) for part in (train, test_x))
        else:
            train, test_x, test_y = report_set(X, np.random.default_rng(self.seed))
        progress = self.verbose >= 2 or (self.verbose == 1 and sys.stderr.isatty())
        folder.mkdir(parents=True)
        try:
            write_data(folder, images, train, test_x, test_y)
        except BaseException:  # a full disk, Ctrl-C: no half-written data
            shutil.rmtree(folder, ignore_errors=True)
            raise
        try:
            results = run_setting(
                f"python_{self.detector}_{fingerprint}", setting, self.log_dir,
                progress=progress, data_record=data_record(
                    setting, REAL if eval_set is not None else SYNTHETIC, fingerprint,
                    f"{'frame' if frame else 'arrays'} {'x'.join(map(str, X.shape))}"
                    + (f", eval_set of {len(test_y)}" if eval_set is not None else "")))
        except SettingError:  # before any run folder holds the data (a batch larger than
            shutil.rmtree(folder, ignore_errors=True)  # the training set)
            raise
        except DataError as err:  # a value the table path refuses: named as the user's X
            shutil.rmtree(folder, ignore_errors=True)
            raise InputError(as_the_users(str(err), folder)) from None
        if results.get("status") != "finished":
            raise RuntimeError(f"gandi.Detector: the run {results['run'].signature} ended "
                               f"{results.get('status')}: {results.get('error') or 'see its log'}"
                               f" ({results['run'].log_file})")
        for warning in results.get("warnings", []):
            warnings.warn(f"gandi.Detector({self.detector!r}): {warning}", TrainingWarning,
                          stacklevel=2)
        self._attach(results["run"])
        # X's own missing values were imputed in training too: nothing to say about them
        exported = self._fitted()
        x = model_input(exported, X, self._named(), self.strict, say_changes=False)
        self.decision_scores_ = np.asarray(exported.score(x), dtype=np.float64)
        _save_fit_scores(results["run"], self.decision_scores_)
        return self

    def _attach(self, run) -> None:
        """The fitted state: the run's detector at its sweet spot, as gandi score rebuilds it."""
        from gandi.score.exported import load_exported
        self._exported = load_exported(str(run.results), self.log_dir)
        # where the run is, not only its name: gandi.load(det.run_) finds it from any folder,
        # whatever log_dir was
        self.run_ = str(run.results.resolve())
        self.signature_ = run.signature
        if self._exported.is_table:  # scikit-learn's name for the number of input features
            self.n_features_in_ = len(self._exported.transform.columns)
            # a table with a header (CSV, Parquet: a DataFrame's fit) has names, as
            # scikit-learn's feature_names_in_; arrays (NPZ blocks x_0, x_1, ...) have none
            s = self._exported.setting
            source = s["data_file"] or s["train_file"]
            if not str(source).lower().endswith(".npz"):
                self.feature_names_in_ = np.asarray(self._exported.transform.columns, object)
        self.threshold_ = float(self._exported.detector.threshold_)
        self.step_ = self._exported.step

    # scoring -----------------------------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Anomaly scores (n,), higher = more anomalous: the sweet spot's networks."""
        exported = self._fitted()
        x = model_input(exported, X, self._named(), self.strict)
        return np.asarray(exported.score(x), dtype=np.float64)

    def anomaly_map(self, X) -> np.ndarray:
        """Per-pixel anomaly (n, h, w) of images, higher = more anomalous: the sweet spot's
        detector's map (`map_name_` says what it is; README, Detectors). An InputError for a
        detector fitted on vectors."""
        exported = self._fitted()
        if exported.is_table:
            raise InputError("anomaly_map: the detector was fitted on vectors; anomaly maps are "
                             "for images")
        return exported.detector.anomaly_map(model_input(exported, X, self._named(), self.strict))

    @property
    def map_name_(self) -> str | None:
        """What anomaly_map shows, None on vectors."""
        exported = self._fitted()
        return None if exported.is_table else exported.detector.map_name

    def export(self, path, onnx: bool = False) -> Path:
        """The fitted detector as a TensorFlow SavedModel folder at `path` (gandi/export.py),
        or an ONNX file with `onnx=True`: its `serving_default(x)` returns the scores
        decision_function gives (x as float32: vectors as passed to fit, images as whole pixel
        values 0-255); other input (another shape, an inf, pixels in [0, 1]) raises an
        InvalidArgumentError that names what it takes (docs/scoring_and_export.md)."""
        from gandi.export import export_onnx, export_saved_model
        return (export_onnx if onnx else export_saved_model)(self._fitted(), path)

    def predict(self, X) -> np.ndarray:
        """1 (anomaly) where decision_function(X) > threshold_, else 0."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def _named(self) -> bool:
        """Whether fit saw column names (a DataFrame): scoring then matches X's by name."""
        return getattr(self, "feature_names_in_", None) is not None

    @property
    def exported_(self):
        """The fitted run's detector as `gandi score` rebuilds it (gandi.score.exported): its
        networks at the sweet spot, setting and input scaling."""
        return self._fitted()

    def _fitted(self):
        exported = getattr(self, "_exported", None)
        if exported is None:
            from sklearn.exceptions import NotFittedError  # a ValueError and AttributeError
            raise NotFittedError("this gandi.Detector is not fitted yet: call fit(X) or "
                                 "gandi.load(run) first")
        return exported


def _save_fit_scores(run, scores: np.ndarray) -> None:
    from gandi.outputs.run_folder import atomic_save
    atomic_save(run.results / "fit_scores.npy", lambda path: np.save(path, scores))


def load(run: str, log_dir="log_dir", verbose: int = 1, strict: bool = False) -> Detector:
    """The fitted Detector of a finished run: its signature under log_dir, or a path of one of
    its folders (a run of gandi.Detector.fit, of the playground or of a benchmark)."""
    from gandi.outputs.run_folder import RunFolders
    from gandi.score.exported import RunError
    from gandi.settings.keys import DEFAULTS
    try:
        folders = RunFolders.find(str(run), log_dir, option="gandi.load")
    except LookupError as err:
        raise RunError(str(err)) from None
    detector = Detector.__new__(Detector)  # no re-check: the run's setting was validated
    detector.log_dir, detector.verbose, detector.strict = str(folders.log_dir), verbose, strict
    detector._attach(folders)
    setting = detector._exported.setting
    detector.detector, detector.seed = setting["detector"], setting["numpy_seed"]
    detector._setting = {k: v for k, v in setting.items()
                         if k not in FIT_KEYS and k != "detector" and v != DEFAULTS.get(k)}
    saved = folders.results / "fit_scores.npy"
    if saved.is_file():
        detector.decision_scores_ = np.load(saved)
    return detector

