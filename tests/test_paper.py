"""The write-up regenerated from results by one command: tables read back against the CSVs they
come from, figures drawn from the run folders, and kept when the run folders are gone."""
import shutil

import pandas as pd

from conftest import MNIST_DIR, needs_mnist
from gandi.studies.benchmark import __main__ as benchmark
from gandi.studies.paper import write as paper
from gandi import report


def _row(md: str, start: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(start))


@needs_mnist
def test_paper_from_results_and_again_without_run_folders(smoke_runs, tmp_path, capsys):
    log_dir = tmp_path / "runs"  # a copy: the session's smoke runs stay for other tests
    shutil.copytree(smoke_runs[0], log_dir)
    results, out = tmp_path / "results", tmp_path / "paper"
    results.mkdir()
    assert report.main([str(log_dir), "--csv", str(results / "distributions.csv")]) == 0
    bench_log = tmp_path / "bench_log"
    assert benchmark.main(["--quick", "--detectors", "discriminator", "--classes", "0",
                           "--out", str(results), "--log-dir", str(bench_log),
                           "--data-dir", str(MNIST_DIR), "--no-speed"]) == 0
    assert paper.main(["--results", str(results), "--log-dir", str(tmp_path),
                       "--out", str(out)]) == 0
    md = (out / "README.md").read_text()
    # a --quick row is not of the shipped setting: the paper leaves it out and says so
    assert ("No row of the current settings yet.\n\nLeft out: 1 row(s) made by another setting "
            "than their detector's current one (discriminator class 0 seed 0)") in md
    assert "- **Quality goal**" not in md
    # the same row as if the shipped setting had made it (its hash): shown
    from gandi.studies.benchmark.image_cells import current_hashes
    cells = pd.read_csv(results / "mnist_normal_class.csv")
    cells["setting_hash"] = current_hashes("mnist", "normal_class", [("discriminator", 0, 0)])[
        ("discriminator", 0, 0)]
    cells.to_csv(results / "mnist_normal_class.csv", index=False)
    assert paper.main(["--results", str(results), "--log-dir", str(tmp_path),
                       "--out", str(out)]) == 0
    md = (out / "README.md").read_text()
    assert "Left out" not in md

    # the distributions table is the report's summary of the CSV, row for row
    table = report.summarise(pd.read_csv(results / "distributions.csv"))
    first = table.iloc[0]
    assert _row(md, f"| {first['setting']} | {first['name']} | {first['detector']} |").endswith(
        f"| {first['auc']} | {first['f1']} | {first['last_step_auc']} | "
        f"{first['oracle_best_auc']} |")
    # the benchmark table and the quality-goal line carry the cell's AUC
    cell = pd.read_csv(results / "mnist_normal_class.csv").iloc[0]
    assert _row(md, "| 0 |").startswith(f"| 0 | {cell['auc']:.3f} |")
    goal = _row(md, "- **Quality goal**")
    assert f"discriminator, reaches {cell['auc']:.3f}" in goal
    assert (("meets" in goal) == (cell["auc"] >= paper.GOALS["mnist"]))
    # every figure the text shows exists and is a PNG
    figures = sorted(line[line.index("(figures/") + 9:-1] for line in md.splitlines()
                     if line.startswith("!["))
    assert "mnist_normal_class_per_class.png" in figures
    assert "distributions_auc_over_training.png" in figures
    assert "mnist_discriminator_class0_auc_over_training.png" in figures
    for name in figures:
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # a fresh clone has the results but not the run folders: same text, figures kept
    shutil.rmtree(log_dir / "results")
    shutil.rmtree(bench_log)
    assert paper.main(["--results", str(results), "--log-dir", str(tmp_path),
                       "--out", str(out)]) == 0
    assert (out / "README.md").read_text() == md


def test_no_results_is_one_line_and_exit_2(tmp_path, capsys):
    assert paper.main(["--results", str(tmp_path), "--out", str(tmp_path / "paper")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no results in" in err
    assert not (tmp_path / "paper").exists()


def test_a_study_table_named_like_a_grid_is_passed_over_and_said(tmp_path, capsys):
    """A study's CSV whose name ends like a grid's (<name>_normal_class.csv) but has no
    benchmark columns is left out with a line (it stopped the paper with a KeyError); a
    grid's CSV is kept."""
    (tmp_path / "mnist_scores_normal_class.csv").write_text("signature,lof\nr1,0.9\n")
    grid = tmp_path / "mnist_normal_class.csv"
    grid.write_text("detector,family,class,seed,auc\nknn,classical,0,0,0.9\n")
    assert not paper.is_grid(tmp_path / "mnist_scores_normal_class.csv")
    assert "mnist_scores_normal_class.csv: not an image benchmark's rows (no detector, class, " \
        "seed, auc column): left out of the paper" in capsys.readouterr().out
    assert paper.is_grid(grid)


def test_efficiency_section_computes_from_the_measured_figures(tmp_path):
    """The section's ratios, shares and GPU arithmetic come from efficiency.json, the machine
    named; without the file there is no section."""
    from gandi.studies.paper.efficiency_section import GPU_REFERENCE, efficiency_section
    import json
    path = tmp_path / "efficiency.json"
    assert efficiency_section(4, path) == ""
    path.write_text(json.dumps({
        "machine": {"text": "Test CPU (family 1, model 2), 2 cores, avx2", "peak_gflops": 100.0},
        "setting": 10, "batch": 64, "gandi_xla": False,
        "images_per_second": {"gandi": 300.0, "plain": 250.0, "plain_xla": 320.0,
                              "gandi_fresh": 270.0},
        "mflop_per_image": 200.0, "gflops": 60.0, "matmul_gflops": 80.0,
        "loop_ms_per_step": 1.5, "host_ms_per_evaluation": 61.0, "track_every": 20,
        "tracking": {"10": {"detector": "discriminator", "steps": 167, "track_every": 20,
                            "tracked": [50.0, 52.0], "ends_only": [45.0, 44.0], "share": 0.12}},
        "grid": {"dataset": "mnist", "class": 0, "seconds": {"vae": 60.0, "aae": 30.0}}}))
    md = efficiency_section(4, path)
    assert md.startswith("## 4. Efficiency") and "Test CPU (family 1, model 2)" in md
    assert "| gandi (`jit_compile: auto`: plain, chosen here) | 300 | 1.00 |" in md
    assert "| plain Keras `tf.function` step | 250 | 1.20 |" in md
    assert "| plain Keras step with XLA | 320 | 0.94 |" in md
    assert "the plain step's work; the shipped step reuses D's batch) | 270 | 1.11 |" in md
    assert "60.0 GFLOP/s = 60% of the FP32 peak" in md and "reaches 75% of that" in md
    assert "| 10 | discriminator | 167, 20 | 50.0, 52.0 | 45.0, 44.0 | 12% |" in md
    assert "1.5 min per class, so about 15 min" in md
    small = GPU_REFERENCE["images_per_second"][64]
    step_ms = 1e3 * 64 / small
    fraction = GPU_REFERENCE["mflop_per_image"] / 200.0  # of the measured step's FLOPs
    assert f"with {1 / fraction:.1f}x the FLOPs" in md
    assert f"= {GPU_REFERENCE['images_per_second'][1024] * fraction:,.0f} images/s" in md
    assert f"{100 * 1.5 / step_ms:.0f}% of a {step_ms:.1f} ms GPU step" in md
    assert f"{100 * 61 / (61 + 20 * step_ms):.0f}% of the run" in md
    assert "Not measured op by op" in md  # no layer rows in this file
    # a grid measured with its CPU seconds says them beside the wall minutes
    e = json.loads(path.read_text())
    e["grid"]["cpu_seconds"] = {"vae": 48.0, "aae": 24.0}
    path.write_text(json.dumps(e))
    assert "1.5 min per class (1.2 CPU min), so about 15 min" in efficiency_section(4, path)
    assert "local pool" not in efficiency_section(4, path)
    # and the same class through the local pool, when the file has that timing
    e["grid"]["pool"] = {"jobs": 2, "wall_seconds": 60.0, "seconds": {"vae": 50.0, "aae": 25.0},
                         "cpu_seconds": {"vae": 49.0, "aae": 23.0}}
    path.write_text(json.dumps(e))
    assert ("classes on this machine; through the local pool (`gandi.benchmark --executor "
            "local`, 2 cells at once, one CPU each) the class took 1.0 min (1.2 CPU min), 1.50x "
            "as fast: about 10 min for the grid.") in efficiency_section(4, path)
    # with --layers' rows: the table, and the arithmetic layers' time against the others'
    e = json.loads(path.read_text())
    e["layers"] = [{"network": "generator", "kind": "Conv2DTranspose", "output": "14x14x64",
                    "mflop_per_image": 38.5, "ms_per_batch": 4.0, "gflops": 616.0},
                   {"network": "generator", "kind": "BatchNormalization", "output": "14x14x64",
                    "mflop_per_image": 0.2, "ms_per_batch": 3.5, "gflops": 3.7},
                   {"network": "discriminator", "kind": "Reshape", "output": "",
                    "mflop_per_image": 0.0, "ms_per_batch": 0.5, "gflops": 0.0}]
    path.write_text(json.dumps(e))
    md = efficiency_section(4, path)
    assert "| generator | Conv2DTranspose | 14x14x64 | 38.50 | 4.00 | 616.0 |" in md
    assert "| discriminator | Reshape | - | 0.00 | 0.50 | 0.0 |" in md
    assert ("The 1 convolutions and matrix products of at least 1 MFLOP per image take 4.0 ms "
            "per batch; the other 2 layers") in md and "take 4.0 ms with next to no FLOPs" in md
    assert "Rates above the peak (616 GFLOP/s for one layer)" in md  # peak 100 here


def test_tables_section_is_the_tabular_report_of_the_csv(tmp_path):
    """Mean ± std per table and detector from tabular.csv, the classical detectors beside
    gandi's, and the label-free cost computed from the rows; no CSV, no section."""
    path = tmp_path / "tabular.csv"
    assert paper.tables_section(5, path) == ""
    rows = [("letter", "vae", "gandi", 0, 0.80, 0.85), ("letter", "vae", "gandi", 1, 0.90, 0.92),
            ("letter", "knn", "classical", 0, 0.88, None), ("letter", "knn", "classical", 1, 0.86, None)]
    from gandi.studies.benchmark.table_report import current_hashes
    vae = current_hashes(pd.DataFrame({"dataset": ["letter"], "seed": [0]}))[("vae", "letter", 0)]
    pd.DataFrame([{"dataset": d, "detector": n, "family": f, "seed": s, "auc": a, "f1": None,
                   "oracle_best_auc": o, "signature": "", "seconds": 1.0,
                   "setting_hash": vae if f == "gandi" else None}
                  for d, n, f, s, a, o in rows]).to_csv(path, index=False)
    md = paper.tables_section(5, path)
    assert md.startswith("## 5. Tables (ODDS), semi-supervised")
    assert "| detector | family | letter | mean |" in md
    assert "| vae | gandi | 0.850 ± 0.071 (n=2) | 0.850 |\n| knn | classical | 0.870 ± 0.014 " \
           "(n=2) | 0.870 |" in md
    assert "vae 0.035" in md  # mean of 0.05 and 0.02
    assert "Best gandi detector vae 0.850 against the best classical knn 0.870" in md
    assert "-0.020" in md


def test_maps_section_tables_the_pasted_patch_measures_and_shows_the_galleries(tmp_path):
    """Mean ± std per map from anomaly_maps.csv, best pixel AUROC first, the reference maps
    beside; the first seed's gallery figures copied from the run folders, and kept when the
    run folders are gone; no CSV, no section."""
    path, out, log_dir = tmp_path / "anomaly_maps.csv", tmp_path / "paper", tmp_path / "log"
    (out / "figures").mkdir(parents=True)
    assert paper.maps_section(6, path, log_dir, out) == ""
    sig = {seed: f"GAN_2026-12-02_04-42-03_47534{seed}_{seed}-{seed}_30" for seed in (0, 1)}
    rows = [("autoencoder", "gandi", 0, 0.90, 0.6, 0.8, sig[0]),
            ("autoencoder", "gandi", 1, 0.94, 0.7, 0.9, sig[1]),
            ("random map", "reference", 0, 0.50, 0.17, None, sig[0]),
            ("random map", "reference", 1, 0.52, 0.15, None, sig[1])]
    pd.DataFrame([{"detector": d, "family": f, "seed": s, "pixel_auroc": a, "mass_inside": m,
                   "image_auroc": i, "signature": g, "seconds": 1.0}
                  for d, f, s, a, m, i, g in rows]).to_csv(path, index=False)
    for seed in (0, 1):
        (log_dir / "plots" / sig[seed]).mkdir(parents=True)
        (log_dir / "plots" / sig[seed] / "gallery_autoencoder.png").write_bytes(b"png%d" % seed)
    md = paper.maps_section(6, path, log_dir, out)
    assert md.startswith("## 6. Where the anomaly maps point (pasted patches, MNIST)")
    assert ("| autoencoder | gandi | 2 | 0.920 ± 0.028 | 0.650 ± 0.071 | 0.850 ± 0.071 |\n"
            "| random map | reference | 2 | 0.510 ± 0.014 | 0.160 ± 0.014 | - |") in md
    assert "![maps_30_seed0_autoencoder.png](figures/maps_30_seed0_autoencoder.png)" in md
    assert "seed1" not in md
    assert (out / "figures" / "maps_30_seed0_autoencoder.png").read_bytes() == b"png0"
    shutil.rmtree(log_dir)
    assert paper.maps_section(6, path, log_dir, out) == md


def test_a_benchmark_section_sets_gandi_beside_the_classical_detectors(tmp_path):
    """Classical rows get their own columns and a comparison line; the quality goal is about
    gandi's detectors only (a classical detector above the goal does not meet it for gandi).
    Only rows of the current settings are shown: another setting's rows, and rows without a
    setting hash, are listed as left out."""
    results, out = tmp_path / "results", tmp_path / "paper"
    results.mkdir()
    (out / "figures").mkdir(parents=True)
    from gandi.studies.benchmark.image_cells import current_hashes
    vae = current_hashes("mnist", "normal_class", [("vae", 0, 0)])[("vae", 0, 0)]
    rows = [("vae", "gandi", 0.95, 0.97, vae), ("knn", "classical", 0.98, None, None),
            ("vae", "gandi", 0.10, 0.20, "0123456789ab"), ("aae", "gandi", 0.99, 0.99, None)]
    pd.DataFrame([{"detector": d, "family": f, "class": c, "seed": 0, "auc": a,
                   "f1": 0.5, "oracle_best_auc": o, "signature": "", "seconds": 1.0,
                   "setting_hash": h} for d, f, a, o, h in rows for c in (0, 1)]).to_csv(
        results / "mnist_normal_class.csv", index=False)
    md = paper.benchmark_section(2, "mnist", "normal_class", results, tmp_path, out,
                                 tmp_path / "no_published.csv")
    assert "| class | vae (ours) | knn (classical) |" in md  # no aae: no row of a known setting
    assert "| 0 | 0.950 | 0.980 |" in md  # the other setting's vae rows not mixed in
    assert ("Left out: 2 row(s) made by another setting than their detector's current one (vae "
            "class 0 seed 0, vae class 1 seed 0)") in md
    assert ("Left out: 2 row(s) made before setting hashes were kept (their setting is unknown) "
            "(aae class 0 seed 0, aae class 1 seed 0)") in md
    assert "the best detector, vae, reaches 0.950" in md  # not knn's 0.980
    assert "- **Against the classical detectors** (same splits; best: knn 0.980): vae -0.030." \
        in md


def test_the_family_line_sets_the_best_of_each_family_side_by_side_per_class():
    """The discriminator issue's comparison: each family's best detector by its mean over
    classes (only detectors with every class), then per class the difference of their means
    over seeds."""
    from gandi.studies.paper.families import family_gap_line
    rows = [("discriminator", 0, 0, 0.90), ("discriminator", 1, 0, 0.80),
            ("discriminator_knn", 0, 0, 0.96), ("discriminator_knn", 0, 1, 0.94),
            ("discriminator_knn", 1, 0, 0.90),
            ("fencegan", 0, 0, 0.99),                     # class 1 missing: not a candidate
            ("vae", 0, 0, 0.97), ("vae", 1, 0, 0.85), ("vae", 1, 1, 0.87),
            ("autoencoder", 0, 0, 0.50), ("autoencoder", 1, 0, 0.50), ("knn", 0, 0, 1.0)]
    cells = pd.DataFrame(rows, columns=["detector", "class", "seed", "auc"])
    line = family_gap_line(cells, [0, 1])
    # discriminator_knn: class 0 0.95, class 1 0.90 (mean 0.925); vae: 0.97, 0.86 (0.915)
    assert "discriminator_knn 0.925, vae 0.915" in line
    assert "seeds per class: discriminator_knn 1-2, vae 1-2" in line
    assert "per class 0 -0.020, 1 +0.040; mean +0.010." in line
    assert family_gap_line(cells[cells["detector"] != "vae"]
                           [lambda c: c["detector"] != "autoencoder"], [0, 1]) == ""


def test_a_run_is_found_through_a_folder_of_linked_log_dirs(tmp_path):
    """--log-dir may be a folder of symbolic links to log dirs (several grids' folders side by
    side): the run is found there too, and a missing one is None."""
    run = tmp_path / "grid" / "results" / "GAN_x_10"
    run.mkdir(parents=True)
    (run / "results.pkl").write_bytes(b"")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "grid").symlink_to(tmp_path / "grid")
    assert paper.find_run(tmp_path / "logs", "GAN_x_10") == (tmp_path / "logs" / "grid" /
                                                              "results" / "GAN_x_10" /
                                                              "results.pkl")
    assert paper.find_run(tmp_path / "grid", "GAN_x_10") == run / "results.pkl"
    assert paper.find_run(tmp_path / "logs", "GAN_y_10") is None


def test_the_ensemble_line_shows_only_ensembles_of_the_grids_current_runs(tmp_path):
    """benchmarks/image_hybrid.py's rows, mean over classes then mean ± std over the seeds with
    every class, beside the best single candidate; a cell made of a run the grid has replaced
    since is left out (and counted), and so is a seed it leaves without every class."""
    from gandi.studies.paper.ensembles import ensemble_line
    cells = pd.DataFrame([{"detector": d, "family": "gandi", "class": c, "seed": s,
                           "signature": f"{d}-{c}-{s}"}
                          for d in ("vae", "anogan") for c in (0, 1) for s in (0, 1, 2)])
    assert ensemble_line(tmp_path, "mnist", "normal_class", cells, [0, 1]) == ""  # no CSV
    rows = []
    for c in (0, 1):
        for s in (0, 1, 2):
            runs = f"vae=vae-{c}-{s}" if (c, s) != (1, 2) else "vae=an-older-run"
            for method, auc in (("vae", 0.90 + s / 100), ("lof", 0.95),
                                ("hybrid (top 5)", 0.96 + c / 100 + s / 100)):
                rows.append({"class": c, "seed": s, "method": method, "auc": auc, "runs": runs})
    pd.DataFrame(rows).to_csv(tmp_path / "mnist_normal_class_hybrid.csv", index=False)
    line = ensemble_line(tmp_path, "mnist", "normal_class", cells, [0, 1])
    # seeds 0 and 1 (seed 2's class 1 is stale): hybrid 0.965 and 0.975 -> 0.970 ± 0.007
    assert line == ("- **Label-free ensembles** (`benchmarks/image_hybrid.py`: the grid's runs "
                    "but AnoGAN's and the classical detectors, on the same splits, members "
                    "chosen by the label-free criterion; 2 seed(s) with every class): hybrid "
                    "(top 5) 0.970 ± 0.007; the best single candidate, lof, 0.950 ± 0.000 (1 "
                    "class-seed cell(s) left out: made of runs the grid has replaced since).\n")
    # a row of a class outside the section's does not stand in for the missing class 1 of
    # seed 2: still 2 seeds with every class (it was counted, and seed 2 averaged class 0 alone)
    extra = pd.DataFrame([{"class": 7, "seed": 2, "method": m, "auc": 0.5, "runs": ""}
                          for m in ("vae", "lof", "hybrid (top 5)")])
    cells = pd.concat([cells, pd.DataFrame([{"detector": "vae", "family": "gandi", "class": 7,
                                             "seed": 2, "signature": "vae-7-2"}])])
    extra["runs"] = "vae=vae-7-2"
    pd.concat([pd.DataFrame(rows), extra]).to_csv(tmp_path / "mnist_normal_class_hybrid.csv",
                                                  index=False)
    assert ensemble_line(tmp_path, "mnist", "normal_class", cells, [0, 1]) == line


@needs_mnist
def test_auprc_chance_levels_come_from_mnists_digit_counts():
    """A random score's AUPRC is the anomalies' share of the test set: ours the digit's share of
    the MNIST test set, Zenati et al.'s every image of the digit beside a fifth of the others'
    (pooled); the counts are the label files', and the comparison is in multiples of chance."""
    import numpy as np
    from gandi.data.images import read_idx
    from gandi.studies.paper import auprc_chance as chance
    train = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")
    test = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert chance.MNIST_TRAIN == tuple(int((train == d).sum()) for d in range(10))
    assert chance.MNIST_TEST == tuple(int((test == d).sum()) for d in range(10))
    assert chance.ours(1) == 1135 / 10000
    assert np.isclose(chance.zenati(1), 7877 / (7877 + 0.2 * (70000 - 7877)))
    text = chance.chance_text(pd.Series({1: 0.1135 * 2}), pd.DataFrame(
        {"class": [1], "value": [chance.zenati(1) / 2]}))
    assert "ours 0.114, theirs 0.388" in text and "ours 2.00, theirs 0.50" in text


def test_a_published_numbers_warning_is_said_beside_the_gap():
    """A published row whose note in benchmarks/published.csv warns ("CAUTION: ...") has the
    warning beside our gap to it; a plain one has none."""
    warned = pd.DataFrame({"note": ["secondary quote; CAUTION: provenance unclear - two "
                                    "numbers circulate: row X differs", "plain"]})
    assert paper.caution(warned) == (" `benchmarks/published.csv` warns of this number: "
                                     "provenance unclear - two numbers circulate.")
    assert paper.caution(pd.DataFrame({"note": ["plain", None]})) == ""
    assert paper.caution(pd.DataFrame({"value": [0.9]})) == ""


def test_the_grids_tracking_share_is_each_cells_own_record(tmp_path):
    """Per benchmark and detector: the cells whose rows kept their tracking time, its median
    and largest share of the cell's CPU time; classical rows and older rows have none."""
    from gandi.studies.paper.efficiency_section import grid_tracking
    assert grid_tracking(tmp_path) == ""
    pd.DataFrame({"detector": ["vae", "vae", "vae", "lof", "egbad"],
                  "cpu_seconds": [100.0, 50.0, 10.0, 2.0, 80.0],
                  "tracking_cpu_seconds": [10.0, 10.0, 3.0, None, None]}).to_csv(
        tmp_path / "mnist_normal_class.csv", index=False)
    pd.DataFrame({"detector": ["vae"], "cpu_seconds": [9.0]}).to_csv(  # from before it was kept
        tmp_path / "fashion_mnist_normal_class.csv", index=False)
    text = grid_tracking(tmp_path)
    assert "| mnist_normal_class | vae | 3 | 20% | 30% |" in text
    assert "lof" not in text and "egbad" not in text and "fashion" not in text


def test_the_per_class_figure_names_its_protocols_class_and_says_unfinished_cells(
        tmp_path, monkeypatch):
    """The heatmap's x axis says what a class is on each protocol (on anomaly_class it is the
    one anomaly, not the normal class); a cell with fewer seeds than the grid's finished ones
    says how many, and the published row's numbers say nothing of seeds."""
    from gandi.outputs import plots
    from gandi.studies.paper.heatmap import per_class_figure
    drawn = {}
    # the figure as drawn (closing it after only takes it out of pyplot's list)
    monkeypatch.setattr(plots, "save_png", lambda fig, path: drawn.update(fig=fig))
    rows = [("vae", "gandi", c, s, 0.8 + 0.01 * s) for c in (0, 1) for s in range(3)]
    rows += [("egbad", "gandi", 0, 0, 0.6), ("knn", "classical", 0, 0, 0.9),
             ("knn", "classical", 0, 1, 0.9), ("knn", "classical", 0, 2, 0.9)]
    cells = pd.DataFrame(rows, columns=["detector", "family", "class", "seed", "auc"])
    published = pd.DataFrame({"method": ["GANomaly"], "class": [0], "value": [0.7]})
    for protocol, axis in (("anomaly_class", "anomaly class (the other classes are normal)"),
                           ("normal_class", "normal class (the other classes are the "
                                            "anomalies)")):
        per_class_figure(cells, published, "t", tmp_path / "f.png", protocol)
        ax = drawn["fig"].axes[0]
        assert ax.get_xlabel() == axis
        texts = [t.get_text() for t in ax.texts]
        assert "0.810\n±0.010" in texts          # vae, class 0: three seeds
        assert "0.600\n1 of 3 seeds" in texts   # egbad, class 0: one seed of three
        assert "0.700" in texts                  # published: no spread, no seed count
        assert len(texts) == 2 + 1 + 1 + 1       # vae 0-1, egbad 0, knn 0, published 0


def test_a_detector_short_of_seeds_in_some_classes_is_said_to_be():
    """An unfinished grid: every class has a row, but some have one seed of three. The
    comparisons still use it, and the paper says so."""
    from gandi.studies.paper.coverage import fewer_seeds_line
    rows = [(d, c, s) for d in ("vae", "knn") for c in range(3) for s in range(3)]
    rows += [("ganomaly", c, 0) for c in range(3)] + [("ganomaly", 0, 1), ("ganomaly", 0, 2)]
    cells = pd.DataFrame(rows, columns=["detector", "class", "seed"]).assign(auc=0.9)
    assert fewer_seeds_line(cells, ["vae", "knn", "ganomaly"]) == (
        "- **Fewer seeds than the grid's 3** in some classes: ganomaly (2 of 3 classes); "
        "their means below are over the seeds they have.\n")
    assert fewer_seeds_line(cells, ["vae", "knn"]) == ""


def test_a_cells_cost_is_its_cpu_time_where_recorded():
    """Cells run beside other work wait: their wall seconds are not their cost. The paper gives
    CPU seconds where the rows have them (wall seconds of the same rows beside), and wall
    seconds, said to be, for rows from before CPU time was recorded."""
    cells = pd.DataFrame({"detector": ["vae", "vae", "vae", "knn"],
                          "seconds": [400.0, 100.0, 900.0, 2.0],
                          "cpu_seconds": [30.0, 40.0, None, None]})
    assert paper.cost_line(cells).endswith("vae 35 s (250 s wall), knn 2 s wall.\n")
    assert paper.cost_line(cells.drop(columns="cpu_seconds")).endswith(
        "vae 467 s wall, knn 2 s wall.\n")
