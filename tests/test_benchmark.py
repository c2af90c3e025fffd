"""The benchmark command end to end in --quick mode on real MNIST slices: CSV and markdown read
back, published numbers beside ours, the speed table measured in the same run, and a second run
that skips the finished cells."""
import math
import re

import numpy as np
import pandas as pd
import pytest

import run_params
from conftest import MNIST_DIR, TABULAR_DIR, needs_mnist, needs_tabular
from gandi.studies.benchmark.image_cells import QUICK
from gandi.studies.benchmark.cells import BenchmarkError, read_cells
from gandi.studies.benchmark.__main__ import main
from gandi.cli import BadInput, parse_classes


def of_current_settings(rows: list[dict], protocol: str = "normal_class",
                        quick: bool = False) -> pd.DataFrame:
    """Hand-made MNIST rows with the setting hash their cells run with now (a row without one
    is of an unknown setting: run again, never shown)."""
    from gandi.studies.benchmark.image_cells import current_hashes
    cells = pd.DataFrame(rows)
    keys = list(zip(cells["detector"], cells["class"], cells["seed"]))
    current = current_hashes("mnist", protocol, keys, quick)
    return cells.assign(setting_hash=[current[key] for key in keys])


def nothing_to_run(finished: int) -> str:
    return (f"0 item(s) to run (a gandi run, or a class's classical detectors), {finished} "
            "cell(s) already finished")


PUBLISHED_HEADER = "paper,method,dataset,protocol,class,metric,value,std,approximate,source,note\n"


@needs_mnist
def test_quick_benchmark_writes_resumes_and_compares(tmp_path, capsys):
    published = tmp_path / "published.csv"
    published.write_text(PUBLISHED_HEADER
                         + "Test 2024,DCAE,mnist,normal_class,0,auc,0.004,0.007,false,Table 1,\n"
                         + "Test 2024,DCAE,mnist,normal_class,1,auc,0.983,,true,Figure 2,\n"
                         + "Test 2024,OC-SVM,mnist,normal_class,1,auc,0.995,,false,Table 1,\n")
    # one class (each cell is a run): the published rows of other classes stay out of the table
    args = ["--quick", "--classes", "1", "--detectors", "discriminator", "autoencoder",
            "--out", str(tmp_path / "out"),
            "--log-dir", str(tmp_path / "log"), "--data-dir", str(MNIST_DIR),
            "--published", str(published)]
    assert main(args + ["--no-speed"]) == 0  # the speed is measured below, with no cell to run
    assert not (tmp_path / "out" / "mnist_normal_class_speed.csv").exists()
    cells = pd.read_csv(tmp_path / "out" / "mnist_normal_class.csv")
    assert sorted(zip(cells["detector"], cells["class"])) == [
        ("autoencoder", 1), ("discriminator", 1)]
    assert cells["auc"].between(0, 1).all() and (cells["seed"] == 0).all()
    # each run's own CPU time beside its wall time (a quick cell trains for seconds), and the
    # part of it its tracked steps took
    assert (cells["cpu_seconds"] > 0).all() and (cells["seconds"] > 0).all()
    assert (cells["tracking_cpu_seconds"] > 0).all()
    assert (cells["tracking_cpu_seconds"] < cells["cpu_seconds"]).all()
    runs = sorted(p.name for p in (tmp_path / "log" / "results").iterdir())
    assert sorted(cells["signature"]) == runs
    md = (tmp_path / "out" / "mnist_normal_class.md").read_text()
    assert md.startswith("**A --quick smoke run** (small slices, few steps)")  # no measurement
    assert ("| class | discriminator (ours) | autoencoder (ours) | DCAE (published) | "
            "OC-SVM (published) |") in md
    # class 0 was not run (its published AUC is one no detector scores: not a chance match)
    assert "0.004" not in md and "| 0 |" not in md
    ours = cells.set_index(["detector", "class"])["auc"]
    row = next(l for l in md.splitlines() if l.startswith("| 1 |"))  # the AUC table's, first
    assert row == (f"| 1 | {ours[('discriminator', 1)]:.3f} | {ours[('autoencoder', 1)]:.3f} | "
                   f"~0.983 | 0.995 |")  # the figure value is marked approximate
    assert "Oracle: best test AUC over training (chosen WITH test labels" in md

    # a second run finds every cell finished: nothing runs, nothing new is written
    capsys.readouterr()
    assert main(args) == 0
    assert nothing_to_run(2) in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "log" / "results").iterdir()) == runs
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "mnist_normal_class.csv"), cells)
    # ... but the speed is measured: it is the machine's state, not a cell
    check_speed(tmp_path / "out" / "mnist_normal_class_speed.csv",
                (tmp_path / "out" / "mnist_normal_class.md").read_text(),
                ["discriminator", "autoencoder"])

    # every gandi row keeps the hash of the setting that made it; a row of another setting
    # (here: said so by hand) is left out of the report and listed, then run again
    assert cells["setting_hash"].str.fullmatch(r"[0-9a-f]{12}").all()
    assert cells["setting_hash"].nunique() == 2  # two detectors, two settings
    csv = tmp_path / "out" / "mnist_normal_class.csv"
    older = cells.copy()
    older.loc[older["detector"] == "discriminator", "setting_hash"] = "0123456789ab"
    older.to_csv(csv, index=False)
    assert main(args + ["--report-only"]) == 0
    md = (tmp_path / "out" / "mnist_normal_class.md").read_text()
    assert ("Left out: 1 row(s) made by another setting than their detector's current one "
            "(discriminator "
            "class 1 seed 0)") in md
    row = next(l for l in md.splitlines() if l.startswith("| 1 |"))
    assert f"{ours[('discriminator', 1)]:.3f}" not in row.split("|")[2]
    capsys.readouterr()
    assert main(args + ["--no-speed"]) == 0
    assert "1 item(s) to run" in capsys.readouterr().out  # the stale cell alone
    again = pd.read_csv(csv, dtype={"setting_hash": str}).set_index("detector")
    assert len(again) == 2 and "Left out" not in (tmp_path / "out" /
                                                  "mnist_normal_class.md").read_text()
    assert again.loc["discriminator", "setting_hash"] == cells.set_index("detector").loc[
        "discriminator", "setting_hash"]
    first = cells.set_index("detector")["signature"]
    assert again.loc["discriminator", "signature"] != first["discriminator"]  # a new run
    assert again.loc["autoencoder", "signature"] == first["autoencoder"]  # not run again


NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def numbers(line: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(line)]


def check_speed(csv_path, md: str, detectors: list):
    """The speed CSV has positive finite numbers for every benchmarked detector and for AnoGAN
    batched vs one at a time, and the markdown's speed section shows exactly those numbers."""
    speed = pd.read_csv(csv_path)
    assert list(speed.columns) == ["what", "detector", "value", "unit", "note"]
    assert speed["value"].map(math.isfinite).all() and (speed["value"] > 0).all()
    value = {(w, d): v for w, d, v in zip(speed["what"], speed["detector"], speed["value"])}
    unit = {(w, d): u for w, d, u in zip(speed["what"], speed["detector"], speed["unit"])}
    expected = {(w, d): u for d in detectors for w, u in [
        ("train", "images/s"), ("score", "images/s"), ("train_compiled", "steps/s"),
        ("train_eager", "steps/s"), ("compiled_speedup", "x")]}
    expected.update({(w, "anogan"): u for w, u in [
        ("anogan_batched", "ms/image"), ("anogan_one_at_a_time", "ms/image"),
        ("anogan_reference_style", "ms/image"), ("anogan_speedup_one_at_a_time", "x"),
        ("anogan_speedup_reference_style", "x")]})
    assert unit == expected
    assert math.isclose(value["compiled_speedup", detectors[0]],
                        value["train_compiled", detectors[0]]
                        / value["train_eager", detectors[0]], rel_tol=0.02)

    section = md.split("## Speed (measured in this run)", 1)[1]
    lines = section.splitlines()

    def line(start):
        [hit] = [l for l in lines if l.startswith(start)]
        return numbers(hit)

    assert "| detector | train images/s | score images/s |" in section
    for d in detectors:
        assert line(f"| {d} |") == [value["train", d], value["score", d]]
        assert line(f"- {d}: compiled")[:3] == [value["train_compiled", d],
                                                 value["train_eager", d],
                                                 value["compiled_speedup", d]]
    assert line("- batched:")[0] == value["anogan_batched", "anogan"]
    for way, start in [("one_at_a_time", "- one image at a time, the same compiled search:"),
                       ("reference_style", "- one image at a time, reference style:")]:
        shown = line(start)
        assert shown[0] == value[f"anogan_{way}", "anogan"]
        assert shown[-1] == value[f"anogan_speedup_{way}", "anogan"]


@needs_mnist
def test_classical_detectors_fit_the_split_a_gandi_run_draws(tmp_path, capsys):
    """`--detectors knn pca` on MNIST: classical rows (`family` classical, no oracle) fitted on
    the training normals of the split the discriminator's cell of that class and seed draws;
    refitting on that split gives the same AUC. Columns of their own in the table, none in the
    oracle's; a CSV from before the family column reads as gandi's, its row without a setting
    hash run again."""
    from gandi.detectors.classical import CLASSICAL
    from gandi.data import load_splits
    from gandi.tracking.metrics import roc_auc
    from gandi.settings.validation import validate
    out = tmp_path / "out"
    out.mkdir()
    pd.DataFrame([{"detector": "discriminator", "class": 1, "seed": 0, "auc": 0.9, "f1": 0.5,
                   "oracle_best_auc": 0.95, "signature": "old", "seconds": 1.0}]
                 ).to_csv(out / "mnist_normal_class.csv", index=False)  # no family column
    args = ["--quick", "--classes", "1", "--detectors", "discriminator", "knn", "pca",
            "--no-speed", "--out", str(out), "--log-dir", str(tmp_path / "log"),
            "--data-dir", str(MNIST_DIR)]
    old = read_cells(out / "mnist_normal_class.csv")  # columns an old CSV lacks: filled in
    assert old.loc[0, "family"] == "gandi" and old.loc[0, ["auprc", "cpu_seconds"]].isna().all()
    assert main(args) == 0
    # the discriminator's row has no setting hash (made before hashes): its setting is unknown,
    # so its cell runs again and the new row replaces it
    assert "2 item(s) to run" in capsys.readouterr().out
    cells = pd.read_csv(out / "mnist_normal_class.csv").set_index("detector")
    assert cells.loc["discriminator", "signature"] != "old"
    assert "Left out" not in (out / "mnist_normal_class.md").read_text()
    assert cells["family"].to_dict() == {"discriminator": "gandi", "knn": "classical",
                                         "pca": "classical"}
    assert cells.loc[["knn", "pca"], "oracle_best_auc"].isna().all()
    setting = validate({**run_params.SETTINGS[10], "normal_class": 1, "data_dir": str(MNIST_DIR),
                        "numpy_seed": 0, "tf_seed": 0, **QUICK}, "10")
    data = load_splits(setting, np.random.default_rng(0))
    knn = CLASSICAL["knn"](seed=0).fit(data.train).score(data.test_x)
    assert cells.loc["knn", "auc"] == pytest.approx(roc_auc(data.test_y, knn), abs=1e-12)
    from sklearn.metrics import average_precision_score
    assert cells.loc["knn", "auprc"] == pytest.approx(average_precision_score(data.test_y, knn),
                                                      abs=1e-12)
    assert (cells.loc[:, "cpu_seconds"] >= 0).all()
    md = (out / "mnist_normal_class.md").read_text()
    auprc = md.split("## AUPRC")[1].split("## Oracle")[0]
    assert (f"| 1 | {cells.loc['discriminator', 'auprc']:.3f} | {cells.loc['knn', 'auprc']:.3f} "
            f"| {cells.loc['pca', 'auprc']:.3f} |") in auprc
    assert "| class | discriminator (ours) | knn (classical) | pca (classical) |" in md
    assert "| class | discriminator |\n" in md  # the oracle's table: runs only
    assert main(args) == 0 and nothing_to_run(3) in capsys.readouterr().out


def test_no_speed_writes_no_speed_csv(tmp_path, capsys):
    """--no-speed: nothing measured, no speed CSV, no speed section (cells already finished, so
    nothing trains either)."""
    out = tmp_path / "out"
    out.mkdir()
    of_current_settings([{"detector": "discriminator", "class": c, "seed": s, "auc": auc,
                          "f1": 0.5, "oracle_best_auc": 0.95, "signature": f"run{c}-{s}",
                          "seconds": 1.0} for c, s, auc in ((0, 0, 0.9), (1, 0, 0.9), (1, 1, 0.8))],
                        quick=True).to_csv(out / "mnist_normal_class.csv", index=False)
    assert main(["--quick", "--no-speed", "--detectors", "discriminator", "--out", str(out),
                 "--log-dir", str(tmp_path / "log")]) == 0
    assert nothing_to_run(3) in capsys.readouterr().out
    assert not (out / "mnist_normal_class_speed.csv").exists()
    md = (out / "mnist_normal_class.md").read_text()
    assert "| 0 | 0.900 |" in md and "## Speed" not in md
    assert "| 1 | 0.850 ± 0.071 (n=2) |" in md  # two seeds: their mean and sample std (ddof=1)


def test_bad_arguments(capsys):
    assert parse_classes("0-3") == [0, 1, 2, 3] and parse_classes("1,5") == [1, 5]
    with pytest.raises(BadInput):
        parse_classes("zero")
    with pytest.raises(BadInput, match="needs a <= b"):
        parse_classes("7-3")  # was an empty list, and a benchmark of nothing
    assert main(["--detectors", "nope", "--quick"]) == 2
    assert "no mnist setting for nope" in capsys.readouterr().err
    # where the runs go: flags that do not fit together, one line before anything runs
    for argv, message in ((["--dataset", "tabular", "--executor", "ray"],
                           "--executor local/ray go(es) with an image dataset"),
                          (["--no-shared-fs"], "--address and --no-shared-fs go(es) with "
                                               "--executor ray"),
                          (["--executor", "local", "--jobs", "0"], "--jobs must be >= 1")):
        assert main([*argv, "--quick"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]


def test_missing_data_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GANDI_DATA_DIR", raising=False)
    empty = tmp_path / "no_data"
    empty.mkdir()
    assert main(["--quick", "--classes", "1", "--detectors", "vae", "--no-speed",
                 "--out", str(tmp_path / "out"), "--log-dir", str(tmp_path / "log"),
                 "--data-dir", str(empty)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gandi.benchmark: error: ") and "mnist" in err[0]
    assert not (tmp_path / "out" / "mnist_normal_class.csv").exists()  # nothing half-written


def test_report_only_rebuilds_the_tables_and_keeps_the_measured_speed(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    of_current_settings([{"detector": "vae", "class": c, "seed": 0, "auc": 0.5 + c / 20,
                          "f1": 0.5, "oracle_best_auc": 0.95, "signature": f"run{c}",
                          "seconds": 1.0} for c in range(10)]
                        ).to_csv(out / "mnist_normal_class.csv", index=False)
    (out / "mnist_normal_class.md").write_text("# old tables\n\n## Speed (measured in this run)"
                                               "\n\n| vae | 123 | 456 |\n")
    assert main(["--report-only", "--detectors", "vae", "--out", str(out)]) == 0
    assert nothing_to_run(10) in capsys.readouterr().out
    md = (out / "mnist_normal_class.md").read_text()
    assert "# old tables" not in md and "| 9 | 0.950 |" in md and "| mean | 0.725 |" in md
    assert md.endswith("## Speed (measured in this run)\n\n| vae | 123 | 456 |\n")
    assert not (out / "mnist_normal_class_speed.csv").exists()


@needs_tabular
def test_tabular_benchmark_puts_classical_detectors_on_gandis_split(tmp_path, capsys):
    """--dataset tabular --quick on one real ODDS table: a gandi cell is an ordinary run, the
    classical rows are fitted on that run's own training normals (same split, same scaling:
    refitting on the run's data reproduces their AUC), and a second call runs nothing."""
    from gandi.detectors.classical import CLASSICAL
    from gandi.data import load_splits
    from gandi.tracking.metrics import roc_auc
    from gandi.outputs.results import load_results
    args = ["--dataset", "tabular", "--quick", "--sets", "ionosphere", "--detectors",
            "autoencoder", "vae", "knn", "iforest", "--out", str(tmp_path / "out"),
            "--log-dir", str(tmp_path / "log"), "--data-dir", str(TABULAR_DIR)]
    assert main(args) == 0
    cells = pd.read_csv(tmp_path / "out" / "tabular.csv")
    assert sorted(zip(cells["detector"], cells["family"])) == [
        ("autoencoder", "gandi"), ("autoencoder checkpoint ensemble", "gandi"),
        ("gandi ensemble (all)", "gandi"), ("hybrid ensemble (top 5)", "hybrid"),
        ("iforest", "classical"), ("knn", "classical"), ("vae", "gandi"),
        ("vae checkpoint ensemble", "gandi")]
    assert (cells["dataset"] == "ionosphere").all() and (cells["seed"] == 0).all()
    assert (cells.set_index("detector").loc[["autoencoder", "vae"], "cpu_seconds"] > 0).all()
    gandi = cells.set_index("detector").loc["autoencoder"]
    run = load_results(tmp_path / "log" / "results" / gandi["signature"] / "results.pkl")
    assert run["setting"]["data_file"].endswith("ionosphere.npz")
    assert gandi["auc"] == pytest.approx(float(run["final"].set_index("detector")
                                               .loc["autoencoder", "auc"]))
    assert gandi["oracle_best_auc"] >= gandi["auc"] - 1e-12 or math.isnan(gandi["oracle_best_auc"])
    data = load_splits(run["setting"], np.random.default_rng(run["setting"]["numpy_seed"]))
    knn = cells.set_index("detector").loc["knn"]
    assert math.isnan(knn["oracle_best_auc"])  # no training curve
    # kNN is deterministic: the row's AUC is the run's split refitted
    assert knn["auc"] == pytest.approx(
        roc_auc(data.test_y, CLASSICAL["knn"]().fit(data.train).score(data.test_x)), abs=1e-12)
    md = (tmp_path / "out" / "tabular.md").read_text()
    assert md.startswith("**A --quick smoke run**")
    assert "| detector | family | ionosphere | mean |" in md
    assert "| autoencoder | gandi |" in md and "| knn | classical |" in md
    # the run's checkpoint ensemble is a row of its own, from the run's final table
    ensemble = cells.set_index("detector").loc["autoencoder checkpoint ensemble"]
    assert ensemble["signature"] == gandi["signature"] and math.isnan(ensemble["oracle_best_auc"])
    assert ensemble["auc"] == pytest.approx(float(run["final"].set_index("detector").loc[
        "autoencoder checkpoint ensemble", "auc"]))
    assert "autoencoder checkpoint ensemble" in md and "vs autoencoder" in md
    # the detector ensemble: both runs' exported detectors on the split, each standardised on
    # the validation normals, averaged
    from gandi.score.exported import load_exported
    from gandi.tracking.selection import ensemble_scores
    both = cells.set_index("detector").loc["gandi ensemble (all)"]
    assert sorted(both["signature"].split()) == sorted(
        cells.set_index("detector").loc[["autoencoder", "vae"], "signature"])
    _, test, _ = ensemble_scores([
        (d.score(data.validation), d.score(data.test_x)) for d in (
            load_exported(sig, tmp_path / "log") for sig in both["signature"].split())])
    assert both["auc"] == pytest.approx(roc_auc(data.test_y, test), abs=1e-12)
    # the hybrid ensemble: gandi.Ensemble's choice over both runs and the classical detectors;
    # top 5 of four candidates keeps them all: the four standardised on validation normals
    hybrid = cells.set_index("detector").loc["hybrid ensemble (top 5)"]
    assert sorted(hybrid["signature"].split()) == sorted(both["signature"].split())
    pairs = [(d.score(data.validation), d.score(data.test_x)) for d in (
        load_exported(sig, tmp_path / "log") for sig in both["signature"].split())]
    for name in ("knn", "iforest"):
        fitted = CLASSICAL[name](seed=0).fit(data.train)
        pairs.append((fitted.score(data.validation), fitted.score(data.test_x)))
    _, test, _ = ensemble_scores(pairs)
    assert hybrid["auc"] == pytest.approx(roc_auc(data.test_y, test), abs=1e-9)
    assert "hybrid ensemble (top 5)" in md and "best single detector of either family" in md
    capsys.readouterr()
    assert main(args) == 0
    assert "0 item(s) to run (a gandi run, or a table's classical detectors), 8 cell(s) already " \
        "finished" in capsys.readouterr().out
    # a row made by an earlier setting of the autoencoder (another hash): left out of the tables
    # (with the detector ensemble over it) and said so, then run again with the ensemble
    from gandi.studies.benchmark.table_report import fresh_rows
    from gandi.studies.paper.write import tables_section
    csv = tmp_path / "out" / "tabular.csv"
    older = pd.read_csv(csv, dtype={"setting_hash": str})
    # the ensemble rows have no hash of their own (they combine runs): shown, nothing said;
    # a run's rows without one (the autoencoder's and its checkpoint ensemble's) have an
    # unknown setting: left out like another setting's, with the ensembles over them
    assert fresh_rows(older, quick=True)[1] == ""
    hashless = older.assign(setting_hash=older["setting_hash"].where(
        older["signature"] != gandi["signature"]))
    shown, left_out = fresh_rows(hashless, quick=True)
    assert set(shown["detector"]) == set(older["detector"]) - {
        "autoencoder", "autoencoder checkpoint ensemble", "gandi ensemble (all)",
        "hybrid ensemble (top 5)"}
    assert left_out == (
        "\nLeft out: 2 row(s) made before setting hashes were kept (their setting is unknown) "
        "(autoencoder on ionosphere seed 0, autoencoder checkpoint ensemble on ionosphere seed 0); "
        "the next benchmark run runs them again.\n"
        "\nLeft out: 2 row(s) combining runs left out (gandi ensemble (all) on ionosphere seed 0, "
        "hybrid ensemble (top 5) on ionosphere seed 0); the next benchmark run runs them again.\n")
    older.loc[older["signature"] == gandi["signature"], "setting_hash"] = "0123456789ab"
    older.to_csv(csv, index=False)
    shown, left_out = fresh_rows(older, quick=True)
    assert sorted(set(older["detector"]) - set(shown["detector"])) == [
        "autoencoder", "autoencoder checkpoint ensemble", "gandi ensemble (all)",
        "hybrid ensemble (top 5)"]
    assert "Left out: 2 row(s) made by another setting than their detector's current one " \
           "(autoencoder on ionosphere seed 0, autoencoder checkpoint ensemble on ionosphere " \
           "seed 0)" in left_out
    section = tables_section(3, csv)  # full settings: every gandi row stale, the ensembles too
    assert "Left out: 4 row(s) made by another setting" in section
    assert "Left out: 2 row(s) combining runs left out" in section
    assert main(args) == 0
    assert "1 item(s) to run" in capsys.readouterr().out  # the stale run alone, its ensemble
    again = pd.read_csv(csv, dtype={"setting_hash": str})
    assert sorted(again["detector"]) == sorted(cells["detector"])  # replaced, not added
    assert "0123456789ab" not in set(again["setting_hash"])
    assert again.set_index("detector").loc["gandi ensemble (all)", "auc"] == pytest.approx(
        both["auc"], abs=1e-12)  # the same seeds: the same runs, the same ensemble
    assert "Left out" not in (tmp_path / "out" / "tabular.md").read_text()


def test_tabular_benchmark_bad_arguments_are_one_line(tmp_path, capsys):
    assert main(["--dataset", "tabular", "--detectors", "nope", "--out", str(tmp_path)]) == 2
    assert "nope not a tabular detector" in capsys.readouterr().err
    assert main(["--dataset", "tabular", "--sets", "nothere", "--data-dir", str(tmp_path),
                 "--out", str(tmp_path)]) == 2
    assert "no nothere.npz in" in capsys.readouterr().err
    assert main(["--sets", "letter", "--out", str(tmp_path)]) == 2
    assert "--sets goes with --dataset tabular" in capsys.readouterr().err


def test_anomaly_class_protocol_trains_a_ninth_of_the_epochs_and_reports_auprc(tmp_path, capsys):
    """One digit anomalous, nine normal: nine times the images per epoch, so a cell trains its
    one-class setting's epochs / 9 (at least 1). The report puts AUPRC beside the published
    AUPRC of EGBAD's table (its MNIST numbers are AUPRC on this protocol)."""
    from gandi.studies.benchmark.image_cells import cell_setting
    assert cell_setting({"epochs": 10}, "anomaly_class", 3, 0, False)["epochs"] == 1
    assert cell_setting({"epochs": 2}, "anomaly_class", 3, 0, False)["epochs"] == 1
    assert cell_setting({"epochs": 27}, "anomaly_class", 3, 0, False)["epochs"] == 3
    assert cell_setting({"epochs": 10}, "normal_class", 3, 0, False)["epochs"] == 10
    assert cell_setting({"steps": 50, "epochs": None}, "anomaly_class", 3, 0,
                        False)["epochs"] is None
    out = tmp_path / "out"
    out.mkdir()
    of_current_settings([{"detector": "egbad", "family": "gandi", "class": c, "seed": 0,
                          "auc": 0.8, "auprc": 0.1 * c, "f1": 0.5, "oracle_best_auc": 0.9,
                          "signature": f"r{c}", "seconds": 1.0} for c in (1, 4)],
                        "anomaly_class").to_csv(out / "mnist_anomaly_class.csv", index=False)
    assert main(["--report-only", "--protocol", "anomaly_class", "--detectors", "egbad",
                 "--classes", "1,4", "--out", str(out)]) == 0
    md = (out / "mnist_anomaly_class.md").read_text()
    assert "epochs divided by 9" in md
    auprc = md.split("## AUPRC")[1].split("## Oracle")[0]
    assert "| class | egbad (ours) | EGBAD (published) |" in auprc
    assert "| 1 | 0.100 | ~0.287 |" in auprc and "| 4 | 0.400 | ~0.443 |" in auprc
    assert "| mean | 0.250 | 0.365 |" in auprc


def test_the_report_says_which_cells_run_another_setting_than_their_detector_s():
    """The grid's own changes to a detector's setting are said above its table: AnoGAN's cost
    cut in every protocol, the LOF bank's size in anomaly_class only (and nothing of a
    detector without either)."""
    from gandi.studies.benchmark.images import markdown
    cells = pd.DataFrame([{"detector": d, "family": "gandi", "class": 1, "seed": 0, "auc": 0.8,
                           "f1": 0.5, "oracle_best_auc": 0.9, "signature": d, "seconds": 1.0}
                          for d in ("anogan", "discriminator_lof", "vae")])
    nine, one = (markdown(cells, "mnist", protocol) for protocol in ("anomaly_class",
                                                                     "normal_class"))
    assert "discriminator_lof: its setting with reference_bank_size = 8192 (nine" in nine
    assert "reference_bank_size" not in one
    for md in (nine, one):
        assert "anogan: its setting with test_limit = 2000 (cost" in md
        assert "vae: its setting" not in md


def test_the_items_to_run_are_costed_by_what_the_benchmark_recorded():
    """Each detector's mean CPU seconds per recorded cell (wall seconds where CPU time was not
    kept), summed over the items still to run; an item of a detector never recorded is
    counted apart, and nothing to run says nothing."""
    from gandi.studies.benchmark.cells import todo_cost
    cells = pd.DataFrame({"detector": ["vae", "vae", "knn", "lof"],
                          "cpu_seconds": [3000.0, 4200.0, np.nan, 600.0],
                          "seconds": [1.0, 1.0, 1200.0, 1.0]})
    todo = [(["vae"], 1, 0), (["knn", "lof"], 1, 0), (["anogan"], 1, 0)]
    assert todo_cost(todo, cells) == ("about 1.5 CPU hours for 2 of them by the cost this "
                                      "benchmark recorded for their detectors; 1 without a "
                                      "recorded cost")  # 3600 + 1200 + 600 s
    assert todo_cost([], cells) == ""
    assert todo_cost([(["vae"], 0, 0)], cells.iloc[:0]) == "1 without a recorded cost"
    # rows of another setting than the current one: a detector with current rows is costed by
    # them alone; one with stale rows only by those, and the line says how many items that is
    stale = pd.Series([True, False, False, True])  # vae's 3000 s and lof's 600 s rows
    assert todo_cost(todo, cells, stale) == (
        "about 1.7 CPU hours for 2 of them by the cost this benchmark recorded for their "
        "detectors (1 of them by rows of an earlier setting of their detector: its cost may "
        "have changed since); 1 without a recorded cost")  # 4200 + 1200 + 600 s
    assert todo_cost([(["vae"], 1, 0)], cells, stale) == (
        "about 1.2 CPU hours for 1 of them by the cost this benchmark recorded for their "
        "detectors")  # vae's current row, 4200 s, not the stale 3000


def test_a_dry_run_lists_what_is_left_and_writes_nothing(tmp_path, capsys):
    """--dry-run: the items left (a finished cell of the current setting is not one) and their
    cost by the CSV's recorded CPU seconds; nothing runs, no file changes."""
    out = tmp_path / "out"
    out.mkdir()
    of_current_settings([{"detector": "vae", "family": "gandi", "class": 0, "seed": 0,
                          "auc": 0.9, "f1": 0.5, "oracle_best_auc": 0.95, "signature": "r0",
                          "seconds": 1.0, "cpu_seconds": 7200.0}], quick=True).to_csv(
        out / "mnist_normal_class.csv", index=False)
    before = (out / "mnist_normal_class.csv").read_bytes()
    assert main(["--quick", "--detectors", "vae", "--classes", "0,1", "--seeds", "2",
                 "--dry-run", "--out", str(out), "--log-dir", str(tmp_path / "log")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("3 item(s) to run (a gandi run, or a class's classical detectors) "
                              "(about 6.0 CPU hours for 3 of them by the cost this benchmark "
                              "recorded for their detectors), 1 cell(s) already finished")
    assert printed.splitlines()[1:] == ["  vae class 0 seed 1", "  vae class 1 seed 0",
                                        "  vae class 1 seed 1"]
    assert sorted(p.name for p in out.iterdir()) == ["mnist_normal_class.csv"]
    assert (out / "mnist_normal_class.csv").read_bytes() == before
    assert not (tmp_path / "log").exists()


def test_two_benchmarks_on_one_csv_keep_each_others_rows(tmp_path, capsys):
    """Rows another process writes to the CSV while this one runs (other detectors' cells run
    beside it) stay in the file: each write takes them in instead of overwriting them, and
    this process's own rows are not doubled."""
    from gandi.outputs.run_rows import COLUMNS
    from gandi.studies.benchmark.cells import run_items, write_atomic

    def row(detector, cls):
        return {"detector": detector, "family": "gandi", "class": cls, "seed": 0,
                "auc": 0.5 + cls / 10,
                "auprc": 0.1, "f1": 0.2, "oracle_best_auc": 0.6, "signature": f"{detector}_{cls}",
                "seconds": 1.5, "cpu_seconds": 2.25, "tracking_cpu_seconds": 0.5,
                "setting_hash": "0123456789ab"}

    csv_path = tmp_path / "mnist_normal_class.csv"
    first = pd.DataFrame([row("vae", 0)])[COLUMNS]
    write_atomic(csv_path, first.to_csv(index=False))

    def run_item(item):
        if item == 1:  # another benchmark finishes a cell of its own meanwhile
            both = pd.concat([read_cells(csv_path), pd.DataFrame([row("egbad", 9)])])
            write_atomic(csv_path, both[COLUMNS].to_csv(index=False))
        return [row("autoencoder", item)]

    cells = run_items([1, 2], run_item, read_cells(csv_path), csv_path, COLUMNS,
                      lambda item, r: r["detector"])
    written = read_cells(csv_path)
    expected = {("vae", 0), ("egbad", 9), ("autoencoder", 1), ("autoencoder", 2)}
    assert set(zip(written["detector"], written["class"])) == expected and len(written) == 4
    assert len(cells) == 4
    assert "[2/2] autoencoder: AUC 0.700 (1.5 s, 2.25 s CPU, 22% of it tracking)" in (
        capsys.readouterr().out)
