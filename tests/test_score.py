"""`python -m gandi.score RUN DATA`: a finished run's detector at its sweet spot scores new data
into a CSV of id, score, is_anomaly (and the data's label). Round trips on the breast-cancer
table (conftest's `cancer`) and on the digit image folder (conftest's `digit_run`): the scores
written are the very scores the Tracker computed on the test set at the sweet spot, and
is_anomaly uses the threshold of the run's final table."""
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import run_params
from conftest import EPS32, ROOT, assert_float32_close, gandi_stderr, networks_terms
from gandi.data.npz_tables import npz_arrays
from gandi.detectors import DETECTORS
from gandi.experiment import run_setting
from gandi.outputs.results import load_results
from gandi.outputs.run_folder import RunFolders
from gandi.score.__main__ import main
from gandi.settings.validation import validate

N_BENIGN_TRAIN = 250
N_TEST = 569 - N_BENIGN_TRAIN


@pytest.fixture(scope="module")
def table_files(tmp_path_factory, cancer) -> dict:
    """train.csv: 250 benign rows without labels; test.csv: every other row, labelled, in the
    table's order (benign and malignant mixed)."""
    folder = tmp_path_factory.mktemp("score_tables")
    benign = cancer[cancer["target"] == "benign"]
    benign.iloc[:N_BENIGN_TRAIN].drop(columns="target").to_csv(folder / "train.csv", index=False)
    test = cancer.drop(index=benign.index[:N_BENIGN_TRAIN]).reset_index(drop=True)
    test.to_csv(folder / "test.csv", index=False)
    return {"train": folder / "train.csv", "test": folder / "test.csv", "test_frame": test}


def train_table(tmp_path_factory, table_files, detector: str, **overrides) -> dict:
    setting = validate({**run_params.SETTINGS[41], "data_file": None,
                        "train_file": str(table_files["train"]),
                        "test_file": str(table_files["test"]), "detector": detector,
                        **overrides}, label=detector)
    return run_setting(detector, setting, tmp_path_factory.mktemp(f"log_{detector}"),
                       progress=False)


@pytest.fixture(scope="module")
def table_run(tmp_path_factory, table_files) -> dict:
    """Setting 41 (autoencoder) on train.csv / test.csv, 100 steps."""
    return train_table(tmp_path_factory, table_files, "autoencoder", steps=100)


def score(run: dict, data, out, *args) -> int:
    return main([run["signature"], str(data), "--out", str(out),
                 "--log-dir", str(run["run"].log_dir), *args])


def tracked_test_scores(run: dict) -> np.ndarray:
    """The Tracker's test scores at the sweet spot, from its state at the last checkpoint."""
    state = load_results(run["run"].checkpoints / f"tracker-{run['last_step']}.pkl")
    return state["sweet_scores"]["test"]


def threshold_of(run: dict) -> float:
    """The threshold of the tracked detector's row in the run's final table."""
    name = DETECTORS[run["setting"]["detector"]].tracked_name
    return float(run["final"].set_index("detector").loc[name, "threshold"])


def terms(run: dict) -> int:
    """The float32 sums of the run's score, from its exported sweet-spot networks."""
    import keras
    names = DETECTORS[run["setting"]["detector"]].scoring_networks
    return networks_terms([keras.models.load_model(run["run"].sweet_spot_model(name))
                           for name in names])


def check_scores_file(out, run, tracked_order=None) -> pd.DataFrame:
    """The CSV's scores are the Tracker's at the sweet spot; is_anomaly is score > threshold."""
    scores = pd.read_csv(out)
    assert list(scores.columns[:3]) == ["id", "score", "is_anomaly"]
    assert (scores["is_anomaly"] == (scores["score"] > threshold_of(run)).astype(int)).all()
    if tracked_order is not None:  # equal but for float rounding (batches of other sizes)
        assert_float32_close(scores["score"].to_numpy()[tracked_order],
                             tracked_test_scores(run), terms(run))
    return scores


def test_table_round_trip(tmp_path, capsys, table_run, table_files):
    out = tmp_path / "scores.csv"
    assert score(table_run, table_files["test"], out) == 0
    scores = pd.read_csv(out)
    assert scores["id"].tolist() == list(range(1, N_TEST + 1))  # data rows, in file order
    labels = table_files["test_frame"]["target"]
    assert scores["label"].tolist() == labels.tolist()  # passed through, not scored
    malignant = (labels == "malignant").to_numpy()
    # the Tracker's test set holds the test file's normals first, then its anomalies
    check_scores_file(out, table_run, np.concatenate([np.flatnonzero(~malignant),
                                                      np.flatnonzero(malignant)]))
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(rf"scored {N_TEST} rows of .*test.csv with the autoencoder of run "
                        rf"{table_run['signature']} \(sweet spot at step \d+\); \d+ above the "
                        rf"threshold \S+; wrote .*scores.csv", line), line
    features = table_files["test_frame"].drop(columns="target").to_numpy(np.float32)
    check_served(table_run, features, tmp_path / "served", onnx=True)
    check_served_refusals(tmp_path / "served", features[:4])
    # a feature named as the ids: scored as before, and the reader is told it is a feature
    feature = table_files["test_frame"].columns[0]
    assert score(table_run, table_files["test"], tmp_path / "ids.csv", "--id-column",
                 feature) == 0
    assert (pd.read_csv(tmp_path / "ids.csv")["score"] == scores["score"]).all()
    err = capsys.readouterr().err
    assert f"note: --id-column {feature!r} is also a feature the run was trained on" in err


def check_served_refusals(path, x) -> None:
    """What `gandi score` refuses in a run trained with missing: "error", a NaN or an inf
    cell, the SavedModel refuses too, naming the rule and the column; ONNX, which cannot
    raise, gives an anomaly. Its outputs come in the documented order: score, is_anomaly."""
    import onnxruntime
    import tensorflow as tf
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    session = onnxruntime.InferenceSession(str(path) + ".onnx")
    assert [output.name for output in session.get_outputs()] == ["score", "is_anomaly"]
    for value in (np.nan, np.inf, -np.inf):
        bad = x.copy()
        bad[1, 3] = value
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"values must be finite: this run was trained with missing: "
                                 r"error.*first in column\] \[mean area\]"):
            served(x=tf.constant(bad))
        score, is_anomaly = session.run(None, {"x": bad})
        assert is_anomaly[1] and not np.isfinite(score[1])
    with pytest.raises(tf.errors.InvalidArgumentError,  # the signature's shape: (n, 30)
                       match=re.escape("expected shape [?,30]")):
        served(x=tf.constant(x[:, :29]))


@pytest.mark.parametrize("detector", ["discriminator", "egbad", "ganomaly", "vae", "aae"])
def test_every_supported_detector_scores_as_it_was_tracked(tmp_path, tmp_path_factory,
                                                          table_files, detector):
    """Each detector's score is rebuilt from its setting and exported networks: EGBAD's feature
    matching, the VAE's fixed draws and the AAE's latent term included."""
    run = train_table(tmp_path_factory, table_files, detector, steps=20, track_every=10,
                      checkpoint_every=20, n_generated=100, vae_samples=3,
                      aae_latent_weight=0.1, latent_dim=8)
    out = tmp_path / "scores.csv"
    assert score(run, table_files["test"], out, "--batch-size", "64") == 0
    malignant = (table_files["test_frame"]["target"] == "malignant").to_numpy()
    check_scores_file(out, run, np.concatenate([np.flatnonzero(~malignant),
                                                np.flatnonzero(malignant)]))
    features = table_files["test_frame"].drop(columns="target").to_numpy(np.float32)
    check_served(run, features, tmp_path / "served")


def check_served(run: dict, x, path, onnx: bool = False) -> None:
    """`gandi export RUN PATH`: the SavedModel's serving_default computes, from the raw input
    (as float32; images: pixels 0-255), the scores gandi.load(run).decision_function gives for
    `x` (float32 rounding aside: the saved graph is the same ops, compiled apart) and is_anomaly
    at the run's threshold."""
    import tensorflow as tf

    import gandi
    from gandi.export import main as export
    assert export([run["signature"], str(path), "--log-dir", str(run["run"].log_dir)]) == 0
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    out = served(x=tf.constant(x, tf.float32))
    expected = gandi.load(run["signature"], run["run"].log_dir).decision_function(x)
    assert_float32_close(out["score"].numpy(), expected, terms(run))
    threshold = threshold_of(run)
    clear = np.abs(expected - threshold) > 1e-4 * np.max(np.abs(expected))  # not on the edge
    assert (out["is_anomaly"].numpy() == (expected > threshold))[clear].all()
    if onnx:  # --onnx: the same graph through tf2onnx, run by onnxruntime
        import onnxruntime
        assert export([run["signature"], str(path) + ".onnx", "--onnx", "--log-dir",
                       str(run["run"].log_dir)]) == 0
        session = onnxruntime.InferenceSession(str(path) + ".onnx")
        score, is_anomaly = session.run(["score", "is_anomaly"],
                                        {"x": np.asarray(x, np.float32)})
        assert_float32_close(score, expected, terms(run))
        assert (is_anomaly == (expected > threshold))[clear].all()


def test_the_checkpoint_ensemble_scores_as_in_training(tmp_path, capsys, table_run,
                                                      table_files):
    """`--ensemble`: the run's k best tracked steps rebuilt from their exported networks, each
    on its validation scale, averaged: the ensemble's very test scores of training, and its
    threshold."""
    from gandi.score.exported import load_exported
    from gandi.tracking.selection import best_steps
    ensemble = table_run["checkpoint_ensemble"]
    m = table_run["measurements"]
    kept = best_steps(m["criterion"].tolist(), table_run["setting"]["checkpoint_ensemble"],
                      table_run["tie_tolerance"])
    assert [e["step"] for e in ensemble["members"]] == m["step"].iloc[kept].tolist()
    assert table_run["sweet_spot"]["step"] in [e["step"] for e in ensemble["members"]]
    row = table_run["final"].set_index("detector").loc["autoencoder checkpoint ensemble"]
    assert row["threshold"] == ensemble["threshold"]
    out = tmp_path / "scores.csv"
    capsys.readouterr()
    assert score(table_run, table_files["test"], out, "--ensemble", "--batch-size", "64") == 0
    assert "(checkpoint ensemble of steps " + ", ".join(
        str(e["step"]) for e in ensemble["members"]) + ")" in capsys.readouterr().out
    scores = pd.read_csv(out)
    assert (scores["is_anomaly"] == (scores["score"] > ensemble["threshold"])).all()
    malignant = (table_files["test_frame"]["target"] == "malignant").to_numpy()
    order = np.concatenate([np.flatnonzero(~malignant), np.flatnonzero(malignant)])
    # each member's float32 rounding (assert_float32_close's bound) divided by its std, averaged
    exported = load_exported(table_run["signature"], table_run["run"].log_dir, ensemble=True)
    x = exported.transform.apply(table_files["test_frame"].drop(columns="target"), "test.csv")
    bound = np.mean([terms(table_run) * EPS32 * np.abs(member.score(x)).max() / std
                     for member, (_, std) in zip(exported.detector.members,
                                                 exported.detector.scales)])
    np.testing.assert_allclose(scores["score"].to_numpy()[order],
                               ensemble["scores"]["test"], rtol=0, atol=bound)


def test_image_folder_round_trip(tmp_path, digit_run, digit_folder):
    """Every image of the folder, sorted by path; the test images' scores are the tracked ones
    (the run's test ids say which files those are)."""
    out = tmp_path / "scores.csv"
    assert score(digit_run, digit_folder, out, "--batch-size", "64") == 0
    scores = pd.read_csv(out).set_index("id")
    files = sorted(p.relative_to(digit_folder).as_posix()
                   for p in digit_folder.rglob("*") if p.is_file())
    assert scores.index.tolist() == files
    assert scores["label"].tolist() == [int(f.startswith("abnormal/")) for f in files]
    setting = digit_run["setting"]
    from gandi.data import load_splits
    test_ids = load_splits(setting, np.random.default_rng(setting["numpy_seed"])).test_ids
    assert_float32_close(scores.loc[test_ids, "score"].to_numpy(),
                         tracked_test_scores(digit_run), terms(digit_run))
    assert (scores["is_anomaly"] == (scores["score"] > threshold_of(digit_run))).all()
    # a list of files and a single file: the same scores for the same images
    (tmp_path / "list.txt").write_text("\n".join(
        str(digit_folder / f) for f in test_ids[:5]) + "\n\n")
    assert score(digit_run, tmp_path / "list.txt", tmp_path / "listed.csv") == 0
    listed = pd.read_csv(tmp_path / "listed.csv")
    assert listed["id"].tolist() == [str(digit_folder / f) for f in test_ids[:5]]
    assert_float32_close(listed["score"], scores.loc[test_ids[:5], "score"], terms(digit_run))
    assert score(digit_run, digit_folder / test_ids[0], tmp_path / "one.csv") == 0
    assert_float32_close(pd.read_csv(tmp_path / "one.csv")["score"],
                         [scores.loc[test_ids[0], "score"]], terms(digit_run))
    # served: the pixels as gandi score read them (0-255), in the run's (n, h, w, c) layout
    from gandi.data.image_folders import read_image
    pixels = np.stack([read_image(digit_folder / f, 28, 1) for f in test_ids[:64]])
    check_served(digit_run, pixels, tmp_path / "served")  # ONNX: once, on the table
    check_served_images_refused(tmp_path / "served", pixels[:5].astype(np.float32))


def check_served_images_refused(path, pixels) -> None:
    """The served model takes what the fit saw, (n, 28, 28, 1) whole pixel values 0-255, or
    refuses with an InvalidArgumentError saying so: 27x27 images scored as 28x28 ones do
    (stride-2 convolutions), pixels in [0, 1] as near-black digits (every one normal), and
    (n, 28, 28) aborted the process (in a subprocess here, so that it cannot end the suite)."""
    import tensorflow as tf
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    for x in (pixels[:, :27, :27], np.pad(pixels, [(0, 0), (2, 2), (2, 2), (0, 0)]),
              np.repeat(pixels, 3, axis=-1)):
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=re.escape(f"[{','.join(map(str, x.shape))}] is not compatible "
                                           f"with expected shape [?,28,28,1]")):
            served(x=tf.constant(x))
    for x in (pixels / 255, pixels / 127.5 - 1, pixels + 0.5, pixels * 2):
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"pixel values must be whole numbers from 0 to 255"):
            served(x=tf.constant(x, tf.float32))
    program = ("import sys, numpy as np, tensorflow as tf\n"
               "served = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
               "try:\n"
               "    served(x=tf.zeros((5, 28, 28)))\n"
               "except tf.errors.InvalidArgumentError as err:\n"
               "    print(err.message)\n")
    done = subprocess.run([sys.executable, "-c", program, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, gandi_stderr(done.stderr)
    assert "[5,28,28] is not compatible with expected shape [?,28,28,1]" in done.stdout


def test_maps_of_an_image_folder_are_input_map_overlay_on_the_runs_scale(tmp_path, digit_run,
                                                                        digit_folder, capsys):
    """--maps: a PNG per image at the image's path, the input, the map of the sweet spot's
    detector and the overlay, on the colour scale saved with the run's thresholds."""
    from PIL import Image
    from gandi.data.image_folders import read_image
    from gandi.data.images import scaled
    from gandi.outputs.map_pictures import grey_rgb, heat
    from gandi.score.exported import load_exported
    maps_dir = tmp_path / "maps"
    assert score(digit_run, digit_folder, tmp_path / "s.csv", "--maps", str(maps_dir),
                 "--batch-size", "150") == 0
    assert "and 400 anomaly maps to" in capsys.readouterr().out
    files = sorted(p.relative_to(digit_folder) for p in digit_folder.rglob("*") if p.is_file())
    assert any(f.suffix == ".jpg" for f in files)
    assert sorted(p.relative_to(maps_dir) for p in maps_dir.rglob("*")
                  if p.is_file()) == sorted(f.with_suffix(".png") for f in files)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".maps")]  # staging gone
    detector = load_exported(digit_run["signature"], digit_run["run"].log_dir).detector
    scale = digit_run["run"].read_thresholds()["map_scale"]
    assert scale > 0
    for name in (files[0], files[-1]):  # an abnormal and a normal digit
        picture = np.asarray(Image.open(maps_dir / name.with_suffix(".png")))
        assert picture.shape == (140, 5 * (3 * 28 + 4), 3)  # 5x zoom: at least 128 tall
        strip = picture[::5, ::5].astype(int)
        x = scaled(read_image(digit_folder / name, 28, 1))[None]
        np.testing.assert_array_equal(strip[:, :28], np.round(grey_rgb(x)[0] * 255))
        expected = np.round(heat(detector.anomaly_map(x), scale)[0] * 255)
        assert np.abs(strip[:, 30:58] - expected).max() <= 1  # float32 maps: one step at most


@pytest.mark.parametrize("case", ["exists", "table run", "ensemble", "inside the data"])
def test_maps_refused_with_one_line_and_nothing_written(tmp_path, capsys, table_run, digit_run,
                                                        digit_folder, table_files, case):
    maps_dir = tmp_path / "maps"
    run, data, extra = digit_run, digit_folder, []
    if case == "exists":
        maps_dir.mkdir()
        (maps_dir / "mine.txt").write_text("keep")
    elif case == "table run":
        run, data = table_run, table_files["test"]
    elif case == "inside the data":
        maps_dir = digit_folder / "maps"
    else:
        extra = ["--ensemble"]
    capsys.readouterr()
    assert score(run, data, tmp_path / "s.csv", "--maps", str(maps_dir), *extra) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    message = {"exists": r"--maps .*maps exists; name a new folder \(nothing was written\)",
               "table run": r"--maps .*: anomaly maps are for runs on images; run \S+ was "
                            r"trained on a table",
               "ensemble": r"--maps with --ensemble: the maps are the sweet spot's",
               "inside the data": r"--maps .*maps is inside the folder being scored \(.*\): "
                                  r"the next gandi score of it would score the maps as "
                                  r"images"}[case]
    assert len(lines) == 1 and re.search(message, lines[0]), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == (["maps"] if case == "exists" else [])
    if case == "exists":
        assert [p.name for p in maps_dir.iterdir()] == ["mine.txt"]
    assert not maps_dir.exists() or case == "exists"


# ----- streaming -------------------------------------------------------------------------------

def test_a_csv_streams_in_small_batches_to_the_same_output(tmp_path, table_run, table_files):
    assert score(table_run, table_files["test"], tmp_path / "small.csv", "--batch-size", "7") == 0
    assert score(table_run, table_files["test"], tmp_path / "large.csv",
                 "--batch-size", "100000") == 0
    small, large = pd.read_csv(tmp_path / "small.csv"), pd.read_csv(tmp_path / "large.csv")
    pd.testing.assert_frame_equal(small.drop(columns="score"), large.drop(columns="score"))
    assert_float32_close(small["score"], large["score"], terms(table_run))


def test_npz_and_parquet_stream_like_the_csv(tmp_path, table_run, table_files):
    """Parquet in several row groups; NPZ stored (memory-mapped) and compressed (read whole)."""
    frame = table_files["test_frame"]
    frame.to_parquet(tmp_path / "test.parquet", row_group_size=50)
    columns = {c: frame[c].to_numpy() for c in frame.columns if c != "target"}
    np.savez(tmp_path / "stored.npz", **columns, target=frame["target"].to_numpy().astype(str))
    np.savez_compressed(tmp_path / "packed.npz", **columns)
    assert score(table_run, table_files["test"], tmp_path / "csv.csv", "--batch-size", "40") == 0
    expected = pd.read_csv(tmp_path / "csv.csv")
    for name in ("test.parquet", "stored.npz", "packed.npz"):
        assert score(table_run, tmp_path / name, tmp_path / f"{name}.csv",
                     "--batch-size", "40") == 0, name
        got = pd.read_csv(tmp_path / f"{name}.csv")
        assert_float32_close(got["score"], expected["score"], terms(table_run))
        assert got["id"].tolist() == expected["id"].tolist()
        assert ("label" in got) == (name != "packed.npz")  # packed.npz has no label array


def test_stored_npz_arrays_are_memory_mapped(tmp_path):
    block = np.arange(12.0).reshape(4, 3)
    np.savez(tmp_path / "stored.npz", x=block, y=np.arange(4))
    np.savez_compressed(tmp_path / "packed.npz", x=block)
    stored = npz_arrays(tmp_path / "stored.npz")
    assert isinstance(stored["x"], np.memmap) and isinstance(stored["y"], np.memmap)
    np.testing.assert_array_equal(stored["x"], block)
    packed = npz_arrays(tmp_path / "packed.npz")
    assert not isinstance(packed["x"], np.memmap)
    np.testing.assert_array_equal(packed["x"], block)


def test_a_bad_row_in_a_later_batch_names_its_row_and_writes_nothing(tmp_path, capsys,
                                                                     table_run, table_files):
    frame = table_files["test_frame"].copy()
    frame["mean radius"] = frame["mean radius"].astype(object)
    frame.loc[299, "mean radius"] = "x7"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    capsys.readouterr()
    assert score(table_run, tmp_path / "bad.csv", tmp_path / "scores.csv",
                 "--batch-size", "50") == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "column 'mean radius' is not numeric (e.g. 'x7' in data row 300)" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no output, no temp file


# ----- bad input: one line, exit status 2, no output -------------------------------------------

def fake_run(log_dir, raw: dict, status: str) -> str:
    """A run folder with a setting and a status, nothing else."""
    run = RunFolders.create(log_dir, "fake", 0, 0)
    run.write_setting("fake", validate(raw))
    run.write_status(status)
    return run.signature


def _bad(case, tmp_path, table_run, digit_run, table_files):
    """(RUN, DATA, extra args, log dir) with one thing wrong."""
    test, frame = table_files["test"], table_files["test_frame"]
    table_sig, log = table_run["signature"], table_run["run"].log_dir
    image_sig, image_log = digit_run["signature"], digit_run["run"].log_dir
    if case == "missing column":
        frame.drop(columns="mean radius").to_csv(tmp_path / "t.csv", index=False)
        return table_sig, tmp_path / "t.csv", [], log
    if case == "extra feature column":
        frame.assign(colour="red").to_csv(tmp_path / "t.csv", index=False)
        return table_sig, tmp_path / "t.csv", [], log
    if case == "fewer features":
        np.savez(tmp_path / "t.npz", x=frame.drop(columns="target").to_numpy()[:, :29])
        return table_sig, tmp_path / "t.npz", [], log
    if case == "images for a table run":
        return table_sig, tmp_path, [], log
    if case == "a table for an image run":
        return image_sig, test, [], image_log
    if case == "empty folder":
        (tmp_path / "empty").mkdir()
        return image_sig, tmp_path / "empty", [], image_log
    if case == "unreadable image":
        (tmp_path / "new").mkdir()
        (tmp_path / "new" / "scan_7.png").write_bytes(b"\x89PNG garbage")
        return image_sig, tmp_path / "new", [], image_log
    if case == "unfinished run":
        raw = {**table_run["setting"], "steps": 100}
        return fake_run(tmp_path / "log", raw, "running"), test, [], tmp_path / "log"
    if case == "no exported detector":
        return fake_run(tmp_path / "log", table_run["setting"], "finished"), test, [], \
            tmp_path / "log"
    if case == "anogan":
        raw = {**table_run["setting"], "detector": "anogan"}
        return fake_run(tmp_path / "log", raw, "finished"), test, [], tmp_path / "log"
    if case == "not a run":
        return "my_run", test, [], log
    if case == "no such data":
        return table_sig, tmp_path / "absent.csv", [], log
    if case == "batch size 0":
        return table_sig, test, ["--batch-size", "0"], log
    if case == "unknown id column":
        return table_sig, test, ["--id-column", "patient"], log
    if case == "no checkpoint ensemble":  # images: checkpoint_ensemble auto is 1
        return image_sig, test, ["--ensemble"], image_log  # refused before DATA is read
    raise AssertionError(case)


BAD = {
    "missing column": r"no column 'mean radius'; the detector was trained on 30 feature columns",
    "extra feature column": r"31 feature columns where the detector was trained on 30 \(.*\); "
                            r"column 'colour' was no feature in training",
    "fewer features": r"29 feature columns where the detector was trained on 30",
    "images for a table run": r"was trained on a table; it scores a .csv, .parquet, .pq or .npz",
    "a table for an image run": r"was trained on images; it scores an image folder",
    "empty folder": r"empty: no PNG or JPEG images",
    "unreadable image": r"scan_7\.png: cannot read it as an image",
    "unfinished run": r"run GAN_\S+_fake is running, not finished",
    "no exported detector": r"no exported detector \(missing .*sweet_spot_encoder\.keras\)",
    "anogan": r"does not score detector 'anogan' \(its score is a latent search",
    "not a run": r"RUN 'my_run': expected a run signature",
    "no such data": r"absent\.csv: no such file or folder",
    "batch size 0": r"--batch-size 0: expected an integer > 0",
    "unknown id column": r"no column 'patient' for --id-column",
    "no checkpoint ensemble": r"has no checkpoint ensemble \(.*checkpoint_ensemble\.json is "
                              r"missing: its setting's checkpoint_ensemble is 1",
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, table_run, digit_run,
                                                    table_files, case):
    run, data, extra, log_dir = _bad(case, tmp_path, table_run, digit_run, table_files)
    out = tmp_path / "out" / "scores.csv"
    out.parent.mkdir()
    capsys.readouterr()
    code = main([run, str(data), "--out", str(out), "--log-dir", str(log_dir), *extra])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gandi.score: error: "), lines
    assert re.search(BAD[case], lines[0]), lines[0]
    assert not any(out.parent.iterdir())  # no output, no temporary file


def test_gandi_score_in_a_real_process(tmp_path, table_run, table_files):
    """`python -m gandi score` (the `gandi` command's subcommand): exit 2 and exactly one line
    of gandi's on stderr (whatever TensorFlow prints there on this CPU aside)."""
    proc = subprocess.run(
        [sys.executable, "-m", "gandi", "score", table_run["signature"], str(tmp_path / "x.csv"),
         "--log-dir", str(table_run["run"].log_dir), "--out", str(tmp_path / "s.csv")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert gandi_stderr(proc.stderr) == [
        f"gandi.score: error: {tmp_path / 'x.csv'}: no such file or folder"]


def test_export_refuses_with_one_line_and_writes_nothing(tmp_path, capsys, table_run):
    from gandi.export import main as export
    log = str(table_run["run"].log_dir)
    anogan = fake_run(tmp_path / "log", {**table_run["setting"], "detector": "anogan"},
                      "finished")
    (tmp_path / "taken").mkdir()
    for args, message in (
            ([anogan, str(tmp_path / "a"), "--log-dir", str(tmp_path / "log")],
             r"does not score detector 'anogan' \(its score is a latent search"),
            ([table_run["signature"], str(tmp_path / "taken"), "--log-dir", log],
             r"taken exists; give a new folder \(nothing was written\)")):
        capsys.readouterr()
        assert export(args) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gandi export: error: "), lines
        assert re.search(message, lines[0]), lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log", "taken"]
    assert not any((tmp_path / "taken").iterdir())


def test_maps_of_two_images_of_one_name_but_their_suffix_are_both_written(
        tmp_path, digit_run, digit_folder, capsys):
    """x.png and x.jpg would both map to x.png: the second keeps its suffix (x.jpg.png), and
    the count said is the files written."""
    folder = tmp_path / "two"
    (folder / "abnormal").mkdir(parents=True)
    source = sorted((digit_folder / "abnormal").glob("*.png"))[:2]
    shutil.copy(source[0], folder / "abnormal" / "x.png")
    from PIL import Image
    Image.open(source[1]).save(folder / "abnormal" / "x.jpg")
    maps_dir = tmp_path / "maps"
    assert score(digit_run, folder, tmp_path / "s.csv", "--maps", str(maps_dir)) == 0
    assert "and 2 anomaly maps to" in capsys.readouterr().out
    assert sorted(p.name for p in (maps_dir / "abnormal").iterdir()) == ["x.jpg.png", "x.png"]
