"""The playground's ensemble (`ensemble_members`, gandi.playground.run_ensemble): a setting file on
the breast-cancer table runs its autoencoder, a VAE member on the same split and classical
members; checked against what the runs wrote (ensemble.csv, ensemble.pkl, the member's results
and the split read again from its setting)."""
import contextlib
import io
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gandi
from gandi.cli import EXIT_BAD_INPUT
from gandi.data import load_splits
from gandi.playground import main
from gandi.settings.fingerprint import setting_hash
from gandi.settings.validation import SettingError
from gandi.tracking.metrics import roc_auc
from gandi.tracking.selection import combine

TOP = 2
SETTING = {"dataset": "table", "label_column": "target", "normal_values": ["benign"],
           "anomaly_values": ["malignant"], "batch_size": 32, "steps": 60, "track_every": 20,
           "checkpoint_every": 60, "n_generated": 200, "detector": "autoencoder",
           "latent_dim": 4, "lr_g": 1e-3, "beta_1": 0.9,
           "ensemble_members": ["vae", "knn", "pca"], "ensemble_top": TOP}


def _setting_file(folder: Path, cancer, **changes) -> Path:
    table = folder / "cancer.csv"
    if not table.exists():
        cancer.to_csv(table, index=False)
    path = folder / "mine.json"
    path.write_text(json.dumps({**SETTING, "data_file": str(table), **changes}))
    return path


@pytest.fixture(scope="module")
def played(tmp_path_factory, cancer):
    folder = tmp_path_factory.mktemp("ensemble_setting")
    log_dir = folder / "log"
    argv = ["--setting-file", str(_setting_file(folder, cancer)), "--log-dir", str(log_dir),
            "--no-progress"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    runs = {p.name.rsplit("_", 1)[-1] if p.name.endswith("_vae") else "main": p
            for p in (log_dir / "results").iterdir()}
    return status, out.getvalue(), runs, folder


def test_the_ensemble_keeps_the_top_candidates_by_the_criterion(played):
    status, out, runs, _ = played
    assert status == 0
    report = pd.read_csv(runs["main"] / "ensemble.csv").set_index("member")
    candidates = report.drop(index="ensemble")
    assert list(candidates.index) == ["autoencoder", "vae", "knn", "pca"]
    best = list(candidates["criterion"].sort_values(ascending=False, kind="stable").index[:TOP])
    assert sorted(candidates.index[candidates["chosen"]]) == sorted(best)
    assert (report["test_anomalies"] == "labelled").all()
    line = [row for row in out.splitlines() if " ensemble of " in row][-1]
    assert re.search(rf"ensemble of {TOP} \(chosen without labels: {', '.join(best)}\): test AUC "
                     rf"{report.loc['ensemble', 'auc']:.3f}", line), line


def test_the_member_run_shares_the_setting_and_the_split(played):
    _, _, runs, _ = played
    main_run = pickle.loads((runs["main"] / "results.pkl").read_bytes())
    member = pickle.loads((runs["vae"] / "results.pkl").read_bytes())
    assert member["status"] == "finished" and member["setting"]["detector"] == "vae"
    for key in ("steps", "latent_dim", "lr_g", "data_file", "numpy_seed", "tf_seed"):
        assert member["setting"][key] == main_run["setting"][key], key
    assert member["setting"]["ensemble_members"] is None
    first, second = (load_splits(r["setting"], np.random.default_rng(r["setting"]["numpy_seed"]))
                     for r in (main_run, member))
    np.testing.assert_array_equal(first.validation, second.validation)
    np.testing.assert_array_equal(first.test_y, second.test_y)
    # the ensemble's keys do not change the run: its rows keep the run's hash
    alone = {**main_run["setting"], "ensemble_members": None, "ensemble_top": 5}
    assert setting_hash(main_run["setting"]) == setting_hash(alone)


def test_the_pickled_ensemble_scores_raw_rows(played, cancer):
    _, _, runs, _ = played
    ensemble = pickle.loads((runs["main"] / "ensemble.pkl").read_bytes())
    report = pd.read_csv(runs["main"] / "ensemble.csv")
    chosen = report["chosen"] & (report["member"] != "ensemble")
    assert sorted(ensemble.members_) == sorted(report["member"][chosen])
    rows = cancer.drop(columns="target")
    scores = ensemble.decision_function(rows)
    assert scores.shape == (len(rows),) and np.all(np.isfinite(scores))
    np.testing.assert_array_equal(ensemble.predict(rows), scores > ensemble.threshold_)
    # reloaded from its runs, it gives the report's AUC on the run's own test split
    setting = ensemble.candidates_[ensemble.scaling_member_].exported_.setting
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    test = combine([ensemble._member_score(m, data.test_x) for m in ensemble.members_],
                   [ensemble.scales_[m] for m in ensemble.members_])
    expected = report.set_index("member").loc["ensemble", "auc"]
    assert roc_auc(data.test_y, test) == pytest.approx(expected, abs=1e-12)


def test_a_resumed_ensemble_setting_runs_its_ensemble_step(played, tmp_path):
    """--resume of a run cut short continues it, then runs the ensemble as a fresh run would
    (the resumed run's own setting and log dir: the stop-40 regression read the key from its
    folders)."""
    import shutil
    _, _, runs, folder = played
    log_dir = tmp_path / "log"
    shutil.copytree(folder / "log", log_dir)
    run = log_dir / "results" / runs["main"].name
    for made in ("ensemble.csv", "ensemble.pkl"):
        (run / made).unlink()
    (run / "status.json").write_text(json.dumps({"status": "interrupted"}))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--resume", str(run), "--no-progress"]) == 0
    report = pd.read_csv(run / "ensemble.csv").set_index("member")
    assert list(report.drop(index="ensemble").index) == ["autoencoder", "vae", "knn", "pca"]
    line = [row for row in out.getvalue().splitlines() if " ensemble of " in row]
    assert line and f"test AUC {report.loc['ensemble', 'auc']:.3f}" in line[0], line
    # the member ran again under the resumed run's log dir, not the default one
    assert len(list((log_dir / "results").glob("*_vae"))) == 2


@pytest.mark.parametrize("changes, message", [
    ({"ensemble_members": ["vae", "knnn"]},
     r"ensemble_members = 'knnn' is not allowed; .*; did you mean 'knn'\?"),
    ({"ensemble_members": ["autoencoder", "knn"]},
     r"ensemble_members = 'autoencoder' is not allowed; expected detectors other than the "
     r"setting's own \('autoencoder'\)"),
    ({"ensemble_members": ["knn", "knn"]}, r"ensemble_members = \['knn', 'knn'\] is not allowed"),
    ({"detector": "anogan", "ensemble_members": ["knn"]},
     r"detector = 'anogan' is not allowed; expected a detector gandi can score new data with"),
    ({"ensemble_top": 0}, r"ensemble_top = 0 is not allowed"),
])
def test_a_bad_ensemble_is_one_line_before_any_run(tmp_path, cancer, capsys, changes, message):
    log_dir = tmp_path / "log"
    argv = ["--setting-file", str(_setting_file(tmp_path, cancer, **changes)), "--log-dir",
            str(log_dir)]
    assert main(argv) == EXIT_BAD_INPUT
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and re.search(message, err[0]), err
    assert not log_dir.exists()


def test_the_python_detector_points_to_gandi_ensemble(cancer):
    with pytest.raises(SettingError, match=r"from Python, gandi.Ensemble\(members="):
        gandi.Detector("autoencoder", ensemble_members=["knn"]).fit(
            cancer.drop(columns="target").to_numpy()[:100])
