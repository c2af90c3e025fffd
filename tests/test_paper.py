"""The write-up regenerated from results by one command: tables read back against the CSVs they
come from, figures drawn from the run folders, and kept when the run folders are gone."""
import shutil

import pandas as pd

from conftest import MNIST_DIR, needs_mnist
from gandi import benchmark, paper, report


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
