import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import SMOKE_SETTINGS
from gandi.outputs.run_folder import SIGNATURE
from gandi.report import collect, main, summarise


def test_report_reads_every_run_back(smoke_runs, capsys):
    log_dir, runs = smoke_runs
    table = collect(log_dir)
    # every smoke run is a GAN on vectors: the discriminator, the Monte-Carlo threshold and the
    # checkpoint ensemble rows
    assert sorted(table["setting"].astype(str)) == sorted(SMOKE_SETTINGS * 3)
    for _, row in table.iterrows():
        results, sig = runs[str(row["setting"])]
        final = results["final"].set_index("detector")
        assert row["signature"] == sig
        assert row["auc"] == pytest.approx(final.loc[row["detector"], "auc"])
        if final.loc[row["detector"], "tracked"]:
            assert row["last_step_auc"] == pytest.approx(
                results["measurements"]["d_auc"].iloc[-1])
        else:  # scored once at the end: no curve
            assert row["detector"].endswith("checkpoint ensemble")
            assert pd.isna(row["last_step_auc"]) and pd.isna(row["oracle_best_auc"])
    summary = summarise(table)
    assert summary["runs"].tolist() == summary["seeds"].tolist() == [1] * (3 * len(SMOKE_SETTINGS))
    # one seed: the number alone, no "± 0.000" posing as a spread
    assert summary["auc"].str.fullmatch(r"\d\.\d{3}").all()
    assert (summary["test"] == "real anomalies").all()
    # the Monte-Carlo threshold is a threshold on the discriminator's scores, not a detector
    assert "mc_threshold" not in set(summary["detector"])
    mc = summary[summary["threshold"].str.startswith("mc_threshold")]
    assert len(mc) == len(SMOKE_SETTINGS)
    assert (mc["detector"] == "discriminator").all()
    assert (mc["threshold"] == "mc_threshold: generated_samples_p95").all()
    assert main([str(log_dir), "--markdown"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| setting | name | detector | threshold | data | test | runs | "
                             "seeds | auc |")
    assert len(out) == 2 + 3 * len(SMOKE_SETTINGS)


# ----- gandi.Detector fits: named after their data, grouped by it ---------------------------------

FIT = {"steps": 10, "track_every": 2}


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    """Five tiny autoencoder fits in one log dir: `sensor` rows without eval_set twice with seed 0
    (synthetic anomalies), `other` rows of the same shape with seeds 0 and 1, and the sensor rows
    again with an eval_set (real anomalies). Returns (log_dir, {case: [signatures]})."""
    import gandi
    rng = np.random.default_rng(5)
    sensor, other = rng.normal(size=(200, 5)), rng.normal(size=(200, 5))
    eval_set = (np.concatenate([rng.normal(size=(40, 5)), rng.normal(4, 1, size=(40, 5))]),
                np.repeat([0, 1], 40))
    log_dir = tmp_path_factory.mktemp("fits")
    cases = {"sensor": [(sensor, 0, None), (sensor, 0, None)],
             "other": [(other, 0, None), (other, 1, None)], "eval": [(sensor, 0, eval_set)]}
    signatures = {}
    with warnings.catch_warnings():  # 10 steps: a curve too short, said by TrainingWarning
        warnings.simplefilter("ignore")
        for case, fitted in cases.items():
            signatures[case] = [
                gandi.Detector("autoencoder", seed=seed, log_dir=str(log_dir), verbose=0,
                               **FIT).fit(X, eval_set=given).signature_
                for X, seed, given in fitted]
    return log_dir, signatures


def test_fits_are_named_after_their_data(fits):
    log_dir, signatures = fits
    setting = {case: {sig.split("_python_")[1] for sig in sigs}
               for case, sigs in signatures.items()}
    # one setting id per data (X and eval_set), whatever the seed; three data, three ids
    assert all(len(ids) == 1 for ids in setting.values())
    assert len(set.union(*setting.values())) == 3
    assert all(ids.pop().startswith("autoencoder_") for ids in setting.values())
    assert all(SIGNATURE.fullmatch(sig) for sigs in signatures.values() for sig in sigs)


def test_report_never_averages_other_data_or_synthetic_with_real(fits, capsys):
    log_dir, signatures = fits
    runs = collect(log_dir)
    summary = summarise(runs)
    tracked = summary[summary["detector"] == "autoencoder"].set_index("runs", drop=False)
    by_case = {case: tracked[tracked["setting"] == runs.loc[
        runs["signature"] == sigs[0], "setting"].iloc[0]] for case, sigs in signatures.items()}
    assert all(len(rows) == 1 for rows in by_case.values())  # one row each: never merged
    sensor, other, real = (by_case[c].iloc[0] for c in ("sensor", "other", "eval"))
    assert (sensor["runs"], sensor["seeds"], other["runs"], other["seeds"]) == (2, 1, 2, 2)
    assert (sensor["test"], other["test"], real["test"]) == (
        "synthetic anomalies", "synthetic anomalies", "real anomalies")
    assert sensor["data"] != real["data"] and sensor["data"] != other["data"]
    auc = {sig: a for sig, a, d in zip(runs["signature"], runs["auc"], runs["detector"])
           if d == "autoencoder"}
    # two runs of one seed: their mean, no ± (a repeat of a seed is no spread)
    assert sensor["auc"] == f"{np.mean([auc[s] for s in signatures['sensor']]):.3f}"
    # two seeds: mean ± std over them, of these runs only
    other_aucs = [auc[s] for s in signatures["other"]]
    assert other["auc"] == f"{np.mean(other_aucs):.3f} ± {np.std(other_aucs, ddof=1):.3f}"
    assert real["auc"] == f"{auc[signatures['eval'][0]]:.3f}"
    assert main([str(log_dir)]) == 0
    out = capsys.readouterr().out
    assert "synthetic anomalies: corrupted copies of held-out normals" in out
    assert "± 0.000" not in out


def test_report_reads_runs_from_before_data_records(fits, tmp_path):
    """A fit's run whose setting.json has no data record (made before runs recorded one): its
    test anomalies are not recorded, and its data (the fit's own files) are its alone."""
    log_dir, signatures = fits
    for sig in signatures["sensor"]:
        shutil.copytree(log_dir / "results" / sig, tmp_path / "results" / sig)
        saved = tmp_path / "results" / sig / "setting.json"
        old = json.loads(saved.read_text())
        del old["data"]
        saved.write_text(json.dumps(old))
    summary = summarise(collect(tmp_path))
    tracked = summary[summary["detector"] == "autoencoder"]
    assert len(tracked) == 2 and tracked["data"].nunique() == 2
    assert (tracked["test"] == "not recorded").all()


# ----- runs of one setting id with other parameters: other settings, never averaged -------------

def test_runs_of_other_settings_under_one_id_are_never_averaged(fits, tmp_path, capsys):
    """A setting id that does not name the parameters (a gandi.Detector fit's, a setting
    file's): runs whose setting hashes differ are rows of their own, the hash beside the id;
    runs from before setting.json recorded the hash get it from their saved setting. The two
    `sensor` fits (seed 0, same parameters) are copied and one is given another learning rate,
    as if its setting file had been edited between the runs."""
    from gandi.settings.fingerprint import run_setting_hash
    log_dir, signatures = fits
    same, edited = signatures["sensor"]
    recorded = {sig: json.loads((log_dir / "results" / sig / "setting.json").read_text())
                for sig in (same, edited)}
    # recorded by the run; the same for fits of the same parameters (their files' folders differ)
    assert recorded[same]["setting_hash"] == recorded[edited]["setting_hash"] == \
        run_setting_hash(recorded[same]["setting"])
    assert recorded[same]["setting"]["train_file"] != recorded[edited]["setting"]["train_file"]
    for sig in (same, edited):
        shutil.copytree(log_dir / "results" / sig, tmp_path / "results" / sig)
    lr_g = recorded[edited]["setting"]["lr_g"] * 10
    saved = {**recorded[edited], "setting": {**recorded[edited]["setting"], "lr_g": lr_g}}
    hashes = {same: recorded[same]["setting_hash"], edited: run_setting_hash(saved["setting"])}
    assert hashes[same] != hashes[edited]
    setting_id = saved["setting_id"]
    runs = collect(log_dir)
    auc = {sig: a for sig, a, d in zip(runs["signature"], runs["auc"], runs["detector"])
           if d == "autoencoder"}
    for with_hash in (True, False):  # as recorded, then as runs from before hashes were
        (tmp_path / "results" / edited / "setting.json").write_text(json.dumps(
            {**saved, "setting_hash": hashes[edited]} if with_hash else
            {k: v for k, v in saved.items() if k != "setting_hash"}))
        tracked = summarise(collect(tmp_path)).query("detector == 'autoencoder'")
        assert tracked["runs"].tolist() == [1, 1]  # not one row of "runs 2, seeds 1"
        assert dict(zip(tracked["setting"], tracked["auc"])) == {
            f"{setting_id} (hash {hashes[sig]})": f"{auc[sig]:.3f}" for sig in (same, edited)}
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"(hash {hashes[same]})" in out and f"(hash {hashes[edited]})" in out


def test_report_on_empty_dir(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no finished runs" in capsys.readouterr().err
