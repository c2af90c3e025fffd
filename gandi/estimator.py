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
out as test normals and as many synthetic anomalies are made from them (`gandi.data.corruptions`):
its AUC then says how well the detector separates corrupted copies of normal data, not real
anomalies (the run's log says so, and its setting.json: `gandi.report` marks such runs and never
averages them with runs on real anomalies). Nothing is chosen with test labels either way. The
run's setting id names the data: `python_<detector>_<fingerprint of X and eval_set>`.

Parameters: any setting key (`steps`, `epochs`, `e_arch`, `latent_dim`, `lr_g`, ...) except the
data keys `fit` sets. As in scikit-learn, `__init__` and `set_params` only store them; `fit`
checks them against the data (an image architecture such as `cae` is refused on vectors only),
with the command line's one-line errors (`gandi.settings.SettingError`, a ValueError). Defaults
(gandi.fit_defaults): 2,000 steps tracked 20 times whatever the data's size; on vectors the
tabular benchmark's MLPs, on images the detector's networks and rates of its first MNIST setting
in `run_params`, the networks' depth following the image size; the batch halved for small data.
"""
from __future__ import annotations

import shutil
import sys
import uuid
import warnings
from pathlib import Path

import numpy as np

from gandi.data.errors import DataError
from gandi.playground import _import_tensorflow_quietly

_import_tensorflow_quietly()  # gandi's messages, not TensorFlow's start-up lines

# setting keys `fit` sets from the arrays (or `seed`): not parameters
FIT_KEYS = ("dataset", "data_file", "train_file", "test_file", "image_dir", "normal_class",
            "anomaly_class", "label_column", "normal_values", "anomaly_values", "drop_columns",
            "image_size", "channels", "numpy_seed", "tf_seed", "name", "data_dir",
            "categorical", "missing", "test_fraction", "test_limit", "train_limit")
LABEL = "label"
REPORT_SHARE, REPORT_LIMIT = 0.1, 1000  # held-out test normals without an eval_set
MIN_FIT_SAMPLES = 10  # fewer leave no validation normal beside the training ones


class InputTypeError(TypeError, ValueError):
    """Values of a kind gandi cannot read (text in an object array): a TypeError, as numpy's
    and scikit-learn's are, and a ValueError, as gandi's other input errors are."""


class TrainingWarning(UserWarning):
    """A fit that finished but may have trained too short (its curve says so)."""


class InputError(ValueError):
    """Bad arrays or an unfitted detector; the message is the one line the user sees."""


# ---------------------------------------------------------------------------------------------
# Arrays in, checked
# ---------------------------------------------------------------------------------------------

def checked_array(X, what: str = "X") -> np.ndarray:
    """X as a numeric array of vectors (n, d) or images (n, h, w[, c]); one-line InputError."""
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise InputError(f"{what}: sparse input is not supported; pass a dense array "
                         f"({what}.toarray())")
    try:
        array = np.asarray(X)
    except (ValueError, TypeError) as err:
        raise InputError(f"{what}: not an array ({err})") from None
    if array.dtype == object:  # numbers in an object array (a DataFrame of mixed columns)
        try:
            array = array.astype(np.float64)
        except (ValueError, TypeError) as err:
            raise InputTypeError(f"{what}: dtype object holding values that are not numbers "
                                 f"({err}); expected numbers") from None
    if array.dtype.kind == "c":
        raise InputError(f"{what}: Complex data not supported (dtype {array.dtype}); expected "
                         f"real numbers")
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise InputError(f"{what}: dtype {array.dtype}; expected numbers (uint8 or float "
                         f"images, numeric vectors)")
    if array.ndim not in (2, 3, 4):
        raise InputError(f"{what}: shape {array.shape}; expected vectors (n, d) or images "
                         f"(n, h, w) / (n, h, w, c)" + (f". Reshape your data: "
                         f"{what}.reshape(-1, 1) for one feature, {what}.reshape(1, -1) for "
                         f"one sample" if array.ndim == 1 else ""))
    if array.ndim == 2 and array.shape[1] == 0:
        raise InputError(f"{what}: 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
                         f"required.")
    if len(array) == 0 or array[0].size == 0:
        raise InputError(f"{what}: shape {array.shape} holds no data")
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
        if bad.any():
            raise InputError(f"{what}: {int(bad.sum())} sample(s) hold NaN or inf (first: "
                             f"index {int(np.flatnonzero(bad)[0])}); remove or impute them")
    return array


def image_pixels(images: np.ndarray, what: str = "X") -> np.ndarray:
    """Images as uint8 (n, h, w, c): uint8 as they are, floats in [0, 1] times 255, rounded
    (what the PNG files of a fit hold, so training and scoring see the same pixels)."""
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[1] != images.shape[2] or images.shape[3] not in (1, 3):
        raise InputError(f"{what}: images of shape {images.shape[1:]}; expected square images "
                         f"(h == w) with 1 or 3 channels")
    if images.dtype == np.uint8:
        return images
    low, high = float(images.min()), float(images.max())
    if images.dtype.kind == "f" and low >= 0 and high <= 1:
        return np.round(images * 255).astype(np.uint8)
    if images.dtype.kind in "iu" and low >= 0 and high <= 255:
        return images.astype(np.uint8)
    raise InputError(f"{what}: pixel values from {low:g} to {high:g}; expected uint8 0-255 or "
                     f"floats in [0, 1]")


# ---------------------------------------------------------------------------------------------
# The run's data as files the table and image-folder paths read
# ---------------------------------------------------------------------------------------------

def _report_set(X: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(training X, test x, test y) without an eval_set: held-out normals and as many
    synthetic anomalies made from them (corrupted copies)."""
    from gandi.data.corruptions import corrupt
    rng = np.random.default_rng(seed)
    n_report = _report_size(len(X))
    order = rng.permutation(len(X))
    normals = X[order[:n_report]]
    anomalies = corrupt(normals, rng)
    return (X[order[n_report:]], np.concatenate([normals, anomalies]),
            np.repeat(np.array([0, 1]), n_report))


def _report_size(n: int) -> int:
    return min(REPORT_LIMIT, max(1, int(round(REPORT_SHARE * n))))


def array_fingerprint(*arrays: np.ndarray) -> str:
    """8 hex digits naming the arrays a fit ran on (their shapes, dtypes and values)."""
    from gandi.settings import fingerprint
    parts = []
    for array in arrays:
        array = np.ascontiguousarray(array)
        parts += [[list(array.shape), array.dtype.str], array.tobytes()]
    return fingerprint(*parts)


def data_keys(folder: Path, images: bool, train: np.ndarray) -> dict:
    """The setting's data keys for the files `write_data` puts in `folder`."""
    if images:
        return {"dataset": "folder", "image_dir": str(folder),
                "image_size": int(train.shape[1]), "channels": int(train.shape[3])}
    return {"dataset": "table", "label_column": LABEL, "normal_values": [0],
            "anomaly_values": [1], "train_file": str(folder / "train.npz"),
            "test_file": str(folder / "test.npz")}


def write_data(folder: Path, images: bool, train, test_x, test_y) -> None:
    """Vectors as NPZ tables (train: the block `x`; test: `x` and the label), images as PNG
    files under train/normal, test/normal and test/abnormal (the image folder layout)."""
    if not images:
        np.savez(folder / "train.npz", x=np.asarray(train, np.float64))
        np.savez(folder / "test.npz", x=np.asarray(test_x, np.float64), **{LABEL: test_y})
        return
    from PIL import Image
    for images_, sub in ((train, "train/normal"), (test_x[test_y == 0], "test/normal"),
                         (test_x[test_y == 1], "test/abnormal")):
        (folder / sub).mkdir(parents=True)
        for i, pixels in enumerate(images_):
            Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(
                folder / sub / f"{i:06d}.png")


# ---------------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------------

def _check_fixed(setting: dict) -> None:
    from gandi.settings import SettingError
    fixed = [k for k in setting if k in FIT_KEYS]
    if fixed:
        raise SettingError(f"gandi.Detector: {fixed[0]!r} is set by fit() from the arrays (or by "
                           f"seed); parameters are setting keys other than "
                           f"{', '.join(FIT_KEYS)}")


def fit_setting(detector: str, given: dict, images: bool, n_fit: int) -> dict:
    """The run's setting before its data keys: the defaults for the data's kind
    (gandi.fit_defaults) overridden by the `given` parameters, completed for the `n_fit`
    samples fit() trains and validates on."""
    from gandi.fit_defaults import completed, default_setting
    from gandi.setting_keys import DEFAULTS
    _check_fixed(given)
    setting = {**default_setting(detector, images), **given}
    held_out = setting.get("validation_fraction", DEFAULTS["validation_fraction"])
    n_train = n_fit - int(round(held_out * n_fit)) if isinstance(held_out, float) else n_fit
    return completed(setting, given, n_train)


def _sklearn_bases() -> tuple:
    """scikit-learn's OutlierMixin (fit_predict, the outlier detector's tags) and BaseEstimator
    (tags, HTML repr, clone), whose parameter protocol Detector overrides: its setting keys are
    keyword arguments, not names in __init__'s signature."""
    from sklearn.base import BaseEstimator, OutlierMixin
    return OutlierMixin, BaseEstimator


class Detector(*_sklearn_bases()):
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
                 verbose: int = 1, **setting):
        # scikit-learn's contract: stored as given, checked by fit (which knows the data's kind:
        # 'cae' is an image architecture, refused on vectors only)
        self.detector, self.seed, self.log_dir, self.verbose = detector, seed, log_dir, verbose
        self._setting = setting  # the very objects passed: sklearn.base.clone checks identity

    # scikit-learn's parameter protocol ---------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict:
        return {"detector": self.detector, "seed": self.seed, "log_dir": self.log_dir,
                "verbose": self.verbose, **self._setting}

    def set_params(self, **params) -> "Detector":
        """Store new parameters (checked by the next fit, as scikit-learn's estimators do)."""
        for key in ("detector", "seed", "log_dir", "verbose"):
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
        from gandi.settings import REAL, SYNTHETIC, SettingError, data_record, validate
        X = checked_array(X)
        if len(X) < MIN_FIT_SAMPLES:
            raise InputError(f"X: n_samples = {len(X)}; fit needs at least {MIN_FIT_SAMPLES} "
                             f"normal samples (to train on, and to hold out validation normals "
                             f"that choose the step and the threshold)")
        images = X.ndim > 2
        if images:
            X = image_pixels(X)
        if eval_set is not None:
            test_x, test_y = self._eval_set(eval_set, X, images)
        n_train = len(X) - (0 if eval_set is not None else _report_size(len(X)))
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
        else:
            train, test_x, test_y = _report_set(X, self.seed)
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
                    f"arrays {'x'.join(map(str, X.shape))}"
                    + (f", eval_set of {len(test_y)}" if eval_set is not None else "")))
        except (SettingError, DataError):  # before any run folder holds the data (a batch
            shutil.rmtree(folder, ignore_errors=True)  # larger than the training set)
            raise
        if results.get("status") != "finished":
            raise RuntimeError(f"gandi.Detector: the run {results['run'].signature} ended "
                               f"{results.get('status')}: {results.get('error') or 'see its log'}"
                               f" ({results['run'].log_file})")
        for warning in results.get("warnings", []):
            warnings.warn(f"gandi.Detector({self.detector!r}): {warning}", TrainingWarning,
                          stacklevel=2)
        self._attach(results["run"])
        self.decision_scores_ = self.decision_function(X)
        _save_fit_scores(results["run"], self.decision_scores_)
        return self

    def _eval_set(self, eval_set, X, images):
        try:
            X_eval, y_eval = eval_set
        except (TypeError, ValueError):
            raise InputError("eval_set: expected a pair (X_eval, y_eval)") from None
        X_eval = checked_array(X_eval, "eval_set X")
        if X_eval.shape[1:] != X.shape[1:] and not (images and X_eval.ndim == 3):
            raise InputError(f"eval_set X: samples of shape {X_eval.shape[1:]}, X's are "
                             f"{X.shape[1:]}")
        if images:
            X_eval = image_pixels(X_eval, "eval_set X")
        y_eval = np.asarray(y_eval).ravel()
        if len(y_eval) != len(X_eval) or not np.isin(y_eval, (0, 1)).all():
            raise InputError(f"eval_set y: expected {len(X_eval)} labels, 0 (normal) or 1 "
                             f"(anomaly); got {len(y_eval)} with values "
                             f"{sorted(set(y_eval.tolist()))[:5]}")
        if len(set(y_eval.tolist())) < 2:
            raise InputError("eval_set y: needs normal (0) and anomalous (1) samples for an AUC")
        order = np.argsort(y_eval, kind="stable")  # normals first, as every test set
        return X_eval[order], y_eval[order].astype(np.int64)

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
        self.threshold_ = float(self._exported.detector.threshold_)
        self.step_ = self._exported.step

    # scoring -----------------------------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Anomaly scores (n,), higher = more anomalous: the sweet spot's networks."""
        exported = self._fitted()
        return np.asarray(exported.score(self._model_input(exported, X)), dtype=np.float64)

    def anomaly_map(self, X) -> np.ndarray:
        """Per-pixel anomaly (n, h, w) of images, higher = more anomalous: the sweet spot's
        detector's map (`map_name_` says what it is; README, Detectors). An InputError for a
        detector fitted on vectors."""
        exported = self._fitted()
        if exported.is_table:
            raise InputError("anomaly_map: the detector was fitted on vectors; anomaly maps are "
                             "for images")
        return exported.detector.anomaly_map(self._model_input(exported, X))

    @property
    def map_name_(self) -> str | None:
        """What anomaly_map shows, None on vectors."""
        exported = self._fitted()
        return None if exported.is_table else exported.detector.map_name

    @staticmethod
    def _model_input(exported, X) -> np.ndarray:
        """X checked against the fit and scaled as the networks take it."""
        X = checked_array(X)
        if exported.is_table:
            columns = exported.transform.columns
            if X.ndim != 2 or X.shape[1] != len(columns):
                has = f"has {X.shape[1]} features" if X.ndim == 2 else f"of shape {X.shape}"
                raise InputError(f"X {has}, but Detector is expecting {len(columns)} features "
                                 f"as input (the detector was fitted on vectors of "
                                 f"{len(columns)} features)")
            import pandas as pd
            try:
                x = exported.transform.apply(pd.DataFrame(X, columns=columns), "X")
            except DataError as err:
                raise InputError(str(err)) from None
        else:
            from gandi.data.images import scaled
            size, channels = exported.setting["image_size"], exported.setting["channels"]
            if X.ndim == 2 or X.shape[1:3] != (size, size):
                raise InputError(f"X: shape {X.shape}; the detector was fitted on {size}x{size} "
                                 f"images with {channels} channel(s)")
            pixels = image_pixels(X)
            if pixels.shape[3] != channels:
                raise InputError(f"X: {pixels.shape[3]} channel(s); the detector was fitted on "
                                 f"{channels}")
            x = scaled(pixels)
        return x

    def export(self, path, onnx: bool = False) -> Path:
        """The fitted detector as a TensorFlow SavedModel folder at `path` (gandi/export.py),
        or an ONNX file with `onnx=True`: its `serving_default(x)` returns the scores
        decision_function gives (x as float32: vectors as passed to fit, images as pixel
        values 0-255)."""
        from gandi.export import export_onnx, export_saved_model
        return (export_onnx if onnx else export_saved_model)(self._fitted(), path)

    def predict(self, X) -> np.ndarray:
        """1 (anomaly) where decision_function(X) > threshold_, else 0."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

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


def load(run: str, log_dir="log_dir", verbose: int = 1) -> Detector:
    """The fitted Detector of a finished run: its signature under log_dir, or a path of one of
    its folders (a run of gandi.Detector.fit, of the playground or of a benchmark)."""
    from gandi.outputs.run_folder import RunFolders
    from gandi.score.exported import RunError
    from gandi.setting_keys import DEFAULTS
    try:
        folders = RunFolders.find(str(run), log_dir, option="gandi.load")
    except LookupError as err:
        raise RunError(str(err)) from None
    detector = Detector.__new__(Detector)  # no re-check: the run's setting was validated
    detector.log_dir, detector.verbose = str(folders.log_dir), verbose
    detector._attach(folders)
    setting = detector._exported.setting
    detector.detector, detector.seed = setting["detector"], setting["numpy_seed"]
    detector._setting = {k: v for k, v in setting.items()
                         if k not in FIT_KEYS and k != "detector" and v != DEFAULTS.get(k)}
    saved = folders.results / "fit_scores.npy"
    if saved.is_file():
        detector.decision_scores_ = np.load(saved)
    return detector

