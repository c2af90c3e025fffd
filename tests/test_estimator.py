"""gandi.Detector and gandi.load: PyOD's and scikit-learn's contract on a real run. Vectors: the
breast-cancer table (conftest's `cancer`) as arrays, 250 benign rows to fit on and the other
rows to report on; images: real MNIST ones, fitted without an eval set (the run reports on
synthetic anomalies). Every fitted value is checked against what the run wrote (its pickle,
its exported networks, its data files)."""
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import gandi
from conftest import (API_IMAGE_PARAMS, API_VECTOR_PARAMS, N_FIT, N_ONES, TEST_SEED,
                      assert_auc_close, assert_exports_its_scores, networks_terms)
from gandi.estimator import InputError, ScoringWarning, TrainingWarning
from gandi.tracking.metrics import roc_auc
from gandi.outputs.results import load_results
from gandi.outputs.run_folder import RunFolders
from gandi.settings.validation import SettingError

@pytest.fixture(scope="module")
def fitted(tmp_path_factory, vectors):
    log_dir = tmp_path_factory.mktemp("api_log")
    detector = gandi.Detector("autoencoder", seed=0, log_dir=str(log_dir), verbose=0,
                              **API_VECTOR_PARAMS)
    # 4 tracked steps: the fit says its curve is short (TrainingWarning), and still works
    with pytest.warns(TrainingWarning, match=r"only 4 tracked steps \(fewer than 5\)"):
        return detector.fit(vectors["fit"], eval_set=(vectors["eval"], vectors["eval_y"]))


def results_of(detector) -> dict:
    return load_results(RunFolders(detector.log_dir, detector.signature_).results_file)


def test_fit_makes_a_run_and_the_fitted_values_are_the_runs(fitted, vectors):
    results = results_of(fitted)
    assert results["status"] == "finished" and results["setting"]["detector"] == "autoencoder"
    assert results["test_anomalies"] == "labelled"  # the eval set's real anomalies
    assert results["setting"]["steps"] == 150 and results["seeds"]["numpy"] == 0
    row = results["final"].set_index("detector").loc["autoencoder"]
    assert fitted.threshold_ == float(row["threshold"])  # chosen on validation normals
    # the run's test set is the eval set (normals first): its final AUC is what the detector
    # gives the eval set now, from the sweet spot's exported networks
    scores = fitted.decision_function(vectors["eval"])
    assert scores.shape == (len(vectors["eval"]),) and scores.dtype == np.float64
    terms = networks_terms([fitted._exported.detector.networks[n] for n in ("encoder", "decoder")])
    assert_auc_close(vectors["eval_y"], scores, float(row["auc"]), terms)
    # a learning bound (seeds 0-4: 0.882-0.926 at these 150 steps)
    assert roc_auc(vectors["eval_y"], scores) > 0.85
    # decision_scores_: the fit data's scores, also saved with the run for gandi.load
    np.testing.assert_array_equal(fitted.decision_scores_,
                                  fitted.decision_function(vectors["fit"]))
    saved = np.load(RunFolders(fitted.log_dir, fitted.signature_).results / "fit_scores.npy")
    np.testing.assert_array_equal(saved, fitted.decision_scores_)
    predicted = fitted.predict(vectors["eval"])
    np.testing.assert_array_equal(predicted, (scores > fitted.threshold_).astype(int))
    assert 0 < predicted.sum() < len(predicted)


def test_clone_keeps_every_parameter_and_drops_the_fit(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert copy.get_params()["steps"] == 150 and copy.get_params()["detector"] == "autoencoder"
    with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
        copy.decision_function(np.zeros((2, 30)))
    copy.set_params(steps=7, seed=3)
    assert copy.get_params()["steps"] == 7 and copy.seed == 3 and fitted.get_params()["steps"] == 150
    # scikit-learn's contract: set_params stores, fit checks (against the data it is given)
    copy.set_params(steps=0)
    assert copy.get_params()["steps"] == 0
    with pytest.raises(SettingError, match=r"steps = 0 is not allowed; expected an integer > 0"):
        copy.fit(np.zeros((40, 3)))


def test_load_gives_the_fitted_detector_back(fitted, vectors, monkeypatch, tmp_path):
    # run_ locates the run: found from another folder, whatever log_dir the fit had
    monkeypatch.chdir(tmp_path)
    loaded = gandi.load(fitted.run_)
    np.testing.assert_array_equal(loaded.decision_function(vectors["eval"]),
                                  fitted.decision_function(vectors["eval"]))
    assert loaded.threshold_ == fitted.threshold_ and loaded.run_ == fitted.run_
    assert loaded.signature_ == fitted.signature_ and fitted.run_.endswith(fitted.signature_)
    assert gandi.load(fitted.signature_, log_dir=fitted.log_dir).run_ == fitted.run_
    np.testing.assert_array_equal(loaded.decision_scores_, fitted.decision_scores_)
    assert loaded.get_params()["steps"] == 150 and loaded.detector == "autoencoder"
    # by the path of one of the run's folders, too
    folder = RunFolders(fitted.log_dir, fitted.signature_).plots
    assert gandi.load(str(folder)).threshold_ == fitted.threshold_
    with pytest.raises(ValueError, match=r"gandi.load 'nope': expected a run signature"):
        gandi.load("nope")


def test_export_round_trip(fitted, vectors, tmp_path):
    assert_exports_its_scores(fitted, tmp_path / "model", vectors["eval"].astype(np.float32))


BAD = {
    "one dimension": (lambda v: v["eval"][0], r"X: shape \(30,\); expected vectors \(n, d\)"),
    "NaN": (lambda v: np.where(np.arange(30) == 4, np.nan, v["eval"][:3]),
            r"X: 3 sample\(s\) hold NaN or inf \(first: index 0\)"),
    "features": (lambda v: v["eval"][:, :29],
                 r"X has 29 features, but Detector is expecting 30 features as input \(the "
                 r"detector was fitted on vectors of 30 features\)"),
    "text": (lambda v: v["eval"].astype(str), r"X: dtype <U\d+; expected numbers"),
    "images": (lambda v: np.zeros((2, 28, 28), np.uint8),
               r"the detector was fitted on vectors of 30 features"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_at_scoring_is_one_clear_error(fitted, vectors, case):
    make, message = BAD[case]
    with pytest.raises(InputError, match=message) as caught:
        fitted.decision_function(make(vectors))
    assert isinstance(caught.value, ValueError) and "\n" not in str(caught.value)


def test_a_detector_fitted_on_vectors_has_no_anomaly_map(fitted, vectors):
    assert fitted.map_name_ is None
    with pytest.raises(InputError, match="fitted on vectors; anomaly maps are for images"):
        fitted.anomaly_map(vectors["eval"])


@pytest.mark.parametrize("params, message", [
    ({"stepz": 3}, r"setting gandi.Detector: unknown key 'stepz'"),
    ({"data_file": "x.csv"}, r"'data_file' is set by fit\(\) from the arrays"),
    ({"lr_g": -1.0}, r"setting gandi.Detector: lr_g = -1.0 is not allowed"),
    ({"detector": "svm"}, r"setting gandi.Detector: detector = 'svm' is not allowed"),
    ({"detector": "anogan"}, r"detector 'anogan' cannot score new data from Python \(its score "
                             r"is a latent search"),
    ({"e_arch": "cae", "g_arch": "cae"}, r"e_arch = 'cae' is not allowed; expected an MLP "
                                         r"architecture on vector data")])
def test_bad_parameters_are_stored_then_refused_by_fit(params, message, tmp_path, vectors):
    """scikit-learn's contract: __init__ stores, fit checks against the data (one line, nothing
    written)."""
    detector = params.pop("detector", "vae")
    made = gandi.Detector(detector, log_dir=str(tmp_path), **params)
    assert made.get_params() == {"detector": detector, "seed": 0, "log_dir": str(tmp_path),
                                 "verbose": 1, "strict": False, **params}
    with pytest.raises(SettingError, match=message) as caught:
        made.fit(vectors["fit"])
    assert "\n" not in str(caught.value)
    assert not any(tmp_path.iterdir())


def test_bad_fit_input_writes_no_run(tmp_path, vectors):
    detector = gandi.Detector("autoencoder", log_dir=str(tmp_path), verbose=0, steps=5)
    for X, eval_set, message in (
            (vectors["fit"][:, 0], None, r"X: shape \(250,\)"),
            (vectors["fit"], (vectors["eval"], np.full(len(vectors["eval"]), 2)),
             r"eval_set y: expected \d+ labels, 0 \(normal\) or 1 \(anomaly\)"),
            (vectors["fit"], (vectors["eval"][:, :3], vectors["eval_y"]),
             r"eval_set X: samples of shape \(3,\), X's are \(30,\)"),
            (np.zeros((12, 28, 30)), None, r"expected square images"),
            # images of another size, or grey for an RGB fit, with or without a channel axis
            (np.zeros((12, 28, 28), np.uint8), (np.zeros((4, 14, 14), np.uint8), [0, 0, 1, 1]),
             r"eval_set X: samples of shape \(14, 14\), X's are \(28, 28, 1\)"),
            (np.zeros((12, 28, 28, 3), np.uint8), (np.zeros((4, 28, 28), np.uint8),
                                                   [0, 0, 1, 1]),
             r"eval_set X: samples of shape \(28, 28\), X's are \(28, 28, 3\)")):
        with pytest.raises(InputError, match=message):
            detector.fit(X, eval_set=eval_set)
    assert not any(tmp_path.iterdir())
    # a setting that cannot run on these data is found after they are written: removed again
    with pytest.raises(SettingError, match=r"batch_size = 512 is larger than the \d+ training"):
        detector.set_params(batch_size=512).fit(vectors["fit"])
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_images_without_an_eval_set(tmp_path, ones):
    """(n, h, w) uint8 images, no eval set: a tenth of them held out as test normals and as many
    corrupted copies as test anomalies (the files under fit_data say which); floats in [0, 1] score as
    the same uint8 pixels."""
    import tensorflow as tf
    # image architectures as parameters: checked by fit, on images
    detector = gandi.Detector("autoencoder", log_dir=str(tmp_path), verbose=0, e_arch="cae",
                              g_arch="cae", **API_IMAGE_PARAMS)
    with pytest.warns(TrainingWarning, match="only 4 tracked steps"):
        detector.fit(ones["fit"])
    data = next((tmp_path / "fit_data").iterdir())
    counts = {part: len(list((data / part).glob("*.png")))
              for part in ("train/normal", "test/normal", "test/abnormal")}
    assert counts == {"train/normal": N_ONES - 60, "test/normal": 60, "test/abnormal": 60}
    final = results_of(detector)["final"].set_index("detector").loc["autoencoder"]
    assert final[["tp", "fp", "tn", "fn"]].sum() == 120
    # its test anomalies are corrupted copies: the results say so (the playground's word)
    assert results_of(detector)["test_anomalies"] == "synthetic"
    scores = detector.decision_function(ones["test"])
    np.testing.assert_array_equal(detector.decision_function(ones["test"] / 255.0), scores)
    # the autoencoder's map: squared error per pixel, whose mean is the score
    maps = detector.anomaly_map(ones["test"])
    assert maps.shape == (len(scores), 28, 28) and "squared" in detector.map_name_
    from conftest import assert_float32_close, score_terms
    assert_float32_close(maps.mean(axis=(1, 2)), scores,
                         score_terms(detector._exported.detector))
    np.testing.assert_array_equal(detector.decision_function(ones["test"][..., None]), scores)
    assert roc_auc(ones["test_y"], scores) > 0.8  # a learning bound (seeds 0-4: 0.990-0.991)
    assert detector.decision_scores_.shape == (N_ONES,)
    # TensorBoard's Images: validation normals above their reconstructions, at tracked steps
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(RunFolders(detector.log_dir, detector.signature_).tensorboard),
                              size_guidance={"tensors": 0})
    events.Reload()
    shown = events.Tensors("images/reconstructions_of_validation_normals")
    assert [e.step for e in shown] == [0, 40, 80, 120]
    width, height, png = tf.make_ndarray(shown[-1].tensor_proto)  # the image plugin's layout
    picture = tf.io.decode_png(png).numpy()
    assert (int(width), int(height)) == (8 * 28, 2 * 28) and picture.shape == (56, 224, 1)
    assert events.SummaryMetadata("pr_curve/test").plugin_data.plugin_name == "pr_curves"
    with pytest.raises(InputError, match=r"pixel values from 0 to 255; expected uint8 0-255 or "
                                         r"floats in \[0, 1\]"):
        detector.decision_function(ones["test"].astype(np.float32))
    binary = (ones["test"] > 127).astype(np.int64)  # 0/1 as integers: not pixels 0-255
    with pytest.raises(InputError, match=r"integer pixel values from 0 to 1; as pixels 0-255 "
                                         r"they are all near black"):
        detector.decision_function(binary)
    assert np.allclose(detector.decision_function(binary.astype(np.float32)),
                       detector.decision_function((binary * 255).astype(np.uint8)))
    with pytest.raises(InputError, match=re.escape("the detector was fitted on 28x28 images")):
        detector.decision_function(ones["test"][:, :27, :27])


# ----- a user's own DataFrame: names, text, missing values ---------------------------------------

@pytest.fixture(scope="module")
def sensors(cancer):
    """The breast-cancer rows as a user's frame: five named readings, a text column (mode) and
    missing values; 250 benign rows to fit on, the rest (labelled) to report on."""
    columns = ["mean radius", "mean texture", "mean perimeter", "mean area", "worst area"]
    frame = cancer[columns].copy()
    frame["mode"] = np.where(np.arange(len(frame)) % 3 == 0, "idle", "run")
    frame.loc[[5, 17], "mean texture"] = np.nan
    malignant = (cancer["target"] == "malignant").to_numpy()
    benign = np.flatnonzero(~malignant)
    rest = np.setdiff1d(np.arange(len(frame)), benign[:N_FIT])
    return {"fit": frame.iloc[benign[:N_FIT]], "eval": frame.iloc[rest].reset_index(drop=True),
            "eval_y": malignant[rest].astype(int)}


@pytest.fixture(scope="module")
def frame_fitted(tmp_path_factory, sensors):
    log_dir = tmp_path_factory.mktemp("frame_log")
    detector = gandi.Detector("autoencoder", seed=TEST_SEED, log_dir=str(log_dir), verbose=0,
                              steps=100, latent_dim=4, lr_g=1e-3, beta_1=0.9, categorical="one_hot",
                              missing="impute_median")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScoringWarning)  # fit's own rows say nothing
        warnings.simplefilter("ignore", TrainingWarning)
        return detector.fit(sensors["fit"], eval_set=(sensors["eval"], sensors["eval_y"]))


def test_a_frame_is_scored_by_its_column_names(frame_fitted, sensors):
    columns = list(sensors["fit"].columns)
    assert list(frame_fitted.feature_names_in_) == columns and frame_fitted.n_features_in_ == 6
    clean = sensors["eval"].dropna()
    scores = frame_fitted.decision_function(clean)
    # the same rows with their columns in another order: the same scores (by name)
    np.testing.assert_array_equal(frame_fitted.decision_function(clean[columns[::-1]]), scores)
    assert roc_auc(sensors["eval_y"][clean.index], scores) > 0.8  # seeds 0-4: LATER
    for frame, message in ((clean.drop(columns="mean area"), r"X: no column 'mean area'"),
                           (clean.assign(extra=1.0), r"X: column 'extra' was not a feature")):
        with pytest.raises(InputError, match=message) as caught:
            frame_fitted.decision_function(frame)
        assert "\n" not in str(caught.value)
    # gandi.load keeps the names (the run's table had a header)
    assert list(gandi.load(frame_fitted.run_).feature_names_in_) == columns


def test_scoring_says_what_it_made_up(frame_fitted, sensors):
    rows = sensors["eval"].dropna().iloc[:6].copy()
    rows.iloc[0, 1] = np.nan        # a reading missing: imputed with the training median
    rows.iloc[2, 5] = "standby"     # a mode never seen in training: all zeros
    with pytest.warns(ScoringWarning, match=r"1 row\(s\) with 1 missing value\(s\) imputed "
                                            r"\(first: row 0\); 1 row\(s\) with 1 category"):
        frame_fitted.decision_function(rows)
    strict = clone(frame_fitted).set_params(strict=True)
    strict._exported, strict.feature_names_in_ = frame_fitted._exported, frame_fitted.feature_names_in_
    with pytest.raises(InputError, match="strict=True refuses rows that scoring would change"):
        strict.decision_function(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rows that need nothing made up: no warning
        strict.decision_function(rows.iloc[[1, 3]])


def test_gandi_score_on_the_users_csv_flags_what_it_imputed(frame_fitted, sensors, tmp_path,
                                                           capsys):
    from gandi.score.__main__ import main as score_main
    rows = sensors["eval"].dropna().iloc[:8].copy()
    rows.iloc[0, 1] = np.nan
    rows.iloc[2, 5] = "standby"
    rows = rows[list(rows.columns)[::-1]].assign(sensor_id=[f"s{i}" for i in range(8)])
    rows.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "scores.csv"
    assert score_main([frame_fitted.run_, str(tmp_path / "new.csv"), "--out", str(out),
                       "--id-column", "sensor_id"]) == 0
    scores = pd.read_csv(out)
    assert scores["imputed"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert scores["unseen"].tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    line = capsys.readouterr().out
    assert "1 row(s) with missing values imputed (1 values) and 1 row(s) with categories " \
           "unseen in training" in line
    # the same rows as the Python API scores them, whatever the CSV's column order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScoringWarning)
        expected = frame_fitted.decision_function(rows.drop(columns="sensor_id"))
    np.testing.assert_allclose(scores["score"], expected, rtol=1e-6)
    # --strict: one line, exit 2, nothing written
    assert score_main([frame_fitted.run_, str(tmp_path / "new.csv"), "--out",
                       str(tmp_path / "strict.csv"), "--id-column", "sensor_id",
                       "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "row 's0' has 1 missing value(s)" in err[0] and "--strict" in err[0]
    assert not (tmp_path / "strict.csv").exists()


def test_a_frame_with_text_and_no_eval_set_is_refused_with_the_way(tmp_path, sensors):
    detector = gandi.Detector("autoencoder", log_dir=str(tmp_path), categorical="one_hot",
                              missing="impute_median")
    with pytest.raises(InputError, match=r"pass eval_set=\(X_eval, y_eval\)"):
        detector.fit(sensors["fit"])
    assert not any(tmp_path.iterdir())
    # a missing value the setting does not impute: the user's X is named, not fit's files
    fit = sensors["fit"].copy()
    fit.iloc[:2, 1] = np.nan
    with pytest.raises(InputError, match=r"^X: column 'mean texture' has \d+ missing values"):
        gandi.Detector("autoencoder", log_dir=str(tmp_path), categorical="one_hot",
                       steps=5).fit(fit, eval_set=(sensors["eval"], sensors["eval_y"]))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_table_with_text_exports_with_its_columns(frame_fitted, sensors, tmp_path, capsys):
    """The one-hot run exports: x is text in the run's column order, and the model says which
    columns (a signature and assets/columns.json); it scores as decision_function does."""
    import json as json_
    import tensorflow as tf
    from gandi.export import main as export_main
    assert export_main([frame_fitted.run_, str(tmp_path / "model")]) == 0
    printed = capsys.readouterr().out
    assert "x: (None, 6) string with the columns 'mean radius', 'mean texture'" in printed
    loaded = tf.saved_model.load(str(tmp_path / "model"))
    columns = [c.decode() for c in loaded.signatures["input_columns"]()["columns"].numpy()]
    assert columns == list(frame_fitted.feature_names_in_)
    saved = json_.loads((tmp_path / "model" / "assets" / "columns.json").read_text())
    assert saved["columns"] == columns and saved["categories"] == {"mode": ["idle", "run"]}
    rows = sensors["eval"].dropna().iloc[:10].copy()
    rows.iloc[0, 1] = np.nan          # imputed as in training
    rows.iloc[1, 5] = "standby"       # unseen: all zeros
    rows.iloc[2, 5] = " run"          # unseen too: categories are compared as read, unstripped
    text = rows[columns].astype(str).to_numpy().astype(str)
    text[text == "nan"] = ""
    text[3, 0] = f" {text[3, 0]} "    # a number's spaces: read as pandas reads them
    served = loaded.signatures["serving_default"](x=tf.constant(text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScoringWarning)
        expected = frame_fitted.decision_function(rows)
    # the same float64 values (repr round-trips), the same float32 graph: to float32 rounding
    np.testing.assert_allclose(served["score"].numpy(), expected, rtol=1e-5,
                               atol=1e-6 * np.abs(expected).max())
    # missing values are imputed (above), infinite ones refused, as gandi score refuses them
    for value in ("inf", "-inf"):
        text[4, 4] = value
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"values must be finite or missing \(NaN, imputed: this run was "
                                 r"trained with missing: impute_median; inf is refused.*first in "
                                 r"column\] \[worst area\]"):
            loaded.signatures["serving_default"](x=tf.constant(text))
    # ONNX takes float32 only: one line naming the way that works
    assert export_main([frame_fitted.run_, str(tmp_path / "model.onnx"), "--onnx"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "export a SavedModel (without --onnx)" in err[0]
    assert not (tmp_path / "model.onnx").exists()


def test_a_frame_with_the_runs_column_names_is_matched_by_name_even_without_fit_names():
    """A run trained from an NPZ table of named 1-D arrays (the command line) has no
    feature_names_in_ (scikit-learn's: fit saw no DataFrame), but its columns have names:
    a DataFrame holding exactly them, in another order, is taken by name, as `gandi score`
    takes it, not by position (it flagged every row); other names still go by position, with
    scikit-learn's warning."""
    from types import SimpleNamespace
    from gandi.api_input import rows_as_fitted
    exported = SimpleNamespace(transform=SimpleNamespace(columns=["tsh", "t3", "age"]))
    frame = pd.DataFrame({"age": [50.0, 60.0], "tsh": [1.0, 2.0], "t3": [0.1, 0.2]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = rows_as_fitted(exported, frame, named=False)
    assert list(rows.columns) == ["tsh", "t3", "age"] and rows["age"].tolist() == [50.0, 60.0]
    other = frame.set_axis(["a", "b", "c"], axis=1)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        rows = rows_as_fitted(exported, other, named=False)
    assert rows["tsh"].tolist() == [50.0, 60.0]  # by position


def test_anogan_on_images_is_pointed_at_detectors_that_take_images(tmp_path, ones):
    """The refusal's list of detectors is the data's: on images it does not offer the ones
    published for vectors only (SO-GAAL, MO-GAAL), which would be refused next."""
    from gandi.detectors import DETECTORS
    with pytest.raises(SettingError, match="cannot score new data from Python") as caught:
        gandi.Detector("anogan", log_dir=str(tmp_path)).fit(ones["fit"])
    offered = str(caught.value).split("choose one of ")[1].split(", or run")[0].split(", ")
    assert "so_gaal" not in offered and "mo_gaal" not in offered and "vae" in offered
    assert all(DETECTORS[d].takes_images for d in offered)
    assert not any(tmp_path.iterdir())
