"""A finished run's detector as a TensorFlow SavedModel, for serving:

    gandi export RUN PATH [--log-dir DIR] [--onnx]   (python -m gandi.export; Detector.export)

The SavedModel's `serving_default` signature takes the raw input `x` and returns
`{"score": (n,) float32, "is_anomaly": (n,) bool}`, all computed by the exported graph: the
scaling, the sweet spot's networks and the detector's score formula (`graph_score`, the very
formula the Tracker and `gandi score` run, with its constants, e.g. a reference bank's scale,
fixed), and `score > threshold_` (the threshold chosen in training). `x`:
- a run on vectors: `(n, d)` float32, the feature columns in the run's order; missing values
  (NaN) are imputed as in training when its setting imputes them; then standardised with the
  training normals' mean and deviation, in float64 as the table path does. A run whose table
  one-hot encodes text columns takes `x` as text instead, `(n, d)` tf.string: numbers as text
  ("" or "nan" missing; spaces around a number are skipped, as pandas skips them), categories
  exactly as the training rows held them (not stripped: a CSV's " blue" is not "blue"; an
  unseen one: all zeros);
- every table export says its columns: the signature `input_columns()` returns them in order,
  and `assets/columns.json` holds them with the categories (`gandi export` prints them);
- a run on images: `(n, h, w, c)` float32, whole pixel values 0-255 (uint8 images cast to
  float32, as the fit saw them), then scaled to [-1, 1].

What `gandi score` refuses, the SavedModel refuses with an InvalidArgumentError naming the rule
(never a quiet NaN score or the score of other input): `x` of another shape (27x27 images, no
channel axis, d+1 columns); an infinite value, and a missing one (NaN, "", a missing category)
when the run was trained with `missing: "error"`; pixels outside 0-255 or not whole numbers
(images in [0, 1] or [-1, 1]).

    served = tf.saved_model.load(PATH).signatures["serving_default"]
    served(x=tf.constant(images, tf.float32))["score"]

Supported: the detectors `gandi score` supports (not AnoGAN: its score is a latent search).
A fitted `gandi.Ensemble` exports the same way (`export_ensemble`; `Ensemble.export`), when
each of its members has a graph (classical members: gandi/detectors/classical_graph.py).
The folder is written beside PATH and renamed into place when complete.

`--onnx` writes PATH as an ONNX file instead (input `x`, outputs `score` then `is_anomaly`, the
same graph converted by tf2onnx from the SavedModel; `pip install -e '.[onnx]'`, which `make`
installs): onnxruntime gives the SavedModel's scores to float32 rounding (2e-7 relative for
every detector, measured). ONNX cannot raise: onnxruntime refuses another shape itself, but
tf2onnx drops the value checks, so a NaN or inf cell scores NaN or inf, and `is_anomaly` is
`not score <= threshold_`: such a row is an anomaly, never a quiet normal; out-of-range pixels
are scored as given.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from gandi.cli import ExitingParser, import_tensorflow_quietly
from gandi.score.served_input import input_description, served_input


class ExportError(ValueError):
    """A run or path that cannot be exported; the message is the one line the user sees."""


def build_module(exported):
    """A tf.Module whose `serve` is the serving signature (module docstring)."""
    import keras
    import tensorflow as tf
    shape, dtype, scale = served_input(exported)
    detector = exported.detector
    columns = [] if exported.transform is None else list(exported.transform.columns)
    threshold = float(detector.threshold_)
    score_of = detector.graph_score()

    class Served(tf.Module):
        def __init__(self):
            super().__init__(name="gandi_detector")
            # tracked, so that their variables are saved: the networks and the models built
            # on them that the score reads (EGBAD's feature extractor shares D's layers)
            self.networks = dict(detector.networks)
            self.models = [v for v in vars(detector).values() if isinstance(v, keras.Model)]
            self.threshold = tf.constant(threshold, tf.float32)

        @tf.function(input_signature=[tf.TensorSpec((None, *shape), dtype, name="x")])
        def serve(self, x):
            score = tf.cast(score_of(scale(x)), tf.float32)
            # not score > threshold: a NaN score (only in ONNX, which drops the checks) is
            # an anomaly, never a quiet normal
            return {"score": score, "is_anomaly": tf.logical_not(score <= self.threshold)}

        @tf.function(input_signature=[])
        def input_columns(self):
            """x's columns in order (tables; empty for images): the model says what it takes."""
            return {"columns": tf.constant(columns, tf.string, shape=(len(columns),))}
    return Served()


@contextlib.contextmanager
def staged(path: Path, what: str):
    """A staging folder beside `path` (which must not exist), removed when done: an export is
    written there and renamed into place only when complete."""
    if path.exists():
        raise ExportError(f"{path} exists; give a new {what} (nothing was written)")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_saved_model(exported, path) -> Path:
    """Write the SavedModel of `exported` (gandi.score.exported.ExportedDetector) to `path`
    (which must not exist), atomically."""
    import tensorflow as tf
    path = Path(path)
    module = build_module(exported)  # a run it refuses leaves no folder behind
    with staged(path, "folder") as staging:
        tf.saved_model.save(module, str(staging / "model"),
                            signatures={"serving_default": module.serve,
                                        "input_columns": module.input_columns})
        if exported.transform is not None:  # the column order beside the graph, readable
            (staging / "model" / "assets").mkdir(exist_ok=True)
            (staging / "model" / "assets" / "columns.json").write_text(json.dumps(
                {"columns": list(exported.transform.columns),
                 "categories": exported.transform.categories,
                 "input": input_description(exported)}, indent=1))
        (staging / "model").rename(path)
    return path


def export_onnx(exported, path) -> Path:
    """The SavedModel of `exported` converted to ONNX by tf2onnx, written to `path` (which must
    not exist) when the conversion succeeded."""
    import importlib.util
    import subprocess
    path = Path(path)
    if importlib.util.find_spec("tf2onnx") is None:  # the converter runs in its own process
        raise ExportError("--onnx needs tf2onnx: pip install -e '.[onnx]' (or pip install "
                          "tf2onnx onnxruntime)")
    if exported.transform is not None and exported.transform.categories:
        raise ExportError(f"run {exported.run.signature}: its table one-hot encodes text column "
                          f"{next(iter(exported.transform.categories))!r}; the ONNX export takes "
                          f"float32 only: export a SavedModel (without --onnx), whose x is text")
    with staged(path, "file") as staging:
        export_saved_model(exported, staging / "saved_model")
        converted = subprocess.run(
            [sys.executable, "-m", "tf2onnx.convert", "--saved-model",
             str(staging / "saved_model"), "--output", str(staging / "model.onnx")],
            capture_output=True, text=True)
        if converted.returncode != 0:
            last = (converted.stderr.strip().splitlines() or ["no message"])[-1]
            raise ExportError(f"tf2onnx could not convert run {exported.run.signature}: "
                              f"{last[:300]}")
        _outputs_in_order(staging / "model.onnx", ["score", "is_anomaly"])
        (staging / "model.onnx").rename(path)
    return path


def _outputs_in_order(path: Path, names: list) -> None:
    """The ONNX file's outputs in the order `names` (the docs'): tf2onnx writes a signature's
    outputs sorted by name (is_anomaly first), and a caller that runs session.run(None, ...)
    unpacks them by position."""
    import onnx
    model = onnx.load(str(path))
    outputs = sorted(model.graph.output, key=lambda output: names.index(output.name))
    del model.graph.output[:]
    model.graph.output.extend(outputs)
    onnx.save(model, str(path))


# -- a gandi.Ensemble ---------------------------------------------------------------------------
def build_ensemble_module(ensemble):
    """A tf.Module whose `serve` is a fitted gandi.Ensemble's serving signature: x raw as for
    its first gandi member (that member's scaling), every member's score (a gandi one's
    `graph_score`, a classical one's graph, gandi.detectors.classical_graph) standardised on
    its validation-normal scale, averaged, and compared with the ensemble's threshold."""
    import keras
    import tensorflow as tf
    from gandi.detectors.classical import Classical
    from gandi.detectors.classical_graph import NoGraph, classical_graph
    first = ensemble.candidates_[ensemble.scaling_member_].exported_
    shape, dtype, scale = served_input(first)
    columns = [] if first.transform is None else list(first.transform.columns)
    scores, tracked = [], []
    for name in ensemble.members_:
        member = ensemble.estimators_[name]
        if not isinstance(member, Classical):  # a fitted gandi.Detector
            detector = member.exported_.detector
            graph = detector.graph_score()
            tracked += list(detector.networks.values())
            tracked += [v for v in vars(detector).values() if isinstance(v, keras.Model)]
            scores.append(lambda x, graph=graph: tf.cast(graph(x), tf.float64))
        else:
            try:
                scores.append(classical_graph(member))
            except NoGraph as err:
                raise ExportError(f"gandi.Ensemble.export: {err}") from None
    scales = [ensemble.scales_[m] for m in ensemble.members_]

    class Served(tf.Module):
        def __init__(self):
            super().__init__(name="gandi_ensemble")
            self.models = tracked  # their variables are saved with the graph
            self.threshold = tf.constant(ensemble.threshold_, tf.float64)

        @tf.function(input_signature=[tf.TensorSpec((None, *shape), dtype, name="x")])
        def serve(self, x):
            scaled = scale(x)
            score = tf.add_n([(s(scaled) - mean) / std
                              for s, (mean, std) in zip(scores, scales)]) / len(scores)
            return {"score": tf.cast(score, tf.float32),  # a NaN score: an anomaly (serve)
                    "is_anomaly": tf.logical_not(score <= self.threshold)}

        @tf.function(input_signature=[])
        def input_columns(self):
            """x's columns in order (tables; empty for images)."""
            return {"columns": tf.constant(columns, tf.string, shape=(len(columns),))}
    return Served(), first


def export_ensemble(ensemble, path) -> Path:
    """Write the SavedModel of a fitted gandi.Ensemble to `path` (which must not exist),
    atomically; the members and their scales beside it in assets/ensemble.json."""
    import tensorflow as tf
    path = Path(path)
    module, first = build_ensemble_module(ensemble)  # a member it refuses: no folder
    with staged(path, "folder") as staging:
        tf.saved_model.save(module, str(staging / "model"),
                            signatures={"serving_default": module.serve,
                                        "input_columns": module.input_columns})
        (staging / "model" / "assets").mkdir(exist_ok=True)
        (staging / "model" / "assets" / "ensemble.json").write_text(json.dumps({
            "members": ensemble.members_, "threshold": ensemble.threshold_,
            "scales": {m: list(ensemble.scales_[m]) for m in ensemble.members_},
            "columns": [] if first.transform is None else list(first.transform.columns),
            "input": input_description(first)}, indent=1))
        (staging / "model").rename(path)
    return path


def main(argv=None) -> int:
    p = ExitingParser(prog="gandi export", name="gandi export",
                       description=__doc__.splitlines()[0])
    p.add_argument("run", help="a finished run: its signature under --log-dir, or a path of one "
                               "of its folders")
    p.add_argument("path", help="the SavedModel folder to write (must not exist)")
    p.add_argument("--log-dir", default="log_dir")
    p.add_argument("--onnx", action="store_true",
                   help="write PATH as an ONNX file (tf2onnx) instead of a SavedModel folder")
    args = p.parse_args(argv)
    import_tensorflow_quietly()
    from gandi.score.exported import RunError, load_exported
    try:
        exported = load_exported(args.run, args.log_dir)
        written = (export_onnx if args.onnx else export_saved_model)(exported, args.path)
    except (RunError, ExportError) as err:
        print(f"gandi export: error: {err}", file=sys.stderr)
        return 2
    what = ("ONNX: x -> score, is_anomaly" if args.onnx
            else "serving_default(x) -> score, is_anomaly")
    print(f"wrote {written}: {what} ({exported.name}, run "
          f"{exported.run.signature}, threshold {exported.detector.threshold_:.6g}); "
          f"{input_description(exported)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
