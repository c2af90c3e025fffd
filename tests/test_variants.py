"""The variant studies' summary (gandi.studies.variants): per value and paired by seed, on rows
as benchmarks/variant_auc.py writes them."""
import numpy as np
import pytest
import pandas as pd

from gandi.studies.variants import by_value, markdown, paired


def cells() -> pd.DataFrame:
    rows = [(10, 1, 0, "fresh", 0.90), (10, 1, 0, "reused", 0.93),
            (10, 1, 1, "fresh", 0.80), (10, 1, 1, "reused", 0.87),
            (10, 1, 2, "fresh", 0.70),  # its reused run has not finished: no pair
            (10, 7, 0, "fresh", 0.60), (10, 7, 0, "reused", 0.50)]
    return pd.DataFrame([{"setting": s, "class": c, "seed": seed, "g_fake": v,
                          "detector": "discriminator", "auc": auc, "steps": 100,
                          "seconds": 1.0, "cpu_seconds": 2.0 if v == "fresh" else 1.0}
                         for s, c, seed, v, auc in rows])


def test_each_value_gets_its_seeds_mean_and_spread():
    table = by_value(cells(), "g_fake").set_index(["class", "g_fake"])
    assert table.loc[(1, "fresh"), "seeds"] == 3
    assert np.isclose(table.loc[(1, "fresh"), "auc"], 0.80)
    assert np.isclose(table.loc[(1, "fresh"), "auc_std"], 0.10)
    assert np.isclose(table.loc[(1, "reused"), "auc"], 0.90)
    assert table.loc[(1, "reused"), "cpu_seconds"] == 1.0


def test_the_difference_pairs_runs_of_the_same_seed_only():
    table = paired(cells(), "g_fake", ["fresh", "reused"]).set_index("class")
    # class 1: seeds 0 and 1 have both (+0.03, +0.07); seed 2's lone fresh run is left out
    assert table.loc[1, "seeds"] == 2
    assert np.isclose(table.loc[1, "difference"], 0.05)
    assert np.isclose(table.loc[1, "difference_std"], np.std([0.03, 0.07], ddof=1))
    assert np.isclose(table.loc[7, "difference"], -0.10) and table.loc[7, "seeds"] == 1
    assert list(table["g_fake"].unique()) == ["reused"]


def test_a_study_without_its_base_value_yet_has_no_paired_table():
    only = cells()[cells()["g_fake"] == "reused"]
    assert paired(only, "g_fake", ["fresh", "reused"]).empty
    text = markdown(only, "g_fake", ["fresh", "reused"])
    assert "`g_fake`" in text and "Paired by seed" not in text
    assert "final networks" not in text  # the discriminator's AUC is the sweet spot's
    anogan = markdown(only.assign(detector="anogan"), "g_fake", ["fresh", "reused"])
    assert "(AnoGAN: on the final networks)" in anogan


def test_a_variant_run_reports_its_detectors_own_row(monkeypatch):
    """AnoGAN's final table starts with the discriminator it trained (the tracked score): the
    study's AUC is AnoGAN's row, as the benchmark's cells take it (it reported the first row)."""
    import gandi.experiment
    from gandi.studies.variants import run_variant
    seen = {}

    def finished_run(setting_id, setting, log_dir, progress):
        seen.update(setting)
        final = pd.DataFrame([{"detector": "discriminator", "auc": 0.82, "f1": 0.5, "ap": 0.9,
                               "tracked": True},
                              {"detector": "anogan", "auc": 0.65, "f1": 0.3, "ap": 0.8}])
        return {"final": final, "setting": setting, "last_step": 190, "signature": "GAN_x",
                "seeds": {"numpy": 0, "tf": 0}, "best_test_auc": {"test_auc": 0.9},
                "measurements": pd.DataFrame({"d_auc": [0.7, 0.8]}),
                "tracking_seconds": {"seconds": 1.0, "cpu_seconds": 1.5}}

    monkeypatch.setattr(gandi.experiment, "run_setting", finished_run)
    row = run_variant(11, 2, 0, epochs=8)
    assert seen["detector"] == "anogan" and seen["normal_class"] == 2 and seen["epochs"] == 8
    assert row["detector"] == "anogan" and row["auc"] == 0.65 and row["steps"] == 190


def test_a_dotted_key_changes_one_entry_of_a_dict_key_and_keeps_the_others():
    """`d_params.filters` varies the discriminator's width with a scalar column; the setting's
    other d_params (here its dropout) stay as shipped."""
    from gandi.studies.variants import with_keys
    shipped = {"d_arch": "dcgan", "d_params": {"dropout": 0.2}, "epochs": 2}
    changed = with_keys(shipped, {"d_params.filters": 128, "epochs": 4})
    assert changed == {"d_arch": "dcgan", "d_params": {"dropout": 0.2, "filters": 128},
                       "epochs": 4}
    assert shipped["d_params"] == {"dropout": 0.2}  # the shipped setting is not changed
    assert with_keys({"epochs": 2}, {"g_params.filters": 32})["g_params"] == {"filters": 32}


def finished_runs(monkeypatch, detector: str) -> dict:
    """Whole runs replaced by a finished one of `detector`; the dict gets each run's setting."""
    import gandi.experiment
    seen = {}

    def finished_run(setting_id, setting, log_dir, progress):
        seen.update(setting)
        final = pd.DataFrame([{"detector": detector, "auc": 0.9, "f1": 0.5, "ap": 0.9}])
        return {"final": final, "setting": setting, "last_step": 10, "signature": "GAN_x",
                "seeds": {"numpy": 0, "tf": 0}, "best_test_auc": {"test_auc": 0.9},
                "measurements": pd.DataFrame({"d_auc": [0.7, 0.8]}),
                "tracking_seconds": {"seconds": 1.0, "cpu_seconds": 1.5}}

    monkeypatch.setattr(gandi.experiment, "run_setting", finished_run)
    return seen


def test_a_variant_run_validates_its_dotted_key(monkeypatch):
    from gandi.studies.variants import run_variant
    seen = finished_runs(monkeypatch, "discriminator_knn")
    run_variant(24, 6, 1, **{"d_params.filters": 128})
    assert seen["d_params"]["filters"] == 128 and seen["normal_class"] == 6
    with pytest.raises(Exception, match="filterz"):
        run_variant(24, 6, 1, **{"d_params.filterz": 128})


def test_an_anomaly_class_variant_runs_the_benchmarks_cell(monkeypatch):
    """`protocol="anomaly_class"`: the run is the benchmark's cell of that anomaly digit (its
    epochs over nine normal digits, the detector's own keys there: discriminator_lof's bank),
    with the studied key changed on top."""
    import run_params
    from gandi.studies.benchmark.image_cells import ANOMALY_CLASS
    from gandi.studies.variants import run_variant
    seen = finished_runs(monkeypatch, "discriminator_lof")
    run_variant(25, 3, 2, "anomaly_class", track_validation_limit=1000)
    assert (seen["anomaly_class"], seen["normal_class"], seen["numpy_seed"]) == (3, None, 2)
    assert seen["epochs"] == max(1, round(run_params.SETTINGS[25]["epochs"] / 9))
    bank = ANOMALY_CLASS["discriminator_lof"]["reference_bank_size"]
    assert seen["reference_bank_size"] == bank and seen["track_validation_limit"] == 1000


def test_the_share_of_a_run_its_tracking_took_is_shown_where_rows_kept_it():
    kept = cells().assign(tracking_cpu_seconds=[0.5, 0.25, 1.0, 0.5, 0.2, 0.3, 0.1])
    table = by_value(kept, "g_fake").set_index(["class", "g_fake"])
    # class 1, fresh: 0.5/2, 1.0/2 and 0.2/2 of the runs' CPU seconds
    assert table.loc[(1, "fresh"), "tracking_share"] == pytest.approx((0.25 + 0.5 + 0.1) / 3)
    assert table.loc[(7, "reused"), "tracking_share"] == pytest.approx(0.1)
    assert "tracking_share" not in by_value(cells(), "g_fake")  # rows from before it was kept


def test_a_study_whose_base_value_is_none_keeps_it_in_its_tables(tmp_path):
    """`--values null 1000`: the CSV reads None back as NaN and 1000 as 1000.0; the tables
    must still show both values (grouping drops a NaN key without a word) and pair them."""
    rows = pd.DataFrame([{"setting": 25, "class": 2, "seed": s, "track_validation_limit": v,
                          "detector": "discriminator_lof", "auc": auc, "steps": 760,
                          "seconds": 1.0, "cpu_seconds": cpu, "tracking_cpu_seconds": t}
                         for s, v, auc, cpu, t in [(0, None, 0.97, 600.0, 390.0),
                                                   (0, 1000, 0.96, 400.0, 180.0),
                                                   (1, None, 0.95, 600.0, 390.0),
                                                   (1, 1000, 0.96, 400.0, 180.0)]])
    rows.to_csv(tmp_path / "study.csv", index=False)
    cells = pd.read_csv(tmp_path / "study.csv")
    assert cells["track_validation_limit"].isna().sum() == 2  # as the study reads its rows
    table = by_value(cells, "track_validation_limit").set_index("track_validation_limit")
    assert list(table.index) == ["None", 1000]
    assert table.loc["None", "seeds"] == 2 and table.loc[1000, "auc"] == pytest.approx(0.96)
    assert table.loc["None", "tracking_share"] == pytest.approx(0.65)
    pairs = paired(cells, "track_validation_limit", [None, 1000])
    assert pairs.loc[0, "difference"] == pytest.approx(0.0) and pairs.loc[0, "seeds"] == 2
    assert pairs.loc[0, "difference_std"] == pytest.approx(np.sqrt(2) * 0.01)
    text = markdown(cells, "track_validation_limit", [None, 1000])
    assert "| 25 | discriminator_lof | 2 | None | 2 |" in text
    assert "minus AUC with `track_validation_limit: None`" in text
