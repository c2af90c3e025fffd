import pandas as pd
import pytest

from conftest import SMOKE_SETTINGS
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
    assert summary["runs"].tolist() == [1] * (3 * len(SMOKE_SETTINGS))
    assert summary["auc"].str.endswith("± 0.000").all()  # one seed: no spread
    assert main([str(log_dir), "--markdown"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| setting | name | detector | runs | auc |")
    assert len(out) == 2 + 3 * len(SMOKE_SETTINGS)


def test_report_on_empty_dir(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no finished runs" in capsys.readouterr().err
